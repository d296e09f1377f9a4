using RadLine;
using Spectre.Console;
using Taskmaster.Ctl.Cli;

namespace Taskmaster.Ctl.Shell;

/// <summary>
/// <c>taskmasterctl&gt; </c>: each line is parsed with the same command tree as argv. Line editing, history
/// (Up/Down, persisted) and Tab completion with RadLine on a terminal; plain <c>Console.ReadLine</c> when stdin is
/// not one. Ctrl-C clears the line (or stops a running <c>tail -f</c>); Ctrl-D on an empty line exits.
/// </summary>
public sealed class InteractiveShell(CtlContext ctx, CommandRunner runner)
{
    public const string PromptText = "taskmasterctl> ";

    private readonly ShellHistory _history = new(ShellHistory.DefaultPath());
    private CancellationTokenSource? _running;

    public async Task<int> RunAsync()
    {
        ctx.InShell = true;
        Console.CancelKeyPress += OnCancelKeyPress;
        try
        {
            var interactive = !Console.IsInputRedirected && LineEditor.IsSupported(AnsiConsole.Console);
            return interactive ? await RunEditorAsync() : await RunPlainAsync();
        }
        finally
        {
            Console.CancelKeyPress -= OnCancelKeyPress;
        }
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        // Never let Ctrl-C end the shell; it stops the command that runs, if any.
        e.Cancel = true;
        _running?.Cancel();
    }

    private async Task<int> RunPlainAsync()
    {
        var last = ExitCodes.Ok;
        while (Console.ReadLine() is { } line)
        {
            last = await ExecuteAsync(line, addToHistory: false);
            if (ctx.ExitRequested) break;
        }
        return last;
    }

    private async Task<int> RunEditorAsync()
    {
        var keys = new ShellKeys();
        var editor = new LineEditor
        {
            Prompt = new LineEditorPrompt(PromptText.TrimEnd()), // RadLine puts one space after the prompt
            Completion = new ShellCompletion(runner.Tree, () => ctx.SocketPath(null, null)),
        };
        editor.KeyBindings.Add<PreviousHistoryCommand>(ConsoleKey.UpArrow);
        editor.KeyBindings.Add<NextHistoryCommand>(ConsoleKey.DownArrow);
        editor.KeyBindings.Add(ConsoleKey.C, ConsoleModifiers.Control, () => new ShellKeys.ClearLine(keys));
        editor.KeyBindings.Add(ConsoleKey.D, ConsoleModifiers.Control, () => new ShellKeys.EndOfInput(keys));
        // RadLine adds each submitted line to its history itself; seed it with the persisted one.
        foreach (var line in _history.Load()) editor.History.Add(line);

        var last = ExitCodes.Ok;
        while (true)
        {
            keys.Reset();
            Console.TreatControlCAsInput = true;
            string? line;
            try
            {
                line = await editor.ReadLine(CancellationToken.None);
            }
            finally
            {
                Console.TreatControlCAsInput = false;
            }
            if (keys.EndOfInputPressed || line is null)
            {
                Console.Out.WriteLine();
                return last;
            }
            if (keys.ClearLinePressed) continue;
            if (line.Trim().Length == 0) continue;
            last = await ExecuteAsync(line, addToHistory: true);
            if (ctx.ExitRequested) return last;
        }
    }

    private async Task<int> ExecuteAsync(string line, bool addToHistory)
    {
        if (line.Trim().Length == 0) return ExitCodes.Ok;
        if (addToHistory) _history.Append(line.Trim());
        using var cts = new CancellationTokenSource();
        _running = cts;
        try
        {
            return await runner.RunLineAsync(line, cts.Token);
        }
        finally
        {
            _running = null;
            ctx.Out.Flush();
        }
    }
}

/// <summary>Ctrl-C and Ctrl-D inside the line editor: both end the current ReadLine and say why.</summary>
internal sealed class ShellKeys
{
    public bool ClearLinePressed { get; private set; }
    public bool EndOfInputPressed { get; private set; }

    public void Reset() => ClearLinePressed = EndOfInputPressed = false;

    public sealed class ClearLine(ShellKeys keys) : LineEditorCommand
    {
        public override void Execute(LineEditorContext context)
        {
            // Submit an empty line (RadLine keeps submitted lines in its history; a dropped line must not be).
            keys.ClearLinePressed = true;
            context.Buffer.Move(-context.Buffer.Position);
            context.Buffer.Clear(0, context.Buffer.Length);
            context.Submit(SubmitAction.Submit);
        }
    }

    public sealed class EndOfInput(ShellKeys keys) : LineEditorCommand
    {
        public override void Execute(LineEditorContext context)
        {
            if (context.Buffer.Length > 0) return; // like a shell: Ctrl-D only ends an empty line
            keys.EndOfInputPressed = true;
            context.Submit(SubmitAction.Submit);
        }
    }
}
