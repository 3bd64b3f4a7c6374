using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// A token budget that provider calls draw from before they are sent: the in-process <see cref="TokenBudget"/>, or a
/// budget shared by many processes (<c>RedisTokenBudget</c> in RetryAnalyzers.Runtime.Redis). Every place that takes
/// a budget (<see cref="ProviderResilienceOptions.Budget"/>, <see cref="TokenBudgetPipelineBuilderExtensions.AddTokenBudget{TBuilder}"/>,
/// <see cref="AgentKeys"/>, Polly's <c>AddRateLimiter</c>) takes this type.
/// <para>
/// It is a <see cref="RateLimiter"/> whose permits are tokens. The contract every budget keeps: a request larger than
/// the burst is admitted when the budget is full and leaves it in debt (never an exception); a cancelled wait takes
/// nothing; <see cref="Reconcile(long, long)"/> settles a call at what the provider counted; the provider's rate-limit headers
/// lower the balance.
/// </para>
/// </summary>
public abstract class ProviderTokenBudget : RateLimiter
{
    private static readonly RateLimitLease Acquired = new BudgetLease(true, null);
    private static readonly RateLimitLease NotAcquired = new BudgetLease(false, null);

    /// <summary>Waits until <paramref name="tokens"/> are available (first in, first out), then takes them.</summary>
    /// <param name="tokens">The cost of the call in tokens (0 or more); more than the burst is admitted when the budget is full.</param>
    /// <param name="cancellationToken">Cancels the wait; the tokens are then not taken.</param>
    /// <returns>A task that completes when the tokens are taken.</returns>
    /// <exception cref="OperationCanceledException">The wait was cancelled.</exception>
    public ValueTask AcquireTokensAsync(long tokens, CancellationToken cancellationToken = default)
    {
        var acquire = AcquireTokensCoreAsync(tokens, cancellationToken);
        return acquire.IsCompletedSuccessfully ? default : new ValueTask(acquire.AsTask());
    }

    /// <summary>Takes <paramref name="tokens"/> now if they are available and nobody waits before; never waits.</summary>
    /// <param name="tokens">The cost of the call in tokens (0 or more).</param>
    /// <returns>True when the tokens were taken.</returns>
    public abstract bool TryAcquire(long tokens);

    /// <summary>
    /// As <see cref="TryAcquire"/> when the budget can answer in memory, without a failed attempt counted; a budget
    /// that would have to ask a server (Redis) says no here and is drawn from by <see cref="AcquireTokensCoreAsync"/>.
    /// The pipeline's direct path calls this: a call the budget admits at once goes without the retry's machinery.
    /// </summary>
    internal virtual bool TryTakeNow(long tokens) => false;

    /// <summary>
    /// Settles a call's cost once its real usage is known: the unused part of the estimate goes back to the budget,
    /// usage beyond the estimate is taken from it (possibly into debt).
    /// </summary>
    /// <param name="estimatedTokens">What was acquired before the call.</param>
    /// <param name="actualTokens">What the provider counted (prompt + completion tokens).</param>
    public abstract void Reconcile(long estimatedTokens, long actualTokens);

    /// <summary>
    /// As <see cref="Reconcile(long, long)"/>, for a call whose tokens were drawn <paramref name="age"/> ago: a rolling
    /// window's budget does not give back the unused part of an admission that has already left its window.
    /// </summary>
    internal virtual void Reconcile(long estimatedTokens, long actualTokens, TimeSpan age) => Reconcile(estimatedTokens, actualTokens);

    /// <summary>
    /// Learns from a provider response: <c>x-ratelimit-limit-tokens</c> (per minute) sets the rate within the
    /// configuration, and <c>x-ratelimit-remaining-tokens</c> / <c>anthropic-ratelimit-tokens-remaining</c> /
    /// <c>anthropic-ratelimit-input-tokens-remaining</c> lower the balance to what the provider says is left (other
    /// processes may share the key).
    /// </summary>
    /// <param name="response">A provider response.</param>
    public void ApplyRateLimitHeaders(HttpResponseMessage response) => ApplyRateLimitHeaders(response, TimeSpan.Zero);

