using System;
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
using Microsoft.CodeAnalysis.Simplification;
using RetryAnalyzers.Internal;
using RetryAnalyzers.Rules;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// Fixes RA0003 two ways (distinct equivalence keys, each with Fix All):
/// <list type="number">
/// <item><b>Use a key per agent</b> (<c>RA0003.UseAgentKey</c>): the key becomes
/// <c>AgentKeys.Resolve("ResearchAgent", "OPENAI_API_KEY").Reveal()</c> — the agent's own variable
/// (<c>OPENAI_API_KEY_RESEARCH_AGENT</c>), agent name from the containing type. For a configuration key,
/// <c>AgentKeys.Resolve("ResearchAgent", "OpenAI:ApiKey", name =&gt; configuration[name]).Reveal()</c>. Offered when the key
/// comes from an environment variable, or from configuration read at the site.</item>
/// <item><b>Share one token budget</b> (<c>RA0003.UseSharedBudget</c>): the OpenAI client keeps the key and gets
/// <c>new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy)</c>, so every agent on the key draws
/// from one budget, and the SDK's own retries are replaced by the runtime's (one layer). Offered for OpenAI clients
/// created without options.</item>
/// </list>
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RA0003SharedApiKeyCodeFix))]
[Shared]
public sealed class RA0003SharedApiKeyCodeFix : EditorCodeFix
{
    /// <summary>The per-agent key action.</summary>
    public const string AgentKeyEquivalenceKey = "RA0003.UseAgentKey";

    /// <summary>The shared budget action.</summary>
    public const string SharedBudgetEquivalenceKey = "RA0003.UseSharedBudget";

    /// <summary>Creates the fix.</summary>
    public RA0003SharedApiKeyCodeFix()
        : base(RuleIds.SharedApiKey)
    {
    }

