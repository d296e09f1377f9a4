using Taskmaster.Core.Protocol;

namespace Taskmaster.Ctl.Cli;

/// <summary>What every command needs: where the daemon is, where output goes, and whether we are in the shell.</summary>
public sealed class CtlContext(TextWriter output, TextWriter error)
{
    public TextWriter Out { get; } = output;
    public TextWriter Err { get; } = error;

    /// <summary>Set by the shell: <c>exit</c>/<c>quit</c> are allowed and end it.</summary>
    public bool InShell { get; set; }

    /// <summary>Set by <c>exit</c>/<c>quit</c> in the shell.</summary>
    public bool ExitRequested { get; set; }

    /// <summary>The socket and config given on the command line that started the shell (lines may override).</summary>
    public string? SocketOption { get; set; }
    public string? ConfigOption { get; set; }

    public string SocketPath(string? socketOption, string? configOption) =>
        SocketPathResolver.Resolve(socketOption ?? SocketOption, configOption ?? ConfigOption);

    /// <summary>Send one request; unreachable daemon and protocol failures are reported here (exit 1).</summary>
    public async Task<Response?> RequestAsync(string socketPath, Request request, CancellationToken cancellationToken)
    {
        try
        {
            return await ControlClient.RequestAsync(socketPath, request, cancellationToken);
        }
        catch (DaemonUnreachableException e)
        {
            Err.WriteLine($"taskmasterctl: {e.Message}");
        }
        catch (ProtocolException e)
        {
            Err.WriteLine($"taskmasterctl: {e.Message}");
        }
        return null;
    }

    /// <summary>Print a daemon error the way DESIGN §6 shows them and return exit 1.</summary>
    public int ReportError(ErrorInfo error)
    {
        if (error is { Code: ErrorCodes.NoSuchProcess, Names.Count: > 0 })
        {
            foreach (var name in error.Names!) Err.WriteLine($"ERROR (no such process: {name})");
            return ExitCodes.Failed;
        }
        Err.WriteLine($"ERROR ({error.Message})");
        return ExitCodes.Failed;
    }
}
