using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RetryAnalyzers.Runtime.AI;

/// <summary>
/// An <see cref="IChatClient"/> middleware that runs every call through the runtime's provider pipeline: the token
/// budget (estimate: the messages' text / 4 + <see cref="ChatOptions.MaxOutputTokens"/>) → jittered retry honouring the
/// provider's Retry-After (read from the SDK's <c>ClientResultException</c>; an <c>HttpRequestException</c> by status)
/// within the retry budget → one gate that holds every call while the provider throttles or fails. The budget is then
/// reconciled with <see cref="ChatResponse.Usage"/> (streaming: the <see cref="UsageContent"/> of the updates).
/// Add it with <see cref="ProviderResilienceChatClientBuilderExtensions.UseProviderResilience"/>.
/// <para>A stream is retried only until its first update arrives: after that, its updates have reached the caller and a
/// failure is the caller's.</para>
/// </summary>
public sealed class ProviderResilienceChatClient : DelegatingChatClient
{
    /// <summary>The output tokens assumed when <see cref="ChatOptions.MaxOutputTokens"/> is not set, as the HTTP handler's.</summary>
    public const long DefaultOutputTokens = ProviderResilienceHandler.DefaultOutputTokens;

    private readonly ProviderPipeline<object> _pipeline;
    private readonly ProviderTokenBudget? _budget;
    private readonly Func<IEnumerable<ChatMessage>, ChatOptions?, long> _estimateTokens;

    /// <summary>Wraps <paramref name="innerClient"/>.</summary>
    /// <param name="innerClient">The client that calls the provider.</param>
    /// <param name="options">Budget, retry, breaker and metrics settings; validated and copied here.</param>
    /// <param name="estimateTokens">A call's cost in tokens; default <see cref="EstimateTokens"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="innerClient"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public ProviderResilienceChatClient(IChatClient innerClient, ProviderResilienceOptions options, Func<IEnumerable<ChatMessage>, ChatOptions?, long>? estimateTokens = null)
        : base(innerClient)
    {
        _pipeline = ProviderPipeline.Create<object>(options ?? throw new ArgumentNullException(nameof(options)));
        _budget = options.Budget;
        _estimateTokens = estimateTokens ?? EstimateTokens;
    }

    /// <summary>
    /// Where a call that failed after the pipeline gave it up is logged (warning, event <c>ProviderCallGaveUp</c>: the
    /// exception's type and status, never its message or a key). <c>UseProviderResilience</c> sets it from the builder's
    /// services' <see cref="ILoggerFactory"/>; default none.
    /// </summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>The default cost of a call: the messages' text length / 4 + <see cref="ChatOptions.MaxOutputTokens"/> (else <see cref="DefaultOutputTokens"/>).</summary>
    /// <param name="messages">The messages.</param>
    /// <param name="options">The options, or null.</param>
    /// <returns>Tokens.</returns>
    public static long EstimateTokens(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        long characters = 0;
        foreach (var message in messages ?? throw new ArgumentNullException(nameof(messages)))
        {
            characters += message.Text?.Length ?? 0;
        }

        return (characters / 4) + (options?.MaxOutputTokens ?? DefaultOutputTokens);
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = Once(messages);
        var tokens = _budget is null ? 0 : _estimateTokens(list, options);
        var response = (ChatResponse)await _pipeline.ExecuteAsync(
            async token => await base.GetResponseAsync(list, options, token).ConfigureAwait(false),
            tokens,
            cancellationToken).Logged(Logger, "GetResponseAsync", cancellationToken).ConfigureAwait(false);
        Reconcile(tokens, response.Usage);
        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = Once(messages);
        var tokens = _budget is null ? 0 : _estimateTokens(list, options);

        // Opening the stream (up to its first update) is what the pipeline budgets, retries and gates. The stream reads
        // with the caller's token: it outlives the pipeline's call.
        var opened = (Opened)await _pipeline.ExecuteAsync(
            async _ =>
            {
                var enumerator = base.GetStreamingResponseAsync(list, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
                try
                {
                    return new Opened(enumerator, await enumerator.MoveNextAsync().ConfigureAwait(false));
                }
                catch
                {
                    await enumerator.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            },
            tokens,
            cancellationToken).Logged(Logger, "GetStreamingResponseAsync", cancellationToken).ConfigureAwait(false);

        UsageDetails? usage = null;
        try
        {
            for (var has = opened.HasFirst; has; has = await opened.Enumerator.MoveNextAsync().ConfigureAwait(false))
            {
                var update = opened.Enumerator.Current;
                foreach (var content in update.Contents)
                {
                    if (content is UsageContent { Details: { } details })
                    {
                        usage = details;
                    }
                }

                yield return update;
            }
        }
        finally
        {
            await opened.Enumerator.DisposeAsync().ConfigureAwait(false);
        }

        Reconcile(tokens, usage);
    }

    // A retry sends the same messages again: a lazy sequence is read once.
    private static IList<ChatMessage> Once(IEnumerable<ChatMessage> messages)
        => messages as IList<ChatMessage> ?? (messages ?? throw new ArgumentNullException(nameof(messages))).ToList();

    private void Reconcile(long tokens, UsageDetails? usage)
    {
        if (_budget is not null && tokens > 0 && Used(usage) is { } used)
        {
            _budget.Reconcile(tokens, used); // the budget spends what the provider counted, not the estimate
        }
    }

    internal static long? Used(UsageDetails? usage)
        => usage?.TotalTokenCount ?? (usage?.InputTokenCount is { } input && usage.OutputTokenCount is { } output ? input + output : null);

    private sealed class Opened
    {
        public Opened(IAsyncEnumerator<ChatResponseUpdate> enumerator, bool hasFirst)
        {
            Enumerator = enumerator;
            HasFirst = hasFirst;
        }

        public IAsyncEnumerator<ChatResponseUpdate> Enumerator { get; }

        public bool HasFirst { get; }
    }
}
