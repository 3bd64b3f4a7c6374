using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// OpenAI / Azure OpenAI clients created with the SDK's own retry on (RA0007): no options, or options created in place
/// that set neither <c>RetryPolicy</c> nor <c>Transport</c>. Their calls run inside an outer retry when the client — a local,
/// or a field of the type that creates it — is used inside a Polly <c>Execute[Async]</c> lambda whose pipeline or policy
/// visibly retries (its initializer adds <c>AddRetry</c> or a v7 retry), inside the runtime's <c>ProviderPipeline</c>, or inside a
/// hand-written retry loop. Options from elsewhere (a parameter, a field, a factory) are not known and stay quiet.
/// </summary>
internal static class SdkRetryClients
{
    private const string PipelineOptions = "System.ClientModel.Primitives.ClientPipelineOptions";
    private const string ProviderPipelineOfT = "RetryAnalyzers.Runtime.ProviderPipeline`1";
    private const string ProviderPipelineFactory = "RetryAnalyzers.Runtime.ProviderPipeline";

    private static readonly string[] SdkNamespaces = { "OpenAI", "Azure.AI.OpenAI" };
    private static readonly string[] PollyNamespaces = { "Polly" };

    /// <summary>An SDK client created here with its default retry: the creation has no options argument, or options created in place without a retry policy or transport.</summary>
    public static bool HasDefaultRetry(IObjectCreationOperation creation)
    {
        if (creation.Type is not INamedTypeSymbol type || !type.Name.EndsWith("Client", StringComparison.Ordinal) || !ProviderClients.InNamespace(type, SdkNamespaces))
        {
            return false;
        }

        var options = creation.Arguments.FirstOrDefault(a => MetadataNames.InheritsFrom(a.Parameter?.Type, PipelineOptions));
        if (options is null || options.ArgumentKind == ArgumentKind.DefaultValue)
        {
            return creation.Constructor?.Parameters.Length > 0; // a parameterless constructor is a mock's
        }

        return options.Value.WithoutConversions() is IObjectCreationOperation created &&
               !(created.Initializer?.Initializers.OfType<ISimpleAssignmentOperation>().Any(a => a.Target is IPropertyReferenceOperation { Property.Name: "RetryPolicy" or "Transport" }) ?? false);
    }

    /// <summary>The outer retry that a call of the client created by <paramref name="creation"/> runs in, described for the message, or null.</summary>
    public static string? OuterRetry(IObjectCreationOperation creation, ISymbol containingSymbol, Func<RetrySymbols?> symbols)
    {
        var stored = Stored(creation, containingSymbol);
        if (stored is null)
        {
            return null;
        }

        foreach (var reference in References(stored, creation))
        {
            if (OuterRetryOf(reference, symbols) is { } outer)
            {
                return outer;
            }
        }

        return null;
    }

    // The local or field (of the creating type) that holds the client, or the client it hands out (new OpenAIClient(key).GetChatClient(model)).
    private static ISymbol? Stored(IObjectCreationOperation creation, ISymbol containingSymbol)
    {
        IOperation value = creation;
        while (value.Parent is IConversionOperation or IParenthesizedOperation)
        {
            value = value.Parent;
        }

        if (value.Parent is IInvocationOperation { Instance: { } instance } handOut && instance == value && ProviderClients.Is(handOut.Type))
        {
            value = handOut;
            while (value.Parent is IConversionOperation or IParenthesizedOperation)
            {
                value = value.Parent;
            }
        }

        ISymbol? symbol = value.Parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            IFieldInitializerOperation { InitializedFields.Length: 1 } field => field.InitializedFields[0],
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == value => local.Local,
            ISimpleAssignmentOperation { Target: IFieldReferenceOperation field } assignment when assignment.Value == value => field.Field,
            _ => null,
        };
        return symbol is IFieldSymbol { DeclaredAccessibility: Accessibility.Private } f && SymbolEqualityComparer.Default.Equals(f.ContainingType, containingSymbol.ContainingType)
            ? symbol
            : symbol as ILocalSymbol;
    }

    private static IEnumerable<IOperation> References(ISymbol stored, IOperation creation)
    {
        if (stored is ILocalSymbol local)
        {
            return creation.Root().Descendants().Where(o => o is ILocalReferenceOperation r && SymbolEqualityComparer.Default.Equals(r.Local, local));
        }

        // A private field: its references are in the declarations of its type in this file (partial parts elsewhere are not read).
        var model = creation.SemanticModel;
        var field = (IFieldSymbol)stored;
        return field.ContainingType.DeclaringSyntaxReferences
            .Where(r => r.SyntaxTree == model?.SyntaxTree)
            .SelectMany(r => r.GetSyntax().DescendantNodes().OfType<IdentifierNameSyntax>())
            .Where(n => n.Identifier.ValueText == field.Name)
            .Select(n => model!.GetOperation(n))
            .Where(o => o is IFieldReferenceOperation r && SymbolEqualityComparer.Default.Equals(r.Field, field))!;
    }

    private static string? OuterRetryOf(IOperation reference, Func<RetrySymbols?> symbols)
    {
        for (var current = reference.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation lambda when lambda.Parent?.Parent is IArgumentOperation { Parent: IInvocationOperation execute }:
                    if (ExecutesWithRetry(execute) is { } outer)
                    {
                        return outer;
                    }

                    break;
                case ILoopOperation loop when symbols() is { } retrySymbols && IsRetryLoop(loop, retrySymbols):
                    return "a hand-written retry loop";
            }
        }

        return null;
    }

    // pipeline.ExecuteAsync(ct => …) where the pipeline is the runtime's ProviderPipeline or visibly retries.
    private static string? ExecutesWithRetry(IInvocationOperation execute)
    {
        if (!execute.TargetMethod.Name.StartsWith("Execute", StringComparison.Ordinal) || execute.Instance is not { } instance)
        {
            return null;
        }

        if (MetadataNames.Is(instance.Type?.OriginalDefinition, ProviderPipelineOfT))
        {
            return "the ProviderPipeline that runs its calls";
        }

        if (instance.Type is not INamedTypeSymbol pipeline || !ProviderClients.InNamespace(pipeline, PollyNamespaces))
        {
            return null;
        }

        var initializer = instance.WithoutConversions() switch
        {
            ILocalReferenceOperation local => LocalInitializers.Find(local.Local, execute),
            IFieldReferenceOperation field => DeclaredValues.FieldInitializer(field.Field, execute.SemanticModel),
            _ => null,
        };
        if (initializer is null)
        {
            return null;
        }

        foreach (var call in initializer.DescendantsAndSelf().OfType<IInvocationOperation>())
        {
            if (RetryLayers.IsPipelineRetry(call) || RetryLayers.IsPollyV7Retry(call))
            {
                return "the Polly retry that runs its calls";
            }

            if (call.TargetMethod.Name == "Create" && MetadataNames.Is(call.TargetMethod.ContainingType, ProviderPipelineFactory))
            {
                return "the ProviderPipeline that runs its calls";
            }
        }

        return null;
    }

    // A for/while/do loop with a wait reached after a failure (HandWrittenRetryLoops' retry loop).
    private static bool IsRetryLoop(ILoopOperation loop, RetrySymbols symbols)
        => loop.Body.Descendants().OfType<IInvocationOperation>().Any(call =>
            HandWrittenRetryLoops.DelayArgument(call, symbols) is not null && HandWrittenRetryLoops.RetryLoopOf(call, symbols) == loop);
}
