using System.Globalization;

namespace Taskmaster.Tests.Support;

/// <summary>
/// The processes /proc shows, for cleanup and leak checks: which live (not zombie) processes carry a marker variable
/// in their environment. Markers are inherited by everything a test starts (a daemon passes its environment on to its
/// programs, a detached daemon keeps it), so they find what is left even after it was re-parented to init.
/// </summary>
public static class ProcessTable
{
    /// <summary>Live processes whose environment holds <c>name=value</c>; zombies have no readable environment.</summary>
    public static List<int> WithEnvironment(string name, string value)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes($"{name}={value}\0");
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (pid == Environment.ProcessId) continue;
            try
            {
                var environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                if (Contains(environ, needle) && IsAlive(pid)) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    private static bool Contains(byte[] environ, byte[] needle)
    {
        // Entries are NUL-terminated: match at the start or right after a NUL.
        for (var at = environ.AsSpan().IndexOf(needle); at >= 0;)
        {
            if (at == 0 || environ[at - 1] == 0) return true;
            var next = environ.AsSpan(at + 1).IndexOf(needle);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return false;
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>One line of /proc/PID/stat: the state letter (<c>Z</c> for a zombie), parent and process group.</summary>
    public readonly record struct Stat(int Pid, char State, int Ppid, int Pgid);

    /// <summary>Every process /proc shows now (those that vanish while it is read are left out).</summary>
    public static IEnumerable<Stat> All()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            // After "pid (comm) ": state ppid pgrp …; comm may hold spaces and parentheses, so cut at the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            yield return new Stat(pid, fields[0][0],
                int.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[2], CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Live (not zombie) processes whose process group is <paramref name="pgid"/>.</summary>
    public static List<int> LiveMembersOfGroup(int pgid) =>
        [.. All().Where(p => p.State != 'Z' && p.Pgid == pgid).Select(p => p.Pid)];

    /// <summary>Zombie children of <paramref name="parent"/>.</summary>
    public static List<int> ZombieChildrenOf(int parent) =>
        [.. All().Where(p => p.State == 'Z' && p.Ppid == parent).Select(p => p.Pid)];

    public static string Describe(int pid)
    {
        try
        {
            return $"pid {pid}: {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"pid {pid}: (gone)";
        }
    }

    public static void Kill(IEnumerable<int> pids)
    {
        foreach (var pid in pids) Tmds.Linux.LibC.kill(pid, 9);
    }
}
