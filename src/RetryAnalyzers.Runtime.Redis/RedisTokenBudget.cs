using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace RetryAnalyzers.Runtime.Redis;

/// <summary>
/// One token budget for every process and machine on an API key, kept on Redis: each call takes its tokens in one
/// atomic script on Redis's clock before it is sent, so N processes together never ask the provider for more than the
/// key's limit. Usable wherever a budget is accepted (<see cref="ProviderResilienceOptions.Budget"/>, the handler,
/// <see cref="TokenBudgetPipelineBuilderExtensions.AddTokenBudget{TBuilder}"/>, Polly's <c>AddRateLimiter</c>).
/// <para>
/// <b>Fair across processes.</b> A call that does not fit reserves its tokens at once (the shared balance goes below
/// zero) and gets from Redis the time the refill pays for them; it sleeps that long, once, without polling. Later calls
/// of every process see the reservation and queue behind it: first come, first served. A request larger than the burst
/// is admitted when the bucket is full and leaves debt, as in <see cref="TokenBudget"/>. <b>One round trip</b> per
/// call (none for calls served from a lease, see <see cref="RedisTokenBudgetOptions.LeaseTokens"/>); reconcile and
/// rate-limit headers are sent without waiting for the reply. <b>Cancellation takes nothing</b>: a cancelled wait gives
/// its reservation back. <b>Headers are shared</b>: a remaining-tokens header seen by one process lowers the balance of all.
/// </para>
/// <para>
/// <b>Redis down</b> (no answer within <see cref="RedisTokenBudgetOptions.OperationTimeout"/>): fail open onto a local
/// budget of <see cref="RedisTokenBudgetOptions.LocalShare"/> of the limit, or fail closed with
/// <see cref="RedisBudgetUnavailableException"/>; Redis is tried again every <see cref="RedisTokenBudgetOptions.RetryRedisAfter"/>
/// (StackExchange.Redis reconnects by itself) and the shared budget resumes. <see cref="Mode"/> and the metrics
/// (meter <c>RetryAnalyzers.Runtime.Redis</c>) say which one is in use. Create the multiplexer with
/// <c>abortConnect=false</c> so a process can start while Redis is down.
/// </para>
/// </summary>
public sealed class RedisTokenBudget : ProviderTokenBudget
{
    /// <summary>The meter of every Redis budget: <c>retryanalyzers.budget.redis.fallbacks</c>, <c>retryanalyzers.budget.redis.local</c>.</summary>
    public const string MeterName = "RetryAnalyzers.Runtime.Redis";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> FallbackCounter = Meter.CreateCounter<long>("retryanalyzers.budget.redis.fallbacks", "{fallback}", "Times a Redis token budget lost Redis and went on with its local share (fail open) or failed its calls (fail closed).");
    private static readonly UpDownCounter<long> LocalGauge = Meter.CreateUpDownCounter<long>("retryanalyzers.budget.redis.local", "{budget}", "Redis token budgets working without Redis now (1 while a budget is on its local share or failing closed, 0 when shared).");

    private readonly IDatabase _database;
    private readonly RedisKey _key;
    private readonly string _name;
    private readonly KeyValuePair<string, object?> _tag;
    private readonly double _rate;
    private readonly double _windowFactor = 1; // a window limit is kept as the bucket no window of it can refuse: rate × W / (W + 1 s)
    private readonly long _burst;
    private readonly bool _learn;
    private readonly TimeProvider _time;
    private readonly TokenBudget _local;
    private readonly RedisFailureMode _whenRedisFails;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _retryRedisAfter;
    private readonly long _leaseTokens;
    private readonly TimeSpan _leaseDuration;
    private readonly object _lock = new();
    private bool _localMode;
    private long _retryRedisAt;
    private long _leased;
    private long _leaseExpires;
    private int _waiting;
    private long _idleSince;
    private double _balance;
    private long _successfulLeases;
    private long _failedLeases;
    private long _fallbacks;
    private long _tokensWaitedFor;
    private bool _disposed;

