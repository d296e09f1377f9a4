namespace Taskmaster.Core.Protocol;

/// <summary>
/// Constants of the control protocol (DESIGN §7): newline-delimited JSON over a Unix stream socket.
/// One request line gets one response line; after a <c>subscribe</c> (or <c>tail</c> with follow) response the
/// daemon only sends <see cref="StreamEvent"/> lines on that connection until the client hangs up.
/// </summary>
public static class WireProtocol
{
    /// <summary>Bumped on any incompatible change; the daemon refuses other versions with <see cref="ErrorCodes.UnsupportedVersion"/>.</summary>
    public const int Version = 1;

    /// <summary>A request line longer than this (without its newline) is refused and the connection dropped.</summary>
    public const int MaxRequestLineBytes = 1024 * 1024;

    /// <summary>Responses may be larger than requests (status of thousands of instances, tail data).</summary>
    public const int MaxResponseLineBytes = 64 * 1024 * 1024;

    /// <summary>Upper bound for the bytes one <c>tail</c> returns.</summary>
    public const int MaxTailBytes = 64 * 1024;

    /// <summary>Bytes <c>tail</c> returns when the request does not say (supervisorctl's 1600).</summary>
    public const int DefaultTailBytes = 1600;
}

/// <summary>The <c>command</c> of a <see cref="Request"/>.</summary>
public static class Commands
{
    public const string Status = "status";
    public const string Start = "start";
    public const string Stop = "stop";
    public const string Restart = "restart";
    public const string Signal = "signal";
    public const string Reload = "reload";
    public const string Shutdown = "shutdown";
    public const string Pid = "pid";
    public const string Tail = "tail";
    public const string Subscribe = "subscribe";
    public const string Version = "version";

    public static readonly IReadOnlyList<string> All =
        [Status, Start, Stop, Restart, Signal, Reload, Shutdown, Pid, Tail, Subscribe, Version];
}

/// <summary>The <c>code</c> of an <see cref="ErrorInfo"/>: stable strings scripts can match on.</summary>
public static class ErrorCodes
{
    /// <summary>Not JSON, or JSON that is not a request.</summary>
    public const string BadRequest = "bad_request";
    public const string LineTooLong = "line_too_long";
    public const string UnsupportedVersion = "unsupported_version";
    public const string UnknownCommand = "unknown_command";
    /// <summary>A target names no instance or program; <see cref="ErrorInfo.Names"/> lists them.</summary>
    public const string NoSuchProcess = "no_such_process";
    /// <summary>The peer's uid is not allowed on this socket (the message is just "forbidden").</summary>
    public const string Forbidden = "forbidden";
    /// <summary>The peer's uid (or all users together) already holds as many connections as the daemon allows.</summary>
    public const string TooManyConnections = "too_many_connections";
    /// <summary>The daemon did not answer in time.</summary>
    public const string Timeout = "timeout";
    /// <summary>The new config is invalid (reload); nothing changed.</summary>
    public const string InvalidConfig = "invalid_config";
    /// <summary>The request is valid but cannot be served (e.g. tail of a discarded stream).</summary>
    public const string Failed = "failed";
    public const string Internal = "internal";
}
