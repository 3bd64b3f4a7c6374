using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using RetryAnalyzers.CodeFixes;
using RetryAnalyzers.Rules;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Tests.Rules;

/// <summary>
/// What the pipeline action does when it runs: each shape's original code and the code the real fix makes of it are
/// compiled (against the real runtime, Polly and OpenAI assemblies) and run against the same scripted loopback server.
/// They must return the same result or throw the same exception type, and the rewritten code may send no more requests.
/// </summary>
public sealed class RA0001ProviderPipelineBehaviourTests
{
    private const string Usings = """
        using System;
        using System.ClientModel;
        using System.ClientModel.Primitives;
        using System.Net;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenAI;
        using OpenAI.Chat;
        using Polly;

        """;

    // 429 (Retry-After: 0), then 503, then 200: a throttle, a failure, an answer.
    private static readonly HttpStatusCode[] ThrottledThenAnswered = { HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK };

    // 400: the catch filter's loop does not retry it, nor does the pipeline.
    private static readonly HttpStatusCode[] NotRetried = { HttpStatusCode.BadRequest };

    public static TheoryData<string, string> Shapes() => new()
    {
        { "counter for", """
            public async Task<string> RunAsync(string url)
            {
                for (var attempt = 0; attempt < 4; attempt++)
                {
                    try
                    {
                        return await _http.GetStringAsync(url);
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(50);
                    }
                }

                throw new InvalidOperationException("gave up");
            }
            """ },
        { "while with counter", """
            public async Task<string> RunAsync(string url)
            {
                var attempt = 0;
                while (attempt < 4)
                {
                    try
                    {
                        return await _http.GetStringAsync(url);
                    }
                    catch (HttpRequestException)
                    {
                        attempt++;
                        await Task.Delay(50);
                    }
                }

                return "fallback";
            }
            """ },
        { "success flag", """
            public async Task<string> RunAsync(string url)
            {
                var text = "none";
                var done = false;
                for (var i = 0; i < 4 && !done; i++)
                {
                    try
                    {
                        text = await _http.GetStringAsync(url);
                        done = true;
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(50);
                    }
                }

                return text + (done ? "" : " (failed)");
            }
            """ },
        { "catch filter", """
            public async Task<string> RunAsync(string url)
            {
                for (var attempt = 0; attempt < 4; attempt++)
                {
                    try
                    {
                        return await _http.GetStringAsync(url);
                    }
                    catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.TooManyRequests || (int?)e.StatusCode >= 500)
                    {
                        await Task.Delay(50);
                    }
                }

                throw new TimeoutException();
            }
            """ },
        { "sync Thread.Sleep", """
            public Task<string> RunAsync(string url) => Task.Run(() => Ask(url).Content[0].Text);

            private ChatCompletion Ask(string url)
            {
                var client = new ChatClient("gpt-4o", new ApiKeyCredential("key"), new OpenAIClientOptions { Endpoint = new Uri(url), RetryPolicy = new ClientRetryPolicy(0) });
                for (var attempt = 0; attempt < 4; attempt++)
                {
                    try
                    {
                        return client.CompleteChat("hi");
                    }
                    catch (ClientResultException)
                    {
                        Thread.Sleep(50);
                    }
                }

                throw new InvalidOperationException("gave up");
            }
            """ },
        { "status check, failure branch", """
            public async Task<string> RunAsync(string url)
            {
                for (var attempt = 0; attempt < 4; attempt++)
                {
                    var response = await _http.GetAsync(url);
                    if (response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
                    {
                        await Task.Delay(50);
                        continue;
                    }

                    return (int)response.StatusCode + " " + await response.Content.ReadAsStringAsync();
                }

                throw new TimeoutException();
            }
            """ },
        { "status check, success branch", """
            public async Task<string> RunAsync(string url)
            {
                var attempt = 0;
                while (attempt < 4)
                {
                    using var response = await _http.GetAsync(url);
                    if (response.IsSuccessStatusCode)
                    {
                        return await response.Content.ReadAsStringAsync();
                    }

                    attempt++;
                    await Task.Delay(50);
                }

                return "gave up";
            }
            """ },
        { "Polly v8 ExecuteAsync", """
            public async Task<string> RunAsync(string url)
            {
                var pipeline = new ResiliencePipelineBuilder()
                    .AddRetry(new Polly.Retry.RetryStrategyOptions { ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>(), MaxRetryAttempts = 3, Delay = TimeSpan.FromMilliseconds(50) })
                    .Build();
                return await pipeline.ExecuteAsync(async ct => await _http.GetStringAsync(url, ct));
            }
            """ },
        { "Polly v7 ExecuteAsync", """
            public async Task<string> RunAsync(string url)
            {
                var policy = Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, _ => TimeSpan.FromMilliseconds(50));
                return await policy.ExecuteAsync(() => _http.GetStringAsync(url));
            }
            """ },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task ThrottledThenAnswered_SameResult_NoMoreRequests(string shape, string method)
    {
        var (original, fixedCode) = await BothAsync(method);
        var before = await RunAsync(original, ThrottledThenAnswered);
        var after = await RunAsync(fixedCode, ThrottledThenAnswered);

        Assert.True(before.Outcome == after.Outcome, $"{shape}: the original gave {before.Outcome}, the rewrite {after.Outcome}");
        Assert.True(after.Requests <= before.Requests, $"{shape}: the rewrite sent {after.Requests} requests, the original {before.Requests}");
    }

    [Fact]
    public async Task FailureTheFilterDoesNotRetry_ReachesTheCallerAtOnce_Unchanged()
    {
        var (original, fixedCode) = await BothAsync(Shapes().Single(s => (string)s[0] == "catch filter")[1].ToString()!);
        var before = await RunAsync(original, NotRetried);
        var after = await RunAsync(fixedCode, NotRetried);

        Assert.Equal("threw System.Net.Http.HttpRequestException", before.Outcome);
        Assert.Equal(before.Outcome, after.Outcome);
        Assert.Equal(1, before.Requests);
        Assert.Equal(1, after.Requests);
    }

    [Fact]
    public async Task StatusTheCheckDoesNotRetry_IsTheAnswerAtOnce_AsInTheLoop()
    {
        var (original, fixedCode) = await BothAsync(Shapes().Single(s => (string)s[0] == "status check, failure branch")[1].ToString()!.Replace(" || (int)response.StatusCode >= 500", string.Empty));
        var before = await RunAsync(original, ThrottledThenAnswered);
        var after = await RunAsync(fixedCode, ThrottledThenAnswered);

        Assert.Equal("returned 503 ", before.Outcome); // the 429 retried, the 503 answered
        Assert.Equal(before.Outcome, after.Outcome);
        Assert.Equal(2, before.Requests);
        Assert.Equal(2, after.Requests);
    }

    [Theory]
    [InlineData("status check, failure branch", "threw System.TimeoutException")]
    [InlineData("status check, success branch", "returned gave up")]
    public async Task ProviderKeepsFailing_WhatTheLoopDidAfterItsLastAttempt_IsKept(string shape, string outcome)
    {
        // A provider that keeps failing opens the breaker, and the pipeline holds the call for its recovery for up to
        // MaxWaitForRecovery (10 min by default, documented) before it hands back the last response: here a user's 3 s.
        var (original, fixedCode) = await BothAsync(Shapes().Single(s => (string)s[0] == shape)[1].ToString()!);
        var allowance = fixedCode.Replace("MaxRetryAttempts = 3 }", "MaxRetryAttempts = 3, MaxWaitForRecovery = TimeSpan.FromSeconds(3) }");
        Assert.NotEqual(fixedCode, allowance);
        var before = await RunAsync(original, [HttpStatusCode.ServiceUnavailable]);
        var after = await RunAsync(allowance, [HttpStatusCode.ServiceUnavailable]);

        Assert.Equal(outcome, before.Outcome);
        Assert.Equal(outcome, after.Outcome);
        Assert.Equal(4, before.Requests);
        Assert.True(after.Requests <= before.Requests, $"the rewrite sent {after.Requests} requests, the original {before.Requests}");
    }

    [Fact]
    public async Task RA0006UnboundedLoop_ThrottledThenAnswered_SameResult_NoMoreRequests()
    {
        var (original, fixedCode) = await BothAsync("""
            public async Task<string> RunAsync(string url)
            {
                while (true)
                {
                    try
                    {
                        return await _http.GetStringAsync(url);
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(50);
                    }
                }
            }
            """, RuleIds.UnboundedRetry);
        var before = await RunAsync(original, ThrottledThenAnswered);
        var after = await RunAsync(fixedCode, ThrottledThenAnswered);

        Assert.Equal("returned ok", before.Outcome);
        Assert.Equal(before.Outcome, after.Outcome);
        Assert.Equal(3, before.Requests);
        Assert.True(after.Requests <= before.Requests, $"the rewrite sent {after.Requests} requests, the original {before.Requests}");
    }

    [Fact]
    public async Task Placeholder_TheBuildPointsAtIt()
    {
        var (_, fixedCode) = await BothAsync(Shapes().First()[1].ToString()!);
        var warnings = Compile(fixedCode).GetDiagnostics().Where(d => d.Id == "CS1030").ToList();

        Assert.Single(warnings);
        Assert.Contains("TokensPerMinute", warnings[0].GetMessage(), StringComparison.Ordinal);
    }

    private static string Snippet(string method) => Usings + $$"""
        public sealed class Snippet
        {
            private readonly HttpClient _http = new();

        {{method}}
        }
        """;

    private static async Task<(string Original, string Fixed)> BothAsync(string method, string ruleId = RuleIds.FixedDelayRetry)
    {
        var original = Snippet(method);
        var fixedCode = ruleId == RuleIds.UnboundedRetry
            ? await ApplyPipelineFixAsync(original, new RA0006UnboundedRetryAnalyzer(), new RA0006UnboundedRetryCodeFix(), ruleId)
            : await ApplyPipelineFixAsync(original, new RetryDelayAnalyzer(), new RA0001FixedDelayRetryCodeFix(), ruleId);
        Assert.NotEqual(original, fixedCode);
        Assert.Contains("ProviderPipeline.Create", fixedCode, StringComparison.Ordinal);
        return (original, fixedCode);
    }

    /// <summary>Runs the analyzer on <paramref name="source"/>, applies the pipeline action the fix offers for its one <paramref name="ruleId"/> diagnostic, returns the new text.</summary>
    private static async Task<string> ApplyPipelineFixAsync(string source, DiagnosticAnalyzer analyzer, CodeFixProvider fix, string ruleId)
    {
        using var workspace = new AdhocWorkspace();
        var document = workspace.AddProject("Snippet", LanguageNames.CSharp)
            .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary))
            .WithMetadataReferences(References.Value)
            .AddDocument("Snippet.cs", source);
        var compilation = await document.Project.GetCompilationAsync();
        var diagnostics = await compilation!.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync();
        var diagnostic = Assert.Single(diagnostics, d => d.Id == ruleId);