    /// <summary>Creates a budget on <paramref name="redis"/>; it does not connect or send anything yet.</summary>
    /// <param name="redis">The connection (share one per process; create it with <c>abortConnect=false</c>). The budget does not own it.</param>
    /// <param name="options">Name, limit and failure behaviour; validated and copied.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public RedisTokenBudget(IConnectionMultiplexer redis, RedisTokenBudgetOptions options)
    {
        if (redis is null)
        {
            throw new ArgumentNullException(nameof(redis));
        }

        options = (options ?? throw new ArgumentNullException(nameof(options))).ValidatedCopy();
        var limit = options.Budget!;
        using (var validated = new TokenBudget(limit)) // validates the limit (messages name TokenBudgetOptions.*) and gives its effective burst
        {
            _rate = validated.TokensPerSecond;
            _burst = validated.Burst;
        }

        if (limit.Window > TimeSpan.Zero)
        {
            // The shared budget is a bucket: one that no rolling window of the limit can refuse. A bucket with burst
            // B = r·b admits up to r·(W + b) in a window W, so r = limit / (W + b), with b one second (or W / 10).
            var window = limit.Window.TotalSeconds;
            var burstSeconds = Math.Min(1.0, window / 10);
            _windowFactor = window / (window + burstSeconds); // a reported limit is scaled the same way
            _rate *= _windowFactor;
            var burst = Math.Floor(_rate * burstSeconds);
            _burst = burst >= long.MaxValue ? long.MaxValue : Math.Max(1, (long)burst);
        }

        _learn = limit.LearnLimitFromHeaders;
        _time = limit.TimeProvider;
        _local = new TokenBudget(new TokenBudgetOptions
        {
            TokensPerSecond = Math.Max(1.0 / 3600, _rate * options.LocalShare),
            Burst = Math.Max(1, (long)Math.Ceiling(_burst * options.LocalShare)),
            QueueLimit = limit.QueueLimit,
            TimeProvider = _time,
        });
        _database = redis.GetDatabase();
        _name = options.Name;
        _key = options.KeyPrefix + options.Name;
        _tag = new KeyValuePair<string, object?>("budget", options.Name);
        _whenRedisFails = options.WhenRedisFails;
        _timeout = options.OperationTimeout;
        _retryRedisAfter = options.RetryRedisAfter;
        _leaseTokens = options.LeaseTokens;
        _leaseDuration = options.LeaseDuration;
        _balance = _burst;
        _idleSince = _time.GetTimestamp();
    }

    /// <summary>The budget's name (<see cref="RedisTokenBudgetOptions.Name"/>).</summary>
    public string Name => _name;

    /// <summary>The key's limit in tokens per second, as configured (the shared rate on Redis follows the provider's headers).</summary>
    public double TokensPerSecond => _rate;

    /// <summary>The most tokens the shared budget holds.</summary>
    public long Burst => _burst;

    /// <summary>Whether calls take their tokens from Redis now, or from the local share.</summary>
    public RedisBudgetMode Mode
    {
        get
        {
            lock (_lock)
            {
                return _localMode ? RedisBudgetMode.Local : RedisBudgetMode.Shared;
            }
        }
    }

    /// <summary>How many times the budget lost Redis (each switch to the local share, or to failing closed, counts once).</summary>
    public long Fallbacks => Interlocked.Read(ref _fallbacks);

    /// <summary>The tokens of the calls that had to wait (a cancelled wait is not counted).</summary>
    public long TokensWaitedFor => Interlocked.Read(ref _tokensWaitedFor);

    /// <inheritdoc />
    public override TimeSpan? IdleDuration
        => Volatile.Read(ref _waiting) > 0 ? null : _time.GetElapsedTime(Interlocked.Read(ref _idleSince));

    /// <inheritdoc />
    /// <remarks>Synchronous: one StackExchange.Redis synchronous call, bounded by the connection's <c>syncTimeout</c> (the async acquire is bounded by <see cref="RedisTokenBudgetOptions.OperationTimeout"/>).</remarks>
    public override bool TryAcquire(long tokens)
    {
        CheckTokens(tokens);
        ThrowIfDisposed();
        bool taken;
        if (TryTakeLeased(tokens))
        {
            taken = true;
        }
        else if (!UseRedis())
        {
            taken = Local().TryAcquire(tokens);
        }
        else
        {
            try
            {
                taken = Answered(RedisBudgetScript.Run(_database, _key, RedisBudgetScript.Arguments(RedisBudgetScript.Try, _rate, _burst, tokens))).Taken;
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                taken = Failed(e).TryAcquire(tokens);
            }
        }

        Interlocked.Increment(ref taken ? ref _successfulLeases : ref _failedLeases);
        return taken;
    }

