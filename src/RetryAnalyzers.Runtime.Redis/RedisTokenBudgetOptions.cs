using System;
using System.Globalization;

namespace RetryAnalyzers.Runtime.Redis;

/// <summary>What a <see cref="RedisTokenBudget"/> does when Redis does not answer.</summary>
public enum RedisFailureMode
{
    /// <summary>Calls go on, paced by a local budget of <see cref="RedisTokenBudgetOptions.LocalShare"/> of the limit, until Redis answers again.</summary>
    FailOpen,

    /// <summary>Acquires throw <see cref="RedisBudgetUnavailableException"/> (at once, never a hang) until Redis answers again.</summary>
    FailClosed,
}

/// <summary>Where a <see cref="RedisTokenBudget"/> takes its tokens now.</summary>
public enum RedisBudgetMode
{
    /// <summary>From the budget on Redis, shared by every process on the key.</summary>
    Shared,

    /// <summary>From this process's local share: Redis did not answer (<see cref="RedisFailureMode.FailOpen"/>).</summary>
    Local,
}

/// <summary>Options of a <see cref="RedisTokenBudget"/>.</summary>
public sealed class RedisTokenBudgetOptions
{
    private const string Owner = nameof(RedisTokenBudgetOptions) + ".";

    /// <summary>
    /// The budget's name, the same in every process that shares it: one per API key and provider, e.g. <c>"openai:team-a"</c>
    /// (never the key itself). The Redis key is <see cref="KeyPrefix"/> + name. Required.
    /// </summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>
    /// The limit of the whole key, for all processes together: <see cref="TokenBudgetOptions.TokensPerSecond"/>,
    /// <see cref="TokenBudgetOptions.Burst"/>, <see cref="TokenBudgetOptions.LearnLimitFromHeaders"/> and the clock of the
    /// local waits (<see cref="TokenBudgetOptions.TimeProvider"/>). Every process should pass the same limit. Required.
    /// </summary>
    public TokenBudgetOptions? Budget { get; set; }

    /// <summary>What happens when Redis does not answer. Default <see cref="RedisFailureMode.FailOpen"/>.</summary>
    public RedisFailureMode WhenRedisFails { get; set; } = RedisFailureMode.FailOpen;

    /// <summary>
    /// The part of the limit this process may use on its own while Redis is down (fail open), from more than 0 to 1:
    /// 1 / the number of processes on the key. Default 1 (the whole limit: with N processes, N times it while Redis is down).
    /// </summary>
    public double LocalShare { get; set; } = 1.0;

    /// <summary>The longest wait for one Redis reply; past it Redis counts as down. Default 1 s; from 1 ms to 1 minute.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>After Redis failed, how long calls use the local share (or fail, when closed) before Redis is tried again. Default 1 s; from 0 to 1 hour.</summary>
    public TimeSpan RetryRedisAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Local leasing for high call rates: 0 (the default) asks Redis for every call; a positive value takes this many tokens
    /// more than the call needs in one round trip and serves the next calls from them locally, until they are spent or
    /// <see cref="LeaseDuration"/> passes (then the unused ones go back). A lease lets one process hold that many tokens
    /// the others cannot use: keep it small against the burst.
    /// </summary>
    public long LeaseTokens { get; set; }

    /// <summary>How long leased tokens stay with this process before the unused ones go back. Default 1 s; from 1 ms to 1 hour.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The prefix of the Redis key. Default <c>"retryanalyzers:budget:"</c>.</summary>
    public string KeyPrefix { get; set; } = "retryanalyzers:budget:";

    internal RedisTokenBudgetOptions ValidatedCopy()
    {
        var copy = (RedisTokenBudgetOptions)MemberwiseClone();
        Check(!string.IsNullOrWhiteSpace(Name), nameof(Name), Name, "must name the budget (e.g. \"openai:team-a\")");
        if (Budget is null)
        {
            throw new ArgumentNullException(nameof(Budget), Owner + nameof(Budget) + " must not be null: it holds the limit of the key.");
        }

        if (Budget.TokensPerSecond == 0)
        {
            throw new ArgumentOutOfRangeException("TokensPerSecond", Budget.TokensPerSecond, "TokenBudgetOptions.TokensPerSecond must be the key's limit: a budget shared on Redis does not learn it (0 is for a budget in one process).");
        }

        Check(WhenRedisFails is RedisFailureMode.FailOpen or RedisFailureMode.FailClosed, nameof(WhenRedisFails), WhenRedisFails, "must be FailOpen or FailClosed");
        Check(LocalShare > 0 && LocalShare <= 1, nameof(LocalShare), LocalShare, "must be greater than 0 and at most 1");
        Check(OperationTimeout >= TimeSpan.FromMilliseconds(1) && OperationTimeout <= TimeSpan.FromMinutes(1), nameof(OperationTimeout), OperationTimeout, "must be from 1 ms to 1 minute");
        Check(RetryRedisAfter >= TimeSpan.Zero && RetryRedisAfter <= TimeSpan.FromHours(1), nameof(RetryRedisAfter), RetryRedisAfter, "must be from 0 to 1 hour");
        Check(LeaseTokens >= 0, nameof(LeaseTokens), LeaseTokens, "must not be negative");
        Check(LeaseDuration >= TimeSpan.FromMilliseconds(1) && LeaseDuration <= TimeSpan.FromHours(1), nameof(LeaseDuration), LeaseDuration, "must be from 1 ms to 1 hour");
        if (KeyPrefix is null)
        {
            throw new ArgumentNullException(nameof(KeyPrefix), Owner + nameof(KeyPrefix) + " must not be null.");
        }

        return copy;
    }

    private static void Check(bool valid, string option, object value, string rule)
    {
        if (!valid)
        {
            throw new ArgumentOutOfRangeException(option, value, string.Format(CultureInfo.InvariantCulture, "{0}{1} {2}; it was {3}.", Owner, option, rule, value));
        }
    }
}
