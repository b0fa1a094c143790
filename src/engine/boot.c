/* `hull start --all`: start every stopped container that matches, as
 * podman-restart.service's `podman start --all --filter restart-policy=always`.
 * hull has no daemon, so nothing brings restart-policy containers back after a
 * reboot but this, run by the host's init (docs/boot.md, contrib/).
 *
 * The one rule of its own: an unless-stopped container the user stopped stays
 * stopped (docker's HasBeenManuallyStopped). That is read from the events:
 * a "stop" or "kill" after its last "start". A reboot writes neither (the
 * processes just vanish; repair records the "die"), so the container counts
 * as not stopped by the user. `always` ones start either way, as dockerd does
 * on its start. */
#include "internal.h"
#include "../base/util.h"

#include <errno.h>
#include <string.h>

/* Whether the last of the user's stop/kill and the container's start is a
 * stop or kill. */
static bool stopped_by_user(struct hull_engine *e, const char *id)
{
    json_t *rows = NULL;
    const char *last;
    bool r;

    if (hull_db_query(e->db, &rows, NULL,
                      "SELECT type FROM events WHERE container=? AND type IN "
                      "('start','stop','kill') ORDER BY seq DESC LIMIT 1",
                      "s", id) < 0)
        return false;
    last = json_string_value(json_object_get(json_array_get(rows, 0), "type"));
    r = last && strcmp(last, "start") != 0;
    json_decref(rows);
    return r;
}

static bool is_candidate(struct hull_engine *e, json_t *c)
{
    const char *state = json_string_value(json_object_get(c, "state")) ?: "";
    const char *id = json_string_value(json_object_get(c, "id"));
    json_t *opts;
    bool unless_stopped;

    if (id == NULL || (strcmp(state, "created") != 0 && strcmp(state, "exited") != 0))
        return false;
    opts = json_loads(json_string_value(json_object_get(c, "opts")) ?: "", 0, NULL);
    unless_stopped =
        strcmp(json_string_value(json_object_get(opts, "restart")) ?: "", "unless-stopped") == 0;
    json_decref(opts);
    return !unless_stopped || !stopped_by_user(e, id);
}

int hull_engine_start_all(struct hull_engine *e, char **filters, hull_start_report_fn report,
                          void *data, hull_error *err)
{
    json_t *rows = NULL, *match = NULL, *c;
    size_t i;
    int failed = 0;

    if (hull_engine_list(e, true, &rows, err) < 0)
        return -1;
    if (hull_container_filter(rows, filters, &match, err) < 0) {
        json_decref(rows);
        return hull_error_prefix(err, "start --all");
    }
    json_decref(rows);
    /* oldest first: a container made to depend on another usually came later */
    for (i = json_array_size(match); i-- > 0;) {
        const char *name;
        hull_error one = {0};
        int status;

        c = json_array_get(match, i);
        if (!is_candidate(e, c))
            continue;
        name = json_string_value(json_object_get(c, "name"));
        if (hull_engine_start(e, json_string_value(json_object_get(c, "id")), false, &status,
                              &one) < 0) {
            hull_error_prefix(&one, "container %s", name);
            failed++;
        }
        report(data, name, one.msg ? &one : NULL);
        hull_error_clear(&one);
    }
    json_decref(match);
    return failed;
}
