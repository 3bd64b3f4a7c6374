using System.Threading;
using System.Threading.Tasks;
using RetryAnalyzers.Tests.Verifiers;
using Verify = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RA0007NestedRetryAnalyzer, RetryAnalyzers.CodeFixes.RA0007NestedRetryCodeFix>;

namespace RetryAnalyzers.Tests.Rules;

public sealed class RA0007NestedRetryTests
{
    private const string Usings = """
        using System;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using Polly;
        using Polly.Retry;

        """;

    private const string HttpUsings = """
        using System;
        using System.Net.Http;
        using Microsoft.Extensions.DependencyInjection;
        using Polly;
        using Polly.Extensions.Http;
        using Polly.Retry;

        """;

    private const string SdkUsings = """
        using System;
        using System.ClientModel;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenAI;
        using OpenAI.Chat;
        using Polly;
        using Polly.Retry;

        """;

    private static Task Analyze(string source) => Verify.VerifyAnalyzerAsync(Usings + source);

    private static Task AnalyzeHttp(string body) => new Verify.Test
    {
        ReferenceAssemblies = TestReferences.WithHttpResilience,
        TestCode = HttpUsings + $$"""
            static class Registration
            {
                static void Register(IServiceCollection services)
                {
                    {{body}}
                }
            }
            """,
    }.RunAsync(CancellationToken.None);

    // ---------------------------------------------------------------- Polly v8 pipeline builder

    [Theory]
    [InlineData("new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions()).AddTimeout(TimeSpan.FromSeconds(10)).Build();")]
    [InlineData("new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions()).AddCircuitBreaker(new Polly.CircuitBreaker.CircuitBreakerStrategyOptions()).Build();")]
    [InlineData("new ResiliencePipelineBuilder<HttpResponseMessage>().AddFallback(new Polly.Fallback.FallbackStrategyOptions<HttpResponseMessage> { FallbackAction = _ => Outcome.FromResultAsValueTask(new HttpResponseMessage()) }).AddRetry(new RetryStrategyOptions<HttpResponseMessage>()).Build();")]
    [InlineData("new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(new RetryStrategyOptions<HttpResponseMessage>()).AddHedging(new Polly.Hedging.HedgingStrategyOptions<HttpResponseMessage>()).Build();")]
    [InlineData("var a = new ResiliencePipelineBuilder(); a.AddRetry(new RetryStrategyOptions()); var b = new ResiliencePipelineBuilder(); b.AddRetry(new RetryStrategyOptions());")]
    [InlineData("var a = new ResiliencePipelineBuilder(); if (DateTime.Now.Second > 30) { a.AddRetry(new RetryStrategyOptions()); } else { a.AddRetry(new RetryStrategyOptions { MaxRetryAttempts = 5 }); }")]
    public Task OneRetryPerBuilder_NoDiagnostic(string statement) => Analyze($$"""
        class Pipelines
        {
            void Build()
            {
                {{statement}}
            }
        }
        """);

    [Fact]
    public Task SecondAddRetryInOneChain_Reported() => Analyze("""
        class Pipelines
        {
            ResiliencePipeline Build() => new ResiliencePipelineBuilder()
                .AddRetry(new RetryStrategyOptions())
                .AddTimeout(TimeSpan.FromSeconds(10))
                .{|RA0007:AddRetry(new RetryStrategyOptions { MaxRetryAttempts = 2 })|}
                .Build();
        }
        """);

    [Fact]
    public Task SecondAddRetryOnTheSameLocal_Reported() => Analyze("""
        class Pipelines
        {
            ResiliencePipeline<HttpResponseMessage> Build()
            {
                var builder = new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(new RetryStrategyOptions<HttpResponseMessage>());
                builder.AddTimeout(TimeSpan.FromSeconds(5));
                builder.{|RA0007:AddRetry(new RetryStrategyOptions<HttpResponseMessage>())|};
                return builder.Build();
            }
        }
        """);

    // ---------------------------------------------------------------- IHttpClientBuilder

