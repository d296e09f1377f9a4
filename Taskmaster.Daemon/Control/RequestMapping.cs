using System.Collections.Immutable;
using Taskmaster.Actors;
using Taskmaster.Core.Protocol;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Daemon.Control;

/// <summary>
/// The one place where protocol records become ConfigActor messages and replies become protocol records.
/// </summary>
public static class RequestMapping
{
    /// <summary>Targets as the supervisor expects them: <c>all</c> and no targets both mean everything.</summary>
    public static ImmutableArray<string> Targets(Request request) =>
        request.Targets is null || request.Targets.Any(t => t == "all") ? [] : [.. request.Targets.Distinct()];

    /// <summary>The message for the ConfigActor, or an error response when the request is not valid.</summary>
    public static (object? Message, Response? Error) ToMessage(Request request) => request.Command switch
    {
        Commands.Status or Commands.Subscribe => (new GetStatus(Targets(request)), null),
        Commands.Start => NeedTargets(request) ?? (new StartTargets(Targets(request)), null),
        Commands.Stop => NeedTargets(request) ?? (new StopTargets(Targets(request)), null),
        Commands.Restart => NeedTargets(request) ?? (new RestartTargets(Targets(request)), null),
        Commands.Signal when request.Signal is not (>= 1 and <= 64) =>
            (null, Response.Failure(ErrorCodes.BadRequest, "signal: a signal number 1-64 is required")),
        Commands.Signal => NeedTargets(request) ?? (new SignalTargets(request.Signal!.Value, Targets(request)), null),
        Commands.Reload => (new Reload(request.DryRun ?? false), null),
        Commands.Shutdown => (Shutdown.Instance, null),
        Commands.Pid or Commands.Tail when request.Targets is not { Count: 1 } =>
            (null, Response.Failure(ErrorCodes.BadRequest, $"{request.Command}: exactly one name is required")),
        Commands.Pid or Commands.Tail => (new GetStatus([request.Targets[0]]), null),
        _ => (null, Response.Failure(ErrorCodes.UnknownCommand, $"unknown command: {request.Command}")),
    };

    private static (object?, Response?)? NeedTargets(Request request) =>
        request.Targets is { Count: > 0 }
            ? null
            : (null, Response.Failure(ErrorCodes.BadRequest, $"{request.Command}: at least one name (or all) is required"));

    /// <summary>True for requests that wait for processes to start or stop (longer Ask timeout).</summary>
    public static bool IsLongRunning(Request request) =>
        request.Command is Commands.Start or Commands.Stop or Commands.Restart or Commands.Reload or Commands.Shutdown;

    /// <summary>The response to a ConfigActor reply (for status-like commands the caller post-processes it).</summary>
    public static Response ToResponse(object reply) => reply switch
    {
        StatusReply s => new Response { Ok = true, Instances = [.. s.Instances.Select(InstanceInfo.From)] },
        UnknownTargets u => NoSuchProcess(u.Names),
        CommandReply c => new Response
        {
            Ok = true,
            Outcomes = [.. c.Outcomes.Select(o => new OutcomeInfo(o.Name, o.Ok, o.Message))],
        },
        ReloadReply { Errors.IsEmpty: false } r => Response.Failure(ErrorCodes.InvalidConfig,
            "the new config is invalid; nothing changed:\n" + string.Join('\n', r.Errors.Select(e => e.ToString()))),
        ReloadReply { Plan: { } plan } r => new Response
        {
            Ok = true,
            Plan = ReloadPlan.From(plan),
            Applied = r.Applied,
            Outcomes = r.Outcomes.IsDefaultOrEmpty ? null : [.. r.Outcomes.Select(o => new OutcomeInfo(o.Name, o.Ok, o.Message))],
        },
        ReloadReply => Response.Failure(ErrorCodes.Failed, "reload produced no plan"),
        ShutdownComplete => Response.Success(),
        Akka.Actor.Status.Failure f => Response.Failure(ErrorCodes.Internal, f.Cause.Message),
        _ => Response.Failure(ErrorCodes.Internal, $"unexpected reply {reply.GetType().Name}"),
    };

    public static Response NoSuchProcess(IEnumerable<string> names)
    {
        var list = names.ToArray();
        return Response.Failure(ErrorCodes.NoSuchProcess, "no such process: " + string.Join(", ", list), list);
    }
}
