using System;

namespace RetryAnalyzers.Runtime.Redis;

/// <summary>
/// A <see cref="RedisTokenBudget"/> configured to fail closed could not reach Redis (no answer within
/// <see cref="RedisTokenBudgetOptions.OperationTimeout"/>, or no connection). The message names the budget, never a key
/// or a connection string. Nothing was taken.
/// </summary>
public sealed class RedisBudgetUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RedisBudgetUnavailableException()
        : this("The shared token budget is unavailable: Redis did not answer.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public RedisBudgetUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">Redis's own failure, if any.</param>
    public RedisBudgetUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal RedisBudgetUnavailableException(string budgetName, string message, Exception? innerException)
        : base(message, innerException)
        => BudgetName = budgetName;

    /// <summary>The budget's name (<see cref="RedisTokenBudgetOptions.Name"/>).</summary>
    public string? BudgetName { get; }
}
