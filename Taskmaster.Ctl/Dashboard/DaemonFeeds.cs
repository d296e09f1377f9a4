using Taskmaster.Core.Protocol;

namespace Taskmaster.Ctl.Dashboard;

/// <summary>
/// The dashboard's connections to the daemon, off the UI thread: the subscription (reconnected while the
/// dashboard runs), the followed log, and one request per action. Results are handed to callbacks that the
/// caller marshals onto the UI thread; nothing here touches the console.
/// </summary>
internal sealed class DaemonFeeds(string socketPath)
{
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Subscribe, hand over the instances, then every pushed event; when the daemon goes away, report why and
    /// try again every <see cref="RetryDelay"/> until <paramref name="ct"/> is cancelled.
    /// </summary>
    public async Task SubscribeAsync(
        Action<IReadOnlyList<InstanceInfo>> loaded, Action<StreamEvent> pushed, Action<string> lost, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            string reason;
            try
            {
                using var client = await ControlClient.ConnectAsync(socketPath, ct);
                var response = await client.SendAsync(new Request { Command = Commands.Subscribe }, ct);
                if (!response.Ok)
                {
                    reason = response.Error?.Message ?? "subscription refused";
                }
                else
                {
                    loaded(response.Instances ?? []);
                    await foreach (var e in client.ReadEventsAsync(ct)) pushed(e);
                    reason = "the daemon closed the connection";
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (DaemonUnreachableException e)
            {
                reason = Short(e);
            }
            catch (Exception e) when (e is ProtocolException or IOException)
            {
                reason = e.Message;
            }
            lost(reason);
            try
            {
                await Task.Delay(RetryDelay, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The end of an instance's output, then what is appended, until cancelled or the daemon hangs up.</summary>
    public async Task FollowAsync(string name, string stream, Action<string> output, Action<string> failed, CancellationToken ct)
    {
        try
        {
            using var client = await ControlClient.ConnectAsync(socketPath, ct);
            var response = await client.SendAsync(
                new Request { Command = Commands.Tail, Targets = [name], Stream = stream, Bytes = 8192, Follow = true }, ct);
            if (!response.Ok)
            {
                failed(response.Error?.Message ?? "tail refused");
                return;
            }
            if (!string.IsNullOrEmpty(response.Text)) output(response.Text);
            await foreach (var e in client.ReadEventsAsync(ct))
                if (e is { Kind: StreamEvent.Kinds.Log, Data: { } data }) output(data);
            if (!ct.IsCancellationRequested) failed("the daemon closed the connection");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (DaemonUnreachableException e)
        {
            failed(Short(e));
        }
        catch (Exception e) when (e is ProtocolException or IOException)
        {
            failed(e.Message);
        }
    }

    /// <summary>One request on its own connection; a daemon that cannot be reached is reported as a failure.</summary>
    public async Task<(Response? Response, string? Failure)> RequestAsync(Request request, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            return (await ControlClient.RequestAsync(socketPath, request, timeout.Token), null);
        }
        catch (DaemonUnreachableException e)
        {
            return (null, Short(e));
        }
        catch (Exception e) when (e is ProtocolException or IOException)
        {
            return (null, e.Message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, "no answer in time");
        }
    }

    private static string Short(DaemonUnreachableException e)
    {
        // "cannot reach taskmasterd at SOCK: REASON (is the daemon running?)": the header already names the socket.
        var m = e.Message;
        var start = m.IndexOf(": ", StringComparison.Ordinal);
        var end = m.LastIndexOf(" (", StringComparison.Ordinal);
        return start >= 0 && end > start ? m[(start + 2)..end] : m;
    }
}
