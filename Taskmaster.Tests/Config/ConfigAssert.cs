using Taskmaster.Core.Config;

namespace Taskmaster.Tests.Config;

/// <summary>Loads YAML text the way the daemon does and asserts on the outcome.</summary>
internal static class ConfigAssert
{
    /// <summary>Relative paths in test documents resolve against this file's directory.</summary>
    public const string FileName = "/etc/taskmaster/test.yaml";

    public static TaskmasterConfig Valid(string yaml)
    {
        var result = ConfigLoader.LoadText(yaml, FileName);
        Assert.True(result.IsValid, "expected a valid config, got:\n" + string.Join('\n', result.Errors));
        Assert.Empty(result.Errors);
        return result.Config!;
    }

    public static ProgramSpec Program(string programBody, string name = "web")
    {
        var config = Valid($"programs:\n  {name}:\n{Indent(programBody, 4)}");
        return config.Programs[name];
    }

    public static IReadOnlyList<ConfigError> Invalid(string yaml)
    {
        var result = ConfigLoader.LoadText(yaml, FileName);
        Assert.Null(result.Config);
        Assert.NotEmpty(result.Errors);
        return result.Errors;
    }

    /// <summary>The single error of an invalid document.</summary>
    public static ConfigError Error(string yaml)
    {
        var errors = Invalid(yaml);
        Assert.True(errors.Count == 1, "expected one error, got:\n" + string.Join('\n', errors));
        return errors[0];
    }

    /// <summary>The single error of a program body placed under <c>programs: web:</c> (body starts at line 3).</summary>
    public static ConfigError ProgramError(string programBody, string name = "web") =>
        Error($"programs:\n  {name}:\n{Indent(programBody, 4)}");

    public static string Indent(string text, int spaces)
    {
        var pad = new string(' ', spaces);
        return string.Join('\n', text.Split('\n').Select(l => l.Length == 0 ? l : pad + l)) + "\n";
    }
}
