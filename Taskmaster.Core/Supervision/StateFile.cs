using System.Collections.Immutable;
using System.Text.Json;

namespace Taskmaster.Core.Supervision;

/// <summary>One running process as the state file records it.</summary>
/// <param name="Name">The instance (<c>web:0</c>).</param>
/// <param name="Pid">The leader's pid; its process group has the same number.</param>
/// <param name="StartTicks">Field 22 of <c>/proc/PID/stat</c> when it was recorded: a pid whose process has another
/// start time is a recycled number, never ours.</param>
/// <param name="Cgroup">The instance's cgroup directory, when it has one.</param>
/// <param name="StopSignal">How to stop it (the program's <c>stopsignal</c> then).</param>
/// <param name="StopTime">How long to wait before SIGKILL (its <c>stoptime</c>).</param>
public sealed record RunningRecord(string Name, int Pid, ulong StartTicks, string? Cgroup, int StopSignal, TimeSpan StopTime);

/// <summary>What the daemon runs, as written to its state file: enough for the next daemon on the same socket to
/// stop what a crashed one left, and to keep stopped what an operator stopped.</summary>
/// <param name="Socket">The control socket of the daemon that wrote it: a state file of another daemon is foreign.</param>
/// <param name="HeldStopped">Instances an operator stopped (<c>stop</c>) and nobody started since.</param>
public sealed record StateSnapshot(string Socket, int DaemonPid, ImmutableArray<RunningRecord> Running, ImmutableSortedSet<string> HeldStopped)
{
    public const string Format = "taskmasterd-state/1";

    /// <summary>A state file is small; anything bigger is not one of ours.</summary>
    public const int MaxBytes = 16 << 20;

    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("socket", Socket);
            w.WriteNumber("daemon_pid", DaemonPid);
            w.WriteStartArray("running");
            foreach (var r in Running)
            {
                w.WriteStartObject();
                w.WriteString("name", r.Name);
                w.WriteNumber("pid", r.Pid);
                w.WriteNumber("pgid", r.Pid);
                w.WriteNumber("start_ticks", r.StartTicks);
                if (r.Cgroup is { } c) w.WriteString("cgroup", c);
                w.WriteNumber("stop_signal", r.StopSignal);
                w.WriteNumber("stop_time_ms", (long)r.StopTime.TotalMilliseconds);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("held_stopped");
            foreach (var name in HeldStopped) w.WriteStringValue(name);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>The snapshot, or null with why it is not one this daemon can use (corrupt, another format, written
    /// for another socket).</summary>
    public static StateSnapshot? Parse(ReadOnlySpan<byte> bytes, string expectedSocket, out string? problem)
    {
        problem = null;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 8 });
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format)
                || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
            {
                problem = $"not a {Format} file";
                return null;
            }
            var socket = root.GetProperty("socket").GetString() ?? "";
            if (socket != expectedSocket)
            {
                problem = $"it was written by the daemon of another socket ({socket})";
                return null;
            }
            var running = ImmutableArray.CreateBuilder<RunningRecord>();
            foreach (var e in root.GetProperty("running").EnumerateArray())
            {
                var pid = e.GetProperty("pid").GetInt32();
                var signal = e.GetProperty("stop_signal").GetInt32();
                var stopMs = e.GetProperty("stop_time_ms").GetInt64();
                if (pid <= 1 || signal is < 1 or > 64 || stopMs < 0)
                {
                    problem = $"invalid entry for pid {pid}";
                    return null;
                }
                running.Add(new RunningRecord(e.GetProperty("name").GetString() ?? "", pid, e.GetProperty("start_ticks").GetUInt64(),
                    e.TryGetProperty("cgroup", out var c) ? c.GetString() : null, signal,
                    TimeSpan.FromMilliseconds(Math.Min(stopMs, 24L * 3600 * 1000))));
            }
            var held = root.GetProperty("held_stopped").EnumerateArray().Select(e => e.GetString() ?? "").ToImmutableSortedSet(StringComparer.Ordinal);
            return new StateSnapshot(socket, root.GetProperty("daemon_pid").GetInt32(), running.ToImmutable(), held);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            problem = $"corrupt ({e.Message.Split('\n')[0]})";
            return null;
        }
    }
}
