using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Taskmaster.Core.Config.Yaml;
using Taskmaster.Core.Processes;

namespace Taskmaster.Core.Config.Validation;

/// <summary>Validates one entry of <c>programs:</c> into a <see cref="ProgramSpec"/>, reporting every problem.</summary>
internal static partial class ProgramValidator
{
    public const int MaxNumProcs = 10000;
    public const double MaxSeconds = 1_000_000;
    private const string SecondsAllowed = "a number of seconds from 0 to 1000000 (e.g. 1 or 0.5)";

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex NamePattern();

    /// <summary>The spec, or null when the program has errors (all of them recorded in <paramref name="d"/>).</summary>
    public static ProgramSpec? Validate(YScalar nameKey, YNode node, Diagnostics d, string baseDirectory, string logDirectory)
    {
        var name = nameKey.Value;
        var path = ValueReader.Join(ConfigKeys.Programs, name);
        var before = d.Count;
        if (!NamePattern().IsMatch(name))
            d.Add(nameKey, path, $"invalid program name '{name}'", "letters, digits, '_', '.' and '-'");
        else if (name == "all")
            d.Add(nameKey, path, "'all' is reserved (it means every program in commands)", "any other name of letters, digits, '_', '.' and '-'");

        if (node is YScalar { IsNull: true })
        {
            d.Add(nameKey, path, "the program has no settings; required key 'cmd' is missing", "a mapping with at least cmd");
            return null;
        }
        if (!ValueReader.Mapping(node, path, d, "a mapping of program settings (cmd, numprocs, …)", out var map))
            return null;

        ValueReader.RejectUnknownKeys(map, path, d, ConfigKeys.ProgramKeys, ConfigKeys.ProgramAliases);
        var spec = new ProgramSpec
        {
            Name = name, Command = "", Argv = [], Stdout = OutputSpec.Discard, Stderr = OutputSpec.Discard,
            SourceFile = d.File, SourceLine = nameKey.Line, BaseDirectory = baseDirectory,
        };
        var hasCmd = false;
        foreach (var (key, value) in map.Entries)
        {
            var keyPath = ValueReader.Join(path, key.Value);
            spec = key.Value switch
            {
                "cmd" => Command(value, keyPath, d, spec, ref hasCmd),
                "numprocs" => ValueReader.Int(value, keyPath, d, 1, MaxNumProcs, $"an integer from 1 to {MaxNumProcs}", out var n)
                    ? spec with { NumProcs = n } : spec,
                "autostart" => ValueReader.Bool(value, keyPath, d, out var a) ? spec with { AutoStart = a } : spec,
                "autorestart" => AutoRestartPolicy(value, keyPath, d) is { } r ? spec with { AutoRestart = r } : spec,
                "exitcodes" => ExitCodes(value, keyPath, d) is { } codes ? spec with { ExitCodes = codes } : spec,
                "startretries" => ValueReader.Int(value, keyPath, d, 0, int.MaxValue, "an integer ≥ 0", out var retries)
                    ? spec with { StartRetries = retries } : spec,
                "starttime" => ValueReader.Seconds(value, keyPath, d, 0, MaxSeconds, SecondsAllowed, out var st)
                    ? spec with { StartTime = st } : spec,
                "stoptime" => ValueReader.Seconds(value, keyPath, d, 0, MaxSeconds, SecondsAllowed, out var sp)
                    ? spec with { StopTime = sp } : spec,
                "stopsignal" => StopSignal(value, keyPath, d) is { } sig ? spec with { StopSignal = sig } : spec,
                "env" => Environment(value, keyPath, d) is { } env ? spec with { Env = env } : spec,
                "inherit_env" => Inheritance(value, keyPath, d) is { } inherit ? spec with { InheritEnv = inherit } : spec,
                "workingdir" => WorkingDir(value, keyPath, d) is { } dir ? spec with { WorkingDir = dir } : spec,
                "umask" => ValueReader.Octal(value, keyPath, d, Convert.ToInt32("777", 8), "octal digits from 0 to 0777, e.g. 022 or \"0077\"", out var mask)
                    ? spec with { Umask = mask } : spec,
                "user" => User(value, keyPath, d) is { } user ? spec with { User = user } : spec,
                "leftovers" => ValueReader.Choice(value, keyPath, d, ConfigKeys.LeftoverModes, out var left)
                    ? spec with { Leftovers = left == "keep" ? Leftovers.Keep : Leftovers.Kill } : spec,
                _ => spec,
            };
        }
        if (!hasCmd)
            d.Add(nameKey, path, "required key 'cmd' is missing", "cmd: the command line to run");

        var backoff = BackoffReader.Read(map, path, d);
        var limit = RestartLimitOf(map, path, d);
        var stdout = OutputSpecReader.Read("stdout", name, map, path, d, baseDirectory, logDirectory);
        var stderr = OutputSpecReader.Read("stderr", name, map, path, d, baseDirectory, logDirectory);
        if (d.Count != before || backoff is null || stdout is null || stderr is null) return null;
        return spec with { Backoff = backoff, Stdout = stdout, Stderr = stderr, RestartLimit = limit };
    }

