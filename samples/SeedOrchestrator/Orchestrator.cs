using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;

namespace SeedOrchestrator;

/// <summary>Starts one sub-agent per chunk, all at once, and waits for all of them.</summary>
internal sealed class Orchestrator
{
    private const string Model = "gpt-4o-mini";

    private readonly string _apiKey;
    private readonly Uri _endpoint;

    public Orchestrator(string apiKey, Uri endpoint)
    {
        _apiKey = apiKey;
        _endpoint = endpoint;
    }

    public async Task<Findings[]> RunAsync(IReadOnlyList<string> chunks, CancellationToken cancellationToken)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = _endpoint,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // Llm.CompleteAsync does the retrying
        };

        // Every sub-agent gets its own client, all of them on the team's one key.
        return await Task.WhenAll(chunks.Select(chunk =>
            new SubAgent(new ChatClient(Model, new ApiKeyCredential(_apiKey), options)).RunAsync(chunk, cancellationToken)));
    }
}
