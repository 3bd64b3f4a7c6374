namespace RetryAnalyzers.Tests.Verifiers;

/// <summary>Test sources shared by the RA0001 and RA0002 tests: the same retry site, one rule's valid case is the other's diagnostic.</summary>
internal static class RetrySources
{
    /// <summary>A <c>for</c> retry loop (counter <c>attempt</c>, a local <c>delay</c>) that runs <paramref name="wait"/> after a failure.</summary>
    public static string ForLoop(string wait) => $$"""
        class C
        {
            static int NextDelay(int attempt) => 100;

            async Task<string> GetAsync(HttpClient http)
            {
                var delay = 100;
                for (var attempt = 0; attempt < 5; attempt++)
                {
                    try
                    {
                        return await http.GetStringAsync("https://example.test");
                    }
                    catch (HttpRequestException)
                    {
                        {{wait}}
                    }
                }

                throw new InvalidOperationException();
            }
        }
        """;
}
