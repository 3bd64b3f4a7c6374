using Microsoft.CodeAnalysis;

namespace RetryAnalyzers;

/// <summary>Every descriptor of the package, built by one factory that sets the help link and the category.</summary>
internal static class Descriptors
{
    /// <summary>Where the rule pages live; a rule's page is <c>{HelpLinkBase}/RAxxxx.md</c>.</summary>
    public const string HelpLinkBase = "https://github.com/retryanalyzers/retryanalyzers/blob/main/analyzers-docs";

    // RA0003's two descriptors (across types, per item) say the same thing.
    private const string SharedKeyMessage = "{0} share {1}: they draw from one provider rate limit, so one agent's burst throttles the others; give each agent its own key or route them through one shared token budget";

    public static readonly DiagnosticDescriptor RA0001FixedDelayRetry = Create(
        RuleIds.FixedDelayRetry,
        title: "Retry with a fixed delay",
        messageFormat: "Every retry waits the same {0}, so callers that failed together retry together; use jittered exponential backoff",
        RuleCategories.Reliability,
        description: "A retry whose wait does not grow with the attempt keeps hitting a rate-limited provider in the same window, " +
                     "and clients that failed at the same moment retry at the same moment. Back off exponentially with jitter.");

    public static readonly DiagnosticDescriptor RA0002RetryWithoutJitter = Create(
        RuleIds.RetryWithoutJitter,
        title: "Retry without jitter",
        messageFormat: "The retry delay {0} grows with the attempt but has no jitter, so callers that failed together retry together; add jitter",
        RuleCategories.Reliability,
        description: "Exponential or linear backoff without randomness keeps every caller that failed at the same moment in lockstep: " +
                     "they all come back at the same instant and collide again. Add jitter so the retries spread out.");

    public static readonly DiagnosticDescriptor RA0003SharedApiKey = Create(
        RuleIds.SharedApiKey,
        title: "One API key shared across agents",
        messageFormat: SharedKeyMessage,
        RuleCategories.Security,
        description: "Agents that use the same API key share one rate-limit bucket at the provider without knowing it: one agent's burst throttles " +
                     "all the others, and their retries amplify each other. Resolve a key per agent, or pace all of them with one shared token budget.",
        WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>RA0003's per-item case: the evidence sits in one member, so it is reported as you type (no CompilationEnd tag).</summary>
    public static readonly DiagnosticDescriptor RA0003ClientPerItem = Create(
        RuleIds.SharedApiKey,
        title: "One API key shared across agents",
        messageFormat: SharedKeyMessage,
        RuleCategories.Security,
        description: "Clients created for every item of a loop on one key are agents sharing one rate-limit bucket at the provider: one burst throttles " +
                     "all the others, and their retries amplify each other. Resolve a key per item, or pace all of them with one shared token budget.");

    public static readonly DiagnosticDescriptor RA0004UnboundedFanOut = Create(
        RuleIds.UnboundedFanOut,
        title: "Unbounded parallel fan-out of provider calls",
        messageFormat: "{0} starts a provider call for every item of {1} at once; bound the concurrency",
        RuleCategories.Reliability,
        description: "Starting one provider call per item puts N calls in flight at the same instant: at the provider's rate limit they " +
                     "all fail together and retry together. Run them with a bounded degree of concurrency (or behind a semaphore or rate limiter).");

    public static readonly DiagnosticDescriptor RA0005RetryAfterIgnored = Create(
        RuleIds.RetryAfterIgnored,
        title: "Retry on 429 ignores Retry-After",
        messageFormat: "{0} retries a 429 on its own schedule and never reads the provider's Retry-After; wait for the time the provider gives (capped)",
        RuleCategories.Reliability,
        description: "A throttled provider says when capacity returns (Retry-After, retry-after-ms). A retry that waits its own schedule, even " +
                     "jittered, comes back too early and is throttled again, or too late and wastes the window. Wait for the provider's time, " +
                     "capped, and fall back to backoff when the header is absent.");

    public static readonly DiagnosticDescriptor RA0006UnboundedRetry = Create(
        RuleIds.UnboundedRetry,
        title: "Unbounded retry",
        messageFormat: "{0}: nothing bounds {1}, so one long outage or one far Retry-After holds the call forever; cap it",
        RuleCategories.Reliability,
        description: "A retry with no cap on its attempts, or a wait taken from a Retry-After header with no cap, turns a provider outage " +
                     "into calls that never end and keep spending the rate limit. Cap the attempts and the wait.");

    public static readonly DiagnosticDescriptor RA0007NestedRetry = Create(
        RuleIds.NestedRetry,
        title: "Nested retry layers",
        messageFormat: "{0} retries inside {1}: the attempts multiply; keep one retry layer",
        RuleCategories.Reliability,
        description: "A retry inside a retry multiplies the requests of one call (3 SDK retries under 3 Polly retries make up to 16 requests) " +
                     "and stretches every outage. Keep one retry layer: switch the inner one off.");

    public static readonly DiagnosticDescriptor RA0008TooManyRequestsNotRetried = Create(
        RuleIds.TooManyRequestsNotRetried,
        title: "429 left out of the retry predicate",
        messageFormat: "{0} retries server errors but not 429 Too Many Requests, so a throttled call fails at once; handle 429 too",
        RuleCategories.Reliability,
        description: "A predicate that retries 5xx and 408 but not 429 lets a throttled call fail at once, and the caller or orchestrator " +
                     "then retries the whole job. Treat 429 as transient (and honour its Retry-After).");

    private static DiagnosticDescriptor Create(string id, string title, string messageFormat, string category, string description, params string[] customTags)
        => new(
            id,
            title,
            messageFormat,
            category,
            DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: description,
            helpLinkUri: $"{HelpLinkBase}/{id}.md",
            customTags: customTags);
}
