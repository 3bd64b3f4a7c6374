using Microsoft.CodeAnalysis;

namespace RetryAnalyzers.Internal;

/// <summary>How a retry's wait behaves from one attempt to the next.</summary>
internal enum DelayKind
{
    /// <summary>Cannot tell (a call into user code, a value read from the outcome, …). Never reported.</summary>
    Unknown,

    /// <summary>The same wait for every attempt.</summary>
    Constant,

    /// <summary>A wait that grows with the attempt (exponential, linear, doubling) and has no randomness.</summary>
    Growing,

    /// <summary>A wait with randomness in it.</summary>
    Jittered,
}

/// <summary>The class of a delay expression and, where it is a compile-time value, that value.</summary>
/// <param name="Kind">The class.</param>
/// <param name="Value">For a TimeSpan expression its milliseconds, for a number the number itself; null when not known.</param>
internal readonly record struct DelayClass(DelayKind Kind, double? Value)
{
    public static readonly DelayClass Unknown = new(DelayKind.Unknown, null);
    public static readonly DelayClass ConstantUnknownValue = new(DelayKind.Constant, null);

    /// <summary>Randomness wins over everything, then anything unknown, then growth.</summary>
    public DelayClass CombineWith(DelayClass other)
    {
        if (Kind == DelayKind.Jittered || other.Kind == DelayKind.Jittered)
        {
            return new DelayClass(DelayKind.Jittered, null);
        }

        if (Kind == DelayKind.Unknown || other.Kind == DelayKind.Unknown)
        {
            return Unknown;
        }

        return Kind == DelayKind.Growing || other.Kind == DelayKind.Growing
            ? new DelayClass(DelayKind.Growing, null)
            : ConstantUnknownValue;
    }
}
