/*
 * libtaskmaster_spawn.so: starts one child the way glibc's posix_spawn does (clone with CLONE_VM | CLONE_VFORK,
 * then exec), but also does in the child what posix_spawn cannot: umask, resource limits, and the switch to another
 * user (supplementary groups, gid, uid). Everything that changes happens in the child, between clone and exec; the
 * daemon's own credentials, umask and limits never change, not even on one of its threads for a moment.
 *
 * Why a vfork-style clone: the child shares the daemon's memory until it execs, so nothing is copied and the parent
 * thread simply waits (microseconds). The price is discipline in the child: no malloc, no locks, no stdio, no glibc
 * set*id wrappers (they signal every thread of the caller's process to switch them too); only plain system calls,
 * and raw ones where glibc would add bookkeeping. Every signal is blocked on the calling thread across the clone, so
 * no handler of the .NET runtime ever runs in the child; the child resets every disposition to its default and
 * unblocks all signals just before exec.
 *
 * A failure in the child is written into the shared request (errno and which step failed); the child then exits 127,
 * the parent reaps it at once and returns the errno: failures are synchronous, never a later exit 127.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Which step failed; mirrored by SpawnStep in NativeSpawn.cs. */
enum tm_step {
    TM_STEP_NONE = 0,
    TM_STEP_CLONE = 1,
    TM_STEP_SETSID = 2,
    TM_STEP_STDIO = 3,
    TM_STEP_CGROUP = 4,
    TM_STEP_RLIMIT = 5,
    TM_STEP_GROUPS = 6,
    TM_STEP_GID = 7,
    TM_STEP_UID = 8,
    TM_STEP_CHDIR = 9,
    TM_STEP_CLOSE = 10,
    TM_STEP_EXEC = 11,
};

struct tm_limit {
    int32_t resource;
    int32_t reserved;
    uint64_t soft;
    uint64_t hard;
};

/* The request, laid out exactly as SpawnRequestNative in NativeSpawn.cs (pointers first, then 32-bit fields). */
struct tm_request {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *workdir;          /* NULL: stay in the daemon's working directory */
    const uint32_t *groups;       /* supplementary groups when set_ids */
    const struct tm_limit *limits;
    int32_t stdout_fd;            /* -1: /dev/null */
    int32_t stderr_fd;            /* -1: /dev/null */
    int32_t umask;                /* 0 ... 0777 */
    int32_t set_ids;              /* 0: keep the daemon's uid, gid and groups */
    uint32_t uid;
    uint32_t gid;
    int32_t ngroups;
    int32_t nlimits;
    int32_t cgroup_fd;            /* -1: none; else an open cgroup.procs the child moves itself into */
    /* written by the child */
    volatile int32_t err;
    volatile int32_t step;
};

#define STACK_SIZE (64 * 1024)
#define KERNEL_SIGSET_BYTES 8

struct kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

static long mask_all(uint64_t *old)
{
    uint64_t all = ~(uint64_t)0;
    return syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, KERNEL_SIGSET_BYTES);
}

static void restore_mask(const uint64_t *old)
{
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, KERNEL_SIGSET_BYTES);
}

static __attribute__((noreturn)) void fail(struct tm_request *r, int step)
{
    r->err = errno ? errno : EINVAL;
    r->step = step;
    _exit(127);
}

static int move_fd(int from, int to)
{
    return from == to ? fcntl(to, F_SETFD, 0) : dup2(from, to);
}

static int child(void *arg)
{
    struct tm_request *r = arg;

    /* Every disposition back to its default (32 and 33 included, which glibc's wrappers refuse). */
    struct kernel_sigaction dfl = { 0 };
    for (int sig = 1; sig <= 64; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            syscall(SYS_rt_sigaction, sig, &dfl, NULL, KERNEL_SIGSET_BYTES);

    if (setsid() < 0) fail(r, TM_STEP_SETSID);

    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) fail(r, TM_STEP_STDIO);
    if (move_fd(null, 0) < 0) fail(r, TM_STEP_STDIO);
    if (move_fd(r->stdout_fd >= 0 ? r->stdout_fd : null, 1) < 0) fail(r, TM_STEP_STDIO);
    if (move_fd(r->stderr_fd >= 0 ? r->stderr_fd : null, 2) < 0) fail(r, TM_STEP_STDIO);

    if (r->cgroup_fd >= 0 && write(r->cgroup_fd, "0", 1) != 1) fail(r, TM_STEP_CGROUP);

    for (int i = 0; i < r->nlimits; i++) {
        struct rlimit64 l = { r->limits[i].soft, r->limits[i].hard };
        if (setrlimit64(r->limits[i].resource, &l) != 0) fail(r, TM_STEP_RLIMIT);
    }

    umask((mode_t)(r->umask & 0777));

    if (r->set_ids) {
        if (syscall(SYS_setgroups, (long)r->ngroups, r->groups) != 0) fail(r, TM_STEP_GROUPS);
        if (syscall(SYS_setresgid, (long)r->gid, (long)r->gid, (long)r->gid) != 0) fail(r, TM_STEP_GID);
        if (syscall(SYS_setresuid, (long)r->uid, (long)r->uid, (long)r->uid) != 0) fail(r, TM_STEP_UID);
    }

    /* As the target user: a directory it may not enter is refused like a shell would refuse it. */
    if (r->workdir && chdir(r->workdir) != 0) fail(r, TM_STEP_CHDIR);

    /* Only 0, 1 and 2 reach the program, whatever the daemon inherited or opened meanwhile. */
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) fail(r, TM_STEP_CLOSE);

    uint64_t none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, KERNEL_SIGSET_BYTES);
    execve(r->path, r->argv, r->envp);
    fail(r, TM_STEP_EXEC);
}

/* Returns 0 and the child's pid, or an errno (r->step says where it failed). */
int taskmaster_spawn(struct tm_request *r, int32_t *pid_out)
{
    r->err = 0;
    r->step = TM_STEP_NONE;
    void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        r->step = TM_STEP_CLONE;
        return errno;
    }

    uint64_t old;
    mask_all(&old);
    pid_t pid = clone(child, (char *)stack + STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, r);
    int clone_errno = errno;
    restore_mask(&old);
    munmap(stack, STACK_SIZE);

    if (pid < 0) {
        r->step = TM_STEP_CLONE;
        return clone_errno;
    }
    if (r->err != 0) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) { }
        return r->err;
    }
    *pid_out = pid;
    return 0;
}

/* The layout the managed side was built against; it checks this at load. */
int taskmaster_spawn_abi(void)
{
    return (int)sizeof(struct tm_request) * 100 + (int)sizeof(struct tm_limit);
}
