using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using RetryAnalyzers.Runtime;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Workload;

/// <summary>
/// The same workload over real HTTP: a provider simulator on 127.0.0.1 (the model's admission rules, real 429s with
/// <c>retry-after-ms</c>, <c>Retry-After</c> and <c>x-ratelimit-*</c> headers, latency per call) and real clients — Polly
/// v8 pipelines for the three retry strategies, the library's <see cref="ProviderResilienceHandler"/> with a shared
/// <see cref="TokenBudget"/> for the fourth. Every duration is divided by <c>scale</c> (a 60 s window takes 3 s at 20×);
/// results are reported back in model seconds. The oracle row is the model's (a schedule computed from the limit).
/// </summary>
public static class HttpRun
{
    public static async Task<RunResult> RunAsync(Scenario scenario, Strategy strategy, int seed, double scale)
    {
        if (strategy == Strategy.Oracle)
        {
            return Simulation.Run(scenario, strategy, seed);
        }

        var clock = Stopwatch.StartNew();
        double Now() => clock.Elapsed.TotalSeconds * scale;
        var provider = new ProviderModel(scenario);
        var random = new Random(seed);
        var throttled = 0;
        using var server = new LoopbackServer(async (context, _) =>
        {
            var cost = long.Parse(context.Request.Headers[RateLimitedProvider.TokensHeader] ?? "1", CultureInfo.InvariantCulture);
            bool admitted;
            int retryAfterSeconds;
            double wait;
            double latency;
            long remaining;
            lock (provider)
            {
                admitted = provider.TryAdmit(Now(), cost, out retryAfterSeconds);
                wait = provider.WaitUntilAdmissible(Now(), cost);
                remaining = provider.Remaining;
                latency = admitted
                    ? scenario.MedianLatencySeconds * Math.Exp(scenario.LatencySigma * Simulation.Gaussian(random))
                    : 0.05 + (0.1 * random.NextDouble());
            }

            var response = context.Response;
            // Per real minute: the clock runs `scale` times faster, so the limit a client learns is `scale` times larger.
            response.Headers["x-ratelimit-limit-tokens"] = ((long)(scenario.LimitPerMinute * scale)).ToString(CultureInfo.InvariantCulture);
            response.Headers["x-ratelimit-remaining-tokens"] = remaining.ToString(CultureInfo.InvariantCulture);
            response.Headers["x-ratelimit-reset-tokens"] = ((long)Math.Ceiling(wait * 1000 / scale)).ToString(CultureInfo.InvariantCulture) + "ms";
            await Task.Delay(TimeSpan.FromSeconds(latency / scale)).ConfigureAwait(false);
            if (!admitted)
            {
                Interlocked.Increment(ref throttled);
                response.StatusCode = 429;
                response.Headers["retry-after-ms"] = ((long)Math.Ceiling(wait * 1000 / scale)).ToString(CultureInfo.InvariantCulture);
                response.Headers["Retry-After"] = ((long)Math.Ceiling(retryAfterSeconds / scale)).ToString(CultureInfo.InvariantCulture);
                return;
            }

            response.StatusCode = 200;
        });

        using var http = Client(strategy, scenario, scale, seed, out var budget);
        http.DefaultRequestHeaders.Add(RateLimitedProvider.TokensHeader, scenario.TokensPerCall.ToString(CultureInfo.InvariantCulture));
        var latencies = new List<double>();
        var pipeline = RetryPipeline(strategy, scale, seed);
        var agents = Enumerable.Range(0, scenario.Agents).Select(_ => Task.Run(async () =>
        {
            for (var call = 0; call < scenario.CallsPerAgent; call++)
            {
                var start = Now();
                while (true)
                {
                    try
                    {
                        using var response = await pipeline.ExecuteAsync(
                            async ct =>
                            {
                                return await http.PostAsync(server.Url + "v1/chat/completions", new StringContent("{}"), ct).ConfigureAwait(false);
                            }).ConfigureAwait(false);
                        if (response.IsSuccessStatusCode)
                        {
                            break;
                        }
                    }
                    catch (BrokenCircuitException)
                    {
                        // The library's breaker opened: the agent waits the break and sends the call again.
                        await Task.Delay(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                    }
                }

                lock (latencies)
                {
                    latencies.Add(Now() - start);
                }
            }
        })).ToArray();
        await Task.WhenAll(agents).ConfigureAwait(false);
        var makespan = Now();
        budget?.Dispose();
        var sorted = latencies.OrderBy(l => l).ToList();
        // Attempts as the provider saw them (the library retries inside its handler, out of the caller's sight).
        return new RunResult(strategy, makespan, sorted[(int)Math.Ceiling(0.95 * sorted.Count) - 1], server.Requests, throttled, scenario.Calls);
    }

    // The runtime library retries inside its handler; the others retry with a Polly pipeline around a plain client.
    private static HttpClient Client(Strategy strategy, Scenario scenario, double scale, int seed, out TokenBudget? budget)
    {
        budget = null;
        if (strategy != Strategy.RuntimeLibrary)
        {
            return new HttpClient();
        }

        // A 5 % margin (the model uses 2 %): on a clock scaled 20×, 1 ms of scheduling jitter is 20 ms of provider time.
        budget = new TokenBudget(scenario.BudgetOptions(margin: 0.95, scale));
        var random = new Random(seed);
        var handler = new ProviderResilienceHandler(
            new ProviderResilienceOptions
            {
                Budget = budget,
                BaseDelay = TimeSpan.FromSeconds(1 / scale),
                MaxDelay = TimeSpan.FromSeconds(60 / scale),
                MaxRetryAttempts = 100,
                Randomizer = random.NextDouble,
            },
            _ => scenario.TokensPerCall)
        { InnerHandler = new HttpClientHandler() };
        return new HttpClient(handler);
    }

    private static ResiliencePipeline<HttpResponseMessage> RetryPipeline(Strategy strategy, double scale, int seed)
    {
        if (strategy == Strategy.RuntimeLibrary)
        {
            return ResiliencePipeline<HttpResponseMessage>.Empty;
        }

        var jitter = new JitteredBackoffOptions { BaseDelay = TimeSpan.FromSeconds(1 / scale), MaxDelay = TimeSpan.FromSeconds(60 / scale), Randomizer = new Random(seed).NextDouble };
        return new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = 1_000,
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests),
                DelayGenerator = args => new ValueTask<TimeSpan?>(strategy switch
                {
                    Strategy.FixedDelay => TimeSpan.FromSeconds(1 / scale),
                    Strategy.ExponentialNoJitter => TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, args.AttemptNumber)) / scale),
                    _ => JitteredBackoff.GetDelay(args.AttemptNumber, jitter),
                }),
            })
            .Build();
    }
}
