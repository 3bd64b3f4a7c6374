// Harness sample for RA0004: consume-nupkg.sh --expect RA0004=4 and format-fix.sh ... RA0004.
// Each "RA0004" comment marks one expected diagnostic; the other methods must stay quiet.
using System.Net.Http.Json;

namespace HarnessSample;

public static class FanOuts
{
    private static readonly SemaphoreSlim Gate = new(4);

    public static Task<string[]> FetchAll(HttpClient http, IReadOnlyList<string> urls, CancellationToken ct)
        => Task.WhenAll(urls.Select(u => http.GetStringAsync("https://example.test/v1/items/" + u, ct))); // RA0004

    public static Task PostAll(HttpClient http, List<string> prompts)
        => Task.WhenAll(prompts.Select(async p => { using var r = await http.PostAsJsonAsync("https://example.test/v1/chat", p); }).ToList()); // RA0004

    public static void SendAll(HttpClient http, IEnumerable<string> urls)
        => Parallel.ForEach(urls, u => http.Send(new HttpRequestMessage(HttpMethod.Get, u))); // RA0004

    public static Task SendAllAsync(HttpClient http, IEnumerable<string> urls)
        => Parallel.ForEachAsync(urls, new ParallelOptions { MaxDegreeOfParallelism = -1 }, async (u, ct) => await http.GetStringAsync("https://example.test/v1/items/" + u, ct)); // RA0004

    // Quiet: gated, bounded, a handful, CPU only.
    public static Task<string[]> Gated(HttpClient http, IEnumerable<string> urls)
        => Task.WhenAll(urls.Select(async u =>
        {
            await Gate.WaitAsync();
            try { return await http.GetStringAsync(u); }
            finally { Gate.Release(); }
        }));

    public static void Bounded(HttpClient http, IEnumerable<string> urls)
        => Parallel.ForEach(urls, new ParallelOptions { MaxDegreeOfParallelism = 3 }, u => http.Send(new HttpRequestMessage(HttpMethod.Get, u)));

    public static Task<string[]> Pair(HttpClient http)
        => Task.WhenAll(http.GetStringAsync("https://example.test/a"), http.GetStringAsync("https://example.test/b"));

    // Quiet: one download per item from the item's own URL (as many hosts, no shared rate limit).
    public static Task<byte[][]> DownloadAttachments(HttpClient http, IEnumerable<string> attachmentUrls)
        => Task.WhenAll(attachmentUrls.Select(url => http.GetByteArrayAsync(url)));

    public static Task<int[]> CpuOnly(IEnumerable<string> docs)
        => Task.WhenAll(docs.Select(d => Task.Run(() => d.Split(' ').Length)));

}
