using System.Threading;
using System.Threading.Tasks;
using static RetryAnalyzers.Tests.Rules.RA0001ProviderPipelineFixTests;
using VerifyRA0002 = RetryAnalyzers.Tests.Verifiers.CSharpVerifier<RetryAnalyzers.Rules.RetryDelayAnalyzer, RetryAnalyzers.CodeFixes.RA0002RetryWithoutJitterCodeFix>;

namespace RetryAnalyzers.Tests.Rules;

/// <summary>
/// The pipeline action on status-check loops (the HttpClient call answers, the loop checks the response's status): the
/// response comes from one <c>ProviderPipeline.CreateForResponses</c> execution that retries what the loop's check
/// retried, and the check stays for the answer. Fixed sources compared, compiled and applied by Fix All; the negative
/// cases keep the delay-only action and get no pipeline action.
/// </summary>
public sealed class RA0001StatusCheckPipelineFixTests
{
    private const string Fields = """
        #warning RA0001: set TokensPerMinute to your provider's tokens-per-minute limit (or dotnet_diagnostic.RA0001.tokens_per_minute in .editorconfig), then delete this line
            private const long TokensPerMinute = 30_000;
            private const long EstimatedTokensPerCall = 1_024; // prompt + max output of one call, drawn from the budget per attempt
            private static readonly TokenBudget ProviderBudget = new TokenBudget(TokenBudgetOptions.PerMinute(TokensPerMinute));
        """;

    [Fact]
    public Task FailureBranchContinues_CounterFor_TheCheckNegatedForTheAnswer() => Fix(
        """
        class Agent
        {
            public async Task<string> AskAsync(HttpClient http, string url, CancellationToken ct)
            {
                for (var attempt = 0; attempt < 5; attempt++)
                {
                    var response = await http.PostAsync(url, new StringContent("{}"), ct);
                    if (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
                    {
                        await [|Task.Delay(1000, ct)|];
                        continue;
                    }

                    // the answer
                    response.EnsureSuccessStatusCode();
                    return await response.Content.ReadAsStringAsync(ct);
                }

                throw new InvalidOperationException("Still rate limited after 5 attempts");
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Fields}}
            private static readonly ProviderPipeline<HttpResponseMessage> AskPipeline = ProviderPipeline.CreateForResponses(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 4 },
                shouldRetry: response => response.StatusCode == System.Net.HttpStatusCode.TooManyRequests);

            public async Task<string> AskAsync(HttpClient http, string url, CancellationToken ct)
            {
                var response = await AskPipeline.ExecuteAsync(
                    async token => await http.PostAsync(url, new StringContent("{}"), token),
                    EstimatedTokensPerCall,
                    ct);

                if (response.StatusCode != System.Net.HttpStatusCode.TooManyRequests)
                {
                    // the answer
                    response.EnsureSuccessStatusCode();
                    return await response.Content.ReadAsStringAsync(ct);
                }

                throw new InvalidOperationException("Still rate limited after 5 attempts");
            }
        }
        """);

    [Fact]
    public Task SuccessBranchAnswers_WhileCounter_CounterGoes_UsingKept() => Fix(
        """
        class Agent
        {
            public async Task<string?> GetAsync(HttpClient http)
            {
                var tries = 0;
                while (tries < 3)
                {
                    using var response = await http.GetAsync("https://api.example.test/v1/models").ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                        return await response.Content.ReadAsStringAsync().ConfigureAwait(false);

                    tries++;
                    await [|Task.Delay(TimeSpan.FromSeconds(2))|].ConfigureAwait(false);
                }

                return null;
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Fields}}
            private static readonly ProviderPipeline<HttpResponseMessage> GetPipeline = ProviderPipeline.CreateForResponses(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                shouldRetry: response => !response.IsSuccessStatusCode);

            public async Task<string?> GetAsync(HttpClient http)
            {
                using var response = await GetPipeline.ExecuteAsync(
                    async token => await http.GetAsync("https://api.example.test/v1/models").ConfigureAwait(false),
                    EstimatedTokensPerCall).ConfigureAwait(false);

                if (response.IsSuccessStatusCode)
                {
                    return await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                }

                return null;
            }
        }
        """);

