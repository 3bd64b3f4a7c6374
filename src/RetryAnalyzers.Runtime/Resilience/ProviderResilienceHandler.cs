using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
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

    private readonly ConcurrentDictionary<Host, ProviderGate> _gates = new(HostComparer.Instance);

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
        var budget = options.Budget;
        var tokens = budget is null ? 0 : _estimateTokens(request);
        var gate = GateFor(request.RequestUri); // one breaker per host
        if (_pipeline.TryStartDirect(gate, tokens))
        {
            // The gate open and the budget's tokens there at once: the first attempt goes without the retry's machinery
            // (still cut at the attempt timeout; no delegate made for it); only an answer the pipeline acts on enters the
            // retry, judged as its first attempt, with the tokens it drew.
            var first = await _pipeline.SendDirectAsync(
                static (call, token) => call.Self.SendOnce(call.Request, call.Budget, call.Tokens, token),
                (Self: this, Request: request, Budget: budget, Tokens: tokens),
                cancellationToken).ConfigureAwait(false);
            if (first.Exception is null && !_pipeline.NeedsRetry(first))
            {
                _pipeline.EndDirect(gate);
                return first.Result!;
            }

            return await _pipeline.ContinueDirect(first, Attempts(request, budget, tokens), gate, tokens, cancellationToken).ConfigureAwait(false);
        }

        return await _pipeline.ExecuteAsync(Attempts(request, budget, tokens), tokens, gate, cancellationToken).ConfigureAwait(false);
    }

    // The call's attempts for the retry (made here, not in SendAsync: a lambda there would allocate its closure on every call).
    private Func<CancellationToken, ValueTask<HttpResponseMessage>> Attempts(HttpRequestMessage request, ProviderTokenBudget? budget, long tokens)
        => token => SendOnce(request, budget, tokens, token);

    private ValueTask<HttpResponseMessage> SendOnce(HttpRequestMessage request, ProviderTokenBudget? budget, long tokens, CancellationToken cancellationToken)
        => budget is null
            ? new ValueTask<HttpResponseMessage>(base.SendAsync(request, cancellationToken))
            : SendMeteredAsync(request, budget, tokens, _pipeline.Options.TimeProvider, cancellationToken);

    // One attempt with a budget: the budget learns from the answer's rate-limit headers, and a success is settled at
    // the usage the provider reported.
    private async ValueTask<HttpResponseMessage> SendMeteredAsync(HttpRequestMessage request, ProviderTokenBudget budget, long tokens, TimeProvider time, CancellationToken cancellationToken)
    {
        var sent = TimeProviderTasks.Mark(time);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        budget.ApplyRateLimitHeaders(response, TimeProviderTasks.Since(time, sent));
        if (response.IsSuccessStatusCode && tokens > 0 && response.Content?.Headers.ContentType?.MediaType is { } media)
        {
            await ReconcileAsync(budget, response, media, tokens, time, sent, cancellationToken).ConfigureAwait(false);
        }

        return response;
    }

    // The budget spends what the provider counted, not the estimate: a JSON answer's usage now, a stream's when the
    // caller has read it to the end (its last event carries the usage).
    // The call's age (since `sent`, on `time`) is read when the usage is known: a window gives nothing back for an
    // admission that has left it.
    private static async Task ReconcileAsync(ProviderTokenBudget budget, HttpResponseMessage response, string media, long tokens, TimeProvider time, long sent, CancellationToken cancellationToken)
    {
#if NET
        if (media.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            await UsageStream.WrapAsync(response, used => budget.Reconcile(tokens, used, TimeProviderTasks.Since(time, sent)), cancellationToken).ConfigureAwait(false);
            return;
        }
#endif
        if (await UsageReader.ReadAsync(response, media, cancellationToken).ConfigureAwait(false) is { } used)
        {
            budget.Reconcile(tokens, used, TimeProviderTasks.Since(time, sent));
        }
    }

    /// <summary>The number of hosts with a gate.</summary>
    internal int GateCount => _gates.Count;

    // A request's host and port (no string made: Uri keeps its host; Authority would build one per call).
    private ProviderGate GateFor(Uri? uri) => uri is { IsAbsoluteUri: true } ? GateFor(uri.Host, uri.Port) : GateFor(string.Empty);

    /// <summary>
    /// The gate of a host (and port). When <see cref="MaxGates"/> hosts have one, the gates not held are dropped first:
    /// a held gate (throttled, or an open breaker) is kept, so its calls keep waiting; a dropped one only forgets its
    /// failure count, and a call still running on it reports to it harmlessly.
    /// </summary>
    internal ProviderGate GateFor(string host, int port = -1)
    {
        var key = new Host(host, port);
        if (_gates.TryGetValue(key, out var gate))
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

        return _gates.GetOrAdd(key, _ => _pipeline.NewGate());
    }

    private readonly record struct Host(string Name, int Port);

    private sealed class HostComparer : IEqualityComparer<Host>
    {
        public static readonly HostComparer Instance = new();

        public bool Equals(Host x, Host y) => x.Port == y.Port && string.Equals(x.Name, y.Name, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode(Host obj) => StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Name) ^ obj.Port;
    }

    internal static bool IsTransientResponse(HttpResponseMessage? response)
        => response is not null && ProviderPipeline.IsTransientAnswer((int)response.StatusCode, response, static (r, name) => RateLimitHeaders.Headers(r)(name));

    internal static TimeSpan? ThrottleWait(HttpResponseMessage response, DateTimeOffset now, TimeSpan cap)
        => RateLimitHeaders.ThrottleWait((int)response.StatusCode, RateLimitHeaders.Headers(response), now, cap);
}
