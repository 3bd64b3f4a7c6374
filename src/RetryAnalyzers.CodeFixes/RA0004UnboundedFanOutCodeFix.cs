using System;
using System.Collections.Generic;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using RetryAnalyzers.Internal;
using RetryAnalyzers.Rules;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// Fixes RA0004 with a bound of <c>dotnet_diagnostic.RA0004.max_concurrency</c> (default 4):
/// <list type="bullet">
/// <item><c>Task.WhenAll(items.Select(x =&gt; CallAsync(x)))</c> → <c>BoundedFanOut.SelectAsync(items, (x, _) =&gt; CallAsync(x), maxConcurrency: 4)</c>
/// (results in item order; <c>ForEachAsync</c> for non-generic tasks), passing the method's <c>CancellationToken</c> if it has one;</item>
/// <item><c>Parallel.ForEach(items, body)</c> → <c>Parallel.ForEach(items, new ParallelOptions { MaxDegreeOfParallelism = 4 }, body)</c>,
/// and an existing <c>MaxDegreeOfParallelism</c> of -1 (or unset) → 4.</item>
/// </list>
/// No fix for <c>WhenAny</c>, loop-filled task lists, or a projection stored in a local first.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RA0004UnboundedFanOutCodeFix))]
[Shared]
public sealed class RA0004UnboundedFanOutCodeFix : EditorCodeFix
{
    /// <summary>The one action of this fix; stable across versions.</summary>
    public const string EquivalenceKey = "RA0004.BoundTheFanOut";

    /// <summary>Creates the fix.</summary>
    public RA0004UnboundedFanOutCodeFix()
        : base(RuleIds.UnboundedFanOut)
    {
    }

    private protected override IEnumerable<FixPlan> Plans(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        if (Plan(diagnostic, root, model, cancellationToken) is { } plan)
        {
            yield return plan;
        }
    }

    private static FixPlan? Plan(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(RA0004UnboundedFanOutAnalyzer.ShapeKey, out var shapeName) ||
            !Enum.TryParse(shapeName, out FanOutShape shape) ||
            !diagnostic.Properties.TryGetValue(RA0004UnboundedFanOutAnalyzer.MaxConcurrencyKey, out var maxText) ||
            !int.TryParse(maxText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var max) ||
            root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call ||
            model.GetOperation(call, cancellationToken) is not IInvocationOperation invocation)
        {
            return null;
        }

