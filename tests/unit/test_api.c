/* Unit tests for src/api's parsers of client input: the create body mapped onto
 * struct hull_run_opts (docker's field shapes, Entrypoint + Cmd, PortBindings,
 * RestartPolicy, refused fields), docker's filters forms, the since/until
 * time forms, POST /commit's query and body, and top's ps output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "api/api.h"
#include "api/internal.h"

static struct hull_api_create parse_ok(const char *body)
{
    struct hull_api_create c;
    hull_error err = {0};
    if (hull_api_parse_create(body, strlen(body), &c, &err) < 0)
        fail_msg("parse %s: %s", body, err.msg);
    return c;
}

static void parse_fails(const char *body, const char *msg)
{
    struct hull_api_create c;
    hull_error err = {0};
    if (hull_api_parse_create(body, strlen(body), &c, &err) == 0)
        fail_msg("accepted %s", body);
    if (strstr(err.msg, msg) == NULL)
        fail_msg("%s: error \"%s\" does not say \"%s\"", body, err.msg, msg);
    hull_error_clear(&err);
}

static void test_create_maps_docker_fields(void **state)
{
    struct hull_api_create c = parse_ok(
        "{\"Image\": \"busybox\", \"Cmd\": [\"-c\", \"echo hi\"], \"Entrypoint\": [\"sh\"],"
        " \"Env\": [\"A=1\"], \"WorkingDir\": \"/tmp\", \"User\": \"1:2\", \"Hostname\": \"h\","
        " \"Labels\": {\"k\": \"v\"}, \"HostConfig\": {\"Binds\": [\"/a:/b:ro\"],"
        " \"NetworkMode\": \"none\", \"Memory\": 67108864, \"NanoCpus\": 1500000000,"
        " \"PidsLimit\": 64, \"ReadonlyRootfs\": true, \"CapAdd\": [\"NET_ADMIN\"],"
        " \"CapDrop\": [\"ALL\"], \"AutoRemove\": true, \"Tmpfs\": {\"/run\": \"size=1m\"},"
        " \"PortBindings\": {\"80/tcp\": [{\"HostIp\": \"127.0.0.1\", \"HostPort\": \"8080\"}],"
        " \"53/udp\": [{\"HostPort\": \"5353\"}]}}}");
    (void)state;
    assert_string_equal(c.run.image, "busybox");
    assert_string_equal(c.run.entrypoint[0], "sh");
    assert_null(c.run.entrypoint[1]);
    assert_string_equal(c.run.cmd[0], "-c");
    assert_string_equal(c.run.cmd[1], "echo hi");
    assert_string_equal(c.run.env[0], "A=1");
    assert_string_equal(c.run.workdir, "/tmp");
    assert_string_equal(c.run.user, "1:2");
    assert_string_equal(c.run.hostname, "h");
    assert_string_equal(c.run.labels[0], "k=v");
    assert_string_equal(c.run.volumes[0], "/a:/b:ro");
    assert_string_equal(c.run.network, "none");
    assert_int_equal(c.run.memory, 67108864);
    assert_true(c.run.cpus > 1.49 && c.run.cpus < 1.51);
    assert_int_equal(c.run.pids_limit, 64);
    assert_true(c.run.read_only && c.run.rm && c.run.detach);
    assert_string_equal(c.run.cap_add[0], "NET_ADMIN");
    assert_string_equal(c.run.cap_drop[0], "ALL");
    assert_string_equal(c.run.tmpfs[0], "/run:size=1m");
    /* object order is not guaranteed: look for both */
    assert_true((strcmp(c.run.ports[0], "127.0.0.1:8080:80/tcp") == 0 &&
                 strcmp(c.run.ports[1], "5353:53/udp") == 0) ||
                (strcmp(c.run.ports[1], "127.0.0.1:8080:80/tcp") == 0 &&
                 strcmp(c.run.ports[0], "5353:53/udp") == 0));
    hull_api_create_clear(&c);
}

