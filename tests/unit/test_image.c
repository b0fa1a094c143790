/* Unit tests for src/image: references, digests, manifests/indexes/configs (OCI and
 * Docker schema2, platform selection), the blob store (verification, atomicity,
 * concurrent writers), refs under concurrent updates, the layer unpacker's
 * defenses, and upper-dir -> layer diffs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/util.h"
#include "image/image.h"
#include "image/internal.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static char *tmpdir(void)
{
    char *d = xstrdup("/tmp/hull-image-test-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

/* ---- references ----------------------------------------------------------------------- */

static void references_normalize_like_docker(void **state)
{
    static const struct {
        const char *in, *full, *familiar;
    } ok[] = {
        {"busybox", "docker.io/library/busybox:latest", "busybox:latest"},
        {"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"},
        {"user/app", "docker.io/user/app:latest", "user/app:latest"},
        {"index.docker.io/library/alpine:3", "docker.io/library/alpine:3", "alpine:3"},
        {"localhost/x", "localhost/x:latest", "localhost/x:latest"},
        {"localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b:t"},
        {"quay.io/org/img:v1.2-rc_3", "quay.io/org/img:v1.2-rc_3", "quay.io/org/img:v1.2-rc_3"},
        {"[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000/x:latest"},
        {"Registry/x", "Registry/x:latest", "Registry/x:latest"},
        {"a__b/c--d.e", "docker.io/a__b/c--d.e:latest", "a__b/c--d.e:latest"},
        {"docker.io/a.b/c", "docker.io/a.b/c:latest", "docker.io/a.b/c:latest"},
        {"docker.io/localhost/c", "docker.io/localhost/c:latest", "docker.io/localhost/c:latest"},
        {"busybox@" D1, "docker.io/library/busybox@" D1, "busybox@" D1},
        {"busybox:1@" D1, "docker.io/library/busybox:1@" D1, "busybox:1@" D1},
    };
    (void)state;
    for (size_t i = 0; i < HULL_ARRAY_SIZE(ok); i++) {
        struct hull_image_ref *r = NULL;
        hull_error err = {0};
        if (hull_image_ref_parse(ok[i].in, &r, &err) < 0)
            fail_msg("%s: %s", ok[i].in, err.msg);
        _cleanup_free_ char *full = hull_image_ref_string(r), *fam = hull_image_ref_familiar(r);
        assert_string_equal(full, ok[i].full);
        assert_string_equal(fam, ok[i].familiar);
        hull_image_ref_free(r);
    }
}

static void bad_references_say_why(void **state)
{
    static const struct {
        const char *in, *why;
    } bad[] = {
        {"", "empty"},
        {"Busybox", "lowercase"},
        {"docker.io/Library/x", "lowercase"},
        {"a/-b", "components"},
        {"a//b", "empty path component"},
        {"x:", "tag"},
        {"x:-bad", "tag"},
        {"x:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 129 */
         "tag"},
        {"x@sha256:zz", "64 lowercase hex"},
        {"x@sha256:abc", "64"},
        {"x@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported digest algorithm"},
        {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "64 hex"},
        {"bad host!/x", "whitespace"},
        {"ex-.com/x", "registry host"},
        {"host:99999999/x", "registry host"},
        {"a b", "whitespace"},
    };
    (void)state;
    for (size_t i = 0; i < HULL_ARRAY_SIZE(bad); i++) {
        struct hull_image_ref *r = NULL;
        hull_error err = {0};
        if (hull_image_ref_parse(bad[i].in, &r, &err) == 0)
            fail_msg("\"%s\" was accepted", bad[i].in);
        if (strstr(err.msg, bad[i].why) == NULL)
            fail_msg("\"%s\": message \"%s\" does not say \"%s\"", bad[i].in, err.msg, bad[i].why);
        hull_error_clear(&err);
    }
    /* 255-character name limit */
    {
        char name[300];
        struct hull_image_ref *r = NULL;
        hull_error err = {0};
        memset(name, 'a', sizeof(name));
        memcpy(name, "x.io/", 5);
        name[260] = '\0';
        assert_int_equal(hull_image_ref_parse(name, &r, &err), -1);
        assert_non_null(strstr(err.msg, "255"));
        hull_error_clear(&err);
    }
}

static void digests_are_validated(void **state)
{
    hull_error err = {0};
    char d[HULL_DIGEST_BUF], chain[2][HULL_DIGEST_BUF];
    char *ids[] = {D1, D2};
    (void)state;
    assert_int_equal(hull_image_digest_validate(D1, &err), 0);
    assert_int_equal(hull_image_digest_validate("sha256:zz", &err), -1);
    assert_non_null(strstr(err.msg, "64 lowercase hex"));
    hull_error_clear(&err);
    assert_int_equal(hull_image_digest_validate("sha256:"
                                                "ABCD",
                                                &err),
                     -1);
    hull_error_clear(&err);
    assert_int_equal(hull_image_digest_validate("sha512:00", &err), -1);
    assert_non_null(strstr(err.msg, "unsupported digest algorithm sha512"));
    hull_error_clear(&err);
    assert_int_equal(hull_image_digest_validate("nocolon", &err), -1);
    hull_error_clear(&err);
    hull_image_digest_bytes("", 0, d);
    assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb924"
                           "27ae41e4649b934ca495991b7852b855");
    hull_image_chain_ids(ids, 2, chain);
    assert_string_equal(chain[0], D1);
    {
        _cleanup_free_ char *s = xasprintf("%s %s", D1, D2);
        hull_image_digest_bytes(s, strlen(s), d);
        assert_string_equal(chain[1], d);
    }
}

