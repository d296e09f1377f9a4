using System.Diagnostics;
using Taskmaster.Core.Protocol;
using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// A real <c>taskmasterd -n</c> started under <c>prlimit</c> (a resource limit set on the daemon, which its
/// children inherit), with the RealDaemon marker, on a config of its own. Disposing sends SIGTERM and waits.
/// </summary>
internal sealed class LimitedDaemon : IAsyncDisposable
{
    private readonly Process _daemon;
    private readonly Task<string> _stderr;

    private LimitedDaemon(Process daemon, string socket)
    {
        _daemon = daemon;
        Socket = socket;
        daemon.StandardInput.Close();
        _stderr = daemon.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = daemon.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
    }

    public string Socket { get; }

    public bool HasExited => _daemon.HasExited;

    /// <param name="limit">prlimit's option, e.g. <c>--nofile=200</c>.</param>
    /// <param name="programs">The <c>programs:</c> section's body (one line per program).</param>
    public static LimitedDaemon Start(TempDir dir, string limit, string programs)
    {
        var socket = dir.File("s.sock");
        var config = dir.Write("t.yaml", $"taskmasterd: {{socket: {socket}, syslog: false, logdir: {dir.File("log")}}}\n" +
            "programs:\n" + programs);
        var daemon = Binaries.Daemon;
        var psi = Binaries.StartInfo(("/usr/bin/prlimit", []), [limit, daemon.File, .. daemon.Prefix, config, "-n"]);
        psi.Environment[RealDaemon.MarkerVariable] = dir.Path;
        return new LimitedDaemon(Process.Start(psi)!, socket);
    }

    /// <summary>The instances once the daemon answers and they are <paramref name="count"/>, each in one of
    /// <paramref name="settled"/>.</summary>
    public async Task<IReadOnlyList<InstanceInfo>> SettledAsync(int count, params string[] settled)
    {
        IReadOnlyList<InstanceInfo> instances = [];
        await Eventually.HoldsAsync(() =>
        {
            if (_daemon.HasExited || !RealDaemon.Answers(Socket)) return false;
            instances = ControlClient.RequestAsync(Socket, Request.For(Commands.Status)).GetAwaiter().GetResult().Instances ?? [];
            return instances.Count == count && instances.All(i => settled.Contains(i.State));
        }, $"{count} instances, each {string.Join(" or ", settled)}, and the daemon answering");
        return instances;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_daemon.HasExited)
        {
            RealDaemon.Signal(_daemon.Id, 15);
            await _daemon.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        _ = await _stderr;
        _daemon.Dispose();
    }
}
