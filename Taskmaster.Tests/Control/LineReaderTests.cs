using System.Text;
using Taskmaster.Core.Protocol;

namespace Taskmaster.Tests.Control;

public class LineReaderTests
{
    private static async Task<List<string>> ReadAll(byte[] input, int limit, int chunk)
    {
        var reader = new LineReader(new ChunkedStream(input, chunk), limit);
        var lines = new List<string>();
        while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
            lines.Add(Encoding.UTF8.GetString(line));
        return lines;
    }

    [Fact]
    public async Task Lines_split_across_reads_are_joined_and_a_partial_last_line_is_dropped()
    {
        var lines = await ReadAll("one\ntwo\n\nthree-partial"u8.ToArray(), 100, chunk: 3);
        Assert.Equal(["one", "two", ""], lines);
    }

    [Fact]
    public async Task A_line_of_exactly_the_limit_is_accepted()
    {
        var input = Encoding.ASCII.GetBytes(new string('x', 1000) + "\nok\n");
        var lines = await ReadAll(input, 1000, chunk: 97);
        Assert.Equal(1000, lines[0].Length);
        Assert.Equal("ok", lines[1]);
    }

    [Fact]
    public async Task A_line_over_the_limit_throws_without_buffering_it_all()
    {
        var input = Encoding.ASCII.GetBytes(new string('x', 5000) + "\n");
        await Assert.ThrowsAsync<LineTooLongException>(() => ReadAll(input, 1000, chunk: 64));
    }

    /// <summary>Hands out at most <c>chunk</c> bytes per read, like a socket does.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
