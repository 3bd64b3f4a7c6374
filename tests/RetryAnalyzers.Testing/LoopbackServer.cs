using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Testing;

/// <summary>
/// A real HTTP server on 127.0.0.1 (an <see cref="HttpListener"/> on a free port). Each request is answered by the
/// responder given, with the 0-based number of the request; requests are served concurrently.
/// </summary>
public sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerContext, int, Task> _respond;
    private readonly Task _loop;
    private int _requests;

    /// <summary>Answers with the given statuses in turn (the last one repeats); a 429 carries <c>Retry-After: 0</c>.</summary>
    public LoopbackServer(params HttpStatusCode[] statuses)
        : this((context, index) =>
        {
            var status = statuses[Math.Min(index, statuses.Length - 1)];
            context.Response.StatusCode = (int)status;
            if (status == HttpStatusCode.TooManyRequests)
            {
                context.Response.AddHeader("Retry-After", "0");
            }

            return Task.CompletedTask;
        })
    {
    }

    /// <summary>Answers every request with <paramref name="respond"/>; the response is closed after it.</summary>
    public LoopbackServer(Func<HttpListenerContext, int, Task> respond)
    {
        _respond = respond;
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public int Requests => Volatile.Read(ref _requests);

    public void Dispose()
    {
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // the listener was closed under a pending GetContextAsync
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var index = Interlocked.Increment(ref _requests) - 1;
            _ = Task.Run(async () =>
            {
                try
                {
                    await _respond(context, index).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    context.Response.StatusCode = 500;
                }
                finally
                {
                    try
                    {
                        context.Response.Close();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                    {
                        // the client went away
                    }
                }
            });
        }
    }

    /// <summary>A loopback port nothing listens on right now (for a server, or for a refused connection).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
