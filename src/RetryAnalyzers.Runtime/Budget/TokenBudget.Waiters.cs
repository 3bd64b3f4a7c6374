using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Runtime;

// The waiter queue: first in, first out, served by a timer set for the head of the queue.
public sealed partial class TokenBudget
{
    /// <inheritdoc />
    protected internal override ValueTask<bool> AcquireTokensCoreAsync(long tokens, CancellationToken cancellationToken)
    {
        CheckTokens(tokens);
        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_lock)
        {
            if (TryTakeLease(tokens))
            {
                return new ValueTask<bool>(false);
            }

            if (_queue.Count >= _queueLimit)
            {
                _failedLeases++;
                throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture, "The token budget's queue is full (TokenBudgetOptions.QueueLimit = {0}).", _queueLimit));
            }

            waiter = new Waiter(this, tokens, cancellationToken);
            waiter.Node = _queue.AddLast(waiter);
            ScheduleTimer();
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(static state => ((Waiter)state!).Cancel(), waiter);
        }

        return new ValueTask<bool>(waiter.Completion.Task); // true when admitted: the caller waited
    }


    private static void Complete(List<Waiter>? ready)
    {
        if (ready is null)
        {
            return;
        }

        foreach (var waiter in ready)
        {
            waiter.Registration.Dispose();
            waiter.Completion.TrySetResult(true);
        }
    }


    // Under the lock: the waiters at the head that fit now, in order; re-arms the timer for the next one.
    private List<Waiter>? Drain()
    {
        List<Waiter>? ready = null;
        while (_queue.First is { } first && _tokens >= Math.Min(first.Value.Tokens, _burst))
        {
            Admit(first.Value.Tokens);
            _queue.RemoveFirst();
            first.Value.Node = null;
            _successfulLeases++;
            var waited = Interlocked.Read(ref _tokensWaitedFor); // counted once, when the wait ends in admission; saturates
            Interlocked.Exchange(ref _tokensWaitedFor, first.Value.Tokens > long.MaxValue - waited ? long.MaxValue : waited + first.Value.Tokens);
            (ready ??= new List<Waiter>()).Add(first.Value);
        }

        if (_queue.Count == 0)
        {
            _idleSinceMilliseconds = (long)NowMilliseconds();
        }

        ScheduleTimer();
        return ready;
    }

    private void ScheduleTimer()
    {
        if (_queue.First is not { } first)
        {
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var due = RefillTime(Math.Min(first.Value.Tokens, _burst) - _tokens); // a wait beyond the longest due time re-arms in OnTimer
        if (_timer is null)
        {
            _timer = _timeProvider.CreateTimer(static state => ((TokenBudget)state!).OnTimer(), this, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer()
    {
        List<Waiter>? ready;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            Refill();
            ready = Drain();
        }

        Complete(ready);
    }

    private void Cancel(Waiter waiter)
    {
        List<Waiter>? ready;
        lock (_lock)
        {
            if (waiter.Node is null)
            {
                return; // already admitted
            }

            _queue.Remove(waiter.Node);
            waiter.Node = null;
            _failedLeases++;
            Refill();
            ready = Drain(); // the head may have left: who is next may fit now
        }

        waiter.Completion.TrySetCanceled(waiter.CancellationToken);
        Complete(ready);
    }

    private sealed class Waiter
    {
        private readonly TokenBudget _budget;

        public Waiter(TokenBudget budget, long tokens, CancellationToken cancellationToken)
        {
            _budget = budget;
            Tokens = tokens;
            CancellationToken = cancellationToken;
        }

        public long Tokens { get; }

        public CancellationToken CancellationToken { get; }

        public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public void Cancel() => _budget.Cancel(this);
    }
}
