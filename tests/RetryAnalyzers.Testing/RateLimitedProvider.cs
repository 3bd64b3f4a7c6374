using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Testing;

/// <summary>
/// A rate-limited LLM "provider" on 127.0.0.1: it admits at most <c>tokensPerWindow</c> tokens in any rolling window
/// and answers a request that would exceed it with 429 and real headers (<c>retry-after-ms</c>, <c>Retry-After</c>,
/// <c>x-ratelimit-limit-tokens</c> per minute, <c>x-ratelimit-remaining-tokens</c>, <c>x-ratelimit-reset-tokens</c>).
/// A request's cost is its <c>x-request-tokens</c> header (default 1). Admitted requests wait <c>latency</c> and get
/// a chat-completion JSON body with the usage. Throttled requests cost nothing.
/// </summary>
public sealed class RateLimitedProvider : IDisposable
{
    /// <summary>The request header with the request's cost in tokens.</summary>
    public const string TokensHeader = "x-request-tokens";

    private readonly object _lock = new();
    private readonly Queue<(long At, long Tokens)> _admitted = new();
    private readonly long _limit;
    private readonly TimeSpan _window;
    private readonly TimeSpan _latency;
    private readonly LoopbackServer _server;
    private long _inWindow;
    private int _accepted;
    private int _throttled;
    private int _inFlight;
    private int _maxInFlight;
    private double _bucketRate; // tokens per second: a token bucket instead of the window
    private double _bucketTokens;
    private long _bucketAt;

    public RateLimitedProvider(long tokensPerWindow, TimeSpan window, TimeSpan latency = default)
    {
        _limit = tokensPerWindow;
        _window = window;
        _latency = latency;
        _server = new LoopbackServer(RespondAsync);
    }

    /// <summary>
    /// A provider that enforces a token bucket instead of a window: <paramref name="tokensPerSecond"/> refill, at most
    /// <paramref name="burst"/> at once, full at the start. Its headers say a limit of <c>tokensPerSecond × 60</c> per minute.
    /// </summary>
    public static RateLimitedProvider TokenBucket(double tokensPerSecond, long burst, TimeSpan latency = default)
        => new(burst, TimeSpan.FromSeconds(burst / tokensPerSecond), latency)
        {
            _bucketRate = tokensPerSecond,
            _bucketTokens = burst,
            _bucketAt = Environment.TickCount64,
        };

    public string Url => _server.Url;

    public int Accepted => Volatile.Read(ref _accepted);

    public int Throttled => Volatile.Read(ref _throttled);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Every Authorization / api-key / x-api-key value the provider received, to check keys went where they should.</summary>
    public ConcurrentBag<string> Credentials { get; } = new();

    public void Dispose() => _server.Dispose();

    private async Task RespondAsync(HttpListenerContext context, int index)
    {
        var request = context.Request;
        foreach (var name in new[] { "Authorization", "api-key", "x-api-key" })
        {
            if (request.Headers[name] is { } credential)
            {
                Credentials.Add(credential);
            }
        }

        var tokens = long.TryParse(request.Headers[TokensHeader], NumberStyles.Integer, CultureInfo.InvariantCulture, out var cost) ? cost : 1;
        long remaining;
        TimeSpan reset;
        bool admitted;
        lock (_lock)
        {
            var now = Environment.TickCount64;
            if (_bucketRate > 0)
            {
                (admitted, remaining, reset) = TakeFromBucket(now, tokens);
            }
            else
            {
                while (_admitted.Count > 0 && now - _admitted.Peek().At >= _window.TotalMilliseconds)
                {
                    _inWindow -= _admitted.Dequeue().Tokens;
                }

                admitted = _inWindow + tokens <= _limit;
                if (admitted)
                {
                    _admitted.Enqueue((now, tokens));
                    _inWindow += tokens;
                }

                remaining = Math.Max(0, _limit - _inWindow);
                reset = ResetAfter(now, admitted ? 0 : tokens);
            }
        }

        var response = context.Response;
        response.Headers["x-ratelimit-limit-tokens"] = ((long)(_limit * (60_000 / _window.TotalMilliseconds))).ToString(CultureInfo.InvariantCulture);
        response.Headers["x-ratelimit-remaining-tokens"] = remaining.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-ratelimit-reset-tokens"] = ((long)Math.Ceiling(reset.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        if (!admitted)
        {
            Interlocked.Increment(ref _throttled);
            response.StatusCode = 429;
            response.Headers["retry-after-ms"] = ((long)Math.Ceiling(reset.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
            response.Headers["Retry-After"] = ((long)Math.Ceiling(reset.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return;
        }

        var inFlight = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, inFlight);
        try
        {
            if (_latency > TimeSpan.Zero)
            {
                await Task.Delay(_latency).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }

        Interlocked.Increment(ref _accepted);
        response.StatusCode = 200;
        response.ContentType = "application/json";
        var body = System.Text.Encoding.UTF8.GetBytes(
            "{\"id\":\"chatcmpl-" + index.ToString(CultureInfo.InvariantCulture) + "\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"sim\"," +
            "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}]," +
            "\"usage\":{\"prompt_tokens\":" + tokens.ToString(CultureInfo.InvariantCulture) + ",\"completion_tokens\":0,\"total_tokens\":" + tokens.ToString(CultureInfo.InvariantCulture) + "}}");
        await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
    }

    // Under the lock: the token-bucket mode's admission, its remaining tokens and the wait until the request would fit.
    private (bool Admitted, long Remaining, TimeSpan Reset) TakeFromBucket(long now, long tokens)
    {
        _bucketTokens = Math.Min(_limit, _bucketTokens + ((now - _bucketAt) * _bucketRate / 1000.0));
        _bucketAt = now;
        var admitted = _bucketTokens >= tokens;
        if (admitted)
        {
            _bucketTokens -= tokens;
        }

        var reset = admitted ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling((tokens - _bucketTokens) * 1000 / _bucketRate)));
        return (admitted, (long)Math.Floor(Math.Max(0, _bucketTokens)), reset);
    }

    // Under the lock: how long until `needed` more tokens fit in the window.
    private TimeSpan ResetAfter(long now, long needed)
    {
        var free = _limit - _inWindow;
        foreach (var (at, tokens) in _admitted)
        {
            if (free >= needed)
            {
                break;
            }

            free += tokens;
            if (free >= needed)
            {
                return TimeSpan.FromMilliseconds(Math.Max(1, at + _window.TotalMilliseconds - now));
            }
        }

        return _admitted.Count == 0 || needed == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Max(1, _admitted.Peek().At + _window.TotalMilliseconds - now));
    }

    /// <summary>Raises <paramref name="target"/> to <paramref name="value"/> if that is larger, atomically.</summary>
    public static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
