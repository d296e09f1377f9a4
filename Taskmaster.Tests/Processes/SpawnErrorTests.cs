using Taskmaster.Core.Processes;
using Taskmaster.Tests.Support;
using static Taskmaster.Tests.Processes.SpawnFixture;

namespace Taskmaster.Tests.Processes;

public sealed class SpawnErrorTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly PosixSpawner spawner = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Command_not_in_PATH_is_reported_as_command_not_found()
    {
        var failed = spawner.Fails(Request("nope-no-such-command"));
        Assert.Equal(SpawnErrorKind.CommandNotFound, failed.Kind);
        Assert.Equal("spawn error: command not found: nope-no-such-command", failed.Message);
    }

    [Fact]
    public void Missing_absolute_path_is_reported_as_command_not_found()
    {
        var failed = spawner.Fails(Request("/usr/bin/nope-no-such-command"));
        Assert.Equal(SpawnErrorKind.CommandNotFound, failed.Kind);
        Assert.Equal("spawn error: command not found: /usr/bin/nope-no-such-command", failed.Message);
    }

    [Fact]
    public void Command_in_PATH_is_found_by_name()
    {
        using var child = spawner.Start(Request("true"));
        Assert.True(child.Pid > 0);
    }

    [Fact]
    public void File_without_execute_permission_is_reported_as_not_executable()
    {
        var failed = spawner.Fails(Request("/etc/passwd"));
        Assert.Equal(SpawnErrorKind.NotExecutable, failed.Kind);
        Assert.Equal("spawn error: not executable: /etc/passwd", failed.Message);
    }

    [Fact]
    public void Directory_is_reported_as_not_executable()
    {
        var failed = spawner.Fails(Request("/etc"));
        Assert.Equal(SpawnErrorKind.NotExecutable, failed.Kind);
    }

    [Fact]
    public void Script_without_shebang_is_reported_as_not_executable_at_once()
    {
        var script = dir.Write("noshebang", "echo hi\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var failed = spawner.Fails(Request(script));
        Assert.Equal(SpawnErrorKind.NotExecutable, failed.Kind);
        Assert.Contains("no #! line", failed.Message);
    }

    [Fact]
    public void Missing_working_directory_is_reported()
    {
        var failed = spawner.Fails(Request("/bin/true") with { WorkingDir = "/nope" });
        Assert.Equal(SpawnErrorKind.WorkingDirectoryMissing, failed.Kind);
        Assert.Equal("spawn error: working directory missing: /nope", failed.Message);
    }

    [Fact]
    public void Unknown_user_is_reported()
    {
        var failed = spawner.Fails(Request("/bin/true") with { User = "nosuchuser" });
        Assert.Equal(SpawnErrorKind.UnknownUser, failed.Kind);
        Assert.Equal("spawn error: unknown user: nosuchuser", failed.Message);
    }

    [Fact]
    public void Unopenable_log_file_is_reported_with_its_path_and_reason()
    {
        var failed = spawner.Fails(Request("/bin/true") with { Stdout = To("/proc/nope/out.log") });
        Assert.Equal(SpawnErrorKind.LogFileUnavailable, failed.Kind);
        Assert.StartsWith("spawn error: cannot open log file /proc/nope/out.log: ", failed.Message);
    }

    [Fact]
    public async Task Missing_log_directory_is_created()
    {
        var log = dir.File("sub/dir/out.log");
        using var child = spawner.Start(Request("/bin/echo", "hello") with { Stdout = To(log) });
        await child.WaitAsync();
        Assert.Equal("hello\n", File.ReadAllText(log));
    }

    [Fact]
    public async Task Failed_spawns_leave_no_descriptor_behind()
    {
        int Count() => Directory.GetFiles("/proc/self/fd").Length;
        var script = dir.Write("noshebang", "echo hi\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var request = Request(script) with { Stdout = To(dir.File("a.log")), Stderr = To(dir.File("b.log")) };
        for (var i = 0; i < 5; i++) spawner.Fails(request);
        var before = Count();
        for (var i = 0; i < 50; i++) spawner.Fails(request);
        // Other tests run in parallel and open descriptors too: allow some slack, but not 50 × 4.
        await Eventually.HoldsAsync(() => Count() < before + 20, "descriptor count back near its baseline");
    }
}
