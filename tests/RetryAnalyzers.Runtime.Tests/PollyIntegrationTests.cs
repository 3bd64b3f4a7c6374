using System;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using RetryAnalyzers.Testing;
using Polly.Retry;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>The backoff driving real Polly v7 policies, Polly v8 pipelines and a real HTTP call on loopback.</summary>
public sealed class PollyIntegrationTests
{
    [Fact]
    public void PollyV7_WaitAndRetryWithJitteredDelays_RetriesRetryCountTimes()
    {
        var calls = 0;
        var policy = Policy.Handle<InvalidOperationException>()
            .WaitAndRetry(JitteredBackoff.Delays(TimeSpan.FromMilliseconds(1), retryCount: 3, maxDelay: TimeSpan.FromMilliseconds(5)));

        Assert.Throws<InvalidOperationException>(() => policy.Execute(() =>
        {
            calls++;
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal(4, calls);
    }

    [Fact]
    public void JitteredRetryStrategyOptions_HaveJitteredExponentialDefaults()
    {
        var options = new JitteredRetryStrategyOptions();
        Assert.Equal(DelayBackoffType.Exponential, options.BackoffType);
        Assert.True(options.UseJitter);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Delay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MaxDelay);

        var generic = new JitteredRetryStrategyOptions<HttpResponseMessage>();
        Assert.Equal(DelayBackoffType.Exponential, generic.BackoffType);
        Assert.True(generic.UseJitter);
    }

    [Theory]
    [InlineData(DelayBackoffType.Constant, true, "BackoffType")]
    [InlineData(DelayBackoffType.Exponential, false, "UseJitter")]
    public void AddJitteredRetry_RejectsOptionsWithoutGrowthOrJitter_NamingTheOption(DelayBackoffType backoff, bool jitter, string option)
    {
        var options = new JitteredRetryStrategyOptions { BackoffType = backoff, UseJitter = jitter };
        var error = Assert.Throws<ArgumentException>(() => new ResiliencePipelineBuilder().AddJitteredRetry(options));
        Assert.Equal(option, error.ParamName);
    }

    [Fact]
    public async Task AddJitteredRetry_RetriesAndSurfacesTheCallersException()
    {
        var calls = 0;
        var pipeline = new ResiliencePipelineBuilder()
            .AddJitteredRetry(new JitteredRetryStrategyOptions { Delay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5), MaxRetryAttempts = 2 })
            .Build();

        var error = await Assert.ThrowsAsync<TimeoutException>(async () => await pipeline.ExecuteAsync(_ =>
        {
            calls++;
            throw new TimeoutException("provider timed out");
        }));
        Assert.Equal("provider timed out", error.Message);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task AddJitteredRetry_RetriesARealHttp429UntilTheServerSaysOk()
    {
        using var server = new LoopbackServer(HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.OK);
        using var http = new HttpClient();
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddJitteredRetry(new JitteredRetryStrategyOptions<HttpResponseMessage>
            {
                Delay = TimeSpan.FromMilliseconds(5),
                MaxDelay = TimeSpan.FromMilliseconds(50),
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>().HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests),
            })
            .Build();

        using var response = await pipeline.ExecuteAsync(async ct => await http.GetAsync(server.Url, ct), CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, server.Requests);
    }
}
