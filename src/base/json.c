#include "json.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int type_error(hull_error *err, const char *path, const char *key, const char *what)
{
    return hull_error_set(err, 0, "%s%s%s: expected %s", path, *path ? "." : "", key, what);
}

int hull_json_string(json_t *obj, const char *path, const char *key, bool required, char **out,
                     hull_error *err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (v == NULL || json_is_null(v)) {
        if (required)
            return hull_error_set(err, 0, "%s%s%s: required field missing", path, *path ? "." : "",
                                  key);
        return 0;
    }
    if (!json_is_string(v))
        return type_error(err, path, key, "a string");
    if (strlen(json_string_value(v)) != json_string_length(v))
        return hull_error_set(err, 0, "%s%s%s: string contains a NUL byte", path, *path ? "." : "",
                              key);
    free(*out);
    *out = xstrdup(json_string_value(v));
    return 0;
}

int hull_json_bool(json_t *obj, const char *path, const char *key, bool *out, hull_error *err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return type_error(err, path, key, "a boolean");
    *out = json_is_true(v);
    return 0;
}

int hull_json_int(json_t *obj, const char *path, const char *key, int64_t min, int64_t max,
                  bool *present, int64_t *out, hull_error *err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    json_int_t i;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return type_error(err, path, key, "an integer");
    i = json_integer_value(v);
    if (i < min || i > max)
        return hull_error_msg(err, ERANGE, "%s%s%s: value %lld out of range [%lld, %lld]", path,
                              *path ? "." : "", key, (long long)i, (long long)min, (long long)max);
    *out = i;
    if (present)
        *present = true;
    return 0;
}

int hull_json_u64(json_t *obj, const char *path, const char *key, bool *present, uint64_t *out,
                  hull_error *err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            return hull_error_msg(err, ERANGE, "%s%s%s: negative value", path, *path ? "." : "",
                                  key);
        *out = (uint64_t)json_integer_value(v);
    } else if (json_is_real(v)) {
        /* jansson turns integers beyond LLONG_MAX into doubles; accept only the
         * exactly representable 2^64-1 ceiling that runc specs use for "unlimited". */
        double d = json_real_value(v);
        if (d != floor(d) || d < 0 || d > 18446744073709551615.0)
            return type_error(err, path, key, "an unsigned integer");
        *out = d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
    } else {
        return type_error(err, path, key, "an unsigned integer");
    }
    if (present)
        *present = true;
    return 0;
}

int hull_json_strv(json_t *obj, const char *path, const char *key, char ***out, hull_error *err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    char **strv;
    size_t i;
    json_t *e;

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return type_error(err, path, key, "an array of strings");
    strv = xmalloc0((json_array_size(v) + 1) * sizeof(char *));
    json_array_foreach (v, i, e) {
        if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
            hull_strv_free(strv);
            return hull_error_set(err, 0, "%s%s%s[%zu]: expected a string", path, *path ? "." : "",
                                  key, i);
        }
        strv[i] = xstrdup(json_string_value(e));
    }
    hull_strv_free(*out);
    *out = strv;
    return 0;
}

int hull_json_object(json_t *obj, const char *path, const char *key, json_t **out, hull_error *err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return type_error(err, path, key, "an object");
    *out = v;
    return 0;
}

int hull_json_array(json_t *obj, const char *path, const char *key, json_t **out, hull_error *err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return type_error(err, path, key, "an array");
    *out = v;
    return 0;
}

char *hull_json_join_args(json_t *array, size_t from)
{
    size_t len = 0;
    char *s = xstrdup("");

    for (size_t i = from; i < json_array_size(array); i++) {
        const char *v = json_string_value(json_array_get(array, i)) ?: "";
        size_t n = strlen(v);
        s = xrealloc(s, len + n + 2);
        if (i > from)
            s[len++] = ' ';
        memcpy(s + len, v, n + 1);
        len += n;
    }
    return s;
}

size_t hull_strv_len(char **v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

void hull_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}
