using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// A hand-written retry loop that checks the <c>HttpResponseMessage</c>'s status (no exception retried) and can become
/// one <c>ProviderPipeline.CreateForResponses</c> execution without changing what the caller sees: the body declares the
/// response from the provider call first, then either waits on the failure branch of the check (A) or answers on its
/// success branch and waits after it (B).
/// <code>
/// for (var i = 0; i &lt; 3; i++)                        for (var i = 0; i &lt; 3; i++)
/// {                                                  {
///     var response = await http.GetAsync(…);             var response = await http.GetAsync(…);
///     if (COND) { wait; continue; }     (A)              if (SUCCESS) { answer }        (B)
///     answer                                             wait;
/// }                                                  }
/// </code>
/// The answer ends the loop (<c>return</c>, <c>throw</c>, a last <c>break</c>), the check reads only the response (it
/// becomes the pipeline's <c>shouldRetry</c>, in a static field), and the counter only counts. Anything else is refused.
/// </summary>
/// <param name="Loop">The <c>for</c>/<c>while</c>/<c>do</c> statement.</param>
/// <param name="Declaration">The body's first statement, <c>var response = await http.GetAsync(…);</c>.</param>
/// <param name="Response">The response local.</param>
/// <param name="CallStatementExpression">The declaration's value: <c>await http.GetAsync(…)</c>, <c>http.Send(…)</c>.</param>
/// <param name="Call">The provider call.</param>
/// <param name="Result">The response type, <c>HttpResponseMessage</c>.</param>
/// <param name="Awaited">The call is awaited (else a synchronous call in a <c>Thread.Sleep</c> loop).</param>
/// <param name="Attempts">How many times the loop makes the call at most.</param>
/// <param name="Check">The status check.</param>
/// <param name="RetriedWhenTrue">The check's condition holds for a response the loop retries (A), else for an answer (B).</param>
/// <param name="Answer">What the loop does with an answer, without a last <c>break</c>: (A) the statements after the check, (B) its branch.</param>
/// <param name="Removed">Statements outside the loop that go with it (the counter's declaration).</param>
/// <param name="CallToken">The call's own <c>CancellationToken</c> argument, or null.</param>
/// <param name="WaitToken">The wait's <c>CancellationToken</c> argument, or null.</param>
internal sealed record StatusCheckLoop(
    StatementSyntax Loop,
    LocalDeclarationStatementSyntax Declaration,
    ILocalSymbol Response,
    ExpressionSyntax CallStatementExpression,
    InvocationExpressionSyntax Call,
    ITypeSymbol Result,
    bool Awaited,
    int Attempts,
    IfStatementSyntax Check,
    bool RetriedWhenTrue,
    IReadOnlyList<StatementSyntax> Answer,
    IReadOnlyList<SyntaxNode> Removed,
    ExpressionSyntax? CallToken,
    ExpressionSyntax? WaitToken);

internal sealed partial record PipelineLoop
{
    /// <summary>The status-check loop whose wait is <paramref name="wait"/>, or null when it cannot be rewritten as it is.</summary>
    public static StatusCheckLoop? ReadStatusCheck(IInvocationOperation wait, ILoopOperation loop, SemanticModel model, RetrySymbols symbols, CancellationToken cancellationToken)
    {
        if (loop.Syntax is not StatementSyntax { Parent: BlockSyntax } loopSyntax ||
            LoopBody(loopSyntax) is not BlockSyntax { Statements: { Count: >= 2 } body } ||
            loopSyntax.DescendantTrivia().Any(t => t.IsDirective && loopSyntax.Span.Contains(t.Span)) || // its failure branch goes, with any #if in it
            loopSyntax.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member ||
            member.DescendantNodes().Any(n => n is GotoStatementSyntax or LabeledStatementSyntax or YieldStatementSyntax) ||
            body[0] is not LocalDeclarationStatementSyntax { AwaitKeyword.RawKind: 0, Declaration.Variables: { Count: 1 } variables } declaration ||
            variables[0] is not { Initializer.Value: var callExpression } variable ||
            body[1] is not IfStatementSyntax { Else: null } check ||
            model.GetDeclaredSymbol(variable, cancellationToken) is not ILocalSymbol response ||
            model.Compilation.GetTypeByMetadataName(KnownTypes.HttpResponseMessage) is not { } responseType ||
            !SymbolEqualityComparer.Default.Equals(response.Type, responseType))
        {
            return null;
        }

        // (A) if (COND) { wait; [count;] continue; } answer…   (B) if (SUCCESS) { answer } [count;] wait;
        var retriedWhenTrue = check.Statement.Span.Contains(wait.Syntax.Span);
        var waiting = retriedWhenTrue ? Statements(check.Statement) : body.Skip(2).ToList();
        var answer = retriedWhenTrue ? body.Skip(2).ToList() : Statements(check.Statement);
        if (retriedWhenTrue)
        {
            if (waiting.Count == 0 || waiting[waiting.Count - 1] is not ContinueStatementSyntax)
            {
                return null;
            }

            waiting.RemoveAt(waiting.Count - 1);
        }

        var locals = new Locals(member, model, cancellationToken);
        if (!OnlyWaitsAndCounts(waiting, wait, locals, out var increment) || !EndsTheLoop(answer))
        {
            return null;
        }

        if (answer.Count > 0 && answer[answer.Count - 1] is BreakStatementSyntax)
        {
            answer.RemoveAt(answer.Count - 1); // the loop's last statement now: what follows runs after it anyway
        }

        var bound = Bound(loop, loopSyntax, increment, locals, read => waiting.Any(w => w.Span.Contains(read.Span)), out var flag, out var counterDeclaration);
        var counter = increment ?? HandWrittenRetryLoops.LoopCounter(loop);
        if (bound is not { } attempts || attempts < 1 || flag is not null || counter is null ||
            locals.References(counter).Any(r => body.Span.Contains(r.Span) && !waiting.Any(w => w.Span.Contains(r.Span))))
        {
            return null; // a counter that is read where the code stays (the call, the answer)
        }

        // The call: a provider call that reads nothing the loop changes; the check: only the response (it moves into a static field).
        var awaited = callExpression is AwaitExpressionSyntax;
        var invocationSyntax = awaited ? Unawaited(((AwaitExpressionSyntax)callExpression).Expression, model, cancellationToken) : callExpression as InvocationExpressionSyntax;
        if (invocationSyntax is null ||
            (!awaited && callExpression.DescendantNodes(n => n is not AnonymousFunctionExpressionSyntax).Any(n => n is AwaitExpressionSyntax)) ||
            model.GetOperation(invocationSyntax, cancellationToken) is not IInvocationOperation call ||
            !new ProviderCalls(model.Compilation).IsProviderCall(call.TargetMethod) ||
            !Capturable(model.GetOperation(callExpression, cancellationToken), loopSyntax) ||
            !SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(callExpression, cancellationToken).Type, responseType) ||
            !ReadsOnly(check.Condition, response, model, cancellationToken) ||
            Redeclared(member, response, variable) ||
            (counterDeclaration?.ContainsDirectives ?? false) ||
            !OneCancellation(TokenArgument(call, symbols), TokenArgument(wait, symbols)))
        {
            return null;
        }

