using System.Collections;
using System.Collections.Immutable;

namespace Taskmaster.Core.Processes;

/// <summary>
/// What a program takes from the daemon's own environment (the <c>inherit_env</c> key): everything
/// (<see cref="All"/>), nothing beyond the clean base (<see cref="None"/>), or the clean base plus the named variables.
/// </summary>
public sealed record EnvInheritance(bool Everything, ImmutableArray<string> Names)
{
    public static readonly EnvInheritance All = new(true, []);
    public static readonly EnvInheritance None = new(false, []);

    public bool Equals(EnvInheritance? other) =>
        other is not null && Everything == other.Everything && Names.SequenceEqual(other.Names);

    public override int GetHashCode() => HashCode.Combine(Everything, Names.Length);

    public override string ToString() => Everything ? "true" : Names.IsEmpty ? "false" : "[" + string.Join(", ", Names) + "]";
}

/// <summary>
/// Builds a child's environment. A program that inherits (the default without <c>user:</c>) gets the daemon's whole
/// environment; one that does not (the default with <c>user:</c>, like systemd's services) gets a clean one: the fixed
/// <see cref="DefaultPath"/>, the daemon's locale and time zone (<c>LANG</c>, <c>LANGUAGE</c>, <c>LC_*</c>,
/// <c>TZ</c>) and any variables named in <c>inherit_env</c>. Either way the account's <c>HOME</c>, <c>USER</c>,
/// <c>LOGNAME</c> and <c>SHELL</c> come next (of the <c>user:</c> account, or for a clean environment the daemon's
/// own account), and the program's <c>env</c> last, overriding everything.
/// </summary>
public static class ChildEnvironment
{
    /// <summary>The search path of a clean environment (the one systemd gives system services).</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static Dictionary<string, string> Build(IDictionary daemonEnvironment, EnvInheritance inheritance,
        Account? account, IReadOnlyDictionary<string, string> programEnv)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (inheritance.Everything)
        {
            foreach (DictionaryEntry e in daemonEnvironment)
                env[(string)e.Key] = (string?)e.Value ?? "";
        }
        else
        {
            env["PATH"] = DefaultPath;
            foreach (DictionaryEntry e in daemonEnvironment)
            {
                var key = (string)e.Key;
                if (key is "LANG" or "LANGUAGE" or "TZ" || key.StartsWith("LC_", StringComparison.Ordinal) || inheritance.Names.Contains(key))
                    env[key] = (string?)e.Value ?? "";
            }
        }
        if (account is { } a)
        {
            env["HOME"] = a.Home;
            env["USER"] = a.Name;
            env["LOGNAME"] = a.Name;
            env["SHELL"] = a.Shell;
        }
        foreach (var (k, v) in programEnv) env[k] = v;
        return env;
    }

    /// <summary>The login variables of one account.</summary>
    public sealed record Account(string Name, string Home, string Shell);
}
