using System.Collections;
using System.Runtime.InteropServices;
using Taskmaster.Core.Processes.Families;
using Taskmaster.Core.Processes.Native;
using Taskmaster.Core.Processes.Output;
using static Taskmaster.Core.Processes.SpawnErrorKind;

namespace Taskmaster.Core.Processes;

/// <summary>
/// The real spawner: a vfork-style clone through <c>libtaskmaster_spawn.so</c> (see <see cref="NativeSpawn"/>), a pidfd per child watched
/// by one epoll thread (<see cref="ExitWatcher"/>), output drained by one pump thread (<see cref="OutputPump"/>).
/// Thread-safe: actors call <see cref="Spawn"/> concurrently. Every descriptor it creates is O_CLOEXEC, and children
/// close everything from fd 3 up, so concurrent spawns never leak one child's pipes into another.
/// <para>Failures are checked up front so the message says what is wrong (command not found, not executable,
/// working directory missing, unknown user, not root, log file), and what only the kernel can tell (EACCES as the
/// target user, ENOEXEC) still comes back synchronously from the spawn, never as a later exit 127.</para>
/// <para>Output files: missing parent directories are created (mode 0755, subject to the daemon's umask) so that
/// paths like <c>/tmp/taskmaster/web.out</c> work out of the box; if that or the open fails, the spawn fails with
/// <c>cannot open log file PATH: reason</c>. Files are opened by the daemon (as the daemon's user) before the child
/// exists, like supervisord does.</para>
/// </summary>
public sealed class PosixSpawner : IProcessSpawner
{
    private const int PipeSize = 1 << 20;
    private const int ENODEV = 19;
    private readonly LogFiles logFiles;
    private readonly int daemonUmask = NativeSpawn.DaemonUmask();

    public FamilyTracking Tracking { get; }

    /// <param name="onOutputProblem">Told (from a background thread; keep it quick) when an output file cannot be
    /// written or cannot keep up and output is being dropped. Once per episode.</param>
    /// <param name="tracking">How an instance's processes are kept together (see <see cref="FamilyTracking"/>);
    /// default: process groups only.</param>
    public PosixSpawner(Action<OutputProblem>? onOutputProblem = null, FamilyTracking? tracking = null)
    {
        logFiles = new LogFiles(onOutputProblem);
        Tracking = tracking ?? FamilyTracking.ProcessGroups;
        if (Tracking.Subreaper) ExitWatcher.Shared.ReapOrphans();
        _ = ExitWatcher.Shared;
        _ = OutputPump.Shared;
    }

    /// <summary>The file <paramref name="spec"/> would run, as <c>taskmasterd --check</c> shows it: the resolved path,
    /// or why there is none (now). Bare names are looked up in the PATH its children get.</summary>
    public static string DescribeCommand(Config.ProgramSpec spec)
    {
        var path = ChildEnvironment.Build(Environment.GetEnvironmentVariables(), spec.EffectiveInheritEnv, null, spec.Env)
            .GetValueOrDefault("PATH");
        return ExecutableLookup.Resolve(spec.Argv[0], spec.WorkingDir ?? spec.BaseDirectory, path) switch
        {
            ExecutableLookup.Found f => f.Path,
            ExecutableLookup.NotExecutable n => $"{n.Path} (not executable)",
            _ => $"{spec.Argv[0]} (not found now)",
        };
    }

    /// <summary>Descriptors a spawn never takes: kept for the control socket's connections, the daemon's own log,
    /// config reloads and the runtime, so that running out of descriptors fails spawns, not the daemon.</summary>
    public const int ReservedDescriptors = 64;

    /// <summary>Why a spawn now would eat into <see cref="ReservedDescriptors"/>, or null. A spawn takes at most
    /// two log files, four pipe ends and a pidfd. Counting the open descriptors means listing <c>/proc/self/fd</c>,
    /// thousands of entries with many children, so it is not done per spawn: the headroom found by the last count is
    /// spent spawn by spawn, and counted again once it is used up or a second old.</summary>
    private static unsafe string? DescriptorShortage()
    {
        const int perSpawn = 7;
        lock (DescriptorGate)
        {
            if (headroom >= perSpawn && Environment.TickCount64 - countedAt < 1000)
            {
                headroom -= perSpawn;
                return null;
            }
            LibC.RLimit limit;
            if (LibC.getrlimit(LibC.RLIMIT_NOFILE, &limit) != 0 || limit.Soft > int.MaxValue) return null;
            if (OpenDescriptors() is not { } open) return "too many open files (the daemon cannot even list its descriptors)";
            countedAt = Environment.TickCount64;
            headroom = (long)limit.Soft - open - ReservedDescriptors - perSpawn;
            return headroom >= 0 ? null
                : $"too many open files: {open} of the daemon's {limit.Soft} descriptors are open and {ReservedDescriptors} are kept for the control socket and logging (raise LimitNOFILE / ulimit -n)";
        }
    }

