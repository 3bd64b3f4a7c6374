using System;
using System.Collections.Generic;
using System.Globalization;

namespace RetryAnalyzers.Workload;

/// <summary>One answer of the simulated provider: admitted or throttled, after how long, with which headers.</summary>
public sealed record ProviderAnswer(bool Admitted, double LatencySeconds, IReadOnlyList<KeyValuePair<string, string>> Headers);

/// <summary>
/// The provider's admission, in its own seconds (research note, Appendix A): admitted or throttled at arrival; a 429
/// comes back after 50–150 ms with <c>Retry-After</c> (whole seconds) and <c>retry-after-ms</c> until the request
/// would fit; an admitted call answers after a lognormal latency (median 6 s). With headers, every answer carries
/// <c>x-ratelimit-limit-tokens</c>, <c>-remaining-tokens</c> and <c>-reset-tokens</c>. Not thread-safe: the caller locks.
/// </summary>
public sealed class ProviderModel
{
    private readonly Scenario _s;
    private readonly Queue<(double At, long Tokens)> _window = new();
    private readonly List<(double At, long Tokens)> _admissions = new();
    private long _limit;
    private bool _raised;
    private double _rate;
    private double _capacity;
    private double _tokens;
    private double _last;
    private long _inWindow;

    public ProviderModel(Scenario scenario)
    {
        _s = scenario;
        SetLimit(scenario.LimitPerMinute);
        _tokens = _capacity;
    }

    /// <summary>
    /// For a scenario whose limit is raised: the seconds after the raise until the admitted tokens of the last 10 s
    /// first reach 90 % of the raised limit (NaN when they never do, or without a raise).
    /// </summary>
    public double RecoverySeconds()
    {
        if (_s.RaisedLimitPerMinute <= 0)
        {
            return double.NaN;
        }

        var target = 0.9 * _s.RaisedLimitPerMinute / 60.0 * 10;
        long inLast10 = 0;
        var first = 0;
        foreach (var (at, tokens) in _admissions)
        {
            inLast10 += tokens;
            while (_admissions[first].At <= at - 10)
            {
                inLast10 -= _admissions[first++].Tokens;
            }

            if (at >= _s.RaiseAtSeconds + 10 && inLast10 >= target)
            {
                return at - _s.RaiseAtSeconds;
            }
        }

        return double.NaN;
    }

    private void SetLimit(long limitPerMinute)
    {
        _limit = limitPerMinute;
        _rate = limitPerMinute / 60.0;
        _capacity = _rate * _s.QuantumSeconds;
    }

    /// <summary>The provider's answer to a request of <paramref name="cost"/> tokens arriving at <paramref name="now"/>; <paramref name="random"/> draws its latency.</summary>
    public ProviderAnswer Answer(double now, long cost, Random random)
    {
        var admitted = TryAdmit(now, cost, out var retryAfterSeconds);
        var wait = WaitUntilAdmissible(now, cost);
        var headers = new List<KeyValuePair<string, string>>();
        if (_s.RateLimitHeaders)
        {
            headers.Add(new("x-ratelimit-limit-tokens", Invariant(_limit)));
            headers.Add(new("x-ratelimit-remaining-tokens", Invariant(Remaining)));
            headers.Add(new("x-ratelimit-reset-tokens", Invariant((long)Math.Ceiling(wait * 1000)) + "ms"));
        }

        if (!admitted)
        {
            headers.Add(new("Retry-After", Invariant(retryAfterSeconds)));
            if (_s.RateLimitHeaders)
            {
                headers.Add(new("retry-after-ms", Invariant((long)Math.Ceiling(wait * 1000))));
            }

            return new ProviderAnswer(false, 0.05 + (0.1 * random.NextDouble()), headers);
        }

        return new ProviderAnswer(true, _s.MedianLatencySeconds * Math.Exp(_s.LatencySigma * Gaussian(random)), headers);
    }

    /// <summary>Admits a request of <paramref name="cost"/> at <paramref name="now"/> if it fits; else the whole seconds until it would.</summary>
    public bool TryAdmit(double now, long cost, out int retryAfterSeconds)
    {
        var wait = WaitUntilAdmissible(now, cost);
        if (wait > 0)
        {
            retryAfterSeconds = (int)Math.Ceiling(wait);
            return false;
        }

        retryAfterSeconds = 0;
        _admissions.Add((now, cost));
        if (_s.Window == ProviderWindow.TokenBucket)
        {
            _tokens -= cost;
        }
        else
        {
            _window.Enqueue((now, cost));
            _inWindow += cost;
        }

        return true;
    }

    /// <summary>The tokens left now (for <c>x-ratelimit-remaining-tokens</c>); call after <see cref="WaitUntilAdmissible"/> has brought the state to the present.</summary>
    public long Remaining => _s.Window == ProviderWindow.TokenBucket ? (long)Math.Max(0, _tokens) : Math.Max(0, _limit - _inWindow);

    /// <summary>0 when a request of <paramref name="cost"/> would be admitted now, else the seconds until it would.</summary>
    public double WaitUntilAdmissible(double now, long cost)
    {
        if (_s.RaisedLimitPerMinute > 0 && now >= _s.RaiseAtSeconds && !_raised)
        {
            _raised = true;
            WaitUntilAdmissible(_s.RaiseAtSeconds, 0); // the state at the raise, on the old limit
            SetLimit(_s.RaisedLimitPerMinute);
        }

        if (_s.Window == ProviderWindow.TokenBucket)
        {
            _tokens = Math.Min(_capacity, _tokens + ((now - _last) * _rate));
            _last = now;
            var needed = Math.Min(cost, _capacity);
            return _tokens >= needed - 1e-6 ? 0 : (needed - _tokens) / _rate;
        }

        while (_window.Count > 0 && _window.Peek().At <= now - 60)
        {
            _inWindow -= _window.Dequeue().Tokens;
        }

        if (_inWindow + cost <= _limit || _window.Count == 0)
        {
            return 0;
        }

        long freed = 0;
        foreach (var (at, tokens) in _window)
        {
            freed += tokens;
            if (_inWindow - freed + cost <= _limit)
            {
                return Math.Max(1e-3, at + 60 - now);
            }
        }

        return 60;
    }

    /// <summary>The answer's JSON body: an admitted call reports its usage (the request's tokens), as providers do.</summary>
    public static string Body(ProviderAnswer answer, long cost)
        => answer.Admitted ? "{\"usage\":{\"total_tokens\":" + Invariant(cost) + "}}" : "{\"error\":{\"type\":\"rate_limit_exceeded\"}}";

    /// <summary>A standard normal draw (Box–Muller), for the lognormal latencies.</summary>
    public static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
