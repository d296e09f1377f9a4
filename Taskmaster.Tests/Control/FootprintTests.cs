using Akka.Actor;
using Akka.Configuration;
using Taskmaster.Daemon.Hosting;

namespace Taskmaster.Tests.Control;

/// <summary>
/// What the daemon keeps out of its memory: Akka's Newtonsoft.Json serializer (replaced by
/// <see cref="LocalOnlySerializer"/>) and System.Configuration's app.config machinery (<see cref="NoAppConfig"/>).
/// </summary>
public sealed class FootprintTests
{
    [Fact]
    public async Task The_daemon_maps_neither_the_json_serializers_dependencies_nor_the_app_config_reader()
    {
        await using var daemon = await new RealDaemon("  idle:\n    cmd: /bin/sleep 1000\n    starttime: 0\n").StartAsync();
        await daemon.WaitForStateAsync("idle", "RUNNING");
        var maps = await File.ReadAllTextAsync($"/proc/{daemon.Process!.Id}/maps", TestContext.Current.CancellationToken);
        Assert.Contains("System.Private.CoreLib.dll", maps); // the check reads the right process
        // Loaded only by Newtonsoft.Json's serializer, and by System.Configuration reading an app.config.
        Assert.DoesNotContain("System.Runtime.Serialization.Formatters.dll", maps);
        Assert.DoesNotContain("System.Net.WebClient.dll", maps);
    }

    [Fact]
    public void Every_object_goes_to_the_local_only_serializer_which_refuses_to_serialize()
    {
        using var system = ActorSystem.Create("footprint", ConfigurationFactory.ParseString(LocalOnlySerializer.Hocon));
        var serializer = system.Serialization.FindSerializerForType(typeof(string));
        Assert.IsType<LocalOnlySerializer>(serializer);
        var e = Assert.Throws<NotSupportedException>(() => serializer.ToBinary("hello"));
        Assert.Contains("System.String", e.Message);
    }
}
