using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using RetryAnalyzers.Testing.Outages;

namespace RetryAnalyzers.Outages;

/// <summary>The markdown of the outage matrix: an intro, then one section and table per outage.</summary>
public static class OutageReport
{
    public const string Command = "dotnet run -c Release --project tools/RetryAnalyzers.Outages";

    public static string Markdown(IReadOnlyList<IReadOnlyList<OutageResult>> sections, double scale)
    {
        var text = new StringBuilder()
            .AppendLine("# Outages: strategies side by side")
            .AppendLine()
            .AppendLine(Invariant($"{OutageRun.Agents} agents, started at once, each make {OutageRun.CallsPerAgent} calls in sequence ({OutageRun.Agents * OutageRun.CallsPerAgent} in all): a POST with a JSON body of about 400 bytes to a real HTTP server on 127.0.0.1, each call with its own deadline of {OutageRun.Deadline.TotalMinutes:0} minutes (a cancelled token). A call completes on a 2xx and fails on any other status or an exception."))
            .AppendLine(Invariant($"The server answers 200 after {OutageServer.Latency.TotalSeconds:0.###} s; from {OutageScenario.Start.TotalSeconds:0.0} s after the start (every agent has a call in flight) and for the outage's length it answers, after {OutageServer.OutageLatency.TotalMilliseconds:0} ms, 429 with `Retry-After: 1` or 503 without Retry-After (a request still waiting for its answer when the outage starts gets the outage answer too)."))
            .AppendLine("Each strategy gets a fresh client, handler and server, the same workload, one after another. Everything is counted by the server and the agents, nothing is read from a library. Every client has `HttpClient.Timeout` = infinite (the deadline token ends a call).")
            .AppendLine();
        foreach (var strategy in Enum.GetValues<OutageStrategy>())
        {
            text.AppendLine("- **" + OutageClient.Label(strategy) + "**: " + OutageClient.Description(strategy) + ".");
        }

        text.AppendLine()
            .AppendLine(Invariant($"The clock is scaled {scale}× (server latency, outage window, deadlines, every library's delays, timeouts and breakers run on one `TimeProvider` that runs {scale} times faster): **all times are scaled-clock seconds**. Re-run with `{Command}` (`-- --scale N`, `--only <part of a section title>`, `--out <path>`)."))
            .AppendLine()
            .AppendLine("Columns: *Requests during the outage* — received by the server while the outage was active; *Calls during the outage* — calls running at some moment inside it; their ratio is *Requests per call during the outage*; *p95 call latency* — over all 60 calls, completed or failed; *Job time* — until the last agent finished.")
            .AppendLine();
        foreach (var rows in sections)
        {
            text.AppendLine("## " + rows[0].Scenario.Title).AppendLine().Append(Table(rows)).AppendLine();
        }

        return text.ToString();
    }

    public static string Table(IReadOnlyList<OutageResult> rows)
    {
        var longOutage = rows[0].Scenario.IsLong;
        var text = new StringBuilder()
            .Append("| Strategy | Completed | Failed | Failure kinds | Requests during the outage | Calls during the outage | Requests per call during the outage | Requests in total | Job time (s) | p95 call latency (s) |")
            .AppendLine(longOutage ? " Completed % |" : string.Empty)
            .Append("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
            .AppendLine(longOutage ? " ---: |" : string.Empty);
        foreach (var row in rows)
        {
            text.Append(Invariant($"| {OutageClient.Label(row.Strategy)} | {row.Completed} | {row.Failed} | {row.FailureKinds} | {row.RequestsDuringOutage} | {row.CallsDuringOutage} | {row.RequestsPerCallDuringOutage:0.00} | {row.Requests} | {row.JobSeconds:0.0} | {row.P95Seconds:0.0} |"))
                .AppendLine(longOutage ? Invariant($" {row.CompletedPercent:0.#} % |") : string.Empty);
        }

        return text.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