        var actions = new List<CodeAction>();
        await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        var pipeline = Assert.Single(actions, a => a.EquivalenceKey == ruleId + ".RunThroughProviderPipeline");
        var operations = await pipeline.GetOperationsAsync(CancellationToken.None);
        var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution.GetDocument(document.Id)!;
        return (await changed.GetTextAsync()).ToString();
    }

    private static async Task<(string Outcome, int Requests)> RunAsync(string source, HttpStatusCode[] statuses)
    {
        using var emitted = new MemoryStream();
        var result = Compile(source).Emit(emitted);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)) + "\n" + source);

        var snippet = Assembly.Load(emitted.ToArray()).GetType("Snippet")!;
        using var server = new LoopbackServer((context, index) => Respond(context, statuses[Math.Min(index, statuses.Length - 1)]));
        var run = (Task<string>)snippet.GetMethod("RunAsync")!.Invoke(Activator.CreateInstance(snippet), new object[] { server.Url })!;
        string outcome;
        try
        {
            outcome = "returned " + await run.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception e) when (run.IsCompleted) // not WaitAsync's own timeout: that fails the test
        {
            outcome = "threw " + e.GetType().FullName;
        }

        return (outcome, server.Requests);
    }

    // A chat completion for the OpenAI client, plain text for HttpClient: both read "ok".
    private static async Task Respond(HttpListenerContext context, HttpStatusCode status)
    {
        context.Response.StatusCode = (int)status;
        if (status == HttpStatusCode.TooManyRequests)
        {
            context.Response.AddHeader("Retry-After", "0");
        }

        if (status == HttpStatusCode.OK)
        {
            var chat = context.Request.Url!.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal);
            var body = chat
                ? """{"id":"c","object":"chat.completion","created":0,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"""
                : "ok";
            context.Response.ContentType = chat ? "application/json" : "text/plain";
            var bytes = Encoding.UTF8.GetBytes(body);
            await context.Response.OutputStream.WriteAsync(bytes);
        }
    }

    private static CSharpCompilation Compile(string source)
        => CSharpCompilation.Create(
            "Snippet" + Guid.NewGuid().ToString("N"),
            [CSharpSyntaxTree.ParseText(source)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    // The running test's own framework, and the real runtime, Polly and OpenAI assemblies the snippets use.
    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(new[]
            {
                typeof(RetryAnalyzers.Runtime.ProviderPipeline).Assembly.Location,
                typeof(Polly.Policy).Assembly.Location,
                typeof(Polly.ResiliencePipeline).Assembly.Location,
                typeof(OpenAI.OpenAIClientOptions).Assembly.Location,
                typeof(System.ClientModel.ApiKeyCredential).Assembly.Location,
            })
            .Distinct(StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());
}
