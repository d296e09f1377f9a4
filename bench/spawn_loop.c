/* Baseline for the spawn benchmark: posix_spawn + waitpid of a program, N times, no supervisor around it.
 * Usage: spawn_loop N [program]   Prints: "<N> spawns in <ms> ms: <ms per spawn> ms/spawn". */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    char *prog = argc > 2 ? argv[2] : "/bin/true";
    char *args[] = { prog, NULL };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        pid_t pid;
        int rc = posix_spawn(&pid, prog, NULL, NULL, args, environ);
        if (rc != 0) { fprintf(stderr, "posix_spawn: %d\n", rc); return 1; }
        int status;
        if (waitpid(pid, &status, 0) != pid) { perror("waitpid"); return 1; }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("%d spawns in %.1f ms: %.4f ms/spawn\n", n, ms, ms / n);
    return 0;
}
