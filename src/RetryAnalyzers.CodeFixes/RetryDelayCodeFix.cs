using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// What the RA0001 and RA0002 fixes share: the <see cref="RetryShape"/> from the diagnostic, planned with
/// <see cref="RetryRewriter"/> (the delay only), and for a hand-written loop around a provider call a second action,
/// the whole retry onto the provider pipeline (<see cref="PipelineRewriter"/>). The delay-only action comes first
/// unless <c>dotnet_diagnostic.RAxxxx.fix = pipeline</c> (so <c>dotnet format analyzers</c> applies the chosen one).
/// </summary>
public abstract class RetryDelayCodeFix : EditorCodeFix
{
    private protected RetryDelayCodeFix(string diagnosticId, DelayKind kind, string equivalenceKey)
        : base(diagnosticId)
    {
        DiagnosticId = diagnosticId;
        Kind = kind;
        ActionEquivalenceKey = equivalenceKey;
    }

    private protected string DiagnosticId { get; }

    private protected DelayKind Kind { get; }

    private protected string ActionEquivalenceKey { get; }

    /// <summary>The title of the action for a shape.</summary>
    private protected abstract string Title(RetryShape shape);

    private protected sealed override IEnumerable<FixPlan> Plans(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
        => Array.Empty<FixPlan>();

    private protected sealed override IEnumerable<FixPlan> Plans(Diagnostic diagnostic, Document document, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(RetrySite.ShapeKey, out var shapeName) || !Enum.TryParse(shapeName, out RetryShape shape))
        {
            return Array.Empty<FixPlan>();
        }

        var plans = new List<FixPlan>(2);
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (RetryRewriter.Plan(shape, Kind, node, model, cancellationToken) is { } edit)
        {
            plans.Add(new FixPlan(Title(shape), ActionEquivalenceKey, edit));
        }

        if (shape is RetryShape.HandWrittenLoop or RetryShape.PollyV7SleepProvider or RetryShape.PollyV7SleepDurations or RetryShape.PollyV8Options)
        {
            PipelineRewriter.Offer(plans, DiagnosticId, document, root, options => PipelineRewriter.Plan(DiagnosticId, shape, node, model, options, cancellationToken));
        }

        return plans;
    }
}
