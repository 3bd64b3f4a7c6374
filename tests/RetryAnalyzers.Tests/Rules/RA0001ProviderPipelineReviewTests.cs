using System.Threading.Tasks;
using static RetryAnalyzers.Tests.Rules.RA0001ProviderPipelineFixTests;

namespace RetryAnalyzers.Tests.Rules;

/// <summary>
/// The review of the pipeline action: shapes whose rewrite changed what the caller sees, or did not compile, each either
/// refused (no pipeline action) or rewritten correctly now.
/// </summary>
public sealed class RA0001ProviderPipelineReviewTests
{
    // ---------------------------------------------------------------- CodeFix: rewritten, and right

    [Fact]
    public Task ConfigureAwaitTrue_TheExecutionIsAwaitedPlainly() => Fix(
        EligibleLoop.Replace("v1/models\");", "v1/models\").ConfigureAwait(true);"),
        PipelineFixed.Replace("v1/models\"),", "v1/models\").ConfigureAwait(true),"),
        "dotnet_diagnostic.RA0001.tokens_per_minute = 90000\n");

    [Fact]
    public Task FixAll_SyncAndAsyncMethodsOfOneName_EachItsOwnPipeline() => Fix(
        """
        class Agent
        {
            public ChatCompletion Ask(ChatClient client, string prompt)
            {
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        return client.CompleteChat(prompt);
                    }
                    catch (ClientResultException)
                    {
                        [|Thread.Sleep(1000)|];
                    }
                }

                throw new InvalidOperationException();
            }

            public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt)
            {
                for (var i = 0; i < 5; i++)
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
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<ClientResult<ChatCompletion>> AskPipeline = ProviderPipeline.Create<ClientResult<ChatCompletion>>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                isTransient: exception => exception is ClientResultException);
            private static readonly ProviderPipeline<ClientResult<ChatCompletion>> AskPipeline2 = ProviderPipeline.Create<ClientResult<ChatCompletion>>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 4 },
                isTransient: exception => exception is ClientResultException);

            public ChatCompletion Ask(ChatClient client, string prompt)
            {
                try
                {
                    return AskPipeline.ExecuteAsync(
                        token => new ValueTask<ClientResult<ChatCompletion>>(client.CompleteChat(prompt)),
                        EstimatedTokensPerCall).AsTask().GetAwaiter().GetResult();
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

            public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt)
            {
                try
                {
                    return await AskPipeline2.ExecuteAsync(
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
        }
        """);

    [Fact]
    public Task AsyncLambdaInASyncMethod_TheExecutionIsAwaitedInTheLambda() => Fix(
        """
        class Agent
        {
            public Func<Task<string>> Getter(HttpClient http)
            {
                return async () =>
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
                };
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
            private static readonly ProviderPipeline<string> GetterPipeline = ProviderPipeline.Create<string>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                isTransient: exception => exception is HttpRequestException);

            public Func<Task<string>> Getter(HttpClient http)
            {
                return async () =>
                {
                    try
                    {
                        return await GetterPipeline.ExecuteAsync(
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
                };
            }
        }
        """);

    // No await inside a lock: the synchronous call's loop blocks there as it did in Thread.Sleep.
    [Fact]
    public Task SyncLoopInALockOfAnAsyncMethod_RunsThePipelineToCompletion() => Fix(
        """
        class Agent
        {
            private readonly object _gate = new();

            public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt)
            {
                await Task.Yield();
                lock (_gate)
                {
                    for (var i = 0; i < 3; i++)
                    {
                        try
                        {
                            return client.CompleteChat(prompt);
                        }
                        catch (ClientResultException)
                        {
                            [|Thread.Sleep(1000)|];
                        }
                    }
                }

                throw new InvalidOperationException();
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

            private readonly object _gate = new();

            public async Task<ChatCompletion> AskAsync(ChatClient client, string prompt)
            {
                await Task.Yield();
                lock (_gate)
                {
                    try
                    {
                        return AskPipeline.ExecuteAsync(
                            token => new ValueTask<ClientResult<ChatCompletion>>(client.CompleteChat(prompt)),
                            EstimatedTokensPerCall).AsTask().GetAwaiter().GetResult();
                    }
                    catch (ClientResultException)
                    {
                        // the pipeline's retries are spent: go on as after the loop's last attempt
                    }
                    catch (BrokenCircuitException)
                    {
                        // the provider did not recover within MaxWaitForRecovery: go on as after the loop's last attempt
                    }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task FixAll_OuterAndNestedType_EachItsOwnFields() => Fix(
        """
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

            private sealed class Worker
            {
                public async Task<string> ListAsync(HttpClient http)
                {
                    for (var i = 0; i < 4; i++)
                    {
                        try
                        {
                            return await http.GetStringAsync("https://api.example.test/v1/files");
                        }
                        catch (HttpRequestException)
                        {
                            await [|Task.Delay(1000)|];
                        }
                    }

                    return "";
                }
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Placeholder}}
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

