using System.Collections.Immutable;
using Taskmaster.Core.Config.Validation;
using Taskmaster.Core.Config.Yaml;

namespace Taskmaster.Core.Config;

/// <summary>
/// Parses the config files, merges them (one <c>taskmasterd:</c> section, each program defined once) and validates
/// every section, collecting all errors in one pass, sorted by file and position.
/// </summary>
internal static class ConfigAssembler
{
    /// <summary>Instances (numprocs summed over every program) one daemon supervises at most.</summary>
    public const int MaxInstances = 100_000;

    private sealed record ParsedFile(ConfigSource Source, Diagnostics Diagnostics, YMapping? Root);

    public static ConfigLoadResult Assemble(IReadOnlyList<ConfigSource> sources)
    {
        var files = sources.Select(Parse).ToList();

        var settings = DaemonSettings.Default;
        (ParsedFile File, YScalar Key)? daemonSection = null;
        foreach (var file in files)
        {
            if (Entry(file.Root, ConfigKeys.Daemon) is not { } entry) continue;
            if (daemonSection is { } first)
            {
                file.Diagnostics.Add(entry.Key, ConfigKeys.Daemon,
                    $"the taskmasterd section is defined in both {first.File.Source.DisplayPath}:{first.Key.Line} and {file.Source.DisplayPath}:{entry.Key.Line}",
                    "one taskmasterd section across all config files");
                continue;
            }
            daemonSection = (file, entry.Key);
            settings = DaemonSettingsValidator.Validate(entry.Value, file.Diagnostics, file.Source.BaseDirectory);
        }

        var logDirectory = settings.LogDir ?? DefaultPaths.LogDirectory();
        var programs = ImmutableSortedDictionary.CreateBuilder<string, ProgramSpec>(StringComparer.Ordinal);
        var definedAt = new Dictionary<string, (ParsedFile File, YScalar Key)>(StringComparer.Ordinal);
        long instances = 0;
        var overLimit = false;
        foreach (var file in files)
        {
            if (Entry(file.Root, ConfigKeys.Programs) is not { } entry) continue;
            if (entry.Value is YScalar { IsNull: true }) continue;
            if (!ValueReader.Mapping(entry.Value, ConfigKeys.Programs, file.Diagnostics, "a mapping of program names to their settings", out var map))
                continue;
            foreach (var (nameKey, value) in map.Entries)
            {
                if (definedAt.TryGetValue(nameKey.Value, out var first))
                {
                    file.Diagnostics.Add(nameKey, ValueReader.Join(ConfigKeys.Programs, nameKey.Value),
                        $"program '{nameKey.Value}' is defined in both {first.File.Source.DisplayPath}:{first.Key.Line} and {file.Source.DisplayPath}:{nameKey.Line}",
                        "each program defined once across all config files");
                    continue;
                }
                definedAt[nameKey.Value] = (file, nameKey);
                if (ProgramValidator.Validate(nameKey, value, file.Diagnostics, file.Source.BaseDirectory, logDirectory) is not { } spec)
                    continue;
                programs[spec.Name] = spec;
                instances += spec.NumProcs;
                if (instances > MaxInstances && !overLimit)
                {
                    // Once, at the program that crosses the line (YAML aliases can repeat one program's settings
                    // hundreds of times in a few lines).
                    overLimit = true;
                    file.Diagnostics.Add(nameKey, ValueReader.Join(ConfigKeys.Programs, nameKey.Value),
                        $"too many instances: with this program the config has more than {MaxInstances} (numprocs summed over all programs)",
                        $"at most {MaxInstances} instances in all");
                }
            }
        }

        var errors = files.SelectMany(f => f.Diagnostics.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column)).ToList();
        ImmutableArray<ConfigError> warnings =
            [.. files.SelectMany(f => f.Diagnostics.Warnings.OrderBy(e => e.Line).ThenBy(e => e.Column))];
        if (errors.Count > 0) return ConfigLoadResult.Fail(errors) with { Warnings = warnings };
        return ConfigLoadResult.Ok(new TaskmasterConfig(settings, programs.ToImmutable())
        {
            Sources = [.. sources.Select(s => s.DisplayPath)],
        }) with { Warnings = warnings };
    }

    private static KeyValuePair<YScalar, YNode>? Entry(YMapping? root, string key)
    {
        if (root is null) return null;
        foreach (var entry in root.Entries)
            if (entry.Key.Value == key) return entry;
        return null;
    }

    private static ParsedFile Parse(ConfigSource source)
    {
        var d = new Diagnostics(source.DisplayPath);
        if (!SourceText.IsText(source.Text, d)) return new ParsedFile(source, d, null);
        var root = YamlTreeReader.Read(source.Text, d);
        if (root is null && d.Count > 0) return new ParsedFile(source, d, null);

        const string allowed = "a mapping with the keys taskmasterd (optional) and programs";
        if (root is null || root is YScalar { IsNull: true })
        {
            d.Add(1, 1, "", "the file is empty", allowed);
            return new ParsedFile(source, d, null);
        }
        if (root is not YMapping map)
        {
            d.Add(root, "", $"the document is {root.Describe()}", allowed);
            return new ParsedFile(source, d, null);
        }
        ValueReader.RejectUnknownKeys(map, "", d, ConfigKeys.TopLevel, ConfigKeys.TopLevelAliases, LooksLikeAProgram);
        return new ParsedFile(source, d, map);
    }

    /// <summary>A top-level key whose value has a <c>cmd</c> is a program written outside <c>programs:</c>.</summary>
    private static string? LooksLikeAProgram(KeyValuePair<YScalar, YNode> entry) =>
        entry.Value is YMapping m && m.Entries.Any(e => e.Key.Value == "cmd")
            ? "programs go under 'programs:'"
            : null;
}