        return shape switch
        {
            FanOutShape.Projection => PlanProjection(call, invocation, model, max),
            FanOutShape.ParallelForEach or FanOutShape.ParallelForEachAsync => PlanParallel(invocation, model, max),
            _ => null,
        };
    }

    // Task.WhenAll(items.Select(x => CallAsync(x)))  →  BoundedFanOut.SelectAsync(items, (x, _) => CallAsync(x), maxConcurrency: 4)
    private static FixPlan? PlanProjection(InvocationExpressionSyntax call, IInvocationOperation whenAll, SemanticModel model, int max)
    {
        var fanOut = model.Compilation.GetTypeByMetadataName(KnownTypes.RuntimeBoundedFanOut);
        if (fanOut is null || whenAll.TargetMethod.Name != "WhenAll" || whenAll.Arguments.Length != 1)
        {
            return null;
        }

        var tasks = whenAll.Arguments[0].Value.WithoutConversions();
        while (tasks is IInvocationOperation { TargetMethod.Name: "ToList" or "ToArray", Arguments.Length: 1 } materialize)
        {
            tasks = materialize.Arguments[0].Value.WithoutConversions();
        }

        if (tasks is not IInvocationOperation { TargetMethod.Name: "Select", Arguments.Length: 2 } select ||
            select.Arguments[0].Value.Syntax is not ExpressionSyntax source ||
            select.Arguments[1].Value.Syntax is not LambdaExpressionSyntax lambda ||
            Parameter(lambda) is not { } parameter)
        {
            return null;
        }

        var generic = whenAll.TargetMethod.IsGenericMethod;
        var token = CancellationTokenInScope(call, model);
        return new FixPlan("Bound the fan-out (BoundedFanOut)", EquivalenceKey, editor =>
        {
            Imports.AddUsing(editor, fanOut.ContainingNamespace.ToDisplayString());
            var parameters = SyntaxFactory.ParameterList(SyntaxFactory.SeparatedList(new[]
            {
                parameter.WithoutTrivia(),
                SyntaxFactory.Parameter(SyntaxFactory.Identifier("_")),
            }));
            var bounded = SyntaxFactory.ParenthesizedLambdaExpression(parameters, lambda.Body) // the body keeps its indentation when the arrow ends its line
                .WithAsyncKeyword(lambda.AsyncKeyword)
                .WithArrowToken(lambda.ArrowToken);
            var arguments = new[]
            {
                SyntaxFactory.Argument(source.WithoutTrivia()),
                SyntaxFactory.Argument(bounded),
                SyntaxFactory.Argument(Literal(max)).WithNameColon(SyntaxFactory.NameColon("maxConcurrency")),
            }.ToList();
            if (token is not null)
            {
                arguments.Add(SyntaxFactory.Argument(SyntaxFactory.IdentifierName(token)).WithNameColon(SyntaxFactory.NameColon("cancellationToken")));
            }

            var replacement = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    (ExpressionSyntax)Imports.TypeName(editor.Generator, model, call.SpanStart, fanOut),
                    SyntaxFactory.IdentifierName(generic ? "SelectAsync" : "ForEachAsync")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments)));
            editor.ReplaceNode(call, replacement.WithTriviaFrom(call).WithAdditionalAnnotations(Formatter.Annotation));
        });
    }

    // Parallel.ForEach(items, body)  →  Parallel.ForEach(items, new ParallelOptions { MaxDegreeOfParallelism = 4 }, body)
    private static FixPlan? PlanParallel(IInvocationOperation invocation, SemanticModel model, int max)
    {
        var optionsType = model.Compilation.GetTypeByMetadataName(KnownTypes.ParallelOptions);
        var options = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "parallelOptions");
        var source = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "source");
        if (optionsType is null || source?.Syntax is not ArgumentSyntax sourceArgument)
        {
            return null;
        }

        if (options is null)
        {
            // Only the overloads that have a ParallelOptions twin: (source, body) → (source, options, body).
            if (invocation.Arguments.Length != 2)
            {
                return null;
            }

            return new FixPlan("Bound the fan-out (MaxDegreeOfParallelism)", EquivalenceKey, editor =>
            {
                var created = SyntaxFactory.ParseExpression(
                    "new ParallelOptions { MaxDegreeOfParallelism = " + max.ToString(CultureInfo.InvariantCulture) + " }");
                var typed = ((ObjectCreationExpressionSyntax)created).WithType(
                    ((TypeSyntax)editor.Generator.TypeExpression(optionsType)).WithAdditionalAnnotations(Simplifier.Annotation).WithTrailingTrivia(SyntaxFactory.Space));
                editor.InsertAfter(sourceArgument, SyntaxFactory.Argument(typed));
            });
        }

        // An inline new ParallelOptions { … }: set MaxDegreeOfParallelism (replacing -1, or adding it).
        if (options.Value.WithoutConversions() is not IObjectCreationOperation { Syntax: BaseObjectCreationExpressionSyntax creation } created)
        {
            return null;
        }

        var existing = created.Initializer?.Initializers.OfType<ISimpleAssignmentOperation>()
            .FirstOrDefault(a => a.Target is IPropertyReferenceOperation { Property.Name: "MaxDegreeOfParallelism" });
        return new FixPlan("Bound the fan-out (MaxDegreeOfParallelism)", EquivalenceKey, editor =>
        {
            if (existing?.Value.Syntax is ExpressionSyntax value)
            {
                editor.ReplaceNode(value, Literal(max).WithTriviaFrom(value));
                return;
            }

            var assignment = SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, SyntaxFactory.IdentifierName("MaxDegreeOfParallelism"), Literal(max));
            var initializer = creation.Initializer is { } init
                ? init.AddExpressions(assignment)
                : SyntaxFactory.InitializerExpression(SyntaxKind.ObjectInitializerExpression, SyntaxFactory.SingletonSeparatedList<ExpressionSyntax>(assignment));
            editor.ReplaceNode(creation, creation.WithInitializer(initializer).WithAdditionalAnnotations(Formatter.Annotation));
        });
    }

    private static ParameterSyntax? Parameter(LambdaExpressionSyntax lambda) => lambda switch
    {
        SimpleLambdaExpressionSyntax simple => simple.Parameter,
        ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: 1 } parenthesized => parenthesized.ParameterList.Parameters[0],
        _ => null,
    };

    /// <summary>The name of a <c>CancellationToken</c> parameter of the enclosing method, if there is one.</summary>
    private static string? CancellationTokenInScope(SyntaxNode call, SemanticModel model)
    {
        var member = call.FirstAncestorOrSelf<BaseMethodDeclarationSyntax>();
        if (member is null || model.GetDeclaredSymbol(member) is not IMethodSymbol method)
        {
            return null;
        }

        return method.Parameters.FirstOrDefault(p => KnownSymbols.Is(p.Type, model.Compilation, KnownTypes.CancellationToken))?.Name;
    }

    private static LiteralExpressionSyntax Literal(int value)
        => SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(value));
}
