using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Polly;

namespace RetryAnalyzers.Testing.Outages;

/// <summary>Sends each request through a Polly pipeline (the matrix's plain-Polly row).</summary>
internal sealed class PollyRetryHandler : DelegatingHandler
{
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public PollyRetryHandler(ResiliencePipeline<HttpResponseMessage> pipeline, HttpMessageHandler inner)
        : base(inner)
    {
        _pipeline = pipeline;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        => await _pipeline.ExecuteAsync(
            async token => await base.SendAsync(request, token).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
}
