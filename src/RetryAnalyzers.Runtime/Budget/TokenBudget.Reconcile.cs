using System;
using System.Collections.Generic;
using System.Net.Http;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

// Learning after the call: the real usage (Reconcile) and the provider's rate-limit headers.
public sealed partial class TokenBudget
{

    /// <inheritdoc />
    public override void Reconcile(long estimatedTokens, long actualTokens)
    {
        CheckTokens(estimatedTokens);
        CheckTokens(actualTokens);
        List<Waiter>? ready;
        lock (_lock)
        {
            Refill();
            if (_learning && _probeSince >= 0)
            {
                var now = NowMilliseconds();
                if (actualTokens > 0)
                {
                    Adapt(actualTokens, now - _probeSince, now); // answered without a limit in its headers: find the rate from throttles
                }
                else
                {
                    _probeSince = -1; // given back unused (throttled, or never sent): the next call may go
                    _tokens = _burst;
                }
            }
            else
            {
                if (actualTokens < estimatedTokens)
                {
                    _adaptive?.GaveBack(estimatedTokens - actualTokens, whole: actualTokens == 0);
                }

                Take((double)actualTokens - estimatedTokens);
            }

            ready = Drain();
        }

        Complete(ready);
    }

    /// <summary>
    /// <c>x-ratelimit-limit-tokens</c> (per minute) sets the rate within the configuration (a smaller limit lowers it, a
    /// later larger one raises it back, never above the configured rate nor below one token per hour; the burst follows;
    /// with <see cref="TokenBudgetOptions.LearnLimitFromHeaders"/> the limit may also raise it above the configured first
    /// guess), and the remaining tokens lower the balance. Without <see cref="TokenBudgetOptions.LearnLimitFromHeaders"/>
    /// the budget never raises itself above its configuration from headers.
    /// </summary>
    /// <param name="limitPerMinute">The provider's limit in tokens per minute, if reported.</param>
    /// <param name="remainingTokens">The tokens the provider says are left, if reported.</param>
    /// <param name="age">How long ago the provider's state was as reported.</param>
    protected override void ApplyTokenLimits(long? limitPerMinute, long? remainingTokens, TimeSpan age)
    {
        List<Waiter>? ready;
        lock (_lock)
        {
            Refill();
            if (limitPerMinute is { } said && _unconfigured)
            {
                Learn(said); // configured with nothing: the provider's limit, from now on
            }
            else if (limitPerMinute is { } limit)
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

                if (IsWindow)
                {
                    _burst = Math.Max(1, WindowLimit);
                    _tokens = _burst - _inWindow;
                }
            }

            if (IsWindow)
            {
                // The provider counts more in its window than this process did (another process on the key): log the difference.
                var counted = remainingTokens is { } left ? _burst - left : 0;
                if (counted > _inWindow)
                {
                    TakeFromWindow(counted - _inWindow);
                }
            }
            else if (!_learning && remainingTokens is { } remaining && remaining + (age.TotalSeconds * _rate) < _tokens)
            {
                _tokens = remaining + (age.TotalSeconds * _rate);
            }

            ready = Drain(); // a raised rate serves the queue sooner: re-arm its timer
        }

        Complete(ready);
    }
}
