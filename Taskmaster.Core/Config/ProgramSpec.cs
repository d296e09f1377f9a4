using System.Collections.Immutable;

namespace Taskmaster.Core.Config;

/// <summary>How a program is restarted after it exits on its own (DESIGN §4).</summary>
public enum AutoRestart
{
    Never,
    Unexpected,
    Always,
}

/// <summary>What happens to the rest of an instance's processes when its leader exits (the <c>leftovers</c> key).</summary>
public enum Leftovers
{
    /// <summary>They get the stop signal, then SIGKILL after <c>stoptime</c>, before the exit is reported (default).</summary>
    Kill,
    /// <summary>They are left running, untracked (supervisord's behaviour).</summary>
    Keep,
}

/// <summary>Where one output stream of a program goes.</summary>
/// <param name="PathTemplate">File path, appended to; may hold <c>{n}</c> (replaced by the instance number).
/// Null means discard (<c>none</c> in the config).</param>
/// <param name="MaxBytes">Rotate when the file would grow past this many bytes; 0 disables rotation.</param>
/// <param name="Backups">How many rotated files (<c>path.1</c> … <c>path.N</c>) to keep; 0 means truncate instead.</param>
public sealed record OutputSpec(string? PathTemplate, long MaxBytes, int Backups)
{
    public static readonly OutputSpec Discard = new(null, 0, 0);

