using Taskmaster.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Taskmaster.Ctl.Cli;

/// <summary>A config given with <c>-c</c> cannot be read.</summary>
public sealed class ConfigReadException(string message) : Exception(message);

/// <summary>
/// Where the daemon listens: <c>-s</c>, else the <c>taskmasterd.socket</c> of the <c>-c</c> config, else
/// <c>TASKMASTER_SOCKET</c>, else the per-user default (DESIGN §3).
/// </summary>
public static class SocketPathResolver
{
    public static string Resolve(string? socketOption, string? configOption)
    {
        if (!string.IsNullOrEmpty(socketOption)) return socketOption;
        if (!string.IsNullOrEmpty(configOption) && SocketFromConfig(configOption) is { } fromConfig) return fromConfig;
        return DefaultPaths.SocketFromEnvironmentOrDefault();
    }

    /// <summary>
    /// The <c>taskmasterd.socket</c> of a config file or directory, read with the YAML representation model only
    /// (no reflection: the controller is NativeAOT) and without validating the rest, as supervisorctl does.
    /// </summary>
    public static string? SocketFromConfig(string path)
    {
        IEnumerable<string> files;
        if (Directory.Exists(path))
            files = Directory.EnumerateFiles(path)
                .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal);
        else if (File.Exists(path))
            files = [path];
        else
            throw new ConfigReadException($"-c: no such config file or directory: {path}");

        string? socket = null;
        foreach (var file in files)
        {
            var yaml = new YamlStream();
            try
            {
                using var reader = new StreamReader(file);
                yaml.Load(reader);
            }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException or IOException or UnauthorizedAccessException)
            {
                throw new ConfigReadException($"-c: cannot read {file}: {e.Message}");
            }
            foreach (var doc in yaml.Documents)
            {
                if (doc.RootNode is YamlMappingNode root
                    && root.Children.TryGetValue(new YamlScalarNode("taskmasterd"), out var section)
                    && section is YamlMappingNode daemon
                    && daemon.Children.TryGetValue(new YamlScalarNode("socket"), out var value)
                    && value is YamlScalarNode { Value: { Length: > 0 } s })
                    socket = s;
            }
        }
        return socket;
    }
}
