using System.Threading;
using System.Threading.Tasks;
using RetryAnalyzers.Tests.Verifiers;
using Verify = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RA0008TooManyRequestsNotRetriedAnalyzer, RetryAnalyzers.CodeFixes.RA0008TooManyRequestsNotRetriedCodeFix>;

namespace RetryAnalyzers.Tests.Rules;

public sealed class RA0008TooManyRequestsNotRetriedTests
{
    private const string Usings = """
        using System;
        using System.Linq;
        using System.Net;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.DependencyInjection;
        using Polly;
        using Polly.Extensions.Http;
        using Polly.Retry;

        """;

    private static Task Analyze(string body) => Run(Usings + body, fixedSource: null);

    private static Task Fix(string body, string fixedBody) => Run(Usings + body, Usings + fixedBody);

    private static Task Run(string source, string? fixedSource)
    {
        var test = new Verify.Test { TestCode = source, ReferenceAssemblies = TestReferences.WithHttpResilience };
        if (fixedSource is not null)
        {
            test.FixedCode = fixedSource;
        }

        return test.RunAsync(CancellationToken.None);
    }

    private static string V7(string policy) => $$"""
        class C
        {
            static bool IsThrottled(HttpResponseMessage r) => (int)r.StatusCode == 429;
            IAsyncPolicy<HttpResponseMessage> M() => {{policy}};
        }
        """;

    private static string V8(string shouldHandle) => $$"""
        class C
        {
            static ValueTask<bool> Decide(RetryPredicateArguments<HttpResponseMessage> args) => new(true);
            static readonly HttpStatusCode[] Retryable = { HttpStatusCode.ServiceUnavailable };
            ResiliencePipeline<HttpResponseMessage> M() => new ResiliencePipelineBuilder<HttpResponseMessage>()
                .AddRetry(new RetryStrategyOptions<HttpResponseMessage> { {{shouldHandle}}, UseJitter = true, BackoffType = DelayBackoffType.Exponential })
                .Build();
        }
        """;

    private static string Loop(string onResponse) => $$"""
        class C
        {
            static bool Worth(HttpResponseMessage r) => true;
            async Task<HttpResponseMessage> M(HttpClient client, CancellationToken ct)
            {
                for (var attempt = 0; ; attempt++)
                {
                    var response = await client.GetAsync("https://llm.example/v1", ct);
                    {{onResponse}}
                }
            }
        }
        """;

    // ---------------------------------------------------------------- Valid (no diagnostic)

    [Theory]
    [InlineData("HttpPolicyExtensions.HandleTransientHttpError().OrResult(r => r.StatusCode == HttpStatusCode.TooManyRequests).WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(a))")]
    [InlineData("HttpPolicyExtensions.HandleTransientHttpError().OrResult(r => (int)r.StatusCode == 429).WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(a))")]
    [InlineData("HttpPolicyExtensions.HandleTransientHttpError().OrResult(r => !r.IsSuccessStatusCode).RetryAsync(3)")]
    [InlineData("HttpPolicyExtensions.HandleTransientHttpError().OrResult(IsThrottled).WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(a))")]
    [InlineData("HttpPolicyExtensions.HandleTransientHttpError().OrResult(r => r.StatusCode is HttpStatusCode.NotFound or (HttpStatusCode)429).RetryAsync(3)")]
    [InlineData("HttpPolicyExtensions.HandleTransientHttpError().CircuitBreakerAsync(5, TimeSpan.FromSeconds(30))")]
    [InlineData("HttpPolicyExtensions.HandleTransientHttpError().FallbackAsync(new HttpResponseMessage(HttpStatusCode.OK))")]
    [InlineData("Policy.HandleResult<HttpResponseMessage>(r => r.StatusCode >= HttpStatusCode.InternalServerError || r.StatusCode == HttpStatusCode.TooManyRequests).RetryAsync(3)")]
    [InlineData("Policy<HttpResponseMessage>.Handle<HttpRequestException>().OrTransientHttpError().OrResult(r => r.StatusCode == HttpStatusCode.TooManyRequests).RetryAsync(2)")]
    public Task PollyV7_429TakenOrNotARetryOrUnreadable_NoDiagnostic(string policy) => Analyze(V7(policy));

