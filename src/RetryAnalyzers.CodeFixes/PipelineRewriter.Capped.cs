using System;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Editing;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// RA0006's whole-retry rewrite: an unbounded loop around a provider call becomes the call through the pipeline, with
/// no <c>try</c> left around it — the loop had no code after it to go on with, so the last failure propagates.
/// <code>
/// while (true)                                         return await GetPipeline.ExecuteAsync(
/// {                                                        async token =&gt; await http.GetStringAsync(url, token),
///     try { return await http.GetStringAsync(url, ct); }    EstimatedTokensPerCall,
///     catch (HttpRequestException) { await Task.Delay(1000, ct); }    ct);
/// }
/// </code>
/// </summary>
internal static partial class PipelineRewriter
{
    private static Action<DocumentEditor>? PlanCapped(string ruleId, PipelineLoop retry, Outer outer, SemanticModel model, AnalyzerConfigOptions options, CancellationToken cancellationToken)
    {
        var kept = retry.Try.Block.Statements.Where(s => !retry.Removed.Contains(s)).ToList();
        if (kept.Count != 1)
        {
            return null;
        }

        var layout = Layout.Of(retry.Loop, retry.Try, cancellationToken);
        return Build(ruleId, model, options, retry.Loop, retry.Result, retry.Attempts - 1, IsTransientName, IsTransient(retry.Catch), names =>
        {
            var execution = Execution(names, retry.CallStatementExpression, retry.Awaited, retry.CallToken, retry.CallToken ?? retry.WaitToken, outer, layout.Indentation + layout.Unit, layout.EndOfLine);
            var statement = kept[0].ReplaceNode(retry.CallStatementExpression, execution).WithTriviaFrom(retry.Loop);
            return editor => editor.ReplaceNode(retry.Loop, statement);
        });
    }
}
