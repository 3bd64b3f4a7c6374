using System;
using System.ClientModel;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using OpenAI;
using OpenAI.Chat;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>
/// A streamed answer reconciles the budget when the caller has read it to the end, from the usage of its last event —
/// through the handler and through the System.ClientModel policy (the real OpenAI SDK streaming) — and keeps the
/// estimate when the stream is left unfinished or carries only part of a usage.
/// </summary>
public sealed class StreamingUsageTests
{
    private const long Estimate = 1_000;
    private const long Burst = 100_000;

    private const string Chunk = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"sim\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":null}]}";
    private const string UsageChunk = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"sim\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":20,\"total_tokens\":30}}";
    private const string PartialUsage = "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":20}}";

    private static LoopbackServer Streaming(params string[] events) => new(async (context, _) =>
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        foreach (var data in events)
        {
            var bytes = Encoding.UTF8.GetBytes("data: " + data + "\n\n");
            await context.Response.OutputStream.WriteAsync(bytes);
            await context.Response.OutputStream.FlushAsync();
        }
    });

    private static TokenBudget Budget() => new(new TokenBudgetOptions { TokensPerSecond = 1_000, Burst = Burst, TimeProvider = new FakeTimeProvider() });

    private static HttpClient Http(TokenBudget budget)
        => new(new ProviderResilienceHandler(new ProviderResilienceOptions { Budget = budget }, _ => Estimate) { InnerHandler = new HttpClientHandler() });

    [Fact]
    public async Task Handler_ReconcilesWhenTheStreamIsReadToTheEnd()
    {
        using var server = Streaming(Chunk, UsageChunk, "[DONE]");
        using var budget = Budget();
        using var http = Http(budget);

        using var response = await http.GetAsync(server.Url, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(Burst - Estimate, budget.AvailableTokens); // the stream is not read yet: the estimate stands

        var body = await response.Content.ReadAsStringAsync();

        Assert.Contains("\"total_tokens\":30", body, StringComparison.Ordinal); // the caller reads every byte unchanged
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Burst - 30, budget.AvailableTokens);
    }

    [Fact]
    public async Task Handler_KeepsTheEstimate_ForAStreamLeftUnfinished_OrAPartialUsage()
    {
        using var server = Streaming(Chunk, UsageChunk, "[DONE]");
        using var budget = Budget();
        using var http = Http(budget);
        using (var response = await http.GetAsync(server.Url, HttpCompletionOption.ResponseHeadersRead))
        {
            await using var stream = await response.Content.ReadAsStreamAsync();
            Assert.True(await stream.ReadAsync(new byte[8]) > 0); // a few bytes, then the caller gives up
        }

        Assert.Equal(Burst - Estimate, budget.AvailableTokens);

        using var partialServer = Streaming(Chunk, PartialUsage);
        using var partialBudget = Budget();
        using var partialHttp = Http(partialBudget);
        _ = await partialHttp.GetStringAsync(partialServer.Url); // read to the end: only output tokens were given

        Assert.Equal(Burst - Estimate, partialBudget.AvailableTokens);
    }

    [Fact]
    public async Task Policy_ReconcilesAStreamedCompletion_WhenTheSdkHasReadIt()
    {
        using var server = Streaming(Chunk, UsageChunk, "[DONE]");
        using var budget = Budget();
        var options = new OpenAIClientOptions { Endpoint = new Uri(server.Url) }.UseProviderResilience(new ProviderResilienceOptions { Budget = budget }, _ => Estimate);
        var client = new ChatClient("sim", new ApiKeyCredential("sk-test-stream"), options);

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in client.CompleteChatStreamingAsync("hello"))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        Assert.Equal("ok", text.ToString());
        Assert.Equal(30, usage?.TotalTokenCount);
        Assert.Equal(Burst - 30, budget.AvailableTokens);
    }
}
