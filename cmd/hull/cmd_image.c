/* Image verbs: images, image (ls inspect history tag rm prune verify import load
 * save mount unmount), history, tag, rmi, import, load, save. Arguments only;
 * the work is in src/image.
 *
 * The embedded busybox image is found at $HULL_BUSYBOX_OCI (empty: none), else the
 * build dir's busybox-oci, else the installed one, and loaded into the store the
 * first time busybox:latest is asked for. */
#include "commands.h"
#include "image/image.h"
#include "engine/engine.h"
#include "base/json.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef HULL_BUSYBOX_OCI
#define HULL_BUSYBOX_OCI ""
#endif
#ifndef HULL_BUSYBOX_OCI_INSTALLED
#define HULL_BUSYBOX_OCI_INSTALLED ""
#endif

/* Options shared by the verbs that may unpack layers. */
struct img_opts {
    struct hull_image_store_opts store;
    bool json, quiet, no_trunc, force, copy;
};

enum {
    OPT_MAX_BYTES = 1000,
    OPT_MAX_ENTRIES,
    OPT_ALLOW_DEVICES,
    OPT_KEEP_SETUID,
    OPT_SECURITY_XATTRS,
    OPT_PLATFORM,
    OPT_FORMAT,
    OPT_NO_TRUNC,
    OPT_OWNER,
};

#define UNPACK_LONGOPTS                                                                            \
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},                                         \
        {"max-entries", required_argument, NULL, OPT_MAX_ENTRIES},                                 \
        {"allow-devices", no_argument, NULL, OPT_ALLOW_DEVICES},                                   \
        {"keep-setuid", no_argument, NULL, OPT_KEEP_SETUID},                                       \
        {"security-xattrs", no_argument, NULL, OPT_SECURITY_XATTRS},                               \
    {                                                                                              \
        "platform", required_argument, NULL, OPT_PLATFORM                                          \
    }

static void warn_cb(void *data, const char *msg)
{
    (void)data;
    fprintf(stderr, "hull: %s\n", msg);
}

int hull_cmd_error(hull_error *err)
{
    fprintf(stderr, "hull: %s\n", err->msg ? err->msg : "unknown error");
    hull_error_clear(err);
    return 1;
}

int hull_cmd_usage_error(const char *verb, const char *usage)
{
    fprintf(stderr, "usage: hull %s %s\n", verb, usage);
    return 125;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Parse an unpack/platform option; 1 when handled, -1 on a bad value. */
static int common_opt(int c, struct img_opts *o)
{
    long long v;
    switch (c) {
    case OPT_MAX_BYTES:
        if (hull_parse_size(optarg, &v) < 0 || v <= 0) {
            fprintf(stderr, "hull: --max-bytes: invalid size %s\n", optarg);
            return -1;
        }
        o->store.unpack.limits.max_bytes = (uint64_t)v;
        return 1;
    case OPT_MAX_ENTRIES: {
        unsigned long long n;
        if (hull_parse_u64(optarg, &n) < 0 || n == 0) {
            fprintf(stderr, "hull: --max-entries: invalid number %s\n", optarg);
            return -1;
        }
        o->store.unpack.limits.max_entries = n;
        return 1;
    }
    case OPT_ALLOW_DEVICES:
        o->store.unpack.flags |= HULL_UNPACK_ALLOW_DEVICES;
        return 1;
    case OPT_KEEP_SETUID:
        o->store.unpack.flags |= HULL_UNPACK_KEEP_SETUID;
        return 1;
    case OPT_SECURITY_XATTRS:
        o->store.unpack.flags |= HULL_UNPACK_SECURITY_XATTRS;
        return 1;
    case OPT_PLATFORM:
        o->store.platform = optarg;
        return 1;
    default:
        return 0;
    }
}

/* Copying layers and tarring upper dirs hold one fd per directory level (up to
 * 1024 levels): lift the soft fd limit toward the hard one for this process. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 8192 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < 8192 ? rl.rlim_max : 8192;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int open_store(struct hull_ctx *ctx, struct img_opts *o, struct hull_image_store **s,
                      hull_error *err)
{
    raise_nofile();
    const char *bb = getenv("HULL_BUSYBOX_OCI");
    if (bb == NULL)
        bb = is_dir(HULL_BUSYBOX_OCI) ? HULL_BUSYBOX_OCI : HULL_BUSYBOX_OCI_INSTALLED;
    o->store.busybox_oci = is_dir(bb) ? bb : NULL;
    o->store.warn = warn_cb;
    return hull_image_store_open(ctx->root, &o->store, s, err);
}

/* ---- formatting ----------------------------------------------------------------------- */

/* docker's units.HumanSize: decimal units, 3 significant digits */
static void human_size(int64_t n, char *buf, size_t len)
{
    static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1000 && u + 1 < HULL_ARRAY_SIZE(units)) {
        v /= 1000;
        u++;
    }
    snprintf(buf, len, "%.3g%s", v, units[u]);
}

