using System;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Threading.Tasks;
using Polly;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// The retry policy of a System.ClientModel client (the OpenAI .NET SDK, Azure.AI.OpenAI and others), replacing the
/// SDK's <see cref="ClientRetryPolicy"/> (3 retries at 0.8/1.6/3.2 s, no jitter, no cap on Retry-After) with
/// <see cref="ProviderPipeline{TResult}"/>: the shared token budget → jittered retry honouring Retry-After (and the
/// provider's <c>x-should-retry</c>) within the retry budget → a gate that is breaker and throttle. Set it with
/// <c>UseProviderResilience</c> (<see cref="ProviderPipelinePolicyExtensions"/>). A buffered JSON answer reconciles
/// the budget with its <c>usage</c> (.NET 8+). The attempt timeout is the SDK's own <c>NetworkTimeout</c>.
/// </summary>
public sealed class ProviderPipelinePolicy : PipelinePolicy
{
    private readonly ProviderPipeline<PipelineResponse> _pipeline;
    private readonly Func<PipelineMessage, long> _estimateTokens;

    /// <summary>A policy with the given options.</summary>
    /// <param name="options">Budget, retry, breaker and metrics settings; validated and copied here.</param>
    /// <param name="estimateTokens">A request's cost in tokens; default <see cref="EstimateTokens"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public ProviderPipelinePolicy(ProviderResilienceOptions options, Func<PipelineMessage, long>? estimateTokens = null)
    {
        _estimateTokens = estimateTokens ?? EstimateTokens;
        var cap = Guard.NotNull(options, nameof(options)).MaxRetryAfter;
        _pipeline = new ProviderPipeline<PipelineResponse>(
            options,
            outcome => outcome.Exception is { } e ? ProviderPipeline.IsTransientFailure(e) : outcome.Result is { } response && ProviderPipeline.IsTransientAnswer(response.Status, response, static (r, name) => Header(r, name)),
            outcome => outcome.Result?.Status == 429,
            (outcome, now) => outcome.Result is { } response ? RateLimitHeaders.ThrottleWait(response.Status, Headers(response), now, cap) : null);
    }

    /// <summary>The default cost of a request: its body length / 4 + <see cref="ProviderResilienceHandler.DefaultOutputTokens"/>, as the handler's.</summary>
    /// <param name="message">The message.</param>
    /// <returns>Tokens.</returns>
    public static long EstimateTokens(PipelineMessage message)
        => ((message?.Request.Content is { } content && content.TryComputeLength(out var length) ? length : 0) / 4) + ProviderResilienceHandler.DefaultOutputTokens;

    /// <inheritdoc />
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        => RunAsync(message, pipeline, currentIndex, isAsync: false).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        => RunAsync(message, pipeline, currentIndex, isAsync: true);

