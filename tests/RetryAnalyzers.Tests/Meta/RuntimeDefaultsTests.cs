using System;
using Polly;
using Polly.Retry;
using RetryAnalyzers.CodeFixes;
using RetryAnalyzers.Internal;
using RetryAnalyzers.Rules;
using RetryAnalyzers.Runtime;

namespace RetryAnalyzers.Tests.Meta;

/// <summary>
/// The analyzers never reference Polly or the runtime, so they carry copies of a few of their defaults. Each copy is
/// pinned here to the real value: a change on either side fails this test instead of a message or a fix going wrong.
/// </summary>
public sealed class RuntimeDefaultsTests
{
    [Fact]
    public void FixCap_IsTheRuntimesDefaultMaxDelay()
        => Assert.Equal(RetryRewriter.DefaultCapMilliseconds, JitteredBackoff.DefaultMaxDelay.TotalMilliseconds);

    [Fact]
    public void FixLimit_IsTheRuntimesLargestDelayOption()
    {
        Assert.Null(Record.Exception(() => new JitteredBackoffOptions { BaseDelay = TimeSpan.FromMilliseconds(GrowingDelay.MaxDelayMilliseconds), MaxDelay = TimeSpan.FromMilliseconds(GrowingDelay.MaxDelayMilliseconds) }.Validate()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new JitteredBackoffOptions { BaseDelay = TimeSpan.FromMilliseconds(GrowingDelay.MaxDelayMilliseconds + 1), MaxDelay = TimeSpan.FromDays(2) }.Validate());
    }

    [Fact]
    public void FanOutFixConcurrency_IsTheRuntimesDefault()
        => Assert.Equal(RA0004UnboundedFanOutAnalyzer.DefaultMaxConcurrency, BoundedFanOut.DefaultMaxConcurrency);

    [Fact]
    public void PollyDefaults_AreWhatTheAnalyzerAssumes()
    {
        var options = new RetryStrategyOptions();
        Assert.Equal(PollyV8RetryOptions.PollyDefaultDelayMilliseconds, options.Delay.TotalMilliseconds);
        Assert.Equal(DelayBackoffType.Constant, options.BackoffType); // RA0001 reports Polly's default as a constant delay
        Assert.False(options.UseJitter);
        Assert.Null(options.DelayGenerator);
    }

    [Fact]
    public void BackoffValues_ArePollysEnumValues()
    {
        Assert.Equal((int)DelayBackoffType.Constant, (int)PollyV8RetryOptions.Backoff.Constant);
        Assert.Equal((int)DelayBackoffType.Linear, (int)PollyV8RetryOptions.Backoff.Linear);
        Assert.Equal((int)DelayBackoffType.Exponential, (int)PollyV8RetryOptions.Backoff.Exponential);
    }
}
