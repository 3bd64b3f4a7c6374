using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>What a builder chain configures: a Polly v8 resilience pipeline, or the handlers of one <c>HttpClient</c>.</summary>
internal enum BuilderKind
{
    None,
    Pipeline,
    HttpClient,
}

/// <summary>
/// Retry layers added to one builder (RA0007): <c>AddRetry</c> on a Polly v8 <c>ResiliencePipelineBuilder</c>, and on an
/// <c>IHttpClientBuilder</c> the standard resilience handler, <c>AddResilienceHandler</c> whose configure lambda adds a retry,
/// <c>AddPolicyHandler</c> with a visible Polly v7 retry policy, <c>AddTransientHttpErrorPolicy</c> whose lambda retries, and
/// <c>AddHttpMessageHandler</c> with the runtime's <c>ProviderResilienceHandler</c>. The builder is the same when the calls are one
/// chain, or statements of one block on the same local or parameter (a local's initializer chain included).
/// Hedging, fallback, circuit breakers, timeouts and policies we cannot see are not retry layers.
/// </summary>
internal static class RetryLayers
{
    private const string RetryExtensions = "Polly.RetryResiliencePipelineBuilderExtensions";
    private const string PipelineBuilderBase = "Polly.ResiliencePipelineBuilderBase";
    private const string HttpClientBuilder = "Microsoft.Extensions.DependencyInjection.IHttpClientBuilder";
    private const string ProviderResilienceHandler = "RetryAnalyzers.Runtime.ProviderResilienceHandler";

    private static readonly string[] PollyV7RetrySyntax =
    {
        KnownTypes.PollyRetrySyntax, KnownTypes.PollyAsyncRetrySyntax, KnownTypes.PollyRetryTResultSyntax, KnownTypes.PollyAsyncRetryTResultSyntax,
    };

    /// <summary>The retry layer that <paramref name="invocation"/> adds, or null.</summary>
    public static RetryLayer? Describe(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (!method.IsExtensionMethod || method.Parameters.Length == 0 || invocation.Arguments.Length == 0)
        {
            return null;
        }

        if (method.Name == "AddRetry" && MetadataNames.Is(method.ContainingType, RetryExtensions))
        {
            return new RetryLayer(BuilderKind.Pipeline, "This AddRetry", "the AddRetry added before it on the same pipeline builder");
        }

        if (!MetadataNames.Is(method.Parameters[0].Type, HttpClientBuilder))
        {
            return null;
        }

        var name = method.Name switch
        {
            "AddStandardResilienceHandler" => "standard resilience handler",
            "AddResilienceHandler" when Lambdas(invocation).Any(l => l.Descendants().OfType<IInvocationOperation>().Any(IsPipelineRetry)) => "resilience handler with a retry",
            "AddPolicyHandler" when IsVisibleV7Retry(invocation) => "Polly retry policy handler",
            "AddTransientHttpErrorPolicy" when Lambdas(invocation).Any(l => l.Descendants().OfType<IInvocationOperation>().Any(IsPollyV7Retry)) => "transient-error retry policy",
            "AddHttpMessageHandler" when Lambdas(invocation).Any(l => l.Descendants().OfType<IObjectCreationOperation>().Any(c => MetadataNames.Is(c.Type, ProviderResilienceHandler))) => "ProviderResilienceHandler",
            _ => null,
        };
        return name is null ? null : new RetryLayer(BuilderKind.HttpClient, "This " + name, "the " + name + " registered before it on the same HttpClient");
    }

