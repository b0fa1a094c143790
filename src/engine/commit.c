/* `hull commit`: a container's changes as a new image. The image side
 * (hull_image_commit_container) turns the container's overlay upper dir into a
 * layer on top of its image; here the container is found, and a running one is
 * frozen for the duration (as docker does) so the layer is a consistent snapshot
 * of its files, then thawed again, whether the commit worked or not. A container
 * the user had paused stays paused. */
#include "internal.h"
#include "../image/image.h"
#include "../runtime/runtime.h"
#include "../base/util.h"

#include <errno.h>
#include <string.h>

/* Is the container's runtime status "paused" (the user froze it)? */
static bool runtime_paused(struct hull_runtime *rt, const char *id)
{
    json_t *st = NULL;
    bool paused = false;
    if (hull_container_state(rt, id, &st, NULL) == 0) {
        const char *status = json_string_value(json_object_get(st, "status"));
        paused = status && strcmp(status, "paused") == 0;
    }
    json_decref(st);
    return paused;
}

int hull_engine_commit(struct hull_engine *e, const char *ref, const struct hull_commit_opts *o,
                       char **image_id, hull_error *err)
{
    _cleanup_free_ char *id = NULL, *rtroot = hull_engine_runtime_root(e);
    struct hull_runtime rt = {.root = rtroot};
    struct hull_image_import_opts io = {.created = -1};
    struct hull_image *img = NULL;
    json_t *rows = NULL;
    bool frozen = false;
    const char *state;
    int r;

    if (e->images == NULL)
        return hull_error_msg(err, EINVAL, "no image store");
    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return -1;
    if (hull_db_query(e->db, &rows, err, "SELECT state FROM containers WHERE id=?", "s", id) < 0)
        return -1;
    state = json_string_value(json_object_get(json_array_get(rows, 0), "state"));
    if (o->pause && state && strcmp(state, "running") == 0 && !runtime_paused(&rt, id)) {
        if (hull_container_pause(&rt, id, true, err) < 0) {
            json_decref(rows);
            return hull_error_prefix(err, "commit %s: pause", ref);
        }
        frozen = true;
    }
    json_decref(rows);
    io.ref = o->image;
    io.changes = o->changes;
    io.message = o->message;
    io.author = o->author;
    r = hull_image_commit_container(e->images, id, &io, &img, err);
    if (frozen) {
        hull_error thaw = {0};
        if (hull_container_pause(&rt, id, false, &thaw) < 0 && r == 0) {
            hull_error_msg(err, thaw.errnum, "commit %s: unpause: %s", ref,
                           thaw.msg ? thaw.msg : "failed");
            r = -1;
        }
        hull_error_clear(&thaw);
    }
    if (r == 0) {
        hull_db_event(e->db, "commit", id, NULL, img->id, 0, 0, false, NULL);
        if (image_id)
            *image_id = xstrdup(img->id);
    }
    hull_image_free(img);
    return r;
}
