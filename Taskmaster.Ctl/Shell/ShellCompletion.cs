using RadLine;
using Taskmaster.Core.Protocol;
using Taskmaster.Ctl.Cli;

namespace Taskmaster.Ctl.Shell;

/// <summary>
/// Tab completion: command names first, then instance and program names fetched from the daemon (cached for a
/// moment so holding Tab does not flood it), <c>stdout</c>/<c>stderr</c> after <c>tail NAME</c>.
/// </summary>
public sealed class ShellCompletion(CommandTree tree, Func<string> socketPath) : ITextCompletion
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);
    private IReadOnlyList<string> _names = [];
    private DateTime _fetched = DateTime.MinValue;

    public IEnumerable<string> GetCompletions(string context, string word, string suffix) =>
        Complete(context, word);

    /// <summary>Candidates for <paramref name="word"/> after the text <paramref name="context"/>, best first.</summary>
    public IReadOnlyList<string> Complete(string context, string word)
    {
        var before = context.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        IEnumerable<string> candidates;
        if (before.Length == 0)
            candidates = tree.CommandNames;
        else if (before[0] == "help")
            candidates = before.Length == 1 ? tree.CommandNames : [];
        else if (before[0] == "tail" && before.Count(w => !w.StartsWith('-')) >= 2)
            candidates = ["stdout", "stderr"];
        else if (before[0] == "signal" && before.Length == 1)
            candidates = Core.Processes.Signals.KnownNames;
        else if (CommandTree.TakesNames.Contains(before[0]))
            candidates = Names(includeAll: before[0] is not ("pid" or "tail"));
        else
            candidates = [];
        return [.. candidates.Where(c => c.StartsWith(word, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }

    private IEnumerable<string> Names(bool includeAll)
    {
        if (DateTime.UtcNow - _fetched > CacheFor)
        {
            _fetched = DateTime.UtcNow;
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var response = ControlClient.RequestAsync(socketPath(), Request.For(Commands.Status), cts.Token).GetAwaiter().GetResult();
                if (response.Ok && response.Instances is { } instances)
                    _names = [.. instances.Select(i => i.Name).Concat(instances.Select(i => i.Program)).Distinct()];
            }
            catch (Exception e) when (e is DaemonUnreachableException or ProtocolException or OperationCanceledException or IOException)
            {
                // No completion of names without a daemon.
            }
        }
        return includeAll ? _names.Append("all") : _names;
    }
}