    [Theory]
    [InlineData("services.AddHttpClient(\"llm\").AddStandardResilienceHandler();")]
    [InlineData("services.AddHttpClient(\"llm\").AddPolicyHandler(HttpPolicyExtensions.HandleTransientHttpError().WaitAndRetryAsync(3, i => TimeSpan.FromSeconds(i)));")]
    [InlineData("var client = services.AddHttpClient(\"llm\"); client.AddStandardResilienceHandler(); client.AddResilienceHandler(\"limits\", b => b.AddTimeout(TimeSpan.FromSeconds(30)));")]
    [InlineData("var client = services.AddHttpClient(\"llm\"); client.AddStandardResilienceHandler(); client.AddPolicyHandler(Policy.TimeoutAsync<HttpResponseMessage>(10));")]
    [InlineData("services.AddHttpClient(\"a\").AddStandardResilienceHandler(); services.AddHttpClient(\"b\").AddTransientHttpErrorPolicy(p => p.WaitAndRetryAsync(3, i => TimeSpan.FromSeconds(i)));")]
    [InlineData("services.AddHttpClient(\"llm\").AddTransientHttpErrorPolicy(p => p.CircuitBreakerAsync(5, TimeSpan.FromSeconds(30))).AddStandardResilienceHandler();")]
    public Task OneRetryLayerPerClient_NoDiagnostic(string body) => AnalyzeHttp(body);

    [Theory]
    [InlineData("var client = services.AddHttpClient(\"llm\"); client.AddPolicyHandler(HttpPolicyExtensions.HandleTransientHttpError().WaitAndRetryAsync(3, i => TimeSpan.FromSeconds(i))); client.{|RA0007:AddStandardResilienceHandler()|};")]
    [InlineData("services.AddHttpClient(\"llm\").AddTransientHttpErrorPolicy(p => p.RetryAsync(3)).{|RA0007:AddStandardResilienceHandler()|};")]
    [InlineData("var client = services.AddHttpClient(\"llm\"); client.AddStandardResilienceHandler(); client.{|RA0007:AddResilienceHandler(\"retry\", b => b.AddRetry(new HttpRetryStrategyOptions()))|};")]
    [InlineData("var retry = HttpPolicyExtensions.HandleTransientHttpError().WaitAndRetryAsync(3, i => TimeSpan.FromSeconds(i)); services.AddHttpClient(\"llm\").AddTransientHttpErrorPolicy(p => p.RetryAsync(2)).{|RA0007:AddPolicyHandler(retry)|};")]
    [InlineData("var client = services.AddHttpClient(\"llm\"); client.AddHttpMessageHandler(() => new RetryAnalyzers.Runtime.ProviderResilienceHandler(new RetryAnalyzers.Runtime.ProviderResilienceOptions())); client.{|RA0007:AddStandardResilienceHandler()|};")]
    public Task SecondRetryLayerOnOneClient_Reported(string body) => AnalyzeHttp(body.Replace("HttpRetryStrategyOptions", "Microsoft.Extensions.Http.Resilience.HttpRetryStrategyOptions"));

    [Fact]
    public Task PolicyFromAFieldOrAMethodOfThisFile_Reported_UnknownPolicy_Quiet() => new Verify.Test
    {
        ReferenceAssemblies = TestReferences.WithHttpResilience,
        TestCode = HttpUsings + """
            static class Registration
            {
                static readonly IAsyncPolicy<HttpResponseMessage> Retry = HttpPolicyExtensions.HandleTransientHttpError().WaitAndRetryAsync(3, i => TimeSpan.FromSeconds(i));

                static IAsyncPolicy<HttpResponseMessage> GetRetryPolicy() => HttpPolicyExtensions.HandleTransientHttpError().RetryAsync(3);

                static IAsyncPolicy<HttpResponseMessage> GetBreaker() => HttpPolicyExtensions.HandleTransientHttpError().CircuitBreakerAsync(5, TimeSpan.FromSeconds(30));

                static void Register(IServiceCollection services, IAsyncPolicy<HttpResponseMessage> injected)
                {
                    services.AddHttpClient("a").AddPolicyHandler(Retry).{|RA0007:AddPolicyHandler(GetRetryPolicy())|};
                    var b = services.AddHttpClient("b");
                    b.AddPolicyHandler(GetRetryPolicy());
                    b.{|RA0007:AddStandardResilienceHandler()|};
                    services.AddHttpClient("c").AddPolicyHandler(GetBreaker()).AddPolicyHandler(injected).AddStandardResilienceHandler();
                }
            }
            """,
    }.RunAsync(CancellationToken.None);

