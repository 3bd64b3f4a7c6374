using System.ClientModel;
using OpenAI.Chat;

namespace SeedOrchestrator;

/// <summary>The one place the sub-agents call the model.</summary>
internal static class Llm
{
    // The seed's tenacity decorator: @retry(retry=retry_if_exception(is_rate_limit), wait=wait_fixed(1), stop=stop_after_attempt(5))
    public static async Task<ChatCompletion> CompleteAsync(ChatClient chat, IEnumerable<ChatMessage> messages, ChatCompletionOptions options, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                return await chat.CompleteChatAsync(messages, options, cancellationToken);
            }
            catch (ClientResultException e) when (e.Status == 429)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }

        throw new InvalidOperationException("rate limited: gave up after 5 attempts");
    }
}
