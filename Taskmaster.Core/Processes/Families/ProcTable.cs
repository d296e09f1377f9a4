using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Taskmaster.Core.Processes.Families;

/// <summary>One line of <c>/proc/PID/stat</c>: what the family tracking and the state file need.</summary>
/// <param name="State">The state letter: R, S, D (uninterruptible sleep), T (stopped), Z (zombie) …</param>
/// <param name="StartTicks">Field 22, the start time in clock ticks since boot: with the pid, it names one process
/// for the life of the machine (a recycled pid gets a later start time).</param>
public readonly record struct ProcEntry(int Pid, int Ppid, int Pgid, int Sid, char State, ulong StartTicks);

/// <summary>Reads <c>/proc</c>. Every method tolerates processes that vanish while being read.</summary>
public static class ProcTable
{
    /// <summary>The stat line of <paramref name="pid"/>, or null when there is no such process (any more).</summary>
    public static ProcEntry? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        return Parse(pid, text);
    }

    /// <summary>Parses a stat line; the command (field 2) may hold spaces and parentheses, so fields are counted
    /// from its last closing parenthesis.</summary>
    public static ProcEntry? Parse(int pid, string text)
    {
        var close = text.LastIndexOf(')');
        if (close < 0 || close + 2 >= text.Length) return null;
        var fields = text.AsSpan(close + 2);
        Span<Range> parts = stackalloc Range[21];
        var n = fields.Split(parts, ' ');
        // After ')': state(3) ppid(4) pgrp(5) session(6) … starttime(22), i.e. indexes 0, 1, 2, 3 … 19.
        if (n < 20) return null;
        var state = fields[parts[0]];
        if (state.Length != 1
            || !int.TryParse(fields[parts[1]], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid)
            || !int.TryParse(fields[parts[2]], NumberStyles.None, CultureInfo.InvariantCulture, out var pgid)
            || !int.TryParse(fields[parts[3]], NumberStyles.None, CultureInfo.InvariantCulture, out var sid)
            || !ulong.TryParse(fields[parts[19]], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            return null;
        return new ProcEntry(pid, ppid, pgid, sid, state[0], start);
    }

    /// <summary>Every process visible now.</summary>
    public static List<ProcEntry> All()
    {
        var result = new List<ProcEntry>(256);
        foreach (var pid in Pids())
            if (Read(pid) is { } entry) result.Add(entry);
        return result;
    }

    /// <summary>The numeric entries of <c>/proc</c>, read with readdir (no stat per entry).</summary>
    public static unsafe List<int> Pids()
    {
        var pids = new List<int>(256);
        var dir = Native.LibC.opendir("/proc");
        if (dir == 0) return pids;
        try
        {
            nint entry;
            while ((entry = Native.LibC.readdir(dir)) != 0)
            {
                // struct dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)entry + 19);
                if (name.Length > 0 && name[0] is >= (byte)'1' and <= (byte)'9'
                    && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    pids.Add(pid);
            }
        }
        finally
        {
            Native.LibC.closedir(dir);
        }
        return pids;
    }

    /// <summary>True when the initial environment of <paramref name="pid"/> holds exactly <paramref name="entry"/>
    /// (<c>NAME=value</c>). Only root (or the same user) can read it; anything unreadable is false.</summary>
    public static bool HasEnvironmentEntry(int pid, string entry)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/environ");
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
        var wanted = Encoding.UTF8.GetBytes(entry);
        foreach (var range in bytes.AsSpan().Split((byte)0))
            if (bytes.AsSpan(range).SequenceEqual(wanted)) return true;
        return false;
    }

    /// <summary>The process's cgroup v2 path (the <c>0::</c> line of <c>/proc/PID/cgroup</c>), or null.</summary>
    public static string? CgroupOf(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/cgroup"))
                if (line.StartsWith("0::", StringComparison.Ordinal)) return line[3..];
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