        return new StatusCheckLoop(
            loopSyntax,
            declaration,
            response,
            callExpression,
            invocationSyntax,
            responseType,
            awaited,
            attempts,
            check,
            retriedWhenTrue,
            answer,
            counterDeclaration is null ? [] : [counterDeclaration],
            TokenArgument(call, symbols),
            TokenArgument(wait, symbols));
    }

    private static List<StatementSyntax> Statements(StatementSyntax statement)
        => statement is BlockSyntax block ? block.Statements.ToList() : [statement];

    // The wait (the diagnostic's) and at most one count of the attempts, nothing else.
    private static bool OnlyWaitsAndCounts(IEnumerable<StatementSyntax> statements, IInvocationOperation wait, Locals locals, out ILocalSymbol? increment)
    {
        increment = null;
        var waited = false;
        foreach (var statement in statements)
        {
            if (!waited && statement is ExpressionStatementSyntax { Expression: var expression } && IsWaitExpression(expression, wait.Syntax))
            {
                waited = true;
            }
            else if (increment is not null || (increment = locals.Incremented(statement)) is null)
            {
                return false;
            }
        }

        return waited;
    }

    // The answer leaves the loop at its end (return, throw, a last break), and nothing in it continues or breaks the loop elsewhere.
    private static bool EndsTheLoop(List<StatementSyntax> answer)
    {
        var last = answer.Count == 0 ? null : answer[answer.Count - 1];
        if (last is not (ReturnStatementSyntax or ThrowStatementSyntax or BreakStatementSyntax))
        {
            return false;
        }

        var inner = last is BreakStatementSyntax ? answer.Take(answer.Count - 1) : answer;
        return !inner.SelectMany(s => s.DescendantNodesAndSelf()).Any(n => n is BreakStatementSyntax or ContinueStatementSyntax);
    }

    /// <summary>
    /// The check moves into a static field's lambda (and runs there once an attempt, then once more in the kept <c>if</c>):
    /// as a catch filter (<see cref="MovesIntoStaticField"/>), and besides it declares no variable and holds no lambda.
    /// </summary>
    private static bool ReadsOnly(ExpressionSyntax condition, ILocalSymbol response, SemanticModel model, CancellationToken cancellationToken)
        => MovesIntoStaticField(condition, response, model, cancellationToken) &&
           model.GetOperation(condition, cancellationToken) is { } operation &&
           !operation.DescendantsAndSelf().Any(part =>
               part is IDeclarationPatternOperation or IInvalidOperation or IAnonymousFunctionOperation ||
               (part is ILocalReferenceOperation local && !SymbolEqualityComparer.Default.Equals(local.Local, response)));

    // The response's declaration moves out of the loop's body: no other local or parameter of the member may have its name.
    private static bool Redeclared(MemberDeclarationSyntax member, ILocalSymbol response, VariableDeclaratorSyntax declarator)
        => member.DescendantNodes().Any(n => n != declarator && n switch
        {
            VariableDeclaratorSyntax other => other.Identifier.ValueText == response.Name,
            SingleVariableDesignationSyntax designation => designation.Identifier.ValueText == response.Name,
            ParameterSyntax parameter => parameter.Identifier.ValueText == response.Name,
            ForEachStatementSyntax forEach => forEach.Identifier.ValueText == response.Name,
            CatchDeclarationSyntax caught => caught.Identifier.ValueText == response.Name,
            _ => false,
        });
}
