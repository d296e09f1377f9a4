using System.Globalization;
using Taskmaster.Core.Config.Yaml;

namespace Taskmaster.Core.Config.Validation;

/// <summary>
/// Reads typed values out of YAML nodes. Each method returns false after recording an error that says what was
/// found and what is allowed; it never falls back to a default silently.
/// </summary>
internal static class ValueReader
{
    private static readonly string[] TrueWords = ["true", "yes", "on"];
    private static readonly string[] FalseWords = ["false", "no", "off"];

    /// <summary>A scalar with a value (not a mapping, a list or an empty value).</summary>
    public static bool Scalar(YNode node, string path, Diagnostics d, string allowed, out YScalar scalar)
    {
        if (node is YScalar s && !s.IsNull)
        {
            scalar = s;
            return true;
        }
        d.Add(node, path, $"expected a value, found {node.Describe()}", allowed);
        scalar = null!;
        return false;
    }

    public static bool Text(YNode node, string path, Diagnostics d, string allowed, out string text)
    {
        text = "";
        if (!Scalar(node, path, d, allowed, out var s)) return false;
        if (s.Value.Trim().Length == 0)
        {
            d.Add(node, path, "empty text", allowed);
            return false;
        }
        if (s.Value.Contains('\0'))
        {
            // No command, path or name can hold one: the child or the kernel would see the text cut there.
            d.Add(node, path, "the text contains a NUL character (\\0)", allowed);
            return false;
        }
        text = s.Value;
        return true;
    }

    public static bool Integer(YNode node, string path, Diagnostics d, long min, long max, string allowed, out long value)
    {
        value = 0;
        if (!Scalar(node, path, d, allowed, out var s)) return false;
        var t = s.Value.Trim();
        if (!long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            var what = t.All(c => char.IsAsciiDigit(c) || c is '-' or '+') && t.Length > 0
                ? $"{s.Describe()} is too large"
                : $"{s.Describe()} is not an integer";
            d.Add(node, path, what, allowed);
            return false;
        }
        if (value < min || value > max)
        {
            d.Add(node, path, $"{value} is out of range", allowed);
            return false;
        }
        return true;
    }

    public static bool Int(YNode node, string path, Diagnostics d, int min, int max, string allowed, out int value)
    {
        var ok = Integer(node, path, d, min, max, allowed, out var v);
        value = ok ? (int)v : 0;
        return ok;
    }

