using System.Buffers;
using System.Runtime.InteropServices;

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
/// The buffer starts small (4 KiB), grows only while one unfinished line needs it, shrinks back once that line is
/// consumed, and lives outside the managed heap: <see cref="Dispose"/> gives it back to the system at once (a
/// garbage-collected array would keep the daemon's memory up long after the clients left). Not thread-safe: one
/// read at a time.
/// </summary>
public sealed class LineReader(Stream stream, int maxLineBytes) : IDisposable
{
    public const int InitialBytes = 4096;

    private NativeBuffer _buffer = new(Math.Min(InitialBytes, maxLineBytes + 1));
    private int _start, _end, _scanned;
    private volatile int _pending;
    private int _reading, _disposed;

    /// <summary>Bytes received that are not yet part of a returned line (an unfinished line while waiting).
    /// Safe to read from another thread.</summary>
    public int PendingBytes => _pending;

    /// <summary>The current size of the buffer (for tests).</summary>
    public int Capacity => _buffer.Length;

    /// <summary>The next line without its newline, or null at end of stream (a partial last line is dropped).</summary>
    /// <exception cref="LineTooLongException">More than the limit arrived without a newline.</exception>
    public async ValueTask<byte[]?> ReadLineAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _reading, 1) != 0) throw new InvalidOperationException("one read at a time");
        try
        {
            while (true)
            {
                var newline = _buffer.GetSpan()[_scanned.._end].IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    newline += _scanned;
                    var line = _buffer.GetSpan()[_start..newline].ToArray();
                    _start = _scanned = newline + 1;
                    if (_start == _end)
                    {
                        _start = _end = _scanned = 0;
                        Shrink();
                    }
                    _pending = _end - _start;
                    return line;
                }
                _scanned = _end;
                if (_end - _start > maxLineBytes) throw new LineTooLongException(maxLineBytes);
                MakeRoom();
                var read = await stream.ReadAsync(_buffer.Memory[_end..], cancellationToken).ConfigureAwait(false);
                if (read == 0) return null;
                _end += read;
                _pending = _end - _start;
            }
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
            // Disposed during the read: the buffer could not be freed then (the read was writing into it).
            if (Volatile.Read(ref _disposed) != 0) Free();
        }
    }

    private void MakeRoom()
    {
        if (_end < _buffer.Length) return;
        var pending = _end - _start;
        var span = _buffer.GetSpan();
        if (_start > 0)
        {
            span[_start.._end].CopyTo(span);
            _scanned -= _start;
            _start = 0;
            _end = pending;
            if (_end < _buffer.Length) return;
        }
        // The buffer may grow to the limit plus one byte (room for the newline) and a little slack to detect overflow.
        var size = (int)Math.Min((long)_buffer.Length * 2, (long)maxLineBytes + 2);
        if (size <= _buffer.Length) throw new LineTooLongException(maxLineBytes);
        var grown = new NativeBuffer(size);
        span[.._end].CopyTo(grown.GetSpan());
        ((IDisposable)_buffer).Dispose();
        _buffer = grown;
    }

    /// <summary>Back to the initial size once a long line is gone (called with the buffer empty, between reads).</summary>
    private void Shrink()
    {
        if (_buffer.Length <= 16 * InitialBytes) return;
        ((IDisposable)_buffer).Dispose();
        _buffer = new NativeBuffer(Math.Min(InitialBytes, maxLineBytes + 1));
    }

    /// <summary>Free the buffer now, or when the read in progress ends.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (Volatile.Read(ref _reading) == 0) Free();
    }

    private int _freed;

    private void Free()
    {
        // A read starting after Dispose throws before touching the buffer; one in progress frees it when it ends.
        if (Volatile.Read(ref _reading) != 0 || Interlocked.Exchange(ref _freed, 1) != 0) return;
        ((IDisposable)_buffer).Dispose();
    }

    /// <summary>Memory from the C heap, freed on dispose (large blocks go straight back to the system).</summary>
    private sealed unsafe class NativeBuffer : MemoryManager<byte>
    {
        private byte* _pointer;

        public int Length { get; private set; }

        public NativeBuffer(int length)
        {
            _pointer = (byte*)NativeMemory.Alloc((nuint)length);
            Length = length;
        }

        public override Span<byte> GetSpan()
        {
            ObjectDisposedException.ThrowIf(_pointer == null, this);
            return new Span<byte>(_pointer, Length);
        }

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            ObjectDisposedException.ThrowIf(_pointer == null, this);
            return new MemoryHandle(_pointer + elementIndex);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            if (_pointer == null) return;
            NativeMemory.Free(_pointer);
            _pointer = null;
            Length = 0;
        }
    }
}