static time_t parse_time(const char *s)
{
    struct tm tm = {0};
    if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return (time_t)-1;
    return timegm(&tm);
}

/* docker's units.HumanDuration + " ago" */
static void human_since(const char *created, char *buf, size_t len)
{
    time_t t = parse_time(created);
    double d;
    if (t == (time_t)-1) {
        snprintf(buf, len, "N/A");
        return;
    }
    d = difftime(time(NULL), t);
    if (d < 1)
        snprintf(buf, len, "Less than a second ago");
    else if (d < 60)
        snprintf(buf, len, "%d second%s ago", (int)d, (int)d == 1 ? "" : "s");
    else if (d < 120)
        snprintf(buf, len, "About a minute ago");
    else if (d < 3600)
        snprintf(buf, len, "%d minutes ago", (int)(d / 60));
    else if (d < 7200)
        snprintf(buf, len, "About an hour ago");
    else if (d < 48 * 3600)
        snprintf(buf, len, "%d hours ago", (int)(d / 3600));
    else if (d < 14 * 86400)
        snprintf(buf, len, "%d days ago", (int)(d / 86400));
    else if (d < 60 * 86400)
        snprintf(buf, len, "%d weeks ago", (int)(d / (7 * 86400)));
    else if (d < 2 * 365 * 86400)
        snprintf(buf, len, "%d months ago", (int)(d / (30 * 86400)));
    else
        snprintf(buf, len, "%d years ago", (int)(d / (365 * 86400)));
}

static void short_id(const char *digest, char out[13])
{
    snprintf(out, 13, "%s", strchr(digest, ':') ? strchr(digest, ':') + 1 : digest);
}

/* ---- images / image ls ---------------------------------------------------------------- */

static void split_name(const char *full, char **repo, char **tag)
{
    struct hull_image_ref *ref = NULL;
    *repo = NULL;
    *tag = NULL;
    if (hull_image_ref_parse(full, &ref, NULL) < 0)
        return;
    *tag = ref->tag;
    ref->tag = NULL;
    *repo = hull_image_ref_familiar(ref);
    hull_image_ref_free(ref);
}

#define IMAGES_DEFAULT "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}"
#define IMAGES_DEFAULT_DIGESTS                                                                     \
    "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}"

/* The object of docker images --format: {{.Repository}} {{.Tag}} {{.ID}} ... */
static json_t *image_object(const struct hull_image *img, const char *name, bool no_trunc)
{
    _cleanup_free_ char *repo = NULL, *tag = NULL;
    char id[13], since[64], size[32], created[64] = "";
    time_t t = parse_time(img->config->created);
    struct tm tm;

    if (name)
        split_name(name, &repo, &tag);
    short_id(img->id, id);
    human_since(img->config->created, since, sizeof(since));
    human_size(img->size, size, sizeof(size));
    if (t != (time_t)-1)
        strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S +0000 UTC", gmtime_r(&t, &tm));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers", "N/A",
                     "CreatedAt", created, "CreatedSince", since, "Digest",
                     img->digest ? img->digest : "<none>", "ID", no_trunc ? img->id : id,
                     "Repository", repo ? repo : "<none>", "SharedSize", "N/A", "Size", size, "Tag",
                     tag ? tag : "<none>", "UniqueSize", "N/A", "VirtualSize", size);
}