    private static ProgramSpec Command(YNode value, string path, Diagnostics d, ProgramSpec spec, ref bool hasCmd)
    {
        hasCmd = true;
        const string allowed = "a command line, split like a shell splits words ('quotes' and \\escapes; no shell is run)";
        if (!ValueReader.Text(value, path, d, allowed, out var text)) return spec;
        var split = CommandLineSplitter.Split(text);
        if (split.Error is { } error)
        {
            d.Add(value, path, $"cannot split the command: {error}", allowed);
            return spec;
        }
        if (split.Words.IsEmpty)
        {
            d.Add(value, path, "the command is empty", allowed);
            return spec;
        }
        return spec with { Command = text, Argv = split.Words };
    }

    private static AutoRestart? AutoRestartPolicy(YNode value, string path, Diagnostics d)
    {
        if (ValueReader.BoolWord(value) is { } always) return always ? AutoRestart.Always : AutoRestart.Never;
        if (!ValueReader.Choice(value, path, d, ["always", "never", "unexpected"], out var choice)) return null;
        return choice switch
        {
            "always" => AutoRestart.Always,
            "never" => AutoRestart.Never,
            _ => AutoRestart.Unexpected,
        };
    }

    private static ImmutableArray<int>? ExitCodes(YNode value, string path, Diagnostics d)
    {
        const string allowed = "an exit code from 0 to 255, or a list of them ([0, 2])";
        if (value is YSequence seq)
        {
            var codes = new SortedSet<int>();
            var ok = true;
            for (var i = 0; i < seq.Items.Count; i++)
            {
                if (ValueReader.Int(seq.Items[i], $"{path}[{i}]", d, 0, 255, allowed, out var code)) codes.Add(code);
                else ok = false;
            }
            return ok ? [.. codes] : null;
        }
        return ValueReader.Int(value, path, d, 0, 255, allowed, out var single) ? [single] : null;
    }

    private static int? StopSignal(YNode value, string path, Diagnostics d)
    {
        const string allowed = "a signal name with or without SIG (TERM, SIGTERM, INT, QUIT, HUP, KILL, USR1, USR2, …) or its number (1-64)";
        if (!ValueReader.Scalar(value, path, d, allowed, out var s)) return null;
        if (Signals.TryParse(s.Value, out var signal)) return signal;
        var bare = s.Value.Trim();
        if (bare.StartsWith("SIG", StringComparison.OrdinalIgnoreCase)) bare = bare[3..];
        var hint = DidYouMean.Suggest(bare, Signals.KnownNames) is { } guess ? $" (did you mean '{guess}'?)" : "";
        d.Add(value, path, $"{s.Describe()} is not a known signal{hint}", allowed);
        return null;
    }

    private static ImmutableSortedDictionary<string, string>? Environment(YNode value, string path, Diagnostics d)
    {
        const string allowed = "a mapping of variable names to values (numbers and booleans become their text)";
        if (!ValueReader.Mapping(value, path, d, allowed, out var map)) return null;
        var env = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var ok = true;
        foreach (var (key, v) in map.Entries)
        {
            var keyPath = ValueReader.Join(path, key.Value);
            if (VariableNameProblem(key.Value) is { } problem)
            {
                d.Add(key, keyPath, $"invalid variable name '{Printable(key.Value)}': {problem}", "a non-empty name without '=', control characters or NUL");
                ok = false;
                continue;
            }
            if (v is YScalar { IsNull: false } s)
            {
                if (s.Value.Contains('\0'))
                {
                    d.Add(v, keyPath, "the value contains a NUL character (\\0): the child would see it cut there", "text without NUL characters");
                    ok = false;
                    continue;
                }
                env[key.Value] = s.Value;
            }
            else
            {
                d.Add(v, keyPath, $"expected a value, found {v.Describe()}", "text, a number or a boolean (write \"\" for an empty value)");
                ok = false;
            }
        }
        return ok ? env.ToImmutable() : null;
    }