    [Fact]
    public Task StandardHandlerWithHedging_NoDiagnostic() => AnalyzeHttp("""
        var client = services.AddHttpClient("llm");
                client.AddStandardResilienceHandler();
                client.AddStandardHedgingHandler();
        """);

    // ---------------------------------------------------------------- SDK client inside an outer retry

    private static Task AnalyzeSdk(string source) => Verify.VerifyAnalyzerAsync(SdkUsings + source);

    [Fact]
    public Task ClientInsidePollyV8Retry_Reported() => AnalyzeSdk("""
        class Summarizer
        {
            private readonly ResiliencePipeline _pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { MaxRetryAttempts = 3 }).Build();
            private readonly ChatClient _chat = {|RA0007:new ChatClient("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|};

            public async Task<string> SummarizeAsync(string text, CancellationToken ct)
                => await _pipeline.ExecuteAsync(async token => (await _chat.CompleteChatAsync(new ChatMessage[] { text }, cancellationToken: token)).Value.Content[0].Text, ct);
        }
        """);

    [Fact]
    public Task ClientInsidePollyV7RetryAndHandWrittenLoop_Reported() => AnalyzeSdk("""
        class Summarizer
        {
            public async Task<string> V7Async(string text)
            {
                var policy = Policy.Handle<ClientResultException>().WaitAndRetryAsync(3, i => TimeSpan.FromSeconds(i));
                var chat = {|RA0007:new OpenAIClient(new ApiKeyCredential("key"), new OpenAIClientOptions { Endpoint = new Uri("https://example.test/v1") })|}.GetChatClient("gpt-4o-mini");
                return await policy.ExecuteAsync(async () => (await chat.CompleteChatAsync(text)).Value.Content[0].Text);
            }

            public async Task<string> LoopAsync(string text)
            {
                var chat = {|RA0007:new ChatClient("gpt-4o-mini", "key")|};
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        return (await chat.CompleteChatAsync(text)).Value.Content[0].Text;
                    }
                    catch (ClientResultException) when (attempt < 3)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)));
                    }
                }
            }
        }
        """);

    [Theory]
    [InlineData("new ChatClient(\"gpt-4o-mini\", new ApiKeyCredential(\"key\"), new OpenAIClientOptions { RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) })")]
    [InlineData("new ChatClient(\"gpt-4o-mini\", new ApiKeyCredential(\"key\"), RetryAnalyzers.Runtime.ProviderPipelinePolicyExtensions.UseProviderResilience(new OpenAIClientOptions(), new RetryAnalyzers.Runtime.ProviderResilienceOptions()))")]
    [InlineData("new ChatClient(\"gpt-4o-mini\", new ApiKeyCredential(\"key\"), new OpenAIClientOptions { Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(new System.Net.Http.HttpClient()) })")]
    [InlineData("new ChatClient(\"gpt-4o-mini\", new ApiKeyCredential(\"key\"), Options)")]
    public Task ClientWithoutItsOwnRetryOrUnknownOptions_NoDiagnostic(string creation) => AnalyzeSdk($$"""
        class Summarizer
        {
            static readonly OpenAIClientOptions Options = new();

            public async Task<string> SummarizeAsync(string text)
            {
                var pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions()).Build();
                var chat = {{creation}};
                return await pipeline.ExecuteAsync(async _ => (await chat.CompleteChatAsync(text)).Value.Content[0].Text);
            }
        }
        """);

