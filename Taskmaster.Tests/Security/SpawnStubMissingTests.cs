using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Security;

/// <summary>
/// Without its spawn stub (<c>libtaskmaster_spawn.so</c>, installed beside the executable or in
/// <c>PREFIX/lib/taskmaster</c>) the daemon cannot start a single program: it says so at start-up and exits 1,
/// rather than coming up and failing every start with a .NET exception.
/// </summary>
public sealed class SpawnStubMissingTests
{
    [Fact]
    public async Task The_daemon_refuses_to_start_without_its_spawn_stub()
    {
        var built = Path.Combine(Binaries.RepositoryRoot, "taskmasterd");
        if (!File.Exists(built)) Assert.Skip("needs ./taskmasterd (make)");
        using var dir = new TempDir();
        var copy = dir.File("taskmasterd");
        File.Copy(built, copy);
        File.SetUnixFileMode(copy, (UnixFileMode)0x1ED);
        var config = dir.Write("t.yaml", $"taskmasterd: {{socket: {dir.File("s.sock")}, syslog: false, logdir: {dir.Path}}}\nprograms:\n  web: {{cmd: /bin/sleep 100}}\n");

        // A process forked by another test while the copy was being written holds it open for writing until it
        // execs: exec then fails with ETXTBSY for a moment. Retried, the way Go's os/exec does.
        RunResult? result = null;
        for (var attempt = 0; result is null; attempt++)
        {
            try
            {
                result = await Binaries.RunAsync((copy, []), [config, "-n"], TimeSpan.FromSeconds(60));
            }
            catch (System.ComponentModel.Win32Exception e) when (e.NativeErrorCode == 26 /* ETXTBSY */ && attempt < 50)
            {
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }
        }

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("libtaskmaster_spawn.so", result.Stderr);
        Assert.Contains("not started", result.Stderr);
        Assert.False(File.Exists(dir.File("s.sock")), "the daemon bound its socket before refusing");
    }
}