static void test_create_entrypoint_and_defaults(void **state)
{
    struct hull_api_create c;
    (void)state;
    /* a multi-element entrypoint: the rest goes in front of Cmd */
    c = parse_ok("{\"Image\": \"x\", \"Entrypoint\": [\"sh\", \"-c\"], \"Cmd\": [\"true\"]}");
    assert_string_equal(c.run.entrypoint[0], "sh");
    assert_string_equal(c.run.cmd[0], "-c");
    assert_string_equal(c.run.cmd[1], "true");
    hull_api_create_clear(&c);
    /* [] clears the image's entrypoint */
    c = parse_ok("{\"Image\": \"x\", \"Entrypoint\": []}");
    assert_string_equal(c.run.entrypoint[0], "");
    hull_api_create_clear(&c);
    /* strings as docker's strslice; "" and null mean unset; default network */
    c = parse_ok("{\"Image\": \"x\", \"Cmd\": \"true\", \"WorkingDir\": \"\", \"User\": null,"
                 " \"HostConfig\": {\"NetworkMode\": \"default\", \"PidsLimit\": null,"
                 " \"RestartPolicy\": {\"Name\": \"on-failure\", \"MaximumRetryCount\": 3}}}");
    assert_string_equal(c.run.cmd[0], "true");
    assert_null(c.run.entrypoint);
    assert_null(c.run.workdir);
    assert_null(c.run.user);
    assert_string_equal(c.run.network, "bridge");
    assert_int_equal(c.run.pids_limit, 0);
    assert_string_equal(c.run.restart, "on-failure:3");
    hull_api_create_clear(&c);
    c = parse_ok("{\"Image\": \"x\", \"HostConfig\": {\"RestartPolicy\": {\"Name\": \"no\"},"
                 " \"Devices\": [], \"Init\": false}}");
    assert_null(c.run.restart);
    hull_api_create_clear(&c);
}

static void test_create_rejects(void **state)
{
    (void)state;
    parse_fails("", "invalid JSON");
    parse_fails("[]", "expected a JSON object");
    parse_fails("{\"Image\": \"x\", \"Image\": \"y\"}", "invalid JSON");
    parse_fails("{\"Cmd\": [\"true\"]}", "Image: an image is required");
    parse_fails("{\"Image\": 5}", "Image: expected a string");
    parse_fails("{\"Image\": \"x\", \"Cmd\": [1]}", "Cmd[0]: expected a string");
    parse_fails("{\"Image\": \"x\", \"Env\": {\"A\": \"1\"}}", "Env: expected an array");
    parse_fails("{\"Image\": \"x\", \"Tty\": \"yes\"}", "Tty: expected true or false");
    parse_fails("{\"Image\": \"x\", \"Labels\": {\"a\": 1}}", "Labels.a: expected a string");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": []}", "HostConfig: expected an object");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"Memory\": 1.5}}",
                "HostConfig.Memory: expected an integer");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"Memory\": 4096}}", "at least 6 MiB");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"NanoCpus\": -1}}", "HostConfig.NanoCpus");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"PidsLimit\": -2}}", "HostConfig.PidsLimit");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"PortBindings\": {\"80/tcp\": [{}]}}}",
                "HostPort: a host port is needed");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"RestartPolicy\": {\"Name\": \"often\"}}}",
                "RestartPolicy.Name \"often\"");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"RestartPolicy\": {\"Name\": \"always\","
                " \"MaximumRetryCount\": 2}}}",
                "MaximumRetryCount needs on-failure");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"AutoRemove\": true, \"RestartPolicy\":"
                " {\"Name\": \"always\"}}}",
                "cannot be combined");
    parse_fails(
        "{\"Image\": \"x\", \"HostConfig\": {\"Devices\": [{\"PathOnHost\": \"/dev/sda\"}]}}",
        "HostConfig.Devices: not supported");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"Init\": true}}", "HostConfig.Init");
    parse_fails("{\"Image\": \"x\\u0000y\"}", "NUL");
}

