// Harness sample for RA0003's per-item case (needs --package OpenAI@2.1.0): consume-nupkg.sh --expect RA0003=3,
// format-fix.sh ... RA0003, and lsp-check.sh (reported as you type, unlike the across-types case in ../RA0003).
// Each "RA0003" comment marks one expected diagnostic; the rest must stay quiet.
using OpenAI;
using OpenAI.Chat;

namespace HarnessSample;

public sealed class Worker(ChatClient chat)
{
    public string Ask(string question) => chat.CompleteChat(question).Value.Content[0].Text;
}

public sealed class Orchestrator
{
    private static readonly string Key = Environment.GetEnvironmentVariable("OPENAI_API_KEY_REVIEW")!;

    // A swarm on the caller's one key.
    public List<Worker> Start(string apiKey) => Enumerable.Range(0, 7).Select(_ => new Worker(new OpenAIClient(apiKey).GetChatClient("gpt-4o-mini"))).ToList(); // RA0003

    public List<ChatClient> PerRole(IEnumerable<string> roles) => roles.Select(_ => new ChatClient("gpt-4o-mini", Key)).ToList(); // RA0003

    public List<ChatClient> PerRoleLoop(IEnumerable<string> roles)
    {
        var clients = new List<ChatClient>();
        foreach (var role in roles)
        {
            clients.Add(new ChatClient("gpt-4o-mini", Key)); // RA0003
        }

        return clients;
    }

    // Quiet: a key per item.
    public List<ChatClient> PerAgentKey(IReadOnlyDictionary<string, string> keys) => keys.Select(pair => new ChatClient("gpt-4o-mini", pair.Value)).ToList();
}
