using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Security;

/// <summary>
/// Nothing another user can write is mapped into the daemon. Serilog's shared file mode backed a named mutex with
/// a world-writable file under <c>$TMPDIR/.dotnet/shm/</c> that the daemon kept mapped: <c>nobody</c> truncated it,
/// the next log line was a SIGBUS (exit 135) and every program ran on unsupervised.
/// </summary>
public sealed class SharedMemoryTests
{
    [Fact]
    public async Task With_a_log_file_the_daemon_maps_nothing_others_can_write_and_survives_nobody_truncating_shm()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
            Assert.Skip("needs root and setpriv");
        await using var daemon = await new RealDaemon("""
              web:
                cmd: /bin/sleep 1000
                starttime: 0
            """, "  logfile: {dir}/log/taskmasterd.log\n").StartAsync();
        await daemon.WaitForStateAsync("web", "RUNNING");
        Assert.Equal(0, (await daemon.Ctl("restart", "web")).ExitCode); // the file sink has written by now
        var pid = daemon.Process!.Id;

        var writable = MappedFiles(pid).Where(WritableByOthers).ToList();
        Assert.True(writable.Count == 0, "mapped files others can write: " + string.Join(", ", writable));

        // The attack itself, as nobody: truncate whatever .NET shared memory exists, then make the daemon log.
        var shm = Path.Combine(Path.GetTempPath(), ".dotnet", "shm");
        var truncate = await Binaries.RunAsync(("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/bin/sh"]),
            ["-c", $"find '{shm}' -type f -writable -exec truncate -s 0 {{}} + 2>/dev/null; true"]);
        Assert.Equal(0, truncate.ExitCode);
        Assert.Equal(0, (await daemon.Ctl("restart", "web")).ExitCode);
        Assert.False(daemon.Process.HasExited, $"the daemon died:\n{daemon.Output}");
        Assert.Contains("web STOPPING -> STOPPED", File.ReadAllText(daemon.Dir.File("log/taskmasterd.log")));
    }

    /// <summary>The distinct files mapped into <paramref name="pid"/> (from /proc/PID/maps).</summary>
    private static IEnumerable<string> MappedFiles(int pid) =>
        File.ReadAllLines($"/proc/{pid}/maps")
            .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 6 && f[5].StartsWith('/'))
            .Select(f => f[5].Replace(" (deleted)", ""))
            .Distinct();

    /// <summary>Group- or world-writable and not root's, or owned by another user.</summary>
    private static bool WritableByOthers(string path)
    {
        if (!File.Exists(path)) return false;
        var mode = File.GetUnixFileMode(path);
        var othersWrite = (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;
        return othersWrite || OwnerOf(path) != 0;
    }

    private static unsafe uint OwnerOf(string path)
    {
        Tmds.Linux.stat st;
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
            return Tmds.Linux.LibC.stat(p, &st) == 0 ? (uint)st.st_uid : 0;
    }
}
