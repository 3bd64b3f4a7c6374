using System;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace RetryAnalyzers.Runtime.Redis;

/// <summary>
/// The one Lua script every process runs against the budget's hash (fields <c>tokens</c>, <c>ts</c>, and <c>rate</c> /
/// <c>burst</c> once headers changed them): refill on Redis's clock (<c>TIME</c>, so no client clock skew), then one
/// operation, atomically. Sent as <c>EVALSHA</c>; a server that lost its script cache (a restart) gets <c>EVAL</c> once.
/// <list type="bullet">
/// <item><c>take n</c>: n fits now (the balance holds min(n, burst)): take it, wait 0. Otherwise reserve it: take it now
/// (the balance goes below zero) and return the wait until the refill has paid for it. A later caller sees the lower
/// balance and reserves behind: first come, first served across processes, and a waiter sleeps exactly once, for
/// the time the script gave it, without polling.</item>
/// <item><c>try n</c>: take n only if it fits now; never reserves.</item>
/// <item><c>adjust d</c>: take d more (d &lt; 0 gives back: a reconcile, a cancelled reservation, unused leased tokens).</item>
/// <item><c>limits L R age learn</c>: the provider's limit L (tokens per minute) sets the shared rate and burst, within the
/// configuration (above it only with learn = 1); its remaining tokens R (as of age seconds ago) lower the balance.</item>
/// </list>
/// The balance never exceeds the burst and never owes more than an hour of the rate. The key expires once the bucket
/// would be full again (then it is the same as absent: full).
/// Reply: { taken (1) or not (0), wait in ms, balance as text }.
/// </summary>
internal static class RedisBudgetScript
{
    public const string Take = "take";
    public const string Try = "try";
    public const string Adjust = "adjust";
    public const string Limits = "limits";

    // ARGV: 1 op, 2 configured rate (tokens/s), 3 configured burst, 4 n | L, 5 R, 6 age (s), 7 learn
    public const string Source = @"
local key = KEYS[1]
local op = ARGV[1]
local rate0 = tonumber(ARGV[2])
local burst0 = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', key, 'tokens', 'ts', 'rate', 'burst')
local rate = tonumber(h[3]) or rate0
local burst = tonumber(h[4]) or burst0
local tokens = tonumber(h[1])
if tokens == nil then
  tokens = burst
else
  local ts = tonumber(h[2]) or now
  if now > ts then tokens = tokens + (now - ts) * rate / 1000 end
  if tokens > burst then tokens = burst end
end
local debt = -rate * 3600
local taken = 1
local wait = 0
if op == 'take' or op == 'try' then
  local n = tonumber(ARGV[4])
  local need = math.min(n, burst)
  if tokens < need then
    wait = math.ceil((need - tokens) * 1000 / rate)
    if op == 'try' then taken = 0 end
  end
  if taken == 1 then tokens = math.max(debt, tokens - n) end
elseif op == 'adjust' then
  tokens = math.min(burst, math.max(debt, tokens - tonumber(ARGV[4])))
elseif op == 'limits' then
  local limit = tonumber(ARGV[4])
  if limit ~= nil and limit > 0 then
    local reported = math.max(1 / 3600, limit / 60)
    if ARGV[7] == '1' and reported > rate0 then
      rate = reported
      burst = math.max(burst0, math.ceil(burst0 * reported / rate0))
    else
      rate = math.min(rate0, reported)
      if rate >= rate0 then burst = burst0 else burst = math.max(1, math.min(burst0, math.ceil(rate))) end
    end
    redis.call('HSET', key, 'rate', tostring(rate), 'burst', tostring(burst))
    if tokens > burst then tokens = burst end
  end
  local remaining = tonumber(ARGV[5])
  if remaining ~= nil then
    local current = remaining + tonumber(ARGV[6]) * rate
    if current < tokens then tokens = current end
  end
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
local full = math.ceil((burst - tokens) * 1000 / rate)
redis.call('PEXPIRE', key, math.max(60000, full + 60000))
return { taken, wait, tostring(tokens) }
";

    private static readonly byte[] Hash = Sha1(Source);

    /// <summary>Runs the script: EVALSHA, and EVAL once when the server does not know it (NOSCRIPT).</summary>
    public static async Task<Reply> RunAsync(IDatabaseAsync database, RedisKey key, RedisValue[] arguments)
    {
        RedisResult result;
        try
        {
            result = await database.ScriptEvaluateAsync(Hash, new[] { key }, arguments).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            result = await database.ScriptEvaluateAsync(Source, new[] { key }, arguments).ConfigureAwait(false);
        }

        return Parse(result);
    }

    private static Reply Parse(RedisResult result)
    {
        var parts = (RedisResult[])result!;
        return new Reply(
            (long)parts[0] == 1,
            (long)parts[1],
            double.Parse((string)parts[2]!, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// As <see cref="RunAsync"/>, synchronously (TryAcquire): StackExchange.Redis's own synchronous call, bounded by the
    /// connection's <c>syncTimeout</c>; it needs no thread-pool thread, so a busy pool cannot time it out.
    /// </summary>
    public static Reply Run(IDatabase database, RedisKey key, RedisValue[] arguments)
    {
        RedisResult result;
        try
        {
            result = database.ScriptEvaluate(Hash, new[] { key }, arguments);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            result = database.ScriptEvaluate(Source, new[] { key }, arguments);
        }

        return Parse(result);
    }

    /// <summary>Sends the script without waiting for the reply (reconcile, headers, give-backs).</summary>
    public static void Send(IDatabaseAsync database, RedisKey key, RedisValue[] arguments)
        => _ = database.ScriptEvaluateAsync(Source, new[] { key }, arguments, CommandFlags.FireAndForget);

    public static RedisValue[] Arguments(string op, double rate, long burst, double n)
        => new RedisValue[] { op, rate, burst, n };

    public static RedisValue[] LimitArguments(double rate, long burst, long? limitPerMinute, long? remaining, TimeSpan age, bool learn)
        => new RedisValue[]
        {
            Limits, rate, burst,
            limitPerMinute is { } limit ? limit : RedisValue.EmptyString,
            remaining is { } left ? left : RedisValue.EmptyString,
            age.TotalSeconds,
            learn ? "1" : "0",
        };

    private static byte[] Sha1(string text)
    {
#pragma warning disable CA5350 // Redis names scripts by their SHA-1; not a security use
        using var sha = SHA1.Create();
        return sha.ComputeHash(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
    }

    /// <summary>The script's reply: taken or not, the wait in ms, the balance after.</summary>
    public readonly record struct Reply(bool Taken, long WaitMilliseconds, double Balance);
}
