using Terminal.Gui.Views;

namespace Taskmaster.Ctl.Dashboard;

/// <summary>The model's rows as the TableView reads them: NAME, STATE, PID, UPTIME / REASON (text only).</summary>
internal sealed class InstanceTableSource(DashboardModel model, Func<DateTimeOffset> clock) : ITableSource
{
    public const int StateColumn = 1;

    private static readonly string[] Names = ["NAME", "STATE", "PID", "UPTIME / REASON"];

    public string[] ColumnNames => Names;
    public int Columns => Names.Length;
    public int Rows => model.Rows.Count;

    public object this[int row, int col]
    {
        get
        {
            if (row < 0 || row >= model.Rows.Count) return "";
            var r = model.Rows[row];
            return col switch
            {
                0 => r.Name,
                StateColumn => r.State,
                2 => r.PidText,
                _ => r.Detail(clock()),
            };
        }
    }
}
