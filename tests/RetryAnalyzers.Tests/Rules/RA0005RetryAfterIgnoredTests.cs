using System.Threading;
using System.Threading.Tasks;
using RetryAnalyzers.Tests.Verifiers;
using Verify = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RA0005RetryAfterIgnoredAnalyzer, RetryAnalyzers.CodeFixes.RA0005RetryAfterIgnoredCodeFix>;

namespace RetryAnalyzers.Tests.Rules;

public sealed class RA0005RetryAfterIgnoredTests
{
    private const string Usings = """
        using System;
        using System.Net;
        using System.Net.Http;
        using System.Threading.Tasks;
        using Polly;
        using Polly.Retry;

        """;

    private static Task Analyze(string body) => Verify.VerifyAnalyzerAsync(Usings + body);

    private static Task AnalyzeWithHttpResilience(string body)
    {
        var test = new Verify.Test { TestCode = Usings + "using Microsoft.Extensions.Http.Resilience;\n" + body, ReferenceAssemblies = TestReferences.WithHttpResilience };
        return test.RunAsync(CancellationToken.None);
    }

    private static string Options(string options) => $$"""
        class C
        {
            static bool IsRetryable(HttpResponseMessage r) => true;
            static ValueTask<bool> Decide(RetryPredicateArguments<HttpResponseMessage> args) => new(true);
            ResiliencePipeline<HttpResponseMessage> M() => new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry({{options}}).Build();
        }
        """;

    // ---------------------------------------------------------------- Valid (no diagnostic)

    [Theory]
    [InlineData("new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests), DelayGenerator = args => new ValueTask<TimeSpan?>(args.Outcome.Result?.Headers.RetryAfter?.Delta) }")]
    [InlineData("new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests), DelayGenerator = RetryAnalyzers.Runtime.RetryAfterDelay.Generator() }")]
    [InlineData("new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.ServiceUnavailable) }")]
    [InlineData("new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests) }")]
    [InlineData("new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result is { StatusCode: not HttpStatusCode.TooManyRequests }) }")]
    [InlineData("new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result is { } r && IsRetryable(r)) }")]
    [InlineData("new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = Decide }")]
    [InlineData("new RetryStrategyOptions<HttpResponseMessage>()")]
    [InlineData("new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is HttpRequestException) }")]
    public Task PollyV8_GeneratorSetOr429NotTaken_NoDiagnostic(string options) => Analyze(Options(options));

    [Fact]
    public Task PollyV8_OptionsOverAnotherResult_NoDiagnostic() => Analyze("""
        class Answer { public int StatusCode { get; set; } }
        class C
        {
            ResiliencePipeline<Answer> M() => new ResiliencePipelineBuilder<Answer>()
                .AddRetry(new RetryStrategyOptions<Answer> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == 429) })
                .Build();
        }
        """);

    [Fact]
    public Task PollyV8_OptionsThatEscape_NoDiagnostic() => Analyze("""
        class C
        {
            RetryStrategyOptions<HttpResponseMessage> M()
            {
                var options = new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests) };
                return options; // the caller may set a DelayGenerator
            }
        }
        """);

    [Fact]
    public Task PollyV8_GeneratorSetLater_NoDiagnostic() => Analyze("""
        class C
        {
            ResiliencePipeline<HttpResponseMessage> M()
            {
                var options = new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests) };
                options.DelayGenerator = args => new ValueTask<TimeSpan?>(args.Outcome.Result?.Headers.RetryAfter?.Delta);
                return new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(options).Build();
            }
        }
        """);

    [Theory]
    [InlineData("new HttpRetryStrategyOptions()")]
    [InlineData("new HttpRetryStrategyOptions { ShouldRetryAfterHeader = true, MaxRetryAttempts = 4 }")]
    [InlineData("new HttpRetryStrategyOptions { ShouldRetryAfterHeader = false, ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.BadGateway) }")]
    public Task HttpRetryStrategyOptions_ReadingTheHeaderOr429NotTaken_NoDiagnostic(string options) => AnalyzeWithHttpResilience(Options(options));

    [Fact]
    public Task HttpRetryStrategyOptions_HeaderLeftOnInTheStandardHandler_NoDiagnostic() => AnalyzeWithHttpResilience("""
        using Microsoft.Extensions.DependencyInjection;
        class C
        {
            void Register(Microsoft.Extensions.DependencyInjection.IServiceCollection services, bool fromConfig)
            {
                Microsoft.Extensions.DependencyInjection.HttpClientFactoryServiceCollectionExtensions.AddHttpClient(services, "llm")
                    .AddStandardResilienceHandler(o => { o.Retry.ShouldRetryAfterHeader = true; o.Retry.MaxRetryAttempts = 2; o.Retry.ShouldRetryAfterHeader = fromConfig; });
            }
        }
        """);

