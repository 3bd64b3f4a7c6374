using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using RetryAnalyzers.CodeFixes;
using RetryAnalyzers.Tests.Verifiers;
using Verify = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RA0003SharedApiKeyAnalyzer, RetryAnalyzers.CodeFixes.RA0003SharedApiKeyCodeFix>;

namespace RetryAnalyzers.Tests.Rules;

public sealed class RA0003SharedApiKeyTests
{
    private const string Usings = """
        using System;
        using System.ClientModel;
        using System.Collections.Generic;
        using System.Linq;
        using System.Net.Http;
        using System.Net.Http.Headers;
        using OpenAI;
        using OpenAI.Chat;
        using OpenAI.Embeddings;

        """;

    private static Task Analyze(params string[] files)
    {
        var test = new Verify.Test();
        for (var i = 0; i < files.Length; i++)
        {
            test.TestState.Sources.Add(($"/0/Agent{i}.cs", Usings + files[i]));
        }

        return test.RunAsync(CancellationToken.None);
    }

    // ---------------------------------------------------------------- Valid (no diagnostic)

    [Fact]
    public Task OneAgentTypeWithSeveralClientsOnItsKey_NoDiagnostic() => Analyze("""
        class ResearchAgent
        {
            static readonly string Key = Environment.GetEnvironmentVariable("OPENAI_API_KEY")!;
            readonly ChatClient _chat = new("gpt-4o-mini", Key);
            readonly EmbeddingClient _embeddings = new("text-embedding-3-small", new ApiKeyCredential(Key));
        }
        """);

    [Fact]
    public Task ADistinctKeyPerAgent_NoDiagnostic() => Analyze(
        """
        class ResearchAgent
        {
            readonly ChatClient _chat = new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY_RESEARCH_AGENT")!);
        }
        """,
        """
        class WriterAgent
        {
            readonly ChatClient _chat = new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY_WRITER_AGENT")!);
            readonly HttpClient _http = new();
            WriterAgent() => _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY"));
        }
        """);

    [Fact]
    public Task KeysPassedInOrResolvedPerAgent_NoDiagnostic() => Analyze(
        """
        class ResearchAgent
        {
            readonly ChatClient _chat;
            public ResearchAgent(string apiKey) => _chat = new ChatClient("gpt-4o-mini", apiKey);
        }
        """,
        """
        class WriterAgent
        {
            readonly ChatClient _chat;
            public WriterAgent(string apiKey) => _chat = new ChatClient("gpt-4o-mini", new ApiKeyCredential(apiKey));
        }
        """,
        """
        class CriticAgent
        {
            readonly ChatClient _chat = new("gpt-4o-mini", RetryAnalyzers.Runtime.AgentKeys.Resolve("CriticAgent").Reveal());
        }
        """,
        """
        class PlannerAgent
        {
            readonly ChatClient _chat = new("gpt-4o-mini", RetryAnalyzers.Runtime.AgentKeys.Resolve("PlannerAgent").Reveal());
        }
        """);

    [Fact]
    public Task AgentsOnOneKeyThroughTheSharedBudget_NoDiagnostic() => Analyze(
        """
        class ResearchAgent
        {
            readonly ChatClient _chat = new("gpt-4o-mini", new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!),
                new OpenAIClientOptions { Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(RetryAnalyzers.Runtime.SharedProviderBudget.HttpClient) });
        }
        """,
        """
        class WriterAgent
        {
            readonly ChatClient _chat = new("gpt-4o-mini", new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!),
                new OpenAIClientOptions { Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(RetryAnalyzers.Runtime.SharedProviderBudget.HttpClient) });
        }
        """);

    [Fact]
    public Task OneClientForTheWholeApp_UsedByEveryAgent_NoDiagnostic() => Analyze(
        """
        static class Clients
        {
            public static readonly OpenAIClient OpenAI = new(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
        }
        """,
        """
        class ResearchAgent
        {
            readonly ChatClient _chat = Clients.OpenAI.GetChatClient("gpt-4o-mini");
        }

        class WriterAgent
        {
            readonly ChatClient _chat = Clients.OpenAI.GetChatClient("gpt-4o");
        }
        """);

    [Fact]
    public Task OtherHeadersAndPerItemKeysFromALookup_NoDiagnostic() => Analyze(
        """
        class ResearchAgent
        {
            readonly HttpClient _http = new();
            ResearchAgent() => _http.DefaultRequestHeaders.Add("User-Agent", "agents/1.0");
        }

        class WriterAgent
        {
            readonly HttpClient _http = new();
            WriterAgent() => _http.DefaultRequestHeaders.Add("User-Agent", "agents/1.0");
        }
        """,
        """
        class Orchestrator
        {
            List<ChatClient> Create(Dictionary<string, string> keys, IEnumerable<string> agents)
            {
                var clients = new List<ChatClient>();
                foreach (var agent in agents)
                {
                    clients.Add(new ChatClient("gpt-4o-mini", keys[agent]));
                }

                return clients;
            }
        }
        """);

