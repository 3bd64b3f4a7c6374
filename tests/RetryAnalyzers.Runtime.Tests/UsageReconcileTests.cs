using System;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>The handler reconciles a successful call with the usage the provider reported: the budget spends what was counted.</summary>
public sealed class UsageReconcileTests
{
    private static LoopbackServer Answering(string contentType, string body) => new((context, _) =>
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = contentType;
        var bytes = Encoding.UTF8.GetBytes(body);
        return context.Response.OutputStream.WriteAsync(bytes, 0, bytes.Length);
    });

    // A budget on a frozen clock (nothing refills during the test), full at 100,000; every request is estimated at 1,000.
    private static async Task<(double Left, string Body)> CallAsync(LoopbackServer server)
    {
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1_000, Burst = 100_000, TimeProvider = new FakeTimeProvider() });
        var options = new ProviderResilienceOptions { Budget = budget };
        using var client = new HttpClient(new ProviderResilienceHandler(options, _ => 1_000) { InnerHandler = new HttpClientHandler() });
        using var response = await client.PostAsync(server.Url, new StringContent("{}"));
        var body = await response.Content.ReadAsStringAsync(); // still readable in full after the handler read the usage
        return (budget.AvailableTokens, body);
    }

    [Theory]
    [InlineData("{\"id\":\"c1\",\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":30,\"total_tokens\":42}}", 42)]
    [InlineData("{\"choices\":[{\"message\":{\"content\":\"the \\\"usage\\\" is 5\"}}],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}", 10)]
    [InlineData("{\"type\":\"message\",\"usage\":{\"input_tokens\":100,\"output_tokens\":250,\"cache_read_input_tokens\":0}}", 350)]
    public async Task ASuccessfulJsonAnswer_IsReconciledWithItsUsage(string body, long used)
    {
        using var server = Answering("application/json", body);

        var (left, read) = await CallAsync(server);

        Assert.Equal(100_000 - used, left);
        Assert.Equal(body, read);
    }

    [Theory]
    [InlineData("application/json", "{\"id\":\"c1\"}")]                                  // no usage
    [InlineData("application/json", "{\"usage\":{\"prompt_tokens\":12")]                 // cut short
    [InlineData("application/json", "[1,2,3]")]                                          // not an object
    [InlineData("text/plain", "{\"usage\":{\"total_tokens\":42}}")]                      // not JSON
    public async Task OtherAnswers_KeepTheEstimate(string contentType, string body)
    {
        using var server = Answering(contentType, body);

        var (left, read) = await CallAsync(server);

        Assert.Equal(100_000 - 1_000, left);
        Assert.Equal(body, read);
    }
}
