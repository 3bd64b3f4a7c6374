using System;
using System.Threading;

namespace RetryAnalyzers.Runtime.Internal;

/// <summary>
/// The token of one attempt: cancelled with the caller's token or when the attempt timeout elapses, whichever comes
/// first. On the system clock (.NET) the source is kept for the next attempt on the same thread when the attempt ended
/// uncancelled (<c>CancellationTokenSource.TryReset</c>, which refuses a source whose timer has fired or was
/// queued to fire): the success path of a call allocates no source, no timer and no link. Another clock gets a source of
/// its own per attempt, cancelled by that clock's timer.
/// </summary>
/// <remarks>
/// A reused source hands out the same token again, as <c>TryReset</c> documents: a component that kept the token of an
/// attempt that has ended, and polls it later, sees a later attempt's state. Registrations it left are dropped by the
/// reset and never called. An HTTP handler is done with the send token once the response is returned.
/// </remarks>
internal sealed class AttemptCancellation
{
#if NET
    [ThreadStatic]
    private static AttemptCancellation? t_spare;
#endif

    private CancellationTokenSource _source = new();
    private CancellationTokenSource? _clock; // another clock's timeout
    private CancellationTokenRegistration _callerLink;
    private CancellationTokenRegistration _clockLink;

    private AttemptCancellation()
    {
    }

    /// <summary>The attempt's token.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>True when the token was cancelled (by the caller or the timeout; the caller's own token tells which).</summary>
    public bool IsCancellationRequested => _source.IsCancellationRequested;

    /// <summary>Starts the timeout of an attempt on <paramref name="time"/>, linked to the caller's token.</summary>
    public static AttemptCancellation Start(TimeProvider time, TimeSpan timeout, CancellationToken caller)
    {
#if NET
        var attempt = t_spare ?? new AttemptCancellation();
        t_spare = null;
#else
        var attempt = new AttemptCancellation();
#endif
        var source = attempt._source;
        if (ReferenceEquals(time, TimeProvider.System))
        {
            source.CancelAfter(timeout);
        }
        else
        {
            attempt._clock = TimeProviderTasks.CancelAfter(time, timeout);
            attempt._clockLink = Link(attempt._clock.Token, source);
        }

        if (caller.CanBeCanceled)
        {
            attempt._callerLink = Link(caller, source);
        }

        return attempt;
    }

    /// <summary>Ends the attempt: the links are undone (waiting for a cancellation running on them), the timer stopped.</summary>
    public void End()
    {
        _callerLink.Dispose();
        _callerLink = default;
        if (_clock is not null)
        {
            _clockLink.Dispose();
            _clockLink = default;
            _clock.Dispose();
            _clock = null;
        }

#if NET
        if (_source.TryReset())
        {
            t_spare = this;
            return;
        }
#endif
        _source.Dispose();
        _source = null!; // not reused: dropped
    }

    private static CancellationTokenRegistration Link(CancellationToken token, CancellationTokenSource source)
#if NET
        => token.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), source);
#else
        => token.Register(static state => ((CancellationTokenSource)state!).Cancel(), source);
#endif
}
