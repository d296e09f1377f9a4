using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Taskmaster.Core.Protocol;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Control;

/// <summary>
/// A real <c>taskmasterd -n</c> process (or a detached one, <see cref="DetachAsync"/>) on a temporary config and
/// socket, for end-to-end tests with real controller processes. Every daemon it starts carries a marker variable
/// unique to this object, which the daemon's programs inherit. Disposing stops the daemon with SIGTERM (so its
/// programs are stopped gracefully), also a detached one the test left running, then checks that no process with
/// the marker is left: survivors are SIGKILLed and the dispose fails, naming them.
/// </summary>
public sealed partial class RealDaemon : IAsyncDisposable
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    /// <summary><c>kill(2)</c>, for tests that signal the daemon or its children: 0 when sent.</summary>
    public static int Signal(int pid, int signal) => kill(pid, signal);

    public const string MarkerVariable = "TASKMASTER_TEST_DAEMON";

    private readonly StringBuilder _output = new();
    public TempDir Dir { get; } = new();

    /// <summary>Environment that marks a process as started by this object (inherited by everything below it).</summary>
    public Dictionary<string, string> Marker => new() { [MarkerVariable] = Dir.Path };
    /// <summary>More variables for the daemon's environment (set before <see cref="StartAsync"/>).</summary>
    public Dictionary<string, string> Environment { get; } = new();
    public string SocketPath { get; }
    public string ConfigPath { get; }
    public Process? Process { get; private set; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <param name="programsYaml">The programs section; <c>{dir}</c> is the temp directory.</param>
    /// <param name="daemonYaml">More <c>taskmasterd:</c> keys, each line indented by two spaces.</param>
    public RealDaemon(string programsYaml, string daemonYaml = "")
    {
        SocketPath = Dir.File("run/taskmasterd.sock");
        ConfigPath = Dir.File("taskmaster.yaml");
        _daemonYaml = daemonYaml;
        WriteConfig(programsYaml);
    }

    private readonly string _daemonYaml;

    private int _writes;

    /// <summary>Replace the programs section (for reload tests); <c>{dir}</c> is the temp directory. The new file is
    /// written beside the config and renamed over it, so a daemon reading the config at any moment (a reload racing
    /// the write) sees the old file or the new one, never a half-written one: a truncated YAML document can well be
    /// a valid config with fewer programs, which no daemon could tell from the real thing.</summary>
    public void WriteConfig(string programsYaml)
    {
        var temp = $"{ConfigPath}.{Interlocked.Increment(ref _writes)}.tmp";
        File.WriteAllText(temp,
            "taskmasterd:\n" +
            $"  socket: {SocketPath}\n" +
            $"  logdir: {Dir.File("log")}\n" +
            "  syslog: false\n" +
            _daemonYaml.Replace("{dir}", Dir.Path) +
            "programs:\n" +
            programsYaml.Replace("{dir}", Dir.Path));
        File.Move(temp, ConfigPath, overwrite: true);
    }

    public async Task<RealDaemon> StartAsync()
    {
        var psi = Binaries.StartInfo(Binaries.Daemon, [ConfigPath, "-n"]);
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        foreach (var (k, v) in Marker) psi.Environment[k] = v;
        Process = Process.Start(psi)!;
        Process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        Process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
        Process.StandardInput.Close();
        if (!await Eventually.TrueAsync(() => Process.HasExited || Answers(SocketPath), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50))
            || Process.HasExited)
        {
            var output = Output;
            await DisposeAsync(); // the caller never gets this object to dispose
            Assert.Fail($"taskmasterd did not come up on {SocketPath}:\n{output}");
        }
        return this;
    }

    /// <summary>Runs <c>taskmasterd CONFIG ARGS</c> without <c>-n</c>: returns once the parent exits.</summary>
    public Task<RunResult> DetachAsync(params string[] args) =>
        Binaries.RunAsync(Binaries.Daemon, [ConfigPath, .. args], TimeSpan.FromSeconds(60), Marker);

    public static bool Answers(string socketPath)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return ControlClient.RequestAsync(socketPath, Request.For(Commands.Pid), cts.Token).GetAwaiter().GetResult().Ok;
        }
        catch (Exception e) when (e is DaemonUnreachableException or ProtocolException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    public Task<RunResult> Ctl(params string[] args) =>
        Binaries.RunAsync(Binaries.Ctl, ["-s", SocketPath, .. args], TimeSpan.FromSeconds(120));

    /// <summary>The instances as <c>status --json</c> reports them.</summary>
    public async Task<IReadOnlyList<InstanceInfo>> StatusAsync()
    {
        var response = await ControlClient.RequestAsync(SocketPath, Request.For(Commands.Status));
        Assert.True(response.Ok, response.Error?.Message);
        return response.Instances!;
    }

    public async Task WaitForStateAsync(string name, string state)
    {
        string last = "";
        var ok = await Eventually.TrueAsync(() =>
        {
            var i = StatusAsync().GetAwaiter().GetResult().FirstOrDefault(x => x.Name == name);
            last = i?.State ?? "(missing)";
            return last == state;
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));
        if (!ok) Assert.Fail($"{name} stayed {last}, expected {state}; daemon output:\n{Output}");
    }

    /// <summary>SIGTERM and wait (its programs are stopped); <see cref="StartAsync"/> may start it again.</summary>
    public async Task StopAsync()
    {
        if (Process is { HasExited: false } p && !await TerminateAsync(p.Id, () => p.HasExited))
            Assert.Fail($"taskmasterd (pid {p.Id}) did not exit within 60 s of SIGTERM");
    }

    public async ValueTask DisposeAsync()
    {
        var problems = new List<string>();
        if (Process is { HasExited: false } p && !await TerminateAsync(p.Id, () => p.HasExited))
            problems.Add($"taskmasterd (pid {p.Id}) did not exit within 60 s of SIGTERM");
        Process?.Dispose();

        // A detached daemon the test did not shut down (it failed before): stopped the same way.
        if (File.Exists(SocketPath) && DaemonPid() is { } detached && ProcessTable.IsAlive(detached)
            && !await TerminateAsync(detached, () => !ProcessTable.IsAlive(detached)))
            problems.Add($"detached taskmasterd (pid {detached}) did not exit within 60 s of SIGTERM");

        // Nothing the daemons started may outlive them (a killed tail -f or a stopping program may take a moment).
        var marker = Marker.Single();
        List<int> left = [];
        await Eventually.TrueAsync(() => (left = ProcessTable.WithEnvironment(marker.Key, marker.Value)).Count == 0,
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        if (left.Count > 0)
        {
            problems.Add("left behind: " + string.Join("; ", left.Select(ProcessTable.Describe)));
            ProcessTable.Kill(left);
        }
        Dir.Dispose();
        // The state diagram is the contract: any daemon of any test that took an arrow outside it fails.
        if (Output.Contains("illegal transition", StringComparison.Ordinal)) problems.Add("the daemon logged an illegal transition");
        if (problems.Count > 0) Assert.Fail(string.Join('\n', problems) + "\ndaemon output:\n" + Output);
    }

    /// <summary>SIGTERM, then up to 60 s for <paramref name="exited"/>; false (and SIGKILL to what carries the marker) if not.</summary>
    private async Task<bool> TerminateAsync(int pid, Func<bool> exited)
    {
        kill(pid, 15);
        if (await Eventually.TrueAsync(exited, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20))) return true;
        var marker = Marker.Single();
        ProcessTable.Kill(ProcessTable.WithEnvironment(marker.Key, marker.Value));
        return false;
    }

    private int? DaemonPid()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var response = ControlClient.RequestAsync(SocketPath, Request.For(Commands.Pid), cts.Token).GetAwaiter().GetResult();
            return response.Ok ? response.Pid : null;
        }
        catch (Exception e) when (e is DaemonUnreachableException or ProtocolException or OperationCanceledException or IOException)
        {
            return null;
        }
    }
}
