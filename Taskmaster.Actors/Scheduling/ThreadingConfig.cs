namespace Taskmaster.Actors.Scheduling;

/// <summary>
/// The actor system's threads, as HOCON for the daemon (and for tests that run the real supervision tree): nothing
/// the supervisor does waits for the .NET thread pool.
/// <list type="bullet">
/// <item>The scheduler is <see cref="DeadlineScheduler"/>: its own thread, started with the actor system.</item>
/// <item>Every actor runs on the default dispatcher, a fork-join dispatcher with threads of its own (one per core,
///   at least two); Akka's internal dispatcher is an alias of it. A program's log writer stuck on a hung disk, or
///   anything else that ties up pool threads, cannot delay a <c>starttime</c>, a restart or a stop.</item>
/// </list>
/// What still uses the pool: socket I/O completions of the control plane, output writers and config re-reads.
/// </summary>
public static class ThreadingConfig
{
    public static int DispatcherThreads { get; } = Math.Max(2, Environment.ProcessorCount);

    public static string Hocon { get; } = $$"""
        akka.scheduler.implementation = "{{typeof(DeadlineScheduler).FullName}}, {{typeof(DeadlineScheduler).Assembly.GetName().Name}}"
        akka.actor.default-dispatcher {
          type = ForkJoinDispatcher
          executor = fork-join-executor
          throughput = 30
          dedicated-thread-pool {
            thread-count = {{DispatcherThreads}}
            threadtype = background
          }
        }
        akka.actor.internal-dispatcher = "akka.actor.default-dispatcher"
        """;
}
