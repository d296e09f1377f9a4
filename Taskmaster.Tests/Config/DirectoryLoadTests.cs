using Taskmaster.Core.Config;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Config;

public class DirectoryLoadTests
{
    [Fact]
    public void Every_yaml_and_yml_file_of_a_directory_is_merged_in_sorted_order()
    {
        using var dir = new TempDir();
        var b = dir.Write("b.yml", "programs:\n  beta: {cmd: /bin/true, numprocs: 2}\n");
        var a = dir.Write("a.yaml", "taskmasterd:\n  loglevel: warn\nprograms:\n  alpha: {cmd: /bin/true}\n");
        dir.Write("notes.txt", "not: [yaml");
        dir.Write(".hidden.yaml", "garbage: [");
        var result = ConfigLoader.Load(dir.Path);
        Assert.True(result.IsValid, string.Join('\n', result.Errors));
        var config = result.Config!;
        Assert.Equal([a, b], config.Sources);
        Assert.Equal(["alpha", "beta"], config.Programs.Keys);
        Assert.Equal("warn", config.Daemon.LogLevel);
        Assert.Equal(3, config.InstanceCount);
        Assert.Equal(b, config.Programs["beta"].SourceFile);
    }

    [Fact]
    public void A_program_defined_in_two_files_is_one_error_naming_both()
    {
        using var dir = new TempDir();
        var a = dir.Write("10-web.yaml", "programs:\n  web: {cmd: /bin/true}\n");
        var b = dir.Write("20-more.yaml", "programs:\n  api: {cmd: /bin/true}\n  web: {cmd: /bin/false}\n");
        var result = ConfigLoader.Load(dir.Path);
        var e = Assert.Single(result.Errors);
        Assert.Equal((b, 3, "programs.web"), (e.File, e.Line, e.KeyPath));
        Assert.Contains($"defined in both {a}:2 and {b}:3", e.Message);
    }

    [Fact]
    public void Taskmasterd_sections_in_two_files_are_an_error()
    {
        using var dir = new TempDir();
        dir.Write("a.yaml", "taskmasterd:\n  loglevel: info\n");
        var b = dir.Write("b.yaml", "taskmasterd:\n  loglevel: debug\n");
        var e = Assert.Single(ConfigLoader.Load(dir.Path).Errors);
        Assert.Equal((b, "taskmasterd"), (e.File, e.KeyPath));
    }

    [Fact]
    public void Errors_of_several_files_are_all_reported_by_file()
    {
        using var dir = new TempDir();
        var a = dir.Write("a.yaml", "programs:\n  web:\n    cmd: x\n    numprocs: 0\n");
        var b = dir.Write("b.yaml", "programs:\n  api:\n    cmd: y\n    stopsignal: NOPE\n");
        var errors = ConfigLoader.Load(dir.Path).Errors;
        Assert.Equal([$"{a}:4", $"{b}:4"], errors.Select(e => $"{e.File}:{e.Line}"));
    }

    [Fact]
    public void Logdir_from_one_file_applies_to_programs_of_another()
    {
        using var dir = new TempDir();
        dir.Write("a.yaml", "programs:\n  web: {cmd: /bin/true}\n");
        dir.Write("b.yaml", "taskmasterd:\n  logdir: logs\n");
        var config = ConfigLoader.Load(dir.Path).Config!;
        Assert.Equal(Path.Combine(dir.Path, "logs", "web-{n}.stdout.log"), config.Programs["web"].Stdout.PathTemplate);
    }

    [Fact]
    public void Relative_output_paths_resolve_against_the_defining_files_directory()
    {
        using var dir = new TempDir();
        var file = dir.Write("conf/app.yaml", "programs:\n  web: {cmd: /bin/true, stdout: out/web.log}\n");
        var config = ConfigLoader.Load(file).Config!;
        Assert.Equal(Path.Combine(dir.Path, "conf", "out", "web.log"), config.Programs["web"].Stdout.PathTemplate);
    }

    [Fact]
    public void A_directory_without_config_files_is_an_error()
    {
        using var dir = new TempDir();
        dir.Write("readme.txt", "hi");
        var e = Assert.Single(ConfigLoader.Load(dir.Path).Errors);
        Assert.Equal(0, e.Line);
        Assert.StartsWith($"{dir.Path}: no *.yaml or *.yml file", e.ToString());
    }

    [Fact]
    public void A_missing_path_is_an_error_not_an_exception()
    {
        var result = ConfigLoader.Load("/nonexistent/taskmaster.yaml");
        Assert.Null(result.Config);
        Assert.Equal("/nonexistent/taskmaster.yaml: no such file or directory; allowed: a config file, or a directory of *.yaml/*.yml files",
            Assert.Single(result.Errors).ToString());
    }
}
