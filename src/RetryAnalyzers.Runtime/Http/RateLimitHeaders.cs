using System;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>What a provider response says about its rate limit (OpenAI / Azure OpenAI <c>x-ratelimit-*</c>, Anthropic <c>anthropic-ratelimit-*</c>).</summary>
/// <param name="TokenLimitPerMinute"><c>x-ratelimit-limit-tokens</c> (tokens per minute).</param>
/// <param name="RemainingTokens">The smallest of <c>x-ratelimit-remaining-tokens</c>, <c>anthropic-ratelimit-tokens-remaining</c>, <c>anthropic-ratelimit-input-tokens-remaining</c>.</param>
/// <param name="TokensReset">When the token limit is back to full: <c>x-ratelimit-reset-tokens</c> (a duration such as <c>6m0s</c>) or <c>anthropic-ratelimit-tokens-reset</c> (an RFC 3339 time), as a delay from now.</param>
/// <param name="RequestsReset"><c>x-ratelimit-reset-requests</c> or <c>anthropic-ratelimit-requests-reset</c>, as a delay from now.</param>
public readonly record struct RateLimitSnapshot(long? TokenLimitPerMinute, long? RemainingTokens, TimeSpan? TokensReset, TimeSpan? RequestsReset);

/// <summary>Reads rate-limit and Retry-After headers in every format providers use.</summary>
public static class RateLimitHeaders
{
    private static readonly string[] MillisecondHeaders = { "retry-after-ms", "x-ms-retry-after-ms" };

