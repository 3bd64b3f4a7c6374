using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// RA0008 sites: retry predicates that take server errors and leave 429 Too Many Requests out, so a throttled call fails
/// at once. A site is reported only when the predicate is read to the end: every part answers "not 429" (see
/// <see cref="StatusPredicate"/>) and none names 429 (a deliberate choice about throttling is the user's).
/// </summary>
internal static class TooManyRequestsSites
{
    /// <summary>The property that tells the fix's shape (absent: no fix).</summary>
    public const string FixKey = "TooManyRequestsFix";

    /// <summary><c>HandleTransientHttpError()</c> → <c>HandleTransientHttpError().OrResult(r =&gt; r.StatusCode == TooManyRequests)</c>.</summary>
    public const string AfterSource = "AfterSource";

    /// <summary><c>AddTransientHttpErrorPolicy(p =&gt; p.WaitAndRetry…)</c> → <c>p.OrResult(…).WaitAndRetry…</c>.</summary>
    public const string AfterBuilderParameter = "AfterBuilderParameter";

    /// <summary>A v8 <c>PredicateBuilder</c> chain gets <c>.HandleResult(r =&gt; r.StatusCode == TooManyRequests)</c>.</summary>
    public const string HandleResult = "HandleResult";

    /// <summary>A v8 <c>args =&gt; ValueTask.FromResult(e)</c> gets <c>e || args.Outcome.Result?.StatusCode == TooManyRequests</c>.</summary>
    public const string OrOutcome = "OrOutcome";

    /// <summary>A v8 <c>args =&gt; args.Outcome switch { … }</c> gets a first arm for 429.</summary>
    public const string SwitchArm = "SwitchArm";

    /// <summary>A loop's retry check <c>c</c> becomes <c>c || status == TooManyRequests</c>.</summary>
    public const string OrStatus = "OrStatus";

    /// <summary>A loop's exit check <c>c</c> becomes <c>(c) &amp;&amp; status != TooManyRequests</c>.</summary>
    public const string AndNotStatus = "AndNotStatus";

    /// <summary>The Polly v7 / Microsoft.Extensions.Http.Polly calls whose policy builder takes 5xx and 408 only.</summary>
    public static bool IsTransientSource(string? name) => name is "HandleTransientHttpError" or "OrTransientHttpError" or "HandleTransientHttpStatusCode" or "OrTransientHttpStatusCode";

    /// <summary>
    /// <c>HttpPolicyExtensions.HandleTransientHttpError()</c> (or <c>.OrTransientHttpError()</c>, the status-code variants)
    /// whose chain ends in a retry and adds no predicate that takes 429: the source call.
    /// </summary>
    public static Location? AnalyzeTransientSource(IInvocationOperation source)
    {
        if (source.TargetMethod.ContainingType?.Name != "HttpPolicyExtensions" || !IsTransientSource(source.TargetMethod.Name))
        {
            return null;
        }

        for (IOperation current = source; NextInChain(current) is { } next; current = next)
        {
            switch (Classify(next))
            {
                case Link.Retry:
                    return source.Syntax.GetLocation();
                case Link.Other:
                    return null;
            }
        }

        return null;
    }

    /// <summary>
    /// <c>AddTransientHttpErrorPolicy(p =&gt; p.WaitAndRetryAsync(…))</c>: the builder it hands over takes 5xx and 408; when
    /// the lambda's chain from that parameter ends in a retry and adds no predicate that takes 429, the method name.
    /// </summary>
    public static Location? AnalyzeTransientPolicy(IInvocationOperation registration)
    {
        if (registration.TargetMethod.Name != "AddTransientHttpErrorPolicy" || registration.Syntax is not InvocationExpressionSyntax syntax)
        {
            return null;
        }

        foreach (var argument in registration.Arguments)
        {
            if (argument.Value.WithoutConversions() is IDelegateCreationOperation { Target: IAnonymousFunctionOperation { Symbol.Parameters.Length: 1 } lambda } &&
                StatusPredicate.ReturnedValue(lambda) is { } returned &&
                returned.WithoutConversions() is IInvocationOperation terminal && Classify(terminal) == Link.Retry &&
                ChainRoot(terminal) is IParameterReferenceOperation root && SymbolEqualityComparer.Default.Equals(root.Parameter, lambda.Symbol.Parameters[0]))
            {
                return SyntaxNames.NameLocation(syntax.Expression);
            }
        }

        return null;
    }

