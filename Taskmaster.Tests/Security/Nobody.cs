using Taskmaster.Tests.Support;

namespace Taskmaster.Tests.Security;

/// <summary>Runs small python3 scripts as <c>nobody</c> (setpriv) to play a local attacker or an unprivileged client.</summary>
public static class Nobody
{
    public const uint Uid = 65534;
    public const string Python = "/usr/bin/python3";

    public static bool Available =>
        Environment.UserName == "root" && File.Exists("/usr/bin/setpriv") && File.Exists(Python);

    /// <summary>One request line, then print the first reply line (empty when the daemon hangs up without one).</summary>
    public const string Client = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(30)
        s.connect(sys.argv[1])
        try:
            s.sendall(sys.argv[2].encode() + b"\n")
        except OSError:
            pass
        data = b""
        while not data.endswith(b"\n"):
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        sys.stdout.write(data.decode())
        """;

    /// <summary>setpriv arguments: nobody/nogroup, with exactly <paramref name="groups"/> as supplementary groups
    /// (none when null).</summary>
    public static string[] Setpriv(IEnumerable<uint>? groups = null) =>
    [
        "--reuid=nobody", "--regid=nogroup",
        groups is null ? "--clear-groups" : "--groups=" + string.Join(',', groups),
    ];

    public static Task<RunResult> RunPython(string script, IEnumerable<string> args, IEnumerable<uint>? groups = null,
        TimeSpan? timeout = null) =>
        Binaries.RunAsync(("setpriv", [.. Setpriv(groups), Python, "-c", script]), args, timeout ?? TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { ["HOME"] = "/tmp" });

    /// <summary>Let nobody enter <paramref name="dir"/> (test directories are created 0700).</summary>
    public static void MakeSearchable(string dir) =>
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
}
