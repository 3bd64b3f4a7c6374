using System.Threading;
using System.Threading.Tasks;
using VerifyRA0005 = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RA0005RetryAfterIgnoredAnalyzer, RetryAnalyzers.CodeFixes.RA0005RetryAfterIgnoredCodeFix>;
using VerifyRA0006 = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RA0006UnboundedRetryAnalyzer, RetryAnalyzers.CodeFixes.RA0006UnboundedRetryCodeFix>;

namespace RetryAnalyzers.Tests.Rules;

/// <summary>
/// The pipeline action on RA0005 (a loop that ignores Retry-After: the pipeline waits for it) and RA0006 (an unbounded
/// loop: the pipeline makes RA0006's capped number of retries and the last failure propagates). Same action, same title,
/// under each rule's own key; after the rule's own fix unless <c>dotnet_diagnostic.RAxxxx.fix = pipeline</c>.
/// </summary>
public sealed class RA0005RA0006ProviderPipelineFixTests
{
    private const string Usings = """
        using System;
        using System.Net;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using Polly;
        using Polly.Retry;

        """;

    private const string FixedUsings = """
        using System;
        using System.Net;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using Polly;
        using Polly.Retry;
        using RetryAnalyzers.Runtime;

        """;

    private static string Fields(string ruleId) => $$"""
        #warning {{ruleId}}: set TokensPerMinute to your provider's tokens-per-minute limit (or dotnet_diagnostic.{{ruleId}}.tokens_per_minute in .editorconfig), then delete this line
            private const long TokensPerMinute = 30_000;
            private const long EstimatedTokensPerCall = 1_024; // prompt + max output of one call, drawn from the budget per attempt
            private static readonly TokenBudget ProviderBudget = new TokenBudget(TokenBudgetOptions.PerMinute(TokensPerMinute));
        """;

    private const string StatusLoop = """
        class C
        {
            async Task<string> M(HttpClient http)
            {
                for (var attempt = 0; attempt < 5; attempt++)
                {
                    var response = await http.GetAsync("https://api.example.com");
                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        await {|RA0005:Task.Delay(1000)|};
                        continue;
                    }

                    return await response.Content.ReadAsStringAsync();
                }

                throw new InvalidOperationException("gave up");
            }
        }
        """;

    private static readonly string StatusLoopFixed = $$"""
        class C
        {
        {{Fields("RA0005")}}
            private static readonly ProviderPipeline<HttpResponseMessage> MPipeline = ProviderPipeline.CreateForResponses(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 4 },
                shouldRetry: response => response.StatusCode == HttpStatusCode.TooManyRequests);

            async Task<string> M(HttpClient http)
            {
                var response = await MPipeline.ExecuteAsync(
                    async token => await http.GetAsync("https://api.example.com"),
                    EstimatedTokensPerCall);

                if (response.StatusCode != HttpStatusCode.TooManyRequests)
                {
                    return await response.Content.ReadAsStringAsync();
                }

                throw new InvalidOperationException("gave up");
            }
        }
        """;

