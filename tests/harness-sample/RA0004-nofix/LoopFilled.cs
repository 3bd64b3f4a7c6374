// Harness sample for RA0004 sites that are reported but have no automatic fix (consume-nupkg.sh --expect RA0004=2).
namespace HarnessSample;

public static class LoopFilled
{
    public static async Task<string[]> Summaries(HttpClient http, IEnumerable<string> docs)
    {
        var tasks = new List<Task<string>>();
        foreach (var doc in docs)
        {
            tasks.Add(Task.Run(() => AskAsync(http, doc)));
        }

        return await Task.WhenAll(tasks); // RA0004
    }

    public static Task<string> Fastest(HttpClient http, IEnumerable<string> models)
        => Task.WhenAny(models.Select(m => http.GetStringAsync("https://example.test/v1/answer?model=" + m))).Unwrap(); // RA0004

    private static Task<string> AskAsync(HttpClient http, string doc) => http.GetStringAsync("https://example.test/ask?q=" + doc);
}
