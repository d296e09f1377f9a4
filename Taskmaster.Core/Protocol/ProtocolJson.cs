using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Taskmaster.Core.Protocol;

/// <summary>
/// Source-generated (reflection-free, NativeAOT-safe) JSON for every protocol record. A line that names a member
/// twice (<c>{"command":"status","command":"shutdown"}</c>) is not a request: it is rejected rather than letting
/// the last one win.
/// </summary>
[JsonSourceGenerationOptions(
    AllowDuplicateProperties = false,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(Request))]
[JsonSerializable(typeof(Response))]
[JsonSerializable(typeof(StreamEvent))]
[JsonSerializable(typeof(IReadOnlyList<InstanceInfo>))]
[JsonSerializable(typeof(ReloadPlan))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;

/// <summary>Encoding and decoding of protocol lines (no trailing newline in or out).</summary>
public static class ProtocolJson
{
    private static readonly ProtocolJsonContext Context = ProtocolJsonContext.Default;

    private static readonly ProtocolJsonContext Indented = new(new JsonSerializerOptions
    {
        AllowDuplicateProperties = false,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    });

    public static string Serialize(Request request) => JsonSerializer.Serialize(request, Context.Request);
    public static string Serialize(Response response) => JsonSerializer.Serialize(response, Context.Response);
    public static string Serialize(StreamEvent e) => JsonSerializer.Serialize(e, Context.StreamEvent);

    /// <summary>The array <c>status --json</c> prints (indented for people, one object per instance).</summary>
    public static string SerializeStatus(IReadOnlyList<InstanceInfo> instances) =>
        JsonSerializer.Serialize(instances, Indented.IReadOnlyListInstanceInfo);

    /// <summary>Runs every path of the protocol's JSON once (type initialisers, System.Text.Encodings.Web): the daemon
    /// calls it before its first spawn, so that a control connection never needs a file descriptor to load code
    /// (out of descriptors, a failed type initialiser would stay failed for the life of the process).</summary>
    public static void Warm()
    {
        var line = ToLine(Serialize(new Request { Command = Commands.Status, Targets = ["all"] }));
        _ = ParseRequest(line.AsSpan(0, line.Length - 1));
        var response = Serialize(new Response
        {
            Ok = true,
            Instances = [new InstanceInfo("web:0", "web", "RUNNING", 1, 0, "é\u2028<>&")],
        });
        _ = ParseResponse(Encoding.UTF8.GetBytes(response));
        _ = SerializeStatus([]);
        _ = Serialize(new StreamEvent { Kind = StreamEvent.Kinds.Log, Name = "web:0", Data = "x" });
    }

    public static byte[] ToLine(string json)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(json) + 1];
        Encoding.UTF8.GetBytes(json, bytes);
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    /// <summary>Parse a request line; throws <see cref="JsonException"/> when it is not a request.</summary>
    public static Request ParseRequest(ReadOnlySpan<byte> line) =>
        JsonSerializer.Deserialize(line, Context.Request) ?? throw new JsonException("null is not a request");

    public static Response ParseResponse(ReadOnlySpan<byte> line) =>
        JsonSerializer.Deserialize(line, Context.Response) ?? throw new JsonException("null is not a response");

    public static StreamEvent ParseEvent(ReadOnlySpan<byte> line) =>
        JsonSerializer.Deserialize(line, Context.StreamEvent) ?? throw new JsonException("null is not an event");
}
