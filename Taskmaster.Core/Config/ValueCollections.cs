using System.Collections.Immutable;

namespace Taskmaster.Core.Config;

/// <summary>An immutable array compared by content, so that records holding one compare by value (an
/// <see cref="ImmutableArray{T}"/> alone compares by reference).</summary>
public readonly struct ValueArray<T>(ImmutableArray<T> items) : IEquatable<ValueArray<T>>
{
    public ImmutableArray<T> Items { get; } = items.IsDefault ? [] : items;

    public bool Equals(ValueArray<T> other) => Items.SequenceEqual(other.Items);

    public override bool Equals(object? obj) => obj is ValueArray<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in Items) hash.Add(item);
        return hash.ToHashCode();
    }

    public static bool operator ==(ValueArray<T> a, ValueArray<T> b) => a.Equals(b);
    public static bool operator !=(ValueArray<T> a, ValueArray<T> b) => !a.Equals(b);

    public override string ToString() => "[" + string.Join(", ", Items) + "]";
}

/// <summary>An immutable sorted map compared by content (see <see cref="ValueArray{T}"/>).</summary>
public readonly struct ValueMap(ImmutableSortedDictionary<string, string> items) : IEquatable<ValueMap>
{
    public ImmutableSortedDictionary<string, string> Items { get; } = items ?? ImmutableSortedDictionary<string, string>.Empty;

    public bool Equals(ValueMap other) => Items.SequenceEqual(other.Items);

    public override bool Equals(object? obj) => obj is ValueMap other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (k, v) in Items) hash.Add((k, v));
        return hash.ToHashCode();
    }

    public static bool operator ==(ValueMap a, ValueMap b) => a.Equals(b);
    public static bool operator !=(ValueMap a, ValueMap b) => !a.Equals(b);

    public override string ToString() => "{" + string.Join(", ", Items.Select(kv => kv.Key + "=" + kv.Value)) + "}";
}
