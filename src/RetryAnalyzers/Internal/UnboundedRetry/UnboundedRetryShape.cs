namespace RetryAnalyzers.Internal;

/// <summary>The kinds of unbounded retry RA0006 reports; the analyzer → code fix contract.</summary>
internal enum UnboundedRetryShape
{
    /// <summary>Polly v7 <c>RetryForever[Async]</c> / <c>WaitAndRetryForever[Async]</c>: at the method name.</summary>
    PollyV7Forever,

    /// <summary>Polly v7 <c>Retry*</c> / <c>WaitAndRetry*</c> given <c>int.MaxValue</c> retries: at the method name.</summary>
    PollyV7MaxValueCount,

    /// <summary>Polly v8 <c>MaxRetryAttempts = int.MaxValue</c>: at the assignment.</summary>
    PollyV8MaxRetryAttempts,

    /// <summary>A hand-written retry loop with no bound: at its wait.</summary>
    HandWrittenLoop,

    /// <summary>A wait taken from a Retry-After header with no cap: at the wait.</summary>
    RetryAfterWait,

    /// <summary>A Polly v7 sleep-duration provider that returns a Retry-After value with no cap: at the returned value.</summary>
    RetryAfterSleepProvider,

    /// <summary>A Polly v8 <c>DelayGenerator</c> that returns a Retry-After value with no cap: at the returned value (no fix).</summary>
    RetryAfterDelayGenerator,
}
