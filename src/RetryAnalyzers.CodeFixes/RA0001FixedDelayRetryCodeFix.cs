using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// Fixes RA0001 by moving the wait onto jittered exponential backoff, keeping the user's delay as the base (median
/// first delay) and the retry count:
/// <list type="bullet">
/// <item>Polly v7 provider <c>_ =&gt; d</c> → <c>retryAttempt =&gt; JitteredBackoff.GetDelay(retryAttempt - 1, d)</c> (v7 attempts are 1-based);</item>
/// <item>an array of n equal delays d, or <c>Backoff.ConstantBackoff(d, n)</c> → <c>JitteredBackoff.Delays(d, n)</c>;</item>
/// <item>Polly v8 options → <c>BackoffType = DelayBackoffType.Exponential</c> and <c>UseJitter = true</c>;</item>
/// <item>a <c>for</c> loop with a counter → <c>Task.Delay(JitteredBackoff.GetDelay(i, d))</c>; another loop →
/// <c>var retryBackoff = new RetryBackoff(d);</c> before it and <c>Task.Delay(retryBackoff.NextDelay())</c>.</item>
/// </list>
/// No fix is offered when the runtime library is not referenced or the rewrite cannot keep the code compiling.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RA0001FixedDelayRetryCodeFix))]
[Shared]
public sealed class RA0001FixedDelayRetryCodeFix : RetryDelayCodeFix
{
    /// <summary>The one action of this fix; stable across versions.</summary>
    public const string EquivalenceKey = "RA0001.UseJitteredBackoff";

    /// <summary>Creates the fix.</summary>
    public RA0001FixedDelayRetryCodeFix()
        : base(RuleIds.FixedDelayRetry, DelayKind.Constant, EquivalenceKey)
    {
    }

    private protected override string Title(RetryShape shape) => shape == RetryShape.PollyV8Options
        ? "Use exponential backoff with jitter"
        : "Use jittered exponential backoff (RetryAnalyzers.Runtime)";
}
