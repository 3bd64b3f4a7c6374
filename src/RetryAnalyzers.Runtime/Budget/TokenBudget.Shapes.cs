using System;
using System.Collections.Generic;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

// Beside the bucket, the budget's other shapes: a rolling window (TokenBudgetOptions.Window), a limit not configured
// (learned from the first answer's headers; one call at a time until then), and an adaptive rate for providers that
// never send their limit (AdaptiveRate: found from throttles alone).
public sealed partial class TokenBudget
{
    /// <summary>How long the one call sent while the limit is unknown may go unanswered before the budget stops waiting for its headers.</summary>
    internal const double ProbeTimeoutMilliseconds = 10_000;

    private readonly double _windowMilliseconds; // 0: a bucket
    private readonly Queue<Admission> _admitted = new(); // the window's admissions, oldest first
    private double _inWindow;
    private readonly bool _unconfigured; // TokensPerSecond 0: the limit comes from the provider
    private bool _learning; // no limit yet
    private double _probeSince = -1; // while learning: when the call in flight was admitted, or -1
    private long _probeTokens;
    private AdaptiveRate? _adaptive;

    /// <summary>The rolling window the budget accounts over, or <see cref="TimeSpan.Zero"/> for a token bucket.</summary>
    public TimeSpan Window => TimeSpan.FromMilliseconds(_windowMilliseconds);

    private bool IsWindow => _windowMilliseconds > 0;

    // How much longer than the window an admission is counted: the provider stamps a request when it arrives, a little
    // after it was admitted here, and a request that arrived late must not still be in its window when its successor
    // arrives early. A tenth of the window, at most 250 ms.
    private double WindowSlack => Math.Min(_windowMilliseconds / 10, 250);

    // Under the lock: the tokens a window admits (rate × window), saturated.
    private long WindowLimit => Saturate(Math.Floor(_rate * _windowMilliseconds / 1000));

    // Under the lock: sets the rate; the burst follows (a window holds its whole limit; a bucket keeps its length in seconds).
    private void SetRate(double rate, double burstSeconds)
    {
        _rate = Math.Max(RuntimeDefaults.BudgetMinTokensPerSecond, rate);
        _burst = IsWindow ? Math.Max(1, WindowLimit) : Math.Max(1, Saturate(Math.Ceiling(_rate * burstSeconds)));
        _tokens = IsWindow ? _burst - _inWindow : Math.Min(_tokens, _burst);
    }

    // Under the lock: brings the window, the learning state and the adaptive rate to now; false when the bucket refill is still to do.
    private bool RefillShape(double now)
    {
        if (_learning)
        {
            if (_probeSince < 0 || now - _probeSince < ProbeTimeoutMilliseconds)
            {
                _tokens = _probeSince < 0 ? _burst : 0; // one call at a time until the first answer
                return true;
            }

            Adapt(_probeTokens, now - _probeSince, now); // no answer said the limit in time: find it from throttles
        }

        if (_adaptive is { } adaptive && adaptive.Tick(now))
        {
            SetRate(adaptive.Rate, 1);
        }

        if (!IsWindow)
        {
            return false;
        }

        while (_admitted.Count > 0 && _admitted.Peek().At <= now - _windowMilliseconds - WindowSlack)
        {
            _inWindow -= _admitted.Dequeue().Tokens;
        }

        if (_admitted.Count == 0)
        {
            _inWindow = 0; // no drift from sums of doubles
        }

        _tokens = _burst - _inWindow; // the burst is the window's limit, at least 1
        _lastRefillMilliseconds = now;
        return true;
    }

    // Under the lock: a caller admitted with its tokens (a window logs them; while learning, it is the one call in flight).
    private void Admit(long tokens)
    {
        if (_learning)
        {
            if (tokens > 0)
            {
                _probeSince = NowMilliseconds();
                _probeTokens = tokens;
                _tokens = 0;
            }

            return;
        }

        _adaptive?.Used(tokens);
        Take(tokens);
    }