/* ---- manifests ------------------------------------------------------------------------ */

/* JSON builders for the documents below */
#define DESC(mt, digest, size)                                                                     \
    "{\"mediaType\":\"" mt "\",\"digest\":\"" digest "\",\"size\":" size "}"
#define MANIFEST(mt, config, layers)                                                               \
    "{\"schemaVersion\":2," mt "\"config\":" config ",\"layers\":" layers "}"
#define MT(t) "\"mediaType\":\"" t "\","

#define OCI_MANIFEST                                                                               \
    MANIFEST(MT(HULL_MT_OCI_MANIFEST), DESC(HULL_MT_OCI_CONFIG, D1, "100"),                        \
             "[" DESC(HULL_MT_OCI_LAYER_GZIP, D2, "200") "]")

#define DOCKER_MANIFEST                                                                            \
    MANIFEST(MT(HULL_MT_DOCKER_MANIFEST), DESC(HULL_MT_DOCKER_CONFIG, D1, "100"),                  \
             "[" DESC(HULL_MT_DOCKER_LAYER, D2,                                                    \
                      "200") ","                                                                   \
                             "{\"mediaType\":\"" HULL_MT_DOCKER_FOREIGN "\",\"digest\":\"" D3      \
                             "\",\"size\":300,\"urls\":[\"https://x\"]}]")

static char *manifest_error(const char *text, const char *hint)
{
    struct hull_image_manifest *m = NULL;
    hull_error err = {0};
    if (hull_image_manifest_parse(text, strlen(text), hint, &m, &err) == 0) {
        hull_image_manifest_free(m);
        return NULL;
    }
    return err.msg;
}