    /// <inheritdoc />
    public override void Reconcile(long estimatedTokens, long actualTokens)
    {
        CheckTokens(estimatedTokens);
        CheckTokens(actualTokens);
        if (estimatedTokens != actualTokens)
        {
            Send(RedisBudgetScript.Arguments(RedisBudgetScript.Adjust, _rate, _burst, (double)actualTokens - estimatedTokens), local => local.Reconcile(estimatedTokens, actualTokens));
        }
    }

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics()
    {
        var local = Mode == RedisBudgetMode.Local;
        return new RateLimiterStatistics
        {
            CurrentAvailablePermits = local ? (long)Math.Floor(_local.AvailableTokens) : (long)Math.Floor(Volatile.Read(ref _balance)),
            CurrentQueuedCount = Volatile.Read(ref _waiting),
            TotalSuccessfulLeases = Interlocked.Read(ref _successfulLeases),
            TotalFailedLeases = Interlocked.Read(ref _failedLeases),
        };
    }

    /// <inheritdoc />
    protected override ValueTask<bool> AcquireTokensCoreAsync(long tokens, CancellationToken cancellationToken)
    {
        CheckTokens(tokens);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        if (TryTakeLeased(tokens))
        {
            Interlocked.Increment(ref _successfulLeases);
            return new ValueTask<bool>(false);
        }

        return new ValueTask<bool>(AcquireFromRedisAsync(tokens, cancellationToken));
    }

