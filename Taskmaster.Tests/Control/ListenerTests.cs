using System.Collections.Immutable;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.TestKit;
using Taskmaster.Core.Protocol;
using Taskmaster.Core.Supervision;
using Taskmaster.Daemon.Control;
using static Taskmaster.Actors.SupervisorProtocol;

namespace Taskmaster.Tests.Control;

public class ListenerTests : ListenerTestBase
{
    private static InstanceStatus Running(string name, int pid, string? stdout = null) =>
        new(name, name.Split(':')[0], ProcessState.Running, pid, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000),
            $"pid {pid}", StdoutPath: stdout);

    [Fact]
    public async Task Status_is_asked_of_the_config_actor_and_answered_in_order()
    {
        StartListener();
        var response = await Exchange<GetStatus>(Request.For(Commands.Status),
            m => new StatusReply([Running("db", 11), Running("web:0", 12)]));
        Assert.True(response.Ok);
        Assert.Equal(["db", "web:0"], response.Instances!.Select(i => i.Name));
        Assert.Equal(12, response.Instances![1].Pid);
        Assert.Equal(1_700_000_000_000, response.Instances![1].StateSince);
    }

    [Fact]
    public async Task All_and_no_targets_both_mean_every_instance()
    {
        StartListener();
        await Exchange<GetStatus>(Request.For(Commands.Status, ["all"]), m =>
        {
            Assert.True(m.Targets.IsEmpty);
            return new StatusReply([]);
        });
        await Exchange<StartTargets>(Request.For(Commands.Start, ["web", "web", "db"]), m =>
        {
            Assert.Equal(["web", "db"], m.Targets);
            return new CommandReply([]);
        });
    }

    [Fact]
    public async Task Unknown_targets_get_a_typed_no_such_process_error()
    {
        StartListener();
        var response = await Exchange<StopTargets>(Request.For(Commands.Stop, ["foo"]), _ => new UnknownTargets(["foo"]));
        Assert.False(response.Ok);
        Assert.Equal(ErrorCodes.NoSuchProcess, response.Error!.Code);
        Assert.Equal("no such process: foo", response.Error.Message);
        Assert.Equal(["foo"], response.Error.Names!);
    }

    [Fact]
    public async Task Outcomes_of_a_command_are_passed_through_one_per_instance()
    {
        StartListener();
        var response = await Exchange<RestartTargets>(Request.For(Commands.Restart, ["web"]), _ => new CommandReply(
            [new InstanceOutcome("web:0", true, "started"), new InstanceOutcome("web:1", false, "spawn error: no such file")]));
        Assert.Equal(["web:0: started", "web:1: ERROR (spawn error: no such file)"], response.Outcomes!.Select(o => o.ToString()));
    }

    [Fact]
    public async Task Requests_that_need_names_are_refused_without_bothering_the_config_actor()
    {
        StartListener();
        using var client = await Connect();
        var response = await client.SendAsync(Request.For(Commands.Start), TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCodes.BadRequest, response.Error!.Code);
        response = await client.SendAsync(new Request { Command = Commands.Signal, Targets = ["web"], Signal = 99 }, TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCodes.BadRequest, response.Error!.Code);
        response = await client.SendAsync(Request.For("frobnicate"), TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCodes.UnknownCommand, response.Error!.Code);
        response = await client.SendAsync(new Request { Command = Commands.Status, Version = 99 }, TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCodes.UnsupportedVersion, response.Error!.Code);
        Supervisor.ExpectNoMsg(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Pid_without_a_name_is_the_daemons_and_version_is_answered_locally()
    {
        StartListener();
        using var client = await Connect();
        var pid = await client.SendAsync(Request.For(Commands.Pid), TestContext.Current.CancellationToken);
        Assert.Equal(Environment.ProcessId, pid.Pid);
        var version = await client.SendAsync(Request.For(Commands.Version), TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrEmpty(version.DaemonVersion));
    }

    [Fact]
    public async Task Reload_maps_errors_and_plans()
    {
        StartListener();
        var invalid = await Exchange<Reload>(new Request { Command = Commands.Reload, DryRun = true }, m =>
        {
            Assert.True(m.DryRun);
            return new ReloadReply(null, [new Core.Config.ConfigError("a.yaml", 3, 5, "programs.web.cmd", "required")], false);
        });
        Assert.Equal(ErrorCodes.InvalidConfig, invalid.Error!.Code);
        Assert.Contains("a.yaml:3:5: programs.web.cmd: required", invalid.Error.Message);

        var plan = await Exchange<Reload>(Request.For(Commands.Reload), _ => new ReloadReply(
            new Core.Config.ConfigDiff(["new"], [], [], [], [new Core.Config.ScaleChange("web", 1, 2)], ["db"]), [], true));
        Assert.True(plan.Applied);
        Assert.Equal(["new"], plan.Plan!.Added);
        Assert.Equal(2, plan.Plan.Scaled[0].To);
    }

    [Fact]
    public async Task A_config_actor_that_does_not_answer_gives_a_timeout_error()
    {
        StartListener(DefaultSettings() with { QueryTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await Connect();
        var response = await client.SendAsync(Request.For(Commands.Status), TestContext.Current.CancellationToken);
        Assert.Equal(ErrorCodes.Timeout, response.Error!.Code);
    }

    [Fact]
    public async Task Shutdown_is_answered_before_the_daemon_is_asked_to_exit()
    {
        StartListener();
        var response = await Exchange<Shutdown>(Request.For(Commands.Shutdown), _ => ShutdownComplete.Instance);
        Assert.True(response.Ok);
        await Support.Eventually.HoldsAsync(() => Volatile.Read(ref ExitRequests) == 1, "exit requested");
    }

    [Fact]
    public async Task Tail_returns_the_end_of_the_instances_output_file_and_follow_pushes_new_data()
    {
        var log = Dir.Write("web.out", "line one\nline two\n");
        StartListener(DefaultSettings() with { FollowInterval = TimeSpan.FromMilliseconds(20) });
        using var client = await Connect();
        var pending = client.SendAsync(new Request { Command = Commands.Tail, Targets = ["web"], Bytes = 9, Follow = true },
            TestContext.Current.CancellationToken);
        Supervisor.ExpectMsg<GetStatus>(m => m.Targets.SequenceEqual(["web"]), cancellationToken: TestContext.Current.CancellationToken);
        Supervisor.Reply(new StatusReply([Running("web", 5, log)]));
        var response = await pending;
        Assert.Equal("line two\n", response.Text);

        await File.AppendAllTextAsync(log, "line three\n", TestContext.Current.CancellationToken);
        await using var events = client.ReadEventsAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        Assert.Equal(StreamEvent.Kinds.Log, events.Current.Kind);
        Assert.Equal("line three\n", events.Current.Data);
    }

    [Fact]
    public async Task Tail_of_a_program_with_several_instances_asks_for_one()
    {
        StartListener();
        var response = await Exchange<GetStatus>(new Request { Command = Commands.Tail, Targets = ["web"] },
            _ => new StatusReply([Running("web:0", 1, "/tmp/x"), Running("web:1", 2, "/tmp/y")]));
        Assert.Equal(ErrorCodes.BadRequest, response.Error!.Code);
        Assert.Contains("web:0, web:1", response.Error.Message);
    }

    [Fact]
    public async Task Subscribers_get_the_state_changes_of_their_targets_pushed()
    {
        StartListener();
        using var client = await Connect();
        var pending = client.SendAsync(Request.For(Commands.Subscribe, ["web"]), TestContext.Current.CancellationToken);
        Supervisor.ExpectMsg<GetStatus>(cancellationToken: TestContext.Current.CancellationToken);
        Supervisor.Reply(new StatusReply([Running("web", 5)]));
        Assert.True((await pending).Ok);

        await using var events = client.ReadEventsAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var next = events.MoveNextAsync().AsTask();
        // Publish until the first event arrives (the db ones are filtered out; repeats are harmless).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!next.IsCompleted && DateTime.UtcNow < deadline)
        {
            Sys.EventStream.Publish(new InstanceTransition("db", "db", ProcessState.Running, ProcessState.Stopping, "stop", 3, null, null, DateTimeOffset.UnixEpoch));
            Sys.EventStream.Publish(new InstanceTransition("web", "web", ProcessState.Running, ProcessState.Exited, "exit status 3", null, 3, null, DateTimeOffset.UnixEpoch));
            await Task.WhenAny(next, Task.Delay(50, TestContext.Current.CancellationToken));
        }
        Assert.True(await next);
        Assert.Equal("web", events.Current.Name);
        Assert.Equal("EXITED", events.Current.To);
        Assert.Equal(3, events.Current.ExitCode);
    }

    [Fact]
    public async Task A_transition_between_the_subscribe_snapshot_and_its_answer_is_still_pushed()
    {
        StartListener();
        using var client = await Connect();
        var pending = client.SendAsync(Request.For(Commands.Subscribe, ["web"]), TestContext.Current.CancellationToken);
        Supervisor.ExpectMsg<GetStatus>(cancellationToken: TestContext.Current.CancellationToken);
        // The snapshot says RUNNING; web exits before the answer reaches the connection.
        Sys.EventStream.Publish(new InstanceTransition("web", "web", ProcessState.Running, ProcessState.Exited, "exit status 3", null, 3, null, DateTimeOffset.UnixEpoch));
        Supervisor.Reply(new StatusReply([Running("web", 5)]));
        Assert.True((await pending).Ok);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        StreamEvent? first = null;
        try
        {
            await foreach (var e in client.ReadEventsAsync(cts.Token))
            {
                first = e;
                break;
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
        }
        Assert.True(first is not null, "the transition published before the subscribe answer was lost");
        Assert.Equal("web", first.Name);
        Assert.Equal("EXITED", first.To);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Socket_and_its_new_directory_are_private_by_default()
    {
        StartListener();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(SocketPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.GetDirectoryName(SocketPath)!));
    }

    [Fact]
    public async Task A_live_socket_makes_a_second_daemon_refuse_with_the_pid()
    {
        StartListener();
        using var client = await Connect(); // the listener is accepting
        var e = Assert.Throws<AlreadyRunningException>(() => ControlSocket.Bind(SocketPath, 0x1C0, null));
        Assert.Equal(Environment.ProcessId, e.Pid);
        Assert.Contains($"already running, pid {Environment.ProcessId}", e.Message);
    }

    [Fact]
    public async Task A_stale_socket_is_replaced()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SocketPath)!);
        // .NET unlinks the sockets it bound when they are disposed: leave a stale one the way a killed daemon does.
        var python = System.Diagnostics.Process.Start("python3", ["-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen()", SocketPath]);
        await python.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, python.ExitCode);
        Assert.True(File.Exists(SocketPath));
        StartListener();
        var response = await Exchange<GetStatus>(Request.For(Commands.Status), _ => new StatusReply([]));
        Assert.True(response.Ok);
    }

    [Fact]
    public void A_regular_file_in_the_way_is_an_error_not_deleted()
    {
        Dir.Write("run/taskmasterd.sock", "precious");
        var e = Assert.Throws<ControlSocketException>(() => ControlSocket.Bind(SocketPath, 0x1C0, null));
        Assert.Contains("not a socket", e.Message);
        Assert.Equal("precious", File.ReadAllText(SocketPath));
    }

    [Fact]
    public async Task Stopping_the_listener_removes_the_socket()
    {
        StartListener();
        Assert.True(File.Exists(SocketPath));
        await Listener.GracefulStop(TimeSpan.FromSeconds(10));
        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public void Peer_policy_allows_root_the_daemon_user_and_the_group()
    {
        var policy = new PeerPolicy(1000, 50);
        Assert.True(policy.Allows(new PeerCredentials(1, 0, 0)));
        Assert.True(policy.Allows(new PeerCredentials(1, 1000, 1000)));
        Assert.True(policy.Allows(new PeerCredentials(1, 4242, 50)));
        Assert.False(policy.Allows(new PeerCredentials(1, 4242, 4242)));
        Assert.False(new PeerPolicy(1000, null).Allows(new PeerCredentials(1, 4242, 50)));
    }
}
