using System.Collections.Generic;
using System.Composition;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// Fixes RA0008 by adding 429 to the predicate, keeping everything it already takes:
/// <list type="bullet">
/// <item><c>HttpPolicyExtensions.HandleTransientHttpError()</c> → <c>….OrResult(r =&gt; r.StatusCode == HttpStatusCode.TooManyRequests)</c>,
/// and in <c>AddTransientHttpErrorPolicy(p =&gt; p.WaitAndRetryAsync(…))</c> → <c>p.OrResult(…).WaitAndRetryAsync(…)</c>;</item>
/// <item>a v8 <c>PredicateBuilder</c> chain gets <c>.HandleResult(r =&gt; r.StatusCode == HttpStatusCode.TooManyRequests)</c>;
/// <c>args =&gt; ValueTask.FromResult(e)</c> gets <c>e || args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests</c>;
/// <c>args =&gt; args.Outcome switch { … }</c> gets a first arm <c>{ Result.StatusCode: HttpStatusCode.TooManyRequests } =&gt; PredicateResult.True()</c>;</item>
/// <item>a loop's retry check <c>c</c> becomes <c>c || response.StatusCode == HttpStatusCode.TooManyRequests</c>, and its exit
/// check <c>c</c> becomes <c>(c) &amp;&amp; response.StatusCode != HttpStatusCode.TooManyRequests</c>.</item>
/// </list>
/// Other predicate shapes (a block-bodied lambda, a discard parameter) get no fix. The retry then waits for a 429 as it
/// does for a 5xx; RA0005 says when that wait should come from the Retry-After header.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RA0008TooManyRequestsNotRetriedCodeFix))]
[Shared]
public sealed class RA0008TooManyRequestsNotRetriedCodeFix : EditorCodeFix
{
    /// <summary>The action's equivalence key.</summary>
    public const string EquivalenceKey = "RA0008.Add429";

    private const string Title = "Retry 429 Too Many Requests too";

    /// <summary>Creates the fix.</summary>
    public RA0008TooManyRequestsNotRetriedCodeFix()
        : base(RuleIds.TooManyRequestsNotRetried)
    {
    }

