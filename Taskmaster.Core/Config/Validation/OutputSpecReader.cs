using Taskmaster.Core.Config.Yaml;

namespace Taskmaster.Core.Config.Validation;

/// <summary>
/// Builds the <see cref="OutputSpec"/> of stdout or stderr from <c>stdout</c>, <c>stdout_maxbytes</c> and
/// <c>stdout_backups</c> (or the stderr ones). An absent path means <c>&lt;logdir&gt;/&lt;program&gt;-{n}.stdout.log</c>:
/// the same template whatever numprocs is, so scaling a program never looks like an output change.
/// </summary>
internal static class OutputSpecReader
{
    public const long DefaultMaxBytes = 50L * 1024 * 1024;
    public const int DefaultBackups = 10;
    public const string None = "none";

    public static OutputSpec? Read(string stream, string programName, YMapping program, string programPath,
        Diagnostics d, string baseDirectory, string logDirectory)
    {
        var before = d.Count;
        string? template = Path.Combine(logDirectory, $"{programName}-{{n}}.{stream}.log");
        var maxBytes = DefaultMaxBytes;
        var backups = DefaultBackups;
        foreach (var (key, value) in program.Entries)
        {
            var path = ValueReader.Join(programPath, key.Value);
            if (key.Value == stream)
            {
                const string allowed = "a file path (may hold {n}, the instance number) or none";
                if (value is YScalar { IsNull: false } s && string.Equals(s.Value.Trim(), None, StringComparison.OrdinalIgnoreCase))
                    template = null;
                else if (PathReader.Path(value, path, d, baseDirectory, out var resolved, allowed))
                    template = resolved;
            }
            else if (key.Value == stream + "_maxbytes")
            {
                if (ValueReader.Size(value, path, d, "bytes as an integer, or with a KB, MB or GB suffix (50MB); 0 disables rotation", out var n))
                    maxBytes = n;
            }
            else if (key.Value == stream + "_backups")
            {
                if (ValueReader.Int(value, path, d, 0, 10000, "an integer from 0 to 10000", out var n))
                    backups = n;
            }
        }
        if (d.Count != before) return null;
        return template is null ? OutputSpec.Discard : new OutputSpec(template, maxBytes, backups);
    }
}
