using System.CommandLine;
using Taskmaster.Core.Processes;
using Taskmaster.Core.Protocol;

namespace Taskmaster.Ctl.Cli;

/// <summary>What each command does: build the request, send it, print the result, choose the exit status.</summary>
internal sealed class CommandHandlers(CtlContext ctx, CommandTree tree)
{
    /// <summary>Why the last <see cref="Send"/> returned null: a bad <c>-c</c> is a usage error, no daemon a failure.</summary>
    private int _failure = ExitCodes.Failed;

    private string? SocketFor(ParseResult parse)
    {
        _failure = ExitCodes.Failed;
        try
        {
            return ctx.SocketPath(parse.GetValue(tree.Socket), parse.GetValue(tree.Config));
        }
        catch (ConfigReadException e)
        {
            ctx.Err.WriteLine($"taskmasterctl: {e.Message}");
            _failure = ExitCodes.Usage;
            return null;
        }
    }

    private async Task<Response?> Send(ParseResult parse, Request request, CancellationToken ct)
    {
        if (SocketFor(parse) is not { } socket) return null;
        var response = await ctx.RequestAsync(socket, request, ct);
        if (response is null) _failure = ctx.LastFailure;
        return response;
    }

    public async Task<int> Status(ParseResult parse, string[] names, bool json, CancellationToken ct)
    {
        var response = await Send(parse, Request.For(Commands.Status, names), ct);
        if (response is null) return _failure;
        if (!response.Ok) return ctx.ReportError(response.Error!);
        var instances = response.Instances ?? [];
        ctx.Out.Write(json ? ProtocolJson.SerializeStatus(instances) + "\n" : StatusFormatter.Format(instances, DateTimeOffset.UtcNow));
        return instances.All(i => i.IsRunning) ? ExitCodes.Ok : ExitCodes.NotRunning;
    }

    public async Task<int> Control(ParseResult parse, string verb, string[] names, CancellationToken ct)
    {
        var response = await Send(parse, Request.For(verb, names), ct);
        return PrintOutcomes(response);
    }

    private int PrintOutcomes(Response? response)
    {
        if (response is null) return _failure;
        if (!response.Ok) return ctx.ReportError(response.Error!);
        var outcomes = response.Outcomes ?? [];
        foreach (var o in outcomes) (o.Ok ? ctx.Out : ctx.Err).WriteLine(o.ToString());
        return outcomes.All(o => o.Ok) ? ExitCodes.Ok : ExitCodes.Failed;
    }

    public async Task<int> Signal(ParseResult parse, string signal, string[] names, CancellationToken ct)
    {
        Signals.TryParse(signal, out var number); // validated by the parser
        var response = await Send(parse, new Request { Command = Commands.Signal, Targets = names, Signal = number }, ct);
        return PrintOutcomes(response);
    }

    public async Task<int> Reload(ParseResult parse, bool dryRun, CancellationToken ct)
    {
        var response = await Send(parse, new Request { Command = Commands.Reload, DryRun = dryRun }, ct);
        if (response is null) return _failure;
        if (!response.Ok) return ctx.ReportError(response.Error!);
        ctx.Out.Write(PlanFormatter.Format(response.Plan!, response.Applied == true));
        // What happened to each instance the applied plan touched; a failed start fails the reload.
        var outcomes = response.Outcomes ?? [];
        foreach (var o in outcomes) (o.Ok ? ctx.Out : ctx.Err).WriteLine(o.ToString());
        return outcomes.All(o => o.Ok) ? ExitCodes.Ok : ExitCodes.Failed;
    }

    public async Task<int> Shutdown(ParseResult parse, CancellationToken ct)
    {
        var response = await Send(parse, Request.For(Commands.Shutdown), ct);
        if (response is null) return _failure;
        if (!response.Ok) return ctx.ReportError(response.Error!);
        ctx.Out.WriteLine("taskmasterd: every program stopped; shutting down");
        return ExitCodes.Ok;
    }

    public async Task<int> Pid(ParseResult parse, string? name, CancellationToken ct)
    {
        var response = await Send(parse, Request.For(Commands.Pid, name is null ? null : [name]), ct);
        if (response is null) return _failure;
        if (!response.Ok) return ctx.ReportError(response.Error!);
        if (name is null || response.Instances is not { Count: > 1 })
        {
            if (response.Pid is { } pid)
            {
                ctx.Out.WriteLine(pid);
                return ExitCodes.Ok;
            }
            ctx.Err.WriteLine($"ERROR ({name}: no process, state {response.Instances?.FirstOrDefault()?.State ?? "unknown"})");
            return ExitCodes.Failed;
        }
        var code = ExitCodes.Ok;
        foreach (var i in response.Instances)
        {
            if (i.Pid is { } p) ctx.Out.WriteLine($"{i.Name} {p}");
            else
            {
                ctx.Err.WriteLine($"ERROR ({i.Name}: no process, state {i.State})");
                code = ExitCodes.Failed;
            }
        }
        return code;
    }

