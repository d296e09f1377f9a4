using System.Text;
using Taskmaster.Core.Config.Validation;

namespace Taskmaster.Core.Config.Yaml;

/// <summary>Checks on the raw text before and after YAML parsing: binary data, invalid UTF-8, tab indentation.</summary>
internal static class SourceText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decode file bytes as UTF-8 (a BOM is skipped); null with an error when they are not UTF-8 text.</summary>
    public static string? Decode(byte[] bytes, Diagnostics diagnostics)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith("\uFEFF"u8)) span = span[3..];
        int line = 1, column = 1;
        for (var i = 0; i < span.Length;)
        {
            var status = Rune.DecodeFromUtf8(span[i..], out _, out var consumed);
            if (status != System.Buffers.OperationStatus.Done)
            {
                diagnostics.Add(line, column, "",
                    $"not a text file: invalid UTF-8 byte 0x{span[i]:X2}", "UTF-8 text (YAML)");
                return null;
            }
            if (span[i] == (byte)'\n') { line++; column = 1; } else column++;
            i += consumed;
        }
        return StrictUtf8.GetString(span);
    }

    /// <summary>False, with an error at its position, when the text holds control characters (binary data).</summary>
    public static bool IsText(string text, Diagnostics diagnostics)
    {
        int line = 1, column = 1;
        foreach (var c in text)
        {
            if (c == '\n') { line++; column = 1; continue; }
            if (c < 0x20 && c is not ('\t' or '\r') || c is '\u007F' or '\uFFFE' or '\uFFFF')
            {
                diagnostics.Add(line, column, "",
                    $"not a text file: control character 0x{(int)c:X2}", "UTF-8 text (YAML)");
                return false;
            }
            column++;
        }
        return true;
    }

    /// <summary>The first line (1-based) whose indentation holds a tab, and the tab's column; null when none.</summary>
    public static (int Line, int Column)? FirstTabIndentation(string text)
    {
        var line = 1;
        foreach (var raw in text.Split('\n'))
        {
            for (var i = 0; i < raw.Length && raw[i] is ' ' or '\t'; i++)
            {
                if (raw[i] == '\t' && raw.AsSpan(i).Trim().Length > 0 && !raw.AsSpan(i).TrimStart().StartsWith("#"))
                    return (line, i + 1);
            }
            line++;
        }
        return null;
    }
}
