using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using RetryAnalyzers.CodeFixes;
using RetryAnalyzers.Rules;
using Verify = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RetryDelayAnalyzer, RetryAnalyzers.CodeFixes.RA0001FixedDelayRetryCodeFix>;

using RetryAnalyzers.Tests.Verifiers;

namespace RetryAnalyzers.Tests.Rules;

public sealed class RA0001FixedDelayRetryTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Net;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using Polly;
        using Polly.Contrib.WaitAndRetry;
        using Polly.Retry;

        """;

    private static Task Analyze(string body) => Verify.VerifyRuleAsync(RuleIds.FixedDelayRetry, Usings + body);

    // ---------------------------------------------------------------- Valid (no diagnostic)

    [Theory]
    [InlineData("attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt))")]
    [InlineData("attempt => TimeSpan.FromMilliseconds(100 * (1 << attempt))")]
    [InlineData("attempt => TimeSpan.FromSeconds(attempt)")]
    [InlineData("attempt => TimeSpan.FromSeconds(1) + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 500))")]
    [InlineData("attempt => TimeSpan.FromMilliseconds(new Random().Next(500, 1500))")]
    [InlineData("attempt => ComputeDelay(attempt)")]
    [InlineData("ComputeDelay")]
    public Task PollyV7_ProviderThatGrowsOrIsJitteredOrOpaque_NoDiagnostic(string provider) => Analyze($$"""
        class C
        {
            static TimeSpan ComputeDelay(int attempt) => TimeSpan.FromSeconds(1);
            void M() => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {{provider}});
        }
        """);

    [Fact]
    public Task PollyV7_ProviderReadingRetryAfterFromOutcome_NoDiagnostic() => Analyze("""
        class C
        {
            void M() => Policy<HttpResponseMessage>
                .HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests)
                .WaitAndRetryAsync(
                    3,
                    (attempt, outcome, context) => outcome.Result?.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1),
                    (outcome, delay, attempt, context) => Task.CompletedTask);
        }
        """);

    [Theory]
    [InlineData("Backoff.DecorrelatedJitterBackoffV2(TimeSpan.FromSeconds(1), 5)")]
    [InlineData("Backoff.ExponentialBackoff(TimeSpan.FromSeconds(1), 5)")]
    [InlineData("new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4) }")]
    [InlineData("new[] { TimeSpan.FromSeconds(1) }")]
    public Task PollyV7_SleepDurationsThatAreNotConstant_NoDiagnostic(string durations) => Analyze($$"""
        class C
        {
            void M() => Policy.Handle<HttpRequestException>().WaitAndRetryAsync({{durations}});
        }
        """);

    [Theory]
    [InlineData("new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, UseJitter = true }")]
    [InlineData("new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential }")]
    [InlineData("new RetryStrategyOptions { BackoffType = DelayBackoffType.Linear }")]
    [InlineData("new RetryStrategyOptions { UseJitter = true }")]
    [InlineData("new RetryStrategyOptions { DelayGenerator = static args => new ValueTask<TimeSpan?>(TimeSpan.FromSeconds(args.AttemptNumber)) }")]
    [InlineData("new RetryStrategyOptions { BackoffType = Configured }")]
    [InlineData("new RetryAnalyzers.Runtime.JitteredRetryStrategyOptions()")]
    [InlineData("new ExponentialOptions()")]
    public Task PollyV8_OptionsThatGrowJitterOrAreUnknown_NoDiagnostic(string options) => Analyze($$"""
        class ExponentialOptions : RetryStrategyOptions
        {
            public ExponentialOptions() { BackoffType = DelayBackoffType.Exponential; UseJitter = true; }
        }

        class C
        {
            static DelayBackoffType Configured { get; set; } = DelayBackoffType.Exponential;
            ResiliencePipeline M() => new ResiliencePipelineBuilder().AddRetry({{options}}).Build();
        }
        """);

    [Fact]
    public Task PollyV8_DefaultOptionsThatEscapeOrAreConfiguredLater_NoDiagnostic() => Analyze("""
        class C
        {
            RetryStrategyOptions _options = new RetryStrategyOptions();

            static RetryStrategyOptions Create() => new RetryStrategyOptions { MaxRetryAttempts = 5 };

            ResiliencePipeline Later()
            {
                var options = new RetryStrategyOptions();
                options.BackoffType = DelayBackoffType.Exponential;
                options.UseJitter = true;
                return new ResiliencePipelineBuilder().AddRetry(options).Build();
            }

            ResiliencePipeline Configured(Action<RetryStrategyOptions> configure)
            {
                var options = new RetryStrategyOptions();
                configure(options);
                return new ResiliencePipelineBuilder().AddRetry(options).Build();
            }
        }
        """);

    [Fact]
    public Task PollingLoopAndDebounce_NoDiagnostic() => Analyze("""
        class C
        {
            async Task<string> PollAsync(HttpClient http, CancellationToken ct)
            {
                while (true)
                {
                    var status = await http.GetStringAsync("https://example.test/job", ct);
                    if (status == "done")
                    {
                        return status;
                    }

                    await Task.Delay(1000, ct);
                }
            }

            async Task DebounceAsync(Func<Task> save)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(300));
                await save();
            }
        }
        """);

    [Theory]
    [InlineData("response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created")]
    [InlineData("response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)")]
    [InlineData("(int)response.StatusCode is < 300")]
    [InlineData("response.StatusCode is not HttpStatusCode.TooManyRequests")]
    public Task DelayOnTheSuccessBranchOfAPatternStatusCheck_NoDiagnostic(string succeeded)
        => Analyze(StatusCheckLoop(succeeded, "await Task.Delay(1000);")); // paces successful calls; a failure is returned at once

    [Fact]
    public Task DelayOnTheSuccessBranchOfAStatusCheck_NoDiagnostic() => Analyze("""
        class C
        {
            // Waits for a host to come up: the delay follows a healthy answer, not a failure.
            async Task WaitForHostAsync(HttpClient http)
            {
                var started = DateTime.UtcNow;
                while (DateTime.UtcNow - started < TimeSpan.FromMinutes(2))
                {
                    try
                    {
                        var health = await http.GetAsync("http://localhost:5000/health");
                        if (health.StatusCode == HttpStatusCode.OK)
                        {
                            await Task.Delay(TimeSpan.FromSeconds(10));
                            return;
                        }
                    }
                    catch (HttpRequestException)
                    {
                    }
                }
            }

            async Task<HttpResponseMessage> ThrottleAfterSuccessAsync(HttpClient http)
            {
                for (var i = 0; i < 3; i++)
                {
                    var response = await http.GetAsync("https://example.test");
                    if (!response.IsSuccessStatusCode)
                    {
                        return response;
                    }

                    await Task.Delay(100);
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Theory]
    [InlineData("response.StatusCode == HttpStatusCode.TooManyRequests")]
    [InlineData("!response.IsSuccessStatusCode")]
    [InlineData("response.StatusCode != HttpStatusCode.OK")]
    [InlineData("(int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests")]
    [InlineData("response.StatusCode is HttpStatusCode.ServiceUnavailable")]
    [InlineData("response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable")]
    [InlineData("(int)response.StatusCode is >= 500 or 429")]
    [InlineData("response.StatusCode is not HttpStatusCode.OK")]
    [InlineData("response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created)")]
    public Task DelayOnTheFailureBranchOfAStatusCheck_ReportsDiagnostic(string failed)
        => Analyze(StatusCheckLoop(failed, "await {|RA0001:Task.Delay(1000)|};"));

    // A loop that waits and continues when `condition` holds, and returns the response otherwise.
    private static string StatusCheckLoop(string condition, string wait) => $$"""
        class C
        {
            async Task<HttpResponseMessage> SendAsync(HttpClient http)
            {
                for (var i = 0; i < 3; i++)
                {
                    var response = await http.GetAsync("https://example.test");
                    if ({{condition}})
                    {
                        {{wait}}
                        continue;
                    }

                    return response;
                }

                throw new InvalidOperationException();
            }
        }
        """;

    [Fact]
    public Task RetryLoopThatLeavesThroughASuccessFlag_ReportsDiagnostic() => Analyze("""
        class C
        {
            async Task SendAsync(HttpClient http)
            {
                var done = false;
                var tries = 0;
                while (!done && tries < 5)
                {
                    try
                    {
                        await http.GetStringAsync("https://example.test");
                        done = true;
                    }
                    catch (HttpRequestException)
                    {
                        tries++;
                        await {|RA0001:Task.Delay(2000)|};
                    }
                }
            }
        }
        """);

    [Fact]
    public Task WorkerLoopWhoseFlagIsNotInItsCondition_NoDiagnostic() => Analyze("""
        class Worker
        {
            bool _healthy;

            async Task RunAsync(Func<Task> work, CancellationToken ct)
            {
                var failures = 0;
                while (!ct.IsCancellationRequested)
                {
                    var ok = false;
                    try
                    {
                        await work();
                        ok = true;
                        _healthy = true;
                    }
                    catch (Exception)
                    {
                        failures++;
                        await Task.Delay(5000, ct);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task WorkerLoopThatLeavesOnlyOnCancellation_NoDiagnostic() => Analyze("""
        class Consumer
        {
            async Task RunAsync(Func<CancellationToken, Task> work, CancellationToken ct)
            {
                while (true)
                {
                    try
                    {
                        await work(ct);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    catch (Exception)
                    {
                        await Task.Delay(5000);
                    }
                }
            }

            async Task PollAsync(Func<Task> work, CancellationToken ct)
            {
                while (true)
                {
                    if (ct.IsCancellationRequested)
                    {
                        return;
                    }

                    try
                    {
                        await work();
                    }
                    catch (Exception)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(10));
                    }
                }
            }
        }
        """);

    [Fact]
    public Task RetryLoopThatAlsoLeavesOnCancellation_StillReportsDiagnostic() => Analyze("""
        class C
        {
            async Task<string> SendAsync(HttpClient http, CancellationToken ct)
            {
                while (true)
                {
                    try
                    {
                        return await http.GetStringAsync("https://example.test", ct);
                    }
                    catch (OperationCanceledException)
                    {
                        throw;
                    }
                    catch (HttpRequestException)
                    {
                        await {|RA0001:Task.Delay(1000, ct)|};
                    }
                }
            }
        }
        """);

    [Fact]
    public Task PeriodicWorkerThatLogsAndWaits_NoDiagnostic() => Analyze("""
        class Worker
        {
            async Task RunAsync(Func<Task> work, CancellationToken ct)
            {
                while (!ct.IsCancellationRequested)
                {
                    try
                    {
                        await work();
                    }
                    catch (Exception ex)
                    {
                        Console.WriteLine(ex.Message);
                        await Task.Delay(TimeSpan.FromSeconds(5), ct);
                    }

                    await Task.Delay(TimeSpan.FromMinutes(1), ct);
                }
            }
        }
        """);

    [Theory]
    [InlineData("await Task.Delay(100 * (1 << attempt));")]
    [InlineData("await Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)));")]
    [InlineData("await Task.Delay(attempt * 250);")]
    [InlineData("await Task.Delay(delay); delay *= 2;")]
    [InlineData("await Task.Delay(1000 + Random.Shared.Next(0, 250));")]
    [InlineData("await Task.Delay(NextDelay(attempt));")]
    public Task RetryLoopWhoseDelayGrowsIsJitteredOrOpaque_NoDiagnostic(string wait) => Analyze(RetrySources.ForLoop(wait));

    [Fact]
    public Task DelayFromRetryAfterHeaderForeachAndLambda_NoDiagnostic() => Analyze("""
        class C
        {
            async Task<HttpResponseMessage> SendAsync(HttpClient http)
            {
                while (true)
                {
                    var response = await http.GetAsync("https://example.test");
                    if (response.StatusCode != HttpStatusCode.TooManyRequests)
                    {
                        return response;
                    }

                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                }
            }

            async Task<string> FailoverAsync(HttpClient http, string[] endpoints)
            {
                foreach (var endpoint in endpoints)
                {
                    try { return await http.GetStringAsync(endpoint); }
                    catch (HttpRequestException) { await Task.Delay(1000); }
                }

                throw new InvalidOperationException();
            }

            void Background(HttpClient http)
            {
                for (var i = 0; i < 3; i++)
                {
                    try { http.GetStringAsync("https://example.test").Wait(); return; }
                    catch (AggregateException) { _ = Task.Run(() => Task.Delay(1000)); }
                }
            }
        }
        """);

    // ---------------------------------------------------------------- Diagnostics

    [Theory]
    [InlineData("WaitAndRetry", "_ => TimeSpan.FromSeconds(1)")]
    [InlineData("WaitAndRetryAsync", "_ => TimeSpan.FromSeconds(1)")]
    [InlineData("WaitAndRetryAsync", "attempt => TimeSpan.FromMilliseconds(600)")]
    [InlineData("WaitAndRetryAsync", "attempt => RetryDelay")]
    [InlineData("WaitAndRetryAsync", "attempt => { return TimeSpan.FromSeconds(2); }")]
    public Task PollyV7_ProviderIgnoringTheAttempt_ReportsDiagnostic(string method, string provider) => Analyze($$"""
        class C
        {
            static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
            void M() => Policy.Handle<HttpRequestException>().{{method}}(3, {|RA0001:{{provider}}|});
        }
        """);

    [Fact]
    public Task PollyV7_ForeverAndGenericPolicies_ReportDiagnostics() => Analyze("""
        class C
        {
            void M(TimeSpan configured)
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryForever({|RA0001:_ => configured|});
                Policy.Handle<HttpRequestException>().WaitAndRetryForeverAsync({|RA0001:_ => TimeSpan.FromSeconds(5)|});
                Policy<HttpResponseMessage>.HandleResult(r => !r.IsSuccessStatusCode).WaitAndRetryAsync(3, {|RA0001:_ => TimeSpan.FromMilliseconds(600)|});
            }
        }
        """);

    [Fact]
    public Task PollyV7_EqualDelaysAndConstantBackoff_ReportDiagnostics() => Analyze("""
        class C
        {
            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0001:new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) }|});
                Policy.Handle<HttpRequestException>().WaitAndRetry({|RA0001:new TimeSpan[] { TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500) }|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0001:[TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)]|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0001:Backoff.ConstantBackoff(TimeSpan.FromSeconds(1), 5)|});
            }
        }
        """);

    [Fact]
    public Task PollyV8_ConstantExplicitOrByDefault_ReportDiagnostics() => Analyze("""
        class C
        {
            void M()
            {
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { {|RA0001:BackoffType = DelayBackoffType.Constant|}, Delay = TimeSpan.FromSeconds(1) });
                new ResiliencePipelineBuilder().AddRetry({|RA0001:new RetryStrategyOptions()|});
                new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry({|RA0001:new RetryStrategyOptions<HttpResponseMessage>|}
                {
                    MaxRetryAttempts = 5,
                });
                new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry({|RA0001:new()|});
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { {|RA0001:BackoffType = DelayBackoffType.Constant|}, UseJitter = false });
            }
        }
        """);

    [Fact]
    public Task PollyV8_ConstantSetByLaterAssignment_ReportsDiagnostic() => Analyze("""
        class C
        {
            ResiliencePipeline<HttpResponseMessage> M()
            {
                var options = new RetryStrategyOptions<HttpResponseMessage>();
                {|RA0001:options.BackoffType = DelayBackoffType.Constant|};
                options.MaxRetryAttempts = 4;
                return new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(options).Build();
            }
        }
        """);

    [Fact]
    public Task HandWrittenLoops_ReportDiagnostics() => Analyze("""
        class C
        {
            const int DelayMs = 1000;
            static readonly TimeSpan Pause = TimeSpan.FromSeconds(2);

            async Task<string> CatchInFor(HttpClient http)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { await {|RA0001:Task.Delay(DelayMs)|}; }
                }

                throw new InvalidOperationException();
            }

            HttpResponseMessage StatusInWhile(HttpClient http)
            {
                while (true)
                {
                    var response = http.Send(new HttpRequestMessage(HttpMethod.Get, "https://example.test"));
                    if (response.IsSuccessStatusCode)
                    {
                        return response;
                    }

                    {|RA0001:Thread.Sleep(Pause)|};
                }
            }

            async Task SwallowedInDo(Func<Task> call, TimeSpan wait)
            {
                var attempt = 0;
                do
                {
                    try { await call(); break; }
                    catch (Exception) { }
                    await {|RA0001:Task.Delay(wait)|};
                }
                while (++attempt < 5);
            }

            async Task<HttpResponseMessage> ThrottledInIf(HttpClient http)
            {
                for (var i = 0; i < 4; i++)
                {
                    var response = await http.GetAsync("https://example.test");
                    if ((int)response.StatusCode == 429)
                    {
                        await {|RA0001:Task.Delay(TimeSpan.FromMilliseconds(500))|};
                        continue;
                    }

                    return response;
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Theory]
    [InlineData("_ => TimeSpan.FromSeconds(1)", "1 s")]
    [InlineData("_ => TimeSpan.FromMilliseconds(600)", "600 ms")]
    [InlineData("_ => TimeSpan.FromMinutes(2)", "2 min")]
    [InlineData("_ => RetryDelay", "'RetryDelay'")]
    [InlineData("_ => TimeSpan.Zero", "0 ms")]
    public Task Message_NamesTheDelay(string provider, string described) => Verify.VerifyAnalyzerAsync(
        Usings + $$"""
        class C
        {
            static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
            void M() => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|#0:{{provider}}|});
        }
        """,
        Verify.Diagnostic("RA0001").WithLocation(0).WithArguments(described));

    [Fact]
    public Task Message_NamesPollysDefault() => Verify.VerifyAnalyzerAsync(
        Usings + """
        class C
        {
            void M() => new ResiliencePipelineBuilder().AddRetry({|#0:new RetryStrategyOptions()|});
        }
        """,
        Verify.Diagnostic("RA0001").WithLocation(0).WithArguments("2 s (Polly's default)"));

    // ---------------------------------------------------------------- CodeFix (each test also runs Fix All)

    [Fact]
    public Task PollyV7Provider_FixesToJitteredGetDelay() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using Polly;

        class C
        {
            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|RA0001:_ => TimeSpan.FromSeconds(1)|});
                Policy.Handle<HttpRequestException>().WaitAndRetry(5, {|RA0001:(attempt, context) => TimeSpan.FromMilliseconds(600)|});
            }
        }
        """,
        """
        using System;
        using System.Net.Http;
        using Polly;
        using RetryAnalyzers.Runtime;

        class C
        {
            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, retryAttempt => JitteredBackoff.GetDelay(retryAttempt - 1, TimeSpan.FromSeconds(1)));
                Policy.Handle<HttpRequestException>().WaitAndRetry(5, (attempt, context) => JitteredBackoff.GetDelay(attempt - 1, TimeSpan.FromMilliseconds(600)));
            }
        }
        """);

    [Fact]
    public Task PollyV7EqualDelaysAndConstantBackoff_FixToJitteredDelays() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using Polly;
        using Polly.Contrib.WaitAndRetry;

        class C
        {
            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0001:new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) }|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0001:Backoff.ConstantBackoff(TimeSpan.FromMilliseconds(250), retryCount: 4)|});
            }
        }
        """,
        """
        using System;
        using System.Net.Http;
        using Polly;
        using Polly.Contrib.WaitAndRetry;
        using RetryAnalyzers.Runtime;

        class C
        {
            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(JitteredBackoff.Delays(TimeSpan.FromSeconds(1), 3));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(JitteredBackoff.Delays(TimeSpan.FromMilliseconds(250), 4));
            }
        }
        """);

    [Fact]
    public Task PollyV8Options_FixToExponentialWithJitter() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using Polly;
        using Polly.Retry;

        class C
        {
            void M()
            {
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { {|RA0001:BackoffType = DelayBackoffType.Constant|}, Delay = TimeSpan.FromSeconds(1), UseJitter = false });
                new ResiliencePipelineBuilder().AddRetry({|RA0001:new RetryStrategyOptions()|});
                new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry({|RA0001:new RetryStrategyOptions<HttpResponseMessage>|} { MaxRetryAttempts = 5 });
            }
        }
        """,
        """
        using System;
        using System.Net.Http;
        using Polly;
        using Polly.Retry;

        class C
        {
            void M()
            {
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, Delay = TimeSpan.FromSeconds(1), UseJitter = true });
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, UseJitter = true });
                new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(new RetryStrategyOptions<HttpResponseMessage> { MaxRetryAttempts = 5, BackoffType = DelayBackoffType.Exponential, UseJitter = true });
            }
        }
        """);

    [Fact]
    public Task HandWrittenForLoops_FixToGetDelayWithTheCounter() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            async Task<string> A(HttpClient http, CancellationToken ct)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test", ct); }
                    catch (HttpRequestException) { await {|RA0001:Task.Delay(1000, ct)|}; }
                }

                throw new InvalidOperationException();
            }

            string B(HttpClient http)
            {
                for (int attempt = 1; attempt <= 3; attempt++)
                {
                    try { return http.GetStringAsync("https://example.test").Result; }
                    catch (AggregateException) { {|RA0001:Thread.Sleep(TimeSpan.FromSeconds(2))|}; }
                }

                throw new InvalidOperationException();
            }
        }
        """,
        """
        using System;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using RetryAnalyzers.Runtime;

        class C
        {
            async Task<string> A(HttpClient http, CancellationToken ct)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test", ct); }
                    catch (HttpRequestException) { await Task.Delay(JitteredBackoff.GetDelay(attempt, TimeSpan.FromMilliseconds(1000)), ct); }
                }

                throw new InvalidOperationException();
            }

            string B(HttpClient http)
            {
                for (int attempt = 1; attempt <= 3; attempt++)
                {
                    try { return http.GetStringAsync("https://example.test").Result; }
                    catch (AggregateException) { Thread.Sleep(JitteredBackoff.GetDelay(attempt - 1, TimeSpan.FromSeconds(2))); }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task HandWrittenWhileLoop_FixesToRetryBackoffBeforeTheLoop() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using System.Threading.Tasks;

        class C
        {
            const int DelayMs = 500;

            async Task<HttpResponseMessage> SendAsync(HttpClient http)
            {
                while (true)
                {
                    var response = await http.GetAsync("https://example.test");
                    if (response.IsSuccessStatusCode)
                    {
                        return response;
                    }

                    await {|RA0001:Task.Delay(DelayMs)|};
                }
            }
        }
        """,
        """
        using System;
        using System.Net.Http;
        using System.Threading.Tasks;
        using RetryAnalyzers.Runtime;

        class C
        {
            const int DelayMs = 500;

            async Task<HttpResponseMessage> SendAsync(HttpClient http)
            {
                var retryBackoff = new RetryBackoff(TimeSpan.FromMilliseconds(DelayMs));
                while (true)
                {
                    var response = await http.GetAsync("https://example.test");
                    if (response.IsSuccessStatusCode)
                    {
                        return response;
                    }

                    await Task.Delay(retryBackoff.NextDelay());
                }
            }
        }
        """);

    [Fact]
    public Task ZeroDelay_IsReportedButNotFixed_BecauseABackoffNeedsAPositiveBase() => Verify.VerifyNoFixAsync(
        // No delay-only fix; the whole-retry pipeline action (the loop) does not need a base delay, so it is offered.
        """
        using System;
        using System.Net.Http;
        using System.Threading.Tasks;
        using Polly;

        class C
        {
            async Task<string> M(HttpClient http)
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|RA0001:_ => TimeSpan.Zero|});
                for (var i = 0; i < 3; i++)
                {
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { await {|RA0001:Task.Delay(0)|}; }
                }

                throw new InvalidOperationException();
            }
        }
        """,
        RetryAnalyzers.CodeFixes.RA0001FixedDelayRetryCodeFix.EquivalenceKey);

    [Fact]
    public async Task WithoutTheRuntimeLibrary_NoFixIsOffered()
    {
        const string Source = """
            using System;
            using System.Net.Http;
            using Polly;

            class C
            {
                void M() => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|RA0001:_ => TimeSpan.FromSeconds(1)|});
            }
            """;
        var test = new Verify.Test { TestCode = Source, FixedCode = Source };
        test.TestState.AdditionalReferences.Clear();
        test.FixedState.AdditionalReferences.Clear();
        await test.RunAsync();
    }

    // ---------------------------------------------------------------- Waits in helpers that retry loops call (issue 17)

    [Fact]
    public Task WaitHelperWithAConstantDelay_ReportedOnceAtTheHelper_EvenWithSeveralRetryLoops() => Analyze("""
        class C
        {
            static Task WaitAsync() => {|RA0001:Task.Delay(1000)|};

            static async Task BackoffAsync(int attempt)
            {
                Console.WriteLine($"retry {attempt}");
                await {|RA0001:Task.Delay(TimeSpan.FromSeconds(2))|};
            }

            static void Pause() => {|RA0001:Thread.Sleep(500)|};

            async Task<string> First(HttpClient http)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test/a"); }
                    catch (HttpRequestException) { await WaitAsync(); await BackoffAsync(attempt); }
                }

                throw new InvalidOperationException();
            }

            async Task<string> Second(HttpClient http)
            {
                while (true)
                {
                    try { return await http.GetStringAsync("https://example.test/b"); }
                    catch (HttpRequestException) { }

                    await WaitAsync();
                }
            }

            string Third(HttpClient http)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    var response = http.Send(new HttpRequestMessage(HttpMethod.Get, "https://example.test/c"));
                    if (response.IsSuccessStatusCode) { return "ok"; }

                    Pause();
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task WaitHelperGivenAConstantByItsCallers_ReportsDiagnostic() => Analyze("""
        class C
        {
            static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(750);

            static Task PauseAsync(TimeSpan pause, CancellationToken cancellationToken = default) => {|RA0001:Task.Delay(pause, cancellationToken)|};

            async Task<string> Get(HttpClient http, CancellationToken cancellationToken)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test", cancellationToken); }
                    catch (HttpRequestException) { await PauseAsync(RetryPause, cancellationToken); }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task WaitHelpersThatAreJitteredUnknownOrNotCalledFromARetry_NoDiagnostic() => Analyze("""
        class C
        {
            static Task JitteredAsync() => Task.Delay(Random.Shared.Next(500, 1500));
            static Task ComputedAsync(int attempt) => Task.Delay(NextDelay(attempt));
            static int NextDelay(int attempt) => 100;
            static Task PauseAsync(TimeSpan pause) => Task.Delay(pause);
            static Task WarmUpAsync() => Task.Delay(1000);
            static Task BeforeCallAsync() => Task.Delay(1000);
            static Task PollPauseAsync() => Task.Delay(1000);

            static async Task OwnLoopAsync()
            {
                for (var i = 0; i < 3; i++)
                {
                    await Task.Delay(100); // its own loop decides (not a retry)
                }
            }

            async Task<string> Get(HttpClient http)
            {
                await WarmUpAsync(); // not in a loop
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    await BeforeCallAsync(); // before the call, not after a failure
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException)
                    {
                        await JitteredAsync();
                        await ComputedAsync(attempt);
                        await PauseAsync(TimeSpan.FromMilliseconds(Random.Shared.Next(100, 900)));
                        await OwnLoopAsync();
                    }
                }

                throw new InvalidOperationException();
            }

            async Task Poll(HttpClient http)
            {
                while (!(await http.GetStringAsync("https://example.test/status")).Contains("done"))
                {
                    await PollPauseAsync(); // polling, no failure
                }
            }
        }
        """);

    [Fact]
    public Task MethodsThatDoMoreThanWaitOrAreCalledThroughAnInterface_AreNotWaitHelpers_NoDiagnostic() => Analyze("""
        interface IPause
        {
            Task PauseAsync();
        }

        class C : IPause
        {
            public Task PauseAsync() => Task.Delay(1000); // implements IPause: calls may go to another implementation

            protected virtual Task WaitAsync() => Task.Delay(1000); // may be overridden

            static async Task RecoverAsync(HttpClient http)
            {
                Console.WriteLine("recovering");
                http.CancelPendingRequests();
                http.DefaultRequestHeaders.Clear();
                http.Timeout = TimeSpan.FromSeconds(30);
                await Task.Delay(1000); // the fifth statement: a method that does work, then waits
            }

            async Task<string> Get(HttpClient http)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { await PauseAsync(); await WaitAsync(); await RecoverAsync(http); }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task WaitHelperCalledWithAConstantAndWithAJitteredWait_NoDiagnostic() => Analyze("""
        class C
        {
            static Task PauseAsync(int milliseconds) => Task.Delay(milliseconds);

            async Task<string> Get(HttpClient http)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { await PauseAsync(1000); }
                }

                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { await PauseAsync(Random.Shared.Next(500, 1500)); }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task WaitHelperInAnotherFile_ReportsDiagnosticAtTheHelper()
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(Usings + """
            class Loop
            {
                async Task<string> Get(HttpClient http)
                {
                    for (var attempt = 0; attempt < 3; attempt++)
                    {
                        try { return await http.GetStringAsync("https://example.test"); }
                        catch (HttpRequestException) { await Waits.PauseAsync(); }
                    }

                    throw new InvalidOperationException();
                }
            }
            """);
        test.TestState.Sources.Add(Usings + """
            static class Waits
            {
                public static Task PauseAsync() => {|RA0001:Task.Delay(2000)|};
            }
            """);
        test.DisabledDiagnostics.Add(RuleIds.RetryWithoutJitter);
        return test.RunAsync();
    }

    // A private helper is looked for in its own type whatever its name; another type's helper only when named for waiting.
    [Fact]
    public Task PrivateHelpersAnyName_OtherTypesHelpersOnlyNamedForWaiting()
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(Usings + """
            class Loop
            {
                async Task<string> Get(HttpClient http)
                {
                    for (var attempt = 0; attempt < 3; attempt++)
                    {
                        try { return await http.GetStringAsync("https://example.test"); }
                        catch (HttpRequestException) { Recover(); await Utilities.Settle(); }
                    }

                    throw new InvalidOperationException();
                }

                static void Recover() => {|RA0001:Thread.Sleep(500)|};
            }
            """);
        test.TestState.Sources.Add(Usings + """
            static class Utilities
            {
                public static Task Settle() => Task.Delay(2000);
            }
            """);
        test.DisabledDiagnostics.Add(RuleIds.RetryWithoutJitter);
        return test.RunAsync();
    }

    [Fact]
    public Task WaitHelper_IsReportedButNotFixed() => Verify.VerifyNoFixAsync(Usings + """
        class C
        {
            static Task WaitAsync() => {|RA0001:Task.Delay(1000)|};

            async Task<string> Get(HttpClient http)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { await WaitAsync(); }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    // ---------------------------------------------------------------- Polly v7 providers held in a local, a field, a parameter (issue 17)

    [Fact]
    public Task HeldProviders_ReportDiagnosticAtTheLambda() => Analyze("""
        class C
        {
            static readonly Func<int, TimeSpan> Fixed = {|RA0001:_ => TimeSpan.FromSeconds(2)|};
            private Func<int, TimeSpan> _instance = {|RA0001:(int n) => TimeSpan.FromMilliseconds(500)|};

            void Local()
            {
                Func<int, TimeSpan> provider = {|RA0001:n => TimeSpan.FromSeconds(2)|};
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, provider);
            }

            void Field() => Policy.Handle<HttpRequestException>().WaitAndRetry(3, Fixed);

            void InstanceField() => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, this._instance);

            void Parameter(Func<int, TimeSpan>? provider = null)
            {
                provider ??= {|RA0001:n => TimeSpan.FromSeconds(1)|};
                Policy.Handle<HttpRequestException>().WaitAndRetryForeverAsync(provider);
            }
        }
        """);

    [Fact]
    public Task HeldProvidersThatMayHoldSomethingElseOrNeverReachARetry_NoDiagnostic() => Analyze("""
        class C
        {
            public static Func<int, TimeSpan> Public = _ => TimeSpan.FromSeconds(2);
            private static Func<int, TimeSpan> _reassigned = _ => TimeSpan.FromSeconds(2);
            private readonly Func<int, TimeSpan> _setInConstructor = _ => TimeSpan.FromSeconds(2);
            private readonly Func<int, TimeSpan> _unused = _ => TimeSpan.FromSeconds(2);

            C(bool slow)
            {
                if (slow)
                {
                    _setInConstructor = Configured;
                }
            }

            static TimeSpan Configured(int attempt) => TimeSpan.FromSeconds(attempt);

            void Configure(Func<int, TimeSpan> provider) => _reassigned = provider;

            void Fields()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, Public);
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, _reassigned);
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, _setInConstructor);
                Console.WriteLine(_unused(1));
            }

            void Locals(bool slow)
            {
                Func<int, TimeSpan> reassigned = _ => TimeSpan.FromSeconds(2);
                if (slow)
                {
                    reassigned = Configured;
                }

                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, reassigned);

                Func<int, TimeSpan> notARetry = _ => TimeSpan.FromSeconds(2);
                Console.WriteLine(notARetry(1));

                Func<int, TimeSpan> growing = n => TimeSpan.FromSeconds(Math.Pow(2, n));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, growing);

                Func<int, TimeSpan> jittered = _ => TimeSpan.FromMilliseconds(Random.Shared.Next(500, 1500));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, jittered);
            }

            void ParameterWithoutNullDefault(Func<int, TimeSpan>? provider)
            {
                provider ??= _ => TimeSpan.FromSeconds(1);
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, provider);
            }

            void ParameterAlsoAssigned(bool slow, Func<int, TimeSpan>? provider = null)
            {
                provider ??= _ => TimeSpan.FromSeconds(1);
                if (slow)
                {
                    provider = Configured;
                }

                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, provider);
            }
        }
        """);

    [Fact]
    public Task HeldProviders_FixToJitteredGetDelay() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using Polly;

        class C
        {
            static readonly Func<int, TimeSpan> Fixed = {|RA0001:_ => TimeSpan.FromSeconds(2)|};

            void M(Func<int, TimeSpan>? fallback = null)
            {
                Func<int, TimeSpan> provider = {|RA0001:n => TimeSpan.FromMilliseconds(600)|};
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, provider);
                Policy.Handle<HttpRequestException>().WaitAndRetry(3, Fixed);
                fallback ??= {|RA0001:_ => TimeSpan.FromSeconds(1)|};
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(5, fallback);
            }
        }
        """,
        """
        using System;
        using System.Net.Http;
        using Polly;
        using RetryAnalyzers.Runtime;

        class C
        {
            static readonly Func<int, TimeSpan> Fixed = retryAttempt => JitteredBackoff.GetDelay(retryAttempt - 1, TimeSpan.FromSeconds(2));

            void M(Func<int, TimeSpan>? fallback = null)
            {
                Func<int, TimeSpan> provider = n => JitteredBackoff.GetDelay(n - 1, TimeSpan.FromMilliseconds(600));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, provider);
                Policy.Handle<HttpRequestException>().WaitAndRetry(3, Fixed);
                fallback ??= retryAttempt => JitteredBackoff.GetDelay(retryAttempt - 1, TimeSpan.FromSeconds(1));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(5, fallback);
            }
        }
        """);

    // ---------------------------------------------------------------- One evaluator (issue 17)

    [Fact]
    public Task EqualDelaysWrittenWithTimeSpanArithmetic_AreValuedLikeTheFixValuesThem() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using Polly;

        class C
        {
            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0001:new[] { TimeSpan.FromMilliseconds(500) * 2, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(0.5) + TimeSpan.FromMilliseconds(500) }|});
            }
        }
        """,
        """
        using System;
        using System.Net.Http;
        using Polly;
        using RetryAnalyzers.Runtime;

        class C
        {
            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(JitteredBackoff.Delays(TimeSpan.FromMilliseconds(500) * 2, 3));
            }
        }
        """);

    // ---------------------------------------------------------------- A wait guarded by a flag that only a failure sets (issue 17, from semantic-kernel)
    // (the do/while shape of semantic-kernel's RetrieveMessageAsync is in the fix test below, which checks its diagnostic too)

    [Fact]
    public Task WaitGuardedByAFlagSetInACatch_ReportsDiagnostic() => Analyze("""
        class C
        {
            void ResetEachTime(HttpClient http)
            {
                bool failed;
                do
                {
                    failed = false;
                    try
                    {
                        http.Send(new HttpRequestMessage(HttpMethod.Post, "https://example.test")).EnsureSuccessStatusCode();
                    }
                    catch (HttpRequestException)
                    {
                        failed = true;
                    }

                    if (failed)
                        {|RA0001:Thread.Sleep(500)|};
                }
                while (failed);
            }
        }
        """);

    [Fact]
    public Task WaitGuardedByAFlagNotOnlySetByAFailure_NoDiagnostic() => Analyze("""
        class C
        {
            async Task<string?> SetOnSuccessToo(HttpClient http)
            {
                string? message = null;
                bool again = false;
                do
                {
                    try
                    {
                        message = await http.GetStringAsync("https://example.test/status");
                        again = message.Contains("pending");
                    }
                    catch (HttpRequestException)
                    {
                        again = true;
                    }

                    if (again)
                    {
                        await Task.Delay(1000); // also polls while pending
                    }
                }
                while (again);

                return message;
            }

            async Task WorkerThatNeverLeaves(HttpClient http)
            {
                while (true)
                {
                    var failed = false;
                    try { await http.GetStringAsync("https://example.test/heartbeat"); }
                    catch (HttpRequestException) { failed = true; }

                    if (failed)
                    {
                        await Task.Delay(1000);
                    }
                }
            }

            async Task<string?> OnTheOtherBranch(HttpClient http)
            {
                string? message = null;
                bool retry = false;
                do
                {
                    try { message = await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { retry = true; }

                    if (retry)
                    {
                        Console.WriteLine("retrying");
                    }
                    else
                    {
                        await Task.Delay(1000); // runs on success
                    }
                }
                while (retry);

                return message;
            }
        }
        """);

    [Fact]
    public Task WaitGuardedByAFailureFlag_FixesToARetryBackoffBeforeTheLoop() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            async Task<string?> Get(HttpClient http, TimeSpan syncDelay, CancellationToken cancellationToken)
            {
                string? message = null;
                bool retry = false;
                int count = 0;
                do
                {
                    try
                    {
                        message = await http.GetStringAsync("https://example.test", cancellationToken);
                    }
                    catch (HttpRequestException exception)
                    {
                        retry = exception.StatusCode == HttpStatusCode.NotFound && count < 3;
                    }

                    if (retry)
                    {
                        await {|RA0001:Task.Delay(syncDelay, cancellationToken)|};
                    }

                    ++count;
                }
                while (retry);

                return message;
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
            async Task<string?> Get(HttpClient http, TimeSpan syncDelay, CancellationToken cancellationToken)
            {
                string? message = null;
                bool retry = false;
                int count = 0;
                var retryBackoff = new RetryBackoff(syncDelay);
                do
                {
                    try
                    {
                        message = await http.GetStringAsync("https://example.test", cancellationToken);
                    }
                    catch (HttpRequestException exception)
                    {
                        retry = exception.StatusCode == HttpStatusCode.NotFound && count < 3;
                    }

                    if (retry)
                    {
                        await Task.Delay(retryBackoff.NextDelay(), cancellationToken);
                    }

                    ++count;
                }
                while (retry);

                return message;
            }
        }
        """);
}
