using OpenAI.Chat;

namespace SeedOrchestrator;

/// <summary>What a sub-agent found in its chunk: one answer per question.</summary>
internal sealed record Findings(IReadOnlyList<string> Answers);

/// <summary>Reads one chunk of the report and asks the model five questions about it, one after the other.</summary>
internal sealed class SubAgent
{
    private static readonly string[] Questions =
    [
        "List the key facts in this part of the report.",
        "Summarize this part of the report in five sentences.",
        "Extract every person, organisation and place named in this part of the report.",
        "List the open questions this part of the report leaves.",
        "Write a one-paragraph abstract of this part of the report.",
    ];

    private readonly ChatClient _chat;

    public SubAgent(ChatClient chat) => _chat = chat;

    public async Task<Findings> RunAsync(string chunk, CancellationToken cancellationToken)
    {
        var answers = new List<string>();
        foreach (var question in Questions)
        {
            ChatMessage[] messages =
            [
                new SystemChatMessage("You are a careful analyst. Answer only from the text you are given."),
                new UserChatMessage(question + "\n\n" + chunk),
            ];
            var completion = await Llm.CompleteAsync(_chat, messages, new ChatCompletionOptions { MaxOutputTokenCount = 1_000 }, cancellationToken);
            answers.Add(completion.Content.Count > 0 ? completion.Content[0].Text : string.Empty);
        }

        return new Findings(answers);
    }
}
