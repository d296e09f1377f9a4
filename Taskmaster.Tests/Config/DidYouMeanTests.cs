using Taskmaster.Core.Config;

namespace Taskmaster.Tests.Config;

public class DidYouMeanTests
{
    private static readonly string[] Keys = ["cmd", "numprocs", "stoptime", "starttime", "stopsignal"];

    [Theory]
    [InlineData("stoptim", "stoptime")]
    [InlineData("stoptiem", "stoptime")]
    [InlineData("NUMPROCS", "numprocs")]
    [InlineData("cdm", "cmd")]
    [InlineData("stopsignl", "stopsignal")]
    public void Suggests_the_closest_known_word(string typo, string expected) =>
        Assert.Equal(expected, DidYouMean.Suggest(typo, Keys));

    [Theory]
    [InlineData("banana")]
    [InlineData("x")]
    [InlineData("")]
    public void Suggests_nothing_when_nothing_is_close(string word) => Assert.Null(DidYouMean.Suggest(word, Keys));

    [Fact]
    public void Aliases_win_over_distance() =>
        Assert.Equal("cmd", DidYouMean.Suggest("Command", Keys, new Dictionary<string, string> { ["command"] = "cmd" }));
}

public class TextFormTests
{
    [Fact]
    public void Windows_line_endings_load() =>
        Assert.Equal(2, ConfigAssert.Valid("programs:\r\n  web:\r\n    cmd: /bin/true\r\n    numprocs: 2\r\n").Programs["web"].NumProcs);

    [Fact]
    public void Quoted_numbers_are_accepted_where_numbers_are_expected()
    {
        var p = ConfigAssert.Program("cmd: /bin/true\nnumprocs: \"3\"\nstoptime: '2.5'");
        Assert.Equal((3, TimeSpan.FromSeconds(2.5)), (p.NumProcs, p.StopTime));
    }

    [Fact]
    public void An_empty_taskmasterd_section_means_defaults() =>
        Assert.Equal(Taskmaster.Core.Config.DaemonSettings.Default, ConfigAssert.Valid("taskmasterd: ~\nprograms:\n").Daemon);

    [Fact]
    public void Multi_line_commands_from_block_scalars_are_split()
    {
        var p = ConfigAssert.Program("cmd: >-\n  /bin/sh -c\n  'echo one;\n  echo two'");
        Assert.Equal(["/bin/sh", "-c", "echo one; echo two"], p.Argv);
    }
}
