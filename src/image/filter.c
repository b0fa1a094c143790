/* docker's `images --filter KEY=VALUE`: reference=PATTERN (a glob on the
 * familiar name, as in docker: "busybox", "busy*:1.*"), dangling=true|false
 * and label=KEY[=VALUE]. Filters come from users: every key and value is
 * checked, an unknown key is an error rather than "no match". */
#include "image.h"
#include "../base/util.h"

#include <errno.h>
#include <fnmatch.h>
#include <string.h>

/* docker's reference.FamiliarMatch: the pattern against "busybox:latest" and,
 * for a tagged name, "busybox"; '*' does not cross a '/'. */
static bool match_reference(const char *name, const char *pattern)
{
    struct hull_image_ref *ref = NULL;
    _cleanup_free_ char *full = NULL, *bare = NULL;

    if (name == NULL || hull_image_ref_parse(name, &ref, NULL) < 0)
        return false;
    full = hull_image_ref_familiar(ref);
    free(ref->tag);
    ref->tag = NULL;
    bare = hull_image_ref_familiar(ref);
    hull_image_ref_free(ref);
    return fnmatch(pattern, full, FNM_PATHNAME) == 0 || fnmatch(pattern, bare, FNM_PATHNAME) == 0;
}

static bool match_label(const struct hull_image *img, const char *v)
{
    const char *eq = strchr(v, '=');
    _cleanup_free_ char *key = eq ? strndup(v, (size_t)(eq - v)) : xstrdup(v);
    json_t *labels = json_object_get(img->config ? img->config->config : NULL, "Labels");
    const char *val = json_string_value(json_object_get(labels, key));

    return val && (eq == NULL || strcmp(val, eq + 1) == 0);
}

int hull_image_match(const struct hull_image *img, const char *name, const char *filter,
                     hull_error *err)
{
    const char *eq = filter ? strchr(filter, '=') : NULL, *v;

    if (eq == NULL || eq == filter)
        return hull_error_msg(err, EINVAL, "--filter \"%s\": expected KEY=VALUE",
                              filter ? filter : "");
    v = eq + 1;
    if (hull_str_has_prefix(filter, "reference=")) {
        if (v[0] == '\0')
            return hull_error_msg(err, EINVAL, "--filter reference=: empty pattern");
        return img && match_reference(name, v);
    }
    if (hull_str_has_prefix(filter, "dangling=")) {
        bool want = strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
        if (!want && strcmp(v, "false") != 0 && strcmp(v, "0") != 0)
            return hull_error_msg(err, EINVAL, "--filter dangling=%s: expected true or false", v);
        return img && (img->names == NULL || img->names[0] == NULL) == want;
    }
    if (hull_str_has_prefix(filter, "label=")) {
        if (v[0] == '\0' || v[0] == '=')
            return hull_error_msg(err, EINVAL, "--filter label=%s: expected KEY[=VALUE]", v);
        return img && match_label(img, v);
    }
    return hull_error_msg(err, EINVAL,
                          "--filter \"%s\": unknown filter \"%.*s\" (reference, dangling, label)",
                          filter, (int)(eq - filter), filter);
}

struct named_image {
    const struct hull_image *img;
    const char *name;
};

static int match_named(const void *obj, const char *filter, hull_error *err)
{
    const struct named_image *n = obj;
    return hull_image_match(n->img, n->name, filter, err);
}

int hull_image_filter(const struct hull_image *img, const char *name, char **filters,
                      hull_error *err)
{
    struct named_image n = {img, name};

    for (size_t k = 0; filters && filters[k]; k++)
        if (hull_image_match(NULL, NULL, filters[k], err) < 0)
            return -1;
    return img ? hull_filters_match(filters, match_named, &n, err) : 1;
}
