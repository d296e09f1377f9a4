namespace Taskmaster.Core.Processes.Native;

/// <summary>A fully resolved spawn: absolute program path, argv, the whole environment, and the fds for 1 and 2.</summary>
/// <param name="StdoutFd">Write end of the stdout pipe, or -1 for /dev/null.</param>
/// <param name="StderrFd">Write end of the stderr pipe, or -1 for /dev/null.</param>
/// <param name="Umask">The child's umask (the program's, else the daemon's).</param>
/// <param name="User">The account to switch to in the child, or null to keep the daemon's.</param>
internal sealed record SpawnPlan(
    string Path,
    string[] Argv,
    string[] Environment,
    string? WorkingDir,
    int StdoutFd,
    int StderrFd,
    int Umask,
    UserAccount? User,
    int CgroupProcsFd = -1);
