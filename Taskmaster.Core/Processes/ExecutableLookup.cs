namespace Taskmaster.Core.Processes;

/// <summary>Finds the program to run: argv[0] with a slash is a path (a relative one resolved against the given
/// directory: the program's workingdir, else its config file's directory); without one it is looked up in the
/// child's PATH, like a shell does.</summary>
internal static class ExecutableLookup
{
    public abstract record Outcome;
    public sealed record Found(string Path) : Outcome;
    public sealed record NotFound : Outcome;
    public sealed record NotExecutable(string Path) : Outcome;

    public static Outcome Resolve(string program, string? workingDir, string? searchPath)
    {
        if (program.Contains('/'))
        {
            var path = Path.IsPathRooted(program) ? program : Path.GetFullPath(Path.Combine(workingDir ?? Environment.CurrentDirectory, program));
            return Check(path);
        }
        NotExecutable? firstBlocked = null;
        foreach (var dir in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").Split(':'))
        {
            var candidate = Path.Combine(dir.Length == 0 ? "." : dir, program);
            switch (Check(candidate))
            {
                case Found f: return f;
                case NotExecutable n: firstBlocked ??= n; break;
            }
        }
        return firstBlocked ?? (Outcome)new NotFound();
    }

    private static Outcome Check(string path)
    {
        if (Directory.Exists(path)) return new NotExecutable(path);
        if (!File.Exists(path)) return new NotFound();
        var mode = File.GetUnixFileMode(path);
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (mode & anyExecute) == 0 ? new NotExecutable(path) : new Found(path);
    }
}
