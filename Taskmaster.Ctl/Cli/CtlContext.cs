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

    /// <summary>The exit status for the last <see cref="RequestAsync"/> that returned null.</summary>
    public int LastFailure { get; private set; } = ExitCodes.Failed;

    /// <summary>Send one request; unreachable daemon and protocol failures are reported here (exit 1; 4 for a
    /// server that is not root or our own user).</summary>
    public async Task<Response?> RequestAsync(string socketPath, Request request, CancellationToken cancellationToken)
    {
        LastFailure = ExitCodes.Failed;
        try
        {
            return await ControlClient.RequestAsync(socketPath, request, cancellationToken);
        }
        catch (DaemonUnreachableException e)
        {
            Err.WriteLine($"taskmasterctl: {e.Message}");
            if (e is UntrustedDaemonException) LastFailure = ExitCodes.UntrustedDaemon;
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
        if (error.Code == ErrorCodes.Forbidden)
        {
            // The daemon says only "forbidden"; who we are is ours to tell.
            Err.WriteLine($"ERROR (permission denied: the daemon does not serve uid {(uint)Tmds.Linux.LibC.geteuid()})");
            return ExitCodes.Failed;
        }
        Err.WriteLine($"ERROR ({error.Message})");
        return ExitCodes.Failed;
    }
}
