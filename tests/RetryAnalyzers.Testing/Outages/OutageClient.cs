using System;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.Retry;
using RetryAnalyzers.Runtime;

namespace RetryAnalyzers.Testing.Outages;

/// <summary>
/// A fresh client for one run of the matrix, on the run's scaled clock, with no <see cref="HttpClient.Timeout"/> (each
/// call's deadline token ends it). Disposing it disposes what it built (the budget, the service provider).
/// </summary>
public sealed class OutageClient : IDisposable
{
    private const string Name = "outage";

    private readonly IDisposable? _owned;

    private OutageClient(HttpClient http, IDisposable? owned)
    {
        Http = http;
        Http.Timeout = Timeout.InfiniteTimeSpan;
        _owned = owned;
    }

    public HttpClient Http { get; }

    /// <summary>The row name in the report (ours starts with <c>RetryAnalyzers.Runtime</c>).</summary>
    public static string Label(OutageStrategy strategy) => strategy switch
    {
        OutageStrategy.RuntimeHandler => "RetryAnalyzers.Runtime ProviderResilienceHandler (shared)",
        OutageStrategy.StandardResilienceHandler => "Microsoft.Extensions.Http.Resilience AddStandardResilienceHandler()",
        OutageStrategy.PollyRetry => "Polly v8 retry (exponential + jitter, 3 retries)",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, null),
    };

    /// <summary>How the row's client is configured, for the report.</summary>
    public static string Description(OutageStrategy strategy) => strategy switch
    {
        OutageStrategy.RuntimeHandler => "one handler shared by all 12 agents, default options but a `TokenBudget` of 100M tokens/min (never limits), `TimeProvider` = the scaled clock, and the default `RetryBudget` (10 % of calls + 1/s, 20 banked) built on the scaled clock too",
        OutageStrategy.StandardResilienceHandler => "the defaults, through `IServiceCollection` + `IHttpClientFactory`, the scaled clock registered as the `TimeProvider` singleton (checked: its retries, timeouts and breaker run on the pipeline builder's clock, which is it — against a server that answers after 3 s of real time, at 10× the handler gave up with `TimeoutRejectedException` after 3 attempts and 3.1 s of real time, its 30 s total timeout)",
        OutageStrategy.PollyRetry => "`ResiliencePipeline<HttpResponseMessage>`: `RetryStrategyOptions` with 3 retries, exponential, jitter, 2 s, on 408/429/5xx or `HttpRequestException`, Retry-After not read, the builder's `TimeProvider` = the scaled clock; in a `DelegatingHandler`",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, null),
    };

    public static OutageClient Create(OutageStrategy strategy, TimeProvider clock) => strategy switch
    {
        OutageStrategy.RuntimeHandler => Runtime(clock),
        OutageStrategy.StandardResilienceHandler => Standard(clock),
        OutageStrategy.PollyRetry => new OutageClient(new HttpClient(new PollyRetryHandler(PollyRetry(clock), new HttpClientHandler())), null),
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, null),
    };

    public void Dispose()
    {
        Http.Dispose();
        _owned?.Dispose();
    }

    // One handler for all agents; a token budget so large it never limits; the other options default, on the scaled
    // clock (the default retry budget's, refilled per second, too).
    private static OutageClient Runtime(TimeProvider clock)
    {
        var budgetOptions = TokenBudgetOptions.PerMinute(100_000_000);
        budgetOptions.TimeProvider = clock;
        var budget = new TokenBudget(budgetOptions);
        var options = new ProviderResilienceOptions
        {
            Budget = budget,
            RetryBudget = new RetryBudget(RetryBudget.DefaultRetryRatio, RetryBudget.DefaultMaxCredits, RetryBudget.DefaultMinRetriesPerSecond, clock),
            TimeProvider = clock,
        };
        var handler = new ProviderResilienceHandler(options)
        {
            InnerHandler = new HttpClientHandler(),
        };
        return new OutageClient(new HttpClient(handler), budget);
    }

    // The standard handler's defaults; its pipeline takes the clock registered in DI.
    private static OutageClient Standard(TimeProvider clock)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddHttpClient(Name).AddStandardResilienceHandler();
        var provider = services.BuildServiceProvider();
        return new OutageClient(provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name), provider);
    }

    private static ResiliencePipeline<HttpResponseMessage> PollyRetry(TimeProvider clock)
        => new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(2),
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is HttpRequestException || IsTransient(args.Outcome.Result)),
            })
            .Build();

    private static bool IsTransient(HttpResponseMessage? response)
        => response is { StatusCode: HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests } || (int?)response?.StatusCode >= 500;
}
