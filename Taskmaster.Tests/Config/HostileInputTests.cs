using System.Text;
using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;

namespace Taskmaster.Tests.Config;

/// <summary>
/// Config input no child could receive as written is an error, not silently changed (a NUL cut a value short; a
/// newline in a variable name was passed on), and a config cannot make the daemon supervise an unbounded number of
/// instances (YAML aliases repeat a program's settings at no cost).
/// </summary>
public class HostileInputTests
{
    private static ProgramSpec P(string body) => ConfigAssert.Program("cmd: /bin/true\n" + body);
    private static ConfigError E(string body) => ConfigAssert.ProgramError("cmd: /bin/true\n" + body);

    [Fact]
    public void Env_value_with_a_NUL_is_an_error_naming_the_variable()
    {
        var e = E("env: {TOKEN: \"abc\\0def\"}");
        Assert.Equal(("programs.web.env.TOKEN", 4), (e.KeyPath, e.Line));
        Assert.Contains("NUL", e.Message);
    }

    [Fact]
    public void Env_name_with_a_newline_is_an_error() =>
        Assert.Contains("control character", E("env: {\"A\\nB\": 1}").Message);

    [Fact]
    public void Command_with_a_NUL_is_an_error() =>
        Assert.Equal("programs.web.cmd", ConfigAssert.ProgramError("cmd: \"/bin/echo a\\0b\"").KeyPath);

    [Fact]
    public void Inherit_env_is_true_false_or_a_list_of_names()
    {
        Assert.Equal(EnvInheritance.All, P("inherit_env: true").InheritEnv);
        Assert.Equal(EnvInheritance.None, P("inherit_env: no").InheritEnv);
        Assert.Equal(new[] { "HTTP_PROXY", "JAVA_HOME" }, P("inherit_env: [JAVA_HOME, HTTP_PROXY, JAVA_HOME]").InheritEnv!.Names);
        Assert.Null(P("user: nobody").InheritEnv);
        Assert.Equal(EnvInheritance.None, P("user: nobody").EffectiveInheritEnv);
        Assert.Equal(EnvInheritance.All, P("workingdir: /").EffectiveInheritEnv);
        Assert.Equal("programs.web.inherit_env", E("inherit_env: maybe").KeyPath);
        Assert.Equal("programs.web.inherit_env[1]", E("inherit_env: [A, \"B=C\"]").KeyPath);
        Assert.Contains("inherit_env", E("pass_environment: true").ToString());
    }

    [Fact]
    public void Changing_inherit_env_restarts_the_program_on_reload() =>
        Assert.True(P("inherit_env: [A]").RunsDifferentlyFrom(P("inherit_env: [B]")));

    [Fact]
    public void An_alias_bomb_is_refused_at_the_program_that_crosses_the_instance_limit()
    {
        // 300 programs of numprocs 10000 in a few lines: three million instances.
        var yaml = new StringBuilder("programs:\n  p0: &p {cmd: /bin/sleep 1000, numprocs: 10000, autostart: false}\n");
        for (var i = 1; i < 300; i++) yaml.Append($"  p{i}: *p\n");
        var errors = ConfigAssert.Invalid(yaml.ToString());
        var e = Assert.Single(errors);
        Assert.Equal(("programs.p10", 12), (e.KeyPath, e.Line));
        Assert.Contains("more than 100000", e.Message);
    }

    [Fact]
    public void Exactly_the_instance_limit_is_accepted()
    {
        var yaml = new StringBuilder("programs:\n");
        for (var i = 0; i < 10; i++) yaml.Append($"  p{i}: {{cmd: /bin/true, numprocs: 10000}}\n");
        Assert.Equal(100_000, ConfigAssert.Valid(yaml.ToString()).Programs.Values.Sum(p => p.NumProcs));
    }
}
