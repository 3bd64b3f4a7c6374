using Microsoft.CodeAnalysis;

namespace RetryAnalyzers.Internal;

/// <summary>Where a key comes from.</summary>
internal enum KeySourceKind
{
    /// <summary><c>Environment.GetEnvironmentVariable("NAME")</c>.</summary>
    Environment,

    /// <summary><c>configuration["Section:Key"]</c>.</summary>
    Configuration,

    /// <summary>A field or property whose origin is not visible.</summary>
    Member,

    /// <summary>A hard-coded string.</summary>
    Literal,

    /// <summary>
    /// A value named only by the code that reads it (a parameter, a local, another object's member): the same key
    /// throughout one member, not comparable across members. Only the per-item rule uses it.
    /// </summary>
    Expression,
}

/// <summary>The source of a key: two sites with equal <see cref="Id"/> hand the same key to their clients.</summary>
internal readonly record struct KeySource(KeySourceKind Kind, string Id, string Name)
{
    /// <summary>How the message names it (never the key itself).</summary>
    public string Display => Kind switch
    {
        KeySourceKind.Environment => "the key in environment variable " + Name,
        KeySourceKind.Configuration => "the key at configuration '" + Name + "'",
        KeySourceKind.Member or KeySourceKind.Expression => "the key in '" + Name + "'",
        _ => "one hard-coded key",
    };
}

/// <summary>How a site takes its key; the analyzer → code fix contract.</summary>
internal enum KeySiteShape
{
    /// <summary><c>new ChatClient(model, key)</c>, <c>new AnthropicClient { ApiKey = key }</c>: the squiggle is on the creation.</summary>
    ClientCreation,

    /// <summary><c>new ApiKeyCredential(key)</c> / <c>new AzureKeyCredential(key)</c> not given directly to a client.</summary>
    Credential,

    /// <summary><c>headers.Add("x-api-key", key)</c>, <c>Authorization = new AuthenticationHeaderValue("Bearer", key)</c>.</summary>
    Header,

    /// <summary>A registration with an <c>apiKey</c> parameter (Semantic Kernel <c>AddOpenAIChatCompletion(model, apiKey)</c>).</summary>
    Registration,
}

/// <summary>One place a key is handed to a provider client.</summary>
/// <param name="Shape">How.</param>
/// <param name="Key">The expression given as the key at the site (what a fix replaces).</param>
/// <param name="Source">Where the key comes from.</param>
/// <param name="Budgeted">The client's calls already go through the runtime's shared budget.</param>
internal readonly record struct KeySite(KeySiteShape Shape, IOperation Key, KeySource Source, bool Budgeted);
