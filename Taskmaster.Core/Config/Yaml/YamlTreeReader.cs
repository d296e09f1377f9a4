using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using Taskmaster.Core.Config.Validation;

namespace Taskmaster.Core.Config.Yaml;

/// <summary>
/// Turns YAML text into a <see cref="YNode"/> tree from YamlDotNet's parser events, keeping every position.
/// Iterative (no recursion, so deeply nested garbage cannot overflow the stack); reports duplicate keys,
/// non-scalar keys, unknown aliases, several documents and syntax errors, and never throws.
/// </summary>
internal static class YamlTreeReader
{
    /// <summary>Deeper nesting is never a real config, and YamlDotNet slows down quadratically with depth.</summary>
    public const int MaxDepth = 64;

    private sealed class Frame(YNode node, string path)
    {
        public YNode Node { get; } = node;
        public string Path { get; } = path;
        public YScalar? PendingKey { get; set; }
        public bool SkipNextValue { get; set; }
    }

    /// <summary>The root node of the single document, or null when the text holds none or is malformed.</summary>
    public static YNode? Read(string text, Diagnostics diagnostics)
    {
        try
        {
            return ReadEvents(text, diagnostics);
        }
        catch (YamlException ex)
        {
            ReportSyntaxError(text, ex, diagnostics);
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            diagnostics.Add(1, 1, "", $"the YAML parser failed: {ex.Message}", "a well-formed YAML document");
            return null;
        }
    }

    private static YNode? ReadEvents(string text, Diagnostics diagnostics)
    {
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, YNode>(StringComparer.Ordinal);
        var stack = new Stack<Frame>();
        YNode? root = null;
        var documents = 0;
        var broken = false;

        while (parser.MoveNext())
        {
            var ev = parser.Current!;
            switch (ev)
            {
                case DocumentStart:
                    if (++documents > 1)
                    {
                        diagnostics.Add(I(ev.Start.Line), I(ev.Start.Column), "",
                            "a second YAML document ('---') in the same file", "one document per file");
                        return null;
                    }
                    break;
                case Scalar s:
                {
                    var node = new YScalar(I(s.Start.Line), I(s.Start.Column), s.Value, s.Style, !s.Tag.IsEmpty && !s.Tag.IsNonSpecific);
                    Remember(s, node, anchors);
                    Attach(node, stack, ref root, diagnostics);
                    break;
                }
                case AnchorAlias alias:
                {
                    if (anchors.TryGetValue(alias.Value.Value, out var target))
                    {
                        Attach(target, stack, ref root, diagnostics);
                        break;
                    }
                    // Report at the aliased key's path; the rest of the document is not validated (it would only
                    // add errors caused by the missing node).
                    var placeholder = new YScalar(I(ev.Start.Line), I(ev.Start.Column), "", ScalarStyle.Plain, false);
                    var path = Attach(placeholder, stack, ref root, diagnostics);
                    diagnostics.Add(placeholder, path,
                        $"alias *{alias.Value.Value} refers to no anchor defined before it", "an anchor (&name) defined earlier");
                    broken = true;
                    break;
                }
                case MappingStart m:
                    if (!Open(m, new YMapping(I(m.Start.Line), I(m.Start.Column)), anchors, stack, ref root, diagnostics)) return null;
                    break;
                case SequenceStart q:
                    if (!Open(q, new YSequence(I(q.Start.Line), I(q.Start.Column)), anchors, stack, ref root, diagnostics)) return null;
                    break;
                case MappingEnd or SequenceEnd:
                    if (stack.Count > 0) stack.Pop();
                    break;
            }
        }
        return broken ? null : root;
    }

    /// <summary>A mapping or sequence begins: anchor it, attach it to its parent and descend into it. False when the
    /// document is nested too deeply to go on.</summary>
    private static bool Open(NodeEvent ev, YNode node, Dictionary<string, YNode> anchors, Stack<Frame> stack,
        ref YNode? root, Diagnostics diagnostics)
    {
        Remember(ev, node, anchors);
        var path = Attach(node, stack, ref root, diagnostics);
        stack.Push(new Frame(node, path));
        return !TooDeep(stack, node, diagnostics);
    }

    private static bool TooDeep(Stack<Frame> stack, YNode node, Diagnostics diagnostics)
    {
        if (stack.Count <= MaxDepth) return false;
        var path = stack.Peek().Path;
        if (path.Length > 60) path = path[..60] + "…";
        diagnostics.Add(node, path, $"nesting deeper than {MaxDepth} levels", "a config nested a few levels deep");
        return true;
    }

    private static void Remember(NodeEvent ev, YNode node, Dictionary<string, YNode> anchors)
    {
        if (!ev.Anchor.IsEmpty) anchors[ev.Anchor.Value] = node;
    }

    /// <summary>Adds a node to the open container (or makes it the root) and returns the node's key path.</summary>
    private static string Attach(YNode node, Stack<Frame> stack, ref YNode? root, Diagnostics diagnostics)
    {
        if (stack.Count == 0)
        {
            root ??= node;
            return "";
        }
        var frame = stack.Peek();
        if (frame.Node is YSequence seq)
        {
            var path = $"{frame.Path}[{seq.Items.Count}]";
            seq.Items.Add(node);
            return path;
        }

        var map = (YMapping)frame.Node;
        if (frame.PendingKey is null && !frame.SkipNextValue)
        {
            if (node is YScalar key)
            {
                frame.PendingKey = key;
                return Join(frame.Path, key.Value);
            }
            diagnostics.Add(node, frame.Path, $"a key that is {node.Describe()}", "plain text keys");
            frame.SkipNextValue = true;
            return frame.Path;
        }
        if (frame.SkipNextValue)
        {
            frame.SkipNextValue = false;
            return frame.Path;
        }

        var k = frame.PendingKey!;
        frame.PendingKey = null;
        var keyPath = Join(frame.Path, k.Value);
        var first = map.Entries.FindIndex(e => e.Key.Value == k.Value);
        if (first >= 0)
        {
            diagnostics.Add(k, keyPath, $"duplicate key '{k.Value}' (first defined at line {map.Entries[first].Key.Line})",
                "each key once per mapping");
            return keyPath;
        }
        map.Entries.Add(new(k, node));
        return keyPath;
    }

    private static int I(long position) => (int)Math.Clamp(position, 1, int.MaxValue);

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static void ReportSyntaxError(string text, YamlException ex, Diagnostics diagnostics)
    {
        if (SourceText.FirstTabIndentation(text) is { } tab)
        {
            diagnostics.Add(tab.Line, tab.Column, "", "tab character in indentation", "spaces only (YAML forbids tabs for indentation)");
            return;
        }
        var message = ex.Message.TrimEnd('.');
        string hint;
        if (message.Contains("invalid mapping", StringComparison.OrdinalIgnoreCase))
            hint = "a value holding ': ' must be quoted; nested keys must be indented further than their parent";
        else if (message.Contains("indentation", StringComparison.OrdinalIgnoreCase)
                 || message.Contains("did not find expected key", StringComparison.OrdinalIgnoreCase))
            hint = "consistent indentation with spaces: keys of one mapping start in the same column";
        else
            hint = "well-formed YAML (check quotes, brackets and indentation)";
        diagnostics.Add(I(ex.Start.Line), I(ex.Start.Column), "",
            $"YAML syntax error: {message}", hint);
    }
}
