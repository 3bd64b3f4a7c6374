using System;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using RetryAnalyzers.Rules;
using RetryAnalyzers.CodeFixes;
using RetryAnalyzers.Tests.Verifiers;
using Verify = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RA0003SharedApiKeyAnalyzer, RetryAnalyzers.CodeFixes.RA0003SharedApiKeyCodeFix>;

namespace RetryAnalyzers.Tests.Rules;

/// <summary>RA0003's per-item case: reported from the operation, as you type.</summary>
public sealed class RA0003ClientPerItemTests
{
    private const string Usings = """
        using System;
        using System.ClientModel;
        using System.Collections.Generic;
        using System.Linq;
        using System.Net.Http;
        using System.Threading.Tasks;
        using OpenAI;
        using OpenAI.Chat;

        """;

    private static Task Analyze(string source) => new Verify.Test { TestState = { Sources = { ("/0/Orchestrator.cs", Usings + source) } } }.RunAsync(CancellationToken.None);

    // ---------------------------------------------------------------- Valid (no diagnostic)

    [Fact]
    public Task KeysThatComeFromTheItem_NoDiagnostic() => Analyze("""
        record AgentSpec(string Name, string ApiKey);

        class Orchestrator
        {
            List<ChatClient> FromALookup(Dictionary<string, string> keys, IEnumerable<string> agents)
            {
                var clients = new List<ChatClient>();
                foreach (var agent in agents)
                {
                    clients.Add(new ChatClient("gpt-4o-mini", keys[agent]));
                }

                return clients;
            }

            List<ChatClient> FromTheItemsMember(IEnumerable<AgentSpec> specs) => specs.Select(s => new ChatClient("gpt-4o-mini", s.ApiKey)).ToList();

            List<ChatClient> FromALocalComputedFromTheItem(IReadOnlyList<AgentSpec> specs)
            {
                var clients = new List<ChatClient>();
                for (var i = 0; i < specs.Count; i++)
                {
                    var key = specs[i].ApiKey;
                    clients.Add(new ChatClient("gpt-4o-mini", new ApiKeyCredential(key)));
                }

                return clients;
            }

            List<ChatClient> FromTheAgentsOwnVariable(IEnumerable<string> agents)
                => agents.Select(a => new ChatClient("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY_" + a.ToUpperInvariant())!)).ToList();
        }
        """);

    [Fact]
    public Task KeysFromACallThatMayHandOutOnePerItem_NoDiagnostic() => Analyze("""
        interface IKeyPool { string Next(); }

        class Orchestrator
        {
            List<ChatClient> Rotate(IKeyPool pool, int count)
                => Enumerable.Range(0, count).Select(_ => new ChatClient("gpt-4o-mini", pool.Next())).ToList();
        }
        """);

    [Fact]
    public Task ALocalReassignedFromTheItemInsideTheLoop_NoDiagnostic() => Analyze("""
        record AgentSpec(string Name, string ApiKey);

        class Orchestrator
        {
            List<ChatClient> Run(string apiKey, IEnumerable<AgentSpec> specs)
            {
                var key = apiKey;
                var clients = new List<ChatClient>();
                foreach (var spec in specs)
                {
                    key = spec.ApiKey;
                    clients.Add(new ChatClient("gpt-4o-mini", key));
                }

                return clients;
            }

            List<ChatClient> ThroughAnOutArgument(string? fallback, Dictionary<string, string> keys, IEnumerable<string> agents)
            {
                var key = fallback;
                var clients = new List<ChatClient>();
                foreach (var agent in agents)
                {
                    keys.TryGetValue(agent, out key);
                    clients.Add(new ChatClient("gpt-4o-mini", key!));
                }

                return clients;
            }
        }
        """);

    [Fact]
    public Task AClientCreatedOnceOutsideTheLoop_NoDiagnostic() => Analyze("""
        class Orchestrator
        {
            List<string> Run(string apiKey, IEnumerable<string> roles)
            {
                var chat = new ChatClient("gpt-4o-mini", apiKey);
                var answers = new List<string>();
                foreach (var role in roles)
                {
                    answers.Add(chat.CompleteChat(role).Value.Content[0].Text);
                }

                return answers;
            }
        }
        """);

