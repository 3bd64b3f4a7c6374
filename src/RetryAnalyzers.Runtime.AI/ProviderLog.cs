using System;
using System.ClientModel;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace RetryAnalyzers.Runtime.AI;

/// <summary>
/// What the middleware logs: a call that reached its caller as a failure after the pipeline gave it up (the provider
/// throttling past the accepted wait, its gate held, or failures the retries did not overcome). Only the exception's
/// type and status are written, never its message (which may quote the provider's answer) nor any key.
/// </summary>
internal static class ProviderLog
{
    private static readonly Action<ILogger, string, string, int, Exception?> GaveUp = LoggerMessage.Define<string, string, int>(
        LogLevel.Warning,
        new EventId(1, "ProviderCallGaveUp"),
        "{Operation} failed after the provider pipeline gave it up: {ErrorType} (status {Status}). With failover, the next provider is asked.");

    /// <summary>Awaits a pipeline call; its failure is logged (unless it is the caller's own cancellation) and rethrown unchanged.</summary>
    public static async ValueTask<T> Logged<T>(this ValueTask<T> call, ILogger logger, string operation, CancellationToken cancellationToken)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (!cancellationToken.IsCancellationRequested && logger.IsEnabled(LogLevel.Warning))
            {
                GaveUp(logger, operation, e.GetType().Name, (e as ClientResultException)?.Status ?? 0, null);
            }

            throw;
        }
    }
}
