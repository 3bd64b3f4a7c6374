using System;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using RetryAnalyzers.Runtime;
using RetryAnalyzers.Runtime.Redis;
using RetryAnalyzers.Testing;
using StackExchange.Redis;

namespace RetryAnalyzers.ManyProcesses;

/// <summary>
/// One OS process of the run: <c>agents</c> agents, each making <c>calls</c> calls of <c>tokens</c> tokens one after the
/// other through the library's <see cref="ProviderResilienceHandler"/>, on one budget for the whole process (the
/// shared <see cref="RedisTokenBudget"/>, or its own <see cref="TokenBudget"/> of the key's full limit, as a process
/// that does not know of the others has). Starts at the agreed wall-clock time; prints one result line.
/// </summary>
public static class AgentProcess
{
    public const string ResultPrefix = "RESULT ";

    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name) => args.SkipWhile(a => a != "--" + name).Skip(1).First();
        var plan = Plan.Parse(Arg("plan"));
        var mode = Arg("mode");
        var provider = new Uri(Arg("provider"));
        var startAt = long.Parse(Arg("start"), CultureInfo.InvariantCulture);

        var limit = new TokenBudgetOptions { TokensPerSecond = plan.TokensPerSecond, Burst = plan.BudgetBurst };
        using var redis = mode == "redis" ? await ConnectionMultiplexer.ConnectAsync(Arg("redis")).ConfigureAwait(false) : null;
        using ProviderTokenBudget budget = redis is null
            ? new TokenBudget(limit)
            : new RedisTokenBudget(redis, new RedisTokenBudgetOptions { Name = Arg("budget"), Budget = limit, LocalShare = 1.0 / plan.Processes });

        var attempts = 0;
        var counter = new CountingHandler(() => Interlocked.Increment(ref attempts)) { InnerHandler = new SocketsHttpHandler() };
        var handler = new ProviderResilienceHandler(new ProviderResilienceOptions { Budget = budget }, _ => plan.TokensPerCall) { InnerHandler = counter };
        using var client = new HttpClient(handler) { BaseAddress = provider, Timeout = TimeSpan.FromMinutes(5) };

        var delay = startAt - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (delay > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(delay)).ConfigureAwait(false);
        }

        var failed = 0;
        var ends = await Task.WhenAll(Enumerable.Range(0, plan.AgentsPerProcess).Select(async _ =>
        {
            for (var call = 0; call < plan.CallsPerAgent; call++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions");
                request.Headers.Add(RateLimitedProvider.TokensHeader, plan.TokensPerCall.ToString(CultureInfo.InvariantCulture));
                try
                {
                    using var response = await client.SendAsync(request).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }

            return DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        })).ConfigureAwait(false);

        var shared = budget is RedisTokenBudget r ? (r.Mode == RedisBudgetMode.Shared ? "shared" : "local") : "own";
        Console.WriteLine(FormattableString.Invariant($"{ResultPrefix}{ends.Max()} {attempts} {failed} {shared}"));
        return 0;
    }

    private sealed class CountingHandler(Action onSend) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            onSend();
            return base.SendAsync(request, cancellationToken);
        }
    }
}
