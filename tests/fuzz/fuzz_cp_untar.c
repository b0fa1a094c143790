/* libFuzzer target: `hull cp - CONTAINER:DIR`, a tar stream from the user
 * (or an API client) extracted into a container root (src/engine/cp.c).
 * The root is a scratch directory with a sibling "outside"; whatever the
 * archive holds (symlinks then writes through them, "..", absolute names,
 * hard links, devices), nothing may appear outside the root. */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "engine/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];

static void remove_base(void)
{
    hull_rm_rf(base);
}

static bool empty_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    bool empty = true;

    while (d && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            empty = false;
    if (d)
        closedir(d);
    return empty;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char root[96], outside[96], dest[128];
    hull_error err = {0};
    int rootfd, in;

    if (base[0] == '\0') {
        snprintf(base, sizeof(base), "/tmp/fuzz-cp-%d", getpid());
        mkdir(base, 0700);
        atexit(remove_base);
    }
    snprintf(root, sizeof(root), "%s/root", base);
    snprintf(outside, sizeof(outside), "%s/outside", base);
    snprintf(dest, sizeof(dest), "%s/root/dest", base);
    hull_rm_rf(root);
    mkdir(root, 0700);
    mkdir(dest, 0700);
    mkdir(outside, 0700);
    rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    in = memfd_create("tar", MFD_CLOEXEC);
    if (rootfd < 0 || in < 0 || hull_write_all(in, data, size) < 0)
        abort();
    lseek(in, 0, SEEK_SET);
    if (hull_cp_untar(rootfd, "/dest", in, size % 2 == 0, "fuzz", &err) < 0 && err.msg == NULL)
        abort();
    hull_error_clear(&err);
    close(in);
    close(rootfd);
    /* The invariant: the sibling of the root is untouched. */
    if (!empty_dir(outside))
        abort();
    return 0;
}
