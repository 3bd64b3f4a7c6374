using System;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>
/// <see cref="ProviderPipeline.CreateForResponses"/>: HttpClient calls judged by their status (what a status-check loop
/// rewritten by the RA0001 pipeline action runs), against a real server on 127.0.0.1.
/// </summary>
public sealed class ResponsePipelineTests
{
    private static ProviderResilienceOptions Options(int retries, RetryMetrics? metrics = null, int delayMilliseconds = 10) => new()
    {
        MaxRetryAttempts = retries,
        BaseDelay = TimeSpan.FromMilliseconds(delayMilliseconds),
        MaxDelay = TimeSpan.FromMilliseconds(delayMilliseconds * 5),
        Metrics = metrics ?? new RetryMetrics("responses"),
    };

    private static async Task<HttpResponseMessage> Get(ProviderPipeline<HttpResponseMessage> pipeline, HttpClient http, string url, CancellationToken cancellationToken = default)
        => await pipeline.ExecuteAsync(async token => await http.GetAsync(url, token), 0, cancellationToken);

    [Fact]
    public async Task A429ThenA503ThenA200_TheDefaultRetriesBoth_AndAnswersTheSuccess()
    {
        using var server = new LoopbackServer(HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        using var http = new HttpClient();
        var metrics = new RetryMetrics("responses-default");
        var pipeline = ProviderPipeline.CreateForResponses(Options(retries: 3, metrics));

        using var response = await Get(pipeline, http, server.Url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, server.Requests);
        Assert.Equal(2, metrics.Retries);
        Assert.Equal(1, metrics.RateLimited);
    }

    [Fact]
    public async Task AStatusTheCallerDoesNotRetry_IsTheAnswer_SentOnce()
    {
        using var server = new LoopbackServer(HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        using var http = new HttpClient();
        var pipeline = ProviderPipeline.CreateForResponses(Options(retries: 3), shouldRetry: response => response.StatusCode == HttpStatusCode.TooManyRequests);

        using var response = await Get(pipeline, http, server.Url);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode); // the 503 is not retried: the caller checks it
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task TheRetriesSpent_TheLastResponseIsTheAnswer_NotAnException()
    {
        using var server = new LoopbackServer(HttpStatusCode.InternalServerError);
        using var http = new HttpClient();
        var pipeline = ProviderPipeline.CreateForResponses(Options(retries: 2));

        using var response = await Get(pipeline, http, server.Url);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task ARetried429_WaitsForItsRetryAfter()
    {
        using var server = new LoopbackServer((context, index) =>
        {
            context.Response.StatusCode = index == 0 ? 429 : 200;
            if (index == 0)
            {
                context.Response.AddHeader("retry-after-ms", "400");
            }

            return Task.CompletedTask;
        });
        using var http = new HttpClient();
        var pipeline = ProviderPipeline.CreateForResponses(Options(retries: 2));

        var clock = Stopwatch.StartNew();
        using var response = await Get(pipeline, http, server.Url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"retried after {clock.Elapsed.TotalMilliseconds:0} ms, before the 400 ms Retry-After");
    }

    [Fact]
    public async Task AnExceptionThatIsNotTransient_ReachesTheCallerUnchanged_AfterOneAttempt()
    {
        var pipeline = ProviderPipeline.CreateForResponses(Options(retries: 3));
        var attempts = 0;

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () => await pipeline.ExecuteAsync(
            _ =>
            {
                attempts++;
                throw new InvalidOperationException("the request was already sent");
            },
            0));

        Assert.Equal("the request was already sent", thrown.Message);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task TheCallersCancellation_IsNotRetried()
    {
        using var server = new LoopbackServer(HttpStatusCode.ServiceUnavailable);
        using var http = new HttpClient();
        var pipeline = ProviderPipeline.CreateForResponses(Options(retries: 50, delayMilliseconds: 5_000));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Get(pipeline, http, server.Url, cancellation.Token));
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public void NoOptions_ThrowsNamingThem()
        => Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => ProviderPipeline.CreateForResponses(null!)).ParamName);
}