/* The rows of one image that pass the filters, printed (or with -q its ID once). */
static int images_rows(const struct hull_image *img, const char *repo, char **filters,
                       const struct img_opts *o, struct hull_format *f, hull_error *err)
{
    size_t names = hull_strv_len(img->names);

    for (size_t j = 0; j < (names ? names : 1); j++) {
        const char *name = names ? img->names[j] : NULL;
        json_t *row;
        int r;
        if (repo && (name == NULL || !hull_str_has_prefix(name, repo) || name[strlen(repo)] != ':'))
            continue;
        r = hull_image_filter(img, name, filters, err);
        if (r <= 0) {
            if (r < 0)
                return -1;
            continue;
        }
        row = image_object(img, name, o->no_trunc);
        r = hull_format_row(f, row, stdout, err);
        json_decref(row);
        if (r < 0 || o->quiet)
            return r;
    }
    return 0;
}

static int cmd_images(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, OPT_FORMAT},
                                             {"filter", required_argument, NULL, 'f'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"digests", no_argument, NULL, 'D'},
                                             {"no-trunc", no_argument, NULL, OPT_NO_TRUNC},
                                             {NULL, 0, NULL, 0}};
    static const char usage[] = "[-q] [--no-trunc] [--digests] [--filter KEY=VALUE] "
                                "[--format table|json|TEMPLATE] [REPOSITORY]";
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    struct hull_image **v = NULL;
    struct hull_format *f = NULL;
    hull_error err = {0};
    _cleanup_free_ char *repo = NULL;
    _cleanup_strv_ char **filters = NULL;
    const char *format = NULL;
    json_t *headers;
    bool digests = false;
    size_t n = 0, nf = 0;
    int c, r = 0;

    while ((c = getopt_long(argc, argv, "qf:", longopts, NULL)) != -1) {
        if (c == 'q') {
            o.quiet = true;
        } else if (c == OPT_NO_TRUNC) {
            o.no_trunc = true;
        } else if (c == 'D') {
            digests = true;
        } else if (c == OPT_FORMAT) {
            format = optarg;
        } else if (c == 'f') {
            filters = xrealloc(filters, (nf + 2) * sizeof(char *));
            filters[nf++] = xstrdup(optarg);
            filters[nf] = NULL;
        } else {
            return hull_cmd_usage_error(argv[0], usage);
        }
    }
    if (optind + 1 < argc)
        return hull_cmd_usage_error(argv[0], usage);
    if (optind < argc) {
        struct hull_image_ref *ref = NULL;
        if (hull_image_ref_parse(argv[optind], &ref, &err) < 0)
            return hull_cmd_error(&err);
        repo = hull_image_ref_name(ref);
        hull_image_ref_free(ref);
    }
    if (hull_image_filter(NULL, NULL, filters, &err) < 0)
        return hull_cmd_error(&err);
    headers = json_pack("{s:s, s:s, s:s}", "ID", "IMAGE ID", "CreatedSince", "CREATED", "CreatedAt",
                        "CREATED AT");
    r = hull_format_open(o.quiet ? "{{.ID}}" : format,
                         digests ? IMAGES_DEFAULT_DIGESTS : IMAGES_DEFAULT, headers, &f, &err);
    json_decref(headers);
    if (r < 0) {
        hull_error_prefix(&err, "--format");
        return hull_cmd_error(&err);
    }
    if (open_store(ctx, &o, &s, &err) < 0 || hull_image_list(s, &v, &n, &err) < 0) {
        hull_format_close(f, stdout);
        hull_image_store_free(s);
        return hull_cmd_error(&err);
    }
    for (size_t i = 0; i < n && r == 0; i++)
        r = images_rows(v[i], repo, filters, &o, f, &err);
    hull_format_close(f, stdout);
    hull_image_list_free(v, n);
    hull_image_store_free(s);
    return r < 0 ? hull_cmd_error(&err) : 0;
}

