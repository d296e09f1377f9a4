using Taskmaster.Core.Protocol;
using Taskmaster.Ctl.Dashboard;

namespace Taskmaster.Tests.Dashboard;

/// <summary>The dashboard's view-model: rows from the subscription, transitions, sorting, counts, header, actions.</summary>
public class DashboardModelTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    private static InstanceInfo Info(string name, string state, int? pid = null, string description = "") =>
        new(name, name.Split(':')[0], state, pid, T0.ToUnixTimeMilliseconds(), description);

    private static StreamEvent Transition(string name, string from, string to, int? pid = null, string reason = "",
        TimeSpan? at = null, int? exitCode = null, int? exitSignal = null) => new()
    {
        Kind = StreamEvent.Kinds.Transition,
        Name = name,
        Program = name.Split(':')[0],
        From = from,
        To = to,
        Pid = pid,
        Reason = reason,
        Time = (T0 + (at ?? TimeSpan.Zero)).ToUnixTimeMilliseconds(),
        ExitCode = exitCode,
        ExitSignal = exitSignal,
    };

    private static DashboardModel Loaded(params InstanceInfo[] instances)
    {
        var model = new DashboardModel("/run/tm.sock", logCapacity: 5);
        model.Load(instances);
        return model;
    }

    [Fact]
    public void Rows_are_sorted_by_program_then_instance_number()
    {
        var model = Loaded(Info("web:10", "RUNNING", 3), Info("worker", "STOPPED"), Info("web:2", "RUNNING", 2), Info("api", "FATAL"));
        Assert.Equal(["api", "web:2", "web:10", "worker"], model.Rows.Select(r => r.Name));
    }

    [Fact]
    public void A_transition_updates_state_pid_and_since_of_its_row()
    {
        var model = Loaded(Info("web", "RUNNING", 100));
        Assert.True(model.Apply(Transition("web", "RUNNING", "EXITED", null, "exit status 3 (unexpected)", TimeSpan.FromSeconds(5), exitCode: 3)));
        Assert.True(model.Apply(Transition("web", "EXITED", "STARTING", 101, "spawned", TimeSpan.FromSeconds(6))));
        var row = Assert.Single(model.Rows);
        Assert.Equal(("STARTING", 101, T0 + TimeSpan.FromSeconds(6)), (row.State, row.Pid, row.Since));
        Assert.Equal("spawned", row.Description);
    }

    [Fact]
    public void A_transition_older_than_the_row_is_ignored()
    {
        var model = Loaded(Info("web", "RUNNING", 100)); // RUNNING since T0
        Assert.False(model.Apply(Transition("web", "STOPPED", "STARTING", 100, "spawned", TimeSpan.FromSeconds(-1))));
        Assert.Equal("RUNNING", model.Rows[0].State);
    }

    [Fact]
    public void A_transition_of_an_unknown_instance_adds_it_in_order()
    {
        var model = Loaded(Info("a", "RUNNING", 1), Info("c", "RUNNING", 3));
        model.Apply(Transition("b:1", "STOPPED", "STARTING", 2));
        Assert.Equal(["a", "b:1", "c"], model.Rows.Select(r => r.Name));
        Assert.Equal("b", model.Rows[1].Program);
    }

    [Fact]
    public void Running_rows_show_a_ticking_uptime_and_others_their_reason()
    {
        var model = Loaded(Info("web", "RUNNING", 7), Info("db", "FATAL", null, "gave up after 4 attempts: exit status 1"));
        var web = model.Rows[model.IndexOf("web")];
        Assert.Equal("uptime 0:00:05", web.Detail(T0 + TimeSpan.FromSeconds(5)));
        Assert.Equal("uptime 1:01:01", web.Detail(T0 + new TimeSpan(1, 1, 1)));
        Assert.Equal("gave up after 4 attempts: exit status 1", model.Rows[model.IndexOf("db")].Detail(T0));
        Assert.Equal("7", web.PidText);
        Assert.Equal("", model.Rows[model.IndexOf("db")].PidText);
    }

    [Fact]
    public void An_exit_without_a_reason_shows_the_status_or_signal()
    {
        var model = Loaded(Info("a", "RUNNING", 1), Info("b", "RUNNING", 2));
        model.Apply(Transition("a", "RUNNING", "EXITED", exitCode: 4));
        model.Apply(Transition("b", "RUNNING", "EXITED", exitSignal: 9));
        Assert.Equal("exit status 4", model.Rows[0].Detail(T0));
        Assert.Equal("terminated by SIGKILL", model.Rows[1].Detail(T0));
    }

    [Fact]
    public void Header_names_the_socket_and_counts_states_in_lifecycle_order()
    {
        var model = Loaded(Info("a", "STOPPED"), Info("b", "RUNNING", 1), Info("c", "RUNNING", 2), Info("d", "FATAL"));
        Assert.Equal([("RUNNING", 2), ("STOPPED", 1), ("FATAL", 1)], model.Counts);
        Assert.Equal("4 instances: 2 RUNNING, 1 STOPPED, 1 FATAL  taskmasterd /run/tm.sock", model.Header());

        model.Apply(Transition("a", "STOPPED", "STARTING", 9));
        Assert.Equal([("RUNNING", 2), ("STARTING", 1), ("FATAL", 1)], model.Counts);
    }

    [Fact]
    public void Header_shows_a_lost_daemon_until_the_subscription_is_back()
    {
        var model = Loaded(Info("web", "RUNNING", 1));
        model.Disconnected("no such socket");
        Assert.False(model.Connected);
        Assert.StartsWith("DISCONNECTED (no such socket; retrying)", model.Header());
        Assert.Single(model.Rows); // the last known rows stay visible

        model.Load([Info("web", "RUNNING", 2)]);
        Assert.True(model.Connected);
        Assert.DoesNotContain("DISCONNECTED", model.Header());
        Assert.Equal(2, model.Rows[0].Pid);
    }

    [Fact]
    public void Outcomes_of_an_action_become_the_status_line()
    {
        var model = Loaded(Info("web:0", "RUNNING", 1), Info("web:1", "RUNNING", 2));
        model.ReportOutcomes("stop", new Response { Ok = true, Outcomes = [new("web:0", true, "stopped"), new("web:1", false, "not running")] });
        Assert.Equal("web:0: stopped; web:1: ERROR (not running)", model.StatusLine);

        model.ReportOutcomes("start", Response.Failure(ErrorCodes.NoSuchProcess, "no such process: x", ["x"]));
        Assert.Equal("start: ERROR (no such process: x)", model.StatusLine);
    }

    [Fact]
    public void Reload_shows_its_plan_in_the_pane()
    {
        var model = Loaded(Info("web", "RUNNING", 1));
        model.ReportReload(new Response
        {
            Ok = true, Applied = true,
            Plan = new ReloadPlan(["api"], [], ["web"], [], [], ["db"]),
            Outcomes = [new("api", true, "started")],
        });
        Assert.Equal(PaneKind.Plan, model.Pane);
        Assert.Contains("added:", model.PaneText);
        Assert.Contains("api (started)", model.PaneText);
        Assert.Contains("api: started", model.PaneText);
        Assert.Equal("reload: applied", model.StatusLine);
    }

    [Fact]
    public void An_invalid_config_on_reload_shows_its_errors_and_changes_no_row()
    {
        var model = Loaded(Info("web", "RUNNING", 1));
        model.ReportReload(Response.Failure(ErrorCodes.InvalidConfig, "taskmaster.yaml:3: programs.web.cmd: required"));
        Assert.Equal("reload: ERROR (taskmaster.yaml:3: programs.web.cmd: required)", model.StatusLine);
        Assert.Equal(PaneKind.Plan, model.Pane);
        Assert.Contains("programs.web.cmd: required", model.PaneText);
        Assert.Equal("RUNNING", Assert.Single(model.Rows).State);
    }

    [Fact]
    public void Log_pane_keeps_only_output_of_the_followed_instance_and_stream()
    {
        var model = Loaded(Info("web", "RUNNING", 1), Info("db", "RUNNING", 2));
        Assert.False(model.AppendLog("web", "stdout", "ignored\n")); // pane closed
        model.OpenLog("web", "stdout");
        Assert.True(model.Apply(new StreamEvent { Kind = StreamEvent.Kinds.Log, Name = "web", Stream = "stdout", Data = "hello\nwor" }));
        Assert.False(model.Apply(new StreamEvent { Kind = StreamEvent.Kinds.Log, Name = "db", Stream = "stdout", Data = "other\n" }));
        Assert.False(model.Apply(new StreamEvent { Kind = StreamEvent.Kinds.Log, Name = "web", Stream = "stderr", Data = "err\n" }));
        model.AppendLog("web", "stdout", "ld\n");
        Assert.Equal("hello\nworld", model.PaneText);
        Assert.Equal("web stdout", model.PaneTitle);

        model.OpenLog("db", "stderr");
        Assert.Equal("", model.PaneText);
        model.ClosePane();
        Assert.Equal(PaneKind.None, model.Pane);
    }

    [Fact]
    public void Log_buffer_keeps_the_last_lines_up_to_its_capacity()
    {
        var log = new LogBuffer(3);
        log.Append("1\n2\r\n3\n4\n5");
        Assert.Equal(["3", "4", "5"], log.Lines);
        log.Append("5\n");
        Assert.Equal(["3", "4", "55"], log.Lines);
        Assert.Equal(2, log.Dropped);
        log.Append(string.Concat(Enumerable.Range(0, 1000).Select(i => $"line {i}\n")));
        Assert.Equal(["line 997", "line 998", "line 999"], log.Lines);
    }

    [Fact]
    public void Log_buffer_joins_a_line_split_across_chunks()
    {
        var log = new LogBuffer(10);
        foreach (var ch in "ab\ncd\n") log.Append(ch.ToString());
        Assert.Equal(["ab", "cd"], log.Lines);
    }
}
