using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using RetryAnalyzers.Rules;
using RetryAnalyzers.Tests.Verifiers;
using Verify = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RA0006UnboundedRetryAnalyzer, RetryAnalyzers.CodeFixes.RA0006UnboundedRetryCodeFix>;

namespace RetryAnalyzers.Tests.Rules;

public sealed class RA0006UnboundedRetryTests
{
    private const string Usings = """
        using System;
        using System.Diagnostics;
        using System.Linq;
        using System.Net;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using Polly;
        using Polly.Retry;

        """;

    private static Task Analyze(string body) => Verify.VerifyAnalyzerAsync(Usings + body);

    private static Task Fix(string body, string fixedBody) => Verify.VerifyCodeFixAsync(Usings + body, Usings + fixedBody);

    /// <summary>A method <c>M</c> whose body is <paramref name="body"/>, in a class with a client and a token.</summary>
    private static string Method(string body) => $$"""
        class C
        {
            static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

            async Task<string> M(HttpClient http, CancellationToken ct)
            {
        {{body}}
            }

            static bool IsTransient(Exception ex) => ex is HttpRequestException;
        }
        """;

    // ---------------------------------------------------------------- Valid (no diagnostic)

    [Theory]
    [InlineData("Policy.Handle<HttpRequestException>().Retry(3)")]
    [InlineData("Policy.Handle<HttpRequestException>().RetryAsync()")]
    [InlineData("Policy.Handle<HttpRequestException>().WaitAndRetryAsync(5, n => TimeSpan.FromSeconds(Math.Pow(2, n)))")]
    [InlineData("Policy.Handle<HttpRequestException>().WaitAndRetry(Count, n => TimeSpan.FromSeconds(n))")]
    [InlineData("Policy<HttpResponseMessage>.HandleResult(r => !r.IsSuccessStatusCode).WaitAndRetryAsync(int.MaxValue - 1, n => TimeSpan.FromSeconds(n))")]
    public Task PollyV7_CountedRetries_NoDiagnostic(string policy) => Analyze($$"""
        class C
        {
            static int Count { get; set; } = 3;
            object M() => {{policy}};
        }
        """);

    [Theory]
    [InlineData("new RetryStrategyOptions { MaxRetryAttempts = 5 }")]
    [InlineData("new RetryStrategyOptions()")]
    [InlineData("new RetryStrategyOptions<HttpResponseMessage> { MaxRetryAttempts = Configured }")]
    [InlineData("new RetryStrategyOptions { MaxRetryAttempts = int.MaxValue / 2 + 3 }")]
    public Task PollyV8_FiniteOrUnknownMaxRetryAttempts_NoDiagnostic(string options) => Analyze($$"""
        class C
        {
            static int Configured { get; set; } = 3;
            object M() => {{options}};
        }
        """);