    [Fact]
    public Task PatternCheck_AnswerLeavesByBreak_NegatedPatternGrouped_BreakGoes() => Fix(
        """
        class Agent
        {
            public async Task<string> GetAsync(HttpClient http, CancellationToken cancellationToken)
            {
                var body = "";
                for (var i = 1; i <= 4; i++)
                {
                    var response = await http.GetAsync("https://api.example.test/v1/models", cancellationToken);
                    if (response.StatusCode is System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.ServiceUnavailable)
                    {
                        await [|Task.Delay(500, cancellationToken)|];
                        continue;
                    }

                    body = await response.Content.ReadAsStringAsync(cancellationToken);
                    break;
                }

                return body;
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Fields}}
            private static readonly ProviderPipeline<HttpResponseMessage> GetPipeline = ProviderPipeline.CreateForResponses(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 3 },
                shouldRetry: response => response.StatusCode is System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.ServiceUnavailable);

            public async Task<string> GetAsync(HttpClient http, CancellationToken cancellationToken)
            {
                var body = "";
                var response = await GetPipeline.ExecuteAsync(
                    async token => await http.GetAsync("https://api.example.test/v1/models", token),
                    EstimatedTokensPerCall,
                    cancellationToken);

                if (response.StatusCode is not (System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.ServiceUnavailable))
                {
                    body = await response.Content.ReadAsStringAsync(cancellationToken);
                }

                return body;
            }
        }
        """);

    [Fact]
    public Task FixAll_TwoStatusLoopsAndACatchLoop_OneBudget_EachItsPipeline() => Fix(
        """
        class Agent
        {
            public async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request)
            {
                for (var i = 0; i < 3; i++)
                {
                    var response = await http.SendAsync(request);
                    if ((int)response.StatusCode == 429)
                    {
                        await [|Task.Delay(1000)|];
                        continue;
                    }

                    return response;
                }

                throw new HttpRequestException("throttled");
            }

            public async Task<HttpResponseMessage> SendAsync(HttpClient http, Uri uri)
            {
                for (var i = 0; i < 2; i++)
                {
                    var response = await http.GetAsync(uri);
                    if (response.IsSuccessStatusCode) return response;
                    await [|Task.Delay(1000)|];
                }

                throw new HttpRequestException("failed");
            }

            public async Task<string> ListAsync(HttpClient http)
            {
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        return await http.GetStringAsync("https://api.example.test/v1/models");
                    }
                    catch (HttpRequestException e) when (e.StatusCode is null)
                    {
                        await [|Task.Delay(1000)|];
                    }
                }

                return "unavailable";
            }
        }
        """,
        $$"""
        class Agent
        {
        {{Fields}}
            private static readonly ProviderPipeline<HttpResponseMessage> SendPipeline = ProviderPipeline.CreateForResponses(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                shouldRetry: response => (int)response.StatusCode == 429);
            private static readonly ProviderPipeline<HttpResponseMessage> SendPipeline2 = ProviderPipeline.CreateForResponses(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 1 },
                shouldRetry: response => !response.IsSuccessStatusCode);
            private static readonly ProviderPipeline<string> ListPipeline = ProviderPipeline.Create<string>(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                isTransient: exception => exception is HttpRequestException e && e.StatusCode is null);

            public async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request)
            {
                var response = await SendPipeline.ExecuteAsync(
                    async token => await http.SendAsync(request),
                    EstimatedTokensPerCall);

                if ((int)response.StatusCode != 429)
                {
                    return response;
                }

                throw new HttpRequestException("throttled");
            }

            public async Task<HttpResponseMessage> SendAsync(HttpClient http, Uri uri)
            {
                var response = await SendPipeline2.ExecuteAsync(
                    async token => await http.GetAsync(uri),
                    EstimatedTokensPerCall);

                if (response.IsSuccessStatusCode)
                {
                    return response;
                }

                throw new HttpRequestException("failed");
            }

            public async Task<string> ListAsync(HttpClient http)
            {
                try
                {
                    return await ListPipeline.ExecuteAsync(
                        async token => await http.GetStringAsync("https://api.example.test/v1/models"),
                        EstimatedTokensPerCall);
                }
                catch (HttpRequestException e) when (e.StatusCode is null)
                {
                    // the pipeline's retries are spent: go on as after the loop's last attempt
                }
                catch (BrokenCircuitException)
                {
                    // the provider did not recover within MaxWaitForRecovery: go on as after the loop's last attempt
                }

                return "unavailable";
            }
        }
        """);

    [Fact]
    public Task CheckCallsAPureStaticHelper_TheHelperMovesIntoShouldRetry() => Fix(
        """
        class Agent
        {
            public async Task<HttpResponseMessage> GetAsync(HttpClient http)
            {
                for (var i = 0; i < 3; i++)
                {
                    var response = await http.GetAsync("https://api.example.test/v1/models");
                    if (!response.IsSuccessStatusCode && IsThrottled(response))
                    {
                        await [|Task.Delay(1000)|];
                        continue;
                    }

                    return response;
                }

                throw new TimeoutException();
            }

            private static bool IsThrottled(HttpResponseMessage answer) => (int)answer.StatusCode is 429 or 503;
        }
        """,
        $$"""
        class Agent
        {
        {{Fields}}
            private static readonly ProviderPipeline<HttpResponseMessage> GetPipeline = ProviderPipeline.CreateForResponses(
                new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 2 },
                shouldRetry: response => !response.IsSuccessStatusCode && IsThrottled(response));

            public async Task<HttpResponseMessage> GetAsync(HttpClient http)
            {
                var response = await GetPipeline.ExecuteAsync(
                    async token => await http.GetAsync("https://api.example.test/v1/models"),
                    EstimatedTokensPerCall);

                if (response.IsSuccessStatusCode || !IsThrottled(response))
                {
                    return response;
                }

                throw new TimeoutException();
            }

            private static bool IsThrottled(HttpResponseMessage answer) => (int)answer.StatusCode is 429 or 503;
        }
        """);