/* ---- inspect / history / verify ------------------------------------------------------- */

static int cmd_inspect(struct hull_ctx *ctx, int argc, char **argv)
{
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    hull_error err = {0};
    json_t *arr = json_array();
    char *text;
    int rc = 0;

    if (argc < 2 || argv[1][0] == '-')
        return hull_cmd_usage_error(argv[0], "IMAGE...");
    if (open_store(ctx, &o, &s, &err) < 0)
        return hull_cmd_error(&err);
    for (int i = 1; i < argc; i++) {
        struct hull_image *img = NULL;
        if (hull_image_lookup(s, argv[i], &img, &err) < 0) {
            rc = hull_cmd_error(&err);
            continue;
        }
        json_array_append_new(arr, hull_image_inspect_json(s, img));
        hull_image_free(img);
    }
    text = json_dumps(arr, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    printf("%s\n", text);
    free(text);
    json_decref(arr);
    hull_image_store_free(s);
    return rc;
}

static int cmd_history(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {{"no-trunc", no_argument, NULL, OPT_NO_TRUNC},
                                             {"format", required_argument, NULL, OPT_FORMAT},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {NULL, 0, NULL, 0}};
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    struct hull_image *img = NULL;
    hull_error err = {0};
    json_t *arr;
    int c;

    while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
        if (c == OPT_NO_TRUNC)
            o.no_trunc = true;
        else if (c == 'q')
            o.quiet = true;
        else if (c == OPT_FORMAT && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
            o.json = strcmp(optarg, "json") == 0;
        else
            return hull_cmd_usage_error(argv[0], "[--no-trunc] [--format table|json] IMAGE");
    }
    if (optind + 1 != argc)
        return hull_cmd_usage_error(argv[0], "[--no-trunc] [--format table|json] IMAGE");
    if (open_store(ctx, &o, &s, &err) < 0 || hull_image_lookup(s, argv[optind], &img, &err) < 0) {
        hull_image_store_free(s);
        return hull_cmd_error(&err);
    }
    arr = json_array();
    if (!o.json && !o.quiet)
        printf("%-14s %-22s %-46s %-10s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
    /* non-empty history entries map to the layers in order; shown newest first */
    for (size_t k = img->config->n_history; k-- > 0;) {
        struct hull_image_history *h = &img->config->history[k];
        size_t nonempty_after = 0;
        int64_t size = 0;
        char id[13] = "<missing>", since[64], sz[32];
        const char *by = h->created_by ? h->created_by : "";
        for (size_t j = k + 1; j < img->config->n_history; j++)
            nonempty_after += !img->config->history[j].empty_layer;
        if (!h->empty_layer && img->manifest->n_layers > nonempty_after)
            size = img->manifest->layers[img->manifest->n_layers - 1 - nonempty_after].size;
        if (k + 1 == img->config->n_history)
            short_id(img->id, id);
        human_since(h->created, since, sizeof(since));
        human_size(size, sz, sizeof(sz));
        if (o.json) {
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:I, s:s}", "id",
                               k + 1 == img->config->n_history ? img->id : "<missing>", "created",
                               h->created ? h->created : "", "createdBy", by, "size",
                               (json_int_t)size, "comment", h->comment ? h->comment : ""));
        } else if (o.quiet) {
            printf("%s\n", id);
        } else {
            char byt[64];
            if (!o.no_trunc && strlen(by) > 45)
                snprintf(byt, sizeof(byt), "%.42s...", by);
            else
                snprintf(byt, sizeof(byt), "%s", by);
            printf("%-14s %-22s %-46s %-10s %s\n", id, since, o.no_trunc ? by : byt, sz,
                   h->comment ? h->comment : "");
        }
    }
    if (o.json) {
        char *text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        free(text);
    }
    json_decref(arr);
    hull_image_free(img);
    hull_image_store_free(s);
    return 0;
}

