namespace HarnessSample;

public sealed class HandWrittenLoops
{
    private const int DelayMs = 1000;
    private readonly HttpClient _http = new();

    public async Task<string> ForWithCatch(CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                return await _http.GetStringAsync("http://127.0.0.1:9/", cancellationToken);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(DelayMs, cancellationToken); // RA0001
            }
        }

        throw new InvalidOperationException("no luck");
    }

    public async Task<HttpResponseMessage> WhileWithStatus()
    {
        while (true)
        {
            var response = await _http.GetAsync("http://127.0.0.1:9/");
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            await Task.Delay(TimeSpan.FromSeconds(2)); // RA0001, RA0006
        }
    }

    public string SyncForFromOne()
    {
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            try
            {
                return _http.GetStringAsync("http://127.0.0.1:9/").GetAwaiter().GetResult();
            }
            catch (HttpRequestException)
            {
                Thread.Sleep(500); // RA0001
            }
        }

        throw new InvalidOperationException("no luck");
    }

    public async Task DoWhileSwallowed(Func<Task> call, TimeSpan wait)
    {
        var attempt = 0;
        do
        {
            try
            {
                await call();
                break;
            }
            catch (InvalidOperationException)
            {
            }

            await Task.Delay(wait); // RA0001
        }
        while (++attempt < 5);
    }

    // Quiet for RA0001: polling, a periodic worker, a growing delay (that one is RA0002's: it has no jitter).
    public async Task<string> Poll(CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = await _http.GetStringAsync("http://127.0.0.1:9/status", cancellationToken);
            if (status == "done")
            {
                return status;
            }

            await Task.Delay(1000, cancellationToken);
        }
    }

    public async Task Worker(Func<Task> work, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await work();
            }
            catch (InvalidOperationException)
            {
                await Task.Delay(5000, cancellationToken);
            }
        }
    }

    public async Task<string> Growing()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                return await _http.GetStringAsync("http://127.0.0.1:9/");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100 * (1 << attempt)); // RA0002
            }
        }

        throw new InvalidOperationException("no luck");
    }
}
