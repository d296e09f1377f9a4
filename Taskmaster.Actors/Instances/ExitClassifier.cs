using Taskmaster.Core.Config;
using Taskmaster.Core.Processes;

namespace Taskmaster.Actors.Instances;

/// <summary>What an exit of a RUNNING instance means under its program's policy (DESIGN §4).</summary>
/// <param name="Expected">The exit code is in <c>exitcodes</c>; a death by signal is never expected.</param>
/// <param name="Restart">The instance is started again at once.</param>
/// <param name="Description">For people: <c>exit status 3 (unexpected)</c>.</param>
public sealed record ExitVerdict(bool Expected, bool Restart, string Description);

/// <summary>Pure exit classification; the actor only acts on the verdict.</summary>
public static class ExitClassifier
{
    public static bool IsExpected(ProgramSpec spec, ExitStatus status) =>
        status.Code is { } code && spec.ExitCodes.Contains(code);

    /// <summary>Classify the exit of an instance that had reached RUNNING.</summary>
    public static ExitVerdict Classify(ProgramSpec spec, ExitStatus status)
    {
        var expected = IsExpected(spec, status);
        var restart = spec.AutoRestart switch
        {
            AutoRestart.Always => true,
            AutoRestart.Unexpected => !expected,
            _ => false,
        };
        return new ExitVerdict(expected, restart, $"{status} ({(expected ? "expected" : "unexpected")})");
    }

    /// <summary>An exit before <c>starttime</c> is a failed start whatever the code: the reason for BACKOFF.</summary>
    public static string FailedStart(ExitStatus status) => $"exited too quickly: {status}";
}
