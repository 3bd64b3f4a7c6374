using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Testing.Outages;

/// <summary>
/// One run of the outage matrix: a fresh clock scaled <c>scale</c>×, server and client; 12 agents started at once,
/// each making 5 calls in sequence (a POST with a JSON body of about 400 bytes), each call with its own deadline of
/// 10 minutes (scaled). A call completes on a 2xx and fails on any other status or an exception.
/// </summary>
public static class OutageRun
{
    public const int Agents = 12;

    public const int CallsPerAgent = 5;

    /// <summary>Each call's deadline (a token cancelled after it, on the scaled clock).</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromMinutes(10);

    private const double WarmUpScale = 50;

    private static readonly string Body = "{\"model\":\"outage-matrix\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + new string('x', 320) + "\"}],\"max_tokens\":16}";

    public static async Task<OutageResult> RunAsync(OutageScenario scenario, OutageStrategy strategy, double scale)
    {
        var clock = new ScaledTimeProvider(scale);
        using var server = new OutageServer(scenario, clock);
        using var client = OutageClient.Create(strategy, clock);
        var agents = Enumerable.Range(0, Agents).Select(_ => Task.Run(() => AgentAsync(client.Http, server.Url, clock))).ToArray();
        var calls = (await Task.WhenAll(agents).ConfigureAwait(false)).SelectMany(c => c).ToList();
        var job = clock.Elapsed.TotalSeconds;
        return new OutageResult(scenario, strategy, calls, server.Requests, server.RequestsDuringOutage, job);
    }

    /// <summary>
    /// Runs every strategy once through the workload with no outage and drops the results: the first run of a process
    /// pays for JIT compilation and the thread pool's growth, which on a scaled clock would move its calls against the
    /// outage window. Call it once before the measured runs (it takes about 0.3 s: its clock runs 50× faster).
    /// </summary>
    public static async Task WarmUpAsync()
    {
        var healthy = new OutageScenario(TimeSpan.Zero, OutageKind.Throttled);
        foreach (var strategy in Enum.GetValues<OutageStrategy>())
        {
            await RunAsync(healthy, strategy, WarmUpScale).ConfigureAwait(false);
        }
    }

    private static async Task<List<OutageCall>> AgentAsync(HttpClient http, string url, ScaledTimeProvider clock)
    {
        var calls = new List<OutageCall>(CallsPerAgent);
        for (var i = 0; i < CallsPerAgent; i++)
        {
            using var deadline = new CancellationTokenSource(Deadline, clock);
            var start = clock.Elapsed.TotalSeconds;
            string? failure;
            try
            {
                using var content = new StringContent(Body, Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(url + "v1/chat/completions", content, deadline.Token).ConfigureAwait(false);
                failure = response.IsSuccessStatusCode ? null : "HTTP " + (int)response.StatusCode;
            }
            catch (Exception e)
            {
                failure = e.GetType().Name;
            }

            calls.Add(new OutageCall(start, clock.Elapsed.TotalSeconds, failure));
        }

        return calls;
    }
}
