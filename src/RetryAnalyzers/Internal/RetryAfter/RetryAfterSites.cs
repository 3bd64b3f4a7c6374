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
