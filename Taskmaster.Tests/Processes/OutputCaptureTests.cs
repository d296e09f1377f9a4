using Taskmaster.Core.Processes;
using Taskmaster.Core.Processes.Output;
using Taskmaster.Tests.Support;
using static Taskmaster.Tests.Processes.SpawnFixture;

namespace Taskmaster.Tests.Processes;

public sealed class OutputCaptureTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly List<OutputProblem> problems = [];
    private readonly PosixSpawner spawner;

    public OutputCaptureTests() => spawner = new PosixSpawner(p => { lock (problems) problems.Add(p); });

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task A_million_lines_written_as_fast_as_possible_all_land_in_order()
    {
        var log = dir.File("million.log");
        using var child = spawner.Start(Request("seq", "1", "1000000") with { Stdout = To(log) });
        Assert.Equal(ExitStatus.Exited(0), await child.WaitAsync());
        AssertNumberedLines(File.ReadAllText(log), 1, 1_000_000);
        Assert.Equal(0, child.Output.DroppedBytes);
        Assert.Equal(new FileInfo(log).Length, child.Output.WrittenBytes);
    }

    [Fact]
    public async Task Output_still_in_the_pipe_lands_when_the_child_is_disposed_as_soon_as_it_exits()
    {
        for (var round = 0; round < 5; round++)
        {
            var log = dir.File($"disposed-{round}.log");
            var child = spawner.Start(Request("seq", "1", "300000") with { Stdout = To(log) });
            await child.Exited.WaitAsync(Deadline, TestContext.Current.CancellationToken);
            child.Dispose(); // what a supervisor does once the exit is handled
            await child.OutputCompleted.WaitAsync(Deadline, TestContext.Current.CancellationToken);
            AssertNumberedLines(File.ReadAllText(log), 1, 300_000);
        }
    }

    [Fact]
    public async Task Stdout_and_stderr_stay_apart()
    {
        var (outLog, errLog) = (dir.File("o.log"), dir.File("e.log"));
        using var child = spawner.Start(Shell("for i in 1 2 3; do echo out$i; echo err$i >&2; done")
            with { Stdout = To(outLog), Stderr = To(errLog) });
        await child.WaitAsync();
        Assert.Equal("out1\nout2\nout3\n", File.ReadAllText(outLog));
        Assert.Equal("err1\nerr2\nerr3\n", File.ReadAllText(errLog));
    }

    [Fact]
    public async Task Output_is_appended_to_an_existing_file()
    {
        var log = dir.Write("append.log", "before\n");
        using var child = spawner.Start(Request("/bin/echo", "after") with { Stdout = To(log) });
        await child.WaitAsync();
        Assert.Equal("before\nafter\n", File.ReadAllText(log));
    }

    [Fact]
    public async Task Discarded_output_never_blocks_the_child()
    {
        using var child = spawner.Start(Request("seq", "1", "200000"));
        Assert.Equal(ExitStatus.Exited(0), await child.WaitAsync());
    }

    [Fact]
    public async Task Rotation_by_size_loses_nothing_at_the_boundaries()
    {
        var log = dir.File("rotated.log");
        const long max = 100_000;
        using var child = spawner.Start(Request("seq", "1", "200000") with { Stdout = To(log, max, backups: 50) });
        await child.WaitAsync();
        var files = Backups(log)
            .OrderByDescending(f => int.Parse(f[(f.LastIndexOf('.') + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .Append(log).ToList();
        Assert.True(files.Count > 10, $"expected many rotated files, got {files.Count}");
        Assert.All(files, f => Assert.True(new FileInfo(f).Length <= max, $"{f} is {new FileInfo(f).Length} bytes"));
        Assert.All(files, f => Assert.EndsWith("\n", File.ReadAllText(f)));
        AssertNumberedLines(string.Concat(files.Select(File.ReadAllText)), 1, 200_000);
    }

    [Fact]
    public async Task Rotation_keeps_only_the_configured_number_of_backups()
    {
        var log = dir.File("few.log");
        using var child = spawner.Start(Request("seq", "1", "100000") with { Stdout = To(log, 50_000, backups: 3) });
        await child.WaitAsync();
        var backups = Backups(log).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["few.log.1", "few.log.2", "few.log.3"], backups);
        // The newest data is in few.log, the three files before it are intact and contiguous.
        var text = string.Concat(new[] { log + ".3", log + ".2", log + ".1", log }.Select(File.ReadAllText));
        var numbers = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.Equal(100_000, numbers[^1]);
        Assert.Equal(Enumerable.Range(numbers[0], numbers.Count), numbers);
    }

    [Fact]
    public async Task Rotation_without_backups_truncates_the_file()
    {
        var log = dir.File("truncated.log");
        using var child = spawner.Start(Request("seq", "1", "100000") with { Stdout = To(log, 10_000, backups: 0) });
        await child.WaitAsync();
        Assert.Empty(Backups(log));
        var text = File.ReadAllText(log);
        Assert.True(text.Length <= 10_000);
        Assert.EndsWith("\n100000\n", text);
    }

    [Fact]
    public async Task Reopen_switches_to_a_new_file_after_logrotate_moved_the_old_one()
    {
        var log = dir.File("reopen.log");
        var go = dir.File("go");
        using var child = spawner.Start(Shell($"echo one; while [ ! -e {go} ]; do sleep 0.02; done; echo two")
            with { Stdout = To(log) });
        await Eventually.HoldsAsync(() => File.Exists(log) && File.ReadAllText(log) == "one\n", "first line written");
        File.Move(log, log + ".old");
        child.ReopenLogs();
        await Eventually.HoldsAsync(() => File.Exists(log), "the log file is recreated by the reopen");
        File.WriteAllText(go, "");
        await child.WaitAsync();
        Assert.Equal("one\n", File.ReadAllText(log + ".old"));
        Assert.Equal("two\n", File.ReadAllText(log));
    }

    [Fact]
    public async Task Full_disk_drops_and_counts_output_reports_once_and_never_blocks_the_child()
    {
        using var child = spawner.Start(Request("seq", "1", "100000") with { Stdout = To("/dev/full") });
        Assert.Equal(ExitStatus.Exited(0), await child.WaitAsync());
        Assert.Equal(588_895, child.Output.DroppedBytes); // bytes of `seq 1 100000`
        Assert.Equal(588_895, ((IChildProcess)child).DroppedOutputBytes);
        Assert.Equal(0, child.Output.WrittenBytes);
        lock (problems)
        {
            var full = Assert.Single(problems, p => p.Path == "/dev/full");
            Assert.Contains("No space left on device", full.Message);
        }
    }

    [Fact]
    public async Task A_writer_faster_than_the_disk_is_paced_and_loses_nothing()
    {
        var log = dir.File("fast.log");
        using var child = spawner.Start(Request("/bin/dd", "if=/dev/zero", "bs=1M", "count=300") with { Stdout = To(log) });
        Assert.Equal(ExitStatus.Exited(0), await child.WaitAsync());
        Assert.Equal(300L << 20, new FileInfo(log).Length);
        Assert.Equal(0, child.Output.DroppedBytes);
    }

    [Fact]
    public async Task A_stalled_output_file_never_blocks_the_child_output_is_dropped_and_reported()
    {
        var fifo = dir.File("stalled.fifo");
        Assert.Equal(0, Mkfifo(fifo));
        var reader = OpenNonBlocking(fifo); // a reader that never reads: writes block once the FIFO is full
        try
        {
            using var child = spawner.Start(Request("/bin/dd", "if=/dev/zero", "bs=1M", "count=100") with { Stdout = To(fifo) });
            // Another program meanwhile writes to a healthy file: it is not held up by the stalled one.
            var healthy = dir.File("healthy.log");
            using var other = spawner.Start(Request("seq", "1", "100000") with { Stdout = To(healthy) });
            Assert.Equal(ExitStatus.Exited(0), await other.WaitAsync());
            AssertNumberedLines(File.ReadAllText(healthy), 1, 100_000);
            Assert.Equal(ExitStatus.Exited(0), await child.Exited.WaitAsync(Deadline, TestContext.Current.CancellationToken));
            Assert.True(child.Output.DroppedBytes > 0);
            lock (problems) Assert.Contains(problems, p => p.Path == fifo && p.Message.Contains("does not keep up"));
        }
        finally
        {
            Tmds.Linux.LibC.close(reader); // unblocks the stuck write (EPIPE)
        }
    }

    private static unsafe int Mkfifo(string path)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes) return Tmds.Linux.LibC.mkfifo(p, 0x1a4);
    }

    private static unsafe int OpenNonBlocking(string path)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes) return Tmds.Linux.LibC.open(p, Tmds.Linux.LibC.O_RDONLY | Tmds.Linux.LibC.O_NONBLOCK, 0);
    }

    [Fact]
    public async Task Instances_sharing_a_file_all_land_in_it()
    {
        var log = dir.File("shared.log");
        var children = Enumerable.Range(0, 4)
            .Select(i => spawner.Start(Shell($"for i in 1 2 3 4 5; do echo c{i}-$i; done") with { Stdout = To(log) }))
            .ToList();
        foreach (var c in children) { await c.WaitAsync(); c.Dispose(); }
        var lines = File.ReadAllLines(log);
        Assert.Equal(20, lines.Length);
        for (var i = 0; i < 4; i++)
            Assert.Equal(Enumerable.Range(1, 5).Select(n => $"c{i}-{n}"), lines.Where(l => l.StartsWith($"c{i}-", StringComparison.Ordinal)));
    }

    private static IEnumerable<string> Backups(string log) =>
        Directory.GetFiles(Path.GetDirectoryName(log)!)
            .Where(f => f.StartsWith(log + ".", StringComparison.Ordinal) && f[(log.Length + 1)..].All(char.IsAsciiDigit));

    private static void AssertNumberedLines(string text, int first, int last)
    {
        var expected = first;
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            Assert.True(end >= 0, $"line after {expected - 1} is not terminated");
            var line = text.AsSpan(start, end - start);
            if (!int.TryParse(line, out var n) || n != expected)
                Assert.Fail($"expected line {expected}, found '{line}'");
            expected++;
            start = end + 1;
        }
        Assert.Equal(last + 1, expected);
    }
}
