using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
#if NET
using System.Text.Json;
#endif

namespace RetryAnalyzers.Runtime;

/// <summary>
/// The tokens a provider counted for a call, from the <c>usage</c> object of a JSON response body: OpenAI's
/// <c>total_tokens</c> (else <c>prompt_tokens</c> + <c>completion_tokens</c>), Anthropic's <c>input_tokens</c> +
/// <c>output_tokens</c>. A stream (<c>text/event-stream</c>) is not buffered: <c>UsageStream</c> (.NET 8+) reads the usage
/// of its events as the caller reads them, and reports it when the stream ends.
/// </summary>
internal static class UsageReader
{
    /// <summary>The largest announced body (<c>Content-Length</c>) read for its usage; a bigger one keeps the estimate.</summary>
    internal const long MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>The usage of a successful JSON response, or null (another body, no usage, or a target without System.Text.Json).</summary>
    /// <param name="response">The response.</param>
    /// <param name="media">Its content's media type (the caller has read it).</param>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    public static async ValueTask<long?> ReadAsync(HttpResponseMessage response, string media, CancellationToken cancellationToken)
    {
#if NET
        if (response.Content is not { } content || !media.EndsWith("json", StringComparison.OrdinalIgnoreCase) ||
            content.Headers.ContentLength is > MaxBodyBytes)
        {
            return null;
        }

        // Buffered once, as HttpClient itself buffers a response by default: the caller still reads the whole body
        // afterwards. A body announced larger than MaxBodyBytes is left alone.
        await content.LoadIntoBufferAsync().ConfigureAwait(false);
        var body = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return Parse(body);
#else
        await Task.CompletedTask.ConfigureAwait(false);
        _ = response;
        _ = media;
        _ = cancellationToken;
        return null;
#endif
    }

#if NET
    /// <summary>The usage in a JSON body (its top-level <c>usage</c> object), or null; malformed JSON is null, never an exception.</summary>
    /// <param name="body">The JSON.</param>
    /// <param name="complete">
    /// Only a whole count: <c>total_tokens</c>, or both the input and the output part. A stream's events may carry part of
    /// it (Anthropic's <c>message_delta</c> has the output tokens only): a part would spend less than the provider counted.
    /// </param>
    internal static long? Parse(ReadOnlySpan<byte> body, bool complete = false)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isUsage = reader.ValueTextEquals("usage"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isUsage && reader.TokenType == JsonTokenType.StartObject)
                {
                    return Usage(ref reader, complete);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static long? Usage(ref Utf8JsonReader reader, bool complete)
    {
        long? total = null, prompt = null, completion = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isTotal = reader.ValueTextEquals("total_tokens"u8);
            var isPrompt = reader.ValueTextEquals("prompt_tokens"u8) || reader.ValueTextEquals("input_tokens"u8);
            var isCompletion = reader.ValueTextEquals("completion_tokens"u8) || reader.ValueTextEquals("output_tokens"u8);
            if (!reader.Read())
            {
                return null;
            }

            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value >= 0)
            {
                total = isTotal ? value : total;
                prompt = isPrompt ? value : prompt;
                completion = isCompletion ? value : completion;
            }
            else
            {
                reader.Skip();
            }
        }

        if (total is not null || (complete && (prompt is null || completion is null)))
        {
            return total;
        }

        return prompt is null && completion is null ? null : (prompt ?? 0) + (completion ?? 0);
    }
#endif
}
