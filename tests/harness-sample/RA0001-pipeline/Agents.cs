namespace HarnessSample;

public sealed class ResearchAgent
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri("http://127.0.0.1:9/") };

    public async Task<string> SummarizeAsync(string chunk, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                return await _http.GetStringAsync("v1/summarize?chunk=" + Uri.EscapeDataString(chunk), cancellationToken);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(1000, cancellationToken); // RA0001
            }
        }

        throw new InvalidOperationException("the provider kept failing");
    }

    public async Task<string> ListModelsAsync()
    {
        var attempt = 0;
        while (attempt < 3)
        {
            try
            {
                return await _http.GetStringAsync("v1/models");
            }
            catch (HttpRequestException)
            {
                attempt++;
                await Task.Delay(500); // RA0001
            }
        }

        return "";
    }
}
