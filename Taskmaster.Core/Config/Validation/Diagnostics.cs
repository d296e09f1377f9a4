using Taskmaster.Core.Config.Yaml;

namespace Taskmaster.Core.Config.Validation;

/// <summary>Collects the errors of one config file; every error carries the file, position and key path.</summary>
internal sealed class Diagnostics(string file)
{
    public string File { get; } = file;
    public List<ConfigError> Errors { get; } = [];
    public int Count => Errors.Count;

    /// <summary>Record "<paramref name="what"/>; allowed: <paramref name="allowed"/>" at the node's position.</summary>
    public void Add(YNode at, string keyPath, string what, string? allowed = null) =>
        Add(at.Line, at.Column, keyPath, what, allowed);

    public List<ConfigError> Warnings { get; } = [];

    /// <summary>Record a warning: valid config, but likely to fail when the daemon acts on it.</summary>
    public void Warn(YNode at, string keyPath, string what) =>
        Warnings.Add(new ConfigError(File, at.Line, at.Column, keyPath, "warning: " + what));

    public void Add(int line, int column, string keyPath, string what, string? allowed = null) =>
        Errors.Add(new ConfigError(File, line, column, keyPath,
            string.IsNullOrEmpty(allowed) ? what : $"{what}; allowed: {allowed}"));
}
