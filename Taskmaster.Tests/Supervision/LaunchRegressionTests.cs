using System.Diagnostics;
using System.Text;
using Taskmaster.Core.Protocol;
using Taskmaster.Tests.Control;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Supervision;

/// <summary>
/// The start-up stall: Akka's lazily started scheduler once deadlocked the thread pool when a thousand instance
/// actors armed their first timer together (one launch of 1000 programs took 259 s, the others about 3 s). A real
/// daemon is launched 20 times in a row on 1000 instances (starttime 1, so every instance arms a timer at once);
/// every launch must reach all RUNNING, and none may take more than 10 times the median. A fresh process each time:
/// the stall needs a cold thread pool, which an actor system inside the test host would not have.
/// </summary>
public abstract class LaunchRegressionTests(ITestOutputHelper output)
{
    private const int Launches = 20, Instances = 1000;
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(90);

    protected abstract string ProgramsYaml();

    protected async Task Every_launch_reaches_all_running_without_an_outlier()
    {
        var times = new List<double>();
        for (var i = 0; i < Launches; i++)
        {
            var watch = Stopwatch.StartNew();
            await using var daemon = await new RealDaemon(ProgramsYaml()).StartAsync();
            var running = 0;
            var reached = await Eventually.TrueAsync(() => (running = CountRunning(daemon)) == Instances, StallLimit,
                TimeSpan.FromMilliseconds(50));
            watch.Stop();
            if (!reached)
                Assert.Fail($"launch {i + 1}: {running} of {Instances} RUNNING after {StallLimit.TotalSeconds} s (stalled); " +
                            $"earlier launches took {string.Join(", ", times.Select(t => $"{t:0.00}"))} s\n{Tail(daemon.Output)}");
            times.Add(watch.Elapsed.TotalSeconds);
        }
        var sorted = times.Order().ToList();
        var median = (sorted[Launches / 2 - 1] + sorted[Launches / 2]) / 2;
        output.WriteLine($"{Launches} launches of {Instances} instances to all RUNNING: min {sorted[0]:0.00} s, " +
                         $"median {median:0.00} s, max {sorted[^1]:0.00} s; in order: {string.Join(" ", times.Select(t => $"{t:0.00}"))}");
        var outliers = times.Select((t, n) => (t, n)).Where(x => x.t > 10 * median).ToList();
        Assert.True(outliers.Count == 0,
            $"launches slower than 10x the median ({median:0.00} s): " +
            string.Join(", ", outliers.Select(o => $"#{o.n + 1} {o.t:0.00} s")));
    }

    private static int CountRunning(RealDaemon daemon)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var response = ControlClient.RequestAsync(daemon.SocketPath, Request.For(Commands.Status), cts.Token)
                .GetAwaiter().GetResult();
            return response.Instances?.Count(i => i.State == "RUNNING") ?? 0;
        }
        catch (Exception e) when (e is DaemonUnreachableException or ProtocolException or OperationCanceledException or IOException)
        {
            return 0;
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : "…" + text[^4000..];

    protected static string Program(string name, int numprocs) =>
        $"  {name}:\n    cmd: /bin/sleep 1000\n    numprocs: {numprocs}\n    starttime: 1\n    stdout: none\n    stderr: none\n";

    public sealed class SeparatePrograms(ITestOutputHelper output) : LaunchRegressionTests(output)
    {
        protected override string ProgramsYaml()
        {
            var yaml = new StringBuilder();
            for (var i = 0; i < Instances; i++) yaml.Append(Program($"p{i}", 1));
            return yaml.ToString();
        }

        [Fact]
        public Task Twenty_launches_of_1000_programs() => Every_launch_reaches_all_running_without_an_outlier();
    }

    public sealed class OneProgramWithNumprocs(ITestOutputHelper output) : LaunchRegressionTests(output)
    {
        protected override string ProgramsYaml() => Program("many", Instances);

        [Fact]
        public Task Twenty_launches_of_numprocs_1000() => Every_launch_reaches_all_running_without_an_outlier();
    }
}
