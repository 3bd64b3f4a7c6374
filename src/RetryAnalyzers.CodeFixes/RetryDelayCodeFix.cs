using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>What the RA0001 and RA0002 fixes share: the <see cref="RetryShape"/> from the diagnostic, planned with <see cref="RetryRewriter"/>.</summary>
public abstract class RetryDelayCodeFix : EditorCodeFix
{
    private protected RetryDelayCodeFix(string diagnosticId, DelayKind kind, string equivalenceKey)
        : base(diagnosticId)
    {
        Kind = kind;
        ActionEquivalenceKey = equivalenceKey;
    }

    private protected DelayKind Kind { get; }

    private protected string ActionEquivalenceKey { get; }

    /// <summary>The title of the action for a shape.</summary>
    private protected abstract string Title(RetryShape shape);

    private protected sealed override IEnumerable<FixPlan> Plans(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(RetrySite.ShapeKey, out var shapeName) || !Enum.TryParse(shapeName, out RetryShape shape))
        {
            yield break;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (RetryRewriter.Plan(shape, Kind, node, model, cancellationToken) is { } edit)
        {
            yield return new FixPlan(Title(shape), ActionEquivalenceKey, edit);
        }
    }
}
