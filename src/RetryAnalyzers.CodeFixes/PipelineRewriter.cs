using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// The whole-retry rewrite of RA0001/RA0002: a hand-written retry loop around a provider call (<see cref="PipelineLoop"/>)
/// becomes one <c>ProviderPipeline</c> execution of that call — the token budget, the jittered retry that honours
/// Retry-After, the retry budget and the breaker — from a <c>static readonly</c> pipeline on the containing type, which
/// shares one <c>TokenBudget</c> across the type's fixed sites.
/// <code>
/// for (var i = 0; i &lt; 3; i++)                     try
/// {                                               {
///     try { return await client.CallAsync(p, ct); }     return await CallPipeline.ExecuteAsync(async token =&gt; await client.CallAsync(p, token), EstimatedTokensPerCall, ct);
///     catch (E e) when (f) { await Task.Delay(…); }  }
/// }                                               catch (E e) when (f) { /* the retries are spent */ }
/// return fallback;                                catch (BrokenCircuitException) { /* no recovery in time */ }
///                                                 return fallback;
/// </code>
/// The pipeline retries what the loop's catch retried (its type and filter become <c>isTransient</c>) and what the
/// runtime knows to be transient, at most <c>attempts - 1</c> times after failures (throttles wait at the gate instead,
/// within <c>MaxWaitForRecovery</c>); the last failure reaches the same catch, so the code after the loop runs as before.
/// </summary>
internal static partial class PipelineRewriter
{
    /// <summary>The title of the action, the same for every site.</summary>
    public const string Title = "Run through the provider pipeline (shared token budget, jittered retry honouring Retry-After, breaker)";

    private const string TokensPerMinuteName = "TokensPerMinute";
    private const string TokensPerCallName = "EstimatedTokensPerCall";
    private const string BudgetName = "ProviderBudget";
    private const string IsTransientName = "isTransient";
    private const string EquivalenceKeySuffix = ".RunThroughProviderPipeline";
    private const string ShouldRetryName = "shouldRetry";
    private const long PlaceholderTokensPerMinute = 30_000; // SharedProviderBudget.DefaultTokensPerMinute: a low tier
    private const long DefaultTokensPerCall = 1_024; // ProviderResilienceHandler.DefaultOutputTokens
    private const int MaxRetryAttemptsLimit = 100; // RuntimeDefaults.MaxRetryAttemptsLimit: more fails the options' validation, in the type's static initializer

    public static Action<DocumentEditor>? Plan(string ruleId, RetryShape shape, SyntaxNode node, SemanticModel model, AnalyzerConfigOptions options, CancellationToken cancellationToken)
        => shape switch
        {
            RetryShape.HandWrittenLoop => PlanLoop(ruleId, node, model, options, cancellationToken),
            RetryShape.PollyV7SleepProvider or RetryShape.PollyV7SleepDurations => PlanPollyV7(ruleId, node, model, options, cancellationToken),
            RetryShape.PollyV8Options => PlanPollyV8(ruleId, node, model, options, cancellationToken),
            _ => null,
        };

    /// <summary>
    /// RA0006's whole-retry rewrite of an unbounded loop (<c>while (true)</c>, <c>for (;;)</c>) around a provider call:
    /// the pipeline makes <paramref name="retries"/> retries, and the last failure propagates, as after RA0006's cap.
    /// </summary>
    public static Action<DocumentEditor>? PlanCappedLoop(string ruleId, SyntaxNode node, SemanticModel model, AnalyzerConfigOptions options, int retries, CancellationToken cancellationToken)
        => PlanLoop(ruleId, node, model, options, cancellationToken, retries);

