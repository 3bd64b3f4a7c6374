using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// One token budget shared by every agent of a process: each call draws its cost in tokens (prompt estimate + max
/// output) before it is sent, so the process never asks the provider for more than its tokens-per-minute limit and
/// no call is throttled in the first place.
/// <para>
/// <b>Fairness.</b> Waiters are served first in, first out: a small request never overtakes an earlier large one, so
/// nobody starves. <b>Oversized requests.</b> A request that costs more than <see cref="Burst"/> cannot ever fit; it is
/// admitted as soon as the budget is full and leaves it in debt (the balance goes negative and later requests wait
/// for the refill). So no request waits longer than one full refill (<c>Burst / TokensPerSecond</c>) behind it, and it
/// never fails with an exception. No value is too large: sums saturate, the debt is at most
/// <c>TokensPerSecond</c> × one hour (a huge request or reported usage delays later callers by at most an hour), and a
/// long wait re-arms its timer. <b>Reconciliation.</b> After the call, <see cref="Reconcile(long, long)"/> returns the unused part
/// of the estimate (or charges what was used beyond it), and <see cref="ProviderTokenBudget.ApplyRateLimitHeaders(HttpResponseMessage, TimeSpan)"/> lowers the balance and sets the
/// rate (within the configuration, both ways) to what the provider reports (<c>x-ratelimit-*</c>, <c>anthropic-ratelimit-*</c>).
/// </para>
/// <para>
/// <b>Shapes.</b> A token bucket by default; a rolling window with <see cref="TokenBudgetOptions.Window"/> (or
/// <see cref="TokenBudgetOptions.PerMinute"/>); with <see cref="TokenBudgetOptions.TokensPerSecond"/> 0, the limit is
/// learned from the first answer's headers, or, for a provider that never sends them, found from its 429s (an adaptive
/// rate).
/// </para>
/// <para>
/// It is a <see cref="RateLimiter"/> whose permits are tokens, so Polly's <c>AddRateLimiter(budget)</c> accepts it
/// (one token per execution); <see cref="TokenBudgetPipelineBuilderExtensions.AddTokenBudget{TBuilder}"/> charges the
/// token cost of each execution instead. Thread-safe.
/// </para>
/// </summary>
public sealed partial class TokenBudget : ProviderTokenBudget
{
    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _queue = new();
    private readonly TimeProvider _timeProvider;
    private readonly bool _systemClock;
    private readonly double _timestampToMilliseconds;
    private readonly int _queueLimit;
    private readonly double _configuredRate;
    private readonly long _configuredBurst;
    private readonly bool _learnLimit;
    private double _rate;
    private long _burst;
    private double _tokens;
    private double _lastRefillMilliseconds;
    private long _idleSinceMilliseconds;
    private ITimer? _timer;
    private bool _disposed;
    private long _successfulLeases;
    private long _failedLeases;
    private long _tokensWaitedFor;

    /// <summary>Creates a budget.</summary>
    /// <param name="options">Rate, burst, queue limit and clock; validated and copied.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public TokenBudget(TokenBudgetOptions options)
    {
        options = Guard.NotNull(options, nameof(options)).ValidatedCopy();
        _timeProvider = options.TimeProvider;
        _systemClock = ReferenceEquals(_timeProvider, TimeProvider.System);
        _timestampToMilliseconds = 1000.0 / _timeProvider.TimestampFrequency;
        _queueLimit = options.QueueLimit;
        _configuredRate = options.TokensPerSecond;
        _rate = options.TokensPerSecond;
        _burst = _configuredBurst = options.EffectiveBurst;
        _learnLimit = options.LearnLimitFromHeaders;
        _windowMilliseconds = options.Window.TotalMilliseconds;
        _learning = _unconfigured = options.TokensPerSecond == 0;
        _lastRefillMilliseconds = NowMilliseconds();
        _idleSinceMilliseconds = (long)_lastRefillMilliseconds;
        if (_learning)
        {
            _burst = long.MaxValue; // no limit known: one call at a time until an answer says it
            _tokens = _burst;
        }
        else if (IsWindow)
        {
            _tokens = _burst;
            if (options.InitialTokens >= 0)
            {
                TakeFromWindow(_burst - options.InitialTokens); // spent just before: it leaves the window after one window
            }
        }
        else
        {
            _tokens = options.InitialTokens < 0 ? _burst : options.InitialTokens;
        }
    }

    /// <summary>
    /// Tokens added per second; lowered when the provider reports a smaller limit, raised back (up to the configured rate)
    /// when it reports a larger one. 0 while a budget configured without a limit has not learned it yet.
    /// </summary>
    public double TokensPerSecond
    {
        get
        {
            lock (_lock)
            {
                return _rate;
            }
        }
    }

    /// <summary>The most tokens the budget holds: the bucket's burst, a window's limit, or <see cref="long.MaxValue"/> while the limit is unknown.</summary>
    public long Burst
    {
        get
        {
            lock (_lock)
            {
                return _burst;
            }
        }
    }

