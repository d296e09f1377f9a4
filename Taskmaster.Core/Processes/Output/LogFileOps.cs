using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Taskmaster.Core.Processes.Output;

/// <summary>File-system steps of an output file: opening for append, and shifting the rotated backups.</summary>
internal static class LogFileOps
{
    /// <summary>Opens for append (O_CLOEXEC, mode 0644), creating missing parent directories with mode 0755.
    /// Throws IOException with the reason.</summary>
    public static unsafe int Open(string path)
    {
        try
        {
            var dir = System.IO.Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot create its directory ({e.Message})", e);
        }
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = bytes)
            fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0x1a4 /* 0644 */);
        if (fd < 0) throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
        return fd;
    }

    /// <summary><c>path.N-1</c> → <c>path.N</c> … <c>path</c> → <c>path.1</c> (the oldest is overwritten); with no
    /// backups the file is truncated instead.</summary>
    public static void ShiftBackups(string path, int backups)
    {
        if (backups <= 0)
        {
            File.WriteAllBytes(path, []);
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
