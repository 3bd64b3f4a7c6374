using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Counts what a cascade looks like, through <see cref="System.Diagnostics.Metrics"/> (meter <see cref="MeterName"/>) and in
/// process: calls, retries, 429 answers, circuit-breaker openings and probes, retries refused by the retry budget, tokens waited for, calls served and (under failover) passed on. <see cref="RetryRatio"/> above
/// <see cref="CascadeThreshold"/> (10 %) means the retries are feeding the throttling: see <see cref="IsCascading"/>.
/// Every instrument carries the tag <c>agent</c> when an agent name is given, and the OpenTelemetry GenAI tags
/// <c>gen_ai.provider.name</c> / <c>gen_ai.request.model</c> when those are given; a retry carries
/// <c>http.request.resend_count</c> (1 for the first retry of a call), and a retry the retry budget refused carries
/// <c>error.type</c> = <c>retry_budget_exhausted</c>. Thread-safe.
/// </summary>
public sealed class RetryMetrics
{
    /// <summary>The meter's name, for <c>dotnet-counters monitor --counters RetryAnalyzers.Runtime</c> or an OpenTelemetry <c>AddMeter</c>.</summary>
    public const string MeterName = "RetryAnalyzers.Runtime";

    /// <summary>The retry ratio above which retries amplify a rate-limit event into a cascade.</summary>
    public const double CascadeThreshold = RuntimeDefaults.CascadeThreshold;

    private static readonly Meter SharedMeter = new(MeterName);
    private static readonly Counter<long> CallsCounter = SharedMeter.CreateCounter<long>("retryanalyzers.calls", "{call}", "Logical calls to a provider (first attempts).");
    private static readonly Counter<long> RetriesCounter = SharedMeter.CreateCounter<long>("retryanalyzers.retries", "{retry}", "Retries of a provider call.");
    private static readonly Counter<long> RateLimitedCounter = SharedMeter.CreateCounter<long>("retryanalyzers.rate_limited", "{response}", "Responses with status 429.");
    private static readonly Counter<long> BreakerOpenedCounter = SharedMeter.CreateCounter<long>("retryanalyzers.breaker.opened", "{event}", "Circuit breaker openings.");
    private static readonly Counter<long> ProbesCounter = SharedMeter.CreateCounter<long>("retryanalyzers.breaker.probes", "{request}", "Probe attempts sent while the provider was throttling or failing (the only requests sent then).");
    private static readonly Counter<long> RetryBudgetExhaustedCounter = SharedMeter.CreateCounter<long>("retryanalyzers.retry_budget.exhausted", "{retry}", "Retries not made because the retry budget was spent: the caller got the failed outcome.");
    private static readonly Counter<long> ServedCounter = SharedMeter.CreateCounter<long>("retryanalyzers.calls.served", "{call}", "Logical calls this provider served: they ended with its answer, not with a failure (with failover, the calls that provider served).");
    private static readonly Counter<long> PassedOnCounter = SharedMeter.CreateCounter<long>("retryanalyzers.failover.passed_on", "{call}", "Calls a ProviderFailover passed from this provider to the next one (throttled past the accepted wait, breaker open, or failing).");
    private static readonly Counter<long> TokensWaitedCounter = SharedMeter.CreateCounter<long>("retryanalyzers.budget.tokens_waited", "{token}", "Tokens of calls that waited for the shared token budget.");

    private readonly KeyValuePair<string, object?>[] _tags;
    private long _calls;
    private long _retries;
    private long _rateLimited;
    private long _breakerOpened;
    private long _probes;
    private long _retryBudgetExhausted;
    private long _served;
    private long _passedOn;

    /// <summary>Metrics without an agent tag.</summary>
    public RetryMetrics()
        : this(null)
    {
    }

    /// <summary>Metrics tagged with an agent name.</summary>
    /// <param name="agent">The agent's name (not a key), or null.</param>
    public RetryMetrics(string? agent)
        : this(agent, null, null)
    {
    }