    /// <summary>A non-negative number of seconds, integer or decimal (<c>1</c>, <c>0.5</c>).</summary>
    public static bool Seconds(YNode node, string path, Diagnostics d, double min, double max, string allowed, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (!Number(node, path, d, min, max, allowed, out var seconds)) return false;
        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    public static bool Number(YNode node, string path, Diagnostics d, double min, double max, string allowed, out double value)
    {
        value = 0;
        if (!Scalar(node, path, d, allowed, out var s)) return false;
        var t = s.Value.Trim();
        if (!double.TryParse(t, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out value) || !double.IsFinite(value))
        {
            d.Add(node, path, $"{s.Describe()} is not a number", allowed);
            return false;
        }
        if (value < min || value > max)
        {
            d.Add(node, path, $"{t} is out of range", allowed);
            return false;
        }
        return true;
    }

    public static bool Bool(YNode node, string path, Diagnostics d, out bool value)
    {
        value = false;
        const string allowed = "true or false (also yes/no, on/off)";
        if (!Scalar(node, path, d, allowed, out var s)) return false;
        if (BoolWord(s) is { } b) { value = b; return true; }
        d.Add(node, path, $"{s.Describe()} is not a boolean", allowed);
        return false;
    }

    /// <summary>The boolean a scalar spells (<c>true</c>/<c>yes</c>/<c>on</c>, <c>false</c>/<c>no</c>/<c>off</c>,
    /// any case), or null when it is something else; records nothing (for keys that also take other values).</summary>
    public static bool? BoolWord(YNode node)
    {
        if (node is not YScalar { IsNull: false } s) return null;
        var t = s.Value.Trim().ToLowerInvariant();
        return TrueWords.Contains(t) ? true : FalseWords.Contains(t) ? false : null;
    }

    /// <summary>Octal digits as written (<c>022</c>, <c>"0022"</c>, <c>0o22</c>), at most <paramref name="max"/>.</summary>
    public static bool Octal(YNode node, string path, Diagnostics d, int max, string allowed, out int value)
    {
        value = 0;
        if (!Scalar(node, path, d, allowed, out var s)) return false;
        var t = s.Value.Trim();
        var digits = t.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? t[2..] : t;
        if (digits.Length == 0 || digits.Length > 12 || !digits.All(c => c is >= '0' and <= '7'))
        {
            d.Add(node, path, $"{s.Describe()} is not octal (digits 0-7 only)", allowed);
            return false;
        }
        value = Convert.ToInt32(digits, 8);
        if (value > max)
        {
            d.Add(node, path, $"{t} is out of range", allowed);
            return false;
        }
        return true;
    }

    /// <summary>A size in bytes: an integer, or a number with a KB, MB or GB suffix (1024-based, like supervisord).</summary>
    public static bool Size(YNode node, string path, Diagnostics d, string allowed, out long bytes)
    {
        bytes = 0;
        if (!Scalar(node, path, d, allowed, out var s)) return false;
        var t = s.Value.Trim();
        long multiplier = 1;
        foreach (var (suffix, factor) in new[] { ("KB", 1L << 10), ("MB", 1L << 20), ("GB", 1L << 30), ("B", 1L) })
        {
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                multiplier = factor;
                t = t[..^suffix.Length].TrimEnd();
                break;
            }
        }
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            d.Add(node, path, $"{s.Describe()} is not a size", allowed);
            return false;
        }
        try
        {
            bytes = checked(n * multiplier);
            return true;
        }
        catch (OverflowException)
        {
            d.Add(node, path, $"{s.Describe()} is too large", allowed);
            return false;
        }
    }

    /// <summary>The one of <paramref name="choices"/> the value names (case-insensitive), suggesting the closest.</summary>
    public static bool Choice(YNode node, string path, Diagnostics d, IReadOnlyList<string> choices, out string value)
    {
        value = "";
        var allowed = string.Join(", ", choices);
        if (!Scalar(node, path, d, allowed, out var s)) return false;
        var t = s.Value.Trim();
        var match = choices.FirstOrDefault(c => string.Equals(c, t, StringComparison.OrdinalIgnoreCase));
        if (match is not null)
        {
            value = match;
            return true;
        }
        var hint = DidYouMean.Suggest(t, choices) is { } guess ? $" (did you mean '{guess}'?)" : "";
        d.Add(node, path, $"{s.Describe()} is not valid{hint}", allowed);
        return false;
    }

    /// <summary>The mapping at <paramref name="node"/>; an error when it is anything else.</summary>
    public static bool Mapping(YNode node, string path, Diagnostics d, string allowed, out YMapping mapping)
    {
        if (node is YMapping m)
        {
            mapping = m;
            return true;
        }
        d.Add(node, path, $"expected a mapping, found {node.Describe()}", allowed);
        mapping = null!;
        return false;
    }

    /// <summary>Reports keys of <paramref name="mapping"/> that are not in <paramref name="known"/>, with a suggestion.</summary>
    public static void RejectUnknownKeys(YMapping mapping, string path, Diagnostics d, IReadOnlyList<string> known,
        IReadOnlyDictionary<string, string>? aliases = null, Func<KeyValuePair<YScalar, YNode>, string?>? extraHint = null)
    {
        foreach (var entry in mapping.Entries)
        {
            var key = entry.Key.Value;
            if (known.Contains(key)) continue;
            var keyPath = path.Length == 0 ? key : $"{path}.{key}";
            var hint = extraHint?.Invoke(entry);
            if (hint is null && DidYouMean.Suggest(key, known, aliases) is { } guess)
                hint = $"did you mean '{guess}'?";
            d.Add(entry.Key, keyPath, hint is null ? $"unknown key '{key}'" : $"unknown key '{key}' ({hint})",
                string.Join(", ", known));
        }
    }

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
