using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Control;

/// <summary>The interactive shell in a real terminal (tmux): prompt, completion of a name, history recall, Ctrl-C, Ctrl-D.</summary>
public class ShellPtyTests : ListenerTestBase
{
    private readonly TmuxSession _tmux = new("shell");

    private string Tmux(params string[] args) => _tmux.Run(args);

    private Task WaitForScreen(Func<string, bool> condition, string what) => _tmux.WaitForScreenAsync(condition, what);

    private string Screen() => _tmux.Screen();

    private static string Quote(string s) => TmuxSession.Quote(s);

    [Fact]
    public async Task Shell_completes_names_recalls_history_and_exits_on_ctrl_d()
    {
        if (!TmuxSession.Available) Assert.Skip("tmux is not installed");
        StartListener();
        new CannedSupervisor().Install(Supervisor);
        var home = Directory.CreateDirectory(Dir.File("home")).FullName;
        var (file, prefix) = Binaries.Ctl;
        var command = string.Join(' ', new[] { "env", $"HOME={home}", "TERM=xterm-256color", file }.Concat(prefix)
            .Concat(["-s", SocketPath]).Select(Quote));
        try
        {
            Tmux("new-session", "-d", "-s", "shell", "-x", "120", "-y", "40", command);
            await WaitForScreen(s => s.Contains("taskmasterctl>"), "the prompt");

            // Completion of a program name fetched from the daemon: "status w<Tab>" becomes "status web".
            Tmux("send-keys", "-t", "shell", "status w", "Tab");
            await WaitForScreen(s => s.Contains("taskmasterctl> status web"), "completion of web");
            Tmux("send-keys", "-t", "shell", "Enter");
            await WaitForScreen(s => s.Contains("web:1") && s.Contains("FATAL"), "the status of web");

            // Ctrl-C drops the line without running it.
            Tmux("send-keys", "-t", "shell", "bogus-command", "C-c");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl>", StringComparison.Ordinal), "a fresh prompt after Ctrl-C");
            Assert.DoesNotContain("Unrecognized command", Screen());

            // Up recalls the last command.
            Tmux("send-keys", "-t", "shell", "clear-me", "C-c");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl>", StringComparison.Ordinal), "a fresh prompt");
            Tmux("send-keys", "-t", "shell", "Up");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl> status web", StringComparison.Ordinal), "history recall");
            Tmux("send-keys", "-t", "shell", "C-c");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl>", StringComparison.Ordinal), "a fresh prompt");

            Tmux("send-keys", "-t", "shell", "C-d");
            await Support.Eventually.HoldsAsync(() => !Tmux("list-sessions").Contains("shell"), "the shell exits on Ctrl-D");

            var history = File.ReadAllLines(Path.Combine(home, ".taskmasterctl_history"));
            Assert.Equal(["status web"], history);

            // A new shell recalls the persisted history.
            Tmux("new-session", "-d", "-s", "shell", "-x", "120", "-y", "40", command);
            await WaitForScreen(s => s.Contains("taskmasterctl>"), "the prompt of a second shell");
            Tmux("send-keys", "-t", "shell", "Up");
            await WaitForScreen(s => s.TrimEnd().EndsWith("taskmasterctl> status web", StringComparison.Ordinal), "persisted history recall");
            Tmux("send-keys", "-t", "shell", "C-c", "C-d");
            await Support.Eventually.HoldsAsync(() => !Tmux("list-sessions").Contains("shell"), "the second shell exits");
        }
        finally
        {
            _tmux.Dispose();
        }
    }
}
