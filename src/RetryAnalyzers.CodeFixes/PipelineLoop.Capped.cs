using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace RetryAnalyzers.CodeFixes;

/// <summary>RA0006's reading of a loop with no bound.</summary>
internal sealed partial record PipelineLoop
{
    /// <summary>An unbounded loop read with RA0006's cap: its last failure propagates (there is no code after the loop to go on with).</summary>
    public bool Capped { get; init; }

    // while (true)  for (;;)  do … while (true): no counter, no condition.
    private static bool Unbounded(StatementSyntax loop) => loop switch
    {
        WhileStatementSyntax { Condition: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.TrueLiteralExpression } } => true,
        DoStatementSyntax { Condition: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.TrueLiteralExpression } } => true,
        ForStatementSyntax { Declaration: null, Initializers.Count: 0, Condition: null, Incrementors.Count: 0 } => true,
        _ => false,
    };
}
