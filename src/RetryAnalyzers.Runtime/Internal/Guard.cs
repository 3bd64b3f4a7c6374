using System;
using System.Globalization;

namespace RetryAnalyzers.Runtime.Internal;

/// <summary>
/// The one way the runtime checks its options and arguments. An invalid value throws when it is configured, with the
/// parameter name the caller knows and a message that names the option: "<c>Name rule; it was value.</c>".
/// Messages show option values only, never a key.
/// </summary>
internal static class Guard
{
    public static T NotNull<T>(T? value, string name)
        where T : class
        => value ?? throw new ArgumentNullException(name);

    /// <summary>An option that must be set: <see cref="ArgumentNullException"/> "<paramref name="name"/> must not be null."</summary>
    public static T OptionNotNull<T>(T? value, string paramName, string name)
        where T : class
        => value ?? throw new ArgumentNullException(paramName, name + " must not be null.");

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="name"/> unless <paramref name="valid"/>.</summary>
    /// <remarks>Generic, so a valid value is not boxed: <see cref="NotNegative"/> runs on every budget draw.</remarks>
    public static void Range<T>(bool valid, string paramName, string name, T value, string rule)
    {
        if (!valid)
        {
            throw new ArgumentOutOfRangeException(paramName, value, string.Format(CultureInfo.InvariantCulture, "{0} {1}; it was {2}.", name, rule, value));
        }
    }

    /// <summary>Throws an <see cref="ArgumentException"/> with <paramref name="message"/> unless <paramref name="valid"/>.</summary>
    public static void Argument(bool valid, string paramName, string message)
    {
        if (!valid)
        {
            throw new ArgumentException(message, paramName);
        }
    }

    public static void NotNegative(long value, string name)
        => Range(value >= 0, name, name, value, "must not be negative");

    public static void Positive(long value, string name)
        => Range(value > 0, name, name, value, "must be greater than 0");

    /// <summary>A delay option: from zero (or more than zero) to <see cref="RuntimeDefaults.MaxDelayOption"/>, as in Polly.</summary>
    public static void Delay(TimeSpan value, string paramName, string name, bool allowZero)
        => Range(
            value >= TimeSpan.Zero && (allowZero || value != TimeSpan.Zero) && value <= RuntimeDefaults.MaxDelayOption,
            paramName,
            name,
            value,
            (allowZero ? "must be at least " : "must be greater than ") + TimeSpan.Zero.ToString("c", CultureInfo.InvariantCulture) + " and at most " + RuntimeDefaults.MaxDelayOption.ToString("c", CultureInfo.InvariantCulture));

    /// <summary>A duration option from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static void Duration(TimeSpan value, TimeSpan min, TimeSpan max, string paramName, string name)
        => Range(
            value >= min && value <= max,
            paramName,
            name,
            value,
            "must be from " + min.ToString("c", CultureInfo.InvariantCulture) + " to " + max.ToString("c", CultureInfo.InvariantCulture));

    /// <summary>A randomizer option, sampled once: it must return values from 0 (inclusive) to 1 (exclusive). Null is the default generator.</summary>
    internal static void Randomizer(Func<double>? randomizer, string paramName, string name)
    {
        if (randomizer is null)
        {
            return;
        }

        var value = randomizer();
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(paramName, value, string.Format(CultureInfo.InvariantCulture, "{0} must return values from 0 (inclusive) to 1 (exclusive); it returned {1}.", name, value));
        }
    }

    /// <summary>A cap that must not be shorter than its base: "<paramref name="name"/> must not be shorter than BaseDelay (…)".</summary>
    public static void NotShorter(TimeSpan value, TimeSpan baseDelay, string paramName, string name)
        => Range(value >= baseDelay, paramName, name, value, "must not be shorter than BaseDelay (" + baseDelay.ToString("c", CultureInfo.InvariantCulture) + ")");
}
