using System;
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
/// A hand-written retry loop that can become one provider-pipeline execution without changing what the caller sees:
/// the body is one <c>try</c> whose block makes the provider call first, and one <c>catch</c> that only waits (and counts).
/// <code>
/// for (var i = 0; i &lt; 3; i++)                       while (attempt &lt; 3 &amp;&amp; !done)
/// {                                                 {
///     try { return await client.CallAsync(…); }         try { result = await client.CallAsync(…); done = true; }
///     catch (E e) when (filter) { wait; }               catch (E) { attempt++; wait; }
/// }                                                 }
/// </code>
/// Everything else is refused (no action): state changed between attempts (the counter or a loop local read by the
/// call, statements before the call, work after it that could fail and be retried), several catches, a <c>finally</c>,
/// <c>goto</c>, an unbounded loop, a bound that is not a constant, a call that is not a provider call, a filter that could
/// change something, a catch that takes the caller's cancellation while the wait takes a token, a token other than one
/// for the whole retry, preprocessor directives that the rewrite would drop.
/// </summary>
/// <param name="Loop">The <c>for</c>/<c>while</c>/<c>do</c> statement.</param>
/// <param name="Try">The loop body's one <c>try</c>.</param>
/// <param name="CallStatementExpression">The expression of the try block's first statement that yields the call's value: <c>await client.CallAsync(…)</c>, <c>client.Call(…)</c>.</param>
/// <param name="Call">The provider call.</param>
/// <param name="Result">The type of <paramref name="CallStatementExpression"/>: the pipeline's result.</param>
/// <param name="Awaited">The call is awaited (else a synchronous call in a <c>Thread.Sleep</c> loop).</param>
/// <param name="Attempts">How many times the loop makes the call at most.</param>
/// <param name="Removed">Statements that only served the loop and go with it (the <c>break</c>, the counter's declaration, a dead success flag).</param>
/// <param name="CallToken">The call's own <c>CancellationToken</c> argument, or null.</param>
/// <param name="WaitToken">The wait's <c>CancellationToken</c> argument, or null.</param>
internal sealed partial record PipelineLoop(
    StatementSyntax Loop,
    TryStatementSyntax Try,
    ExpressionSyntax CallStatementExpression,
    InvocationExpressionSyntax Call,
    ITypeSymbol Result,
    bool Awaited,
    int Attempts,
    IReadOnlyList<SyntaxNode> Removed,
    ExpressionSyntax? CallToken,
    ExpressionSyntax? WaitToken)
{
    /// <summary>The catch clause (its declaration and filter move into the pipeline's <c>isTransient</c>).</summary>
    public CatchClauseSyntax Catch => Try.Catches[0];

    /// <summary>
    /// The loop whose wait is <paramref name="wait"/>, or null when it cannot be rewritten as it is. With
    /// <paramref name="cap"/> (RA0006's), an unbounded loop (<c>while (true)</c>, <c>for (;;)</c>) is read as one of
    /// <paramref name="cap"/> + 1 attempts, and a bounded one is refused.
    /// </summary>
    public static PipelineLoop? Read(IInvocationOperation wait, ILoopOperation loop, SemanticModel model, RetrySymbols symbols, CancellationToken cancellationToken, int? cap = null)
    {
        if (loop.Syntax is not StatementSyntax { Parent: BlockSyntax } loopSyntax ||
            LoopBody(loopSyntax) is not BlockSyntax { Statements.Count: 1 } body ||
            body.Statements[0] is not TryStatementSyntax { Finally: null, Catches.Count: 1 } tryStatement ||
            loopSyntax.DescendantTrivia().Any(t => t.IsDirective && loopSyntax.Span.Contains(t.Span)) || // written out without its statements' trivia
            loopSyntax.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member ||
            member.DescendantNodes().Any(n => n is GotoStatementSyntax or LabeledStatementSyntax) ||
            tryStatement.Catches[0] is not { Block.Statements.Count: > 0 } catchClause)
        {
            return null;
        }

        var locals = new Locals(member, model, cancellationToken);

        // The catch only waits (the diagnostic's wait) and counts.
        if (!OnlyWaitsAndCounts(catchClause.Block.Statements, wait, locals, out var increment))
        {
            return null;
        }

        // The bound: a constant number of attempts, from the loop's counter (for) or a counter the catch increments (while, do).
        ILocalSymbol? flag = null;
        SyntaxNode? counterDeclaration = null;
        var bound = cap is { } retries
            ? (increment is null && Unbounded(loopSyntax) ? retries + 1 : null)
            : Bound(loop, loopSyntax, increment, locals, read => read.FirstAncestorOrSelf<CatchClauseSyntax>() is not null, out flag, out counterDeclaration);
        if (bound is not { } attempts || attempts < 1)
        {
            return null;
        }

        // The try block: the provider call first, then at most a success flag and a break.
        var removed = new List<SyntaxNode>();
        if (counterDeclaration is not null)
        {
            removed.Add(counterDeclaration);
        }

        var block = tryStatement.Block.Statements;
        if (block.Count == 0 || CallExpression(block[0], locals, loopSyntax) is not { } callExpression)
        {
            return null;
        }

        var flagSet = false;
        foreach (var statement in block.Skip(1))
        {
            if (block[0] is ReturnStatementSyntax)
            {
                return null;
            }

            if (statement is BreakStatementSyntax)
            {
                removed.Add(statement);
            }
            else if (flag is not null && locals.AssignsConstant(statement, flag, true))
            {
                flagSet = true;
                if (locals.OnlyUsedBy(flag, loopSyntax, out var flagDeclaration))
                {
                    removed.Add(statement);
                    removed.Add(flagDeclaration!);
                }
            }
            else
            {
                return null; // work after the call that could fail, and was retried with it
            }
        }

        if ((flag is not null && !flagSet) ||
            (block[0] is not ReturnStatementSyntax && !flagSet && !block.Any(s => s is BreakStatementSyntax)))
        {
            return null; // the loop does not leave on this call's success: it makes the call again
        }

        // The call: a provider call that reads nothing the loop changes and nothing a lambda cannot capture.
        var awaited = callExpression is AwaitExpressionSyntax;
        var invocationSyntax = awaited ? Unawaited(((AwaitExpressionSyntax)callExpression).Expression, model, cancellationToken) : callExpression as InvocationExpressionSyntax;
        if (invocationSyntax is null ||
            (!awaited && callExpression.DescendantNodes(n => n is not AnonymousFunctionExpressionSyntax).Any(n => n is AwaitExpressionSyntax)) ||
            model.GetOperation(invocationSyntax, cancellationToken) is not IInvocationOperation call ||
            !new ProviderCalls(model.Compilation).IsProviderCall(call.TargetMethod) ||
            !Capturable(model.GetOperation(callExpression, cancellationToken), loopSyntax) ||
            model.GetTypeInfo(callExpression, cancellationToken).Type is not { SpecialType: not SpecialType.System_Void } result ||
            result.TypeKind is TypeKind.Error or TypeKind.Dynamic || result.IsAnonymousType || result.IsRefLikeType || ReadsMethodTypeParameter(result) ||
            !FilterIsStatic(catchClause, model, cancellationToken) ||
            ReadsRemovedLocal(callExpression, removed, locals) ||
            removed.Any(r => r.ContainsDirectives) || // a declaration that goes, with an #if block before it
            (catchClause.Declaration is { } caught && model.GetTypeInfo(caught.Type, cancellationToken).Type is { } caughtType && ReadsMethodTypeParameter(caughtType)) ||
            (TokenArgument(wait, symbols) is not null && CatchesCancellation(catchClause, model, symbols, cancellationToken)) ||
            !OneCancellation(TokenArgument(call, symbols), TokenArgument(wait, symbols)))
        {
            return null;
        }

        return new PipelineLoop(
            loopSyntax,
            tryStatement,
            callExpression,
            invocationSyntax,
            result,
            awaited,
            attempts,
            removed,
            TokenArgument(call, symbols),
            TokenArgument(wait, symbols))
        {
            Capped = cap is not null,
        };
    }

    private static StatementSyntax? LoopBody(StatementSyntax loop) => loop switch
    {
        ForStatementSyntax forLoop => forLoop.Statement,
        WhileStatementSyntax whileLoop => whileLoop.Statement,
        DoStatementSyntax doLoop => doLoop.Statement,
        _ => null,
    };

    // await Task.Delay(…)  await Task.Delay(…).ConfigureAwait(false)  Thread.Sleep(…)
    private static bool IsWaitExpression(ExpressionSyntax expression, SyntaxNode wait)
    {
        var inner = expression is AwaitExpressionSyntax awaited ? awaited.Expression : expression;
        if (inner is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait", Expression: var configured } })
        {
            inner = configured;
        }

        return inner == wait;
    }

    /// <summary>
    /// The attempts the loop makes at most; null when its bound is not a constant count of one counter. The body may read
    /// a <c>for</c> counter only where <paramref name="goes"/> says the code goes with the loop.
    /// </summary>
    private static int? Bound(ILoopOperation loop, StatementSyntax loopSyntax, ILocalSymbol? increment, Locals locals, Func<SyntaxNode, bool> goes, out ILocalSymbol? flag, out SyntaxNode? counterDeclaration)
    {
        flag = null;
        counterDeclaration = null;
        ExpressionSyntax? condition;
        ILocalSymbol? counter;
        int start;
        if (loop is IForLoopOperation forLoop)
        {
            counter = HandWrittenRetryLoops.LoopCounter(loop);
            if (increment is not null || counter is null || loopSyntax is not ForStatementSyntax forSyntax ||
                forSyntax.Declaration?.Variables[0].Initializer?.Value is not { } initial ||
                locals.Constant(initial) is not { } first)
            {
                return null;
            }

            // The counter only counts: nothing in the body reads it (the wait, which goes, may).
            if (locals.References(counter).Any(r => forLoop.Body.Syntax.Span.Contains(r.Span) && !goes(r)))
            {
                return null;
            }

            condition = forSyntax.Condition;
            start = first;
        }
        else
        {
            // while (attempt < 3) / do … while (attempt < 3): a local declared before the loop, counted once per failure.
            counter = increment;
            if (counter is null || !locals.OnlyUsedBy(counter, loopSyntax, out counterDeclaration) ||
                locals.Initializer(counter) is not { } initial || locals.Constant(initial) is not { } first)
            {
                return null;
            }

            condition = loopSyntax switch
            {
                WhileStatementSyntax whileLoop => whileLoop.Condition,
                DoStatementSyntax doLoop => doLoop.Condition,
                _ => null,
            };
            start = first;
        }

        int? limit = null;
        foreach (var part in Conjuncts(condition))
        {
            if (part is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression, Operand: IdentifierNameSyntax flagName } &&
                flag is null && locals.Symbol(flagName) is ILocalSymbol { Type.SpecialType: SpecialType.System_Boolean } local &&
                locals.StartsFalseAtTheLoop(local, loopSyntax))
            {
                flag = local;
            }
            else if (limit is null && part is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LessThanExpression or (int)SyntaxKind.LessThanOrEqualExpression } comparison &&
                     comparison.Left is IdentifierNameSyntax left && SymbolEqualityComparer.Default.Equals(locals.Symbol(left), counter) &&
                     locals.Constant(comparison.Right) is { } end)
            {
                limit = comparison.IsKind(SyntaxKind.LessThanExpression) ? end - start : end - start + 1;
            }
            else
            {
                return null;
            }
        }

        return limit;
    }

    private static IEnumerable<ExpressionSyntax> Conjuncts(ExpressionSyntax? condition)
    {
        if (condition is null)
        {
            yield break;
        }

        if (condition is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression } and)
        {
            foreach (var part in Conjuncts(and.Left).Concat(Conjuncts(and.Right)))
            {
                yield return part;
            }
        }
        else
        {
            yield return condition is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : condition;
        }
    }

    // return await C;  x = await C;  await C;  return C;  (the expression that yields the call's value)
    private static ExpressionSyntax? CallExpression(StatementSyntax statement, Locals locals, StatementSyntax loop)
    {
        var expression = statement switch
        {
            ReturnStatementSyntax { Expression: { } returned } => returned,
            ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax target, Right: var value } }
                when locals.Symbol(target) is ILocalSymbol local && !local.DeclaringSyntaxReferences.Any(r => loop.Span.Contains(r.Span)) => value,
            ExpressionStatementSyntax { Expression: AwaitExpressionSyntax awaited } => awaited,
            ExpressionStatementSyntax { Expression: InvocationExpressionSyntax invocation } => invocation,
            _ => null,
        };
        return expression is AwaitExpressionSyntax or InvocationExpressionSyntax ? expression : null;
    }

    // client.CallAsync(…).ConfigureAwait(false) → client.CallAsync(…)
    private static InvocationExpressionSyntax? Unawaited(ExpressionSyntax awaited, SemanticModel model, CancellationToken cancellationToken)
    {
        if (awaited is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait", Expression: InvocationExpressionSyntax inner } } &&
            model.GetSymbolInfo(awaited, cancellationToken).Symbol is IMethodSymbol { Name: "ConfigureAwait" })
        {
            return inner;
        }

        return awaited as InvocationExpressionSyntax;
    }

    /// <summary>The call moves into a lambda: it may read nothing declared in the loop, no ref-like or by-ref value, no struct's <c>this</c>.</summary>
    private static bool Capturable(IOperation? call, StatementSyntax loop)
    {
        if (call is null)
        {
            return false;
        }

        foreach (var operation in call.DescendantsAndSelf())
        {
            switch (operation)
            {
                case ILocalReferenceOperation local when local.Local.IsRef || local.Local.Type.IsRefLikeType ||
                                                          local.Local.DeclaringSyntaxReferences.Any(r => loop.Span.Contains(r.Span)):
                case IParameterReferenceOperation parameter when parameter.Parameter.RefKind != RefKind.None || parameter.Parameter.Type.IsRefLikeType:
                case IInstanceReferenceOperation { Type.IsValueType: true }:
                case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out }:
                case IDeclarationExpressionOperation:
                    return false;
            }
        }

        return true;
    }

    // The call reads a local whose declaration goes with the loop (the counter, a success flag).
    private static bool ReadsRemovedLocal(ExpressionSyntax call, List<SyntaxNode> removed, Locals locals)
        => call.DescendantNodes().OfType<IdentifierNameSyntax>().Any(i =>
            locals.Symbol(i) is ILocalSymbol local && local.DeclaringSyntaxReferences.Any(r => removed.Any(d => d.Span.Contains(r.Span))));

    // The loop's wait throws the caller's cancellation out of the catch; the pipeline throws it into the kept catch, which would swallow it.
    private static bool CatchesCancellation(CatchClauseSyntax catchClause, SemanticModel model, RetrySymbols symbols, CancellationToken cancellationToken)
    {
        var caught = catchClause.Declaration is { } declaration ? model.GetTypeInfo(declaration.Type, cancellationToken).Type : null;
        return caught is null || symbols.IsCancellation(caught) ||
               (symbols.OperationCanceledException is { } cancellation && model.Compilation.ClassifyConversion(cancellation, caught).IsImplicit);
    }

    // The pipeline takes one token, for all the attempts and waits: not one made per attempt (new CancellationTokenSource(…).Token),
    // nor a wait's token other than the call's (its cancellation would no longer end the retries).
    private static bool OneCancellation(ExpressionSyntax? callToken, ExpressionSyntax? waitToken)
        => callToken is null ||
           (!callToken.DescendantNodesAndSelf().Any(n => n is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax) &&
            (waitToken is null || SyntaxFactory.AreEquivalent(callToken, waitToken)));

    /// <summary>
    /// Writes state or calls the application's own code (a log, a counter): it must not run more often than the loop ran
    /// it. A static helper that only returns an expression reading nothing it could change (<c>static bool
    /// IsTransient(Exception e) =&gt; e is HttpRequestException;</c>) is not counted.
    /// </summary>
    internal static bool MayHaveSideEffects(IOperation operation)
        => operation is IAssignmentOperation or IIncrementOrDecrementOperation ||
           (operation is IInvocationOperation { TargetMethod: var method } && method.Locations.Any(l => l.IsInSource) && !IsPureHelper(method, operation.SemanticModel));

    // static bool F(…) => expression;  or  { return expression; }: no assignment, no await, no call into the application's own code.
    private static bool IsPureHelper(IMethodSymbol method, SemanticModel? model)
    {
        if (model is null || !method.IsStatic || method.MethodKind != MethodKind.Ordinary || method.DeclaringSyntaxReferences.Length != 1 ||
            method.DeclaringSyntaxReferences[0].GetSyntax() is not MethodDeclarationSyntax declaration ||
            (declaration.ExpressionBody?.Expression ?? (declaration.Body is { Statements.Count: 1 } block && block.Statements[0] is ReturnStatementSyntax { Expression: { } returned } ? returned : null)) is not { } body ||
            !model.Compilation.ContainsSyntaxTree(declaration.SyntaxTree) ||
            model.Compilation.GetSemanticModel(declaration.SyntaxTree).GetOperation(body) is not { } operation)
        {
            return false;
        }

        return !operation.DescendantsAndSelf().Any(o =>
            o is IAssignmentOperation or IIncrementOrDecrementOperation or IAwaitOperation or IAnonymousFunctionOperation ||
            (o is IInvocationOperation { TargetMethod: var called } && called.Locations.Any(l => l.IsInSource)));
    }

    internal static bool ReadsMethodTypeParameter(ITypeSymbol type) => type switch
    {
        ITypeParameterSymbol { TypeParameterKind: not TypeParameterKind.Type } => true,
        IArrayTypeSymbol array => ReadsMethodTypeParameter(array.ElementType),
        INamedTypeSymbol named => named.TypeArguments.Any(ReadsMethodTypeParameter),
        _ => false,
    };

    /// <summary>The filter moves into a static field's initializer: it may read only the exception, constants and static members, and change nothing.</summary>
    private static bool FilterIsStatic(CatchClauseSyntax catchClause, SemanticModel model, CancellationToken cancellationToken)
        => catchClause.Filter is null ||
           MovesIntoStaticField(catchClause.Filter.FilterExpression, catchClause.Declaration is { } declaration ? model.GetDeclaredSymbol(declaration, cancellationToken) : null, model, cancellationToken);

    /// <summary>
    /// <paramref name="expression"/> can move into a static field's lambda whose parameter is <paramref name="subject"/>:
    /// it reads only that, locals it declares, constants and static members; it names no method type parameter; and it
    /// changes nothing (<see cref="MayHaveSideEffects"/>: the pipeline runs it several times an attempt, the kept code once more).
    /// </summary>
    private static bool MovesIntoStaticField(ExpressionSyntax expression, ISymbol? subject, SemanticModel model, CancellationToken cancellationToken)
    {
        if (model.GetOperation(expression, cancellationToken) is not { } operation ||
            expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(i =>
                model.GetSymbolInfo(i, cancellationToken).Symbol is ITypeParameterSymbol { TypeParameterKind: TypeParameterKind.Method }))
        {
            return false;
        }

        foreach (var part in operation.DescendantsAndSelf())
        {
            if (MayHaveSideEffects(part))
            {
                return false;
            }

            switch (part)
            {
                case ILocalReferenceOperation local when !SymbolEqualityComparer.Default.Equals(local.Local, subject) &&
                                                          !expression.Span.Contains(local.Local.DeclaringSyntaxReferences.FirstOrDefault()?.Span ?? default):
                case IParameterReferenceOperation:
                case IInstanceReferenceOperation:
                case IAwaitOperation:
                    return false;
            }
        }

        return true;
    }

    private static ExpressionSyntax? TokenArgument(IInvocationOperation invocation, RetrySymbols symbols)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.Explicit && SymbolEqualityComparer.Default.Equals(argument.Parameter?.Type, symbols.CancellationToken) &&
                argument.Value.Syntax is ExpressionSyntax token && !token.IsKind(SyntaxKind.DefaultLiteralExpression))
            {
                return token;
            }
        }

        return null;
    }

    /// <summary>What the reading needs about the member's locals: their references, declarations and constant values.</summary>
    private sealed class Locals
    {
        private readonly MemberDeclarationSyntax _member;
        private readonly SemanticModel _model;
        private readonly CancellationToken _cancellationToken;

        public Locals(MemberDeclarationSyntax member, SemanticModel model, CancellationToken cancellationToken)
        {
            _member = member;
            _model = model;
            _cancellationToken = cancellationToken;
        }

        public ISymbol? Symbol(ExpressionSyntax expression) => _model.GetSymbolInfo(expression, _cancellationToken).Symbol;

        public int? Constant(ExpressionSyntax expression)
            => _model.GetConstantValue(expression, _cancellationToken) is { HasValue: true, Value: int value } ? value : null;

        public IEnumerable<IdentifierNameSyntax> References(ISymbol symbol)
            => _member.DescendantNodes().OfType<IdentifierNameSyntax>()
                .Where(i => i.Identifier.ValueText == symbol.Name && SymbolEqualityComparer.Default.Equals(Symbol(i), symbol));

        /// <summary><c>attempt++;</c>, <c>++attempt;</c>, <c>attempt += 1;</c>: the local counted, else null.</summary>
        public ILocalSymbol? Incremented(StatementSyntax statement)
        {
            var target = (statement as ExpressionStatementSyntax)?.Expression switch
            {
                PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression, Operand: IdentifierNameSyntax name } => name,
                PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression, Operand: IdentifierNameSyntax name } => name,
                AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.AddAssignmentExpression, Left: IdentifierNameSyntax name } add when Constant(add.Right) == 1 => name,
                _ => null,
            };
            return target is not null && Symbol(target) is ILocalSymbol { Type.SpecialType: SpecialType.System_Int32 } local ? local : null;
        }

        /// <summary><c>flag = value;</c></summary>
        public bool AssignsConstant(StatementSyntax statement, ILocalSymbol local, bool value)
            => statement is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax target, Right: var right } } &&
               SymbolEqualityComparer.Default.Equals(Symbol(target), local) &&
               _model.GetConstantValue(right, _cancellationToken) is { HasValue: true, Value: bool assigned } && assigned == value;

        /// <summary>A success flag: initialized to <c>false</c> and not touched between its declaration and the loop.</summary>
        public bool StartsFalseAtTheLoop(ILocalSymbol flag, StatementSyntax loop)
            => Initializer(flag) is { } initial && _model.GetConstantValue(initial, _cancellationToken) is { HasValue: true, Value: false } &&
               !References(flag).Any(r => r.SpanStart < loop.SpanStart);

        public ExpressionSyntax? Initializer(ILocalSymbol local)
            => local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: { } value } ? value : null;

        /// <summary>
        /// The local is declared alone (<c>var attempt = 0;</c>) in the loop's block before it, and read or written only in
        /// the loop: its declaration goes with the loop.
        /// </summary>
        public bool OnlyUsedBy(ILocalSymbol local, StatementSyntax loop, out SyntaxNode? declaration)
        {
            declaration = null;
            if (local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) is not VariableDeclaratorSyntax
                {
                    Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax statement },
                } ||
                statement.Parent != loop.Parent || statement.SpanStart > loop.SpanStart ||
                References(local).Any(r => !loop.Span.Contains(r.Span)))
            {
                return false;
            }

            declaration = statement;
            return true;
        }
    }
}
