using Akka.Actor;
using Akka.Serialization;

namespace Taskmaster.Daemon.Hosting;

/// <summary>
/// Akka's serializer for every object (<c>akka.actor.serializers.json</c>) in a daemon whose messages never leave the
/// process: no remoting, no persistence. Akka makes every configured serializer when the actor system starts, and
/// its default one is Newtonsoft.Json's, which loads Newtonsoft, System.Runtime.Serialization.Formatters and
/// their dependencies (a few MiB of the daemon's memory and start-up) for nothing. Should anything ever serialize
/// a message, it fails here, loudly, instead of being sent half-working.
/// </summary>
public sealed class LocalOnlySerializer(ExtendedActorSystem system) : Serializer(system)
{
    /// <summary>What Akka calls when the replaced serializer has settings (<c>serialization-settings.json</c>).</summary>
    public LocalOnlySerializer(ExtendedActorSystem system, Akka.Configuration.Config settings) : this(system)
    {
    }

    /// <summary>The HOCON that installs it in place of the Newtonsoft.Json serializer.</summary>
    public static string Hocon { get; } =
        $"akka.actor.serializers.json = \"{typeof(LocalOnlySerializer).FullName}, {typeof(LocalOnlySerializer).Assembly.GetName().Name}\"";

    /// <summary>In the range Akka leaves to applications (above 40).</summary>
    public override int Identifier => 4_070;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        throw new NotSupportedException($"taskmasterd's messages stay in the process; {obj.GetType()} cannot be serialized");

    public override object FromBinary(byte[] bytes, Type type) =>
        throw new NotSupportedException($"taskmasterd's messages stay in the process; {type} cannot be deserialized");
}