static int cmd_verify(struct hull_ctx *ctx, int argc, char **argv)
{
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    hull_error err = {0};
    int rc = 0;

    if (argc < 2)
        return hull_cmd_usage_error(argv[0], "IMAGE...");
    if (open_store(ctx, &o, &s, &err) < 0)
        return hull_cmd_error(&err);
    for (int i = 1; i < argc; i++) {
        struct hull_image *img = NULL;
        if (hull_image_lookup(s, argv[i], &img, &err) < 0 || hull_image_verify(s, img, &err) < 0)
            rc = hull_cmd_error(&err);
        else
            printf("%s: ok (%zu layers)\n", argv[i], img->manifest->n_layers);
        hull_image_free(img);
    }
    hull_image_store_free(s);
    return rc;
}

/* ---- tag / rmi / prune ---------------------------------------------------------------- */

static int cmd_tag(struct hull_ctx *ctx, int argc, char **argv)
{
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    hull_error err = {0};
    int r;

    if (argc != 3)
        return hull_cmd_usage_error(argv[0], "SOURCE_IMAGE TARGET_IMAGE");
    if (open_store(ctx, &o, &s, &err) < 0)
        return hull_cmd_error(&err);
    r = hull_image_tag(s, argv[1], argv[2], &err);
    hull_image_store_free(s);
    return r < 0 ? hull_cmd_error(&err) : 0;
}

