using System;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// What the RA0001 and RA0002 fixes share: reading the <see cref="RetryShape"/> from the diagnostic, planning the rewrite
/// with <see cref="RetryRewriter"/>, and a Fix All that applies every site of a document through one
/// <see cref="DocumentEditor"/>, so the shared <c>using</c> directive is added once and no site's edit is dropped as
/// "overlapping" (which the batch fixer does when several fixes touch the top of the file).
/// </summary>
public abstract class RetryDelayCodeFix : CodeFixProvider
{
    private protected RetryDelayCodeFix(string diagnosticId, DelayKind kind, string equivalenceKey)
    {
        FixableDiagnosticIds = ImmutableArray.Create(diagnosticId);
        Kind = kind;
        ActionEquivalenceKey = equivalenceKey;
    }

    /// <inheritdoc />
    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

    private protected DelayKind Kind { get; }

    private protected string ActionEquivalenceKey { get; }

    /// <inheritdoc />
    public sealed override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    /// <inheritdoc />
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
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
            if (edit is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(Title(shape), ct => ApplyAsync(context.Document, edit, ct), ActionEquivalenceKey),
                    diagnostic);
            }
        }
    }

    /// <summary>The title of the action for a shape.</summary>
    private protected abstract string Title(RetryShape shape);

    private Action<DocumentEditor>? Plan(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken, out RetryShape shape)
    {
        shape = default;
        if (!diagnostic.Properties.TryGetValue(RetrySite.ShapeKey, out var shapeName) || !Enum.TryParse(shapeName, out shape))
        {
            return null;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        return RetryRewriter.Plan(shape, Kind, node, model, cancellationToken);
    }

    private async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        if (context.CodeActionEquivalenceKey != ActionEquivalenceKey)
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
