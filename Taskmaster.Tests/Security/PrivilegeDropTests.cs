using System.Diagnostics;
using System.Text.RegularExpressions;
using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Security;

/// <summary>
/// The daemon's credentials never change, not even on one thread for a moment: a program switches to its
/// <c>user</c> in the child only. While a <c>user: nobody</c> program restarts as fast as its policy allows, a process
/// running as nobody calls <c>tgkill(daemon, thread, SIGKILL)</c> on every daemon thread it can see, and the test
/// reads every thread's <c>Uid:</c> line meanwhile. When a daemon thread switched to nobody to spawn (the previous
/// design), the kernel let nobody kill the whole daemon with it.
/// </summary>
public sealed partial class PrivilegeDropTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(6);

    private const string Attacker = """
        import ctypes, os, sys, time
        libc = ctypes.CDLL(None, use_errno=True)
        pid, end = int(sys.argv[1]), time.time() + float(sys.argv[2])
        tries = hits = 0
        while time.time() < end:
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except FileNotFoundError:
                break
            for tid in tids:
                tries += 1
                if libc.syscall(234, pid, int(tid), 9) == 0:  # tgkill(pid, tid, SIGKILL)
                    hits += 1
        print(tries, hits)
        """;

    [Fact]
    public async Task A_user_program_churning_never_lets_its_user_signal_a_daemon_thread()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv") || !File.Exists("/usr/bin/python3"))
            Assert.Skip("needs root, setpriv and python3");
        await using var daemon = await new RealDaemon("""
              churn:
                cmd: /bin/echo started
                user: nobody
                autorestart: always
                starttime: 0
                stdout: {dir}/starts.log
            """).StartAsync();
        var pid = daemon.Process!.Id;
        var script = daemon.Dir.Write("attack.py", Attacker);
        File.SetUnixFileMode(daemon.Dir.Path, (UnixFileMode)0x1ED); // 0755: nobody reads the script
        File.SetUnixFileMode(script, (UnixFileMode)0x1A4);

        var attack = Binaries.RunAsync(("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3"]),
            [script, pid.ToString(), Window.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            Window + TimeSpan.FromSeconds(60));
        var (reads, foreign) = SampleThreadUids(pid, Window);
        var result = await attack;

        Assert.True(result.ExitCode == 0, $"the attacker failed to run: {result.Output}");
        var counts = result.Stdout.Trim().Split(' ').Select(int.Parse).ToArray();
        Assert.True(counts[0] > 100, $"the attacker made only {counts[0]} attempts");
        Assert.Equal(0, counts[1]);
        Assert.False(daemon.Process.HasExited, $"the daemon died (exit {(daemon.Process.HasExited ? daemon.Process.ExitCode : 0)})");
        Assert.True(reads > 100, $"only {reads} thread status reads");
        Assert.True(foreign.Count == 0, "daemon threads with another uid: " + string.Join("; ", foreign.Distinct().Take(5)));

        var starts = File.ReadAllLines(daemon.Dir.File("starts.log")).Length;
        Assert.True(starts >= 20, $"the program started only {starts} times: the spawns did not churn");
        Assert.True(RealDaemon.Answers(daemon.SocketPath), "the daemon no longer answers");
    }

    /// <summary>Reads every thread's Uid line of <paramref name="pid"/> for <paramref name="window"/>.</summary>
    private static (int Reads, List<string> Foreign) SampleThreadUids(int pid, TimeSpan window)
    {
        var foreign = new List<string>();
        var reads = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < window)
        {
            if (!Directory.Exists($"/proc/{pid}/task")) break;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                string status;
                try
                {
                    status = File.ReadAllText(Path.Combine(task, "status"));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue; // the thread (or the daemon) ended meanwhile
                }
                reads++;
                var uid = UidLine().Match(status);
                var name = NameLine().Match(status);
                if (uid.Success && uid.Groups[1].Value != "0\t0\t0\t0")
                    foreign.Add($"thread {Path.GetFileName(task)} ({name.Groups[1].Value}): Uid {uid.Groups[1].Value}");
            }
        }
        return (reads, foreign);
    }

    [GeneratedRegex(@"^Uid:\t(.*)$", RegexOptions.Multiline)]
    private static partial Regex UidLine();

    [GeneratedRegex(@"^Name:\t(.*)$", RegexOptions.Multiline)]
    private static partial Regex NameLine();
}