    /// <summary>The builder parameter reference a v7 chain starts from, when every link before the retry adds nothing that takes 429.</summary>
    public static IOperation? ChainRoot(IInvocationOperation terminal)
    {
        var current = Receiver(terminal);
        while (current is IInvocationOperation link)
        {
            if (Classify(link) != Link.Neutral)
            {
                return null;
            }

            current = Receiver(link);
        }

        return current;
    }

    /// <summary>
    /// A Polly v8 <c>ShouldHandle = …</c> on a <c>RetryStrategyOptions&lt;HttpResponseMessage&gt;</c> (or
    /// <c>HttpRetryStrategyOptions</c>) that takes a server error and not 429: the assignment, and the fix shape.
    /// </summary>
    public static (Location Location, string? Fix)? AnalyzeShouldHandle(ISimpleAssignmentOperation assignment, RetrySymbols symbols)
    {
        if (assignment.Target is not IPropertyReferenceOperation { Property: { Name: "ShouldHandle", ContainingType: { } owner } } ||
            !SymbolEqualityComparer.Default.Equals(owner.OriginalDefinition, symbols.RetryStrategyOptionsOfT) ||
            !SymbolEqualityComparer.Default.Equals(owner.TypeArguments[0], symbols.HttpResponseMessage))
        {
            return null;
        }

        var predicate = assignment.Value;
        if (!LeavesOut429(predicate))
        {
            return null;
        }

        return (assignment.Syntax.GetLocation(), ShouldHandleFix(predicate.WithoutConversions()));
    }

    /// <summary>
    /// A hand-written retry loop whose wait is reached only under a status check that takes a server error and not 429
    /// (the check is reported), or after an exit check — <c>return</c> / <c>throw</c> — that leaves on 429 and stays on
    /// a server error (that check is reported). Quiet when the loop names 429 anywhere.
    /// </summary>
    public static (Location Location, string Fix)? AnalyzeLoopWait(IInvocationOperation wait, RetrySymbols symbols)
    {
        if (HandWrittenRetryLoops.DelayArgument(wait, symbols) is null ||
            HandWrittenRetryLoops.RetryLoopOf(wait, symbols) is not { } loop ||
            StatusPredicate.Mentions429(loop.Body))
        {
            return null;
        }

        for (IOperation child = wait, current = wait.Parent!; current is not null && current != loop; child = current, current = current.Parent!)
        {
            var check = current switch
            {
                IConditionalOperation conditional when conditional.WhenTrue == child => conditional.Condition,
                ICatchClauseOperation { Filter: { } filter } catchClause when catchClause.Handler == child => filter,
                _ => null,
            };
            if (check is not null && StatusPredicate.At(check, StatusPredicate.TooManyRequests) != Truth.False)
            {
                return null; // the way to the wait admits 429, or may
            }

            if (check is not null && StatusPredicate.MayTakeServerErrors(check))
            {
                return (StatusPredicate.Narrow(check, Truth.False).Syntax.GetLocation(), OrStatus);
            }

            if (current is IBlockOperation block && ExitCheckBefore(block, child) is { } exit)
            {
                return (StatusPredicate.Narrow(exit, Truth.True).Syntax.GetLocation(), AndNotStatus);
            }
        }

        return null;
    }

    private static bool LeavesOut429(IOperation predicate)
        => StatusPredicate.At(predicate, StatusPredicate.TooManyRequests) == Truth.False &&
           StatusPredicate.MayTakeServerErrors(predicate) &&
           !StatusPredicate.Mentions429(predicate);

