using System.Collections;
using System.Collections.Immutable;
using Taskmaster.Core.Processes;
using Taskmaster.Tests.Control;

namespace Taskmaster.Tests.Security;

/// <summary>
/// What a program running as another user receives from the root daemon: a clean environment (PATH, locale, time
/// zone, its own HOME/USER/LOGNAME/SHELL, and its <c>env</c>), never the daemon's secrets, unless the config asks
/// for them with <c>inherit_env</c>; and the descriptor limit the daemon was started with, not the runtime's.
/// </summary>
public sealed class UserEnvironmentTests
{
    private static readonly Dictionary<string, string> DaemonSecrets = new()
    {
        ["SECRET_TOKEN"] = "s3cr3t",
        ["AWS_SECRET_ACCESS_KEY"] = "aws-key",
        ["SUDO_USER"] = "admin",
        ["DOTNET_gcServer"] = "0",
        ["TASKMASTER_SOCKET"] = "/run/taskmaster/taskmasterd.sock",
        ["LANG"] = "C.UTF-8",
        ["LC_TIME"] = "C",
        ["TZ"] = "UTC",
    };

    [Fact]
    public async Task A_user_program_gets_a_clean_environment_unless_inherit_env_asks()
    {
        if (Environment.UserName != "root") Assert.Skip("needs root (user: nobody)");
        await using var daemon = new RealDaemon("""
              clean:
                cmd: /usr/bin/env
                user: nobody
                env: {FROM_CONFIG: yes}
                autorestart: never
                starttime: 0
                stdout: {dir}/clean.env
              some:
                cmd: /usr/bin/env
                user: nobody
                inherit_env: [SECRET_TOKEN, NOT_SET_ANYWHERE]
                autorestart: never
                starttime: 0
                stdout: {dir}/some.env
              everything:
                cmd: /usr/bin/env
                user: nobody
                inherit_env: true
                autorestart: never
                starttime: 0
                stdout: {dir}/everything.env
              own:
                cmd: /usr/bin/env
                autorestart: never
                starttime: 0
                stdout: {dir}/own.env
              limits:
                cmd: /bin/cat /proc/self/limits
                user: nobody
                autorestart: never
                starttime: 0
                stdout: {dir}/limits.txt
            """);
        foreach (var (k, v) in DaemonSecrets) daemon.Environment[k] = v;
        await daemon.StartAsync();
        foreach (var name in new[] { "clean", "some", "everything", "own", "limits" })
            await daemon.WaitForStateAsync(name, "EXITED");

        var clean = await ReadEnvAsync(daemon.Dir.File("clean.env"));
        foreach (var secret in new[] { "SECRET_TOKEN", "AWS_SECRET_ACCESS_KEY", "SUDO_USER", "DOTNET_gcServer", "TASKMASTER_SOCKET", RealDaemon.MarkerVariable })
            Assert.False(clean.ContainsKey(secret), $"the user program received {secret}");
        Assert.Equal(ChildEnvironment.DefaultPath, clean["PATH"]);
        Assert.Equal("nobody", clean["USER"]);
        Assert.Equal("nobody", clean["LOGNAME"]);
        Assert.Equal(PasswdField("nobody", 5), clean["HOME"]);
        Assert.Equal(PasswdField("nobody", 6), clean["SHELL"]);
        Assert.Equal("C.UTF-8", clean["LANG"]);
        Assert.Equal("C", clean["LC_TIME"]);
        Assert.Equal("UTC", clean["TZ"]);
        Assert.Equal("yes", clean["FROM_CONFIG"]);

        var some = await ReadEnvAsync(daemon.Dir.File("some.env"));
        Assert.Equal("s3cr3t", some["SECRET_TOKEN"]);
        Assert.False(some.ContainsKey("AWS_SECRET_ACCESS_KEY"));
        Assert.False(some.ContainsKey("NOT_SET_ANYWHERE"));
        Assert.Equal("nobody", some["USER"]);

        var everything = await ReadEnvAsync(daemon.Dir.File("everything.env"));
        Assert.Equal("aws-key", everything["AWS_SECRET_ACCESS_KEY"]);
        Assert.Equal("nobody", everything["USER"]);

        // A program of the daemon's own user inherits, as before (supervisord does the same).
        var own = await ReadEnvAsync(daemon.Dir.File("own.env"));
        Assert.Equal("s3cr3t", own["SECRET_TOKEN"]);

        var limits = File.ReadAllLines(daemon.Dir.File("limits.txt"));
        var openFiles = limits.Single(l => l.StartsWith("Max open files", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(long.Parse(openFiles[3]) <= 1024, $"soft descriptor limit of a child: {openFiles[3]}");
    }

    [Fact]
    public void Clean_environment_keeps_locale_and_time_zone_and_the_named_variables_only()
    {
        var daemon = new Hashtable { ["PATH"] = "/root/bin:/usr/bin", ["LANG"] = "de_DE.UTF-8", ["LC_ALL"] = "C", ["TZ"] = "Europe/Berlin", ["TOKEN"] = "x", ["KEEP"] = "k" };
        var env = ChildEnvironment.Build(daemon, new EnvInheritance(false, ["KEEP"]), new("svc", "/srv", "/bin/bash"),
            ImmutableSortedDictionary<string, string>.Empty.Add("LANG", "C.UTF-8"));
        Assert.Equal(new Dictionary<string, string>
        {
            ["PATH"] = ChildEnvironment.DefaultPath, ["LANG"] = "C.UTF-8", ["LC_ALL"] = "C", ["TZ"] = "Europe/Berlin", ["KEEP"] = "k",
            ["HOME"] = "/srv", ["USER"] = "svc", ["LOGNAME"] = "svc", ["SHELL"] = "/bin/bash",
        }, env);

        var inherited = ChildEnvironment.Build(daemon, EnvInheritance.All, null, ImmutableSortedDictionary<string, string>.Empty);
        Assert.Equal("x", inherited["TOKEN"]);
        Assert.Equal("/root/bin:/usr/bin", inherited["PATH"]);
        Assert.False(inherited.ContainsKey("HOME"));
    }

    private static async Task<Dictionary<string, string>> ReadEnvAsync(string file)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in await File.ReadAllLinesAsync(file, TestContext.Current.CancellationToken))
            if (line.IndexOf('=') is var eq and > 0) env[line[..eq]] = line[(eq + 1)..];
        Assert.True(env.Count > 0, $"{file} is empty");
        return env;
    }

    private static string PasswdField(string user, int field) =>
        File.ReadLines("/etc/passwd").Select(l => l.Split(':')).Single(f => f[0] == user)[field];
}