    [Fact]
    public Task PollyV7_SourceHeldInAField_NoDiagnostic() => Analyze("""
        class C
        {
            static readonly PolicyBuilder<HttpResponseMessage> Transient = HttpPolicyExtensions.HandleTransientHttpError();
            IAsyncPolicy<HttpResponseMessage> M() => Transient.RetryAsync(3); // the builder may be shared with a 429 predicate elsewhere
        }
        """);

    [Theory]
    [InlineData("ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.StatusCode >= HttpStatusCode.InternalServerError || args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests)")]
    [InlineData("ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { IsSuccessStatusCode: false })")]
    [InlineData("ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.StatusCode == HttpStatusCode.ServiceUnavailable && args.Outcome.Result?.StatusCode != (HttpStatusCode)429)")]
    [InlineData("ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } r && Retryable.Contains(r.StatusCode))")]
    [InlineData("ShouldHandle = Decide")]
    [InlineData("ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException)")]
    [InlineData("ShouldHandle = args => args.Outcome switch { { Exception: HttpRequestException } => PredicateResult.True(), { Result.IsSuccessStatusCode: false } => PredicateResult.True(), _ => PredicateResult.False() }")]
    [InlineData("ShouldHandle = new PredicateBuilder<HttpResponseMessage>().Handle<HttpRequestException>().HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode == HttpStatusCode.TooManyRequests)")]
    [InlineData("ShouldHandle = args => ValueTask.FromResult(Microsoft.Extensions.Http.Resilience.HttpClientResiliencePredicates.IsTransient(args.Outcome))")]
    [InlineData("ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.StatusCode == HttpStatusCode.NotFound)")]
    [InlineData("ShouldHandle = args => args.Outcome switch { { Result: HttpResponseMessage response } when response.StatusCode == HttpStatusCode.InternalServerError => PredicateResult.True(), { Result: HttpResponseMessage response } when response.StatusCode == HttpStatusCode.TooManyRequests => PredicateResult.True(), _ => PredicateResult.False() }")]
    [InlineData("ShouldHandle = args => args.Outcome switch { { Result: HttpResponseMessage response } when Retryable.Contains(response.StatusCode) => PredicateResult.True(), _ => PredicateResult.False() }")]
    public Task PollyV8_429TakenOrNoServerErrorOrUnreadable_NoDiagnostic(string shouldHandle) => Analyze(V8(shouldHandle));

    [Fact]
    public Task PollyV8_ABreakerThatLeaves429Out_NoDiagnostic() => Analyze("""
        using Polly.CircuitBreaker;
        class C
        {
            ResiliencePipeline<HttpResponseMessage> M() => new ResiliencePipelineBuilder<HttpResponseMessage>()
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage> { ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.StatusCode >= HttpStatusCode.InternalServerError) })
                .Build();
        }
        """);

    [Fact]
    public Task StandardResilienceHandler_DefaultsTake429_NoDiagnostic() => Analyze("""
        class C
        {
            void Register(IServiceCollection services) => services.AddHttpClient("llm").AddStandardResilienceHandler();
            void Register2(IServiceCollection services) => services.AddHttpClient("llm").AddTransientHttpErrorPolicy(p => p.OrResult(r => r.StatusCode == HttpStatusCode.TooManyRequests).WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(a)));
            void Register3(IServiceCollection services) => services.AddHttpClient("llm").AddTransientHttpErrorPolicy(p => p.CircuitBreakerAsync(5, TimeSpan.FromSeconds(30)));
        }
        """);

    [Theory]
    [InlineData("if (response.IsSuccessStatusCode) return response; await Task.Delay(1000 * (attempt + 1), ct);")]
    [InlineData("if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests) { await Task.Delay(1000 * (attempt + 1), ct); continue; } return response;")]
    [InlineData("if (!response.IsSuccessStatusCode) { await Task.Delay(1000 * (attempt + 1), ct); continue; } return response;")]
    [InlineData("if (Worth(response)) { await Task.Delay(1000 * (attempt + 1), ct); continue; } return response;")]
    [InlineData("if (response.StatusCode != HttpStatusCode.TooManyRequests && (int)response.StatusCode < 500) return response; await Task.Delay(1000 * (attempt + 1), ct);")]
    [InlineData("if (attempt >= 5) return response; await Task.Delay(1000 * (attempt + 1), ct);")]
    [InlineData("if (response.StatusCode == HttpStatusCode.BadRequest) return response; await Task.Delay(1000 * (attempt + 1), ct);")]
    public Task Loop_429RetriedOrUnreadable_NoDiagnostic(string onResponse) => Analyze(Loop(onResponse));

