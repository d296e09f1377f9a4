using System.Text;
using System.Text.Json;
using Taskmaster.Core.Protocol;

namespace Taskmaster.Tests.Control;

/// <summary>Golden tests: the exact bytes on the wire are a contract with every client.</summary>
public class ProtocolJsonTests
{
    [Fact]
    public void Status_request_is_written_in_snake_case_with_the_version()
    {
        var json = ProtocolJson.Serialize(Request.For(Commands.Status, ["web:0", "db"]));
        Assert.Equal("""{"v":1,"command":"status","targets":["web:0","db"]}""", json);
    }

    [Fact]
    public void Optional_request_members_are_written_only_when_set()
    {
        var json = ProtocolJson.Serialize(new Request { Command = Commands.Tail, Targets = ["web"], Stream = "stderr", Bytes = 100, Follow = true });
        Assert.Equal("""{"v":1,"command":"tail","targets":["web"],"stream":"stderr","bytes":100,"follow":true}""", json);
        Assert.Equal("""{"v":1,"command":"reload","dry_run":true}""", ProtocolJson.Serialize(new Request { Command = Commands.Reload, DryRun = true }));
        Assert.Equal("""{"v":1,"command":"signal","targets":["all"],"signal":10}""", ProtocolJson.Serialize(new Request { Command = Commands.Signal, Targets = ["all"], Signal = 10 }));
    }

    [Theory]
    [InlineData("""{"v":1,"command":"status","command":"shutdown"}""")]
    [InlineData("""{"v":1,"v":2,"command":"status"}""")]
    [InlineData("""{"v":1,"command":"stop","targets":["web"],"targets":["all"]}""")]
    public void A_request_naming_a_member_twice_is_not_a_request(string line)
    {
        Assert.ThrowsAny<JsonException>(() => ProtocolJson.ParseRequest(Encoding.UTF8.GetBytes(line)));
    }

    [Fact]
    public void A_request_naming_each_member_once_still_parses()
    {
        var request = ProtocolJson.ParseRequest("""{"v":1,"command":"stop","targets":["web"],"unknown":1}"""u8);
        Assert.Equal(Commands.Stop, request.Command);
        Assert.Equal(["web"], request.Targets);
    }

    [Fact]
    public void Status_response_always_carries_pid_even_when_null()
    {
        var response = new Response
        {
            Ok = true,
            Instances =
            [
                new InstanceInfo("web:0", "web", "RUNNING", 4242, 1700000000123, "pid 4242, uptime 0:00:05"),
                new InstanceInfo("db", "db", "EXITED", null, 1700000000456, "exit status 1", ExitCode: 1, StdoutPath: "/tmp/db.out"),
            ],
        };
        Assert.Equal(
            """{"v":1,"ok":true,"instances":[{"name":"web:0","program":"web","state":"RUNNING","pid":4242,"state_since":1700000000123,"description":"pid 4242, uptime 0:00:05"},{"name":"db","program":"db","state":"EXITED","pid":null,"state_since":1700000000456,"description":"exit status 1","exit_code":1,"stdout_path":"/tmp/db.out"}]}""",
            ProtocolJson.Serialize(response));
    }

    [Fact]
    public void Error_response_has_a_typed_code_and_the_names()
    {
        var json = ProtocolJson.Serialize(Response.Failure(ErrorCodes.NoSuchProcess, "no such process: foo", ["foo"]));
        Assert.Equal("""{"v":1,"ok":false,"error":{"code":"no_such_process","message":"no such process: foo","names":["foo"]}}""", json);
    }

    [Fact]
    public void Outcomes_and_reload_plan_round_trip()
    {
        var response = new Response
        {
            Ok = true,
            Outcomes = [new OutcomeInfo("web:0", true, "started"), new OutcomeInfo("web:1", false, "spawn error: no such file")],
            Plan = new ReloadPlan(["new"], ["old"], ["changed"], ["policy"], [new ScaleInfo("web", 2, 3)], ["same"]),
            Applied = false,
        };
        var json = ProtocolJson.Serialize(response);
        Assert.Equal(
            """{"v":1,"ok":true,"outcomes":[{"name":"web:0","ok":true,"message":"started"},{"name":"web:1","ok":false,"message":"spawn error: no such file"}],"plan":{"added":["new"],"removed":["old"],"restarted":["changed"],"changed":["policy"],"scaled":[{"program":"web","from":2,"to":3}],"unchanged":["same"]},"applied":false}""",
            json);
        var back = ProtocolJson.ParseResponse(Encoding.UTF8.GetBytes(json));
        Assert.Equal("web:1: ERROR (spawn error: no such file)", back.Outcomes![1].ToString());
        Assert.Equal(new ScaleInfo("web", 2, 3), back.Plan!.Scaled[0]);
        Assert.False(back.Applied);
    }

    [Fact]
    public void Stream_events_are_golden()
    {
        Assert.Equal("""{"kind":"log","name":"web","stream":"stdout","data":"hello\n"}""",
            ProtocolJson.Serialize(new StreamEvent { Kind = StreamEvent.Kinds.Log, Name = "web", Stream = "stdout", Data = "hello\n" }));
        Assert.Equal("""{"kind":"transition","name":"web","program":"web","from":"STARTING","to":"RUNNING","reason":"up","pid":7,"time":5}""",
            ProtocolJson.Serialize(new StreamEvent { Kind = StreamEvent.Kinds.Transition, Name = "web", Program = "web", From = "STARTING", To = "RUNNING", Reason = "up", Pid = 7, Time = 5 }));
    }

    [Fact]
    public void Status_json_output_is_an_indented_array_with_the_documented_keys()
    {
        var text = ProtocolJson.SerializeStatus([new InstanceInfo("web", "web", "STOPPED", null, 12, "")]);
        using var doc = JsonDocument.Parse(text);
        var item = doc.RootElement.EnumerateArray().Single();
        Assert.Equal("web", item.GetProperty("name").GetString());
        Assert.Equal("web", item.GetProperty("program").GetString());
        Assert.Equal("STOPPED", item.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, item.GetProperty("pid").ValueKind);
        Assert.Equal(12, item.GetProperty("state_since").GetInt64());
    }

    [Fact]
    public void A_request_without_command_is_rejected()
    {
        Assert.ThrowsAny<JsonException>(() => ProtocolJson.ParseRequest("""{"v":1}"""u8));
        Assert.ThrowsAny<JsonException>(() => ProtocolJson.ParseRequest("not json"u8));
        Assert.ThrowsAny<JsonException>(() => ProtocolJson.ParseRequest("null"u8));
    }
}
