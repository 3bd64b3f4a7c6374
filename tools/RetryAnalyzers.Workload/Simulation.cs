using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Time.Testing;
using RetryAnalyzers.Runtime;

namespace RetryAnalyzers.Workload;

/// <summary>How the provider enforces its tokens-per-minute limit.</summary>
public enum ProviderWindow
{
    /// <summary>A token bucket: refills at limit/60 per second, holds <c>quantum</c> seconds of it; a request larger than that is admitted when the bucket is full (and leaves it in debt).</summary>
    TokenBucket,

    /// <summary>A rolling 60 s window: the tokens admitted in the last 60 s plus the request must not exceed the limit.</summary>
    Rolling60s,
}

/// <summary>The retry strategies compared.</summary>
public enum Strategy
{
    /// <summary>Schedule each call the moment the provider would admit it (perfect knowledge): the lower bound.</summary>
    Oracle,

    /// <summary>Retry after a fixed 1 s (what RA0001 flags), Retry-After ignored.</summary>
    FixedDelay,

    /// <summary>Retry after 1 s · 2^(n−1), capped at 60 s, no jitter (what RA0002 flags), Retry-After ignored.</summary>
    ExponentialNoJitter,

    /// <summary>The runtime's jittered exponential backoff only (base 1 s, cap 60 s), Retry-After ignored.</summary>
    JitteredExponential,

    /// <summary>The runtime library: one shared token budget (FIFO) before every send, Retry-After plus jitter on a 429, retry budget.</summary>
    RuntimeLibrary,
}

/// <summary>A workload: agents × sequential calls of a fixed cost against one key's limit.</summary>
public sealed record Scenario(
    string Name,
    int Agents,
    int CallsPerAgent,
    long TokensPerCall,
    long LimitPerMinute,
    ProviderWindow Window,
    double QuantumSeconds = 1,
    double MedianLatencySeconds = 6,
    double LatencySigma = 0.2)
{
    /// <summary>The reference case: 12 agents × 5 calls of 150k tokens on a 4M tokens/min key, 1 s quantum bucket.</summary>
    public static Scenario Reference { get; } = new("12 agents × 5 calls × 150k tokens, 4M TPM, token bucket (1 s quantum)", 12, 5, 150_000, 4_000_000, ProviderWindow.TokenBucket);

    /// <summary>The same load on a rolling 60 s window.</summary>
    public static Scenario ReferenceRolling { get; } = Reference with { Name = "12 agents × 5 calls × 150k tokens, 4M TPM, rolling 60 s window", Window = ProviderWindow.Rolling60s };

    /// <summary>Seven agents sharing one key.</summary>
    public static Scenario SevenAgents { get; } = new("7 agents × 5 calls × 150k tokens on one key, 4M TPM, token bucket (1 s quantum)", 7, 5, 150_000, 4_000_000, ProviderWindow.TokenBucket);

    /// <summary>The logical calls of the workload.</summary>
    public int Calls => Agents * CallsPerAgent;

    /// <summary>
    /// The library's shared budget for this key: <paramref name="margin"/> of the limit, in the provider's own shape, on a
    /// clock running <paramref name="scale"/> times faster than the model's.
    /// </summary>
    public TokenBudgetOptions BudgetOptions(double margin, double scale)
    {
        var limit = LimitPerMinute * margin;
        return Window == ProviderWindow.TokenBucket
            ? new TokenBudgetOptions { TokensPerSecond = limit / 60 * scale, Burst = (long)(limit / 60 * QuantumSeconds) }
            : TokenBudgetOptions.ForRollingWindow((long)limit, TimeSpan.FromSeconds(60 / scale));
    }
}

/// <summary>What one strategy did on one scenario and seed.</summary>
public sealed record RunResult(Strategy Strategy, double MakespanSeconds, double P95LatencySeconds, int Attempts, int Throttled, int Calls)
{
    /// <summary>Attempts per logical call.</summary>
    public double Amplification => (double)Attempts / Calls;
}

/// <summary>
/// A deterministic discrete-event model of the workload (single thread, virtual clock, seeded randomness), after the
/// research note's Appendix A: the provider admits or throttles at arrival; a 429 comes back after 50–150 ms with
/// <c>Retry-After</c> = the whole seconds until the request would fit; an admitted call succeeds after a lognormal
/// latency (median 6 s). The runtime strategy runs the real <see cref="TokenBudget"/>, <see cref="JitteredBackoff"/>,
/// <see cref="RetryBudget"/> and Retry-After wait of the library against a fake clock set to the model's time.
/// </summary>
public static class Simulation
{
    private const int MaxAttemptsPerCall = 200; // a runaway guard; no strategy here gets near it on these scenarios

