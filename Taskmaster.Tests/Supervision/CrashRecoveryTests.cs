using System.Globalization;
using Taskmaster.Core.Processes.Families;
using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// A daemon crash is survivable, through real daemons: <c>kill -9</c> of the daemon, then a new one on the same
/// config finds what the old one left (its cgroups, or the state file's pids checked by start time), stops it before
/// autostart and runs exactly <c>numprocs</c> copies. A corrupt state file and one whose pids now belong to unrelated
/// processes change nothing but a warning. What an operator stopped stays stopped across a restart.
/// </summary>
public sealed class CrashRecoveryTests
{
    private const string ThreeSleepers = """
          sleepy:
            cmd: /bin/sleep 1000
            numprocs: 3
            starttime: 0
            stoptime: 3
        """;

    private static async Task<List<int>> RunningPids(RealDaemon daemon, int expected)
    {
        List<int> pids = [];
        await Eventually.HoldsAsync(() =>
        {
            var status = daemon.StatusAsync().GetAwaiter().GetResult();
            pids = [.. status.Where(i => i.State == "RUNNING" && i.Pid is not null).Select(i => i.Pid!.Value)];
            return pids.Count == expected && status.Count == expected;
        }, $"{expected} instances RUNNING");
        return pids;
    }

    /// <summary>Live sleeps the daemons of this test started (they carry its marker).</summary>
    private static List<int> Sleepers(RealDaemon daemon)
    {
        var marker = daemon.Marker.Single();
        return [.. ProcessTable.WithEnvironment(marker.Key, marker.Value).Where(p => Comm(p) == "sleep")];
    }

    private static string Comm(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { return ""; }
    }

    private static async Task KillDaemon(RealDaemon daemon)
    {
        var process = daemon.Process!;
        Assert.Equal(0, RealDaemon.Signal(process.Id, 9));
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("off")]
    public async Task After_kill_9_a_new_daemon_runs_exactly_numprocs_copies(string cgroups)
    {
        await using var daemon = new RealDaemon(ThreeSleepers, $"  cgroups: {cgroups}\n");
        await daemon.StartAsync();
        var old = await RunningPids(daemon, 3);
        // Recorded moments after the spawn; the crash comes after that.
        var stateFile = daemon.Dir.File("run/taskmasterd.state");
        await Eventually.HoldsAsync(() => File.Exists(stateFile) && old.All(p => File.ReadAllText(stateFile).Contains($"\"pid\": {p},")),
            "the state file records the three pids");
        await KillDaemon(daemon);
        Assert.All(old, p => Assert.True(ProcessTable.IsAlive(p), "the programs outlive a killed daemon"));

        await daemon.StartAsync();
        var now = await RunningPids(daemon, 3);
        Assert.Empty(now.Intersect(old));
        Assert.All(old, p => Assert.False(ProcessTable.IsAlive(p), $"pid {p} of the killed daemon is still running"));
        await Eventually.HoldsAsync(() => Sleepers(daemon).Count == 3, "exactly three sleeps");
        Assert.Contains("left running by a previous daemon", daemon.Output);
    }

    [Fact]
    public async Task A_corrupt_state_file_is_reported_and_ignored()
    {
        await using var daemon = new RealDaemon(ThreeSleepers);
        daemon.Dir.Write("run/taskmasterd.state", "{\"format\": \"taskmasterd-state/1\", \"running\": [tru");
        File.SetUnixFileMode(daemon.Dir.File("run/taskmasterd.state"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await daemon.StartAsync();
        await RunningPids(daemon, 3);
        Assert.Contains("ignored: corrupt", daemon.Output);
    }

    [Fact]
    public async Task Pids_in_the_state_file_that_now_name_other_processes_are_left_alone()
    {
        using var stranger = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/sleep", "1000"))!;
        try
        {
            var ticks = ProcTable.Read(stranger.Id)!.Value.StartTicks;
            await using var daemon = new RealDaemon(ThreeSleepers, "  cgroups: off\n");
            // What a crashed daemon would have written, had its sleepy:0 had the stranger's number but started earlier.
            var state = new Core.Supervision.StateSnapshot(daemon.SocketPath, 999999,
                [new Core.Supervision.RunningRecord("sleepy:0", stranger.Id, ticks - 1, null, 15, TimeSpan.FromSeconds(1)),
                 new Core.Supervision.RunningRecord("sleepy:1", 4_000_000, 1, null, 15, TimeSpan.FromSeconds(1))], []);
            Directory.CreateDirectory(daemon.Dir.File("run"));
            File.WriteAllBytes(daemon.Dir.File("run/taskmasterd.state"), state.Serialize());
            File.SetUnixFileMode(daemon.Dir.File("run/taskmasterd.state"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await daemon.StartAsync();
            await RunningPids(daemon, 3);
            Assert.False(stranger.HasExited, "an unrelated process was killed");
            Assert.DoesNotContain("left running by a previous daemon", daemon.Output);
        }
        finally
        {
            stranger.Kill();
        }
    }

    [Fact]
    public async Task A_state_file_writable_by_others_is_refused()
    {
        await using var daemon = new RealDaemon(ThreeSleepers);
        daemon.Dir.Write("run/taskmasterd.state", "{}");
        File.SetUnixFileMode(daemon.Dir.File("run/taskmasterd.state"), (UnixFileMode)Convert.ToInt32("666", 8));
        await daemon.StartAsync();
        await RunningPids(daemon, 3);
        Assert.Contains("writable by group or others", daemon.Output);
    }

    [Fact]
    public async Task An_unwritable_state_file_is_logged_and_changes_nothing_else()
    {
        await using var daemon = new RealDaemon(ThreeSleepers, "  statefile: /proc/taskmaster-test/taskmasterd.state\n");
        await daemon.StartAsync();
        await RunningPids(daemon, 3);
        Assert.Contains("cannot write the state file", daemon.Output);
        var stop = await daemon.Ctl("stop", "all");
        Assert.True(stop.ExitCode == 0, stop.Output);
    }

    [Fact]
    public async Task What_an_operator_stopped_stays_stopped_across_a_daemon_restart_and_a_reload()
    {
        const string Two = """
              held: {cmd: /bin/sleep 1000, starttime: 0, stoptime: 3}
              other: {cmd: /bin/sleep 1000, starttime: 0, stoptime: 3}
            """;
        await using var daemon = new RealDaemon(Two);
        await daemon.StartAsync();
        await RunningPids(daemon, 2);
        var stop = await daemon.Ctl("stop", "held");
        Assert.True(stop.ExitCode == 0, stop.Output);

        await daemon.StopAsync();
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("other", "RUNNING");
        var held = (await daemon.StatusAsync()).Single(i => i.Name == "held");
        Assert.Equal("STOPPED", held.State);
        Assert.Contains("stopped by the operator", held.Description);

        // A reload that changes the program does not start it either.
        daemon.WriteConfig(Two.Replace("held: {cmd: /bin/sleep 1000", "held: {cmd: /bin/sleep 2000"));
        var reload = await daemon.Ctl("reload");
        Assert.True(reload.ExitCode == 0, reload.Output);
        Assert.Equal("STOPPED", (await daemon.StatusAsync()).Single(i => i.Name == "held").State);

        // Started again by hand: it runs after the next restart too.
        var start = await daemon.Ctl("start", "held");
        Assert.True(start.ExitCode == 0, start.Output);
        await daemon.StopAsync();
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("held", "RUNNING");
    }
}
