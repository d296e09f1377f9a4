using System.CommandLine;
using Taskmaster.Core.Config;

namespace Taskmaster.Daemon;

public static class Program
{
    public static int Main(string[] args) => BuildCommand().Parse(args).Invoke();

    internal static RootCommand BuildCommand()
    {
        var config = new Argument<string?>("CONFIG")
        {
            Description = "Config file, or directory of *.yaml/*.yml files (default: ./configs/)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var noDaemon = new Option<bool>("--nodaemon", "-n") { Description = "Stay in the foreground" };
        var check = new Option<bool>("--check") { Description = "Validate the config, print the result and exit (0 valid, 2 invalid)" };
        var socket = new Option<string?>("--socket") { Description = "Control socket path (overrides the config)" };
        var pidFile = new Option<string?>("--pidfile") { Description = "Write the daemon's pid to this file" };
        var logLevel = new Option<string?>("--loglevel") { Description = "debug, info, warn or error" };
        logLevel.AcceptOnlyFromAmong("debug", "info", "warn", "warning", "error");

        var root = new RootCommand("taskmasterd: the Taskmaster process supervisor daemon")
        {
            config, noDaemon, check, socket, pidFile, logLevel,
        };
        root.SetAction(parse =>
        {
            var options = new DaemonOptions(
                parse.GetValue(config), parse.GetValue(noDaemon), parse.GetValue(socket),
                parse.GetValue(pidFile), parse.GetValue(logLevel));
            return parse.GetValue(check) ? CheckCommand.Run(options.ConfigPath) : DaemonEntry.Run(options);
        });
        return root;
    }
}