    // The success path sends once with nothing allocated (the gate open and the budget's tokens there at once; no state
    // machine when the transport completes at once); anything the pipeline would act on goes on through the retry
    // (RetryAsync), with that first attempt's outcome and the tokens it drew.
    private ValueTask RunAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex, bool isAsync)
    {
        Guard.NotNull(message, nameof(message));

        var options = _pipeline.Options;
        var tokens = options.Budget is null ? 0 : _estimateTokens(message);
        if (!_pipeline.TryStartDirect(tokens))
        {
            return RetryAsync(message, pipeline, currentIndex, isAsync, tokens, first: null);
        }

        var sent = options.Budget is null ? 0 : TimeProviderTasks.Mark(options.TimeProvider);
        ValueTask sending;
        try
        {
            sending = SendAsync(message, pipeline, currentIndex, isAsync);
        }
        catch (Exception e)
        {
            return RetryAsync(message, pipeline, currentIndex, isAsync, tokens, Outcome.FromException<PipelineResponse>(e));
        }

        if (sending.IsCompletedSuccessfully)
        {
            sending.GetAwaiter().GetResult();
            return AfterDirect(message, pipeline, currentIndex, isAsync, tokens, sent);
        }

        return AwaitDirectAsync(sending, message, pipeline, currentIndex, isAsync, tokens, sent);
    }

    private async ValueTask AwaitDirectAsync(ValueTask sending, PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex, bool isAsync, long tokens, long sent)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await RetryAsync(message, pipeline, currentIndex, isAsync, tokens, Outcome.FromException<PipelineResponse>(e)).ConfigureAwait(false);
            return;
        }

        await AfterDirect(message, pipeline, currentIndex, isAsync, tokens, sent).ConfigureAwait(false);
    }

    // The direct attempt was sent: the budget learns from its answer, which ends the call, or the retry goes on from it.
    private ValueTask AfterDirect(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex, bool isAsync, long tokens, long sent)
    {
        if (message.Response is not { } response)
        {
            return RetryAsync(message, pipeline, currentIndex, isAsync, tokens, Outcome.FromException<PipelineResponse>(new InvalidOperationException("The transport set no response.")));
        }

        Meter(message, response, tokens, sent);
        var outcome = Outcome.FromResult(response);
        if (!_pipeline.NeedsRetry(outcome))
        {
            _pipeline.EndDirect();
            return default;
        }

        return RetryAsync(message, pipeline, currentIndex, isAsync, tokens, outcome);
    }

    // With a budget: the answer's rate-limit headers, and the usage of a success (sent at `sent`, a TimeProviderTasks mark).
    private void Meter(PipelineMessage message, PipelineResponse response, long tokens, long sent)
    {
        var options = _pipeline.Options;
        if (options.Budget is { } budget)
        {
            budget.ApplyRateLimitHeaders(Headers(response), TimeProviderTasks.Since(options.TimeProvider, sent));
            Reconcile(budget, message, response, tokens);
        }
    }

    private static ValueTask SendAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex, bool isAsync)
    {
        if (isAsync)
        {
            return ProcessNextAsync(message, pipeline, currentIndex);
        }

        ProcessNext(message, pipeline, currentIndex);
        return default;
    }

    private async ValueTask RetryAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex, bool isAsync, long tokens, Outcome<PipelineResponse>? first)
    {
        var options = _pipeline.Options;
        var budget = options.Budget;
        var attempt = first is null ? 0 : 1;
        Func<System.Threading.CancellationToken, ValueTask<PipelineResponse>> call = async _ =>
        {
            if (attempt++ > 0)
            {
                message.Response?.Dispose(); // the answer that was retried; the next attempt brings a new one
            }

            var sent = budget is null ? 0 : TimeProviderTasks.Mark(options.TimeProvider);
            await SendAsync(message, pipeline, currentIndex, isAsync).ConfigureAwait(false);
            var response = message.Response ?? throw new InvalidOperationException("The transport set no response.");
            Meter(message, response, tokens, sent);
            return response;
        };

        await (first is { } made
            ? _pipeline.ContinueDirect(made, call, tokens, message.CancellationToken)
            : _pipeline.ExecuteAsync(call, tokens, message.CancellationToken)).ConfigureAwait(false);
    }

    private static void Reconcile(ProviderTokenBudget budget, PipelineMessage message, PipelineResponse response, long tokens)
    {
#if NET
        if (tokens > 0 && !response.IsError && !message.BufferResponse && UsageStream.IsEventStream(Header(response, "Content-Type")) &&
            response.ContentStream is { } stream)
        {
            // A streamed answer (CompleteChatStreaming): its usage arrives in the last event, read by the caller.
            response.ContentStream = new UsageStream(stream, used => budget.Reconcile(tokens, used));
            return;
        }

        if (tokens > 0 && !response.IsError && message.BufferResponse &&
            Header(response, "Content-Type") is { } type && type.IndexOf("json", StringComparison.OrdinalIgnoreCase) >= 0 &&
            UsageReader.Parse(response.Content.ToMemory().Span) is { } used)
        {
            budget.Reconcile(tokens, used); // the budget spends what the provider counted
        }
#else
        _ = budget;
        _ = message;
        _ = response;
        _ = tokens;
#endif
    }

    internal static Func<string, string?> Headers(PipelineResponse response) => name => Header(response, name);

    private static string? Header(PipelineResponse response, string name) => response.Headers.TryGetValue(name, out var value) ? value?.Trim() : null;
}

/// <summary>Puts <see cref="ProviderPipelinePolicy"/> into a System.ClientModel client's options.</summary>
public static class ProviderPipelinePolicyExtensions
{
    /// <summary>
    /// Replaces the client's retry policy with <see cref="ProviderPipelinePolicy"/>:
    /// <c>new ChatClient(model, credential, new OpenAIClientOptions().UseProviderResilience(new ProviderResilienceOptions { Budget = budget }))</c>.
    /// One layer of retries: the SDK's own are gone.
    /// </summary>
    /// <typeparam name="TOptions">The SDK's options type (<c>OpenAIClientOptions</c>, <c>AzureOpenAIClientOptions</c>, …).</typeparam>
    /// <param name="options">The client options.</param>
    /// <param name="resilience">Budget, retry, breaker and metrics settings; validated and copied here.</param>
    /// <param name="estimateTokens">A request's cost in tokens; default <see cref="ProviderPipelinePolicy.EstimateTokens"/>.</param>
    /// <returns><paramref name="options"/>.</returns>
    public static TOptions UseProviderResilience<TOptions>(this TOptions options, ProviderResilienceOptions resilience, Func<PipelineMessage, long>? estimateTokens = null)
        where TOptions : ClientPipelineOptions
    {
        Guard.NotNull(options, nameof(options)).RetryPolicy = new ProviderPipelinePolicy(resilience, estimateTokens);
        return options;
    }

    /// <summary>
    /// Replaces the client's retry policy with an existing <paramref name="policy"/>, shared with other clients (its
    /// budget, breaker and retry budget serve them all): <c>new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy)</c>.
    /// </summary>
    /// <typeparam name="TOptions">The SDK's options type.</typeparam>
    /// <param name="options">The client options.</param>
    /// <param name="policy">The policy, e.g. <see cref="SharedProviderBudget.Policy"/>.</param>
    /// <returns><paramref name="options"/>.</returns>
    public static TOptions UseProviderResilience<TOptions>(this TOptions options, ProviderPipelinePolicy policy)
        where TOptions : ClientPipelineOptions
    {
        Guard.NotNull(options, nameof(options)).RetryPolicy = Guard.NotNull(policy, nameof(policy));
        return options;
    }
}
