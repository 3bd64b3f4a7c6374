using System;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// Fixes RA0001 by moving the wait onto jittered exponential backoff, keeping the user's delay as the base (median
/// first delay) and the retry count:
/// <list type="bullet">
/// <item>Polly v7 provider <c>_ =&gt; d</c> → <c>retryAttempt =&gt; JitteredBackoff.GetDelay(retryAttempt - 1, d)</c> (v7 attempts are 1-based);</item>
/// <item>an array of n equal delays d, or <c>Backoff.ConstantBackoff(d, n)</c> → <c>JitteredBackoff.Delays(d, n)</c>;</item>
/// <item>Polly v8 options → <c>BackoffType = DelayBackoffType.Exponential</c> and <c>UseJitter = true</c>;</item>
/// <item>a <c>for</c> loop with a counter → <c>Task.Delay(JitteredBackoff.GetDelay(i, d))</c>; another loop →
/// <c>var retryBackoff = new RetryBackoff(d);</c> before it and <c>Task.Delay(retryBackoff.NextDelay())</c>.</item>
/// </list>
/// No fix is offered when the runtime library is not referenced or the rewrite cannot keep the code compiling.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RA0001FixedDelayRetryCodeFix))]
[Shared]
public sealed class RA0001FixedDelayRetryCodeFix : CodeFixProvider
{
    /// <summary>The one action of this fix; stable across versions.</summary>
    public const string EquivalenceKey = "RA0001.UseJitteredBackoff";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.FixedDelayRetry);

    /// <summary>
    /// Fix All applies every site of a document through one <see cref="DocumentEditor"/>, so the shared
    /// <c>using</c> directive is added once and no site's edit is dropped as "overlapping" (which the batch fixer
    /// does when several fixes touch the top of the file).
    /// </summary>
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            var edit = Plan(diagnostic, root, model, context.CancellationToken, out var shape);
            if (edit is null)
            {
                continue;
            }

            var title = shape == RetryShape.PollyV8Options
                ? "Use exponential backoff with jitter"
                : "Use jittered exponential backoff (RetryAnalyzers.Runtime)";
            context.RegisterCodeFix(
                CodeAction.Create(title, ct => ApplyAsync(context.Document, edit, ct), EquivalenceKey),
                diagnostic);
        }
    }

    private static Action<DocumentEditor>? Plan(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken, out RetryShape shape)
    {
        shape = default;
        if (!diagnostic.Properties.TryGetValue(RetrySite.ShapeKey, out var shapeName) || !Enum.TryParse(shapeName, out shape))
        {
            return null;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        return RetryRewriter.Plan(shape, node, model, cancellationToken);
    }

    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        if (context.CodeActionEquivalenceKey != EquivalenceKey)
        {
            return null;
        }

        var editor = await DocumentEditor.CreateAsync(document, context.CancellationToken).ConfigureAwait(false);
        var model = editor.SemanticModel;
        var root = editor.OriginalRoot;
        foreach (var diagnostic in diagnostics)
        {
            Plan(diagnostic, root, model, context.CancellationToken, out _)?.Invoke(editor);
        }

        return editor.GetChangedDocument();
    }

    private static async Task<Document> ApplyAsync(Document document, Action<DocumentEditor> edit, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        edit(editor);
        return editor.GetChangedDocument();
    }
}
