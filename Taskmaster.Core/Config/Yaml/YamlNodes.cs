using YamlDotNet.Core;

namespace Taskmaster.Core.Config.Yaml;

/// <summary>A node of a parsed YAML document with its 1-based position (for error messages).</summary>
internal abstract class YNode(int line, int column)
{
    public int Line { get; } = line;
    public int Column { get; } = column;

    /// <summary>How the node is described in "found …" messages.</summary>
    public abstract string Describe();
}

internal sealed class YScalar(int line, int column, string value, ScalarStyle style, bool explicitTag)
    : YNode(line, column)
{
    public string Value { get; } = value;
    public ScalarStyle Style { get; } = style;

    /// <summary>Plain (unquoted, untagged) scalars are subject to YAML's implicit typing (null, booleans).</summary>
    public bool IsPlain { get; } = (style is ScalarStyle.Plain or ScalarStyle.Any) && !explicitTag;

    /// <summary><c>key:</c> with nothing after it, <c>~</c> or <c>null</c>.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe()
    {
        if (IsNull) return "nothing (an empty value)";
        var shown = Value.Length > 40 ? Value[..40] + "…" : Value;
        return $"'{shown.ReplaceLineEndings("\\n")}'";
    }
}

internal sealed class YMapping(int line, int column) : YNode(line, column)
{
    public List<KeyValuePair<YScalar, YNode>> Entries { get; } = [];

    public override string Describe() => "a mapping";
}

internal sealed class YSequence(int line, int column) : YNode(line, column)
{
    public List<YNode> Items { get; } = [];

    public override string Describe() => "a list";
}
