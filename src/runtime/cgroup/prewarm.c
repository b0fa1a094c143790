/* Taking the global cgroup_threadgroup_rwsem for writing (any cgroup.procs
 * write, cgroup2 or v1: the lock is global) first waits for an RCU grace
 * period: 8–15 ms on this kind of host,
 * the largest single cost of starting a container on cgroup v1. Once taken,
 * the lock stays in its slow-path mode for a while and further writes are
 * cheap. So we take it once, early, from a helper thread, by moving ourselves
 * into the cgroup we are already in (a no-op migration), while the main
 * thread parses the config and prepares the rootfs. The real migration later
 * then finds the lock warm, or waits on the same grace period. */
#include "cgroup.h"
#include "resources.h"
#include "../../base/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_t prewarm_thread;
static bool prewarm_started;
static char prewarm_path[4096];
static int release_pipe[2] = {-1, -1};

static void *prewarm_main(void *arg)
{
    /* Only raw syscalls here: the main thread clone()s meanwhile, without
     * glibc's fork handlers, and the child must not inherit a lock this thread
     * holds. Thread exit frees memory (malloc locks), so the thread parks on a
     * pipe until hull_cgroup_prewarm_wait() releases it after the clone. */
    int fd = open(prewarm_path, O_WRONLY | O_CLOEXEC);
    char c;
    (void)arg;
    if (fd >= 0) {
        (void)!write(fd, "0", 1);
        close(fd);
    }
    (void)!read(release_pipe[0], &c, 1);
    return NULL;
}

/* A fork()ed child has no prewarm thread: it must not join it (the thread
 * only makes raw syscalls, so forking while it runs is safe). */
static void forget_in_child(void)
{
    if (prewarm_started) {
        close(release_pipe[0]);
        close(release_pipe[1]);
        prewarm_started = false;
    }
}

/* The hierarchy to take the lock through: cgroup2 if mounted, else a v1 one
 * whose no-op migration touches nothing (the lock is the same for all). */
static const struct hull_cg_mount *pick_mount(void)
{
    static const char *const quiet_v1[] = {"freezer", "pids", "name=systemd", "devices"};
    const struct hull_cg_mount *mounts;
    size_t n;

    mounts = hull_cg_mounts(&n);
    for (size_t i = 0; i < n; i++)
        if (mounts[i].v2)
            return &mounts[i];
    for (size_t k = 0; k < sizeof(quiet_v1) / sizeof(quiet_v1[0]); k++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(mounts[i].controllers, quiet_v1[k]) == 0)
                return &mounts[i];
    return NULL;
}

void hull_cgroup_prewarm(void)
{
    static bool atfork_set;
    _cleanup_free_ char *self = NULL, *rel = NULL;
    const struct hull_cg_mount *m;
    struct hull_cg_hier h = {0};

    if (prewarm_started || hull_read_file("/proc/self/cgroup", 1 << 16, &self, NULL, NULL) < 0)
        return;
    m = pick_mount();
    if (m == NULL)
        return;
    /* Our own cgroup in that hierarchy, as the layout code reads it. */
    h.ops = m->v2 ? &hull_cg_v2_ops : &hull_cg_v1_ops;
    h.controllers = m->controllers;
    h.root = m->root;
    if ((rel = hull_cg_proc_path(self, &h)) == NULL)
        return;
    snprintf(prewarm_path, sizeof(prewarm_path), "%s%s/cgroup.procs",
             strcmp(m->mount, "/") == 0 ? "" : m->mount, strcmp(rel, "/") == 0 ? "" : rel);
    if (pipe2(release_pipe, O_CLOEXEC) < 0)
        return;
    if (!atfork_set)
        atfork_set = pthread_atfork(NULL, NULL, forget_in_child) == 0;
    if (pthread_create(&prewarm_thread, NULL, prewarm_main, NULL) == 0) {
        prewarm_started = true;
    } else {
        close(release_pipe[0]);
        close(release_pipe[1]);
    }
}

void hull_cgroup_prewarm_wait(void)
{
    if (prewarm_started) {
        close(release_pipe[1]);
        pthread_join(prewarm_thread, NULL);
        close(release_pipe[0]);
        prewarm_started = false;
    }
}