static int cmd_rmi(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {{"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    hull_error err = {0};
    int c, rc = 0;

    while ((c = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
        if (c != 'f')
            return hull_cmd_usage_error(argv[0], "[-f] IMAGE...");
        o.force = true;
    }
    if (optind >= argc)
        return hull_cmd_usage_error(argv[0], "[-f] IMAGE...");
    if (open_store(ctx, &o, &s, &err) < 0)
        return hull_cmd_error(&err);
    for (int i = optind; i < argc; i++) {
        _cleanup_strv_ char **untagged = NULL, **deleted = NULL;
        if (hull_image_remove(s, argv[i], o.force, &untagged, &deleted, &err) < 0)
            rc = hull_cmd_error(&err);
        for (char **u = untagged; u && *u; u++) {
            struct hull_image_ref *ref = NULL;
            _cleanup_free_ char *f = NULL;
            if (hull_image_ref_parse(*u, &ref, NULL) == 0)
                f = hull_image_ref_familiar(ref);
            hull_image_ref_free(ref);
            printf("Untagged: %s\n", f ? f : *u);
        }
        for (char **d = deleted; d && *d; d++)
            printf("Deleted: %s\n", *d);
    }
    hull_image_store_free(s);
    return rc;
}

static int cmd_prune(struct hull_ctx *ctx, int argc, char **argv)
{
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    struct hull_image_prune_report rep = {0};
    hull_error err = {0};
    char size[32];

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-f") != 0 && strcmp(argv[i], "--force") != 0)
            return hull_cmd_usage_error(argv[0], "[-f]");
    if (open_store(ctx, &o, &s, &err) < 0 || hull_image_prune(s, true, &rep, &err) < 0) {
        hull_image_store_free(s);
        return hull_cmd_error(&err);
    }
    if (rep.deleted_images) {
        printf("Deleted Images:\n");
        for (char **d = rep.deleted_images; *d; d++)
            printf("deleted: %s\n", *d);
    }
    human_size((int64_t)rep.bytes, size, sizeof(size));
    printf("Deleted %llu blob(s), %llu snapshot(s), %llu temp file(s)\nTotal reclaimed space: %s\n",
           (unsigned long long)rep.blobs, (unsigned long long)rep.snapshots,
           (unsigned long long)rep.temps, size);
    hull_image_prune_report_clear(&rep);
    hull_image_store_free(s);
    return 0;
}

/* ---- import / load / save ------------------------------------------------------------- */

/* A repeated -c/--change value. */
static void push_change(char ***changes, const char *v)
{
    size_t n = hull_strv_len(*changes);
    *changes = xrealloc(*changes, (n + 2) * sizeof(char *));
    (*changes)[n] = xstrdup(v);
    (*changes)[n + 1] = NULL;
}

static int cmd_import(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {{"change", required_argument, NULL, 'c'},
                                             {"message", required_argument, NULL, 'm'},
                                             {"owner", required_argument, NULL, OPT_OWNER},
                                             UNPACK_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    static const char *use = "[-c CHANGE]... [-m MESSAGE] [--platform OS/ARCH] [--owner UID:GID] "
                             "FILE|DIR|- [REPOSITORY[:TAG]]";
    struct hull_image_import_opts io = {.created = -1,
                                        .tar = {.clamp_mtime = -1, .uid = -1, .gid = -1}};
    _cleanup_strv_ char **changes = NULL;
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    struct hull_image *img = NULL;
    hull_error err = {0};
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    int c, r;

    while ((c = getopt_long(argc, argv, "c:m:", longopts, NULL)) != -1) {
        int h = common_opt(c, &o);
        unsigned uid, gid;
        char extra;
        if (h < 0)
            return 125;
        if (h > 0)
            continue;
        if (c == 'c') {
            push_change(&changes, optarg);
        } else if (c == 'm') {
            io.message = optarg;
        } else if (c == OPT_OWNER && sscanf(optarg, "%u:%u%c", &uid, &gid, &extra) == 2) {
            io.tar.uid = uid;
            io.tar.gid = gid;
        } else {
            return hull_cmd_usage_error(argv[0], use);
        }
    }
    if (optind >= argc || argc - optind > 2)
        return hull_cmd_usage_error(argv[0], use);
    /* reproducible builds: SOURCE_DATE_EPOCH fixes the creation time and clamps mtimes */
    if (sde && *sde) {
        unsigned long long t;
        if (hull_parse_u64(sde, &t) < 0) {
            fprintf(stderr, "hull: SOURCE_DATE_EPOCH: not a number: %s\n", sde);
            return 125;
        }
        io.created = (int64_t)t;
        io.tar.clamp_mtime = (int64_t)t;
    }
    io.changes = changes;
    io.platform = o.store.platform;
    io.ref = argc - optind == 2 ? argv[optind + 1] : NULL;
    if (open_store(ctx, &o, &s, &err) < 0)
        return hull_cmd_error(&err);
    r = hull_image_import(s, argv[optind], &io, &img, &err);
    if (r == 0)
        printf("%s\n", img->id);
    hull_image_free(img);
    hull_image_store_free(s);
    return r < 0 ? hull_cmd_error(&err) : 0;
}

static int cmd_commit(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {{"change", required_argument, NULL, 'c'},
                                             {"message", required_argument, NULL, 'm'},
                                             {"author", required_argument, NULL, 'a'},
                                             {"pause", optional_argument, NULL, 'p'},
                                             {NULL, 0, NULL, 0}};
    static const char *use = "[-c CHANGE]... [-m MESSAGE] [-a AUTHOR] [--pause=true|false] "
                             "CONTAINER [REPOSITORY[:TAG]]";
    struct hull_commit_opts co = {.pause = true};
    _cleanup_strv_ char **changes = NULL;
    _cleanup_free_ char *id = NULL;
    struct hull_engine e = {0};
    hull_error err = {0};
    int c, r;

    while ((c = getopt_long(argc, argv, "c:m:a:p", longopts, NULL)) != -1) {
        if (c == 'c')
            push_change(&changes, optarg);
        else if (c == 'm')
            co.message = optarg;
        else if (c == 'a')
            co.author = optarg;
        else if (c == 'p' && (optarg == NULL || strcmp(optarg, "true") == 0))
            co.pause = true;
        else if (c == 'p' && strcmp(optarg, "false") == 0)
            co.pause = false;
        else
            return hull_cmd_usage_error(argv[0], use);
    }
    if (optind >= argc || argc - optind > 2)
        return hull_cmd_usage_error(argv[0], use);
    co.changes = changes;
    co.image = argc - optind == 2 ? argv[optind + 1] : NULL;
    if (hull_engine_open(&e, ctx->root, ctx->runroot, &err) < 0)
        return hull_cmd_error(&err);
    if (hull_cmd_open_image_store(ctx, &e.images, &err) < 0) {
        hull_engine_close(&e);
        return hull_cmd_error(&err);
    }
    r = hull_engine_commit(&e, argv[optind], &co, &id, &err);
    if (r == 0)
        printf("%s\n", id);
    hull_image_store_free(e.images);
    e.images = NULL;
    hull_engine_close(&e);
    return r < 0 ? hull_cmd_error(&err) : 0;
}

static int cmd_load(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {{"input", required_argument, NULL, 'i'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             UNPACK_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    const char *input = "-";
    _cleanup_strv_ char **loaded = NULL;
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    hull_error err = {0};
    int c, r;

    while ((c = getopt_long(argc, argv, "i:q", longopts, NULL)) != -1) {
        int h = common_opt(c, &o);
        if (h < 0)
            return 125;
        if (h > 0)
            continue;
        if (c == 'i')
            input = optarg;
        else if (c == 'q')
            o.quiet = true;
        else
            return hull_cmd_usage_error(argv[0], "[-q] [-i FILE|DIR] (default: stdin)");
    }
    if (optind != argc)
        return hull_cmd_usage_error(argv[0], "[-q] [-i FILE|DIR] (default: stdin)");
    if (strcmp(input, "-") == 0 && isatty(STDIN_FILENO)) {
        fprintf(stderr, "hull: load: give -i FILE or pipe an archive to stdin\n");
        return 125;
    }
    if (open_store(ctx, &o, &s, &err) < 0)
        return hull_cmd_error(&err);
    r = hull_image_load(s, input, &loaded, &err);
    for (char **l = loaded; l && *l && !o.quiet; l++)
        printf("%s\n", *l);
    hull_image_store_free(s);
    return r < 0 ? hull_cmd_error(&err) : 0;
}

static int cmd_save(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"format", required_argument, NULL, OPT_FORMAT},
                                             {NULL, 0, NULL, 0}};
    static const char *use = "[-o FILE|DIR] [--format oci-archive|oci-dir] IMAGE...";
    enum hull_image_save_format format = HULL_SAVE_OCI_ARCHIVE;
    const char *out = "-";
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    hull_error err = {0};
    int c, r;

    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == OPT_FORMAT && strcmp(optarg, "oci-archive") == 0)
            format = HULL_SAVE_OCI_ARCHIVE;
        else if (c == OPT_FORMAT && strcmp(optarg, "oci-dir") == 0)
            format = HULL_SAVE_OCI_DIR;
        else
            return hull_cmd_usage_error(argv[0], use);
    }
    if (optind >= argc || (format == HULL_SAVE_OCI_DIR && strcmp(out, "-") == 0))
        return hull_cmd_usage_error(argv[0], use);
    if (strcmp(out, "-") == 0 && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "hull: save: refusing to write an archive to a terminal (use -o)\n");
        return 125;
    }
    if (open_store(ctx, &o, &s, &err) < 0)
        return hull_cmd_error(&err);
    r = hull_image_save(s, argv + optind, (size_t)(argc - optind), out, format, &err);
    hull_image_store_free(s);
    return r < 0 ? hull_cmd_error(&err) : 0;
}

/* ---- mount / unmount (low level: the engine's run does this for containers) ---------- */

static int cmd_mount(struct hull_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"copy", no_argument, NULL, 'c'}, UNPACK_LONGOPTS, {NULL, 0, NULL, 0}};
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    struct hull_image *img = NULL;
    hull_error err = {0};
    int c, r;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int h = common_opt(c, &o);
        if (h < 0)
            return 125;
        if (h == 0 && c == 'c')
            o.store.force_copy = true;
        else if (h == 0)
            return hull_cmd_usage_error(argv[0], "[--copy] IMAGE CONTAINER_ID TARGET_DIR");
    }
    if (argc - optind != 3)
        return hull_cmd_usage_error(argv[0], "[--copy] IMAGE CONTAINER_ID TARGET_DIR");
    if (open_store(ctx, &o, &s, &err) < 0 || hull_image_lookup(s, argv[optind], &img, &err) < 0) {
        hull_image_store_free(s);
        return hull_cmd_error(&err);
    }
    r = hull_image_mount_rootfs(s, img, argv[optind + 1], argv[optind + 2], 0, &err);
    hull_image_free(img);
    hull_image_store_free(s);
    return r < 0 ? hull_cmd_error(&err) : 0;
}