    [Fact]
    public Task WorkerLoopWithoutStatus_NoDiagnostic() => Analyze("""
        class C
        {
            async Task Poll(HttpClient client, CancellationToken ct)
            {
                while (!ct.IsCancellationRequested)
                {
                    try { await client.GetAsync("https://llm.example/health", ct); }
                    catch (HttpRequestException) { }
                    await Task.Delay(5000, ct);
                }
            }
        }
        """);

    // ---------------------------------------------------------------- Invalid (diagnostic)

    [Theory]
    [InlineData("{|RA0008:HttpPolicyExtensions.HandleTransientHttpError()|}.WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(Math.Pow(2, a)))")]
    [InlineData("{|RA0008:HttpPolicyExtensions.HandleTransientHttpError()|}.OrResult(r => r.StatusCode == HttpStatusCode.NotFound).WaitAndRetryAsync(6, a => TimeSpan.FromSeconds(a))")]
    [InlineData("{|RA0008:HttpPolicyExtensions.HandleTransientHttpError()|}.Or<TimeoutException>().RetryAsync(3)")]
    [InlineData("{|RA0008:Policy<HttpResponseMessage>.Handle<HttpRequestException>().OrTransientHttpStatusCode()|}.RetryForeverAsync()")]
    public Task PollyV7_TransientErrorsWithout429_Diagnostic(string policy) => Analyze(V7(policy));

    [Fact]
    public Task AddTransientHttpErrorPolicy_Without429_Diagnostic() => Analyze("""
        class C
        {
            void Register(IServiceCollection services)
                => services.AddHttpClient("llm").{|RA0008:AddTransientHttpErrorPolicy|}(p => p.WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(a)));
        }
        """);

    [Theory]
    [InlineData("{|RA0008:ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.StatusCode >= HttpStatusCode.InternalServerError)|}")]
    [InlineData("{|RA0008:ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException || args.Outcome.Result is { StatusCode: HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout })|}")]
    [InlineData("{|RA0008:ShouldHandle = new PredicateBuilder<HttpResponseMessage>().Handle<HttpRequestException>().HandleResult(r => (int)r.StatusCode >= 500)|}")]
    [InlineData("{|RA0008:ShouldHandle = args => args.Outcome switch { { Exception: HttpRequestException } => PredicateResult.True(), { Result.StatusCode: >= HttpStatusCode.InternalServerError } => PredicateResult.True(), _ => PredicateResult.False() }|}")]
    [InlineData("{|RA0008:ShouldHandle = args => args.Outcome switch { { Result: HttpResponseMessage response } when response.StatusCode == HttpStatusCode.InternalServerError => PredicateResult.True(), _ => PredicateResult.False() }|}")]
    public Task PollyV8_ServerErrorsWithout429_Diagnostic(string shouldHandle) => Analyze(V8(shouldHandle));

    [Theory]
    [InlineData("if ({|RA0008:(int)response.StatusCode >= 500|}) { await Task.Delay(1000 * (attempt + 1), ct); continue; } return response;")]
    [InlineData("if (response.IsSuccessStatusCode || {|RA0008:(int)response.StatusCode < 500|}) return response; await Task.Delay(1000 * (attempt + 1), ct);")]
    [InlineData("if (response.IsSuccessStatusCode) return response; var status = (int)response.StatusCode; if ({|RA0008:status < 500|}) { response.EnsureSuccessStatusCode(); return response; } await Task.Delay(1000 * (attempt + 1), ct);")]
    public Task Loop_ServerErrorsWithout429_Diagnostic(string onResponse) => Analyze(Loop(onResponse));

