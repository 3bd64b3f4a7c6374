using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>A real HTTP server on 127.0.0.1 that answers with the given statuses in turn (the last one repeats).</summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpStatusCode[] _statuses;
    private readonly Task _loop;
    private int _requests;

    public LoopbackServer(params HttpStatusCode[] statuses)
    {
        _statuses = statuses;
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
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var index = Interlocked.Increment(ref _requests) - 1;
            var status = _statuses[Math.Min(index, _statuses.Length - 1)];
            context.Response.StatusCode = (int)status;
            if (status == HttpStatusCode.TooManyRequests)
            {
                context.Response.AddHeader("Retry-After", "0");
            }

            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
