using Taskmaster.Core.Processes;
using Taskmaster.Tests.Support;
using static Taskmaster.Tests.Processes.SpawnFixture;

namespace Taskmaster.Tests.Processes;

public sealed class SpawnEnvironmentTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly PosixSpawner spawner = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task User_nobody_runs_with_the_uid_gid_groups_and_login_environment_of_nobody()
    {
        Assert.SkipUnless(IsRoot, "needs a root daemon (CI runs as root)");
        var text = await spawner.RunShellAsync(dir,
            "id -u; id -g; id -G; echo \"$HOME\"; echo \"$USER\"; echo \"$LOGNAME\"; grep -E '^(Uid|Gid|Groups):' /proc/self/status",
            r => r with { User = "nobody", Env = Env(("KEEP", "1")) });
        var lines = text.Split('\n');
        Assert.Equal("65534", lines[0]);
        Assert.Equal("65534", lines[1]);
        Assert.Equal("65534", lines[2]);
        Assert.Equal("/nonexistent", lines[3]);
        Assert.Equal("nobody", lines[4]);
        Assert.Equal("nobody", lines[5]);
        Assert.Matches(@"Uid:\s+65534\s+65534\s+65534\s+65534", text);
        Assert.Matches(@"Gid:\s+65534\s+65534\s+65534\s+65534", text);
        Assert.Matches(@"Groups:\s+65534\s*\n", text);
        Assert.Equal(0u, (uint)Tmds.Linux.LibC.geteuid());
        Assert.Equal("0\n", await spawner.RunShellAsync(dir, "id -u"));
        // The drop happened in the child only: a later umask-only spawn still runs as root.
        Assert.Equal("0 0 0\n", await spawner.RunShellAsync(dir, "echo $(id -u) $(id -g) $(id -G)", r => r with { Umask = 18 }));
    }

    [Fact]
    public async Task User_can_be_given_as_a_numeric_uid()
    {
        Assert.SkipUnless(IsRoot, "needs a root daemon (CI runs as root)");
        var text = await spawner.RunShellAsync(dir, "id -u; echo $USER", r => r with { User = "65534" });
        Assert.Equal("65534\nnobody\n", text);
    }

    [Fact]
    public async Task Umask_077_makes_a_file_the_child_creates_mode_0600()
    {
        await spawner.RunShellAsync(dir, "touch made-by-child", r => r with { Umask = Convert.ToInt32("077", 8), WorkingDir = dir.Path });
        var mode = File.GetUnixFileMode(dir.File("made-by-child"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public async Task Umask_of_a_child_never_reaches_files_the_daemon_creates_meanwhile()
    {
        var daemonUmask = ReadOwnUmask();
        using var stop = new CancellationTokenSource();
        var created = 0;
        var wrongModes = new List<string>();
        var writer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var f = dir.File($"daemon-{created++}");
                File.WriteAllText(f, "x");
                var expected = (UnixFileMode)(0x1b6 & ~daemonUmask); // 0666 & ~umask
                if (File.GetUnixFileMode(f) != expected) lock (wrongModes) wrongModes.Add(f);
                File.Delete(f);
            }
        }, TestContext.Current.CancellationToken);
        for (var i = 0; i < 100; i++)
        {
            using var child = spawner.Start(Request("/bin/true") with { Umask = Convert.ToInt32("077", 8) });
            await child.WaitAsync();
        }
        await stop.CancelAsync();
        await writer;
        Assert.True(created > 0);
        Assert.Empty(wrongModes);
        Assert.Equal(daemonUmask, ReadOwnUmask());
    }

    [Fact]
    public async Task Working_directory_is_where_the_child_starts()
    {
        var text = await spawner.RunShellAsync(dir, "pwd", r => r with { WorkingDir = dir.Path });
        Assert.Equal(dir.Path + "\n", text);
    }

    [Fact]
    public async Task Env_adds_and_overrides_variables_on_top_of_the_daemon_environment()
    {
        Environment.SetEnvironmentVariable("TASKMASTER_TEST_INHERITED", "from-daemon");
        Environment.SetEnvironmentVariable("TASKMASTER_TEST_OVERRIDDEN", "from-daemon");
        var text = await spawner.RunShellAsync(dir,
            "echo \"$TASKMASTER_TEST_INHERITED|$TASKMASTER_TEST_OVERRIDDEN|$TASKMASTER_TEST_ADDED\"",
            r => r with { Env = Env(("TASKMASTER_TEST_OVERRIDDEN", "from-config"), ("TASKMASTER_TEST_ADDED", "42")) });
        Assert.Equal("from-daemon|from-config|42\n", text);
    }

    [Fact]
    public async Task Child_holds_only_descriptors_0_1_2_even_when_the_daemon_has_inheritable_ones()
    {
        var leaky = OpenWithoutCloexec(dir.Write("leak", "x"));
        try
        {
            var text = await spawner.RunShellAsync(dir, "ls /proc/$$/fd");
            Assert.Equal("0\n1\n2\n", text);
        }
        finally
        {
            Tmds.Linux.LibC.close(leaky);
        }
    }

    [Fact]
    public async Task Child_starts_with_default_signal_dispositions_and_an_empty_mask_in_its_own_session()
    {
        var status = await spawner.RunAsync(dir, Request("/bin/cat", "/proc/self/status"));
        Assert.Contains("SigBlk:\t0000000000000000\n", status);
        Assert.Contains("SigIgn:\t0000000000000000\n", status);
        var stat = await spawner.RunAsync(dir, Request("/bin/cat", "/proc/self/stat"));
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var pid = stat[..stat.IndexOf(' ')];
        Assert.Equal(pid, fields[2]); // process group
        Assert.Equal(pid, fields[3]); // session
    }

    [Fact]
    public async Task Stdin_is_dev_null()
    {
        var text = await spawner.RunShellAsync(dir, "readlink /proc/$$/fd/0; cat; echo end");
        Assert.Equal("/dev/null\nend\n", text);
    }

    private static unsafe int OpenWithoutCloexec(string path)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes) return Tmds.Linux.LibC.open(p, Tmds.Linux.LibC.O_RDONLY, 0);
    }

    private static int ReadOwnUmask()
    {
        var line = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Umask:", StringComparison.Ordinal));
        return Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
    }
}
