using System;
using System.Globalization;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Options of a <see cref="TokenBudget"/>: how many tokens per second the provider grants the whole process (every
/// agent draws from the same budget) and how many may be spent at once.
/// </summary>
public sealed class TokenBudgetOptions
{
    private const string Owner = nameof(TokenBudgetOptions) + ".";

    /// <summary>
    /// Tokens added to the budget per second (the provider's tokens-per-minute limit / 60). Required: a finite number of
    /// at least one token per hour (1 / 3600); a smaller rate is rejected when the budget is created.
    /// </summary>
    public double TokensPerSecond { get; set; }

    /// <summary>
    /// The most tokens the budget holds, and so the largest burst it admits at once. 0 (the default) means one second of
    /// <see cref="TokensPerSecond"/>: a provider that enforces its limit per second will not see a larger burst.
    /// A request that costs more than the burst is admitted when the budget is full and leaves it in debt (see
    /// <see cref="TokenBudget"/>), never rejected.
    /// </summary>
    public long Burst { get; set; } = RuntimeDefaults.BudgetBurst;

    /// <summary>
    /// The tokens the budget holds when created, from 0 to the burst; -1 (the default) means full. Start lower when other
    /// processes have just used the same key.
    /// </summary>
    public long InitialTokens { get; set; } = RuntimeDefaults.BudgetInitialTokens;

    /// <summary>The most callers that may wait at once; one more fails its acquire with a failed lease or an exception. Default: no limit.</summary>
    public int QueueLimit { get; set; } = RuntimeDefaults.BudgetQueueLimit;

    /// <summary>
    /// When true, <see cref="TokensPerSecond"/> is a first guess, not a ceiling: the provider's <c>x-ratelimit-limit-tokens</c>
    /// sets the rate up as well as down (the burst keeps its length in seconds). For a key whose tier you do not know.
    /// Default false: headers only ever lower the configured rate (and raise it back).
    /// </summary>
    public bool LearnLimitFromHeaders { get; set; }

    /// <summary>The clock. Default <see cref="TimeProvider.System"/>; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Options for a provider limit given per minute (a rolling 60 s window), with a one-second burst: see <see cref="ForRollingWindow"/>.</summary>
    /// <param name="tokensPerMinute">The provider's tokens-per-minute limit for the key.</param>
    /// <returns>The options.</returns>
    public static TokenBudgetOptions PerMinute(long tokensPerMinute) => ForRollingWindow(tokensPerMinute, TimeSpan.FromMinutes(1));

    /// <summary>
    /// Options that never exceed a provider limit of <paramref name="limit"/> tokens in any rolling <paramref name="window"/>.
    /// A bucket with burst B and rate r admits up to B + r·W tokens in a window W, so r = limit / (W + b) and B = r·b,
    /// with a burst duration b of one second (or a tenth of the window, if shorter). A request larger than the burst
    /// is still admitted (see <see cref="TokenBudget"/>), so a small burst costs no throughput. For 4,000,000 tokens per minute that is
    /// 65,574 tokens per second and a burst of 65,574 tokens.
    /// </summary>
    /// <param name="limit">The tokens the provider admits per window.</param>
    /// <param name="window">The provider's window.</param>
    /// <returns>The options.</returns>
    public static TokenBudgetOptions ForRollingWindow(long limit, TimeSpan window)
    {
        Guard.Positive(limit, nameof(limit));
        Guard.Range(window > TimeSpan.Zero, nameof(window), nameof(window), window, "must be greater than 0");

        var burstSeconds = Math.Min(1.0, window.TotalSeconds / 10);
        var rate = limit / (window.TotalSeconds + burstSeconds);
        return new TokenBudgetOptions { TokensPerSecond = rate, Burst = Math.Max(1, (long)Math.Floor(rate * burstSeconds)) };
    }

    internal long EffectiveBurst => Burst == 0 ? TokenBudget.Saturate(Math.Max(1, Math.Ceiling(TokensPerSecond))) : Burst;

    /// <summary>A validated copy: the budget keeps it, so later changes to these options change nothing.</summary>
    internal TokenBudgetOptions ValidatedCopy()
    {
        var copy = (TokenBudgetOptions)MemberwiseClone();
        copy.Validate();
        return copy;
    }

    internal void Validate()
    {
        Check(TokensPerSecond >= RuntimeDefaults.BudgetMinTokensPerSecond && !double.IsInfinity(TokensPerSecond), nameof(TokensPerSecond), TokensPerSecond, "must be a finite number of at least 1 token per hour (1 / 3600)");
        Check(Burst >= 0, nameof(Burst), Burst, "must be 0 (one second of TokensPerSecond) or greater");
        Check(InitialTokens >= -1 && InitialTokens <= EffectiveBurst, nameof(InitialTokens), InitialTokens, "must be -1 (full) or from 0 to the burst (" + EffectiveBurst.ToString(CultureInfo.InvariantCulture) + ")");
        Check(QueueLimit >= 0, nameof(QueueLimit), QueueLimit, "must not be negative");
        Guard.OptionNotNull(TimeProvider, nameof(TimeProvider), Owner + nameof(TimeProvider));
    }

    private static void Check(bool valid, string option, object value, string rule) => Guard.Range(valid, option, Owner + option, value, rule);
}
