using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Control;

/// <summary>The interactive shell in a real terminal (tmux): prompt, completion of a name, history recall, Ctrl-C, Ctrl-D.</summary>
public class ShellPtyTests : ListenerTestBase
{
    private static Task WaitForPrompt(TmuxSession tmux, string line, string what) =>
        tmux.WaitForScreenAsync(s => s.TrimEnd().EndsWith("taskmasterctl>" + (line.Length > 0 ? " " + line : ""), StringComparison.Ordinal), what);

    [Fact]
    public async Task Shell_completes_names_recalls_history_and_exits_on_ctrl_d()
    {
        if (!TmuxSession.Available) Assert.Skip("tmux is not installed");
        StartListener();
        new CannedSupervisor().Install(Supervisor);
        var home = Directory.CreateDirectory(Dir.File("home")).FullName;
        var (file, prefix) = Binaries.Ctl;
        string[] argv = ["env", $"HOME={home}", "TERM=xterm-256color", file, .. prefix, "-s", SocketPath];

        // One tmux server per shell: a server exits with its last session, so the second shell gets its own.
        using (var tmux = new TmuxSession("shell"))
        {
            tmux.Start(argv);
            await tmux.WaitForScreenAsync(s => s.Contains("taskmasterctl>"), "the prompt");

            // Completion of a program name fetched from the daemon: "status w<Tab>" becomes "status web".
            tmux.SendKeys("status w", "Tab");
            await tmux.WaitForScreenAsync(s => s.Contains("taskmasterctl> status web"), "completion of web");
            tmux.SendKeys("Enter");
            await tmux.WaitForScreenAsync(s => s.Contains("web:1") && s.Contains("FATAL"), "the status of web");

            // Ctrl-C drops the line without running it. Each key is sent once the screen shows the one before, so
            // the prompt waited for is the one after Ctrl-C, not the one already there.
            tmux.SendKeys("bogus-command");
            await WaitForPrompt(tmux, "bogus-command", "the typed line");
            tmux.SendKeys("C-c");
            await WaitForPrompt(tmux, "", "a fresh prompt after Ctrl-C");
            Assert.DoesNotContain("Unrecognized command", tmux.Screen());

            // Up recalls the last command.
            tmux.SendKeys("clear-me");
            await WaitForPrompt(tmux, "clear-me", "the typed line");
            tmux.SendKeys("C-c");
            await WaitForPrompt(tmux, "", "a fresh prompt");
            tmux.SendKeys("Up");
            await WaitForPrompt(tmux, "status web", "history recall");
            tmux.SendKeys("C-c");
            await WaitForPrompt(tmux, "", "a fresh prompt");

            tmux.SendKeys("C-d");
            await Eventually.HoldsAsync(() => !tmux.IsRunning, "the shell exits on Ctrl-D");
        }

        var history = File.ReadAllLines(Path.Combine(home, ".taskmasterctl_history"));
        Assert.Equal(["status web"], history);

        // A new shell recalls the persisted history.
        using (var tmux = new TmuxSession("shell"))
        {
            tmux.Start(argv);
            await tmux.WaitForScreenAsync(s => s.Contains("taskmasterctl>"), "the prompt of a second shell");
            tmux.SendKeys("Up");
            await WaitForPrompt(tmux, "status web", "persisted history recall");
            tmux.SendKeys("C-c");
            await WaitForPrompt(tmux, "", "a fresh prompt");
            tmux.SendKeys("C-d");
            await Eventually.HoldsAsync(() => !tmux.IsRunning, "the second shell exits");
        }
    }
}
