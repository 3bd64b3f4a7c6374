using System;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
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
    /// <param name="options">Budget, retry, breaker and metrics settings; validated here.</param>
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

/// <summary>
/// Runs provider calls through the shared <see cref="TokenBudget"/> (each attempt draws its tokens first), a jittered
/// exponential retry that waits at least the provider's Retry-After and stays within the <see cref="RetryBudget"/>,
/// and a circuit breaker that stops retrying into an outage. It runs the real call; nothing is simulated. A failure
/// that is not retried reaches the caller unchanged (the exception, or the throttled result), and the caller's
/// cancellation is never swallowed.
/// </summary>
/// <typeparam name="TResult">The call's result.</typeparam>
public sealed class ProviderPipeline<TResult>
{
    private readonly ProviderResilienceOptions _options;
    private readonly Func<Outcome<TResult>, bool> _isRateLimited;
    private readonly ResiliencePipeline<TResult> _pipeline;

    internal ProviderPipeline(
        ProviderResilienceOptions options,
        Func<Outcome<TResult>, bool> isTransient,
        Func<Outcome<TResult>, bool> isRateLimited,
        Func<Outcome<TResult>, DateTimeOffset, TimeSpan?> retryAfter)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        options.Validate();
        _options = options;
        _isRateLimited = isRateLimited;
        var jitter = new JitteredBackoffOptions
        {
            BaseDelay = options.BaseDelay,
            MaxDelay = options.MaxDelay,
            Randomizer = options.Randomizer,
        };
        var random = options.Randomizer ?? Internal.RandomUtil.NextDouble;
        var builder = new ResiliencePipelineBuilder<TResult> { TimeProvider = options.TimeProvider };
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<TResult>
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                ShouldHandle = args => new ValueTask<bool>(
                    !args.Context.CancellationToken.IsCancellationRequested &&
                    isTransient(args.Outcome) &&
                    !(retryAfter(args.Outcome, options.TimeProvider.GetUtcNow()) > options.MaxRetryAfter) &&
                    args.AttemptNumber < options.MaxRetryAttempts &&
                    options.RetryBudget.TryRetry()),
                DelayGenerator = args => new ValueTask<TimeSpan?>(
                    RetryWait(args.AttemptNumber, retryAfter(args.Outcome, options.TimeProvider.GetUtcNow()), jitter, random)),
                OnRetry = _ =>
                {
                    options.Metrics.RecordRetry();
                    return default;
                },
            });
        }

        if (options.CircuitBreaker is { } breaker)
        {
            builder.AddCircuitBreaker(breaker.ToPollyOptions(isTransient, options.Metrics.RecordBreakerOpened));
        }

        _pipeline = builder.Build();
    }

    /// <summary>
    /// The wait before retry <paramref name="attempt"/> (0-based): at least the provider's Retry-After, spread by up to one
    /// base delay (or half the wait, if shorter) so the agents it throttled together do not come back together; without a
    /// Retry-After, the jittered backoff. (Also used by the workload model, so it measures this very formula.)
    /// </summary>
    internal static TimeSpan RetryWait(int attempt, TimeSpan? retryAfter, JitteredBackoffOptions jitter, Func<double> random)
        => retryAfter is { } after
            ? after + TimeSpan.FromTicks((long)(random() * Math.Min(jitter.BaseDelay.Ticks, Math.Max(after.Ticks / 2, TimeSpan.TicksPerMillisecond))))
            : JitteredBackoff.GetDelay(attempt, jitter);

    /// <summary>Runs one logical call.</summary>
    /// <param name="call">The call; it gets a token that is cancelled with <paramref name="cancellationToken"/>.</param>
    /// <param name="estimatedTokens">Its cost in tokens (prompt estimate + max output), drawn from the budget by every attempt; 0 without a budget.</param>
    /// <param name="cancellationToken">Cancels the call, the waits and the retries.</param>
    /// <returns>The call's result.</returns>
    public async ValueTask<TResult> ExecuteAsync(Func<CancellationToken, ValueTask<TResult>> call, long estimatedTokens, CancellationToken cancellationToken = default)
    {
        if (call is null)
        {
            throw new ArgumentNullException(nameof(call));
        }

        if (estimatedTokens < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(estimatedTokens), estimatedTokens, "estimatedTokens must not be negative.");
        }

        _options.Metrics.RecordCall();
        _options.RetryBudget.RecordCall();
        return await _pipeline.ExecuteAsync(
            static async (state, token) => await state.Self.AttemptAsync(state.Call, state.Tokens, token).ConfigureAwait(false),
            (Self: this, Call: call, Tokens: estimatedTokens),
            cancellationToken).ConfigureAwait(false);
    }

    internal async ValueTask<TResult> AttemptAsync(Func<CancellationToken, ValueTask<TResult>> call, long tokens, CancellationToken cancellationToken)
    {
        var budget = _options.Budget;
        if (budget is not null && tokens > 0)
        {
            var acquire = budget.AcquireTokensAsync(tokens, cancellationToken);
            if (!acquire.IsCompleted)
            {
                _options.Metrics.RecordTokensWaited(tokens);
            }

            await acquire.ConfigureAwait(false);
        }

        Outcome<TResult> outcome;
        try
        {
            outcome = Outcome.FromResult(await call(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (_isRateLimited(Outcome.FromException<TResult>(e)))
        {
            Throttled(budget, tokens);
            throw;
        }

        if (_isRateLimited(outcome))
        {
            Throttled(budget, tokens);
        }

        return outcome.Result!;
    }

    // A throttled attempt was not processed: its tokens go back to the budget.
    private void Throttled(TokenBudget? budget, long tokens)
    {
        _options.Metrics.RecordRateLimited();
        if (budget is not null && tokens > 0)
        {
            budget.Reconcile(tokens, 0);
        }
    }
}

/// <summary>
/// A <see cref="DelegatingHandler"/> that runs every HTTP call through <see cref="ProviderPipeline{TResult}"/>: shared token
/// budget → jittered retry honouring Retry-After (<c>retry-after-ms</c>, <c>x-ms-retry-after-ms</c>, <c>Retry-After</c>)
/// within the retry budget → circuit breaker. Responses 408, 429 and 5xx and network errors are retried; the budget
/// learns from <c>x-ratelimit-*</c> headers. Use it with <c>services.AddHttpClient(…).AddHttpMessageHandler(…)</c>, or
/// give SDKs that accept an <see cref="HttpClient"/> (OpenAI's <c>HttpClientPipelineTransport</c>) an
/// <c>HttpClient</c> built on it — and turn the SDK's own retries off, or every retry layer multiplies the other.
/// </summary>
public sealed class ProviderResilienceHandler : DelegatingHandler
{
    /// <summary>The output tokens assumed per request when the estimator has nothing better (the request's max tokens are not read).</summary>
    public const long DefaultOutputTokens = 1024;

    private readonly ProviderPipeline<HttpResponseMessage> _pipeline;
    private readonly Func<HttpRequestMessage, long> _estimateTokens;
    private readonly ProviderResilienceOptions _options;

    /// <summary>A handler with the given options; the inner handler is set by <c>HttpClientFactory</c> or by you.</summary>
    /// <param name="options">Budget, retry, breaker and metrics settings; validated here.</param>
    /// <param name="estimateTokens">A request's cost in tokens; default <see cref="EstimateTokens"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public ProviderResilienceHandler(ProviderResilienceOptions options, Func<HttpRequestMessage, long>? estimateTokens = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _estimateTokens = estimateTokens ?? EstimateTokens;
        _pipeline = new ProviderPipeline<HttpResponseMessage>(
            options,
            outcome => outcome.Exception is { } e ? ProviderPipeline.IsTransientException(e) : IsTransientResponse(outcome.Result),
            outcome => outcome.Result?.StatusCode == (HttpStatusCode)429,
            static (outcome, now) => outcome.Result is { } response ? RateLimitHeaders.GetRetryAfter(response, now) : null);
    }

    /// <summary>The default cost of a request: its body length / 4 (about one token per 4 bytes of JSON) + <see cref="DefaultOutputTokens"/>.</summary>
    /// <param name="request">The request.</param>
    /// <returns>Tokens.</returns>
    public static long EstimateTokens(HttpRequestMessage request)
        => ((request?.Content?.Headers.ContentLength ?? 0) / 4) + DefaultOutputTokens;

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        if (request.Content is { } content)
        {
            // The body is sent again on retry: buffer it once (a no-op for string and byte content).
            await content.LoadIntoBufferAsync().ConfigureAwait(false);
        }

        var tokens = _options.Budget is null ? 0 : _estimateTokens(request);
        return await _pipeline.ExecuteAsync(
            async token =>
            {
                var budget = _options.Budget;
                var sent = budget is null ? 0 : _options.TimeProvider.GetTimestamp();
                var response = await base.SendAsync(request, token).ConfigureAwait(false);
                budget?.ApplyRateLimitHeaders(response, _options.TimeProvider.GetElapsedTime(sent));
                return response;
            },
            tokens,
            cancellationToken).ConfigureAwait(false);
    }

    private static bool IsTransientResponse(HttpResponseMessage? response)
        => response is not null && ProviderPipeline.IsTransientStatus((int)response.StatusCode);
}
