using System.Runtime.InteropServices;
using System.Text;
using static Tmds.Linux.LibC;

namespace Taskmaster.Core.Processes;

/// <summary>The account a file the daemon creates is handed to (a <c>user</c> program's log files).</summary>
public sealed record FileOwner(uint Uid, uint Gid);

/// <summary>
/// Opens a file the root daemon writes (program output, its own log, the pid file) without following a path another
/// user controls. The path is walked one component at a time from <c>/</c> with <c>openat(O_NOFOLLOW)</c>, so
/// nothing can be swapped in between a check and the open:
/// <list type="bullet">
/// <item>every directory on the way must be owned by a trusted account (root, the daemon's user or the file's
/// <see cref="FileOwner"/>) and not writable by others, unless it is sticky (<c>/tmp</c>): then what follows in
/// it must be owned by a trusted account, because only its owner can rename or remove it there;</item>
/// <item>a symlink on the way is followed only when root owns it (<c>/var/run → /run</c>);</item>
/// <item>the file itself is never a symlink (<c>O_NOFOLLOW</c>), must be owned by a trusted account and, when it
/// is a regular file, have one link (not a hard link to another file); a missing one is created with
/// <c>O_EXCL</c>.</item>
/// </list>
/// Paths the kernel provides (<c>/dev/…</c> other than <c>/dev/shm</c> and <c>/dev/mqueue</c>, <c>/proc/…</c>) are
/// opened as they are, so <c>/dev/stdout</c> and <c>/dev/null</c> work.
/// Missing directories are created (0755). Failures throw <see cref="IOException"/> with the reason, naming the path.
/// </summary>
public static class SafeFile
{
    private const int ENOENT = 2, EEXIST = 17, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
    private const int S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_ISVTX = 0x200;

