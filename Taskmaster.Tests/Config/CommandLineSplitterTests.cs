using Taskmaster.Core.Config;

namespace Taskmaster.Tests.Config;

public class CommandLineSplitterTests
{
    [Theory]
    [InlineData("/bin/echo a  b", new[] { "/bin/echo", "a", "b" })]
    [InlineData("echo 'a  b' \"c d\"", new[] { "echo", "a  b", "c d" })]
    [InlineData("echo 'it''s'", new[] { "echo", "its" })]
    [InlineData("echo \"say \\\"hi\\\"\" \\$HOME", new[] { "echo", "say \"hi\"", "$HOME" })]
    [InlineData("echo \"a\\nb\"", new[] { "echo", "a\\nb" })]
    [InlineData("echo '' x", new[] { "echo", "", "x" })]
    [InlineData("printf %s\\ %s", new[] { "printf", "%s %s" })]
    [InlineData("  /bin/true  ", new[] { "/bin/true" })]
    [InlineData("a \\\n b", new[] { "a", "b" })]
    public void Splits_words_like_a_shell(string line, string[] expected) =>
        Assert.Equal(expected, CommandLineSplitter.Split(line).Words);

    [Theory]
    [InlineData("echo 'open", "unclosed single quote at character 6")]
    [InlineData("echo \"open", "unclosed double quote at character 6")]
    [InlineData("echo trailing\\", "a lone backslash at the end")]
    public void Reports_what_cannot_be_split(string line, string error)
    {
        var result = CommandLineSplitter.Split(line);
        Assert.Equal(error, result.Error);
        Assert.Empty(result.Words);
    }

    [Fact]
    public void Nothing_is_expanded() =>
        Assert.Equal(["ls", "*.txt", "$HOME", "~"], CommandLineSplitter.Split("ls *.txt $HOME ~").Words);
}