    /// <summary>Runs one strategy on one scenario.</summary>
    public static RunResult Run(Scenario scenario, Strategy strategy, int seed)
    {
        var model = new Model(scenario, strategy, seed);
        return model.Run();
    }

    private sealed class Model
    {
        private readonly Scenario _s;
        private readonly Strategy _strategy;
        private readonly Random _latencyRandom;
        private readonly Random _retryRandom;
        private readonly PriorityQueue<Action, (double Time, long Sequence)> _events = new();
        private readonly ProviderModel _provider;
        private readonly Queue<int> _gate = new();
        private readonly int[] _attemptsOfCall;
        private readonly double[] _callStart;
        private readonly List<double> _latencies = new();
        private readonly FakeTimeProvider _clock = new(DateTimeOffset.UnixEpoch);
        private readonly TokenBudget? _budget;
        private readonly RetryBudget _retryBudget;
        private readonly JitteredBackoffOptions _jitter;
        private long _sequence;
        private double _now;
        private int _attempts;
        private int _throttled;
        private double _makespan;
        private bool _gateScheduled;

        public Model(Scenario scenario, Strategy strategy, int seed)
        {
            _s = scenario;
            _strategy = strategy;
            _latencyRandom = new Random(seed);
            _retryRandom = new Random(seed * 7919 + (int)strategy);
            _provider = new ProviderModel(scenario);
            _retryBudget = new RetryBudget(RetryBudget.DefaultRetryRatio, RetryBudget.DefaultMaxCredits, RetryBudget.DefaultMinRetriesPerSecond, _clock); // refilled on the model's clock
            _attemptsOfCall = new int[scenario.Agents];
            _callStart = new double[scenario.Agents];
            _jitter = new JitteredBackoffOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(60), Randomizer = _retryRandom.NextDouble };
            if (strategy == Strategy.RuntimeLibrary)
            {
                // Sized to the key's limit with a 2 % margin, in the provider's own shape.
                var options = scenario.BudgetOptions(margin: 0.98, scale: 1);
                options.TimeProvider = _clock;
                _budget = new TokenBudget(options);
            }
        }

        public RunResult Run()
        {
            for (var agent = 0; agent < _s.Agents; agent++)
            {
                var a = agent;
                At(0, () => StartCall(a, 0));
            }

            while (_events.TryDequeue(out var action, out var key))
            {
                _now = key.Time;
                _clock.SetUtcNow(DateTimeOffset.UnixEpoch + TimeSpan.FromSeconds(_now));
                action();
            }

            _budget?.Dispose();
            var sorted = _latencies.OrderBy(l => l).ToList();
            var p95 = sorted[(int)Math.Ceiling(0.95 * sorted.Count) - 1];
            return new RunResult(_strategy, _makespan, p95, _attempts, _throttled, _s.Calls);
        }

        private void At(double time, Action action) => _events.Enqueue(action, (time, _sequence++));

        private void StartCall(int agent, int index)
        {
            _callStart[agent] = _now;
            _attemptsOfCall[agent] = 0;
            _retryBudget.RecordCall();
            BeforeSend(agent, index);
        }

        // The oracle and the runtime wait in a FIFO gate; the others send at once.
        private void BeforeSend(int agent, int index)
        {
            if (_strategy is Strategy.Oracle or Strategy.RuntimeLibrary)
            {
                _gate.Enqueue(agent * 1000 + index);
                DrainGate();
            }
            else
            {
                Send(agent, index);
            }
        }

        private void DrainGate()
        {
            while (_gate.Count > 0)
            {
                var head = _gate.Peek();
                double wait;
                if (_strategy == Strategy.Oracle)
                {
                    wait = _provider.WaitUntilAdmissible(_now, _s.TokensPerCall);
                }
                else
                {
                    wait = _budget!.TryAcquire(_s.TokensPerCall)
                        ? 0
                        : Math.Max(0.001, (Math.Min(_s.TokensPerCall, _budget.Burst) - _budget.AvailableTokens) / _budget.TokensPerSecond);
                }

                if (wait > 0)
                {
                    if (!_gateScheduled)
                    {
                        _gateScheduled = true;
                        At(_now + wait, () =>
                        {
                            _gateScheduled = false;
                            DrainGate();
                        });
                    }

                    return;
                }

                _gate.Dequeue();
                Send(head / 1000, head % 1000);
            }
        }

