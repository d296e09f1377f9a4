using System.Configuration.Internal;
using System.Runtime.CompilerServices;

namespace Taskmaster.Daemon.Hosting;

/// <summary>
/// Tells System.Configuration that the daemon has no app.config. Akka reads the <c>akka</c> section of the
/// executable's .config file every time an actor system is made (ActorSystem.Create evaluates its fallback even when
/// it is given a config), and that first read sets up System.Configuration's client config system: user-config paths
/// hashed with OpenSSL, an XML reader, WebClient for a URI-shaped path. That is about 14 ms of start-up and
/// several MiB of resident code (libcrypto, System.Private.Xml) for a file the daemon never has. The daemon's Akka
/// settings are its own HOCON (ForegroundDaemon).
/// </summary>
internal sealed class NoAppConfig : IInternalConfigSystem
{
    public bool SupportsUserConfig => false;

    public object? GetSection(string configKey) => null;

    public void RefreshConfig(string sectionName)
    {
    }

    /// <summary>Install it, before the first actor system; false when this System.Configuration has no such seam.</summary>
    public static bool Install()
    {
        try
        {
            SetConfigurationSystem(null, new NoAppConfig(), initComplete: true);
            return true;
        }
        catch (Exception e) when (e is MissingMethodException or InvalidOperationException)
        {
            // Another version of System.Configuration, or already initialised: Akka reads the file as usual.
            return false;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "SetConfigurationSystem")]
    private static extern void SetConfigurationSystem(
        [UnsafeAccessorType("System.Configuration.ConfigurationManager, System.Configuration.ConfigurationManager")] object? manager,
        IInternalConfigSystem configSystem, bool initComplete);
}