static void manifests_parse_and_convert(void **state)
{
    struct hull_image_manifest *m = NULL, *again = NULL;
    hull_error err = {0};
    char *json;
    (void)state;

    if (hull_image_manifest_parse(OCI_MANIFEST, strlen(OCI_MANIFEST), NULL, &m, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(m->n_layers, 1);
    assert_string_equal(m->config.digest, D1);
    assert_int_equal(m->layers[0].size, 200);
    hull_image_manifest_free(m);

    if (hull_image_manifest_parse(DOCKER_MANIFEST, strlen(DOCKER_MANIFEST), HULL_MT_DOCKER_MANIFEST,
                                  &m, &err) < 0)
        fail_msg("%s", err.msg);
    assert_string_equal(m->media_type, HULL_MT_OCI_MANIFEST);
    assert_string_equal(m->source_media_type, HULL_MT_DOCKER_MANIFEST);
    assert_string_equal(m->config.media_type, HULL_MT_OCI_CONFIG);
    assert_string_equal(m->layers[0].media_type, HULL_MT_OCI_LAYER_GZIP);
    assert_string_equal(m->layers[1].media_type,
                        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip");
    /* the converted document parses as OCI and keeps the digests */
    json = hull_image_manifest_to_json(m);
    if (hull_image_manifest_parse(json, strlen(json), HULL_MT_OCI_MANIFEST, &again, &err) < 0)
        fail_msg("%s", err.msg);
    assert_string_equal(again->layers[1].digest, D3);
    assert_string_equal(again->source_media_type, HULL_MT_OCI_MANIFEST);
    free(json);
    hull_image_manifest_free(again);
    hull_image_manifest_free(m);
}

static void bad_manifests_name_the_field(void **state)
{
    static const struct {
        const char *text, *hint, *why;
    } bad[] = {
        {"{\"schemaVersion\":1,\"fsLayers\":[]}", NULL, "schema1"},
        {"{\"schemaVersion\":3,\"config\":{}}", NULL, "schemaVersion"},
        {"[1]", NULL, "JSON object"},
        {"{not json", NULL, "invalid JSON"},
        {"{\"schemaVersion\":2,\"schemaVersion\":2}", NULL, "invalid JSON"}, /* duplicate key */
        {"{\"schemaVersion\":2,\"mediaType\":\"text/html\",\"config\":{}}", NULL, "unsupported"},
        {OCI_MANIFEST, HULL_MT_DOCKER_MANIFEST, "does not match"},
        {OCI_MANIFEST, HULL_MT_OCI_INDEX, "does not match"},
        {MANIFEST("", DESC(HULL_MT_OCI_CONFIG, "sha256:zz", "1"), "[]"), NULL, "config.digest"},
        {MANIFEST("", DESC(HULL_MT_OCI_CONFIG, D1, "-1"), "[]"), NULL, "config.size"},
        {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" HULL_MT_OCI_CONFIG "\","
         "\"digest\":\"" D1 "\"},\"layers\":[]}",
         NULL, "config.size: required"},
        {MANIFEST("", DESC("bad type", D1, "1"), "[]"), NULL, "malformed media type"},
        {MANIFEST("", DESC(HULL_MT_OCI_CONFIG, D1, "1"), "[" DESC("text/plain", D2, "1") "]"), NULL,
         "layers[0].mediaType"},
        {"{\"schemaVersion\":2,\"config\":" DESC(HULL_MT_OCI_CONFIG, D1, "1") "}", NULL,
         "layers: required"},
        {MANIFEST("", DESC(HULL_MT_OCI_CONFIG, D1, "1"),
                  "[" DESC(HULL_MT_OCI_LAYER, "sha512:00", "1") "]"),
         NULL, "layers[0].digest"},
    };
    (void)state;
    for (size_t i = 0; i < HULL_ARRAY_SIZE(bad); i++) {
        _cleanup_free_ char *msg = manifest_error(bad[i].text, bad[i].hint);
        if (msg == NULL)
            fail_msg("case %zu was accepted", i);
        if (strstr(msg, bad[i].why) == NULL)
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, msg, bad[i].why);
    }
}

#define ENTRY(mt, d, plat)  "{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":10" plat "}"
#define PLAT(os, arch, var) ",\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\"" var "}"

static const char *select_from(const char *index, const char *platform, hull_error *err)
{
    static char digest[HULL_DIGEST_BUF];
    struct hull_image_index *ix = NULL;
    struct hull_image_platform want = {0};
    const struct hull_image_descriptor *d;
    const char *r = NULL;

    if (hull_image_index_parse(index, strlen(index), NULL, &ix, err) < 0)
        fail_msg("%s", err->msg);
    if (hull_image_platform_parse(platform, &want, err) == 0 &&
        hull_image_index_select(ix, &want, &d, err) == 0) {
        snprintf(digest, sizeof(digest), "%s", d->digest);
        r = digest;
    }
    hull_image_platform_clear(&want);
    hull_image_index_free(ix);
    return r;
}

static void indexes_pick_the_platform(void **state)
{
#define D4   "sha256:4444444444444444444444444444444444444444444444444444444444444444"
#define V(v) ",\"variant\":\"" v "\""
    /* clang-format off */
    const char *oci =
        "{\"schemaVersion\":2,\"mediaType\":\"" HULL_MT_OCI_INDEX "\",\"manifests\":["
        ENTRY(HULL_MT_OCI_MANIFEST, D1, PLAT("linux", "arm", V("v6"))) ","
        ENTRY(HULL_MT_OCI_MANIFEST, D2, PLAT("linux", "arm64", V("v8"))) ","
        ENTRY(HULL_MT_OCI_MANIFEST, D3, PLAT("unknown", "unknown", "")) ","
        ENTRY(HULL_MT_OCI_MANIFEST, D4, PLAT("linux", "amd64", ""))
        "]}";
    const char *docker =
        "{\"schemaVersion\":2,\"mediaType\":\"" HULL_MT_DOCKER_LIST "\",\"manifests\":["
        ENTRY(HULL_MT_DOCKER_MANIFEST, D1, PLAT("linux", "arm", V("v7"))) ","
        ENTRY(HULL_MT_DOCKER_MANIFEST, D2, PLAT("windows", "amd64", ""))
        "]}";
    /* clang-format on */
    hull_error err = {0};
    const char *d;
    (void)state;

    assert_string_equal(select_from(oci, "linux/amd64", &err), D4);
    assert_string_equal(select_from(oci, "linux/arm64", &err), D2);   /* v8 is arm64's default */
    assert_string_equal(select_from(oci, "linux/aarch64", &err), D2); /* uname name */
    assert_string_equal(select_from(oci, "linux/arm/v6", &err), D1);
    assert_string_equal(select_from(docker, "linux/arm", &err), D1); /* arm defaults to v7 */
    d = select_from(oci, "linux/s390x", &err);
    assert_null(d);
    assert_non_null(strstr(err.msg, "no image for platform linux/s390x"));
    assert_non_null(strstr(err.msg, "linux/arm64/v8"));
    hull_error_clear(&err);
    assert_null(select_from(docker, "linux/amd64", &err));
    hull_error_clear(&err);
    assert_null(select_from(oci, "linux", &err));
    assert_non_null(strstr(err.msg, "os/arch"));
    hull_error_clear(&err);
    /* an index is not a manifest and the other way round */
    {
        _cleanup_free_ char *msg = manifest_error(oci, NULL);
        assert_non_null(strstr(msg, "is an index"));
    }
}

static void configs_are_checked(void **state)
{
    const char *good = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024\","
                       "\"config\":{\"Env\":[\"A=b\"],\"Cmd\":[\"sh\"]},"
                       "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]},"
                       "\"history\":[{\"created_by\":\"x\"},{\"empty_layer\":true}]}";
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", "architecture"},
        {"{\"architecture\":\"amd64\",\"os\":\"linux\","
         "\"rootfs\":{\"type\":\"x\",\"diff_ids\":[]}}",
         "rootfs.type"},
        {"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
         "\"diff_ids\":[\"sha256:zz\"]}}",
         "diff_ids[0]"},
        {"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":\"sh\"},"
         "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
         "config.Cmd"},
        {"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
         "\"diff_ids\":[]},\"history\":[1]}",
         "history[0]"},
    };
    struct hull_image_config *c = NULL;
    hull_error err = {0};
    (void)state;
    if (hull_image_config_parse(good, strlen(good), &c, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(c->n_diff_ids, 2);
    assert_int_equal(c->n_history, 2);
    assert_true(c->history[1].empty_layer);
    hull_image_config_free(c);
    for (size_t i = 0; i < HULL_ARRAY_SIZE(bad); i++) {
        c = NULL;
        if (hull_image_config_parse(bad[i].text, strlen(bad[i].text), &c, &err) == 0)
            fail_msg("case %zu accepted", i);
        if (strstr(err.msg, bad[i].why) == NULL)
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err.msg, bad[i].why);
        hull_error_clear(&err);
    }
}

/* ---- blob store ----------------------------------------------------------------------- */

static int open_store(const char *root, struct hull_image_store **s)
{
    hull_error err = {0};
    if (hull_image_store_open(root, NULL, s, &err) < 0)
        fail_msg("%s", err.msg);
    return 0;
}

static size_t count_entries(const char *dir)
{
    _cleanup_free_ char *cmd = xasprintf("ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    unsigned long n = 0;
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%lu", &n), 1);
    pclose(p);
    return n;
}

static void blobs_are_verified(void **state)
{
    _cleanup_free_ char *root = tmpdir(), *path = NULL, *data = NULL;
    struct hull_image_store *s = NULL;
    char d[HULL_DIGEST_BUF], want[HULL_DIGEST_BUF];
    hull_error err = {0};
    size_t len;
    (void)state;

    open_store(root, &s);
    hull_image_digest_bytes("hello", 5, want);
    /* wrong expected digest: refused, nothing left behind */
    assert_int_equal(hull_image_blob_put_mem(s, "hellO", 5, want, d, &err), -1);
    assert_non_null(strstr(err.msg, "content digest"));
    hull_error_clear(&err);
    assert_int_equal(count_entries(s->blobs_dir), 0);
    assert_int_equal(hull_image_blob_put_mem(s, "hello", 5, want, d, &err), 0);
    assert_string_equal(d, want);
    assert_true(hull_image_blob_exists(s, want));
    /* size mismatch on a stream */
    {
        int p[2];
        assert_int_equal(pipe(p), 0);
        assert_int_equal(write(p[1], "abc", 3), 3);
        close(p[1]);
        assert_int_equal(hull_image_blob_put_fd(s, p[0], NULL, 4, d, &err), -1);
        assert_non_null(strstr(err.msg, "size 3"));
        hull_error_clear(&err);
        close(p[0]);
    }
    assert_int_equal(count_entries(s->blobs_dir), 1);
    /* tampering is caught on read and by verify */
    path = xasprintf("%s/%s", s->blobs_dir, want + 7);
    assert_int_equal(chmod(path, 0644), 0);
    {
        FILE *f = fopen(path, "w");
        fputs("HELLO", f);
        fclose(f);
    }
    assert_int_equal(hull_image_blob_read(s, want, 100, &data, &len, &err), -1);
    assert_non_null(strstr(err.msg, "corrupt or tampered"));
    hull_error_clear(&err);
    assert_int_equal(hull_image_blob_verify(s, want, &err), -1);
    hull_error_clear(&err);
    assert_int_equal(hull_image_blob_read(s, "sha256:zz", 100, &data, &len, &err), -1);
    assert_non_null(strstr(err.msg, "64"));
    hull_error_clear(&err);
    hull_image_store_free(s);
    hull_rm_rf(root);
}

/* Eight processes write the same 4 MiB blob and add names at the same time: one blob
 * file with the right content, no temp files, every name recorded. */
static void concurrent_writers_do_not_corrupt(void **state)
{
    _cleanup_free_ char *root = tmpdir(), *data = NULL;
    struct hull_image_store *s = NULL;
    size_t size = 4 << 20, len;
    char want[HULL_DIGEST_BUF];
    hull_error err = {0};
    json_t *refs = NULL;
    pid_t pids[8];
    char *buf = xmalloc0(size);
    (void)state;

    for (size_t i = 0; i < size; i++)
        buf[i] = (char)(i * 7 + i / 4096);
    hull_image_digest_bytes(buf, size, want);
    open_store(root, &s);
    for (int i = 0; i < 8; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char d[HULL_DIGEST_BUF], name[64];
            hull_error e = {0};
            int p[2];
            if (pipe(p) < 0)
                _exit(2);
            if (fork() == 0) {
                close(p[0]);
                for (size_t off = 0; off < size; off += 65536)
                    if (hull_write_all(p[1], buf + off, 65536) < 0)
                        _exit(1);
                _exit(0);
            }
            close(p[1]);
            if (hull_image_blob_put_fd(s, p[0], want, (int64_t)size, d, &e) < 0)
                _exit(3);
            snprintf(name, sizeof(name), "docker.io/library/t:%d", i);
            if (refs_add(s, want, name, &e) < 0)
                _exit(4);
            _exit(0);
        }
    }
    for (int i = 0; i < 8; i++) {
        int st;
        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    while (wait(NULL) > 0)
        ;
    assert_int_equal(count_entries(s->blobs_dir), 1);
    assert_int_equal(hull_image_blob_read(s, want, size, &data, &len, &err), 0);
    assert_int_equal(len, size);
    assert_int_equal(refs_load(s, &refs, &err), 0);
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(json_object_get(refs, "images"), want), "names")),
                     8);
    json_decref(refs);
    free(buf);
    hull_image_store_free(s);
    hull_rm_rf(root);
}