    [Fact]
    public Task ClientOutsideAnyRetryOrUnderNonRetryPipeline_NoDiagnostic() => AnalyzeSdk("""
        class Summarizer
        {
            private readonly ChatClient _chat = new ChatClient("gpt-4o-mini", "key");
            private readonly ResiliencePipeline _timeout = new ResiliencePipelineBuilder().AddTimeout(TimeSpan.FromSeconds(30)).Build();

            public async Task<string> PlainAsync(string text) => (await _chat.CompleteChatAsync(text)).Value.Content[0].Text;

            public async Task<string> TimedAsync(string text) => await _timeout.ExecuteAsync(async _ => (await _chat.CompleteChatAsync(text)).Value.Content[0].Text);

            public async Task<string> UnknownAsync(ResiliencePipeline pipeline, string text)
            {
                var chat = new ChatClient("gpt-4o-mini", "key");
                return await pipeline.ExecuteAsync(async _ => (await chat.CompleteChatAsync(text)).Value.Content[0].Text);
            }

            public async Task PollAsync(string text, CancellationToken ct)
            {
                var chat = new ChatClient("gpt-4o-mini", "key");
                while (!ct.IsCancellationRequested)
                {
                    await chat.CompleteChatAsync(text);
                    await Task.Delay(TimeSpan.FromMinutes(1), ct);
                }
            }
        }
        """);

    [Fact]
    public Task ClientInsideProviderPipeline_Reported() => AnalyzeSdk("""
        class Summarizer
        {
            private readonly RetryAnalyzers.Runtime.ProviderPipeline<string> _pipeline = RetryAnalyzers.Runtime.ProviderPipeline.Create<string>(new RetryAnalyzers.Runtime.ProviderResilienceOptions());
            private readonly ChatClient _chat;

            public Summarizer() => _chat = {|RA0007:new("gpt-4o-mini", "key")|};

            public async Task<string> SummarizeAsync(string text, CancellationToken ct)
                => await _pipeline.ExecuteAsync(async token => (await _chat.CompleteChatAsync(new ChatMessage[] { text }, cancellationToken: token)).Value.Content[0].Text, 1_000, ct);
        }
        """);

    [Fact]
    public Task OptionsFromALocalOrAPublicField_NoDiagnostic() => AnalyzeSdk("""
        class Summarizer
        {
            private readonly ResiliencePipeline _pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions()).Build();
            public ChatClient Shared = new ChatClient("gpt-4o-mini", "key");

            public async Task<string> SummarizeAsync(string text, CancellationToken ct)
            {
                var options = new OpenAIClientOptions();
                options.RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0);
                var chat = new ChatClient("gpt-4o-mini", new ApiKeyCredential("key"), options);
                await _pipeline.ExecuteAsync(async token => await Shared.CompleteChatAsync(new ChatMessage[] { text }, cancellationToken: token), ct);
                return await _pipeline.ExecuteAsync(async token => (await chat.CompleteChatAsync(new ChatMessage[] { text }, cancellationToken: token)).Value.Content[0].Text, ct);
            }
        }
        """);

    [Fact]
    public Task NestedRetryInsideAResilienceHandlerLambda_Reported() => new Verify.Test
    {
        ReferenceAssemblies = TestReferences.WithHttpResilience,
        TestCode = HttpUsings + """
            static class Registration
            {
                static void Register(IServiceCollection services)
                    => services.AddHttpClient("llm").AddResilienceHandler("custom", builder =>
                    {
                        builder.AddRetry(new Microsoft.Extensions.Http.Resilience.HttpRetryStrategyOptions());
                        builder.{|RA0007:AddRetry(new Microsoft.Extensions.Http.Resilience.HttpRetryStrategyOptions { MaxRetryAttempts = 2 })|};
                    });
            }
            """,
    }.RunAsync(CancellationToken.None);

    [Fact]
    public Task ClientInABatchLoopThatPausesAfterAFailure_NoDiagnostic() => AnalyzeSdk("""
        class Summarizer
        {
            public async Task SummarizeAllAsync(string[] texts)
            {
                var chat = new ChatClient("gpt-4o-mini", "key");
                foreach (var text in texts)
                {
                    try { await chat.CompleteChatAsync(text); }
                    catch (ClientResultException) { await Task.Delay(1_000); }
                }

                for (var i = 0; i < texts.Length; i++)
                {
                    try { await chat.CompleteChatAsync(texts[i]); }
                    catch (ClientResultException) { await Task.Delay(1_000); }
                }
            }
        }
        """);