static int cmd_unmount(struct hull_ctx *ctx, int argc, char **argv)
{
    struct img_opts o = {0};
    struct hull_image_store *s = NULL;
    hull_error err = {0};
    bool rm = false;
    int i = 1, r;

    if (i < argc && strcmp(argv[i], "--rm") == 0) {
        rm = true;
        i++;
    }
    if (argc - i < 1 || argc - i > 2)
        return hull_cmd_usage_error(argv[0], "[--rm] CONTAINER_ID [TARGET_DIR]");
    if (open_store(ctx, &o, &s, &err) < 0)
        return hull_cmd_error(&err);
    r = hull_image_unmount_rootfs(s, argv[i], argc - i == 2 ? argv[i + 1] : NULL, rm, &err);
    hull_image_store_free(s);
    return r < 0 ? hull_cmd_error(&err) : 0;
}

/* ---- dispatch ------------------------------------------------------------------------- */

static const struct hull_command image_commands[] = {
    {"ls", cmd_images, "list images"},
    {"inspect", cmd_inspect, "show images' details as JSON"},
    {"history", cmd_history, "show the history of an image"},
    {"tag", cmd_tag, "give an image another name"},
    {"rm", cmd_rmi, "remove images (untag, then collect unused content)"},
    {"prune", cmd_prune, "remove unnamed images and unreferenced blobs and snapshots"},
    {"verify", cmd_verify, "re-hash every blob of images"},
    {"import", cmd_import, "make an image from a rootfs tarball or directory"},
    {"load", cmd_load, "load images from an OCI layout or archive or a docker save archive"},
    {"save", cmd_save, "save images as an OCI archive or layout"},
    {"mount", cmd_mount, "mount an image's rootfs (overlay + private upper) on a directory"},
    {"unmount", cmd_unmount, "unmount a rootfs; --rm removes its upper layer"},
    {"pull", hull_cmd_registry, "pull an image from a registry"},
    {"push", hull_cmd_registry, "push an image to a registry"},
    {"referrers", hull_cmd_registry, "list the referrers (signatures, SBOMs...) of an image"},
};

