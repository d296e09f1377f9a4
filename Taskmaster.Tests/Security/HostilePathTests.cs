using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Security;

/// <summary>
/// The root daemon never writes through a path another user controls: a symlink or hard link planted at a log path,
/// a directory on the way that others can write to (and is not sticky), or one that belongs to another user, make the
/// open fail with the reason in the instance's status; the target file is untouched. The same for its own log file
/// and pid file. A <c>user</c> program's new log files belong to that user, mode 0640.
/// </summary>
public sealed class HostilePathTests
{
    private static void RequireRoot()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv")) Assert.Skip("needs root and setpriv");
    }

    /// <summary>A root-owned 0600 file the attacker would like the daemon to append to.</summary>
    private static string Secret(TempDir dir)
    {
        var secret = dir.Write("secret", "root only\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return secret;
    }

    /// <summary>A program that writes one line to <paramref name="stdout"/> and goes FATAL at once if it cannot start.</summary>
    private static string OneShot(string name, string stdout, string says) =>
        $"  {name}:\n    cmd: /bin/echo {says}\n    startretries: 0\n    starttime: 0\n    stdout: {stdout}\n";

    /// <summary>A directory like /tmp (1777, root's) below <paramref name="dir"/>, which nobody can reach.</summary>
    private static string StickyDir(TempDir dir, string name)
    {
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED);
        var sticky = Directory.CreateDirectory(dir.File(name)).FullName;
        File.SetUnixFileMode(sticky, (UnixFileMode)Convert.ToInt32("1777", 8));
        return sticky;
    }

    private static async Task<string> RefusalAsync(RealDaemon daemon, string name)
    {
        await daemon.WaitForStateAsync(name, "FATAL");
        return (await daemon.StatusAsync()).Single(i => i.Name == name).Description;
    }

    [Fact]
    public async Task A_symlink_planted_in_a_sticky_directory_is_not_followed()
    {
        RequireRoot();
        await using var daemon = new RealDaemon(OneShot("web", "{dir}/shared/web.log", "leaked"));
        var secret = Secret(daemon.Dir);
        var shared = StickyDir(daemon.Dir, "shared");
        var plant = await Nobody("/bin/ln", "-s", secret, Path.Combine(shared, "web.log"));
        Assert.True(plant.ExitCode == 0, plant.Output);

        await daemon.StartAsync();
        var why = await RefusalAsync(daemon, "web");
        Assert.Contains("symbolic link", why);
        Assert.Equal("root only\n", File.ReadAllText(secret));
    }

    [Fact]
    public async Task A_fifo_planted_in_a_sticky_directory_is_refused_without_blocking()
    {
        RequireRoot();
        await using var daemon = new RealDaemon(OneShot("web", "{dir}/shared/web.log", "hi") + """
              other:
                cmd: /bin/sleep 1000
                starttime: 0
            """);
        var shared = StickyDir(daemon.Dir, "shared");
        var plant = await Nobody("/usr/bin/mkfifo", Path.Combine(shared, "web.log"));
        Assert.True(plant.ExitCode == 0, plant.Output);

        await daemon.StartAsync();
        Assert.Contains("FIFO", await RefusalAsync(daemon, "web"));
        await daemon.WaitForStateAsync("other", "RUNNING"); // the daemon did not hang on the FIFO
    }

    [Fact]
    public async Task A_hard_link_to_another_file_is_refused()
    {
        RequireRoot();
        await using var daemon = new RealDaemon(OneShot("web", "{dir}/web.log", "leaked"));
        var secret = Secret(daemon.Dir);
        var link = await Binaries.RunAsync(("/bin/ln", []), [secret, daemon.Dir.File("web.log")]);
        Assert.True(link.ExitCode == 0, link.Output);
        await daemon.StartAsync();
        Assert.Contains("hard links", await RefusalAsync(daemon, "web"));
        Assert.Equal("root only\n", File.ReadAllText(secret));
    }

    [Fact]
    public async Task Directories_others_can_write_to_or_own_are_refused()
    {
        RequireRoot();
        await using var daemon = new RealDaemon(OneShot("open", "{dir}/open/web.log", "hi")
            + OneShot("theirs", "{dir}/sticky/nobodys/web.log", "hi") + """
              fine:
                cmd: /bin/echo hi
                autorestart: never
                starttime: 0
                stdout: {dir}/sticky/new/web.log
            """);
        File.SetUnixFileMode(daemon.Dir.Path, (UnixFileMode)0x1ED);
        File.SetUnixFileMode(Directory.CreateDirectory(daemon.Dir.File("open")).FullName, (UnixFileMode)Convert.ToInt32("777", 8));
        var sticky = StickyDir(daemon.Dir, "sticky");
        var made = await Nobody("/bin/mkdir", Path.Combine(sticky, "nobodys"));
        Assert.True(made.ExitCode == 0, made.Output);

        await daemon.StartAsync();
        Assert.Contains("writable by others", await RefusalAsync(daemon, "open"));
        Assert.Contains("owned by uid 65534", await RefusalAsync(daemon, "theirs"));
        await daemon.WaitForStateAsync("fine", "EXITED");
        Assert.Equal("hi\n", File.ReadAllText(daemon.Dir.File("sticky/new/web.log")));
    }

    [Fact]
    public async Task A_user_programs_new_log_file_is_its_own_and_not_world_readable()
    {
        RequireRoot();
        await using var daemon = await new RealDaemon("""
              svc:
                cmd: /bin/echo private
                user: nobody
                autorestart: never
                starttime: 0
                stdout: {dir}/svc.log
            """).StartAsync();
        await daemon.WaitForStateAsync("svc", "EXITED");
        var stat = await Binaries.RunAsync(("/usr/bin/stat", []), ["-c", "%U %a", daemon.Dir.File("svc.log")]);
        Assert.Equal("nobody 640", stat.Stdout.Trim());
    }

    [Fact]
    public async Task The_daemon_refuses_a_symlinked_log_file_and_does_not_follow_a_symlinked_pid_file()
    {
        RequireRoot();
        await using var refused = new RealDaemon("", "  logfile: {dir}/daemon.log\n");
        var secret = Secret(refused.Dir);
        File.CreateSymbolicLink(refused.Dir.File("daemon.log"), secret);
        var run = await refused.DetachAsync("-n");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("symbolic link", run.Stderr);
        Assert.Equal("root only\n", File.ReadAllText(secret));

        await using var daemon = new RealDaemon("", "  pidfile: {dir}/daemon.pid\n");
        var other = Secret(daemon.Dir);
        File.CreateSymbolicLink(daemon.Dir.File("daemon.pid"), other);
        await daemon.StartAsync();
        await Eventually.HoldsAsync(() => daemon.Output.Contains("pid file not written"), "the refused pid file is logged");
        Assert.Equal("root only\n", File.ReadAllText(other));
    }

    private static Task<RunResult> Nobody(string program, params string[] args) =>
        Binaries.RunAsync(("/usr/bin/setpriv", []), ["--reuid=nobody", "--regid=nogroup", "--clear-groups", program, .. args]);
}
