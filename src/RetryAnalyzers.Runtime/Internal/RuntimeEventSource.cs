using System.Diagnostics.Tracing;

namespace RetryAnalyzers.Runtime.Internal;

/// <summary>
/// The runtime's own events (<c>dotnet-trace collect --providers RetryAnalyzers-Runtime</c>, or an
/// <see cref="EventListener"/>): what it does on a guess the user should replace with a setting. Never a key.
/// </summary>
[EventSource(Name = SourceName)]
internal sealed class RuntimeEventSource : EventSource
{
    public const string SourceName = "RetryAnalyzers-Runtime";

    public static readonly RuntimeEventSource Log = new();

    private RuntimeEventSource()
    {
    }

    /// <summary>The shared budget runs on a guessed limit until the provider's headers tell the real one.</summary>
    [Event(1, Level = EventLevel.Warning, Message = "SharedProviderBudget has no configured limit: it starts at a guessed {0} tokens per minute and follows the provider's x-ratelimit-limit-tokens. Set {1} or call SharedProviderBudget.Configure with your key's limit.")]
    public void SharedBudgetGuessing(long tokensPerMinute, string variable) => WriteEvent(1, tokensPerMinute, variable);
}
