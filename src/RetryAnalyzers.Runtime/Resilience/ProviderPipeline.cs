using System;
using System.Net.Http;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace RetryAnalyzers.Runtime;

/// <summary>Builds <see cref="ProviderPipeline{TResult}"/> instances for delegate calls (SDK methods, any async call).</summary>
public static class ProviderPipeline
{
    /// <summary>
    /// A pipeline for calls that signal failure by exception: <see cref="HttpRequestException"/> (with status 408, 429,
    /// 5xx or no status: a network error), <see cref="TimeoutRejectedException"/> and <see cref="TimeoutException"/> are
    /// transient; so is any exception <paramref name="isTransient"/> accepts (for example an SDK's own exception with
    /// status 429). Cancellation by the caller is never retried.
    /// </summary>
    /// <typeparam name="TResult">The call's result.</typeparam>
    /// <param name="options">Budget, retry, breaker and metrics settings; validated and copied here (later changes to the object change nothing).</param>
    /// <param name="isTransient">More exceptions to retry, or null.</param>
    /// <param name="retryAfter">The wait an exception asks for (an SDK exception carrying the response's Retry-After), or null.</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public static ProviderPipeline<TResult> Create<TResult>(ProviderResilienceOptions options, Func<Exception, bool>? isTransient = null, Func<Exception, TimeSpan?>? retryAfter = null)
        => new(
            options,
            outcome => outcome.Exception is { } e && (IsTransientException(e) || (isTransient?.Invoke(e) ?? false)),
            outcome => outcome.Exception is HttpRequestException e && StatusOf(e) == 429,
            (outcome, _) => outcome.Exception is { } e ? retryAfter?.Invoke(e) : null);

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
