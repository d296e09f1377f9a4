using Taskmaster.Core.Config;

namespace Taskmaster.Daemon;

/// <summary><c>taskmasterd --check [PATH]</c>: validate and exit 0, or print every error and exit 2.</summary>
public static class CheckCommand
{
    public const int Valid = 0, Invalid = 2;

    public static int Run(string? path)
    {
        var result = ConfigLoader.Load(path);
        foreach (var warning in result.Warnings)
            Console.Error.WriteLine(warning.ToString());
        if (result.Config is { } cfg && result.Errors.IsEmpty)
        {
            Console.Out.WriteLine($"OK: {cfg.Programs.Count} programs, {cfg.InstanceCount} instances");
            // Which file each program runs: a relative cmd resolves against workingdir or the config's directory.
            foreach (var spec in cfg.Programs.Values)
                Console.Out.WriteLine($"  {spec.Name}: {Taskmaster.Core.Processes.PosixSpawner.DescribeCommand(spec)}");
            return Valid;
        }
        foreach (var error in result.Errors)
            Console.Error.WriteLine(error.ToString());
        Console.Error.WriteLine($"{result.Errors.Length} error(s); config not valid");
        return Invalid;
    }
}
