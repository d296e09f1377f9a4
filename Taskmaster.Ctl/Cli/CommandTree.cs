using System.CommandLine;
using Taskmaster.Core.Processes;

namespace Taskmaster.Ctl.Cli;

/// <summary>
/// The one System.CommandLine tree behind argv and every shell line (DESIGN §6):
/// <c>taskmasterctl [-s SOCKET | -c CONFIG] [COMMAND [ARGS]]</c>.
/// </summary>
public sealed class CommandTree
{
    public RootCommand Root { get; }
    public Option<string?> Socket { get; } = new("--socket", "-s")
    {
        Description = "Control socket of the daemon (default: TASKMASTER_SOCKET, then the per-user default)",
        Recursive = true,
    };
    public Option<string?> Config { get; } = new("--config", "-c")
    {
        Description = "Read the socket path from this taskmasterd config (file or directory)",
        Recursive = true,
    };

    /// <summary>Names of the commands, for help and completion.</summary>
    public IReadOnlyList<string> CommandNames => [.. Root.Subcommands.Select(c => c.Name).Order(StringComparer.Ordinal)];

    /// <summary>Commands whose arguments are instance or program names.</summary>
    public static readonly IReadOnlySet<string> TakesNames =
        new HashSet<string> { "status", "start", "stop", "restart", "signal", "pid", "tail" };

    public CommandTree(CtlContext ctx)
    {
        var handlers = new CommandHandlers(ctx, this);
        Root = new RootCommand("taskmasterctl: control taskmasterd. Without a command: an interactive shell.")
        {
            Socket, Config,
        };

        // Without a command, Main starts the shell; a shell line with only options does nothing.
        Root.SetAction(_ => ExitCodes.Ok);

        var names = () => NoOptions(new Argument<string[]>("NAME") { Description = "Instance (web:0), program (web) or all", Arity = ArgumentArity.OneOrMore });

        var statusNames = NoOptions(new Argument<string[]>("NAME") { Description = "Instances or programs (default: all)", Arity = ArgumentArity.ZeroOrMore });
        var json = new Option<bool>("--json") { Description = "Print a JSON array (name, program, state, pid, state_since …)" };
        var status = new Command("status", "Show instances: name, state, pid and uptime or exit reason (exit 3 if one is not RUNNING)") { statusNames, json };
        status.SetAction((p, ct) => handlers.Status(p, p.GetValue(statusNames) ?? [], p.GetValue(json), ct));

        foreach (var (verb, what) in new[] { ("start", "Start"), ("stop", "Stop"), ("restart", "Restart") })
        {
            var targets = names();
            var cmd = new Command(verb, $"{what} instances and wait for the outcome, one line per instance") { targets };
            cmd.SetAction((p, ct) => handlers.Control(p, verb, p.GetValue(targets)!, ct));
            Root.Add(cmd);
        }

        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan without applying it" };
        var reload = new Command("reload", "Re-read the config and apply what changed (program by program); prints the plan") { dryRun };
        reload.SetAction((p, ct) => handlers.Reload(p, p.GetValue(dryRun), ct));

        var shutdown = new Command("shutdown", "Stop every program and the daemon");
        shutdown.SetAction((p, ct) => handlers.Shutdown(p, ct));

        var sig = new Argument<string>("SIG") { Description = "Signal name or number (TERM, SIGHUP, 10)" };
        sig.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string>();
            if (text is not null && !Signals.TryParse(text, out _))
                r.AddError($"unknown signal '{text}' (use a name like TERM or HUP, or a number 1-64)");
        });
        var sigTargets = names();
        var signal = new Command("signal", "Send a signal to the process group of each instance") { sig, sigTargets };
        signal.SetAction((p, ct) => handlers.Signal(p, p.GetValue(sig)!, p.GetValue(sigTargets)!, ct));

        var pidName = NoOptions(new Argument<string?>("NAME") { Description = "Instance (default: the daemon)", Arity = ArgumentArity.ZeroOrOne });
        var pid = new Command("pid", "Print the pid of an instance, or of the daemon") { pidName };
        pid.SetAction((p, ct) => handlers.Pid(p, p.GetValue(pidName), ct));

        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing what is appended (Ctrl-C stops)" };
        var bytes = new Option<int>("--bytes", "-n") { Description = "How many bytes from the end", DefaultValueFactory = _ => 1600 };
        bytes.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 65536) r.AddError("tail: --bytes must be between 0 and 65536");
        });
        var tailName = NoOptions(new Argument<string>("NAME") { Description = "Instance" });
        var stream = new Argument<string>("STREAM") { Description = "stdout (default) or stderr", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "stdout" };
        stream.AcceptOnlyFromAmong("stdout", "stderr");
        var tail = new Command("tail", "Print the end of an instance's output") { follow, bytes, tailName, stream };
        tail.SetAction((p, ct) => handlers.Tail(p, p.GetValue(tailName)!, p.GetValue(stream)!, p.GetValue(bytes), p.GetValue(follow), ct));

        var helpTopic = new Argument<string?>("COMMAND") { Arity = ArgumentArity.ZeroOrOne };
        var help = new Command("help", "Show the commands, or the help of one") { helpTopic };
        help.SetAction(p => handlers.Help(p.GetValue(helpTopic)));

        var version = new Command("version", "Print the controller's and the daemon's versions");
        version.SetAction((p, ct) => handlers.Version(p, ct));

        var exit = new Command("exit", "Leave the interactive shell");
        exit.Aliases.Add("quit");
        exit.SetAction(_ => handlers.Exit());

        var dashboard = new Command("dashboard", "Full-screen live view of every instance (keys: s x r l e R q)");
        dashboard.SetAction(p => handlers.Dashboard(p));

        Root.Add(status);
        Root.Add(reload);
        Root.Add(shutdown);
        Root.Add(signal);
        Root.Add(pid);
        Root.Add(tail);
        Root.Add(help);
        Root.Add(version);
        Root.Add(exit);
        Root.Add(dashboard);
    }

    /// <summary>An unknown option (<c>--bogus</c>) must be a usage error, not a name that does not exist.</summary>
    private static Argument<T> NoOptions<T>(Argument<T> argument)
    {
        argument.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
                if (token.Value.StartsWith('-'))
                    r.AddError($"unknown option '{token.Value}'");
        });
        return argument;
    }
}