/* ---- unpack --------------------------------------------------------------------------- */

struct tentry {
    const char *path;
    mode_t type; /* AE_IFREG... */
    const char *data, *link;
    mode_t perm;
    bool hardlink;
    unsigned rmaj;
    unsigned uid, gid;
};

/* A tar in a memfd from a table of entries. */
static int make_tar(const struct tentry *e, size_t n)
{
    int fd = memfd_create("tar", MFD_CLOEXEC);
    struct archive *a = archive_write_new();
    assert_true(fd >= 0);
    archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e[i].path);
        archive_entry_set_filetype(ae, e[i].type);
        archive_entry_set_perm(ae, e[i].perm ? e[i].perm : 0644);
        archive_entry_set_uid(ae, e[i].uid);
        archive_entry_set_gid(ae, e[i].gid);
        if (e[i].hardlink)
            archive_entry_set_hardlink(ae, e[i].link);
        else if (e[i].link)
            archive_entry_set_symlink(ae, e[i].link);
        if (e[i].type == AE_IFCHR)
            archive_entry_set_rdevmajor(ae, e[i].rmaj);
        archive_entry_set_size(ae, e[i].data ? (la_int64_t)strlen(e[i].data) : 0);
        assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
        if (e[i].data)
            archive_write_data(a, e[i].data, strlen(e[i].data));
        archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static int unpack_table(const struct tentry *e, size_t n, const char *dir,
                        const struct hull_image_unpack_opts *opts, hull_error *err)
{
    int fd = make_tar(e, n), root = open(dir, O_RDONLY | O_DIRECTORY);
    int r = hull_image_unpack_fd(fd, root, opts, NULL, err);
    close(fd);
    close(root);
    return r;
}