    /// <summary>
    /// Adds the pipeline action <paramref name="plan"/> makes (if any) to a rule's <paramref name="plans"/>: last, or first
    /// when <c>dotnet_diagnostic.RAxxxx.fix = pipeline</c> (so <c>dotnet format analyzers</c> applies it).
    /// </summary>
    public static void Offer(List<FixPlan> plans, string ruleId, Document document, SyntaxNode root, Func<AnalyzerConfigOptions, Action<DocumentEditor>?> plan)
    {
        var options = document.Project.AnalyzerOptions.AnalyzerConfigOptionsProvider.GetOptions(root.SyntaxTree);
        if (plan(options) is { } edit)
        {
            var pipelineFirst = options.TryGetValue($"dotnet_diagnostic.{ruleId}.fix", out var choice) &&
                                string.Equals(choice.Trim(), "pipeline", StringComparison.OrdinalIgnoreCase);
            plans.Insert(pipelineFirst ? 0 : plans.Count, new FixPlan(Title, ruleId + EquivalenceKeySuffix, edit));
        }
    }

    private static Action<DocumentEditor>? PlanLoop(string ruleId, SyntaxNode node, SemanticModel model, AnalyzerConfigOptions options, CancellationToken cancellationToken, int? cap = null)
    {
        var symbols = RetrySymbols.TryCreate(model.Compilation);
        if (symbols is null ||
            model.GetOperation(node, cancellationToken) is not IInvocationOperation wait ||
            HandWrittenRetryLoops.RetryLoopOf(wait, symbols) is not { } loop)
        {
            return null;
        }

        if (cap is null && PipelineLoop.ReadStatusCheck(wait, loop, model, symbols, cancellationToken) is { } statusLoop)
        {
            return PlanStatusLoop(ruleId, statusLoop, model, options, cancellationToken);
        }

        if (PipelineLoop.Read(wait, loop, model, symbols, cancellationToken, cap) is not { } retry ||
            OuterOf(retry.Loop, retry.CallStatementExpression, retry.Call, model, cancellationToken) is not { } outer ||
            !TokenIsOutsideTheLoop(retry.Loop, retry.CallToken, retry.WaitToken, model, cancellationToken))
        {
            return null;
        }

        if (retry.Capped)
        {
            return PlanCapped(ruleId, retry, outer, model, options, cancellationToken);
        }

        // The try is written out at the loop's indentation (its own unit of indentation kept), one argument a line.
        var layout = Layout.Of(retry.Loop, retry.Try, cancellationToken);
        var brokenCircuit = BrokenCircuitCatch(retry.Catch, model, cancellationToken);
        return Build(ruleId, model, options, retry.Loop, retry.Result, retry.Attempts - 1, IsTransientName, IsTransient(retry.Catch), names =>
        {
            var execution = Execution(names, retry.CallStatementExpression, retry.Awaited, retry.CallToken, retry.CallToken ?? retry.WaitToken, outer, layout.Indentation + layout.Unit + layout.Unit, layout.EndOfLine);
            return editor =>
            {
                if (brokenCircuit is not null)
                {
                    Imports.AddUsing(editor, brokenCircuit.ContainingNamespace.ToDisplayString());
                }

                editor.ReplaceNode(retry.Loop, Rewritten(retry, execution, brokenCircuit, layout).WithTriviaFrom(retry.Loop));
                foreach (var removed in retry.Removed.Where(r => !retry.Loop.Span.Contains(r.Span)))
                {
                    editor.RemoveNode(removed, SyntaxRemoveOptions.KeepNoTrivia);
                }
            };
        });
    }

