using System;
using System.Net.Http;
using RetryAnalyzers.Runtime.Internal;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace RetryAnalyzers.Runtime;

/// <summary>Builds <see cref="ProviderPipeline{TResult}"/> instances for delegate calls (SDK methods, any async call).</summary>
public static class ProviderPipeline
{
    /// <summary>
    /// A pipeline for calls that signal failure by exception: <see cref="HttpRequestException"/> (with status 408, 429,
    /// 5xx or no status: a network error), a System.ClientModel SDK's <see cref="System.ClientModel.ClientResultException"/>
    /// (the OpenAI .NET SDK's, also through Microsoft.Extensions.AI) with status 408, 429 or 5xx, or with no status over a
    /// network failure, <see cref="TimeoutRejectedException"/> and <see cref="TimeoutException"/> are transient; so is any
    /// exception <paramref name="isTransient"/> accepts. A 429 holds the gate for every call (a throttle); the wait comes
    /// from <paramref name="retryAfter"/>, else from the SDK exception's raw response (Retry-After, <c>retry-after-ms</c>,
    /// the rate-limit reset headers, capped at <see cref="ProviderResilienceOptions.MaxRetryAfter"/>). Cancellation by the
    /// caller is never retried.
    /// </summary>
    /// <typeparam name="TResult">The call's result.</typeparam>
    /// <param name="options">Budget, retry, breaker and metrics settings; validated and copied here (later changes to the object change nothing).</param>
    /// <param name="isTransient">More exceptions to retry, or null.</param>
    /// <param name="retryAfter">The wait an exception asks for (an SDK exception carrying the response's Retry-After), or null.</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public static ProviderPipeline<TResult> Create<TResult>(ProviderResilienceOptions options, Func<Exception, bool>? isTransient = null, Func<Exception, TimeSpan?>? retryAfter = null)
    {
        var cap = Guard.NotNull(options, nameof(options)).MaxRetryAfter;
        return new(
            options,
            outcome => outcome.Exception is { } e && (IsTransientFailure(e) || (isTransient?.Invoke(e) ?? false)),
            outcome => outcome.Exception is HttpRequestException e ? StatusOf(e) == 429 : outcome.Exception is System.ClientModel.ClientResultException { Status: 429 },
            (outcome, now) => outcome.Exception is { } e ? retryAfter?.Invoke(e) ?? SdkRetryAfter(e, now, cap) : null);
    }

    /// <summary>
    /// A pipeline for <see cref="HttpClient"/> calls that signal failure by status, not by exception (the call returns the
    /// <see cref="HttpResponseMessage"/> and the caller checks it): a response <paramref name="shouldRetry"/> accepts is
    /// retried (by default 408, 429 and 5xx, or as the provider's <c>x-should-retry</c> says), waiting at least its
    /// Retry-After (<c>retry-after-ms</c>, <c>Retry-After</c>, the rate-limit reset headers, capped at
    /// <see cref="ProviderResilienceOptions.MaxRetryAfter"/>); a retried 429 holds the gate for every call (a throttle). A
    /// response it does not accept is the call's answer; so is the last one when the retries are spent, for the caller to
    /// check as before. A discarded response is disposed. Network errors and timeouts (<see cref="HttpRequestException"/>
    /// with no status or a transient one, <see cref="TimeoutRejectedException"/>, <see cref="TimeoutException"/>) are
    /// retried too; any other exception, and the caller's cancellation, reach the caller unchanged.
    /// For every call of an <see cref="HttpClient"/>, prefer <see cref="ProviderResilienceHandler"/> on the client.
    /// </summary>
    /// <param name="options">Budget, retry, breaker and metrics settings; validated and copied here (later changes to the object change nothing).</param>
    /// <param name="shouldRetry">Which responses to retry, or null for 408, 429 and 5xx.</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public static ProviderPipeline<HttpResponseMessage> CreateForResponses(ProviderResilienceOptions options, Func<HttpResponseMessage, bool>? shouldRetry = null)
    {
        var cap = Guard.NotNull(options, nameof(options)).MaxRetryAfter;
        var retried = shouldRetry ?? ProviderResilienceHandler.IsTransientResponse;
        return new(
            options,
            outcome => outcome.Exception is { } e ? IsTransientException(e) : outcome.Result is { } response && retried(response),
            outcome => outcome.Result is { StatusCode: (System.Net.HttpStatusCode)429 } response && retried(response),
            (outcome, now) => outcome.Result is { } response ? ProviderResilienceHandler.ThrottleWait(response, now, cap) : null);
    }

    /// <summary>
    /// A failure worth another attempt, by exception: <see cref="IsTransientException"/>, or a System.ClientModel SDK's
    /// <see cref="System.ClientModel.ClientResultException"/> by its status (408, 429, 5xx), or with no status over a network
    /// failure (the transport's wrapper of <see cref="HttpRequestException"/> / <see cref="System.IO.IOException"/>).
    /// </summary>
    internal static bool IsTransientFailure(Exception exception) => IsTransientException(exception) || IsTransientSdkException(exception);

    // An SDK's ClientResultException: its status, or a network failure under it (status 0).
    private static bool IsTransientSdkException(Exception exception)
        => exception is System.ClientModel.ClientResultException sdk &&
           (sdk.Status == 0 ? sdk.InnerException is HttpRequestException or System.IO.IOException : IsTransientStatus(sdk.Status));

    private static TimeSpan? SdkRetryAfter(Exception exception, DateTimeOffset now, TimeSpan cap)
        => exception is System.ClientModel.ClientResultException sdk && sdk.GetRawResponse() is { } response
            ? RateLimitHeaders.ThrottleWait(response.Status, ProviderPipelinePolicy.Headers(response), now, cap)
            : null;

    internal static bool IsTransientStatus(int status) => status is 408 or 429 or >= 500;

    /// <summary>
    /// Whether an answer is retried: never a success (below 400; its headers are not read); else the provider's own
    /// verdict first (OpenAI's <c>x-should-retry: true|false</c>, read from <paramref name="response"/> only then), then the status (408, 429, 5xx).
    /// </summary>
    internal static bool IsTransientAnswer<TResponse>(int status, TResponse response, Func<TResponse, string, string?> header)
        => status >= 400 && (bool.TryParse(header(response, "x-should-retry"), out var verdict) ? verdict : IsTransientStatus(status));

    internal static bool IsTransientException(Exception exception) => exception switch
    {
        BrokenCircuitException => false, // the breaker is open: stop, do not retry into it
        HttpRequestException http => StatusOf(http) is not { } status || IsTransientStatus(status),
        TimeoutRejectedException or TimeoutException => true,
        _ => false,
    };

    private static int? StatusOf(HttpRequestException exception)
    {
#if NET
        return exception.StatusCode is { } status ? (int)status : null;
#else
        return null;
#endif
    }
}