    /// <summary>Why a variable name cannot be passed to a child, or null when it can.</summary>
    internal static string? VariableNameProblem(string name) =>
        name.Length == 0 ? "it is empty"
        : name.Contains('=') ? "it contains '='"
        : name.Contains('\0') ? "it contains a NUL character"
        : name.Any(char.IsControl) ? "it contains a control character (newline, tab, …)"
        : null;

    private static string Printable(string text) =>
        string.Concat(text.Select(c => c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", '\0' => "\\0", _ when char.IsControl(c) => $"\\x{(int)c:x2}", _ => c.ToString() }));

    /// <summary><c>restart_burst</c> (0 disables the throttle) and <c>restart_interval</c>, from the config defaults.</summary>
    private static RestartLimit RestartLimitOf(YMapping map, string path, Diagnostics d)
    {
        var limit = RestartLimit.ConfigDefault;
        foreach (var (key, value) in map.Entries)
        {
            var keyPath = ValueReader.Join(path, key.Value);
            if (key.Value == "restart_burst"
                && ValueReader.Int(value, keyPath, d, 0, 1_000_000, "an integer from 0 (no throttle) to 1000000", out var burst))
                limit = limit with { Burst = burst };
            else if (key.Value == "restart_interval"
                && ValueReader.Seconds(value, keyPath, d, 0.001, MaxSeconds, "a number of seconds above 0", out var interval))
                limit = limit with { Interval = interval };
        }
        return limit;
    }

    /// <summary><c>inherit_env</c>: true (the daemon's whole environment), false (a clean one), or a list of the
    /// daemon's variables to pass into the clean one.</summary>
    private static EnvInheritance? Inheritance(YNode value, string path, Diagnostics d)
    {
        const string allowed = "true (the daemon's whole environment), false (a clean one) or a list of variable names to pass, e.g. [http_proxy, JAVA_HOME]";
        if (value is YSequence seq)
        {
            var names = new List<string>();
            var ok = true;
            for (var i = 0; i < seq.Items.Count; i++)
            {
                var itemPath = $"{path}[{i}]";
                if (!ValueReader.Text(seq.Items[i], itemPath, d, allowed, out var name)) { ok = false; continue; }
                if (VariableNameProblem(name) is { } problem)
                {
                    d.Add(seq.Items[i], itemPath, $"invalid variable name '{Printable(name)}': {problem}", allowed);
                    ok = false;
                    continue;
                }
                if (!names.Contains(name)) names.Add(name);
            }
            return ok ? new EnvInheritance(false, [.. names.Order(StringComparer.Ordinal)]) : null;
        }
        if (ValueReader.BoolWord(value) is { } all) return all ? EnvInheritance.All : EnvInheritance.None;
        d.Add(value, path, $"expected true, false or a list of names, found {value.Describe()}", allowed);
        return null;
    }

    private static string? WorkingDir(YNode value, string path, Diagnostics d)
    {
        const string allowed = "an absolute directory path";
        if (!ValueReader.Text(value, path, d, allowed, out var dir)) return null;
        if (dir.StartsWith('/'))
        {
            if (!Directory.Exists(dir)) d.Warn(value, path, $"directory {dir} does not exist (now); starts will fail until it does");
            return dir;
        }
        d.Add(value, path, $"'{dir}' is not an absolute path", allowed);
        return null;
    }

    private static string? User(YNode value, string path, Diagnostics d)
    {
        const string allowed = "a user name or numeric uid (the daemon must run as root)";
        if (!ValueReader.Text(value, path, d, allowed, out var user)) return null;
        user = user.Trim();
        if (user.Any(c => char.IsWhiteSpace(c) || c is ':' or '/' or '\0'))
        {
            d.Add(value, path, $"'{user}' is not a valid user name", allowed);
            return null;
        }
        if (Tmds.Linux.LibC.geteuid() != 0)
            d.Warn(value, path, $"running as '{user}' needs a daemon started as root; this check runs as uid {Tmds.Linux.LibC.geteuid()}");
        return user;
    }
}