    /// <inheritdoc />
    protected override void ApplyTokenLimits(long? limitPerMinute, long? remainingTokens, TimeSpan age)
        => Send(RedisBudgetScript.LimitArguments(_rate, _burst, limitPerMinute is { } limit ? (long)(limit * _windowFactor) : null, remainingTokens, age, _learn), null);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        long leased;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            leased = _leased;
            _leased = 0;
            if (_localMode)
            {
                LocalGauge.Add(-1, _tag);
            }
        }

        GiveBack(leased);
        _local.Dispose();
    }

    private static void CheckTokens(long tokens)
    {
        if (tokens < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, string.Format(CultureInfo.InvariantCulture, "tokens must not be negative; it was {0}.", tokens));
        }
    }

    // Redis's own failures and our timeout; never the caller's cancellation, never a bug of ours.
    private static bool IsRedisFailure(Exception e)
        => e is RedisException or TimeoutException or ObjectDisposedException { ObjectName: not nameof(RedisTokenBudget) } ||
           (e is AggregateException { InnerException: { } inner } && IsRedisFailure(inner));

    private static void Observe(Task task)
        => task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async Task<bool> AcquireFromRedisAsync(long tokens, CancellationToken cancellationToken)
    {
        if (!UseRedis())
        {
            return await AcquireLocallyAsync(Local(), tokens, cancellationToken).ConfigureAwait(false);
        }

        var ask = tokens > long.MaxValue - _leaseTokens ? long.MaxValue : tokens + _leaseTokens;
        RedisBudgetScript.Reply reply;
        try
        {
            // One round trip, bounded by the timeout and not cut by the caller's token: the script may already have
            // taken the tokens, so a cancellation is honoured after it (and gives them back).
            var run = RedisBudgetScript.RunAsync(_database, _key, RedisBudgetScript.Arguments(RedisBudgetScript.Take, _rate, _burst, ask));
            if (await Task.WhenAny(run, Delay(_timeout, CancellationToken.None)).ConfigureAwait(false) != run)
            {
                Observe(run);
                throw new TimeoutException(TimeoutMessage());
            }

            reply = Answered(await run.ConfigureAwait(false));
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            return await AcquireLocallyAsync(Failed(e), tokens, cancellationToken).ConfigureAwait(false);
        }

        var waited = reply.WaitMilliseconds > 0;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (waited)
            {
                Interlocked.Increment(ref _waiting);
                try
                {
                    await Delay(TimeSpan.FromMilliseconds(reply.WaitMilliseconds), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _waiting);
                    Interlocked.Exchange(ref _idleSince, _time.GetTimestamp());
                }
            }
        }
        catch (OperationCanceledException)
        {
            GiveBack(ask); // the reservation goes back: a cancelled wait takes nothing
            Interlocked.Increment(ref _failedLeases);
            throw;
        }

        if (_leaseTokens > 0)
        {
            lock (_lock)
            {
                _leased += _leaseTokens;
                _leaseExpires = _time.GetTimestamp() + (long)(_leaseDuration.TotalSeconds * _time.TimestampFrequency);
            }
        }

        Interlocked.Increment(ref _successfulLeases);
        if (waited)
        {
            Interlocked.Add(ref _tokensWaitedFor, tokens);
        }

        return waited;
    }

    private async Task<bool> AcquireLocallyAsync(TokenBudget local, long tokens, CancellationToken cancellationToken)
    {
        var acquire = local.AcquireTokensAsync(tokens, cancellationToken);
        var waited = !acquire.IsCompleted;
        await acquire.ConfigureAwait(false);
        Interlocked.Increment(ref _successfulLeases);
        return waited;
    }

    // Serves a call from the leased tokens when they are enough and fresh; expired ones go back to Redis.
    private bool TryTakeLeased(long tokens)
    {
        if (_leaseTokens == 0)
        {
            return false;
        }

        long expired = 0;
        lock (_lock)
        {
            if (_leased > 0 && _time.GetTimestamp() >= _leaseExpires)
            {
                expired = _leased;
                _leased = 0;
            }
            else if (_leased >= tokens)
            {
                _leased -= tokens;
                return true;
            }
        }

        GiveBack(expired);
        return false;
    }

    // Shared mode, or the time to try Redis again has come: then one caller tries it, the others stay local.
    private bool UseRedis()
    {
        lock (_lock)
        {
            if (!_localMode)
            {
                return true;
            }

            var now = _time.GetTimestamp();
            if (now < _retryRedisAt)
            {
                return false;
            }

            _retryRedisAt = now + Ticks(_retryRedisAfter);
            return true;
        }
    }

    // The budget to use without Redis: the local share when failing open; fail closed throws.
    private TokenBudget Local()
    {
        if (_whenRedisFails == RedisFailureMode.FailClosed)
        {
            throw new RedisBudgetUnavailableException(_name, UnavailableMessage(), null);
        }

        return _local;
    }

    private RedisBudgetScript.Reply Answered(RedisBudgetScript.Reply reply)
    {
        Volatile.Write(ref _balance, reply.Balance);
        lock (_lock)
        {
            if (_localMode)
            {
                _localMode = false;
                LocalGauge.Add(-1, _tag);
            }
        }

        return reply;
    }

    private TokenBudget Failed(Exception e)
    {
        lock (_lock)
        {
            _retryRedisAt = _time.GetTimestamp() + Ticks(_retryRedisAfter);
            if (!_localMode)
            {
                _localMode = true;
                _leased = 0; // taken from Redis already; forgotten with it
                Interlocked.Increment(ref _fallbacks);
                FallbackCounter.Add(1, _tag);
                LocalGauge.Add(1, _tag);
            }
        }

        if (_whenRedisFails == RedisFailureMode.FailClosed)
        {
            throw new RedisBudgetUnavailableException(_name, UnavailableMessage(), e);
        }

        return _local;
    }

    // Reconcile, headers, give-backs: sent without waiting; without Redis they go to the local share instead.
    private void Send(StackExchange.Redis.RedisValue[] arguments, Action<TokenBudget>? local)
    {
        if (_disposed)
        {
            return;
        }

        if (Mode == RedisBudgetMode.Shared)
        {
            try
            {
                RedisBudgetScript.Send(_database, _key, arguments);
                return;
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                // not connected: the local share settles it (a closed budget has nothing to settle)
            }
        }

        if (_whenRedisFails == RedisFailureMode.FailOpen)
        {
            local?.Invoke(_local);
        }
    }

    private void GiveBack(long tokens)
    {
        if (tokens > 0 && Mode == RedisBudgetMode.Shared)
        {
            try
            {
                RedisBudgetScript.Send(_database, _key, RedisBudgetScript.Arguments(RedisBudgetScript.Adjust, _rate, _burst, -tokens));
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                // Redis is gone: so is what was taken from it
            }
        }
    }

    private Task Delay(TimeSpan delay, CancellationToken cancellationToken)
#if NET
        => Task.Delay(delay, _time, cancellationToken);
#else
        => _time.Delay(delay, cancellationToken);
#endif

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private string TimeoutMessage()
        => string.Format(CultureInfo.InvariantCulture, "Redis did not answer the token budget '{0}' within {1:0.###} s (RedisTokenBudgetOptions.OperationTimeout).", _name, _timeout.TotalSeconds);

    private string UnavailableMessage()
        => string.Format(CultureInfo.InvariantCulture, "The shared token budget '{0}' is unavailable: Redis did not answer (RedisTokenBudgetOptions.WhenRedisFails = FailClosed). Nothing was taken; Redis is tried again after {1:0.###} s.", _name, _retryRedisAfter.TotalSeconds);

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new ObjectDisposedException(nameof(RedisTokenBudget));
        }
    }
}