    /// <summary>
    /// The fields of the type (the limit, the tokens per call and the budget, unless a former fix added them; the site's
    /// pipeline) and the site's own edit, given the names it uses. Null when the type cannot hold them.
    /// </summary>
    private static Action<DocumentEditor>? Build(
        string ruleId, SemanticModel model, AnalyzerConfigOptions options, SyntaxNode site, ITypeSymbol result, int maxRetryAttempts, string predicateName, string predicate, Func<SiteNames, Action<DocumentEditor>> edit)
    {
        var compilation = model.Compilation;
        var pipelineType = compilation.GetTypeByMetadataName(KnownTypes.RuntimeProviderPipeline);
        var pipelineOfT = compilation.GetTypeByMetadataName(KnownTypes.RuntimeProviderPipelineOfT);
        var budgetType = compilation.GetTypeByMetadataName(KnownTypes.RuntimeTokenBudget);
        var budgetOptions = compilation.GetTypeByMetadataName(KnownTypes.RuntimeTokenBudgetOptions);
        var resilienceOptions = compilation.GetTypeByMetadataName(KnownTypes.RuntimeProviderResilienceOptions);
        var valueTask = compilation.GetTypeByMetadataName(KnownTypes.ValueTaskOfT)?.Construct(result).ToMinimalDisplayString(model, site.SpanStart);
        if (pipelineType is null || pipelineOfT is null || budgetType is null || budgetOptions is null || resilienceOptions is null || valueTask is null ||
            maxRetryAttempts > MaxRetryAttemptsLimit ||
            site.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not (ClassDeclarationSyntax or RecordDeclarationSyntax { ClassOrStructKeyword.RawKind: not (int)SyntaxKind.StructKeyword }) ||
            model.GetDeclaredSymbol(site.FirstAncestorOrSelf<TypeDeclarationSyntax>()!) is not { } type ||
            SitesInOtherParts(type, site.FirstAncestorOrSelf<TypeDeclarationSyntax>()!) ||
            PipelineName(site, type) is not { } pipelineName)
        {
            return null;
        }

        var budget = ExistingBudget(type, budgetType);
        var members = new List<MemberDeclarationSyntax>();
        if (budget is null)
        {
            if (!Free(type, TokensPerMinuteName) || !Free(type, BudgetName))
            {
                return null;
            }

            members.Add(TokensPerMinute(ruleId, options));
        }

        var tokensPerCall = ExistingConstant(type, TokensPerCallName);
        if (!tokensPerCall && !Free(type, TokensPerCallName))
        {
            return null;
        }

        if (!tokensPerCall)
        {
            var perCall = Option(options, ruleId, "tokens_per_call") ?? DefaultTokensPerCall;
            members.Add(Member($"private const long {TokensPerCallName} = {Number(perCall)}; // prompt + max output of one call, drawn from the budget per attempt"));
        }

        if (budget is null)
        {
            members.Add(Member($"private static readonly {Name(budgetType)} {BudgetName} = new {Name(budgetType)}({Name(budgetOptions)}.PerMinute({TokensPerMinuteName}));"));
        }

        // Create<TResult>(…, isTransient: exception => …) for calls that fail by exception; CreateForResponses(…, shouldRetry: response => …) for HTTP responses checked by status.
        var resultName = result.ToMinimalDisplayString(model, site.SpanStart);
        var factory = predicateName == ShouldRetryName ? "CreateForResponses" : $"Create<{resultName}>";
        members.Add(Member(
            $"private static readonly {Name(pipelineOfT)}<{resultName}> {pipelineName} = {Name(pipelineType)}.{factory}(\n" +
            $"    new {Name(resilienceOptions)} {{ Budget = {budget?.Name ?? BudgetName}, MaxRetryAttempts = {maxRetryAttempts} }},\n" +
            $"    {predicateName}: {predicate});"));

        var siteEdit = edit(new SiteNames(pipelineName, RetryRewriter.UniqueName(model, site, "token"), valueTask));
        var typeSyntax = site.FirstAncestorOrSelf<TypeDeclarationSyntax>()!;
        return editor =>
        {
            Imports.AddUsing(editor, pipelineType.ContainingNamespace.ToDisplayString());
            siteEdit(editor);
            editor.ReplaceNode(typeSyntax, (current, _) => AddMembers((TypeDeclarationSyntax)current, members));
        };
    }

