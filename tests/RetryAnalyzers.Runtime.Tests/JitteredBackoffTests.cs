using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>The statistical shape of the backoff over many draws, and its validation. No test rests on one sample.</summary>
public sealed class JitteredBackoffTests
{
    private const int Draws = 1_000;
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Uncapped = TimeSpan.FromDays(1);

    private static double[] Sample(int attempt, TimeSpan maxDelay, int seed = 42)
    {
        var random = new Random(seed);
        var options = new JitteredBackoffOptions { BaseDelay = Base, MaxDelay = maxDelay, Randomizer = random.NextDouble };
        return Enumerable.Range(0, Draws).Select(_ => JitteredBackoff.GetDelay(attempt, options).TotalMilliseconds).ToArray();
    }

    private static double Median(double[] values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return (sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]) / 2;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    public void GetDelay_StaysWithinTheFormulasBounds(int attempt)
    {
        var delays = Sample(attempt, Uncapped);

        // (g(a+U1) - g(a-1+U2)) / 1.4 · base, with g(t) = 2^t·tanh(√(4t)) ≤ 2^t: in [0, base · 2^(a+1) / 1.4].
        var upper = Base.TotalMilliseconds * Math.Pow(2, attempt + 1) / 1.4;
        Assert.All(delays, d => Assert.InRange(d, 0, upper));
        if (attempt > 0)
        {
            Assert.All(delays, d => Assert.True(d > 0, "a later retry never waits zero"));
        }
    }

    [Fact]
    public void GetDelay_FirstMedianIsNearTheBaseDelay_AndMediansDoubleEachAttempt()
    {
        var medians = Enumerable.Range(0, 6).Select(a => Median(Sample(a, Uncapped, seed: a))).ToArray();

        // The V2 curve's medians are about 0.9, 1.14, 2, 4, 8, 16 × base: tanh damps the first step, then it doubles.
        Assert.InRange(medians[0], 0.8 * Base.TotalMilliseconds, 1.0 * Base.TotalMilliseconds);
        Assert.InRange(medians[1] / medians[0], 1.1, 1.5);
        for (var a = 2; a < medians.Length; a++)
        {
            Assert.InRange(medians[a] / medians[a - 1], 1.6, 2.4);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(5)]
    public void GetDelay_SpreadsCallersOut(int attempt)
    {
        var delays = Sample(attempt, Uncapped);
        var mean = delays.Average();
        var deviation = Math.Sqrt(delays.Sum(d => (d - mean) * (d - mean)) / delays.Length);

        Assert.True(deviation / mean > 0.2, $"coefficient of variation {deviation / mean:0.000} too small: callers would stay in lockstep");
        Assert.True(delays.Distinct().Count() > 0.95 * Draws, "delays repeat");

        // No more than a tenth of the callers land in any 10% slice of the range (no spike).
        var max = delays.Max();
        var buckets = delays.GroupBy(d => (int)Math.Min(9, d / max * 10)).Max(g => g.Count());
        Assert.True(buckets < 0.35 * Draws, $"{buckets} of {Draws} delays fall into one tenth of the range");
    }

    [Fact]
    public void GetDelay_IsCappedByMaxDelay()
    {
        var cap = TimeSpan.FromSeconds(5);
        var delays = Sample(attempt: 12, cap);

        Assert.All(delays, d => Assert.True(d <= cap.TotalMilliseconds));
        Assert.True(delays.Count(d => d == cap.TotalMilliseconds) > Draws / 2, "late attempts sit at the cap");
        Assert.Equal(TimeSpan.FromSeconds(30), JitteredBackoff.DefaultMaxDelay);
        Assert.All(Enumerable.Range(0, 200), _ => Assert.True(JitteredBackoff.GetDelay(20, Base) <= JitteredBackoff.DefaultMaxDelay));
    }

    [Fact]
    public void GetDelay_WithAFixedRandomizer_FollowsTheFormula()
    {
        var options = new JitteredBackoffOptions { BaseDelay = Base, MaxDelay = Uncapped, Randomizer = () => 0.5 };
        static double G(double t) => Math.Pow(2, t) * Math.Tanh(Math.Sqrt(4 * t));

        Assert.Equal(G(0.5) / 1.4 * 1000, JitteredBackoff.GetDelay(0, options).TotalMilliseconds, precision: 3);
        Assert.Equal((G(3.5) - G(2.5)) / 1.4 * 1000, JitteredBackoff.GetDelay(3, options).TotalMilliseconds, precision: 3);
    }

    [Fact]
    public void Delays_YieldsRetryCountDelays_FreshOnEveryEnumeration_WithATelescopingTotal()
    {
        var delays = JitteredBackoff.Delays(Base, retryCount: 5, maxDelay: Uncapped);

        var first = delays.ToArray();
        var second = delays.ToArray();
        Assert.Equal(5, first.Length);
        Assert.NotEqual(first, second);

        // The sum telescopes to g(n-1+U)/1.4·base ≤ base·2^n/1.4, below plain exponential's base·(2^n - 1).
        var totals = Enumerable.Range(0, Draws).Select(_ => delays.Sum(d => d.TotalMilliseconds)).ToArray();
        Assert.All(totals, total => Assert.True(total <= Base.TotalMilliseconds * Math.Pow(2, 5) / 1.4));
        Assert.Empty(JitteredBackoff.Delays(Base, retryCount: 0));
    }

    [Fact]
    public void Delays_GrowAcrossTheSequence()
    {
        var sequences = Enumerable.Range(0, Draws).Select(_ => JitteredBackoff.Delays(Base, 6, Uncapped).Select(d => d.TotalMilliseconds).ToArray()).ToArray();
        var medians = Enumerable.Range(0, 6).Select(i => Median(sequences.Select(s => s[i]).ToArray())).ToArray();
        for (var i = 1; i < medians.Length; i++)
        {
            var factor = i == 1 ? 1.1 : 1.6;
            Assert.True(medians[i] > medians[i - 1] * factor, $"median of retry {i} ({medians[i]:0}) does not grow from {medians[i - 1]:0}");
        }
    }

    [Fact]
    public void RetryBackoff_HandsOutTheSequence_AndResets()
    {
        var backoff = new RetryBackoff(new JitteredBackoffOptions { BaseDelay = Base, MaxDelay = Uncapped, Randomizer = () => 0.5 });
        var delays = Enumerable.Range(0, 4).Select(_ => backoff.NextDelay()).ToArray();

        Assert.Equal(4, backoff.Attempt);
        Assert.True(delays.Zip(delays.Skip(1), (a, b) => b > a).All(x => x));
        backoff.Reset();
        Assert.Equal(0, backoff.Attempt);
        Assert.Equal(delays[0], backoff.NextDelay());
    }

    [Fact]
    public void RetryBackoff_WithACap_NeverWaitsLonger()
    {
        var cap = TimeSpan.FromMilliseconds(800);
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(100), cap);
        var delays = Enumerable.Range(0, 200).Select(_ => backoff.NextDelay()).ToArray();

        Assert.All(delays, delay => Assert.InRange(delay, TimeSpan.Zero, cap));
        Assert.Contains(delays.Skip(20), delay => delay > TimeSpan.FromMilliseconds(400)); // it does grow towards the cap
    }

