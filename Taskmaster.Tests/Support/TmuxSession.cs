using System.Diagnostics;

namespace Taskmaster.Tests.Support;

/// <summary>
/// A program in a real terminal: a detached tmux session of a fixed size on a private tmux server, read with
/// <c>capture-pane -p</c> and driven with <c>send-keys</c>. Disposing kills the server and everything in it.
/// Each instance has its own server, on a socket in the temporary directory (not /tmp/tmux-UID), started with
/// <c>-f /dev/null</c> (no user config). A server exits when its last session ends, so a program started after
/// another one ended gets a new <see cref="TmuxSession"/>: reusing the dying server raced with its exit.
/// </summary>
public sealed class TmuxSession : IDisposable
{
    private readonly string _socket = Path.Combine(Path.GetTempPath(), $"tm-tmux-{Guid.NewGuid():N}.sock");

    public string Name { get; }

    public static bool Available => File.Exists("/usr/bin/tmux");

    public TmuxSession(string name = "main") => Name = name;

    /// <summary>Start <paramref name="argv"/> (quoted for the shell tmux runs it with) in a new session.</summary>
    public void Start(IEnumerable<string> argv, int width = 120, int height = 40, string? after = null)
    {
        var command = string.Join(' ', argv.Select(Quote));
        if (after is not null) command += "; " + after;
        Must("new-session", "-d", "-s", Name, "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture), command);
    }

    private (int ExitCode, string Stdout, string Stderr) Exec(params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-S", _socket, "-f", "/dev/null" }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }

    /// <summary>A tmux command whose failure fails the test with tmux's own message.</summary>
    public string Must(params string[] args)
    {
        var (code, stdout, stderr) = Exec(args);
        Assert.True(code == 0, $"tmux {string.Join(' ', args)} failed ({code}): {stderr}");
        return stdout;
    }

    public void SendKeys(params string[] keys) => Must(["send-keys", "-t", Name, .. keys]);

    /// <summary>The visible screen, or a note saying why there is none.</summary>
    public string Screen()
    {
        var (code, stdout, stderr) = Exec("capture-pane", "-p", "-t", Name);
        return code == 0 ? stdout : $"(no pane: {stderr.Trim()})";
    }

    /// <summary>Whether the session still exists (its program has not exited).</summary>
    public bool IsRunning => Exec("has-session", "-t", Name).ExitCode == 0;

    public async Task<string> WaitForScreenAsync(Func<string, bool> condition, string what, TimeSpan? within = null)
    {
        var last = "";
        if (!await Eventually.TrueAsync(() => condition(last = Screen()), within ?? TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100)))
            Assert.Fail($"timed out waiting for {what}; screen:\n{last}");
        return last;
    }

    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    public void Dispose()
    {
        Exec("kill-server");
        try { File.Delete(_socket); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