    /// <summary>
    /// The wait a throttled response asks for, in this order: <c>retry-after-ms</c> and <c>x-ms-retry-after-ms</c>
    /// (milliseconds, OpenAI / Azure; Azure's sentinels <c>-1</c> and <c>0</c> mean no wait was given and are skipped),
    /// <c>Retry-After</c> as delta seconds or as an HTTP date (RFC 7231). A date in the past is a zero wait. The wait is
    /// rounded up to a whole millisecond, so a timer of millisecond resolution never comes back before the provider's
    /// time. Null when the response names no wait.
    /// </summary>
    /// <param name="response">The response.</param>
    /// <param name="now">The current time, for an HTTP date.</param>
    /// <returns>The wait, or null.</returns>
    public static TimeSpan? GetRetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        Guard.NotNull(response, nameof(response));
        return GetRetryAfter(Headers(response), now);
    }

    /// <summary>As <see cref="GetRetryAfter(HttpResponseMessage, DateTimeOffset)"/>, over any response's headers (a System.ClientModel response, an exception's raw response).</summary>
    internal static TimeSpan? GetRetryAfter(Func<string, string?> header, DateTimeOffset now)
    {
        foreach (var name in MillisecondHeaders)
        {
            if (header(name) is { } text &&
                double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds > 0 && milliseconds < TimeSpan.MaxValue.TotalMilliseconds - 1)
            {
                return TimeSpan.FromTicks((long)Math.Ceiling(milliseconds) * TimeSpan.TicksPerMillisecond);
            }
        }

        if (header("Retry-After") is not { } raw)
        {
            return null;
        }

        // Delta seconds (also "1.5", which HttpClient's typed parser rejects; a negative one is none), or an HTTP date.
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return TrySeconds(seconds, out var wait) ? CeilingMilliseconds(wait) : null;
        }

        return DateTimeOffset.TryParseExact(raw, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? (date <= now ? TimeSpan.Zero : CeilingMilliseconds(date - now))
            : null;
    }

    /// <summary>
    /// The wait before retrying a 429 that sent no Retry-After: when the exhausted limit is back, from the reset header
    /// of the limit whose remaining count is 0 (<c>x-ratelimit-reset-requests</c> / <c>-tokens</c>, Anthropic's
    /// <c>…-reset</c> times), else the sooner of the two; capped at <paramref name="cap"/> (a reset is when the whole
    /// limit is back, later than the next call may go). Null without reset headers.
    /// </summary>
    internal static TimeSpan? GetResetWait(Func<string, string?> header, DateTimeOffset now, TimeSpan cap)
    {
        var snapshot = Read(header, now);
        var requestsLeft = Min(Number(header, "x-ratelimit-remaining-requests"), Number(header, "anthropic-ratelimit-requests-remaining"));
        var wait = requestsLeft == 0 && snapshot.RequestsReset is { } requests ? requests
            : snapshot.RemainingTokens == 0 && snapshot.TokensReset is { } tokens ? tokens
            : Sooner(snapshot.RequestsReset, snapshot.TokensReset);
        return wait is { } found ? CeilingMilliseconds(found < cap ? found : cap) : null;
    }

    /// <summary>The wait a throttled or failed answer asks for: its Retry-After in any form; for a 429 without one, <see cref="GetResetWait"/>.</summary>
    internal static TimeSpan? ThrottleWait(int status, Func<string, string?> header, DateTimeOffset now, TimeSpan cap)
        => GetRetryAfter(header, now) ?? (status == 429 ? GetResetWait(header, now, cap) : null);

    private static TimeSpan? Sooner(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private static TimeSpan CeilingMilliseconds(TimeSpan wait)
    {
        var remainder = wait.Ticks % TimeSpan.TicksPerMillisecond;
        return remainder == 0 || wait.Ticks > TimeSpan.MaxValue.Ticks - TimeSpan.TicksPerMillisecond ? wait : TimeSpan.FromTicks(wait.Ticks - remainder + TimeSpan.TicksPerMillisecond);
    }

    /// <summary>The rate-limit headers of a response (absent ones are null).</summary>
    /// <param name="response">The response.</param>
    /// <returns>What the headers say.</returns>
    public static RateLimitSnapshot Read(HttpResponseMessage response) => Read(response, DateTimeOffset.UtcNow);

    /// <summary>The rate-limit headers of a response, with Anthropic's reset times taken relative to <paramref name="now"/>.</summary>
    /// <param name="response">The response.</param>
    /// <param name="now">The current time.</param>
    /// <returns>What the headers say.</returns>
    public static RateLimitSnapshot Read(HttpResponseMessage response, DateTimeOffset now)
    {
        Guard.NotNull(response, nameof(response));
        return Read(Headers(response), now);
    }

    internal static RateLimitSnapshot Read(Func<string, string?> header, DateTimeOffset now)
    {
        var (limit, remaining) = ReadTokenLimits(header);
        return new RateLimitSnapshot(
            limit,
            remaining,
            Reset(header, "x-ratelimit-reset-tokens", "anthropic-ratelimit-tokens-reset", now),
            Reset(header, "x-ratelimit-reset-requests", "anthropic-ratelimit-requests-reset", now));
    }

    /// <summary>Only the token limit and remaining tokens (what <see cref="TokenBudget"/> learns from), without parsing reset times.</summary>
    internal static (long? LimitPerMinute, long? Remaining) ReadTokenLimits(Func<string, string?> header)
        => (Number(header, "x-ratelimit-limit-tokens"),
            Min(Number(header, "x-ratelimit-remaining-tokens"),
                Min(Number(header, "anthropic-ratelimit-tokens-remaining"), Number(header, "anthropic-ratelimit-input-tokens-remaining"))));

    /// <summary>
    /// Parses a Go-style duration as OpenAI sends it: <c>6m0s</c>, <c>1h2m3.5s</c>, <c>12ms</c>, <c>0.5s</c>; a bare
    /// number is seconds.
    /// </summary>
    /// <param name="text">The header value.</param>
    /// <param name="duration">The duration.</param>
    /// <returns>False when the text is not a duration.</returns>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var value = text!.Trim();
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
        {
            return TrySeconds(bare, out duration);
        }

        double total = 0;
        var i = 0;
        while (i < value.Length)
        {
            var start = i;
            while (i < value.Length && (char.IsDigit(value[i]) || value[i] == '.'))
            {
                i++;
            }

            if (i == start || !double.TryParse(value.Substring(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < value.Length && char.IsLetter(value[i]))
            {
                i++;
            }

            var scale = UnitSeconds(value.Substring(unitStart, i - unitStart));
            if (scale is null)
            {
                return false;
            }

            total += number * scale.Value;
        }

        return TrySeconds(total, out duration);
    }

    // Seconds per unit of a Go duration.
    private static double? UnitSeconds(string unit) => unit switch
    {
        "h" => 3600,
        "m" => 60,
        "s" => 1,
        "ms" => 0.001,
        "us" or "µs" => 0.000001,
        "ns" => 0.000000001,
        _ => null,
    };

    private static bool TrySeconds(double seconds, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (seconds < 0 || double.IsNaN(seconds) || seconds >= TimeSpan.MaxValue.TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    private static TimeSpan? Reset(Func<string, string?> header, string durationHeader, string timeHeader, DateTimeOffset now)
    {
        if (TryParseDuration(header(durationHeader), out var duration))
        {
            return duration;
        }

        return header(timeHeader) is { } time &&
               DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? (at > now ? at - now : TimeSpan.Zero)
            : null;
    }

    /// <summary>
    /// As <see cref="ReadTokenLimits(Func{string, string?})"/> over a response's own headers: on .NET one pass over them
    /// as received, instead of a lookup (a header name parsed and validated) per name. It runs on every budgeted call.
    /// </summary>
    internal static (long? LimitPerMinute, long? Remaining) ReadTokenLimits(HttpResponseMessage response)
    {
#if NET
        long? limit = null;
        long? remaining = null;
        foreach (var header in response.Headers.NonValidated)
        {
            var name = header.Key;
            if (name.Equals("x-ratelimit-limit-tokens", StringComparison.OrdinalIgnoreCase))
            {
                limit = Number(First(header.Value));
            }
            else if (name.Equals("x-ratelimit-remaining-tokens", StringComparison.OrdinalIgnoreCase) ||
                     name.Equals("anthropic-ratelimit-tokens-remaining", StringComparison.OrdinalIgnoreCase) ||
                     name.Equals("anthropic-ratelimit-input-tokens-remaining", StringComparison.OrdinalIgnoreCase))
            {
                remaining = Min(remaining, Number(First(header.Value)));
            }
        }

        return (limit, remaining);
#else
        return ReadTokenLimits(Headers(response));
#endif
    }

#if NET
    private static string? First(System.Net.Http.Headers.HeaderStringValues values)
    {
        foreach (var value in values)
        {
            return value;
        }

        return null;
    }
#endif

    private static long? Number(Func<string, string?> header, string name) => Number(header(name));

    private static long? Number(string? text)
        => text is not null && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= 0 ? number : null;

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    /// <summary>A response's headers as a lookup of the first value of a name.</summary>
    internal static Func<string, string?> Headers(HttpResponseMessage response)
        => name => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;
}
