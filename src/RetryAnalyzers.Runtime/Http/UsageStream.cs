#if NET
using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// A server-sent-events body (<c>text/event-stream</c>) read through unchanged, while its <c>data:</c> lines are scanned
/// for a whole <c>usage</c> (OpenAI sends it in the last chunk when <c>stream_options.include_usage</c> is on). The
/// last usage seen is reported once, when the stream ends: at <c>data: [DONE]</c> (where SDKs stop reading), at the
/// end of the body, or when the caller disposes it. A stream that never carried a whole usage — one left unfinished
/// before its last event, or a provider that sends parts — reports nothing (the budget keeps the estimate). Lines
/// longer than <see cref="MaxLineBytes"/> are passed through unscanned.
/// </summary>
internal sealed class UsageStream : Stream
{
    /// <summary>The longest event line scanned for a usage; longer lines (big content chunks) are not kept.</summary>
    internal const int MaxLineBytes = 64 * 1024;

    private static readonly byte[] DataPrefix = "data:"u8.ToArray();
    private static readonly byte[] UsageName = "\"usage\""u8.ToArray();
    private static readonly byte[] Done = "[DONE]"u8.ToArray();

    private readonly Stream _inner;
    private readonly Action<long> _onUsage;
    private byte[] _line = new byte[256];
    private int _length;
    private bool _overflow;
    private long? _usage;
    private int _reported;

    public UsageStream(Stream inner, Action<long> onUsage)
    {
        _inner = inner;
        _onUsage = onUsage;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>True for a <c>Content-Type</c> value of server-sent events.</summary>
    public static bool IsEventStream(string? contentType)
        => contentType is not null && contentType.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);

    /// <summary>Puts the scanning stream under <paramref name="response"/>'s content, keeping its headers.</summary>
    public static async Task WrapAsync(HttpResponseMessage response, Action<long> onUsage, CancellationToken cancellationToken)
    {
        var original = response.Content!;
        var stream = await original.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var content = new StreamContent(new UsageStream(stream, onUsage));
        foreach (var header in original.Headers)
        {
            content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        response.Content = content;
    }

    public override int Read(byte[] buffer, int offset, int count) => Seen(buffer.AsSpan(offset, _inner.Read(buffer, offset, count)));

    public override int Read(Span<byte> buffer) => Seen(buffer[.._inner.Read(buffer)]);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Seen(buffer.Span[..read]);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Report();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        Report();
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    // The bytes just read: scanned line by line; at the end of the stream (0 bytes) the usage is reported once.
    private int Seen(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            if (_length > 0)
            {
                EndLine(); // a last line without a newline
            }

            Report();
            return 0;
        }

        var count = data.Length;
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            Append(newline < 0 ? data : data[..newline]);
            if (newline < 0)
            {
                break;
            }

            EndLine();
            data = data[(newline + 1)..];
        }

        return count;
    }

    private void Report()
    {
        if (_usage is { } used && Interlocked.Exchange(ref _reported, 1) == 0)
        {
            _onUsage(used);
        }
    }

    private void Append(ReadOnlySpan<byte> part)
    {
        if (_overflow || _length + part.Length > MaxLineBytes)
        {
            _overflow = true;
            return;
        }

        if (_length + part.Length > _line.Length)
        {
            Array.Resize(ref _line, Math.Min(MaxLineBytes, Math.Max(_line.Length * 2, _length + part.Length)));
        }

        part.CopyTo(_line.AsSpan(_length));
        _length += part.Length;
    }

    private void EndLine()
    {
        var line = _line.AsSpan(0, _length).TrimEnd((byte)'\r');
        if (!_overflow && line.StartsWith(DataPrefix))
        {
            var data = line[DataPrefix.Length..].TrimStart((byte)' ');
            if (data.SequenceEqual(Done))
            {
                Report(); // the end of the events: an SDK stops reading here
            }
            else if (data.IndexOf(UsageName) >= 0 && UsageReader.Parse(data, complete: true) is { } used)
            {
                _usage = used;
            }
        }

        _length = 0;
        _overflow = false;
    }
}
#endif