static void test_create_network_aliases(void **state)
{
    struct hull_api_create c;
    (void)state;
    c = parse_ok("{\"Image\": \"x\", \"HostConfig\": {\"NetworkMode\": \"net1\"},"
                 " \"NetworkingConfig\": {\"EndpointsConfig\": {\"net1\": {\"Aliases\":"
                 " [\"db\", \"db.local\"]}}}}");
    assert_string_equal(c.run.aliases[0], "db");
    assert_string_equal(c.run.aliases[1], "db.local");
    assert_null(c.run.aliases[2]);
    hull_api_create_clear(&c);
    /* an endpoint without aliases, or null ones */
    c = parse_ok("{\"Image\": \"x\", \"HostConfig\": {\"NetworkMode\": \"net1\"},"
                 " \"NetworkingConfig\": {\"EndpointsConfig\": {\"net1\": {\"Aliases\": null}}}}");
    assert_null(c.run.aliases);
    hull_api_create_clear(&c);
    parse_fails("{\"Image\": \"x\", \"NetworkingConfig\": []}",
                "NetworkingConfig: expected an object");
    parse_fails("{\"Image\": \"x\", \"NetworkingConfig\": {\"EndpointsConfig\": 1}}",
                "NetworkingConfig.EndpointsConfig: expected an object");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"NetworkMode\": \"n\"},"
                " \"NetworkingConfig\": {\"EndpointsConfig\": {\"n\": {\"Aliases\": [1]}}}}",
                "NetworkingConfig.EndpointsConfig.n.Aliases[0]: expected a string");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"NetworkMode\": \"n\"},"
                " \"NetworkingConfig\": {\"EndpointsConfig\": {\"n\": {\"Aliases\": [\"a b\"]}}}}",
                "NetworkingConfig.EndpointsConfig.n.Aliases \"a b\": invalid alias");
    parse_fails("{\"Image\": \"x\", \"HostConfig\": {\"NetworkMode\": \"n\"},"
                " \"NetworkingConfig\": {\"EndpointsConfig\": {\"m\": {\"Aliases\": [\"a\"]}}}}",
                "EndpointsConfig.m: not the container's network");
    /* docker's default bridge has no names */
    parse_fails("{\"Image\": \"x\", \"NetworkingConfig\": {\"EndpointsConfig\": {\"default\":"
                " {\"Aliases\": [\"a\"]}}}}",
                "supported only for containers in user defined networks");
}

static void test_commit(void **state)
{
    char *q[] = {"container", "c1",          "repo",  "img", "tag",     "v1",
                 "comment",   "msg",         "pause", "0",   "changes", "ENV A 1\n\n  WORKDIR /w",
                 "changes",   "CMD [\"x\"]", NULL};
    const char *body = "{\"Cmd\": \"sh\", \"Env\": [\"B=2 3=4\"], \"Labels\": {\"l\": "
                       "\"v w\"}, \"ExposedPorts\": {\"80/tcp\": {}}, \"Hostname\": \"x\"}";
    struct hull_api_commit c;
    hull_error err = {0};
    static const char *const want[] = {"CMD [\"sh\"]",  "ENV B 2 3=4", "LABEL l v w",
                                       "EXPOSE 80/tcp", "ENV A 1",     "WORKDIR /w",
                                       "CMD [\"x\"]"};
    (void)state;

    assert_int_equal(hull_api_parse_commit(q, body, strlen(body), &c, &err), 0);
    assert_string_equal(c.container, "c1");
    assert_string_equal(c.opts.image, "img:v1");
    assert_string_equal(c.opts.message, "msg");
    assert_false(c.opts.pause);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_string_equal(c.opts.changes[i], want[i]); /* the body's first */
    assert_null(c.opts.changes[sizeof(want) / sizeof(want[0])]);
    hull_api_commit_clear(&c);
    /* defaults: pause, no image, no changes; "null" body */
    char *q2[] = {"container", "c1", NULL};
    assert_int_equal(hull_api_parse_commit(q2, "null", 4, &c, &err), 0);
    assert_true(c.opts.pause);
    assert_null(c.opts.image);
    assert_null(c.opts.changes);
    hull_api_commit_clear(&c);
}

static void commit_fails(char **q, const char *body, const char *msg)
{
    struct hull_api_commit c;
    hull_error err = {0};
    if (hull_api_parse_commit(q, body, strlen(body), &c, &err) == 0)
        fail_msg("accepted %s", body);
    if (strstr(err.msg, msg) == NULL)
        fail_msg("%s: error \"%s\" does not say \"%s\"", body, err.msg, msg);
    hull_error_clear(&err);
}

static void test_commit_rejects(void **state)
{
    char *ok[] = {"container", "c", NULL};
    (void)state;
    commit_fails((char *[]){"repo", "x", NULL}, "", "container: a container is required");
    commit_fails((char *[]){"container", "c", "tag", "t", NULL}, "", "tag: \"t\" without a repo");
    commit_fails((char *[]){"container", "c", "pause", "maybe", NULL}, "", "pause");
    commit_fails(ok, "[1", "request body");
    commit_fails(ok, "[]", "expected a container config object");
    commit_fails(ok, "{\"Cmd\": 5}", "config.Cmd: expected an array");
    commit_fails(ok, "{\"Cmd\": [\"a\\u0000b\"]}", "is not allowed"); /* no NUL gets in */
    commit_fails(ok, "{\"Env\": [\"NOEQ\"]}", "config.Env[0]");
    commit_fails(ok, "{\"Env\": [\"A B=1\"]}", "not a single word");
    commit_fails(ok, "{\"User\": \"u\\nRUN x\"}", "config.User: contains a line break");
    commit_fails(ok, "{\"Labels\": {\"k\": 1}}", "config.Labels.k: expected a string");
    commit_fails(ok, "{\"Volumes\": {\"/a b\": {}}}", "config.Volumes");
}

