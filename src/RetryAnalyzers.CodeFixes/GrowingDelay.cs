using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>A variable that changes between attempts, and its value (and code) at the first retry.</summary>
/// <param name="Symbol">The attempt parameter, the loop counter or a local that grows in the loop.</param>
/// <param name="Value">Its value at the first retry, when known.</param>
/// <param name="Syntax">The code of that value (a literal, or the local's initializer).</param>
internal readonly record struct AttemptBinding(ISymbol Symbol, double? Value, ExpressionSyntax Syntax);

/// <summary>
/// The first delay and the cap of a wait that grows with the attempt, as the arguments of <c>JitteredBackoff.GetDelay</c>
/// or <c>new RetryBackoff(…)</c>: <c>TimeSpan.FromMilliseconds(100 * (1 &lt;&lt; attempt))</c> with attempt 0 first is a
/// 100 ms base; <c>Math.Min(…, 30)</c> seconds is a 30 s cap. When the value cannot be computed, the base is the user's
/// expression with the first values put in for the attempt variables.
/// </summary>
internal sealed class GrowingDelay
{
    private const int FarAttempt = 40;

    /// <summary>The runtime's largest delay option (one day, as Polly's), in milliseconds: a base delay beyond it throws.</summary>
    internal const double MaxDelayMilliseconds = 86_400_000;

    private readonly INamedTypeSymbol _timeSpan;
    private readonly double? _firstMilliseconds;
    private readonly ExpressionSyntax? _firstExpression;
    private readonly bool _firstIsTimeSpan;
    private readonly double? _capMilliseconds;

    private GrowingDelay(INamedTypeSymbol timeSpan, double? firstMilliseconds, ExpressionSyntax? firstExpression, bool firstIsTimeSpan, double? capMilliseconds)
    {
        _timeSpan = timeSpan;
        _firstMilliseconds = firstMilliseconds;
        _firstExpression = firstExpression;
        _firstIsTimeSpan = firstIsTimeSpan;
        _capMilliseconds = capMilliseconds;
    }

    /// <summary>Null when the first delay is known to be zero or negative both at the first and the second attempt (no base to keep).</summary>
    public static GrowingDelay? Create(ExpressionSyntax delay, SemanticModel model, RetrySymbols symbols, IReadOnlyList<AttemptBinding> bindings, CancellationToken cancellationToken)
    {
        if (model.GetOperation(delay, cancellationToken) is not { } operation || symbols.TimeSpan is not { } timeSpan)
        {
            return null;
        }

        var isTimeSpan = SymbolEqualityComparer.Default.Equals(operation.Type, timeSpan);
        var first = Evaluate(operation, bindings, symbols, offset: 0);
        if (first is <= 0)
        {
            first = Evaluate(operation, bindings, symbols, offset: 1); // attempt * 1000 from attempt 0: the step is the base
            if (first is null or <= 0)
            {
                return null;
            }
        }

        if (first is { } beyond && !(beyond <= MaxDelayMilliseconds))
        {
            return null; // infinite, NaN or over the runtime's one-day limit: JitteredBackoff would throw at the first retry
        }

        if (first is { } known)
        {
            // Far out, a capped schedule stops growing: Math.Min(Math.Pow(2, n), 30) is 30 at n = 40 and at n = 80.
            var far = Evaluate(operation, bindings, symbols, FarAttempt);
            var farther = Evaluate(operation, bindings, symbols, 2 * FarAttempt);
            var cap = far is { } a && farther is { } b && a == b && a > known && !double.IsInfinity(a) ? a : (double?)null;
            return new GrowingDelay(timeSpan, known, null, isTimeSpan, cap);
        }

        // Not computable: the user's own expression at the first attempt.
        var substitutions = new Dictionary<SyntaxNode, SyntaxNode>();
        foreach (var identifier in delay.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            var symbol = model.GetSymbolInfo(identifier, cancellationToken).Symbol;
            foreach (var binding in bindings)
            {
                if (SymbolEqualityComparer.Default.Equals(symbol, binding.Symbol))
                {
                    ExpressionSyntax value = binding.Syntax is LiteralExpressionSyntax or IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax
                        ? binding.Syntax.WithoutTrivia()
                        : SyntaxFactory.ParenthesizedExpression(binding.Syntax.WithoutTrivia());
                    substitutions[identifier] = value.WithTriviaFrom(identifier);
                }
            }
        }

        var substituted = delay.ReplaceNodes(substitutions.Keys, (original, _) => substitutions[original]).WithoutTrivia();
        return new GrowingDelay(timeSpan, null, substituted.WithAdditionalAnnotations(Simplifier.Annotation), isTimeSpan, null);
    }

    /// <summary>The base delay as a <see cref="TimeSpan"/> expression.</summary>
    public SyntaxNode First(SyntaxGenerator generator)
    {
        if (_firstMilliseconds is { } ms)
        {
            return TimeSpanLiteral(generator, ms);
        }

        return _firstIsTimeSpan
            ? _firstExpression!
            : generator.InvocationExpression(TimeSpanMember(generator, "FromMilliseconds"), _firstExpression!);
    }

    /// <summary>The cap as a <see cref="TimeSpan"/> expression, or null to keep the runtime's default cap.</summary>
    public SyntaxNode? Cap(SyntaxGenerator generator) => _capMilliseconds is { } cap ? TimeSpanLiteral(generator, cap) : null;

    /// <summary><c>attempt, first[, cap]</c> for <c>JitteredBackoff.GetDelay</c>.</summary>
    public SyntaxNode[] Arguments(SyntaxGenerator generator, params SyntaxNode[] leading)
    {
        var arguments = new List<SyntaxNode>(leading) { First(generator) };
        if (Cap(generator) is { } cap)
        {
            arguments.Add(cap);
        }

        return arguments.ToArray();
    }

    private static double? Evaluate(IOperation operation, IReadOnlyList<AttemptBinding> bindings, RetrySymbols symbols, int offset)
    {
        var values = new Dictionary<ISymbol, double>(SymbolEqualityComparer.Default);
        foreach (var binding in bindings)
        {
            if (binding.Value is not { } value)
            {
                return null;
            }

            values[binding.Symbol] = value + offset;
        }

        return DelayEvaluator.Evaluate(operation, values, symbols);
    }

    private SyntaxNode TimeSpanLiteral(SyntaxGenerator generator, double milliseconds)
    {
        var seconds = milliseconds / 1_000;
        return seconds >= 1 && seconds == Math.Floor(seconds)
            ? generator.InvocationExpression(TimeSpanMember(generator, "FromSeconds"), Number(seconds))
            : generator.InvocationExpression(TimeSpanMember(generator, "FromMilliseconds"), Number(milliseconds));
    }

    private SyntaxNode TimeSpanMember(SyntaxGenerator generator, string name)
        => generator.MemberAccessExpression(generator.TypeExpression(_timeSpan).WithAdditionalAnnotations(Simplifier.Annotation), name);

    private static ExpressionSyntax Number(double value)
    {
        var rounded = Math.Round(value, 3);
        return rounded == Math.Floor(rounded) && rounded <= int.MaxValue
            ? SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal((int)rounded))
            : SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(rounded.ToString("0.###", CultureInfo.InvariantCulture), rounded));
    }
}
