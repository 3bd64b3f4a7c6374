using System;
using System.Threading;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Caps retries, so an outage cannot multiply traffic: every call deposits <see cref="RetryRatio"/> retry credits, time
/// deposits <see cref="MinRetriesPerSecond"/> credits a second (as Linkerd's and Envoy's retry budgets: a quiet period
/// or a fan-out's first wave still gets its retries), every retry withdraws one, and a retry without a whole credit is
/// not made (the caller gets the failed outcome, and <see cref="RetryMetrics.RetryBudgetExhausted"/> counts it).
/// Credits are capped at <see cref="MaxCredits"/>, which is also the starting balance; in the provider pipeline the cap
/// and the balance also grow with the most calls ever in flight at once (a credit each), so a fan-out wider than the
/// cap can still retry its first wave once. Accounting is in thousandths of
/// a credit (integers: no drift). In the provider pipeline, retries that wait at a held gate (after a throttle, or while
/// the breaker is open) draw nothing: the gate sends one probe at a time. Share one instance between all agents of a
/// process. Thread-safe.
/// </summary>
public sealed class RetryBudget
{
    /// <summary>The default fraction: retries stay at or below 10 % of calls, the point above which retries become a cascade.</summary>
    public const double DefaultRetryRatio = RuntimeDefaults.RetryRatio;

    /// <summary>The default cap and starting balance of retry credits: enough for the first wave of a 20-agent fan-out.</summary>
    public const double DefaultMaxCredits = RuntimeDefaults.RetryMaxCredits;

    /// <summary>The default credits deposited per second.</summary>
    public const double DefaultMinRetriesPerSecond = RuntimeDefaults.RetryMinPerSecond;

    private const long Unit = 1000; // one credit, in thousandths
    private const double MaxCreditsLimit = 1_000_000;

    private readonly object _lock = new();
    private readonly long _perCall;
    private readonly long _max;
    private readonly double _perSecond;
    private readonly TimeProvider _time;
    private long _credits;
    private long _refilledAt;
    private long _calls;
    private long _retries;
    private long _denied;
    private long _active;
    private long _peak;

    /// <summary>A budget of 10 % of calls plus 1 retry a second, with up to 20 banked.</summary>
    public RetryBudget()
        : this(DefaultRetryRatio, DefaultMaxCredits, DefaultMinRetriesPerSecond, TimeProvider.System)
    {
    }

    /// <summary>A budget with the given ratio and cap, refilled by calls only (no credits over time).</summary>
    /// <param name="retryRatio">Retry credits deposited per call, in (0, 1].</param>
    /// <param name="maxCredits">The cap and starting balance, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range; the message names it.</exception>
    public RetryBudget(double retryRatio, double maxCredits)
        : this(retryRatio, maxCredits, 0, TimeProvider.System)
    {
    }

    /// <summary>A budget with the given ratio, cap and refill over time.</summary>
    /// <param name="retryRatio">Retry credits deposited per call, in (0, 1].</param>
    /// <param name="maxCredits">The cap and starting balance, from 1 to 1,000,000.</param>
    /// <param name="minRetriesPerSecond">Credits deposited per second of <paramref name="timeProvider"/>, from 0 to 1,000,000.</param>
    /// <param name="timeProvider">The clock of the refill.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range; the message names it.</exception>
    public RetryBudget(double retryRatio, double maxCredits, double minRetriesPerSecond, TimeProvider timeProvider)
    {
        Guard.Range(retryRatio > 0 && retryRatio <= 1, nameof(retryRatio), nameof(retryRatio), retryRatio, "must be greater than 0 and at most 1");
        Guard.Range(maxCredits >= 1 && maxCredits <= MaxCreditsLimit, nameof(maxCredits), nameof(maxCredits), maxCredits, "must be from 1 to 1000000");
        Guard.Range(minRetriesPerSecond >= 0 && minRetriesPerSecond <= MaxCreditsLimit, nameof(minRetriesPerSecond), nameof(minRetriesPerSecond), minRetriesPerSecond, "must be from 0 to 1000000");

        RetryRatio = retryRatio;
        MaxCredits = maxCredits;
        MinRetriesPerSecond = minRetriesPerSecond;
        _time = Guard.NotNull(timeProvider, nameof(timeProvider));
        _perCall = (long)Math.Round(retryRatio * Unit);
        _max = (long)Math.Round(maxCredits * Unit);
        _perSecond = minRetriesPerSecond * Unit;
        _credits = _max;
        _refilledAt = _time.GetTimestamp();
    }

    /// <summary>Retry credits deposited per call.</summary>
    public double RetryRatio { get; }

    /// <summary>The clock of the refill.</summary>
    internal TimeProvider Clock => _time;

    /// <summary>The cap and starting balance of credits.</summary>
    public double MaxCredits { get; }

    /// <summary>Credits deposited per second.</summary>
    public double MinRetriesPerSecond { get; }

    /// <summary>Calls recorded.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Retries allowed.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Retries refused because the budget was spent.</summary>
    public long Denied => Interlocked.Read(ref _denied);

    /// <summary>Records a call (its first attempt) and deposits its credit.</summary>
    public void RecordCall()
    {
        lock (_lock)
        {
            _calls++;
            Deposit(_perCall);
        }
    }

    /// <summary>
    /// A pipeline call is recorded (<see cref="RecordCall"/>) and in flight: the cap and the balance grow by a credit for
    /// each call beyond the most ever in flight. One lock for both: it is on every call's path.
    /// </summary>
    internal void CallStarted()
    {
        lock (_lock)
        {
            _calls++;
            Deposit(_perCall);
            _active++;
            if (_active > _peak)
            {
                var wider = _active - _peak;
                _peak = _active;
                Deposit(wider * Unit);
            }
        }
    }

    /// <summary>A pipeline call has ended.</summary>
    internal void CallEnded()
    {
        lock (_lock)
        {
            _active--;
        }
    }

    /// <summary>Withdraws one credit for a retry.</summary>
    /// <returns>False when there is no whole credit: do not retry.</returns>
    public bool TryRetry()
    {
        lock (_lock)
        {
            if (_perSecond > 0)
            {
                var now = _time.GetTimestamp();
                var seconds = _time.GetElapsedTime(_refilledAt, now).TotalSeconds;
                var earned = seconds * _perSecond;
                if (earned >= 1)
                {
                    Deposit(earned >= Cap ? Cap : (long)earned);
                    _refilledAt = now;
                }
            }

            if (_credits < Unit)
            {
                _denied++;
                return false;
            }

            _credits -= Unit;
            _retries++;
            return true;
        }
    }

    private long Cap => Math.Max(_max, _peak * Unit);

    private void Deposit(long credits) => _credits = Math.Min(Cap, _credits + credits);
}