    // ---------------------------------------------------------------- Fix

    [Fact]
    public Task BuilderDuplicate_NoFix() => Verify.VerifyNoFixAsync(Usings + """
        class Pipelines
        {
            ResiliencePipeline Build() => new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions()).{|RA0007:AddRetry(new RetryStrategyOptions())|}.Build();
        }
        """);

    [Fact]
    public Task SdkRetries_SwitchedOff_TargetTypedInHandWrittenLoop() => Verify.VerifyCodeFixAsync(SdkUsings + """
        class Summarizer
        {
            public async Task<string> LoopAsync(string text)
            {
                ChatClient chat = {|RA0007:new("gpt-4o-mini", "key")|};
                for (var attempt = 0; ; attempt++)
                {
                    try { return (await chat.CompleteChatAsync(text)).Value.Content[0].Text; }
                    catch (ClientResultException) when (attempt < 3) { await Task.Delay(Random.Shared.Next(500, 2_000)); }
                }
            }
        }
        """, SdkUsings.Replace("using System.ClientModel;\n", "using System.ClientModel;\nusing System.ClientModel.Primitives;\n") + """
        class Summarizer
        {
            public async Task<string> LoopAsync(string text)
            {
                ChatClient chat = new("gpt-4o-mini", new ApiKeyCredential("key"), new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });
                for (var attempt = 0; ; attempt++)
                {
                    try { return (await chat.CompleteChatAsync(text)).Value.Content[0].Text; }
                    catch (ClientResultException) when (attempt < 3) { await Task.Delay(Random.Shared.Next(500, 2_000)); }
                }
            }
        }
        """);

    [Fact]
    public Task SdkRetries_SwitchedOff_EveryShape_FixAll() => Verify.VerifyCodeFixAsync(SdkUsings + """
        class Summarizer
        {
            private readonly ResiliencePipeline _pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions()).Build();
            private readonly ChatClient _chat = {|RA0007:new ChatClient("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|};
            private readonly OpenAIClient _client = {|RA0007:new OpenAIClient(new ApiKeyCredential("key"), new OpenAIClientOptions { Endpoint = new Uri("https://example.test/v1") })|};
            private readonly OpenAIClient _bare = {|RA0007:new OpenAIClient(new ApiKeyCredential("key"), new OpenAIClientOptions())|};

            public async Task<string> SummarizeAsync(string text, CancellationToken ct)
                => await _pipeline.ExecuteAsync(async token =>
                {
                    await _client.GetChatClient("gpt-4o-mini").CompleteChatAsync(text);
                    await _bare.GetChatClient("gpt-4o-mini").CompleteChatAsync(text);
                    return (await _chat.CompleteChatAsync(new ChatMessage[] { text }, cancellationToken: token)).Value.Content[0].Text;
                }, ct);
        }
        """, SdkUsings.Replace("using System.ClientModel;\n", "using System.ClientModel;\nusing System.ClientModel.Primitives;\n") + """
        class Summarizer
        {
            private readonly ResiliencePipeline _pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions()).Build();
            private readonly ChatClient _chat = new ChatClient("gpt-4o-mini", new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!), new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });
            private readonly OpenAIClient _client = new OpenAIClient(new ApiKeyCredential("key"), new OpenAIClientOptions { Endpoint = new Uri("https://example.test/v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });
            private readonly OpenAIClient _bare = new OpenAIClient(new ApiKeyCredential("key"), new OpenAIClientOptions() { RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });

            public async Task<string> SummarizeAsync(string text, CancellationToken ct)
                => await _pipeline.ExecuteAsync(async token =>
                {
                    await _client.GetChatClient("gpt-4o-mini").CompleteChatAsync(text);
                    await _bare.GetChatClient("gpt-4o-mini").CompleteChatAsync(text);
                    return (await _chat.CompleteChatAsync(new ChatMessage[] { text }, cancellationToken: token)).Value.Content[0].Text;
                }, ct);
        }
        """);
}
