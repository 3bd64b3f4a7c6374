using System;
using System.Globalization;
using System.Threading.Tasks;
using RetryAnalyzers.Testing.Outages;
using Xunit.Abstractions;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>
/// The short version of tools/RetryAnalyzers.Outages: the 3 s blip of 429 (Retry-After: 1) over real HTTP on a clock
/// scaled 5× (about 3 s of real time), the shared ProviderResilienceHandler beside a plain Polly retry.
/// </summary>
public sealed class OutageTests
{
    private const double Scale = 5;

    private readonly ITestOutputHelper _output;

    public OutageTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task AThreeSecondBlipOf429_OursCompletesEveryCall_AtLeastAsManyAsPolly_WithAtMost1Point1RequestsPerCallInTheOutage()
    {
        var blip = new OutageScenario(TimeSpan.FromSeconds(3), OutageKind.Throttled);

        await OutageRun.WarmUpAsync();
        var ours = await OutageRun.RunAsync(blip, OutageStrategy.RuntimeHandler, Scale);
        var polly = await OutageRun.RunAsync(blip, OutageStrategy.PollyRetry, Scale);

        foreach (var row in new[] { ours, polly })
        {
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{OutageClient.Label(row.Strategy)}: {row.Completed} completed, {row.FailureKinds}, {row.RequestsDuringOutage} requests / {row.CallsDuringOutage} calls during the outage, {row.Requests} requests"));
        }

        Assert.Equal(OutageRun.Agents * OutageRun.CallsPerAgent, ours.Completed);
        Assert.True(ours.Completed >= polly.Completed, $"ours completed {ours.Completed}, Polly {polly.Completed}");
        Assert.True(ours.RequestsPerCallDuringOutage <= 1.1, $"ours sent {ours.RequestsDuringOutage} requests for {ours.CallsDuringOutage} calls during the outage");
    }
}
