using System.Collections.Immutable;

namespace Taskmaster.Core.Config;

/// <summary>A whole validated configuration: daemon settings and programs by name.</summary>
public sealed record TaskmasterConfig(DaemonSettings Daemon, ImmutableSortedDictionary<string, ProgramSpec> Programs)
{
    /// <summary>The files it was read from, in order.</summary>
    public ImmutableArray<string> Sources { get; init; } = [];

    public int InstanceCount => Programs.Values.Sum(p => p.NumProcs);

    /// <summary>True when <paramref name="instance"/> (<c>web</c>, <c>web:3</c>) names an instance of this config.</summary>
    public bool HasInstance(string instance)
    {
        var colon = instance.LastIndexOf(':');
        var program = colon < 0 ? instance : instance[..colon];
        if (!Programs.TryGetValue(program, out var spec)) return false;
        if (colon < 0) return spec.NumProcs == 1;
        return int.TryParse(instance.AsSpan(colon + 1), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var n) && n < spec.NumProcs && spec.NumProcs > 1
            && spec.InstanceName(n) == instance;
    }

    public bool Equals(TaskmasterConfig? other) =>
        other is not null && Daemon == other.Daemon && Programs.SequenceEqual(other.Programs);

    public override int GetHashCode() => Programs.Count;
}

/// <summary>One problem found in a config: where, which key, and what is allowed.</summary>
/// <param name="Line">1-based; 0 when the error is about the whole file (missing, unreadable).</param>
public sealed record ConfigError(string File, int Line, int Column, string KeyPath, string Message)
{
    public override string ToString()
    {
        var where = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return KeyPath.Length == 0 ? $"{where}: {Message}" : $"{where}: {KeyPath}: {Message}";
    }
}

/// <summary>Either a valid config or the full list of errors (never both, never an exception).</summary>
public sealed record ConfigLoadResult(TaskmasterConfig? Config, ImmutableArray<ConfigError> Errors)
{
    /// <summary>Things that do not make the config invalid but will likely fail at run time (messages start with
    /// <c>warning:</c>), e.g. a <c>workingdir</c> that does not exist yet.</summary>
    public ImmutableArray<ConfigError> Warnings { get; init; } = [];

    public bool IsValid => Config is not null && Errors.IsEmpty;
    public static ConfigLoadResult Ok(TaskmasterConfig config) => new(config, []);
    public static ConfigLoadResult Fail(IEnumerable<ConfigError> errors) => new(null, [.. errors]);
}
