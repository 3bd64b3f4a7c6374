using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Workload;

/// <summary>
/// The deterministic model: the strategies' real clients (Polly v8 pipelines, the standard resilience handler, the
/// library's public <see cref="RetryAnalyzers.Runtime.ProviderResilienceHandler"/> and <see cref="RetryAnalyzers.Runtime.TokenBudget"/>)
/// send real <see cref="HttpRequestMessage"/>s to the simulated provider behind an in-memory handler, everything on one
/// <see cref="SimClock"/> driven by <see cref="VirtualTime"/>: a run of minutes takes a fraction of a second, and the
/// same seed gives the same result. Nothing of the library is re-implemented here. Runs in its own process only (it
/// cuts the thread pool to one thread).
/// </summary>
public static class Simulation
{
    private static readonly Uri Url = new("http://provider.invalid/v1/chat/completions");

    /// <summary>Runs one strategy on one scenario.</summary>
    public static RunResult Run(Scenario scenario, Strategy strategy, int seed)
    {
        var clock = new SimClock();
        var provider = new SimProvider(scenario, clock, seed);
        HttpMessageHandler transport = strategy == Strategy.Oracle ? new OracleHandler(provider, clock) { InnerHandler = provider } : provider;
        return VirtualTime.Run(clock, async () =>
        {
            using var client = WorkloadClient.Create(strategy, scenario, seed, clock, transport, margin: 0.98);
            var (makespan, p95) = await Agents.RunAsync(scenario, client, Url, clock).ConfigureAwait(false);
            return new RunResult(strategy, makespan, p95, provider.Requests, provider.Throttled, scenario.Calls, provider.Model.RecoverySeconds());
        });
    }

    /// <summary>The provider in memory: <see cref="ProviderModel"/>'s admission at the clock's time, its latency on the clock.</summary>
    private sealed class SimProvider(Scenario scenario, SimClock clock, int seed) : HttpMessageHandler
    {
        private readonly ProviderModel _model = new(scenario);
        private readonly Random _random = new(seed);

        public int Requests { get; private set; }

        public int Throttled { get; private set; }

        public ProviderModel Model => _model;

        /// <summary>A request's cost, as the agents send it.</summary>
        public static long Cost(HttpRequestMessage request)
            => long.Parse(request.Headers.GetValues(RateLimitedProvider.TokensHeader).First(), CultureInfo.InvariantCulture);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var cost = Cost(request);
            ProviderAnswer answer;
            lock (_model)
            {
                Requests++;
                answer = _model.Answer(clock.Seconds, cost, _random);
                Throttled += answer.Admitted ? 0 : 1;
            }

            await Task.Delay(TimeSpan.FromSeconds(answer.LatencySeconds), clock, cancellationToken).ConfigureAwait(false);
            var response = new HttpResponseMessage(answer.Admitted ? HttpStatusCode.OK : HttpStatusCode.TooManyRequests) { RequestMessage = request, Content = new StringContent(ProviderModel.Body(answer, cost), System.Text.Encoding.UTF8, "application/json") };
            foreach (var (name, value) in answer.Headers)
            {
                response.Headers.TryAddWithoutValidation(name, value);
            }

            return response;
        }
    }

    /// <summary>The lower bound: calls wait in one line (first come, first served) until the provider's own state says the next one fits.</summary>
    private sealed class OracleHandler(SimProvider provider, SimClock clock) : DelegatingHandler
    {
        private readonly SemaphoreSlim _line = new(1, 1);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var cost = SimProvider.Cost(request);
            await _line.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                while (true)
                {
                    double wait;
                    lock (provider.Model)
                    {
                        wait = provider.Model.WaitUntilAdmissible(clock.Seconds, cost);
                    }

                    if (wait <= 0)
                    {
                        break;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait * 1000)), clock, cancellationToken).ConfigureAwait(false); // whole ms: a shorter delay completes at once
                }
            }
            finally
            {
                _line.Release();
            }

            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }
}