static void unpack_defends_and_translates(void **state)
{
    _cleanup_free_ char *dir = tmpdir(), *p = NULL;
    hull_error err = {0};
    struct stat st;
    char v[4] = {0};
    (void)state;

    {
        const struct tentry ok[] = {
            {"./", AE_IFDIR, NULL, NULL, 0755, false, 0},
            {"etc/", AE_IFDIR, NULL, NULL, 0755, false, 0},
            {"etc/passwd", AE_IFREG, "root\n", NULL, 0644, false, 0},
            {"/abs/file", AE_IFREG, "x", NULL, 0644, false, 0}, /* lands inside */
            {"a", AE_IFLNK, NULL, "/etc", 0777, false, 0},
            {"a/through", AE_IFREG, "y", NULL, 0644, false, 0},         /* -> <root>/etc */
            {"etc/link", AE_IFREG, NULL, "/etc/passwd", 0644, true, 0}, /* in-layer hardlink */
            {"bin/su", AE_IFREG, "su", NULL, 04755, false, 0},          /* setuid dropped */
            {"dev/null", AE_IFCHR, NULL, NULL, 0666, false, 1},         /* device skipped */
            {"old/.wh.gone", AE_IFREG, "", NULL, 0644, false, 0},       /* whiteout */
            {"opq/.wh..wh..opq", AE_IFREG, "", NULL, 0644, false, 0},   /* opaque */
        };
        if (unpack_table(ok, HULL_ARRAY_SIZE(ok), dir, NULL, &err) < 0)
            fail_msg("%s", err.msg);
        p = xasprintf("%s/abs/file", dir);
        assert_int_equal(stat(p, &st), 0);
        free(p);
        p = xasprintf("%s/etc/through", dir);
        assert_int_equal(stat(p, &st), 0);
        free(p);
        p = xasprintf("%s/etc/link", dir);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_nlink, 2);
        free(p);
        p = xasprintf("%s/bin/su", dir);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        free(p);
        p = xasprintf("%s/dev/null", dir);
        assert_int_equal(lstat(p, &st), -1);
        free(p);
        p = xasprintf("%s/old/gone", dir);
        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
        free(p);
        p = xasprintf("%s/opq", dir);
        assert_int_equal(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
        assert_int_equal(v[0], 'y');
        free(p);
        p = NULL;
    }
    {
        static const struct {
            struct tentry e[2];
            size_t n;
            const char *why;
        } bad[] = {
            {{{"../x", AE_IFREG, "x", NULL, 0644, false, 0}}, 1, "\"../x\": path contains \"..\""},
            {{{"a/../../x", AE_IFREG, "x", NULL, 0644, false, 0}}, 1, "\"..\""},
            {{{"h", AE_IFREG, NULL, "/etc/shadow", 0644, true, 0}},
             1,
             "\"h\": hardlink target is not in this layer"},
            {{{"h", AE_IFREG, NULL, "../../etc/shadow", 0644, true, 0}}, 1, "\"..\""},
            {{{"d", AE_IFLNK, NULL, "/nonexistent", 0777, false, 0},
              {"d/x", AE_IFREG, "x", NULL, 0644, false, 0}},
             2,
             "\"d/x\": a parent is a dangling"},
            {{{"f", AE_IFREG, "x", NULL, 0644, false, 0},
              {"f/x", AE_IFREG, "x", NULL, 0644, false, 0}},
             2,
             "not a directory"},
        };
        for (size_t i = 0; i < HULL_ARRAY_SIZE(bad); i++) {
            _cleanup_free_ char *d2 = tmpdir();
            if (unpack_table(bad[i].e, bad[i].n, d2, NULL, &err) == 0)
                fail_msg("case %zu accepted", i);
            if (strstr(err.msg, bad[i].why) == NULL)
                fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err.msg, bad[i].why);
            hull_error_clear(&err);
            hull_rm_rf(d2);
        }
    }
    assert_int_equal(stat("/x", &st), -1);
    hull_rm_rf(dir);
}

static void assert_entry(const char *dir, const char *name, mode_t type, uid_t uid, gid_t gid,
                         const char *data)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, name), *got = NULL;
    struct stat st;
    size_t n;

    if (lstat(p, &st) < 0)
        fail_msg("%s: %s", name, strerror(errno));
    if ((st.st_mode & S_IFMT) != type || st.st_uid != uid || st.st_gid != gid)
        fail_msg("%s: mode %o owner %u:%u, wanted type %o owner %u:%u", name, st.st_mode, st.st_uid,
                 st.st_gid, type, uid, gid);
    if (data && (hull_read_file(p, 1024, &got, &n, NULL) < 0 || strcmp(got, data) != 0))
        fail_msg("%s: content \"%s\", wanted \"%s\"", name, got ? got : "", data);
}

/* A later entry replaces an earlier one of any type (a directory only when the new
 * entry is not one); owners are right whether the chown was needed or not,
 * including a setgid parent's group that new entries inherit. */
