using Taskmaster.Core.Config.Validation;
using Taskmaster.Core.Config.Yaml;

namespace Taskmaster.Core.Config;

/// <summary>Loads and validates YAML configuration (DESIGN §3). Never throws: errors come back in the result.</summary>
public static class ConfigLoader
{
    /// <summary>Load a file, or every *.yaml/*.yml of a directory (sorted); null means <c>./configs/</c>.</summary>
    public static ConfigLoadResult Load(string? path)
    {
        path ??= DefaultPaths.ConfigDirectory;
        try
        {
            var sources = ConfigSources.Read(path, out var readErrors);
            if (!readErrors.IsEmpty) return ConfigLoadResult.Fail(readErrors);
            return ConfigAssembler.Assemble(sources);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ConfigLoadResult.Fail([new ConfigError(path, 0, 0, "", $"cannot load the config: {ex.Message}")]);
        }
    }

    /// <summary>Load one document given as text; <paramref name="fileName"/> is used in error messages.</summary>
    public static ConfigLoadResult LoadText(string yaml, string fileName)
    {
        try
        {
            var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? Directory.GetCurrentDirectory();
            return ConfigAssembler.Assemble([new ConfigSource(fileName, baseDirectory, yaml)]);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ConfigLoadResult.Fail([new ConfigError(fileName, 0, 0, "", $"cannot load the config: {ex.Message}")]);
        }
    }
}
