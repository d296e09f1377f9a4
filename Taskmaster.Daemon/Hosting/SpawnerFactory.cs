using Taskmaster.Core.Processes;

namespace Taskmaster.Daemon.Hosting;

/// <summary>The process layer the daemon uses. Placeholder until the posix_spawn layer lands on main.</summary>
internal static class SpawnerFactory
{
    public static IProcessSpawner Create() => new UnavailableSpawner();

    private sealed class UnavailableSpawner : IProcessSpawner
    {
        public SpawnResult Spawn(SpawnRequest request) =>
            new SpawnResult.Failed(SpawnErrorKind.Other, "spawn error: the process layer is not built yet");
    }
}
