namespace Taskmaster.Core.Config;

/// <summary>Loads and validates YAML configuration (DESIGN §3). Never throws: errors come back in the result.</summary>
public static class ConfigLoader
{
    /// <summary>Load a file, or every *.yaml/*.yml of a directory (sorted); null means <c>./configs/</c>.</summary>
    public static ConfigLoadResult Load(string? path) =>
        throw new NotImplementedException("config loader: foundation issue");

    /// <summary>Load one document given as text; <paramref name="fileName"/> is used in error messages.</summary>
    public static ConfigLoadResult LoadText(string yaml, string fileName) =>
        throw new NotImplementedException("config loader: foundation issue");
}
