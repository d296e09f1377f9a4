using System.Diagnostics;
using Taskmaster.Core.Config;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Config;

/// <summary>The sample <c>configs/</c> that <c>make run</c> uses: valid, and its commands really run as split.</summary>
public class SampleConfigTests
{
    private static TaskmasterConfig Sample()
    {
        var result = ConfigLoader.Load(Path.Combine(Binaries.RepositoryRoot, "configs"));
        Assert.True(result.IsValid, string.Join('\n', result.Errors));
        Assert.Empty(result.Warnings);
        return result.Config!;
    }

    [Fact]
    public void Sample_shows_the_programs_the_issue_asks_for()
    {
        var config = Sample();
        Assert.Equal(2, config.Programs["worker"].NumProcs);
        Assert.Equal(AutoRestart.Unexpected, config.Programs["flaky"].AutoRestart);
        Assert.Equal("/tmp/taskmaster/writer.out", config.Programs["writer"].Stdout.PathTemplate);
        Assert.False(config.Programs["hello"].AutoStart);
        Assert.Equal(2, config.Programs["doomed"].StartRetries);
        Assert.Equal("/tmp/taskmaster/log", config.Daemon.LogDir);
        Assert.Null(config.Daemon.Socket);
    }

    [Fact]
    public async Task Sample_worker_command_runs_and_prints_its_tick()
    {
        var worker = Sample().Programs["worker"];
        Assert.Equal("/bin/sh", worker.Argv[0]);
        var psi = new ProcessStartInfo(worker.Argv[0]) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in worker.Argv.Skip(1)) psi.ArgumentList.Add(arg);
        foreach (var (k, v) in worker.Env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var line = await p.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.Equal($"worker {p.Id} tick", line);
        }
        finally
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Sample_hello_command_expands_its_env_in_the_shell_it_starts()
    {
        var hello = Sample().Programs["hello"];
        var psi = new ProcessStartInfo(hello.Argv[0]) { RedirectStandardOutput = true, UseShellExecute = false };
        // Same words, without the sleep, so the test does not wait 20 seconds.
        psi.ArgumentList.Add(hello.Argv[1]);
        psi.ArgumentList.Add(hello.Argv[2].Replace("; sleep 20", ""));
        foreach (var (k, v) in hello.Env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await p.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal("hello from taskmaster", output.Trim());
        Assert.Equal(["/bin/sh", "-c", "echo \"hello from $GREETER\"; sleep 20"], hello.Argv);
    }
}