    private protected override IEnumerable<FixPlan> Plans(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(TooManyRequestsSites.FixKey, out var shape) ||
            model.Compilation.GetTypeByMetadataName("System.Net.HttpStatusCode") is not { } statusType)
        {
            yield break;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var edit = shape switch
        {
            TooManyRequestsSites.AfterSource when node is ExpressionSyntax source => Append(source, "OrResult", "r", "r.StatusCode"),
            TooManyRequestsSites.AfterBuilderParameter => BuilderParameter(node, model, cancellationToken),
            TooManyRequestsSites.HandleResult when node is AssignmentExpressionSyntax assignment => Append(assignment.Right, "HandleResult", "r", "r.StatusCode"),
            TooManyRequestsSites.OrOutcome or TooManyRequestsSites.SwitchArm when node is AssignmentExpressionSyntax assignment => Predicate(shape, assignment, model, cancellationToken),
            TooManyRequestsSites.OrStatus or TooManyRequestsSites.AndNotStatus when node is ExpressionSyntax check => LoopCheck(shape, check, model, cancellationToken),
            _ => null,
        };
        if (edit is null)
        {
            yield break;
        }

        yield return new FixPlan(Title, EquivalenceKey, editor =>
        {
            var statusName = Imports.TypeName(editor.Generator, model, node.SpanStart, statusType);
            if (statusName is IdentifierNameSyntax)
            {
                Imports.AddUsing(editor, "System.Net");
            }

            var tooManyRequests = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, (ExpressionSyntax)statusName, SyntaxFactory.IdentifierName("TooManyRequests"));
            var (target, replacement) = edit(tooManyRequests);
            editor.ReplaceNode(target, replacement.WithTriviaFrom(target).WithAdditionalAnnotations(Formatter.Annotation));
        });
    }

    // x → x.Method(p => p.StatusCode == HttpStatusCode.TooManyRequests)
    private static Edit Append(ExpressionSyntax receiver, string method, string parameter, string status)
        => tooManyRequests => (receiver, SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver.WithoutTrivia(), SyntaxFactory.IdentifierName(method)),
            SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(
                SyntaxFactory.SimpleLambdaExpression(SyntaxFactory.Parameter(SyntaxFactory.Identifier(parameter)), Compare(SyntaxFactory.ParseExpression(status), SyntaxKind.EqualsExpression, tooManyRequests)))))));

    private static Edit? BuilderParameter(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        if (node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } call ||
            model.GetOperation(call, cancellationToken) is not IInvocationOperation registration)
        {
            return null;
        }

        foreach (var argument in registration.Arguments)
        {
            if (argument.Value.WithoutConversions() is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } &&
                StatusPredicate.ReturnedValue(lambda)?.WithoutConversions() is IInvocationOperation terminal &&
                TooManyRequestsSites.ChainRoot(terminal)?.Syntax is ExpressionSyntax builder)
            {
                return Append(builder, "OrResult", "r", "r.StatusCode");
            }
        }

        return null;
    }

    private static Edit? Predicate(string shape, AssignmentExpressionSyntax assignment, SemanticModel model, CancellationToken cancellationToken)
    {
        if (model.GetOperation(assignment, cancellationToken) is not ISimpleAssignmentOperation operation ||
            operation.Value.WithoutConversions() is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation { Symbol.Parameters.Length: 1 } lambda } ||
            StatusPredicate.ReturnedValue(lambda)?.WithoutConversions() is not { } returned)
        {
            return null;
        }

        var outcome = lambda.Symbol.Parameters[0].Name + ".Outcome.Result?.StatusCode";
        var result = (returned as IInvocationOperation)?.Arguments ?? (returned as IObjectCreationOperation)?.Arguments;
        if (shape == TooManyRequestsSites.OrOutcome && result is { Length: 1 } arguments && arguments[0].Value.Syntax is ExpressionSyntax value)
        {
            return tooManyRequests => (value, SyntaxFactory.BinaryExpression(
                SyntaxKind.LogicalOrExpression, Operand(value.WithoutTrivia(), SyntaxKind.LogicalOrExpression), Compare(SyntaxFactory.ParseExpression(outcome), SyntaxKind.EqualsExpression, tooManyRequests)));
        }

        if (shape == TooManyRequestsSites.SwitchArm && returned.Syntax is SwitchExpressionSyntax switchExpression)
        {
            return tooManyRequests =>
            {
                var parsed = (SwitchExpressionSyntax)SyntaxFactory.ParseExpression("_ switch { { Result.StatusCode: " + tooManyRequests + " } => PredicateResult.True() }");
                var arm = parsed.Arms[0];
                return (switchExpression, switchExpression.WithArms(switchExpression.Arms.Insert(0, arm)));
            };
        }

        return null;
    }

    private static Edit? LoopCheck(string shape, ExpressionSyntax check, SemanticModel model, CancellationToken cancellationToken)
    {
        if (model.GetOperation(check, cancellationToken) is not { } condition || StatusValue(condition) is not { } status)
        {
            return null;
        }

        var isEnum = status.Type is { } type && (type.Name == "HttpStatusCode" || (type is INamedTypeSymbol { TypeArguments.Length: 1 } nullable && nullable.TypeArguments[0].Name == "HttpStatusCode"));
        var statusSyntax = ((ExpressionSyntax)status.Syntax).WithoutTrivia();
        return tooManyRequests =>
        {
            ExpressionSyntax code = isEnum ? tooManyRequests : SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(StatusPredicate.TooManyRequests));
            ExpressionSyntax replacement = shape == TooManyRequestsSites.OrStatus
                ? SyntaxFactory.BinaryExpression(SyntaxKind.LogicalOrExpression, Operand(check.WithoutTrivia(), SyntaxKind.LogicalOrExpression), Compare(statusSyntax, SyntaxKind.EqualsExpression, code))
                : SyntaxFactory.BinaryExpression(SyntaxKind.LogicalAndExpression, Operand(check.WithoutTrivia(), SyntaxKind.LogicalAndExpression), Compare(statusSyntax, SyntaxKind.NotEqualsExpression, code));

            // A part of a larger check (`s && attempt < 4` → `(s || …) && attempt < 4`) keeps its own parentheses.
            return (check, check.Parent is ExpressionSyntax and not ParenthesizedExpressionSyntax ? SyntaxFactory.ParenthesizedExpression(replacement) : replacement);
        };
    }

    // The status the check reads: response.StatusCode / ex.Status (response?.StatusCode whole), or a local that holds it.
    private static IOperation? StatusValue(IOperation condition)
        => StatusPredicate.StatusRead(condition) ??
           condition.DescendantsAndSelf().OfType<ILocalReferenceOperation>().FirstOrDefault(l => l.Type?.IsValueType == true && l.Type.SpecialType != SpecialType.System_Boolean);

    private static BinaryExpressionSyntax Compare(ExpressionSyntax left, SyntaxKind kind, ExpressionSyntax right) => SyntaxFactory.BinaryExpression(kind, left, right);

    // An operand of `||` / `&&` keeps its meaning: anything that binds looser (?:, ??, ||, lambdas) is parenthesised.
    private static ExpressionSyntax Operand(ExpressionSyntax expression, SyntaxKind parent)
        => expression switch
        {
            BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.LogicalOrExpression) && parent == SyntaxKind.LogicalOrExpression => expression,
            BinaryExpressionSyntax binary when !binary.IsKind(SyntaxKind.LogicalOrExpression) && !binary.IsKind(SyntaxKind.CoalesceExpression) => expression,
            ConditionalExpressionSyntax or AssignmentExpressionSyntax or LambdaExpressionSyntax or BinaryExpressionSyntax or SwitchExpressionSyntax => SyntaxFactory.ParenthesizedExpression(expression),
            _ => expression,
        };

    private delegate (SyntaxNode Target, SyntaxNode Replacement) Edit(ExpressionSyntax tooManyRequests);
}