            private sealed class Worker
            {
        {{Placeholder.Replace("\n    ", "\n        ")}}
                private static readonly ProviderPipeline<string> ListPipeline = ProviderPipeline.Create<string>(
                    new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 3 },
                    isTransient: exception => exception is HttpRequestException);

                public async Task<string> ListAsync(HttpClient http)
                {
                    try
                    {
                        return await ListPipeline.ExecuteAsync(
                            async token => await http.GetStringAsync("https://api.example.test/v1/files"),
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
        }
        """);

    [Fact]
    public Task FixAll_TwoTypes_EachItsOwnBudgetAndPipeline() => Fix(
        EligibleLoop + "\n" + EligibleLoop.Replace("class Agent", "class Planner").Replace("GetAsync", "PlanAsync"),
        PipelineFixed + "\n" + PipelineFixed.Replace("class Agent", "class Planner").Replace("GetAsync", "PlanAsync").Replace("GetPipeline", "PlanPipeline"),
        "dotnet_diagnostic.RA0001.tokens_per_minute = 90000\n");

    // ---------------------------------------------------------------- No pipeline action: the rewrite would change behaviour or not compile

    [Theory]
    [InlineData("ConfigureAwait(bool) not a constant", "GetAsync(HttpClient http)", "GetAsync(HttpClient http, bool onContext)", "v1/models\");", "v1/models\").ConfigureAwait(onContext);")]
    [InlineData("more attempts than the runtime allows (100 retries)", "i < 3", "i < 200", "", "")]
    [InlineData("filter reads the for counter", "catch (HttpRequestException)", "catch (HttpRequestException) when (i < 2)", "", "")]
    public Task EligibleLoopVariation_NoPipelineAction(string shape, string original, string replacement, string original2, string replacement2)
    {
        Assert.True(EligibleLoop.Contains(original, System.StringComparison.Ordinal), shape);
        var source = EligibleLoop.Replace(original, replacement);
        Assert.True(original2.Length == 0 || source.Contains(original2, System.StringComparison.Ordinal), shape);
        return NoPipelineAction(original2.Length == 0 ? source : source.Replace(original2, replacement2));
    }

    [Fact]
    public Task WhileCounterReadByTheCall_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<string> GetAsync(HttpClient http)
            {
                var attempt = 0;
                while (attempt < 3)
                {
                    try
                    {
                        return await http.GetStringAsync("https://api.example.test/v1/models?attempt=" + attempt);
                    }
                    catch (HttpRequestException)
                    {
                        attempt++;
                        await [|Task.Delay(1000)|];
                    }
                }

                return "";
            }
        }
        """);

    // The loop's wait throws on the caller's cancellation, out of the catch; the pipeline throws it into the kept catch.
    [Theory]
    [InlineData("catch (Exception)")]
    [InlineData("catch")]
    [InlineData("catch (OperationCanceledException)")]
    [InlineData("catch (TaskCanceledException)")]
    [InlineData("catch (Exception e) when (e.Message.Length > 0)")]
    public Task CatchTakesCancellation_WaitTakesTheToken_NoPipelineAction(string catchClause) => NoPipelineAction($$"""
        class Agent
        {
            public async Task<string> GetAsync(HttpClient http, CancellationToken ct)
            {
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        return await http.GetStringAsync("https://api.example.test/v1/models", ct);
                    }
                    {{catchClause}}
                    {
                        await [|Task.Delay(1000, ct)|];
                    }
                }

                return "";
            }
        }
        """);

    // The pipeline takes one token for the whole execution: a token made per attempt, or a wait's token other than the call's, is lost.
    [Theory]
    [InlineData("a per-attempt timeout token", "new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token", "ct")]
    [InlineData("the wait's own token", "ct", "shutdown")]
    public Task CallTokenNotTheWholeRetrysToken_NoPipelineAction(string shape, string callToken, string waitToken)
    {
        Assert.NotEmpty(shape);
        return NoPipelineAction($$"""
            class Agent
            {
                public async Task<string> GetAsync(HttpClient http, CancellationToken ct, CancellationToken shutdown)
                {
                    for (var i = 0; i < 3; i++)
                    {
                        try
                        {
                            return await http.GetStringAsync("https://api.example.test/v1/models", {{callToken}});
                        }
                        catch (HttpRequestException)
                        {
                            await [|Task.Delay(1000, {{waitToken}})|];
                        }
                    }

                    return "";
                }
            }
            """);
    }

    // The filter (or Polly predicate) runs several times per attempt in isTransient and again in the kept catch.
    [Theory]
    [InlineData("a local function (not in scope of the static field)", "Retryable(e)")]
    [InlineData("a static method that logs", "Logged(e)")]
    [InlineData("a static counter incremented", "s_failures++ < 3")]
    [InlineData("a static counter assigned", "(s_failures += 1) < 3")]
    public Task FilterWithSideEffects_NoPipelineAction(string shape, string filter)
    {
        Assert.NotEmpty(shape);
        return NoPipelineAction($$"""
            class Agent
            {
                private static int s_failures;

                public async Task<string> GetAsync(HttpClient http)
                {
                    static bool Retryable(HttpRequestException e) => e.StatusCode is null;

                    for (var i = 0; i < 3; i++)
                    {
                        try
                        {
                            return await http.GetStringAsync("https://api.example.test/v1/models");
                        }
                        catch (HttpRequestException e) when ({{filter}})
                        {
                            await [|Task.Delay(1000)|];
                        }
                    }

                    return "";
                }

                private static bool Logged(Exception e)
                {
                    Console.WriteLine(e.Message);
                    return true;
                }
            }
            """);
    }

    // A static helper that only returns an expression (no assignment, no call into the application's code) is a predicate, not a side effect.
    [Fact]
    public Task FilterCallsAPureStaticHelper_Rewritten() => Fix(
        WithTransientHelper(EligibleLoop.Replace("catch (HttpRequestException)", "catch (HttpRequestException e) when (IsTransient(e))")),
        WithTransientHelper(PipelineFixed
            .Replace("exception => exception is HttpRequestException);", "exception => exception is HttpRequestException e && IsTransient(e));")
            .Replace("catch (HttpRequestException)", "catch (HttpRequestException e) when (IsTransient(e))")),
        "dotnet_diagnostic.RA0001.tokens_per_minute = 90000\n");

    // The class's last member: a pure static helper.
    private static string WithTransientHelper(string source)
        => source.Insert(source.LastIndexOf('}'), "\n    private static bool IsTransient(HttpRequestException e) => e.StatusCode is null || (int)e.StatusCode >= 500;\n");

    [Fact]
    public Task PollyV7_PredicateWithSideEffects_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public Task<string> GetAsync(HttpClient http)
                => Policy.Handle<HttpRequestException>(e => Logged(e))
                    .WaitAndRetryAsync(3, [|_ => TimeSpan.FromSeconds(1)|])
                    .ExecuteAsync(() => http.GetStringAsync("https://api.example.test/v1/models"));

            private static bool Logged(Exception e)
            {
                Console.WriteLine(e.Message);
                return true;
            }
        }
        """);

    [Fact]
    public Task CatchOfAMethodTypeParameter_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<string> GetAsync<TException>(HttpClient http)
                where TException : Exception
            {
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        return await http.GetStringAsync("https://api.example.test/v1/models");
                    }
                    catch (TException)
                    {
                        await [|Task.Delay(1000)|];
                    }
                }

                return "";
            }
        }
        """);

    [Fact]
    public Task FilterReadsAMethodTypeParameter_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<string> GetAsync<TState>(HttpClient http)
            {
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        return await http.GetStringAsync("https://api.example.test/v1/models");
                    }
                    catch (HttpRequestException e) when (e.Data["state"] is TState)
                    {
                        await [|Task.Delay(1000)|];
                    }
                }

                return "";
            }
        }
        """);

    [Fact]
    public Task PollyV7_HandlesAMethodTypeParameter_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public Task<string> GetAsync<TException>(HttpClient http)
                where TException : Exception
                => Policy.Handle<TException>()
                    .WaitAndRetryAsync(3, [|_ => TimeSpan.FromSeconds(1)|])
                    .ExecuteAsync(() => http.GetStringAsync("https://api.example.test/v1/models"));
        }
        """);

    [Fact]
    public Task PollyV7_ResultOfAMethodTypeParameter_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public Task<T?> GetAsync<T>(HttpClient http)
                => Policy.Handle<HttpRequestException>()
                    .WaitAndRetryAsync(3, [|_ => TimeSpan.FromSeconds(1)|])
                    .ExecuteAsync(() => System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<T>(http, "https://api.example.test/v1/models"));
        }
        """);

    [Fact]
    public Task PollyV7_MoreRetriesThanTheRuntimeAllows_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public Task<string> GetAsync(HttpClient http)
                => Policy.Handle<HttpRequestException>()
                    .WaitAndRetryAsync(150, [|_ => TimeSpan.FromSeconds(1)|])
                    .ExecuteAsync(() => http.GetStringAsync("https://api.example.test/v1/models"));
        }
        """);

    [Fact]
    public Task PollyV8_MoreRetriesThanTheRuntimeAllows_NoPipelineAction() => NoPipelineAction("""
        class C
        {
            public async Task<string> GetAsync(HttpClient http, CancellationToken cancellationToken)
            {
                var pipeline = new ResiliencePipelineBuilder()
                    .AddRetry([|new RetryStrategyOptions|] { ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>(), MaxRetryAttempts = 101 })
                    .Build();
                return await pipeline.ExecuteAsync(async ct => await http.GetStringAsync("https://api.example.test/v1/models", ct), cancellationToken);
            }
        }
        """);

    [Fact]
    public Task SyncCallThatAwaitsItsArgument_InAnAsyncMethod_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<ChatCompletion> AskAsync(ChatClient client, Func<Task<string>> prompt)
            {
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        return client.CompleteChat(await prompt());
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

    // The try is written out without the trivia of its statements: the #else branch would be lost.
    [Fact]
    public Task PreprocessorDirectivesInTheLoop_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<string> GetAsync(HttpClient http, CancellationToken ct)
            {
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
        #if NET8_0_OR_GREATER
                        return await http.GetStringAsync("https://api.example.test/v1/models", ct);
        #else
                        return await http.GetStringAsync("https://api.example.test/v1/models");
        #endif
                    }
                    catch (HttpRequestException)
                    {
                        await [|Task.Delay(1000, ct)|];
                    }
                }

                return "";
            }
        }
        """);

    // The counter's declaration goes without its trivia: the #if block before it would go too.
    [Fact]
    public Task CounterDeclarationAfterADirective_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<ChatCompletion?> AskAsync(ChatClient client, string prompt)
            {
        #if DEBUG
                Console.WriteLine(prompt);
        #endif
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
        """);

    [Fact]
    public Task PollyV7_PolicyDeclarationAfterADirective_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<string> GetAsync(HttpClient http)
            {
        #if DEBUG
                Console.WriteLine("asking");
        #endif
                var policy = Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, [|_ => TimeSpan.FromSeconds(1)|]);
                return await policy.ExecuteAsync(() => http.GetStringAsync("https://api.example.test/v1/models"));
            }
        }
        """);

    // Fix All would give each part its own TokensPerMinute, ProviderBudget and EstimatedTokensPerCall.
    [Fact]
    public Task PartialTypeWithSitesInTwoParts_NoPipelineAction() => NoPipelineAction("""
        partial class Agent
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

        partial class Agent
        {
            public async Task<string> ListAsync(HttpClient http)
            {
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        return await http.GetStringAsync("https://api.example.test/v1/files");
                    }
                    catch (HttpRequestException)
                    {
                        await [|Task.Delay(1000)|];
                    }
                }

                return "";
            }
        }
        """);
}