static void test_ps(void **state)
{
    char text[] = "UID PID PPID CMD\nroot 7 1 sh -c  a b\nroot 8 1 other\nroot 9 7 sleep 5\n";
    char bad[] = "UID PPID CMD\nroot 1 sh\n";
    static const pid_t pids[] = {7, 9};
    json_t *out = NULL;
    hull_error err = {0};
    (void)state;

    assert_int_equal(api_parse_ps(text, pids, 2, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "Titles")), 4);
    assert_int_equal(json_array_size(json_object_get(out, "Processes")), 2);
    assert_string_equal(
        json_string_value(json_array_get(json_array_get(json_object_get(out, "Processes"), 0), 3)),
        "sh -c  a b");
    json_decref(out);
    assert_int_equal(api_parse_ps(bad, pids, 2, &out, &err), -1);
    assert_non_null(strstr(err.msg, "PID"));
    hull_error_clear(&err);
}

static void test_filters(void **state)
{
    json_t *f;
    hull_error err = {0};
    (void)state;
    assert_int_equal(
        api_parse_filters("{\"name\": [\"a\", \"b\"], \"label\": {\"k=v\": true}}", &f, &err), 0);
    assert_int_equal(json_array_size(json_object_get(f, "name")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(f, "label"), 0)), "k=v");
    json_decref(f);
    assert_int_equal(api_parse_filters(NULL, &f, &err), 0);
    assert_int_equal(json_object_size(f), 0);
    json_decref(f);
    assert_int_equal(api_parse_filters("{\"name\": \"a\"}", &f, &err), -1);
    assert_non_null(strstr(err.msg, "filters.name"));
    json_decref(f);
    hull_error_clear(&err);
    assert_int_equal(api_parse_filters("[1]", &f, &err), -1);
    json_decref(f);
    hull_error_clear(&err);
}

static void test_times(void **state)
{
    const int64_t now = 1700000000LL * 1000000000LL;
    int64_t ns = 0;
    hull_error err = {0};
    (void)state;
    assert_int_equal(hull_parse_time("1700000000", now, &ns, &err), 0);
    assert_true(ns == 1700000000LL * 1000000000LL);
    assert_int_equal(hull_parse_time("1700000000.5", now, &ns, &err), 0);
    assert_true(ns == 1700000000LL * 1000000000LL + 500000000LL);
    assert_int_equal(hull_parse_time("2023-11-14T22:13:20Z", now, &ns, &err), 0);
    assert_true(ns == 1700000000LL * 1000000000LL);
    assert_int_equal(hull_parse_time("2023-11-15T00:13:20.25+02:00", now, &ns, &err), 0);
    assert_true(ns == 1700000000LL * 1000000000LL + 250000000LL);
    assert_int_equal(hull_parse_time("2023-11-14", now, &ns, &err), 0);
    assert_true(ns == 1699920000LL * 1000000000LL);
    assert_int_equal(hull_parse_time("10m", now, &ns, &err), 0);
    assert_true(ns == now - 600LL * 1000000000LL);
    assert_int_equal(hull_parse_time("1h30m", now, &ns, &err), 0);
    assert_true(ns == now - 5400LL * 1000000000LL);
    assert_int_equal(hull_parse_time("250ms", now, &ns, &err), 0);
    assert_true(ns == now - 250000000LL);
    static const char *const bad[] = {"",
                                      "yesterday",
                                      "10x",
                                      "1.2.3",
                                      "2023-13-01",
                                      "2023-11-14T25:00:00Z",
                                      "9999-01-01T00:00:00Z",
                                      "2023-11-14T22:13:20+5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (hull_parse_time(bad[i], now, &ns, &err) == 0)
            fail_msg("accepted time \"%s\"", bad[i]);
        assert_non_null(err.msg);
        hull_error_clear(&err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_maps_docker_fields),
        cmocka_unit_test(test_create_entrypoint_and_defaults),
        cmocka_unit_test(test_create_rejects),
        cmocka_unit_test(test_create_network_aliases),
        cmocka_unit_test(test_commit),
        cmocka_unit_test(test_commit_rejects),
        cmocka_unit_test(test_ps),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
