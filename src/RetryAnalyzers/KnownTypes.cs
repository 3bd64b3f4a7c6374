namespace RetryAnalyzers;

/// <summary>
/// Metadata names of the types the rules recognise. The analyzers never reference Polly, the SDKs or the runtime
/// library: they find these types by name in the user's compilation. A test checks every name against the real assembly.
/// </summary>
internal static class KnownTypes
{
    // Polly v7 (package Polly)
    public const string PollyRetrySyntax = "Polly.RetrySyntax";
    public const string PollyAsyncRetrySyntax = "Polly.AsyncRetrySyntax";
    public const string PollyRetryTResultSyntax = "Polly.RetryTResultSyntax";
    public const string PollyAsyncRetryTResultSyntax = "Polly.AsyncRetryTResultSyntax";

    // Polly v8 (package Polly.Core)
    public const string PollyRetryStrategyOptions = "Polly.Retry.RetryStrategyOptions";
    public const string PollyRetryStrategyOptionsOfT = "Polly.Retry.RetryStrategyOptions`1";
    public const string PollyDelayBackoffType = "Polly.DelayBackoffType";
    public const string PollyBrokenCircuitException = "Polly.CircuitBreaker.BrokenCircuitException";

    // Polly.Contrib.WaitAndRetry
    public const string ContribBackoff = "Polly.Contrib.WaitAndRetry.Backoff";

    // BCL
    public const string Task = "System.Threading.Tasks.Task";
    public const string ValueTaskOfT = "System.Threading.Tasks.ValueTask`1";
    public const string Thread = "System.Threading.Thread";
    public const string TimeSpan = "System.TimeSpan";
    public const string Math = "System.Math";
    public const string CancellationToken = "System.Threading.CancellationToken";
    public const string OperationCanceledException = "System.OperationCanceledException";
    public const string Random = "System.Random";
    public const string RandomNumberGenerator = "System.Security.Cryptography.RandomNumberGenerator";
    public const string HttpResponseMessage = "System.Net.Http.HttpResponseMessage";
    public const string HttpStatusCode = "System.Net.HttpStatusCode";

    // Fan-out (RA0004)
    public const string Parallel = "System.Threading.Tasks.Parallel";
    public const string ParallelOptions = "System.Threading.Tasks.ParallelOptions";
    public const string Enumerable = "System.Linq.Enumerable";
    public const string HttpMessageInvoker = "System.Net.Http.HttpMessageInvoker";
    public const string HttpClientJsonExtensions = "System.Net.Http.Json.HttpClientJsonExtensions";
    public const string SemaphoreSlim = "System.Threading.SemaphoreSlim";
    public const string RateLimiter = "System.Threading.RateLimiting.RateLimiter";

    // Unbounded retry (RA0006)
    public const string CancellationTokenSource = "System.Threading.CancellationTokenSource";
    public const string HttpResponseHeaders = "System.Net.Http.Headers.HttpResponseHeaders";

    // Keys (RA0003)
    public const string ApiKeyCredential = "System.ClientModel.ApiKeyCredential";
    public const string OpenAIClientOptions = "OpenAI.OpenAIClientOptions";

    // RetryAnalyzers.Runtime (the bundled library the fixes rewrite onto)
    public const string RuntimeJitteredBackoff = "RetryAnalyzers.Runtime.JitteredBackoff";
    public const string RuntimeRetryBackoff = "RetryAnalyzers.Runtime.RetryBackoff";
    public const string RuntimeBoundedFanOut = "RetryAnalyzers.Runtime.BoundedFanOut";
    public const string RuntimeAgentKeys = "RetryAnalyzers.Runtime.AgentKeys";
    public const string RuntimeSharedProviderBudget = "RetryAnalyzers.Runtime.SharedProviderBudget";
    public const string RuntimeRetryAfterDelay = "RetryAnalyzers.Runtime.RetryAfterDelay";
    public const string RuntimeProviderPipeline = "RetryAnalyzers.Runtime.ProviderPipeline";
    public const string RuntimeProviderPipelineOfT = "RetryAnalyzers.Runtime.ProviderPipeline`1";
    public const string RuntimeProviderResilienceOptions = "RetryAnalyzers.Runtime.ProviderResilienceOptions";
    public const string RuntimeTokenBudget = "RetryAnalyzers.Runtime.TokenBudget";
    public const string RuntimeTokenBudgetOptions = "RetryAnalyzers.Runtime.TokenBudgetOptions";
}
