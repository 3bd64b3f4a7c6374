using System;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>The handler keeps a gate per host; a crawler through one handler must not grow that without end.</summary>
public sealed class GatePerHostTests
{
    [Fact]
    public async Task ManyHosts_KeepAtMostMaxGates()
    {
        // Every host name connects to the one loopback server (which answers 404 to names it does not serve).
        using var server = new LoopbackServer(HttpStatusCode.OK);
        var port = new Uri(server.Url).Port;
        var inner = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port, token);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        var handler = new ProviderResilienceHandler(new ProviderResilienceOptions()) { InnerHandler = inner };
        using var client = new HttpClient(handler);

        var hosts = ProviderResilienceHandler.MaxGates + 100;
        for (var i = 0; i < hosts; i++)
        {
            using var response = await client.GetAsync($"http://host{i}.test:{port}/");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode); // answered by the real server, not retried
        }

        Assert.InRange(handler.GateCount, 1, ProviderResilienceHandler.MaxGates);
    }

    [Fact]
    public void AHeldGate_IsKept_WhenIdleOnesAreDropped()
    {
        using var handler = new ProviderResilienceHandler(new ProviderResilienceOptions());
        var held = handler.GateFor("throttled.test");
        held.Report(AttemptResult.Throttled, probe: false, retryAfter: TimeSpan.FromMinutes(1));
        for (var i = 0; i < ProviderResilienceHandler.MaxGates + 10; i++)
        {
            handler.GateFor("host" + i.ToString(CultureInfo.InvariantCulture) + ".test");
        }

        Assert.True(handler.GateCount <= ProviderResilienceHandler.MaxGates);
        Assert.Same(held, handler.GateFor("throttled.test"));
        Assert.True(held.IsHeld);
    }
}
