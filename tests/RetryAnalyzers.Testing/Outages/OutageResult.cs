using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace RetryAnalyzers.Testing.Outages;

/// <summary>One row of the matrix, counted by the server and the agents only. Times are scaled-clock seconds.</summary>
/// <param name="Scenario">The outage.</param>
/// <param name="Strategy">The client.</param>
/// <param name="Calls">Every call, as its agent saw it.</param>
/// <param name="Requests">Requests the server received in all.</param>
/// <param name="RequestsDuringOutage">Requests the server received while the outage was active.</param>
/// <param name="JobSeconds">From the start until the last agent finished.</param>
public sealed record OutageResult(OutageScenario Scenario, OutageStrategy Strategy, IReadOnlyList<OutageCall> Calls, int Requests, int RequestsDuringOutage, double JobSeconds)
{
    public int Completed => Calls.Count(c => c.Completed);

    public int Failed => Calls.Count - Completed;

    public double CompletedPercent => 100.0 * Completed / Calls.Count;

    /// <summary>Calls running at some moment inside the outage: started before its end, finished after its start.</summary>
    public int CallsDuringOutage
        => Calls.Count(c => c.Start < Scenario.End.TotalSeconds && c.End > OutageScenario.Start.TotalSeconds);

    public double RequestsPerCallDuringOutage => CallsDuringOutage == 0 ? 0 : (double)RequestsDuringOutage / CallsDuringOutage;

    /// <summary>The 95th percentile of all calls' latencies, completed or failed (nearest rank).</summary>
    public double P95Seconds
    {
        get
        {
            var sorted = Calls.Select(c => c.Latency).OrderBy(l => l).ToList();
            return sorted[(int)Math.Ceiling(0.95 * sorted.Count) - 1];
        }
    }

    /// <summary>e.g. <c>12 × HTTP 503, 3 × TaskCanceledException</c>, most first; <c>–</c> when nothing failed.</summary>
    public string FailureKinds
    {
        get
        {
            var kinds = Calls.Where(c => !c.Completed)
                .GroupBy(c => c.Failure)
                .OrderByDescending(g => g.Count())
                .ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => g.Count().ToString(CultureInfo.InvariantCulture) + " × " + g.Key)
                .ToList();
            return kinds.Count == 0 ? "–" : string.Join(", ", kinds);
        }
    }
}
