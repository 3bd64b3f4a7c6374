using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace RetryAnalyzers.Internal;

/// <summary>Rule options from <c>.editorconfig</c> (<c>dotnet_diagnostic.RAxxxx.&lt;option&gt;</c>), parsed with the invariant culture.</summary>
internal static class RuleOptions
{
    /// <summary>The integer ≥ 1 set for <paramref name="key"/> on the tree's file; <paramref name="defaultValue"/> when unset or invalid.</summary>
    public static int PositiveInteger(AnalyzerOptions options, SyntaxTree tree, string key, int defaultValue)
        => options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue(key, out var text) &&
           int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 1
            ? value
            : defaultValue;
}
