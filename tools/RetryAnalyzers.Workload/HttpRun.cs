using System;
using System.Globalization;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Workload;

/// <summary>
/// The same workload over real HTTP: the provider (<see cref="ProviderModel"/>: real 429s with <c>Retry-After</c>, and
/// <c>x-ratelimit-*</c> headers where the scenario sends them) on 127.0.0.1, and the same clients as the model
/// (<see cref="WorkloadClient"/>) over a real <see cref="HttpClientHandler"/>. Server and clients share one
/// <see cref="ScaledTimeProvider"/>: a 60 s window takes 3 s at 20×, and every time is reported in the provider's seconds.
/// The oracle row is the model's.
/// </summary>
public static class HttpRun
{
    public static async Task<RunResult> RunAsync(Scenario scenario, Strategy strategy, int seed, double scale)
    {
        if (strategy == Strategy.Oracle)
        {
            throw new ArgumentException("The oracle is computed by the model.", nameof(strategy));
        }

        var clock = new ScaledTimeProvider(scale);
        var origin = clock.GetUtcNow();
        var provider = new ProviderModel(scenario);
        var random = new Random(seed);
        var throttled = 0;
        using var server = new LoopbackServer(async (context, _) =>
        {
            var cost = long.Parse(context.Request.Headers[RateLimitedProvider.TokensHeader] ?? "1", CultureInfo.InvariantCulture);
            ProviderAnswer answer;
            lock (provider)
            {
                answer = provider.Answer((clock.GetUtcNow() - origin).TotalSeconds, cost, random);
            }

            await Task.Delay(TimeSpan.FromSeconds(answer.LatencySeconds), clock).ConfigureAwait(false);
            var response = context.Response;
            foreach (var (name, value) in answer.Headers)
            {
                response.Headers[name] = value;
            }

            if (!answer.Admitted)
            {
                Interlocked.Increment(ref throttled);
            }

            response.StatusCode = answer.Admitted ? 200 : 429;
            response.ContentType = "application/json";
            var body = System.Text.Encoding.UTF8.GetBytes(ProviderModel.Body(answer, cost));
            await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        });

        // A 5 % margin (the model's is 2 %): on a clock scaled 20×, 1 ms of scheduling jitter is 20 ms of provider time.
        using var client = WorkloadClient.Create(strategy, scenario, seed, clock, new HttpClientHandler(), margin: 0.95);
        var (makespan, p95) = await Agents.RunAsync(scenario, client, new Uri(server.Url + "v1/chat/completions"), clock).ConfigureAwait(false);
        double recovery;
        lock (provider)
        {
            recovery = provider.RecoverySeconds();
        }

        return new RunResult(strategy, makespan, p95, server.Requests, Volatile.Read(ref throttled), scenario.Calls, recovery);
    }
}
