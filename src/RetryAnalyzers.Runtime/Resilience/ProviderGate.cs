using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Polly.CircuitBreaker;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// The breaker of one provider endpoint, which also holds the provider's throttles. Closed, every attempt goes. A
/// throttle (429, or 503 with Retry-After) holds the gate for the Retry-After; failures that are not throttles (5xx
/// without Retry-After, refused connections, attempt timeouts) open it for the break duration once the breaker's ratio
/// trips. While it is held, calls <b>wait</b> instead of failing; when the hold ends, one attempt goes as the probe and
/// the rest wait for its answer: an answer closes the gate (everyone goes, paced by the token budget), another throttle
/// or failure holds it again, each time twice as long up to the cap. A call fails only when the wait would outlast its
/// own allowance (<see cref="ProviderResilienceOptions.MaxWaitForRecovery"/>) — never with another call's exception.
/// </summary>
internal sealed class ProviderGate
{
    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly ProviderCircuitBreaker? _breaker;
    private readonly FailureWindow? _window;
    private readonly TimeSpan _maxHold;
    private readonly TimeSpan _minHold;
    private readonly RetryMetrics _metrics;

    private bool _held;
    private TimeSpan _holdUntil;
    private bool _probing;
    private int _consecutiveHolds;
    private TaskCompletionSource<bool> _probeDone = NewSignal();

    public ProviderGate(ProviderResilienceOptions options)
    {
        _time = options.TimeProvider;
        _breaker = options.CircuitBreaker;
        _window = _breaker is null ? null : new FailureWindow(_breaker.SamplingDuration);
        _maxHold = _breaker?.MaxBreakDuration ?? options.MaxDelay;
        _minHold = options.BaseDelay;
        _metrics = options.Metrics;
    }

    /// <summary>True while the gate is held (throttled or open): a retry now waits here rather than sending.</summary>
    /// <remarks>A volatile read, not the lock (it is on every call's path): the flag is written under the lock, and one
    /// bool read needs nothing more to see the last write.</remarks>
    public bool IsHeld => Volatile.Read(ref _held);

    /// <summary>True when the gate is held beyond <paramref name="time"/> (<see cref="TimeProviderTasks.Now"/>): a call that must give up by then should not wait.</summary>
    public bool HeldPast(TimeSpan time)
    {
        lock (_lock)
        {
            return _held && _holdUntil > time;
        }
    }

    /// <summary>
    /// Waits until this attempt may go. Returns true when it goes as the probe (its result must be reported). Throws
    /// <see cref="BrokenCircuitException"/> when the gate would stay held past <paramref name="giveUpAt"/> (elapsed time of
    /// <see cref="TimeProviderTasks.Now"/>), and <see cref="OperationCanceledException"/> on the caller's cancellation (nothing is sent).
    /// </summary>
    public async ValueTask<bool> EnterAsync(TimeSpan giveUpAt, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Task probeDone;
            TimeSpan delay;
            lock (_lock)
            {
                if (!_held)
                {
                    return false;
                }

                var now = TimeProviderTasks.Now(_time);
                if (!_probing && now >= _holdUntil)
                {
                    _probing = true;
                    _metrics.RecordProbe();
                    return true;
                }

                // Wait for the hold to end, or for the probe's answer (at most until this call gives up).
                var wakeAt = _probing ? giveUpAt : _holdUntil;
                if (wakeAt > giveUpAt || now >= giveUpAt)
                {
                    var left = _holdUntil > now ? _holdUntil - now : TimeSpan.Zero;
                    throw new BrokenCircuitException(
                        string.Format(CultureInfo.InvariantCulture, "The provider is throttling or failing, and the wait for it to recover would outlast this call's allowance (ProviderResilienceOptions.MaxWaitForRecovery); the gate is held for {0:0.###} s more.", left.TotalSeconds),
                        left);
                }

                probeDone = _probeDone.Task;
                delay = wakeAt - now;
            }

            using var stopDelay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(probeDone, TimeProviderTasks.Delay(_time, delay, stopDelay.Token)).ConfigureAwait(false);
            stopDelay.Cancel(); // the probe answered first: drop the timer
        }
    }

    /// <summary>Records what an attempt told about the provider; <paramref name="retryAfter"/> is the throttle's wait, if any.</summary>
    public void Report(AttemptResult result, bool probe, TimeSpan? retryAfter)
    {
        lock (_lock)
        {
            var now = TimeProviderTasks.Now(_time);
            var wasHeld = _held;
            switch (result)
            {
                case AttemptResult.Answered:
                    _window?.Add(now, failed: false);
                    _consecutiveHolds = 0;
                    _held = false;
                    break;
                case AttemptResult.Throttled:
                    // A throttle is the provider pacing us: it holds the gate for its wait, and is not counted as a failure.
                    var wait = retryAfter ?? TimeSpan.Zero;
                    Hold(now, probe ? Longer(wait) : wait);
                    break;
                case AttemptResult.Failed when _breaker is not null:
                    _window!.Add(now, failed: true);
                    if (probe)
                    {
                        Hold(now, Longer(_breaker.BreakDuration));
                    }
                    else if (!_held && _window.Trips(now, _breaker.MinimumThroughput, _breaker.FailureRatio))
                    {
                        _metrics.RecordBreakerOpened();
                        _window.Clear();
                        Hold(now, _breaker.BreakDuration);
                    }

                    break;
            }

            if (probe)
            {
                _probing = false;
            }

            // Wake the waiters: only a held gate has any (a call waits only while it is held), so the success path
            // of an open gate allocates no new signal.
            if (probe || (result == AttemptResult.Answered && wasHeld))
            {
                var done = _probeDone;
                _probeDone = NewSignal();
                done.TrySetResult(true);
            }
        }
    }

    private static TaskCompletionSource<bool> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The probe was throttled or failed again: each hold in a row doubles (from the given wait), up to the cap.
    private TimeSpan Longer(TimeSpan wait)
    {
        _consecutiveHolds = Math.Min(_consecutiveHolds + 1, 30);
        var grown = TimeSpan.FromTicks((long)Math.Min(_maxHold.Ticks, Math.Max(_minHold.Ticks, wait.Ticks) * Math.Pow(2, _consecutiveHolds)));
        return wait > grown ? wait : grown;
    }

    private void Hold(TimeSpan now, TimeSpan wait)
    {
        _held = true;
        var until = now + wait;
        if (until > _holdUntil)
        {
            _holdUntil = until;
        }
    }
}
