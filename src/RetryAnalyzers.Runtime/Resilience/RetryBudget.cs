using System;
using System.Threading;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Caps retries at a fraction of calls, so an outage cannot multiply traffic: every call deposits
/// <see cref="RetryRatio"/> retry credits, every retry withdraws one, and a retry without a whole credit is not made
/// (the caller gets the failed outcome instead). Credits are capped at <see cref="MaxCredits"/>, which is also the
/// starting balance, so a short job can still retry a few times and a long healthy run does not bank an unlimited
/// burst of retries for the next outage. Share one instance between all agents of a process. Thread-safe.
/// </summary>
public sealed class RetryBudget
{
    /// <summary>The default fraction: retries stay at or below 10 % of calls, the point above which retries become a cascade.</summary>
    public const double DefaultRetryRatio = RuntimeDefaults.RetryRatio;

    /// <summary>The default cap and starting balance of retry credits.</summary>
    public const double DefaultMaxCredits = RuntimeDefaults.RetryMaxCredits;

    private readonly object _lock = new();
    private double _credits;
    private long _calls;
    private long _retries;
    private long _denied;

    /// <summary>A budget of 10 % of calls with up to 10 banked retries.</summary>
    public RetryBudget()
        : this(DefaultRetryRatio, DefaultMaxCredits)
    {
    }

    /// <summary>A budget with the given ratio and cap.</summary>
    /// <param name="retryRatio">Retry credits deposited per call, in (0, 1].</param>
    /// <param name="maxCredits">The cap and starting balance, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range; the message names it.</exception>
    public RetryBudget(double retryRatio, double maxCredits)
    {
        Guard.Range(retryRatio > 0 && retryRatio <= 1, nameof(retryRatio), nameof(retryRatio), retryRatio, "must be greater than 0 and at most 1");
        Guard.Range(maxCredits >= 1 && !double.IsInfinity(maxCredits), nameof(maxCredits), nameof(maxCredits), maxCredits, "must be a finite number of at least 1");

        RetryRatio = retryRatio;
        MaxCredits = maxCredits;
        _credits = maxCredits;
    }

    /// <summary>Retry credits deposited per call.</summary>
    public double RetryRatio { get; }

    /// <summary>The cap and starting balance of credits.</summary>
    public double MaxCredits { get; }

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
            _credits = Math.Min(MaxCredits, _credits + RetryRatio);
        }
    }

    /// <summary>Withdraws one credit for a retry.</summary>
    /// <returns>False when there is no whole credit: do not retry.</returns>
    public bool TryRetry()
    {
        lock (_lock)
        {
            if (_credits < 1)
            {
                _denied++;
                return false;
            }

            _credits -= 1;
            _retries++;
            return true;
        }
    }
}
