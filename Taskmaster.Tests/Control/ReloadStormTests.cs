using System.Text;
using Taskmaster.Core.Protocol;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Control;

/// <summary>
/// Crash safety of reload: a storm of SIGHUPs over a config that changes between each (programs added and removed,
/// numprocs changed, cmd changed). However the reloads overlap, the daemon must end on the last config written:
/// exactly its instances, each RUNNING its command, and exactly one real process per instance, none more.
/// </summary>
public class ReloadStormTests
{
    private const int Signals = 30;
    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(20);
    private static readonly string[] Pool = ["p0", "p1", "p2", "p3", "p4"];

    /// <summary>A program of one config: name, numprocs and the sleep it runs (a changed one is a cmd change).</summary>
    private sealed record Program(string Name, int NumProcs, int Seconds)
    {
        public IEnumerable<string> Instances => NumProcs == 1 ? [Name] : Enumerable.Range(0, NumProcs).Select(i => $"{Name}:{i}");
    }

    private static List<Program> RandomConfig(Random random, List<Program>? previous)
    {
        while (true)
        {
            var programs = Pool.Where(_ => random.Next(10) < 6)
                .Select(name => new Program(name, random.Next(1, 4), random.Next(2) == 0 ? 1000 : 1001))
                .ToList();
            if (programs.Count > 0 && (previous is null || !programs.SequenceEqual(previous))) return programs;
        }
    }

    private static string Yaml(IEnumerable<Program> programs)
    {
        var sb = new StringBuilder();
        foreach (var p in programs)
            sb.Append($"  {p.Name}:\n    cmd: /bin/sleep {p.Seconds}\n    numprocs: {p.NumProcs}\n    starttime: 0\n    stoptime: 5\n    startretries: 0\n");
        return sb.ToString();
    }

    private static int Count(string text, string what)
    {
        var n = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    [Fact]
    public async Task A_sighup_storm_over_changing_configs_ends_on_the_last_config_with_one_process_per_instance()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var configs = new List<List<Program>> { RandomConfig(random, null) };
        for (var i = 0; i < Signals; i++) configs.Add(RandomConfig(random, configs[^1]));
        var history = string.Join("\n", configs.Select((c, i) => $"{i}: " + string.Join(", ", c.Select(p => $"{p.Name}x{p.NumProcs} sleep {p.Seconds}"))));

        await using var daemon = await new RealDaemon(Yaml(configs[0])).StartAsync();
        var pid = daemon.Process!.Id;

        // The stimulus: rewrite (atomically, see RealDaemon.WriteConfig) then SIGHUP, 30 times, 20 ms apart. The
        // spacing is the specification of the storm, not a wait for anything: the reloads overlap on purpose.
        foreach (var config in configs.Skip(1))
        {
            daemon.WriteConfig(Yaml(config));
            Assert.Equal(0, RealDaemon.Signal(pid, 1)); // SIGHUP
            await Task.Delay(Spacing, TestContext.Current.CancellationToken);
        }

        var last = configs[^1];
        var expected = last.SelectMany(p => p.Instances.Select(i => (Instance: i, p.Seconds))).OrderBy(x => x.Instance, StringComparer.Ordinal).ToList();
        var marker = daemon.Marker.Single();
        var why = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            Assert.False(daemon.Process.HasExited, $"taskmasterd exited during the storm (seed {seed}):\n{daemon.Output}");
            // Settled: every reload the daemon logged as started is answered (none is left to apply an older
            // config afterwards), and the instances and the processes are the last config's.
            var output = daemon.Output;
            int started = Count(output, "SIGHUP: reloading"), applied = Count(output, "reload applied: ");
            var status = await ControlClient.RequestAsync(daemon.SocketPath, Request.For(Commands.Status), TestContext.Current.CancellationToken);
            Assert.True(status.Ok, status.Error?.Message);
            var instances = status.Instances!.OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
            var processes = ProcessTable.WithEnvironment(marker.Key, marker.Value).Where(p => p != pid).Order().ToList();
            var commands = instances.Select(i => i.Pid is { } p ? Cmdline(p) : "(no pid)").ToList();
            why = $"{started} reloads started, {applied} applied; instances [{string.Join(", ", instances.Select(i => $"{i.Name} {i.State} {i.Pid} '{Cmdline(i.Pid)}'"))}]; " +
                $"processes [{string.Join(", ", processes.Select(ProcessTable.Describe))}]";
            if (started > 0 && applied == started
                && instances.Select(i => i.Name).SequenceEqual(expected.Select(e => e.Instance))
                && instances.All(i => i.IsRunning)
                && instances.Select(i => i.Pid ?? 0).Order().SequenceEqual(processes)
                && commands.SequenceEqual(expected.Select(e => $"/bin/sleep {e.Seconds}")))
                break;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"the daemon did not settle on the last config (seed {seed}):\n{why}\nexpected [{string.Join(", ", expected)}]\n" +
                    $"configs:\n{history}\ndaemon output:\n{daemon.Output}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        // Exactly the sum of numprocs, no process more or missing (the condition above compared the pid sets).
        Assert.Equal(last.Sum(p => p.NumProcs), ProcessTable.WithEnvironment(marker.Key, marker.Value).Count(p => p != pid));
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed}: {why}");
    }

    private static string Cmdline(int? pid)
    {
        if (pid is null) return "";
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "(gone)";
        }
    }
}