    [Fact]
    public async Task DelayAsync_WaitsOnTheInjectedClock()
    {
        var clock = new FakeTimeProvider();
        var options = new JitteredBackoffOptions { BaseDelay = Base, Randomizer = () => 0.5, TimeProvider = clock };
        var expected = JitteredBackoff.GetDelay(0, options);

        var wait = JitteredBackoff.DelayAsync(0, options);
        clock.Advance(expected - TimeSpan.FromMilliseconds(1));
        Assert.False(wait.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await wait.WaitAsync(TimeSpan.FromSeconds(5));

        var backoff = new RetryBackoff(options);
        var next = backoff.DelayAsync();
        clock.Advance(expected);
        await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, backoff.Attempt);
    }

    [Fact]
    public async Task DelayAsync_HonoursCancellation()
    {
        using var cancellation = new CancellationTokenSource();
        var wait = JitteredBackoff.DelayAsync(0, new JitteredBackoffOptions { TimeProvider = new FakeTimeProvider() }, cancellation.Token);
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }

    public static TheoryData<Action, string> InvalidInputs() => new()
    {
        { () => JitteredBackoff.GetDelay(0, TimeSpan.Zero), "BaseDelay" },
        { () => JitteredBackoff.GetDelay(0, TimeSpan.FromSeconds(-1)), "BaseDelay" },
        { () => JitteredBackoff.GetDelay(0, TimeSpan.FromDays(2)), "BaseDelay" },
        { () => JitteredBackoff.GetDelay(0, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)), "MaxDelay" },
        { () => JitteredBackoff.GetDelay(-1, Base), "attempt" },
        { () => JitteredBackoff.Delays(Base, -1), "retryCount" },
        { () => _ = new RetryBackoff(new JitteredBackoffOptions { MaxDelay = TimeSpan.Zero }), "MaxDelay" },
        { () => _ = new RetryBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)), "MaxDelay" },
    };

    [Theory]
    [MemberData(nameof(InvalidInputs))]
    public void InvalidOptions_ThrowAtConfiguration_NamingTheOption(Action configure, string option)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(configure);
        Assert.Equal(option, error.ParamName);
        Assert.Contains(option, error.Message);
    }

    [Fact]
    public void ARandomizerOutOfRange_IsReportedByName()
    {
        var options = new JitteredBackoffOptions { Randomizer = () => 1.0 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => JitteredBackoff.GetDelay(0, options));
        Assert.Contains("Randomizer", error.Message);
    }
}