    [Fact]
    public async Task PollyV8_HttpRetryStrategyOptionsWithAFiniteCount_NoDiagnostic()
    {
        var test = new Verify.Test
        {
            ReferenceAssemblies = TestReferences.WithHttpResilience,
            TestCode = """
                using Microsoft.Extensions.Http.Resilience;

                class C
                {
                    object M() => new HttpRetryStrategyOptions { MaxRetryAttempts = 4 };
                }
                """,
        };
        await test.RunAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("for (var attempt = 0; attempt < 5; attempt++)", "")]
    [InlineData("var attempt = 0; while (attempt++ < 5)", "")]
    [InlineData("var attempt = 0; while (true)", "if (++attempt >= 5) throw;")]
    [InlineData("var attempt = 0; while (true)", "if (attempt++ == 5) throw;")]
    [InlineData("var attempt = 0; while (true)", "if (!ShouldRetry(++attempt)) throw;")]
    [InlineData("var stopwatch = Stopwatch.StartNew(); while (true)", "if (stopwatch.Elapsed > MaxWait) throw;")]
    [InlineData("var deadline = DateTimeOffset.UtcNow.AddMinutes(1); while (DateTimeOffset.UtcNow < deadline)", "")]
    [InlineData("var deadline = DateTime.UtcNow.AddMinutes(1); while (true)", "if (DateTime.UtcNow >= deadline) throw;")]
    [InlineData("using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)); while (true)", "timeout.Token.ThrowIfCancellationRequested();")]
    [InlineData("using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct); linked.CancelAfter(60_000); while (!linked.IsCancellationRequested)", "")]
    [InlineData("var budget = new RetryBudget(); while (true)", "if (!budget.TryWithdraw()) throw;")]
    [InlineData("while (Retrying())", "")]
    public Task HandWrittenLoop_BoundedByACounterDeadlineOrBudget_NoDiagnostic(string loop, string check) => Analyze($$"""
        class RetryBudget { public bool TryWithdraw() => true; }

        class C
        {
            static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);
            static bool ShouldRetry(int attempt) => attempt < 5;
            static bool Retrying() => true;

            async Task<string> M(HttpClient http, CancellationToken ct)
            {
                {{loop}}
                {
                    try
                    {
                        return await http.GetStringAsync("https://example.test", ct);
                    }
                    catch (HttpRequestException)
                    {
                        {{check}}
                        await Task.Delay(1000, ct);
                    }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task WorkerAndPollingLoops_AreNotRetries_NoDiagnostic() => Analyze("""
        class C
        {
            void Work(Action step)
            {
                for (;;)
                {
                    try { step(); }
                    catch (Exception ex) when (ex is not OperationCanceledException) { Console.WriteLine(ex); Thread.Sleep(5000); }
                }
            }

            string Poll(Func<string> status)
            {
                string current;
                do
                {
                    current = status();
                    if (current == "failed") { Thread.Sleep(2000); }
                }
                while (current != "done");
                return current;
            }
        }
        """);

    [Theory]
    [InlineData("await Task.Delay(response.Headers.RetryAfter?.Delta is { } d ? TimeSpan.FromSeconds(Math.Min(d.TotalSeconds, 60)) : MaxWait, ct);")]
    [InlineData("var wait = response.Headers.RetryAfter?.Delta ?? MaxWait; await Task.Delay(wait > MaxWait ? MaxWait : wait, ct);")]
    [InlineData("var wait = response.Headers.RetryAfter?.Delta ?? MaxWait; if (wait > MaxWait) { wait = MaxWait; } await Task.Delay(wait, ct);")]
    [InlineData("var seconds = double.Parse(response.Headers.GetValues(\"Retry-After\").First()); await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 60)), ct);")]
    [InlineData("await Task.Delay(MaxWait, ct);")]
    [InlineData("await Task.Delay(retryAfter, ct);")]
    [InlineData("var until = response.Headers.RetryAfter?.Date; if (until is { } date && date - DateTimeOffset.UtcNow < MaxWait) { await Task.Delay(date - DateTimeOffset.UtcNow, ct); }")]
    public Task RetryAfterWait_CappedOrNotFromTheHeader_NoDiagnostic(string wait) => Analyze($$"""
        class C
        {
            static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

            async Task M(HttpResponseMessage response, TimeSpan retryAfter, CancellationToken ct)
            {
                {{wait}}
            }
        }
        """);

    // ---------------------------------------------------------------- Diagnostics

    [Theory]
    [InlineData("Policy.Handle<HttpRequestException>().{|RA0006:RetryForever|}()")]
    [InlineData("Policy.Handle<HttpRequestException>().{|RA0006:RetryForeverAsync|}(ex => Console.WriteLine(ex))")]
    [InlineData("Policy.Handle<HttpRequestException>().{|RA0006:WaitAndRetryForever|}(n => TimeSpan.FromSeconds(Math.Pow(2, n)))")]
    [InlineData("Policy<HttpResponseMessage>.HandleResult(r => !r.IsSuccessStatusCode).{|RA0006:WaitAndRetryForeverAsync|}(n => TimeSpan.FromSeconds(n))")]
    [InlineData("Policy.Handle<HttpRequestException>().{|RA0006:WaitAndRetryAsync|}(int.MaxValue, n => TimeSpan.FromSeconds(n))")]
    public Task PollyV7_ForeverPolicies_ReportedAtTheMethodName(string policy) => Analyze($$"""
        class C
        {
            object M() => {{policy}};
        }
        """);

    [Fact]
    public Task PollyV8_MaxRetryAttemptsIntMaxValue_ReportedAtTheAssignment() => Analyze("""
        class C
        {
            object Initializer() => new RetryStrategyOptions { {|RA0006:MaxRetryAttempts = int.MaxValue|}, BackoffType = DelayBackoffType.Exponential, UseJitter = true };

            object Generic() => new RetryStrategyOptions<HttpResponseMessage> { {|RA0006:MaxRetryAttempts = int.MaxValue|} };

            ResiliencePipeline Later()
            {
                var options = new RetryStrategyOptions { UseJitter = true };
                {|RA0006:options.MaxRetryAttempts = int.MaxValue|};
                return new ResiliencePipelineBuilder().AddRetry(options).Build();
            }
        }
        """);

    [Fact]
    public async Task PollyV8_HttpRetryStrategyOptionsForever_Reported()
    {
        var test = new Verify.Test
        {
            ReferenceAssemblies = TestReferences.WithHttpResilience,
            TestCode = """
                using Microsoft.Extensions.Http.Resilience;

                class C
                {
                    object M() => new HttpRetryStrategyOptions { {|RA0006:MaxRetryAttempts = int.MaxValue|} };
                }
                """,
        };
        await test.RunAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("while (true)", "")]
    [InlineData("for (;;)", "")]
    [InlineData("var attempt = 0; while (true)", "attempt++; Console.WriteLine($\"attempt {attempt} failed\");")]
    [InlineData("while (!ct.IsCancellationRequested)", "if (!IsTransient(ex)) throw;")]
    [InlineData("while (true)", "if (ex.StatusCode is >= HttpStatusCode.InternalServerError or HttpStatusCode.RequestTimeout) { Console.WriteLine(ex); } else if ((int?)ex.StatusCode >= 400) throw;")]
    public Task HandWrittenLoop_LeavingOnlyOnSuccess_ReportedAtTheWait(string loop, string inCatch) => Analyze(Method($$"""
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
        """));

    [Fact]
    public Task HandWrittenLoop_FlagAndStatusCheckShapes_ReportedWithoutAFix() => Verify.VerifyNoFixAsync(Usings + """
        class C
        {
            async Task<string> Flag(HttpClient http)
            {
                var done = false;
                var result = "";
                while (!done)
                {
                    try
                    {
                        result = await http.GetStringAsync("https://example.test");
                        done = true;
                    }
                    catch (HttpRequestException)
                    {
                        {|RA0006:Thread.Sleep(500)|};
                    }
                }

                return result;
            }

            async Task<HttpResponseMessage> Status(HttpClient http)
            {
                do
                {
                    var response = await http.GetAsync("https://example.test");
                    if (response.IsSuccessStatusCode)
                    {
                        return response;
                    }

                    await {|RA0006:Task.Delay(TimeSpan.FromSeconds(2))|};
                }
                while (true);
            }

            async Task<HttpResponseMessage> StatusWhile(HttpClient http)
            {
                while (true)
                {
                    var response = await http.GetAsync("https://example.test");
                    if (!response.IsSuccessStatusCode)
                    {
                        await {|RA0006:Task.Delay(TimeSpan.FromSeconds(3))|};
                        continue;
                    }

                    return response;
                }
            }
        }
        """);

    [Theory]
    [InlineData("await {|RA0006:Task.Delay(response.Headers.RetryAfter.Delta.Value, ct)|};")]
    [InlineData("await {|RA0006:Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), ct)|};")]
    [InlineData("var retryAfter = response.Headers.RetryAfter; if (retryAfter?.Delta > TimeSpan.Zero) { await {|RA0006:Task.Delay(retryAfter.Delta.Value, ct)|}; }")]
    [InlineData("if (response.Headers.TryGetValues(\"retry-after\", out var values) && int.TryParse(values.First(), out var seconds)) { {|RA0006:Thread.Sleep(seconds * 1000)|}; }")]
    [InlineData("var seconds = double.Parse(response.Headers.GetValues(\"Retry-After\").First()); await {|RA0006:Task.Delay(TimeSpan.FromSeconds(seconds))|};")]
    public Task RetryAfterWait_Uncapped_ReportedAtTheWait(string wait) => Analyze($$"""
        class C
        {
            async Task M(HttpResponseMessage response, CancellationToken ct)
            {
                {{wait}}
            }
        }
        """);

    [Fact]
    public Task RetryAfterInASleepProviderOrDelayGenerator_ReportedAtTheValue() => Analyze("""
        class C
        {
            object V7() => Policy<HttpResponseMessage>
                .HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests)
                .WaitAndRetryAsync(
                    3,
                    (attempt, outcome, context) => {|RA0006:outcome.Result?.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(attempt)|},
                    (outcome, delay, attempt, context) => Task.CompletedTask);

            object V8() => new RetryStrategyOptions<HttpResponseMessage>
            {
                DelayGenerator = args => {|RA0006:new ValueTask<TimeSpan?>(args.Outcome.Result?.Headers.RetryAfter?.Delta)|},
            };

            object Capped() => new RetryStrategyOptions<HttpResponseMessage>
            {
                DelayGenerator = args => new ValueTask<TimeSpan?>(args.Outcome.Result?.Headers.RetryAfter?.Delta is { } d && d < TimeSpan.FromMinutes(1) ? d : null),
            };
        }
        """);

    [Fact]
    public async Task ForeverPolicyWithAnUncappedRetryAfterProvider_TheProviderIsCapped_TheOverloadHasNoCountedTwin()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + """
                class C
                {
                    object M() => Policy<HttpResponseMessage>
                        .HandleResult(r => !r.IsSuccessStatusCode)
                        .{|RA0006:WaitAndRetryForeverAsync|}(
                            (attempt, outcome, context) => {|RA0006:outcome.Result.Headers.RetryAfter.Delta.Value|},
                            (outcome, attempt, delay, context) => Task.CompletedTask);
                }
                """,
            FixedCode = Usings + """
                class C
                {
                    object M() => Policy<HttpResponseMessage>
                        .HandleResult(r => !r.IsSuccessStatusCode)
                        .{|RA0006:WaitAndRetryForeverAsync|}(
                            (attempt, outcome, context) => TimeSpan.FromSeconds(Math.Min(outcome.Result.Headers.RetryAfter.Delta.Value.TotalSeconds, 60)),
                            (outcome, attempt, delay, context) => Task.CompletedTask);
                }
                """,
            NumberOfIncrementalIterations = 1,
            NumberOfFixAllIterations = 1,
        };
        test.FixedState.MarkupHandling = Microsoft.CodeAnalysis.Testing.MarkupMode.Allow; // (outcome, attempt, delay, context): Polly's counted onRetry takes (outcome, delay, attempt, context)
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task ForeverPolicyWithAnUncappedRetryAfterProvider_FixAllCapsBothInOneCall() => Fix(
        """
        class C
        {
            object M() => Policy.Handle<HttpRequestException>()
                .{|RA0006:WaitAndRetryForeverAsync|}((attempt, context) => {|RA0006:((HttpResponseMessage)context["response"]).Headers.RetryAfter.Delta.Value|}, (ex, delay, context) => { });
        }
        """,
        """
        class C
        {
            object M() => Policy.Handle<HttpRequestException>()
                .WaitAndRetryAsync(5, (attempt, context) => TimeSpan.FromSeconds(Math.Min(((HttpResponseMessage)context["response"]).Headers.RetryAfter.Delta.Value.TotalSeconds, 60)), (ex, delay, context) => { });
        }
        """);

    [Fact]
    public async Task FixedDelayForeverPolicy_IsRA0001AtTheDelayAndRA0006AtTheCall()
    {
        var source = Usings + """
            class C
            {
                object M() => Policy.Handle<HttpRequestException>().WaitAndRetryForeverAsync(_ => TimeSpan.FromSeconds(1));
            }
            """;
        var references = await TestReferences.Net80WithPolly.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        var compilation = CSharpCompilation.Create("Both", [CSharpSyntaxTree.ParseText(source)], references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new RetryDelayAnalyzer(), new RA0006UnboundedRetryAnalyzer()))
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None);

        var found = diagnostics.OrderBy(d => d.Id).Select(d => d.Id + " " + source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)).ToList();
        Assert.Equal(["RA0001 _ => TimeSpan.FromSeconds(1)", "RA0006 WaitAndRetryForeverAsync"], found);
    }

    // ---------------------------------------------------------------- CodeFix (each test also runs Fix All)

    [Theory]
    [InlineData("WaitAndRetryForeverAsync(n => TimeSpan.FromSeconds(n))", "WaitAndRetryAsync(5, n => TimeSpan.FromSeconds(n))")]
    [InlineData("WaitAndRetryForever(n => TimeSpan.FromSeconds(n), (ex, delay) => Console.WriteLine(delay))", "WaitAndRetry(5, n => TimeSpan.FromSeconds(n), (ex, delay) => Console.WriteLine(delay))")]
    [InlineData("WaitAndRetryForeverAsync((n, context) => TimeSpan.FromSeconds(n), (ex, delay, context) => Console.WriteLine(context.OperationKey))", "WaitAndRetryAsync(5, (n, context) => TimeSpan.FromSeconds(n), (ex, delay, context) => Console.WriteLine(context.OperationKey))")]
    [InlineData("RetryForever((Exception ex, int attempt) => Console.WriteLine(attempt))", "Retry(5, (Exception ex, int attempt) => Console.WriteLine(attempt))")]
    [InlineData("RetryForeverAsync()", "RetryAsync(5)")]
    [InlineData("RetryForeverAsync((Exception ex, int attempt, Context context) => Console.WriteLine(context.OperationKey))", "RetryAsync(5, (Exception ex, int attempt, Context context) => Console.WriteLine(context.OperationKey))")]
    [InlineData("Retry(int.MaxValue)", "Retry(5)")]
    [InlineData("WaitAndRetryAsync(int.MaxValue, n => TimeSpan.FromSeconds(n))", "WaitAndRetryAsync(5, n => TimeSpan.FromSeconds(n))")]
    public Task PollyV7_ForeverBecomesCounted(string before, string after) => Fix(
        $$"""
        class C
        {
            object M() => Policy.Handle<HttpRequestException>().{|RA0006:{{before.Substring(0, before.IndexOf('('))}}|}{{before.Substring(before.IndexOf('('))}};
        }
        """,
        $$"""
        class C
        {
            object M() => Policy.Handle<HttpRequestException>().{{after}};
        }
        """);

    [Theory]
    [InlineData("RetryForever(ex => Console.WriteLine(ex))")]
    [InlineData("RetryForeverAsync((ex, context) => Console.WriteLine(context.OperationKey))")]
    [InlineData("WaitAndRetryForever(n => TimeSpan.FromSeconds(n), (ex, attempt, delay) => Console.WriteLine(attempt))")]
    public Task PollyV7_ForeverWithoutACountedTwin_NoFix(string policy) => Verify.VerifyNoFixAsync(Usings + $$"""
        class C
        {
            object M() => Policy.Handle<HttpRequestException>().{|RA0006:{{policy.Substring(0, policy.IndexOf('('))}}|}{{policy.Substring(policy.IndexOf('('))}};
        }
        """);

    [Fact]
    public Task PollyV8_MaxRetryAttemptsBecomesTheCap() => Fix(
        """
        class C
        {
            object M() => new RetryStrategyOptions { {|RA0006:MaxRetryAttempts = int.MaxValue|}, UseJitter = true };
        }
        """,
        """
        class C
        {
            object M() => new RetryStrategyOptions { MaxRetryAttempts = 5, UseJitter = true };
        }
        """);

    [Fact]
    public Task HandWrittenLoop_BecomesACountedLoopWithACatchFilter() => Fix(
        Method("""
                while (true)
                {
                    try
                    {
                        return await http.GetStringAsync("https://example.test", ct);
                    }
                    catch (HttpRequestException ex) when (IsTransient(ex) || ex.StatusCode is null)
                    {
                        Console.WriteLine(ex.Message);
                        await {|RA0006:Task.Delay(1000, ct)|};
                    }
                }
        """),
        Method("""
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        return await http.GetStringAsync("https://example.test", ct);
                    }
                    catch (HttpRequestException ex) when ((IsTransient(ex) || ex.StatusCode is null) && attempt < 5)
                    {
                        Console.WriteLine(ex.Message);
                        await Task.Delay(1000, ct);
                    }
                }
        """));

    [Fact]
    public Task HandWrittenLoop_ForeverForWithoutAFilter_GetsOne() => Fix(
        Method("""
                var attempt = "unused";
                for (;;)
                {
                    try
                    {
                        return await http.GetStringAsync(attempt, ct);
                    }
                    catch
                    {
                        {|RA0006:Thread.Sleep(250)|};
                    }
                }
        """),
        Method("""
                var attempt = "unused";
                for (var attempt2 = 0; ; attempt2++)
                {
                    try
                    {
                        return await http.GetStringAsync(attempt, ct);
                    }
                    catch when (attempt2 < 5)
                    {
                        Thread.Sleep(250);
                    }
                }
        """));

    [Fact]
    public Task HandWrittenLoop_WithACatchAfterTheWaitingOneOrAContinue_NoFix() => Verify.VerifyNoFixAsync(Usings + Method("""
                while (true)
                {
                    try
                    {
                        var text = await http.GetStringAsync("https://example.test", ct);
                        if (text.Length == 0)
                        {
                            continue;
                        }

                        return text;
                    }
                    catch (HttpRequestException)
                    {
                        await {|RA0006:Task.Delay(1000, ct)|};
                    }
                    catch (Exception ex) when (IsTransient(ex))
                    {
                        Console.WriteLine(ex);
                    }
                }
        """));

    [Fact]
    public async Task UncappedRetryAfterInAnEndlessLoop_IsOneDiagnostic_TheHeaderFirstThenTheLoop()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + Method("""
                while (true)
                {
                    var response = await http.GetAsync("https://example.test", ct);
                    if (response.IsSuccessStatusCode)
                    {
                        return await response.Content.ReadAsStringAsync(ct);
                    }

                    await {|RA0006:Task.Delay(response.Headers.RetryAfter?.Delta ?? MaxWait, ct)|};
                }
        """),
            FixedCode = Usings + Method("""
                while (true)
                {
                    var response = await http.GetAsync("https://example.test", ct);
                    if (response.IsSuccessStatusCode)
                    {
                        return await response.Content.ReadAsStringAsync(ct);
                    }

                    await {|RA0006:Task.Delay(TimeSpan.FromSeconds(Math.Min((response.Headers.RetryAfter?.Delta ?? MaxWait).TotalSeconds, 60)), ct)|};
                }
        """),
            NumberOfIncrementalIterations = 1,
            NumberOfFixAllIterations = 1,
        };
        test.FixedState.MarkupHandling = Microsoft.CodeAnalysis.Testing.MarkupMode.Allow; // the loop is still unbounded: reported, no fix after a status check
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task RetryAfterWait_IsCappedWithMin() => Fix(
        """
        class C
        {
            async Task M(HttpResponseMessage response, CancellationToken ct)
            {
                await {|RA0006:Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), ct)|};
            }

            void Sync(HttpResponseMessage response)
            {
                if (response.Headers.TryGetValues("retry-after-ms", out var values) && int.TryParse(values.First(), out var ms))
                {
                    {|RA0006:Thread.Sleep(ms)|};
                }
            }
        }
        """,
        """
        class C
        {
            async Task M(HttpResponseMessage response, CancellationToken ct)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min((response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1)).TotalSeconds, 60)), ct);
            }

            void Sync(HttpResponseMessage response)
            {
                if (response.Headers.TryGetValues("retry-after-ms", out var values) && int.TryParse(values.First(), out var ms))
                {
                    Thread.Sleep(Math.Min(ms, 60000));
                }
            }
        }
        """);

    [Fact]
    public async Task FixAll_CapsEverySiteOfTheDocument_WithTheEditorConfigOptions()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + """
                class C
                {
                    object V7() => Policy.Handle<HttpRequestException>().{|RA0006:WaitAndRetryForeverAsync|}(n => TimeSpan.FromSeconds(n));
                    object V8() => new RetryStrategyOptions { {|RA0006:MaxRetryAttempts = int.MaxValue|} };

                    async Task Wait(HttpResponseMessage response) => await {|RA0006:Task.Delay(response.Headers.RetryAfter.Delta.Value)|};

                    async Task<string> Loop(HttpClient http)
                    {
                        while (true)
                        {
                            try
                            {
                                return await http.GetStringAsync("https://example.test");
                            }
                            catch (HttpRequestException)
                            {
                                await {|RA0006:Task.Delay(100)|};
                            }
                        }
                    }
                }
                """,
            FixedCode = Usings + """
                class C
                {
                    object V7() => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, n => TimeSpan.FromSeconds(n));
                    object V8() => new RetryStrategyOptions { MaxRetryAttempts = 3 };

                    async Task Wait(HttpResponseMessage response) => await Task.Delay(TimeSpan.FromSeconds(Math.Min(response.Headers.RetryAfter.Delta.Value.TotalSeconds, 30)));

                    async Task<string> Loop(HttpClient http)
                    {
                        for (var attempt = 0; ; attempt++)
                        {
                            try
                            {
                                return await http.GetStringAsync("https://example.test");
                            }
                            catch (HttpRequestException) when (attempt < 3)
                            {
                                await Task.Delay(100);
                            }
                        }
                    }
                }
                """,
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\ndotnet_diagnostic.RA0006.max_attempts = 3\ndotnet_diagnostic.RA0006.max_retry_after = 30\n"));
        await test.RunAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("many")]
    [InlineData("-2")]
    public async Task InvalidEditorConfigValues_FallBackToTheDefaults(string value)
    {
        var test = new Verify.Test
        {
            TestCode = Usings + """
                class C
                {
                    object M() => new RetryStrategyOptions { {|RA0006:MaxRetryAttempts = int.MaxValue|} };
                }
                """,
            FixedCode = Usings + """
                class C
                {
                    object M() => new RetryStrategyOptions { MaxRetryAttempts = 5 };
                }
                """,
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", $"root = true\n\n[*.cs]\ndotnet_diagnostic.RA0006.max_attempts = {value}\n"));
        await test.RunAsync(CancellationToken.None);
    }
}
