using System.Text;
using Taskmaster.Core.Config;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Config;

public class MalformedYamlTests
{
    [Fact]
    public void Tab_indentation_is_reported_at_the_tab()
    {
        var e = ConfigAssert.Error("programs:\n  web:\n\tcmd: /bin/true\n");
        Assert.Equal((3, 1), (e.Line, e.Column));
        Assert.Contains("tab character in indentation", e.Message);
        Assert.Contains("allowed: spaces only", e.Message);
    }

    [Fact]
    public void A_tab_inside_a_quoted_value_is_fine() =>
        Assert.Equal("a\tb", ConfigAssert.Program("cmd: /bin/echo\nenv: {X: \"a\tb\"}").Env["X"]);

    [Fact]
    public void Bad_indentation_is_a_syntax_error_at_its_line()
    {
        var e = ConfigAssert.Error("programs:\n  web:\n    cmd: /bin/true\n   numprocs: 2\n");
        Assert.Equal(4, e.Line);
        Assert.Contains("YAML syntax error", e.Message);
        Assert.Contains("indentation", e.Message);
    }

    [Fact]
    public void An_unquoted_colon_in_a_value_says_to_quote_it()
    {
        var e = ConfigAssert.Error("programs:\n  web:\n    cmd: /bin/echo note: hi\n");
        Assert.Equal(3, e.Line);
        Assert.Contains("must be quoted", e.Message);
    }

    [Fact]
    public void Duplicate_program_key_names_both_lines()
    {
        var e = ConfigAssert.Error("programs:\n  web:\n    cmd: a\n    cmd: b\n");
        Assert.Equal(("programs.web.cmd", 4, 5), (e.KeyPath, e.Line, e.Column));
        Assert.Contains("duplicate key 'cmd' (first defined at line 3)", e.Message);
    }

    [Fact]
    public void Duplicate_program_in_one_file_is_an_error()
    {
        var e = ConfigAssert.Error("programs:\n  web: {cmd: a}\n  web: {cmd: b}\n");
        Assert.Equal(("programs.web", 3), (e.KeyPath, e.Line));
    }

    [Fact]
    public void Unclosed_yaml_quote_is_a_syntax_error() =>
        Assert.Contains("YAML syntax error", ConfigAssert.Error("programs:\n  web:\n    cmd: \"/bin/true\n").Message);

    [Theory]
    [InlineData("programs: [web]\n", "programs")]
    [InlineData("programs:\n  web:\n    cmd: [a, b]\n", "programs.web.cmd")]
    [InlineData("programs:\n  web:\n    cmd: x\n    numprocs: {a: 1}\n", "programs.web.numprocs")]
    [InlineData("programs:\n  web:\n    cmd: x\n    autostart: [true]\n", "programs.web.autostart")]
    [InlineData("programs:\n  web:\n    cmd: x\n    env: [A, B]\n", "programs.web.env")]
    [InlineData("programs: 42\n", "programs")]
    public void Wrong_types_name_the_key(string yaml, string keyPath)
    {
        var e = ConfigAssert.Error(yaml);
        Assert.Equal(keyPath, e.KeyPath);
        Assert.Contains("allowed:", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("# nothing here\n")]
    [InlineData("---\n")]
    public void An_empty_file_is_an_error(string yaml)
    {
        var e = ConfigAssert.Error(yaml);
        Assert.Contains("the file is empty", e.Message);
        Assert.Equal(1, e.Line);
    }

    [Theory]
    [InlineData("just some text\n")]
    [InlineData("- a\n- b\n")]
    public void A_document_that_is_not_a_mapping_is_an_error(string yaml) =>
        Assert.Contains("allowed: a mapping with the keys taskmasterd", ConfigAssert.Error(yaml).Message);

    [Fact]
    public void A_second_document_is_an_error()
    {
        var e = ConfigAssert.Error("programs:\n---\nprograms:\n");
        Assert.Equal(2, e.Line);
        Assert.Contains("one document per file", e.Message);
    }

    [Fact]
    public void An_alias_to_no_anchor_is_an_error()
    {
        var e = ConfigAssert.Error("programs:\n  web: *base\n");
        Assert.Equal(("programs.web", 2, 8), (e.KeyPath, e.Line, e.Column));
        Assert.Contains("alias *base refers to no anchor", e.Message);
    }

    [Fact]
    public void Anchors_and_aliases_are_followed()
    {
        var config = ConfigAssert.Valid("programs:\n  a: &p {cmd: /bin/true, numprocs: 2}\n  b: *p\n");
        Assert.Equal(2, config.Programs["b"].NumProcs);
    }

    [Fact]
    public void A_mapping_used_as_a_key_is_an_error() =>
        Assert.Contains("plain text keys", ConfigAssert.Invalid("programs:\n  ? {a: 1}\n  : {cmd: x}\n")[0].Message);

    [Fact]
    public void Control_characters_are_reported_as_binary_data()
    {
        var e = ConfigAssert.Error("programs:\n  web: {cmd: \"a\0b\"}\n");
        Assert.Equal(2, e.Line);
        Assert.Contains("not a text file", e.Message);
    }

    [Fact]
    public void Binary_garbage_in_a_file_is_an_error_not_an_exception()
    {
        using var dir = new TempDir();
        var file = dir.File("garbage.yaml");
        var bytes = new byte[512];
        new Random(42).NextBytes(bytes);
        bytes[10] = 0xFF;
        File.WriteAllBytes(file, bytes);
        var result = ConfigLoader.Load(file);
        Assert.Null(result.Config);
        var e = Assert.Single(result.Errors);
        Assert.Equal(file, e.File);
        Assert.Contains("not a text file", e.Message);
    }

    [Fact]
    public void A_utf8_file_with_a_byte_order_mark_loads()
    {
        using var dir = new TempDir();
        var file = dir.File("bom.yaml");
        File.WriteAllBytes(file, [.. Encoding.UTF8.GetPreamble(), .. "programs:\n  web: {cmd: /bin/true}\n"u8.ToArray()]);
        Assert.True(ConfigLoader.Load(file).IsValid);
    }

    [Fact]
    public void Deeply_nested_garbage_does_not_overflow_the_stack()
    {
        var result = ConfigLoader.LoadText("programs: " + new string('[', 20000), "deep.yaml");
        Assert.Null(result.Config);
        Assert.Contains("nesting deeper than 64 levels", Assert.Single(result.Errors).Message);
    }
}