static void unpack_replaces_entries_and_sets_owners(void **state)
{
    _cleanup_free_ char *dir = tmpdir();
    hull_error err = {0};
    const struct tentry e[] = {
        {"x", AE_IFREG, "file", NULL, 0644, false, 0, 0, 0},
        {"x/", AE_IFDIR, NULL, NULL, 0755, false, 0, 0, 0}, /* file -> dir */
        {"x/in", AE_IFREG, "in", NULL, 0644, false, 0, 0, 0},
        {"d/", AE_IFDIR, NULL, NULL, 0755, false, 0, 0, 0},
        {"d/old", AE_IFREG, "old", NULL, 0644, false, 0, 0, 0},
        {"d", AE_IFREG, "was a dir", NULL, 0644, false, 0, 0, 0}, /* dir -> file */
        {"k/", AE_IFDIR, NULL, NULL, 0755, false, 0, 0, 0},
        {"k/a", AE_IFREG, "a", NULL, 0644, false, 0, 0, 0},
        {"k/", AE_IFDIR, NULL, NULL, 0700, false, 0, 42, 43}, /* dir again: merged */
        {"s", AE_IFLNK, NULL, "/etc/passwd", 0777, false, 0, 0, 0},
        {"s", AE_IFREG, "not a link", NULL, 0644, false, 0, 0, 0}, /* symlink -> file */
        {"f", AE_IFREG, "one", NULL, 0644, false, 0, 0, 0},
        {"f", AE_IFREG, "two", NULL, 0644, false, 0, 0, 0}, /* file -> file */
        {"l", AE_IFREG, "x", NULL, 0644, false, 0, 0, 0},
        {"l", AE_IFLNK, NULL, "f", 0777, false, 0, 0, 0}, /* file -> symlink */
        {"p", AE_IFREG, "x", NULL, 0644, false, 0, 0, 0},
        {"p", AE_IFIFO, NULL, NULL, 0644, false, 0, 0, 0}, /* file -> fifo */
        {"o", AE_IFREG, "owned", NULL, 0644, false, 0, 1234, 5678},
        {"ol", AE_IFLNK, NULL, "o", 0777, false, 0, 1234, 5678},
        {"g/", AE_IFDIR, NULL, NULL, 02775, false, 0, 0, 777},
        {"g/root", AE_IFREG, "r", NULL, 0644, false, 0, 0, 0}, /* not the inherited 777 */
        {"g/same", AE_IFREG, "s", NULL, 0644, false, 0, 0, 777},
        {"g/sub/", AE_IFDIR, NULL, NULL, 0755, false, 0, 0, 0},
    };
    (void)state;

    if (geteuid() != 0)
        skip();
    if (unpack_table(e, HULL_ARRAY_SIZE(e), dir, NULL, &err) < 0)
        fail_msg("%s", err.msg);
    assert_entry(dir, "x", S_IFDIR, 0, 0, NULL);
    assert_entry(dir, "x/in", S_IFREG, 0, 0, "in");
    assert_entry(dir, "d", S_IFREG, 0, 0, "was a dir");
    assert_entry(dir, "k", S_IFDIR, 42, 43, NULL);
    assert_entry(dir, "k/a", S_IFREG, 0, 0, "a");
    assert_entry(dir, "s", S_IFREG, 0, 0, "not a link");
    assert_entry(dir, "f", S_IFREG, 0, 0, "two");
    assert_entry(dir, "l", S_IFLNK, 0, 0, NULL);
    assert_entry(dir, "p", S_IFIFO, 0, 0, NULL);
    assert_entry(dir, "o", S_IFREG, 1234, 5678, "owned");
    assert_entry(dir, "ol", S_IFLNK, 1234, 5678, NULL);
    assert_entry(dir, "g", S_IFDIR, 0, 777, NULL);
    assert_entry(dir, "g/root", S_IFREG, 0, 0, "r");
    assert_entry(dir, "g/same", S_IFREG, 0, 777, "s");
    assert_entry(dir, "g/sub", S_IFDIR, 0, 0, NULL);
    hull_rm_rf(dir);
}

static void unpack_limits_stop_bombs(void **state)
{
    struct tentry many[200];
    char names[200][16];
    struct hull_image_unpack_opts o = {.limits = {.max_entries = 100}};
    hull_error err = {0};
    (void)state;

    for (int i = 0; i < 200; i++) {
        snprintf(names[i], sizeof(names[i]), "f%d", i);
        many[i] = (struct tentry){names[i], AE_IFREG, "x", NULL, 0644, false, 0};
    }
    {
        _cleanup_free_ char *dir = tmpdir();
        assert_int_equal(unpack_table(many, 200, dir, &o, &err), -1);
        assert_non_null(strstr(err.msg, "\"f100\": more than 100 entries"));
        hull_error_clear(&err);
        hull_rm_rf(dir);
    }
    {
        _cleanup_free_ char *dir = tmpdir();
        o.limits.max_entries = 0;
        o.limits.max_bytes = 50 * 1024;
        assert_int_equal(unpack_table(many, 200, dir, &o, &err), -1);
        assert_non_null(strstr(err.msg, "uncompressed bytes"));
        hull_error_clear(&err);
        hull_rm_rf(dir);
    }
    {
        _cleanup_free_ char *dir = tmpdir();
        struct tentry longp = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                               AE_IFREG,
                               "x",
                               NULL,
                               0644,
                               false,
                               0};
        o.limits.max_bytes = 0;
        o.limits.max_path = 32;
        assert_int_equal(unpack_table(&longp, 1, dir, &o, &err), -1);
        assert_non_null(strstr(err.msg, "longer than 32"));
        hull_error_clear(&err);
        hull_rm_rf(dir);
    }
}

/* ---- diff ----------------------------------------------------------------------------- */

