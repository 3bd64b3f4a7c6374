using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;

namespace RetryAnalyzers.Internal;

/// <summary>The kinds of retry the rules recognise; also the analyzer → code fix contract (<see cref="RetrySite.ShapeKey"/>).</summary>
internal enum RetryShape
{
    /// <summary>Polly v7 <c>WaitAndRetry*(…, sleepDurationProvider)</c>: the diagnostic is on the provider lambda.</summary>
    PollyV7SleepProvider,

    /// <summary>Polly v7 <c>WaitAndRetry*(IEnumerable&lt;TimeSpan&gt;)</c> given an array of delays: the diagnostic is on the array.</summary>
    PollyV7SleepDurations,

    /// <summary>Polly.Contrib.WaitAndRetry <c>Backoff.ConstantBackoff / ExponentialBackoff / LinearBackoff(…)</c>: the diagnostic is on the call.</summary>
    ContribBackoff,

    /// <summary>Polly v8 <c>RetryStrategyOptions</c>: the diagnostic is on the <c>BackoffType</c> assignment or the creation.</summary>
    PollyV8Options,

    /// <summary>A hand-written retry loop: the diagnostic is on the <c>Task.Delay</c> / <c>Thread.Sleep</c> call.</summary>
    HandWrittenLoop,

    /// <summary>
    /// A wait helper that hand-written retry loops call (<c>await BackoffAsync(attempt)</c>): the diagnostic is on the
    /// helper's <c>Task.Delay</c> / <c>Thread.Sleep</c>. No fix: the helper has no loop to hand out the backoff, and its
    /// other callers may not be retries.
    /// </summary>
    HelperWait,
}

/// <summary>One retry site: what it is, how its delay behaves, where to report it.</summary>
internal readonly struct RetrySite
{
    /// <summary>The <see cref="Diagnostic.Properties"/> key that carries the <see cref="RetryShape"/> to the code fix.</summary>
    public const string ShapeKey = "RetryShape";

    public RetrySite(RetryShape shape, DelayClass delay, Location location, string delayText)
    {
        Shape = shape;
        Delay = delay;
        Location = location;
        DelayText = delayText;
    }

    public RetryShape Shape { get; }

    public DelayClass Delay { get; }

    public Location Location { get; }

    /// <summary>The wait as users read it: "1 s", "500 ms", or the expression when its value is not a constant.</summary>
    public string DelayText { get; }

    public ImmutableDictionary<string, string?> Properties
        => ImmutableDictionary<string, string?>.Empty.Add(ShapeKey, Shape.ToString());

    /// <summary>Renders a wait in milliseconds, or falls back to the expression's text.</summary>
    public static string Describe(double? milliseconds, SyntaxNode expression)
    {
        if (milliseconds is { } ms)
        {
            if (ms >= 60_000 && ms % 60_000 == 0)
            {
                return (ms / 60_000).ToString(CultureInfo.InvariantCulture) + " min";
            }

            return ms >= 1_000
                ? (ms / 1_000).ToString("0.###", CultureInfo.InvariantCulture) + " s"
                : ms.ToString("0.###", CultureInfo.InvariantCulture) + " ms";
        }

        var text = expression.ToString();
        if (text.Length > 60)
        {
            text = text.Substring(0, 57) + "...";
        }

        return "'" + text + "'";
    }
}
