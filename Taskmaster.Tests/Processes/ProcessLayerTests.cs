using System.Diagnostics;
using Taskmaster.Core.Processes;
using static Taskmaster.Tests.Processes.SpawnFixture;

namespace Taskmaster.Tests.Processes;

public sealed class ProcessLayerTests
{
    [Fact]
    public async Task InitializeForDaemon_keeps_the_runtime_SIGCHLD_handler_so_Process_and_the_spawner_both_work()
    {
        using (var warm = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!)
            await warm.WaitForExitAsync(TestContext.Current.CancellationToken); // the runtime has its SIGCHLD handler now
        var before = SigChldHandler();
        Assert.NotEqual(0, before);

        ProcessLayer.InitializeForDaemon();

        Assert.Equal(before, SigChldHandler());
        using var viaProcess = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exit 7"]) { UseShellExecute = false })!;
        await viaProcess.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Deadline, TestContext.Current.CancellationToken);
        Assert.Equal(7, viaProcess.ExitCode);
        using var viaSpawner = new PosixSpawner().Start(Shell("exit 5"));
        Assert.Equal(ExitStatus.Exited(5), await viaSpawner.WaitAsync());
    }

    private static unsafe nint SigChldHandler()
    {
        var old = stackalloc byte[152];
        Assert.Equal(0, Sigaction(Signals.SIGCHLD, null, old));
        return *(nint*)old;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sigaction")]
    private static extern unsafe int Sigaction(int signum, void* act, void* oldact);
}
