using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Threading;

namespace RetryAnalyzers.Testing;

/// <summary>
/// A real <c>redis-server</c> (Debian's package; <c>.ci/run</c> installs it) on a free 127.0.0.1 port with a temporary
/// directory, no persistence. <see cref="Kill"/> stops it hard (a crash), <see cref="Start"/> starts it again on the same
/// port (empty), <see cref="Dispose"/> stops it and removes the directory: nothing is left running.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ra-redis-" + Guid.NewGuid().ToString("N"));
    private Process? _process;

    public RedisServer()
    {
        Port = LoopbackServer.FreePort();
        Directory.CreateDirectory(_directory);
        Start();
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string: abortConnect=false (a budget must start while Redis is down), short timeouts.</summary>
    public string Configuration => "127.0.0.1:" + Port + ",abortConnect=false,connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000,connectRetry=1";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts the server (again) and waits until it accepts connections.</summary>
    public void Start()
    {
        if (IsRunning)
        {
            return;
        }

        var start = new ProcessStartInfo(Executable())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory, "--daemonize", "no", "--protected-mode", "no" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException("redis-server exited at start with code " + _process.ExitCode + ".");
            }

            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", Port);
                using var stream = client.GetStream();
                var ping = "PING\r\n"u8.ToArray();
                stream.Write(ping);
                var buffer = new byte[16];
                stream.ReadTimeout = 1000;
                if (stream.Read(buffer) > 0 && buffer[0] == (byte)'+')
                {
                    return;
                }
            }
            catch (SocketException)
            {
            }
            catch (IOException)
            {
            }

            Thread.Sleep(20);
        }

        throw new TimeoutException("redis-server did not accept connections on port " + Port + " within 10 s.");
    }

    /// <summary>Kills the server at once (as a crash would), and waits until it is gone.</summary>
    public void Kill()
    {
        if (_process is { } process && !process.HasExited)
        {
            process.Kill();
            process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Executable()
    {
        foreach (var candidate in new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server", "/opt/homebrew/bin/redis-server" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("redis-server is not installed: the Redis budget's tests need a real one (Debian: apt-get install -y redis-server; .ci/run installs it).");
    }
}
