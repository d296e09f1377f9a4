using Taskmaster.Core.Config;

namespace Taskmaster.Tests.Config;

/// <summary>Keys that shape the process itself: env, workingdir, umask, user, outputs, backoff.</summary>
public class ProcessKeyTests
{
    private static ProgramSpec P(string body) => ConfigAssert.Program("cmd: /bin/true\n" + body);
    private static ConfigError E(string body) => ConfigAssert.ProgramError("cmd: /bin/true\n" + body);

    [Fact]
    public void Env_numbers_and_booleans_become_their_text()
    {
        var env = P("env: {STARTED_BY: taskmaster, ANSWER: 42, DEBUG: true, RATIO: 0.5, EMPTY: \"\"}").Env;
        Assert.Equal("taskmaster", env["STARTED_BY"]);
        Assert.Equal("42", env["ANSWER"]);
        Assert.Equal("true", env["DEBUG"]);
        Assert.Equal("0.5", env["RATIO"]);
        Assert.Equal("", env["EMPTY"]);
    }

    [Fact]
    public void Env_value_that_is_a_list_is_an_error_naming_the_variable()
    {
        var e = E("env:\n  PATH: [a, b]");
        Assert.Equal(("programs.web.env.PATH", 5), (e.KeyPath, e.Line));
    }

    [Fact]
    public void Env_value_left_empty_is_an_error() =>
        Assert.Contains("write \"\" for an empty value", E("env:\n  HOME:").Message);

    [Fact]
    public void Env_that_is_not_a_mapping_is_an_error() =>
        Assert.Contains("expected a mapping", E("env: FOO=bar").Message);

    [Fact]
    public void Env_name_with_an_equals_sign_is_an_error() =>
        Assert.Equal("programs.web.env.A=B", E("env: {\"A=B\": 1}").KeyPath);

    [Fact]
    public void Workingdir_must_be_absolute()
    {
        Assert.Equal("/srv/app", P("workingdir: /srv/app").WorkingDir);
        var e = E("workingdir: srv/app");
        Assert.Equal("programs.web.workingdir", e.KeyPath);
        Assert.Contains("allowed: an absolute directory path", e.Message);
    }

    [Theory]
    [InlineData("022", 18)]
    [InlineData("\"0022\"", 18)]
    [InlineData("077", 63)]
    [InlineData("0", 0)]
    [InlineData("777", 511)]
    public void Umask_is_read_as_octal_digits(string text, int expected) =>
        Assert.Equal(expected, P($"umask: {text}").Umask);

    [Theory]
    [InlineData("8")]
    [InlineData("0999")]
    [InlineData("rwx")]
    [InlineData("1000")]
    public void Umask_that_is_not_octal_up_to_0777_is_an_error(string text)
    {
        var e = E($"umask: {text}");
        Assert.Equal(("programs.web.umask", 4), (e.KeyPath, e.Line));
        Assert.Contains("allowed: octal digits", e.Message);
    }

    [Fact]
    public void Umask_absent_inherits_the_daemons() => Assert.Null(P("").Umask);

    [Fact]
    public void User_accepts_a_name_or_uid()
    {
        Assert.Equal("www-data", P("user: www-data").User);
        Assert.Equal("1000", P("user: 1000").User);
        Assert.Equal("programs.web.user", E("user: \"two words\"").KeyPath);
    }

    [Fact]
    public void Stdout_and_stderr_absent_go_to_logdir_with_the_same_template_whatever_numprocs()
    {
        var config = ConfigAssert.Valid("""
            taskmasterd:
              logdir: /var/tmp/tm
            programs:
              one: {cmd: /bin/true}
              many: {cmd: /bin/true, numprocs: 3}
            """);
        Assert.Equal(new OutputSpec("/var/tmp/tm/one-{n}.stdout.log", 50L * 1024 * 1024, 10), config.Programs["one"].Stdout);
        Assert.Equal("/var/tmp/tm/one-{n}.stderr.log", config.Programs["one"].Stderr.PathTemplate);
        Assert.Equal("/var/tmp/tm/many-2.stdout.log", config.Programs["many"].Stdout.PathFor(2));
        var scaled = ConfigAssert.Valid("taskmasterd:\n  logdir: /var/tmp/tm\nprograms:\n  one: {cmd: /bin/true, numprocs: 5}\n");
        Assert.Equal(config.Programs["one"].Stdout, scaled.Programs["one"].Stdout);
    }

    [Fact]
    public void Output_paths_resolve_relative_to_the_config_file_and_keep_the_instance_placeholder()
    {
        var p = P("stdout: logs/web-{n}.out\nstderr: /var/log/web.err");
        Assert.Equal("/etc/taskmaster/logs/web-{n}.out", p.Stdout.PathTemplate);
        Assert.Equal("/etc/taskmaster/logs/web-1.out", p.Stdout.PathFor(1));
        Assert.Equal("/var/log/web.err", p.Stderr.PathFor(0));
    }

    [Fact]
    public void Output_none_discards()
    {
        var p = P("stdout: none\nstderr: NONE");
        Assert.Equal(OutputSpec.Discard, p.Stdout);
        Assert.Null(p.Stderr.PathFor(0));
    }

    [Theory]
    [InlineData("stdout_maxbytes: 1024", 1024L)]
    [InlineData("stdout_maxbytes: 1KB", 1024L)]
    [InlineData("stdout_maxbytes: 10MB", 10L * 1024 * 1024)]
    [InlineData("stdout_maxbytes: 2 gb", 2L * 1024 * 1024 * 1024)]
    [InlineData("stdout_maxbytes: 0", 0L)]
    public void Maxbytes_accepts_bytes_and_size_suffixes(string line, long expected) =>
        Assert.Equal(expected, P(line).Stdout.MaxBytes);

