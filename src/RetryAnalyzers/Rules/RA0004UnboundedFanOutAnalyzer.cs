using System;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.Rules;

/// <summary>
/// RA0004: a fan-out whose width is set by data and whose body reaches a provider, with nothing bounding how many
/// calls are in flight.
/// <para>Reports (on the call that fans out):</para>
/// <list type="bullet">
/// <item><c>Task.WhenAll</c> / <c>Task.WhenAny</c> over a projection (<c>items.Select(x =&gt; CallAsync(x))</c>, with or
/// without <c>ToList</c>/<c>ToArray</c>) or over a local collection filled in a loop (<c>tasks.Add(CallAsync(x))</c>,
/// <c>tasks.Add(Task.Run(…))</c>);</item>
/// <item><c>Parallel.ForEach</c> without <c>ParallelOptions</c> or with <c>MaxDegreeOfParallelism</c> unset or -1;
/// <c>Parallel.ForEachAsync</c> with <c>MaxDegreeOfParallelism = -1</c>;</item>
/// </list>
/// when the body calls an LLM SDK client (OpenAI, Azure OpenAI, Anthropic), an <c>HttpClient</c> send, or a method of
/// the compilation that does (followed three calls deep).
/// <para>Quiet for a body gated by a <c>SemaphoreSlim</c>, a <c>RateLimiter</c> or the runtime's <c>TokenBudget</c>, a bounded
/// degree of parallelism, a fixed handful of tasks (<c>WhenAll(a, b)</c>, a projection of an array literal of up to four
/// items), and CPU-only work.</para>
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RA0004UnboundedFanOutAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The <see cref="Diagnostic.Properties"/> key of the fan-out's shape (<see cref="FanOutShape"/>).</summary>
    public const string ShapeKey = "FanOutShape";

    /// <summary>The <see cref="Diagnostic.Properties"/> key of the configured maximum concurrency.</summary>
    public const string MaxConcurrencyKey = "MaxConcurrency";

    /// <summary>The <c>.editorconfig</c> key of the concurrency the fix writes.</summary>
    public const string MaxConcurrencyOption = "dotnet_diagnostic.RA0004.max_concurrency";

    /// <summary>The concurrency the fix writes when none is configured (the runtime's <c>BoundedFanOut.DefaultMaxConcurrency</c>).</summary>
    public const int DefaultMaxConcurrency = 4;

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.RA0004UnboundedFanOut);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            // Nothing is resolved here: most code has no fan-out, and the first GetTypeByMetadataName on a compilation
            // reads every reference's type table. A syntax action looks at the name of each call; only a WhenAll/WhenAny
            // with one argument or a Parallel.ForEach[Async] is bound, and types are compared by their metadata names.
            var providers = new ProviderCalls(start.Compilation);
            start.RegisterSyntaxNodeAction(
                node =>
                {
                    var syntax = (InvocationExpressionSyntax)node.Node;
                    if (!IsCandidate(syntax) || node.SemanticModel.GetOperation(syntax, node.CancellationToken) is not IInvocationOperation invocation)
                    {
                        return;
                    }

                    var method = invocation.TargetMethod;
                    FanOut? fanOut = null;
                    if (method.Name is "WhenAll" or "WhenAny" && MetadataNames.Is(method.ContainingType, KnownTypes.Task))
                    {
                        fanOut = WhenAll(invocation);
                    }
                    else if (method.Name is "ForEach" or "ForEachAsync" && MetadataNames.Is(method.ContainingType, KnownTypes.Parallel))
                    {
                        fanOut = ParallelForEach(invocation);
                    }

                    if (fanOut is { } found && providers.Reach(found.Body) == ProviderReach.Calls)
                    {
                        var properties = ImmutableDictionary<string, string?>.Empty
                            .Add(ShapeKey, found.Shape.ToString())
                            .Add(MaxConcurrencyKey, MaxConcurrency(node.Options, syntax.SyntaxTree).ToString(CultureInfo.InvariantCulture));
                        node.ReportDiagnostic(Diagnostic.Create(
                            Descriptors.RA0004UnboundedFanOut,
                            syntax.GetLocation(),
                            properties,
                            method.ContainingType.Name + "." + method.Name,
                            Describe(found.Source)));
                    }
                },
                SyntaxKind.InvocationExpression);
        });
    }

    // Task.WhenAll(tasks) / WhenAny(tasks) with one argument (two or more are a fixed handful), Parallel.ForEach[Async](…).
    private static bool IsCandidate(InvocationExpressionSyntax syntax)
    {
        var name = syntax.Expression switch
        {
            MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            _ => null,
        };
        return name switch
        {
            "WhenAll" or "WhenAny" => syntax.ArgumentList.Arguments.Count == 1,
            "ForEach" or "ForEachAsync" => syntax.ArgumentList.Arguments.Count >= 2,
            _ => false,
        };
    }

    private static FanOut? WhenAll(IInvocationOperation invocation)
    {
        if (invocation.Arguments.Length != 1 || invocation.Arguments[0].ArgumentKind == ArgumentKind.ParamArray)
        {
            return null; // WhenAll(a, b): a fixed handful
        }

        var tasks = FanOutBounds.Unmaterialized(invocation.Arguments[0].Value);
        if (tasks is ILocalReferenceOperation local)
        {
            // var tasks = items.Select(…).ToList();  or  var tasks = new List<Task>(); foreach (…) tasks.Add(…);
            var initializer = LocalInitializers.Find(local.Local, local);
            if (initializer is not null && Projection(FanOutBounds.Unmaterialized(initializer)) is { } projected)
            {
                return projected;
            }

            return LoopFilled(local);
        }

        return Projection(tasks);
    }

    // items.Select(x => CallAsync(x)) over a collection that is not a literal handful.
    private static FanOut? Projection(IOperation tasks)
    {
        if (tasks is not IInvocationOperation { TargetMethod: { Name: "Select" } select } projection ||
            !MetadataNames.Is(select.ContainingType, KnownTypes.Enumerable) ||
            projection.Arguments.Length != 2 ||
            projection.Arguments[1].Value.WithoutConversions() is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
        {
            return null;
        }

        var source = projection.Arguments[0].Value.WithoutConversions();
        return FanOutBounds.IsBounded(source) ? null : new FanOut(FanOutShape.Projection, lambda.Body, source);
    }

    // var tasks = new List<Task>(); foreach (var x in items) tasks.Add(CallAsync(x));
    private static FanOut? LoopFilled(ILocalReferenceOperation local)
    {
        foreach (var operation in local.Root().Descendants())
        {
            if (operation is IInvocationOperation { TargetMethod.Name: "Add", Instance: ILocalReferenceOperation target, Arguments.Length: 1 } add &&
                SymbolEqualityComparer.Default.Equals(target.Local, local.Local) &&
                EnclosingLoop(add) is { } loop)
            {
                var source = loop is IForEachLoopOperation forEach ? forEach.Collection.WithoutConversions() : loop;
                return new FanOut(FanOutShape.LoopFilled, add.Arguments[0].Value, source);
            }
        }

        return null;
    }

    // Parallel.ForEach without a bound; Parallel.ForEachAsync with MaxDegreeOfParallelism = -1.
    private static FanOut? ParallelForEach(IInvocationOperation invocation)
    {
        IOperation? source = null;
        IOperation? body = null;
        IOperation? options = null;
        foreach (var argument in invocation.Arguments)
        {
            switch (argument.Parameter?.Name)
            {
                case "source":
                    source = argument.Value.WithoutConversions();
                    break;
                case "body":
                    body = argument.Value.WithoutConversions() is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } ? lambda.Body : null;
                    break;
                case "parallelOptions":
                    options = argument.Value.WithoutConversions();
                    break;
            }
        }

        if (source is null || body is null || FanOutBounds.IsBounded(source))
        {
            return null;
        }

        var isAsync = invocation.TargetMethod.Name == "ForEachAsync";
        var degree = options is null ? (isAsync ? (int?)0 : -1) : MaxDegreeOfParallelism(options); // ForEachAsync defaults to the processor count
        return degree == -1 ? new FanOut(isAsync ? FanOutShape.ParallelForEachAsync : FanOutShape.ParallelForEach, body, source) : null;
    }

    /// <summary>-1 when unbounded (unset on a new <c>ParallelOptions</c>, or set to -1), the bound when set, null when unknown.</summary>
    private static int? MaxDegreeOfParallelism(IOperation options)
    {
        var creation = options as IObjectCreationOperation;
        if (options is ILocalReferenceOperation local)
        {
            creation = LocalInitializers.Find(local.Local, local)?.WithoutConversions() as IObjectCreationOperation;
            foreach (var operation in local.Root().Descendants())
            {
                if (operation is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "MaxDegreeOfParallelism", Instance: ILocalReferenceOperation owner } } later &&
                    SymbolEqualityComparer.Default.Equals(owner.Local, local.Local))
                {
                    return later.Value.ConstantValue is { HasValue: true, Value: int set } ? set : null;
                }
            }
        }

        if (creation is null)
        {
            return null;
        }

        foreach (var initializer in creation.Initializer?.Initializers ?? ImmutableArray<IOperation>.Empty)
        {
            if (initializer is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "MaxDegreeOfParallelism" } } assignment)
            {
                return assignment.Value.ConstantValue is { HasValue: true, Value: int set } ? set : null;
            }
        }

        return -1; // ParallelOptions' default
    }

    private static ILoopOperation? EnclosingLoop(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return null;
                case ILoopOperation loop:
                    return loop;
            }
        }

        return null;
    }

    private static int MaxConcurrency(AnalyzerOptions analyzerOptions, SyntaxTree tree)
        => RuleOptions.PositiveInteger(analyzerOptions, tree, MaxConcurrencyOption, DefaultMaxConcurrency);

    private static string Describe(IOperation source)
    {
        var text = source is ILoopOperation ? "a loop" : "'" + source.Syntax.ToString() + "'";
        return text.Length > 50 ? text.Substring(0, 47) + "...'" : text;
    }

    private readonly record struct FanOut(FanOutShape Shape, IOperation Body, IOperation Source);
}

/// <summary>The kinds of fan-out RA0004 reports; the analyzer → code fix contract.</summary>
internal enum FanOutShape
{
    /// <summary><c>Task.WhenAll(items.Select(…))</c>.</summary>
    Projection,

    /// <summary><c>Task.WhenAll(tasks)</c> over a list filled in a loop.</summary>
    LoopFilled,

    /// <summary><c>Parallel.ForEach</c> without a bound.</summary>
    ParallelForEach,

    /// <summary><c>Parallel.ForEachAsync</c> with <c>MaxDegreeOfParallelism = -1</c>.</summary>
    ParallelForEachAsync,
}
