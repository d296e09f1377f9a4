using System.Reflection;
using System.Runtime.InteropServices;

namespace Taskmaster.Core.Processes.Native;

/// <summary>
/// The managed side of <c>libtaskmaster_spawn.so</c> (<c>taskmaster_spawn.c</c>, built with the project by the C
/// compiler): the request layout, the step numbers, and where the library is found. <c>make</c> leaves the library
/// next to <c>./taskmasterd</c>; an installed daemon finds it in <c>PREFIX/lib/taskmaster/</c> beside
/// <c>PREFIX/bin/</c>; tests find it next to their assembly.
/// </summary>
internal static unsafe partial class SpawnStub
{
    public const string LibraryName = "taskmaster_spawn";
    private const string FileName = "lib" + LibraryName + ".so";

    /// <summary>Which step of the child's set-up failed (taskmaster_spawn.c, enum tm_step).</summary>
    public enum Step
    {
        None = 0,
        Clone = 1,
        SetSid = 2,
        Stdio = 3,
        Cgroup = 4,
        Rlimit = 5,
        Groups = 6,
        Gid = 7,
        Uid = 8,
        Chdir = 9,
        Close = 10,
        Exec = 11,
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Limit
    {
        public int Resource;
        public int Reserved;
        public ulong Soft;
        public ulong Hard;
    }

    /// <summary>struct tm_request: pointers first, then 32-bit fields; the last two are written by the child.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Request
    {
        public byte* Path;
        public byte** Argv;
        public byte** Envp;
        public byte* WorkDir;
        public uint* Groups;
        public Limit* Limits;
        public int StdoutFd;
        public int StderrFd;
        public int Umask;
        public int SetIds;
        public uint Uid;
        public uint Gid;
        public int GroupCount;
        public int LimitCount;
        public int CgroupFd;
        public int Errno;
        public int FailedStep;
    }

    [LibraryImport(LibraryName, EntryPoint = "taskmaster_spawn")]
    private static partial int Spawn(Request* request, int* pid);

    [LibraryImport(LibraryName, EntryPoint = "taskmaster_spawn_abi")]
    private static partial int Abi();

    private static readonly Lazy<string?> LoadError = new(Load);

    /// <summary>Null when the library is loaded and matches this build, else why not (a sentence).</summary>
    public static string? LoadProblem => LoadError.Value;

    /// <summary>Returns 0 and the pid, or the errno of the step that failed.</summary>
    public static int Run(Request* request, out int pid)
    {
        pid = 0;
        if (LoadError.Value is { } error) throw new DllNotFoundException(error);
        int child;
        var rc = Spawn(request, &child);
        if (rc == 0) pid = child;
        return rc;
    }

    /// <summary>Null when the library is there and was built for this layout, else why not.</summary>
    private static string? Load()
    {
        NativeLibrary.SetDllImportResolver(typeof(SpawnStub).Assembly, Resolve);
        try
        {
            var expected = sizeof(Request) * 100 + sizeof(Limit);
            var actual = Abi();
            return actual == expected ? null
                : $"{FileName} was built for another version of taskmasterd (layout {actual}, expected {expected}); rebuild with make";
        }
        catch (DllNotFoundException e)
        {
            return $"cannot load {FileName} (looked in {string.Join(", ", Candidates())}): {e.Message}";
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != LibraryName) return 0;
        foreach (var candidate in Candidates())
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
        return 0;
    }

    /// <summary>Next to the executable (or the assembly), then the installed layout <c>bin/../lib/taskmaster/</c>.</summary>
    private static IEnumerable<string> Candidates()
    {
        var dirs = new List<string> { AppContext.BaseDirectory };
        if (Environment.ProcessPath is { } exe && Path.GetDirectoryName(exe) is { } exeDir)
        {
            dirs.Add(exeDir);
            dirs.Add(Path.Combine(exeDir, "..", "lib", "taskmaster"));
        }
        return dirs.Select(d => Path.GetFullPath(Path.Combine(d, FileName))).Distinct();
    }
}
