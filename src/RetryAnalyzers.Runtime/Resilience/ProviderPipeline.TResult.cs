using System;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using Polly.Retry;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

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
        _options = Guard.NotNull(options, nameof(options)).ValidatedCopy();
        _isRateLimited = isRateLimited;
        var builder = new ResiliencePipelineBuilder<TResult> { TimeProvider = _options.TimeProvider };
        if (_options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(RetryOptions(_options, isTransient, retryAfter));
        }

        if (_options.CircuitBreaker is { } breaker)
        {
            builder.AddCircuitBreaker(breaker.ToPollyOptions(isTransient, _options.Metrics.RecordBreakerOpened));
        }

        _pipeline = builder.Build();
    }

    /// <summary>The validated copy of the options this pipeline runs with: changes to the caller's options change nothing.</summary>
    internal ProviderResilienceOptions Options => _options;

    /// <summary>
    /// The wait before retry <paramref name="attempt"/> (0-based): at least the provider's Retry-After, spread by up to one
    /// base delay (or half the wait, if shorter) so the agents it throttled together do not come back together; without a
    /// Retry-After, the jittered backoff. (Also used by the workload model, so it measures this very formula.)
    /// </summary>
    internal static TimeSpan RetryWait(int attempt, TimeSpan? retryAfter, JitteredBackoffOptions jitter, Func<double> random)
        => retryAfter is { } after
            ? after + TimeSpan.FromTicks((long)(random() * Math.Min(jitter.BaseDelay.Ticks, Math.Max(after.Ticks / 2, TimeSpan.TicksPerMillisecond))))
            : JitteredBackoff.GetDelay(attempt, jitter);

    // Polly retry options over the pipeline's own (copied) options: transient, not cancelled, a Retry-After we are
    // willing to wait, and a credit in the retry budget.
    private static RetryStrategyOptions<TResult> RetryOptions(
        ProviderResilienceOptions options,
        Func<Outcome<TResult>, bool> isTransient,
        Func<Outcome<TResult>, DateTimeOffset, TimeSpan?> retryAfter)
    {
        var jitter = new JitteredBackoffOptions { BaseDelay = options.BaseDelay, MaxDelay = options.MaxDelay, Randomizer = options.Randomizer };
        var random = options.Randomizer ?? RandomUtil.NextDouble;
        return new RetryStrategyOptions<TResult>
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
        };
    }

    /// <summary>Runs one logical call.</summary>
    /// <param name="call">The call; it gets a token that is cancelled with <paramref name="cancellationToken"/>.</param>
    /// <param name="estimatedTokens">Its cost in tokens (prompt estimate + max output), drawn from the budget by every attempt; 0 without a budget.</param>
    /// <param name="cancellationToken">Cancels the call, the waits and the retries.</param>
    /// <returns>The call's result.</returns>
    public async ValueTask<TResult> ExecuteAsync(Func<CancellationToken, ValueTask<TResult>> call, long estimatedTokens, CancellationToken cancellationToken = default)
    {
        Guard.NotNull(call, nameof(call));
        Guard.NotNegative(estimatedTokens, nameof(estimatedTokens));

        _options.Metrics.RecordCall();
        _options.RetryBudget.RecordCall();
        return await _pipeline.ExecuteAsync(
            static async (state, token) => await state.Self.AttemptAsync(state.Call, state.Tokens, token).ConfigureAwait(false),
            (Self: this, Call: call, Tokens: estimatedTokens),
            cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<TResult> AttemptAsync(Func<CancellationToken, ValueTask<TResult>> call, long tokens, CancellationToken cancellationToken)
    {
        var budget = _options.Budget;
        if (budget is not null && tokens > 0)
        {
            await budget.AcquireTokensAsync(tokens, cancellationToken, out var queued).ConfigureAwait(false);
            if (queued)
            {
                _options.Metrics.RecordTokensWaited(tokens); // once, after the wait was admitted: as the budget counts it
            }
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
