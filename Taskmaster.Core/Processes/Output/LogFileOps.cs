using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Taskmaster.Core.Processes.Output;

/// <summary>File-system steps of an output file: opening for append, and shifting the rotated backups.</summary>
internal static class LogFileOps
{
    /// <summary>Opens for append without following a path another user controls (<see cref="SafeFile"/>),
    /// creating missing parent directories with mode 0755; a new file is 0644, or 0640 and owned by
    /// <paramref name="owner"/> (a <c>user</c> program's files). Throws IOException with the reason.</summary>
    public static int Open(string path, FileOwner? owner = null) => SafeFile.OpenForWrite(path, owner);

    /// <summary>The size of the open file (its end).</summary>
    public static long Size(int fd)
    {
        var end = (long)lseek(fd, 0, SEEK_END);
        return end >= 0 ? end : 0;
    }

    /// <summary><c>path.N-1</c> → <c>path.N</c> … <c>path</c> → <c>path.1</c> (the oldest is overwritten); with no
    /// backups the file is truncated instead.</summary>
    public static void ShiftBackups(string path, int backups, FileOwner? owner = null)
    {
        if (backups <= 0)
        {
            close(SafeFile.OpenForWrite(path, owner, truncate: true));
            return;
        }
        for (var i = backups - 1; i >= 1; i--)
        {
            var from = $"{path}.{i}";
            if (File.Exists(from)) File.Move(from, $"{path}.{i + 1}", overwrite: true);
        }
        if (File.Exists(path)) File.Move(path, path + ".1", overwrite: true);
    }
}