/* gzip `len` bytes (libarchive's raw writer), into a fresh buffer. */
static char *gzip_bytes(const char *data, size_t len, size_t *out_len)
{
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    size_t cap = len + 4096, used = 0;
    char *out = xmalloc0(cap);

    archive_write_set_format_raw(a);
    archive_write_add_filter_gzip(a);
    archive_write_set_bytes_per_block(a, 0);
    assert_int_equal(archive_write_open_memory(a, out, cap, &used), ARCHIVE_OK);
    archive_entry_set_pathname(e, "x");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, (la_int64_t)len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    archive_write_close(a);
    archive_write_free(a);
    archive_entry_free(e);
    *out_len = used;
    return out;
}

struct trickle {
    const char *data;
    size_t len, off, step;
};

static ssize_t trickle_read(void *data, void *buf, size_t len)
{
    struct trickle *t = data;
    size_t n = t->len - t->off;
    n = n < t->step ? n : t->step;
    n = n < len ? n : len;
    memcpy(buf, t->data + t->off, n);
    t->off += n;
    return (ssize_t)n;
}

/* Unpack `data` handed over `step` bytes at a time; 0 or -1 with the message. */
static int unpack_trickle(const char *data, size_t len, size_t step, char *diff_id, char **msg)
{
    _cleanup_free_ char *dir = tmpdir();
    struct trickle t = {data, len, 0, step};
    struct hull_image_unpack_result res = {0};
    hull_error err = {0};
    int root = open(dir, O_RDONLY | O_DIRECTORY), r;

    r = unpack_stream(trickle_read, &t, true, root, NULL, &res, &err);
    close(root);
    hull_rm_rf(dir);
    if (diff_id)
        memcpy(diff_id, res.diff_id, HULL_DIGEST_BUF);
    *msg = err.msg ? xstrdup(err.msg) : NULL;
    hull_error_clear(&err);
    return r;
}

/* gzip layers go through ISA-L: byte-sized reads (headers and trailers split
 * anywhere), concatenated members, and every kind of damage. */
static void gzip_layers_stream_in_any_pieces(void **state)
{
    static const struct tentry t[] = {{"etc", AE_IFDIR, NULL, NULL, 0755, false, 0},
                                      {"etc/hello", AE_IFREG, "hello\n", NULL, 0644, false, 0}};
    _cleanup_free_ char *tar = NULL, *gz = NULL, *gz1 = NULL, *gz2 = NULL, *two = NULL, *bad = NULL,
                        *msg = NULL;
    char want[HULL_DIGEST_BUF], got[HULL_DIGEST_BUF];
    size_t len = 0, glen, g1, g2;
    int fd;
    (void)state;

    fd = make_tar(t, 2);
    assert_int_equal(hull_read_fd(fd, 1u << 20, &tar, &len, NULL), 0);
    close(fd);
    hull_image_digest_bytes(tar, len, want);
    gz = gzip_bytes(tar, len, &glen);
    assert_true(glen > 18 && (unsigned char)gz[0] == 0x1f);
    for (size_t step = 1; step <= 4096; step *= 8) {
        if (unpack_trickle(gz, glen, step, got, &msg) < 0)
            fail_msg("step %zu: %s", step, msg);
        assert_string_equal(got, want);
    }
    /* two members: the tar split at 700 bytes */
    gz1 = gzip_bytes(tar, 700, &g1);
    gz2 = gzip_bytes(tar + 700, len - 700, &g2);
    two = xmalloc0(g1 + g2);
    memcpy(two, gz1, g1);
    memcpy(two + g1, gz2, g2);
    if (unpack_trickle(two, g1 + g2, 3, got, &msg) < 0)
        fail_msg("two members: %s", msg);
    assert_string_equal(got, want);
    /* trailing bytes, a truncated stream, a wrong CRC, a broken deflate block */
    bad = xmalloc0(glen + 3);
    memcpy(bad, gz, glen);
    memcpy(bad + glen, "XYZ", 3);
    assert_int_equal(unpack_trickle(bad, glen + 3, 5, NULL, &msg), -1);
    assert_non_null(strstr(msg, "data after the end of the gzip stream"));
    free(msg);
    assert_int_equal(unpack_trickle(gz, glen - 10, 5, NULL, &msg), -1);
    assert_non_null(msg);
    free(msg);
    memcpy(bad, gz, glen);
    bad[glen - 8] ^= 0x55; /* CRC32 */
    assert_int_equal(unpack_trickle(bad, glen, 7, NULL, &msg), -1);
    assert_non_null(strstr(msg, "gzip CRC or length mismatch"));
    free(msg);
    memcpy(bad, gz, glen);
    memset(bad + 10, 0xff, 8); /* the first deflate block header */
    assert_int_equal(unpack_trickle(bad, glen, 7, NULL, &msg), -1);
    assert_non_null(strstr(msg, "decompress layer"));
}

/* A layer unpacked while its blob is written (a pull): the reader waits for the
 * writer, the snapshot appears only when the blob verified and the diff_id matched,
 * and otherwise nothing of it remains. */
