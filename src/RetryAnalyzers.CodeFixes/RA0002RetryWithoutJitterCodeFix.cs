using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// Fixes RA0002 by adding jitter while keeping the schedule's first delay, cap and retry count:
/// <list type="bullet">
/// <item>Polly v7 provider <c>n =&gt; TimeSpan.FromSeconds(Math.Pow(2, n))</c> → <c>n =&gt; JitteredBackoff.GetDelay(n - 1, TimeSpan.FromSeconds(2))</c>:
/// v7 attempts are 1-based, the runtime's 0-based, and the base is the provider's value at attempt 1 (a cap such as
/// <c>Math.Min(…, 30)</c> is kept as the third argument);</item>
/// <item>an array of growing delays, <c>Backoff.ExponentialBackoff(d, n)</c>, <c>Backoff.LinearBackoff(d, n)</c> → <c>JitteredBackoff.Delays(d, n)</c>;</item>
/// <item>Polly v8 options → <c>UseJitter = true</c>, the backoff type kept;</item>
/// <item>a <c>for</c> loop with a counter → <c>Task.Delay(JitteredBackoff.GetDelay(i, first))</c>; a loop with a doubling
/// local → <c>var retryBackoff = new RetryBackoff(initial);</c> before it, <c>Task.Delay(retryBackoff.NextDelay())</c>
/// in it, and the local removed when nothing else reads it.</item>
/// </list>
/// No fix is offered when the runtime library is not referenced or the first delay cannot be kept.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RA0002RetryWithoutJitterCodeFix))]
[Shared]
public sealed class RA0002RetryWithoutJitterCodeFix : RetryDelayCodeFix
{
    /// <summary>The one action of this fix; stable across versions.</summary>
    public const string EquivalenceKey = "RA0002.AddJitter";

    /// <summary>Creates the fix.</summary>
    public RA0002RetryWithoutJitterCodeFix()
        : base(RuleIds.RetryWithoutJitter, DelayKind.Growing, EquivalenceKey)
    {
    }

    private protected override string Title(RetryShape shape) => shape == RetryShape.PollyV8Options
        ? "Add jitter (UseJitter = true)"
        : "Use jittered exponential backoff (RetryAnalyzers.Runtime)";
}
