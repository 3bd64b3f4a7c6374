// Harness sample for RA0008 (needs --package Polly.Extensions.Http@3.0.0, Microsoft.Extensions.Http.Polly@8.0.8):
// consume-nupkg.sh --expect RA0008=6 and format-fix.sh ... RA0008.
// Each "RA0008" comment marks one expected diagnostic; the other members must stay quiet.
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.Extensions.Http;
using Polly.Retry;
using RetryAnalyzers.Runtime;

namespace HarnessSample;

public static class TransientPolicies
{
    public static IAsyncPolicy<HttpResponseMessage> TransientOnly()
        => HttpPolicyExtensions.HandleTransientHttpError() // RA0008
            .WaitAndRetryAsync(3, n => TimeSpan.FromSeconds(Math.Pow(2, n)) + TimeSpan.FromMilliseconds(Random.Shared.Next(250)));

    public static IAsyncPolicy<HttpResponseMessage> TransientAnd429()
        => HttpPolicyExtensions.HandleTransientHttpError()
            .OrResult(r => r.StatusCode == HttpStatusCode.TooManyRequests)
            .WaitAndRetryAsync(
                3,
                (attempt, outcome, context) => RetryAfterDelay.Or(outcome.Result, JitteredBackoff.GetDelay(attempt - 1, TimeSpan.FromSeconds(1))),
                (outcome, delay, attempt, context) => Task.CompletedTask);

    public static IAsyncPolicy<HttpResponseMessage> Breaker()
        => HttpPolicyExtensions.HandleTransientHttpError().CircuitBreakerAsync(5, TimeSpan.FromSeconds(30));

    public static void Register(IServiceCollection services)
    {
        services.AddHttpClient("llm")
            .AddTransientHttpErrorPolicy(p => p.WaitAndRetryAsync(3, n => TimeSpan.FromSeconds(Math.Pow(2, n)) + TimeSpan.FromMilliseconds(Random.Shared.Next(250)))); // RA0008
        services.AddHttpClient("search")
            .AddTransientHttpErrorPolicy(p => p.OrResult(r => r.StatusCode == HttpStatusCode.TooManyRequests)
                .WaitAndRetryAsync(
                    3,
                    (attempt, outcome, context) => RetryAfterDelay.Or(outcome.Result, JitteredBackoff.GetDelay(attempt - 1, TimeSpan.FromSeconds(1))),
                    (outcome, delay, attempt, context) => Task.CompletedTask));
    }

    public static RetryStrategyOptions<HttpResponseMessage> ServerErrors() => new()
    {
        ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException || args.Outcome.Result?.StatusCode >= HttpStatusCode.InternalServerError), // RA0008
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        DelayGenerator = RetryAfterDelay.Generator(),
    };

    public static RetryStrategyOptions<HttpResponseMessage> ServerErrorsBuilder() => new()
    {
        ShouldHandle = new PredicateBuilder<HttpResponseMessage>().Handle<HttpRequestException>().HandleResult(r => (int)r.StatusCode >= 500), // RA0008
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        DelayGenerator = RetryAfterDelay.Generator(),
    };

    public static RetryStrategyOptions<HttpResponseMessage> EveryFailure() => new()
    {
        ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException || args.Outcome.Result is { IsSuccessStatusCode: false }),
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        DelayGenerator = RetryAfterDelay.Generator(),
    };

    public static async Task<HttpResponseMessage> RetryServerErrors(HttpClient http, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await http.GetAsync("https://llm.example/v1/models", ct);
            if ((int)response.StatusCode >= 500 && attempt < 4) // RA0008
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)) + TimeSpan.FromMilliseconds(Random.Shared.Next(250)), ct);
                continue;
            }

            return response;
        }
    }

    public static async Task<HttpResponseMessage> LeaveOnClientErrors(HttpClient http, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await http.GetAsync("https://llm.example/v1/models", ct);
            if (response.IsSuccessStatusCode || (int)response.StatusCode < 500 || attempt >= 4) // RA0008
            {
                return response;
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)) + TimeSpan.FromMilliseconds(Random.Shared.Next(250)), ct);
        }
    }
}
