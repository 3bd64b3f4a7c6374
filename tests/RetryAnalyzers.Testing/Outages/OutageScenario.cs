using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace RetryAnalyzers.Testing.Outages;

/// <summary>One outage of the matrix: from <see cref="Start"/> (scaled time after the job starts) for <see cref="Duration"/>, the server answers <see cref="Kind"/>.</summary>
public sealed record OutageScenario(TimeSpan Duration, OutageKind Kind)
{
    /// <summary>When the outage starts: every agent has a call in flight by then.</summary>
    public static readonly TimeSpan Start = TimeSpan.FromSeconds(0.5);

    /// <summary>The matrix: 3 s, 20 s, 60 s and 5 min, each of 429 and of 503.</summary>
    public static IReadOnlyList<OutageScenario> All { get; } =
        new[] { TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(5) }
            .SelectMany(d => new[] { new OutageScenario(d, OutageKind.Throttled), new OutageScenario(d, OutageKind.Unavailable) })
            .ToList();

    public TimeSpan End => Start + Duration;

    /// <summary>The outage lasts at least 5 minutes: the report adds the share of calls completed.</summary>
    public bool IsLong => Duration >= TimeSpan.FromMinutes(5);

    /// <summary>e.g. <c>3 s of 429 (Retry-After: 1)</c>, <c>5 min of 503</c>.</summary>
    public string Title
        => (Duration.TotalMinutes >= 2 && Duration.Seconds == 0
                ? Duration.TotalMinutes.ToString(CultureInfo.InvariantCulture) + " min"
                : Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s")
            + (Kind == OutageKind.Throttled ? " of 429 (Retry-After: 1)" : " of 503");
}
