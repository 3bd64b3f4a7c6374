using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace RetryAnalyzers.Tests.Verifiers;

/// <summary>The official Analyzer.Testing / CodeFix.Testing verifiers, set up with our references.</summary>
internal static class CSharpVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    /// <summary>
    /// The expected diagnostic of a rule, by id. A rule may have two descriptors of one id (RA0003: across types, reported
    /// at the end of the compilation, and per item, as you type); they share id, severity and message format.
    /// </summary>
    public static DiagnosticResult Diagnostic(string id) => new(new TAnalyzer().SupportedDiagnostics.First(d => d.Id == id));

    /// <summary>Runs the analyzer; the markup (<c>[|…|]</c>, <c>{|RA0001:…|}</c>) gives the expected diagnostics.</summary>
    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>
    /// Runs the analyzer for one rule only: the analyzer's other rules are disabled, so a test about RA0001 states
    /// nothing about RA0002 (the cross-rule tests check both together).
    /// </summary>
    public static Task VerifyRuleAsync(string ruleId, string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        foreach (var descriptor in new TAnalyzer().SupportedDiagnostics)
        {
            if (descriptor.Id != ruleId)
            {
                test.DisabledDiagnostics.Add(descriptor.Id);
            }
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>Applies the fix to every diagnostic one by one, then with Fix All in document, project and solution scope; both must give <paramref name="fixedSource"/>, which must compile.</summary>
    public static Task VerifyCodeFixAsync(string source, string fixedSource, string? batchFixedSource = null)
    {
        var test = new Test { TestCode = source, FixedCode = fixedSource };
        if (batchFixedSource is not null)
        {
            test.BatchFixedCode = batchFixedSource;
        }

        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>The diagnostics of the markup must be reported and no fix offered for them.</summary>
    public static Task VerifyNoFixAsync(string source)
    {
        var test = new Test { TestCode = source, FixedCode = source };
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>The diagnostics of the markup must be reported and no action with <paramref name="equivalenceKey"/> offered for them (other actions may be).</summary>
    public static Task VerifyNoFixAsync(string source, string equivalenceKey)
    {
        var test = new Test { TestCode = source, FixedCode = source, CodeActionEquivalenceKey = equivalenceKey };
        return test.RunAsync(CancellationToken.None);
    }

    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = TestReferences.Net80WithPolly;
            TestState.AdditionalReferences.Add(TestReferences.Runtime);
            CodeActionEquivalenceKey = null;
            MarkupOptions = MarkupOptions.UseFirstDescriptor;
        }

        /// <summary>Resolves every reference set first (one at a time), and refuses a set not declared in <see cref="TestReferences"/>.</summary>
        protected override async Task RunImplAsync(CancellationToken cancellationToken)
        {
            if (!TestReferences.IsKnown(ReferenceAssemblies))
            {
                throw new System.InvalidOperationException("Use a reference set declared in TestReferences, so it is resolved before use.");
            }

            await TestReferences.EnsureResolvedAsync().ConfigureAwait(false);
            await base.RunImplAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