    [Theory]
    [InlineData("stdout_maxbytes: lots", "programs.web.stdout_maxbytes")]
    [InlineData("stderr_maxbytes: -5MB", "programs.web.stderr_maxbytes")]
    [InlineData("stderr_maxbytes: 5TB", "programs.web.stderr_maxbytes")]
    [InlineData("stdout_backups: -1", "programs.web.stdout_backups")]
    [InlineData("stderr_backups: many", "programs.web.stderr_backups")]
    public void Bad_rotation_settings_are_errors(string line, string keyPath) => Assert.Equal(keyPath, E(line).KeyPath);

    [Fact]
    public void Backups_are_read_per_stream()
    {
        var p = P("stdout_backups: 0\nstderr_backups: 3\nstderr_maxbytes: 1MB");
        Assert.Equal((0, 3, 1L << 20), (p.Stdout.Backups, p.Stderr.Backups, p.Stderr.MaxBytes));
    }

    [Fact]
    public void Backoff_keys_set_the_schedule()
    {
        var b = P("backoff_initial: 0.5\nbackoff_factor: 3\nbackoff_max: 10\nbackoff_jitter: 0.25").Backoff;
        Assert.Equal(new BackoffSpec(TimeSpan.FromSeconds(0.5), 3, TimeSpan.FromSeconds(10), 0.25), b);
        Assert.Equal(TimeSpan.FromSeconds(4.5), b.DelayFor(3));
        Assert.Equal(TimeSpan.FromSeconds(10), b.DelayFor(5));
    }

    [Fact]
    public void Backoff_factor_below_one_is_an_error() =>
        Assert.Contains("allowed: a number from 1 to 1000", E("backoff_factor: 0.5").Message);

    [Fact]
    public void Backoff_max_below_initial_is_an_error()
    {
        var e = E("backoff_initial: 10\nbackoff_max: 5");
        Assert.Equal(("programs.web.backoff_max", 5), (e.KeyPath, e.Line));
    }
}

/// <summary>The crash-safety keys: <c>leftovers</c> per program, <c>cgroups</c> and <c>statefile</c> for the daemon.</summary>
public class CrashSafetyKeyTests
{
    [Fact]
    public void Leftovers_default_to_kill_and_keep_is_read()
    {
        Assert.Equal(Leftovers.Kill, ConfigAssert.Program("cmd: /bin/true\n").Leftovers);
        Assert.Equal(Leftovers.Keep, ConfigAssert.Program("cmd: /bin/true\nleftovers: keep\n").Leftovers);
    }

    [Fact]
    public void Leftovers_other_than_kill_or_keep_is_an_error_at_its_line()
    {
        var e = ConfigAssert.ProgramError("cmd: /bin/true\nleftovers: ignore\n");
        Assert.Equal(("programs.web.leftovers", 4), (e.KeyPath, e.Line));
        Assert.Contains("kill, keep", e.Message);
    }

    [Fact]
    public void Changing_leftovers_restarts_the_program_on_reload()
    {
        var kill = ConfigAssert.Program("cmd: /bin/true\n");
        Assert.True(kill.RunsDifferentlyFrom(kill with { Leftovers = Leftovers.Keep }));
    }

    [Fact]
    public void Restart_burst_and_interval_are_read_and_default_to_20_in_10_seconds()
    {
        Assert.Equal(new RestartLimit(50, TimeSpan.FromSeconds(10)), ConfigAssert.Program("cmd: /bin/true\n").RestartLimit);
        Assert.Equal(new RestartLimit(5, TimeSpan.FromSeconds(2.5)),
            ConfigAssert.Program("cmd: /bin/true\nrestart_burst: 5\nrestart_interval: 2.5\n").RestartLimit);
        Assert.False(ConfigAssert.Program("cmd: /bin/true\nrestart_burst: 0\n").RestartLimit.Enabled);
    }

    [Theory]
    [InlineData("restart_burst: -1", "programs.web.restart_burst")]
    [InlineData("restart_burst: many", "programs.web.restart_burst")]
    [InlineData("restart_interval: 0", "programs.web.restart_interval")]
    [InlineData("backoff_jitter: 1.5", "programs.web.backoff_jitter")]
    [InlineData("backoff_jitter: -0.1", "programs.web.backoff_jitter")]
    public void Throttle_and_jitter_values_out_of_range_are_errors(string line, string key) =>
        Assert.Equal(key, ConfigAssert.ProgramError("cmd: /bin/true\n" + line + "\n").KeyPath);

    [Fact]
    public void Cgroups_and_statefile_are_read()
    {
        var d = ConfigAssert.Valid("taskmasterd:\n  cgroups: off\n  statefile: /var/lib/tm/state\nprograms:\n").Daemon;
        Assert.False(d.Cgroups);
        Assert.Equal("/var/lib/tm/state", d.StateFile);
        Assert.True(ConfigAssert.Valid("programs:\n").Daemon.Cgroups);
        Assert.Null(ConfigAssert.Valid("programs:\n").Daemon.StateFile);
    }

    [Fact]
    public void Cgroups_other_than_auto_or_off_is_an_error()
    {
        var e = ConfigAssert.Error("taskmasterd:\n  cgroups: yes please\nprograms:\n");
        Assert.Equal(("taskmasterd.cgroups", 2), (e.KeyPath, e.Line));
    }
}
