using System;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;
using RetryAnalyzers.Runtime;

namespace RetryAnalyzers.Workload;

/// <summary>
/// One strategy's client as a user would build it, over a given transport (the in-memory provider of the model, or a
/// real <see cref="HttpClientHandler"/> in the HTTP mode), every delay, timeout and breaker on the run's clock and every
/// random draw seeded: the three retry-only strategies as a Polly v8 retry pipeline around the call, the standard
/// resilience handler through <c>IHttpClientFactory</c> with its defaults, the library as a
/// <see cref="ProviderResilienceHandler"/> with one shared <see cref="TokenBudget"/> and otherwise default options.
/// </summary>
public sealed class WorkloadClient : IDisposable
{
    private const string Name = "provider";
    private readonly IDisposable? _owned;

    private WorkloadClient(HttpClient http, ResiliencePipeline<HttpResponseMessage> retry, IDisposable? owned)
    {
        Http = http;
        Http.Timeout = Timeout.InfiniteTimeSpan; // HttpClient's own timeout runs on the real clock: the strategies' run on the run's
        Retry = retry;
        _owned = owned;
    }

    /// <summary>The client the agents call.</summary>
    public HttpClient Http { get; }

    /// <summary>The retry around each call (empty when the client retries inside).</summary>
    public ResiliencePipeline<HttpResponseMessage> Retry { get; }

    /// <summary>The strategy's client for <paramref name="scenario"/> over <paramref name="transport"/>.</summary>
    /// <param name="margin">The share of the key's limit the library's budget is sized to, when it is configured.</param>
    public static WorkloadClient Create(Strategy strategy, Scenario scenario, int seed, TimeProvider clock, HttpMessageHandler transport, double margin)
    {
        var random = new Random((seed * 7919) + (int)strategy);
        switch (strategy)
        {
            case Strategy.RuntimeLibrary:
                var options = scenario.BudgetOptions(margin);
                options.TimeProvider = clock;
                var budget = new TokenBudget(options);
                var handler = new ProviderResilienceHandler(
                    new ProviderResilienceOptions { Budget = budget, TimeProvider = clock, Randomizer = random.NextDouble },
                    _ => scenario.TokensPerCall)
                { InnerHandler = transport };
                return new WorkloadClient(new HttpClient(handler), ResiliencePipeline<HttpResponseMessage>.Empty, budget);
            case Strategy.StandardHandler:
                var services = new ServiceCollection();
                services.AddSingleton(clock);
                services.AddHttpClient(Name)
                    .ConfigurePrimaryHttpMessageHandler(() => transport)
                    .AddStandardResilienceHandler(o => o.Retry.Randomizer = random.NextDouble); // the defaults; only the jitter is seeded
                var provider = services.BuildServiceProvider();
                return new WorkloadClient(provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name), ResiliencePipeline<HttpResponseMessage>.Empty, provider);
            default:
                return new WorkloadClient(new HttpClient(transport), RetryOnly(strategy, clock, random), null);
        }
    }

    public void Dispose()
    {
        Http.Dispose();
        _owned?.Dispose();
    }

    // Polly v8 retry on 429, as the retry-only strategies are written: Retry-After not read.
    private static ResiliencePipeline<HttpResponseMessage> RetryOnly(Strategy strategy, TimeProvider clock, Random random)
    {
        if (strategy == Strategy.Oracle)
        {
            return ResiliencePipeline<HttpResponseMessage>.Empty;
        }

        var jitter = new JitteredBackoffOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(60), Randomizer = random.NextDouble };
        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = 1_000,
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests),
                DelayGenerator = args => new ValueTask<TimeSpan?>(strategy switch
                {
                    Strategy.FixedDelay => TimeSpan.FromSeconds(1),
                    Strategy.ExponentialNoJitter => TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, args.AttemptNumber))),
                    _ => JitteredBackoff.GetDelay(args.AttemptNumber, jitter),
                }),
            })
            .Build();
    }
}
