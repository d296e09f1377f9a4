using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Taskmaster.Core.Protocol;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Control;

/// <summary>
/// A real <c>taskmasterd -n</c> process on a temporary config and socket, for end-to-end tests with real
/// controller processes. Disposing sends SIGTERM (so its programs are stopped) and waits for it.
/// </summary>
public sealed partial class RealDaemon : IAsyncDisposable
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    private readonly StringBuilder _output = new();
    public TempDir Dir { get; } = new();
    public string SocketPath { get; }
    public string ConfigPath { get; }
    public Process? Process { get; private set; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    public RealDaemon(string programsYaml)
    {
        SocketPath = Dir.File("run/taskmasterd.sock");
        ConfigPath = Dir.File("taskmaster.yaml");
        WriteConfig(programsYaml);
    }

    /// <summary>Replace the programs section (for reload tests); <c>{dir}</c> is the temp directory.</summary>
    public void WriteConfig(string programsYaml) =>
        File.WriteAllText(ConfigPath,
            "taskmasterd:\n" +
            $"  socket: {SocketPath}\n" +
            $"  logdir: {Dir.File("log")}\n" +
            "  syslog: false\n" +
            "programs:\n" +
            programsYaml.Replace("{dir}", Dir.Path));

    public async Task<RealDaemon> StartAsync()
    {
        var psi = Binaries.StartInfo(Binaries.Daemon, [ConfigPath, "-n"]);
        Process = Process.Start(psi)!;
        Process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        Process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
        Process.StandardInput.Close();
        if (!await Eventually.TrueAsync(() => Process.HasExited || Answers(SocketPath), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50))
            || Process.HasExited)
            Assert.Fail($"taskmasterd did not come up on {SocketPath}:\n{Output}");
        return this;
    }

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
        if (Process is { HasExited: false } p)
        {
            kill(p.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Process?.Dispose();
        Dir.Dispose();
    }
}
