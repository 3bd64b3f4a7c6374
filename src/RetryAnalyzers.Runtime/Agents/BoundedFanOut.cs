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
        using var run = new FanOut<TSource, TResult>(items, selector, cancellationToken);
        var workers = new Task[Math.Min(maxConcurrency, items.Count)];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(run.WorkAsync, CancellationToken.None);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        run.ThrowFailures();
        cancellationToken.ThrowIfCancellationRequested();
        return run.Results;
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

    // One fan-out: the workers take the next item until none is left or one failed (which stops the others).
    private sealed class FanOut<TSource, TResult> : IDisposable
    {
        private readonly IList<TSource> _items;
        private readonly Func<TSource, CancellationToken, Task<TResult>> _selector;
        private readonly CancellationTokenSource _stop;
        private readonly List<Exception> _failures = new();
        private int _next = -1;

        public FanOut(IList<TSource> items, Func<TSource, CancellationToken, Task<TResult>> selector, CancellationToken cancellationToken)
        {
            _items = items;
            _selector = selector;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Results = new TResult[items.Count];
        }

        public TResult[] Results { get; }

        public async Task WorkAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                var index = Interlocked.Increment(ref _next);
                if (index >= _items.Count)
                {
                    return;
                }

                try
                {
                    Results[index] = await _selector(_items[index], _stop.Token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    if (e is OperationCanceledException && _stop.IsCancellationRequested)
                    {
                        return; // stopped by an earlier failure or by the caller
                    }

                    lock (_failures)
                    {
                        _failures.Add(e);
                    }

                    _stop.Cancel();
                    return;
                }
            }
        }

        // The one failure as it was thrown; several as an AggregateException of them.
        public void ThrowFailures()
        {
            if (_failures.Count == 1)
            {
                ExceptionDispatchInfo.Capture(_failures[0]).Throw();
            }

            if (_failures.Count > 1)
            {
                throw new AggregateException(_failures);
            }
        }

        public void Dispose() => _stop.Dispose();
    }
}
