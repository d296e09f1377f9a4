using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Taskmaster.Core.Processes.Families;

/// <summary>
/// The daemon's own cgroup v2 subtree: one directory for this daemon (named after its control socket, so the next
/// daemon on the same socket finds what a crashed one left), and in it one cgroup per instance slot: program and
/// instance number, <c>web@3</c> (no cgroup interface file has an <c>@</c> in its name), kept across renames.
/// A child moves itself into its instance's cgroup between clone and exec (the spawn stub writes <c>0</c> to
/// <c>cgroup.procs</c>), so it cannot fork before it is tracked; everything it starts afterwards stays inside,
/// whatever <c>setsid()</c> or double fork it does, until the daemon kills the cgroup (<c>cgroup.kill</c>).
/// No controller is enabled: the tree is for tracking and killing only.
/// </summary>
public sealed class CgroupTree
{
    private CgroupTree(string root, string mount, string mountRoot)
    {
        Root = root;
        this.mount = mount;
        this.mountRoot = mountRoot;
    }

    private readonly string mount, mountRoot;

    /// <summary>The directory of a cgroup named as <c>/proc/PID/cgroup</c> names it (relative to the hierarchy).</summary>
    public string Absolute(string cgroup) => DirectoryOf(mount, mountRoot, cgroup);

    /// <summary>Where a cgroup's directory is, given the hierarchy's mount point and the mount's root within it.</summary>
    private static string DirectoryOf(string mount, string mountRoot, string cgroup)
    {
        if (mountRoot != "/" && cgroup.StartsWith(mountRoot, StringComparison.Ordinal)) cgroup = cgroup[mountRoot.Length..];
        return Path.Join(mount, cgroup.TrimStart('/'));
    }

    /// <summary>The daemon's directory, e.g. <c>/sys/fs/cgroup/unified/taskmasterd-1a2b3c4d</c>.</summary>
    public string Root { get; }

    /// <summary>
    /// The cgroup2 mount (from <c>/proc/self/mountinfo</c>) joined with the daemon's own cgroup (from
    /// <c>/proc/self/cgroup</c>); under systemd that is the unit's cgroup, which <c>Delegate=yes</c> hands over.
    /// Creates the daemon's directory there. Null, with the reason, when that is not possible (no cgroup2 mount,
    /// not writable, not root).
    /// </summary>
    public static CgroupTree? Create(string key, out string? why)
    {
        why = null;
        var own = ProcTable.CgroupOf(Environment.ProcessId);
        var mount = FindMount(own, out var mountRoot);
        if (mount is null || own is null)
        {
            why = "no cgroup v2 hierarchy is mounted";
            return null;
        }
        var parent = DirectoryOf(mount, mountRoot, own);
        var root = Path.Join(parent, "taskmasterd-" + Hash(key));
        try
        {
            if (!File.Exists(Path.Join(parent, "cgroup.procs")))
            {
                why = $"{parent} is not a cgroup v2 directory";
                return null;
            }
            Directory.CreateDirectory(root);
            // A cgroup directory has cgroup.procs; anything else is a plain directory someone made.
            if (!File.Exists(Path.Join(root, "cgroup.procs")))
            {
                why = $"{root} is not a cgroup";
                return null;
            }
            // Writable by us: the test a child's move will face (write permission on the destination's cgroup.procs).
            using (File.Open(Path.Join(root, "cgroup.procs"), FileMode.Open, FileAccess.Write)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = $"cannot create {root}: {e.Message}";
            return null;
        }
        return new CgroupTree(root, mount, mountRoot);
    }

    /// <summary>Finds the cgroup2 mount whose root contains <paramref name="own"/> (fields: 4 root, 5 mount point;
    /// the filesystem type follows " - ").</summary>
    private static string? FindMount(string? own, out string mountRoot)
    {
        mountRoot = "/";
        string? best = null;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                var dash = line.IndexOf(" - ", StringComparison.Ordinal);
                if (dash < 0) continue;
                var after = line[(dash + 3)..].Split(' ');
                if (after.Length < 1 || after[0] != "cgroup2") continue;
                var fields = line[..dash].Split(' ');
                if (fields.Length < 5) continue;
                var root = Unescape(fields[3]);
                if (own is not null && root != "/" && !own.StartsWith(root, StringComparison.Ordinal)) continue;
                best = Unescape(fields[4]);
                mountRoot = root;
                break;
            }
        }
        catch (IOException) { }
        return best;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal (<c>\040</c>).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new StringBuilder();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && !field.AsSpan(i + 1, 3).ContainsAnyExceptInRange('0', '7'))
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(field[i]);
        }
        return sb.ToString();
    }

    private static string Hash(string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..8];

    /// <summary>The cgroup directory of one instance slot (<c>web@3</c>; an instance name <c>web:3</c> maps to
    /// the same, <c>web</c> to <c>web@</c>).</summary>
    public string InstanceDirectory(string slot)
    {
        var name = slot.Replace(':', '@').Replace('/', '_');
        return Path.Join(Root, name.Contains('@') ? name : name + "@");
    }

    /// <summary>Instance cgroups that still hold processes (what a crashed daemon left), by directory.</summary>
    public List<string> PopulatedInstances()
    {
        var result = new List<string>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(Root))
                if (Populated(dir)) result.Add(dir);
        }
        catch (IOException) { }
        return result;
    }

    /// <summary>Removes the daemon's directory and any empty instance cgroup in it (at a clean exit).</summary>
    public void RemoveEmpty()
    {
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(Root)) TryRemove(dir);
            Directory.Delete(Root);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary><c>populated 1</c> in <c>cgroup.events</c>: some live (not zombie) process is in it or below.</summary>
    public static bool Populated(string dir)
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Join(dir, "cgroup.events")))
                if (line.StartsWith("populated ", StringComparison.Ordinal)) return line.EndsWith('1');
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return false;
    }

    /// <summary>The processes in the cgroup and in any cgroup below it.</summary>
    public static List<int> Processes(string dir)
    {
        var pids = new List<int>();
        Collect(dir, pids, 0);
        return pids;

        static void Collect(string dir, List<int> pids, int depth)
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Join(dir, "cgroup.procs")))
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) pids.Add(pid);
                if (depth < 16)
                    foreach (var sub in Directory.EnumerateDirectories(dir)) Collect(sub, pids, depth + 1);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Sends <paramref name="signal"/> to every process in the cgroup (SIGKILL through <c>cgroup.kill</c>,
    /// which also catches processes forked meanwhile). The number of processes signalled.</summary>
    public static int Signal(string dir, int signal, int except = 0)
    {
        var pids = Processes(dir);
        if (signal == Signals.SIGKILL && except == 0 && TryWrite(Path.Join(dir, "cgroup.kill"), "1")) return pids.Count;
        var sent = 0;
        foreach (var pid in pids)
            if (pid != except && Tmds.Linux.LibC.kill(pid, signal) == 0) sent++;
        return sent;
    }

    /// <summary>Removes an empty cgroup (and empty cgroups below it); false when something still runs in it.</summary>
    public static bool TryRemove(string dir)
    {
        try
        {
            foreach (var sub in Directory.EnumerateDirectories(dir)) TryRemove(sub);
            Directory.Delete(dir);
            return true;
        }
        catch (DirectoryNotFoundException) { return true; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static bool TryWrite(string path, string text)
    {
        try
        {
            File.WriteAllText(path, text);
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    public override string ToString() => Root;
}