        private void Send(int agent, int index)
        {
            _attempts++;
            _attemptsOfCall[agent]++;
            if (_provider.TryAdmit(_now, _s.TokensPerCall, out var retryAfterSeconds))
            {
                var latency = _s.MedianLatencySeconds * Math.Exp(_s.LatencySigma * Gaussian(_latencyRandom));
                At(_now + latency, () => Complete(agent, index));
                return;
            }

            _throttled++;
            var throttledAfter = 0.05 + (0.1 * _latencyRandom.NextDouble());
            At(_now + throttledAfter, () => Throttled(agent, index, retryAfterSeconds));
        }

        private void Complete(int agent, int index)
        {
            _latencies.Add(_now - _callStart[agent]);
            _makespan = Math.Max(_makespan, _now);
            if (index + 1 < _s.CallsPerAgent)
            {
                StartCall(agent, index + 1);
            }
        }

        private void Throttled(int agent, int index, int retryAfterSeconds)
        {
            var n = _attemptsOfCall[agent]; // attempts made so far for this call
            if (n >= MaxAttemptsPerCall)
            {
                throw new InvalidOperationException($"{_strategy}: a call needed more than {MaxAttemptsPerCall} attempts.");
            }

            double delay;
            switch (_strategy)
            {
                case Strategy.FixedDelay:
                    delay = 1;
                    break;
                case Strategy.ExponentialNoJitter:
                    delay = Math.Min(60, Math.Pow(2, n - 1));
                    break;
                case Strategy.JitteredExponential:
                    delay = JitteredBackoff.GetDelay(n - 1, _jitter).TotalSeconds;
                    break;
                case Strategy.RuntimeLibrary:
                    // The tokens of a throttled attempt were not used; the retry budget decides; the wait is the library's own.
                    _budget!.Reconcile(_s.TokensPerCall, 0);
                    _retryBudget.TryRetry(); // a refused retry would hand the 429 to the caller; the model retries anyway and counts it
                    delay = ProviderPipeline<object>.RetryWait(n - 1, TimeSpan.FromSeconds(retryAfterSeconds), _jitter, _retryRandom.NextDouble).TotalSeconds;
                    break;
                default:
                    delay = retryAfterSeconds;
                    break;
            }

            At(_now + delay, () => BeforeSend(agent, index));
        }
    }

    /// <summary>A standard normal draw (Box–Muller), for the lognormal latencies.</summary>
    internal static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

/// <summary>The provider's admission, in the model's seconds.</summary>
internal sealed class ProviderModel
{
    private readonly Scenario _s;
    private readonly Queue<(double At, long Tokens)> _window = new();
    private readonly double _rate;
    private readonly double _capacity;
    private double _tokens;
    private double _last;
    private long _inWindow;

    public ProviderModel(Scenario scenario)
    {
        _s = scenario;
        _rate = scenario.LimitPerMinute / 60.0;
        _capacity = _rate * scenario.QuantumSeconds;
        _tokens = _capacity;
    }

    public bool TryAdmit(double now, long cost, out int retryAfterSeconds)
    {
        var wait = WaitUntilAdmissible(now, cost);
        if (wait > 0)
        {
            retryAfterSeconds = (int)Math.Ceiling(wait);
            return false;
        }

        retryAfterSeconds = 0;
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

    /// <summary>The tokens left now (for <c>x-ratelimit-remaining-tokens</c>); call after <see cref="WaitUntilAdmissible"/> has brought the state to <paramref name="now"/>.</summary>
    public long Remaining => _s.Window == ProviderWindow.TokenBucket ? (long)Math.Max(0, _tokens) : Math.Max(0, _s.LimitPerMinute - _inWindow);

    /// <summary>0 when a request of <paramref name="cost"/> would be admitted now, else the seconds until it would.</summary>
    public double WaitUntilAdmissible(double now, long cost)
    {
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

        if (_inWindow + cost <= _s.LimitPerMinute || _window.Count == 0)
        {
            return 0;
        }

        long freed = 0;
        foreach (var (at, tokens) in _window)
        {
            freed += tokens;
            if (_inWindow - freed + cost <= _s.LimitPerMinute)
            {
                return Math.Max(1e-3, at + 60 - now);
            }
        }

        return 60;
    }
}
