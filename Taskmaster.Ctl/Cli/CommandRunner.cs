using System.CommandLine;

namespace Taskmaster.Ctl.Cli;

/// <summary>Parses argv or a shell line with the one command tree and runs it with DESIGN §6's exit codes.</summary>
public sealed class CommandRunner(CtlContext ctx)
{
    public CommandTree Tree { get; } = new(ctx);

    private InvocationConfiguration Invocation => new()
    {
        Output = ctx.Out,
        Error = ctx.Err,
        // We handle Ctrl-C ourselves: in the shell it must not end the process.
        ProcessTerminationTimeout = null,
    };

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        RunAsync(Tree.Root.Parse(args), cancellationToken);

    public Task<int> RunLineAsync(string line, CancellationToken cancellationToken) =>
        RunAsync(Tree.Root.Parse(line), cancellationToken);

    public async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (parse.Errors.Count > 0)
        {
            var command = parse.CommandResult.Command;
            foreach (var error in parse.Errors)
                ctx.Err.WriteLine(command == Tree.Root ? $"taskmasterctl: {error.Message}" : $"{command.Name}: {error.Message}");
            ctx.Err.WriteLine(ctx.InShell
                ? $"Try: help {(command == Tree.Root ? "" : command.Name)}".TrimEnd()
                : $"Try: taskmasterctl help {(command == Tree.Root ? "" : command.Name)}".TrimEnd());
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(Invocation, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Interrupted;
        }
    }
}
