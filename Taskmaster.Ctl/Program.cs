using Taskmaster.Ctl.Cli;
using Taskmaster.Ctl.Shell;

namespace Taskmaster.Ctl;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var ctx = new CtlContext(Console.Out, Console.Error);
        var runner = new CommandRunner(ctx);
        var parse = runner.Tree.Root.Parse(args);
        if (parse.Errors.Count == 0 && parse.CommandResult.Command == runner.Tree.Root && !args.Any(IsHelpOrVersion))
        {
            ctx.SocketOption = parse.GetValue(runner.Tree.Socket);
            ctx.ConfigOption = parse.GetValue(runner.Tree.Config);
            return await new InteractiveShell(ctx, runner).RunAsync();
        }

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        return await runner.RunAsync(parse, cts.Token);
    }

    private static bool IsHelpOrVersion(string arg) => arg is "-h" or "--help" or "-?" or "--version";
}
