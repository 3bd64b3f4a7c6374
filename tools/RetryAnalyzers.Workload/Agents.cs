using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Workload;

/// <summary>
/// The agents of a scenario: each makes its calls one after the other through the strategy's client; a call the
/// client gave up on (its retries spent, its breaker open, its total timeout) is sent again after 1 s, as an
/// application would, until it is answered. Times are read on the run's clock.
/// </summary>
public static class Agents
{
    /// <summary>Runs every agent to the end; the provider counts the attempts and 429s.</summary>
    public static async Task<(double Makespan, double P95)> RunAsync(Scenario scenario, WorkloadClient client, Uri url, TimeProvider clock)
    {
        var origin = clock.GetUtcNow();
        double Now() => (clock.GetUtcNow() - origin).TotalSeconds;
        var latencies = new List<double>();
        var agents = Enumerable.Range(0, scenario.Agents).Select(async _ =>
        {
            await Task.Yield(); // every agent starts as its own work item, as a fan-out's would
            for (var call = 0; call < scenario.CallsPerAgent; call++)
            {
                var start = Now();
                while (!await CallAsync(client, url, scenario.TokensPerCall).ConfigureAwait(false))
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), clock).ConfigureAwait(false);
                }

                lock (latencies)
                {
                    latencies.Add(Now() - start);
                }
            }
        }).ToArray();
        await Task.WhenAll(agents).ConfigureAwait(false);
        var makespan = Now();
        var sorted = latencies.OrderBy(l => l).ToList();
        return (makespan, sorted[(int)Math.Ceiling(0.95 * sorted.Count) - 1]);
    }

    private static async Task<bool> CallAsync(WorkloadClient client, Uri url, long tokens)
    {
        try
        {
            using var response = await client.Retry.ExecuteAsync(
                async ct =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("{}") };
                    request.Headers.Add(RateLimitedProvider.TokensHeader, tokens.ToString(CultureInfo.InvariantCulture));
                    return await client.Http.SendAsync(request, ct).ConfigureAwait(false);
                }).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException or Polly.RateLimiting.RateLimiterRejectedException or HttpRequestException)
        {
            return false; // the client gave up on this call: the application sends it again
        }
    }
}
