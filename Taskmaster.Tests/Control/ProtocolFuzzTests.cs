using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CsCheck;
using Taskmaster.Core.Protocol;
using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Control;

/// <summary>
/// Crash safety of the control protocol against a real daemon: random bytes and random (mostly wrong) requests on
/// fresh connections. Whatever arrives, the daemon stays up, every connection gets well-formed JSON answers or is
/// closed (never left hanging), and afterwards nothing changed: the same instances with the same pids, all RUNNING,
/// the same processes, the same config.
/// Every run is bounded twice, in cases (<see cref="Cases"/>) and in time (<see cref="Budget"/>: once it is spent
/// the remaining cases return at once), so that a slow machine makes the test shorter, not longer.
/// </summary>
public class ProtocolFuzzTests
{
    private const string Programs = """
          alpha:
            cmd: /bin/sleep 1000
            numprocs: 2
            starttime: 0
            stoptime: 5
          beta:
            cmd: /bin/sleep 1000
            starttime: 0
            stoptime: 5

        """;

    private static readonly string[] Instances = ["alpha:0", "alpha:1", "beta"];
    private static readonly string[] ProgramNames = ["alpha", "beta"];

    private const int Cases = 300;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(50);
    /// <summary>How long one connection may take to answer everything it was sent (generous: the machine is noisy).</summary>
    private static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(30);
    private const int Limit = WireProtocol.MaxRequestLineBytes;

    private static readonly byte[] Sentinel = """{"v":1,"command":"version"}"""u8.ToArray();

    // ------------------------------------------------------------------ (a) random bytes

    /// <summary>Characters that matter to JSON and to the line reader.</summary>
    private const string Jsonish = "{}[]\":,.-+0123456789eEtrufalsn \t\r\\/u\u00e9\u4e2d\0";

