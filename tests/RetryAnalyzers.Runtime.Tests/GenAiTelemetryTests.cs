using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>The meter speaks the ecosystem's terms: GenAI provider and model tags, the resend count of each retry, an error type for a refused retry.</summary>
public sealed class GenAiTelemetryTests
{
    [Fact]
    public async Task Retries_CarryTheProviderTheModelAndTheirResendCount()
    {
        var agent = "telemetry-" + Guid.NewGuid().ToString("N");
        var retries = new ConcurrentQueue<Dictionary<string, object?>>();
        var calls = new ConcurrentQueue<Dictionary<string, object?>>();
        using var listener = Listen(agent, (instrument, tags) =>
        {
            switch (instrument)
            {
                case "retryanalyzers.retries":
                    retries.Enqueue(tags);
                    break;
                case "retryanalyzers.calls":
                    calls.Enqueue(tags);
                    break;
            }
        });

        // Real loopback HTTP: 503, 503, then 200.
        using var server = new LoopbackServer(HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        var options = new ProviderResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(1), Metrics = new RetryMetrics(agent, provider: "openai", model: "gpt-4o-mini") };
        using var http = new HttpClient(new ProviderResilienceHandler(options) { InnerHandler = new HttpClientHandler() });

        using var response = await http.PostAsync(server.Url, new StringContent("{\"model\":\"gpt-4o-mini\"}"));

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(new object?[] { 1, 2 }, retries.Select(t => t["http.request.resend_count"]).OrderBy(v => (int)v!).ToArray());
        Assert.All(retries.Concat(calls), tags =>
        {
            Assert.Equal("openai", tags["gen_ai.provider.name"]);
            Assert.Equal("gpt-4o-mini", tags["gen_ai.request.model"]);
        });
        Assert.Single(calls);
        Assert.False(calls.Single().ContainsKey("http.request.resend_count")); // only retries are resends
    }

    [Fact]
    public void ARefusedRetry_CarriesItsErrorType_AndNoGenAiTagsThatWereNotGiven()
    {
        var agent = "telemetry-" + Guid.NewGuid().ToString("N");
        var refused = new ConcurrentQueue<Dictionary<string, object?>>();
        using var listener = Listen(agent, (instrument, tags) =>
        {
            if (instrument == "retryanalyzers.retry_budget.exhausted")
            {
                refused.Enqueue(tags);
            }
        });
        var metrics = new RetryMetrics(agent);

        metrics.RecordRetryBudgetExhausted();

        var tags = Assert.Single(refused);
        Assert.Equal("retry_budget_exhausted", tags["error.type"]);
        Assert.False(tags.ContainsKey("gen_ai.provider.name"));
        Assert.False(tags.ContainsKey("gen_ai.request.model"));
        Assert.Equal(1, metrics.RetryBudgetExhausted);
        Assert.Null(metrics.Provider);
    }

    // Every measurement of our meter whose `agent` tag is this test's, with all its tags.
    private static MeterListener Listen(string agent, Action<string, Dictionary<string, object?>> record)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RetryMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            var all = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                all[tag.Key] = tag.Value;
            }

            if (all.TryGetValue("agent", out var value) && Equals(value, agent))
            {
                record(instrument.Name, all);
            }
        });
        listener.Start();
        return listener;
    }
}
