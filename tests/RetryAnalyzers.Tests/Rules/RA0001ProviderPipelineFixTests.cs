using System.Threading;
using System.Threading.Tasks;
using RetryAnalyzers.CodeFixes;
using Verify = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RetryDelayAnalyzer, RetryAnalyzers.CodeFixes.RA0001FixedDelayRetryCodeFix>;
using VerifyRA0002 = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RetryDelayAnalyzer, RetryAnalyzers.CodeFixes.RA0002RetryWithoutJitterCodeFix>;

namespace RetryAnalyzers.Tests.Rules;

/// <summary>
/// The second action of RA0001 and RA0002: a hand-written retry loop around a provider call becomes one execution of
/// the provider pipeline. Each fixed source is compared and compiled, and applied one site at a time and by Fix All
/// (document, project, solution); the negative cases are shapes that keep the delay-only action but get no pipeline one.
/// </summary>
public sealed class RA0001ProviderPipelineFixTests
{
    private const string Usings = """
        using System;
        using System.ClientModel;
        using System.Collections.Generic;
        using System.IO;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenAI.Chat;

        """;

    private const string FixedUsings = """
        using System;
        using System.ClientModel;
        using System.Collections.Generic;
        using System.IO;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenAI.Chat;
        using RetryAnalyzers.Runtime;

        """;

    private const string PipelineKey = "RA0001.RunThroughProviderPipeline";

    private const string Placeholder = """
        #warning RA0001: set TokensPerMinute to your provider's tokens-per-minute limit (or dotnet_diagnostic.RA0001.tokens_per_minute in .editorconfig), then delete this line
            private const long TokensPerMinute = 30_000;
            private const long EstimatedTokensPerCall = 1_024; // prompt + max output of one call, drawn from the budget per attempt
            private static readonly TokenBudget ProviderBudget = new TokenBudget(TokenBudgetOptions.PerMinute(TokensPerMinute));
        """;

    private static Task Fix(string source, string fixedSource, string? editorConfig = null, string key = PipelineKey)
    {
        var test = new Verify.Test { TestCode = Usings + source, FixedCode = FixedUsings + fixedSource, CodeActionEquivalenceKey = key };
        AddEditorConfig(test, editorConfig);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>The diagnostic is reported (the markup) and no pipeline action is offered for it: applying the pipeline action by its key changes nothing.</summary>
    private static Task NoPipelineAction(string source)
    {
        var test = new Verify.Test { TestCode = Usings + source, FixedCode = Usings + source, CodeActionEquivalenceKey = PipelineKey };
        return test.RunAsync(CancellationToken.None);
    }

    private static void AddEditorConfig(Verify.Test test, string? editorConfig)
    {
        if (editorConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\n" + editorConfig));
        }
    }

    // ---------------------------------------------------------------- CodeFix: the shapes that are rewritten

    [Fact]
    public Task CounterFor_CatchFilter_ReturnedCall_OneExecutionWithTheSameAttemptsAndFilter() => Fix(
        """
        class Agent
        {
            private readonly ChatClient _client = new("gpt-4o", "key");

            public async Task<ChatCompletion> AskAsync(string prompt, CancellationToken ct)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try
                    {
                        return await _client.CompleteChatAsync(new ChatMessage[] { new UserChatMessage(prompt) }, cancellationToken: ct);
                    }
                    catch (ClientResultException e) when (e.Status == 429)
                    {
                        await [|Task.Delay(1000, ct)|];
                    }
                }

                throw new InvalidOperationException("gave up");
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<ClientResult<ChatCompletion>> AskPipeline = ProviderPipeline.Create<ClientResult<ChatCompletion>>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                isTransient: exception => exception is ClientResultException e && e.Status == 429);

            private readonly ChatClient _client = new("gpt-4o", "key");

            public async Task<ChatCompletion> AskAsync(string prompt, CancellationToken ct)
            {
                try
                {
                    return await AskPipeline.ExecuteAsync(
                        async token => await _client.CompleteChatAsync(new ChatMessage[] { new UserChatMessage(prompt) }, cancellationToken: token),
                        EstimatedTokensPerCall,
                        ct);
                }
                catch (ClientResultException e) when (e.Status == 429)
                {
                    // the pipeline's retries are spent: go on as after the loop's last attempt
                }

                throw new InvalidOperationException("gave up");
            }
        }
        """);
}
