namespace Taskmaster.Core.Protocol;

/// <summary>A line longer than the reader's limit arrived; the stream cannot be resynchronised.</summary>
public sealed class LineTooLongException(int limit)
    : IOException($"line longer than {limit} bytes")
{
    public int Limit { get; } = limit;
}

/// <summary>
/// Splits a byte stream into newline-terminated lines without ever holding more than the limit (plus one read)
/// in memory. A trailing <c>\r</c> is kept (JSON ignores it as whitespace).
/// </summary>
public sealed class LineReader(Stream stream, int maxLineBytes)
{
    private byte[] _buffer = new byte[Math.Min(64 * 1024, maxLineBytes + 1)];
    private int _start, _end, _scanned;

    /// <summary>The next line without its newline, or null at end of stream (a partial last line is dropped).</summary>
    /// <exception cref="LineTooLongException">More than the limit arrived without a newline.</exception>
    public async ValueTask<byte[]?> ReadLineAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _scanned, _end - _scanned);
            if (newline >= 0)
            {
                var line = _buffer.AsSpan(_start, newline - _start).ToArray();
                _start = _scanned = newline + 1;
                if (_start == _end) _start = _end = _scanned = 0;
                return line;
            }
            _scanned = _end;
            if (_end - _start > maxLineBytes) throw new LineTooLongException(maxLineBytes);
            MakeRoom();
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0) return null;
            _end += read;
        }
    }

    private void MakeRoom()
    {
        if (_end < _buffer.Length) return;
        var pending = _end - _start;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
            _scanned -= _start;
            _start = 0;
            _end = pending;
            if (_end < _buffer.Length) return;
        }
        // The buffer may grow to the limit plus one byte (room for the newline) and a little slack to detect overflow.
        var grown = new byte[(int)Math.Min((long)_buffer.Length * 2, (long)maxLineBytes + 2)];
        if (grown.Length <= _buffer.Length) throw new LineTooLongException(maxLineBytes);
        Buffer.BlockCopy(_buffer, 0, grown, 0, _end);
        _buffer = grown;
    }
}