    [Fact]
    public Task Loop_SyncWaitUnderAPatternOnServerErrors_Diagnostic() => Analyze("""
        class C
        {
            string M(HttpClient client)
            {
                var attempt = 0;
                while (true)
                {
                    try
                    {
                        return client.GetStringAsync("https://llm.example/v1").GetAwaiter().GetResult();
                    }
                    catch (HttpRequestException ex) when ({|RA0008:ex.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable|})
                    {
                        if (++attempt == 5) throw;
                        Thread.Sleep(1000 * attempt);
                    }
                }
            }
        }
        """);

    // ---------------------------------------------------------------- Fixes

    [Fact]
    public Task PollyV7_FixAddsOrResult429() => Fix(
        """
        class C
        {
            IAsyncPolicy<HttpResponseMessage> M() => {|RA0008:HttpPolicyExtensions.HandleTransientHttpError()|}
                .WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(Math.Pow(2, a)));

            void Register(IServiceCollection services)
                => services.AddHttpClient("llm").{|RA0008:AddTransientHttpErrorPolicy|}(p => p.WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(a)));
        }
        """,
        """
        class C
        {
            IAsyncPolicy<HttpResponseMessage> M() => HttpPolicyExtensions.HandleTransientHttpError().OrResult(r => r.StatusCode == HttpStatusCode.TooManyRequests)
                .WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(Math.Pow(2, a)));

            void Register(IServiceCollection services)
                => services.AddHttpClient("llm").AddTransientHttpErrorPolicy(p => p.OrResult(r => r.StatusCode == HttpStatusCode.TooManyRequests).WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(a)));
        }
        """);

    [Fact]
    public Task PollyV8_FixAdds429ToEachPredicateShape() => Fix(
        """
        class C
        {
            void M()
            {
                var a = new RetryStrategyOptions<HttpResponseMessage> { {|RA0008:ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.StatusCode >= HttpStatusCode.InternalServerError)|} };
                var b = new RetryStrategyOptions<HttpResponseMessage> { {|RA0008:ShouldHandle = new PredicateBuilder<HttpResponseMessage>().Handle<HttpRequestException>().HandleResult(r => (int)r.StatusCode >= 500)|} };
                var c = new RetryStrategyOptions<HttpResponseMessage>
                {
                    {|RA0008:ShouldHandle = args => args.Outcome switch
                    {
                        { Exception: HttpRequestException } => PredicateResult.True(),
                        { Result.StatusCode: >= HttpStatusCode.InternalServerError } => PredicateResult.True(),
                        _ => PredicateResult.False(),
                    }|},
                };
            }
        }
        """,
        """
        class C
        {
            void M()
            {
                var a = new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.StatusCode >= HttpStatusCode.InternalServerError || args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests) };
                var b = new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = new PredicateBuilder<HttpResponseMessage>().Handle<HttpRequestException>().HandleResult(r => (int)r.StatusCode >= 500).HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests) };
                var c = new RetryStrategyOptions<HttpResponseMessage>
                {
                    ShouldHandle = args => args.Outcome switch
                    {
                        { Result.StatusCode: HttpStatusCode.TooManyRequests } => PredicateResult.True(),
                        { Exception: HttpRequestException } => PredicateResult.True(),
                        { Result.StatusCode: >= HttpStatusCode.InternalServerError } => PredicateResult.True(),
                        _ => PredicateResult.False(),
                    },
                };
            }
        }
        """);

