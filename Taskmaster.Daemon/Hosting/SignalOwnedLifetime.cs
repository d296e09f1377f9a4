using Microsoft.Extensions.Hosting;

namespace Taskmaster.Daemon.Hosting;

/// <summary>
/// A host lifetime that does nothing: the daemon owns SIGTERM/SIGINT/SIGHUP itself (see <see cref="DaemonSignals"/>),
/// so the host's ConsoleLifetime must not stop the application on Ctrl-C before every program is stopped.
/// </summary>
internal sealed class SignalOwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