    /// <summary>
    /// As <see cref="ApplyRateLimitHeaders(HttpResponseMessage)"/>, for a response whose headers describe the provider's
    /// state <paramref name="age"/> ago (when the request was admitted, not when a long completion came back): the
    /// provider has refilled since, so the reported remaining tokens count <c>age × TokensPerSecond</c> more.
    /// </summary>
    /// <param name="response">A provider response.</param>
    /// <param name="age">The time since the request was sent.</param>
    public void ApplyRateLimitHeaders(HttpResponseMessage response, TimeSpan age)
    {
        Guard.NotNull(response, nameof(response));
        Apply(RateLimitHeaders.ReadTokenLimits(response), age);
    }

    /// <summary>As <see cref="ApplyRateLimitHeaders(HttpResponseMessage, TimeSpan)"/>, over any response's headers.</summary>
    internal void ApplyRateLimitHeaders(Func<string, string?> header, TimeSpan age) => Apply(RateLimitHeaders.ReadTokenLimits(header), age);

    private void Apply((long? LimitPerMinute, long? Remaining) limits, TimeSpan age)
    {
        if (limits.LimitPerMinute is not null || limits.Remaining is not null)
        {
            ApplyTokenLimits(limits.LimitPerMinute is > 0 ? limits.LimitPerMinute : null, limits.Remaining, age < TimeSpan.Zero ? TimeSpan.Zero : age);
        }
    }

    /// <summary>
    /// Waits for <paramref name="tokens"/> and takes them, as <see cref="AcquireTokensAsync"/>; the result tells whether
    /// the caller had to wait (the pipeline counts the tokens of calls that waited in its metrics).
    /// </summary>
    /// <param name="tokens">The cost of the call in tokens (0 or more).</param>
    /// <param name="cancellationToken">Cancels the wait; the tokens are then not taken.</param>
    /// <returns>True when the caller waited for the tokens; false when they were there.</returns>
    protected internal abstract ValueTask<bool> AcquireTokensCoreAsync(long tokens, CancellationToken cancellationToken);

    /// <summary>
    /// What a provider reported, read from its headers: the limit (tokens per minute), the tokens it says are left, and
    /// how long ago that was true.
    /// </summary>
    /// <param name="limitPerMinute">The provider's limit in tokens per minute, if reported (always positive).</param>
    /// <param name="remainingTokens">The tokens the provider says are left, if reported.</param>
    /// <param name="age">How long ago the provider's state was as reported (0 or more).</param>
    protected abstract void ApplyTokenLimits(long? limitPerMinute, long? remainingTokens, TimeSpan age);

    /// <summary>
    /// The provider answered a call 429 (the pipeline calls this once per throttled attempt, after it gave the
    /// attempt's tokens back). A budget that finds its rate from throttles lowers it here; the default does nothing.
    /// </summary>
    protected internal virtual void OnThrottled()
    {
    }

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => TryAcquire(permitCount) ? Acquired : NotAcquired;

    /// <inheritdoc />
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        await AcquireTokensCoreAsync(permitCount, cancellationToken).ConfigureAwait(false);
        return Acquired;
    }

    /// <summary>A lease: acquired or not, with the wait a failed one should retry after.</summary>
    /// <param name="acquired">Whether the permits were taken.</param>
    /// <param name="retryAfter">When a failed lease is worth retrying.</param>
    /// <returns>The lease.</returns>
    protected static RateLimitLease Lease(bool acquired, TimeSpan? retryAfter)
        => retryAfter is null ? (acquired ? Acquired : NotAcquired) : new BudgetLease(acquired, retryAfter);

    private sealed class BudgetLease : RateLimitLease
    {
        private readonly TimeSpan? _retryAfter;

        public BudgetLease(bool acquired, TimeSpan? retryAfter)
        {
            IsAcquired = acquired;
            _retryAfter = retryAfter;
        }

        public override bool IsAcquired { get; }

        public override IEnumerable<string> MetadataNames => _retryAfter is null ? Array.Empty<string>() : new[] { MetadataName.RetryAfter.Name };

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (_retryAfter is { } retryAfter && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = retryAfter;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
