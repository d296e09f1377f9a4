using System.Collections.Immutable;
using Taskmaster.Core.Processes;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Processes;

/// <summary>Helpers for spawning real processes through <see cref="PosixSpawner"/>.</summary>
internal static class SpawnFixture
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static bool IsRoot => Environment.UserName == "root" || Tmds.Linux.LibC.geteuid() == 0;

    public static SpawnRequest Request(params string[] argv) => new()
    {
        Name = "test",
        Argv = [.. argv],
    };

    public static SpawnRequest Shell(string script) => Request("/bin/sh", "-c", script);

    public static OutputTarget To(string path, long maxBytes = 0, int backups = 0) => new(path, maxBytes, backups);

    public static PosixChildProcess Start(this PosixSpawner spawner, SpawnRequest request)
    {
        var result = spawner.Spawn(request);
        var started = Assert.IsType<SpawnResult.Started>(result);
        var child = Assert.IsType<PosixChildProcess>(started.Process);
        NoChildLeftBehindAttribute.Track(child);
        return child;
    }

    public static SpawnResult.Failed Fails(this PosixSpawner spawner, SpawnRequest request) =>
        Assert.IsType<SpawnResult.Failed>(spawner.Spawn(request));

    public static async Task<ExitStatus> WaitAsync(this PosixChildProcess child)
    {
        var status = await child.Exited.WaitAsync(Deadline, TestContext.Current.CancellationToken);
        await child.OutputCompleted.WaitAsync(Deadline, TestContext.Current.CancellationToken);
        return status;
    }

    /// <summary>Runs a shell script to completion with stdout to a file; returns its stdout.</summary>
    public static Task<string> RunShellAsync(this PosixSpawner spawner, TempDir dir, string script,
        Func<SpawnRequest, SpawnRequest>? configure = null) =>
        spawner.RunAsync(dir, (configure ?? (r => r))(Shell(script)));

    /// <summary>Runs a request to completion with stdout to a file; asserts exit 0; returns its stdout.</summary>
    public static async Task<string> RunAsync(this PosixSpawner spawner, TempDir dir, SpawnRequest request)
    {
        var output = dir.File($"out-{Guid.NewGuid():N}.log");
        using var child = spawner.Start(request with { Stdout = To(output), Stderr = To(output + ".err") });
        var status = await child.WaitAsync();
        var text = File.ReadAllText(output);
        Assert.True(status == ExitStatus.Exited(0), $"{string.Join(' ', request.Argv)}: {status}; stderr: {File.ReadAllText(output + ".err")}");
        return text;
    }

    public static ImmutableSortedDictionary<string, string> Env(params (string Key, string Value)[] pairs) =>
        pairs.ToImmutableSortedDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Processes (not zombies) whose process group is <paramref name="pgid"/>.</summary>
    public static List<int> LiveMembersOfGroup(int pgid) => ProcessTable.LiveMembersOfGroup(pgid);

    /// <summary>True when the process runs <paramref name="comm"/> and ignores SIGTERM.</summary>
    public static bool RunsIgnoringTerm(int pid, string comm)
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{pid}/status");
            var name = status.First(l => l.StartsWith("Name:", StringComparison.Ordinal))["Name:".Length..].Trim();
            var ignored = Convert.ToUInt64(status.First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))["SigIgn:".Length..].Trim(), 16);
            return name == comm && (ignored & (1UL << (Signals.SIGTERM - 1))) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Zombie children of this test process.</summary>
    public static List<int> OurZombies() => ProcessTable.ZombieChildrenOf(Environment.ProcessId);
}
