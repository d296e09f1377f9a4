using Serilog;
using Taskmaster.Core.Processes;

namespace Taskmaster.Daemon.Hosting;

/// <summary>The process layer the daemon uses: posix_spawn, one exit watcher, one output pump.</summary>
internal static class SpawnerFactory
{
    public static IProcessSpawner Create() =>
        new PosixSpawner(problem => Log.Warning("program output {Path}: {Problem}", problem.Path, problem.Message));
}
