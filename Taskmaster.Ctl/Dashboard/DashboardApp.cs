using Taskmaster.Core.Protocol;
using Terminal.Gui.App;
using Terminal.Gui.Drawing;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using Attribute = Terminal.Gui.Drawing.Attribute;

namespace Taskmaster.Ctl.Dashboard;

/// <summary>
/// <c>taskmasterctl dashboard</c>: a full-screen view of every instance, fed by the daemon's subscription.
/// The view only renders <see cref="DashboardModel"/>; the model is changed on the UI thread only (events from the
/// daemon arrive through <see cref="IApplication.Invoke(Action)"/>), and nothing is written to the console while the
/// UI runs.
/// </summary>
internal sealed class DashboardApp
{
    private readonly IApplication _app;
    private readonly DashboardModel _model;
    private readonly DaemonFeeds _feeds;
    private readonly CancellationTokenSource _quit = new();
    private CancellationTokenSource? _follow;
    private bool _followLost;

    private readonly Label _header;
    private readonly Label _help;
    private readonly TableView _table;
    private readonly FrameView _pane;
    private readonly Label _paneText;
    private readonly Label _status;

    private DashboardApp(IApplication app, string socketPath)
    {
        _app = app;
        _model = new DashboardModel(socketPath);
        _feeds = new DaemonFeeds(socketPath);

        _header = new Label { X = 0, Y = 0, Width = Dim.Fill(), Height = 1 };
        _help = new Label { X = 0, Y = 1, Width = Dim.Fill(), Height = 1, Text = DashboardModel.KeyHelp };
        _table = new TableView(new InstanceTableSource(_model, () => DateTimeOffset.UtcNow))
        {
            X = 0, Y = 2, Width = Dim.Fill(), Height = Dim.Fill(1),
            FullRowSelect = true, MultiSelect = false,
        };
        _table.Style.ExpandLastColumn = true;
        _table.Style.ShowHorizontalBottomLine = false;
        _table.Style.GetOrCreateColumnStyle(InstanceTableSource.StateColumn).ColorGetter = StateScheme;
        _paneText = new Label { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill() };
        _pane = new FrameView { X = 0, Y = Pos.Percent(50), Width = Dim.Fill(), Height = Dim.Fill(1), Visible = false };
        _pane.Add(_paneText);
        _status = new Label { X = 0, Y = Pos.AnchorEnd(1), Width = Dim.Fill(), Height = 1 };
        _table.ValueChanged += (_, _) => OnSelectionChanged();
        _paneText.ViewportChanged += (_, _) => RenderPane();
    }

    /// <summary>Run until the user quits; returns the exit status (0).</summary>
    public static int Run(string socketPath)
    {
        // Terminal.Gui swaps the console's writers while it runs; the interactive shell (RadLine) needs the originals back.
        var (stdout, stderr, stdin) = (Console.Out, Console.Error, Console.In);
        try
        {
            return RunUi(socketPath);
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Console.SetIn(stdin);
        }
    }

    private static int RunUi(string socketPath)
    {
        ApplyTerminalGuiConfiguration();
        using IApplication app = Application.Create();
        app.Init();
        var dashboard = new DashboardApp(app, socketPath);
        using var window = new Window { Title = "taskmasterctl dashboard", Width = Dim.Fill(), Height = Dim.Fill() };
        window.Add(dashboard._header, dashboard._help, dashboard._table, dashboard._pane, dashboard._status);
        app.Keyboard.KeyDown += (_, key) => dashboard.OnKey(key);
        dashboard.Start();
        app.Run(window);
        dashboard.Stop();
        return 0;
    }

    /// <summary>
    /// What Terminal.Gui's module initializer does (its settings applied to its static facades), which the NativeAOT
    /// build leaves out of start-up (TerminalGui.Substitutions.xml) so that direct-mode commands do not pay for it.
    /// Under the JIT (tests, the fallback build) the initializer has already run when Terminal.Gui was loaded.
    /// </summary>
    private static void ApplyTerminalGuiConfiguration()
    {
        if (System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported) return;
        try
        {
            Terminal.Gui.Configuration.TuiConfigurationBuilder.Shared.ApplyToStaticFacades();
        }
        catch (Exception)
        {
            // As the initializer itself does: bad settings leave Terminal.Gui on its defaults.
        }
    }

