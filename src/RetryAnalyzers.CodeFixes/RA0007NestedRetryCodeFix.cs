using System.Collections.Generic;
using System.Composition;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;
using RetryAnalyzers.Rules;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// Fixes RA0007 for an SDK client under an outer retry: the SDK's own retries are switched off, the outer retry stays.
/// <list type="bullet">
/// <item>Options created in place: <c>new OpenAIClientOptions { Endpoint = e }</c> → <c>new OpenAIClientOptions { Endpoint = e, RetryPolicy = new ClientRetryPolicy(maxRetries: 0) }</c>.</item>
/// <item>No options: the constructor overload that takes them is used (<c>new ChatClient(model, key)</c> →
/// <c>new ChatClient(model, new ApiKeyCredential(key), new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0) })</c>);
/// no fix when the type has no such overload.</item>
/// </list>
/// A second retry layer on one builder has no automatic fix: removing either layer changes behaviour, and which one to keep
/// (usually the outer, provider-aware one) is the user's choice; the docs page explains it.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RA0007NestedRetryCodeFix))]
[Shared]
public sealed class RA0007NestedRetryCodeFix : EditorCodeFix
{
    /// <summary>The action's equivalence key.</summary>
    public const string EquivalenceKey = "RA0007.DisableSdkRetries";

    private const string ClientRetryPolicy = "System.ClientModel.Primitives.ClientRetryPolicy";
    private const string PipelineOptions = "System.ClientModel.Primitives.ClientPipelineOptions";

    /// <summary>Creates the fix.</summary>
    public RA0007NestedRetryCodeFix()
        : base(RuleIds.NestedRetry)
    {
    }

    private protected override IEnumerable<FixPlan> Plans(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(RA0007NestedRetryAnalyzer.ShapeKey, out var shape) || shape != RA0007NestedRetryAnalyzer.SdkClientShape ||
            root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not BaseObjectCreationExpressionSyntax creation ||
            model.GetOperation(creation, cancellationToken) is not IObjectCreationOperation { Constructor: { } constructor } operation ||
            model.Compilation.GetTypeByMetadataName(ClientRetryPolicy) is not { } retryPolicy)
        {
            yield break;
        }

        var options = operation.Arguments.FirstOrDefault(a => a.ArgumentKind == ArgumentKind.Explicit && MetadataNames.InheritsFrom(a.Parameter?.Type, PipelineOptions));
        if (options?.Value.WithoutConversions().Syntax is BaseObjectCreationExpressionSyntax optionsCreation)
        {
            yield return Plan(editor =>
            {
                var assignment = NoRetries(editor, model, creation.SpanStart, retryPolicy);
                var initializer = optionsCreation.Initializer is { } existing
                    ? existing.AddExpressions(assignment)
                    : SyntaxFactory.InitializerExpression(SyntaxKind.ObjectInitializerExpression, SyntaxFactory.SingletonSeparatedList<ExpressionSyntax>(assignment));
                editor.ReplaceNode(optionsCreation, optionsCreation.WithInitializer(initializer).WithAdditionalAnnotations(Formatter.Annotation));
            });
            yield break;
        }

        if (options is not null || creation.ArgumentList is not { } argumentList || argumentList.Arguments.Count != constructor.Parameters.Length ||
            argumentList.Arguments.Any(a => a.NameColon is not null) || OverloadWithOptions(constructor, model.Compilation) is not { } overload)
        {
            yield break;
        }

        yield return Plan(editor =>
        {
            var optionsType = (INamedTypeSymbol)overload.Parameters.Last().Type;
            Imports.AddUsing(editor, optionsType.ContainingNamespace.ToDisplayString());
            var arguments = new List<ArgumentSyntax>();
            for (var i = 0; i < constructor.Parameters.Length; i++)
            {
                var argument = argumentList.Arguments[i];
                if (SymbolEqualityComparer.Default.Equals(constructor.Parameters[i].Type, overload.Parameters[i].Type))
                {
                    arguments.Add(argument);
                    continue;
                }

                // string apiKey → new ApiKeyCredential(apiKey)
                var credential = (INamedTypeSymbol)overload.Parameters[i].Type;
                Imports.AddUsing(editor, credential.ContainingNamespace.ToDisplayString());
                arguments.Add(argument.WithExpression(SyntaxFactory.ObjectCreationExpression((TypeSyntax)Imports.TypeName(editor.Generator, model, creation.SpanStart, credential))
                    .WithArgumentList(SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(argument.Expression.WithoutTrivia()))))));
            }

            var newOptions = SyntaxFactory.ObjectCreationExpression((TypeSyntax)Imports.TypeName(editor.Generator, model, creation.SpanStart, optionsType))
                .WithArgumentList(null)
                .WithInitializer(SyntaxFactory.InitializerExpression(
                    SyntaxKind.ObjectInitializerExpression,
                    SyntaxFactory.SingletonSeparatedList<ExpressionSyntax>(NoRetries(editor, model, creation.SpanStart, retryPolicy))));
            arguments.Add(SyntaxFactory.Argument(newOptions));
            editor.ReplaceNode(creation, creation.WithArgumentList(argumentList.WithArguments(SyntaxFactory.SeparatedList(arguments))).WithAdditionalAnnotations(Formatter.Annotation));
        });
    }

    private static FixPlan Plan(System.Action<DocumentEditor> edit) => new("Switch the SDK's own retries off (the outer retry stays)", EquivalenceKey, edit);

    // RetryPolicy = new ClientRetryPolicy(maxRetries: 0)
    private static AssignmentExpressionSyntax NoRetries(DocumentEditor editor, SemanticModel model, int position, INamedTypeSymbol retryPolicy)
    {
        Imports.AddUsing(editor, retryPolicy.ContainingNamespace.ToDisplayString());
        var zero = SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(0)))
            .WithNameColon(SyntaxFactory.NameColon("maxRetries"));
        return SyntaxFactory.AssignmentExpression(
            SyntaxKind.SimpleAssignmentExpression,
            SyntaxFactory.IdentifierName("RetryPolicy"),
            SyntaxFactory.ObjectCreationExpression((TypeSyntax)Imports.TypeName(editor.Generator, model, position, retryPolicy))
                .WithArgumentList(SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(zero))));
    }

    // The constructor with the same parameters plus the options last; a string key may become an ApiKeyCredential.
    private static IMethodSymbol? OverloadWithOptions(IMethodSymbol constructor, Compilation compilation)
    {
        var credential = compilation.GetTypeByMetadataName(KnownTypes.ApiKeyCredential);
        return constructor.ContainingType.InstanceConstructors.FirstOrDefault(c =>
            c.Parameters.Length == constructor.Parameters.Length + 1 &&
            MetadataNames.InheritsFrom(c.Parameters.Last().Type, PipelineOptions) &&
            constructor.Parameters.Select((p, i) =>
                SymbolEqualityComparer.Default.Equals(p.Type, c.Parameters[i].Type) ||
                (p.Type.SpecialType == SpecialType.System_String && credential is not null && SymbolEqualityComparer.Default.Equals(c.Parameters[i].Type, credential))).All(same => same));
    }
}
