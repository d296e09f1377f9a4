using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Taskmaster.Actors;
using Taskmaster.Actors.Scheduling;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;
using Taskmaster.Daemon.Control;
using Taskmaster.Daemon.Logging;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Daemon.Hosting;

/// <summary>
/// <c>taskmasterd -n</c>: loads the config, runs the supervision tree under Akka.Hosting with Serilog, starts the
/// autostart programs, and stays in the foreground until SIGTERM/SIGINT, when every program is stopped (in
/// parallel, each within its stoptime) before the process exits 0. SIGHUP reloads, SIGUSR2 reopens log files.
/// The ConfigActor is registered in the <see cref="ActorRegistry"/> as <c>ConfigActor</c>.
/// </summary>
public static class ForegroundDaemon
{
    public const int Ok = 0, Failed = 1, InvalidConfig = 2;

    private static readonly TimeSpan ReloadTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The daemon proper: the real process layer and the control plane.</summary>
    public static int Run(DaemonOptions options)
    {
        BoundControlSocket? control = null;
        DaemonProcesses? processes = null;
        return Run(options, new DaemonHooks
        {
            // Bound before any program starts: a live daemon on the socket stops us here.
            BeforeStart = config => control = ControlPlane.Bind(options.Socket, config.Daemon),
            Started = (system, root, exit) => control!.Start(system, root, options.PidFile, exit, processes!.Tracking),
        }, config => processes = SpawnerFactory.Create(config, control!.Path));
    }

    /// <summary>The daemon with the real process layer and <paramref name="hooks"/>.</summary>
    /// <param name="createSpawner">The real process layer, made once the config is loaded and the socket bound.</param>
    private static int Run(DaemonOptions options, DaemonHooks hooks, Func<TaskmasterConfig, DaemonProcesses> createSpawner)
    {
        // First thing: SIGCHLD back to default, fds 0-2 open, exit watcher and output pump up. Process-wide, and it
        // takes SIGCHLD away from System.Diagnostics.Process: only for the real daemon, never inside a test host.
        ProcessLayer.InitializeForDaemon();
        if (PosixSpawner.Unavailable is { } why)
        {
            Console.Error.WriteLine($"taskmasterd: cannot start programs: {why}; not started");
            return Failed;
        }
        return Run(options, createSpawner, hooks);
    }

