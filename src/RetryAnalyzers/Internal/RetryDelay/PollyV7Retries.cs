using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>Polly v7 <c>WaitAndRetry*</c> calls and Polly.Contrib.WaitAndRetry's jitter-free <c>Backoff</c> helpers.</summary>
internal static class PollyV7Retries
{
    public static RetrySite? Analyze(IInvocationOperation invocation, RetrySymbols symbols)
    {
        var method = invocation.TargetMethod;
        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.ContribBackoff))
        {
            return method.Name switch
            {
                "ConstantBackoff" => ContribBackoff(invocation, DelayKind.Constant, symbols),
                "ExponentialBackoff" or "LinearBackoff" => ContribBackoff(invocation, DelayKind.Growing, symbols),
                _ => null, // DecorrelatedJitterBackoffV2 and AwsDecorrelatedJitterBackoff are jittered
            };
        }

        if (!method.Name.StartsWith("WaitAndRetry", StringComparison.Ordinal) || !symbols.IsPollyV7RetrySyntax(method.ContainingType))
        {
            return null;
        }

        foreach (var argument in invocation.Arguments)
        {
            switch (argument.Parameter?.Name)
            {
                case "sleepDurationProvider":
                    return SleepDurationProvider(argument.Value, symbols);
                case "sleepDurations":
                    return SleepDurations(argument.Value, symbols);
            }
        }

        return null;
    }

    // WaitAndRetryAsync(3, _ => TimeSpan.FromSeconds(1)): the provider ignores the attempt.
    private static RetrySite? SleepDurationProvider(IOperation value, RetrySymbols symbols)
    {
        if (value.WithoutConversions() is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
        {
            return null; // a method group or a delegate variable: followed from the lambda's side (AnalyzeHeldProvider)
        }

        return ProviderSite(lambda, symbols);
    }

    /// <summary>
    /// A sleep-duration lambda held in a local, a field or a parameter that defaults to null (<c>provider ??= n =&gt; …</c>)
    /// and passed from there to <c>WaitAndRetry*</c>: its site, reported at the lambda. Null when the holder is written
    /// anywhere else (it may hold something unknown by then), is a field other types can write, or never reaches a retry.
    /// </summary>
    public static RetrySite? AnalyzeHeldProvider(IAnonymousFunctionOperation lambda, RetrySymbols symbols)
    {
        var parameters = lambda.Symbol.Parameters;
        if (parameters.Length == 0 || parameters[0].Type.SpecialType != SpecialType.System_Int32 ||
            !SymbolEqualityComparer.Default.Equals(lambda.Symbol.ReturnType, symbols.TimeSpan) ||
            lambda.Parent is not IDelegateCreationOperation creation)
        {
            return null;
        }

        IOperation holder = creation;
        while (holder.Parent is IConversionOperation or IParenthesizedOperation)
        {
            holder = holder.Parent;
        }

        var reaches = holder.Parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => ReachesRetry(declarator.Symbol, lambda, assignment: null, symbols),
            IFieldInitializerOperation { InitializedFields.Length: 1 } field => FieldReachesRetry(field.InitializedFields[0], symbols),
            ICoalesceAssignmentOperation { Target: IParameterReferenceOperation { Parameter: { HasExplicitDefaultValue: true, ExplicitDefaultValue: null } parameter } } assignment
                when assignment.Value == holder => ReachesRetry(parameter, lambda, assignment, symbols),
            _ => false,
        };
        return reaches ? ProviderSite(lambda, symbols) : null;
    }

    // A local or parameter of this member, never written but by `assignment`, passed to WaitAndRetry* (after `assignment`).
    private static bool ReachesRetry(ISymbol holder, IOperation lambda, IOperation? assignment, RetrySymbols symbols)
    {
        var index = MemberIndex.For(lambda);
        if (index.IsWritten(holder, except: assignment))
        {
            return false;
        }

        foreach (var reference in index.References(holder))
        {
            if (IsSleepDurationProvider(reference, symbols) && (assignment is null || reference.Syntax.SpanStart > assignment.Syntax.Span.End))
            {
                return true;
            }
        }

        return false;
    }

    // A readonly or private field: every place that can write it is in its type, so read them all.
    private static bool FieldReachesRetry(IFieldSymbol field, RetrySymbols symbols)
    {
        if (!field.IsReadOnly && field.DeclaredAccessibility != Accessibility.Private)
        {
            return false;
        }

        var reaches = false;
        foreach (var declaration in field.ContainingType.DeclaringSyntaxReferences)
        {
            var type = declaration.GetSyntax();
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() within a diagnostic analyzer: the field's readers are in other members, maybe other files
            var model = symbols.Compilation.GetSemanticModel(type.SyntaxTree);
#pragma warning restore RS1030
            foreach (var node in type.DescendantNodes())
            {
                if (node is not IdentifierNameSyntax name || name.Identifier.ValueText != field.Name)
                {
                    continue;
                }

                var expression = name.Parent is MemberAccessExpressionSyntax member && member.Name == name ? member : (SyntaxNode)name;
                if (model.GetOperation(expression) is not IFieldReferenceOperation reference ||
                    !SymbolEqualityComparer.Default.Equals(reference.Field.OriginalDefinition, field.OriginalDefinition))
                {
                    continue;
                }

                if (MemberIndex.IsWrite(reference))
                {
                    return false; // reassigned (in a constructor, or anywhere for a private field)
                }

                reaches |= IsSleepDurationProvider(reference, symbols);
            }
        }

        return reaches;
    }

    // The sleepDurationProvider argument of a Polly v7 WaitAndRetry* call.
    private static bool IsSleepDurationProvider(IOperation value, RetrySymbols symbols)
    {
        while (value.Parent is IConversionOperation or IParenthesizedOperation)
        {
            value = value.Parent;
        }

        return value.Parent is IArgumentOperation { Parameter.Name: "sleepDurationProvider", Parent: IInvocationOperation invocation } &&
               invocation.TargetMethod.Name.StartsWith("WaitAndRetry", StringComparison.Ordinal) &&
               symbols.IsPollyV7RetrySyntax(invocation.TargetMethod.ContainingType);
    }

    // The class of a provider lambda's single returned wait, with its first parameter as the attempt; reported at the lambda.
    private static RetrySite? ProviderSite(IAnonymousFunctionOperation lambda, RetrySymbols symbols)
    {
        if (lambda.Symbol.Parameters.Length == 0 || SingleReturnedValue(lambda) is not { } returned)
        {
            return null;
        }

        var scope = new AttemptScope(lambda.Body, lambda.Symbol.Parameters[0], lambda.Symbol);
        var delay = DelayClassifier.Classify(returned, scope, symbols);
        return new RetrySite(RetryShape.PollyV7SleepProvider, delay, lambda.Syntax.GetLocation(), RetrySite.Describe(delay.Value, returned.Syntax));
    }

    // WaitAndRetryAsync(new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) }): identical delays.
    private static RetrySite? SleepDurations(IOperation value, RetrySymbols symbols)
    {
        var collection = value.WithoutConversions();
        var elements = ElementsOf(collection);
        if (elements is null || elements.Count < 2)
        {
            return null;
        }

        var scope = new AttemptScope(collection, attemptSymbol: null, containingLambda: null);
        var first = DelayClassifier.Classify(elements[0], scope, symbols);
        var kind = first.Kind;
        double? previous = first.Value;
        var allEqual = true;
        var nonDecreasing = true;
        for (var i = 1; i < elements.Count && kind == DelayKind.Constant; i++)
        {
            var element = DelayClassifier.Classify(elements[i], scope, symbols);
            kind = element.Kind == DelayKind.Constant ? kind : first.CombineWith(element).Kind;
            var equal = previous is { } p && element.Value is { } v ? p == v : elements[i].Syntax.IsEquivalentTo(elements[0].Syntax);
            allEqual &= equal;
            nonDecreasing &= previous is { } a && element.Value is { } b && b >= a;
            previous = element.Value;
        }

        var delay = kind != DelayKind.Constant ? new DelayClass(kind, null)
            : allEqual ? first
            : nonDecreasing ? new DelayClass(DelayKind.Growing, null)
            : DelayClass.Unknown;
        var text = RetrySite.Describe(first.Value, elements[0].Syntax);
        return new RetrySite(RetryShape.PollyV7SleepDurations, delay, collection.Syntax.GetLocation(), delay.Kind == DelayKind.Growing ? "from " + text : text);
    }

    private static RetrySite ContribBackoff(IInvocationOperation invocation, DelayKind kind, RetrySymbols symbols)
    {
        var scope = new AttemptScope(invocation, attemptSymbol: null, containingLambda: null);
        IOperation? delayArgument = null;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == 0)
            {
                delayArgument = argument.Value;
            }
        }

        var value = delayArgument is null ? null : DelayClassifier.Classify(delayArgument, scope, symbols).Value;
        var text = RetrySite.Describe(value, delayArgument?.Syntax ?? invocation.Syntax);
        return new RetrySite(
            RetryShape.ContribBackoff,
            new DelayClass(kind, value),
            invocation.Syntax.GetLocation(),
            kind == DelayKind.Constant ? text : "Backoff." + invocation.TargetMethod.Name + " from " + text);
    }

    private static IOperation? SingleReturnedValue(IAnonymousFunctionOperation lambda)
    {
        IOperation? returned = null;
        foreach (var operation in lambda.Body.Descendants())
        {
            if (operation is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return null; // nested functions: not followed
            }

            if (operation is IReturnOperation { ReturnedValue: { } value })
            {
                if (returned is not null)
                {
                    return null; // several exits: not a single delay expression
                }

                returned = value;
            }
        }

        return returned;
    }

    private static IReadOnlyList<IOperation>? ElementsOf(IOperation collection)
    {
        if (collection is IArrayCreationOperation { Initializer: { } initializer })
        {
            return initializer.ElementValues;
        }

        // C# 12 collection expressions have no public IOperation in Roslyn 4.8: read their element operations.
        if (collection.Syntax is CollectionExpressionSyntax syntax && collection.SemanticModel is { } model)
        {
            var elements = new List<IOperation>(syntax.Elements.Count);
            foreach (var element in syntax.Elements)
            {
                if (element is not ExpressionElementSyntax expression || model.GetOperation(expression.Expression) is not { } operation)
                {
                    return null;
                }

                elements.Add(operation);
            }

            return elements;
        }

        return null;
    }
}
