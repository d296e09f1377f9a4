using System.Diagnostics;
using System.Text;
using CsCheck;
using Taskmaster.Core.Config;
using Taskmaster.Core.Config.Validation;

namespace Taskmaster.Tests.Config;

/// <summary>
/// Item 10: whatever text it is given, the loader returns either a valid config or a non-empty list of errors
/// with positions, and never throws.
/// </summary>
public class LoaderPropertyTests
{
    private const string Name = "/etc/taskmaster/prop.yaml";

    private static readonly string Sample = File.ReadAllText(Path.Combine(Tests.Support.Binaries.RepositoryRoot, "configs", "taskmaster.yaml"));

    /// <summary>Characters that matter to YAML, plus letters, digits and non-ASCII.</summary>
    private const string Alphabet = " \n\n\n\t:-,[]{}#&*!|>'\"%@`?~=\\/.0123456789abcdefgxyzABCTERM_\r\u00e9\u4e2d";

    /// <summary>Mostly YAML-significant text; now and then a control character or a stray byte order mark.</summary>
    private static readonly Gen<string> RandomText =
        Gen.Frequency((400, Gen.Char[Alphabet]), (1, Gen.Char["\0\u0001\u007f\ufeff"]))
            .Array[0, 300].Select(chars => new string(chars));

    /// <summary>One edit of a document: delete, insert, duplicate a line, swap neighbouring lines, re-indent.</summary>
    private static string Mutate(string text, int op, int position, string insert)
    {
        var lines = text.Split('\n').ToList();
        var at = text.Length == 0 ? 0 : position % text.Length;
        var line = lines.Count == 0 ? 0 : position % lines.Count;
        switch (op)
        {
            case 0: return text.Remove(at, Math.Min(insert.Length + 1, text.Length - at));
            case 1: return text.Insert(at, insert);
            case 2: lines.Insert(line, lines[line]); break;
            case 3 when line + 1 < lines.Count: (lines[line], lines[line + 1]) = (lines[line + 1], lines[line]); break;
            case 4: lines[line] = new string(' ', insert.Length % 7) + lines[line].TrimStart(); break;
            default: lines.RemoveAt(line); break;
        }
        return string.Join('\n', lines);
    }

    private static readonly Gen<string> MutatedSample =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 100_000], Gen.Char[Alphabet].Array[0, 8].Select(c => new string(c)))
            .Array[1, 6]
            .Select(edits => edits.Aggregate(Sample, (text, e) => Mutate(text, e.Item1, e.Item2, e.Item3)));

    /// <summary>Well-formed YAML with the real keys and random, often invalid, values.</summary>
    private static readonly Gen<string> RandomPrograms =
        Gen.Select(
                Gen.OneOf<string>("web", "a b", "all", "x.y-z_1"),
                Gen.Select(
                        Gen.OneOf<string>([.. ConfigKeys.ProgramKeys, "stoptim", "command", "<<"]),
                        Gen.OneOf<string>("1", "0", "-1", "2.5", "10001", "true", "no", "", "~", "TERM", "SIG", "022", "0999",
                            "[0, 2]", "[]", "{a: 1}", "{}", "'x'", "\"/bin/sh -c 'echo hi'\"", "\"'open\"", "none", "50MB",
                            "/tmp/x-{n}.log", "rel/path", ".inf", "99999999999999999999", "[1, [2]]", "&a 3", "*a", "!!str 5"))
                    .Array[0, 12])
            .Array[0, 4]
            .Select(programs =>
            {
                var sb = new StringBuilder("taskmasterd:\n  loglevel: info\nprograms:\n");
                foreach (var (name, keys) in programs)
                {
                    sb.Append("  ").Append(name).Append(":\n");
                    foreach (var (key, value) in keys) sb.Append("    ").Append(key).Append(": ").Append(value).Append('\n');
                }
                return sb.ToString();
            });

    private int _valid, _invalid;

    private void LoadsWithoutThrowing(string yaml)
    {
        var result = ConfigLoader.LoadText(yaml, Name);
        Interlocked.Increment(ref result.Config is null ? ref _invalid : ref _valid);
        if (result.Config is not null)
        {
            Assert.Empty(result.Errors);
            Assert.All(result.Config.Programs.Values, p => Assert.False(p.Argv.IsEmpty));
            return;
        }
        Assert.NotEmpty(result.Errors);
        Assert.All(result.Errors, e =>
        {
            Assert.Equal(Name, e.File);
            // The loader's last-resort catch reports line 0 ("cannot load the config: ..."): an internal crash.
            Assert.True(e.Line >= 1 && e.Column >= 1, $"no position: {e}");
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        });
    }

    [Fact]
    public void Random_text_gives_a_config_or_errors_never_an_exception()
    {
        int syntax = 0, binary = 0;
        RandomText.Sample(yaml =>
        {
            LoadsWithoutThrowing(yaml);
            var errors = ConfigLoader.LoadText(yaml, Name).Errors;
            if (errors.Any(e => e.Message.StartsWith("YAML syntax error", StringComparison.Ordinal))) Interlocked.Increment(ref syntax);
            if (errors.Any(e => e.Message.StartsWith("not a text file", StringComparison.Ordinal))) Interlocked.Increment(ref binary);
        }, iter: 3000);
        // Both the YAML parser and the binary-data check were reached, not only one early exit.
        Assert.True(syntax > 100 && binary > 0, $"syntax errors {syntax}, binary {binary}, valid {_valid}, invalid {_invalid}");
    }

    [Fact]
    public void Mutated_sample_config_gives_a_config_or_errors_never_an_exception()
    {
        MutatedSample.Sample(LoadsWithoutThrowing, iter: 2000);
        // The generator reaches both outcomes, so both paths of the loader are exercised.
        Assert.True(_valid > 0 && _invalid > 0, $"valid {_valid}, invalid {_invalid}");
    }

    [Fact]
    public void Random_values_for_every_key_give_a_config_or_errors_never_an_exception()
    {
        RandomPrograms.Sample(LoadsWithoutThrowing, iter: 3000);
        Assert.True(_valid > 0 && _invalid > 0, $"valid {_valid}, invalid {_invalid}");
    }

    [Fact]
    public void The_loader_stays_fast_on_generated_documents()
    {
        var watch = Stopwatch.StartNew();
        RandomPrograms.Sample(LoadsWithoutThrowing, iter: 500, threads: 1);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"500 loads took {watch.Elapsed}");
    }
}
