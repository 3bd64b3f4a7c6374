using System;
using System.Threading.Tasks;
using Polly;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>Adds a token budget (<see cref="TokenBudget"/>, or one shared by many processes) to a Polly v8 pipeline, charging each execution its cost in tokens.</summary>
public static class TokenBudgetPipelineBuilderExtensions
{
    /// <summary>The context property with an execution's cost in tokens; an execution without it costs 1 token.</summary>
    public static readonly ResiliencePropertyKey<long> TokenCost = new("RetryAnalyzers.TokenCost");

    /// <summary>
    /// Every execution waits for its tokens (<see cref="TokenCost"/> in its <see cref="ResilienceContext"/>) in the shared
    /// budget before it runs. Put it inside the retry so each attempt is charged. (Polly's <c>AddRateLimiter(budget)</c>
    /// also accepts the budget, at one token per execution.)
    /// </summary>
    /// <typeparam name="TBuilder">The builder.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="budget">The shared budget.</param>
    /// <returns>The builder.</returns>
    public static TBuilder AddTokenBudget<TBuilder>(this TBuilder builder, ProviderTokenBudget budget)
        where TBuilder : ResiliencePipelineBuilderBase
    {
        Guard.NotNull(builder, nameof(builder));
        Guard.NotNull(budget, nameof(budget));

        return builder.AddStrategy(_ => new TokenBudgetStrategy(budget), new TokenBudgetStrategyOptions());
    }

    private sealed class TokenBudgetStrategyOptions : ResilienceStrategyOptions
    {
        public TokenBudgetStrategyOptions() => Name = RuntimeDefaults.TokenBudgetName;
    }

    private sealed class TokenBudgetStrategy : ResilienceStrategy
    {
        private readonly ProviderTokenBudget _budget;

        public TokenBudgetStrategy(ProviderTokenBudget budget) => _budget = budget;

        protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback,
            ResilienceContext context,
            TState state)
        {
            try
            {
                await _budget.AcquireTokensAsync(context.Properties.GetValue(TokenCost, 1L), context.CancellationToken).ConfigureAwait(context.ContinueOnCapturedContext);
            }
            catch (OperationCanceledException e)
            {
                return Outcome.FromException<TResult>(e);
            }

            return await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        }
    }
}
