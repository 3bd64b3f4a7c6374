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
    internal const string Usings = """
        using System;
        using System.ClientModel;
        using System.Collections.Generic;
        using System.IO;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenAI.Chat;
        using Polly;
        using Polly.Retry;

        """;

    internal const string FixedUsings = """
        using System;
        using System.ClientModel;
        using System.Collections.Generic;
        using System.IO;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenAI.Chat;
        using Polly;
        using Polly.Retry;
        using RetryAnalyzers.Runtime;

        """;

    private const string PipelineKey = "RA0001.RunThroughProviderPipeline";

    internal const string Placeholder = """
        #warning RA0001: set TokensPerMinute to your provider's tokens-per-minute limit (or dotnet_diagnostic.RA0001.tokens_per_minute in .editorconfig), then delete this line
            private const long TokensPerMinute = 30_000;
            private const long EstimatedTokensPerCall = 1_024; // prompt + max output of one call, drawn from the budget per attempt
            private static readonly TokenBudget ProviderBudget = new TokenBudget(TokenBudgetOptions.PerMinute(TokensPerMinute));
        """;

    internal static Task Fix(string source, string fixedSource, string? editorConfig = null, string key = PipelineKey)
    {
        var test = new Verify.Test { TestCode = Usings + source, FixedCode = Fixed(fixedSource), CodeActionEquivalenceKey = key };
        AddEditorConfig(test, editorConfig);
        return test.RunAsync(CancellationToken.None);
    }

    // The usings of a fixed source: the runtime's, and Polly.CircuitBreaker's where a rewritten loop catches BrokenCircuitException.
    private static string Fixed(string source)
        => (source.Contains("catch (BrokenCircuitException)") ? FixedUsings.Replace("using Polly;\n", "using Polly;\nusing Polly.CircuitBreaker;\n") : FixedUsings) + source;

    /// <summary>The diagnostic is reported (the markup) and no pipeline action is offered for it: applying the pipeline action by its key changes nothing.</summary>
    internal static Task NoPipelineAction(string source)
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
                catch (BrokenCircuitException)
                {
                    // the provider did not recover within MaxWaitForRecovery: go on as after the loop's last attempt
                }

                throw new InvalidOperationException("gave up");
            }
        }
        """);

    [Fact]
    public Task WhileCounter_CountedInTheCatch_CounterGoesAndTheFallbackStays() => Fix(
        """
        class Agent
        {
            public async Task<ChatCompletion?> AskAsync(ChatClient client, string prompt)
            {
                var attempt = 0;
                while (attempt < 4)
                {
                    try
                    {
                        return await client.CompleteChatAsync(prompt);
                    }
                    catch (ClientResultException)
                    {
                        attempt++;
                        await [|Task.Delay(TimeSpan.FromSeconds(2))|];
                    }
                }

                return null;
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<ClientResult<ChatCompletion>> AskPipeline = ProviderPipeline.Create<ClientResult<ChatCompletion>>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 3 },
                isTransient: exception => exception is ClientResultException);

            public async Task<ChatCompletion?> AskAsync(ChatClient client, string prompt)
            {
                try
                {
                    return await AskPipeline.ExecuteAsync(
                        async token => await client.CompleteChatAsync(prompt),
                        EstimatedTokensPerCall);
                }
                catch (ClientResultException)
                {
                    // the pipeline's retries are spent: go on as after the loop's last attempt
                }
                catch (BrokenCircuitException)
                {
                    // the provider did not recover within MaxWaitForRecovery: go on as after the loop's last attempt
                }

                return null;
            }
        }
        """);

    [Fact]
    public Task SuccessFlag_ReadOnlyByTheLoop_FlagGoesAndTheResultStays() => Fix(
        """
        class Agent
        {
            public async Task<string> GetAsync(HttpClient http, CancellationToken cancellationToken)
            {
                string result = "";
                var done = false;
                for (var i = 0; i < 5 && !done; i++)
                {
                    try
                    {
                        result = await http.GetStringAsync("https://api.example.test/v1/models", cancellationToken);
                        done = true;
                    }
                    catch (HttpRequestException)
                    {
                        await [|Task.Delay(500, cancellationToken)|];
                    }
                }

                return result;
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<string> GetPipeline = ProviderPipeline.Create<string>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 4 },
                isTransient: exception => exception is HttpRequestException);

            public async Task<string> GetAsync(HttpClient http, CancellationToken cancellationToken)
            {
                string result = "";
                try
                {
                    result = await GetPipeline.ExecuteAsync(
                        async token => await http.GetStringAsync("https://api.example.test/v1/models", token),
                        EstimatedTokensPerCall,
                        cancellationToken);
                }
                catch (HttpRequestException)
                {
                    // the pipeline's retries are spent: go on as after the loop's last attempt
                }
                catch (BrokenCircuitException)
                {
                    // the provider did not recover within MaxWaitForRecovery: go on as after the loop's last attempt
                }

                return result;
            }
        }
        """);

    [Fact]
    public Task SuccessFlagReadAfterTheLoop_FlagStays_DoLoopWithBreak() => Fix(
        """
        class Agent
        {
            public async Task<bool> PingAsync(HttpClient http)
            {
                var ok = false;
                var attempt = 0;
                do
                {
                    try
                    {
                        await http.GetStringAsync("https://api.example.test/v1/models").ConfigureAwait(false);
                        ok = true;
                        break;
                    }
                    catch (HttpRequestException)
                    {
                        ++attempt;
                        await [|Task.Delay(250)|].ConfigureAwait(false);
                    }
                }
                while (!ok && attempt < 3);

                return ok;
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<string> PingPipeline = ProviderPipeline.Create<string>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                isTransient: exception => exception is HttpRequestException);

            public async Task<bool> PingAsync(HttpClient http)
            {
                var ok = false;
                try
                {
                    await PingPipeline.ExecuteAsync(
                        async token => await http.GetStringAsync("https://api.example.test/v1/models").ConfigureAwait(false),
                        EstimatedTokensPerCall).ConfigureAwait(false);
                    ok = true;
                }
                catch (HttpRequestException)
                {
                    // the pipeline's retries are spent: go on as after the loop's last attempt
                }
                catch (BrokenCircuitException)
                {
                    // the provider did not recover within MaxWaitForRecovery: go on as after the loop's last attempt
                }

                return ok;
            }
        }
        """);

    [Fact]
    public Task SyncThreadSleepLoop_RunsThePipelineToCompletion() => Fix(
        """
        class Agent
        {
            public ChatCompletion Ask(ChatClient client, string prompt)
            {
                for (int i = 1; i <= 3; i++)
                {
                    try
                    {
                        return client.CompleteChat(prompt);
                    }
                    catch (ClientResultException e) when (e.Status == 429 || e.Status >= 500)
                    {
                        [|Thread.Sleep(1000)|];
                    }
                }

                throw new TimeoutException();
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<ClientResult<ChatCompletion>> AskPipeline = ProviderPipeline.Create<ClientResult<ChatCompletion>>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                isTransient: exception => exception is ClientResultException e && (e.Status == 429 || e.Status >= 500));

            public ChatCompletion Ask(ChatClient client, string prompt)
            {
                try
                {
                    return AskPipeline.ExecuteAsync(
                        token => new ValueTask<ClientResult<ChatCompletion>>(client.CompleteChat(prompt)),
                        EstimatedTokensPerCall).AsTask().GetAwaiter().GetResult();
                }
                catch (ClientResultException e) when (e.Status == 429 || e.Status >= 500)
                {
                    // the pipeline's retries are spent: go on as after the loop's last attempt
                }
                catch (BrokenCircuitException)
                {
                    // the provider did not recover within MaxWaitForRecovery: go on as after the loop's last attempt
                }

                throw new TimeoutException();
            }
        }
        """);

    [Fact]
    public Task EditorConfigLimitAndTokensPerCall_NoPlaceholderWarning() => Fix(
        EligibleLoop,
        PipelineFixed.Replace("90_000;", "2_000_000;").Replace("1_024;", "600;"),
        "dotnet_diagnostic.RA0001.tokens_per_minute = 2_000_000\ndotnet_diagnostic.RA0001.tokens_per_call = 600\n");

    [Fact]
    public Task FixAll_TwoSitesOfOneType_ShareOneBudget_EachItsPipeline() => Fix(
        """
        class Agent
        {
            public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt)
            {
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        return await client.CompleteChatAsync(prompt);
                    }
                    catch (ClientResultException)
                    {
                        await [|Task.Delay(1000)|];
                    }
                }

                throw new InvalidOperationException();
            }

            public async Task<string> ListAsync(HttpClient http)
            {
                for (var i = 0; i < 5; i++)
                {
                    try
                    {
                        return await http.GetStringAsync("https://api.example.test/v1/models");
                    }
                    catch (Exception)
                    {
                        await [|Task.Delay(2000)|];
                    }
                }

                return "";
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<ClientResult<ChatCompletion>> AskPipeline = ProviderPipeline.Create<ClientResult<ChatCompletion>>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                isTransient: exception => exception is ClientResultException);
            private static readonly ProviderPipeline<string> ListPipeline = ProviderPipeline.Create<string>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 4 },
                isTransient: exception => exception is Exception);

            public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt)
            {
                try
                {
                    return await AskPipeline.ExecuteAsync(
                        async token => await client.CompleteChatAsync(prompt),
                        EstimatedTokensPerCall);
                }
                catch (ClientResultException)
                {
                    // the pipeline's retries are spent: go on as after the loop's last attempt
                }
                catch (BrokenCircuitException)
                {
                    // the provider did not recover within MaxWaitForRecovery: go on as after the loop's last attempt
                }

                throw new InvalidOperationException();
            }

            public async Task<string> ListAsync(HttpClient http)
            {
                try
                {
                    return await ListPipeline.ExecuteAsync(
                        async token => await http.GetStringAsync("https://api.example.test/v1/models"),
                        EstimatedTokensPerCall);
                }
                catch (Exception)
                {
                    // the pipeline's retries are spent: go on as after the loop's last attempt
                }

                return "";
            }
        }
        """);

    [Fact]
    public async Task RA0002GrowingDelay_SameRewrite_UnderItsOwnKey()
    {
        var test = new VerifyRA0002.Test
        {
            TestCode = Usings + """
                class Agent
                {
                    public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt, CancellationToken ct)
                    {
                        for (var attempt = 0; attempt < 4; attempt++)
                        {
                            try
                            {
                                return await client.CompleteChatAsync(new ChatMessage[] { new UserChatMessage(prompt) }, null, ct);
                            }
                            catch (ClientResultException)
                            {
                                await {|RA0002:Task.Delay(1000 * (1 << attempt), ct)|};
                            }
                        }

                        throw new InvalidOperationException();
                    }
                }
                """,
            FixedCode = Fixed("""
                class Agent
                {
                #warning RA0002: set TokensPerMinute to your provider's tokens-per-minute limit (or dotnet_diagnostic.RA0002.tokens_per_minute in .editorconfig), then delete this line
                    private const long TokensPerMinute = 30_000;
                    private const long EstimatedTokensPerCall = 1_024; // prompt + max output of one call, drawn from the budget per attempt
                    private static readonly TokenBudget ProviderBudget = new TokenBudget(TokenBudgetOptions.PerMinute(TokensPerMinute));
                    private static readonly ProviderPipeline<ClientResult<ChatCompletion>> AskPipeline = ProviderPipeline.Create<ClientResult<ChatCompletion>>(
                        new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 3 },
                        isTransient: exception => exception is ClientResultException);

                    public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt, CancellationToken ct)
                    {
                        try
                        {
                            return await AskPipeline.ExecuteAsync(
                                async token => await client.CompleteChatAsync(new ChatMessage[] { new UserChatMessage(prompt) }, null, token),
                                EstimatedTokensPerCall,
                                ct);
                        }
                        catch (ClientResultException)
                        {
                            // the pipeline's retries are spent: go on as after the loop's last attempt
                        }
                        catch (BrokenCircuitException)
                        {
                            // the provider did not recover within MaxWaitForRecovery: go on as after the loop's last attempt
                        }

                        throw new InvalidOperationException();
                    }
                }
                """),
            CodeActionEquivalenceKey = "RA0002.RunThroughProviderPipeline",
        };
        await test.RunAsync(CancellationToken.None);
    }

    // ---------------------------------------------------------------- The order of the two actions

    internal const string EligibleLoop = """
        class Agent
        {
            public async Task<string> GetAsync(HttpClient http)
            {
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        return await http.GetStringAsync("https://api.example.test/v1/models");
                    }
                    catch (HttpRequestException)
                    {
                        await [|Task.Delay(1000)|];
                    }
                }

                return "";
            }
        }
        """;

    internal const string PipelineFixed = """
        class Agent
        {
            private const long TokensPerMinute = 90_000; // dotnet_diagnostic.RA0001.tokens_per_minute
            private const long EstimatedTokensPerCall = 1_024; // prompt + max output of one call, drawn from the budget per attempt
            private static readonly TokenBudget ProviderBudget = new TokenBudget(TokenBudgetOptions.PerMinute(TokensPerMinute));
            private static readonly ProviderPipeline<string> GetPipeline = ProviderPipeline.Create<string>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                isTransient: exception => exception is HttpRequestException);

            public async Task<string> GetAsync(HttpClient http)
            {
                try
                {
                    return await GetPipeline.ExecuteAsync(
                        async token => await http.GetStringAsync("https://api.example.test/v1/models"),
                        EstimatedTokensPerCall);
                }
                catch (HttpRequestException)
                {
                    // the pipeline's retries are spent: go on as after the loop's last attempt
                }
                catch (BrokenCircuitException)
                {
                    // the provider did not recover within MaxWaitForRecovery: go on as after the loop's last attempt
                }

                return "";
            }
        }
        """;

    [Theory]
    [InlineData(null)]
    [InlineData("delay")]
    [InlineData("nonsense")]
    public async Task FixOption_DelayOrUnset_DelayOnlyActionComesFirst(string? choice)
    {
        var test = new Verify.Test
        {
            TestCode = Usings + EligibleLoop,
            FixedCode = FixedUsings + EligibleLoop.Replace("Task.Delay(1000)", "Task.Delay(JitteredBackoff.GetDelay(i, TimeSpan.FromMilliseconds(1000)))").Replace("[|", "").Replace("|]", ""),
            CodeActionIndex = 0,
            CodeActionEquivalenceKey = RA0001FixedDelayRetryCodeFix.EquivalenceKey,
        };
        AddEditorConfig(test, "dotnet_diagnostic.RA0001.tokens_per_minute = 90000\n" + (choice is null ? "" : $"dotnet_diagnostic.RA0001.fix = {choice}\n"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task FixOption_Pipeline_PipelineActionComesFirst()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + EligibleLoop,
            FixedCode = Fixed(PipelineFixed),
            CodeActionIndex = 0,
            CodeActionEquivalenceKey = PipelineKey,
        };
        AddEditorConfig(test, "dotnet_diagnostic.RA0001.tokens_per_minute = 90000\ndotnet_diagnostic.RA0001.fix = pipeline\n");
        await test.RunAsync(CancellationToken.None);
    }

    // ---------------------------------------------------------------- No pipeline action

    [Fact]
    public Task NotAProviderCall_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public async Task<string> ReadAsync(string path)
            {
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        return await File.ReadAllTextAsync(path);
                    }
                    catch (IOException)
                    {
                        await [|Task.Delay(100)|];
                    }
                }

                return "";
            }
        }
        """);

    [Fact]
    public Task SeveralCallsRetriedTogether_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public async Task<ChatCompletion> AskAsync(ChatClient client)
            {
                ChatCompletion draft;
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        draft = await client.CompleteChatAsync("draft");
                        return await client.CompleteChatAsync("review: " + draft.Content[0].Text);
                    }
                    catch (ClientResultException)
                    {
                        await [|Task.Delay(1000)|];
                    }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task WorkAfterTheCallThatCouldFail_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public async Task<string> AskAsync(HttpClient http)
            {
                var text = "";
                var done = false;
                for (var i = 0; i < 3 && !done; i++)
                {
                    try
                    {
                        text = await http.GetStringAsync("https://api.example.test/v1/models");
                        Validate(text);
                        done = true;
                    }
                    catch (HttpRequestException)
                    {
                        await [|Task.Delay(1000)|];
                    }
                }

                return text;
            }

            static void Validate(string text) { }
        }
        """);

    [Fact]
    public Task CounterReadAfterTheLoop_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public async Task<string> GetAsync(HttpClient http)
            {
                var attempt = 0;
                while (attempt < 3)
                {
                    try
                    {
                        return await http.GetStringAsync("https://api.example.test/v1/models");
                    }
                    catch (HttpRequestException)
                    {
                        attempt++;
                        await [|Task.Delay(1000)|];
                    }
                }

                return "failed after " + attempt;
            }
        }
        """);

    // Variations of the eligible loop that change what a rewrite would have to keep: (what is replaced, by what).
    [Theory]
    [InlineData("catch does more than wait (it logs)", "await [|Task.Delay(1000)|];", "Console.WriteLine(\"retrying\"); await [|Task.Delay(1000)|];")]
    [InlineData("catch also advances the for counter", "await [|Task.Delay(1000)|];", "i++; await [|Task.Delay(1000)|];")]
    [InlineData("catch rethrows on the last attempt", "await [|Task.Delay(1000)|];", "if (i == 2) throw; await [|Task.Delay(1000)|];")]
    [InlineData("goto in the method", "return \"\";", "goto done; done: return \"\";")]
    [InlineData("bound is not a constant", "i < 3", "i < http.MaxResponseContentBufferSize")]
    [InlineData("unbounded loop", "for (var i = 0; i < 3; i++)", "while (true)")]
    [InlineData("two catch clauses", "catch (HttpRequestException)", "catch (TaskCanceledException) { throw; } catch (HttpRequestException)")]
    [InlineData("a finally clause", "await [|Task.Delay(1000)|];\n            }", "await [|Task.Delay(1000)|];\n            }\n            finally { Console.WriteLine(); }")]
    [InlineData("filter reads a parameter", "catch (HttpRequestException)", "catch (HttpRequestException) when (http.Timeout > TimeSpan.Zero)")]
    [InlineData("filter reads this", "catch (HttpRequestException)", "catch (HttpRequestException) when (GetHashCode() > 0)")]
    [InlineData("a struct", "class Agent", "struct Agent")]
    [InlineData("the call reads the counter", "v1/models\")", "v1/models/\" + i)")]
    [InlineData("a statement before the call", "return await http.GetStringAsync", "Console.WriteLine(); return await http.GetStringAsync")]
    public Task EligibleLoopVariation_NoPipelineAction(string shape, string original, string replacement)
    {
        Assert.True(EligibleLoop.Contains(original, System.StringComparison.Ordinal), shape);
        return NoPipelineAction(EligibleLoop.Replace(original, replacement));
    }

    [Fact]
    public async Task RuntimeNotReferenced_NoAction()
    {
        var test = new Verify.Test { TestCode = Usings + EligibleLoop, FixedCode = Usings + EligibleLoop, CodeActionEquivalenceKey = PipelineKey };
        test.TestState.AdditionalReferences.Clear();
        await test.RunAsync(CancellationToken.None);
    }

    // ---------------------------------------------------------------- Polly v7 policies built for one call site

    [Fact]
    public Task PollyV7_LocalPolicyExecutedOnce_BecomesThePipeline() => Fix(
        """
        class Agent
        {
            public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt)
            {
                var policy = Policy.Handle<ClientResultException>(e => e.Status == 429).Or<HttpRequestException>()
                    .WaitAndRetryAsync(3, [|_ => TimeSpan.FromSeconds(1)|]);
                return await policy.ExecuteAsync(() => client.CompleteChatAsync(prompt));
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<ClientResult<ChatCompletion>> AskPipeline = ProviderPipeline.Create<ClientResult<ChatCompletion>>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 3 },
                isTransient: exception => exception is ClientResultException e && e.Status == 429 || exception is HttpRequestException);

            public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt)
            {
                return await AskPipeline.ExecuteAsync(
                    async token => await client.CompleteChatAsync(prompt),
                    EstimatedTokensPerCall);
            }
        }
        """);

    [Fact]
    public Task PollyV7_InlinePolicyWithDelayArrayAndToken_BecomesThePipeline() => Fix(
        """
        class Agent
        {
            public Task<string> GetAsync(HttpClient http, CancellationToken cancellationToken)
                => Policy.Handle<HttpRequestException>()
                    .WaitAndRetryAsync([|new[] { TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2) }|])
                    .ExecuteAsync(ct => http.GetStringAsync("https://api.example.test/v1/models", ct), cancellationToken);
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<string> GetPipeline = ProviderPipeline.Create<string>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                isTransient: exception => exception is HttpRequestException);

            public Task<string> GetAsync(HttpClient http, CancellationToken cancellationToken)
                => GetPipeline.ExecuteAsync(
                    async ct => await http.GetStringAsync("https://api.example.test/v1/models", ct),
                    EstimatedTokensPerCall,
                    cancellationToken).AsTask();
        }
        """);

    [Fact]
    public Task PollyV7_SyncPolicy_BecomesThePipelineRunToCompletion() => Fix(
        """
        class Agent
        {
            public ChatCompletion Ask(ChatClient client, string prompt)
            {
                return Policy.Handle<ClientResultException>().WaitAndRetry(2, [|_ => TimeSpan.FromSeconds(1)|]).Execute(() => client.CompleteChat(prompt));
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<ClientResult<ChatCompletion>> AskPipeline = ProviderPipeline.Create<ClientResult<ChatCompletion>>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                isTransient: exception => exception is ClientResultException);

            public ChatCompletion Ask(ChatClient client, string prompt)
            {
                return AskPipeline.ExecuteAsync(
                    token => new ValueTask<ClientResult<ChatCompletion>>(client.CompleteChat(prompt)),
                    EstimatedTokensPerCall).AsTask().GetAwaiter().GetResult();
            }
        }
        """);

    [Fact]
    public Task PollyV7_PolicySharedInAField_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            private static readonly IAsyncPolicy Retry = Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, [|_ => TimeSpan.FromSeconds(1)|]);

            public Task<string> GetAsync(HttpClient http) => Retry.ExecuteAsync(() => http.GetStringAsync("https://api.example.test/v1/models"));
        }
        """);

    [Fact]
    public Task PollyV7_LocalPolicyExecutedTwice_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public async Task<string> GetAsync(HttpClient http)
            {
                var policy = Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, [|_ => TimeSpan.FromSeconds(1)|]);
                var models = await policy.ExecuteAsync(() => http.GetStringAsync("https://api.example.test/v1/models"));
                return models + await policy.ExecuteAsync(() => http.GetStringAsync("https://api.example.test/v1/files"));
            }
        }
        """);

    [Fact]
    public Task PollyV7_OnRetryCallback_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public Task<string> GetAsync(HttpClient http)
                => Policy.Handle<HttpRequestException>()
                    .WaitAndRetryAsync(3, [|_ => TimeSpan.FromSeconds(1)|], (exception, delay) => Console.WriteLine(exception.Message))
                    .ExecuteAsync(() => http.GetStringAsync("https://api.example.test/v1/models"));
        }
        """);

    [Fact]
    public Task PollyV7_DelegateDoesMoreThanOneCall_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public Task<string> GetAsync(HttpClient http)
                => Policy.Handle<HttpRequestException>()
                    .WaitAndRetryAsync(3, [|_ => TimeSpan.FromSeconds(1)|])
                    .ExecuteAsync(async () => await http.GetStringAsync("https://api.example.test/v1/models") + await http.GetStringAsync("https://api.example.test/v1/files"));
        }
        """);

    [Fact]
    public Task PollyV7_NotAProviderCall_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public Task<string> ReadAsync(string path)
                => Policy.Handle<IOException>()
                    .WaitAndRetryAsync(3, [|_ => TimeSpan.FromSeconds(1)|])
                    .ExecuteAsync(() => File.ReadAllTextAsync(path));
        }
        """);

    [Fact]
    public Task PollyV7_PredicateReadsAParameter_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public Task<string> GetAsync(HttpClient http, bool retryable)
                => Policy.Handle<HttpRequestException>(e => retryable)
                    .WaitAndRetryAsync(3, [|_ => TimeSpan.FromSeconds(1)|])
                    .ExecuteAsync(() => http.GetStringAsync("https://api.example.test/v1/models"));
        }
        """);

    [Fact]
    public Task CompactLoop_OneLineTryAndCatch_WrittenOutAtTheLoopsIndentation()
    {
        var compact = EligibleLoop
            .Replace("""
                        try
                        {
                            return await http.GetStringAsync("https://api.example.test/v1/models");
                        }
            """, """
                        try { return await http.GetStringAsync("https://api.example.test/v1/models"); }
            """)
            .Replace("""
                        catch (HttpRequestException)
                        {
                            await [|Task.Delay(1000)|];
                        }
            """, """
                        catch (HttpRequestException) { await [|Task.Delay(1000)|]; }
            """);
        Assert.Contains("try { return await", compact, System.StringComparison.Ordinal);
        Assert.Contains("catch (HttpRequestException) { await", compact, System.StringComparison.Ordinal);
        return Fix(compact, PipelineFixed, "dotnet_diagnostic.RA0001.tokens_per_minute = 90000\n");
    }

    // ---------------------------------------------------------------- Polly v8 pipelines built for one call site

    [Fact]
    public Task PollyV8_LocalPipelineExecutedOnce_BecomesTheProviderPipeline() => Fix(
        """
        class Agent
        {
            public async Task<string> GetAsync(HttpClient http, CancellationToken cancellationToken)
            {
                var pipeline = new ResiliencePipelineBuilder()
                    .AddRetry([|new RetryStrategyOptions|] { ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>(), MaxRetryAttempts = 4 })
                    .Build();
                return await pipeline.ExecuteAsync(async ct => await http.GetStringAsync("https://api.example.test/v1/models", ct), cancellationToken);
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<string> GetPipeline = ProviderPipeline.Create<string>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 4 },
                isTransient: exception => exception is HttpRequestException);

            public async Task<string> GetAsync(HttpClient http, CancellationToken cancellationToken)
            {
                return await GetPipeline.ExecuteAsync(
                    async ct => await http.GetStringAsync("https://api.example.test/v1/models", ct),
                    EstimatedTokensPerCall,
                    cancellationToken);
            }
        }
        """);

    [Fact]
    public Task PollyV8_DefaultOptionsInline_PollysDefaultsKept() => Fix(
        """
        class Agent
        {
            public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt)
                => await new ResiliencePipelineBuilder().AddRetry([|new RetryStrategyOptions()|]).Build()
                    .ExecuteAsync(async ct => await client.CompleteChatAsync(new ChatMessage[] { new UserChatMessage(prompt) }, null, ct));
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<ClientResult<ChatCompletion>> AskPipeline = ProviderPipeline.Create<ClientResult<ChatCompletion>>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 3 },
                isTransient: exception => exception is not OperationCanceledException);

            public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt)
                => await AskPipeline.ExecuteAsync(
                    async ct => await client.CompleteChatAsync(new ChatMessage[] { new UserChatMessage(prompt) }, null, ct),
                    EstimatedTokensPerCall);
        }
        """);

    [Fact]
    public Task PollyV8_OnRetryCallback_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public async Task<string> GetAsync(HttpClient http)
            {
                var pipeline = new ResiliencePipelineBuilder()
                    .AddRetry([|new RetryStrategyOptions|] { OnRetry = args => { Console.WriteLine(args.AttemptNumber); return default; } })
                    .Build();
                return await pipeline.ExecuteAsync(async ct => await http.GetStringAsync("https://api.example.test/v1/models", ct));
            }
        }
        """);

    [Fact]
    public Task PollyV8_PipelineWithAnotherStrategy_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public async Task<string> GetAsync(HttpClient http)
            {
                var pipeline = new ResiliencePipelineBuilder()
                    .AddTimeout(TimeSpan.FromSeconds(10))
                    .AddRetry([|new RetryStrategyOptions()|])
                    .Build();
                return await pipeline.ExecuteAsync(async ct => await http.GetStringAsync("https://api.example.test/v1/models", ct));
            }
        }
        """);

    [Fact]
    public Task PollyV8_ResultPredicate_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public async Task<HttpResponseMessage> GetAsync(HttpClient http)
            {
                var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
                    .AddRetry([|new RetryStrategyOptions<HttpResponseMessage>|] { ShouldHandle = new PredicateBuilder<HttpResponseMessage>().HandleResult(r => !r.IsSuccessStatusCode) })
                    .Build();
                return await pipeline.ExecuteAsync(async ct => await http.GetAsync("https://api.example.test/v1/models", ct));
            }
        }
        """);
}
