using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// A <see cref="DelegatingHandler"/> that runs every HTTP call through <see cref="ProviderPipeline{TResult}"/>: shared token
/// budget → jittered retry honouring Retry-After (<c>retry-after-ms</c>, <c>x-ms-retry-after-ms</c>, <c>Retry-After</c>;
/// for a 429 without one, the exhausted limit's <c>x-ratelimit-reset-*</c>) and the provider's <c>x-should-retry</c>
/// within the retry budget → per-attempt timeout → circuit breaker, one per host (URI authority), so a refused
/// connection to one host never holds calls to another. Responses 408, 429 and 5xx, network errors and attempt
/// timeouts are retried; a 429 (or 503 with Retry-After) holds calls to that host for the provider's wait, and while
/// the breaker is open calls wait for its probe instead of failing. The budget learns from <c>x-ratelimit-*</c> headers. Use it with <c>services.AddHttpClient(…).AddHttpMessageHandler(…)</c>, or
/// give SDKs that accept an <see cref="HttpClient"/> (OpenAI's <c>HttpClientPipelineTransport</c>) an
/// <c>HttpClient</c> built on it — and turn the SDK's own retries off, or every retry layer multiplies the other.
/// </summary>
public sealed class ProviderResilienceHandler : DelegatingHandler
{
    /// <summary>The output tokens assumed per request when the estimator has nothing better (the request's max tokens are not read).</summary>
    public const long DefaultOutputTokens = RuntimeDefaults.OutputTokens;

    private readonly ProviderPipeline<HttpResponseMessage> _pipeline;
    private readonly Func<HttpRequestMessage, long> _estimateTokens;
    /// <summary>Past this many hosts, gates that are not held are forgotten (a crawler through one handler must not grow it without end).</summary>
    internal const int MaxGates = 1024;

    private readonly ConcurrentDictionary<string, ProviderGate> _gates = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A handler with the given options; the inner handler is set by <c>HttpClientFactory</c> or by you.</summary>
    /// <param name="options">Budget, retry, breaker and metrics settings; validated and copied here (later changes to the object change nothing).</param>
    /// <param name="estimateTokens">A request's cost in tokens; default <see cref="EstimateTokens"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public ProviderResilienceHandler(ProviderResilienceOptions options, Func<HttpRequestMessage, long>? estimateTokens = null)
    {
        _estimateTokens = estimateTokens ?? EstimateTokens;
        var cap = Guard.NotNull(options, nameof(options)).MaxRetryAfter;
        _pipeline = new ProviderPipeline<HttpResponseMessage>(
            options,
            outcome => outcome.Exception is { } e ? ProviderPipeline.IsTransientException(e) : IsTransientResponse(outcome.Result),
            outcome => outcome.Result?.StatusCode == (HttpStatusCode)429,
            (outcome, now) => outcome.Result is { } response ? ThrottleWait(response, now, cap) : null);
    }

    /// <summary>The default cost of a request: its body length / 4 (about one token per 4 bytes of JSON) + <see cref="DefaultOutputTokens"/>.</summary>
    /// <param name="request">The request.</param>
    /// <returns>Tokens.</returns>
    public static long EstimateTokens(HttpRequestMessage request)
        => ((request?.Content?.Headers.ContentLength ?? 0) / 4) + DefaultOutputTokens;

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Guard.NotNull(request, nameof(request));

        if (request.Content is { } content)
        {
            // The body is sent again on retry: buffer it once (a no-op for string and byte content).
            await content.LoadIntoBufferAsync().ConfigureAwait(false);
        }

        var options = _pipeline.Options; // the handler's own copy
        var tokens = options.Budget is null ? 0 : _estimateTokens(request);
        var gate = GateFor(request.RequestUri?.Authority ?? string.Empty); // one breaker per host
        if (_pipeline.TryStartDirect(gate))
        {
            // No budget and the gate open: the first attempt goes without the retry's machinery (still cut at the
            // attempt timeout); only an answer the pipeline acts on enters the retry, judged as its first attempt.
            Func<CancellationToken, ValueTask<HttpResponseMessage>> send = token => new ValueTask<HttpResponseMessage>(base.SendAsync(request, token));
            var first = await _pipeline.SendDirectAsync(send, cancellationToken).ConfigureAwait(false);
            if (first.Exception is null && !_pipeline.NeedsRetry(first))
            {
                _pipeline.EndDirect(gate);
                return first.Result!;
            }

            return await _pipeline.ContinueDirect(first, send, gate, cancellationToken).ConfigureAwait(false);
        }

        return await _pipeline.ExecuteAsync(
            async token =>
            {
                var budget = options.Budget;
                var sent = budget is null ? 0 : options.TimeProvider.GetTimestamp();
                var response = await base.SendAsync(request, token).ConfigureAwait(false);
                if (budget is not null)
                {
                    budget.ApplyRateLimitHeaders(response, options.TimeProvider.GetElapsedTime(sent));
                    if (response.IsSuccessStatusCode && tokens > 0)
                    {
                        await ReconcileAsync(budget, response, tokens, options.TimeProvider, sent, token).ConfigureAwait(false);
                    }
                }

                return response;
            },
            tokens,
            gate,
            cancellationToken).ConfigureAwait(false);
    }

    // The budget spends what the provider counted, not the estimate: a JSON answer's usage now, a stream's when the
    // caller has read it to the end (its last event carries the usage).
    // The call's age (since `sent`, on `time`) is read when the usage is known: a window gives nothing back for an
    // admission that has left it.
    private static async Task ReconcileAsync(ProviderTokenBudget budget, HttpResponseMessage response, long tokens, TimeProvider time, long sent, CancellationToken cancellationToken)
    {
#if NET
        if (UsageStream.IsEventStream(response))
        {
            await UsageStream.WrapAsync(response, used => budget.Reconcile(tokens, used, time.GetElapsedTime(sent)), cancellationToken).ConfigureAwait(false);
            return;
        }
#endif
        if (await UsageReader.ReadAsync(response, cancellationToken).ConfigureAwait(false) is { } used)
        {
            budget.Reconcile(tokens, used, time.GetElapsedTime(sent));
        }
    }

    /// <summary>The number of hosts with a gate.</summary>
    internal int GateCount => _gates.Count;

    /// <summary>
    /// The gate of a host (URI authority). When <see cref="MaxGates"/> hosts have one, the gates not held are dropped first:
    /// a held gate (throttled, or an open breaker) is kept, so its calls keep waiting; a dropped one only forgets its
    /// failure count, and a call still running on it reports to it harmlessly.
    /// </summary>
    internal ProviderGate GateFor(string host)
    {
        if (_gates.TryGetValue(host, out var gate))
        {
            return gate;
        }

        if (_gates.Count >= MaxGates)
        {
            foreach (var pair in _gates)
            {
                if (!pair.Value.IsHeld)
                {
                    _gates.TryRemove(pair.Key, out _);
                }
            }
        }

        return _gates.GetOrAdd(host, _ => _pipeline.NewGate());
    }

    private static bool IsTransientResponse(HttpResponseMessage? response)
        => response is not null && ProviderPipeline.IsTransientAnswer((int)response.StatusCode, response, static (r, name) => RateLimitHeaders.Headers(r)(name));

    private static TimeSpan? ThrottleWait(HttpResponseMessage response, DateTimeOffset now, TimeSpan cap)
        => RateLimitHeaders.ThrottleWait((int)response.StatusCode, RateLimitHeaders.Headers(response), now, cap);
}
