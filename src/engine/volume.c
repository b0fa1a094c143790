/* Named volumes: directories under <root>/volumes/<name>/_data that outlive
 * the containers mounting them. -v NAME:/path binds one in (created on first
 * use, as docker does). */
#include "internal.h"
#include "../base/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool hull_volume_name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len < 2 || len > 128 ||
        !((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') ||
          (n[0] >= '0' && n[0] <= '9')))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
              (n[i] >= '0' && n[i] <= '9') || n[i] == '_' || n[i] == '.' || n[i] == '-'))
            return false;
    return true;
}

char *hull_volume_path(struct hull_engine *e, const char *name)
{
    return xasprintf("%s/volumes/%s/_data", e->root, name);
}

int hull_volume_create(struct hull_engine *e, const char *name, bool exist_ok, hull_error *err)
{
    _cleanup_free_ char *data = NULL;
    struct stat st;

    if (!hull_volume_name_ok(name))
        return hull_error_msg(err, EINVAL,
                              "volume name \"%s\": use letters, digits, _ . - (2-128 chars)", name);
    data = hull_volume_path(e, name);
    if (stat(data, &st) == 0) {
        if (exist_ok)
            return 0;
        return hull_error_msg(err, EEXIST, "volume %s already exists", name);
    }
    return hull_mkdir_p(data, 0755, err);
}

int hull_volume_list(struct hull_engine *e, json_t **out, hull_error *err)
{
    _cleanup_free_ char *dir = xasprintf("%s/volumes", e->root);
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *de;
    json_t *arr = json_array();

    (void)err;
    while (d && (de = readdir(d)) != NULL) {
        _cleanup_free_ char *mp = NULL;
        if (de->d_name[0] == '.' || !hull_volume_name_ok(de->d_name))
            continue;
        mp = hull_volume_path(e, de->d_name);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "Name", de->d_name, "Driver",
                                             "local", "Mountpoint", mp));
    }
    *out = arr;
    return 0;
}

/* Is the volume mounted by any container that still exists? */
int hull_volume_users(struct hull_engine *e, const char *name, size_t *n, hull_error *err)
{
    _cleanup_free_ char *pat = xasprintf("%%\"%s:%%", name);
    json_t *rows;
    if (hull_db_query(e->db, &rows, err, "SELECT id FROM containers WHERE volumes LIKE ?", "s",
                      pat) < 0)
        return -1;
    *n = json_array_size(rows);
    json_decref(rows);
    return 0;
}

int hull_volume_remove(struct hull_engine *e, const char *name, hull_error *err)
{
    _cleanup_free_ char *dir = NULL;
    size_t users;

    if (!hull_volume_name_ok(name))
        return hull_error_msg(err, EINVAL, "volume name \"%s\" is invalid", name);
    dir = xasprintf("%s/volumes/%s", e->root, name);
    if (access(dir, F_OK) < 0)
        return hull_error_msg(err, ENOENT, "no such volume: %s", name);
    if (hull_volume_users(e, name, &users, err) < 0)
        return -1;
    if (users)
        return hull_error_msg(err, EBUSY, "volume %s is in use by %zu container(s)", name, users);
    if (hull_rm_rf(dir) < 0)
        return hull_error_set(err, errno, "remove volume %s", name);
    return 0;
}

int hull_volume_prune(struct hull_engine *e, json_t **removed, hull_error *err)
{
    json_t *all, *v;
    size_t i;

    if (hull_volume_list(e, &all, err) < 0)
        return -1;
    *removed = json_array();
    json_array_foreach (all, i, v) {
        const char *name = json_string_value(json_object_get(v, "Name"));
        size_t users = 1;
        if (hull_volume_users(e, name, &users, NULL) == 0 && users == 0 &&
            hull_volume_remove(e, name, NULL) == 0)
            json_array_append_new(*removed, json_string(name));
    }
    json_decref(all);
    return 0;
}