    /// <summary>The tokens available now (negative while the budget is in debt after an oversized request).</summary>
    public double AvailableTokens
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return _tokens;
            }
        }
    }

    /// <summary>How many callers wait.</summary>
    public int QueuedCount
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>
    /// The tokens of the requests that had to wait for the budget, counted when their wait ends and they are admitted
    /// (a cancelled wait takes no tokens and is not counted): a process that waits a lot is at its limit.
    /// </summary>
    public long TokensWaitedFor => Interlocked.Read(ref _tokensWaitedFor);

    /// <inheritdoc />
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count > 0 ? null : TimeSpan.FromMilliseconds(NowMilliseconds() - _idleSinceMilliseconds);
            }
        }
    }

    /// <inheritdoc />
    public override bool TryAcquire(long tokens)
    {
        CheckTokens(tokens);
        lock (_lock)
        {
            if (TryTakeLease(tokens))
            {
                return true;
            }

            _failedLeases++;
            return false;
        }
    }

    internal override bool TryTakeNow(long tokens)
    {
        lock (_lock)
        {
            return TryTakeLease(tokens);
        }
    }

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            Refill();
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = Saturate(Math.Floor(_tokens)),
                CurrentQueuedCount = _queue.Count,
                TotalSuccessfulLeases = _successfulLeases,
                TotalFailedLeases = _failedLeases,
            };
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (TryTakeLease(permitCount))
            {
                return Lease(true, null); // a lease that has to wait is counted once, when its wait ends
            }
        }

        try
        {
            await AcquireTokensAsync(permitCount, cancellationToken).ConfigureAwait(false);
            return Lease(true, null);
        }
        catch (InvalidOperationException)
        {
            // RateLimiter's contract for a full queue is a failed lease, not an exception.
            lock (_lock)
            {
                return Lease(false, RefillTime(Math.Max(1, permitCount)));
            }
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        List<Waiter> waiters;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer?.Dispose();
            waiters = new List<Waiter>(_queue);
            _queue.Clear();
        }

        foreach (var waiter in waiters)
        {
            waiter.Registration.Dispose();
            waiter.Completion.TrySetException(new ObjectDisposedException(nameof(TokenBudget)));
        }
    }

    /// <summary><paramref name="value"/> as a long, saturated at <see cref="long.MinValue"/> and <see cref="long.MaxValue"/>.</summary>
    internal static long Saturate(double value)
        => value >= long.MaxValue ? long.MaxValue : value <= long.MinValue ? long.MinValue : (long)value;

    private static void CheckTokens(long tokens) => Guard.NotNegative(tokens, nameof(tokens));

    // Under the lock: the balance less (or, negative, plus) tokens, never below the largest debt nor above the burst (a
    // window logs them; nothing while the limit is unknown).
    private void Take(double tokens)
    {
        if (_learning)
        {
            return;
        }

        if (IsWindow)
        {
            TakeFromWindow(tokens);
            return;
        }

        _tokens = Math.Min(_burst, Math.Max(-_rate * RuntimeDefaults.BudgetMaxDebt.TotalSeconds, _tokens - tokens));
    }

    // Under the lock: how long until `tokens` more are available (the refill, the window, or the unanswered call while
    // learning), from 1 ms to the longest timer due time.
    private TimeSpan RefillTime(double tokens)
    {
        if (_learning)
        {
            return DueIn(_probeSince < 0 ? 0 : _probeSince + ProbeTimeoutMilliseconds - NowMilliseconds());
        }

        return IsWindow ? WindowWait(tokens) : DueIn(tokens * 1000.0 / _rate);
    }

    // A timer's due time for a wait of `milliseconds`: whole milliseconds, from 1 ms to the longest due time a timer takes.
    private static TimeSpan DueIn(double milliseconds)
        => TimeSpan.FromMilliseconds(Math.Min(RuntimeDefaults.MaxTimerDue.TotalMilliseconds, Math.Max(1, Math.Ceiling(milliseconds))));

    // Under the lock: the fast path of both acquires, counted as a successful lease when it takes the tokens.
    private bool TryTakeLease(long tokens)
    {
        ThrowIfDisposed();
        if (!TryTake(tokens))
        {
            return false;
        }

        _successfulLeases++;
        return true;
    }

    // Under the lock. Nobody may overtake a waiter (FIFO); an oversized request only needs a full budget.
    private bool TryTake(long tokens)
    {
        Refill();
        if (_queue.Count > 0 || _tokens < Math.Min(tokens, _burst))
        {
            return false;
        }

        Admit(tokens);
        return true;
    }

    private double NowMilliseconds()
    {
#if NET
        if (_systemClock)
        {
            return Environment.TickCount64; // cheap and monotonic; millisecond resolution is plenty for a tokens-per-second budget
        }
#endif
        return _timeProvider.GetTimestamp() * _timestampToMilliseconds;
    }

    private void Refill()
    {
        var now = NowMilliseconds();
        if (RefillShape(now))
        {
            return;
        }

        var elapsed = now - _lastRefillMilliseconds;
        if (elapsed > 0)
        {
            _tokens = Math.Min(_burst, _tokens + (elapsed * _rate / 1000.0));
            _lastRefillMilliseconds = now;
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new ObjectDisposedException(nameof(TokenBudget));
        }
    }
}
