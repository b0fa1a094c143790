/* Typed access to untrusted JSON with errors that name the field path
 * ("process.user.uid: expected an integer"). */
#ifndef HULL_BASE_JSON_H
#define HULL_BASE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "error.h"

/* Each getter: `obj` is the parent object (may be NULL), `path` its JSON path for
 * messages. A missing key leaves *out untouched and returns 0 (or an error when
 * `required`). A key of the wrong type is an error. */
int hull_json_string(json_t *obj, const char *path, const char *key, bool required, char **out,
                     hull_error *err);
int hull_json_bool(json_t *obj, const char *path, const char *key, bool *out, hull_error *err);
int hull_json_int(json_t *obj, const char *path, const char *key, int64_t min, int64_t max,
                  bool *present, int64_t *out, hull_error *err);
/* Unsigned 64-bit values: jansson stores integers as long long, so values above
 * INT64_MAX arrive as reals and are rejected unless they are exact. */
int hull_json_u64(json_t *obj, const char *path, const char *key, bool *present, uint64_t *out,
                  hull_error *err);
/* Array of strings → NULL-terminated strv (freshly allocated). */
int hull_json_strv(json_t *obj, const char *path, const char *key, char ***out, hull_error *err);
/* Object or array member of the expected type; NULL when absent. */
int hull_json_object(json_t *obj, const char *path, const char *key, json_t **out, hull_error *err);
int hull_json_array(json_t *obj, const char *path, const char *key, json_t **out, hull_error *err);

/* The strings of `array` from index `from` on, joined by single spaces (a
 * non-string counts as ""): a command line as docker shows it. */
char *hull_json_join_args(json_t *array, size_t from);

size_t hull_strv_len(char **v);
void hull_strv_free(char **v);

#endif
