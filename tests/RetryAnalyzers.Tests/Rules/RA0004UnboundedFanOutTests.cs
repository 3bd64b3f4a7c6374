using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using RetryAnalyzers.Rules;
using RetryAnalyzers.Tests.Verifiers;
using Verify = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RA0004UnboundedFanOutAnalyzer, RetryAnalyzers.CodeFixes.RA0004UnboundedFanOutCodeFix>;

namespace RetryAnalyzers.Tests.Rules;

public sealed class RA0004UnboundedFanOutTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Net.Http;
        using System.Net.Http.Json;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenAI.Chat;

        """;

    private static Task Analyze(string body) => Verify.VerifyAnalyzerAsync(Usings + body);

    // ---------------------------------------------------------------- Valid (no diagnostic)

    [Theory]
    [InlineData("await Task.WhenAll(chat.CompleteChatAsync(\"a\"), chat.CompleteChatAsync(\"b\"));")]
    [InlineData("await Task.WhenAll(new[] { \"a\", \"b\", \"c\" }.Select(p => chat.CompleteChatAsync(p)));")]
    [InlineData("await Task.WhenAll(Enumerable.Range(0, 3).Select(i => http.GetStringAsync(\"https://example.test/\" + i)));")]
    [InlineData("await Task.WhenAll(chunks.Select(c => Task.Run(() => c.Length * 2)));")]
    [InlineData("await Task.WhenAll(chunks.Select(c => CountWordsAsync(c)));")]
    [InlineData("await Task.WhenAll(chunks.Select(async c => { await Gate.WaitAsync(); try { return await chat.CompleteChatAsync(c); } finally { Gate.Release(); } }));")]
    [InlineData("await Task.WhenAll(chunks.Select(c => GatedSummaryAsync(chat, c)));")]
    [InlineData("await Task.WhenAll(chunks.Select(async c => { await Budget.AcquireTokensAsync(1_000); return await chat.CompleteChatAsync(c); }));")]
    [InlineData("await RetryAnalyzers.Runtime.BoundedFanOut.SelectAsync(chunks, (c, _) => chat.CompleteChatAsync(c), 4);")]
    [InlineData("Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = 4 }, c => http.Send(new HttpRequestMessage(HttpMethod.Get, c)));")]
    [InlineData("await Parallel.ForEachAsync(chunks, async (c, ct) => await chat.CompleteChatAsync(c));")]
    [InlineData("await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = 3 }, async (c, ct) => await chat.CompleteChatAsync(c));")]
    [InlineData("Parallel.ForEach(chunks, c => Console.WriteLine(c.Length));")]
    [InlineData("await Task.WhenAll(chunks.Select(url => http.GetStringAsync(url)));")]
    [InlineData("await Task.WhenAll(chunks.Select(url => http.GetByteArrayAsync(new Uri(url).AbsoluteUri)));")]
    [InlineData("var downloads = new List<Task<string>>(); foreach (var url in chunks) { downloads.Add(http.GetStringAsync(url)); } await Task.WhenAll(downloads);")]
    [InlineData("await Task.WhenAll(chunks.Select(c => Budgeted.GetStringAsync(\"https://example.test/v1/items/\" + c)));")]
    [InlineData("await Task.WhenAll(chunks.Select(c => SharedChat.CompleteChatAsync(c)));")]
    [InlineData("await Task.WhenAll(chunks.Select(c => RetryAnalyzers.Runtime.SharedProviderBudget.HttpClient.GetStringAsync(\"https://example.test/v1/items/\" + c)));")]
    [InlineData("var shared = new HttpClient(new RetryAnalyzers.Runtime.ProviderResilienceHandler(new RetryAnalyzers.Runtime.ProviderResilienceOptions { Budget = Budget })); await Task.WhenAll(chunks.Select(c => shared.GetStringAsync(\"https://example.test/v1/items/\" + c)));")]
    [InlineData("await Task.WhenAll(chunks.Take(5).Select(c => chat.CompleteChatAsync(c)));")]
    [InlineData("for (var i = 0; i < chunks.Count; i += 8) { await Task.WhenAll(chunks.Skip(i).Take(8).Select(c => chat.CompleteChatAsync(c))); }")]
    [InlineData("foreach (var batch in chunks.Chunk(8)) { await Task.WhenAll(batch.Select(c => chat.CompleteChatAsync(c))); }")]
    [InlineData("await Task.WhenAll(Enumerable.Range(0, Math.Min(8, chunks.Count)).Select(i => chat.CompleteChatAsync(chunks[i])));")]
    public Task BoundedGatedHandfulOrCpuOnly_NoDiagnostic(string statement) => Analyze($$"""
        class Orchestrator
        {
            static readonly SemaphoreSlim Gate = new(4);
            static readonly RetryAnalyzers.Runtime.TokenBudget Budget = new(RetryAnalyzers.Runtime.TokenBudgetOptions.PerMinute(600_000));
            static readonly HttpClient Budgeted = new(new RetryAnalyzers.Runtime.ProviderResilienceHandler(new RetryAnalyzers.Runtime.ProviderResilienceOptions { Budget = Budget }) { InnerHandler = new HttpClientHandler() });
            static readonly ChatClient SharedChat = new("gpt-4o-mini", new System.ClientModel.ApiKeyCredential(Environment.GetEnvironmentVariable("OPENAI_API_KEY")!), new OpenAI.OpenAIClientOptions { Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(RetryAnalyzers.Runtime.SharedProviderBudget.HttpClient) });

            static Task<int> CountWordsAsync(string text) => Task.FromResult(text.Split(' ').Length);

            static async Task<string> GatedSummaryAsync(ChatClient chat, string chunk)
            {
                await Gate.WaitAsync();
                try { return (await chat.CompleteChatAsync(chunk)).Value.Content[0].Text; }
                finally { Gate.Release(); }
            }

            async Task RunAsync(ChatClient chat, HttpClient http, List<string> chunks)
            {
                {{statement}}
            }
        }
        """);

    [Fact]
    public Task TasksAddedOutsideALoop_NoDiagnostic() => Analyze("""
        class Orchestrator
        {
            async Task RunAsync(ChatClient chat)
            {
                var tasks = new List<Task>();
                tasks.Add(chat.CompleteChatAsync("plan"));
                tasks.Add(chat.CompleteChatAsync("critique"));
                await Task.WhenAll(tasks);
            }

            async Task CpuLoopAsync(List<string> chunks)
            {
                var tasks = new List<Task<int>>();
                foreach (var chunk in chunks)
                {
                    tasks.Add(Task.Run(() => chunk.Length));
                }

                await Task.WhenAll(tasks);
            }
        }
        """);

    [Fact]
    public Task UnknownSourcesBoundsAndCallees_NoDiagnostic() => Analyze("""
        interface IAgent
        {
            Task<string> RunAsync(string input);
        }

        class Orchestrator
        {
            static readonly System.Threading.RateLimiting.RateLimiter Limiter = new System.Threading.RateLimiting.ConcurrencyLimiter(
                new System.Threading.RateLimiting.ConcurrencyLimiterOptions { PermitLimit = 4, QueueLimit = int.MaxValue });

            // Tasks handed in by the caller: how many, and how they were started, is not visible here.
            Task AwaitAllAsync(IEnumerable<Task> started) => Task.WhenAll(started);

            // A degree set on a local before the loop.
            void Bounded(ChatClient chat, List<string> chunks)
            {
                var options = new ParallelOptions();
                options.MaxDegreeOfParallelism = 2;
                Parallel.ForEach(chunks, options, c => chat.CompleteChat(c));
            }

            // An interface with no implementation in the compilation: what the agents do is not visible.
            Task<string[]> AgentsAsync(IReadOnlyList<IAgent> agents, string input) => Task.WhenAll(agents.Select(a => a.RunAsync(input)));

            // Gated by a RateLimiter lease.
            Task<string[]> LimitedAsync(HttpClient http, List<string> urls) => Task.WhenAll(urls.Select(async u =>
            {
                using var lease = await Limiter.AcquireAsync();
                return await http.GetStringAsync(u);
            }));
        }
        """);

    // ---------------------------------------------------------------- Diagnostics

    [Theory]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => chat.CompleteChatAsync(c)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => chat.CompleteChatAsync(c)).ToList())|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(async c => (await chat.CompleteChatAsync(c)).Value).ToArray())|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => http.GetStringAsync(\"https://api.example.test/v1/items/\" + c)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => http.PostAsJsonAsync(\"https://example.test/v1/chat\", c)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => SummarizeAsync(chat, c)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => Task.Run(() => chat.CompleteChatAsync(c))))|};")]
    [InlineData("await {|RA0004:Task.WhenAny(chunks.Select(c => chat.CompleteChatAsync(c)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Skip(1).Select(c => chat.CompleteChatAsync(c)))|};")]
    [InlineData("var retrying = new HttpClient(new RetryAnalyzers.Runtime.ProviderResilienceHandler(new RetryAnalyzers.Runtime.ProviderResilienceOptions())); await {|RA0004:Task.WhenAll(chunks.Select(c => retrying.GetStringAsync(\"https://example.test/v1/items/\" + c)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => http.PostAsync(\"https://api.example.test/v1/embeddings\", new StringContent(c))))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(id => http.GetStringAsync($\"https://api.example.test/items/{id}\")))|};")]
    [InlineData("foreach (var group in chunks.GroupBy(c => c.Length)) { await {|RA0004:Task.WhenAll(group.Select(c => chat.CompleteChatAsync(c)))|}; }")]
    [InlineData("var tasks = chunks.Select(c => chat.CompleteChatAsync(c)).ToList(); await {|RA0004:Task.WhenAll(tasks)|};")]
    [InlineData("{|RA0004:Parallel.ForEach(chunks, c => http.Send(new HttpRequestMessage(HttpMethod.Get, c)))|};")]
    [InlineData("{|RA0004:Parallel.ForEach(chunks, new ParallelOptions(), c => chat.CompleteChat(c))|};")]
    [InlineData("{|RA0004:Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = -1 }, c => chat.CompleteChat(c))|};")]
    [InlineData("await {|RA0004:Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = -1 }, async (c, ct) => await chat.CompleteChatAsync(c))|};")]
    public Task DataSizedFanOutOfProviderCalls_ReportsDiagnostic(string statement) => Analyze($$"""
        class Orchestrator
        {
            // Two calls deep: SummarizeAsync → AskAsync → the SDK.
            static Task<string> SummarizeAsync(ChatClient chat, string chunk) => AskAsync(chat, "Summarize: " + chunk);

            static async Task<string> AskAsync(ChatClient chat, string prompt) => (await chat.CompleteChatAsync(prompt)).Value.Content[0].Text;

            async Task RunAsync(ChatClient chat, HttpClient http, List<string> chunks)
            {
                {{statement}}
            }
        }
        """);

    [Fact]
    public Task TasksAddedInALoop_ReportDiagnostic() => Analyze("""
        class Orchestrator
        {
            async Task RunAsync(ChatClient chat, IEnumerable<string> documents)
            {
                var tasks = new List<Task<string>>();
                foreach (var document in documents)
                {
                    tasks.Add(Task.Run(async () => (await chat.CompleteChatAsync(document)).Value.Content[0].Text));
                }

                await {|RA0004:Task.WhenAll(tasks)|};
            }

            async Task ByIndexAsync(HttpClient http, string[] urls)
            {
                var pending = new List<Task<string>>();
                for (var i = 0; i < urls.Length; i++)
                {
                    pending.Add(http.GetStringAsync(urls[i]));
                }

                await {|RA0004:Task.WhenAny(pending)|};
            }
        }
        """);

    [Fact]
    public async Task CallsThroughMicrosoftExtensionsAI_AreProviderCalls()
    {
        var test = new Verify.Test
        {
            TestCode = """
                using System.Collections.Generic;
                using System.Linq;
                using System.Threading.Tasks;
                using Microsoft.Extensions.AI;

                class Ingest
                {
                    async Task EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> embeddings, List<string> definitions)
                    {
                        var tasks = definitions.Select(d => Task.Run(async () => (await embeddings.GenerateAsync(d)).Vector));
                        await {|RA0004:Task.WhenAll(tasks)|};
                    }

                    Task<ChatResponse[]> AskAllAsync(IChatClient chat, List<string> questions)
                        => {|RA0004:Task.WhenAll(questions.Select(q => chat.GetResponseAsync(q)))|};
                }
                """,
        };
        test.ReferenceAssemblies = TestReferences.WithExtensionsAI;
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task Message_NamesTheCallAndTheItems() => Verify.VerifyAnalyzerAsync(
        Usings + """
        class Orchestrator
        {
            async Task RunAsync(ChatClient chat, List<string> chunks) => await {|#0:Task.WhenAll(chunks.Select(c => chat.CompleteChatAsync(c)))|};
        }
        """,
        Verify.Diagnostic("RA0004").WithLocation(0).WithArguments("Task.WhenAll", "'chunks'"));

    // ---------------------------------------------------------------- The application's own layers (interfaces, abstract and virtual methods)

    private const string Layers = """
        interface IEmbedService
        {
            Task<string> EmbedAsync(string text);
        }

        interface ISummarizer
        {
            Task<string> SummarizeAsync(string text);
        }

        interface IWorker<T>
        {
            Task<T> WorkAsync(T item);
        }

        interface IUnimplemented
        {
            Task<string> RunAsync(string input);
        }

        abstract class Agent
        {
            public abstract Task<string> RunAsync(string input);

            public virtual Task<string> ReviewAsync(string input) => Task.FromResult(input);
        }

        // Reaches the SDK through an interface.
        sealed class OpenAIEmbedService(ChatClient chat) : IEmbedService
        {
            public async Task<string> EmbedAsync(string text) => (await chat.CompleteChatAsync(text)).Value.Content[0].Text;
        }

        // Local work only.
        sealed class LocalSummarizer : ISummarizer
        {
            public Task<string> SummarizeAsync(string text) => Task.FromResult(text.Substring(0, Math.Min(80, text.Length)));
        }

        // An abstract method overridden with a provider call; a virtual method overridden with one.
        sealed class WriterAgent(HttpClient http) : Agent
        {
            public override Task<string> RunAsync(string input) => http.GetStringAsync("https://api.example.test/v1/write?q=" + input);

            public override async Task<string> ReviewAsync(string input) => await http.GetStringAsync("https://api.example.test/v1/review?q=" + input);
        }

        sealed class Echo : IWorker<string>
        {
            public Task<string> WorkAsync(string item) => Task.FromResult(item);
        }

        sealed class Asker(ChatClient chat) : IWorker<int>
        {
            public async Task<int> WorkAsync(int item) => (await chat.CompleteChatAsync(item.ToString())).Value.Content.Count;
        }
        """;

    private static Task AnalyzeLayers(string body) => Analyze(Layers + body);

    [Theory]
    [InlineData("await Task.WhenAll(chunks.Select(c => summarizer.SummarizeAsync(c)));")]
    [InlineData("await Task.WhenAll(chunks.Select(c => unimplemented.RunAsync(c)));")]
    [InlineData("await Task.WhenAll(chunks.Select(async c => { await Gate.WaitAsync(); try { return await embed.EmbedAsync(c); } finally { Gate.Release(); } }));")]
    [InlineData("await Task.WhenAll(chunks.Take(8).Select(c => agent.RunAsync(c)));")]
    [InlineData("await RetryAnalyzers.Runtime.BoundedFanOut.SelectAsync(chunks, (c, _) => embed.EmbedAsync(c), 4);")]
    public Task CallsThroughLayersThatDoLocalWorkOrAreBounded_NoDiagnostic(string statement) => AnalyzeLayers($$"""
        class Orchestrator(IEmbedService embed, ISummarizer summarizer, IUnimplemented unimplemented, Agent agent)
        {
            static readonly SemaphoreSlim Gate = new(4);

            async Task RunAsync(List<string> chunks)
            {
                {{statement}}
            }
        }
        """);

    [Theory]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => embed.EmbedAsync(c)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => agent.RunAsync(c)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => agent.ReviewAsync(c)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => worker.WorkAsync(c.Length)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(chunks.Select(c => Task.Run(() => embed.EmbedAsync(c))))|};")]
    [InlineData("{|RA0004:Parallel.ForEach(chunks, c => agent.RunAsync(c).Wait())|};")]
    [InlineData("var tasks = new List<Task<string>>(); foreach (var c in chunks) { tasks.Add(EmbedOneAsync(c)); } await {|RA0004:Task.WhenAll(tasks)|};")]
    public Task CallsThroughTheApplicationsInterfacesAndOverrides_ReportDiagnostic(string statement) => AnalyzeLayers($$"""
        class Orchestrator(IEmbedService embed, Agent agent, IWorker<int> worker)
        {
            Task<string> EmbedOneAsync(string c) => embed.EmbedAsync(c);

            async Task RunAsync(List<string> chunks)
            {
                {{statement}}
            }
        }
        """);

    [Fact]
    public Task InterfaceImplementedByAVirtualOrAbstractMember_FollowsItsOverrides() => Analyze("""
        interface IStep
        {
            Task<string> ExecuteAsync(string input);
        }

        interface IPlan
        {
            Task<string> PlanAsync(string input);
        }

        abstract class StepBase : IStep
        {
            public virtual Task<string> ExecuteAsync(string input) => Task.FromResult(input);
        }

        sealed class ChatStep(ChatClient chat) : StepBase
        {
            public override async Task<string> ExecuteAsync(string input) => (await chat.CompleteChatAsync(input)).Value.Content[0].Text;
        }

        abstract class PlannerBase : IPlan
        {
            public abstract Task<string> PlanAsync(string input);
        }

        sealed class HttpPlanner(HttpClient http) : PlannerBase
        {
            public override Task<string> PlanAsync(string input) => http.GetStringAsync("https://api.example.test/v1/plan?q=" + input);
        }

        class Orchestrator
        {
            Task<string[]> StepsAsync(IStep step, List<string> inputs) => {|RA0004:Task.WhenAll(inputs.Select(i => step.ExecuteAsync(i)))|};

            Task<string[]> PlansAsync(IPlan planner, List<string> inputs) => {|RA0004:Task.WhenAll(inputs.Select(i => planner.PlanAsync(i)))|};
        }
        """);

    [Fact]
    public Task FanOutsOverComponents_DoNotFollowEachItemsImplementation() => Analyze("""
        interface IContextProvider
        {
            Task<string> InvokingAsync(string input);
        }

        abstract class Channel
        {
            public abstract Task ResetAsync();
        }

        sealed class SearchContextProvider(ChatClient chat) : IContextProvider
        {
            public async Task<string> InvokingAsync(string input) => (await chat.CompleteChatAsync(input)).Value.Content[0].Text;
        }

        sealed class AssistantChannel(HttpClient http) : Channel
        {
            public override Task ResetAsync() => http.DeleteAsync("https://api.example.test/v1/threads/current");
        }

        sealed class Document(string text)
        {
            // Not dispatched: the same body for every item, which calls the provider.
            public async Task<string> SummarizeAsync(ChatClient chat) => (await chat.CompleteChatAsync(text)).Value.Content[0].Text;
        }

        class Orchestrator
        {
            // One call per configured component, each to its own implementation: not a data-sized fan-out to one provider.
            Task<string[]> ContextAsync(List<IContextProvider> providers, string input) => Task.WhenAll(providers.Select(p => p.InvokingAsync(input)));

            async Task ResetAsync(IEnumerable<Channel> channels)
            {
                var resets = new List<Task>();
                foreach (var channel in channels)
                {
                    resets.Add(channel.ResetAsync());
                }

                await Task.WhenAll(resets);
                Parallel.ForEach(channels, c => c.ResetAsync().Wait());
            }

            Task<string[]> SummariesAsync(List<Document> documents, ChatClient chat) => {|RA0004:Task.WhenAll(documents.Select(d => d.SummarizeAsync(chat)))|};

            Task<string[]> OneProviderAsync(IContextProvider provider, List<string> inputs) => {|RA0004:Task.WhenAll(inputs.Select(i => provider.InvokingAsync(i)))|};
        }
        """);

    [Fact]
    public Task ProviderCallingImplementationsInTestCode_AreNotFollowed() => Analyze("""
        namespace App
        {
            public interface ISummarizer
            {
                Task<string> SummarizeAsync(string text);
            }

            public interface IRanker
            {
                Task<int> RankAsync(string text);
            }

            sealed class KeywordSummarizer : ISummarizer
            {
                public Task<string> SummarizeAsync(string text) => Task.FromResult(text.Split(' ')[0]);
            }

            class Orchestrator
            {
                Task<string[]> SummarizeAllAsync(ISummarizer summarizer, List<string> documents) => Task.WhenAll(documents.Select(d => summarizer.SummarizeAsync(d)));

                Task<int[]> RankAllAsync(IRanker ranker, List<string> documents) => Task.WhenAll(documents.Select(d => ranker.RankAsync(d)));
            }
        }

        namespace App.Tests
        {
            // An integration-test implementation that calls the real provider: not what the application runs.
            sealed class LiveSummarizer(ChatClient chat) : App.ISummarizer
            {
                public async Task<string> SummarizeAsync(string text) => (await chat.CompleteChatAsync(text)).Value.Content[0].Text;
            }
        }

        sealed class FakeRanker(HttpClient http) : App.IRanker
        {
            public async Task<int> RankAsync(string text) => (await http.GetStringAsync("https://api.example.test/v1/rank?q=" + text)).Length;
        }
        """);

    [Fact]
    public Task FrameworkInterfacesAndTooManyImplementations_AreNotFollowed() => Analyze($$"""
        interface IPlugin
        {
            Task<string> InvokeAsync(string input);
        }

        {{string.Concat(Enumerable.Range(0, 17).Select(i => $"sealed class Plugin{i}(ChatClient chat) : IPlugin {{ public async Task<string> InvokeAsync(string input) => (await chat.CompleteChatAsync(input)).Value.Content[0].Text; }}\n"))}}

        // A framework interface implemented with a provider call: not the application's own layer.
        sealed class Provider(ChatClient chat) : IProgress<string>
        {
            public void Report(string value) => chat.CompleteChat(value);
        }

        class Orchestrator
        {
            // More than 16 implementations: a plug-in point whose runtime choice the analyzer cannot know.
            Task<string[]> PluginsAsync(IPlugin plugin, List<string> inputs) => Task.WhenAll(inputs.Select(i => plugin.InvokeAsync(i)));

            void Report(IProgress<string> progress, List<string> inputs) => Parallel.ForEach(inputs, i => progress.Report(i));
        }
        """);

    [Fact]
    public Task ImplementationsBeyondTheHopLimit_AreNotFollowed() => Analyze("""
        interface IDeep
        {
            Task<string> RunAsync(ChatClient chat, string input);
        }

        sealed class Deep : IDeep
        {
            // The interface call is one hop, then Relay → Relay2 → Ask is three more.
            public Task<string> RunAsync(ChatClient chat, string input) => Relay(chat, input);
            static Task<string> Relay(ChatClient chat, string input) => Relay2(chat, input);
            static Task<string> Relay2(ChatClient chat, string input) => Ask(chat, input);
            static async Task<string> Ask(ChatClient chat, string input) => (await chat.CompleteChatAsync(input)).Value.Content[0].Text;
        }

        class Orchestrator
        {
            Task<string[]> RunAllAsync(IDeep deep, ChatClient chat, List<string> inputs) => Task.WhenAll(inputs.Select(i => deep.RunAsync(chat, i)));
        }
        """);

    // ---------------------------------------------------------------- Sets fixed in code and batches through locals

    [Theory]
    [InlineData("var batches = chunks.Chunk(8); foreach (var batch in batches) { await Task.WhenAll(batch.Select(c => chat.CompleteChatAsync(c))); }")]
    [InlineData("var entries = SampleEntries().ToList(); var tasks = entries.Select(e => Task.Run(async () => await chat.CompleteChatAsync(e))); await Task.WhenAll(tasks);")]
    [InlineData("await Task.WhenAll(SixSamples().Select(e => chat.CompleteChatAsync(e)));")]
    [InlineData("await Task.WhenAll(SampleArray().Select(e => chat.CompleteChatAsync(e)));")]
    [InlineData("await Task.WhenAll(SampleCollection().Select(e => chat.CompleteChatAsync(e)));")]
    [InlineData("var prompts = new[] { \"plan\", \"critique\", \"revise\" }; await Task.WhenAll(prompts.Select(p => chat.CompleteChatAsync(p)));")]
    [InlineData("var first = chunks.Take(8).ToList(); await Task.WhenAll(first.Select(c => chat.CompleteChatAsync(c)));")]
    [InlineData("await Task.WhenAll(Enumerable.Range(0, 8).Select(i => chat.CompleteChatAsync(i.ToString())));")]
    public Task FixedSetsAndBatchesThroughLocalsAndMethods_NoDiagnostic(string statement) => Analyze($$"""
        class Orchestrator
        {
            static IEnumerable<string> SampleEntries()
            {
                yield return "API: Application Programming Interface";
                yield return "RAG: Retrieval Augmented Generation";
                yield return "Connectors: integrations";
            }

            static IEnumerable<string> SixSamples()
            {
                yield return "a"; yield return "b"; yield return "c"; yield return "d"; yield return "e"; yield return "f";
            }

            static string[] SampleArray() => new[] { "a", "b" };

            static List<string> SampleCollection() { return ["a", "b", "c"]; }

            async Task RunAsync(ChatClient chat, List<string> chunks)
            {
                {{statement}}
            }
        }
        """);

    [Theory]
    [InlineData("await {|RA0004:Task.WhenAll(LoadAll(chunks).Select(e => chat.CompleteChatAsync(e)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(Spread(chunks).Select(e => chat.CompleteChatAsync(e)))|};")]
    [InlineData("{|RA0004:Parallel.ForEach([.. chunks], c => chat.CompleteChat(c))|};")]
    [InlineData("List<string> all = [.. chunks]; await {|RA0004:Task.WhenAll(all.Select(e => chat.CompleteChatAsync(e)))|};")]
    [InlineData("await {|RA0004:Task.WhenAll(Enumerable.Range(0, 9).Select(i => chat.CompleteChatAsync(i.ToString())))|};")]
    [InlineData("var copy = chunks.ToList(); var again = copy; await {|RA0004:Task.WhenAll(again.Select(c => chat.CompleteChatAsync(c)))|};")]
    [InlineData("var groups = chunks.GroupBy(c => c.Length); foreach (var g in groups) { await {|RA0004:Task.WhenAll(g.Select(c => chat.CompleteChatAsync(c)))|}; }")]
    [InlineData("await {|RA0004:Task.WhenAll(NineSamples().Select(e => chat.CompleteChatAsync(e)))|};")]
    public Task DataSizedSetsThroughLocalsAndMethods_ReportDiagnostic(string statement) => Analyze($$"""
        class Orchestrator
        {
            static IEnumerable<string> LoadAll(List<string> source)
            {
                foreach (var s in source)
                {
                    yield return s.Trim();
                }
            }

            static List<string> Spread(List<string> source) => [.. source, "tail"];

            static string[] NineSamples() => new[] { "a", "b", "c", "d", "e", "f", "g", "h", "i" };

            async Task RunAsync(ChatClient chat, List<string> chunks)
            {
                {{statement}}
            }
        }
        """);

    [Fact]
    public Task FanOutsThroughUsingStatic_AreSeen() => Analyze("""
        using static System.Threading.Tasks.Task;

        class Orchestrator
        {
            Task<System.ClientModel.ClientResult<ChatCompletion>[]> RunAsync(ChatClient chat, List<string> chunks) => {|RA0004:WhenAll(chunks.Select(c => chat.CompleteChatAsync(c)))|};
        }
        """);

    // ---------------------------------------------------------------- CodeFix (each test also runs Fix All)

    [Fact]
    public Task Projection_FixesToBoundedFanOut_KeepingOrderAndCancellation() => Verify.VerifyCodeFixAsync(
        """
        using System.Collections.Generic;
        using System.Linq;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenAI.Chat;

        class Orchestrator
        {
            async Task<string[]> SummariesAsync(HttpClient http, List<string> urls, CancellationToken ct)
                => await {|RA0004:Task.WhenAll(urls.Select(u => http.GetStringAsync("https://api.example.test/v1/summaries/" + u, ct)))|};

            async Task NotifyAsync(ChatClient chat, List<string> chunks)
                => await {|RA0004:Task.WhenAll(chunks.Select(async c => { await chat.CompleteChatAsync(c); }).ToList())|};
        }
        """,
        """
        using System.Collections.Generic;
        using System.Linq;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenAI.Chat;
        using RetryAnalyzers.Runtime;

        class Orchestrator
        {
            async Task<string[]> SummariesAsync(HttpClient http, List<string> urls, CancellationToken ct)
                => await BoundedFanOut.SelectAsync(urls, (u, _) => http.GetStringAsync("https://api.example.test/v1/summaries/" + u, ct), maxConcurrency: 4, cancellationToken: ct);

            async Task NotifyAsync(ChatClient chat, List<string> chunks)
                => await BoundedFanOut.ForEachAsync(chunks, async (c, _) => { await chat.CompleteChatAsync(c); }, maxConcurrency: 4);
        }
        """);

    [Fact]
    public Task Projection_WhoseLambdaBodyIsOnTheNextLine_KeepsItIndented() => Verify.VerifyCodeFixAsync(
        """
        using System.Collections.Generic;
        using System.Linq;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;

        class Orchestrator
        {
            async Task<string[]> SummariesAsync(HttpClient http, List<string> urls, CancellationToken ct)
            {
                return await {|RA0004:Task.WhenAll(urls.Select(u =>
                    http.GetStringAsync("https://api.example.test/v1/summaries/" + u, ct)))|};
            }
        }
        """,
        """
        using System.Collections.Generic;
        using System.Linq;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using RetryAnalyzers.Runtime;

        class Orchestrator
        {
            async Task<string[]> SummariesAsync(HttpClient http, List<string> urls, CancellationToken ct)
            {
                return await BoundedFanOut.SelectAsync(urls, (u, _) =>
                    http.GetStringAsync("https://api.example.test/v1/summaries/" + u, ct), maxConcurrency: 4, cancellationToken: ct);
            }
        }
        """);

    [Fact]
    public Task ParallelForEach_FixesToABoundedDegree() => Verify.VerifyCodeFixAsync(
        """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using OpenAI.Chat;

        class Orchestrator
        {
            async Task RunAsync(ChatClient chat, List<string> chunks)
            {
                {|RA0004:Parallel.ForEach(chunks, c => chat.CompleteChat(c))|};
                {|RA0004:Parallel.ForEach(chunks, new ParallelOptions(), c => chat.CompleteChat(c))|};
                await {|RA0004:Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = -1 }, async (c, ct) => await chat.CompleteChatAsync(c))|};
            }
        }
        """,
        """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using OpenAI.Chat;

        class Orchestrator
        {
            async Task RunAsync(ChatClient chat, List<string> chunks)
            {
                Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = 4 }, c => chat.CompleteChat(c));
                Parallel.ForEach(chunks, new ParallelOptions() { MaxDegreeOfParallelism = 4 }, c => chat.CompleteChat(c));
                await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (c, ct) => await chat.CompleteChatAsync(c));
            }
        }
        """);

    [Fact]
    public async Task TheConcurrency_ComesFromEditorConfig()
    {
        var test = new Verify.Test
        {
            TestCode = """
                using System.Collections.Generic;
                using System.Threading.Tasks;
                using OpenAI.Chat;

                class Orchestrator
                {
                    void Run(ChatClient chat, List<string> chunks) => {|RA0004:Parallel.ForEach(chunks, c => chat.CompleteChat(c))|};
                }
                """,
            FixedCode = """
                using System.Collections.Generic;
                using System.Threading.Tasks;
                using OpenAI.Chat;

                class Orchestrator
                {
                    void Run(ChatClient chat, List<string> chunks) => Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = 8 }, c => chat.CompleteChat(c));
                }
                """,
        };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\ndotnet_diagnostic.RA0004.max_concurrency = 8\n"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task LoopFilledListsAndWhenAny_AreReportedWithoutAFix() => Verify.VerifyNoFixAsync(Usings + """
        class Orchestrator
        {
            async Task RunAsync(ChatClient chat, List<string> chunks)
            {
                var tasks = new List<Task>();
                foreach (var chunk in chunks)
                {
                    tasks.Add(chat.CompleteChatAsync(chunk));
                }

                await {|RA0004:Task.WhenAll(tasks)|};
                await {|RA0004:Task.WhenAny(chunks.Select(c => chat.CompleteChatAsync(c)))|};
            }
        }
        """);

    // ---------------------------------------------------------------- Determinism

    private const string Helpers = """
        static class Chain
        {
            // Three hops from a fan-out reach the SDK: L1 → L2 → L3 → the SDK.
            public static Task<string> L1(ChatClient chat, string c) => L2(chat, c);
            public static Task<string> L2(ChatClient chat, string c) => L3(chat, c);
            public static async Task<string> L3(ChatClient chat, string c) => (await chat.CompleteChatAsync(c)).Value.Content[0].Text;

            // Four hops: beyond the depth followed, from Deep0 only; Deep1 is within it.
            public static Task<string> Deep0(ChatClient chat, string c) => Deep1(chat, c);
            public static Task<string> Deep1(ChatClient chat, string c) => Deep2(chat, c);
            public static Task<string> Deep2(ChatClient chat, string c) => Deep3(chat, c);
            public static async Task<string> Deep3(ChatClient chat, string c) => (await chat.CompleteChatAsync(c)).Value.Content[0].Text;

            // Mutual recursion that reaches the SDK.
            public static Task<string> Ping(ChatClient chat, string c, int n) => n > 0 ? Pong(chat, c, n - 1) : Task.FromResult(c);
            public static async Task<string> Pong(ChatClient chat, string c, int n) => n % 2 == 0 ? (await chat.CompleteChatAsync(c)).Value.Content[0].Text : await Ping(chat, c, n);
        }
        """;

    [Fact]
    public async Task TheSameCompilation_AnalyzedManyTimesWithConcurrentExecution_GivesIdenticalDiagnostics()
    {
        // Before: a method's cached answer depended on the depth it was first computed at and on a temporary "none"
        // written while computing, so identical source gave 2, 0, 0, 1, 0, 2 diagnostics over six runs.
        var trees = Enumerable.Range(0, 8)
            .Select(i => CSharpSyntaxTree.ParseText(Usings + $$"""
                class Orchestrator{{i}}
                {
                    async Task RunAsync(ChatClient chat, List<string> chunks)
                    {
                        await Task.WhenAll(chunks.Select(c => Chain.{{(i % 2 == 0 ? "Deep0" : "Deep1")}}(chat, c)));
                        await Task.WhenAll(chunks.Select(c => Chain.{{(i % 2 == 0 ? "Deep1" : "Deep0")}}(chat, c)));
                        await Task.WhenAll(chunks.Select(c => Chain.L{{(i % 3) + 1}}(chat, c)));
                        await Task.WhenAll(chunks.Select(c => Chain.Ping(chat, c, 3)));
                    }
                }
                """, path: $"Orchestrator{i}.cs"))
            .Append(CSharpSyntaxTree.ParseText(Usings + Helpers, path: "Chain.cs"));
        await AssertIdenticalOverRunsAsync(trees, expected: 3 * 8); // per file: Deep1, L1–L3, Ping; never Deep0 (four hops)
    }

    [Fact]
    public async Task CallsThroughInterfaces_AnalyzedManyTimesWithConcurrentExecution_GiveIdenticalDiagnostics()
    {
        // Each file calls through the layers at a different depth, so the first to ask builds the implementation map
        // and fills the per-hop caches from a different place every run.
        var trees = Enumerable.Range(0, 8)
            .Select(i => CSharpSyntaxTree.ParseText(Usings + $$"""
                class Caller{{i}}(IStage stage, Stage{{i}} concrete)
                {
                    async Task RunAsync(List<string> chunks)
                    {
                        await Task.WhenAll(chunks.Select(c => stage.RunAsync(c)));
                        await Task.WhenAll(chunks.Select(c => concrete.RunAsync(c)));
                        await Task.WhenAll(chunks.Select(c => Relay.Through{{i % 3}}(stage, c)));
                    }
                }

                sealed class Stage{{i}}(ChatClient chat) : IStage
                {
                    public {{(i == 7 ? "async " : string.Empty)}}Task<string> RunAsync(string c) => {{(i == 7 ? "(await chat.CompleteChatAsync(c)).Value.Content[0].Text" : "Task.FromResult(c)")}};
                }
                """, path: $"Caller{i}.cs"))
            .Append(CSharpSyntaxTree.ParseText(Usings + """
                interface IStage
                {
                    Task<string> RunAsync(string c);
                }

                static class Relay
                {
                    // Interface call at hop 1, 2 and 3 from the fan-out; at 3 the implementation's body is beyond the limit.
                    public static Task<string> Through0(IStage stage, string c) => stage.RunAsync(c);
                    public static Task<string> Through1(IStage stage, string c) => Through0(stage, c);
                    public static Task<string> Through2(IStage stage, string c) => Through1(stage, c);
                }
                """, path: "Relay.cs"));

        // Per file: the interface call; Through0 and Through1 in the files that use them; the concrete call in Caller7 only.
        await AssertIdenticalOverRunsAsync(trees, expected: 8 + 3 + 3 + 1);
    }

    private static async Task AssertIdenticalOverRunsAsync(IEnumerable<SyntaxTree> trees, int expected)
    {
        await TestReferences.EnsureResolvedAsync();
        var references = (await TestReferences.Net80WithPolly.ResolveAsync(LanguageNames.CSharp, CancellationToken.None)).Add(TestReferences.Runtime);
        var compilation = CSharpCompilation.Create(
            "Determinism",
            trees,
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var runs = new List<string>();
        for (var run = 0; run < 12; run++)
        {
            var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new RA0004UnboundedFanOutAnalyzer());
            var options = new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                onAnalyzerException: null,
                concurrentAnalysis: true,
                logAnalyzerExecutionTime: false);
            var diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync();
            runs.Add(string.Join("\n", diagnostics.Select(d => d.Location.GetLineSpan().Path + ":" + d.Location.GetLineSpan().StartLinePosition.Line + " " + d.Id).OrderBy(x => x, StringComparer.Ordinal)));
            Assert.Equal(expected, diagnostics.Length);
        }

        Assert.All(runs, text => Assert.Equal(runs[0], text));
    }
}
