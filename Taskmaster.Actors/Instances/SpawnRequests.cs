using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;

namespace Taskmaster.Actors.Instances;

/// <summary>Builds the spawner's request for one instance of a program: concrete output paths, its own name.</summary>
public static class SpawnRequests
{
    public static SpawnRequest For(ProgramSpec spec, int index) => new()
    {
        Name = spec.InstanceName(index),
        Argv = spec.Argv,
        Env = spec.Env,
        InheritEnv = spec.EffectiveInheritEnv,
        WorkingDir = spec.WorkingDir,
        BaseDirectory = spec.BaseDirectory,
        Umask = spec.Umask,
        User = spec.User,
        Stdout = Target(spec.Stdout, index),
        Stderr = Target(spec.Stderr, index),
        Leftovers = spec.Leftovers == Leftovers.Keep ? LeftoverPolicy.Keep : new LeftoverPolicy(true, spec.StopSignal, spec.StopTime),
        Slot = $"{spec.Name}@{index}",
    };

    private static OutputTarget Target(OutputSpec output, int index) =>
        output.PathFor(index) is { } path ? new OutputTarget(path, output.MaxBytes, output.Backups) : OutputTarget.Discard;
}
