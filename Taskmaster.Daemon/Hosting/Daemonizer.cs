using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text;

namespace Taskmaster.Daemon.Hosting;

/// <summary>
/// Detaching without <c>fork()</c> (unsafe in .NET): the parent re-executes itself with <c>-n</c> and an inherited
/// readiness pipe (its fd number in <see cref="ReadyFdVariable"/>); the child enters a new session, starts in the
/// foreground code path and, once its control socket is up, writes <c>ready</c> on the pipe and points its stdio at
/// /dev/null. The parent exits 0 on <c>ready</c>, or with the child's status when the child dies first (its error
/// went to the parent's stderr, which the child inherited until then).
/// </summary>
public static partial class Daemonizer
{
    public const string ReadyFdVariable = "TASKMASTER_READY_FD";
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromMinutes(2);
    private static string? _readyFd;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup2(int oldfd, int newfd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    /// <summary>True in the re-executed child (it must report readiness).</summary>
    public static bool IsDetachedChild => _readyFd is not null || Environment.GetEnvironmentVariable(ReadyFdVariable) is { Length: > 0 };

    /// <summary>Parent side: start the detached daemon and wait until it is ready or has failed.</summary>
    public static int Detach(DaemonOptions options)
    {
        using var ready = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
        var psi = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("no process path"))
        {
            UseShellExecute = false,
        };
        foreach (var a in SelfArguments()) psi.ArgumentList.Add(a);
        foreach (var a in ChildArguments(options)) psi.ArgumentList.Add(a);
        psi.Environment[ReadyFdVariable] = ready.GetClientHandleAsString();

        using var child = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the daemon process");
        ready.DisposeLocalCopyOfClientHandle();

        var line = ReadLine(ready);
        if (line is not null && line.StartsWith("ready", StringComparison.Ordinal))
        {
            Console.Out.WriteLine($"taskmasterd: running, pid {child.Id}");
            return 0;
        }
        // The child closed the pipe without being ready: it failed (and said why on stderr), or it hangs.
        if (!child.WaitForExit(StartupDeadline))
        {
            Console.Error.WriteLine($"taskmasterd: the daemon (pid {child.Id}) did not become ready; killing it");
            child.Kill(entireProcessTree: true);
            return 1;
        }
        return child.ExitCode == 0 ? 1 : child.ExitCode;
    }

    private static string? ReadLine(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (stream.Read(one, 0, 1) == 1 && one[0] != '\n') bytes.Add(one[0]);
        return bytes.Count == 0 ? null : Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>How to start this same program again: <c>dotnet exec x.dll</c> when run through the host.</summary>
    private static IEnumerable<string> SelfArguments()
    {
        var host = Path.GetFileNameWithoutExtension(Environment.ProcessPath ?? "");
        var entry = Environment.GetCommandLineArgs()[0];
        return host == "dotnet" && entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ["exec", entry] : [];
    }

    internal static IEnumerable<string> ChildArguments(DaemonOptions options)
    {
        if (options.ConfigPath is { } config) yield return config;
        yield return "--nodaemon";
        if (options.Socket is { } socket) { yield return "--socket"; yield return socket; }
        if (options.PidFile is { } pid) { yield return "--pidfile"; yield return pid; }
        if (options.LogLevel is { } level) { yield return "--loglevel"; yield return level; }
    }

    /// <summary>Child side, first thing: leave the parent's session and take the readiness pipe out of the environment.</summary>
    public static void EnterSessionIfDetached()
    {
        var fd = Environment.GetEnvironmentVariable(ReadyFdVariable);
        if (string.IsNullOrEmpty(fd)) return;
        _readyFd = fd;
        Environment.SetEnvironmentVariable(ReadyFdVariable, null);
        setsid();
    }

    /// <summary>
    /// Child side, once the control socket is up: tell the parent, then detach stdio from its terminal/pipes.
    /// A no-op in a daemon started with <c>-n</c> by a user.
    /// </summary>
    public static void NotifyReady()
    {
        var fd = Interlocked.Exchange(ref _readyFd, null);
        if (fd is null) return;
        // What our stdio and the pipe are, before they are replaced: .NET's Console keeps its own dup of fds 1 and 2.
        var inherited = new HashSet<string?> { LinkOf("1"), LinkOf("2"), LinkOf(fd) };
        inherited.RemoveWhere(l => l is null or "/dev/null");
        try
        {
            using var pipe = new AnonymousPipeClientStream(PipeDirection.Out, fd);
            pipe.Write(Encoding.UTF8.GetBytes($"ready {Environment.ProcessId}\n"));
        }
        catch (IOException)
        {
            // The parent is gone; nothing to tell.
        }
        var devNull = open("/dev/null", 2 /* O_RDWR */);
        if (devNull < 0) return;
        for (var target = 0; target <= 2; target++) dup2(devNull, target);
        // Every other descriptor on the parent's stdout/stderr or the readiness pipe now points at /dev/null too,
        // so whoever started us sees end-of-file once the parent has exited.
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            var name = Path.GetFileName(entry);
            if (!int.TryParse(name, out var n) || n <= 2 || n == devNull) continue;
            if (inherited.Contains(LinkOf(name))) dup2(devNull, n);
        }
        if (devNull > 2) close(devNull);
    }

    private static string? LinkOf(string fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
