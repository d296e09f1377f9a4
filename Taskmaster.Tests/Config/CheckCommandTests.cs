using System.Diagnostics;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Config;

/// <summary>The real <c>taskmasterd --check</c>, run as a process.</summary>
public class CheckCommandTests
{
    [Fact]
    public async Task Check_of_the_sample_configs_exits_0_and_counts_programs_and_instances()
    {
        var r = await Binaries.RunDaemonAsync("--check", Path.Combine(Binaries.RepositoryRoot, "configs"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("OK: 5 programs, 6 instances", r.Stdout.Split('\n')[0]);
        Assert.Equal(5, r.Stdout.Split('\n').Count(l => l.StartsWith("  ", StringComparison.Ordinal)));
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public async Task Check_of_a_wrong_stopsignal_exits_2_and_prints_file_line_and_key()
    {
        using var dir = new TempDir();
        var file = dir.Write("bad.yaml", "programs:\n  web:\n    cmd: /bin/true\n    stopsignal: SIGNOPE\n");
        var r = await Binaries.RunDaemonAsync("--check", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{file}:4:17: programs.web.stopsignal: 'SIGNOPE' is not a known signal", r.Stderr);
        Assert.Contains("1 error(s)", r.Stderr);
        Assert.DoesNotContain("OK:", r.Stdout);
    }

    [Fact]
    public async Task Check_prints_every_error_of_a_directory()
    {
        using var dir = new TempDir();
        var a = dir.Write("a.yaml", "programs:\n  web: {cmd: /bin/true, numprocs: 0}\n");
        var b = dir.Write("b.yaml", "programs:\n  web: {cmd: /bin/true}\n\tbroken: 1\n");
        var r = await Binaries.RunDaemonAsync("--check", dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{a}:2:", r.Stderr);
        Assert.Contains($"{b}:3:1: tab character in indentation", r.Stderr);
        Assert.Contains("2 error(s)", r.Stderr);
        Assert.DoesNotContain("   at ", r.Output);
    }

    [Fact]
    public async Task Check_of_binary_garbage_exits_2_without_a_stack_trace()
    {
        using var dir = new TempDir();
        var file = dir.File("junk.yaml");
        File.WriteAllBytes(file, [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0xFF, 0xFE]);
        var r = await Binaries.RunDaemonAsync("--check", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not a text file", r.Stderr);
        Assert.DoesNotContain("Exception", r.Output);
    }

    [Fact]
    public async Task Check_without_a_path_reads_configs_in_the_working_directory()
    {
        using var dir = new TempDir();
        dir.Write("configs/main.yaml", "programs:\n  a: {cmd: /bin/true, numprocs: 3}\n  b: {cmd: /bin/true}\n");
        var psi = Binaries.StartInfo(Binaries.Daemon, ["--check"]);
        psi.WorkingDirectory = dir.Path;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        Assert.Equal("", await stderr);
        Assert.Equal(0, p.ExitCode);
        Assert.Equal("OK: 2 programs, 4 instances", (await stdout).Split('\n')[0]);
    }

    [Fact]
    public async Task An_unknown_option_is_a_usage_error_exiting_2()
    {
        var r = await Binaries.RunDaemonAsync("--chek", "configs");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--chek", r.Stderr);
        Assert.Contains("--help", r.Stderr);
    }

    [Fact]
    public async Task Help_and_version_exit_0()
    {
        var help = await Binaries.RunDaemonAsync("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--check", help.Stdout);
        var version = await Binaries.RunDaemonAsync("--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Stdout);
    }

    /// <summary>A relative cmd runs from the config's directory (or workingdir), never from wherever the daemon was
    /// started: an attacker's <c>tool</c> in the daemon's working directory is not run, and --check says which file is.</summary>
    [Fact]
    public async Task A_relative_cmd_resolves_against_the_config_directory_not_the_daemons()
    {
        using var dir = new TempDir();
        var configDir = Directory.CreateDirectory(dir.File("etc")).FullName;
        var cwd = Directory.CreateDirectory(dir.File("cwd")).FullName;
        foreach (var (where, says) in new[] { (configDir, "config"), (cwd, "attacker") })
        {
            var tool = Path.Combine(where, "tool");
            File.WriteAllText(tool, $"#!/bin/sh\necho {says} >> {dir.File("ran")}\n");
            File.SetUnixFileMode(tool, (UnixFileMode)0x1ED);
        }
        var config = Path.Combine(configDir, "t.yaml");
        File.WriteAllText(config, $"taskmasterd: {{socket: {dir.File("s.sock")}, syslog: false, logdir: {dir.File("log")}}}\n" +
            "programs:\n  tool: {cmd: ./tool, autorestart: never, starttime: 0}\n");

        var psi = Binaries.StartInfo(Binaries.Daemon, ["--check", config]);
        psi.WorkingDirectory = cwd;
        using (var check = System.Diagnostics.Process.Start(psi)!)
        {
            var output = await check.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            await check.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Contains($"  tool: {Path.Combine(configDir, "tool")}", output);
        }

        psi = Binaries.StartInfo(Binaries.Daemon, [config, "-n"]);
        psi.WorkingDirectory = cwd;
        psi.Environment[Control.RealDaemon.MarkerVariable] = dir.Path;
        using var daemon = System.Diagnostics.Process.Start(psi)!;
        try
        {
            await Eventually.HoldsAsync(() => File.Exists(dir.File("ran")), "the tool ran");
            Assert.Equal("config\n", File.ReadAllText(dir.File("ran")));
        }
        finally
        {
            daemon.Kill();
            await daemon.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task The_daemon_and_its_programs_get_umask_022_even_when_started_under_000()
    {
        using var dir = new TempDir();
        var config = dir.Write("t.yaml", $"taskmasterd: {{socket: {dir.File("s.sock")}, syslog: false, logdir: {dir.File("log")}, pidfile: {dir.File("d.pid")}}}\n" +
            $"programs:\n  mask: {{cmd: \"/bin/sh -c 'umask > {dir.File("child.umask")}'\", autorestart: never, starttime: 0, stdout: {dir.File("out/mask.log")}}}\n");
        var daemonPath = Binaries.Daemon;
        var psi = Binaries.StartInfo(("/bin/sh", []), ["-c", "umask 000; exec \"$0\" \"$@\"", daemonPath.File, .. daemonPath.Prefix, config, "-n"]);
        psi.Environment[Control.RealDaemon.MarkerVariable] = dir.Path;
        using var daemon = System.Diagnostics.Process.Start(psi)!;
        try
        {
            await Eventually.HoldsAsync(() => File.Exists(dir.File("child.umask")) && File.Exists(dir.File("d.pid")), "the program ran and the pid file is there");
            Assert.Equal("0022", File.ReadAllText(dir.File("child.umask")).Trim());
            Assert.Equal((UnixFileMode)Convert.ToInt32("644", 8), File.GetUnixFileMode(dir.File("d.pid")));
            Assert.Equal((UnixFileMode)Convert.ToInt32("644", 8), File.GetUnixFileMode(dir.File("out/mask.log")));
            Assert.Equal((UnixFileMode)Convert.ToInt32("755", 8), File.GetUnixFileMode(dir.File("out")));
        }
        finally
        {
            daemon.Kill();
            await daemon.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }
}
