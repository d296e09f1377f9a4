using System.Collections.Immutable;
using Taskmaster.Core.Config.Validation;
using Taskmaster.Core.Config.Yaml;

namespace Taskmaster.Core.Config;

/// <summary>The text of one config file, with the name used in messages and the directory relative paths start from.</summary>
internal sealed record ConfigSource(string DisplayPath, string BaseDirectory, string Text);

/// <summary>Finds the config files of a path (a file, or every *.yaml/*.yml of a directory) and reads them as text.</summary>
internal static class ConfigSources
{
    public const long MaxFileBytes = 4 * 1024 * 1024;

    public static ImmutableArray<ConfigSource> Read(string path, out ImmutableArray<ConfigError> errors)
    {
        var found = new List<ConfigError>();
        var sources = ImmutableArray.CreateBuilder<ConfigSource>();
        IEnumerable<string> files;
        if (Directory.Exists(path))
        {
            var list = Directory.EnumerateFiles(path)
                .Where(f => Path.GetFileName(f) is var n && !n.StartsWith('.')
                    && (n.EndsWith(".yaml", StringComparison.Ordinal) || n.EndsWith(".yml", StringComparison.Ordinal)))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (list.Count == 0)
                found.Add(new ConfigError(path, 0, 0, "", "no *.yaml or *.yml file in this directory; allowed: a config file, or a directory holding some"));
            files = list;
        }
        else if (File.Exists(path)) files = [path];
        else
        {
            found.Add(new ConfigError(path, 0, 0, "", "no such file or directory; allowed: a config file, or a directory of *.yaml/*.yml files"));
            files = [];
        }

        foreach (var file in files)
        {
            var d = new Diagnostics(file);
            try
            {
                var info = new FileInfo(file);
                if (info.Length > MaxFileBytes)
                {
                    d.Add(0, 0, "", $"the file is {info.Length} bytes long", $"a config file of at most {MaxFileBytes} bytes");
                }
                else if (SourceText.Decode(File.ReadAllBytes(file), d) is { } text)
                {
                    var full = Path.GetFullPath(file);
                    sources.Add(new ConfigSource(file, Path.GetDirectoryName(full) ?? "/", text));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                d.Add(0, 0, "", $"cannot read the file: {ex.Message}");
            }
            found.AddRange(d.Errors);
        }
        errors = [.. found];
        return sources.ToImmutable();
    }
}