    private static string? ShouldHandleFix(IOperation predicate)
    {
        if (predicate is IInvocationOperation { TargetMethod.ContainingType.Name: "PredicateBuilder" })
        {
            return HandleResult;
        }

        if (predicate is IDelegateCreationOperation { Target: IAnonymousFunctionOperation { Symbol.Parameters.Length: 1 } lambda } &&
            lambda.Symbol.Parameters[0].Name != "_" && StatusPredicate.ReturnedValue(lambda) is { } returned)
        {
            return returned.WithoutConversions() switch
            {
                IInvocationOperation { TargetMethod.Name: "FromResult", Arguments.Length: 1 } or IObjectCreationOperation { Arguments.Length: 1 } => OrOutcome,
                ISwitchExpressionOperation { Value.Type.Name: "Outcome" } body when AllArmsArePredicateResults(body) => SwitchArm,
                _ => null,
            };
        }

        return null;
    }

    private static bool AllArmsArePredicateResults(ISwitchExpressionOperation body)
    {
        foreach (var arm in body.Arms)
        {
            if (arm.Value.WithoutConversions() is not IInvocationOperation { TargetMethod.ContainingType.Name: "PredicateResult" })
            {
                return false;
            }
        }

        return true;
    }

    // `if (c) return …;` / `if (c) throw …;` / `if (c) response.EnsureSuccessStatusCode();` before the wait, leaving on 429 and not on a server error.
    private static IOperation? ExitCheckBefore(IBlockOperation block, IOperation child)
    {
        foreach (var statement in block.Operations)
        {
            if (statement == child)
            {
                break;
            }

            if (statement is IConditionalOperation { WhenFalse: null } conditional && Exits(conditional.WhenTrue) &&
                StatusPredicate.At(conditional.Condition, StatusPredicate.TooManyRequests) == Truth.True &&
                Array.Exists(StatusPredicate.ServerErrors, status => StatusPredicate.At(conditional.Condition, status) != Truth.True))
            {
                return conditional.Condition;
            }
        }

        return null;
    }

    private static bool Exits(IOperation branch)
    {
        foreach (var operation in branch.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IBranchOperation { BranchKind: BranchKind.Continue }:
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return false;
                case IReturnOperation or IThrowOperation:
                case IInvocationOperation { TargetMethod.Name: "EnsureSuccessStatusCode" }:
                    return true;
            }
        }

        return false;
    }

    private enum Link
    {
        Retry,
        Neutral,
        Other,
    }

    // One call of a v7 policy chain: the retry that ends it, a link that adds nothing taking 429, or anything else (a
    // predicate that takes 429 or may, a breaker, a fallback, a call we do not know).
    private static Link Classify(IInvocationOperation call)
    {
        var name = call.TargetMethod.Name;
        if (name.StartsWith("Retry", StringComparison.Ordinal) || name.StartsWith("WaitAndRetry", StringComparison.Ordinal))
        {
            return call.TargetMethod.ContainingType?.ContainingNamespace?.Name == "Polly" ? Link.Retry : Link.Other;
        }

        switch (name)
        {
            case "Or" or "OrInner" or "OrTransientHttpError" or "OrTransientHttpStatusCode":
                return Link.Neutral;
            case "OrResult" or "HandleResult":
                var predicate = call.Arguments.Length > 0 ? call.Arguments[call.Arguments.Length - 1].Value : null;
                return predicate?.Type?.TypeKind == TypeKind.Delegate &&
                       StatusPredicate.At(predicate, StatusPredicate.TooManyRequests) == Truth.False && !StatusPredicate.Mentions429(predicate)
                    ? Link.Neutral
                    : Link.Other;
            default:
                return Link.Other;
        }
    }

    private static IInvocationOperation? NextInChain(IOperation current)
    {
        var parent = current.Parent;
        while (parent is IConversionOperation)
        {
            current = parent;
            parent = parent.Parent;
        }

        return parent switch
        {
            IInvocationOperation call when call.Instance == current => call,
            IArgumentOperation { Parameter.Ordinal: 0, Parent: IInvocationOperation { TargetMethod.IsExtensionMethod: true } call } => call,
            _ => null,
        };
    }

    private static IOperation? Receiver(IInvocationOperation call)
        => (call.Instance ?? (call.TargetMethod.IsExtensionMethod && call.Arguments.Length > 0 ? call.Arguments[0].Value : null))?.WithoutConversions();
}