    [Fact]
    public async Task RA0002GrowingDelayReadingTheCounter_SameRewrite_UnderItsOwnKey()
    {
        var test = new VerifyRA0002.Test
        {
            TestCode = Usings + """
                class Agent
                {
                    public async Task<HttpResponseMessage> GetAsync(HttpClient http, CancellationToken ct)
                    {
                        for (var attempt = 0; attempt < 4; attempt++)
                        {
                            var response = await http.GetAsync("https://api.example.test/v1/models", ct);
                            if (!response.IsSuccessStatusCode)
                            {
                                await {|RA0002:Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)), ct)|};
                                continue;
                            }

                            return response;
                        }

                        throw new TimeoutException();
                    }
                }
                """,
            FixedCode = FixedUsings + $$"""
                class Agent
                {
                {{Fields.Replace("RA0001", "RA0002")}}
                    private static readonly ProviderPipeline<HttpResponseMessage> GetPipeline = ProviderPipeline.CreateForResponses(
                        new ProviderResilienceOptions { Budget = ProviderBudget, MaxRetryAttempts = 3 },
                        shouldRetry: response => !response.IsSuccessStatusCode);

                    public async Task<HttpResponseMessage> GetAsync(HttpClient http, CancellationToken ct)
                    {
                        var response = await GetPipeline.ExecuteAsync(
                            async token => await http.GetAsync("https://api.example.test/v1/models", token),
                            EstimatedTokensPerCall,
                            ct);

                        if (response.IsSuccessStatusCode)
                        {
                            return response;
                        }

                        throw new TimeoutException();
                    }
                }
                """,
            CodeActionEquivalenceKey = "RA0002.RunThroughProviderPipeline",
        };
        await test.RunAsync(CancellationToken.None);
    }

    // ---------------------------------------------------------------- no pipeline action

    [Theory]
    [InlineData("the check reads a field", "if (!response.IsSuccessStatusCode && _retry)", "private readonly bool _retry = true;")]
    [InlineData("the check reads a parameter", "if (!response.IsSuccessStatusCode && retryable)", "")]
    [InlineData("the check reads a local", "if (!response.IsSuccessStatusCode && limit > 0)", "")]
    [InlineData("the check calls an instance method", "if (!response.IsSuccessStatusCode && ShouldRetry())", "private bool ShouldRetry() => true;")]
    [InlineData("the check calls a local function", "if (!response.IsSuccessStatusCode && Retryable(response))", "")]
    [InlineData("the check calls the application's method that logs", "if (!response.IsSuccessStatusCode && Retryable(response))", "private static bool Retryable(HttpResponseMessage answer) { Console.WriteLine(answer.StatusCode); return true; }")]
    [InlineData("the check calls a helper that counts", "if (!response.IsSuccessStatusCode && Retryable(response))", "private static int s_seen; private static bool Retryable(HttpResponseMessage answer) => ++s_seen < 10;")]
    [InlineData("the check declares a variable", "if (!response.IsSuccessStatusCode && response.Headers.RetryAfter is { } after && after.Delta is null)", "")]
    public Task CheckThatCannotMoveIntoAStaticField_NoPipelineAction(string shape, string check, string member) => NoPipelineAction($$"""
        class Agent
        {
            {{member}}

            // {{shape}}
            public async Task<HttpResponseMessage> GetAsync(HttpClient http, bool retryable)
            {
                var limit = 429;
                for (var i = 0; i < 3; i++)
                {
                    var response = await http.GetAsync("https://api.example.test/v1/models");
                    {{check}}
                    {
                        await [|Task.Delay(1000)|];
                        continue;
                    }

                    return response;
                }

                throw new TimeoutException();

                static bool Retryable(HttpResponseMessage answer) => (int)answer.StatusCode >= 500;
            }
        }
        """);

