using System.Collections.Immutable;
using System.Text;

namespace Taskmaster.Core.Config;

/// <summary>The words of a command line, or why it cannot be split.</summary>
/// <param name="Error">Null when the split succeeded.</param>
public sealed record SplitResult(ImmutableArray<string> Words, string? Error);

/// <summary>
/// Splits a command line the way a POSIX shell splits words, without running a shell: whitespace separates words;
/// 'single quotes' keep everything literally; "double quotes" keep everything except that a backslash escapes
/// <c>\ " $ `</c> and a newline; outside quotes a backslash escapes the next character. Nothing is expanded
/// ($VAR, globs, ~): a command that needs that runs a shell itself (<c>/bin/sh -c '...'</c>).
/// </summary>
public static class CommandLineSplitter
{
    public static SplitResult Split(string commandLine)
    {
        var words = ImmutableArray.CreateBuilder<string>();
        var word = new StringBuilder();
        var inWord = false;
        var i = 0;
        while (i < commandLine.Length)
        {
            var c = commandLine[i];
            if (c is ' ' or '\t' or '\n' or '\r')
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                i++;
                continue;
            }
            // A quoted empty string is a word; a backslash-newline (line continuation) is not.
            if (!(c == '\\' && i + 1 < commandLine.Length && commandLine[i + 1] == '\n')) inWord = true;
            switch (c)
            {
                case '\'':
                {
                    var close = commandLine.IndexOf('\'', i + 1);
                    if (close < 0) return Fail($"unclosed single quote at character {i + 1}");
                    word.Append(commandLine, i + 1, close - i - 1);
                    i = close + 1;
                    break;
                }
                case '"':
                {
                    var start = i;
                    i++;
                    while (true)
                    {
                        if (i >= commandLine.Length) return Fail($"unclosed double quote at character {start + 1}");
                        var d = commandLine[i];
                        if (d == '"') { i++; break; }
                        if (d == '\\' && i + 1 < commandLine.Length && commandLine[i + 1] is '\\' or '"' or '$' or '`' or '\n')
                        {
                            if (commandLine[i + 1] != '\n') word.Append(commandLine[i + 1]);
                            i += 2;
                            continue;
                        }
                        word.Append(d);
                        i++;
                    }
                    break;
                }
                case '\\':
                    if (i + 1 >= commandLine.Length) return Fail("a lone backslash at the end");
                    if (commandLine[i + 1] != '\n') word.Append(commandLine[i + 1]);
                    i += 2;
                    break;
                default:
                    word.Append(c);
                    i++;
                    break;
            }
        }
        if (inWord) words.Add(word.ToString());
        return new SplitResult(words.ToImmutable(), null);
    }

    private static SplitResult Fail(string error) => new([], error);
}