    /// <param name="options">The command line.</param>
    /// <param name="createSpawner">The process layer; this overload does not initialise the real one.</param>
    /// <param name="hooks">What other parts of the daemon add (the control plane).</param>
    public static int Run(DaemonOptions options, Func<TaskmasterConfig, DaemonProcesses> createSpawner, DaemonHooks hooks)
    {
        // Before any program can start: the notify variables are taken out of the environment children inherit.
        using var notify = SystemdNotify.FromEnvironment();
        var load = ConfigLoader.Load(options.ConfigPath);
        if (load is not { IsValid: true, Config: { } config })
        {
            foreach (var error in load.Errors) Console.Error.WriteLine(error.ToString());
            Console.Error.WriteLine($"taskmasterd: {load.Errors.Length} error(s) in the config; not started");
            return InvalidConfig;
        }

        // Loaded now, while descriptors are plenty: out of them later, a control connection must not need any.
        Core.Protocol.ProtocolJson.Warm();

        // Whatever umask the daemon was started under (000 from a careless shell), its files and, by default, its
        // programs get the configured one.
        Tmds.Linux.LibC.umask((Tmds.Linux.mode_t)(uint)config.Daemon.Umask);

        IDisposable? beforeStart;
        try
        {
            beforeStart = hooks.BeforeStart?.Invoke(config);
        }
        catch (DaemonStartupException e)
        {
            Console.Error.WriteLine($"taskmasterd: {e.Message}");
            return Failed;
        }

        using (beforeStart)
        {
            try
            {
                Log.Logger = DaemonLogger.Create(config.Daemon, console: true, options.LogLevel);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"taskmasterd: log file: {e.Message}; not started");
                return Failed;
            }
            foreach (var warning in load.Warnings) Log.Warning("config warning: {Warning}", warning.ToString());
            try
            {
                return RunAsync(options, config, createSpawner(config), hooks, notify).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                Log.Fatal(e, "taskmasterd failed");
                return Failed;
            }
            finally
            {
                Log.CloseAndFlush();
            }
        }
    }

    private static async Task<int> RunAsync(DaemonOptions options, TaskmasterConfig config, DaemonProcesses processes,
        DaemonHooks hooks, SystemdNotify? notify)
    {
        IActorRef? root = null;
        ILoggingAdapter? log = null;
        using var signals = new DaemonSignals(
            onReload: () =>
            {
                if (root is { } r && log is { } l) _ = ReloadAsync(r, l, options.ConfigPath);
            },
            onReopenLogs: () =>
            {
                log?.Info("SIGUSR2: reopening log files");
                root?.Tell(SupervisorProtocol.ReopenLogs.Instance);
            });

        using var host = BuildHost(options, config, processes);
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        // Once the actor system runs, the daemon logs through it too, so its lines stay in order with the actors'.
        log = Akka.Event.Logging.GetLogger(system, "taskmasterd");
        root = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<ConfigActor>();
        log.Info("taskmasterd {Version} running in the foreground as pid {Pid} with {Programs} programs from {Config}",
            typeof(ForegroundDaemon).Assembly.GetName().Version?.ToString(3), Environment.ProcessId, config.Programs.Count,
            options.ConfigPath ?? DefaultPaths.ConfigDirectory);

        hooks.Started?.Invoke(system, root, () => signals.RequestShutdown("shutdown requested"));
        if (notify is not null)
        {
            log.Info("notifying the service manager on {Address}{Watchdog}", notify.Address,
                notify.Watchdog is { } w ? $" (watchdog every {w.TotalSeconds:0.###} s)" : "");
            system.ActorOf(ServiceManagerActor.Props(notify, root), "service-manager");
        }

        var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var stoppedByHost = Task.Delay(Timeout.Infinite, stopping).ContinueWith(_ => "host stop", TaskScheduler.Default);
        var why = await await Task.WhenAny(signals.ShutdownRequested, stoppedByHost);

        if (!system.WhenTerminated.IsCompleted)
        {
            log.Info("{Reason}: stopping every program", why);
            notify?.Send("STOPPING=1", "STATUS=stopping every program");
            try
            {
                await root.Ask<ShutdownComplete>(Shutdown.Instance, ShutdownTimeout(config));
                log.Info("every program is stopped; exiting");
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                log.Error("programs did not all stop in time; the actor system will kill what is left");
            }
            // The last word of the state file: nothing runs, and who was stopped by an operator.
            if (processes.StateFile is not null)
            {
                try
                {
                    var writer = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<StateFileActor>();
                    await writer.Ask<StateFileActor.Flushed>(StateFileActor.Flush.Instance, TimeSpan.FromSeconds(5));
                }
                catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
                {
                    log.Warning("the state file could not be written before exit");
                }
            }
        }
        await host.StopAsync();
        // Every instance's cgroup is empty now; what is not (a program that could not be stopped) stays, for the
        // next daemon on this socket to find.
        processes.Cgroups?.RemoveEmpty();
        return Ok;
    }

    private static IHost BuildHost(DaemonOptions options, TaskmasterConfig config, DaemonProcesses processes)
    {
        NoAppConfig.Install();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IHostLifetime, SignalOwnedLifetime>();
        var debug = DaemonLogger.ParseLevel(options.LogLevel ?? config.Daemon.LogLevel) <= Serilog.Events.LogEventLevel.Debug;
        builder.Services.AddAkka("taskmasterd", akka =>
        {
            // The daemon owns SIGTERM: Akka's own CLR/SIGTERM hook would terminate the actor system (SIGKILLing every
            // child from PostStop) before the programs are stopped gracefully.
            // Scheduler and dispatcher on threads of their own (ThreadingConfig): no timer or actor waits for the pool.
            // Nothing is serialized (LocalOnlySerializer), so Newtonsoft.Json is never loaded.
            akka.AddHocon("""
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                akka.log-dead-letters = off
                akka.log-dead-letters-during-shutdown = off
                """ + "\n" + ThreadingConfig.Hocon + "\n" + LocalOnlySerializer.Hocon, HoconAddMode.Prepend);
            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = debug ? LogLevel.DebugLevel : LogLevel.InfoLevel;
                loggers.ClearLoggers();
                loggers.AddSerilogLogging();
            });
            akka.WithActors((system, registry) =>
            {
                // The state file's writer first: it must see the first transitions of autostart.
                if (processes.StateFile is { } statePath)
                    registry.Register<StateFileActor>(system.ActorOf(
                        StateFileActor.Props(statePath, processes.Socket, config, processes.HeldStopped, processes.Cgroups), "state-file"));
                var root = system.ActorOf(
                    ConfigActor.Props(config, () => ConfigLoader.Load(options.ConfigPath), processes.Spawner, processes.HeldStopped), "config");
                registry.Register<ConfigActor>(root);
            });
        });
        return builder.Build();
    }

    private static async Task ReloadAsync(IActorRef root, ILoggingAdapter log, string? path)
    {
        log.Info("SIGHUP: reloading the config from {Config}", path ?? DefaultPaths.ConfigDirectory);
        try
        {
            var reply = await root.Ask<ReloadReply>(new Reload(DryRun: false), ReloadTimeout);
            if (reply is { Ok: true, Plan: { } plan })
                log.Info("reload applied: {Plan}", ConfigActor.Describe(plan));
            else if (reply is { Applied: true, Plan: { } late })
                // Applied, but not every instance reported reaching its state in time: the new config is running.
                log.Warning("reload applied: {Plan}; but {Problems}", ConfigActor.Describe(late),
                    string.Join("; ", reply.Errors.Select(e => e.Message)));
            else
                foreach (var error in reply.Errors) log.Error("reload rejected, the running config is kept: {Error}", error.ToString());
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            log.Warning("reload still in progress after {Timeout}", ReloadTimeout);
        }
    }

    /// <summary>Long enough for the slowest program to be SIGKILLed after its stoptime, with room to spare.</summary>
    private static TimeSpan ShutdownTimeout(TaskmasterConfig config) =>
        (config.Programs.Values.Select(p => p.StopTime).DefaultIfEmpty(TimeSpan.Zero).Max()) + TimeSpan.FromSeconds(30);
}
