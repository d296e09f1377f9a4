namespace Taskmaster.Core.Config;

/// <summary>Suggests the known word a misspelled one was meant to be (<c>stoptim</c> → <c>stoptime</c>).</summary>
public static class DidYouMean
{
    /// <summary>
    /// The closest candidate by edit distance (insertions, deletions, substitutions and swaps of neighbours,
    /// ignoring case), or the target of a known alias; null when nothing is close enough.
    /// </summary>
    public static string? Suggest(string input, IEnumerable<string> candidates,
        IReadOnlyDictionary<string, string>? aliases = null)
    {
        if (aliases is not null && aliases.TryGetValue(input.ToLowerInvariant(), out var aliased)) return aliased;
        var limit = input.Length <= 4 ? 1 : 2;
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = Distance(input.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= limit ? best : null;
    }

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent transpositions).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
        {
            var cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }
}
