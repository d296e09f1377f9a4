using System.Runtime.InteropServices;
using System.Text;

namespace Taskmaster.Core.Processes.Native;

/// <summary>NUL-terminated UTF-8 strings and string arrays in one native block, freed together.</summary>
internal sealed unsafe class NativeStrings : IDisposable
{
    private readonly List<nint> blocks = [];

    public byte* Add(string text)
    {
        var count = Encoding.UTF8.GetByteCount(text);
        var p = (byte*)NativeMemory.Alloc((nuint)count + 1);
        blocks.Add((nint)p);
        Encoding.UTF8.GetBytes(text, new Span<byte>(p, count));
        p[count] = 0;
        return p;
    }

    /// <summary>A NULL-terminated <c>char*[]</c>.</summary>
    public byte** AddArray(IReadOnlyList<string> items)
    {
        var array = (byte**)NativeMemory.Alloc((nuint)(items.Count + 1), (nuint)sizeof(nint));
        blocks.Add((nint)array);
        for (var i = 0; i < items.Count; i++) array[i] = Add(items[i]);
        array[items.Count] = null;
        return array;
    }

    public void Dispose()
    {
        foreach (var b in blocks) NativeMemory.Free((void*)b);
        blocks.Clear();
    }
}
