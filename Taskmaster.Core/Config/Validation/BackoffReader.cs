using Taskmaster.Core.Config.Yaml;

namespace Taskmaster.Core.Config.Validation;

/// <summary>Reads <c>backoff_initial</c>, <c>backoff_factor</c>, <c>backoff_max</c> and <c>backoff_jitter</c> into a
/// <see cref="BackoffSpec"/>.</summary>
internal static class BackoffReader
{
    private const string SecondsAllowed = "a number of seconds from 0 to 1000000";

    public static BackoffSpec? Read(YMapping program, string programPath, Diagnostics d)
    {
        var before = d.Count;
        var spec = BackoffSpec.ConfigDefault;
        YNode? maxNode = null;
        var maxSet = false;
        foreach (var (key, value) in program.Entries)
        {
            var path = ValueReader.Join(programPath, key.Value);
            switch (key.Value)
            {
                case "backoff_initial":
                    if (ValueReader.Seconds(value, path, d, 0, ProgramValidator.MaxSeconds, SecondsAllowed, out var initial))
                        spec = spec with { Initial = initial };
                    break;
                case "backoff_factor":
                    if (ValueReader.Number(value, path, d, 1, 1000, "a number from 1 to 1000 (1: a constant delay)", out var factor))
                        spec = spec with { Multiplier = factor };
                    break;
                case "backoff_jitter":
                    if (ValueReader.Number(value, path, d, 0, 1, "a fraction from 0 to 1 (0.1: delays up to 10 % longer at random; 0: none)", out var jitter))
                        spec = spec with { Jitter = jitter };
                    break;
                case "backoff_max":
                    maxNode = value;
                    if (ValueReader.Seconds(value, path, d, 0, ProgramValidator.MaxSeconds, SecondsAllowed, out var max))
                    {
                        spec = spec with { Max = max };
                        maxSet = true;
                    }
                    break;
            }
        }
        if (d.Count != before) return null;
        if (spec.Max < spec.Initial)
        {
            if (maxSet && maxNode is not null)
            {
                d.Add(maxNode, ValueReader.Join(programPath, "backoff_max"),
                    $"backoff_max ({spec.Max.TotalSeconds}s) is below backoff_initial ({spec.Initial.TotalSeconds}s)",
                    "a number of seconds ≥ backoff_initial");
                return null;
            }
            // Only backoff_initial was raised above the default cap: the cap follows it.
            spec = spec with { Max = spec.Initial };
        }
        return spec;
    }
}