    /// <summary>Entries of <c>/proc/self/fd</c> (less <c>.</c> and <c>..</c>, plus nothing for the directory's own
    /// descriptor, which is counted among them), read with readdir: .NET's enumerator would stat every entry.</summary>
    private static int? OpenDescriptors()
    {
        var dir = LibC.opendir("/proc/self/fd");
        if (dir == 0) return null;
        var entries = 0;
        while (LibC.readdir(dir) != 0) entries++;
        LibC.closedir(dir);
        return Math.Max(0, entries - 2);
    }

    private static readonly object DescriptorGate = new();
    private static long headroom = -1, countedAt;

    /// <summary>Null when children can be started, else why not (the spawn stub is missing or from another
    /// build). The daemon checks it before it starts anything.</summary>
    public static string? Unavailable => SpawnStub.LoadProblem;

    public SpawnResult Spawn(SpawnRequest request)
    {
        if (Unavailable is { } why) return Fail(Other, why);
        if (request.Argv.IsDefaultOrEmpty || string.IsNullOrEmpty(request.Argv[0]))
            return Fail(Other, "empty command");

        UserAccount? user = null;
        if (request.User is { } userName)
        {
            user = UserAccount.Find(userName);
            if (user is null) return Fail(UnknownUser, $"unknown user: {userName}");
            if (Tmds.Linux.LibC.geteuid() is var euid && (uint)euid != 0 && (uint)euid != user.Uid)
                return Fail(NotRoot, "user requires a root daemon");
        }
        if (request.WorkingDir is { } wd && !Directory.Exists(wd))
            return Fail(WorkingDirectoryMissing, File.Exists(wd) ? $"working directory is not a directory: {wd}" : $"working directory missing: {wd}");

        var environment = BuildEnvironment(request, user);
        string path;
        switch (ExecutableLookup.Resolve(request.Argv[0], request.WorkingDir ?? request.BaseDirectory, environment.GetValueOrDefault("PATH")))
        {
            case ExecutableLookup.Found f: path = f.Path; break;
            case ExecutableLookup.NotExecutable n: return Fail(NotExecutable, $"not executable: {n.Path}");
            default: return Fail(CommandNotFound, $"command not found: {request.Argv[0]}");
        }

        if (DescriptorShortage() is { } shortage) return Fail(Other, shortage);

        var opened = new List<LogFile>(2);
        var fds = new List<int>(4);
        ChildFamily? family = null;
        var cgroupFd = -1;
        try
        {
            if (request.Leftovers.Kill)
            {
                if (Tracking.Cgroups is { } tree)
                {
                    var dir = tree.InstanceDirectory(request.Slot ?? request.Name);
                    if (OpenCgroupProcs(dir, out cgroupFd) is { } problem) return Release(opened, fds, Fail(Other, problem));
                    fds.Add(cgroupFd);
                    family = new CgroupFamily(dir);
                }
                else family = new GroupFamily(request.Name, Tracking.Subreaper);
            }
            var owner = user is null ? null : new FileOwner(user.Uid, user.Gid);
            var stdout = OpenTarget(request.Stdout with { Owner = owner }, opened);
            var stderr = OpenTarget(request.Stderr with { Owner = owner }, opened);
            var (outRead, outWrite) = stdout is null ? (-1, -1) : Pipe(fds);
            var (errRead, errWrite) = stderr is null ? (-1, -1) : Pipe(fds);

            var plan = new SpawnPlan(path, [.. request.Argv], [.. environment.Select(kv => kv.Key + "=" + kv.Value)], request.WorkingDir,
                outWrite, errWrite, request.Umask ?? daemonUmask, user, cgroupFd);
            var rc = NativeSpawn.Run(plan, out var pid, out var step);
            // ENODEV: the slot's cgroup was removed between our open and the child's write (the previous process of
            // this slot was just reaped, and its empty cgroup released). Nothing ran yet: make it again, retry.
            for (var retry = 0; rc == ENODEV && step == SpawnStub.Step.Cgroup && family is CgroupFamily again && retry < 3; retry++)
            {
                CloseFd(fds, cgroupFd);
                if (OpenCgroupProcs(again.Directory, out cgroupFd) is { } problem) return Release(opened, fds, Fail(Other, problem));
                fds.Add(cgroupFd);
                rc = NativeSpawn.Run(plan with { CgroupProcsFd = cgroupFd }, out pid, out step);
            }
            if (outWrite >= 0) CloseFd(fds, outWrite);
            if (errWrite >= 0) CloseFd(fds, errWrite);
            if (cgroupFd >= 0) CloseFd(fds, cgroupFd);
            if (rc != 0) return Release(opened, fds, Explain(rc, step, path, request));

            var pidfd = LibC.pidfd_open(pid, 0);
            if (pidfd < 0)
            {
                var error = Marshal.GetLastPInvokeError();
                KillAndReap(pid);
                return Release(opened, fds, Fail(Other, $"cannot watch the child: {Marshal.GetPInvokeErrorMessage(error)}"));
            }

            var stats = new OutputStats();
            var streams = new List<OutputStream>(2);
            if (stdout is not null) streams.Add(new OutputStream(OutputPump.Shared, outRead, stdout, stats));
            if (stderr is not null) streams.Add(new OutputStream(OutputPump.Shared, errRead, stderr, stats));
            var child = new PosixChildProcess(pid, pidfd, [.. streams], stats, family, request.Leftovers);
            fds.Clear();
            opened.Clear();
            foreach (var s in streams) s.Start();
            if (!ExitWatcher.Shared.Watch(child, pidfd))
            {
                // epoll refused the pidfd (out of memory): wait for this one child on its own thread instead.
                new Thread(child.WaitThenReap) { IsBackground = true, Name = "taskmaster-reap-fallback" }.UnsafeStart();
            }
            return new SpawnResult.Started(child);
        }
        catch (LogFileException e)
        {
            return Release(opened, fds, Fail(LogFileUnavailable, $"cannot open log file {e.Path}: {e.Message}"));
        }
    }

