namespace Taskmaster.Tests.Config;

public class KeyAndNameTests
{
    [Fact]
    public void Unknown_program_key_suggests_the_closest_key()
    {
        var e = ConfigAssert.ProgramError("cmd: /bin/true\nstoptim: 5");
        Assert.Equal(("programs.web.stoptim", 4, 5), (e.KeyPath, e.Line, e.Column));
        Assert.Contains("unknown key 'stoptim' (did you mean 'stoptime'?)", e.Message);
    }

    [Theory]
    [InlineData("command", "cmd")]
    [InlineData("stopwaitsecs", "stoptime")]
    [InlineData("directory", "workingdir")]
    [InlineData("stdout_logfile", "stdout")]
    [InlineData("numproc", "numprocs")]
    [InlineData("autorestrat", "autorestart")]
    public void Supervisord_names_and_typos_point_to_our_key(string key, string suggestion) =>
        Assert.Contains($"did you mean '{suggestion}'?",
            ConfigAssert.Invalid($"programs:\n  web:\n    cmd: x\n    {key}: 1\n")[0].Message);

    [Fact]
    public void Unknown_key_far_from_any_lists_the_allowed_keys()
    {
        var e = ConfigAssert.ProgramError("cmd: /bin/true\nflavour: vanilla");
        Assert.DoesNotContain("did you mean", e.Message);
        Assert.Contains("allowed: cmd, numprocs, autostart", e.Message);
    }

    [Fact]
    public void Unknown_top_level_key_is_an_error_with_a_suggestion()
    {
        var e = ConfigAssert.Error("program:\n  web: {cmd: x}\n");
        Assert.Equal(("program", 1, 1), (e.KeyPath, e.Line, e.Column));
        Assert.Contains("did you mean 'programs'?", e.Message);
    }

    [Fact]
    public void A_program_written_at_top_level_is_pointed_under_programs() =>
        Assert.Contains("programs go under 'programs:'", ConfigAssert.Error("web:\n  cmd: /bin/true\n").Message);

    [Theory]
    [InlineData("web")]
    [InlineData("my-app.v2_1")]
    [InlineData("A9")]
    public void Program_names_of_letters_digits_and_punctuation_are_valid(string name) =>
        Assert.Equal(name, ConfigAssert.Program("cmd: /bin/true", name).Name);

    [Theory]
    [InlineData("\"bad name\"")]
    [InlineData("\"web:0\"")]
    [InlineData("\"a/b\"")]
    [InlineData("all")]
    public void Invalid_or_reserved_program_names_are_errors(string name)
    {
        var e = ConfigAssert.Error($"programs:\n  {name}:\n    cmd: /bin/true\n");
        Assert.Equal((2, 3), (e.Line, e.Column));
        Assert.StartsWith("programs.", e.KeyPath);
    }

    [Fact]
    public void A_program_that_is_not_a_mapping_is_an_error()
    {
        var e = ConfigAssert.Error("programs:\n  web: /bin/true\n");
        Assert.Equal(("programs.web", 2), (e.KeyPath, e.Line));
        Assert.Contains("expected a mapping", e.Message);
    }

    [Fact]
    public void A_program_without_settings_says_cmd_is_missing() =>
        Assert.Contains("'cmd' is missing", ConfigAssert.Error("programs:\n  web:\n").Message);

    [Fact]
    public void Every_problem_is_reported_in_one_pass_in_file_order()
    {
        var errors = ConfigAssert.Invalid("""
            programs:
              web:
                cmd: /bin/true
                numprocs: 0
                stopsignal: NOPE
              api:
                umask: 9
                stoptim: 1
            """);
        Assert.Equal(
            ["programs.web.numprocs", "programs.web.stopsignal", "programs.api", "programs.api.umask", "programs.api.stoptim"],
            errors.Select(e => e.KeyPath));
        Assert.Equal([4, 5, 6, 7, 8], errors.Select(e => e.Line));
    }
}
