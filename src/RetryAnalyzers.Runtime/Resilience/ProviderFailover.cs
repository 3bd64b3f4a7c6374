using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Polly.CircuitBreaker;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// One provider of a <see cref="ProviderFailover{TProvider}"/>: the client (an <see cref="HttpClient"/> on its own
/// <see cref="ProviderResilienceHandler"/>, an SDK client on its own <see cref="ProviderPipelinePolicy"/>, or anything a
/// <see cref="ProviderPipeline{TResult}"/> runs), and the <see cref="RetryMetrics"/> its resilience counts into.
/// </summary>
/// <typeparam name="TProvider">The client type.</typeparam>
public sealed class ProviderRoute<TProvider>
    where TProvider : class
{
    /// <summary>Until when (<see cref="TimeProvider.GetTimestamp"/>) the provider said it is held; 0 when it is not known to be.</summary>
    internal long HeldUntil;

    /// <summary>A route.</summary>
    /// <param name="provider">The provider's client, with its own budget, retry and breaker.</param>
    /// <param name="metrics">The metrics of that provider's <see cref="ProviderResilienceOptions.Metrics"/> (so the calls it passes on are counted beside the calls it served), or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="provider"/> is null.</exception>
    public ProviderRoute(TProvider provider, RetryMetrics? metrics = null)
    {
        Provider = Guard.NotNull(provider, nameof(provider));
        Metrics = metrics;
    }

    /// <summary>The provider's client.</summary>
    public TProvider Provider { get; }

    /// <summary>Its metrics, or null.</summary>
    public RetryMetrics? Metrics { get; }
}

/// <summary>
/// Provider failover: if provider A is rate limited, do not wait for it or retry into it — send the call to provider B.
/// Each provider keeps its own resilience (its own token budget, Retry-After-aware retry and breaker: a
/// <see cref="ProviderResilienceHandler"/>, <see cref="ProviderPipelinePolicy"/> or <see cref="ProviderPipeline{TResult}"/>
/// per provider), so a provider fails over exactly when that resilience gives the call up: a throttle whose Retry-After
/// exceeds <see cref="ProviderResilienceOptions.MaxRetryAfter"/>, a gate held (throttled or breaker open) past
/// <see cref="ProviderResilienceOptions.MaxWaitForRecovery"/> (a <see cref="BrokenCircuitException"/>; nothing was sent),
/// or a transient failure its retries did not overcome (408, 429, 5xx, a network error, a timeout). A provider that
/// reported such a hold is skipped, without a call, until the hold ends. Anything else ends the call where it is: a
/// success, an answer such as 400 (the next provider would refuse it too), the caller's cancellation. The last
/// provider's outcome reaches the caller unchanged. Metrics: each provider's <see cref="RetryMetrics.Served"/> counts the
/// calls it served, <see cref="RetryMetrics.PassedOn"/> those it passed to the next provider. Thread-safe; share one instance.
/// </summary>
/// <typeparam name="TProvider">The client type, one per provider.</typeparam>
public sealed class ProviderFailover<TProvider>
    where TProvider : class
{
    private readonly ProviderRoute<TProvider>[] _routes;
    private readonly TimeProvider _time;

    /// <summary>A failover over providers in order of preference.</summary>
    /// <param name="routes">The providers, the preferred first; at least one.</param>
    /// <param name="timeProvider">The clock for the holds; default <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="routes"/> is empty or holds null.</exception>
    public ProviderFailover(IEnumerable<ProviderRoute<TProvider>> routes, TimeProvider? timeProvider = null)
    {
        _routes = Guard.NotNull(routes, nameof(routes)).ToArray();
        Guard.Argument(_routes.Length > 0, nameof(routes), "ProviderFailover needs at least one provider.");
        Guard.Argument(Array.TrueForAll(_routes, route => route is not null), nameof(routes), "ProviderFailover's routes must not be null.");
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>A failover over providers in order of preference, without metrics of their own.</summary>
    /// <param name="providers">The providers' clients, the preferred first; at least one.</param>
    /// <exception cref="ArgumentException"><paramref name="providers"/> is empty or holds null.</exception>
    public ProviderFailover(params TProvider[] providers)
        : this(Guard.NotNull(providers, nameof(providers)).Select(provider => provider is null ? null! : new ProviderRoute<TProvider>(provider)))
    {
    }

    /// <summary>The providers, in order of preference.</summary>
    public IReadOnlyList<ProviderRoute<TProvider>> Routes => _routes;

    /// <summary>
    /// Runs one call on the first provider that serves it. A result is a failure to pass on when
    /// <paramref name="isFailure"/> says so; by default an <see cref="HttpResponseMessage"/> with status 408, 429 or 5xx
    /// (disposed before the next provider is tried), and nothing else.
    /// </summary>
    /// <typeparam name="TResult">The call's result.</typeparam>
    /// <param name="call">The call on one provider's client; it gets the caller's token.</param>
    /// <param name="cancellationToken">Cancels the call; never passed on to the next provider.</param>
    /// <param name="isFailure">Which results the next provider should get instead, or null for the default.</param>
    /// <returns>The serving provider's result, or the last provider's outcome.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="call"/> is null.</exception>
    public ValueTask<TResult> ExecuteAsync<TResult>(Func<TProvider, CancellationToken, ValueTask<TResult>> call, CancellationToken cancellationToken = default, Func<TResult, bool>? isFailure = null)
        => RunAsync(Guard.NotNull(call, nameof(call)), isFailure, cancellationToken);

    private async ValueTask<TResult> RunAsync<TResult>(Func<TProvider, CancellationToken, ValueTask<TResult>> call, Func<TResult, bool>? isFailure, CancellationToken cancellationToken)
    {
        var last = _routes.Length - 1;
        for (var i = 0; ; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var route = _routes[i];
            if (i < last && IsHeld(route))
            {
                Passed(route);
                continue;
            }

            TResult result;
            try
            {
                result = await call(route.Provider, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (i < last && !cancellationToken.IsCancellationRequested && PassesOn(e))
            {
                if (e is BrokenCircuitException { RetryAfter: { } hold } && hold > TimeSpan.Zero)
                {
                    Volatile.Write(ref route.HeldUntil, _time.GetTimestamp() + (long)(hold.TotalSeconds * _time.TimestampFrequency));
                }

                Passed(route);
                continue;
            }

            if (i < last && (isFailure?.Invoke(result) ?? IsFailedAnswer(result)))
            {
                (result as IDisposable)?.Dispose();
                Passed(route);
                continue;
            }

            return result;
        }
    }

    private static void Passed(ProviderRoute<TProvider> route) => route.Metrics?.RecordPassedOn();

    private bool IsHeld(ProviderRoute<TProvider> route)
    {
        var until = Volatile.Read(ref route.HeldUntil);
        return until != 0 && _time.GetTimestamp() < until;
    }

    private static bool IsFailedAnswer<TResult>(TResult result)
        => result is HttpResponseMessage response && ProviderPipeline.IsTransientStatus((int)response.StatusCode);

    // What the provider's resilience gave up on: its gate is held, or a failure the pipeline counts as transient
    // outlasted its retries. A cancellation that is not the caller's (HttpClient.Timeout) is the provider's slowness.
    private static bool PassesOn(Exception exception)
        => exception is BrokenCircuitException or OperationCanceledException || ProviderPipeline.IsTransientFailure(exception);
}