    [Fact]
    public Task WithoutPolly_NoDiagnostic() => new Verify.Test
    {
        TestCode = """
            using System.Net.Http;
            class RetryStrategyOptions<T> { }
            class C { object M() => new RetryStrategyOptions<HttpResponseMessage>(); }
            """,
        ReferenceAssemblies = TestReferences.Net80WithPolly,
    }.RunAsync(CancellationToken.None);

    // ---------------------------------------------------------------- Invalid (diagnostic)

    [Theory]
    [InlineData("args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests)")]
    [InlineData("args => new ValueTask<bool>(args.Outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable })")]
    [InlineData("args => new ValueTask<bool>(args.Outcome.Result is { } r && (int)r.StatusCode == 429)")]
    [InlineData("args => new ValueTask<bool>(args.Outcome.Result is { IsSuccessStatusCode: false } || args.Outcome.Exception is not null)")]
    [InlineData("args => new ValueTask<bool>(args.Outcome.Result?.IsSuccessStatusCode == false)")]
    [InlineData("args => new ValueTask<bool>(args.Outcome.Result is { } r && !r.IsSuccessStatusCode)")]
    [InlineData("new PredicateBuilder<HttpResponseMessage>().Handle<HttpRequestException>().HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests)")]
    public Task PollyV8_ShouldHandleTakes429_NoGenerator_Diagnostic(string shouldHandle) => Analyze(Options(
        "{|RA0005:new RetryStrategyOptions<HttpResponseMessage>|} { ShouldHandle = " + shouldHandle + ", BackoffType = DelayBackoffType.Exponential, UseJitter = true }"));

    [Fact]
    public Task HttpRetryStrategyOptions_HeaderSwitchedOff_Diagnostic() => AnalyzeWithHttpResilience(Options(
        "new HttpRetryStrategyOptions { {|RA0005:ShouldRetryAfterHeader = false|} }"));

    private static string V7(string policy) => $$"""
        class C
        {
            static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(attempt);
            static TimeSpan FromHeader(int attempt, DelegateResult<HttpResponseMessage> outcome, Context context) => TimeSpan.FromSeconds(attempt);
            IAsyncPolicy<HttpResponseMessage> M() => Policy{{policy}};
        }
        """;

    [Theory]
    [InlineData(".HandleResult<HttpResponseMessage>(r => r.StatusCode == HttpStatusCode.TooManyRequests).WaitAndRetryAsync(3, (attempt, outcome, context) => outcome.Result?.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(attempt), (outcome, delay, attempt, context) => Task.CompletedTask)")]
    [InlineData(".HandleResult<HttpResponseMessage>(r => r.StatusCode == HttpStatusCode.TooManyRequests).WaitAndRetryAsync(3, FromHeader, (outcome, delay, attempt, context) => Task.CompletedTask)")]
    [InlineData(".HandleResult<HttpResponseMessage>(r => r.StatusCode >= HttpStatusCode.InternalServerError).WaitAndRetryAsync(3, attempt => TimeSpan.FromSeconds(attempt))")]
    [InlineData("<HttpResponseMessage>.Handle<HttpRequestException>().WaitAndRetryAsync(3, attempt => TimeSpan.FromSeconds(attempt))")]
    [InlineData(".HandleResult<HttpResponseMessage>(r => r.StatusCode == HttpStatusCode.TooManyRequests).WaitAndRetryAsync(new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2) })")]
    public Task PollyV7_ReadsTheOutcomeOr429NotTakenOrNoLambda_NoDiagnostic(string policy) => Analyze(V7(policy));

    [Theory]
    [InlineData(".HandleResult<HttpResponseMessage>(r => r.StatusCode == HttpStatusCode.TooManyRequests).WaitAndRetryAsync(3, {|RA0005:attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt))|})")]
    [InlineData("<HttpResponseMessage>.Handle<HttpRequestException>().OrResult(r => (int)r.StatusCode == 429).WaitAndRetryAsync(3, {|RA0005:attempt => Backoff(attempt)|})")]
    [InlineData(".HandleResult<HttpResponseMessage>(r => !r.IsSuccessStatusCode).WaitAndRetryAsync(3, {|RA0005:(attempt, outcome, context) => TimeSpan.FromSeconds(attempt)|}, (outcome, delay, attempt, context) => Task.CompletedTask)")]
    public Task PollyV7_429PolicyWhoseProviderIgnoresTheOutcome_Diagnostic(string policy) => Analyze(V7(policy));

