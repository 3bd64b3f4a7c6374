using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// RA0005 sites in Polly v8 options: a <c>RetryStrategyOptions&lt;HttpResponseMessage&gt;</c> whose <c>ShouldHandle</c>
/// takes 429 and that has no <c>DelayGenerator</c>, so it waits its own backoff whatever Retry-After says; an
/// <c>HttpRetryStrategyOptions</c> (which reads Retry-After by default) told <c>ShouldRetryAfterHeader = false</c>.
/// </summary>
internal static class RetryAfterSites
{
    /// <summary>The property that tells the shape of the fix: a <c>DelayGenerator</c> to add, or <c>ShouldRetryAfterHeader</c> to turn back on.</summary>
    public const string FixKey = "RetryAfterFix";
    public const string AddGenerator = "AddGenerator";
    public const string HeaderOn = "HeaderOn";
    public const string LoopDelay = "LoopDelay";

    /// <summary>The location to report and the fix shape, or null when the options are quiet.</summary>
    public static (Location Location, string Fix)? AnalyzeV8Options(IObjectCreationOperation creation, RetrySymbols symbols)
    {
        if (!symbols.IsRetryStrategyOptions(creation.Type, out _) ||
            creation.Type is not INamedTypeSymbol type ||
            !IsOverHttpResponse(type, symbols) ||
            !PollyV8RetryOptions.CollectAssignments(creation, out var assignments))
        {
            return null; // not over HttpResponseMessage, or configured where we cannot see (a generator may be set there)
        }

        var readsHeaderByDefault = HasHeaderSwitch(type);
        IOperation? shouldHandle = null;
        ISimpleAssignmentOperation? headerOff = null;
        foreach (var assignment in assignments)
        {
            switch ((assignment.Target as IPropertyReferenceOperation)?.Property.Name)
            {
                case "DelayGenerator" when assignment.Value.WithoutConversions().ConstantValue is not { HasValue: true, Value: null }:
                    return null; // a generator decides the wait (reads the header, or knowingly does not)
                case "ShouldHandle":
                    shouldHandle = assignment.Value;
                    break;
                case "ShouldRetryAfterHeader" when readsHeaderByDefault:
                    if (assignment.Value.ConstantValue is not { HasValue: true, Value: false })
                    {
                        return null;
                    }

                    headerOff = assignment;
                    break;
            }
        }

        if (readsHeaderByDefault)
        {
            // HttpRetryStrategyOptions: its own ShouldHandle is transient errors, 429 included.
            return headerOff is not null && (shouldHandle is null || TooManyRequestsPredicates.Takes429(shouldHandle))
                ? (headerOff.Syntax.GetLocation(), HeaderOn)
                : null;
        }

        return shouldHandle is not null && TooManyRequestsPredicates.Takes429(shouldHandle)
            ? (PollyV8RetryOptions.CreationLocation(creation.Syntax), AddGenerator)
            : null;
    }

    /// <summary>
    /// <c>o.Retry.ShouldRetryAfterHeader = false</c> outside an object initializer and not on a local (those are seen
    /// from the creation): in <c>AddStandardResilienceHandler(o =&gt; …)</c>, whose retry handles 429 by default.
    /// </summary>
    public static Location? AnalyzeHeaderSwitchedOff(ISimpleAssignmentOperation assignment)
    {
        if (assignment.Target is not IPropertyReferenceOperation { Property: { Name: "ShouldRetryAfterHeader", ContainingType: { } owner }, Instance: { } instance } ||
            instance is ILocalReferenceOperation or IInstanceReferenceOperation ||
            assignment.Value.ConstantValue is not { HasValue: true, Value: false } ||
            !HasHeaderSwitch(owner))
        {
            return null;
        }

        return assignment.Syntax.GetLocation();
    }

