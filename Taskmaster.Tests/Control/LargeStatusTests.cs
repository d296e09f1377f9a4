using System.Text;
using Taskmaster.Core.Protocol;

namespace Taskmaster.Tests.Control;

/// <summary><c>status</c> of more instances than one reply line (or a client's pending output) may hold comes in pages.</summary>
public sealed class LargeStatusTests
{
    [Fact]
    public async Task Status_of_fifty_thousand_instances_lists_every_one_in_text_and_json()
    {
        var programs = new StringBuilder();
        for (var p = 0; p < 5; p++)
            programs.Append($"  p{p}:\n    cmd: /bin/sleep 1000\n    numprocs: 10000\n    autostart: false\n");
        await using var daemon = await new RealDaemon(programs.ToString()).StartAsync();

        var text = await daemon.Ctl("status");
        Assert.True(text.ExitCode == 3, text.Stderr); // every instance is STOPPED
        var lines = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(50_000, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("p4:9999 ", StringComparison.Ordinal));

        var json = await daemon.Ctl("status", "--json");
        Assert.True(json.ExitCode == 3, json.Stderr);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Stdout);
        Assert.Equal(50_000, doc.RootElement.GetArrayLength());

        var response = await ControlClient.RequestAsync(daemon.SocketPath, Request.For(Commands.Status), TestContext.Current.CancellationToken);
        Assert.Equal(50_000, response.Instances!.Count);
        Assert.Null(response.More);
    }
}
