using Taskmaster.Core.Config;

namespace Taskmaster.Tests.Config;

public class ProgramKeyTests
{
    [Fact]
    public void Cmd_is_split_like_a_shell()
    {
        var p = ConfigAssert.Program("cmd: /bin/sh -c 'echo \"a b\"; sleep 1' \"x y\" z\\ w");
        Assert.Equal(["/bin/sh", "-c", "echo \"a b\"; sleep 1", "x y", "z w"], p.Argv);
        Assert.Equal("/bin/sh -c 'echo \"a b\"; sleep 1' \"x y\" z\\ w", p.Command);
    }

    [Fact]
    public void Cmd_with_an_unclosed_quote_is_an_error_at_its_line()
    {
        var e = ConfigAssert.ProgramError("cmd: \"/bin/echo 'oops\"");
        Assert.Equal(3, e.Line);
        Assert.Equal("programs.web.cmd", e.KeyPath);
        Assert.Contains("unclosed single quote", e.Message);
    }

    [Fact]
    public void Cmd_that_is_only_blank_is_an_error()
    {
        var e = ConfigAssert.ProgramError("cmd: \"   \"");
        Assert.Equal("programs.web.cmd", e.KeyPath);
        Assert.Contains("allowed:", e.Message);
    }

    [Fact]
    public void Missing_cmd_is_an_error_at_the_program_name()
    {
        var e = ConfigAssert.ProgramError("numprocs: 2");
        Assert.Equal((2, 3), (e.Line, e.Column));
        Assert.Equal("programs.web", e.KeyPath);
        Assert.Contains("'cmd' is missing", e.Message);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("4", 4)]
    [InlineData("10000", 10000)]
    public void Numprocs_accepts_1_to_10000(string text, int expected) =>
        Assert.Equal(expected, ConfigAssert.Program($"cmd: /bin/true\nnumprocs: {text}").NumProcs);

    [Theory]
    [InlineData("0", "out of range")]
    [InlineData("10001", "out of range")]
    [InlineData("-1", "out of range")]
    [InlineData("2.5", "not an integer")]
    [InlineData("many", "not an integer")]
    [InlineData("99999999999999999999999", "too large")]
    public void Numprocs_outside_1_to_10000_is_an_error(string text, string what)
    {
        var e = ConfigAssert.ProgramError($"cmd: /bin/true\nnumprocs: {text}");
        Assert.Equal((4, 15), (e.Line, e.Column));
        Assert.Equal("programs.web.numprocs", e.KeyPath);
        Assert.Contains(what, e.Message);
        Assert.Contains("allowed: an integer from 1 to 10000", e.Message);
    }
}

public class PolicyKeyTests
{
    private static ProgramSpec P(string body) => ConfigAssert.Program("cmd: /bin/true\n" + body);
    private static ConfigError E(string body) => ConfigAssert.ProgramError("cmd: /bin/true\n" + body);

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("no", false)]
    [InlineData("\"yes\"", true)]
    public void Autostart_reads_booleans(string text, bool expected) =>
        Assert.Equal(expected, P($"autostart: {text}").AutoStart);

    [Fact]
    public void Autostart_that_is_not_a_boolean_is_an_error()
    {
        var e = E("autostart: maybe");
        Assert.Equal(("programs.web.autostart", 4), (e.KeyPath, e.Line));
        Assert.Contains("allowed: true or false", e.Message);
    }

    [Theory]
    [InlineData("always", AutoRestart.Always)]
    [InlineData("never", AutoRestart.Never)]
    [InlineData("unexpected", AutoRestart.Unexpected)]
    [InlineData("true", AutoRestart.Always)]
    [InlineData("false", AutoRestart.Never)]
    [InlineData("Always", AutoRestart.Always)]
    public void Autorestart_accepts_policies_and_booleans(string text, AutoRestart expected) =>
        Assert.Equal(expected, P($"autorestart: {text}").AutoRestart);

    [Fact]
    public void Autorestart_with_a_typo_suggests_the_policy()
    {
        var e = E("autorestart: unexpectd");
        Assert.Equal("programs.web.autorestart", e.KeyPath);
        Assert.Contains("did you mean 'unexpected'?", e.Message);
        Assert.Contains("allowed: always, never, unexpected", e.Message);
    }

    [Fact]
    public void Exitcodes_takes_one_code() => Assert.Equal([2], P("exitcodes: 2").ExitCodes);

    [Fact]
    public void Exitcodes_takes_a_list_sorted_without_duplicates() =>
        Assert.Equal([0, 2, 255], P("exitcodes: [255, 0, 2, 0]").ExitCodes);

    [Fact]
    public void Exitcodes_outside_0_to_255_names_the_list_item()
    {
        var e = E("exitcodes:\n  - 0\n  - 256");
        Assert.Equal(("programs.web.exitcodes[1]", 6, 9), (e.KeyPath, e.Line, e.Column));
        Assert.Contains("allowed: an exit code from 0 to 255", e.Message);
    }

    [Fact]
    public void Exitcodes_that_are_text_are_an_error() =>
        Assert.Contains("not an integer", E("exitcodes: zero").Message);

    [Theory]
    [InlineData("0", 0)]
    [InlineData("7", 7)]
    public void Startretries_accepts_non_negative_integers(string text, int expected) =>
        Assert.Equal(expected, P($"startretries: {text}").StartRetries);

    [Fact]
    public void Startretries_below_zero_is_an_error() =>
        Assert.Equal("programs.web.startretries", E("startretries: -1").KeyPath);

    [Theory]
    [InlineData("starttime: 0", 0)]
    [InlineData("starttime: 0.5", 500)]
    [InlineData("starttime: 30", 30000)]
    public void Starttime_accepts_non_negative_seconds(string line, int ms) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ms), P(line).StartTime);

    [Theory]
    [InlineData("starttime: -1", "programs.web.starttime")]
    [InlineData("starttime: soon", "programs.web.starttime")]
    [InlineData("stoptime: -0.5", "programs.web.stoptime")]
    [InlineData("stoptime: .nan", "programs.web.stoptime")]
    [InlineData("stoptime: [1]", "programs.web.stoptime")]
    public void Negative_or_non_numeric_times_are_errors(string line, string keyPath)
    {
        var e = E(line);
        Assert.Equal(keyPath, e.KeyPath);
        Assert.Contains("allowed: a number of seconds", e.Message);
    }

    [Fact]
    public void Stoptime_accepts_seconds() => Assert.Equal(TimeSpan.FromSeconds(3), P("stoptime: 3").StopTime);

    [Theory]
    [InlineData("TERM", 15)]
    [InlineData("SIGTERM", 15)]
    [InlineData("int", 2)]
    [InlineData("SIGUSR1", 10)]
    [InlineData("9", 9)]
    [InlineData("QUIT", 3)]
    public void Stopsignal_accepts_names_with_or_without_sig_and_numbers(string text, int expected) =>
        Assert.Equal(expected, P($"stopsignal: {text}").StopSignal);

    [Fact]
    public void Stopsignal_unknown_is_an_error_with_position_and_suggestion()
    {
        var e = E("stopsignal: TREM");
        Assert.Equal(("programs.web.stopsignal", 4, 17), (e.KeyPath, e.Line, e.Column));
        Assert.Contains("did you mean 'TERM'?", e.Message);
        Assert.Equal($"{ConfigAssert.FileName}:4:17: programs.web.stopsignal: {e.Message}", e.ToString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("SIGNOPE")]
    public void Stopsignal_out_of_range_is_an_error(string text) =>
        Assert.Contains("allowed: a signal name", E($"stopsignal: {text}").Message);
}
