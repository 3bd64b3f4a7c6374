// Harness sample for RA0007 (needs --package OpenAI@2.1.0 and Polly.Core): consume-nupkg.sh --expect RA0007=2 and format-fix.sh ... RA0007.
// Each "RA0007" comment marks one expected diagnostic; the other members must stay quiet.
using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;
using Polly;
using Polly.Retry;

namespace HarnessSample;

public sealed class SdkUnderRetry
{
    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, UseJitter = true })
        .Build();

    private readonly ChatClient _chat = new ChatClient("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!); // RA0007

    private readonly ChatClient _quiet = new ChatClient("gpt-4o-mini", new ApiKeyCredential("key"), new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });

    public async Task<string> SummarizeAsync(string text, CancellationToken ct)
        => await _retry.ExecuteAsync(async token => (await _chat.CompleteChatAsync(new ChatMessage[] { text }, cancellationToken: token)).Value.Content[0].Text, ct);

    public async Task<string> TranslateAsync(string text, CancellationToken ct)
    {
        var chat = new OpenAIClient(new ApiKeyCredential("key"), new OpenAIClientOptions { Endpoint = new Uri("https://example.test/v1") }).GetChatClient("gpt-4o-mini"); // RA0007
        return await _retry.ExecuteAsync(async token => (await chat.CompleteChatAsync(new ChatMessage[] { text }, cancellationToken: token)).Value.Content[0].Text, ct);
    }

    public async Task<string> QuietAsync(string text, CancellationToken ct)
        => await _retry.ExecuteAsync(async token => (await _quiet.CompleteChatAsync(new ChatMessage[] { text }, cancellationToken: token)).Value.Content[0].Text, ct);
}
