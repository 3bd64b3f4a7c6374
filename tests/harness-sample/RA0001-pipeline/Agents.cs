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

public sealed class ChatAgent
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri("http://127.0.0.1:9/") };

    public async Task<string> CompleteAsync(string prompt, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var response = await _http.PostAsync("v1/chat/completions", new StringContent(prompt), cancellationToken);
            if (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
            {
                await Task.Delay(1000, cancellationToken); // RA0001, RA0005
                continue;
            }

            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsStringAsync(cancellationToken);
        }

        throw new InvalidOperationException("still rate limited");
    }
}
