using System;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Testing.Outages;

/// <summary>
/// The provider of the outage matrix on 127.0.0.1, on the run's scaled clock: 200 after <see cref="Latency"/>; while
/// the outage lasts, a request is answered after <see cref="OutageLatency"/> with 429 + <c>Retry-After: 1</c> or 503 (a
/// request that arrived before the outage and is still waiting for its answer when it starts gets the outage answer).
/// It counts the requests in total and those received while the outage is active.
/// </summary>
public sealed class OutageServer : IDisposable
{
    /// <summary>
    /// The latency of a normal answer: long beside the jitter of a busy machine (at 10×, 1 s is 100 ms of real time),
    /// so the outage's start falls well inside every agent's first call.
    /// </summary>
    public static readonly TimeSpan Latency = TimeSpan.FromSeconds(1);

    /// <summary>The latency of an outage answer.</summary>
    public static readonly TimeSpan OutageLatency = TimeSpan.FromMilliseconds(20);

    private readonly OutageScenario _scenario;
    private readonly ScaledTimeProvider _clock;
    private readonly LoopbackServer _server;
    private int _duringOutage;

    public OutageServer(OutageScenario scenario, ScaledTimeProvider clock)
    {
        _scenario = scenario;
        _clock = clock;
        _server = new LoopbackServer(RespondAsync);
    }

    public string Url => _server.Url;

    public int Requests => _server.Requests;

    /// <summary>Requests received while the outage was active.</summary>
    public int RequestsDuringOutage => Volatile.Read(ref _duringOutage);

    public void Dispose() => _server.Dispose();

    private bool InOutage() => _clock.Elapsed >= OutageScenario.Start && _clock.Elapsed < _scenario.End;

    private async Task RespondAsync(System.Net.HttpListenerContext context, int index)
    {
        var arrivedInOutage = InOutage();
        if (arrivedInOutage)
        {
            Interlocked.Increment(ref _duringOutage);
        }

        await Task.Delay(arrivedInOutage ? OutageLatency : Latency, _clock).ConfigureAwait(false);
        var response = context.Response;
        if (!arrivedInOutage && !InOutage())
        {
            response.StatusCode = 200;
            return;
        }

        if (_scenario.Kind == OutageKind.Throttled)
        {
            response.StatusCode = 429;
            response.AddHeader("Retry-After", "1");
        }
        else
        {
            response.StatusCode = 503;
        }
    }
}
