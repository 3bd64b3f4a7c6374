// Harness sample for RA0003 (needs --package OpenAI@2.1.0): consume-nupkg.sh --expect RA0003=4 and format-fix.sh ... RA0003.
// Each "RA0003" comment marks one expected diagnostic; the other types must stay quiet.
using OpenAI.Chat;

namespace HarnessSample;

public sealed class ResearchAgent
{
    private readonly ChatClient _chat = new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!); // RA0003

    public string Ask(string question) => _chat.CompleteChat(question).Value.Content[0].Text;
}

public sealed class WriterAgent
{
    private readonly ChatClient _chat = new ChatClient("gpt-4o", Environment.GetEnvironmentVariable("OPENAI_API_KEY")!); // RA0003

    public string Write(string brief) => _chat.CompleteChat(brief).Value.Content[0].Text;
}

public sealed class Reviewers
{
    private static readonly string Key = Environment.GetEnvironmentVariable("OPENAI_API_KEY_REVIEW")!;

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
}

// Quiet: its own key.
public sealed class CriticAgent
{
    private readonly ChatClient _chat = new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY_CRITIC_AGENT")!);

    public string Critique(string text) => _chat.CompleteChat(text).Value.Content[0].Text;
}
