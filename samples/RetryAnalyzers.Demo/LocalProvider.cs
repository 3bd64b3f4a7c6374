using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RetryAnalyzers.Demo;

/// <summary>
/// The demo's stand-in for an LLM provider: HTTP on 127.0.0.1 only, and it stops listening after <c>lifetime</c>
/// whatever happens, so the demo can never hang on it.
/// <list type="bullet">
/// <item><c>/flaky</c> answers 429, 429, then 200.</item>
/// <item><c>/v1/chat/completions</c> admits <c>tokensPerWindow</c> tokens (a request costs its <c>x-request-tokens</c>
/// header) in any rolling <c>window</c>; a request over the limit gets 429 with the headers OpenAI sends:
/// <c>Retry-After</c>, <c>retry-after-ms</c> and <c>x-ratelimit-limit/remaining/reset-tokens</c>.</item>
/// </list>
/// </summary>
internal sealed class LocalProvider : IDisposable
{
    public const string TokensHeader = "x-request-tokens";

    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _lifetime;
    private readonly Queue<(long At, int Tokens)> _recent = new();
    private readonly int _limit;
    private readonly long _windowMs;
    private int _used;
    private int _flaky;
    private int _sent;
    private int _throttled;

    public LocalProvider(int tokensPerWindow, TimeSpan window, TimeSpan lifetime)
    {
        _limit = tokensPerWindow;
        _windowMs = (long)window.TotalMilliseconds;
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

    /// <summary>Starts counting completions afresh, with an empty window (one provider, several runs).</summary>
    public void Reset()
    {
        lock (_recent)
        {
            _recent.Clear();
            _used = _sent = _throttled = 0;
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
                _ = Task.Run(() =>
                {
                    // Close, not Dispose: on Linux, Dispose aborts the connection ("response ended prematurely").
                    try
                    {
                        Answer(context.Request, context.Response);
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

    private void Answer(HttpListenerRequest request, HttpListenerResponse response)
    {
        if (request.Url!.AbsolutePath == "/flaky")
        {
            response.StatusCode = Interlocked.Increment(ref _flaky) <= 2 ? 429 : 200;
            Write(response, response.StatusCode == 200 ? "{\"answer\":42}" : "rate limited");
            return;
        }

        var tokens = int.TryParse(request.Headers[TokensHeader], CultureInfo.InvariantCulture, out var cost) ? cost : 1;
        bool admitted;
        long retryAfterMs, resetMs;
        int remaining;
        lock (_recent)
        {
            var now = Environment.TickCount64;
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
            return;
        }

        response.ContentType = "application/json";
        Write(response, $"{{\"object\":\"chat.completion\",\"choices\":[],\"usage\":{{\"prompt_tokens\":{tokens},\"completion_tokens\":0,\"total_tokens\":{tokens}}}}}");
    }

    private static void Write(HttpListenerResponse response, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        response.OutputStream.Write(bytes);
    }
}