    // Under the lock: tokens taken (positive) or given back (negative) in a window: taken ones are logged now, given
    // back ones come off the oldest admissions (they leave the window first, so the window never counts less than was sent).
    private void TakeFromWindow(double tokens)
    {
        if (tokens > 0)
        {
            _admitted.Enqueue(new Admission(NowMilliseconds(), tokens));
            _inWindow += tokens;
        }

        var refund = -tokens;
        foreach (var admission in _admitted)
        {
            if (refund <= 0)
            {
                break;
            }

            var part = Math.Min(refund, admission.Tokens);
            admission.Tokens -= part;
            _inWindow -= part;
            refund -= part;
        }

        while (_admitted.Count > 0 && _admitted.Peek().Tokens <= 0)
        {
            _admitted.Dequeue(); // given back whole: refunds take the oldest first, so these are at the head
        }

        _tokens = _burst - _inWindow;
    }

    // Under the lock: how long until the window frees `needed` more tokens, from 1 ms.
    private TimeSpan WindowWait(double needed)
    {
        var now = NowMilliseconds();
        double freed = 0;
        foreach (var admission in _admitted)
        {
            freed += admission.Tokens;
            if (freed >= needed)
            {
                return DueIn(admission.At + _windowMilliseconds + WindowSlack - now);
            }
        }

        return DueIn(_windowMilliseconds);
    }

    // Under the lock: while learning, the call in flight was answered without a limit (or not in time): its tokens over
    // its time are the first guess of an adaptive rate. That call is charged its tokens (its estimate while it is still
    // out, its Reconcile settles the rest; its usage when it has answered), less what the new rate refilled since it was sent.
    private void Adapt(long tokens, double elapsedMilliseconds, double now)
    {
        _learning = false;
        _probeSince = -1;
        _adaptive = new AdaptiveRate(Math.Max(1.0, tokens) * 1000.0 / Math.Max(1.0, elapsedMilliseconds), now);
        _tokens = double.MaxValue;
        SetRate(_adaptive.Rate, 1);
        _lastRefillMilliseconds = now;
        Take(Math.Max(0, tokens - (elapsedMilliseconds / 1000 * _rate)));
    }

    // Under the lock: the provider said its limit per minute while the budget had none: a bucket that no 60 s window
    // of that limit can refuse (see TokenBudgetOptions.ForRollingWindow), or the window itself.
    // Later answers keep it current (a raised or lowered limit), without refilling the balance.
    private void Learn(long limitPerMinute)
    {
        var first = _learning || _adaptive is not null;
        var now = NowMilliseconds();
        var probing = _learning && _probeSince >= 0;
        var sent = probing ? _probeSince : now;
        var inFlight = probing ? _probeTokens : 0; // its Reconcile settles it against this estimate
        _learning = false;
        _probeSince = -1;
        _adaptive = null;
        if (first)
        {
            _tokens = double.MaxValue; // full at the new rate
            _lastRefillMilliseconds = now;
        }

        SetRate(IsWindow ? limitPerMinute / 60.0 : limitPerMinute / 61.0, 1);
        Take(IsWindow ? inFlight : Math.Max(0, inFlight - ((now - sent) / 1000 * _rate))); // less what was refilled since it was sent
    }

    /// <inheritdoc />
    internal override void Reconcile(long estimatedTokens, long actualTokens, TimeSpan age)
        => Reconcile(estimatedTokens, IsWindow && age.TotalMilliseconds > _windowMilliseconds + WindowSlack ? Math.Max(actualTokens, estimatedTokens) : actualTokens);

    /// <inheritdoc />
    protected internal override void OnThrottled()
    {
        List<Waiter>? ready;
        lock (_lock)
        {
            var now = NowMilliseconds();
            if (_learning)
            {
                _probeSince = -1; // answered: the next call may go (the gate holds it for the Retry-After)
            }
            else if (_adaptive is { } adaptive)
            {
                adaptive.Throttled(now);
                SetRate(adaptive.Rate, 1);
                _tokens = Math.Min(_tokens, 0); // what was left was too much
            }

            Refill();
            ready = Drain();
        }

        Complete(ready);
    }

    private sealed class Admission(double at, double tokens)
    {
        public double At { get; } = at;

        public double Tokens { get; set; } = tokens;
    }
}
