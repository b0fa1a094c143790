/* `hull system df` and the API's GET /system/df: docker's disk usage (images,
 * containers, local volumes, build cache) from what the engine and the image
 * store hold.
 *
 * Sizes: an image's is what `hull images` shows (unpacked bytes when known;
 * layers shared by two images count in both, where docker counts them once);
 * a container's is its writable layer (ps -s); a volume's, the bytes of the
 * files in it. Reclaimable is what prune could free: images no container
 * was made from, containers that are not running, volumes no container
 * mounts. hull has no builder: its build cache row is zeros. */
#include "internal.h"
#include "../image/image.h"
#include "../base/util.h"

#include <string.h>

static void count(struct hull_df_row *row, bool active, int64_t size)
{
    row->total++;
    row->size += size;
    if (active)
        row->active++;
    else
        row->reclaimable += size;
}

static size_t image_users(json_t *containers, const struct hull_image *img)
{
    json_t *c;
    size_t i, n = 0;

    json_array_foreach (containers, i, c)
        if (strcmp(json_string_value(json_object_get(c, "rootfs")) ?: "", img->digest) == 0)
            n++;
    return n;
}

static int volumes_df(struct hull_engine *e, struct hull_df *d, hull_error *err)
{
    json_t *v;
    size_t i;

    if (hull_volume_list(e, &d->volumes, err) < 0)
        return -1;
    json_array_foreach (d->volumes, i, v) {
        const char *name = json_string_value(json_object_get(v, "Name"));
        size_t users = 0;
        int64_t bytes = 0;
        if (hull_volume_users(e, name, &users, err) < 0)
            return -1;
        hull_engine_dir_bytes(json_string_value(json_object_get(v, "Mountpoint")), &bytes, NULL);
        json_object_set_new(v, "Size", json_integer(bytes));
        json_object_set_new(v, "RefCount", json_integer((json_int_t)users));
        count(&d->rows[2], users > 0, bytes);
    }
    return 0;
}

int hull_engine_df(struct hull_engine *e, struct hull_image *const *imgs, size_t nimg,
                   struct hull_df *d, hull_error *err)
{
    static const char *const types[HULL_DF_ROWS] = {"Images", "Containers", "Local Volumes",
                                                    "Build Cache"};
    json_t *c;
    size_t i;

    memset(d, 0, sizeof(*d));
    for (i = 0; i < HULL_DF_ROWS; i++)
        d->rows[i].type = types[i];
    if (hull_engine_list(e, true, &d->containers, err) < 0)
        return -1;
    d->image_containers = xmalloc0((nimg ? nimg : 1) * sizeof(size_t));
    for (i = 0; i < nimg; i++) {
        d->image_containers[i] = image_users(d->containers, imgs[i]);
        count(&d->rows[0], d->image_containers[i] > 0, imgs[i]->size > 0 ? imgs[i]->size : 0);
    }
    json_array_foreach (d->containers, i, c) {
        const char *state = json_string_value(json_object_get(c, "state")) ?: "";
        int64_t rw = 0;
        hull_engine_size(e, json_string_value(json_object_get(c, "id")), &rw, NULL);
        json_object_set_new(c, "size_rw", json_integer(rw));
        count(&d->rows[1], strcmp(state, "running") == 0, rw);
    }
    if (volumes_df(e, d, err) < 0) {
        hull_df_clear(d);
        return -1;
    }
    return 0;
}

void hull_df_clear(struct hull_df *d)
{
    free(d->image_containers);
    json_decref(d->containers);
    json_decref(d->volumes);
    memset(d, 0, sizeof(*d));
}
