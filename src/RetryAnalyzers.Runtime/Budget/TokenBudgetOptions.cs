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
    /// Tokens added to the budget per second (the provider's tokens-per-minute limit / 60): a finite number of at least
    /// one token per hour (1 / 3600). 0 (the default) means the limit is not known: the budget sends one call at a time
    /// until an answer's <c>x-ratelimit-limit-tokens</c> (or <c>anthropic-ratelimit-*-limit</c>) says it, then keeps under
    /// it (a bucket of limit / 61 per second and one second of burst, which no rolling minute can refuse). A provider
    /// whose answers never say their limit gets an adaptive rate, found from its 429s alone: it starts at the first
    /// call's tokens over its latency, doubles while nothing throttles, and after a throttle searches between the
    /// highest rate that held and the one that throttled (see runtime.md, "Budget shapes"). A negative or smaller
    /// positive rate is rejected when the budget is created.
    /// </summary>
    public double TokensPerSecond { get; set; }

    /// <summary>
    /// The provider's rolling window, for a limit enforced as "at most <c>TokensPerSecond × Window</c> tokens in any
    /// window" (OpenAI's and Azure OpenAI's tokens per minute are): the budget then keeps a log of what it admitted and
    /// admits a request when the tokens of the last window plus the request stay within that limit, so a fresh window
    /// may be spent at once and no window is ever exceeded (an admission counts a tenth of the window longer, at most
    /// 250 ms, for the time the request takes to reach the provider). <see cref="TimeSpan.Zero"/> (the default) is a token bucket
    /// (<see cref="TokensPerSecond"/>, <see cref="Burst"/>), for providers that refill continuously or per second.
    /// <see cref="Burst"/> is ignored in a window (the window's limit is the most spent at once). From 0 to one day.
    /// </summary>
    public TimeSpan Window { get; set; }

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

    /// <summary>Options for a provider limit given per minute (a rolling 60 s window): see <see cref="ForRollingWindow"/>.</summary>
    /// <param name="tokensPerMinute">The provider's tokens-per-minute limit for the key.</param>
    /// <returns>The options.</returns>
    public static TokenBudgetOptions PerMinute(long tokensPerMinute) => ForRollingWindow(tokensPerMinute, TimeSpan.FromMinutes(1));

    /// <summary>
    /// Options for a provider that admits at most <paramref name="limit"/> tokens in any rolling <paramref name="window"/>:
    /// the window shape (<see cref="Window"/>), which may spend a fresh window at once and never exceeds the limit in any
    /// window. For 4,000,000 tokens per minute: <see cref="TokensPerSecond"/> 66,667 over a 60 s window.
    /// </summary>
    /// <param name="limit">The tokens the provider admits per window.</param>
    /// <param name="window">The provider's window (at most one day).</param>
    /// <returns>The options.</returns>
    public static TokenBudgetOptions ForRollingWindow(long limit, TimeSpan window)
    {
        Guard.Positive(limit, nameof(limit));
        Guard.Range(window > TimeSpan.Zero && window <= RuntimeDefaults.MaxDelayOption, nameof(window), nameof(window), window, "must be greater than 0 and at most one day");
        return new TokenBudgetOptions { TokensPerSecond = limit / window.TotalSeconds, Window = window };
    }

    internal long EffectiveBurst => Window > TimeSpan.Zero
        ? Math.Max(1, TokenBudget.Saturate(Math.Floor(TokensPerSecond * Window.TotalSeconds)))
        : Burst == 0 ? TokenBudget.Saturate(Math.Max(1, Math.Ceiling(TokensPerSecond))) : Burst;

    /// <summary>A validated copy: the budget keeps it, so later changes to these options change nothing.</summary>
    internal TokenBudgetOptions ValidatedCopy()
    {
        var copy = (TokenBudgetOptions)MemberwiseClone();
        copy.Validate();
        return copy;
    }

    internal void Validate()
    {
        Check(TokensPerSecond == 0 || (TokensPerSecond >= RuntimeDefaults.BudgetMinTokensPerSecond && !double.IsInfinity(TokensPerSecond)), nameof(TokensPerSecond), TokensPerSecond, "must be 0 (learned from the provider) or a finite number of at least 1 token per hour (1 / 3600)");
        Check(Window >= TimeSpan.Zero && Window <= RuntimeDefaults.MaxDelayOption, nameof(Window), Window, "must be from 0 (a token bucket) to one day");
        Check(Burst >= 0, nameof(Burst), Burst, "must be 0 (one second of TokensPerSecond) or greater");
        Check(InitialTokens >= -1 && InitialTokens <= EffectiveBurst, nameof(InitialTokens), InitialTokens, "must be -1 (full) or from 0 to the burst (" + EffectiveBurst.ToString(CultureInfo.InvariantCulture) + ")");
        Check(QueueLimit >= 0, nameof(QueueLimit), QueueLimit, "must not be negative");
        Guard.OptionNotNull(TimeProvider, nameof(TimeProvider), Owner + nameof(TimeProvider));
    }

    private static void Check(bool valid, string option, object value, string rule) => Guard.Range(valid, option, Owner + option, value, rule);
}
