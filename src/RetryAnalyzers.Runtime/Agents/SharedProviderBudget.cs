using System;
using System.Globalization;
using System.Net.Http;
using System.Threading;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// The process-wide token budget and the <see cref="HttpClient"/> that runs every provider call through it (with the
/// <see cref="ProviderResilienceHandler"/>: budget → jittered retry honouring Retry-After → breaker). Agents that must
/// share one API key share this, so together they stay under the key's limit. RA0003's second fix routes SDK clients
/// here in one line: <c>new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy)</c> (the SDK's own
/// retries are replaced, not stacked); an <see cref="System.Net.Http.HttpClient"/> user takes <see cref="HttpClient"/>.
/// <para>
/// Configure it once at startup with <see cref="Configure"/>; otherwise it is created on first use from the
/// environment variable <see cref="TokensPerMinuteVariable"/> (the key's tokens-per-minute limit). Without that
/// variable it starts from <see cref="DefaultTokensPerMinute"/> as a guess, learns the key's real limit from the first
/// response's <c>x-ratelimit-limit-tokens</c> (up as well as down), and says so once through the
/// <c>RetryAnalyzers-Runtime</c> event source: it never throttles a larger key silently.
/// </para>
/// </summary>
public static class SharedProviderBudget
{
    /// <summary>The environment variable with the shared key's tokens-per-minute limit.</summary>
    public const string TokensPerMinuteVariable = "RETRYANALYZERS_TOKENS_PER_MINUTE";

    /// <summary>The first guess when nothing is configured: 30,000 tokens per minute (a low tier), until the provider's headers tell the key's limit.</summary>
    public const long DefaultTokensPerMinute = RuntimeDefaults.SharedTokensPerMinute;

    private static readonly object Lock = new();
    private static Shared? _shared;

    /// <summary>The shared budget.</summary>
    public static TokenBudget Budget => Current.Budget;

    /// <summary>An <see cref="System.Net.Http.HttpClient"/> whose calls draw from <see cref="Budget"/>; give it to SDK transports.</summary>
    public static HttpClient HttpClient => Current.Client;

    /// <summary>
    /// One System.ClientModel retry policy for every SDK client on the shared key (OpenAI, Azure.AI.OpenAI, …):
    /// <c>new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy)</c>. Its calls draw from
    /// <see cref="Budget"/>, and its breaker and retry budget are shared by every client it is given to.
    /// </summary>
    public static ProviderPipelinePolicy Policy => Current.Policy;

    /// <summary>Sets the shared budget before first use.</summary>
    /// <param name="budget">Options of the shared budget; validated and copied here.</param>
    /// <param name="resilience">Retry and breaker options for the shared client, or null for the defaults; copied, with the shared budget as its <c>Budget</c> (the object you pass is not changed).</param>
    /// <exception cref="InvalidOperationException">The shared budget is already in use.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public static void Configure(TokenBudgetOptions budget, ProviderResilienceOptions? resilience = null)
    {
        Guard.NotNull(budget, nameof(budget));

        var created = Create(budget, resilience);
        lock (Lock)
        {
            if (_shared is not null)
            {
                created.Client.Dispose();
                created.Budget.Dispose();
                throw new InvalidOperationException("SharedProviderBudget is already in use; call Configure once, at startup, before any agent calls a provider.");
            }

            _shared = created;
        }
    }

    private static Shared Current
    {
        get
        {
            var shared = Volatile.Read(ref _shared);
            if (shared is not null)
            {
                return shared;
            }

            lock (Lock)
            {
                return _shared ??= Create(DefaultOptions(Environment.GetEnvironmentVariable(TokensPerMinuteVariable)), null);
            }
        }
    }

    // The limit from the environment variable; without it a guess that the provider's headers correct (said once, as an event).
    internal static TokenBudgetOptions DefaultOptions(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            RuntimeEventSource.Log.SharedBudgetGuessing(DefaultTokensPerMinute, TokensPerMinuteVariable);
            var guess = TokenBudgetOptions.PerMinute(DefaultTokensPerMinute);
            guess.LearnLimitFromHeaders = true;
            return guess;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? TokenBudgetOptions.PerMinute(value)
            : throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture, "{0} must be a whole number of tokens per minute greater than 0; it was '{1}'.", TokensPerMinuteVariable, text));
    }

    internal static Shared Create(TokenBudgetOptions options, ProviderResilienceOptions? resilience)
    {
        var pipeline = resilience?.ValidatedCopy() ?? new ProviderResilienceOptions(); // a copy: the caller's options are never changed
        var budget = new TokenBudget(options);
        pipeline.Budget = budget;
        var client = new HttpClient(new ProviderResilienceHandler(pipeline) { InnerHandler = new HttpClientHandler() }, disposeHandler: true);
        return new Shared(budget, client, new Lazy<ProviderPipelinePolicy>(() => new ProviderPipelinePolicy(pipeline)));
    }

    internal sealed class Shared
    {
        private readonly Lazy<ProviderPipelinePolicy> _policy;

        public Shared(TokenBudget budget, HttpClient client, Lazy<ProviderPipelinePolicy> policy)
        {
            Budget = budget;
            Client = client;
            _policy = policy;
        }

        public TokenBudget Budget { get; }

        public HttpClient Client { get; }

        // Built on first use: a process that only takes the HttpClient never builds the SDK policy's pipeline.
        public ProviderPipelinePolicy Policy => _policy.Value;
    }
}
