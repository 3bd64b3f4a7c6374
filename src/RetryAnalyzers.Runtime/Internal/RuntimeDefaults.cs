using System;

namespace RetryAnalyzers.Runtime.Internal;

/// <summary>
/// Every default and bound of the runtime's options, in one place (as Polly's <c>RetryConstants</c>). The options
/// classes and the public <c>Default…</c> members read from here; change a default here and nowhere else.
/// </summary>
internal static class RuntimeDefaults
{
    // Jittered backoff (JitteredBackoffOptions, JitteredRetryStrategyOptions, ProviderResilienceOptions, RetryBackoff).
    public static readonly TimeSpan BaseDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound of every delay option, as in Polly (one day).</summary>
    public static readonly TimeSpan MaxDelayOption = TimeSpan.FromDays(1);

    public const string JitteredRetryName = "JitteredRetry";

    // Provider pipeline (ProviderResilienceOptions).
    public const int MaxRetryAttempts = 3;
    public const int MaxRetryAttemptsLimit = 100;
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);

    /// <summary>One attempt's limit: an LLM answer can take a minute; a hung attempt is cut here and retried.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(100);

    /// <summary>How long a call waits for a throttling or failing provider (Retry-After, open breaker) before it gives up.</summary>
    public static readonly TimeSpan MaxWaitForRecovery = TimeSpan.FromMinutes(10);

    // Circuit breaker (ProviderCircuitBreaker): opens after 3 failed attempts in 30 s when half failed (throttles are not
    // failures), stays open 5 s, then doubles the hold after each failed probe up to 60 s.
    public const double BreakerFailureRatio = 0.5;
    public const int BreakerMinimumThroughput = 3;
    public const int BreakerMinimumThroughputLimit = 2;
    public static readonly TimeSpan BreakerSamplingDuration = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan BreakerBreakDuration = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan BreakerMinimumDuration = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan BreakerMaxBreakDuration = TimeSpan.FromSeconds(60);

    // Retry budget (RetryBudget): retries at most 10 % of calls plus 1 a second, up to 20 banked (a fan-out's first wave).
    public const double RetryRatio = 0.1;
    public const double RetryMaxCredits = 20;
    public const double RetryMinPerSecond = 1;

    // Metrics (RetryMetrics): the retry ratio above which retries feed the throttling.
    public const double CascadeThreshold = 0.1;

    // Per-agent keys (AgentKeys): the shared key's variable.
    public const string KeyPrefix = "OPENAI_API_KEY";

    // Bounded fan-out (BoundedFanOut).
    public const int FanOutMaxConcurrency = 4;

    // Token budget (TokenBudgetOptions, ProviderResilienceHandler, SharedProviderBudget).
    public const long BudgetBurst = 0; // one second of TokensPerSecond
    public const long BudgetInitialTokens = -1; // full
    public const int BudgetQueueLimit = int.MaxValue;
    public const long OutputTokens = 1024;
    public const long SharedTokensPerMinute = 30_000;
    public const string TokenBudgetName = "TokenBudget";

    /// <summary>The smallest rate a budget accepts or learns: one token per hour (a smaller one is a units mistake).</summary>
    public const double BudgetMinTokensPerSecond = 1.0 / 3600;

    /// <summary>The most debt a budget carries, as refill time: a huge request or usage delays later callers by at most this.</summary>
    public static readonly TimeSpan BudgetMaxDebt = TimeSpan.FromHours(1);

    /// <summary>The longest due time a timer accepts (4294967294 ms, about 49.7 days); a longer wait re-arms the timer.</summary>
    public static readonly TimeSpan MaxTimerDue = TimeSpan.FromMilliseconds(4294967294);
}
