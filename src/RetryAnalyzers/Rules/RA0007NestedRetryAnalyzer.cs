using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.Rules;

/// <summary>
/// RA0007: a retry inside a retry. Three shapes:
/// <list type="number">
/// <item>A second <c>AddRetry</c> on one Polly v8 <c>ResiliencePipelineBuilder</c> (one chain, or statements of one block on the
/// same builder local or parameter) — at the second (see <see cref="RetryLayers"/>).</item>
/// <item>A second retry layer registered on one <c>IHttpClientBuilder</c>: the standard resilience handler, a resilience handler
/// whose lambda adds a retry, a visible Polly v7 retry policy handler, a transient-error retry policy, the runtime's
/// <c>ProviderResilienceHandler</c> — at the second.</item>
/// <item>An OpenAI / Azure OpenAI client created with the SDK's default retry whose calls run inside a Polly retry, the
/// runtime's <c>ProviderPipeline</c> or a hand-written retry loop — at the client creation (see <see cref="SdkRetryClients"/>).</item>
/// </list>
/// <para>Quiet: one retry layer; a retry with hedging, fallback, a circuit breaker or a timeout; two builders; clients with
/// <c>RetryPolicy</c> or <c>Transport</c> set (<c>new ClientRetryPolicy(0)</c>, <c>UseProviderResilience</c>), options we cannot
/// see, and policies we cannot see.</para>
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RA0007NestedRetryAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The <see cref="Diagnostic.Properties"/> key of the shape: <see cref="SdkClientShape"/> or <see cref="BuilderShape"/>.</summary>
    public const string ShapeKey = "NestedRetryShape";

    /// <summary>An SDK client with its own retry under an outer retry (fixable: switch the SDK's retry off).</summary>
    public const string SdkClientShape = "SdkClient";

    /// <summary>A second retry layer on one builder (no automatic fix: which layer to keep is the user's choice).</summary>
    public const string BuilderShape = "Builder";

    private static readonly string[] Libraries = { "Polly.Core", "Microsoft.Extensions.Http", "OpenAI", "Azure.AI.OpenAI" };

    // The calls RetryLayers.Describe can name a retry layer (the syntax filter before anything is bound).
    private static readonly string[] LayerMethods =
    {
        "AddRetry", "AddStandardResilienceHandler", "AddResilienceHandler", "AddPolicyHandler", "AddTransientHttpErrorPolicy", "AddHttpMessageHandler",
    };

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.RA0007NestedRetry);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var compilation = start.Compilation;
            var libraries = ReferenceNames.Of(compilation).Where(n => Libraries.Contains(n, StringComparer.Ordinal)).ToImmutableHashSet(StringComparer.Ordinal);
            if (libraries.IsEmpty)
            {
                return; // none of the libraries that retry: nothing to nest
            }

            // Syntax first: only calls named like a retry layer, and client creations, are bound (most code has none).
            start.RegisterSyntaxNodeAction(
                node =>
                {
                    var syntax = (InvocationExpressionSyntax)node.Node;
                    if (SyntaxNames.Of(syntax.Expression) is { } name && Array.IndexOf(LayerMethods, name) >= 0 &&
                        node.SemanticModel.GetOperation(syntax, node.CancellationToken) is IInvocationOperation invocation &&
                        RetryLayers.Describe(invocation) is { } inner && RetryLayers.Earlier(invocation, inner.Kind) is { } outer)
                    {
                        node.ReportDiagnostic(Diagnostic.Create(Descriptors.RA0007NestedRetry, CallLocation(invocation), Properties(BuilderShape), inner.Inner, outer.Outer));
                    }
                },
                SyntaxKind.InvocationExpression);

            if (libraries.Contains("OpenAI") || libraries.Contains("Azure.AI.OpenAI"))
            {
                // The retry symbols (hand-written loop recognition) are resolved only when a client with a default retry is seen.
                var symbols = new Lazy<RetrySymbols?>(() => RetrySymbols.TryCreate(compilation));
                start.RegisterSyntaxNodeAction(
                    node =>
                    {
                        if ((node.Node is not ObjectCreationExpressionSyntax { Type: var type } || SyntaxNames.TypeName(type) is { } name && name.EndsWith("Client", StringComparison.Ordinal)) &&
                            node.SemanticModel.GetOperation(node.Node, node.CancellationToken) is IObjectCreationOperation creation &&
                            SdkRetryClients.HasDefaultRetry(creation) && node.ContainingSymbol is { } container &&
                            SdkRetryClients.OuterRetry(creation, container, () => symbols.Value) is { } outer)
                        {
                            var client = creation.Type!.Name + "'s built-in retry (3 retries by default)";
                            node.ReportDiagnostic(Diagnostic.Create(Descriptors.RA0007NestedRetry, creation.Syntax.GetLocation(), Properties(SdkClientShape), client, outer));
                        }
                    },
                    SyntaxKind.ObjectCreationExpression,
                    SyntaxKind.ImplicitObjectCreationExpression);
            }
        });
    }

    private static ImmutableDictionary<string, string?> Properties(string shape) => ImmutableDictionary<string, string?>.Empty.Add(ShapeKey, shape);

    // From the method name to the end of the call: `.AddRetry(new RetryStrategyOptions())` is what the user must change.
    private static Location CallLocation(IInvocationOperation invocation)
        => invocation.Syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } call
            ? Location.Create(call.SyntaxTree, TextSpan.FromBounds(member.Name.SpanStart, call.Span.End))
            : invocation.Syntax.GetLocation();
}
