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

    // One handler for all agents; a budget so large it never limits, on the scaled clock; the other options default.
    private static OutageClient Runtime(TimeProvider clock)
    {
        var budgetOptions = TokenBudgetOptions.PerMinute(100_000_000);
        budgetOptions.TimeProvider = clock;
        var budget = new TokenBudget(budgetOptions);
        var handler = new ProviderResilienceHandler(new ProviderResilienceOptions { Budget = budget, TimeProvider = clock })
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
