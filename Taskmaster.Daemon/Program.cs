using System.CommandLine;
using Taskmaster.Core.Config;

namespace Taskmaster.Daemon;

public static class Program
{
    /// <summary>Exit status of a command-line usage error (DESIGN §6).</summary>
    public const int UsageError = 2;

    public static int Main(string[] args)
    {
        var parse = BuildCommand().Parse(args);
        if (parse.Errors.Count == 0) return parse.Invoke();
        foreach (var error in parse.Errors)
            Console.Error.WriteLine($"taskmasterd: {error.Message}");
        Console.Error.WriteLine("Try 'taskmasterd --help'.");
        return UsageError;
    }

    internal static RootCommand BuildCommand()
    {
        var config = new Argument<string?>("CONFIG")
        {
            Description = "Config file, or directory of *.yaml/*.yml files (default: ./configs/)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        // A lone argument slot would otherwise swallow a mistyped option (`--chek`) as the config path.
        config.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (token.Value.Length > 1 && token.Value.StartsWith('-'))
                    result.AddError($"unknown option '{token.Value}'");
        });
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
