using System;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using OpenAI;

namespace RetryAnalyzers.Runtime.AI.Tests;

/// <summary><c>EmbeddingGeneratorBuilder.UseProviderResilience</c> over the real OpenAI adapter: a 429 retried after its Retry-After, the spend reconciled to the usage.</summary>
public sealed class EmbeddingGeneratorMiddlewareTests
{
    private const string Embeddings =
        "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.25,0.5]}],\"model\":\"sim\",\"usage\":{\"prompt_tokens\":7,\"total_tokens\":7}}";

    [Fact]
    public async Task A429_IsRetried_AndTheBudgetSpendsTheReportedUsage()
    {
        using var server = ChatClientMiddlewareTests.Answering(index => index == 0 ? (429, "retry-after-ms", "50") : (200, null, null), Embeddings);
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1_000, Burst = 100_000, TimeProvider = new FakeTimeProvider() });
        var options = new OpenAIClientOptions { Endpoint = new Uri(server.Url), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };
        var generator = new EmbeddingGeneratorBuilder<string, Embedding<float>>(
                new OpenAI.Embeddings.EmbeddingClient("sim", new ApiKeyCredential("sk-test-meai"), options).AsIEmbeddingGenerator())
            .UseProviderResilience(new ProviderResilienceOptions { Budget = budget, BaseDelay = TimeSpan.FromMilliseconds(5) }, _ => 500)
            .Build();

        var embeddings = await generator.GenerateAsync(new[] { "hello" });

        Assert.Equal(new[] { 0.25f, 0.5f }, embeddings[0].Vector.ToArray());
        Assert.Equal(2, server.Requests);
        Assert.Equal(100_000 - 7, budget.AvailableTokens); // the failed attempt was refunded; the answer cost what it reported
    }
}
