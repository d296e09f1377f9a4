using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Packaging;

/// <summary>
/// Runs the real scripts/register_service.sh against a copy of the repository's packaging files with stand-in
/// binaries, installing below a temporary root (--root never touches the machine's init system).
/// </summary>
public sealed class RegisterServiceTests : IDisposable
{
    private readonly TempDir _repo = new();
    private readonly TempDir _root = new();

    public RegisterServiceTests()
    {
        foreach (var dir in new[] { "scripts", "packaging" })
        {
            Directory.CreateDirectory(_repo.File(dir));
            foreach (var f in Directory.GetFiles(Path.Combine(Binaries.RepositoryRoot, dir)))
                File.Copy(f, _repo.File(Path.Combine(dir, Path.GetFileName(f))));
        }
        File.SetUnixFileMode(_repo.File("scripts/register_service.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
        _repo.Write("configs/sample.yaml", "programs: {}\n");
        foreach (var bin in new[] { "taskmasterd", "taskmasterctl" })
        {
            _repo.Write(bin, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(_repo.File(bin), (UnixFileMode)Convert.ToInt32("755", 8));
        }
        _repo.Write("libtaskmaster_spawn.so", "stub");
    }

    private Task<RunResult> Register(params string[] args) =>
        Binaries.RunAsync((_repo.File("scripts/register_service.sh"), []), ["--root", _root.Path, .. args]);

    [Fact]
    public async Task Systemd_install_writes_a_unit_with_paths_filled_in_that_systemd_accepts()
    {
        var result = await Register("--init", "systemd", "--prefix", "/opt/tm", "--config", "/etc/tm");
        Assert.True(result.ExitCode == 0, result.Output);

        var unit = File.ReadAllText(_root.File("etc/systemd/system/taskmasterd.service"));
        Assert.Contains("ExecStart=/opt/tm/bin/taskmasterd /etc/tm --nodaemon", unit);
        Assert.Contains("ExecReload=/opt/tm/bin/taskmasterctl -c /etc/tm reload", unit);
        Assert.Contains("Type=notify", unit);
        Assert.Contains("ExecStartPre=/opt/tm/bin/taskmasterd --check /etc/tm", unit);
        Assert.Contains("KillMode=mixed", unit);
        Assert.Contains("Delegate=yes", unit);
        Assert.Contains("RuntimeDirectoryPreserve=yes", unit);
        Assert.DoesNotContain("@", unit);
        Assert.True(File.Exists(_root.File("opt/tm/bin/taskmasterd")));
        Assert.True(File.Exists(_root.File("opt/tm/bin/taskmasterctl")));
        Assert.True(File.Exists(_root.File("opt/tm/lib/taskmaster/libtaskmaster_spawn.so")));
        Assert.Contains("programs: {}", File.ReadAllText(_root.File("etc/tm/taskmaster.yaml")));
        Assert.False(File.Exists(_root.File("etc/tm/sample.yaml")), "the repository's demo config was installed");

        if (File.Exists("/usr/bin/systemd-analyze"))
        {
            // verify needs ExecStart to exist: point it at the installed stand-in.
            var checkable = _root.Write("check/taskmasterd.service",
                unit.Replace("/opt/tm/bin/", _root.File("opt/tm/bin/")));
            var verify = await Binaries.RunAsync(("/usr/bin/systemd-analyze", []), ["verify", checkable]);
            Assert.True(verify.ExitCode == 0, verify.Output);
        }
    }

    [Fact]
    public async Task Sysv_install_writes_an_executable_lsb_init_script_that_parses()
    {
        var result = await Register("--init", "sysv");
        Assert.True(result.ExitCode == 0, result.Output);

        var path = _root.File("etc/init.d/taskmasterd");
        var script = File.ReadAllText(path);
        Assert.Contains("### BEGIN INIT INFO", script);
        Assert.Contains("DAEMON=/usr/local/bin/taskmasterd", script);
        Assert.Contains("CONFIG=/etc/taskmaster", script);
        Assert.DoesNotContain("@PREFIX@", script);
        Assert.True(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute));

        var syntax = await Binaries.RunAsync(("/bin/sh", []), ["-n", path]);
        Assert.True(syntax.ExitCode == 0, syntax.Output);
    }

    [Fact]
    public async Task Existing_config_is_left_alone()
    {
        _root.Write("etc/taskmaster/mine.yaml", "programs: {}\n");
        var result = await Register("--init", "systemd");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.False(File.Exists(_root.File("etc/taskmaster/taskmaster.yaml")));
    }

    [Fact]
    public async Task Unknown_argument_is_a_usage_error()
    {
        var result = await Register("--frobnicate");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown argument: --frobnicate", result.Stderr);
    }

    [Fact]
    public async Task Uninstall_removes_the_unit_and_keeps_the_config()
    {
        Assert.Equal(0, (await Register("--init", "systemd")).ExitCode);
        var result = await Register("--init", "systemd", "--uninstall");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.False(File.Exists(_root.File("etc/systemd/system/taskmasterd.service")));
        Assert.True(File.Exists(_root.File("etc/taskmaster/taskmaster.yaml")));
    }

    [Fact]
    public async Task Help_prints_only_the_usage_and_exits_0()
    {
        var result = await Binaries.RunAsync((_repo.File("scripts/register_service.sh"), []), ["--help"]);
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Installs taskmasterd as a system service", result.Stdout);
        Assert.DoesNotContain("set -euo", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Root_without_init_installs_the_systemd_unit_and_destdir_works_like_root()
    {
        var result = await Register();
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.True(File.Exists(_root.File("etc/systemd/system/taskmasterd.service")));
        Assert.False(File.Exists(_root.File("etc/init.d/taskmasterd")));

        using var dest = new TempDir();
        var viaEnv = await Binaries.RunAsync((_repo.File("scripts/register_service.sh"), []), ["--init", "sysv"],
            env: new Dictionary<string, string> { ["DESTDIR"] = dest.Path });
        Assert.True(viaEnv.ExitCode == 0, viaEnv.Output);
        Assert.True(File.Exists(dest.File("etc/init.d/taskmasterd")));
        Assert.True(File.Exists(dest.File("usr/local/bin/taskmasterd")));
    }

    [Fact]
    public async Task Dry_run_prints_every_step_and_changes_nothing()
    {
        var result = await Register("--dry-run");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Empty(Directory.GetFileSystemEntries(_root.Path));
        Assert.Contains($"+ install -m 0755 {_repo.File("taskmasterd")} {_root.File("usr/local/bin/taskmasterd")}", result.Stdout);
        Assert.Contains($"+ fill {_repo.File("packaging/taskmasterd.service")} > {_root.File("etc/systemd/system/taskmasterd.service")}", result.Stdout);
        Assert.Contains("taskmaster.example.yaml", result.Stdout);
    }

    [Fact]
    public async Task The_installed_example_config_is_valid_and_enables_no_program()
    {
        var check = await Binaries.RunDaemonAsync("--check", Path.Combine(Binaries.RepositoryRoot, "packaging", "taskmaster.example.yaml"));
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.StartsWith("OK: 0 programs, 0 instances", check.Stdout);
    }

    public void Dispose()
    {
        _repo.Dispose();
        _root.Dispose();
    }
}
