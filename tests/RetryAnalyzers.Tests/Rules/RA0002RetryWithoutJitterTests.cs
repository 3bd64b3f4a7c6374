using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Verify = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RetryDelayAnalyzer, RetryAnalyzers.CodeFixes.RA0002RetryWithoutJitterCodeFix>;

using RetryAnalyzers.Tests.Verifiers;

namespace RetryAnalyzers.Tests.Rules;

public sealed class RA0002RetryWithoutJitterTests
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

    private static Task Analyze(string body) => Verify.VerifyRuleAsync(RuleIds.RetryWithoutJitter, Usings + body);

    // ---------------------------------------------------------------- Valid (no diagnostic)

    [Theory]
    [InlineData("attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt)) + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 100))")]
    [InlineData("attempt => TimeSpan.FromMilliseconds(100 * (1 << attempt) + Jitter.Next(50))")]
    [InlineData("attempt => ComputeDelay(attempt)")]
    [InlineData("ComputeDelay")]
    [InlineData("_ => TimeSpan.FromSeconds(1)")] // constant: RA0001's, never RA0002's
    [InlineData("attempt => TimeSpan.FromSeconds(10 - attempt)")]
    [InlineData("attempt => TimeSpan.FromSeconds(10 / attempt)")]
    [InlineData("attempt => TimeSpan.FromSeconds(Math.Pow(0.5, attempt))")]
    [InlineData("attempt => TimeSpan.FromSeconds(attempt % 3)")]
    [InlineData("attempt => JitteredBackoffOf(attempt)")]
    public Task PollyV7_ProviderThatIsJitteredOpaqueConstantOrShrinking_NoDiagnostic(string provider) => Analyze($$"""
        class C
        {
            static readonly Random Jitter = new Random();
            static TimeSpan ComputeDelay(int attempt) => TimeSpan.FromSeconds(1);
            static TimeSpan JitteredBackoffOf(int attempt) => RetryAnalyzers.Runtime.JitteredBackoff.GetDelay(attempt - 1, TimeSpan.FromSeconds(1));
            void M() => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {{provider}});
        }
        """);

    [Theory]
    [InlineData("Backoff.DecorrelatedJitterBackoffV2(TimeSpan.FromSeconds(1), 5)")]
    [InlineData("Backoff.AwsDecorrelatedJitterBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 5)")]
    [InlineData("Backoff.ConstantBackoff(TimeSpan.FromSeconds(1), 5)")]
    [InlineData("new[] { TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1) }")]
    [InlineData("new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) }")]
    [InlineData("RetryAnalyzers.Runtime.JitteredBackoff.Delays(TimeSpan.FromSeconds(1), 5)")]
    [InlineData("Configured")]
    public Task PollyV7_SleepDurationsThatAreJitteredConstantOrUnknown_NoDiagnostic(string durations) => Analyze($$"""
        class C
        {
            static IEnumerable<TimeSpan> Configured => new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2) };
            void M() => Policy.Handle<HttpRequestException>().WaitAndRetryAsync({{durations}});
        }
        """);

    [Theory]
    [InlineData("new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, UseJitter = true }")]
    [InlineData("new RetryStrategyOptions { BackoffType = DelayBackoffType.Linear, UseJitter = true }")]
    [InlineData("new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, DelayGenerator = static args => new ValueTask<TimeSpan?>(TimeSpan.FromSeconds(args.AttemptNumber)) }")]
    [InlineData("new RetryStrategyOptions { BackoffType = DelayBackoffType.Constant }")]
    [InlineData("new RetryStrategyOptions()")]
    [InlineData("new RetryStrategyOptions { BackoffType = Configured }")]
    [InlineData("new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, UseJitter = JitterOn }")]
    [InlineData("new ExponentialOptions()")]
    [InlineData("new RetryAnalyzers.Runtime.JitteredRetryStrategyOptions()")]
    public Task PollyV8_OptionsThatAreJitteredConstantOrUnknown_NoDiagnostic(string options) => Analyze($$"""
        class ExponentialOptions : RetryStrategyOptions
        {
            public ExponentialOptions() { BackoffType = DelayBackoffType.Exponential; }
        }

        class C
        {
            static DelayBackoffType Configured { get; set; } = DelayBackoffType.Exponential;
            static bool JitterOn { get; set; } = true;
            ResiliencePipeline M() => new ResiliencePipelineBuilder().AddRetry({{options}}).Build();
        }
        """);

    [Fact]
    public Task PollyV8_ExponentialOptionsConfiguredElsewhere_NoDiagnostic() => Analyze("""
        class C
        {
            static readonly RetryStrategyOptions Shared = new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential };

            ResiliencePipeline Configured(Action<RetryStrategyOptions> configure)
            {
                var options = new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential };
                configure(options);
                return new ResiliencePipelineBuilder().AddRetry(options).Build();
            }

            ResiliencePipeline Later()
            {
                var options = new RetryStrategyOptions { BackoffType = DelayBackoffType.Linear };
                options.UseJitter = true;
                return new ResiliencePipelineBuilder().AddRetry(options).Build();
            }
        }
        """);

    [Theory]
    [InlineData("await Task.Delay(100 * (1 << attempt) + Random.Shared.Next(0, 100));")]
    [InlineData("await Task.Delay(NextDelay(attempt));")]
    [InlineData("await Task.Delay(1000);")] // constant: RA0001's
    [InlineData("await Task.Delay(1000 - attempt * 100);")]
    [InlineData("await Task.Delay(RetryAnalyzers.Runtime.JitteredBackoff.GetDelay(attempt, TimeSpan.FromMilliseconds(100)));")]
    public Task RetryLoopWhoseDelayIsJitteredOpaqueConstantOrShrinking_NoDiagnostic(string wait) => Analyze(RetrySources.ForLoop(wait));

    [Fact]
    public Task GrowingDelaysThatAreNotRetries_NoDiagnostic() => Analyze("""
        class C
        {
            // Polling a job with a growing interval: no failure precedes the wait.
            async Task<string> PollAsync(HttpClient http, CancellationToken ct)
            {
                var interval = 500;
                while (true)
                {
                    var status = await http.GetStringAsync("https://example.test/job", ct);
                    if (status == "done")
                    {
                        return status;
                    }

                    await Task.Delay(interval, ct);
                    interval *= 2;
                }
            }

            // Failover across endpoints: a foreach is not a retry of the same call.
            async Task<string> FailoverAsync(HttpClient http, string[] endpoints)
            {
                var pause = 100;
                foreach (var endpoint in endpoints)
                {
                    try { return await http.GetStringAsync(endpoint); }
                    catch (HttpRequestException) { await Task.Delay(pause); pause *= 2; }
                }

                throw new InvalidOperationException();
            }

            // A worker that never leaves its loop on success is not a retry loop.
            async Task WorkAsync(Func<Task> work, CancellationToken ct)
            {
                for (var round = 0; !ct.IsCancellationRequested; round++)
                {
                    try { await work(); }
                    catch (Exception) { await Task.Delay(TimeSpan.FromSeconds(round), ct); }
                }
            }
        }
        """);

    // ---------------------------------------------------------------- Diagnostics

    [Theory]
    [InlineData("WaitAndRetryAsync(3, {|RA0002:attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt))|})")]
    [InlineData("WaitAndRetryAsync(3, {|RA0002:attempt => TimeSpan.FromMilliseconds(100 * (1 << attempt))|})")]
    [InlineData("WaitAndRetryAsync(3, {|RA0002:attempt => TimeSpan.FromMilliseconds(attempt * 250)|})")]
    [InlineData("WaitAndRetryAsync(3, {|RA0002:attempt => TimeSpan.FromSeconds(attempt)|})")]
    [InlineData("WaitAndRetryAsync(3, {|RA0002:attempt => TimeSpan.FromSeconds(Math.Min(Math.Pow(2, attempt), 30))|})")]
    [InlineData("WaitAndRetryAsync(3, {|RA0002:attempt => BaseDelay * attempt|})")]
    [InlineData("WaitAndRetryAsync(3, {|RA0002:attempt => Steps[attempt - 1]|})")]
    [InlineData("WaitAndRetryAsync(3, {|RA0002:(attempt, context) => TimeSpan.FromSeconds(Math.Pow(2, attempt))|}, (exception, delay, attempt, context) => { })")]
    [InlineData("WaitAndRetry(3, {|RA0002:attempt => { var seconds = Math.Pow(2, attempt); return TimeSpan.FromSeconds(seconds); }|})")]
    [InlineData("WaitAndRetryForeverAsync({|RA0002:attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt))|})")]
    [InlineData("WaitAndRetryAsync({|RA0002:new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4) }|})")]
    [InlineData("WaitAndRetryAsync({|RA0002:[TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)]|})")]
    [InlineData("WaitAndRetryAsync({|RA0002:Backoff.ExponentialBackoff(TimeSpan.FromMilliseconds(100), 5)|})")]
    [InlineData("WaitAndRetryAsync({|RA0002:Backoff.LinearBackoff(TimeSpan.FromMilliseconds(100), 5, factor: 2)|})")]
    public Task PollyV7_GrowingWithoutJitter_ReportsDiagnostic(string retry) => Analyze($$"""
        class C
        {
            static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(500);
            static readonly TimeSpan[] Steps = { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30) };
            void M() => Policy.Handle<HttpRequestException>().{{retry}};
        }
        """);

    [Theory]
    [InlineData("new RetryStrategyOptions { {|RA0002:BackoffType = DelayBackoffType.Exponential|} }")]
    [InlineData("new RetryStrategyOptions { {|RA0002:BackoffType = DelayBackoffType.Linear|}, Delay = TimeSpan.FromMilliseconds(200) }")]
    [InlineData("new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, {|RA0002:UseJitter = false|} }")]
    [InlineData("new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, DelayGenerator = null, {|RA0002:UseJitter = false|} }")]
    [InlineData("new ExponentialOptions { BackoffType = DelayBackoffType.Exponential, {|RA0002:UseJitter = false|} }")]
    public Task PollyV8_GrowingWithoutJitter_ReportsDiagnostic(string options) => Analyze($$"""
        class ExponentialOptions : RetryStrategyOptions
        {
        }

        class C
        {
            ResiliencePipeline M() => new ResiliencePipelineBuilder().AddRetry({{options}}).Build();
        }
        """);

    [Fact]
    public Task PollyV8_GenericOptionsAndLaterAssignments_ReportDiagnostic() => Analyze("""
        class C
        {
            ResiliencePipeline<HttpResponseMessage> Generic() => new ResiliencePipelineBuilder<HttpResponseMessage>()
                .AddRetry(new RetryStrategyOptions<HttpResponseMessage> { {|RA0002:BackoffType = DelayBackoffType.Exponential|}, MaxRetryAttempts = 5 })
                .Build();

            ResiliencePipeline Later()
            {
                var options = new RetryStrategyOptions();
                {|RA0002:options.BackoffType = DelayBackoffType.Exponential|};
                options.MaxRetryAttempts = 4;
                return new ResiliencePipelineBuilder().AddRetry(options).Build();
            }
        }
        """);

    [Theory]
    [InlineData("for (var attempt = 0; attempt < 5; attempt++)", "{|RA0002:Task.Delay(100 * (1 << attempt))|}")]
    [InlineData("for (var attempt = 1; attempt <= 5; attempt++)", "{|RA0002:Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)))|}")]
    [InlineData("for (var attempt = 0; attempt < 5; attempt++)", "{|RA0002:Task.Delay(attempt * 250)|}")]
    [InlineData("while (true)", "{|RA0002:Task.Delay(delay)|}; delay *= 2")]
    [InlineData("while (true)", "{|RA0002:Task.Delay(delay)|}; delay = delay + delay")]
    [InlineData("while (true)", "{|RA0002:Task.Delay(delay)|}; delay = Math.Min(delay * 2, 10_000)")]
    [InlineData("while (true)", "failures++; await {|RA0002:Task.Delay(failures * 1000)|}")]
    public Task HandWrittenLoop_GrowingWithoutJitter_ReportsDiagnostic(string loop, string wait) => Analyze($$"""
        class C
        {
            async Task<string> GetAsync(HttpClient http)
            {
                var delay = 100;
                var failures = 0;
                {{loop}}
                {
                    try
                    {
                        return await http.GetStringAsync("https://example.test");
                    }
                    catch (HttpRequestException)
                    {
                        {{(wait.StartsWith("failures", System.StringComparison.Ordinal) ? wait : "await " + wait)}};
                    }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task HandWrittenLoop_StatusCheckAndThreadSleep_ReportDiagnostic() => Analyze("""
        class C
        {
            async Task<HttpResponseMessage> SendAsync(HttpClient http)
            {
                var wait = TimeSpan.FromMilliseconds(200);
                while (true)
                {
                    var response = await http.GetAsync("https://example.test");
                    if (response.StatusCode != HttpStatusCode.TooManyRequests)
                    {
                        return response;
                    }

                    await {|RA0002:Task.Delay(wait)|};
                    wait *= 2;
                }
            }

            string Get(Func<string> call)
            {
                for (var i = 0; i < 4; i++)
                {
                    try { return call(); }
                    catch (TimeoutException) { {|RA0002:Thread.Sleep(500 << i)|}; }
                }

                throw new TimeoutException();
            }
        }
        """);

    [Theory]
    [InlineData("attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt))", "'TimeSpan.FromSeconds(Math.Pow(2, attempt))'")]
    [InlineData("new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2) }", "from 1 s")]
    [InlineData("Backoff.ExponentialBackoff(TimeSpan.FromMilliseconds(100), 5)", "Backoff.ExponentialBackoff from 100 ms")]
    public Task Message_NamesTheGrowingDelay(string retry, string described) => Verify.VerifyAnalyzerAsync(
        Usings + $$"""
        class C
        {
            void M() => Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|#0:{{retry}}|});
        }
        """.Replace("WaitAndRetryAsync({|#0:attempt", "WaitAndRetryAsync(3, {|#0:attempt", System.StringComparison.Ordinal),
        Verify.Diagnostic("RA0002").WithLocation(0).WithArguments(described));

    [Fact]
    public Task Message_NamesPollyV8BackoffTypeAndDefaultDelay() => Verify.VerifyAnalyzerAsync(
        Usings + """
        class C
        {
            void M() => new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { {|#0:BackoffType = DelayBackoffType.Exponential|} });
        }
        """,
        Verify.Diagnostic("RA0002").WithLocation(0).WithArguments("DelayBackoffType.Exponential from 2 s (Polly's default)"));

    // ---------------------------------------------------------------- One site, one rule

    [Fact]
    public Task EverySiteGetsExactlyOneOfRA0001AndRA0002() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            void V7()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|RA0001:_ => TimeSpan.FromSeconds(1)|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|RA0002:n => TimeSpan.FromSeconds(n)|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0001:new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) }|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0002:new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2) }|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0001:Backoff.ConstantBackoff(TimeSpan.FromSeconds(1), 3)|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0002:Backoff.ExponentialBackoff(TimeSpan.FromSeconds(1), 3)|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(Backoff.DecorrelatedJitterBackoffV2(TimeSpan.FromSeconds(1), 3));
            }

            void V8()
            {
                new ResiliencePipelineBuilder().AddRetry({|RA0001:new RetryStrategyOptions()|});
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { {|RA0001:BackoffType = DelayBackoffType.Constant|} });
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { {|RA0002:BackoffType = DelayBackoffType.Exponential|} });
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Linear, {|RA0002:UseJitter = false|} });
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, UseJitter = true });
            }

            async Task<string> Loops(HttpClient http)
            {
                for (var i = 0; i < 3; i++)
                {
                    try { return await http.GetStringAsync("https://example.test/a"); }
                    catch (HttpRequestException) { await {|RA0001:Task.Delay(1000)|}; }
                }

                for (var i = 0; i < 3; i++)
                {
                    try { return await http.GetStringAsync("https://example.test/b"); }
                    catch (HttpRequestException) { await {|RA0002:Task.Delay(1000 * (i + 1))|}; }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    // ---------------------------------------------------------------- CodeFix (each test also runs Fix All)

    [Fact]
    public Task PollyV7Provider_FixesToJitteredGetDelayFromTheFirstDelay() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using Polly;

        class C
        {
            static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(500);
            static readonly TimeSpan[] Steps = { TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30) };

            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|RA0002:attempt => Steps[attempt - 1]|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|RA0002:attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt))|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|RA0002:n => TimeSpan.FromMilliseconds(100 * (1 << n))|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(8, {|RA0002:n => TimeSpan.FromSeconds(Math.Min(Math.Pow(2, n), 60))|});
                Policy.Handle<HttpRequestException>().WaitAndRetry(4, {|RA0002:(n, context) => BaseDelay * n|});
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
            static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(500);
            static readonly TimeSpan[] Steps = { TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30) };

            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, attempt => JitteredBackoff.GetDelay(attempt - 1, TimeSpan.FromMilliseconds(300)));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, attempt => JitteredBackoff.GetDelay(attempt - 1, TimeSpan.FromSeconds(2)));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, n => JitteredBackoff.GetDelay(n - 1, TimeSpan.FromMilliseconds(200)));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(8, n => JitteredBackoff.GetDelay(n - 1, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60)));
                Policy.Handle<HttpRequestException>().WaitAndRetry(4, (n, context) => JitteredBackoff.GetDelay(n - 1, BaseDelay * 1));
            }
        }
        """);

    [Fact]
    public Task GrowingArraysAndContribBackoff_FixToJitteredDelays() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using Polly;
        using Polly.Contrib.WaitAndRetry;

        class C
        {
            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0002:new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4) }|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0002:new[] { TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2) }|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0002:Backoff.ExponentialBackoff(TimeSpan.FromMilliseconds(100), 5)|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0002:Backoff.LinearBackoff(TimeSpan.FromMilliseconds(250), retryCount: 4, factor: 2)|});
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
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(JitteredBackoff.Delays(TimeSpan.FromSeconds(10), 3, TimeSpan.FromMinutes(2)));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(JitteredBackoff.Delays(TimeSpan.FromMilliseconds(100), 5));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(JitteredBackoff.Delays(TimeSpan.FromMilliseconds(250), 4));
            }
        }
        """);

    [Fact]
    public Task PollyV8Options_FixSetsUseJitterAndKeepsTheBackoffType() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using Polly;
        using Polly.Retry;

        class C
        {
            void M()
            {
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { {|RA0002:BackoffType = DelayBackoffType.Exponential|}, Delay = TimeSpan.FromMilliseconds(500) });
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Linear, {|RA0002:UseJitter = false|} });
                new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(new RetryStrategyOptions<HttpResponseMessage> { {|RA0002:BackoffType = DelayBackoffType.Exponential|}, MaxDelay = TimeSpan.FromSeconds(20) });

                var options = new RetryStrategyOptions();
                {|RA0002:options.BackoffType = DelayBackoffType.Exponential|};
                new ResiliencePipelineBuilder().AddRetry(options);
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
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, Delay = TimeSpan.FromMilliseconds(500), UseJitter = true });
                new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Linear, UseJitter = true });
                new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(new RetryStrategyOptions<HttpResponseMessage> { BackoffType = DelayBackoffType.Exponential, MaxDelay = TimeSpan.FromSeconds(20), UseJitter = true });

                var options = new RetryStrategyOptions { UseJitter = true };
                options.BackoffType = DelayBackoffType.Exponential;
                new ResiliencePipelineBuilder().AddRetry(options);
            }
        }
        """);

    [Theory]
    [InlineData("TimeSpan.FromSeconds(Math.Pow(2, attempt) * 1e308)")]
    [InlineData("TimeSpan.FromDays(2 * (attempt + 1))")]
    public Task AFirstDelayThatIsInfiniteOrOverTheRuntimesLimit_IsReportedWithoutAFix(string wait) => Verify.VerifyNoFixAsync(
        // No delay-only fix (there is no base to keep); the whole-retry pipeline action does not need one, so it is offered.
        $$"""
        using System;
        using System.Net.Http;
        using System.Threading.Tasks;

        class C
        {
            async Task<string> GetAsync(HttpClient http)
            {
                for (var attempt = 0; attempt < 5; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { await {|RA0002:Task.Delay({{wait}})|}; }
                }

                throw new InvalidOperationException();
            }
        }
        """,
        RetryAnalyzers.CodeFixes.RA0002RetryWithoutJitterCodeFix.EquivalenceKey);

    [Fact]
    public Task ForLoopWithCounter_FixesToGetDelayFromTheFirstDelay() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;

        class C
        {
            async Task<string> GetAsync(HttpClient http, CancellationToken ct)
            {
                for (var attempt = 0; attempt < 5; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test/a", ct); }
                    catch (HttpRequestException) { await {|RA0002:Task.Delay(100 * (1 << attempt), ct)|}; }
                }

                for (var attempt = 1; attempt <= 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test/b", ct); }
                    catch (HttpRequestException) { await {|RA0002:Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)))|}; }
                }

                for (var attempt = 0; attempt < 4; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test/c", ct); }
                    catch (HttpRequestException) { {|RA0002:Thread.Sleep(attempt * 250)|}; }
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
            async Task<string> GetAsync(HttpClient http, CancellationToken ct)
            {
                for (var attempt = 0; attempt < 5; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test/a", ct); }
                    catch (HttpRequestException) { await Task.Delay(JitteredBackoff.GetDelay(attempt, TimeSpan.FromMilliseconds(100)), ct); }
                }

                for (var attempt = 1; attempt <= 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test/b", ct); }
                    catch (HttpRequestException) { await Task.Delay(JitteredBackoff.GetDelay(attempt - 1, TimeSpan.FromSeconds(2))); }
                }

                for (var attempt = 0; attempt < 4; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test/c", ct); }
                    catch (HttpRequestException) { Thread.Sleep(JitteredBackoff.GetDelay(attempt, TimeSpan.FromMilliseconds(250))); }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task WhileLoopWithDoublingLocal_FixesToRetryBackoffAndRemovesTheLocal() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net;
        using System.Net.Http;
        using System.Threading.Tasks;

        class C
        {
            async Task<HttpResponseMessage> SendAsync(HttpClient http)
            {
                var wait = TimeSpan.FromMilliseconds(200);
                while (true)
                {
                    var response = await http.GetAsync("https://example.test");
                    if (response.StatusCode != HttpStatusCode.TooManyRequests)
                    {
                        return response;
                    }

                    await {|RA0002:Task.Delay(wait)|};
                    wait *= 2;
                }
            }

            async Task<string> GetAsync(HttpClient http)
            {
                var delay = 100;
                do
                {
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { Console.WriteLine($"waiting {delay} ms"); }

                    await {|RA0002:Task.Delay(delay)|};
                    delay = Math.Min(delay * 2, 5_000);
                }
                while (true);
            }
        }
        """,
        """
        using System;
        using System.Net;
        using System.Net.Http;
        using System.Threading.Tasks;
        using RetryAnalyzers.Runtime;

        class C
        {
            async Task<HttpResponseMessage> SendAsync(HttpClient http)
            {
                var retryBackoff = new RetryBackoff(TimeSpan.FromMilliseconds(200));
                while (true)
                {
                    var response = await http.GetAsync("https://example.test");
                    if (response.StatusCode != HttpStatusCode.TooManyRequests)
                    {
                        return response;
                    }

                    await Task.Delay(retryBackoff.NextDelay());
                }
            }

            async Task<string> GetAsync(HttpClient http)
            {
                var delay = 100;
                var retryBackoff = new RetryBackoff(TimeSpan.FromMilliseconds(100));
                do
                {
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { Console.WriteLine($"waiting {delay} ms"); }

                    await Task.Delay(retryBackoff.NextDelay());
                    delay = Math.Min(delay * 2, 5_000);
                }
                while (true);
            }
        }
        """);

    [Fact]
    public async Task WithoutTheRuntimeLibrary_OnlyThePollyV8FixIsOffered()
    {
        var test = new Verify.Test
        {
            TestCode = """
            using System;
            using System.Net.Http;
            using Polly;
            using Polly.Retry;

            class C
            {
                void M()
                {
                    Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|RA0002:n => TimeSpan.FromSeconds(n)|});
                    new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { {|RA0002:BackoffType = DelayBackoffType.Linear|} });
                }
            }
            """,
        FixedCode = """
            using System;
            using System.Net.Http;
            using Polly;
            using Polly.Retry;

            class C
            {
                void M()
                {
                    Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|RA0002:n => TimeSpan.FromSeconds(n)|});
                    new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Linear, UseJitter = true });
                }
            }
            """,
        };
        test.TestState.AdditionalReferences.Clear();
        test.FixedState.AdditionalReferences.Clear();
        test.FixedState.MarkupHandling = MarkupMode.Allow; // the v7 site keeps its diagnostic: it has no fix here
        await test.RunAsync();
    }

    // ---------------------------------------------------------------- Waits in helpers that retry loops call (issue 17)

    [Fact]
    public Task WaitHelperGrowingWithTheAttempt_ReportedOnceAtTheHelper() => Analyze("""
        class C
        {
            static Task BackoffAsync(int attempt, CancellationToken cancellationToken = default)
                => {|RA0002:Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)), cancellationToken)|};

            static void Backoff(int attempt) => {|RA0002:Thread.Sleep(100 * (1 << attempt))|};

            async Task<string> Counter(HttpClient http)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test/a"); }
                    catch (HttpRequestException) { await BackoffAsync(attempt); }
                }

                throw new InvalidOperationException();
            }

            async Task<string> Incremented(HttpClient http)
            {
                var tries = 0;
                while (true)
                {
                    try { return await http.GetStringAsync("https://example.test/b"); }
                    catch (HttpRequestException) when (tries < 5)
                    {
                        tries++;
                        await BackoffAsync(tries);
                    }
                }
            }

            string Sync(HttpClient http)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    var response = http.Send(new HttpRequestMessage(HttpMethod.Get, "https://example.test/c"));
                    if (response.IsSuccessStatusCode) { return "ok"; }

                    Backoff(attempt);
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task WaitHelpersThatAreJitteredConstantOrGivenNoAttempt_NoDiagnostic() => Analyze("""
        class C
        {
            static Task JitteredAsync(int attempt) => Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)) + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 250)));
            static Task ConstantAsync(int attempt) => Task.Delay(1000); // RA0001's
            static Task GivenAConstantAsync(int seconds) => Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, seconds)));
            static Task ShrinkingAsync(int attempt) => Task.Delay(TimeSpan.FromSeconds(10 - attempt));
            static Task NotARetryAsync(int attempt) => Task.Delay(TimeSpan.FromSeconds(attempt));

            async Task<string> Get(HttpClient http)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    await NotARetryAsync(attempt); // before the call
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException)
                    {
                        await JitteredAsync(attempt);
                        await ConstantAsync(attempt);
                        await GivenAConstantAsync(3);
                        await ShrinkingAsync(attempt);
                    }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    [Fact]
    public Task WaitHelperGrowing_IsReportedButNotFixed() => Verify.VerifyNoFixAsync(Usings + """
        class C
        {
            static Task BackoffAsync(int attempt) => {|RA0002:Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)))|};

            async Task<string> Get(HttpClient http)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    try { return await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { await BackoffAsync(attempt); }
                }

                throw new InvalidOperationException();
            }
        }
        """);

    // ---------------------------------------------------------------- Polly v7 providers held in a local, a field, a parameter (issue 17)

    [Fact]
    public Task HeldGrowingProviders_ReportDiagnosticAtTheLambda() => Analyze("""
        class C
        {
            private static readonly Func<int, TimeSpan> Exponential = {|RA0002:n => TimeSpan.FromSeconds(Math.Pow(2, n))|};

            void M(Func<int, TimeSpan>? provider = null)
            {
                Func<int, TimeSpan> linear = {|RA0002:n => TimeSpan.FromMilliseconds(250 * n)|};
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, linear);
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, Exponential);
                provider ??= {|RA0002:attempt => TimeSpan.FromSeconds(attempt)|};
                Policy.Handle<HttpRequestException>().WaitAndRetry(3, provider);
            }
        }
        """);

    [Fact]
    public Task HeldProvidersThatAreJitteredConstantOrReassigned_NoDiagnostic() => Analyze("""
        class C
        {
            private static Func<int, TimeSpan> _configurable = n => TimeSpan.FromSeconds(Math.Pow(2, n));

            public static void Configure(Func<int, TimeSpan> provider) => _configurable = provider;

            void M(bool slow)
            {
                Func<int, TimeSpan> jittered = n => TimeSpan.FromSeconds(Math.Pow(2, n)) + TimeSpan.FromMilliseconds(Random.Shared.Next(100));
                Func<int, TimeSpan> constant = _ => TimeSpan.FromSeconds(1); // RA0001's
                Func<int, TimeSpan> reassigned = n => TimeSpan.FromSeconds(n);
                if (slow)
                {
                    reassigned = n => TimeSpan.FromSeconds(Random.Shared.Next(1, 5));
                }

                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, jittered);
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, constant);
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, reassigned);
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, _configurable);
            }
        }
        """);

    [Fact]
    public Task HeldGrowingProvider_FixesToJitteredGetDelay() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using Polly;

        class C
        {
            private static readonly Func<int, TimeSpan> Exponential = {|RA0002:n => TimeSpan.FromSeconds(Math.Pow(2, n))|};

            void M()
            {
                Func<int, TimeSpan> linear = {|RA0002:n => TimeSpan.FromMilliseconds(250 * n)|};
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, linear);
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, Exponential);
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
            private static readonly Func<int, TimeSpan> Exponential = n => JitteredBackoff.GetDelay(n - 1, TimeSpan.FromSeconds(2));

            void M()
            {
                Func<int, TimeSpan> linear = n => JitteredBackoff.GetDelay(n - 1, TimeSpan.FromMilliseconds(250));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, linear);
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, Exponential);
            }
        }
        """);

    // ---------------------------------------------------------------- One evaluator (issue 17)

    [Fact]
    public Task GrowingDelaysWrittenWithTimeSpanArithmetic_AreValuedLikeTheFixValuesThem() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using Polly;

        class C
        {
            static readonly TimeSpan Unit = TimeSpan.FromSeconds(1);

            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync({|RA0002:new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) * 2, TimeSpan.FromSeconds(1) * 4 }|});
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(new[] { TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(1) * 2 }); // shrinks
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(new[] { Unit, Unit * 2 }); // a field's value: not known
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
            static readonly TimeSpan Unit = TimeSpan.FromSeconds(1);

            void M()
            {
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(JitteredBackoff.Delays(TimeSpan.FromSeconds(1), 3));
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(new[] { TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(1) * 2 }); // shrinks
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(new[] { Unit, Unit * 2 }); // a field's value: not known
            }
        }
        """);

    [Fact]
    public Task AnIntegerCastInTheDelay_TruncatesInTheFixsFirstDelay() => Verify.VerifyCodeFixAsync(
        """
        using System;
        using System.Net.Http;
        using Polly;

        class C
        {
            void M() => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, {|RA0002:n => TimeSpan.FromMilliseconds((int)Math.Pow(1.5, n) * 100)|});
        }
        """,
        """
        using System;
        using System.Net.Http;
        using Polly;
        using RetryAnalyzers.Runtime;

        class C
        {
            void M() => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, n => JitteredBackoff.GetDelay(n - 1, TimeSpan.FromMilliseconds(100)));
        }
        """);

    // ---------------------------------------------------------------- A wait guarded by a flag that only a failure sets (issue 17)

    [Fact]
    public Task GrowingWaitGuardedByAFlagSetInACatch_ReportsDiagnostic() => Analyze("""
        class C
        {
            async Task<string?> Get(HttpClient http)
            {
                string? message = null;
                bool retry = false;
                int count = 0;
                do
                {
                    try { message = await http.GetStringAsync("https://example.test"); }
                    catch (HttpRequestException) { retry = count < 3; }

                    if (retry)
                    {
                        await {|RA0002:Task.Delay(100 * (1 << count))|};
                    }

                    count++;
                }
                while (retry);

                return message;
            }
        }
        """);
}