    /// <summary>Opens <paramref name="path"/> for writing (append unless <paramref name="truncate"/>), O_CLOEXEC.
    /// A new file gets <paramref name="mode"/> (0640 and <paramref name="owner"/> when one is given and the daemon
    /// is root). Returns the descriptor.</summary>
    public static int OpenForWrite(string path, FileOwner? owner = null, int mode = 0x1a4 /* 0644 */, bool truncate = false)
    {
        if (!path.StartsWith('/')) path = Path.GetFullPath(path);
        if (IsKernelPath(path)) return OpenKernelPath(path, truncate);
        var trusted = Trusted(owner);
        var dir = WalkToParent(path, trusted, out var name);
        try
        {
            var flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | (truncate ? 0 : O_APPEND);
            var created = false;
            var fd = OpenAt(dir, name, flags, 0);
            if (fd < 0 && errno == ENOENT)
            {
                fd = OpenAt(dir, name, flags | O_CREAT | O_EXCL, owner is not null ? 0x1a0 /* 0640 */ : mode);
                created = fd >= 0;
                if (fd < 0 && errno == EEXIST) fd = OpenAt(dir, name, flags, 0); // created meanwhile: check it as any
            }
            if (fd < 0)
            {
                var error = errno;
                throw new IOException(error switch
                {
                    40 /* ELOOP */ => $"refusing {path}: it is a symbolic link",
                    6 /* ENXIO */ => $"refusing {path}: it is a FIFO no process reads (writing would block)",
                    _ => $"{path}: {Message(error)}",
                });
            }
            try
            {
                Check(fd, path, trusted);
                fcntl(fd, F_SETFL, truncate ? 0 : O_APPEND);
                if (created && owner is not null && geteuid() == 0 && fchown(fd, owner.Uid, owner.Gid) != 0)
                    throw new IOException($"cannot give {path} to uid {owner.Uid}: {Message(errno)}");
                if (truncate && ftruncate(fd, 0) != 0) throw new IOException($"cannot truncate {path}: {Message(errno)}");
                return fd;
            }
            catch
            {
                close(fd);
                throw;
            }
        }
        finally
        {
            close(dir);
        }
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="content"/> atomically: written to <c>NAME.tmp</c> in the
    /// same (checked) directory, mode 0600, then renamed over it, so a reader sees the old file or the new one,
    /// never half of one. No fsync: a crash may lose the last write, never leave a torn file.
    /// </summary>
    public static unsafe void ReplaceAtomically(string path, ReadOnlySpan<byte> content)
    {
        if (!path.StartsWith('/')) path = Path.GetFullPath(path);
        var trusted = Trusted(null);
        if (IsKernelPath(path) || path.StartsWith("/sys/", StringComparison.Ordinal))
            throw new IOException($"refusing {path}: not a place for a file the daemon replaces");
        var dir = WalkToParent(path, trusted, out var name);
        try
        {
            // Only a regular file is ever replaced (never a device, a FIFO, a directory or a symlink).
            var existing = OpenAt(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
            if (existing >= 0)
            {
                var st = Stat(existing);
                close(existing);
                if ((st.Mode & S_IFMT) != S_IFREG) throw new IOException($"refusing {path}: not a regular file");
                if (!trusted.Contains(st.Uid)) throw new IOException($"refusing {path}: it is owned by uid {st.Uid}");
            }
            var temp = name + ".tmp";
            var tempBytes = Encoding.UTF8.GetBytes(temp + "\0");
            fixed (byte* t = tempBytes) unlinkat(dir, t, 0);
            var fd = OpenAt(dir, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0x180 /* 0600 */);
            if (fd < 0) throw new IOException($"cannot create {path}.tmp: {Message(errno)}");
            try
            {
                fixed (byte* c = content)
                {
                    var done = 0;
                    while (done < content.Length)
                    {
                        var n = (long)write(fd, c + done, content.Length - done);
                        if (n < 0)
                        {
                            if (errno == 4 /* EINTR */) continue;
                            throw new IOException($"cannot write {path}.tmp: {Message(errno)}");
                        }
                        done += (int)n;
                    }
                }
            }
            catch
            {
                close(fd);
                fixed (byte* t = tempBytes) unlinkat(dir, t, 0);
                throw;
            }
            close(fd);
            var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
            fixed (byte* t = tempBytes)
            fixed (byte* n = nameBytes)
            {
                if (Native.LibC.renameat(dir, t, dir, n) != 0)
                {
                    var error = Marshal.GetLastPInvokeError();
                    unlinkat(dir, t, 0);
                    throw new IOException($"cannot rename {path}.tmp to {path}: {Message(error)}");
                }
            }
        }
        finally
        {
            close(dir);
        }
    }

    /// <summary>The content of <paramref name="path"/>, or null when it does not exist; refused (IOException) unless
    /// the walk is safe and the file is a regular file of the daemon's user (or root), not writable by group or
    /// others, with one link: for files whose content the daemon acts on (the state file names pids to stop).</summary>
    public static unsafe byte[]? ReadTrusted(string path, int maxBytes)
    {
        if (!path.StartsWith('/')) path = Path.GetFullPath(path);
        var trusted = Trusted(null);
        int dir;
        try
        {
            dir = WalkToParent(path, trusted, out _, create: false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        try
        {
            var fd = OpenAt(dir, Path.GetFileName(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
            if (fd < 0)
            {
                if (errno == ENOENT) return null;
                throw new IOException(errno == 40 ? $"refusing {path}: it is a symbolic link" : $"{path}: {Message(errno)}");
            }
            try
            {
                var st = Check(fd, path, trusted);
                if ((st.Mode & S_IFMT) != S_IFREG) throw new IOException($"refusing {path}: not a regular file");
                if ((st.Mode & 0x12) != 0) throw new IOException($"refusing {path}: it is writable by group or others");
                var buffer = new byte[maxBytes + 1];
                var total = 0;
                fixed (byte* b = buffer)
                {
                    while (total < buffer.Length)
                    {
                        var n = (long)read(fd, b + total, buffer.Length - total);
                        if (n < 0 && errno == 4) continue;
                        if (n < 0) throw new IOException($"cannot read {path}: {Message(errno)}");
                        if (n == 0) break;
                        total += (int)n;
                    }
                }
                if (total > maxBytes) throw new IOException($"refusing {path}: larger than {maxBytes} bytes");
                return buffer[..total];
            }
            finally
            {
                close(fd);
            }
        }
        finally
        {
            close(dir);
        }
    }

    /// <summary>Checks that <paramref name="path"/> could be opened safely (creating it, and missing directories,
    /// when absent) and closes it again. For files another component opens by name (the daemon's own log).</summary>
    public static void Check(string path, FileOwner? owner = null) => close(OpenForWrite(path, owner));

    private static uint[] Trusted(FileOwner? owner)
    {
        var me = (uint)geteuid();
        return owner is null ? [0, me] : [0, me, owner.Uid];
    }

    /// <summary>An O_PATH descriptor of the parent directory of <paramref name="path"/>, every step checked.</summary>
    /// <param name="create">Create missing directories (writing); else a missing one throws FileNotFoundException.</param>
    private static int WalkToParent(string path, uint[] trusted, out string name, bool create = true)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (parts.Count == 0 || parts[^1] is "." or "..") throw new IOException($"{path}: not a file path");
        name = parts[^1];
        var followed = 0;
        var dir = OpenRoot(path);
        var where = "/";
        var i = 0;
        try
        {
            while (i < parts.Count - 1)
            {
                var part = parts[i];
                if (part is "." or "") { i++; continue; }
                var next = OpenAt(dir, part, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
                if (next < 0 && errno == ENOENT && !create) throw new FileNotFoundException($"{Join(where, part)} does not exist");
                if (next < 0 && errno == ENOENT)
                {
                    if (MkdirAt(dir, part) != 0 && errno != EEXIST)
                        throw new IOException($"cannot create the directory {Join(where, part)} for {path}: {Message(errno)}");
                    next = OpenAt(dir, part, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
                }
                if (next < 0) throw new IOException($"{Join(where, part)} (for {path}): {Message(errno)}");
                var st = Stat(next);
                var here = Join(where, part);
                if ((st.Mode & S_IFMT) == S_IFLNK)
                {
                    close(next);
                    if (st.Uid != 0) throw new IOException($"refusing {path}: {here} is a symbolic link owned by uid {st.Uid}");
                    if (++followed > 16) throw new IOException($"refusing {path}: too many symbolic links");
                    var target = ReadLink(dir, part) ?? throw new IOException($"{here}: {Message(errno)}");
                    // Splice the link's target into the remaining path and walk on from / or from here.
                    parts.RemoveAt(i);
                    parts.InsertRange(i, target.Split('/', StringSplitOptions.RemoveEmptyEntries));
                    if (target.StartsWith('/'))
                    {
                        parts.RemoveRange(0, i);
                        i = 0;
                        close(dir);
                        dir = OpenRoot(path);
                        where = "/";
                    }
                    continue;
                }
                if ((st.Mode & S_IFMT) != S_IFDIR)
                {
                    close(next);
                    throw new IOException($"refusing {path}: {here} is not a directory");
                }
                if (part == "..")
                {
                    // Only from a link target; the directory above was checked on the way down.
                    close(dir);
                    dir = next;
                    where = Path.GetDirectoryName(where.TrimEnd('/')) ?? "/";
                    i++;
                    continue;
                }
                if (!trusted.Contains(st.Uid))
                {
                    close(next);
                    throw new IOException($"refusing {path}: the directory {here} is owned by uid {st.Uid}");
                }
                if ((st.Mode & 0x2) != 0 && (st.Mode & S_ISVTX) == 0)
                {
                    close(next);
                    throw new IOException($"refusing {path}: the directory {here} is writable by others (and not sticky)");
                }
                close(dir);
                dir = next;
                where = here;
                i++;
            }
            return dir;
        }
        catch
        {
            close(dir);
            throw;
        }
    }

    private static int OpenRoot(string path)
    {
        var fd = OpenAt(AT_FDCWD, "/", O_PATH | O_CLOEXEC | O_DIRECTORY, 0);
        if (fd < 0) throw new IOException($"{path}: cannot open /: {Message(errno)}");
        return fd;
    }

    /// <summary>Refuses what the daemon must not write through (or act on); returns the stat it checked.</summary>
    private static FileStat Check(int fd, string path, uint[] trusted)
    {
        var st = Stat(fd);
        if (!trusted.Contains(st.Uid)) throw new IOException($"refusing {path}: it is owned by uid {st.Uid}");
        if ((st.Mode & S_IFMT) == S_IFREG && st.Links != 1) throw new IOException($"refusing {path}: it has {st.Links} hard links");
        if ((st.Mode & S_IFMT) == S_IFDIR) throw new IOException($"{path}: is a directory");
        return st;
    }

    /// <summary>Files the kernel provides (<c>/dev/stdout</c>, <c>/dev/null</c>, <c>/proc/self/fd/1</c>): nobody
    /// but root can plant anything there, and their symlinks are the point. <c>/dev/shm</c> and <c>/dev/mqueue</c>
    /// are world-writable, so they get the full walk.</summary>
    private static bool IsKernelPath(string path) =>
        (path.StartsWith("/dev/", StringComparison.Ordinal) && !path.StartsWith("/dev/shm/", StringComparison.Ordinal)
            && !path.StartsWith("/dev/mqueue/", StringComparison.Ordinal))
        || path.StartsWith("/proc/", StringComparison.Ordinal);

    private static int OpenKernelPath(string path, bool truncate)
    {
        var fd = OpenAt(AT_FDCWD, path, O_WRONLY | O_CLOEXEC | O_NOCTTY | (truncate ? O_TRUNC : O_APPEND), 0);
        if (fd < 0) throw new IOException($"{path}: {Message(errno)}");
        return fd;
    }

    private static string Join(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;

    private static string Message(int error) => Marshal.GetPInvokeErrorMessage(error);

    private static unsafe int OpenAt(int dir, string name, int flags, int mode)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes) return openat(dir, p, flags, (Tmds.Linux.mode_t)mode);
    }

    private static unsafe int MkdirAt(int dir, string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes) return mkdirat(dir, p, 0x1ed /* 0755 */);
    }

    private static unsafe string? ReadLink(int dir, string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        var buffer = new byte[4096];
        nint n;
        fixed (byte* p = bytes)
        fixed (byte* b = buffer)
            n = (nint)(long)readlinkat(dir, p, b, buffer.Length);
        return n < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)n);
    }

    private readonly record struct FileStat(int Mode, uint Uid, ulong Links);

    private static unsafe FileStat Stat(int fd)
    {
        Tmds.Linux.stat st;
        var empty = stackalloc byte[1];
        empty[0] = 0;
        if (fstatat(fd, empty, &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
            throw new IOException($"cannot stat: {Message(errno)}");
        return new FileStat((int)st.st_mode, st.st_uid, (ulong)st.st_nlink);
    }
}
