using Taskmaster.Core.Supervision;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Supervision;

/// <summary>The table of legal transitions is the README's list, arrow for arrow.</summary>
public sealed class TransitionTableTests
{
    [Fact]
    public void The_table_is_the_readmes_list()
    {
        var readme = File.ReadAllText(Path.Combine(Binaries.RepositoryRoot, "README.md"));
        var block = readme[readme.IndexOf("<!-- transitions -->", StringComparison.Ordinal)..readme.IndexOf("<!-- /transitions -->", StringComparison.Ordinal)];
        var arrows = new HashSet<(ProcessState, ProcessState)>();
        foreach (var line in block.Split('\n').Where(l => l.Contains("->", StringComparison.Ordinal) && !l.StartsWith("<!--", StringComparison.Ordinal)))
        {
            var parts = line.Split("->");
            Assert.True(ProcessStateNames.TryParse(parts[0].Trim(), out var from), line);
            // The targets, up to the comment: STARTING, BACKOFF   restart at once, …
            var targets = 0;
            foreach (var word in parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.TrimEnd(',')))
            {
                if (!ProcessStateNames.TryParse(word, out var to) || word.ToUpperInvariant() != word) break;
                arrows.Add((from, to));
                targets++;
            }
            Assert.True(targets > 0, line);
        }
        Assert.Equal(Transitions.Legal.OrderBy(t => t).ToList(), arrows.OrderBy(t => t).ToList());
    }

    [Fact]
    public void Every_state_is_left_somehow_and_reached_somehow()
    {
        foreach (var state in Enum.GetValues<ProcessState>())
        {
            Assert.Contains(Transitions.Legal, t => t.From == state);
            Assert.Contains(Transitions.Legal, t => t.To == state);
        }
    }
}
