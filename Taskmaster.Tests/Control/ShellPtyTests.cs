using System.Diagnostics;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Control;

/// <summary>The interactive shell in a real terminal (tmux): prompt, completion of a name, history recall, Ctrl-C, Ctrl-D.</summary>
public class ShellPtyTests : ListenerTestBase
{
    /// <summary>
    /// One tmux server per shell, each on a socket inside the test's temporary directory (removed with it). A
    /// server exits when its last session ends; reusing it for the second shell raced with that exit (the
    /// new-session went to the dying server and the pane never appeared). <c>-f /dev/null</c>: no user config.
    /// </summary>
    private string _tmuxSocket = "";

    private readonly List<string> _tmuxSockets = [];

    private void NewTmuxServer()
    {
        _tmuxSocket = Dir.File($"tmux-{_tmuxSockets.Count}.sock");
        _tmuxSockets.Add(_tmuxSocket);
    }

    private (int ExitCode, string Stdout, string Stderr) RunTmux(string socket, params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-S", socket, "-f", "/dev/null" }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }

    /// <summary>A tmux command that must succeed (new-session, send-keys).</summary>
    private void Tmux(params string[] args)
    {
        var (code, _, stderr) = RunTmux(_tmuxSocket, args);
        Assert.True(code == 0, $"tmux {string.Join(' ', args)} failed ({code}): {stderr}");
    }

    private bool SessionExists() => RunTmux(_tmuxSocket, "has-session", "-t", "shell").ExitCode == 0;

    private string Screen()
    {
        var (code, stdout, stderr) = RunTmux(_tmuxSocket, "capture-pane", "-p", "-t", "shell");
        return code == 0 ? stdout : $"(no pane: {stderr.Trim()})";
    }

    private async Task WaitForScreen(Func<string, bool> condition, string what)
    {
        string last = "";
        if (!await Eventually.TrueAsync(() => condition(last = Screen()), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100)))
            Assert.Fail($"timed out waiting for {what}; screen:\n{last}");
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    [Fact]
    public async Task Shell_completes_names_recalls_history_and_exits_on_ctrl_d()
    {
        if (!File.Exists("/usr/bin/tmux")) Assert.Skip("tmux is not installed");
        StartListener();
        new CannedSupervisor().Install(Supervisor);
        var home = Directory.CreateDirectory(Dir.File("home")).FullName;
        var (file, prefix) = Binaries.Ctl;
        var command = string.Join(' ', new[] { "env", $"HOME={home}", "TERM=xterm-256color", file }.Concat(prefix)
            .Concat(["-s", SocketPath]).Select(Quote));
        try
        {
            NewTmuxServer();
            Tmux("new-session", "-d", "-s", "shell", "-x", "120", "-y", "40", command);
            await WaitForScreen(s => s.Contains("taskmasterctl>"), "the prompt");

            // Completion of a program name fetched from the daemon: "status w<Tab>" becomes "status web".
            Tmux("send-keys", "-t", "shell", "status w", "Tab");
            await WaitForScreen(s => s.Contains("taskmasterctl> status web"), "completion of web");
            Tmux("send-keys", "-t", "shell", "Enter");
            await WaitForScreen(s => s.Contains("web:1") && s.Contains("FATAL"), "the status of web");

            // Ctrl-C drops the line without running it. Each key is sent once the screen shows the one before, so
            // the prompt that is waited for is the one after Ctrl-C, not the one already there.
            Tmux("send-keys", "-t", "shell", "bogus-command");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl> bogus-command", StringComparison.Ordinal), "the typed line");
            Tmux("send-keys", "-t", "shell", "C-c");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl>", StringComparison.Ordinal), "a fresh prompt after Ctrl-C");
            Assert.DoesNotContain("Unrecognized command", Screen());

            // Up recalls the last command.
            Tmux("send-keys", "-t", "shell", "clear-me");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl> clear-me", StringComparison.Ordinal), "the typed line");
            Tmux("send-keys", "-t", "shell", "C-c");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl>", StringComparison.Ordinal), "a fresh prompt");
            Tmux("send-keys", "-t", "shell", "Up");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl> status web", StringComparison.Ordinal), "history recall");
            Tmux("send-keys", "-t", "shell", "C-c");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl>", StringComparison.Ordinal), "a fresh prompt");

            Tmux("send-keys", "-t", "shell", "C-d");
            await Eventually.HoldsAsync(() => !SessionExists(), "the shell exits on Ctrl-D");

            var history = File.ReadAllLines(Path.Combine(home, ".taskmasterctl_history"));
            Assert.Equal(["status web"], history);

            // A new shell recalls the persisted history.
            NewTmuxServer();
            Tmux("new-session", "-d", "-s", "shell", "-x", "120", "-y", "40", command);
            await WaitForScreen(s => s.Contains("taskmasterctl>"), "the prompt of a second shell");
            Tmux("send-keys", "-t", "shell", "Up");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl> status web", StringComparison.Ordinal), "persisted history recall");
            Tmux("send-keys", "-t", "shell", "C-c", "C-d");
            await Eventually.HoldsAsync(() => !SessionExists(), "the second shell exits");
        }
        finally
        {
            foreach (var socket in _tmuxSockets) RunTmux(socket, "kill-server");
        }
    }
}
