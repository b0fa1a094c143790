/* Unit tests for src/engine/format.c (templates, table/json forms) and
 * src/engine/filter.c (ps --filter on container rows). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "engine/engine.h"

static json_t *ctx(void)
{
    return json_pack("{s:s, s:i, s:b, s:{s:s, s:s}, s:[s, s], s:{s:{s:s}}, s:n}", "Names", "web",
                     "Code", 3, "Up", 1, "Label", "app", "web", "tier", "front", "Args", "sh", "-c",
                     "State", "Inner", "Status", "running", "Nil");
}

/* Render `tmpl` against ctx(); the output (caller frees) or NULL with *msg. */
static char *render(const char *tmpl, char **msg)
{
    struct hull_template *t = NULL;
    hull_error err = {0};
    json_t *c = ctx();
    char *out = NULL;

    if (hull_template_parse(tmpl, &t, &err) == 0)
        hull_template_render(t, c, &out, &err);
    hull_template_free(t);
    json_decref(c);
    *msg = err.msg;
    return out;
}

static void expect(const char *tmpl, const char *want)
{
    char *msg = NULL, *got = render(tmpl, &msg);
    if (got == NULL)
        fail_msg("%s: %s", tmpl, msg ? msg : "no output");
    assert_string_equal(got, want);
    free(got);
}

static void expect_error(const char *tmpl, const char *part)
{
    char *msg = NULL, *got = render(tmpl, &msg);
    assert_null(got);
    assert_non_null(msg);
    if (strstr(msg, part) == NULL)
        fail_msg("%s: error \"%s\" lacks \"%s\"", tmpl, msg, part);
    free(msg);
}

static void fields_and_functions(void **state)
{
    (void)state;
    expect("{{.Names}} {{.Code}} {{.Up}}", "web 3 true");
    expect("{{.State.Inner.Status}}", "running");
    expect("{{.Label \"app\"}}/{{index .Label \"tier\"}}", "web/front");
    expect("{{index .Args \"1\"}}", "-c");
    expect("{{json .Args}}", "[\"sh\",\"-c\"]");
    expect("{{join .Args \" \"}}", "sh -c");
    expect("{{.Names | upper}} {{lower \"ABC\"}} {{title \"a b\"}}", "WEB abc A B");
    expect("{{.Missing}} {{.Nil}} {{.Label \"none\"}}", "<no value> <no value> <no value>");
    expect("a{{- .Names -}}b", "awebb");
    expect("no actions at all", "no actions at all");
    expect("{{\"q\\\"uote\"}}", "q\"uote");
}

static void parse_errors(void **state)
{
    (void)state;
    expect_error("{{.Names", "unclosed action");
    expect_error("{{if .Up}}x{{end}}", "function \"if\" not defined");
    expect_error("{{}}", "empty command");
    expect_error("{{.Names |}}", "empty command");
    expect_error("{{| upper}}", "misplaced '|'");
    expect_error("{{.Names | .Code}}", "only a function can follow");
    expect_error("{{\"abc}}", "unterminated string");
    expect_error("{{.A..B}}", "bad field");
    expect_error("{{join .Args}}", "join needs");
    expect_error("{{@}}", "unexpected");
}

static char *format_all(const char *format, json_t *rows)
{
    struct hull_format *f = NULL;
    hull_error err = {0};
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    json_t *r;
    size_t i;

    assert_int_equal(hull_format_open(format, "table {{.Names}}", NULL, &f, &err), 0);
    json_array_foreach (rows, i, r)
        assert_int_equal(hull_format_row(f, r, out, &err), 0);
    hull_format_close(f, out);
    fclose(out);
    return buf;
}