    [Fact]
    public async Task RA0005_StatusLoop_PipelineActionUnderItsKey()
    {
        var test = new VerifyRA0005.Test
        {
            TestCode = Usings + StatusLoop,
            FixedCode = FixedUsings + StatusLoopFixed,
            CodeActionEquivalenceKey = "RA0005.RunThroughProviderPipeline",
        };
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task RA0005_FixOptionPipeline_PipelineActionFirst()
    {
        var test = new VerifyRA0005.Test { TestCode = Usings + StatusLoop, FixedCode = FixedUsings + StatusLoopFixed, CodeActionIndex = 0 };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\ndotnet_diagnostic.RA0005.fix = pipeline\n"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task RA0005_WithoutTheOption_TheRetryAfterFixStaysFirst()
    {
        var test = new VerifyRA0005.Test
        {
            TestCode = Usings + StatusLoop,
            FixedCode = FixedUsings + StatusLoop.Replace("await {|RA0005:Task.Delay(1000)|};", "await RetryAfterDelay.DelayAsync(response, TimeSpan.FromMilliseconds(1000));"),
            CodeActionIndex = 0,
            CodeActionEquivalenceKey = "RA0005.WaitForRetryAfter",
        };
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task RA0005_CatchFilterReadsTheCounter_NoPipelineAction()
    {
        var source = Usings + """
            class C
            {
                async Task<string> M(HttpClient http)
                {
                    for (var attempt = 0; ; attempt++)
                    {
                        try
                        {
                            return await http.GetStringAsync("https://api.example.com");
                        }
                        catch (HttpRequestException ex) when (ex.StatusCode == HttpStatusCode.TooManyRequests && attempt < 5)
                        {
                            await {|RA0005:Task.Delay(500)|};
                        }
                    }
                }
            }
            """;
        var test = new VerifyRA0005.Test { TestCode = source, FixedCode = source, CodeActionEquivalenceKey = "RA0005.RunThroughProviderPipeline" };
        await test.RunAsync(CancellationToken.None);
    }

    private const string UnboundedLoop = """
        class C
        {
            async Task<string> M(HttpClient http, CancellationToken ct)
            {
                while (true)
                {
                    try
                    {
                        return await http.GetStringAsync("https://example.test", ct);
                    }
                    catch (HttpRequestException ex) when (ex.StatusCode != HttpStatusCode.BadRequest)
                    {
                        await {|RA0006:Task.Delay(1000, ct)|};
                    }
                }
            }
        }
        """;

    [Theory]
    [InlineData(null, 5)]
    [InlineData("dotnet_diagnostic.RA0006.max_attempts = 3", 3)]
    public async Task RA0006_UnboundedCatchLoop_TheCappedRetriesInThePipeline_TheLastFailurePropagates(string? option, int retries)
    {
        var test = new VerifyRA0006.Test
        {
            TestCode = Usings + UnboundedLoop,
            FixedCode = FixedUsings + $$"""
                class C
                {
                {{Fields("RA0006")}}
                    private static readonly ProviderPipeline<string> MPipeline = ProviderPipeline.Create<string>(
                        new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = {{retries}} },
                        isTransient: exception => exception is HttpRequestException ex && ex.StatusCode != HttpStatusCode.BadRequest);

                    async Task<string> M(HttpClient http, CancellationToken ct)
                    {
                        return await MPipeline.ExecuteAsync(
                            async token => await http.GetStringAsync("https://example.test", token),
                            EstimatedTokensPerCall,
                            ct);
                    }
                }
                """,
            CodeActionEquivalenceKey = "RA0006.RunThroughProviderPipeline",
        };
        if (option is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\n" + option + "\n"));
        }

        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task RA0006_ForeverLoopWithBreak_AssignmentKept_FixAllLeavesARefusedSiteAlone()
    {
        var test = new VerifyRA0006.Test
        {
            TestCode = Usings + $$"""
                class C
                {
                    async Task<string> M(HttpClient http)
                    {
                        var text = "";
                        for (;;)
                        {
                            try
                            {
                                text = await http.GetStringAsync("https://example.test/a");
                                break;
                            }
                            catch (HttpRequestException)
                            {
                                await {|RA0006:Task.Delay(2000)|};
                            }
                        }

                        return text;
                    }
                {{RefusedSite}}
                """,
            FixedCode = FixedUsings + $$"""
                class C
                {
                {{Fields("RA0006")}}
                    private static readonly ProviderPipeline<string> MPipeline = ProviderPipeline.Create<string>(
                        new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 5 },
                        isTransient: exception => exception is HttpRequestException);

                    async Task<string> M(HttpClient http)
                    {
                        var text = "";
                        text = await MPipeline.ExecuteAsync(
                            async token => await http.GetStringAsync("https://example.test/a"),
                            EstimatedTokensPerCall);

                        return text;
                    }
                {{RefusedSite}}
                """,
            CodeActionEquivalenceKey = "RA0006.RunThroughProviderPipeline",
        };
        test.FixedState.MarkupHandling = Microsoft.CodeAnalysis.Testing.MarkupMode.Allow;
        await test.RunAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData(
        """
                var policy = Policy.Handle<HttpRequestException>().{|RA0006:WaitAndRetryForeverAsync|}(_ => TimeSpan.FromSeconds(1));
                return await policy.ExecuteAsync(() => http.GetStringAsync("https://example.test"));
        """)]
    [InlineData(
        """
                var pipeline = new ResiliencePipelineBuilder()
                    .AddRetry(new RetryStrategyOptions { ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>(), {|RA0006:MaxRetryAttempts = int.MaxValue|} })
                    .Build();
                return await pipeline.ExecuteAsync(async token => await http.GetStringAsync("https://example.test"));
        """)]
    public async Task RA0006_UnboundedPollyRetryBuiltForOneCall_TheCappedRetriesInThePipeline(string body)
    {
        var test = new VerifyRA0006.Test
        {
            TestCode = Usings + $$"""
                class C
                {
                    async Task<string> M(HttpClient http)
                    {
                {{body}}
                    }
                }
                """,
            FixedCode = FixedUsings + $$"""
                class C
                {
                {{Fields("RA0006")}}
                    private static readonly ProviderPipeline<string> MPipeline = ProviderPipeline.Create<string>(
                        new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 5 },
                        isTransient: exception => exception is HttpRequestException);

                    async Task<string> M(HttpClient http)
                    {
                        return await MPipeline.ExecuteAsync(
                            async token => await http.GetStringAsync("https://example.test"),
                            EstimatedTokensPerCall);
                    }
                }
                """,
            CodeActionEquivalenceKey = "RA0006.RunThroughProviderPipeline",
        };
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task RA0006_ForeverPolicyWithAnOnRetry_NoPipelineAction()
    {
        var source = Usings + """
            class C
            {
                async Task<string> M(HttpClient http)
                {
                    var policy = Policy.Handle<HttpRequestException>().{|RA0006:WaitAndRetryForeverAsync|}(_ => TimeSpan.FromSeconds(1), (e, delay) => Console.WriteLine(e.Message));
                    return await policy.ExecuteAsync(() => http.GetStringAsync("https://example.test"));
                }
            }
            """;
        var test = new VerifyRA0006.Test { TestCode = source, FixedCode = source, CodeActionEquivalenceKey = "RA0006.RunThroughProviderPipeline" };
        await test.RunAsync(CancellationToken.None);
    }

    // A call then `return;` in the try: not the call's value leaving the loop, so no pipeline action (the cap stays).
    private const string RefusedSite = """

            async Task N(HttpClient http)
            {
                while (true)
                {
                    try
                    {
                        await http.GetStringAsync("https://example.test/b");
                        return;
                    }
                    catch (TaskCanceledException)
                    {
                        await {|RA0006:Task.Delay(2000)|};
                    }
                }
            }
        }
        """;

    [Theory]
    [InlineData("var attempt = 0; while (true)", "attempt++; Console.WriteLine($\"attempt {attempt} failed\");")]
    [InlineData("while (!ct.IsCancellationRequested)", "")]
    [InlineData("while (true)", "Console.WriteLine(ex);")]
    public async Task RA0006_LoopThatDoesMoreThanRetry_NoPipelineAction(string loop, string inCatch)
    {
        var source = Usings + $$"""
            class C
            {
                async Task<string> M(HttpClient http, CancellationToken ct)
                {
                    {{loop}}
                    {
                        try
                        {
                            return await http.GetStringAsync("https://example.test", ct);
                        }
                        catch (HttpRequestException ex)
                        {
                            {{inCatch}}
                            await {|RA0006:Task.Delay(1000, ct)|};
                        }
                    }

                    throw new OperationCanceledException();
                }
            }
            """;
        var test = new VerifyRA0006.Test { TestCode = source, FixedCode = source, CodeActionEquivalenceKey = "RA0006.RunThroughProviderPipeline" };
        await test.RunAsync(CancellationToken.None);
    }
}