int hull_cmd_image(struct hull_ctx *ctx, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: hull image COMMAND [ARGS...]\n\ncommands:\n");
        for (size_t i = 0; i < HULL_ARRAY_SIZE(image_commands); i++)
            fprintf(f, "  %-10s %s\n", image_commands[i].name, image_commands[i].summary);
        return argc < 2 ? 125 : 0;
    }
    for (size_t i = 0; i < HULL_ARRAY_SIZE(image_commands); i++)
        if (strcmp(argv[1], image_commands[i].name) == 0)
            return image_commands[i].run(ctx, argc - 1, argv + 1);
    fprintf(stderr, "hull: unknown image command \"%s\" (see hull image --help)\n", argv[1]);
    return 125;
}

int hull_cmd_images(struct hull_ctx *ctx, int argc, char **argv)
{
    if (strcmp(argv[0], "images") == 0)
        return cmd_images(ctx, argc, argv);
    if (strcmp(argv[0], "history") == 0)
        return cmd_history(ctx, argc, argv);
    if (strcmp(argv[0], "tag") == 0)
        return cmd_tag(ctx, argc, argv);
    if (strcmp(argv[0], "rmi") == 0)
        return cmd_rmi(ctx, argc, argv);
    if (strcmp(argv[0], "import") == 0)
        return cmd_import(ctx, argc, argv);
    if (strcmp(argv[0], "load") == 0)
        return cmd_load(ctx, argc, argv);
    if (strcmp(argv[0], "commit") == 0)
        return cmd_commit(ctx, argc, argv);
    return cmd_save(ctx, argc, argv);
}

int hull_cmd_open_image_store(struct hull_ctx *ctx, struct hull_image_store **s, hull_error *err)
{
    struct img_opts o = {0};
    return open_store(ctx, &o, s, err);
}