static void stream_case(struct hull_image_store *s, const char *root, const char *tar, size_t len,
                        const char *diff_id, bool blob_ok, int want)
{
    char digest[HULL_DIGEST_BUF];
    struct hull_image_descriptor d = {.media_type = (char *)HULL_MT_OCI_LAYER,
                                      .size = (int64_t)len};
    struct snapshot_stream *st = NULL;
    struct blob_writer *w = NULL;
    struct blob_follow *f;
    hull_error err = {0};
    int r;

    hull_image_digest_bytes(tar, len, digest);
    d.digest = digest;
    assert_int_equal(blob_writer_new(s, &w, &err), 0);
    f = blob_writer_follow(w, &err);
    assert_non_null(f);
    assert_int_equal(snapshot_stream_start(s, &d, diff_id, NULL, f, &st, &err), 0);
    assert_non_null(st);
    for (size_t off = 0; off < len; off += 700) /* small pieces, as from the network */
        assert_int_equal(blob_writer_write(w, tar + off, len - off < 700 ? len - off : 700, &err),
                         0);
    assert_int_equal(blob_writer_flush(w, &err), 0);
    blob_follow_end(f, blob_ok);
    if (blob_ok)
        assert_int_equal(blob_writer_commit(w, digest, (int64_t)len, NULL, &err), 0);
    else
        blob_writer_abort(w);
    r = snapshot_stream_finish(st, blob_ok, &err);
    blob_follow_free(f);
    if (r != want)
        fail_msg("stream unpack returned %d, wanted %d: %s", r, want, err.msg ? err.msg : "");
    if (r < 0)
        assert_non_null(strstr(err.msg, "does not match the config's diff_id"));
    hull_error_clear(&err);
    {
        _cleanup_free_ char *snaps = xasprintf("%s/snapshots", root);
        assert_int_equal(count_entries(snaps), blob_ok && want == 0 ? 1 : 0);
    }
}

static void layers_unpack_while_they_download(void **state)
{
    static const struct tentry t[] = {{"etc", AE_IFDIR, NULL, NULL, 0755, false, 0},
                                      {"etc/hello", AE_IFREG, "hello\n", NULL, 0644, false, 0}};
    _cleanup_free_ char *root = tmpdir(), *tar = NULL, *hello = NULL, *data = NULL;
    struct hull_image_store *s = NULL;
    char diff_id[HULL_DIGEST_BUF];
    size_t len = 0;
    int fd;
    (void)state;

    fd = make_tar(t, 2);
    assert_int_equal(hull_read_fd(fd, 1u << 20, &tar, &len, NULL), 0);
    close(fd);
    hull_image_digest_bytes(tar, len, diff_id); /* a plain tar: digest = diff_id */
    open_store(root, &s);
    /* a diff_id the content does not have: refused, nothing left */
    stream_case(s, root, tar, len, D1, true, -1);
    /* the blob failed (digest, size, download): nothing left, no error of its own */
    stream_case(s, root, tar, len, diff_id, false, 0);
    /* all good: the snapshot holds the layer */
    stream_case(s, root, tar, len, diff_id, true, 0);
    hello = xasprintf("%s/snapshots/%s/fs/etc/hello", root, diff_id + 7);
    assert_int_equal(hull_read_file(hello, 100, &data, NULL, NULL), 0);
    assert_string_equal(data, "hello\n");
    hull_image_store_free(s);
    hull_rm_rf(root);
}

static void upper_dirs_become_oci_diffs(void **state)
{
    _cleanup_free_ char *dir = tmpdir(), *p = NULL;
    struct hull_image_tar_opts o = {
        .overlay_whiteouts = true, .clamp_mtime = 0, .uid = 0, .gid = 0};
    struct archive *a;
    struct archive_entry *e;
    _cleanup_free_ char *seen = xstrdup("");
    hull_error err = {0};
    int root, out;
    (void)state;

    root = open(dir, O_RDONLY | O_DIRECTORY);
    assert_int_equal(mkdirat(root, "etc", 0755), 0);
    assert_int_equal(mknodat(root, "etc/hostname", S_IFCHR, makedev(0, 0)), 0);
    assert_int_equal(mkdirat(root, "var", 0755), 0);
    p = xasprintf("%s/var", dir);
    assert_int_equal(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
    assert_int_equal(setxattr(p, "trusted.overlay.origin", "zz", 2, 0), 0);
    {
        int f = openat(root, "var/new", O_CREAT | O_WRONLY, 0644);
        assert_int_equal(write(f, "data", 4), 4);
        close(f);
    }
    out = memfd_create("diff", 0);
    if (hull_image_tar_dir(root, out, &o, &err) < 0)
        fail_msg("%s", err.msg);
    lseek(out, 0, SEEK_SET);
    a = archive_read_new();
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_fd(a, out, 10240), ARCHIVE_OK);
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *name;
        char *n = xasprintf("%s%s%s", seen, archive_entry_pathname(e), " ");
        free(seen);
        seen = n;
        assert_int_equal(archive_entry_mtime(e), 0);
        const void *value;
        size_t vlen;
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &vlen) == ARCHIVE_OK)
            assert_null(strstr(name, "overlay"));
    }
    archive_read_free(a);
    assert_string_equal(seen, "etc/ etc/.wh.hostname var/ var/.wh..wh..opq var/new ");
    close(out);
    close(root);
    hull_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(references_normalize_like_docker),
        cmocka_unit_test(bad_references_say_why),
        cmocka_unit_test(digests_are_validated),
        cmocka_unit_test(manifests_parse_and_convert),
        cmocka_unit_test(bad_manifests_name_the_field),
        cmocka_unit_test(indexes_pick_the_platform),
        cmocka_unit_test(configs_are_checked),
        cmocka_unit_test(blobs_are_verified),
        cmocka_unit_test(concurrent_writers_do_not_corrupt),
        cmocka_unit_test(unpack_defends_and_translates),
        cmocka_unit_test(unpack_replaces_entries_and_sets_owners),
        cmocka_unit_test(unpack_limits_stop_bombs),
        cmocka_unit_test(gzip_layers_stream_in_any_pieces),
        cmocka_unit_test(layers_unpack_while_they_download),
        cmocka_unit_test(upper_dirs_become_oci_diffs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
