using System.Globalization;
using System.Text;
using Taskmaster.Core.Protocol;

namespace Taskmaster.Ctl.Cli;

/// <summary>The human form of <c>status</c>: one line per instance: name, state, pid and uptime or the exit reason.</summary>
public static class StatusFormatter
{
    public static string Format(IReadOnlyList<InstanceInfo> instances, DateTimeOffset now)
    {
        if (instances.Count == 0) return "";
        var width = Math.Max(16, instances.Max(i => i.Name.Length) + 2);
        var sb = new StringBuilder();
        foreach (var i in instances)
            sb.Append(i.Name.PadRight(width)).Append(i.State.PadRight(10)).Append(Describe(i, now).TrimEnd()).Append('\n');
        return sb.ToString();
    }

    /// <summary>Said of a process stopped by a signal, after its pid.</summary>
    public const string SuspendedText = "stopped by a signal (SIGCONT resumes it)";

    public static string Describe(InstanceInfo i, DateTimeOffset now)
    {
        if (i.Suspended == true && i.Pid is { } stopped)
            return $"pid {stopped}, {SuspendedText}";
        if (i.State == "RUNNING" && i.Pid is { } pid)
            return $"pid {pid}, uptime {Uptime(now - DateTimeOffset.FromUnixTimeMilliseconds(i.StateSince))}";
        // STARTING and STOPPING have a process too: show it with what is happening to it.
        if (i.Pid is { } p) return i.Description.Length > 0 ? $"pid {p}, {i.Description}" : $"pid {p}";
        return Reason(i.Description, i.ExitSignal, i.ExitCode);
    }

    /// <summary>What happened to an instance without a process: its description, else how it last ended.</summary>
    public static string Reason(string description, int? exitSignal, int? exitCode)
    {
        if (description.Length > 0) return description;
        if (exitSignal is { } sig) return $"terminated by {Core.Processes.Signals.Name(sig)}";
        if (exitCode is { } code) return $"exit status {code}";
        return "";
    }

    public static string Uptime(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        var text = string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}");
        return t.TotalDays >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalDays} days, {t.Hours}:{t.Minutes:00}:{t.Seconds:00}")
            : text;
    }
}
