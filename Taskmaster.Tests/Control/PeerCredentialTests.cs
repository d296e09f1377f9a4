using System.Diagnostics;
using Akka.TestKit;
using Taskmaster.Tests.Support;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Control;

/// <summary>SO_PEERCRED: a uid that is neither root, the daemon's nor in socket_group is refused and logged.</summary>
public class PeerCredentialTests : ListenerTestBase
{
    /// <summary>
    /// The controller as nobody can run it: the single-file binary is copied next to the socket (the checkout may
    /// sit in a directory nobody cannot enter, such as /root); a <c>dotnet exec</c> build is used where it is.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private (string File, string[] Prefix) CtlForNobody()
    {
        var (file, prefix) = Binaries.Ctl;
        if (prefix.Length > 0) return (file, prefix);
        var copy = Dir.File("taskmasterctl");
        File.Copy(file, copy, overwrite: true);
        File.SetUnixFileMode(copy, (UnixFileMode)Convert.ToInt32("755", 8));
        return (copy, []);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_controller_running_as_nobody_is_refused_with_a_clear_error_and_the_attempt_is_logged()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
            Assert.Skip("needs root and setpriv to run the controller as nobody");
        // Let nobody reach the socket file, so that only the uid check stands in the way.
        File.SetUnixFileMode(Dir.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        StartListener(mode: Convert.ToInt32("777", 8));
        Supervisor.SetAutoPilot(new DelegateAutoPilot((sender, _) =>
        {
            sender.Tell(new StatusReply([]), Akka.Actor.ActorRefs.NoSender);
            return AutoPilot.KeepRunning;
        }));

        RunResult? refused = null;
        await EventFilter.Warning(contains: "Refused control client").ExpectOneAsync(TimeSpan.FromSeconds(60), async () =>
        {
            var (file, prefix) = CtlForNobody();
            refused = await Binaries.RunAsync(("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", file, .. prefix]),
                ["-s", SocketPath, "status"], env: new Dictionary<string, string> { ["DOTNET_CLI_HOME"] = "/tmp", ["HOME"] = "/tmp" });
        }, TestContext.Current.CancellationToken);

        Assert.Equal(1, refused!.ExitCode);
        Assert.Contains("permission denied", refused.Stderr);
        Assert.Contains("uid 65534", refused.Stderr);

        // The daemon's own user is still served.
        var allowed = await Binaries.RunAsync(Binaries.Ctl, ["-s", SocketPath, "status"]);
        Assert.Equal(0, allowed.ExitCode);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Members_of_socket_group_are_allowed_and_the_socket_belongs_to_that_group()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
            Assert.Skip("needs root and setpriv to run the controller as nobody");
        File.SetUnixFileMode(Dir.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        const uint nogroup = 65534;
        var socket = Taskmaster.Daemon.Control.ControlSocket.Bind(SocketPath, Convert.ToInt32("770", 8), nogroup);
        Listener = Sys.ActorOf(Taskmaster.Daemon.Control.ControlListenerActor.Props(socket, SocketPath,
            DefaultSettings() with { Policy = new Taskmaster.Daemon.Control.PeerPolicy(0, nogroup) }), "listener");
        Supervisor.SetAutoPilot(new DelegateAutoPilot((sender, _) =>
        {
            sender.Tell(new StatusReply([]), Akka.Actor.ActorRefs.NoSender);
            return AutoPilot.KeepRunning;
        }));

        var stat = await Binaries.RunAsync(("stat", []), ["-c", "%g %a", SocketPath]);
        Assert.Equal("65534 770", stat.Stdout.Trim());

        var (file, prefix) = CtlForNobody();
        var member = await Binaries.RunAsync(("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", file, .. prefix]),
            ["-s", SocketPath, "status"], env: new Dictionary<string, string> { ["DOTNET_CLI_HOME"] = "/tmp", ["HOME"] = "/tmp" });
        Assert.True(member.ExitCode == 0, member.Output);
    }
}