static void table_and_json(void **state)
{
    json_t *rows = json_pack("[{s:s, s:s}, {s:s, s:s}]", "Names", "a", "RunningFor", "1 second",
                             "Names", "longer-name-here", "RunningFor", "x");
    char *s;

    (void)state;
    /* tabwriter: min width 10, padding 3; header from the field names */
    s = format_all("table {{.Names}}\\t{{.RunningFor}}", rows);
    assert_string_equal(s, "NAMES              RUNNING FOR\n"
                           "a                  1 second\n"
                           "longer-name-here   x\n");
    free(s);
    s = format_all("", rows); /* the default table */
    assert_string_equal(s, "NAMES\na\nlonger-name-here\n");
    free(s);
    s = format_all("{{.Names}}\\t|", rows); /* not a table: no alignment */
    assert_string_equal(s, "a\t|\nlonger-name-here\t|\n");
    free(s);
    s = format_all("json", rows);
    assert_string_equal(s, "{\"Names\":\"a\",\"RunningFor\":\"1 second\"}\n"
                           "{\"Names\":\"longer-name-here\",\"RunningFor\":\"x\"}\n");
    free(s);
    json_decref(rows);
}

static json_t *row(const char *name, const char *state, int code, const char *labels)
{
    _cleanup_free_ char *opts = xasprintf("{\"labels\":%s}", labels);
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:s}", "id",
                     name[0] == 'w' ? "abc123" : "def456", "name", name, "image", "busybox:latest",
                     "state", state, "exit_code", code, "abnormal", code != 0, "network", "bridge",
                     "rootfs", "sha256:0123abcd", "opts", opts, "ports",
                     "[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"}]", "volumes",
                     "[\"data:/data\"]");
}

static void filters(void **state)
{
    json_t *w = row("web", "running", 0, "{\"app\":\"web\"}");
    json_t *d = row("db", "exited", 3, "{\"app\":\"db\",\"x\":\"\"}");
    json_t *rows = json_pack("[O, O]", w, d), *out = NULL;
    hull_error err = {0};
    char *two[] = {"name=web", "name=db", NULL}, *both[] = {"name=web", "status=exited", NULL};

    (void)state;
    assert_int_equal(hull_container_match(w, "name=^w", NULL), 1);
    assert_int_equal(hull_container_match(d, "name=^w", NULL), 0);
    assert_int_equal(hull_container_match(w, "id=abc", NULL), 1);
    assert_int_equal(hull_container_match(d, "label=x", NULL), 1);
    assert_int_equal(hull_container_match(d, "label=app=web", NULL), 0);
    assert_int_equal(hull_container_match(d, "exited=3", NULL), 1);
    assert_int_equal(hull_container_match(w, "status=running", NULL), 1);
    assert_int_equal(hull_container_match(d, "abnormal=true", NULL), 1);
    assert_int_equal(hull_container_match(w, "ancestor=busybox", NULL), 1);
    /* docker's normalisation: the same image however it is named */
    assert_int_equal(hull_container_match(w, "ancestor=docker.io/library/busybox", NULL), 1);
    assert_int_equal(hull_container_match(w, "ancestor=docker.io/library/alpine", NULL), 0);
    assert_int_equal(hull_container_match(w, "ancestor=0123ab", NULL), 1);
    assert_int_equal(hull_container_match(w, "network=bridge", NULL), 1);
    assert_int_equal(hull_container_match(w, "publish=8080/tcp", NULL), 1);
    assert_int_equal(hull_container_match(w, "expose=8080", NULL), 0);
    assert_int_equal(hull_container_match(w, "volume=/data", NULL), 1);
    assert_int_equal(hull_container_match(NULL, "nope=1", &err), -1);
    assert_non_null(strstr(err.msg, "unknown filter \"nope\""));
    hull_error_clear(&err);
    assert_int_equal(hull_container_match(NULL, "status=asleep", &err), -1);
    hull_error_clear(&err);
    /* one key twice: either; two keys: both */
    assert_int_equal(hull_container_filter(rows, two, &out, NULL), 0);
    assert_int_equal(json_array_size(out), 2);
    json_decref(out);
    assert_int_equal(hull_container_filter(rows, both, &out, NULL), 0);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);
    json_decref(rows);
    json_decref(w);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_and_functions),
        cmocka_unit_test(parse_errors),
        cmocka_unit_test(table_and_json),
        cmocka_unit_test(filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