    /// <summary>Metrics tagged with an agent name and, in OpenTelemetry's GenAI terms, the provider and the model.</summary>
    /// <param name="agent">The agent's name (not a key), or null.</param>
    /// <param name="provider">The <c>gen_ai.provider.name</c> tag (<c>openai</c>, <c>anthropic</c>, <c>azure.ai.openai</c>, …), or null.</param>
    /// <param name="model">The <c>gen_ai.request.model</c> tag (<c>gpt-4o-mini</c>), or null.</param>
    public RetryMetrics(string? agent, string? provider, string? model = null)
    {
        Agent = agent;
        Provider = provider;
        Model = model;
        var tags = new List<KeyValuePair<string, object?>>(3);
        if (agent is not null)
        {
            tags.Add(new KeyValuePair<string, object?>("agent", agent));
        }

        if (provider is not null)
        {
            tags.Add(new KeyValuePair<string, object?>("gen_ai.provider.name", provider));
        }

        if (model is not null)
        {
            tags.Add(new KeyValuePair<string, object?>("gen_ai.request.model", model));
        }

        _tags = tags.ToArray();
    }

    /// <summary>The agent tag, or null.</summary>
    public string? Agent { get; }

    /// <summary>The <c>gen_ai.provider.name</c> tag, or null.</summary>
    public string? Provider { get; }

    /// <summary>The <c>gen_ai.request.model</c> tag, or null.</summary>
    public string? Model { get; }

    /// <summary>Logical calls.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Retries.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Answers with status 429.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Times the circuit breaker opened.</summary>
    public long BreakerOpened => Interlocked.Read(ref _breakerOpened);

    /// <summary>Probe attempts: while the provider throttles or fails, the one request sent at a time to see whether it is back.</summary>
    public long Probes => Interlocked.Read(ref _probes);

    /// <summary>Retries not made because the <see cref="RetryBudget"/> was spent (those calls failed with the provider's outcome).</summary>
    public long RetryBudgetExhausted => Interlocked.Read(ref _retryBudgetExhausted);

    /// <summary>Logical calls that ended with the provider's answer (a success, or an answer such as 400 that is not retried), not with a failure: which provider served, under failover.</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Calls a <see cref="ProviderFailover{TProvider}"/> passed from this provider to the next one.</summary>
    public long PassedOn => Interlocked.Read(ref _passedOn);

    /// <summary>Retries per call (0 with no calls).</summary>
    public double RetryRatio
    {
        get
        {
            var calls = Calls;
            return calls == 0 ? 0 : (double)Retries / calls;
        }
    }

    /// <summary>True when <see cref="RetryRatio"/> is above <see cref="CascadeThreshold"/>: the retries are part of the problem.</summary>
    public bool IsCascading => RetryRatio > CascadeThreshold;

    internal void RecordCall() => Add(ref _calls, CallsCounter);

    internal void RecordServed() => Add(ref _served, ServedCounter);

    internal void RecordPassedOn() => Add(ref _passedOn, PassedOnCounter);

    /// <summary>A retry; <paramref name="resendCount"/> is 1 for a call's first retry (the <c>http.request.resend_count</c> tag).</summary>
    internal void RecordRetry(int resendCount)
    {
        Interlocked.Increment(ref _retries);
        RetriesCounter.Add(1, With("http.request.resend_count", resendCount));
    }

    internal void RecordRateLimited() => Add(ref _rateLimited, RateLimitedCounter);

    internal void RecordBreakerOpened() => Add(ref _breakerOpened, BreakerOpenedCounter);

    internal void RecordProbe() => Add(ref _probes, ProbesCounter);

    internal void RecordRetryBudgetExhausted()
    {
        Interlocked.Increment(ref _retryBudgetExhausted);
        RetryBudgetExhaustedCounter.Add(1, With("error.type", "retry_budget_exhausted"));
    }

    internal void RecordTokensWaited(long tokens) => TokensWaitedCounter.Add(tokens, _tags);

    // The instance's tags plus one: off the success path (retries and refusals only), so the copy costs nothing there.
    private KeyValuePair<string, object?>[] With(string key, object value)
    {
        var tags = new KeyValuePair<string, object?>[_tags.Length + 1];
        _tags.CopyTo(tags, 0);
        tags[_tags.Length] = new KeyValuePair<string, object?>(key, value);
        return tags;
    }

    private void Add(ref long field, Counter<long> counter)
    {
        Interlocked.Increment(ref field);
        counter.Add(1, _tags);
    }
}
