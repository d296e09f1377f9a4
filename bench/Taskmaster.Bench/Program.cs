using System.Diagnostics;
using System.Globalization;
using Taskmaster.Core.Processes;

namespace Taskmaster.Bench;

/// <summary>
/// <c>spawn N [umask|user]</c>: spawn-and-reap /bin/true N times through PosixSpawner, one after another.
/// <c>log WRITER MIB DIR [sync]</c>: run the line writer (MIB mebibytes of 16-byte numbered lines) with stdout into
/// DIR/bench.log; print MB/s, this process's CPU seconds per GB (pump, writer and watcher threads: the daemon's
/// share), and the lines lost (every line is checked, in order).
/// Output lines are <c>key=value</c> so bench/run.sh can compute ratios.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ProcessLayer.InitializeForDaemon();
        return args[0] switch
        {
            "spawn" => await SpawnAsync(int.Parse(args[1], CultureInfo.InvariantCulture), args.Length > 2 ? args[2] : ""),
            "log" => await LogAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3], args.Length > 4 && args[4] == "sync"),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Taskmaster.Bench spawn N [umask|user] | log WRITER MIB DIR [sync]");
        return 2;
    }

    private static async Task<int> SpawnAsync(int n, string variant)
    {
        var spawner = new PosixSpawner();
        var request = new SpawnRequest { Name = "bench", Argv = ["/bin/true"] };
        request = variant switch
        {
            "umask" => request with { Umask = 18 },
            "user" => request with { User = "nobody", Umask = 18 },
            _ => request,
        };
        // Spawn and wait from one plain thread, as an actor does its spawns one at a time.
        for (var i = 0; i < Math.Min(200, n); i++) RunOnce(spawner, request); // warm-up (JIT, page cache)
        callTicks = 0;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++) RunOnce(spawner, request);
        sw.Stop();
        await Task.CompletedTask;
        Console.WriteLine(FormattableString.Invariant($"spawn_ms={sw.Elapsed.TotalMilliseconds / n:F4} call_ms={callTicks / (double)Stopwatch.Frequency * 1000 / n:F4}"));
        return 0;
    }

    private static long callTicks;

    private static void RunOnce(PosixSpawner spawner, SpawnRequest request)
    {
        var t0 = Stopwatch.GetTimestamp();
        var result = spawner.Spawn(request);
        callTicks += Stopwatch.GetTimestamp() - t0;
        if (result is not SpawnResult.Started { Process: var child })
            throw new InvalidOperationException("spawn failed");
        using (child)
        {
            var status = child.Exited.GetAwaiter().GetResult();
            if (status != ExitStatus.Exited(0)) throw new InvalidOperationException($"/bin/true: {status}");
        }
    }

    private static async Task<int> LogAsync(string writer, int mib, string dir, bool sync)
    {
        // Warm-up (JIT tiers, thread pool): a long-running daemon has paid these long before.
        var warm = Path.Combine(dir, "bench-warmup.log");
        for (var i = 0; i < 3; i++)
        {
            if (new PosixSpawner().Spawn(new SpawnRequest
                {
                    Name = "warmup",
                    Argv = [writer, "64"],
                    Stdout = new OutputTarget(warm, 0, 0),
                }) is SpawnResult.Started { Process: PosixChildProcess w })
            {
                await w.Exited;
                await w.OutputCompleted;
            }
            File.Delete(warm);
        }

        var log = Path.Combine(dir, "bench.log");
        File.Delete(log);
        var problems = 0;
        var spawner = new PosixSpawner(_ => Interlocked.Increment(ref problems));
        var me = Process.GetCurrentProcess();
        var cpu0 = me.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var result = spawner.Spawn(new SpawnRequest
        {
            Name = "writer",
            Argv = [writer, mib.ToString(CultureInfo.InvariantCulture)],
            Stdout = new OutputTarget(log, 0, 0),
        });
        if (result is not SpawnResult.Started { Process: PosixChildProcess child })
        {
            Console.Error.WriteLine(result);
            return 1;
        }
        var status = await child.Exited;
        await child.OutputCompleted;
        me.Refresh();
        var cpuBeforeSync = me.TotalProcessorTime;
        var beforeSync = sw.Elapsed;
        if (sync)
        {
            using var f = new FileStream(log, FileMode.Open, FileAccess.ReadWrite);
            f.Flush(flushToDisk: true);
        }
        var syncSeconds = (sw.Elapsed - beforeSync).TotalSeconds;
        sw.Stop();
        me.Refresh();
        var cpu = (me.TotalProcessorTime - cpu0).TotalSeconds;
        var syncCpu = (me.TotalProcessorTime - cpuBeforeSync).TotalSeconds;
        var bytes = new FileInfo(log).Length;
        var expectedLines = (long)mib * (1 << 20) / 16;
        var lost = expectedLines - CountLinesInOrder(log);
        var gb = (double)mib * (1 << 20) / 1e9;
        Console.WriteLine(FormattableString.Invariant(
            $"status={status.ToString().Replace(' ', '_')} bytes={bytes} seconds={sw.Elapsed.TotalSeconds:F3} mb_per_s={bytes / 1e6 / sw.Elapsed.TotalSeconds:F1} cpu_s={cpu:F3} cpu_s_per_gb={cpu / gb:F3} lines_lost={lost} sync_s={syncSeconds:F3} sync_cpu_s={syncCpu:F3} dropped_bytes={child.Output.DroppedBytes} problems={problems} gc0={GC.CollectionCount(0)} gc2={GC.CollectionCount(2)} alloc_mb={GC.GetTotalAllocatedBytes() / 1e6:F0}"));
        File.Delete(log);
        return 0;
    }

    /// <summary>How many 16-byte lines, from 1 up, are present in order (stops at the first mismatch).</summary>
    private static long CountLinesInOrder(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var buffer = new byte[1 << 20];
        Span<byte> expected = stackalloc byte[16];
        "000000000000000\n"u8.CopyTo(expected);
        long count = 0;
        int read;
        while ((read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
        {
            for (var off = 0; off + 16 <= read; off += 16)
            {
                for (var d = 14; d >= 0; d--)
                {
                    if (expected[d] == (byte)'9') { expected[d] = (byte)'0'; continue; }
                    expected[d]++;
                    break;
                }
                if (!buffer.AsSpan(off, 16).SequenceEqual(expected)) return count;
                count++;
            }
            if (read % 16 != 0) return count;
        }
        return count;
    }
}