    private protected override IEnumerable<FixPlan> Plans(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        var properties = diagnostic.Properties;
        if (!properties.TryGetValue(RA0003SharedApiKeyAnalyzer.AgentKey, out var agent) || agent is null ||
            !properties.TryGetValue(RA0003SharedApiKeyAnalyzer.SourceKindKey, out var kindName) || !Enum.TryParse(kindName, out KeySourceKind kind) ||
            !properties.TryGetValue(RA0003SharedApiKeyAnalyzer.SourceNameKey, out var sourceName) || sourceName is null)
        {
            yield break;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var operation = model.GetOperation(node, cancellationToken);
        if (operation is null || KeySites.Find(operation, model.Compilation.GetTypeByMetadataName(KnownTypes.RuntimeSharedProviderBudget)) is not { } site)
        {
            yield break;
        }

        // The shared budget first: it keeps the key the code reads today (a per-agent key needs a new variable set
        // everywhere the code runs), and it is the one action every site of a group can take, so `dotnet format` and
        // Fix All, which apply the first action, fix the whole group whatever order the diagnostics come in.
        if (PlanSharedBudget(operation, site, model) is { } sharedBudget)
        {
            yield return sharedBudget;
        }

        // A client per item of a loop is one agent: a per-agent key would still be one key for every item.
        var perItem = properties.TryGetValue(RA0003SharedApiKeyAnalyzer.PerItemKey, out var perItemText) && perItemText == "true";
        if (!perItem && PlanAgentKey(site, kind, sourceName, agent, model) is { } agentKey)
        {
            yield return agentKey;
        }
    }

    // key  →  AgentKeys.Resolve("Agent", "OPENAI_API_KEY").Reveal()
    private static FixPlan? PlanAgentKey(KeySite site, KeySourceKind kind, string sourceName, string agent, SemanticModel model)
    {
        var agentKeys = model.Compilation.GetTypeByMetadataName(KnownTypes.RuntimeAgentKeys);
        if (agentKeys is null || site.Key.Syntax is not ExpressionSyntax key)
        {
            return null;
        }

        // A configuration key can only be read again where the configuration object is in hand: at the site itself.
        ExpressionSyntax? configuration = null;
        if (kind == KeySourceKind.Configuration)
        {
            if (site.Key.WithoutConversions() is not IPropertyReferenceOperation { Instance.Syntax: ExpressionSyntax receiver } || receiver.ToString().Contains("GetSection"))
            {
                return null;
            }

            configuration = receiver;
        }
        else if (kind != KeySourceKind.Environment)
        {
            return null;
        }

        return new FixPlan($"Use a key per agent (AgentKeys: {agent})", AgentKeyEquivalenceKey, editor =>
        {
            Imports.AddUsing(editor, agentKeys.ContainingNamespace.ToDisplayString());
            var arguments = new List<ArgumentSyntax>
            {
                SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(agent))),
                SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(sourceName))),
            };
            if (configuration is not null)
            {
                var lookup = SyntaxFactory.SimpleLambdaExpression(
                    SyntaxFactory.Parameter(SyntaxFactory.Identifier("name")),
                    SyntaxFactory.ElementAccessExpression(
                        configuration.WithoutTrivia(),
                        SyntaxFactory.BracketedArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(SyntaxFactory.IdentifierName("name"))))));
                arguments.Add(SyntaxFactory.Argument(lookup));
            }

            var resolve = SyntaxFactory.InvocationExpression(SyntaxFactory.MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression,
                SyntaxFactory.InvocationExpression(
                    SyntaxFactory.MemberAccessExpression(
                        SyntaxKind.SimpleMemberAccessExpression,
                        (ExpressionSyntax)Imports.TypeName(editor.Generator, model, key.SpanStart, agentKeys),
                        SyntaxFactory.IdentifierName("Resolve")),
                    SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments))),
                SyntaxFactory.IdentifierName("Reveal")));
            editor.ReplaceNode(key, resolve.WithTriviaFrom(key));
        });
    }

    // new ChatClient(model, key)  →  new ChatClient(model, new ApiKeyCredential(key), new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy))
    private static FixPlan? PlanSharedBudget(IOperation operation, KeySite site, SemanticModel model)
    {
        var compilation = model.Compilation;
        var shared = compilation.GetTypeByMetadataName(KnownTypes.RuntimeSharedProviderBudget);
        var options = compilation.GetTypeByMetadataName(KnownTypes.OpenAIClientOptions);
        var credential = compilation.GetTypeByMetadataName(KnownTypes.ApiKeyCredential);
        if (site.Shape != KeySiteShape.ClientCreation || shared is null || options is null || credential is null || shared.GetMembers("Policy").IsEmpty ||
            operation is not IObjectCreationOperation { Syntax: BaseObjectCreationExpressionSyntax { ArgumentList: { } argumentList } creation, Constructor: { } constructor } ||
            constructor.Parameters.Any(p => p.Type.Name.EndsWith("Options", StringComparison.Ordinal)))
        {
            return null;
        }

        // The overload with the same leading parameters, then (ApiKeyCredential, OpenAIClientOptions) must exist.
        var keyIndex = constructor.Parameters.ToList().FindIndex(p => p.Name is "apiKey" or "credential");
        if (keyIndex < 0 || keyIndex != constructor.Parameters.Length - 1 || argumentList.Arguments.Count != constructor.Parameters.Length ||
            !((INamedTypeSymbol)constructor.ContainingType).InstanceConstructors.Any(c =>
                c.Parameters.Length == keyIndex + 2 &&
                SymbolEqualityComparer.Default.Equals(c.Parameters[keyIndex].Type, credential) &&
                SymbolEqualityComparer.Default.Equals(c.Parameters[keyIndex + 1].Type, options) &&
                c.Parameters.Take(keyIndex).Select(p => p.Type).SequenceEqual(constructor.Parameters.Take(keyIndex).Select(p => p.Type), SymbolEqualityComparer.Default)))
        {
            return null;
        }

        return new FixPlan("Route the agents through one shared token budget (SharedProviderBudget)", SharedBudgetEquivalenceKey, editor =>
        {
            var generator = editor.Generator;
            foreach (var type in new[] { credential, options, shared })
            {
                Imports.AddUsing(editor, type.ContainingNamespace.ToDisplayString());
            }

            ExpressionSyntax Type(INamedTypeSymbol type) => (ExpressionSyntax)Imports.TypeName(generator, model, creation.SpanStart, type);

            var keyArgument = argumentList.Arguments[keyIndex];
            var keyExpression = constructor.Parameters[keyIndex].Type.SpecialType == SpecialType.System_String
                ? SyntaxFactory.ObjectCreationExpression((TypeSyntax)Type(credential))
                    .WithArgumentList(SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(keyArgument.Expression.WithoutTrivia()))))
                : keyArgument.Expression.WithoutTrivia();
            var sharedPolicy = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Type(shared), SyntaxFactory.IdentifierName("Policy"));
            var optionsCreation = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    SyntaxFactory.ObjectCreationExpression((TypeSyntax)Type(options)).WithArgumentList(SyntaxFactory.ArgumentList()),
                    SyntaxFactory.IdentifierName("UseProviderResilience")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(sharedPolicy))));
            var arguments = argumentList.Arguments
                .Replace(keyArgument, SyntaxFactory.Argument(keyExpression).WithTriviaFrom(keyArgument))
                .Add(SyntaxFactory.Argument(optionsCreation));
            editor.ReplaceNode(creation, creation.WithArgumentList(argumentList.WithArguments(arguments)).WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation));
        });
    }
}
