using System;
using System.Collections.Generic;
using System.Net.Http;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

// Learning after the call: the real usage (Reconcile) and the provider's rate-limit headers.
public sealed partial class TokenBudget
{

    /// <summary>
    /// Settles a call's cost once its real usage is known: the unused part of the estimate goes back to the budget,
    /// usage beyond the estimate is taken from it (possibly into debt).
    /// </summary>
    /// <param name="estimatedTokens">What was acquired before the call.</param>
    /// <param name="actualTokens">What the provider counted (prompt + completion tokens).</param>
    public void Reconcile(long estimatedTokens, long actualTokens)
    {
        CheckTokens(estimatedTokens);
        CheckTokens(actualTokens);
        List<Waiter>? ready;
        lock (_lock)
        {
            Refill();
            Take((double)actualTokens - estimatedTokens);
            ready = Drain();
        }

        Complete(ready);
    }

    /// <summary>
    /// Learns from a provider response: <c>x-ratelimit-limit-tokens</c> (per minute) sets the rate within the
    /// configuration (a smaller limit lowers it, a later larger one raises it back, never above the configured rate nor
    /// below one token per hour; the burst follows; with <see cref="TokenBudgetOptions.LearnLimitFromHeaders"/> the limit
    /// may also raise it above the configured first guess), and <c>x-ratelimit-remaining-tokens</c> / <c>anthropic-ratelimit-tokens-remaining</c> /
    /// <c>anthropic-ratelimit-input-tokens-remaining</c> lower the balance to what the provider says is left (other
    /// processes may share the key). Without <see cref="TokenBudgetOptions.LearnLimitFromHeaders"/> the budget never raises itself above its configuration from headers.
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
        ApplyRateLimitHeaders(RateLimitHeaders.Headers(response), age);
    }

    /// <summary>As <see cref="ApplyRateLimitHeaders(HttpResponseMessage, TimeSpan)"/>, over any response's headers.</summary>
    internal void ApplyRateLimitHeaders(Func<string, string?> header, TimeSpan age)
    {
        var (limitPerMinute, remainingTokens) = RateLimitHeaders.ReadTokenLimits(header);
        if (limitPerMinute is null && remainingTokens is null)
        {
            return;
        }

        List<Waiter>? ready;
        lock (_lock)
        {
            Refill();
            if (limitPerMinute is { } limit && limit > 0)
            {
                var reported = Math.Max(RuntimeDefaults.BudgetMinTokensPerSecond, limit / 60.0);
                if (_learnLimit && reported > _configuredRate)
                {
                    // A first guess that was too low: the provider's limit, with a burst as long (in seconds) as configured.
                    _rate = reported;
                    _burst = Math.Max(_configuredBurst, Saturate(Math.Ceiling(_configuredBurst * (reported / _configuredRate))));
                }
                else
                {
                    _rate = Math.Min(_configuredRate, reported);
                    _burst = _rate >= _configuredRate ? _configuredBurst : Math.Max(1, Math.Min(_configuredBurst, Saturate(Math.Ceiling(_rate))));
                }
            }

            var current = remainingTokens is { } remaining ? remaining + (Math.Max(0, age.TotalSeconds) * _rate) : double.MaxValue;
            if (current < _tokens)
            {
                _tokens = current;
            }

            ready = Drain(); // a raised rate serves the queue sooner: re-arm its timer
        }

        Complete(ready);
    }
}
