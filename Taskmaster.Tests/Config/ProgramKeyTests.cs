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
