using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace RetryAnalyzers.Internal;

/// <summary>
/// Polly v8 <c>RetryStrategyOptions</c> / <c>RetryStrategyOptions&lt;T&gt;</c>: the effective backoff type, jitter and
/// delay, read from the object initializer and from later assignments to the same local.
/// </summary>
internal static class PollyV8RetryOptions
{
    internal const double PollyDefaultDelayMilliseconds = 2_000; // RetryConstants.DefaultBaseDelay

    internal enum Backoff
    {
        Constant = 0, // DelayBackoffType.Constant
        Linear = 1,
        Exponential = 2,
    }

    public static RetrySite? Analyze(IObjectCreationOperation creation, RetrySymbols symbols)
    {
        if (!symbols.IsRetryStrategyOptions(creation.Type, out var exactPollyType))
        {
            return null;
        }

        // Polly's defaults (Constant, no jitter) only count when we can see every place the options are configured.
        var defaultsVisible = exactPollyType & CollectAssignments(creation, out var assignments);

        IOperation? backoffAssignment = null;
        IOperation? jitterAssignment = null;
        Backoff? backoff = null;
        bool? useJitter = null;
        IOperation? delayValue = null;
        foreach (var assignment in assignments)
        {
            var value = assignment.Value;
            switch ((assignment.Target as IPropertyReferenceOperation)?.Property.Name)
            {
                case "DelayGenerator":
                    if (value.WithoutConversions().ConstantValue is not { HasValue: true, Value: null })
                    {
                        return null; // a generator decides the delay (Retry-After, custom backoff)
                    }

                    break;
                case "BackoffType":
                    if (value.ConstantValue is not { HasValue: true, Value: int type } || (backoff is { } seen && (int)seen != type))
                    {
                        return null; // not a constant, or set to different values on different paths
                    }

                    backoff = (Backoff)type;
                    backoffAssignment = assignment;
                    break;
                case "UseJitter":
                    if (value.ConstantValue is not { HasValue: true, Value: bool jitter } || (useJitter is { } before && before != jitter))
                    {
                        return null;
                    }

                    useJitter = jitter;
                    jitterAssignment = assignment;
                    break;
                case "Delay":
                    delayValue = value;
                    break;
            }
        }

        // Polly's own defaults (Constant, no jitter, 2 s) are known; a subclass's are not (HttpRetryStrategyOptions is
        // exponential with jitter), so for a subclass only what the code sets counts.
        var effectiveBackoff = backoff ?? (defaultsVisible ? Backoff.Constant : null);
        var effectiveJitter = useJitter ?? (defaultsVisible ? false : null);
        if (effectiveBackoff is null || effectiveJitter != false)
        {
            return null; // jittered, or not known
        }

        var scope = new AttemptScope(creation, attemptSymbol: null, containingLambda: null);
        var delay = delayValue is null
            ? new DelayClass(DelayKind.Constant, exactPollyType ? PollyDefaultDelayMilliseconds : null)
            : DelayClassifier.Classify(delayValue, scope, symbols);
        var text = delayValue is null
            ? RetrySite.Describe(delay.Value, creation.Syntax) + (delay.Value is null ? string.Empty : " (Polly's default)")
            : RetrySite.Describe(delay.Value, delayValue.Syntax);
        if (effectiveBackoff == Backoff.Constant)
        {
            var location = (backoffAssignment ?? jitterAssignment)?.Syntax.GetLocation() ?? CreationLocation(creation.Syntax);
            return new RetrySite(RetryShape.PollyV8Options, new DelayClass(DelayKind.Constant, delay.Value), location, text);
        }

        // Exponential or Linear without jitter: the squiggle goes on what to change, UseJitter = false, else the backoff type.
        var growingLocation = (jitterAssignment ?? backoffAssignment)?.Syntax.GetLocation() ?? CreationLocation(creation.Syntax);
        return new RetrySite(RetryShape.PollyV8Options, new DelayClass(DelayKind.Growing, delay.Value), growingLocation, "DelayBackoffType." + effectiveBackoff + " from " + text);
    }

    /// <summary>
    /// For <c>options.BackoffType = …</c> / <c>options.UseJitter = …</c> on a local initialized with <c>new RetryStrategyOptions…</c>:
    /// the site of that creation, so the caller can report it from the assignment it points at.
    /// </summary>
    public static RetrySite? AnalyzeLaterAssignment(ISimpleAssignmentOperation assignment, RetrySymbols symbols)
    {
        if (assignment.Target is not IPropertyReferenceOperation { Property.Name: "BackoffType" or "UseJitter", Instance: ILocalReferenceOperation local } ||
            !symbols.IsRetryStrategyOptions(local.Type, out _) ||
            MemberIndex.For(assignment).Initializer(local.Local)?.WithoutConversions() is not IObjectCreationOperation creation)
        {
            return null;
        }

        return Analyze(creation, symbols);
    }

    /// <summary>
    /// The property assignments that configure the options: those of the object initializer, then, for
    /// <c>var options = new RetryStrategyOptions(); options.BackoffType = …;</c>, the later ones. Returns false when the
    /// options may also be configured where we cannot see (stored in a field, returned, passed to anything but <c>AddRetry</c>).
    /// </summary>
    public static bool CollectAssignments(IObjectCreationOperation creation, out List<ISimpleAssignmentOperation> assignments)
    {
        assignments = new List<ISimpleAssignmentOperation>();
        if (creation.Initializer is { } initializer)
        {
            foreach (var member in initializer.Initializers)
            {
                if (member is ISimpleAssignmentOperation assignment)
                {
                    assignments.Add(assignment);
                }
            }
        }

        return CollectLaterAssignments(creation, assignments);
    }

    /// <summary>
    /// For <c>var options = new RetryStrategyOptions(); options.BackoffType = …;</c> adds the later assignments.
    /// Returns false when the options may be configured where we cannot see (stored in a field, returned, passed to
    /// anything but <c>AddRetry</c>).
    /// </summary>
    private static bool CollectLaterAssignments(IObjectCreationOperation creation, List<ISimpleAssignmentOperation> assignments)
    {
        var parent = creation.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        if (parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "AddRetry" } })
        {
            return true;
        }

        if (parent is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol: var local } })
        {
            return false;
        }

        foreach (var reference in MemberIndex.For(creation).References(local))
        {
            switch (reference.Parent)
            {
                case IPropertyReferenceOperation { Parent: ISimpleAssignmentOperation assignment } property when assignment.Target == property:
                    assignments.Add(assignment);
                    break;
                case IPropertyReferenceOperation:
                    break; // a read such as options.MaxRetryAttempts
                case IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "AddRetry" } }:
                    break;
                default:
                    return false; // escapes: configured elsewhere, maybe
            }
        }

        return true;
    }

    /// <summary>The short part of a creation: <c>new RetryStrategyOptions&lt;T&gt;()</c> without its initializer.</summary>
    public static Location CreationLocation(SyntaxNode syntax)
    {
        switch (syntax)
        {
            case ObjectCreationExpressionSyntax explicitCreation:
                var end = explicitCreation.ArgumentList?.Span.End ?? explicitCreation.Type.Span.End;
                return Location.Create(syntax.SyntaxTree, TextSpan.FromBounds(explicitCreation.NewKeyword.SpanStart, end));
            case ImplicitObjectCreationExpressionSyntax implicitCreation:
                return Location.Create(syntax.SyntaxTree, TextSpan.FromBounds(implicitCreation.NewKeyword.SpanStart, implicitCreation.ArgumentList.Span.End));
            default:
                return syntax.GetLocation();
        }
    }
}