    /// <summary>
    /// A Polly v7 <c>WaitAndRetry*</c> on a <c>PolicyBuilder&lt;HttpResponseMessage&gt;</c> whose <c>HandleResult</c> /
    /// <c>OrResult</c> takes 429 and whose sleep-duration lambda never reads the outcome: the lambda's location.
    /// </summary>
    public static Location? AnalyzeV7Policy(IInvocationOperation invocation, RetrySymbols symbols)
    {
        var method = invocation.TargetMethod;
        if (!method.Name.StartsWith("WaitAndRetry", StringComparison.Ordinal) || !method.IsExtensionMethod ||
            !symbols.IsPollyV7RetrySyntax(method.ContainingType) || invocation.Arguments.Length == 0 ||
            invocation.Arguments[0].Value.Type is not INamedTypeSymbol { TypeArguments.Length: 1 } builder ||
            !SymbolEqualityComparer.Default.Equals(builder.TypeArguments[0], symbols.HttpResponseMessage))
        {
            return null;
        }

        IAnonymousFunctionOperation? provider = null;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name == "sleepDurationProvider" &&
                argument.Value.WithoutConversions() is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
            {
                provider = lambda;
            }
        }

        return provider is not null && !ReadsOutcome(provider) && HandlesTooManyRequests(invocation.Arguments[0].Value)
            ? provider.Syntax.GetLocation()
            : null;
    }

    /// <summary>
    /// A hand-written retry loop's <c>Task.Delay</c> / <c>Thread.Sleep</c> (recognised by <see cref="HandWrittenRetryLoops"/>)
    /// reached under a check that takes 429 — an <c>if</c> whose condition does, or a <c>catch</c> whose filter does
    /// (<c>when (ex.StatusCode == HttpStatusCode.TooManyRequests)</c>, <c>when (ex.Status == 429)</c>) — in a loop that
    /// never reads a Retry-After: the wait's location.
    /// </summary>
    public static Location? AnalyzeLoopWait(IInvocationOperation invocation, RetrySymbols symbols)
    {
        if (HandWrittenRetryLoops.DelayArgument(invocation, symbols) is not { } wait ||
            HandWrittenRetryLoops.RetryLoopOf(invocation, symbols) is not { } loop ||
            !UnderTooManyRequestsCheck(invocation, loop) ||
            ReadsRetryAfter(loop) ||
            PassesTheFailure(wait, symbols))
        {
            return null;
        }

        return invocation.Syntax.GetLocation();
    }

    private static bool UnderTooManyRequestsCheck(IOperation wait, ILoopOperation loop) => TooManyRequestsCheck(wait, loop) is not null;

    /// <summary>The <c>if</c> condition or <c>catch</c> filter that takes 429 and leads to <paramref name="wait"/>, or null.</summary>
    private static IOperation? TooManyRequestsCheck(IOperation wait, ILoopOperation loop)
    {
        for (IOperation? child = wait, current = wait.Parent; current is not null && current != loop; child = current, current = current.Parent)
        {
            switch (current)
            {
                case IConditionalOperation conditional when conditional.WhenTrue == child && TooManyRequestsPredicates.Takes429(conditional.Condition):
                    return conditional.Condition;
                case ICatchClauseOperation { Filter: { } filter } catchClause when catchClause.Handler == child && TooManyRequestsPredicates.Takes429(filter):
                    return filter;
            }
        }

        return null;
    }

    /// <summary>
    /// For the fix: the <c>HttpResponseMessage</c> local or parameter whose status the 429 check reads, when the wait is an
    /// awaited <c>Task.Delay</c> (its Retry-After can be waited instead); null otherwise (<c>Thread.Sleep</c>, an exception's status).
    /// </summary>
    public static ISymbol? CheckedResponse(IInvocationOperation wait, RetrySymbols symbols)
    {
        if (wait.TargetMethod.Name != "Delay" || wait.Parent is not IAwaitOperation ||
            HandWrittenRetryLoops.EnclosingLoop(wait) is not { } loop || TooManyRequestsCheck(wait, loop) is not { } check)
        {
            return null;
        }

        foreach (var operation in check.DescendantsAndSelf())
        {
            var instance = (operation as IPropertyReferenceOperation)?.Instance?.WithoutConversions();
            var symbol = (instance as ILocalReferenceOperation)?.Local ?? (ISymbol?)(instance as IParameterReferenceOperation)?.Parameter;
            if (symbol is not null && SymbolEqualityComparer.Default.Equals(instance!.Type, symbols.HttpResponseMessage))
            {
                return symbol;
            }
        }

        return null;
    }

    // Headers.RetryAfter, GetRetryAfter(…), TryGetValues("retry-after", …), "retry-after-ms": the loop reads the provider's wait.
    private static bool ReadsRetryAfter(ILoopOperation loop)
    {
        foreach (var operation in loop.Body.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IPropertyReferenceOperation { Property.Name: "RetryAfter" }:
                case IInvocationOperation { TargetMethod.Name: "GetRetryAfter" or "DelayAsync" or "Or" } call when call.TargetMethod.ContainingType.Name is "RateLimitHeaders" or "RetryAfterDelay":
                case ILiteralOperation { ConstantValue.Value: string text } when text.IndexOf("retry-after", StringComparison.OrdinalIgnoreCase) >= 0:
                    return true;
            }
        }

        return false;
    }

    // Task.Delay(DelayFor(response)) / DelayFor(ex): a call given the failed response or exception may read its header.
    private static bool PassesTheFailure(IOperation wait, RetrySymbols symbols)
    {
        foreach (var operation in wait.DescendantsAndSelf())
        {
            if (operation is IArgumentOperation { Value.Type: { } type } &&
                (SymbolEqualityComparer.Default.Equals(type, symbols.HttpResponseMessage) || IsException(type)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsException(ITypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.Name == "Exception" && current.ContainingNamespace?.Name == "System")
            {
                return true;
            }
        }

        return false;
    }

    // builder.HandleResult(…).OrResult(…): any predicate of the chain that takes 429.
    private static bool HandlesTooManyRequests(IOperation builder)
    {
        for (var current = builder.WithoutConversions() as IInvocationOperation; current is not null;)
        {
            if (current.TargetMethod.Name is "HandleResult" or "OrResult" && current.Arguments.Length > 0 &&
                TooManyRequestsPredicates.Takes429(current.Arguments[current.Arguments.Length - 1].Value))
            {
                return true;
            }

            var receiver = current.Instance ?? (current.TargetMethod.IsExtensionMethod && current.Arguments.Length > 0 ? current.Arguments[0].Value : null);
            current = receiver?.WithoutConversions() as IInvocationOperation;
        }

        return false;
    }

    // (attempt, outcome, context) => …outcome…: the lambda reads its DelegateResult<T> parameter.
    private static bool ReadsOutcome(IAnonymousFunctionOperation lambda)
    {
        foreach (var parameter in lambda.Symbol.Parameters)
        {
            if (parameter.Type.Name != "DelegateResult")
            {
                continue;
            }

            foreach (var operation in lambda.Body.DescendantsAndSelf())
            {
                if (operation is IParameterReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsOverHttpResponse(INamedTypeSymbol type, RetrySymbols symbols)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, symbols.RetryStrategyOptionsOfT))
            {
                return SymbolEqualityComparer.Default.Equals(current.TypeArguments[0], symbols.HttpResponseMessage);
            }
        }

        return false;
    }

    /// <summary>Microsoft.Extensions.Http.Resilience's <c>HttpRetryStrategyOptions</c> and its subclasses, by the switch they add.</summary>
    private static bool HasHeaderSwitch(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers("ShouldRetryAfterHeader"))
            {
                if (member is IPropertySymbol { Type.SpecialType: SpecialType.System_Boolean })
                {
                    return true;
                }
            }
        }

        return false;
    }
}
