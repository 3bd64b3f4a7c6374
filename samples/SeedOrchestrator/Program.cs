using SeedOrchestrator;

// The seed case: an orchestrator splits a long report into 12 chunks and starts one sub-agent per chunk, all at once,
// on the team's one key. Each sub-agent asks the model five things about its chunk. Every call is retried on 429 after
// a fixed 1 s, at most 5 attempts (the seed's tenacity `wait_fixed(1)`, `stop_after_attempt(5)`): see Llm.cs.
var apiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY") ?? throw new InvalidOperationException("set OPENAI_API_KEY");
var endpoint = new Uri(Environment.GetEnvironmentVariable("OPENAI_BASE_URL") ?? "https://api.openai.com/v1");

var chunks = Report.Chunks(count: 12);
try
{
    var findings = await new Orchestrator(apiKey, endpoint).RunAsync(chunks, CancellationToken.None);
    Console.WriteLine($"done: {findings.Length} sub-agents, {findings.Sum(f => f.Answers.Count)} answers");
    return 0;
}
catch (Exception e)
{
    Console.WriteLine($"failed: {e.GetType().Name}: {e.Message}");
    return 1;
}
