using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace RetryAnalyzers.Samples;

/// <summary>
/// The samples' stand-in for an LLM provider: HTTP on 127.0.0.1 only, and it stops listening after <c>lifetime</c>
/// whatever happens, so a sample can never hang on it. Shared by the demo and the seed demo (linked, not copied).
/// <list type="bullet">
/// <item><c>/flaky</c> answers 429, 429, then 200.</item>
/// <item><c>/v1/chat/completions</c> admits <c>tokensPerWindow</c> tokens in any rolling <c>window</c>, as OpenAI
/// enforces tokens per minute. A request costs its <c>x-request-tokens</c> header or, without one, what OpenAI's limiter
/// counts: its messages' characters / 4 plus its <c>max_completion_tokens</c> (or <c>max_tokens</c>). A request over the
/// limit gets 429 with the headers OpenAI sends: <c>Retry-After</c>, <c>retry-after-ms</c> and
/// <c>x-ratelimit-limit/remaining/reset-tokens</c>; an admitted one answers after <c>latency</c> with a chat completion
/// whose usage is the tokens it was charged.</item>
/// </list>
/// </summary>
internal sealed class LocalProvider : IDisposable
{
    public const string TokensHeader = "x-request-tokens";

    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _lifetime;
    private readonly Queue<(long At, long Tokens)> _recent = new();
    private readonly ConcurrentDictionary<string, long> _calls = new(); // distinct requests (a retry resends the same body) and their cost
    private readonly long _limit;
    private readonly long _windowMs;
    private readonly TimeSpan _latency;
    private long _used;
    private int _flaky;
    private int _sent;
    private int _throttled;
    private long _firstArrival = -1;
    private long _lastResponse = -1;

    public LocalProvider(long tokensPerWindow, TimeSpan window, TimeSpan lifetime, TimeSpan latency = default)
    {
        _limit = tokensPerWindow;
        _windowMs = (long)window.TotalMilliseconds;
        _latency = latency;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/";
        probe.Stop();
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _lifetime = new CancellationTokenSource(lifetime);
        _lifetime.Token.Register(_listener.Close);
        _ = Task.Run(ServeAsync);
    }

    public string Url { get; }

    /// <summary>Requests /flaky has had.</summary>
    public int FlakyCalls => Volatile.Read(ref _flaky);

    /// <summary>Requests that reached the completions endpoint, and how many of them it answered 429.</summary>
    public (int Sent, int Throttled) Completions => (Volatile.Read(ref _sent), Volatile.Read(ref _throttled));

    /// <summary>Distinct completion requests (by a hash of the body: a retry sends the same one again) and the tokens each costs.</summary>
    public IReadOnlyDictionary<string, long> Calls => _calls;

    /// <summary>From the first completion request's arrival to the last completion response (an answer or a 429), or zero before any.</summary>
    public TimeSpan Makespan
    {
        get
        {
            lock (_recent)
            {
                return _firstArrival < 0 || _lastResponse < 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(_lastResponse - _firstArrival);
            }
        }
    }

    /// <summary>Starts counting completions afresh, with an empty window (one provider, several runs).</summary>
    public void Reset()
    {
        lock (_recent)
        {
            _recent.Clear();
            _calls.Clear();
            _used = _sent = _throttled = 0;
            _firstArrival = _lastResponse = -1;
        }
    }

    public void Dispose() => _lifetime.Cancel();

    private async Task ServeAsync()
    {
        while (!_lifetime.IsCancellationRequested)
        {
            try
            {
                var context = await _listener.GetContextAsync();
                _ = Task.Run(async () =>
                {
                    // Close, not Dispose: on Linux, Dispose aborts the connection ("response ended prematurely").
                    try
                    {
                        await AnswerAsync(context.Request, context.Response);
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException)
                    {
                        // the client went away, or the provider's lifetime ended
                    }
                    finally
                    {
                        context.Response.Close();
                    }
                });
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    private async Task AnswerAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        if (request.Url!.AbsolutePath == "/flaky")
        {
            response.StatusCode = Interlocked.Increment(ref _flaky) <= 2 ? 429 : 200;
            Write(response, response.StatusCode == 200 ? "{\"answer\":42}" : "rate limited");
            return;
        }

        string body;
        using (var reader = new StreamReader(request.InputStream, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync();
        }

        var tokens = long.TryParse(request.Headers[TokensHeader], CultureInfo.InvariantCulture, out var cost) ? cost : Cost(body);
        _calls.TryAdd(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(body))), tokens);
        bool admitted;
        long retryAfterMs, resetMs, remaining;
        lock (_recent)
        {
            var now = Environment.TickCount64;
            if (_firstArrival < 0)
            {
                _firstArrival = now;
            }

            while (_recent.Count > 0 && now - _recent.Peek().At >= _windowMs)
            {
                _used -= _recent.Dequeue().Tokens;
            }

            admitted = _used + tokens <= _limit;
            if (admitted)
            {
                _recent.Enqueue((now, tokens));
                _used += tokens;
            }

            _sent++;
            _throttled += admitted ? 0 : 1;
            remaining = _limit - _used;
            // When the oldest admitted request leaves the window (room for the next one), and when all of them have.
            retryAfterMs = _recent.Count == 0 ? 0 : Math.Max(1, _recent.Peek().At + _windowMs - now);
            resetMs = _recent.Count == 0 ? 0 : _recent.Max(r => r.At) + _windowMs - now;
        }

        response.Headers["x-ratelimit-limit-tokens"] = (_limit * 60_000L / _windowMs).ToString(CultureInfo.InvariantCulture);
        response.Headers["x-ratelimit-remaining-tokens"] = remaining.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-ratelimit-reset-tokens"] = resetMs.ToString(CultureInfo.InvariantCulture) + "ms";
        if (!admitted)
        {
            response.StatusCode = 429;
            response.Headers["retry-after-ms"] = retryAfterMs.ToString(CultureInfo.InvariantCulture);
            response.Headers["Retry-After"] = ((retryAfterMs + 999) / 1000).ToString(CultureInfo.InvariantCulture);
            Responded();
            return;
        }

        if (_latency > TimeSpan.Zero)
        {
            await Task.Delay(_latency);
        }

        response.ContentType = "application/json";
        Write(response, $"{{\"id\":\"chatcmpl-{_sent}\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"local\"," +
                        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}]," +
                        $"\"usage\":{{\"prompt_tokens\":{tokens},\"completion_tokens\":0,\"total_tokens\":{tokens}}}}}");
        Responded();
    }

    private void Responded()
    {
        lock (_recent)
        {
            _lastResponse = Math.Max(_lastResponse, Environment.TickCount64);
        }
    }

    /// <summary>What OpenAI's limiter charges a chat request: its messages' characters / 4 plus the most it may answer.</summary>
    private static long Cost(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            long characters = 0;
            if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                foreach (var message in messages.EnumerateArray())
                {
                    if (message.TryGetProperty("content", out var content))
                    {
                        characters += content.ValueKind == JsonValueKind.String
                            ? content.GetString()!.Length
                            : content.EnumerateArray().Sum(part => part.TryGetProperty("text", out var text) ? text.GetString()!.Length : 0);
                    }
                }
            }

            var output = root.TryGetProperty("max_completion_tokens", out var max) || root.TryGetProperty("max_tokens", out max) ? max.GetInt64() : 0;
            return Math.Max(1, ((characters + 3) / 4) + output);
        }
        catch (JsonException)
        {
            return 1;
        }
    }

    private static void Write(HttpListenerResponse response, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        response.OutputStream.Write(bytes);
    }
}
