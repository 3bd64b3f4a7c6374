using System;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using RetryAnalyzers.Runtime;

namespace RetryAnalyzers.Benchmarks;

/// <summary>
/// The success path of one System.ClientModel call (the OpenAI SDK's pipeline): the SDK's default
/// <see cref="ClientRetryPolicy"/> against <see cref="ProviderPipelinePolicy"/> (without and with a token budget). The
/// transport is an HttpClient whose handler answers 200 at once, so the numbers are the policies' own cost.
/// </summary>
[MemoryDiagnoser]
public class PolicyBenchmarks
{
    private static readonly Uri Url = new("http://provider.test/v1/chat/completions");
    private HttpClient _http = null!;
    private ClientPipeline _sdkDefault = null!;
    private ClientPipeline _policy = null!;
    private ClientPipeline _policyWithBudget = null!;
    private TokenBudget _budget = null!;

    [GlobalSetup]
    public void Setup()
    {
        _http = new HttpClient(new OkHandler());
        _sdkDefault = Pipeline(new ClientPipelineOptions());
        _policy = Pipeline(new ClientPipelineOptions().UseProviderResilience(new ProviderResilienceOptions()));
        _budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1e12, Burst = long.MaxValue / 4 });
        _policyWithBudget = Pipeline(new ClientPipelineOptions().UseProviderResilience(new ProviderResilienceOptions { Budget = _budget }, _ => 1_500));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _http.Dispose();
        _budget.Dispose();
    }

    [Benchmark(Baseline = true, Description = "ClientRetryPolicy (SDK default)")]
    public Task SdkDefault() => Send(_sdkDefault);

    [Benchmark(Description = "ProviderPipelinePolicy")]
    public Task Policy() => Send(_policy);

    [Benchmark(Description = "ProviderPipelinePolicy + TokenBudget")]
    public Task PolicyWithBudget() => Send(_policyWithBudget);

    private ClientPipeline Pipeline(ClientPipelineOptions options)
    {
        options.Transport = new HttpClientPipelineTransport(_http);
        return ClientPipeline.Create(options, ReadOnlySpan<PipelinePolicy>.Empty, ReadOnlySpan<PipelinePolicy>.Empty, ReadOnlySpan<PipelinePolicy>.Empty);
    }

    private static async Task Send(ClientPipeline pipeline)
    {
        using var message = pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = Url;
        await pipeline.SendAsync(message).ConfigureAwait(false);
    }

    private sealed class OkHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request });
    }
}