    // A client per attempt of a retry or polling loop runs one at a time; a request per item on one client is one client.
    [Fact]
    public Task RetryLoopsAndRequestsPerItem_NoDiagnostic() => Analyze("""
        class Orchestrator
        {
            readonly HttpClient _http = new();

            async Task<string> Retry(string apiKey)
            {
                var attempt = 0;
                while (true)
                {
                    try
                    {
                        var chat = new ChatClient("gpt-4o-mini", apiKey);
                        return (await chat.CompleteChatAsync("hi")).Value.Content[0].Text;
                    }
                    catch (ClientResultException) when (++attempt < 3)
                    {
                    }
                }
            }

            async Task Send(string apiKey, IEnumerable<string> prompts)
            {
                foreach (var prompt in prompts)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.openai.com/v1/chat/completions");
                    request.Headers.Add("Authorization", "Bearer " + apiKey);
                    await _http.SendAsync(request);
                }
            }
        }
        """);

    [Theory]
    [InlineData("\"ollama\"", "https://api.openai.com/v1")]
    [InlineData("\"api-key\"", "https://api.openai.com/v1")]
    [InlineData("apiKey", "http://localhost:11434/v1")]
    public Task PlaceholderKeysAndLocalModelServers_NoDiagnostic(string key, string endpoint) => Analyze($$"""
        class Orchestrator
        {
            List<OpenAIClient> Run(string apiKey, int count)
                => Enumerable.Range(0, count).Select(_ => new OpenAIClient(new ApiKeyCredential({{key}}), new OpenAIClientOptions { Endpoint = new Uri("{{endpoint}}") })).ToList();
        }
        """);

    [Fact]
    public Task ClientsOnTheSharedBudgetAndInTestClasses_NoDiagnostic() => Analyze("""
        class Orchestrator
        {
            List<ChatClient> Run(string apiKey, int count)
                => Enumerable.Range(0, count).Select(_ => new ChatClient("gpt-4o-mini", new ApiKeyCredential(apiKey),
                    new OpenAIClientOptions { Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(RetryAnalyzers.Runtime.SharedProviderBudget.HttpClient) })).ToList();
        }

        class SwarmTests
        {
            List<ChatClient> Clients(string apiKey) => Enumerable.Range(0, 7).Select(_ => new ChatClient("gpt-4o-mini", apiKey)).ToList();
        }
        """);

    // ---------------------------------------------------------------- Diagnostics

    [Fact]
    public Task AClientPerItemOfALoopOrProjectionOnOneKey_ReportsDiagnostic() => Analyze("""
        class Orchestrator
        {
            static readonly string Key = Environment.GetEnvironmentVariable("OPENAI_API_KEY")!;

            List<ChatClient> PerLoop(IEnumerable<string> roles)
            {
                var clients = new List<ChatClient>();
                foreach (var role in roles)
                {
                    clients.Add({|RA0003:new ChatClient("gpt-4o-mini", Key)|});
                }

                return clients;
            }

            List<ChatClient> PerProjection(IEnumerable<string> roles) => roles.Select(r => {|RA0003:new ChatClient("gpt-4o-mini", Key)|}).ToList();
        }
        """);

    // The swarm the old contract missed: the caller's one key arrives as a parameter.
    [Fact]
    public Task ASwarmOnAParameterKey_ReportsDiagnostic() => Analyze("""
        class Worker
        {
            public Worker(ChatClient chat) { }
        }

        class Orchestrator
        {
            List<Worker> Start(string apiKey)
                => Enumerable.Range(0, 7).Select(_ => new Worker({|RA0003:new OpenAIClient(apiKey)|}.GetChatClient("gpt-4o-mini"))).ToList();
        }
        """);

