using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// The whole-retry rewrite of a Polly v7 policy built for one call site:
/// <code>
/// var policy = Policy.Handle&lt;E&gt;().WaitAndRetryAsync(3, _ =&gt; TimeSpan.FromSeconds(1));
/// return await policy.ExecuteAsync(() =&gt; client.CallAsync(p));
///   →  return await CallPipeline.ExecuteAsync(async token =&gt; await client.CallAsync(p), EstimatedTokensPerCall);
/// </code>
/// with a pipeline of <c>MaxRetryAttempts = 3</c> and <c>isTransient</c> from the <c>Handle</c>/<c>Or</c> chain. Polly v7
/// rethrows the last failure, as the pipeline does. No action when the policy is kept in a field or used by more than one
/// execution, has an <c>onRetry</c> callback, handles results, passes a context, or the executed delegate does more than
/// one provider call.
/// </summary>
internal static partial class PipelineRewriter
{
    private static Action<DocumentEditor>? PlanPollyV7(string ruleId, SyntaxNode node, SemanticModel model, AnalyzerConfigOptions options, CancellationToken cancellationToken)
    {
        // The provider lambda or the array of delays is an argument of WaitAndRetry[Async].
        if (node.Parent is not ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax policyCreation } } ||
            policyCreation.Expression is not MemberAccessExpressionSyntax { Expression: InvocationExpressionSyntax handled } ||
            model.GetOperation(policyCreation, cancellationToken) is not IInvocationOperation { TargetMethod.Name: "WaitAndRetry" or "WaitAndRetryAsync" } creation ||
            RetryCount(creation, node) is not { } retryCount ||
            HandledExceptions(handled, model, cancellationToken) is not { } isTransient ||
            Execution(policyCreation, model, cancellationToken, out var removedDeclaration) is not { } execute)
        {
            return null;
        }

        return PlanExecution(ruleId, model, options, execute, retryCount, isTransient, removedDeclaration, cancellationToken);
    }

    /// <summary>
    /// RA0006's whole-retry rewrite of an unbounded Polly retry built for one call site: Polly v7
    /// <c>WaitAndRetryForever[Async](provider)</c> (at the method's name) or Polly v8 <c>MaxRetryAttempts = int.MaxValue</c>
    /// (at the assignment) becomes the provider pipeline with <paramref name="retries"/> retries.
    /// </summary>
    public static Action<DocumentEditor>? PlanCappedPolicy(string ruleId, SyntaxNode node, SemanticModel model, AnalyzerConfigOptions options, int retries, CancellationToken cancellationToken)
    {
        if (node is AssignmentExpressionSyntax)
        {
            return PlanPollyV8(ruleId, node, model, options, cancellationToken, retries);
        }

        // policyBuilder.WaitAndRetryForever[Async](provider): the provider alone (an onRetry would be dropped).
        if (node is not IdentifierNameSyntax { Parent: MemberAccessExpressionSyntax { Expression: InvocationExpressionSyntax handled, Parent: InvocationExpressionSyntax policyCreation } access } name ||
            access.Name != name || policyCreation.Expression != access || policyCreation.ArgumentList.Arguments.Count != 1 ||
            model.GetOperation(policyCreation, cancellationToken) is not IInvocationOperation { TargetMethod.Name: "WaitAndRetryForever" or "WaitAndRetryForeverAsync" } ||
            HandledExceptions(handled, model, cancellationToken) is not { } isTransient ||
            Execution(policyCreation, model, cancellationToken, out var removedDeclaration) is not { } execute)
        {
            return null;
        }

        return PlanExecution(ruleId, model, options, execute, retries, isTransient, removedDeclaration, cancellationToken);
    }

    /// <summary>
    /// The one execution of a policy or pipeline built for it (<c>policy.ExecuteAsync(() =&gt; client.CallAsync(…))</c>,
    /// <c>pipeline.ExecuteAsync(async ct =&gt; await client.CallAsync(…, ct), ct)</c>, <c>Execute(() =&gt; client.Call(…))</c>)
    /// becomes one execution of the provider pipeline; the policy's declaration, if any, goes.
    /// </summary>
    private static Action<DocumentEditor>? PlanExecution(
        string ruleId, SemanticModel model, AnalyzerConfigOptions options, InvocationExpressionSyntax execute, int retryCount, string isTransient, SyntaxNode? removedDeclaration, CancellationToken cancellationToken)
    {
        if (model.GetOperation(execute, cancellationToken) is not IInvocationOperation { TargetMethod.Name: "Execute" or "ExecuteAsync" } executed ||
            executed.Arguments.Count(a => a.ArgumentKind == ArgumentKind.Explicit) is not (1 or 2) ||
            execute.ArgumentList.Arguments[0].Expression is not LambdaExpressionSyntax { ExpressionBody: { } body } lambda ||
            model.GetOperation(body, cancellationToken) is not { } bodyOperation)
        {
            return null;
        }

        // The delegate: one provider call, awaited or not; its token parameter (if any) becomes the attempt's token.
        var awaitedBody = body as AwaitExpressionSyntax;
        var call = (awaitedBody?.Expression ?? body) as InvocationExpressionSyntax;
        if (call is { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait", Expression: InvocationExpressionSyntax inner } })
        {
            call = inner;
        }

        var asynchronous = executed.TargetMethod.Name == "ExecuteAsync";
        var explicitArguments = executed.Arguments.Count(a => a.ArgumentKind == ArgumentKind.Explicit);
        var parameterSyntaxes = lambda is ParenthesizedLambdaExpressionSyntax parenthesized
            ? parenthesized.ParameterList.Parameters.ToList()
            : new List<ParameterSyntax> { ((SimpleLambdaExpressionSyntax)lambda).Parameter };
        var parameters = parameterSyntaxes.Select(p => p.Identifier.ValueText).ToList();
        var result = asynchronous
            ? (executed.Type as INamedTypeSymbol) is { IsGenericType: true, TypeArguments.Length: 1 } task ? task.TypeArguments[0] : null
            : executed.Type;
        if (call is null || model.GetOperation(call, cancellationToken) is not IInvocationOperation provider ||
            !new Internal.ProviderCalls(model.Compilation).IsProviderCall(provider.TargetMethod) ||
            result is null or { SpecialType: SpecialType.System_Void } || result.TypeKind is TypeKind.Error or TypeKind.Dynamic || result.IsAnonymousType ||
            PipelineLoop.ReadsMethodTypeParameter(result) ||
            parameters.Count > 1 || (parameters.Count == 0 && explicitArguments == 2) ||
            (parameters.Count == 1 && model.GetDeclaredSymbol(parameterSyntaxes[0], cancellationToken) is not IParameterSymbol { Type.Name: "CancellationToken" }) ||
            (!asynchronous && parameters.Count > 0) ||
            bodyOperation.DescendantsAndSelf().Count(o => o is IInvocationOperation i && new Internal.ProviderCalls(model.Compilation).IsProviderCall(i.TargetMethod)) != 1 ||
            !CapturableInLambda(bodyOperation))
        {
            return null;
        }

        // `ct => client.CallAsync(…, ct)`: the lambda keeps its parameter's name for the attempt's token.
        var callText = asynchronous && awaitedBody is null ? SyntaxFactory.ParseExpression("await " + body.WithoutTrivia()) : body.WithoutTrivia();
        var outerToken = parameters.Count == 1 && explicitArguments == 2 ? execute.ArgumentList.Arguments[1].Expression : null;
        // Awaited where it was (or a ValueTask where one was expected: Polly v8), else the Task Polly v7 returned.
        var returnsValueTask = executed.Type is INamedTypeSymbol { Name: "ValueTask" };
        var outer = !asynchronous ? Outer.Block : returnsValueTask || execute.Parent is AwaitExpressionSyntax or MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } ? Outer.Plain : Outer.Task;
        // One argument a line, one level under the line the execution starts on.
        var line = execute.SyntaxTree.GetText(cancellationToken).Lines.GetLineFromPosition(execute.SpanStart).ToString();
        var indent = line.Substring(0, line.Length - line.TrimStart().Length) + "    ";
        return Build(ruleId, model, options, execute, result, retryCount, IsTransientName, isTransient, names =>
        {
            var token = parameters.Count == 1 ? parameters[0] : names.Token;
            var endOfLine = execute.SyntaxTree.GetRoot(cancellationToken).DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
            var execution = Execution(names with { Token = token }, callText, asynchronous, null, outerToken, outer, indent, endOfLine.IsKind(SyntaxKind.None) ? "\n" : endOfLine.ToString());
            return editor =>
            {
                editor.ReplaceNode(execute, execution.WithTriviaFrom(execute));
                if (removedDeclaration is not null)
                {
                    editor.RemoveNode(removedDeclaration, SyntaxRemoveOptions.KeepNoTrivia);
                }
            };
        });
    }

    // WaitAndRetryAsync(3, provider) → 3; WaitAndRetryAsync(new[] { d, d, d }) → 3; anything more (onRetry, a context) → null.
    private static int? RetryCount(IInvocationOperation creation, SyntaxNode node)
    {
        // The policy builder is the extension method's first argument: not one the user wrote in the parentheses.
        var explicitArguments = creation.Arguments
            .Where(a => a.ArgumentKind == ArgumentKind.Explicit && !(creation.TargetMethod.IsExtensionMethod && a.Parameter?.Ordinal == 0))
            .ToList();
        if (node is LambdaExpressionSyntax)
        {
            return explicitArguments.Count == 2 && explicitArguments[0].Parameter?.Name == "retryCount" &&
                   explicitArguments[0].Value.ConstantValue is { HasValue: true, Value: int count } && count >= 1
                ? count
                : null;
        }

        var initializer = node switch
        {
            ArrayCreationExpressionSyntax array => array.Initializer,
            ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer,
            _ => null,
        };
        return explicitArguments.Count == 1 && initializer is { Expressions.Count: > 0 and var length } ? length : null;
    }

    /// <summary>
    /// <c>Policy.Handle&lt;A&gt;(a =&gt; f).Or&lt;B&gt;()</c> → <c>exception =&gt; exception is A a &amp;&amp; (f) || exception is B</c>;
    /// null for anything else (a result predicate, a predicate that reads more than its exception, a reused name).
    /// </summary>
    private static string? HandledExceptions(InvocationExpressionSyntax chain, SemanticModel model, CancellationToken cancellationToken)
    {
        var tests = new List<string>();
        var names = new HashSet<string>();
        for (var current = chain; ; )
        {
            // Polly v7: Policy.Handle<A>().Or<B>(); Polly v8: new PredicateBuilder[<T>]().Handle<A>().Handle<B>().
            var v8 = model.GetSymbolInfo(current, cancellationToken).Symbol is IMethodSymbol { Name: "Handle", ContainingType: { Name: "PredicateBuilder", ContainingNamespace.Name: "Polly" } };
            if (model.GetSymbolInfo(current, cancellationToken).Symbol is not IMethodSymbol { Name: "Handle" or "Or", TypeArguments.Length: 1 } method ||
                (!v8 && method.ContainingType is not { Name: "Policy" or "PolicyBuilder", IsGenericType: false, ContainingNamespace.Name: "Polly" }) ||
                current.Expression is not MemberAccessExpressionSyntax access ||
                current.ArgumentList.Arguments.Count > 1 ||
                PipelineLoop.ReadsMethodTypeParameter(method.TypeArguments[0]))
            {
                return null;
            }

            var type = method.TypeArguments[0].ToMinimalDisplayString(model, current.SpanStart);
            if (current.ArgumentList.Arguments.Count == 0)
            {
                tests.Add($"exception is {type}");
            }
            else if (current.ArgumentList.Arguments[0].Expression is SimpleLambdaExpressionSyntax { ExpressionBody: { } predicate } filter &&
                     names.Add(filter.Parameter.Identifier.ValueText) && filter.Parameter.Identifier.ValueText != "exception" &&
                     model.GetOperation(predicate, cancellationToken) is { } predicateOperation && ReadsOnlyItsParameter(predicateOperation))
            {
                tests.Add($"exception is {type} {filter.Parameter.Identifier.ValueText} && ({predicate.WithoutTrivia()})");
            }
            else
            {
                return null;
            }

            if (v8 && access.Expression is ObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 0, Initializer: null })
            {
                return Disjunction(tests);
            }

            if (!v8 && method.Name == "Handle")
            {
                return access.Expression is IdentifierNameSyntax or MemberAccessExpressionSyntax
                    ? Disjunction(tests)
                    : null;
            }

            if (access.Expression is not InvocationExpressionSyntax previous)
            {
                return null;
            }

            current = previous;
        }
    }

    private static string Disjunction(List<string> tests)
        => "exception => " + string.Join(" || ", Enumerable.Reverse(tests).Select(t => tests.Count > 1 && t.Contains("&&") ? $"({t})" : t));

    // The predicate moves into a static field, run several times an attempt: only its own parameter, constants and static members, changing nothing.
    private static bool ReadsOnlyItsParameter(IOperation predicate)
        => !predicate.DescendantsAndSelf().Any(o => o is ILocalReferenceOperation or IInstanceReferenceOperation or IAwaitOperation || PipelineLoop.MayHaveSideEffects(o) ||
                                                    (o is IParameterReferenceOperation parameter && parameter.Parameter.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.AnonymousFunction }));

    private static bool CapturableInLambda(IOperation body)
        => !body.DescendantsAndSelf().Any(o => o switch
        {
            ILocalReferenceOperation local => local.Local.IsRef || local.Local.Type.IsRefLikeType,
            IParameterReferenceOperation parameter => parameter.Parameter.RefKind != RefKind.None || parameter.Parameter.Type.IsRefLikeType,
            IInstanceReferenceOperation instance => instance.Type?.IsValueType ?? true,
            _ => false,
        });

    /// <summary>
    /// The one execution of the policy: <c>Policy…WaitAndRetryAsync(…).ExecuteAsync(…)</c>, or a local
    /// (<c>var policy = …;</c>, removed with the rewrite) read once, as <c>policy.ExecuteAsync(…)</c>.
    /// </summary>
    private static InvocationExpressionSyntax? Execution(InvocationExpressionSyntax creation, SemanticModel model, CancellationToken cancellationToken, out SyntaxNode? declaration)
    {
        declaration = null;
        if (creation.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Execute" or "ExecuteAsync", Parent: InvocationExpressionSyntax direct } access && access.Expression == creation)
        {
            return direct;
        }

        if (creation.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax statement } } declarator } ||
            model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol local ||
            statement.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member)
        {
            return null;
        }

        var references = member.DescendantNodes().OfType<IdentifierNameSyntax>()
            .Where(i => i.Identifier.ValueText == local.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(i, cancellationToken).Symbol, local))
            .ToList();
        if (references.Count != 1 || statement.ContainsDirectives || // the declaration goes without its trivia: an #if block before it too
            references[0].Parent is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Execute" or "ExecuteAsync", Parent: InvocationExpressionSyntax execute } ||
            execute.Ancestors().Any(a => a is LambdaExpressionSyntax or LocalFunctionStatementSyntax or ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax or ForEachStatementSyntax && !a.Span.Contains(statement.Span)))
        {
            return null; // shared by several executions, or executed in a loop or a lambda (each pass one logical call: fine, but not worth the risk)
        }

        declaration = statement;
        return execute;
    }
}
