using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// What every fix of the package shares: one action per diagnostic, planned up front (no action is offered when the
/// plan cannot produce compiling code), and a Fix All that applies every site of a document through one
/// <see cref="DocumentEditor"/>, so a shared <c>using</c> directive is added once and no site's edit is dropped as
/// "overlapping" (which the batch fixer does when several fixes touch the top of the file).
/// </summary>
public abstract class EditorCodeFix : CodeFixProvider
{
    private protected EditorCodeFix(string diagnosticId)
        => FixableDiagnosticIds = ImmutableArray.Create(diagnosticId);

    /// <inheritdoc />
    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

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
            foreach (var plan in Plans(diagnostic, context.Document, root, model, context.CancellationToken))
            {
                context.RegisterCodeFix(
                    CodeAction.Create(plan.Title, ct => ApplyAsync(context.Document, plan.Edit, ct), plan.EquivalenceKey),
                    diagnostic);
            }
        }
    }

    /// <summary>The actions for one diagnostic (none when it cannot be fixed safely), each with its own equivalence key.</summary>
    private protected abstract IEnumerable<FixPlan> Plans(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken);

    /// <summary>The actions for one diagnostic, for a fix that also reads the document's project (its <c>.editorconfig</c> options).</summary>
    private protected virtual IEnumerable<FixPlan> Plans(Diagnostic diagnostic, Document document, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
        => Plans(diagnostic, root, model, cancellationToken);

    private async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var editor = await DocumentEditor.CreateAsync(document, context.CancellationToken).ConfigureAwait(false);
        var model = editor.SemanticModel;
        var root = editor.OriginalRoot;
        foreach (var diagnostic in diagnostics)
        {
            foreach (var plan in Plans(diagnostic, document, root, model, context.CancellationToken))
            {
                if (plan.EquivalenceKey == context.CodeActionEquivalenceKey)
                {
                    plan.Edit(editor);
                }
            }
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

/// <summary>A planned fix: its action title, its equivalence key (for Fix All) and the edit.</summary>
/// <param name="Title">The lightbulb text.</param>
/// <param name="EquivalenceKey">Stable across versions; Fix All applies the actions with the chosen key.</param>
/// <param name="Edit">Applies the fix to an editor on the original document.</param>
internal sealed record FixPlan(string Title, string EquivalenceKey, Action<DocumentEditor> Edit);
