/* `hull info` and `hull system prune|info|df`. */
#include "commands.h"
#include "engine/engine.h"
#include "image/image.h"
#include "runtime/cgroup/cgroup.h"
#include "base/util.h"
#include "base/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

static int info(struct hull_ctx *ctx)
{
    static const char *const modes[] = {"v1", "v2", "hybrid (v1 controllers + cgroup2)"};
    struct hull_engine e;
    struct hull_image_store *s = NULL;
    struct hull_image **imgs = NULL;
    hull_error err = {0};
    json_t *all = NULL, *c;
    size_t i, nimg = 0, running = 0, exited = 0;
    struct utsname u;

    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    if (hull_engine_list(&e, true, &all, &err) < 0) {
        hull_engine_close(&e);
        return hull_cmd_fail(&err);
    }
    json_array_foreach (all, i, c) {
        if (strcmp(json_string_value(json_object_get(c, "state")), "running") == 0)
            running++;
        else
            exited++;
    }
    if (hull_cmd_open_image_store(ctx, &s, &err) == 0)
        hull_image_list(s, &imgs, &nimg, NULL);
    hull_error_clear(&err);
    uname(&u);
    printf("Containers: %zu\n Running: %zu\n Stopped: %zu\n", json_array_size(all), running,
           exited);
    printf("Images: %zu\n", nimg);
    printf("Root: %s\nRun root: %s\n", ctx->root, ctx->runroot);
    printf("Runtime: hull-runtime (in-process library)\n");
    printf("Cgroups: %s\n", modes[hull_cgroup_mode()]);
    printf("Security: seccomp (default profile), no_new_privs, %s\n",
           "capabilities: Docker's defaults minus NET_RAW and MKNOD");
    printf("Storage: overlay snapshots of read-only image layers\n");
    printf("Network plugins: CNI (bridge, host-local, portmap, firewall)\n");
    printf("Kernel: %s %s\n", u.release, u.machine);
    hull_image_list_free(imgs, nimg);
    hull_image_store_free(s);
    json_decref(all);
    hull_engine_close(&e);
    return 0;
}

/* system prune: exited containers, then dangling images and unreferenced
 * blobs/snapshots; named volumes only with --volumes (they hold data). */
static int prune(struct hull_ctx *ctx, bool volumes)
{
    struct hull_engine e;
    struct hull_image_store *s = NULL;
    struct hull_image_prune_report rep = {0};
    hull_error err = {0};
    json_t *all = NULL, *c;
    size_t i, removed = 0;
    int rc = 0;

    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    if (hull_engine_list(&e, true, &all, &err) < 0) {
        hull_engine_close(&e);
        return hull_cmd_fail(&err);
    }
    json_array_foreach (all, i, c) {
        const char *st = json_string_value(json_object_get(c, "state"));
        if (strcmp(st, "exited") != 0 && strcmp(st, "created") != 0)
            continue;
        if (hull_engine_rm(&e, json_string_value(json_object_get(c, "id")), false, false, &err) < 0)
            rc = hull_cmd_fail(&err);
        else
            removed++;
    }
    printf("Deleted containers: %zu\n", removed);
    if (volumes) {
        json_t *gone = NULL;
        if (hull_volume_prune(&e, &gone, &err) < 0)
            rc = hull_cmd_fail(&err);
        printf("Deleted volumes: %zu\n", gone ? json_array_size(gone) : 0);
        json_decref(gone);
    }
    if (hull_cmd_open_image_store(ctx, &s, &err) < 0 || hull_image_prune(s, true, &rep, &err) < 0) {
        rc = hull_cmd_fail(&err);
    } else {
        printf("Deleted images: %zu\nDeleted blobs: %llu, snapshots: %llu\nReclaimed: %llu bytes\n",
               hull_strv_len(rep.deleted_images), (unsigned long long)rep.blobs,
               (unsigned long long)rep.snapshots, (unsigned long long)rep.bytes);
    }
    hull_image_prune_report_clear(&rep);
    hull_image_store_free(s);
    json_decref(all);
    hull_engine_close(&e);
    return rc;
}

/* "11.63MB (70%)" as docker's disk usage formatter (units.HumanSize, 4
 * digits); just the size when there is nothing at all. */
static char *reclaimable_text(const struct hull_df_row *r)
{
    _cleanup_free_ char *sz = hull_cmd_human_size_digits((double)r->reclaimable, 4);
    if (r->size <= 0)
        return steal_pointer(&sz);
    return xasprintf("%s (%lld%%)", sz, (long long)(r->reclaimable * 100 / r->size));
}

/* system df [--format json]: docker's table, or its JSON lines (strings). */
static int df(struct hull_ctx *ctx, bool json)
{
    struct hull_df d;
    struct hull_engine e;
    struct hull_image_store *s = NULL;
    struct hull_image **imgs = NULL;
    hull_error err = {0};
    size_t nimg = 0;
    int r;

    if (hull_cmd_open_engine(ctx, &e) != 0)
        return 125;
    if (hull_cmd_open_image_store(ctx, &s, &err) < 0 ||
        hull_image_list(s, &imgs, &nimg, &err) < 0) {
        hull_image_store_free(s);
        hull_engine_close(&e);
        return hull_cmd_fail(&err);
    }
    r = hull_engine_df(&e, imgs, nimg, &d, &err);
    hull_image_list_free(imgs, nimg);
    hull_image_store_free(s);
    hull_engine_close(&e);
    if (r < 0)
        return hull_cmd_fail(&err);
    if (!json)
        printf("%-16s%-10s%-10s%-10s%s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
    for (size_t i = 0; i < HULL_DF_ROWS; i++) {
        const struct hull_df_row *row = &d.rows[i];
        _cleanup_free_ char *size = hull_cmd_human_size_digits((double)row->size, 4);
        _cleanup_free_ char *rec = reclaimable_text(row);
        if (json) {
            json_t *o =
                json_pack("{s:s, s:o, s:o, s:s, s:s}", "Type", row->type, "TotalCount",
                          json_sprintf("%zu", row->total), "Active",
                          json_sprintf("%zu", row->active), "Size", size, "Reclaimable", rec);
            _cleanup_free_ char *t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
            puts(t);
            json_decref(o);
        } else {
            printf("%-16s%-10zu%-10zu%-10s%s\n", row->type, row->total, row->active, size, rec);
        }
    }
    hull_df_clear(&d);
    return 0;
}

int hull_cmd_system(struct hull_ctx *ctx, int argc, char **argv)
{
    if (strcmp(argv[0], "info") == 0 || (argc > 1 && strcmp(argv[1], "info") == 0))
        return info(ctx);
    if (argc > 1 && strcmp(argv[1], "prune") == 0) {
        bool volumes = false;
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--volumes") == 0)
                volumes = true;
            else if (strcmp(argv[i], "-f") != 0 && strcmp(argv[i], "--force") != 0) {
                fprintf(stderr, "hull: system prune: unknown option %s\n", argv[i]);
                return 125;
            }
        }
        return prune(ctx, volumes);
    }
    if (argc > 1 && strcmp(argv[1], "df") == 0) {
        bool json = false;
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
                strcmp(argv[i + 1], "json") == 0) {
                json = true;
                i++;
            } else {
                fprintf(stderr, "hull: system df: unknown option %s (--format json)\n", argv[i]);
                return 125;
            }
        }
        return df(ctx, json);
    }
    fprintf(stderr, "usage: hull system info | df [--format json] | prune [--volumes]\n");
    return 125;
}
