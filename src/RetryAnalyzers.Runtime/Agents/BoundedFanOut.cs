using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Runs one async call per item with at most <c>maxConcurrency</c> in flight, instead of starting them all at once
/// (<c>Task.WhenAll(items.Select(…))</c>), so a fan-out of agents never puts N calls at the provider at t = 0. Results
/// keep the order of the items. The first failure stops new items from starting and cancels the token the running
/// ones got; once they end, that exception is rethrown as is (several: an <see cref="AggregateException"/> of them).
/// The caller's cancellation surfaces as <see cref="OperationCanceledException"/>.
/// </summary>
public static class BoundedFanOut
{
    /// <summary>The concurrency the code fixes use when none is configured: small, because each call may be large.</summary>
    public const int DefaultMaxConcurrency = RuntimeDefaults.FanOutMaxConcurrency;

    /// <summary>Calls <paramref name="selector"/> for every item, at most <paramref name="maxConcurrency"/> at a time.</summary>
    /// <typeparam name="TSource">The items.</typeparam>
    /// <typeparam name="TResult">The results.</typeparam>
    /// <param name="source">The items.</param>
    /// <param name="selector">The call per item.</param>
    /// <param name="maxConcurrency">Calls in flight at most, 1 or more.</param>
    /// <param name="cancellationToken">Cancels everything.</param>
    /// <returns>The results, in the order of the items.</returns>
    public static async Task<TResult[]> SelectAsync<TSource, TResult>(
        IEnumerable<TSource> source,
        Func<TSource, CancellationToken, Task<TResult>> selector,
        int maxConcurrency = DefaultMaxConcurrency,
        CancellationToken cancellationToken = default)
    {
        Guard.NotNull(source, nameof(source));
        Guard.NotNull(selector, nameof(selector));
        Guard.Positive(maxConcurrency, nameof(maxConcurrency));

        var items = source as IList<TSource> ?? source.ToList();
        var results = new TResult[items.Count];
        var next = -1;
        var errors = new List<Exception>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task WorkAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= items.Count)
                {
                    return;
                }

                try
                {
                    results[index] = await selector(items[index], stop.Token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    if (e is OperationCanceledException && stop.IsCancellationRequested)
                    {
                        return; // stopped by an earlier failure or by the caller
                    }

                    lock (errors)
                    {
                        errors.Add(e);
                    }

                    stop.Cancel();
                    return;
                }
            }
        }

        var workers = new Task[Math.Min(maxConcurrency, items.Count)];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(WorkAsync, CancellationToken.None);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        if (errors.Count == 1)
        {
            ExceptionDispatchInfo.Capture(errors[0]).Throw();
        }

        if (errors.Count > 1)
        {
            throw new AggregateException(errors);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return results;
    }

    /// <summary>Calls <paramref name="body"/> for every item, at most <paramref name="maxConcurrency"/> at a time.</summary>
    /// <typeparam name="TSource">The items.</typeparam>
    /// <param name="source">The items.</param>
    /// <param name="body">The call per item.</param>
    /// <param name="maxConcurrency">Calls in flight at most, 1 or more.</param>
    /// <param name="cancellationToken">Cancels everything.</param>
    /// <returns>A task that completes when every call has.</returns>
    public static Task ForEachAsync<TSource>(
        IEnumerable<TSource> source,
        Func<TSource, CancellationToken, Task> body,
        int maxConcurrency = DefaultMaxConcurrency,
        CancellationToken cancellationToken = default)
    {
        Guard.NotNull(body, nameof(body));

        return SelectAsync<TSource, bool>(
            source,
            async (item, token) =>
            {
                await body(item, token).ConfigureAwait(false);
                return true;
            },
            maxConcurrency,
            cancellationToken);
    }
}