    [Theory]
    [InlineData("a request built in the loop", "var request = new HttpRequestMessage(HttpMethod.Get, url);\n            var response = await http.SendAsync(request);", "await [|Task.Delay(1000)|];\n                continue;", "return response;")]
    [InlineData("the failure branch logs", "var response = await http.GetAsync(url);", "Console.WriteLine(\"retrying\");\n                await [|Task.Delay(1000)|];\n                continue;", "return response;")]
    [InlineData("the counter is read by the call", "var response = await http.GetAsync(url + i);", "await [|Task.Delay(1000)|];\n                continue;", "return response;")]
    [InlineData("the counter is read by the answer", "var response = await http.GetAsync(url);", "await [|Task.Delay(1000)|];\n                continue;", "Console.WriteLine(i);\n            return response;")]
    [InlineData("the answer breaks early", "var response = await http.GetAsync(url);", "await [|Task.Delay(1000)|];\n                continue;", "if (response.StatusCode == System.Net.HttpStatusCode.NoContent) break;\n            return response;")]
    [InlineData("the answer falls through to the next attempt", "var response = await http.GetAsync(url);", "await [|Task.Delay(1000)|];\n                continue;", "Console.WriteLine(response.StatusCode);\n            if (response.StatusCode == System.Net.HttpStatusCode.OK) return response;")]
    [InlineData("a directive in the failure branch", "var response = await http.GetAsync(url);", "#pragma warning disable CS0162\n                await [|Task.Delay(1000)|];\n                continue;", "return response;")]
    [InlineData("a statement after the wait", "var response = await http.GetAsync(url);", "await [|Task.Delay(1000)|];\n                Console.WriteLine(\"retrying\");\n                continue;", "return response;")]
    public Task LoopThatDoesMoreThanRetryTheCall_NoPipelineAction(string shape, string call, string failure, string answer) => NoPipelineAction($$"""
        class Agent
        {
            // {{shape}}
            public async Task<HttpResponseMessage> GetAsync(HttpClient http, string url)
            {
                for (var i = 0; i < 3; i++)
                {
                    {{call}}
                    if (!response.IsSuccessStatusCode)
                    {
                        {{failure}}
                    }

                    {{answer}}
                }

                throw new TimeoutException();
            }
        }
        """);

    [Fact]
    public Task ResponseNameUsedAgainInTheMethod_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<int> GetAsync(HttpClient http)
            {
                for (var i = 0; i < 3; i++)
                {
                    var response = await http.GetAsync("https://api.example.test/v1/models");
                    if (response.IsSuccessStatusCode)
                    {
                        break;
                    }

                    await [|Task.Delay(1000)|];
                }

                var response2 = 0;
                foreach (var response in new[] { 1, 2 })
                {
                    response2 += response;
                }

                return response2;
            }
        }
        """);

    [Fact]
    public Task CallAndWaitTakeDifferentTokens_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<HttpResponseMessage> GetAsync(HttpClient http, CancellationToken callToken, CancellationToken retryToken)
            {
                for (var i = 0; i < 3; i++)
                {
                    var response = await http.GetAsync("https://api.example.test/v1/models", callToken);
                    if (response.IsSuccessStatusCode)
                    {
                        return response;
                    }

                    await [|Task.Delay(1000, retryToken)|];
                }

                throw new TimeoutException();
            }
        }
        """);

    [Fact]
    public Task CheckWithAnElse_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<HttpResponseMessage> GetAsync(HttpClient http)
            {
                for (var i = 0; i < 3; i++)
                {
                    var response = await http.GetAsync("https://api.example.test/v1/models");
                    if (!response.IsSuccessStatusCode)
                    {
                        await [|Task.Delay(1000)|];
                        continue;
                    }
                    else
                    {
                        Console.WriteLine("ok");
                    }

                    return response;
                }

                throw new TimeoutException();
            }
        }
        """);

    [Fact]
    public Task ResponseAssignedToAVariableOfTheMethod_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<HttpResponseMessage?> GetAsync(HttpClient http)
            {
                HttpResponseMessage? response = null;
                for (var i = 0; i < 3; i++)
                {
                    response = await http.GetAsync("https://api.example.test/v1/models");
                    if (response.IsSuccessStatusCode)
                    {
                        break;
                    }

                    await [|Task.Delay(1000)|];
                }

                return response;
            }
        }
        """);

    [Fact]
    public Task BoundThatIsNotAConstant_NoPipelineAction() => NoPipelineAction("""
        class Agent
        {
            public async Task<HttpResponseMessage> GetAsync(HttpClient http, int attempts)
            {
                for (var i = 0; i < attempts; i++)
                {
                    var response = await http.GetAsync("https://api.example.test/v1/models");
                    if (response.IsSuccessStatusCode)
                    {
                        return response;
                    }

                    await [|Task.Delay(1000)|];
                }

                throw new TimeoutException();
            }
        }
        """);
}
