namespace Taskmaster.Ctl.Shell;

/// <summary>The shell's history, kept in <c>~/.taskmasterctl_history</c> (the last <see cref="MaxEntries"/> lines).</summary>
public sealed class ShellHistory(string path)
{
    public const int MaxEntries = 1000;

    public string Path { get; } = path;

    public static string DefaultPath()
    {
        var home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return System.IO.Path.Combine(home, ".taskmasterctl_history");
    }

    public IReadOnlyList<string> Load()
    {
        try
        {
            return File.Exists(Path) ? [.. File.ReadLines(Path).Where(l => l.Length > 0).TakeLast(MaxEntries)] : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Append one line; the file is trimmed to the last entries now and then. Failures are ignored.</summary>
    public void Append(string line)
    {
        try
        {
            File.AppendAllText(Path, line.ReplaceLineEndings(" ") + "\n");
            var info = new FileInfo(Path);
            if (info.Length > 256 * 1024)
                File.WriteAllLines(Path, File.ReadLines(Path).TakeLast(MaxEntries).ToArray());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
