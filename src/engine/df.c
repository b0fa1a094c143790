/* `hull system df`: docker's disk usage rows (images, containers, local
 * volumes, build cache) from what the engine and the image store hold.
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

static bool image_in_use(json_t *containers, const struct hull_image *img)
{
    json_t *c;
    size_t i;

    json_array_foreach (containers, i, c)
        if (strcmp(json_string_value(json_object_get(c, "rootfs")) ?: "", img->digest) == 0)
            return true;
    return false;
}

static int volumes_df(struct hull_engine *e, struct hull_df_row *row, hull_error *err)
{
    json_t *vols = NULL, *v;
    size_t i;

    if (hull_volume_list(e, &vols, err) < 0)
        return -1;
    json_array_foreach (vols, i, v) {
        const char *name = json_string_value(json_object_get(v, "Name"));
        size_t users = 0;
        int64_t bytes = 0;
        if (hull_volume_users(e, name, &users, err) < 0) {
            json_decref(vols);
            return -1;
        }
        hull_engine_dir_bytes(json_string_value(json_object_get(v, "Mountpoint")), &bytes, NULL);
        count(row, users > 0, bytes);
    }
    json_decref(vols);
    return 0;
}

int hull_engine_df(struct hull_engine *e, struct hull_image *const *imgs, size_t nimg,
                   struct hull_df_row rows[HULL_DF_ROWS], hull_error *err)
{
    static const char *const types[HULL_DF_ROWS] = {"Images", "Containers", "Local Volumes",
                                                    "Build Cache"};
    json_t *all = NULL, *c;
    size_t i;

    memset(rows, 0, HULL_DF_ROWS * sizeof(rows[0]));
    for (i = 0; i < HULL_DF_ROWS; i++)
        rows[i].type = types[i];
    if (hull_engine_list(e, true, &all, err) < 0)
        return -1;
    for (i = 0; i < nimg; i++)
        count(&rows[0], image_in_use(all, imgs[i]), imgs[i]->size > 0 ? imgs[i]->size : 0);
    json_array_foreach (all, i, c) {
        const char *state = json_string_value(json_object_get(c, "state")) ?: "";
        int64_t rw = 0;
        hull_engine_size(e, json_string_value(json_object_get(c, "id")), &rw, NULL);
        count(&rows[1], strcmp(state, "running") == 0, rw);
    }
    json_decref(all);
    return volumes_df(e, &rows[2], err);
}