    [Fact]
    public Task PollyV7_NoFixIsOffered() => Verify.VerifyNoFixAsync(Usings + V7(
        ".HandleResult<HttpResponseMessage>(r => r.StatusCode == HttpStatusCode.TooManyRequests).WaitAndRetryAsync(3, {|RA0005:attempt => TimeSpan.FromSeconds(attempt)|})"));

    private static string Loop(string onFailure) => $$"""
        class C
        {
            static TimeSpan DelayFor(HttpResponseMessage response) => response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            async Task<string> M(HttpClient http)
            {
                for (var attempt = 0; attempt < 5; attempt++)
                {
                    var response = await http.GetAsync("https://api.example.com");
                    if (response.IsSuccessStatusCode)
                    {
                        return await response.Content.ReadAsStringAsync();
                    }

                    {{onFailure}}
                }

                throw new InvalidOperationException("gave up");
            }
        }
        """;

    [Theory]
    [InlineData("if (response.StatusCode == HttpStatusCode.TooManyRequests) { await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1)); }")]
    [InlineData("if (response.StatusCode == HttpStatusCode.TooManyRequests) { await Task.Delay(DelayFor(response)); }")]
    [InlineData("if (response.StatusCode == HttpStatusCode.TooManyRequests) { await RetryAnalyzers.Runtime.RetryAfterDelay.DelayAsync(response, TimeSpan.FromSeconds(1)); }")]
    [InlineData("if (response.StatusCode == HttpStatusCode.TooManyRequests) { var ms = response.Headers.TryGetValues(\"retry-after-ms\", out var v) ? 1 : 1000; await Task.Delay(ms); }")]
    [InlineData("if (response.StatusCode >= HttpStatusCode.InternalServerError) { await Task.Delay(1000 * (attempt + 1)); }")]
    [InlineData("if (response.StatusCode == HttpStatusCode.TooManyRequests) { throw new InvalidOperationException(); } await Task.Delay(1000);")]
    public Task Loop_ReadsTheHeaderOrDoesNotRetry429_NoDiagnostic(string onFailure) => Analyze(Loop(onFailure));

    [Theory]
    [InlineData("if (response.StatusCode == HttpStatusCode.TooManyRequests) { await {|RA0005:Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)))|}; }")]
    [InlineData("if (!response.IsSuccessStatusCode) { await {|RA0005:Task.Delay(1000)|}; }")]
    public Task Loop_Retries429OnItsOwnSchedule_Diagnostic(string onFailure) => Analyze(Loop(onFailure));

    [Fact]
    public Task Loop_CatchFilterOn429_Diagnostic() => Analyze("""
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
                        await {|RA0005:Task.Delay(500 * (attempt + 1))|};
                    }
                }
            }
        }
        """);

    private static string ClientResultLoop(string filterAndWait) => $$"""
        class C
        {
            async Task<string> M(OpenAI.Chat.ChatClient chat)
            {
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        return (await chat.CompleteChatAsync("hi")).Value.Content[0].Text;
                    }
                    {{filterAndWait}}
                }
            }
        }
        """;

    [Fact]
    public Task Loop_ClientResultExceptionWith429_Diagnostic() => Analyze(ClientResultLoop(
        "catch (System.ClientModel.ClientResultException ex) when (ex.Status == 429 && attempt < 5) { await {|RA0005:Task.Delay(TimeSpan.FromSeconds(2))|}; }"));

    [Fact]
    public Task Loop_ClientResultExceptionReadingRetryAfter_NoDiagnostic() => Analyze(ClientResultLoop(
        "catch (System.ClientModel.ClientResultException ex) when (ex.Status == 429 && attempt < 5) { var wait = ex.GetRawResponse()?.Headers.TryGetValue(\"retry-after\", out var seconds) == true ? int.Parse(seconds!) : 2; await Task.Delay(TimeSpan.FromSeconds(wait)); }"));

    // ---------------------------------------------------------------- Fixes

    [Fact]
    public Task PollyV8_FixAddsRetryAfterGenerator_KeepingTheBackoff() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net;
        using System.Net.Http;
        using System.Threading.Tasks;
        using Polly;
        using Polly.Retry;

        class C
        {
            ResiliencePipeline<HttpResponseMessage> M() => new ResiliencePipelineBuilder<HttpResponseMessage>()
                .AddRetry({|RA0005:new RetryStrategyOptions<HttpResponseMessage>|}
                {
                    ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                })
                .Build();
        }
        """,
        """
        using System;
        using System.Net;
        using System.Net.Http;
        using System.Threading.Tasks;
        using Polly;
        using Polly.Retry;
        using RetryAnalyzers.Runtime;

