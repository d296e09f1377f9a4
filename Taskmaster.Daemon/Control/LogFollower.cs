using System.Text;

namespace Taskmaster.Daemon.Control;

/// <summary>
/// Reads the end of an output file and then what is appended to it; a file that shrinks (truncated or rotated)
/// is read again from its start. Not thread-safe: owned by one connection actor.
/// </summary>
public sealed class LogFollower(string instance, string stream, string path)
{
    private const int MaxChunk = 64 * 1024;
    private long _position;
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();

    public string Instance { get; } = instance;
    public string Stream { get; } = stream;
    public string Path { get; } = path;

    /// <summary>The last <paramref name="bytes"/> bytes of the file (empty when it does not exist yet); following starts after them.</summary>
    public string ReadTail(int bytes)
    {
        using var file = Open();
        if (file is null) return "";
        var length = file.Length;
        var start = Math.Max(0, length - bytes);
        file.Position = start;
        var buffer = new byte[length - start];
        file.ReadExactly(buffer);
        _position = length;
        // Skip a partial UTF-8 sequence at the cut.
        var skip = 0;
        while (start > 0 && skip < buffer.Length && skip < 3 && (buffer[skip] & 0xC0) == 0x80) skip++;
        return Encoding.UTF8.GetString(buffer, skip, buffer.Length - skip);
    }

    /// <summary>What was appended since the last call, or null when nothing was.</summary>
    public string? ReadNew()
    {
        using var file = Open();
        if (file is null) return null;
        if (file.Length < _position) _position = 0;
        if (file.Length == _position) return null;
        file.Position = _position;
        var buffer = new byte[Math.Min(MaxChunk, file.Length - _position)];
        var read = file.Read(buffer);
        _position += read;
        var chars = new char[_decoder.GetCharCount(buffer, 0, read)];
        _decoder.GetChars(buffer, 0, read, chars, 0);
        return chars.Length == 0 ? null : new string(chars);
    }

    private FileStream? Open()
    {
        try
        {
            return new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
