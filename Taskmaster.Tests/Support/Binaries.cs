using System.Diagnostics;

namespace Taskmaster.Tests.Support;

/// <summary>Result of running one of our binaries to completion.</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;
}

/// <summary>
/// Finds and runs the real binaries for end-to-end tests. Under <c>make test</c>, TASKMASTER_ROOT points at the
/// repository root where <c>make</c> left ./taskmasterd and ./taskmasterctl; otherwise the copies built next to the
/// tests (referenced projects) are run with <c>dotnet exec</c>.
/// </summary>
public static class Binaries
{
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("TASKMASTER_ROOT");
        if (!string.IsNullOrEmpty(env) && File.Exists(Path.Combine(env, "Taskmaster.sln"))) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Taskmaster.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Taskmaster.sln)");
    }

    /// <summary>File name and leading arguments that start <c>taskmasterd</c>.</summary>
    public static (string File, string[] Prefix) Daemon => Resolve("taskmasterd");

    /// <summary>File name and leading arguments that start <c>taskmasterctl</c>.</summary>
    public static (string File, string[] Prefix) Ctl => Resolve("taskmasterctl");

    private static (string, string[]) Resolve(string name)
    {
        var fromMake = Path.Combine(RepositoryRoot, name);
        if (Environment.GetEnvironmentVariable("TASKMASTER_ROOT") is { Length: > 0 } && File.Exists(fromMake))
            return (fromMake, []);
        var dll = Path.Combine(AppContext.BaseDirectory, name + ".dll");
        if (File.Exists(dll)) return ("dotnet", ["exec", dll]);
        if (File.Exists(fromMake)) return (fromMake, []);
        throw new FileNotFoundException($"no {name} binary: run make first", fromMake);
    }

    public static ProcessStartInfo StartInfo((string File, string[] Prefix) binary, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(binary.File)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in binary.Prefix) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // A developer's TASKMASTER_SOCKET must not point a test's controller at a real daemon; tests that need it
        // pass it explicitly.
        psi.Environment.Remove("TASKMASTER_SOCKET");
        return psi;
    }

    /// <summary>Run to completion (stdin closed) and collect the output; kills it after <paramref name="timeout"/>.</summary>
    public static async Task<RunResult> RunAsync((string File, string[] Prefix) binary, IEnumerable<string> args,
        TimeSpan? timeout = null, IDictionary<string, string>? env = null)
    {
        var psi = StartInfo(binary, args);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{binary.File} {string.Join(' ', args)} did not finish in time");
        }
        return new RunResult(p.ExitCode, await stdout, await stderr);
    }

    public static Task<RunResult> RunDaemonAsync(params string[] args) => RunAsync(Daemon, args);
    public static Task<RunResult> RunCtlAsync(params string[] args) => RunAsync(Ctl, args);
}

/// <summary>Polls a condition until it holds or a generous deadline passes (never a fixed sleep).</summary>
public static class Eventually
{
    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan? within = null, TimeSpan? every = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(20));
        }
        return condition();
    }

    public static async Task HoldsAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        if (!await TrueAsync(condition, within)) Assert.Fail($"timed out waiting for: {what}");
    }
}

/// <summary>A temporary directory removed at dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("taskmaster-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string contents)
    {
        var p = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        System.IO.File.WriteAllText(p, contents);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
