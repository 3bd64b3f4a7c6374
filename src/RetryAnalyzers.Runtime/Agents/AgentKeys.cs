using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// A resolved API key and where it came from. No property holds the key, so a serializer or a logger that writes the
/// object never writes it; <see cref="ToString"/> masks it. Only <see cref="Reveal"/> returns it.
/// </summary>
public sealed class AgentKey
{
    private readonly string _value;

    internal AgentKey(string agent, string value, string source, bool isShared)
    {
        Agent = agent;
        _value = value;
        Source = source;
        IsShared = isShared;
    }

    /// <summary>The agent the key was resolved for.</summary>
    public string Agent { get; }

    /// <summary>The variable it was read from (a name, not the key).</summary>
    public string Source { get; }

    /// <summary>True when the agent falls back to the shared key (and so must draw from the shared budget).</summary>
    public bool IsShared { get; }

    /// <summary>The secret, for the one place that sends it (the client's credential). Never log it nor store it.</summary>
    /// <returns>The API key.</returns>
    public string Reveal() => _value;

    /// <summary>Agent and source, with the key masked.</summary>
    /// <returns>For example <c>ResearchAgent: OPENAI_API_KEY_RESEARCH_AGENT (****)</c>.</returns>
    public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0}: {1} (****){2}", Agent, Source, IsShared ? " shared" : string.Empty);
}

/// <summary>
/// Resolves one API key per agent, so each agent has its own provider rate-limit bucket.
/// <para>
/// <b>Naming rule.</b> For prefix <c>OPENAI_API_KEY</c> and agent <c>ResearchAgent</c> the variable is
/// <c>OPENAI_API_KEY_RESEARCH_AGENT</c>: the agent name in upper snake case (<c>ResearchAgent</c>, <c>research-agent</c>
/// and <c>research agent</c> all give <c>RESEARCH_AGENT</c>), joined to the prefix by <c>_</c>. The lookup is the
/// environment by default; pass <c>name =&gt; configuration[name]</c> to read <c>IConfiguration</c> instead.
/// </para>
/// <para>
/// <b>Fallback.</b> When the agent has no key of its own, the shared key (the prefix itself) is used only if a shared
/// <see cref="TokenBudget"/> is given, because agents on one key share one provider bucket and must pace themselves
/// together; without a budget the resolution fails with a message that names the variables, never a key.
/// </para>
/// </summary>
public static class AgentKeys
{
    /// <summary>The variable holding <paramref name="agent"/>'s own key.</summary>
    /// <param name="prefix">The shared key's variable, e.g. <c>OPENAI_API_KEY</c>.</param>
    /// <param name="agent">The agent's name, e.g. <c>ResearchAgent</c>.</param>
    /// <returns>For example <c>OPENAI_API_KEY_RESEARCH_AGENT</c>.</returns>
    public static string VariableName(string prefix, string agent)
    {
        Guard.Argument(!string.IsNullOrWhiteSpace(prefix), nameof(prefix), "prefix must name the shared key's variable, e.g. OPENAI_API_KEY.");
        Guard.Argument(!string.IsNullOrWhiteSpace(agent), nameof(agent), "agent must be the agent's name, e.g. ResearchAgent.");

        return prefix + "_" + UpperSnake(agent);
    }

    /// <summary>Resolves <paramref name="agent"/>'s key from the environment.</summary>
    /// <param name="agent">The agent's name.</param>
    /// <param name="prefix">The shared key's variable.</param>
    /// <param name="sharedBudget">The budget all agents on the shared key draw from; without it there is no fallback.</param>
    /// <returns>The key.</returns>
    /// <exception cref="InvalidOperationException">No key for the agent, and no shared key with a shared budget.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in a required parameter (the lookup); no call is ambiguous.")]
    public static AgentKey Resolve(string agent, string prefix = RuntimeDefaults.KeyPrefix, ProviderTokenBudget? sharedBudget = null)
        => Resolve(agent, prefix, Environment.GetEnvironmentVariable, sharedBudget);

    /// <summary>Resolves <paramref name="agent"/>'s key through <paramref name="lookup"/> (environment, configuration, a vault).</summary>
    /// <param name="agent">The agent's name.</param>
    /// <param name="prefix">The shared key's variable.</param>
    /// <param name="lookup">Reads a variable; null or empty when it is not set.</param>
    /// <param name="sharedBudget">The budget all agents on the shared key draw from; without it there is no fallback.</param>
    /// <returns>The key.</returns>
    /// <exception cref="InvalidOperationException">No key for the agent, and no shared key with a shared budget.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in a required parameter (the lookup); no call is ambiguous.")]
    public static AgentKey Resolve(string agent, string prefix, Func<string, string?> lookup, ProviderTokenBudget? sharedBudget = null)
    {
        Guard.NotNull(lookup, nameof(lookup));

        var own = VariableName(prefix, agent);
        if (lookup(own) is { Length: > 0 } key)
        {
            return new AgentKey(agent, key, own, isShared: false);
        }

        var shared = lookup(prefix);
        if (shared is { Length: > 0 } && sharedBudget is not null)
        {
            return new AgentKey(agent, shared, prefix, isShared: true);
        }

        throw new InvalidOperationException(shared is { Length: > 0 }
            ? string.Format(CultureInfo.InvariantCulture, "Agent '{0}' has no key of its own ({1} is not set) and the shared key {2} may only be used with a shared TokenBudget: pass one, or set {1}.", agent, own, prefix)
            : string.Format(CultureInfo.InvariantCulture, "Agent '{0}' has no API key: set {1} (or {2} together with a shared TokenBudget).", agent, own, prefix));
    }

    private static string UpperSnake(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (!char.IsLetterOrDigit(c))
            {
                if (builder.Length > 0 && builder[builder.Length - 1] != '_')
                {
                    builder.Append('_');
                }

                continue;
            }

            if (char.IsUpper(c) && i > 0 && builder.Length > 0 && builder[builder.Length - 1] != '_' &&
                (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]))))
            {
                builder.Append('_');
            }

            builder.Append(char.ToUpperInvariant(c));
        }

        return builder.ToString().TrimEnd('_');
    }
}
