namespace Taskmaster.Ctl;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("taskmasterctl: not implemented yet");
        return 1;
    }
}
