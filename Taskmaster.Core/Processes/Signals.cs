using System.Collections.Frozen;

namespace Taskmaster.Core.Processes;

/// <summary>Linux signal names and numbers (x86_64/arm64 numbering).</summary>
public static class Signals
{
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12,
        SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19;

    private static readonly FrozenDictionary<string, int> ByName = new Dictionary<string, int>
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ILL"] = 4, ["TRAP"] = 5, ["ABRT"] = 6, ["BUS"] = 7,
        ["FPE"] = 8, ["KILL"] = 9, ["USR1"] = 10, ["SEGV"] = 11, ["USR2"] = 12, ["PIPE"] = 13,
        ["ALRM"] = 14, ["TERM"] = 15, ["STKFLT"] = 16, ["CHLD"] = 17, ["CONT"] = 18, ["STOP"] = 19,
        ["TSTP"] = 20, ["TTIN"] = 21, ["TTOU"] = 22, ["URG"] = 23, ["XCPU"] = 24, ["XFSZ"] = 25,
        ["VTALRM"] = 26, ["PROF"] = 27, ["WINCH"] = 28, ["IO"] = 29, ["PWR"] = 30, ["SYS"] = 31,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<int, string> ByNumber =
        ByName.Where(kv => kv.Key != "IOT").ToFrozenDictionary(kv => kv.Value, kv => kv.Key);

    /// <summary>Parse <c>TERM</c>, <c>SIGTERM</c>, <c>term</c> or <c>15</c>. Numbers 1–64 are accepted.</summary>
    public static bool TryParse(string text, out int signal)
    {
        signal = 0;
        var t = text.Trim();
        if (int.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            if (n is < 1 or > 64) return false;
            signal = n;
            return true;
        }
        if (t.StartsWith("SIG", StringComparison.OrdinalIgnoreCase)) t = t[3..];
        return ByName.TryGetValue(t, out signal);
    }

    /// <summary><c>SIGTERM</c> for 15; <c>SIG34</c> for an unnamed real-time signal.</summary>
    public static string Name(int signal) =>
        ByNumber.TryGetValue(signal, out var name) ? "SIG" + name : "SIG" + signal.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static IEnumerable<string> KnownNames => ByName.Keys.Order(StringComparer.Ordinal);
}
