// Harness sample for RA0003 (needs --package OpenAI@2.1.0): consume-nupkg.sh --expect RA0003=2 and format-fix.sh ... RA0003.
// Each "RA0003" comment marks one expected diagnostic; the other types must stay quiet. Agents across types are
// reported at the end of the compilation (builds); the per-item case, reported as you type, is in ../RA0003-peritem.
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

// Quiet: its own key.
public sealed class CriticAgent
{
    private readonly ChatClient _chat = new("gpt-4o-mini", Environment.GetEnvironmentVariable("OPENAI_API_KEY_CRITIC_AGENT")!);

    public string Critique(string text) => _chat.CompleteChat(text).Value.Content[0].Text;
}