    /// <summary>The instance's cgroup made ready (<see cref="EnterableCgroup"/>) and its <c>cgroup.procs</c> opened for
    /// the child to write itself into; null, or why not.</summary>
    private static string? OpenCgroupProcs(string dir, out int fd)
    {
        fd = -1;
        if (EnterableCgroup(dir) is { } problem) return problem;
        fd = OpenForWrite(Path.Join(dir, "cgroup.procs"));
        return fd >= 0 ? null
            : $"cannot use the instance's cgroup {dir}: {Marshal.GetPInvokeErrorMessage(Tmds.Linux.LibC.errno)}";
    }

    /// <summary>Creates the instance's cgroup if needed. One that still holds processes is what an earlier run of
    /// this slot left (a daemon that crashed): they are killed, so the new child never shares it. Null when usable.</summary>
    private static string? EnterableCgroup(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot create the instance's cgroup {dir}: {e.Message}";
        }
        if (CgroupTree.Populated(dir)) CgroupTree.Signal(dir, Signals.SIGKILL);
        return null;
    }

    private static unsafe int OpenForWrite(string path)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes) return Tmds.Linux.LibC.open(p, Tmds.Linux.LibC.O_WRONLY | Tmds.Linux.LibC.O_CLOEXEC, 0);
    }

    private LogFile? OpenTarget(OutputTarget target, List<LogFile> opened)
    {
        if (target.Path is null) return null;
        try
        {
            var file = logFiles.Acquire(target);
            opened.Add(file);
            return file;
        }
        catch (IOException e)
        {
            throw new LogFileException(target.Path, e.Message);
        }
    }

    private static unsafe (int Read, int Write) Pipe(List<int> fds)
    {
        var pair = stackalloc int[2];
        if (Tmds.Linux.LibC.pipe2(pair, Tmds.Linux.LibC.O_CLOEXEC) != 0)
            throw new LogFileException("(pipe)", Marshal.GetPInvokeErrorMessage(Tmds.Linux.LibC.errno));
        fds.Add(pair[0]);
        fds.Add(pair[1]);
        Tmds.Linux.LibC.fcntl(pair[0], Tmds.Linux.LibC.F_SETFL, Tmds.Linux.LibC.O_NONBLOCK);
        if ((uint)Tmds.Linux.LibC.geteuid() == 0) Tmds.Linux.LibC.fcntl(pair[0], Tmds.Linux.LibC.F_SETPIPE_SZ, PipeSize);
        return (pair[0], pair[1]);
    }

    private static void CloseFd(List<int> fds, int fd)
    {
        Tmds.Linux.LibC.close(fd);
        fds.Remove(fd);
    }

    private static SpawnResult Release(List<LogFile> opened, List<int> fds, SpawnResult result)
    {
        foreach (var fd in fds) Tmds.Linux.LibC.close(fd);
        foreach (var f in opened) f.Release(() => { });
        return result;
    }

    /// <summary>The child's environment (see <see cref="ChildEnvironment"/>); its PATH is also where a bare command
    /// name is looked up.</summary>
    private static Dictionary<string, string> BuildEnvironment(SpawnRequest request, UserAccount? user)
    {
        ChildEnvironment.Account? account = user is not null ? new(user.Name, user.Home, user.Shell)
            : request.InheritEnv.Everything ? null
            : OwnAccount.Value;
        var environment = ChildEnvironment.Build(Environment.GetEnvironmentVariables(), request.InheritEnv, account, request.Env);
        environment[InstanceVariable.Name] = request.Name;
        return environment;
    }

    /// <summary>The daemon's own account, for the login variables of a clean environment without <c>user</c>.</summary>
    private static readonly Lazy<ChildEnvironment.Account?> OwnAccount = new(() =>
        UserAccount.Find(((uint)Tmds.Linux.LibC.geteuid()).ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } me
            ? new ChildEnvironment.Account(me.Name, me.Home, me.Shell)
            : null);

    private static SpawnResult Explain(int errno, SpawnStub.Step step, string path, SpawnRequest request)
    {
        const int ENOENT = 2, EACCES = 13, ENOEXEC = 8, ENOTDIR = 20, EPERM = 1, EAGAIN = 11, ENOMEM = 12, EMFILE = 24;
        var wd = request.WorkingDir;
        return (step, errno) switch
        {
            (SpawnStub.Step.Chdir, ENOENT) => Fail(WorkingDirectoryMissing, $"working directory missing: {wd}"),
            (SpawnStub.Step.Chdir, ENOTDIR) => Fail(WorkingDirectoryMissing, $"working directory is not a directory: {wd}"),
            (SpawnStub.Step.Chdir, EACCES) => Fail(NotExecutable, $"permission denied{AsUser(request)}: working directory {wd}"),
            (SpawnStub.Step.Exec, ENOENT) => Fail(CommandNotFound, $"command not found: {path}"),
            (SpawnStub.Step.Exec, EACCES) => Fail(NotExecutable, $"not executable{AsUser(request)}: {path}"),
            (SpawnStub.Step.Exec, ENOEXEC) => Fail(NotExecutable, $"not executable (unknown format, no #! line): {path}"),
            (SpawnStub.Step.Exec or SpawnStub.Step.Clone, EAGAIN) =>
                Fail(Other, request.User is { } u ? $"too many processes for user {u} (RLIMIT_NPROC)" : "too many processes"),
            (SpawnStub.Step.Groups or SpawnStub.Step.Gid or SpawnStub.Step.Uid, EPERM) => Fail(NotRoot, "user requires a root daemon"),
            (_, ENOMEM) => Fail(Other, "out of memory"),
            (_, EMFILE) => Fail(Other, "too many open files"),
            _ => Fail(Other, $"{StepName(step)}: {Marshal.GetPInvokeErrorMessage(errno)}"),
        };
    }

    private static string StepName(SpawnStub.Step step) => step switch
    {
        SpawnStub.Step.Clone => "cannot create the process",
        SpawnStub.Step.SetSid => "cannot start a new session",
        SpawnStub.Step.Stdio => "cannot set up stdin/stdout/stderr",
        SpawnStub.Step.Cgroup => "cannot enter the instance's cgroup",
        SpawnStub.Step.Rlimit => "cannot set resource limits",
        SpawnStub.Step.Groups => "cannot set supplementary groups",
        SpawnStub.Step.Gid => "cannot set the group id",
        SpawnStub.Step.Uid => "cannot set the user id",
        SpawnStub.Step.Chdir => "cannot enter the working directory",
        SpawnStub.Step.Close => "cannot close inherited descriptors",
        SpawnStub.Step.Exec => "cannot execute",
        _ => "spawn failed",
    };

    private static string AsUser(SpawnRequest request) => request.User is { } u ? $" (as user {u})" : "";

    private static unsafe void KillAndReap(int pid)
    {
        Tmds.Linux.LibC.kill(-pid, Signals.SIGKILL);
        int status;
        LibC.waitpid(pid, &status, 0);
    }

    private static SpawnResult.Failed Fail(SpawnErrorKind kind, string message) => new(kind, "spawn error: " + message);

    private sealed class LogFileException(string path, string message) : Exception(message)
    {
        public string Path { get; } = path;
    }
}
