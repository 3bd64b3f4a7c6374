using System;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Runs provider calls through the shared <see cref="TokenBudget"/> (each attempt draws its tokens first), a jittered
/// exponential retry that waits at least the provider's Retry-After and stays within the <see cref="RetryBudget"/>, a
/// per-attempt timeout, and a gate that is both the circuit breaker and the throttle: a 429 (or a 503 with
/// Retry-After) holds every call for the provider's wait, failures open the breaker, and while the gate is held calls
/// wait and one probe at a time goes (see <see cref="ProviderCircuitBreaker"/>). It runs the real call; nothing is
/// simulated. A failure that is not retried reaches the caller unchanged (the exception, or the throttled result), and
/// the caller's cancellation is never retried nor swallowed.
/// </summary>
/// <typeparam name="TResult">The call's result.</typeparam>
public sealed class ProviderPipeline<TResult>
{
    private static readonly ResiliencePropertyKey<CallState> CallKey = new("RetryAnalyzers.Call");

    private readonly ProviderResilienceOptions _options;
    private readonly Func<Outcome<TResult>, bool> _isTransient;
    private readonly Func<Outcome<TResult>, bool> _isRateLimited;
    private readonly Func<Outcome<TResult>, DateTimeOffset, TimeSpan?> _retryAfter;
    private readonly ResiliencePipeline<TResult> _pipeline;
    private readonly ProviderGate _gate;

