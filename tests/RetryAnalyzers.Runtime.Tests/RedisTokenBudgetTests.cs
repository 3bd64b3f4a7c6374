using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using Polly;
using RetryAnalyzers.Runtime;
using RetryAnalyzers.Runtime.Redis;
using RetryAnalyzers.Testing;
using StackExchange.Redis;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>One real redis-server for the budget's semantics; each test uses its own budget name.</summary>
public sealed class RedisFixture : IDisposable
{
    public RedisFixture()
    {
        Server = new RedisServer();
        First = ConnectionMultiplexer.Connect(Server.Configuration);
        Second = ConnectionMultiplexer.Connect(Server.Configuration + ",allowAdmin=true"); // a second "process": its own connection (admin: INFO, SCRIPT FLUSH)
    }

    public RedisServer Server { get; }

    public ConnectionMultiplexer First { get; }

    public ConnectionMultiplexer Second { get; }

    public void Dispose()
    {
        First.Dispose();
        Second.Dispose();
        Server.Dispose();
    }
}

public sealed class RedisTokenBudgetTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private readonly string _name = "test:" + Guid.NewGuid().ToString("N");

    internal static RedisTokenBudgetOptions Options(string name, double rate, long burst) => new()
    {
        Name = name,
        Budget = new TokenBudgetOptions { TokensPerSecond = rate, Burst = burst },
    };

    [Fact]
    public async Task Two_processes_together_never_take_more_than_the_burst_at_once()
    {
        using var a = new RedisTokenBudget(redis.First, Options(_name, 1, 100));
        using var b = new RedisTokenBudget(redis.Second, Options(_name, 1, 100));
        using var cancel = new CancellationTokenSource();

        // 40 callers at once, from two connections: exactly 100 tokens' worth is admitted now, the rest reserve a wait.
        var watch = Stopwatch.StartNew();
        var calls = Enumerable.Range(0, 40)
            .Select(i => (i % 2 == 0 ? a : b).AcquireTokensAsync(10, cancel.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully ? watch.Elapsed : TimeSpan.MaxValue, TaskScheduler.Default))
            .ToArray();
        await Task.Delay(1_500);
        cancel.Cancel(); // the waiters give their reservations back
        var admittedAt = await Task.WhenAll(calls);

        Assert.Equal(10, admittedAt.Count(t => t < TimeSpan.FromSeconds(1.5))); // no read-then-write race lets an eleventh through
        Assert.Equal(RedisBudgetMode.Shared, a.Mode);
        Assert.Equal(RedisBudgetMode.Shared, b.Mode);
        await WaitUntil(() => Balance(_name) is > -1 and < 5); // every cancelled reservation went back
    }

    [Fact]
    public void TryAcquire_takes_only_what_fits_across_processes()
    {
        using var a = new RedisTokenBudget(redis.First, Options(_name, 1, 100));
        using var b = new RedisTokenBudget(redis.Second, Options(_name, 1, 100));

        var taken = Enumerable.Range(0, 20).Count(i => (i % 2 == 0 ? a : b).TryAcquire(10));

        Assert.Equal(10, taken);
        Assert.Equal(RedisBudgetMode.Shared, a.Mode);
        Assert.Equal(RedisBudgetMode.Shared, b.Mode);
    }

    [Fact]
    public async Task A_waiter_is_served_first_come_first_served_across_processes()
    {
        using var a = new RedisTokenBudget(redis.First, Options(_name, 200, 200));
        using var b = new RedisTokenBudget(redis.Second, Options(_name, 200, 200));
        Assert.True(a.TryAcquire(200)); // empty now

        var watch = Stopwatch.StartNew();
        var big = a.AcquireTokensAsync(150).AsTask().ContinueWith(_ => watch.Elapsed, TaskScheduler.Default);
        await Task.Delay(200); // the big request reaches Redis first, even on a loaded machine
        var small = b.AcquireTokensAsync(10).AsTask().ContinueWith(_ => watch.Elapsed, TaskScheduler.Default);
        Assert.False(b.TryAcquire(1)); // nobody takes a reserved token

        var (bigAt, smallAt) = (await big, await small);
        Assert.InRange(bigAt.TotalMilliseconds, 650, 1500); // 150 tokens at 200/s
        Assert.True(smallAt >= bigAt, $"the small request ({smallAt}) overtook the earlier big one ({bigAt})");
    }

    [Fact]
    public async Task A_request_larger_than_the_burst_is_admitted_when_full_and_leaves_debt()
    {
        using var budget = new RedisTokenBudget(redis.First, Options(_name, 500, 100));

        var watch = Stopwatch.StartNew();
        await budget.AcquireTokensAsync(400); // 4 bursts: admitted at once, the bucket was full
        Assert.True(watch.ElapsedMilliseconds < 300, $"took {watch.ElapsedMilliseconds} ms");
        Assert.False(budget.TryAcquire(1)); // 300 tokens of debt

        watch.Restart();
        await budget.AcquireTokensAsync(50); // pays the debt first: (300 + 50) / 500 s
        Assert.InRange(watch.ElapsedMilliseconds, 550, 1500);
    }

    [Fact]
    public async Task Cancellation_while_waiting_takes_nothing()
    {
        using var budget = new RedisTokenBudget(redis.First, Options(_name, 100, 100));
        Assert.True(budget.TryAcquire(100));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => budget.AcquireTokensAsync(80, cancel.Token).AsTask());

        await Task.Delay(300); // 30 tokens refilled; the cancelled reservation of 80 went back
        Assert.True(budget.TryAcquire(25), "the cancelled wait kept its reservation");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => budget.AcquireTokensAsync(1, new CancellationToken(canceled: true)).AsTask());
    }

    [Fact]
    public async Task Reconcile_gives_back_the_unused_estimate_and_charges_what_was_used_beyond_it()
    {
        using var budget = new RedisTokenBudget(redis.First, Options(_name, 1, 1_000));
        await budget.AcquireTokensAsync(1_000);
        Assert.False(budget.TryAcquire(300));

        budget.Reconcile(1_000, 600); // 400 back
        await WaitUntil(() => budget.TryAcquire(300));

        budget.Reconcile(0, 500); // 500 more than estimated: into debt
        await Task.Delay(100);
        Assert.False(budget.TryAcquire(50));
        Assert.True(Balance(_name) < -350, $"balance {Balance(_name)}");
    }

    [Fact]
    public async Task A_remaining_tokens_header_seen_by_one_process_lowers_the_balance_of_all()
    {
        using var a = new RedisTokenBudget(redis.First, Options(_name, 1, 1_000));
        using var b = new RedisTokenBudget(redis.Second, Options(_name, 1, 1_000));
        Assert.True(b.TryAcquire(10));

        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        response.Headers.Add("x-ratelimit-remaining-tokens", "20");
        a.ApplyRateLimitHeaders(response);

        await WaitUntil(() => Balance(_name) <= 21);
        Assert.False(b.TryAcquire(100));
        Assert.True(b.TryAcquire(20));
    }

    [Fact]
    public async Task A_smaller_limit_header_lowers_the_shared_rate_and_never_raises_it_above_the_configuration()
    {
        using var budget = new RedisTokenBudget(redis.First, Options(_name, 100, 100));
        Assert.True(budget.TryAcquire(1));
        using var lower = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        lower.Headers.Add("x-ratelimit-limit-tokens", "600"); // 10 per second
        budget.ApplyRateLimitHeaders(lower);
        await WaitUntil(() => Field(_name, "rate") == "10");
        Assert.Equal("10", Field(_name, "burst"));

        using var higher = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
        higher.Headers.Add("x-ratelimit-limit-tokens", "600000");
        budget.ApplyRateLimitHeaders(higher);
        await WaitUntil(() => Field(_name, "rate") == "100");
    }

    [Fact]
    public async Task Runs_as_EVALSHA_and_recovers_when_the_server_lost_its_scripts()
    {
        using var budget = new RedisTokenBudget(redis.First, Options(_name, 100, 1_000));
        await budget.AcquireTokensAsync(1);
        var before = EvalShaCalls();
        await budget.AcquireTokensAsync(1);
        Assert.Equal(before + 1, EvalShaCalls()); // one round trip, by hash

        await redis.Second.GetServer(redis.Second.GetEndPoints()[0]).ScriptFlushAsync(); // as after a restart
        await budget.AcquireTokensAsync(1);
        Assert.True(budget.TryAcquire(1));
        Assert.Equal(RedisBudgetMode.Shared, budget.Mode);
    }

    [Fact]
    public async Task Leasing_serves_calls_locally_in_chunks_and_gives_the_unused_tokens_back()
    {
        var options = Options(_name, 1, 1_000);
        options.LeaseTokens = 100;
        var budget = new RedisTokenBudget(redis.First, options);
        await budget.AcquireTokensAsync(10); // one round trip takes 10 + 100
        var before = EvalShaCalls();
        for (var i = 0; i < 10; i++)
        {
            await budget.AcquireTokensAsync(10);
        }

        Assert.Equal(before, EvalShaCalls()); // served from the lease
        Assert.InRange(Balance(_name), 880, 895);

        await budget.AcquireTokensAsync(10); // the lease is spent: the next round trip
        budget.Dispose(); // the unused part of the new lease goes back
        await WaitUntil(() => Balance(_name) >= 880);
    }

    [Fact]
    public async Task Is_a_RateLimiter_for_Polly_and_a_budget_for_the_pipeline()
    {
        using var budget = new RedisTokenBudget(redis.First, Options(_name, 1, 3));
        var pipeline = new ResiliencePipelineBuilder().AddRateLimiter(budget).Build();
        for (var i = 0; i < 3; i++)
        {
            await pipeline.ExecuteAsync(static _ => ValueTask.CompletedTask);
        }

        using (var lease = budget.AttemptAcquire(1))
        {
            Assert.False(lease.IsAcquired);
        }

        var statistics = budget.GetStatistics()!;
        Assert.Equal(3, statistics.TotalSuccessfulLeases);
        Assert.Equal(1, statistics.TotalFailedLeases);

        using var provider = new LoopbackServer(System.Net.HttpStatusCode.OK);
        using var shared = new RedisTokenBudget(redis.First, Options(_name + ":http", 1, 1_000));
        var handler = new ProviderResilienceHandler(new ProviderResilienceOptions { Budget = shared }, _ => 300) { InnerHandler = new HttpClientHandler() };
        using var client = new HttpClient(handler);
        (await client.GetAsync(provider.Url)).EnsureSuccessStatusCode();
        Assert.InRange(Balance(_name + ":http"), 690, 710);
    }

    [Fact]
    public void Invalid_options_throw_at_construction_naming_the_option()
    {
        Assert.Contains("RedisTokenBudgetOptions.Name", Assert.Throws<ArgumentOutOfRangeException>(() => new RedisTokenBudget(redis.First, Options(" ", 1, 1))).Message);
        Assert.Contains("RedisTokenBudgetOptions.Budget", Assert.Throws<ArgumentNullException>(() => new RedisTokenBudget(redis.First, new RedisTokenBudgetOptions { Name = "x" })).Message);
        Assert.Contains("TokenBudgetOptions.TokensPerSecond", Assert.Throws<ArgumentOutOfRangeException>(() => new RedisTokenBudget(redis.First, Options("x", 0, 1))).Message);
        var share = Options("x", 1, 1);
        share.LocalShare = 0;
        Assert.Contains("RedisTokenBudgetOptions.LocalShare", Assert.Throws<ArgumentOutOfRangeException>(() => new RedisTokenBudget(redis.First, share)).Message);
        var timeout = Options("x", 1, 1);
        timeout.OperationTimeout = TimeSpan.Zero;
        Assert.Contains("RedisTokenBudgetOptions.OperationTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new RedisTokenBudget(redis.First, timeout)).Message);
        var lease = Options("x", 1, 1);
        lease.LeaseTokens = -1;
        Assert.Contains("RedisTokenBudgetOptions.LeaseTokens", Assert.Throws<ArgumentOutOfRangeException>(() => new RedisTokenBudget(redis.First, lease)).Message);
        Assert.Throws<ArgumentNullException>(() => new RedisTokenBudget(null!, Options("x", 1, 1)));
        using var budget = new RedisTokenBudget(redis.First, Options("x", 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => budget.TryAcquire(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => budget.Reconcile(-1, 0));
    }

    [Fact]
    public async Task Extreme_values_do_not_break_the_shared_budget_for_others()
    {
        using var budget = new RedisTokenBudget(redis.First, Options(_name, 1_000, 1_000));
        await budget.AcquireTokensAsync(long.MaxValue); // full: admitted, the debt is capped at an hour of the rate
        Assert.InRange(Balance(_name), -3_600_001, -3_599_000);
        budget.Reconcile(long.MaxValue, 0); // gives back, never above the burst
        await WaitUntil(() => Balance(_name) >= 999);
        Assert.True(budget.TryAcquire(1_000));
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 5 s");
            await Task.Delay(10);
        }
    }

    private double Balance(string name)
        => double.Parse(Field(name, "tokens") ?? "NaN", NumberStyles.Float, CultureInfo.InvariantCulture);

    private string? Field(string name, string field)
        => redis.Second.GetDatabase().HashGet("retryanalyzers:budget:" + name, field);

    private long EvalShaCalls()
    {
        var info = redis.Second.GetServer(redis.Second.GetEndPoints()[0]).InfoRaw("commandstats");
        var line = (info ?? string.Empty).Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split("calls=")[1].Split(',')[0], CultureInfo.InvariantCulture);
    }
}
