/* Private interfaces of src/security/bench: the run context shared by the
 * probes, the probe table, the expectation matcher and root-safe file access. */
#ifndef HULL_SECURITY_BENCH_INTERNAL_H
#define HULL_SECURITY_BENCH_INTERNAL_H

#include <stdbool.h>
#include <sys/stat.h>
#include <jansson.h>

#include "bench.h"

/* ---- run context ------------------------------------------------------- */

struct bench_mount {
    char *target; /* mount point, as the audited root sees it */
    char *fstype;
    char *options;  /* per-mount and super options joined with ',' */
    char *optional; /* optional fields (shared:N ...) */
};

struct bench_ctx {
    const struct hull_bench_opts *opts;
    int rootfd; /* O_PATH directory fd of the audited root */
    const char *root;

    /* lazily loaded, shared by every check of one run */
    bool mounts_loaded;
    struct bench_mount *mounts;
    size_t n_mounts;
    char *mounts_error;

    bool ids_loaded;
    json_t *users;  /* name -> uid, from <root>/etc/passwd */
    json_t *groups; /* name -> {gid, members[]}, from <root>/etc/group */

    bool containers_loaded;
    json_t *containers; /* array of normalized containers (container.c) */
    json_t *container_errors;

    bool kconfig_loaded;
    char *kconfig;        /* kernel config text, NULL when unavailable */
    char *kconfig_source; /* where it came from, or why it is unavailable */

    bool drift_done;
    int drift_rc;
    char *drift_error;
    json_t *drift_tamper, *drift_changes;

    bool image_loaded;
    json_t *image; /* normalized image (image.c), NULL when none was given */
    json_t *image_errors;
};

/* What one evaluation produced. */
struct bench_outcome {
    enum hull_bench_status status;
    json_t *details; /* array of strings */
    char *subject;
    bool subject_host; /* subject is a path of the auditing host, not of the root */
};

void bench_detail(struct bench_outcome *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bench_set_subject(struct bench_outcome *o, const char *path);
void bench_set_host_subject(struct bench_outcome *o, const char *path);

/* ---- probes ------------------------------------------------------------- */

enum bench_param_type {
    BP_STRING,
    BP_STRINGS, /* a string or an array of strings */
    BP_BOOL,
    BP_INT,
    BP_MODE,  /* octal string "0644" */
    BP_REGEX, /* POSIX ERE, compiled at load time to validate it */
    BP_ANY,
    BP_ENUM, /* string, one of `choices` */
};

struct bench_param {
    const char *name;
    enum bench_param_type type;
    bool required;
    const char *const *choices; /* BP_ENUM */
};

struct bench_probe {
    const char *name;
    const struct bench_param *params;      /* audit parameters, NULL-terminated by name */
    const struct bench_param *expect_keys; /* probe-specific expect keys (NULL: matcher) */
    bool matcher;                          /* expect also takes the generic matcher operators */
    int (*eval)(struct bench_ctx *ctx, json_t *audit, json_t *expect, bool advisory,
                struct bench_outcome *out);
    /* optional: add the paths this audit reads to a baseline path list */
    void (*paths)(json_t *audit, json_t *list);
};

const struct bench_probe *bench_probe_find(const char *name);
extern const struct bench_probe bench_probe_file, bench_probe_content, bench_probe_find_files,
    bench_probe_group, bench_probe_sysctl, bench_probe_kconfig, bench_probe_kernel,
    bench_probe_mount, bench_probe_cgroup, bench_probe_process, bench_probe_json,
    bench_probe_container, bench_probe_image, bench_probe_baseline;

/* Evaluate one audit/expect pair (used for checks and for `when` conditions). */
int bench_evaluate(struct bench_ctx *ctx, json_t *audit, json_t *expect, bool advisory,
                   struct bench_outcome *out);

/* Common tail of value probes: `subjects` is an object name -> value (null =
 * not applicable to that subject). Empty -> audit.if_missing (default INFO). */
void bench_judge_values(json_t *audit, json_t *expect, json_t *subjects, bool advisory,
                        const char *what, struct bench_outcome *out);

/* Status for "the thing to audit is absent": audit.if_missing or `dflt`. */
enum hull_bench_status bench_if_missing(json_t *audit, enum hull_bench_status dflt);

/* ---- matcher (match.c) -------------------------------------------------- */

/* Validate expect's operator keys; `extra` are probe-specific keys allowed too.
 * On error *bad_key names the offending key (borrowed). */
int bench_match_validate(json_t *expect, const struct bench_param *extra, bool matcher,
                         const char **bad_key, char **why);
/* 1: value satisfies every operator of expect, 0: not (*why says which), -1 error. */
int bench_match(json_t *expect, json_t *value, char **why);
char *bench_json_brief(json_t *v); /* short rendering for messages */
int bench_regex_ok(const char *re, bool icase, char **why);
bool bench_regex_match(const char *re, bool icase, const char *s);

/* ---- root-safe access (rootfs.c) ---------------------------------------- */

/* open/stat/read a path inside ctx->rootfd; -1 with errno on failure. */
int bench_open(int rootfd, const char *path, int flags);
int bench_stat(int rootfd, const char *path, bool follow, struct stat *st);
int bench_read(int rootfd, const char *path, size_t max, char **out, size_t *len);
/* Expand '*', '?' and '[..]' in any component (no recursion beyond the
 * pattern); returns a sorted array of paths that exist (may be empty). */
json_t *bench_glob(int rootfd, const char *pattern);
bool bench_has_glob(const char *s);

/* A tree walk from a directory fd that never follows symlinks (O_NOFOLLOW on
 * every descent), so it stays inside the tree it started in, hostile or not.
 * `visit` sees every entry but "." and "..": `dfd` and `name` name it
 * relative to its directory, `path` is the directory's path plus "/name"
 * (a directory path of "/" counts as ""), `dir` is the directory's path. */
struct bench_walk {
    void (*visit)(struct bench_walk *w, int dfd, const char *name, const char *path,
                  const char *dir, const struct stat *st);
    void *data;         /* the caller's, for visit */
    size_t max_entries; /* the walk stops (truncated) past this many entries */
    int max_depth;      /* directories at depth d (start: 0) are entered if d + 1 < max_depth */
    size_t seen;
    bool truncated;
};
/* Walk the directory dfd (taken over: closed) whose path is `path`. */
void bench_walk_tree(struct bench_walk *w, int dfd, const char *path);

int bench_load_ids(struct bench_ctx *ctx);
const char *bench_user_name(struct bench_ctx *ctx, unsigned uid, char buf[24]);
const char *bench_group_name(struct bench_ctx *ctx, unsigned gid, char buf[24]);
int bench_load_mounts(struct bench_ctx *ctx);

/* ---- models ------------------------------------------------------------- */
int bench_load_containers(struct bench_ctx *ctx);
int bench_load_image(struct bench_ctx *ctx);
/* Normalize one docker-inspect object or OCI config into the container model. */
json_t *bench_container_from_inspect(json_t *inspect, const char *source);
json_t *bench_container_from_oci(json_t *config, const char *id, const char *source);
extern const char *const bench_container_properties[];
extern const char *const bench_image_properties[];

/* ---- misc ---------------------------------------------------------------- */
void bench_sha256_hex(const void *data, size_t len, char out[65]);
/* "checks[3].audit.mode" -> 1-based line of that field in text (or of its
 * closest existing parent). */
int bench_json_line(const char *text, size_t len, const char *path);

/* Baseline path list from the checks (used by baseline.c). */
void bench_collect_paths(const struct hull_bench_checks *checks, json_t *list);

#endif