    [Fact]
    public async Task KeysInTheTestsOfTheUsersOwnCode_NoDiagnostic()
    {
        var test = new Verify.Test();
        test.ReferenceAssemblies = TestReferences.WithXunit;
        test.TestState.Sources.Add(("/0/AgentTests.cs", Usings + """
            public class ResearchAgentTests
            {
                [Xunit.Fact] public void Creates() => _ = new ChatClient("gpt-4o-mini", "sk-test-key");
            }

            public class WriterAgentTests
            {
                [Xunit.Fact] public void Creates() => _ = new ChatClient("gpt-4o-mini", "sk-test-key");
            }
            """));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task APartialAgentSplitAcrossFiles_IsOneAgent_NoDiagnostic() => Analyze(
        """
        partial class ResearchAgent
        {
            readonly ChatClient _chat = new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
        }
        """,
        """
        partial class ResearchAgent
        {
            readonly EmbeddingClient _embeddings = new("text-embedding-3-small", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
        }
        """);

    [Fact]
    public Task DifferentConfigurationKeysPerAgent_NoDiagnostic() => Analyze(
        """
        static class Settings
        {
            public static readonly string ResearchKey = Environment.GetEnvironmentVariable("RESEARCH_OPENAI_KEY")!;
            public static readonly string WriterKey = Environment.GetEnvironmentVariable("WRITER_OPENAI_KEY")!;
        }

        class ResearchAgent { readonly ChatClient _chat = new("gpt-4o-mini", Settings.ResearchKey); }
        """,
        """
        class WriterAgent { readonly ChatClient _chat = new("gpt-4o", Settings.WriterKey); }
        """);

    [Fact]
    public Task HeadersFromParametersAndSdkClientsFromOptions_NoDiagnostic() => Analyze(
        """
        class ResearchAgent
        {
            readonly HttpClient _http = new();
            public ResearchAgent(string key) => _http.DefaultRequestHeaders.Add("x-api-key", key);
        }
        """,
        """
        class AgentOptions { public string ApiKey { get; set; } = ""; }

        class WriterAgent
        {
            readonly HttpClient _http = new();
            public WriterAgent(AgentOptions options) => _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        }
        """);

    [Fact]
    public Task TestClassesWhoseFrameworkIsNotReferenced_NoDiagnostic() => Analyze(
        """
        [AttributeUsage(AttributeTargets.Method)] sealed class FactAttribute : Attribute { }

        public class ChatTests
        {
            [Fact] public void Completes() => _ = new ChatClient("gpt-4o-mini", "sk-test-key");
        }
        """,
        """
        public class EmbeddingTests
        {
            [Fact] public void Embeds() => _ = new EmbeddingClient("text-embedding-3-small", "sk-test-key");
        }
        """);

    [Theory]
    [InlineData("http://localhost:11434/v1")]
    [InlineData("http://127.0.0.1:1234/v1")]
    [InlineData("https://[::1]:8000/v1")]
    public Task ClientsOfALocalModelServer_NoDiagnostic(string endpoint) => Analyze($$"""
        class ResearchAgent
        {
            readonly ChatClient _chat = new("llama3", new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!), new OpenAIClientOptions { Endpoint = new Uri("{{endpoint}}") });
        }

        class WriterAgent
        {
            readonly ChatClient _chat = new("llama3", new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!), new OpenAIClientOptions { Endpoint = new Uri("{{endpoint}}") });
        }
        """);

    [Fact]
    public Task ClientsOfARemoteEndpointOnOneKey_StillReportDiagnostic() => Analyze("""
        class ResearchAgent
        {
            readonly ChatClient _chat = {|RA0003:new("gpt-4o", new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!), new OpenAIClientOptions { Endpoint = new Uri("https://gateway.example.com/v1") })|};
        }

        class WriterAgent
        {
            readonly ChatClient _chat = {|RA0003:new("gpt-4o", new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!), new OpenAIClientOptions { Endpoint = new Uri("https://gateway.example.com/v1") })|};
        }
        """);

    [Theory]
    [InlineData("ollama")]
    [InlineData("api-key")]
    [InlineData("dummy-key")]
    [InlineData("EMPTY")]
    [InlineData("your-openai-api-key-here")]
    [InlineData("<YOUR_API_KEY>")]
    [InlineData("sk-xxxxxxxxxxxxxxxxxxxxxxxx")]
    public Task PlaceholderLiteralKeysOfLocalServersAndSamples_NoDiagnostic(string placeholder) => Analyze($$"""
        class ResearchAgent
        {
            readonly ChatClient _chat = new("llama3", new ApiKeyCredential("{{placeholder}}"), new OpenAIClientOptions { Endpoint = new Uri("http://localhost:11434/v1") });
        }

        class WriterAgent
        {
            readonly ChatClient _chat = new("llama3", new ApiKeyCredential("{{placeholder}}"), new OpenAIClientOptions { Endpoint = new Uri("http://localhost:11434/v1") });
        }
        """);

    [Fact]
    public Task PlaceholderKeysAndPerRequestHelpers_NoDiagnostic() => Analyze(
        """
        class AssistantAgent
        {
            const string NoKey = " ";
            readonly OpenAIClient _client = new(new ApiKeyCredential(NoKey), new OpenAIClientOptions());
        }

        class ClientProvider
        {
            readonly OpenAIClient _client = new(new ApiKeyCredential(" "), new OpenAIClientOptions());
        }
        """,
        """
        class MistralStyleClient
        {
            readonly string _apiKey = Environment.GetEnvironmentVariable("MISTRAL_API_KEY")!;

            void Send(IEnumerable<string> turns)
            {
                foreach (var turn in turns)
                {
                    using var request = CreatePost(turn, this._apiKey);
                }
            }

            static HttpRequestMessage CreatePost(string body, string apiKey)
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "https://api.mistral.test/v1/chat");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
                return request;
            }
        }
        """);

    [Fact]
    public Task ClientsCreatedWithoutAKey_NoDiagnostic_AndNoCrash() => Analyze(
        """
        namespace OpenAI.Extensions
        {
            // The user's own type in an SDK-like namespace, created without a key and without an initializer.
            public sealed class CachingClient { }
        }

        class ResearchAgent { readonly OpenAI.Extensions.CachingClient _cache = new(); }
        """,
        """
        class WriterAgent { readonly OpenAI.Extensions.CachingClient _cache = new OpenAI.Extensions.CachingClient(); }
        """);

    // A menu of samples or snippets (one runs per process), factories and DI helpers build a client each: none is an agent.
    [Fact]
    public Task SampleMenusFactoriesAndHelpers_AreNotAgents_NoDiagnostic() => Analyze(
        """
        public partial class Example05_Dalle_And_GPT4V
        {
            public static ChatClient Run() => new("gpt-4o", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
        }

        public class GetStartCodeSnippet
        {
            public ChatClient CodeSnippet1() => new ChatClient("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
        }
        """,
        """
        public static class ChatClientFactory
        {
            public static OpenAIClient Create() => new OpenAIClient(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
        }

        public class LLMConfiguration
        {
            public ChatClient GetOpenAIGPT4o_mini() => new OpenAIClient(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!).GetChatClient("gpt-4o-mini");
        }

        class ResearchAgent
        {
            readonly ChatClient _chat = new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
        }
        """);

    // Samples named after what they show (Example17_ReActAgent): a static RunAsync builds a client for the agents it
    // starts; the class holds none. A library's agent class started beside a sample's class does not make it an agent.
    [Fact]
    public async Task SamplesNamedAfterAgentsAndLibraryAgents_NoDiagnostic()
    {
        var test = new Verify.Test();
        test.TestState.AdditionalProjects["AgentLibrary"].Sources.Add(("/1/ChatAgent.cs", """
            public class ChatAgent { public ChatAgent(OpenAI.Chat.ChatClient chat) { } }
            """));
        test.TestState.AdditionalProjectReferences.Add("AgentLibrary");
        test.TestState.Sources.Add(("/0/A.cs", Usings + """
            public class Example17_ReActAgent
            {
                public static ChatAgent RunAsync()
                {
                    var client = new OpenAIClient(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
                    return new ChatAgent(client.GetChatClient("gpt-4o"));
                }
            }
            """));
        test.TestState.Sources.Add(("/0/B.cs", Usings + """
            public class Use_Tools_With_Agent
            {
                public static OpenAIClient RunAsync() => new OpenAIClient(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
            }

            public partial class Example05_Dalle_And_GPT4V
            {
                private readonly OpenAIClient _client;
                public Example05_Dalle_And_GPT4V(OpenAIClient client) => _client = client;

                public static void RunAsync()
                {
                    var client = new OpenAIClient(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
                    var instance = new Example05_Dalle_And_GPT4V(client);
                    var dalle = new ChatAgent(client.GetChatClient("gpt-4o"));
                }
            }
            """));
        await test.RunAsync(CancellationToken.None);
    }

    // Classes that hold a client but are never started together and are not named or typed as agents: services.
    [Fact]
    public Task ServicesHoldingClientsNeverCreatedTogether_NoDiagnostic() => Analyze(
        """
        class ChatService
        {
            readonly ChatClient _chat = new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
        }

        class EmbeddingService
        {
            readonly EmbeddingClient _embeddings = new("text-embedding-3-small", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);
        }

        class Program
        {
            static ChatService Chat() => new ChatService();
            static EmbeddingService Embeddings() => new EmbeddingService();
        }
        """);

    // A client per item inside an agent is reported once, as a client per item, not again across types.
    [Fact]
    public async Task AClientPerItemInsideOneAgent_IsReportedOnce()
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/0/A.cs", Usings + """
            class ResearchAgent
            {
                static readonly string Key = Environment.GetEnvironmentVariable("OPENAI_API_KEY")!;
                List<ChatClient> PerRole(IEnumerable<string> roles) => roles.Select(r => {|#0:new ChatClient("gpt-4o-mini", Key)|}).ToList();
            }
            """));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("RA0003").WithLocation(0).WithArguments("Clients created for every item of a loop in ResearchAgent", "the key in environment variable OPENAI_API_KEY"));
        await test.RunAsync(CancellationToken.None);
    }

    // ---------------------------------------------------------------- Diagnostics

    // An orchestrator building its team: each client is handed to the agent it is created for.
    [Fact]
    public async Task AnOrchestratorHandingOneKeyToItsAgents_ReportsEachAgentsSite()
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/0/Agents.cs", Usings + """
            class ResearchAgent { public ResearchAgent(OpenAIClient client) { } }
            class WriterAgent { public WriterAgent(ChatClient chat) { } }
            """));
        test.TestState.Sources.Add(("/0/Orchestrator.cs", Usings + """
            class Orchestrator
            {
                void Start()
                {
                    var key = Environment.GetEnvironmentVariable("OPENAI_API_KEY")!;
                    var research = new ResearchAgent({|#0:new OpenAIClient(key)|});
                    var writer = new WriterAgent({|#1:new OpenAIClient(key)|}.GetChatClient("gpt-4o"));
                }
            }
            """));
        foreach (var location in new[] { 0, 1 })
        {
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("RA0003").WithLocation(location).WithArguments("2 agents (ResearchAgent, WriterAgent)", "the key in environment variable OPENAI_API_KEY"));
        }

        await test.RunAsync(CancellationToken.None);
    }

    // Not named Agent, but started together by one method: a team.
    [Fact]
    public Task ClassesHoldingClientsCreatedTogether_ReportDiagnostic() => Analyze(
        """
        class Researcher { readonly ChatClient _chat = {|RA0003:new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|}; }
        class Writer { readonly ChatClient _chat = {|RA0003:new("gpt-4o", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|}; }
        """,
        """
        class Team
        {
            (Researcher, Writer) Start() => (new Researcher(), new Writer());
        }
        """);

    // By name and namespace, so no agent framework has to be referenced: AutoGen's IAgent here.
    [Fact]
    public Task ClassesImplementingAnAgentAbstraction_ReportDiagnostic() => Analyze(
        """
        namespace AutoGen.Core { public interface IAgent { } }

        class Planner : AutoGen.Core.IAgent { readonly ChatClient _chat = {|RA0003:new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|}; }
        """,
        """
        class Critic : AutoGen.Core.IAgent { readonly OpenAIClient _client = {|RA0003:new(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|}; }
        """);

    // A client per item counts for its agent: the other agent on the key is reported too.
    [Fact]
    public Task AnAgentWithClientsPerItemAndAnotherOnTheKey_ReportsTheOthersSite() => Analyze("""
        class ResearchAgent
        {
            static readonly string Key = Environment.GetEnvironmentVariable("OPENAI_API_KEY")!;
            List<ChatClient> PerRole(IEnumerable<string> roles) => roles.Select(r => {|RA0003:new ChatClient("gpt-4o-mini", Key)|}).ToList();
        }

        class WriterAgent
        {
            readonly ChatClient _chat = {|RA0003:new("gpt-4o", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|};
        }
        """);

    [Fact]
    public Task TheSameEnvironmentVariableInTwoAgentsAcrossFiles_ReportsEverySite() => Analyze(
        """
        class ResearchAgent
        {
            readonly ChatClient _chat = {|RA0003:new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|};
        }
        """,
        """
        class WriterAgent
        {
            static readonly string Key = Environment.GetEnvironmentVariable("OPENAI_API_KEY") ?? throw new InvalidOperationException("OPENAI_API_KEY is not set");
            readonly ChatClient _chat = {|RA0003:new ChatClient("gpt-4o", new ApiKeyCredential(Key))|};
        }
        """);

    [Fact]
    public async Task Message_NamesTheAgentsAndTheSource_NeverTheKey()
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/0/A.cs", Usings + """
            class ResearchAgent { readonly OpenAIClient _client = {|#0:new("sk-proj-HARDCODED-0001")|}; }
            """));
        test.TestState.Sources.Add(("/0/B.cs", Usings + """
            class WriterAgent { readonly ChatClient _chat = {|#1:new("gpt-4o", "sk-proj-HARDCODED-0001")|}; }
            class CriticAgent { readonly EmbeddingClient _embeddings = {|#2:new("text-embedding-3-small", "sk-proj-HARDCODED-0001")|}; }
            """));
        foreach (var location in new[] { 0, 1, 2 })
        {
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("RA0003").WithLocation(location).WithArguments("3 agents (CriticAgent, ResearchAgent, WriterAgent)", "one hard-coded key"));
        }

        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Message_WithManyAgents_NamesTheSitesAgentAndAnother_AndCountsTheRest()
    {
        var test = new Verify.Test();
        var names = new[] { "AlphaAgent", "BetaAgent", "GammaAgent", "DeltaAgent", "EpsilonAgent" };
        test.TestState.Sources.Add(("/0/A.cs", Usings + string.Join("\n", names.Select((name, i) =>
            $"class {name} {{ readonly ChatClient _chat = {{|#{i}:new(\"gpt-4o\", Environment.GetEnvironmentVariable(\"OPENAI_API_KEY\")!)|}}; }}"))));
        var sorted = names.OrderBy(n => n, StringComparer.Ordinal).ToArray();
        for (var i = 0; i < names.Length; i++)
        {
            var other = sorted.First(n => n != names[i]);
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("RA0003").WithLocation(i).WithArguments($"5 agents ({names[i]}, {other} and 3 more)", "the key in environment variable OPENAI_API_KEY"));
        }

        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task ASharedFieldHandedToCredentialsAndHeaders_ReportsEverySite() => Analyze(
        """
        static class Secrets
        {
            public static string OpenAIKey { get; set; } = "";
        }

        class ResearchAgent
        {
            readonly ApiKeyCredential _credential = {|RA0003:new ApiKeyCredential(Secrets.OpenAIKey)|};
        }
        """,
        """
        class WriterAgent
        {
            readonly HttpClient _http = new();
            WriterAgent()
            {
                {|RA0003:_http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Secrets.OpenAIKey)|};
            }
        }

        class SearchAgent
        {
            readonly HttpClient _http = new();
            SearchAgent() => {|RA0003:_http.DefaultRequestHeaders.Add("api-key", Secrets.OpenAIKey)|};
        }

        class AuditAgent
        {
            readonly HttpClient _http = new();
            AuditAgent() => {|RA0003:_http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + Secrets.OpenAIKey)|};
        }
        """);

    [Fact]
    public async Task TheSameConfigurationKeyInTwoAgents_ReportsDiagnostic()
    {
        var test = new Verify.Test();
        test.ReferenceAssemblies = TestReferences.WithConfiguration;
        test.TestState.Sources.Add(("/0/A.cs", Usings + """
            using Microsoft.Extensions.Configuration;
            class ResearchAgent { ResearchAgent(IConfiguration configuration) => _ = {|RA0003:new ChatClient("gpt-4o-mini", configuration["OpenAI:ApiKey"]!)|}; }
            """));
        test.TestState.Sources.Add(("/0/B.cs", Usings + """
            using Microsoft.Extensions.Configuration;
            class WriterAgent { WriterAgent(IConfiguration settings) => _ = {|RA0003:new ChatClient("gpt-4o", settings.GetSection("OpenAI")["ApiKey"]!)|}; }
            """));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task InterpolatedBearerHeadersOnOneKey_ReportDiagnostic() => Analyze(
        """
        class ResearchAgent
        {
            readonly HttpClient _http = new();
            ResearchAgent() => {|RA0003:_http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Bearer {Environment.GetEnvironmentVariable("OPENAI_API_KEY")}")|};
        }
        """,
        """
        class WriterAgent
        {
            static readonly string ApiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY")!;
            readonly HttpRequestMessage _request = new(HttpMethod.Post, "https://api.openai.com/v1/chat/completions");
            WriterAgent() => {|RA0003:_request.Headers.Add("Authorization", "Bearer " + ApiKey)|};
        }
        """);

    [Fact]
    public async Task AzureKeyCredentialsOnOneKey_ReportDiagnostic()
    {
        var test = new Verify.Test();
        test.ReferenceAssemblies = TestReferences.WithAzureCore;
        test.TestState.Sources.Add(("/0/A.cs", Usings + """
            class ResearchAgent { readonly Azure.AzureKeyCredential _credential = {|RA0003:new Azure.AzureKeyCredential(Environment.GetEnvironmentVariable("AZURE_OPENAI_API_KEY")!)|}; }
            class WriterAgent { readonly Azure.AzureKeyCredential _credential = {|RA0003:new(Environment.GetEnvironmentVariable("AZURE_OPENAI_API_KEY")!)|}; }
            """));
        await test.RunAsync(CancellationToken.None);
    }

    // Without an LLM SDK a key can only go into a hand-written header, and only a type named …Agent can be an agent: a
    // project with neither (Polly.Core) gets no RA0003 action at all; one with agents still gets its header sites.
    [Fact]
    public async Task WithoutAnSdk_RegistersNothing_UnlessTheProjectHasAgents()
    {
        await TestReferences.EnsureResolvedAsync();
        var references = (await TestReferences.Net80WithPolly.ResolveAsync(Microsoft.CodeAnalysis.LanguageNames.CSharp, CancellationToken.None))
            .Where(r => r.Display is { } path && !System.IO.Path.GetFileName(path).StartsWith("OpenAI", StringComparison.Ordinal) &&
                        !System.IO.Path.GetFileName(path).StartsWith("System.ClientModel", StringComparison.Ordinal))
            .ToList();
        const string Header = """
            using System;
            using System.Net.Http;

            """;

        async Task<(int Actions, int Diagnostics)> Run(string source)
        {
            var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create(
                "NoSdk",
                new[] { Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(Header + source) },
                references,
                new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary));
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
            Assert.DoesNotContain(compilation.ReferencedAssemblyNames, a => a.Name is "OpenAI" or "System.ClientModel");
            var analyzer = new RetryAnalyzers.Rules.RA0003SharedApiKeyAnalyzer();
            var withAnalyzers = new Microsoft.CodeAnalysis.Diagnostics.CompilationWithAnalyzers(
                compilation,
                System.Collections.Immutable.ImmutableArray.Create<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer>(analyzer),
                new Microsoft.CodeAnalysis.Diagnostics.CompilationWithAnalyzersOptions(
                    new Microsoft.CodeAnalysis.Diagnostics.AnalyzerOptions(System.Collections.Immutable.ImmutableArray<Microsoft.CodeAnalysis.AdditionalText>.Empty),
                    onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
            var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None);
            var telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None);
            return (telemetry.OperationActionsCount + telemetry.CompilationEndActionsCount, diagnostics.Length);
        }

        var services = await Run("""
            class ChatService
            {
                readonly HttpClient _http = new();
                ChatService() => _http.DefaultRequestHeaders.Add("api-key", Environment.GetEnvironmentVariable("OPENAI_API_KEY"));
            }
            """);
        var agents = await Run("""
            class ResearchAgent
            {
                readonly HttpClient _http = new();
                ResearchAgent() => _http.DefaultRequestHeaders.Add("api-key", Environment.GetEnvironmentVariable("OPENAI_API_KEY"));
            }

            class WriterAgent
            {
                readonly HttpClient _http = new();
                WriterAgent() => _http.DefaultRequestHeaders.Add("api-key", Environment.GetEnvironmentVariable("OPENAI_API_KEY"));
            }
            """);

        Assert.Equal((0, 0), services);
        Assert.True(agents.Actions > 0);
        Assert.Equal(2, agents.Diagnostics);
    }

    // ---------------------------------------------------------------- CodeFix
    // A site is reported because another agent shares its key: once one agent is fixed, the last one on the key is no
    // longer "shared" and keeps its code. Fix All fixes every site of the group at once.

    private static Task VerifyFix(string equivalenceKey, (string Path, string Source)[] before, (string Path, string Source)[] afterOne, (string Path, string Source)[] afterAll, ReferenceAssemblies? references = null)
    {
        var test = new Verify.Test
        {
            CodeActionEquivalenceKey = equivalenceKey,
            // Reported at the end of the compilation. Across files, Fix All in one document leaves the other file's site
            // alone (and then unshared): the project and solution scopes are the ones that fix the whole group.
            CodeFixTestBehaviors = CodeFixTestBehaviors.SkipLocalDiagnosticCheck | (before.Length > 1 ? CodeFixTestBehaviors.SkipFixAllInDocumentCheck : 0),
        };
        if (references is not null)
        {
            test.ReferenceAssemblies = references;
        }

        foreach (var (path, source) in before)
        {
            test.TestState.Sources.Add((path, source));
        }

        foreach (var (path, source) in afterOne)
        {
            test.FixedState.Sources.Add((path, source));
        }

        foreach (var (path, source) in afterAll)
        {
            test.BatchFixedState.Sources.Add((path, source));
        }

        return test.RunAsync(CancellationToken.None);
    }

    private const string WriterBefore = """
        using System;
        using OpenAI.Chat;

        class WriterAgent
        {
            readonly ChatClient _chat = new ChatClient("gpt-4o", Environment.GetEnvironmentVariable("OPENAI_API_KEY"));
        }
        """;

    [Fact]
    public Task AgentKeyFix_ResolvesTheAgentsOwnVariable() => VerifyFix(
        RA0003SharedApiKeyCodeFix.AgentKeyEquivalenceKey,
        [
            ("/0/A.cs", """
                using System;
                using OpenAI.Chat;

                class ResearchAgent
                {
                    readonly ChatClient _chat = {|RA0003:new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|};
                }
                """),
            ("/0/B.cs", WriterBefore.Replace("_chat = new ChatClient(\"gpt-4o\", Environment.GetEnvironmentVariable(\"OPENAI_API_KEY\"))", "_chat = {|RA0003:new ChatClient(\"gpt-4o\", Environment.GetEnvironmentVariable(\"OPENAI_API_KEY\"))|}", System.StringComparison.Ordinal)),
        ],
        [("/0/A.cs", ResearchAfter), ("/0/B.cs", WriterBefore)],
        [
            ("/0/A.cs", ResearchAfter),
            ("/0/B.cs", """
                using System;
                using OpenAI.Chat;
                using RetryAnalyzers.Runtime;

                class WriterAgent
                {
                    readonly ChatClient _chat = new ChatClient("gpt-4o", AgentKeys.Resolve("WriterAgent", "OPENAI_API_KEY").Reveal());
                }
                """),
        ]);

    private const string ResearchAfter = """
        using System;
        using OpenAI.Chat;
        using RetryAnalyzers.Runtime;

        class ResearchAgent
        {
            readonly ChatClient _chat = new("gpt-4o-mini", AgentKeys.Resolve("ResearchAgent", "OPENAI_API_KEY").Reveal()!);
        }
        """;

    private const string SecretsAndResearch = """
        using OpenAI.Chat;

        class ResearchAgent
        {
            readonly ChatClient _chat = new ChatClient("gpt-4o-mini", Secrets.Key);
        }

        static class Secrets
        {
            public const string Key = "sk-proj-HARDCODED-0002";
        }
        """;

    private const string Writer2Before = """
        using System.ClientModel;
        using OpenAI;

        class WriterAgent
        {
            readonly OpenAIClient _client = new OpenAIClient(new ApiKeyCredential(Secrets.Key));
        }
        """;

    private const string Research2After = """
        using System.ClientModel;
        using OpenAI;
        using OpenAI.Chat;
        using RetryAnalyzers.Runtime;

        class ResearchAgent
        {
            readonly ChatClient _chat = new ChatClient("gpt-4o-mini", new ApiKeyCredential(Secrets.Key), new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy));
        }

        static class Secrets
        {
            public const string Key = "sk-proj-HARDCODED-0002";
        }
        """;

    [Fact]
    public Task SharedBudgetFix_RoutesTheClientsThroughTheSharedBudget() => VerifyFix(
        RA0003SharedApiKeyCodeFix.SharedBudgetEquivalenceKey,
        [
            ("/0/A.cs", SecretsAndResearch.Replace("_chat = new ChatClient(\"gpt-4o-mini\", Secrets.Key)", "_chat = {|RA0003:new ChatClient(\"gpt-4o-mini\", Secrets.Key)|}", System.StringComparison.Ordinal)),
            ("/0/B.cs", Writer2Before.Replace("_client = new OpenAIClient(new ApiKeyCredential(Secrets.Key))", "_client = {|RA0003:new OpenAIClient(new ApiKeyCredential(Secrets.Key))|}", System.StringComparison.Ordinal)),
        ],
        [("/0/A.cs", Research2After), ("/0/B.cs", Writer2Before)],
        [
            ("/0/A.cs", Research2After),
            ("/0/B.cs", """
                using System.ClientModel;
                using OpenAI;
                using RetryAnalyzers.Runtime;

                class WriterAgent
                {
                    readonly OpenAIClient _client = new OpenAIClient(new ApiKeyCredential(Secrets.Key), new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy));
                }
                """),
        ]);

    private const string TargetTypedResearchBudgeted = """
            using System;
            using System.ClientModel;
            using OpenAI;
            using OpenAI.Chat;
            using RetryAnalyzers.Runtime;

            class ResearchAgent { readonly ChatClient _chat = new("gpt-4o-mini", new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!), new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy)); }

            """;

    // Target-typed `new(model, key)` takes the shared budget too, so it is the first action on every site of a group
    // (what `dotnet format` applies).
    [Fact]
    public Task SharedBudgetFix_TargetTypedCreation() => VerifyFix(
        RA0003SharedApiKeyCodeFix.SharedBudgetEquivalenceKey,
        [("/0/A.cs", """
            using System;
            using OpenAI.Chat;

            class ResearchAgent { readonly ChatClient _chat = {|RA0003:new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|}; }
            class WriterAgent { readonly ChatClient _chat = {|RA0003:new("gpt-4o", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|}; }
            """)],
        [("/0/A.cs", TargetTypedResearchBudgeted + """
            class WriterAgent { readonly ChatClient _chat = new("gpt-4o", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!); }
            """)],
        [("/0/A.cs", TargetTypedResearchBudgeted + """
            class WriterAgent { readonly ChatClient _chat = new("gpt-4o", new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!), new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy)); }
            """)]);

    // One Fix All over the project routes every agent on the key, whatever the creation is written as (target-typed
    // `new(model, key)` included) and wherever it is.
    [Fact]
    public Task SharedBudgetFix_FixAllInProject_RoutesEveryShapeAcrossFiles()
    {
        const string Budgeted = "new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy)";
        const string Header = """
            using System;
            using System.ClientModel;
            using OpenAI;
            using OpenAI.Chat;
            using RetryAnalyzers.Runtime;

            """;
        var test = new Verify.Test
        {
            CodeActionEquivalenceKey = RA0003SharedApiKeyCodeFix.SharedBudgetEquivalenceKey,
            CodeFixTestBehaviors = CodeFixTestBehaviors.SkipLocalDiagnosticCheck | CodeFixTestBehaviors.SkipFixAllInDocumentCheck | CodeFixTestBehaviors.SkipFixAllInSolutionCheck,
            NumberOfFixAllInProjectIterations = 1,
            TestState =
            {
                Sources =
                {
                    ("/0/A.cs", """
                        using System;
                        using OpenAI;
                        using OpenAI.Chat;

                        class ResearchAgent { readonly ChatClient _chat = {|RA0003:new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|}; }
                        class CriticAgent { readonly OpenAIClient _client = {|RA0003:new(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|}; }
                        """),
                    ("/0/B.cs", """
                        using System;
                        using OpenAI.Chat;

                        class WriterAgent { readonly ChatClient _chat = {|RA0003:new ChatClient("gpt-4o", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!)|}; }
                        """),
                },
            },
        };
        var fixedA = Header + "\n" + $$"""
            class ResearchAgent { readonly ChatClient _chat = new("gpt-4o-mini", new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!), {{Budgeted}}); }
            class CriticAgent { readonly OpenAIClient _client = new(new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!), {{Budgeted}}); }
            """;

        // One by one, the last agent on the key is no longer sharing it and keeps its code; Fix All routes all three.
        test.NumberOfIncrementalIterations = 2;
        test.FixedState.Sources.Add(("/0/A.cs", fixedA));
        test.FixedState.Sources.Add(("/0/B.cs", """
            using System;
            using OpenAI.Chat;

            class WriterAgent { readonly ChatClient _chat = new ChatClient("gpt-4o", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!); }
            """));
        test.BatchFixedState.Sources.Add(("/0/A.cs", fixedA));
        test.BatchFixedState.Sources.Add(("/0/B.cs", """
            using System;
            using System.ClientModel;
            using OpenAI;
            using OpenAI.Chat;
            using RetryAnalyzers.Runtime;


            """ + $$"""
            class WriterAgent { readonly ChatClient _chat = new ChatClient("gpt-4o", new ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!), {{Budgeted}}); }
            """));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task AgentKeyFix_ForAConfigurationKey_ReadsTheAgentsKeyFromTheSameConfiguration() => VerifyFix(
        RA0003SharedApiKeyCodeFix.AgentKeyEquivalenceKey,
        [("/0/A.cs", """
            using Microsoft.Extensions.Configuration;
            using OpenAI.Chat;

            class ResearchAgent
            {
                ResearchAgent(IConfiguration configuration) => _ = {|RA0003:new ChatClient("gpt-4o-mini", configuration["OpenAI:ApiKey"]!)|};
            }

            class WriterAgent
            {
                WriterAgent(IConfiguration settings) => _ = {|RA0003:new ChatClient("gpt-4o", settings["OpenAI:ApiKey"]!)|};
            }
            """)],
        [("/0/A.cs", """
            using Microsoft.Extensions.Configuration;
            using OpenAI.Chat;
            using RetryAnalyzers.Runtime;

            class ResearchAgent
            {
                ResearchAgent(IConfiguration configuration) => _ = new ChatClient("gpt-4o-mini", AgentKeys.Resolve("ResearchAgent", "OpenAI:ApiKey", name => configuration[name]).Reveal()!);
            }

            class WriterAgent
            {
                WriterAgent(IConfiguration settings) => _ = new ChatClient("gpt-4o", settings["OpenAI:ApiKey"]!);
            }
            """)],
        [("/0/A.cs", """
            using Microsoft.Extensions.Configuration;
            using OpenAI.Chat;
            using RetryAnalyzers.Runtime;

            class ResearchAgent
            {
                ResearchAgent(IConfiguration configuration) => _ = new ChatClient("gpt-4o-mini", AgentKeys.Resolve("ResearchAgent", "OpenAI:ApiKey", name => configuration[name]).Reveal()!);
            }

            class WriterAgent
            {
                WriterAgent(IConfiguration settings) => _ = new ChatClient("gpt-4o", AgentKeys.Resolve("WriterAgent", "OpenAI:ApiKey", name => settings[name]).Reveal()!);
            }
            """)],
        TestReferences.WithConfiguration);
}