    /// <summary>Byte sequences that are not UTF-8: overlong forms, surrogates, out-of-range and truncated sequences.</summary>
    private static readonly byte[][] BadUtf8 =
    [
        [0xC0, 0x80], [0xC1, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5], [0xFF],
        [0xFE], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0x80], [0xBF], [0xEF, 0xBB, 0xBF],
    ];

    /// <summary>One line of <paramref name="length"/> bytes (no newline) around the line limit, or well below it.</summary>
    private static readonly Gen<byte[]> HugeLine =
        Gen.Select(
            Gen.OneOf(Gen.Int[4096, 200_000], Gen.Int[Limit - 4096, Limit], Gen.Int[Limit + 2, Limit + 64 * 1024]),
            Gen.Byte, Gen.Bool,
            (length, fill, patterned) =>
            {
                var line = new byte[length];
                if (patterned) for (var i = 0; i < length; i++) line[i] = (byte)"[{\"a\":1},"[i % 9];
                else Array.Fill(line, fill == (byte)'\n' ? (byte)'x' : fill);
                // A huge line always stands alone, so its length is exactly the one chosen (none is within a byte of
                // the limit, where whether it is refused depends on how the reads happen to split it).
                return (byte[])[(byte)'\n', .. line, (byte)'\n'];
            });

    private static readonly Gen<byte[]> Chunk = Gen.Frequency(
        (6, Gen.Byte.Array[0, 300]),
        (6, Gen.Char[Jsonish].Array[0, 300].Select(c => Encoding.UTF8.GetBytes(c))),
        (2, Gen.Select(Gen.Int[1, 3000], Gen.OneOf<string>("\n", "\r\n", " \n", "\t\r\n", "\n\n\n", "x\n", "\0\n"),
            (n, piece) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(piece, n))))),
        (2, Gen.Int[0, BadUtf8.Length - 1].Array[1, 20].Select(picks => picks.SelectMany(i => BadUtf8[i]).ToArray())),
        (1, Gen.OneOf<string>("{", "}", "[", "\"", "{\"", "null", "{}", "[]", "true", "1", "\"v\":1", "{\"v\":1}")
            .Select(s => Encoding.UTF8.GetBytes(s))),
        (1, HugeLine));

    /// <summary>A few chunks; a payload naming <c>command</c> could by a fluke be a real request, so none does.</summary>
    private static readonly Gen<byte[]> RandomBytes =
        Gen.Frequency((20, Chunk.Array[1, 6]), (1, HugeLine.Array[2, 3]))
            .Select(chunks => chunks.SelectMany(c => c).ToArray())
            .Where(b => b.AsSpan().IndexOf("command"u8) < 0);

    /// <summary>What the daemon owes a payload: one bad_request per line that is not blank (only space, tab, CR),
    /// up to the first line over the limit, which gets line_too_long and ends the connection.</summary>
    private static (int Errors, bool TooLong) Owed(byte[] payload)
    {
        var errors = 0;
        var span = payload.AsSpan();
        while (true)
        {
            var newline = span.IndexOf((byte)'\n');
            var line = newline < 0 ? span : span[..newline];
            if (line.Length > Limit) return (errors, true);
            if (newline < 0) return (errors + (line.Trim(" \t\r"u8).IsEmpty ? 0 : 1), false);
            if (!line.Trim(" \t\r"u8).IsEmpty) errors++;
            span = span[(newline + 1)..];
        }
    }

    [Fact]
    public async Task Random_bytes_get_errors_or_a_hang_up_and_change_nothing()
    {
        await using var daemon = await new RealDaemon(Programs).StartAsync();
        var before = await SettledAsync(daemon);
        var watch = Stopwatch.StartNew();
        int run = 0, tooLong = 0, errors = 0;

        await RandomBytes.SampleAsync(async payload =>
        {
            if (watch.Elapsed > Budget) return;
            Interlocked.Increment(ref run);
            var (owed, closes) = Owed(payload);
            using var deadline = Deadline();
            using var client = await WireClient.ConnectAsync(daemon.SocketPath, deadline.Token);
            // The sentinel goes on its own line after the payload: answered unless the payload ended the connection.
            var sending = client.SendAsync((byte[])[.. payload, (byte)'\n', .. Sentinel, (byte)'\n'], deadline.Token);
            var answers = await ReadAnswersAsync(client, owed + 1, deadline.Token);
            await sending;

            Assert.Equal(owed + 1, answers.Count);
            Assert.All(answers.Take(owed), a => Assert.Equal(ErrorCodes.BadRequest, a.Error?.Code));
            if (closes)
            {
                Assert.Equal(ErrorCodes.LineTooLong, answers[^1].Error?.Code);
                var end = await client.ReadLineAsync(deadline.Token);
                Assert.True(end.Closed, "the connection stays open after line_too_long");
                Interlocked.Increment(ref tooLong);
            }
            else Assert.True(answers[^1] is { Ok: true, DaemonVersion: not null }, "the sentinel after the payload was not answered");
            Interlocked.Add(ref errors, owed);
        }, iter: Cases, threads: 2, print: Describe);

        Assert.True(run >= 20, $"only {run} cases ran within {Budget}");
        Assert.True(errors > run, $"only {errors} error answers in {run} cases: the payloads barely reached the parser");
        await UnchangedAsync(daemon, before);
        TestContext.Current.TestOutputHelper?.WriteLine($"{run} byte payloads, {errors} errors, {tooLong} over-long lines, {watch.Elapsed}");
    }

    // ------------------------------------------------------------------ (b) random JSON

    /// <summary>
    /// A request line and whether its command, if the daemon took it as written, would change state.
    /// How "nothing changed" stays honest: commands that change state only ever name instances that do not exist.
    /// start, stop, restart and signal (<see cref="Mutating"/>) get targets, and every other string of the request
    /// (extra members, duplicates), only from <see cref="AbsentName"/>, which never yields an existing program or
    /// instance name nor <c>all</c>; they are never sent without targets or with an empty list either. reload only
    /// goes out as <c>"dry_run": true</c> with no other member that could be read as dry_run; shutdown never goes out.
    /// Duplicated <c>command</c> members only repeat read-only or unknown commands. Existing names appear only in
    /// read-only requests (status, pid, tail, subscribe, version). A mutating request must therefore be refused.
    /// </summary>
    public sealed record FuzzRequest(byte[] Line, bool Mutating, bool DryRunReload);

    private static readonly string[] ReadOnly = [Commands.Status, Commands.Pid, Commands.Tail, Commands.Subscribe, Commands.Version];
    private static readonly string[] Mutating = [Commands.Start, Commands.Stop, Commands.Restart, Commands.Signal];

    /// <summary>Names that resolve to nothing: near misses of real ones, patterns, and random text.</summary>
    private static readonly Gen<string> AbsentName =
        Gen.Frequency(
                (3, Gen.OneOf<string>("alpha:2", "alpha:-1", "alpha:00", "alpha:0 ", " beta", "beta:0", "ALPHA", "Beta", "all ",
                    "ALL", "All", "*", "alpha:*", "alpha*", "", " ", "alpha,beta", "alpha beta", "..", "/", "gamma", "\u0000",
                    "alpha\u0000", "beta\n", "\u03b1lpha", "alpha:1\t")),
                (2, Gen.Char["abelphtgm:0123-_.* \u00e9"].Array[0, 12].Select(c => new string(c))))
            .Where(n => !Instances.Contains(n) && !ProgramNames.Contains(n) && n != "all");

    private static readonly Gen<string> AnyName =
        Gen.Frequency((3, Gen.OneOf<string>([.. Instances, .. ProgramNames, "all"])), (2, AbsentName));

    /// <summary>A JSON string for <paramref name="value"/>, with some characters written as \u escapes (the decoded
    /// value is <paramref name="value"/> exactly).</summary>
    private static Gen<string> Quoted(Gen<string> value) =>
        Gen.Select(value, Gen.Int, (s, seed) =>
        {
            var random = new Random(seed);
            var sb = new StringBuilder("\"");
            foreach (var c in s)
            {
                if (c is '"' or '\\' || c < 0x20 || random.Next(8) == 0) sb.Append($"\\u{(int)c:x4}");
                else sb.Append(c);
            }
            return sb.Append('"').ToString();
        });

    /// <summary>Chars U+E000-U+E0FF in generated JSON text stand for the raw byte (char - 0xE000): not UTF-8.</summary>
    private const char RawByte = '\ue000';

    private static byte[] ToBytes(string text)
    {
        var bytes = new List<byte>(text.Length + 8);
        foreach (var c in text)
        {
            if (c is >= RawByte and <= '\ue0ff') bytes.Add((byte)(c - RawByte));
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        return [.. bytes];
    }

    /// <summary>Strings that are not valid JSON strings, or decode to nothing a request could name.</summary>
    private static readonly Gen<string> BrokenString = Gen.OneOf<string>(
        "\"unterminated", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"tab\there\"", "\"\u0001\"",
        "'single'", "\"\ue0ff\ue0fe\"", "\"\ue0c0\ue080\"", "\"\ue0ed\ue0a0\ue080\"", "\"a\\", "\"\\\"", "\"\\u0000\"");

    private static readonly Gen<string> Number = Gen.Frequency(
        (3, Gen.OneOf<string>("0", "1", "-1", "15", "64", "65", "2147483647", "2147483648", "-2147483649", "1.5", "1e400",
            "-0", "1E2", "0.0", "1.0", "00", "+1", ".5", "NaN", "Infinity", "-Infinity", "0x10", "1e-400", "9" + new string('9', 400))),
        (1, Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    /// <summary>Numbers that are valid JSON (some too big for any member).</summary>
    private static readonly Gen<string> ValidNumber = Gen.Frequency(
        (3, Gen.OneOf<string>("0", "1", "-1", "15", "64", "65", "2147483648", "1.5", "1e400", "-0", "1E2", "1.0")),
        (1, Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    /// <summary>A scalar; <paramref name="clean"/>: valid JSON only.</summary>
    private static Gen<string> Scalar(Gen<string> names, bool clean) => clean
        ? Gen.Frequency((2, Gen.OneOf<string>("null", "true", "false")), (3, ValidNumber), (4, Quoted(names)))
        : Gen.Frequency(
            (2, Gen.OneOf<string>("null", "true", "false", "nul", "True", "tru")),
            (3, Number),
            (4, Quoted(names)),
            (1, BrokenString));

    /// <summary>A JSON value at most <paramref name="depth"/> deep whose strings come from <paramref name="names"/>;
    /// <paramref name="clean"/>: valid JSON within the parser's depth limit.</summary>
    private static Gen<string> Value(Gen<string> names, int depth = 3, bool clean = false)
    {
        if (depth == 0) return Scalar(names, clean);
        var inner = Value(names, depth - 1, clean);
        return Gen.Frequency(
            (5, Scalar(names, clean)),
            (1, inner.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (1, Gen.Select(Quoted(names), inner).Array[0, 4].Select(m => "{" + string.Join(",", m.Select(x => x.Item1 + ":" + x.Item2)) + "}")),
            (1, Deep(names, clean)));
    }

    /// <summary>Nesting far past the parser's depth limit (64), or (<paramref name="clean"/>) well within it.</summary>
    private static Gen<string> Deep(Gen<string> names, bool clean) =>
        Gen.Select(clean ? Gen.Int[1, 50] : Gen.Int[1, 400], Gen.Bool, Scalar(names, clean), (depth, arrays, leaf) => arrays
            ? new string('[', depth) + leaf + new string(']', depth)
            : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + leaf + new string('}', depth));

    private static readonly Gen<string> UnknownCommand =
        Gen.Frequency(
                (3, Gen.OneOf<string>("STATUS", "Status", "Shutdown", "SHUTDOWN", "shutdown ", " stop", "stop\u0000", "reload\n",
                    "restart!", "stat", "", "start;stop", "status status", "\u0073tatus\u200b", "versio", "pid\t", "help")),
                (1, Gen.Char["abcdefghijklmnopqrstuvwxyz_ -"].Array[0, 16].Select(c => new string(c))))
            .Where(c => !Commands.All.Contains(c));

    private static readonly Gen<string> OddTyped = Gen.OneOf<string>("null", "1", "true", "[]", "{}", "[\"status\"]",
        "{\"command\":\"status\"}", "1.5", "\"\"");

    private static Gen<string> Targets(Gen<string> names) => Gen.Frequency(
        (6, Quoted(names).Array[1, 5].Select(t => "[" + string.Join(",", t) + "]")),
        (1, Quoted(names).Array[150, 300].Select(t => "[" + string.Join(",", t) + "]")),
        (3, Value(names, 2)));

    private static readonly Gen<string> Whitespace = Gen.OneOf<string>("", "", "", " ", "\t", "\r", "  \t ");

    private static readonly string[] KnownKeys = ["v", "command", "targets", "signal", "dry_run", "stream", "bytes", "follow", "logs"];

    private static readonly Gen<string> ExtraKey = Gen.Frequency(
        (2, Gen.OneOf<string>("Command", "COMMAND", "Targets", "target", "dryRun", "DryRun", "dryrun", "DRY_RUN", "Signal",
            "sig", "V", "version", "", "\u0000", "command ", "ok", "error", "pid")),
        (1, Gen.Char["abcdefgz_-"].Array[1, 10].Select(c => new string(c))));

    private static bool LooksLikeDryRun(string key) =>
        key.Replace("_", "", StringComparison.Ordinal).Equals("dryrun", StringComparison.OrdinalIgnoreCase);

    /// <summary>A request-shaped object: a command (valid, unknown, odd-typed or missing), the known members with
    /// right or wrong values, extra and duplicated members, in random order with random whitespace. Three in five are
    /// <c>clean</c>: well-typed members, valid JSON, <c>"v": 1</c>, so that they get past the parser and reach the
    /// command checks and the supervisor; the others are wild.</summary>
    private static readonly Gen<FuzzRequest> RequestLike =
        Gen.Select(
                Gen.Frequency(
                    (5, Gen.OneOf<string>(ReadOnly).Select(c => ("readonly", (string?)("\"" + c + "\"")))),
                    (4, Gen.OneOf<string>(Mutating).Select(c => ("mutating", (string?)("\"" + c + "\"")))),
                    (1, Gen.Const(("reload", (string?)"\"reload\""))),
                    (2, Quoted(UnknownCommand).Select(c => ("unknown", (string?)c))),
                    (1, OddTyped.Select(c => ("unknown", (string?)c))),
                    (1, Gen.Const(("unknown", (string?)null)))),
                Gen.Frequency((3, Gen.Const(true)), (2, Gen.Const(false))))
            .SelectMany(choice =>
            {
                var ((kind, commandJson), clean) = choice;
                var mutating = kind == "mutating";
                var names = mutating ? AbsentName : AnyName;
                var value = Value(names, clean: clean);
                // Optional members: each present or not; for mutating commands targets are always a non-empty list.
                Gen<string?> Maybe(Gen<string> g, int presentIn10 = 5) =>
                    Gen.Frequency((presentIn10, g.Select(s => (string?)s)), (10 - presentIn10, Gen.Const((string?)null)));
                var integer = Gen.Int[-5, 100].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var boolean = Gen.OneOf<string>("true", "false");
                var nameList = Quoted(names).Array[0, 5].Select(t => "[" + string.Join(",", t) + "]");
                var version = clean ? Gen.Const((string?)"1") : Maybe(Gen.Frequency((4, Gen.Const("1")), (3, Number), (1, value)), 4);
                var targets = mutating
                    ? Quoted(AbsentName).Array[1, 5].Select(t => (string?)("[" + string.Join(",", t) + "]"))
                    : clean ? Maybe(Gen.Frequency((8, nameList), (1, Gen.Const("null"))), 7) : Maybe(Targets(names), 7);
                var signal = clean
                    ? Maybe(integer, 4)
                    : Maybe(Gen.Frequency((3, integer), (2, Number), (1, Quoted(Gen.OneOf<string>("TERM", "15", "SIGKILL"))), (1, value)), 4);
                var dryRun = kind == "reload" ? Gen.Const((string?)"true") : Maybe(clean ? boolean : value, 2);
                var stream = Maybe(clean
                    ? Quoted(Gen.OneOf<string>("stdout", "stderr", "STDOUT", "both", ""))
                    : Gen.Frequency((2, Quoted(Gen.OneOf<string>("stdout", "stderr", "STDOUT", "both", ""))), (1, value)), 3);
                var bytes = Maybe(clean ? Gen.OneOf(integer, Gen.OneOf<string>("2147483647", "-2147483648", "65536")) : Gen.Frequency((2, Number), (1, value)), 3);
                var flags = Maybe(clean ? boolean : Gen.Frequency((3, boolean), (1, value)), 3);
                var extras = Gen.Select(ExtraKey, value).Array[0, 3]
                    .Select(m => m.Where(x => kind != "reload" || !LooksLikeDryRun(x.Item1)).ToArray());
                // A duplicated member (wild only): the same key again with a value of the same family.
                var duplicate = clean ? Gen.Const(((string, string)?)null) : Gen.Frequency(
                    (6, Gen.Const(((string, string)?)null)),
                    (1, Quoted(Gen.Frequency((2, Gen.OneOf<string>(ReadOnly)), (1, UnknownCommand))).Select(c => ((string, string)?)("command", c))),
                    (1, Quoted(AbsentName).Array[1, 3].Select(t => ((string, string)?)("targets", "[" + string.Join(",", t) + "]"))),
                    (1, Number.Select(n => ((string, string)?)("v", n))),
                    (1, Gen.Int[1, 64].Select(i => ((string, string)?)("signal", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
                var trailers = clean
                    ? Gen.Const("")
                    : Gen.Frequency((12, Gen.Const("")), (1, Gen.OneOf<string>(" x", "{}", ",", "]", Bom)));
                return Gen.Select(version, targets, signal, dryRun, stream, bytes, Gen.Select(flags, flags, extras, duplicate,
                        Gen.Int, Whitespace.Array[64], trailers),
                    (v, t, s, d, st, b, rest) =>
                    {
                        var (follow, logs, extra, dup, seed, spaces, trailer) = rest;
                        var members = new List<(string Key, string Value)>();
                        void Add(string key, string? json)
                        {
                            if (json is not null) members.Add((key, json));
                        }
                        Add("v", v);
                        Add("command", commandJson);
                        Add("targets", t);
                        Add("signal", s);
                        Add("dry_run", d);
                        Add("stream", st);
                        Add("bytes", b);
                        Add("follow", follow);
                        Add("logs", logs);
                        foreach (var (key, json) in extra) members.Add((key, json));
                        if (dup is { } x) members.Add(x);
                        var random = new Random(seed);
                        members = [.. members.OrderBy(_ => random.Next())];
                        var ws = 0;
                        string W() => spaces[ws++ % spaces.Length];
                        var sb = new StringBuilder();
                        if (trailer == Bom) sb.Append(Bom); // a byte order mark goes in front
                        sb.Append(W()).Append('{');
                        for (var i = 0; i < members.Count; i++)
                        {
                            if (i > 0) sb.Append(W()).Append(',');
                            sb.Append(W()).Append(Escape(members[i].Key)).Append(W()).Append(':').Append(W()).Append(members[i].Value);
                        }
                        sb.Append(W()).Append('}');
                        if (trailer != Bom) sb.Append(trailer);
                        return new FuzzRequest(ToBytes(sb.ToString()), mutating, kind == "reload");
                    });
            });

    /// <summary>The UTF-8 byte order mark as raw bytes (see <see cref="RawByte"/>).</summary>
    private const string Bom = "\ue0ef\ue0bb\ue0bf";

    private static string Escape(string key)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in key)
        {
            if (c is '"' or '\\' || c < 0x20) sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Any JSON value at all (mostly not an object), or a request-shaped object.</summary>
    private static readonly Gen<FuzzRequest> RandomJson = Gen.Frequency(
        (1, Value(AbsentName, 4).Select(v => new FuzzRequest(ToBytes(v), false, false))),
        (3, RequestLike));

    /// <summary>Codes a fuzzed request may get: "internal" or "timeout" would be a daemon fault.</summary>
    private static readonly string[] ClientErrors =
        [ErrorCodes.BadRequest, ErrorCodes.UnsupportedVersion, ErrorCodes.UnknownCommand, ErrorCodes.NoSuchProcess, ErrorCodes.Failed];

    [Fact]
    public async Task Random_json_requests_get_well_formed_answers_and_change_nothing()
    {
        await using var daemon = await new RealDaemon(Programs).StartAsync();
        var before = await SettledAsync(daemon);
        var watch = Stopwatch.StartNew();
        int run = 0, ok = 0, refusedMutations = 0;
        var codes = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();

        await RandomJson.SampleAsync(async request =>
        {
            if (watch.Elapsed > Budget) return;
            Interlocked.Increment(ref run);
            using var deadline = Deadline();
            using var client = await WireClient.ConnectAsync(daemon.SocketPath, deadline.Token);
            Assert.DoesNotContain((byte)'\n', request.Line);
            var sending = client.SendAsync((byte[])[.. request.Line, (byte)'\n'], deadline.Token);
            var answer = Assert.Single(await ReadAnswersAsync(client, 1, deadline.Token));
            Assert.True(await sending, "the daemon hung up before taking a short request line");

            if (answer.Ok)
            {
                Interlocked.Increment(ref ok);
                Assert.False(request.Mutating, "a request that names no existing instance was accepted");
                if (request.DryRunReload) Assert.NotEqual(true, answer.Applied);
                return; // a subscribe or tail --follow may have turned the connection into a stream: done with it
            }
            codes.AddOrUpdate(answer.Error!.Code + (answer.Error.Message.StartsWith("not a request", StringComparison.Ordinal) ? " (unparsed)" : ""), 1, (_, n) => n + 1);
            Assert.Contains(answer.Error.Code, ClientErrors);
            Assert.False(string.IsNullOrWhiteSpace(answer.Error.Message));
            if (request.Mutating) Interlocked.Increment(ref refusedMutations);
            // An error does not end the connection: the next request on it is served.
            Assert.True(await client.SendAsync((byte[])[.. Sentinel, (byte)'\n'], deadline.Token), "hung up after an error");
            var next = Assert.Single(await ReadAnswersAsync(client, 1, deadline.Token));
            Assert.True(next is { Ok: true, DaemonVersion: not null }, "the request after an error was not answered");
        }, iter: Cases, threads: 2, print: r => Describe(r.Line));

        Assert.True(run >= 20, $"only {run} cases ran within {Budget}");
        // The generator reached both sides: requests that were served, and several kinds of refusal.
        Assert.True(ok > 0 && refusedMutations > 0 && codes.Count >= 3,
            $"{run} cases: {ok} served, {refusedMutations} mutations refused, codes {string.Join(", ", codes)}");
        await UnchangedAsync(daemon, before);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{run} JSON requests, {ok} served, codes {string.Join(", ", codes.Select(kv => $"{kv.Key} {kv.Value}"))}, {watch.Elapsed}");
    }

    // ------------------------------------------------------------------ shared

    private static CancellationTokenSource Deadline()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(AnswerDeadline);
        return cts;
    }

    /// <summary>Up to <paramref name="count"/> answer lines, each of which must be a well-formed response (an error
    /// always with its code); fails when the connection neither answers nor closes before the deadline, or closes
    /// in the middle of a line.</summary>
    private static async Task<List<Response>> ReadAnswersAsync(WireClient client, int count, CancellationToken deadline)
    {
        var answers = new List<Response>();
        while (answers.Count < count)
        {
            var read = await client.ReadLineAsync(deadline);
            Assert.False(read.TimedOut, $"no answer and no hang-up within {AnswerDeadline} after {answers.Count} answers");
            if (read.Closed)
            {
                Assert.True(read.Unfinished.Length == 0, $"closed in the middle of a line: {Describe(read.Unfinished)}");
                break;
            }
            Response response;
            try
            {
                response = ProtocolJson.ParseResponse(read.Line);
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"not a response ({e.Message}): {Describe(read.Line!)}");
            }
            Assert.True(response.Ok || response.Error is { Code.Length: > 0 }, $"an error without a code: {Describe(read.Line!)}");
            answers.Add(response);
        }
        return answers;
    }

    /// <summary>What must not change: the instances (name, state, pid) and the processes carrying the marker.</summary>
    private sealed record Snapshot(string Instances, string Processes);

    private static async Task<Snapshot> TakeAsync(RealDaemon daemon)
    {
        var status = await ControlClient.RequestAsync(daemon.SocketPath, Request.For(Commands.Status), TestContext.Current.CancellationToken);
        Assert.True(status.Ok, status.Error?.Message);
        var marker = daemon.Marker.Single();
        var processes = ProcessTable.WithEnvironment(marker.Key, marker.Value).Where(p => p != daemon.Process!.Id).Order();
        return new Snapshot(
            string.Join("; ", status.Instances!.OrderBy(i => i.Name, StringComparer.Ordinal).Select(i => $"{i.Name} {i.State} {i.Pid}")),
            string.Join(" ", processes));
    }

    /// <summary>Every instance RUNNING and the processes exactly the instances' pids.</summary>
    private static bool Settled(Snapshot s, out string why)
    {
        var instances = s.Instances.Split("; ").Select(i => i.Split(' ')).ToArray();
        var pids = string.Join(" ", instances.Select(i => i[2]).Where(p => p.Length > 0).Select(int.Parse).Order());
        why = $"instances [{s.Instances}], processes [{s.Processes}]";
        return instances.Select(i => i[0]).SequenceEqual(Instances) && instances.All(i => i[1] == "RUNNING") && pids == s.Processes;
    }

    private static async Task<Snapshot> SettledAsync(RealDaemon daemon)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var last = await TakeAsync(daemon);
            if (Settled(last, out var why)) return last;
            if (DateTime.UtcNow > deadline) Assert.Fail($"the daemon did not settle: {why}\n{daemon.Output}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private static async Task UnchangedAsync(RealDaemon daemon, Snapshot before)
    {
        Assert.False(daemon.Process!.HasExited, $"taskmasterd exited:\n{daemon.Output}");
        var pid = await ControlClient.RequestAsync(daemon.SocketPath, Request.For(Commands.Pid), TestContext.Current.CancellationToken);
        Assert.Equal(daemon.Process.Id, pid.Pid);
        var after = await TakeAsync(daemon);
        Assert.Equal(before, after);
        Assert.True(Settled(after, out var why), why);
        // The running config is still the file's: a dry run of a reload finds nothing to do.
        var dry = await ControlClient.RequestAsync(daemon.SocketPath, new Request { Command = Commands.Reload, DryRun = true },
            TestContext.Current.CancellationToken);
        Assert.True(dry is { Ok: true, Applied: false, Plan.IsEmpty: true }, ProtocolJson.Serialize(dry));
        Assert.Equal(ProgramNames, dry.Plan!.Unchanged.Order());
    }

    /// <summary>A payload for a failure message: its length and its first bytes, escaped.</summary>
    private static string Describe(byte[] bytes)
    {
        var sb = new StringBuilder($"{bytes.Length} bytes: ");
        foreach (var b in bytes.Take(600))
            sb.Append(b is >= 0x20 and < 0x7f and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:x2}");
        if (bytes.Length > 600) sb.Append('…');
        return sb.ToString();
    }
}