    /// <summary>The concrete path for one instance, or null when the stream is discarded.</summary>
    public string? PathFor(int instanceNumber) =>
        PathTemplate?.Replace("{n}", instanceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>Delay between failed starts: <c>Initial × Multiplier^(attempt-1)</c>, capped at <c>Max</c>, then made up
/// to <c>Jitter</c> (a fraction) longer at random (see <c>RestartDecider</c>).</summary>
public sealed record BackoffSpec(TimeSpan Initial, double Multiplier, TimeSpan Max, double Jitter = 0)
{
    /// <summary>No jitter: what code that builds specs itself (tests) gets.</summary>
    public static readonly BackoffSpec Default = new(TimeSpan.FromSeconds(1), 2.0, TimeSpan.FromSeconds(30));

    /// <summary>What a config without backoff keys gets: the default schedule with <c>backoff_jitter: 0.1</c>.</summary>
    public static readonly BackoffSpec ConfigDefault = Default with { Jitter = 0.1 };

    /// <summary>The delay before retry number <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan DelayFor(int attempt)
    {
        if (attempt < 1) attempt = 1;
        var ticks = Initial.Ticks * Math.Pow(Multiplier, attempt - 1);
        return ticks >= Max.Ticks ? Max : TimeSpan.FromTicks((long)ticks);
    }
}

/// <summary>The crash-loop throttle: more than <paramref name="Burst"/> restarts after RUNNING within
/// <paramref name="Interval"/> turn the next ones into backoff delays. <see cref="None"/> (burst 0) disables it.</summary>
public sealed record RestartLimit(int Burst, TimeSpan Interval)
{
    public static readonly RestartLimit None = new(0, TimeSpan.Zero);

    /// <summary>What a config without <c>restart_burst</c>/<c>restart_interval</c> gets: 50 restarts in 10 s (a
    /// process killed every second never trips it; one that exits at once does within a few milliseconds).</summary>
    public static readonly RestartLimit ConfigDefault = new(50, TimeSpan.FromSeconds(10));

    public bool Enabled => Burst > 0 && Interval > TimeSpan.Zero;
}

/// <summary>
/// One validated program of the configuration. Immutable; built only by the config loader.
/// Equality is structural (collections compared by content), which <c>ConfigDiff</c> relies on.
/// </summary>
public sealed record ProgramSpec
{
    public required string Name { get; init; }
    /// <summary>The command line as written in the config.</summary>
    public required string Command { get; init; }
    /// <summary>The command split like a shell would (no shell is run).</summary>
    public required ImmutableArray<string> Argv { get; init; }
    public int NumProcs { get; init; } = 1;
    public bool AutoStart { get; init; } = true;
    public AutoRestart AutoRestart { get; init; } = AutoRestart.Unexpected;
    public ImmutableArray<int> ExitCodes { get; init; } = [0];
    public int StartRetries { get; init; } = 3;
    public TimeSpan StartTime { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Signal number (e.g. 15 for TERM).</summary>
    public int StopSignal { get; init; } = 15;
    public TimeSpan StopTime { get; init; } = TimeSpan.FromSeconds(10);
    public required OutputSpec Stdout { get; init; }
    public required OutputSpec Stderr { get; init; }
    /// <summary>Added to (and overriding) the inherited or clean environment.</summary>
    public ImmutableSortedDictionary<string, string> Env { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    /// <summary><c>inherit_env</c> as written; null when absent (see <see cref="EffectiveInheritEnv"/>).</summary>
    public Processes.EnvInheritance? InheritEnv { get; init; }
    /// <summary>Absolute path, or null for the daemon's working directory.</summary>
    public string? WorkingDir { get; init; }
    /// <summary>umask as a number (022 octal = 18), or null to inherit the daemon's.</summary>
    public int? Umask { get; init; }
    /// <summary>User name (or numeric uid) to run as; requires a root daemon.</summary>
    public string? User { get; init; }
    public BackoffSpec Backoff { get; init; } = BackoffSpec.Default;
    public Leftovers Leftovers { get; init; } = Leftovers.Kill;
    /// <summary>The crash-loop throttle (<c>restart_burst</c>, <c>restart_interval</c>); none unless configured.</summary>
    public RestartLimit RestartLimit { get; init; } = RestartLimit.None;
    /// <summary>The directory of the config file that defined the program: a relative <c>cmd</c> path (with a
    /// <c>/</c>) is resolved against <see cref="WorkingDir"/> when set, else against this.</summary>
    public string BaseDirectory { get; init; } = "/";
    /// <summary>Where the program was defined (for error messages).</summary>
    public string SourceFile { get; init; } = "";
    public int SourceLine { get; init; }

    /// <summary>What the children take from the daemon's environment: <c>inherit_env</c>, or by default everything
    /// for a program without <c>user</c> and nothing beyond the clean base for one with it.</summary>
    public Processes.EnvInheritance EffectiveInheritEnv =>
        InheritEnv ?? (User is null ? Processes.EnvInheritance.All : Processes.EnvInheritance.None);

    /// <summary>Instance names: <c>web</c> when numprocs is 1, else <c>web:0</c> … <c>web:N-1</c>.</summary>
    public string InstanceName(int n) => NumProcs == 1 ? Name : $"{Name}:{n}";

    /// <summary>
    /// How the process runs: every key whose change needs the processes restarted (DESIGN §5). A record compared by
    /// value: a key added to <see cref="ProgramSpec"/> must join this or <see cref="Policy"/> (a test enforces it).
    /// The command is compared as argv, so re-spacing or re-quoting <c>cmd</c> the same way restarts nothing.
    /// </summary>
    public RunSpec Run => new(new ValueArray<string>(Argv), new ValueMap(Env), EffectiveInheritEnv, WorkingDir, Umask, User,
        Stdout, Stderr, Leftovers, BaseDirectory);

    /// <summary>What the supervisor reads to decide (restart policy, stop, autostart): changes apply live.</summary>
    public PolicySpec Policy => new(AutoStart, AutoRestart, new ValueArray<int>(ExitCodes), StartRetries, StartTime,
        StopSignal, StopTime, Backoff, RestartLimit);

    /// <summary>True when a change between the two specs requires restarting the processes (DESIGN §5).</summary>
    public bool RunsDifferentlyFrom(ProgramSpec other) => Run != other.Run;

    /// <summary>Name, numprocs, how it runs and its policy; not where it was written, nor <c>cmd</c>'s spelling.</summary>
    public bool Equals(ProgramSpec? other) =>
        other is not null && Name == other.Name && NumProcs == other.NumProcs && Run == other.Run && Policy == other.Policy;

    public override int GetHashCode() => HashCode.Combine(Name, NumProcs);
}

/// <summary>How a program's process runs (see <see cref="ProgramSpec.Run"/>).</summary>
public sealed record RunSpec(
    ValueArray<string> Argv,
    ValueMap Env,
    Processes.EnvInheritance InheritEnv,
    string? WorkingDir,
    int? Umask,
    string? User,
    OutputSpec Stdout,
    OutputSpec Stderr,
    Leftovers Leftovers,
    string BaseDirectory);

/// <summary>What the supervisor reads about a program (see <see cref="ProgramSpec.Policy"/>).</summary>
public sealed record PolicySpec(
    bool AutoStart,
    AutoRestart AutoRestart,
    ValueArray<int> ExitCodes,
    int StartRetries,
    TimeSpan StartTime,
    int StopSignal,
    TimeSpan StopTime,
    BackoffSpec Backoff,
    RestartLimit Limit);