    [Fact]
    public Task Loop_FixAdds429ToTheRetryCheckAndKeepsItOutOfTheExitCheck() => Fix(
        """
        class C
        {
            async Task<HttpResponseMessage> Retry(HttpClient client, CancellationToken ct)
            {
                for (var attempt = 0; ; attempt++)
                {
                    var response = await client.GetAsync("https://llm.example/v1", ct);
                    if ({|RA0008:(int)response.StatusCode >= 500|})
                    {
                        await Task.Delay(1000 * (attempt + 1), ct);
                        continue;
                    }

                    return response;
                }
            }

            async Task<HttpResponseMessage> Exit(HttpClient client, CancellationToken ct)
            {
                for (var attempt = 0; ; attempt++)
                {
                    var response = await client.GetAsync("https://llm.example/v1", ct);
                    if (response.IsSuccessStatusCode || {|RA0008:(int)response.StatusCode < 500|} || attempt >= 4)
                    {
                        return response;
                    }

                    await Task.Delay(1000 * (attempt + 1), ct);
                }
            }
        }
        """,
        """
        class C
        {
            async Task<HttpResponseMessage> Retry(HttpClient client, CancellationToken ct)
            {
                for (var attempt = 0; ; attempt++)
                {
                    var response = await client.GetAsync("https://llm.example/v1", ct);
                    if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        await Task.Delay(1000 * (attempt + 1), ct);
                        continue;
                    }

                    return response;
                }
            }

            async Task<HttpResponseMessage> Exit(HttpClient client, CancellationToken ct)
            {
                for (var attempt = 0; ; attempt++)
                {
                    var response = await client.GetAsync("https://llm.example/v1", ct);
                    if (response.IsSuccessStatusCode || ((int)response.StatusCode < 500 && response.StatusCode != HttpStatusCode.TooManyRequests) || attempt >= 4)
                    {
                        return response;
                    }

                    await Task.Delay(1000 * (attempt + 1), ct);
                }
            }
        }
        """);

    [Fact]
    public Task Fix_AddsTheSystemNetUsingOnce() => new Verify.Test
    {
        TestCode = """
            using System;
            using System.Net.Http;
            using Polly;
            using Polly.Extensions.Http;

            class C
            {
                IAsyncPolicy<HttpResponseMessage> A() => {|RA0008:HttpPolicyExtensions.HandleTransientHttpError()|}.RetryAsync(3);
                IAsyncPolicy<HttpResponseMessage> B() => {|RA0008:HttpPolicyExtensions.HandleTransientHttpError()|}.WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(a));
            }
            """,
        FixedCode = """
            using System;
            using System.Net;
            using System.Net.Http;
            using Polly;
            using Polly.Extensions.Http;

            class C
            {
                IAsyncPolicy<HttpResponseMessage> A() => HttpPolicyExtensions.HandleTransientHttpError().OrResult(r => r.StatusCode == HttpStatusCode.TooManyRequests).RetryAsync(3);
                IAsyncPolicy<HttpResponseMessage> B() => HttpPolicyExtensions.HandleTransientHttpError().OrResult(r => r.StatusCode == HttpStatusCode.TooManyRequests).WaitAndRetryAsync(3, a => TimeSpan.FromSeconds(a));
            }
            """,
        ReferenceAssemblies = TestReferences.WithHttpResilience,
    }.RunAsync(CancellationToken.None);

    [Fact]
    public Task Loop_FixKeepsTheAttemptCapOn429() => Fix(
        """
        class C
        {
            async Task<string> M(HttpClient client, CancellationToken ct)
            {
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        return await client.GetStringAsync("https://llm.example/v1", ct);
                    }
                    catch (HttpRequestException ex) when ({|RA0008:ex.StatusCode >= HttpStatusCode.InternalServerError|} && attempt < 4)
                    {
                        await Task.Delay(1000 * (attempt + 1), ct);
                    }
                }
            }
        }
        """,
        """
        class C
        {
            async Task<string> M(HttpClient client, CancellationToken ct)
            {
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        return await client.GetStringAsync("https://llm.example/v1", ct);
                    }
                    catch (HttpRequestException ex) when ((ex.StatusCode >= HttpStatusCode.InternalServerError || ex.StatusCode == HttpStatusCode.TooManyRequests) && attempt < 4)
                    {
                        await Task.Delay(1000 * (attempt + 1), ct);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task PollyV8_SwitchOverTheStatus_ReportedWithoutAFix() => new Verify.Test
    {
        TestCode = Usings + V8("{|RA0008:ShouldHandle = args => args.Outcome.Result?.StatusCode switch { >= HttpStatusCode.InternalServerError => PredicateResult.True(), _ => PredicateResult.False() }|}"),
        FixedCode = Usings + V8("{|RA0008:ShouldHandle = args => args.Outcome.Result?.StatusCode switch { >= HttpStatusCode.InternalServerError => PredicateResult.True(), _ => PredicateResult.False() }|}"),
        ReferenceAssemblies = TestReferences.WithHttpResilience,
    }.RunAsync(CancellationToken.None);
}
