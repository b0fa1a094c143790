/* hull: the daemonless engine. Global options, then one verb from the table;
 * each area's verbs live in cmd/hull/cmd_<area>.c. */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct hull_command commands[] = {
    {"run", hull_cmd_run, "run a command in a new container"},
    {"create", hull_cmd_run, "create a container without starting it"},
    {"start", hull_cmd_start, "start containers (--all [--filter]: the boot hook, docs/boot.md)"},
    {"ps", hull_cmd_ps, "list containers"},
    {"stop", hull_cmd_each, "stop containers (SIGTERM, then SIGKILL)"},
    {"restart", hull_cmd_each, "stop (-t SECONDS) and start containers again"},
    {"kill", hull_cmd_each, "send a signal to containers"},
    {"rm", hull_cmd_each, "remove containers"},
    {"wait", hull_cmd_each, "wait for containers to exit, print their exit codes"},
    {"logs", hull_cmd_logs, "show a container's output"},
    {"attach", hull_cmd_attach, "attach to a running container's output and input"},
    {"__monitor-exit", hull_cmd_monitor_exit, NULL}, /* internal: hull-monitor */
    {"exec", hull_cmd_exec, "run a command in a running container"},
    {"inspect", hull_cmd_inspect, "show a container's details as JSON"},
    {"events", hull_cmd_events, "show events (create, start, die, oom, kill, stop, destroy, exec)"},
    {"bench", hull_cmd_bench, "check host and engine compliance, baseline and drift"},
    {"images", hull_cmd_images, "list images"},
    {"image", hull_cmd_image, "manage images (ls inspect history tag rm prune verify ...)"},
    {"history", hull_cmd_images, "show the history of an image"},
    {"tag", hull_cmd_images, "give an image another name"},
    {"rmi", hull_cmd_images, "remove images"},
    {"import", hull_cmd_images, "make an image from a rootfs tarball or directory"},
    {"load", hull_cmd_images, "load images from an OCI layout/archive or docker save archive"},
    {"save", hull_cmd_images, "save images as an OCI archive or layout"},
    {"commit", hull_cmd_images, "make an image from a container's changes"},
    {"pull", hull_cmd_registry, "pull an image from a registry"},
    {"push", hull_cmd_registry, "push an image to a registry"},
    {"login", hull_cmd_registry, "log in to a registry (credentials in the auth file)"},
    {"logout", hull_cmd_registry, "remove a registry's credentials from the auth file"},
    {"pause", hull_cmd_misc, "freeze every process of containers"},
    {"unpause", hull_cmd_misc, "thaw paused containers"},
    {"rename", hull_cmd_misc, "rename a container"},
    {"stats", hull_cmd_stats,
     "CPU %, memory, I/O and pids of containers (-a, --no-stream, --format)"},
    {"top", hull_cmd_misc, "processes of a container"},
    {"port", hull_cmd_misc, "published ports of a container"},
    {"cp", hull_cmd_cp, "copy files between a container and the host (or a tar stream)"},
    {"volume", hull_cmd_volume, "manage named volumes (create, ls, rm, inspect, prune)"},
    {"network", hull_cmd_network, "manage networks (create, ls, rm, inspect)"},
    {"info", hull_cmd_system, "show system-wide information"},
    {"system", hull_cmd_system, "system info | system prune [--volumes]"},
    {"version", hull_cmd_version, "show the version"},
    {"serve", hull_cmd_serve, "serve the Docker Engine API on a unix socket (-H unix:///PATH)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: hull [--root DIR] [--runroot DIR] [--debug] COMMAND [ARGS...]\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].summary)
            fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    struct hull_ctx ctx = {
        .root = "/var/lib/hull", .runroot = "/run/hull", .argc = argc, .argv = argv};
    int i = 1;

    if (getenv("HULL_ROOT"))
        ctx.root = getenv("HULL_ROOT");
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "--root") == 0 || strcmp(a, "--runroot") == 0) && i + 1 < argc) {
            if (a[2] == 'r' && a[3] == 'o')
                ctx.root = argv[++i];
            else
                ctx.runroot = argv[++i];
        } else if (strncmp(a, "--root=", 7) == 0) {
            ctx.root = a + 7;
        } else if (strncmp(a, "--runroot=", 10) == 0) {
            ctx.runroot = a + 10;
        } else if (strcmp(a, "--debug") == 0) {
            ctx.debug = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
            return hull_cmd_version(&ctx, 1, (char *[]){"version", NULL});
        } else {
            fprintf(stderr, "hull: unknown global option %s\n", a);
            return 125;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 125;
    }
    for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
        if (strcmp(argv[i], commands[c].name) == 0)
            return commands[c].run(&ctx, argc - i, argv + i);
    fprintf(stderr, "hull: unknown command \"%s\" (see hull --help)\n", argv[i]);
    return 125;
}