    // A synchronous call's loop in a lock (or an unsafe block) of an async function: no await there, it blocks as it did.
    private static bool NoAwaitAllowed(SyntaxNode loop)
        => loop.Ancestors().TakeWhile(a => a is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax))
            .Any(a => a is LockStatementSyntax or UnsafeStatementSyntax);

    // The wait's token (used when the call takes none) must not be declared in the loop that goes away.
    private static bool TokenIsOutsideTheLoop(StatementSyntax loop, ExpressionSyntax? callToken, ExpressionSyntax? waitToken, SemanticModel model, CancellationToken cancellationToken)
        => callToken is not null || waitToken is null ||
           waitToken.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().All(i =>
               model.GetSymbolInfo(i, cancellationToken).Symbol is not ILocalSymbol local ||
               !local.DeclaringSyntaxReferences.Any(r => loop.Span.Contains(r.Span)));

    // How the execution is consumed where the loop made the call: awaited (as the call was: ConfigureAwait(false) stays so,
    // ConfigureAwait(true) is the plain await, any other argument is not rewritten), or blocked on in a synchronous method.
    private static Outer? OuterOf(StatementSyntax loop, ExpressionSyntax callStatementExpression, InvocationExpressionSyntax call, SemanticModel model, CancellationToken cancellationToken)
    {
        if (model.GetEnclosingSymbol(loop.SpanStart, cancellationToken) is not IMethodSymbol function)
        {
            return null;
        }

        var onCapturedContext = callStatementExpression is AwaitExpressionSyntax
        {
            Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" }, ArgumentList.Arguments.Count: 1 } awaitedCall,
        } && awaitedCall != call
            ? model.GetConstantValue(awaitedCall.ArgumentList.Arguments[0].Expression, cancellationToken) is { HasValue: true, Value: bool captured } ? captured : (bool?)null
            : true;
        if (onCapturedContext is null)
        {
            return null;
        }

        return !function.IsAsync || NoAwaitAllowed(loop) ? Outer.Block : onCapturedContext == false ? Outer.AwaitConfigured : Outer.Await;
    }

    /// <summary>
    /// <c>AskPipeline</c> for a site in <c>AskAsync</c>; the n-th site (loop or policy execution) of the type's members of
    /// that name (<c>Ask</c> and <c>AskAsync</c> alike) gets n appended, so every site of a Fix All has its own field. Null
    /// when a member of the type has the name already.
    /// </summary>
    private static string? PipelineName(SyntaxNode site, INamedTypeSymbol type)
    {
        var typeSyntax = site.FirstAncestorOrSelf<TypeDeclarationSyntax>();
        var memberName = MemberName(site.FirstAncestorOrSelf<MemberDeclarationSyntax>());
        if (memberName is not { Length: > 0 } || typeSyntax is null)
        {
            return null;
        }

        var baseName = BaseName(memberName);
        var ordinal = 1 + typeSyntax.DescendantNodes()
            .Where(n => IsSite(n) && n.SpanStart < site.SpanStart)
            .Count(n => MemberName(n.FirstAncestorOrSelf<MemberDeclarationSyntax>()) is { } other && BaseName(other) == baseName);
        var name = baseName + "Pipeline" + (ordinal > 1 ? ordinal.ToString(CultureInfo.InvariantCulture) : string.Empty);
        return Free(type, name) ? name : null;
    }

    // AskAsync → Ask: Ask and AskAsync (and ask) name their pipelines alike, so their sites are counted together.
    private static string BaseName(string memberName)
    {
        if (memberName.Length == 0)
        {
            return memberName; // a method still being typed
        }

        var baseName = memberName.EndsWith("Async", StringComparison.Ordinal) && memberName.Length > "Async".Length
            ? memberName.Substring(0, memberName.Length - "Async".Length)
            : memberName;
        return char.ToUpperInvariant(baseName[0]) + baseName.Substring(1);
    }

    // Fix All edits each part of a partial type on its own (each file apart): each part with a site would add the shared fields.
    private static bool SitesInOtherParts(INamedTypeSymbol type, TypeDeclarationSyntax typeSyntax)
        => type.DeclaringSyntaxReferences.Any(r => (r.SyntaxTree != typeSyntax.SyntaxTree || r.Span != typeSyntax.Span) && r.GetSyntax().DescendantNodes().Any(IsSite));

    private static bool IsSite(SyntaxNode node)
        => node is ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax ||
           node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Execute" or "ExecuteAsync" } };

    private static string? MemberName(MemberDeclarationSyntax? member) => member switch
    {
        MethodDeclarationSyntax method => method.Identifier.ValueText,
        ConstructorDeclarationSyntax => "Constructor",
        PropertyDeclarationSyntax property => property.Identifier.ValueText,
        _ => null,
    };

    private static bool Free(INamedTypeSymbol type, string name) => type.GetMembers(name).IsEmpty && !type.MemberNames.Contains(name);

    // A static TokenBudget field of the type (a former fix's ProviderBudget): later sites share it.
    private static IFieldSymbol? ExistingBudget(INamedTypeSymbol type, INamedTypeSymbol budgetType)
        => type.GetMembers(BudgetName).OfType<IFieldSymbol>().FirstOrDefault(f => f.IsStatic && SymbolEqualityComparer.Default.Equals(f.Type, budgetType));

    private static bool ExistingConstant(INamedTypeSymbol type, string name)
        => type.GetMembers(name).OfType<IFieldSymbol>().Any(f => f.IsConst && f.Type.SpecialType == SpecialType.System_Int64);

    /// <summary>
    /// The limit from <c>dotnet_diagnostic.RAxxxx.tokens_per_minute</c>; without it a low-tier placeholder under a
    /// <c>#warning</c> that names the constant and the option, so the build points at it until someone sets the real limit.
    /// </summary>
    private static MemberDeclarationSyntax TokensPerMinute(string ruleId, AnalyzerConfigOptions options)
    {
        var declaration = $"private const long {TokensPerMinuteName} = ";
        if (Option(options, ruleId, "tokens_per_minute") is { } configured)
        {
            return Member($"{declaration}{Number(configured)}; // dotnet_diagnostic.{ruleId}.tokens_per_minute");
        }

        var warning = SyntaxFactory.ParseLeadingTrivia(
            $"#warning {ruleId}: set {TokensPerMinuteName} to your provider's tokens-per-minute limit (or dotnet_diagnostic.{ruleId}.tokens_per_minute in .editorconfig), then delete this line\n");
        return Member($"{declaration}{Number(PlaceholderTokensPerMinute)};").WithLeadingTrivia(warning);
    }

    internal static long? Option(AnalyzerConfigOptions options, string ruleId, string name)
        => options.TryGetValue($"dotnet_diagnostic.{ruleId}.{name}", out var text) &&
           long.TryParse(text.Trim().Replace("_", string.Empty), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 1
            ? value
            : null;

    private static string Number(long value) => value.ToString("#,0", CultureInfo.InvariantCulture).Replace(",", "_");

    // global::RetryAnalyzers.Runtime.TokenBudget, reduced by the simplifier to TokenBudget once the using is added.
    private static string Name(INamedTypeSymbol type) => "global::" + type.ContainingNamespace.ToDisplayString() + "." + type.Name;

    private static MemberDeclarationSyntax Member(string text)
        => SyntaxFactory.ParseMemberDeclaration(text + "\n")!.WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);

    /// <summary><c>exception =&gt; exception is E e &amp;&amp; (filter)</c>: what the loop's catch retried.</summary>
    private static string IsTransient(CatchClauseSyntax catchClause)
    {
        var variable = catchClause.Declaration?.Identifier.ValueText;
        var parameter = variable == "exception" ? "caught" : "exception";
        if (catchClause.Declaration is not { } declaration)
        {
            return $"{parameter} => true";
        }

        var test = $"{parameter} is {declaration.Type.WithoutTrivia()}";
        if (catchClause.Filter is not { } filter)
        {
            return $"{parameter} => {test}";
        }

        return string.IsNullOrEmpty(variable)
            ? $"{parameter} => {test} && ({filter.FilterExpression.WithoutTrivia()})"
            : $"{parameter} => {test} {variable} && ({filter.FilterExpression.WithoutTrivia()})";
    }

    // await CallPipeline.ExecuteAsync(async token => await client.CallAsync(…, token), EstimatedTokensPerCall, ct)
    private static ExpressionSyntax Execution(SiteNames names, ExpressionSyntax call, bool awaited, ExpressionSyntax? callToken, ExpressionSyntax? token, Outer outer, string indent, string endOfLine)
    {
        var inLambda = callToken is not null ? call.ReplaceNode(callToken, SyntaxFactory.IdentifierName(names.Token).WithTriviaFrom(callToken)) : call;
        var lambda = awaited
            ? $"async {names.Token} => {inLambda.WithoutTrivia()}"
            : $"{names.Token} => new {names.ValueTask}({inLambda.WithoutTrivia()})";
        var arguments = $"{endOfLine}{indent}{lambda},{endOfLine}{indent}{TokensPerCallName}" + (token is null ? string.Empty : $",{endOfLine}{indent}{token.WithoutTrivia()}");
        var execute = $"{names.Pipeline}.ExecuteAsync({arguments})";
        var text = outer switch
        {
            Outer.Await => $"await {execute}",
            Outer.AwaitConfigured => $"await {execute}.ConfigureAwait(false)",
            Outer.Block => $"{execute}.AsTask().GetAwaiter().GetResult()",
            Outer.Plain => execute,
            _ => $"{execute}.AsTask()",
        };
        return SyntaxFactory.ParseExpression(text).WithAdditionalAnnotations(Simplifier.Annotation);
    }

    // The loop's try, run once: the call through the pipeline, the catch that now only sees the last failure.
    private static StatementSyntax Rewritten(PipelineLoop retry, ExpressionSyntax execution, INamedTypeSymbol? brokenCircuit, Layout layout)
    {
        var (indentation, unit, eol) = (layout.Indentation, layout.Unit, layout.EndOfLine);
        var text = new StringBuilder().Append("try").Append(eol).Append(indentation).Append('{').Append(eol);
        var first = retry.Try.Block.Statements[0];
        foreach (var statement in retry.Try.Block.Statements.Where(s => !retry.Removed.Contains(s)))
        {
            var written = statement == first ? statement.ReplaceNode(retry.CallStatementExpression, execution) : statement;
            text.Append(indentation).Append(unit).Append(written.WithoutTrivia().ToFullString()).Append(eol);
        }

        text.Append(indentation).Append('}');
        void Catch(string header, string comment)
            => text.Append(eol).Append(indentation).Append(header).Append(eol)
                .Append(indentation).Append('{').Append(eol)
                .Append(indentation).Append(unit).Append(comment).Append(eol)
                .Append(indentation).Append('}');

        var catchClause = retry.Catch;
        Catch(
            catchClause.ToString().Substring(0, catchClause.Block.SpanStart - catchClause.SpanStart).TrimEnd(),
            "// the pipeline's retries are spent: go on as after the loop's last attempt");
        if (brokenCircuit is not null)
        {
            Catch($"catch ({Name(brokenCircuit)})", "// the provider did not recover within MaxWaitForRecovery: go on as after the loop's last attempt");
        }

        var rewritten = (TryStatementSyntax)SyntaxFactory.ParseStatement(text.ToString());
        return brokenCircuit is null
            ? rewritten
            : rewritten.ReplaceNode(rewritten.Catches.Last().Declaration!.Type, rewritten.Catches.Last().Declaration!.Type.WithAdditionalAnnotations(Simplifier.Annotation));
    }

    /// <summary>Where the rewritten <c>try</c> goes: the loop's indentation, the file's unit of indentation and line ending.</summary>
    private sealed record Layout(string Indentation, string Unit, string EndOfLine)
    {
        public static Layout Of(StatementSyntax loop, SyntaxNode inner, CancellationToken cancellationToken)
        {
            var text = loop.SyntaxTree.GetText(cancellationToken);
            string Prefix(SyntaxNode node)
            {
                var line = text.Lines.GetLineFromPosition(node.SpanStart);
                var prefix = text.ToString(TextSpan.FromBounds(line.Start, node.SpanStart));
                return prefix.Trim().Length == 0 ? prefix : string.Empty;
            }

            var indentation = Prefix(loop);
            var body = Prefix(inner);
            var unit = body.Length > indentation.Length && body.StartsWith(indentation, StringComparison.Ordinal) ? body.Substring(indentation.Length) : "    ";
            var endOfLine = loop.SyntaxTree.GetRoot(cancellationToken).DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
            return new Layout(indentation, unit, endOfLine.IsKind(SyntaxKind.None) ? "\n" : endOfLine.ToString());
        }
    }

    /// <summary>
    /// While the provider keeps failing, the pipeline's breaker holds the call for its recovery, up to
    /// <c>MaxWaitForRecovery</c>, then ends it with <c>BrokenCircuitException</c>: caught beside the loop's own catch (unless
    /// that one catches it already), so the code after the loop runs then too, as after the loop's last attempt.
    /// </summary>
    private static INamedTypeSymbol? BrokenCircuitCatch(CatchClauseSyntax catchClause, SemanticModel model, CancellationToken cancellationToken)
    {
        var brokenCircuit = model.Compilation.GetTypeByMetadataName(KnownTypes.PollyBrokenCircuitException);
        if (brokenCircuit is null || catchClause.Declaration is null)
        {
            return null;
        }

        var caught = model.GetTypeInfo(catchClause.Declaration.Type, cancellationToken).Type;
        var catchesIt = catchClause.Filter is null && model.Compilation.ClassifyConversion(brokenCircuit, caught ?? brokenCircuit).IsImplicit && caught is not null;
        return catchesIt ? null : brokenCircuit;
    }

    // The new fields go after the fields a former fix added (so a Fix All keeps them together), else first in the type.
    private static TypeDeclarationSyntax AddMembers(TypeDeclarationSyntax type, List<MemberDeclarationSyntax> members)
    {
        var present = new HashSet<string>(type.Members.OfType<FieldDeclarationSyntax>().SelectMany(f => f.Declaration.Variables).Select(v => v.Identifier.ValueText));
        var added = members.Where(m => !present.Contains(((FieldDeclarationSyntax)m).Declaration.Variables[0].Identifier.ValueText)).ToList();
        var index = 0;
        for (var i = 0; i < type.Members.Count; i++)
        {
            if (type.Members[i] is FieldDeclarationSyntax field &&
                (field.Declaration.Variables.Any(v => v.Identifier.ValueText is TokensPerMinuteName or TokensPerCallName or BudgetName) ||
                 field.Declaration.Type.ToString().Contains("ProviderPipeline<")))
            {
                index = i + 1;
            }
        }

        var current = type.Members;
        var blankLine = index == 0; // after a former fix's fields, the blank line below them is there already
        if (added.Count > 0 && index > 0 && current[index - 1].GetTrailingTrivia() is { Count: >= 2 } trailing &&
            trailing[trailing.Count - 1].IsKind(SyntaxKind.EndOfLineTrivia) && trailing[trailing.Count - 2].IsKind(SyntaxKind.EndOfLineTrivia))
        {
            // The blank line after a former fix's fields moves below the new ones.
            current = current.Replace(current[index - 1], current[index - 1].WithTrailingTrivia(trailing.RemoveAt(trailing.Count - 1)));
            blankLine = true;
        }

        if (added.Count > 0 && blankLine && index < type.Members.Count)
        {
            // A blank line between the new fields and the type's own members, in the file's line ending.
            var endOfLine = type.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
            var last = added[added.Count - 1];
            added[added.Count - 1] = last.WithTrailingTrivia(last.GetTrailingTrivia().Add(endOfLine.IsKind(SyntaxKind.None) ? SyntaxFactory.EndOfLine("\n") : endOfLine));
        }

        return type.WithMembers(current.InsertRange(index, added));
    }
}

/// <summary>The names a site's edit uses: its pipeline field, the attempt token's lambda parameter, <c>ValueTask&lt;TResult&gt;</c> as written there.</summary>
internal sealed record SiteNames(string Pipeline, string Token, string ValueTask);

/// <summary>How the execution's <c>ValueTask</c> is consumed where the call was.</summary>
internal enum Outer
{
    /// <summary><c>await …</c></summary>
    Await,

    /// <summary><c>await ….ConfigureAwait(false)</c></summary>
    AwaitConfigured,

    /// <summary><c>….AsTask().GetAwaiter().GetResult()</c> in a synchronous method.</summary>
    Block,

    /// <summary><c>….AsTask()</c> where a task was expected.</summary>
    Task,

    /// <summary>The <c>ValueTask</c> itself, where the code already awaits it.</summary>
    Plain,
}