    internal ProviderPipeline(
        ProviderResilienceOptions options,
        Func<Outcome<TResult>, bool> isTransient,
        Func<Outcome<TResult>, bool> isRateLimited,
        Func<Outcome<TResult>, DateTimeOffset, TimeSpan?> retryAfter)
    {
        _options = Guard.NotNull(options, nameof(options)).ValidatedCopy();
        _isTransient = isTransient;
        _isRateLimited = isRateLimited;
        _retryAfter = retryAfter;
        _gate = NewGate();
        var builder = new ResiliencePipelineBuilder<TResult> { TimeProvider = _options.TimeProvider };
        if (_options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(RetryOptions());
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
            ? after + TimeSpan.FromTicks((long)(RandomUtil.Unit(random()) * Math.Min(jitter.BaseDelay.Ticks, Math.Max(after.Ticks / 2, TimeSpan.TicksPerMillisecond))))
            : JitteredBackoff.GetDelay(attempt, jitter);

    /// <summary>A gate (breaker and throttle) on this pipeline's options: one per provider endpoint.</summary>
    internal ProviderGate NewGate() => new(_options);

    /// <summary>Runs one logical call.</summary>
    /// <param name="call">The call; it gets a token that is cancelled with <paramref name="cancellationToken"/> or when the attempt times out.</param>
    /// <param name="estimatedTokens">Its cost in tokens (prompt estimate + max output), drawn from the budget by every attempt; 0 without a budget.</param>
    /// <param name="cancellationToken">Cancels the call, the waits and the retries.</param>
    /// <returns>The call's result.</returns>
    public ValueTask<TResult> ExecuteAsync(Func<CancellationToken, ValueTask<TResult>> call, long estimatedTokens, CancellationToken cancellationToken = default)
        => ExecuteAsync(call, estimatedTokens, _gate, cancellationToken);

    /// <summary>Runs one logical call behind the given gate (the handler keeps one per host).</summary>
    internal ValueTask<TResult> ExecuteAsync(Func<CancellationToken, ValueTask<TResult>> call, long estimatedTokens, ProviderGate gate, CancellationToken cancellationToken)
    {
        Guard.NotNull(call, nameof(call));
        Guard.NotNegative(estimatedTokens, nameof(estimatedTokens));

        Started();
        return RunAsync(call, estimatedTokens, new CallState(gate, GiveUpAt()), cancellationToken);
    }

    /// <summary>
    /// The success path without a retry's machinery (no context, no state, no timer: nothing allocated): when the gate is
    /// open and the budget hands over the call's <paramref name="estimatedTokens"/> at once
    /// (<see cref="ProviderTokenBudget.TryTakeNow"/>; the gate is checked again after it, as <see cref="AttemptAsync"/>
    /// does), the caller makes the first attempt itself, then ends the call with <see cref="EndDirect()"/> if
    /// <see cref="NeedsRetry"/> says no, else hands the attempt's outcome to
    /// <see cref="ContinueDirect(Outcome{TResult}, Func{CancellationToken, ValueTask{TResult}}, long, CancellationToken)"/>,
    /// which judges it as the pipeline's own first attempt, its tokens drawn, and retries from there. A call that would
    /// wait for the budget goes the whole way.
    /// </summary>
    internal bool TryStartDirect(long estimatedTokens) => TryStartDirect(_gate, estimatedTokens);

    /// <summary>As <see cref="TryStartDirect(long)"/>, behind the given gate (the handler keeps one per host).</summary>
    internal bool TryStartDirect(ProviderGate gate, long estimatedTokens)
    {
        Guard.NotNegative(estimatedTokens, nameof(estimatedTokens));
        if (gate.IsHeld)
        {
            return false;
        }

        if (_options.Budget is { } budget && estimatedTokens > 0)
        {
            if (!budget.TryTakeNow(estimatedTokens))
            {
                return false;
            }

            if (gate.IsHeld)
            {
                GiveBack(estimatedTokens); // a throttle came back meanwhile: the call waits at the gate, as any
                return false;
            }
        }

        Started();
        return true;
    }

    /// <summary>Whether an attempt's outcome is one the pipeline would act on (retry, throttle, a failure): else it is the call's answer.</summary>
    internal bool NeedsRetry(Outcome<TResult> outcome) => _isRateLimited(outcome) || _isTransient(outcome);

    /// <summary>Ends a call whose direct first attempt was answered.</summary>
    internal void EndDirect() => EndDirect(_gate);

    /// <summary>As <see cref="EndDirect()"/>, behind the given gate.</summary>
    internal void EndDirect(ProviderGate gate)
    {
        gate.Report(AttemptResult.Answered, probe: false, retryAfter: null);
        _options.Metrics.RecordServed();
        _options.RetryBudget.CallEnded();
    }

    /// <summary>
    /// Goes on with a call whose direct first attempt, which drew <paramref name="estimatedTokens"/>, ended in
    /// <paramref name="first"/>: judged, then retried as any call (a throttled first attempt gives its tokens back, every
    /// retry draws them again).
    /// </summary>
    internal ValueTask<TResult> ContinueDirect(Outcome<TResult> first, Func<CancellationToken, ValueTask<TResult>> call, long estimatedTokens, CancellationToken cancellationToken)
        => ContinueDirect(first, call, _gate, estimatedTokens, cancellationToken);

    /// <summary>As <see cref="ContinueDirect(Outcome{TResult}, Func{CancellationToken, ValueTask{TResult}}, long, CancellationToken)"/>, behind the given gate.</summary>
    internal ValueTask<TResult> ContinueDirect(Outcome<TResult> first, Func<CancellationToken, ValueTask<TResult>> call, ProviderGate gate, long estimatedTokens, CancellationToken cancellationToken)
        => RunAsync(call, estimatedTokens, new CallState(gate, GiveUpAt()) { First = first }, cancellationToken);

    /// <summary>One attempt of a direct call, cut at the attempt timeout as any attempt (see SendAsync), with the call's state passed (a static call allocates nothing).</summary>
    internal ValueTask<Outcome<TResult>> SendDirectAsync<TState>(Func<TState, CancellationToken, ValueTask<TResult>> call, TState state, CancellationToken cancellationToken)
        => SendAsync(call, state, cancellationToken);

    private void Started()
    {
        _options.Metrics.RecordCall();
        _options.RetryBudget.CallStarted();
    }

    private TimeSpan GiveUpAt() => TimeProviderTasks.Now(_options.TimeProvider) + _options.MaxWaitForRecovery;

    // The call through the Polly retry; Started() was called for it, and this ends it.
    private async ValueTask<TResult> RunAsync(Func<CancellationToken, ValueTask<TResult>> call, long estimatedTokens, CallState state, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(CallKey, state);
            var result = await _pipeline.ExecuteAsync(
                static async (context, state) => await state.Self.AttemptAsync(state.Call, state.Tokens, state.State, context.CancellationToken).ConfigureAwait(false),
                context,
                (Self: this, Call: call, Tokens: estimatedTokens, State: state)).ConfigureAwait(false);
            if (state.Last == AttemptResult.Answered)
            {
                _options.Metrics.RecordServed();
            }

            return result;
        }
        finally
        {
            _options.RetryBudget.CallEnded();
            ResilienceContextPool.Shared.Return(context);
        }
    }

    // Polly retry options over the pipeline's own (copied) options. Retried: a transient outcome, not cancelled, with a
    // Retry-After we are willing to wait. A throttle, or a failed probe, is retried for as long as the call may wait for
    // recovery (the gate paces it); any other failure at most MaxRetryAttempts times, and only with a retry-budget credit
    // unless the gate is held (then the retry waits there and sends nothing until the probe answers).
    private RetryStrategyOptions<TResult> RetryOptions()
    {
        var options = _options;
        var jitter = new JitteredBackoffOptions { BaseDelay = options.BaseDelay, MaxDelay = options.MaxDelay, Randomizer = options.Randomizer };
        var random = options.Randomizer ?? RandomUtil.NextDouble;
        return new RetryStrategyOptions<TResult>
        {
            MaxRetryAttempts = int.MaxValue,
            ShouldHandle = args => new ValueTask<bool>(ShouldRetry(args.Outcome, args.Context)),
            DelayGenerator = args => new ValueTask<TimeSpan?>(RetryWait(args.AttemptNumber, Call(args.Context).RetryAfter, jitter, random)),
            OnRetry = args =>
            {
                options.Metrics.RecordRetry(args.AttemptNumber + 1);
                return default;
            },
        };
    }

    private static CallState Call(ResilienceContext context) => context.Properties.GetValue(CallKey, null!);

    private bool ShouldRetry(Outcome<TResult> outcome, ResilienceContext context)
    {
        var call = Call(context);
        if (context.CancellationToken.IsCancellationRequested || !_isTransient(outcome) || call.RetryAfter > _options.MaxRetryAfter)
        {
            return false;
        }

        if (call.Gate.HeldPast(call.GiveUpAt))
        {
            return false; // the provider will not be back within this call's allowance: hand the caller what it answered
        }

        if (call.Last == AttemptResult.Throttled)
        {
            return true;
        }

        if (call.Failures > _options.MaxRetryAttempts)
        {
            return false;
        }

        if (call.Gate.IsHeld || _options.RetryBudget.TryRetry())
        {
            return true;
        }

        _options.Metrics.RecordRetryBudgetExhausted();
        return false;
    }

    // The provider's wait for this outcome; a negative one (from a delegate) counts as none.
    private TimeSpan? RetryAfter(Outcome<TResult> outcome)
        => _retryAfter(outcome, _options.TimeProvider.GetUtcNow()) is { } wait && wait >= TimeSpan.Zero ? wait : null;

    private async ValueTask<TResult> AttemptAsync(Func<CancellationToken, ValueTask<TResult>> call, long tokens, CallState state, CancellationToken cancellationToken)
    {
        state.RetryAfter = null;
        var first = state.First;
        state.First = null;
        var probe = first is null && await state.Gate.EnterAsync(state.GiveUpAt, cancellationToken).ConfigureAwait(false);
        var result = AttemptResult.Abandoned;
        var rateLimited = false;
        TimeSpan? retryAfter = null;
        try
        {
            Outcome<TResult> outcome;
            if (first is { } made)
            {
                outcome = made; // the caller's direct first attempt: already sent
            }
            else
            {
                await AcquireAsync(tokens, cancellationToken).ConfigureAwait(false);
                while (!probe && state.Gate.IsHeld)
                {
                    // A throttle came back while this call waited for the budget: it waits at the gate too, its tokens
                    // given back, instead of being sent into the throttle.
                    GiveBack(tokens);
                    probe = await state.Gate.EnterAsync(state.GiveUpAt, cancellationToken).ConfigureAwait(false);
                    await AcquireAsync(tokens, cancellationToken).ConfigureAwait(false);
                }

                outcome = await SendAsync(call, cancellationToken).ConfigureAwait(false);
            }

            retryAfter = _isRateLimited(outcome) || _isTransient(outcome) ? RetryAfter(outcome) : null; // an answer that is not retried needs no wait: no header parsed on the success path
            result = Judge(outcome, retryAfter, cancellationToken);
            rateLimited = result == AttemptResult.Throttled && _isRateLimited(outcome);
            if (rateLimited)
            {
                _options.Metrics.RecordRateLimited();
            }

            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            state.Gate.Report(result, probe, retryAfter);
            if (result == AttemptResult.Throttled)
            {
                // Only now that the gate is held: the tokens given back let the next caller past the budget, to the gate.
                GiveBack(tokens);
                if (rateLimited)
                {
                    _options.Budget?.OnThrottled();
                }
            }

            state.Last = result;
            state.RetryAfter = retryAfter; // read once here, by the retry's decision and its delay
            if (result == AttemptResult.Failed && !probe)
            {
                state.Failures++; // a probe is sent for every waiting call: its failure holds the gate, it is not this call's
            }
        }
    }

    private async ValueTask AcquireAsync(long tokens, CancellationToken cancellationToken)
    {
        if (_options.Budget is { } budget && tokens > 0)
        {
            if (await budget.AcquireTokensCoreAsync(tokens, cancellationToken).ConfigureAwait(false))
            {
                _options.Metrics.RecordTokensWaited(tokens); // once, after the wait was admitted: as the budget counts it
            }
        }
    }

    // One attempt of the call, cut at AttemptTimeout (a TimeoutRejectedException, which is retried); the caller's own
    // cancellation stays an OperationCanceledException.
    private ValueTask<Outcome<TResult>> SendAsync(Func<CancellationToken, ValueTask<TResult>> call, CancellationToken cancellationToken)
        => SendAsync(static (call, token) => call(token), call, cancellationToken);

    private async ValueTask<Outcome<TResult>> SendAsync<TState>(Func<TState, CancellationToken, ValueTask<TResult>> call, TState state, CancellationToken cancellationToken)
    {
        var timeout = _options.AttemptTimeout;
        var attempt = timeout == Timeout.InfiniteTimeSpan ? null : AttemptCancellation.Start(_options.TimeProvider, timeout, cancellationToken);
        try
        {
            return Outcome.FromResult(await call(state, attempt?.Token ?? cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException e) when (attempt is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested)
        {
            return Outcome.FromException<TResult>(new TimeoutRejectedException(
                string.Format(System.Globalization.CultureInfo.InvariantCulture, "The attempt did not finish within ProviderResilienceOptions.AttemptTimeout ({0:0.###} s); it is retried.", timeout.TotalSeconds),
                timeout,
                e));
        }
        catch (Exception e)
        {
            return Outcome.FromException<TResult>(e);
        }
        finally
        {
            attempt?.End();
        }
    }

    private AttemptResult Judge(Outcome<TResult> outcome, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        if (outcome.Exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return AttemptResult.Abandoned;
        }

        if (_isRateLimited(outcome) || (retryAfter is not null && _isTransient(outcome)))
        {
            return AttemptResult.Throttled;
        }

        return _isTransient(outcome) ? AttemptResult.Failed : AttemptResult.Answered;
    }

    // Tokens drawn for an attempt that was not processed go back to the budget.
    private void GiveBack(long tokens)
    {
        if (_options.Budget is { } budget && tokens > 0)
        {
            budget.Reconcile(tokens, 0);
        }
    }

    /// <summary>What the retry needs to know of one logical call: its gate, when it gives up waiting, its attempts so far and the last one's Retry-After.</summary>
    private sealed class CallState(ProviderGate gate, TimeSpan giveUpAt)
    {
        public ProviderGate Gate { get; } = gate;

        public TimeSpan GiveUpAt { get; } = giveUpAt;

        public AttemptResult Last { get; set; }

        public int Failures { get; set; }

        public TimeSpan? RetryAfter { get; set; }

        /// <summary>The outcome of a first attempt the caller made directly, judged in place of sending one.</summary>
        public Outcome<TResult>? First { get; set; }
    }
}