    public async Task<int> Tail(ParseResult parse, string name, string stream, int bytes, bool follow, CancellationToken ct)
    {
        if (SocketFor(parse) is not { } socket) return _failure;
        ControlClient client;
        try
        {
            client = await ControlClient.ConnectAsync(socket, ct);
        }
        catch (DaemonUnreachableException e)
        {
            ctx.Err.WriteLine($"taskmasterctl: {e.Message}");
            return e is UntrustedDaemonException ? ExitCodes.UntrustedDaemon : ExitCodes.Failed;
        }
        using (client)
        {
            try
            {
                var response = await client.SendAsync(
                    new Request { Command = Commands.Tail, Targets = [name], Stream = stream, Bytes = bytes, Follow = follow ? true : null }, ct);
                if (!response.Ok) return ctx.ReportError(response.Error!);
                ctx.Out.Write(response.Text);
                ctx.Out.Flush();
                if (!follow) return ExitCodes.Ok;
                await foreach (var e in client.ReadEventsAsync(ct))
                {
                    if (e.Kind != StreamEvent.Kinds.Log) continue;
                    ctx.Out.Write(e.Data);
                    ctx.Out.Flush();
                }
                ctx.Err.WriteLine("tail: the daemon closed the connection");
                return ExitCodes.Failed;
            }
            catch (OperationCanceledException) when (follow)
            {
                return ExitCodes.Ok; // Ctrl-C ends a follow
            }
            catch (ProtocolException e)
            {
                ctx.Err.WriteLine($"taskmasterctl: {e.Message}");
                return ExitCodes.Failed;
            }
        }
    }

    public int Dashboard(ParseResult parse)
    {
        if (SocketFor(parse) is not { } socket) return _failure;
        if (Console.IsOutputRedirected || Console.IsInputRedirected)
        {
            ctx.Err.WriteLine("dashboard: needs a terminal (use status or tail -f instead)");
            return ExitCodes.Usage;
        }
        // Fail like every other command when there is no daemon; once running, the dashboard reconnects by itself.
        if (!Ctl.Dashboard.DashboardApp.Reachable(socket, out var problem, out var untrusted))
        {
            ctx.Err.WriteLine($"taskmasterctl: {problem}");
            return untrusted ? ExitCodes.UntrustedDaemon : ExitCodes.Failed;
        }
        return Ctl.Dashboard.DashboardApp.Run(socket);
    }

    public int Help(string? topic)
    {
        if (topic is null)
        {
            ctx.Out.WriteLine(ctx.InShell
                ? "Commands (help COMMAND for details; exit or quit leaves the shell):"
                : "Usage: taskmasterctl [-s SOCKET | -c CONFIG] [COMMAND [ARGS]]\nWithout a command: an interactive shell.\n\nCommands (taskmasterctl help COMMAND for details):");
            foreach (var c in tree.Root.Subcommands.OrderBy(c => c.Name, StringComparer.Ordinal))
                ctx.Out.WriteLine($"  {c.Name,-10} {c.Description}");
            return ExitCodes.Ok;
        }
        if (tree.Root.Subcommands.All(c => c.Name != topic && !c.Aliases.Contains(topic)))
        {
            ctx.Err.WriteLine($"help: no such command: {topic}");
            return ExitCodes.Usage;
        }
        return tree.Root.Parse([topic, "--help"]).Invoke(new InvocationConfiguration { Output = ctx.Out, Error = ctx.Err });
    }

    public async Task<int> Version(ParseResult parse, CancellationToken ct)
    {
        ctx.Out.WriteLine($"taskmasterctl {CtlVersion} (protocol {WireProtocol.Version})");
        var response = await Send(parse, Request.For(Commands.Version), ct);
        if (response is null) return _failure;
        if (!response.Ok) return ctx.ReportError(response.Error!);
        ctx.Out.WriteLine($"taskmasterd {response.DaemonVersion}");
        if (response.ProcessTracking is { } tracking) ctx.Out.WriteLine($"process tracking: {tracking}");
        return ExitCodes.Ok;
    }

    public static string CtlVersion => typeof(CommandHandlers).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public int Exit()
    {
        if (!ctx.InShell)
        {
            ctx.Err.WriteLine("exit: only in the interactive shell");
            return ExitCodes.Usage;
        }
        ctx.ExitRequested = true;
        return ExitCodes.Ok;
    }
}
