using System.Diagnostics;

namespace Taskmaster.Tests.Support;

/// <summary>
/// A program in a real terminal: a detached tmux session of a fixed size on a private tmux server, read with
/// <c>capture-pane -p</c> and driven with <c>send-keys</c>. Disposing kills the server and everything in it.
/// </summary>
public sealed class TmuxSession : IDisposable
{
    private readonly string _server = $"tm-test-{Guid.NewGuid():N}";

    public string Name { get; }

    public static bool Available => File.Exists("/usr/bin/tmux");

    public TmuxSession(string name = "main") => Name = name;

    /// <summary>Start <paramref name="argv"/> (quoted for the shell tmux runs it with) in a new session.</summary>
    public void Start(IEnumerable<string> argv, int width = 120, int height = 40, string? after = null)
    {
        var command = string.Join(' ', argv.Select(Quote));
        if (after is not null) command += "; " + after;
        Run("new-session", "-d", "-s", Name, "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture), command);
    }

    public string Run(params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-L");
        psi.ArgumentList.Add(_server);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    public void SendKeys(params string[] keys) => Run(["send-keys", "-t", Name, .. keys]);

    public string Screen() => Run("capture-pane", "-p", "-t", Name);

    /// <summary>Whether the session still exists (its program has not exited).</summary>
    public bool IsRunning => Run("list-sessions").Contains(Name + ":", StringComparison.Ordinal);

    public async Task<string> WaitForScreenAsync(Func<string, bool> condition, string what, TimeSpan? within = null)
    {
        var last = "";
        if (!await Eventually.TrueAsync(() => condition(last = Screen()), within ?? TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100)))
            Assert.Fail($"timed out waiting for {what}; screen:\n{last}");
        return last;
    }

    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    public void Dispose() => Run("kill-server");
}
