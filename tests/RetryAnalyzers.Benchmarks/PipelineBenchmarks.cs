using System;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using RetryAnalyzers.Runtime;

namespace RetryAnalyzers.Benchmarks;

/// <summary>
/// The success path of one HTTP call: a plain Polly composition (jittered retry + breaker) as users write it, against
/// the ProviderResilienceHandler (retry budget, Retry-After-aware retry, breaker, metrics; with and without the token
/// budget). The inner handler answers 200 at once, so the numbers are the pipelines' own cost.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private static readonly Uri Url = new("http://provider.test/v1/chat/completions");
    private HttpMessageInvoker _plain = null!;
    private HttpMessageInvoker _polly = null!;
    private HttpMessageInvoker _handler = null!;
    private HttpMessageInvoker _handlerWithBudget = null!;
    private ResiliencePipeline<HttpResponseMessage> _pollyPipeline = null!;
    private TokenBudget _budget = null!;

    [GlobalSetup]
    public void Setup()
    {
        _plain = new HttpMessageInvoker(new OkHandler());
        _pollyPipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is HttpRequestException || (int?)args.Outcome.Result?.StatusCode is 429 or >= 500),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is HttpRequestException || (int?)args.Outcome.Result?.StatusCode is 429 or >= 500),
            })
            .Build();
        _polly = new HttpMessageInvoker(new PollyHandler(_pollyPipeline) { InnerHandler = new OkHandler() });
        _handler = new HttpMessageInvoker(new ProviderResilienceHandler(new ProviderResilienceOptions()) { InnerHandler = new OkHandler() });
        _budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1e12, Burst = long.MaxValue / 4 });
        _handlerWithBudget = new HttpMessageInvoker(new ProviderResilienceHandler(new ProviderResilienceOptions { Budget = _budget }, _ => 1_500) { InnerHandler = new OkHandler() });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _polly.Dispose();
        _handler.Dispose();
        _handlerWithBudget.Dispose();
        _budget.Dispose();
    }

    [Benchmark(Description = "no resilience")]
    public Task<HttpResponseMessage> Plain() => Send(_plain);

    [Benchmark(Baseline = true, Description = "Polly retry + breaker (DelegatingHandler)")]
    public Task<HttpResponseMessage> Polly() => Send(_polly);

    [Benchmark(Description = "ProviderResilienceHandler")]
    public Task<HttpResponseMessage> Handler() => Send(_handler);

    [Benchmark(Description = "ProviderResilienceHandler + TokenBudget")]
    public Task<HttpResponseMessage> HandlerWithBudget() => Send(_handlerWithBudget);

    private static Task<HttpResponseMessage> Send(HttpMessageInvoker invoker)
        => invoker.SendAsync(new HttpRequestMessage(HttpMethod.Post, Url), CancellationToken.None);

    private sealed class OkHandler : HttpMessageHandler
    {
        private static readonly HttpResponseMessage Ok = new(HttpStatusCode.OK);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(Ok);
    }

    private sealed class PollyHandler : DelegatingHandler
    {
        private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

        public PollyHandler(ResiliencePipeline<HttpResponseMessage> pipeline) => _pipeline = pipeline;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => _pipeline.ExecuteAsync(static (state, token) => new ValueTask<HttpResponseMessage>(state.Self.BaseSend(state.Request, token)), (Self: this, Request: request), cancellationToken).AsTask();

        private Task<HttpResponseMessage> BaseSend(HttpRequestMessage request, CancellationToken token) => base.SendAsync(request, token);
    }
}
