using System.Runtime.InteropServices;
using Taskmaster.Core.Processes;

namespace Taskmaster.Daemon.Hosting;

/// <summary>
/// The daemon's signal handling (DESIGN §6): SIGTERM and SIGINT ask for a graceful shutdown (the runtime's default
/// exit is cancelled), SIGHUP reloads, SIGUSR2 reopens log files. Handlers only hand the event on; the work is done
/// by the supervisor. Registered before the actor system starts so that no signal falls to the default action.
/// </summary>
internal sealed class DaemonSignals : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly TaskCompletionSource<string> _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DaemonSignals(Action onReload, Action onReopenLogs)
    {
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Stop(c, "SIGTERM")));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Stop(c, "SIGINT")));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
        {
            c.Cancel = true;
            onReload();
        }));
        _registrations.Add(PosixSignalRegistration.Create((PosixSignal)Signals.SIGUSR2, c =>
        {
            c.Cancel = true;
            onReopenLogs();
        }));
    }

    /// <summary>Completes with the signal's name once SIGTERM or SIGINT arrived.</summary>
    public Task<string> ShutdownRequested => _shutdown.Task;

    /// <summary>Ask for the same graceful shutdown as SIGTERM (e.g. a <c>shutdown</c> request on the socket).</summary>
    public void RequestShutdown(string reason) => _shutdown.TrySetResult(reason);

    private void Stop(PosixSignalContext context, string name)
    {
        context.Cancel = true;
        RequestShutdown(name);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}