        class C
        {
            ResiliencePipeline<HttpResponseMessage> M() => new ResiliencePipelineBuilder<HttpResponseMessage>()
                .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
                {
                    ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    DelayGenerator = RetryAfterDelay.Generator()
                })
                .Build();
        }
        """);

    [Fact]
    public Task Loop_FixWaitsForRetryAfter_KeepingTheDelayAsFallback() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            async Task<string> M(HttpClient http, CancellationToken cancellationToken)
            {
                for (var attempt = 0; attempt < 5; attempt++)
                {
                    var response = await http.GetAsync("https://api.example.com", cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        return await response.Content.ReadAsStringAsync(cancellationToken);
                    }

                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        await {|RA0005:Task.Delay(1000 * (attempt + 1), cancellationToken)|};
                    }
                }

                throw new InvalidOperationException("gave up");
            }
        }
        """,
        """
        using System;
        using System.Net;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using RetryAnalyzers.Runtime;

        class C
        {
            async Task<string> M(HttpClient http, CancellationToken cancellationToken)
            {
                for (var attempt = 0; attempt < 5; attempt++)
                {
                    var response = await http.GetAsync("https://api.example.com", cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        return await response.Content.ReadAsStringAsync(cancellationToken);
                    }

                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        await RetryAfterDelay.DelayAsync(response, TimeSpan.FromMilliseconds(1000 * (attempt + 1)), cancellationToken);
                    }
                }

                throw new InvalidOperationException("gave up");
            }
        }
        """);

    [Fact]
    public Task Loop_CatchFilter_NoFixIsOffered() => Verify.VerifyNoFixAsync(Usings + """
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
                        await {|RA0005:Task.Delay(500 * (attempt + 1))|};
                    }
                }
            }
        }
        """);

    [Fact]
    public Task PollyV8_FixAll_AddsOneUsingAndEveryGenerator() => Verify.VerifyCodeFixAsync(
        """
        using System.Net;
        using System.Net.Http;
        using System.Threading.Tasks;
        using Polly;
        using Polly.Retry;

        class C
        {
            void M()
            {
                var a = new ResiliencePipelineBuilder<HttpResponseMessage>()
                    .AddRetry({|RA0005:new RetryStrategyOptions<HttpResponseMessage>|} { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests) })
                    .Build();
                var b = new ResiliencePipelineBuilder<HttpResponseMessage>()
                    .AddRetry({|RA0005:new RetryStrategyOptions<HttpResponseMessage>|} { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result is { IsSuccessStatusCode: false }) })
                    .Build();
            }
        }
        """,
        """
        using System.Net;
        using System.Net.Http;
        using System.Threading.Tasks;
        using Polly;
        using Polly.Retry;
        using RetryAnalyzers.Runtime;

        class C
        {
            void M()
            {
                var a = new ResiliencePipelineBuilder<HttpResponseMessage>()
                    .AddRetry(new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests), DelayGenerator = RetryAfterDelay.Generator() })
                    .Build();
                var b = new ResiliencePipelineBuilder<HttpResponseMessage>()
                    .AddRetry(new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result is { IsSuccessStatusCode: false }), DelayGenerator = RetryAfterDelay.Generator() })
                    .Build();
            }
        }
        """);

    [Fact]
    public Task HttpRetryStrategyOptions_FixTurnsTheHeaderBackOn() => new Verify.Test
    {
        TestCode = """
            using System.Net.Http;
            using Microsoft.Extensions.DependencyInjection;
            using Microsoft.Extensions.Http.Resilience;
            using Polly;

            class C
            {
                ResiliencePipeline<HttpResponseMessage> M() => new ResiliencePipelineBuilder<HttpResponseMessage>()
                    .AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = 4, {|RA0005:ShouldRetryAfterHeader = false|} })
                    .Build();

                void Register(IServiceCollection services)
                    => services.AddHttpClient("llm").AddStandardResilienceHandler(o => {|RA0005:o.Retry.ShouldRetryAfterHeader = false|});
            }
            """,
        FixedCode = """
            using System.Net.Http;
            using Microsoft.Extensions.DependencyInjection;
            using Microsoft.Extensions.Http.Resilience;
            using Polly;

            class C
            {
                ResiliencePipeline<HttpResponseMessage> M() => new ResiliencePipelineBuilder<HttpResponseMessage>()
                    .AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = 4, ShouldRetryAfterHeader = true })
                    .Build();

                void Register(IServiceCollection services)
                    => services.AddHttpClient("llm").AddStandardResilienceHandler(o => o.Retry.ShouldRetryAfterHeader = true);
            }
            """,
        ReferenceAssemblies = TestReferences.WithHttpResilience,
    }.RunAsync(CancellationToken.None);
}