    /// <summary>Whether the daemon answers on <paramref name="socketPath"/>; else why not.</summary>
    public static bool Reachable(string socketPath, out string problem, out bool untrusted)
    {
        untrusted = false;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var client = ControlClient.ConnectAsync(socketPath, cts.Token).GetAwaiter().GetResult();
            problem = "";
            return true;
        }
        catch (DaemonUnreachableException e)
        {
            problem = e.Message;
            untrusted = e is UntrustedDaemonException;
            return false;
        }
        catch (OperationCanceledException)
        {
            problem = $"cannot reach taskmasterd at {socketPath}: no answer in time";
            return false;
        }
    }

    private Task? _subscription;

    private void Start()
    {
        Render();
        _subscription = Task.Run(() => _feeds.SubscribeAsync(
            instances => Post(() =>
            {
                _model.Load(instances);
                // A log pane whose follow died with the daemon picks up again (with the end of the file).
                if (_followLost && _model is { Pane: PaneKind.Log, LogInstance: { } name }) OpenLog(name, _model.LogStream);
                Render();
            }),
            e => Post(() => { if (_model.Apply(e)) Render(); }),
            reason => Post(() => { _model.Disconnected(reason); Render(); }),
            _quit.Token));
        // The uptime column ticks.
        _app.AddTimeout(TimeSpan.FromSeconds(1), () =>
        {
            Render();
            return !_quit.IsCancellationRequested;
        });
    }

    /// <summary>Run <paramref name="action"/> on the UI thread, unless the dashboard is quitting.</summary>
    private void Post(Action action)
    {
        if (_quit.IsCancellationRequested) return;
        try
        {
            _app.Invoke(() =>
            {
                if (!_quit.IsCancellationRequested) action();
            });
        }
        catch (ObjectDisposedException)
        {
            // The UI is gone: nothing to show any more.
        }
    }

    private void Stop()
    {
        _quit.Cancel();
        _follow?.Cancel();
        try
        {
            _subscription?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    // ---- Rendering (UI thread) ----

    private string? _selected;

    private void Render()
    {
        _header.Text = _model.Header();
        var index = _selected is null ? -1 : _model.IndexOf(_selected);
        _table.Update();
        if (index >= 0 && SelectedRow != index) _table.SetSelection(0, index, false, null);
        else if (index < 0 && _model.Rows.Count > 0) _table.SetSelection(0, Math.Clamp(SelectedRow, 0, _model.Rows.Count - 1), false, null);
        _selected = SelectedName;
        _table.SetNeedsDraw();
        _status.Text = _model.StatusLine;
        if (_model.Pane == PaneKind.None)
        {
            _pane.Visible = false;
            _table.Height = Dim.Fill(1);
        }
        else
        {
            _pane.Visible = true;
            _pane.Title = _model.PaneTitle;
            _table.Height = Dim.Func(_ => Math.Max(3, (_pane.Frame.Y) - 2));
            RenderPane();
        }
    }

    /// <summary>The last lines of the pane's text that fit (a followed log shows its newest output).</summary>
    private void RenderPane()
    {
        var height = Math.Max(1, _paneText.Viewport.Height);
        var lines = _model.PaneText.Split('\n');
        _paneText.Text = string.Join('\n', lines.Skip(Math.Max(0, lines.Length - height)));
    }

    private int SelectedRow => _table.Value?.SelectedCell.Y ?? 0;

    private string? SelectedName =>
        _model.Rows.Count == 0 ? null : _model.Rows[Math.Clamp(SelectedRow, 0, _model.Rows.Count - 1)].Name;

    private void OnSelectionChanged()
    {
        var name = SelectedName;
        if (name == _selected) return;
        _selected = name;
        // The log pane follows the selected instance.
        if (_model.Pane == PaneKind.Log && name is not null && name != _model.LogInstance) OpenLog(name, _model.LogStream);
    }

    private Scheme? StateScheme(CellColorGetterArgs args)
    {
        // Without the daemon the states are only the last known ones: greyed out.
        var color = _model.Connected ? (args.CellValue as string) : "STOPPED";
        var color16 = color switch
        {
            "RUNNING" => ColorName16.BrightGreen,
            "STARTING" or "STOPPING" => ColorName16.BrightYellow,
            "BACKOFF" => ColorName16.Yellow,
            "EXITED" => ColorName16.BrightMagenta,
            "FATAL" => ColorName16.BrightRed,
            "STOPPED" => ColorName16.Gray,
            _ => (ColorName16?)null,
        };
        if (color16 is null) return null;
        var normal = args.RowScheme.Normal;
        return new Scheme(args.RowScheme) { Normal = new Attribute(new Color(color16.Value), normal.Background) };
    }

    // ---- Keys (UI thread) ----

    private void OnKey(Key key)
    {
        if (key == Key.Esc || key == Key.C.WithCtrl || key == Key.Q)
        {
            key.Handled = true;
            _quit.Cancel();
            _app.RequestStop();
            return;
        }
        if (key == Key.Enter || key == Key.L) { key.Handled = true; ToggleLog("stdout"); return; }
        if (key == Key.E) { key.Handled = true; ToggleLog("stderr"); return; }
        if (key == Key.S) { key.Handled = true; Act(Commands.Start); return; }
        if (key == Key.X) { key.Handled = true; Act(Commands.Stop); return; }
        if (key == Key.R) { key.Handled = true; Act(Commands.Restart); return; }
        if (key == Key.R.WithShift) { key.Handled = true; Reload(); }
    }

    private void Act(string verb)
    {
        if (SelectedName is not { } name) return;
        _model.ReportPending(verb, name);
        Render();
        _ = Task.Run(async () =>
        {
            var (response, failure) = await _feeds.RequestAsync(Request.For(verb, [name]), _quit.Token);
            Post(() =>
            {
                if (response is not null) _model.ReportOutcomes(verb, response);
                else _model.ReportFailure(verb, failure ?? "failed");
                Render();
            });
        });
    }

    private void Reload()
    {
        _model.ReportPending("reload", "");
        Render();
        _ = Task.Run(async () =>
        {
            var (response, failure) = await _feeds.RequestAsync(new Request { Command = Commands.Reload }, _quit.Token);
            IReadOnlyList<InstanceInfo>? instances = null;
            // A reload forgets removed instances, which no transition tells: take the instances afresh.
            if (response is { Ok: true })
                instances = (await _feeds.RequestAsync(Request.For(Commands.Status), _quit.Token)).Response?.Instances;
            Post(() =>
            {
                StopFollowing();
                if (response is not null) _model.ReportReload(response);
                else _model.ReportFailure("reload", failure ?? "failed");
                if (instances is not null) _model.Load(instances);
                Render();
            });
        });
    }

    private void ToggleLog(string stream)
    {
        if (_model.Pane == PaneKind.Log && _model.LogStream == stream || SelectedName is not { } name)
        {
            StopFollowing();
            _model.ClosePane();
            Render();
            return;
        }
        OpenLog(name, stream);
    }

    private void OpenLog(string name, string stream)
    {
        StopFollowing();
        _followLost = false;
        _model.OpenLog(name, stream);
        var follow = _follow = CancellationTokenSource.CreateLinkedTokenSource(_quit.Token);
        _ = Task.Run(() => _feeds.FollowAsync(name, stream,
            data => Post(() => { if (!follow.IsCancellationRequested && _model.AppendLog(name, stream, data)) Render(); }),
            why => Post(() =>
            {
                if (follow.IsCancellationRequested) return;
                _followLost = true;
                _model.ReportFailure($"log {name}", why);
                Render();
            }),
            follow.Token));
        Render();
    }

    private void StopFollowing()
    {
        _follow?.Cancel();
        _follow = null;
    }
}
