using System.Linq;
using RetryAnalyzers.Workload;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>
/// The seed workload in the deterministic model (virtual clock, seeded): the ordering the model guarantees, in counts,
/// not absolute times.
/// </summary>
public sealed class WorkloadModelTests
{
    public static TheoryData<string> Scenarios() => new() { "reference", "seven", "rolling" };

    private static Scenario Named(string name) => name switch
    {
        "reference" => Scenario.Reference,
        "seven" => Scenario.SevenAgents,
        _ => Scenario.ReferenceRolling,
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void TheLibrary_MakesFewerAttemptsThanEveryRetryOnlyStrategy_AndNo429(string scenario)
    {
        for (var seed = 1; seed <= 3; seed++)
        {
            var runs = System.Enum.GetValues<Strategy>().ToDictionary(s => s, s => Simulation.Run(Named(scenario), s, seed));
            var library = runs[Strategy.RuntimeLibrary];

            Assert.Equal(0, library.Throttled);
            Assert.Equal(library.Calls, library.Attempts); // amplification 1.00: no call is sent twice
            Assert.True(library.Attempts < runs[Strategy.FixedDelay].Attempts, $"seed {seed}: {library.Attempts} vs fixed {runs[Strategy.FixedDelay].Attempts}");
            Assert.True(library.Attempts < runs[Strategy.ExponentialNoJitter].Attempts);
            Assert.True(library.Attempts < runs[Strategy.JitteredExponential].Attempts);
            Assert.True(runs[Strategy.FixedDelay].Attempts > runs[Strategy.JitteredExponential].Attempts, "fixed 1 s retries hammer the provider the most");
        }
    }

    [Fact]
    public void TheModel_IsDeterministic()
    {
        var first = Simulation.Run(Scenario.Reference, Strategy.JitteredExponential, seed: 7);
        var second = Simulation.Run(Scenario.Reference, Strategy.JitteredExponential, seed: 7);
        Assert.Equal(first, second);
        Assert.NotEqual(first, Simulation.Run(Scenario.Reference, Strategy.JitteredExponential, seed: 8));
    }
}
