using System;
using System.Globalization;

namespace RetryAnalyzers.Runtime.Internal;

internal static class Guard
{
    /// <summary>Upper bound of every delay option, as in Polly (one day).</summary>
    public static readonly TimeSpan MaxDelayOption = TimeSpan.FromDays(1);

    public static T NotNull<T>(T? value, string name)
        where T : class
        => value ?? throw new ArgumentNullException(name);

    public static void Delay(TimeSpan value, string name, bool allowZero)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value > MaxDelayOption)
        {
            throw new ArgumentOutOfRangeException(
                name,
                value,
                string.Format(CultureInfo.InvariantCulture, "{0} must be {1} 00:00:00 and at most 1.00:00:00; it was {2}.", name, allowZero ? "at least" : "greater than", value));
        }
    }

    /// <summary>An <see cref="ArgumentOutOfRangeException"/> whose message names the option: "Owner.Option rule; it was value."</summary>
    public static ArgumentOutOfRangeException Invalid(string paramName, string owner, string option, object value, string rule)
        => new(paramName, value, string.Format(CultureInfo.InvariantCulture, "{0}.{1} {2}; it was {3}.", owner, option, rule, value));

    public static void NotNegative(int value, string name)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, string.Format(CultureInfo.InvariantCulture, "{0} must not be negative; it was {1}.", name, value));
        }
    }
}