    /// <summary>A retry layer added to the same builder before <paramref name="invocation"/> (which adds one of <paramref name="kind"/>), or null.</summary>
    public static RetryLayer? Earlier(IInvocationOperation invocation, BuilderKind kind)
    {
        // The chain under the call: builder.AddRetry(a).AddTimeout(t).AddRetry(b).
        var root = Receiver(invocation);
        for (; Previous(root, kind) is { } previous; root = Receiver(previous))
        {
            if (Describe(previous) is { } found && found.Kind == kind)
            {
                return found;
            }
        }

        // Statements before it in the same block, on the same local or parameter.
        var symbol = root.WithoutConversions() switch
        {
            ILocalReferenceOperation local => (ISymbol)local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            _ => null,
        };
        if (symbol is null || Statement(invocation) is not { Parent: IBlockOperation block } statement)
        {
            return null;
        }

        foreach (var before in block.Operations.TakeWhile(s => s != statement))
        {
            foreach (var operation in before.DescendantsAndSelf())
            {
                var chain = operation switch
                {
                    IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, symbol) => declarator.Initializer?.Value,
                    IInvocationOperation call when SymbolEqualityComparer.Default.Equals(RootSymbol(call, kind), symbol) => call,
                    _ => null,
                };
                // The outermost call may return another builder (AddStandardResilienceHandler's); its receivers are the client's.
                for (var call = chain?.WithoutConversions() as IInvocationOperation; call is not null; call = Previous(Receiver(call), kind))
                {
                    if (Describe(call) is { } found && found.Kind == kind)
                    {
                        return found;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>A Polly v8 <c>AddRetry</c> call.</summary>
    public static bool IsPipelineRetry(IInvocationOperation invocation)
        => invocation.TargetMethod.Name == "AddRetry" && MetadataNames.Is(invocation.TargetMethod.ContainingType, RetryExtensions);

    /// <summary>A Polly v7 retry policy built by this call (<c>RetryAsync</c>, <c>WaitAndRetryAsync</c>, … on a <c>PolicyBuilder</c>).</summary>
    public static bool IsPollyV7Retry(IInvocationOperation invocation)
        => PollyV7RetrySyntax.Any(name => MetadataNames.Is(invocation.TargetMethod.ContainingType, name));

    private static IOperation Receiver(IInvocationOperation invocation)
        => invocation.TargetMethod.IsExtensionMethod && invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : invocation.Instance ?? invocation;

    private static ISymbol? RootSymbol(IInvocationOperation invocation, BuilderKind kind)
    {
        var root = Receiver(invocation);
        while (Previous(root, kind) is { } previous)
        {
            root = Receiver(previous);
        }

        return root.WithoutConversions() switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            _ => null,
        };
    }

    // The builder call that a receiver is, when it is one made on the same builder (builder.AddRetry(…), not services.AddHttpClient(…)).
    private static IInvocationOperation? Previous(IOperation receiver, BuilderKind kind)
        => receiver.WithoutConversions() is IInvocationOperation previous && IsBuilder(previous.Type, kind) && IsBuilder(Receiver(previous).WithoutConversions().Type, kind)
            ? previous
            : null;

    private static bool IsBuilder(ITypeSymbol? type, BuilderKind kind) => kind switch
    {
        BuilderKind.Pipeline => MetadataNames.InheritsFrom(type, PipelineBuilderBase),
        BuilderKind.HttpClient => MetadataNames.Is(type, HttpClientBuilder) || (type?.AllInterfaces.Any(i => MetadataNames.Is(i, HttpClientBuilder)) ?? false),
        _ => false,
    };

    private static IOperation? Statement(IOperation operation)
    {
        for (var current = operation; current is not null; current = current.Parent)
        {
            if (current.Parent is IBlockOperation)
            {
                return current;
            }

            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return null;
            }
        }

        return null;
    }

    private static System.Collections.Generic.IEnumerable<IAnonymousFunctionOperation> Lambdas(IInvocationOperation invocation)
        => invocation.Arguments.Select(a => a.Value.WithoutConversions()).OfType<IDelegateCreationOperation>().Select(d => d.Target).OfType<IAnonymousFunctionOperation>();

    // AddPolicyHandler(HttpPolicyExtensions.HandleTransientHttpError().WaitAndRetryAsync(…)), directly or through a local, a readonly field or a parameterless method of this file.
    private static bool IsVisibleV7Retry(IInvocationOperation invocation)
    {
        if (invocation.Arguments.Length < 2)
        {
            return false;
        }

        return DeclaredValues.Follow(invocation.Arguments[1].Value)?.WithoutConversions() is IInvocationOperation call && IsPollyV7Retry(call);
    }
}

/// <summary>A retry layer: its builder, how the message names it as the inner layer and as the outer one.</summary>
internal sealed record RetryLayer(BuilderKind Kind, string Inner, string Outer);
