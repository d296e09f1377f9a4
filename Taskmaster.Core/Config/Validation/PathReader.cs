using Taskmaster.Core.Config.Yaml;

namespace Taskmaster.Core.Config.Validation;

/// <summary>File paths in the config: relative ones are resolved against the directory of the file that holds them.</summary>
internal static class PathReader
{
    public const string Allowed = "a file path (relative paths are resolved against the config file's directory)";

    public static bool Path(YNode node, string path, Diagnostics d, string baseDirectory, out string resolved, string allowed = Allowed)
    {
        resolved = "";
        if (!ValueReader.Text(node, path, d, allowed, out var text)) return false; // also refuses a NUL
        resolved = System.IO.Path.IsPathRooted(text) ? text : System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, text));
        return true;
    }
}