    [Fact]
    public async Task TheMessageNamesTheParameter_NeverTheKey()
    {
        var test = new Verify.Test { TestState = { Sources = { ("/0/Orchestrator.cs", Usings + """
            class Orchestrator
            {
                List<OpenAIClient> Start(string apiKey) => Enumerable.Range(0, 7).Select(_ => {|#0:new OpenAIClient(apiKey)|}).ToList();
            }
            """) } } };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("RA0003").WithLocation(0).WithArguments("Clients created for every item of a loop in Orchestrator", "the key in 'apiKey'"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task LocalsOptionsAndParallelLoops_ReportDiagnostic() => Analyze("""
        class Settings { public string ApiKey { get; set; } = ""; }

        class Orchestrator
        {
            void FromALocal(int count)
            {
                var key = Environment.GetEnvironmentVariable("OPENAI_API_KEY")!;
                for (var i = 0; i < count; i++)
                {
                    _ = {|RA0003:new ChatClient("gpt-4o-mini", new ApiKeyCredential(key))|};
                }
            }

            void FromOptions(Settings settings, IEnumerable<string> roles)
                => Parallel.ForEach(roles, role => _ = {|RA0003:new ChatClient("gpt-4o-mini", settings.ApiKey)|});

            void PerListItem(string apiKey, List<string> roles) => roles.ForEach(role => _ = {|RA0003:new OpenAIClient(apiKey)|});

            async Task InTasksStartedPerItem(string apiKey, IEnumerable<string> roles)
            {
                var tasks = new List<Task>();
                foreach (var role in roles)
                {
                    tasks.Add(Task.Run(() => {|RA0003:new ChatClient("gpt-4o-mini", apiKey)|}.CompleteChatAsync(role)));
                }

                await Task.WhenAll(tasks);
            }
        }
        """);

    // What an editor runs on an open document: the operations of one tree, without the compilation's end. The per-item
    // case shows there (a squiggle as the code is typed); the across-types case only in builds and full-solution analysis.
    [Fact]
    public async Task PerItemIsReportedInDocumentAnalysis_AcrossTypesOnlyAtTheCompilationsEnd()
    {
        await TestReferences.EnsureResolvedAsync();
        var references = await TestReferences.Net80WithPolly.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        var tree = CSharpSyntaxTree.ParseText(Usings + """
            class Orchestrator
            {
                List<OpenAIClient> Start(string apiKey) => Enumerable.Range(0, 7).Select(_ => new OpenAIClient(apiKey)).ToList();
            }

            class ResearchAgent { readonly ChatClient _chat = new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!); }
            class WriterAgent { readonly ChatClient _chat = new("gpt-4o", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!); }
            """, path: "/0/Orchestrator.cs");
        var compilation = CSharpCompilation.Create("Live", new[] { tree }, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var analyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new RA0003SharedApiKeyAnalyzer()));

        var document = await analyzers.GetAnalyzerSemanticDiagnosticsAsync(compilation.GetSemanticModel(tree), filterSpan: null, CancellationToken.None);
        var all = await analyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None);

        var live = Assert.Single(document);
        Assert.Contains("Clients created for every item of a loop in Orchestrator", live.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.DoesNotContain(WellKnownDiagnosticTags.CompilationEnd, live.Descriptor.CustomTags);
        Assert.Equal(3, all.Length);
        Assert.Equal(2, all.Count(d => d.Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.CompilationEnd)));
    }

    // ---------------------------------------------------------------- CodeFix

    [Fact]
    public Task SharedBudgetFix_RoutesEveryPerItemClient_FixAll()
    {
        const string Before = """
            using System.Collections.Generic;
            using System.Linq;
            using OpenAI;
            using OpenAI.Chat;

            class Orchestrator
            {
                List<ChatClient> Chats(string apiKey, int count) => Enumerable.Range(0, count).Select(_ => {|RA0003:new ChatClient("gpt-4o-mini", apiKey)|}).ToList();
                List<OpenAIClient> Clients(string apiKey, IEnumerable<string> roles) => roles.Select(r => {|RA0003:new OpenAIClient(apiKey)|}).ToList();
            }
            """;
        const string AfterAll = """
            using System.ClientModel;
            using System.Collections.Generic;
            using System.Linq;
            using OpenAI;
            using OpenAI.Chat;
            using RetryAnalyzers.Runtime;

            class Orchestrator
            {
                List<ChatClient> Chats(string apiKey, int count) => Enumerable.Range(0, count).Select(_ => new ChatClient("gpt-4o-mini", new ApiKeyCredential(apiKey), new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy))).ToList();
                List<OpenAIClient> Clients(string apiKey, IEnumerable<string> roles) => roles.Select(r => new OpenAIClient(new ApiKeyCredential(apiKey), new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy))).ToList();
            }
            """;
        var test = new Verify.Test
        {
            CodeActionEquivalenceKey = RA0003SharedApiKeyCodeFix.SharedBudgetEquivalenceKey,
            TestState = { Sources = { ("/0/Orchestrator.cs", Before) } },
            FixedState = { Sources = { ("/0/Orchestrator.cs", AfterAll) } },
            NumberOfIncrementalIterations = 2,
            NumberOfFixAllIterations = 1,
        };
        return test.RunAsync(CancellationToken.None);
    }
}
