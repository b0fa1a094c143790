/* /_ping, /version, /info and /events. */
#include "internal.h"
#include "../base/util.h"
#include "../base/json.h"
#include "../image/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <microhttpd.h>

char *api_rfc3339(int64_t ns)
{
    time_t s = (time_t)(ns / 1000000000LL);
    struct tm tm;
    if (ns <= 0)
        return xstrdup("0001-01-01T00:00:00Z");
    gmtime_r(&s, &tm);
    return xasprintf("%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)(ns % 1000000000LL));
}

/* A container of hull_engine_df in the shape docker's /system/df lists
 * (the ContainerSummary fields its `system df -v` shows). */
static json_t *df_container(json_t *c)
{
    const char *state = json_string_value(json_object_get(c, "state")) ?: "";
    _cleanup_free_ char *name =
        xasprintf("/%s", json_string_value(json_object_get(c, "name")) ?: "");

    return json_pack("{s:s?, s:[s], s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:{}, s:[], s:[]}", "Id",
                     json_string_value(json_object_get(c, "id")), "Names", name, "Image",
                     json_string_value(json_object_get(c, "image")) ?: "", "ImageID",
                     json_string_value(json_object_get(c, "rootfs")) ?: "", "Command",
                     json_string_value(json_object_get(c, "command")) ?: "", "Created",
                     json_integer_value(json_object_get(c, "created")) / 1000000000LL, "State",
                     state, "Status", state, "SizeRw",
                     json_integer_value(json_object_get(c, "size_rw")), "Labels", "Mounts",
                     "Ports");
}

static json_t *df_volume(json_t *v)
{
    return json_pack("{s:O, s:s, s:O, s:s, s:{}, s:{}, s:{s:O, s:O}}", "Name",
                     json_object_get(v, "Name"), "Driver", "local", "Mountpoint",
                     json_object_get(v, "Mountpoint"), "Scope", "local", "Labels", "Options",
                     "UsageData", "Size", json_object_get(v, "Size"), "RefCount",
                     json_object_get(v, "RefCount"));
}

/* GET /system/df: the numbers of `hull system df` (engine/df.c), item by
 * item, from which the docker CLI computes its table. */
int api_system_df(struct api_req *r)
{
    struct hull_engine e;
    struct hull_image **imgs = NULL;
    struct hull_df d;
    hull_error err = {0};
    size_t nimg = 0;
    json_t *out, *images, *containers, *volumes, *x;
    size_t i;

    if (api_open(r->srv, &e, true, &err) < 0 || hull_image_list(e.images, &imgs, &nimg, &err) < 0 ||
        hull_engine_df(&e, imgs, nimg, &d, &err) < 0) {
        hull_image_list_free(imgs, nimg);
        api_close(&e);
        return api_fail(r, &err);
    }
    api_close(&e);
    images = json_array();
    for (i = 0; i < nimg; i++)
        json_array_append_new(images,
                              api_image_summary(imgs[i], 0, (json_int_t)d.image_containers[i]));
    containers = json_array();
    json_array_foreach (d.containers, i, x)
        json_array_append_new(containers, df_container(x));
    volumes = json_array();
    json_array_foreach (d.volumes, i, x)
        json_array_append_new(volumes, df_volume(x));
    out = json_pack("{s:I, s:o, s:o, s:o, s:[]}", "LayersSize", (json_int_t)d.rows[0].size,
                    "Images", images, "Containers", containers, "Volumes", volumes, "BuildCache");
    hull_image_list_free(imgs, nimg);
    hull_df_clear(&d);
    return api_json(r, 200, out);
}

int api_system_ping(struct api_req *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(2, (void *)"OK", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-cache, no-store, must-revalidate");
    MHD_add_response_header(resp, "Api-Version", HULL_API_VERSION);
    MHD_add_response_header(resp, "Docker-Experimental", "false");
    MHD_add_response_header(resp, "Ostype", "linux");
    r->answered = true;
    {
        int ret = MHD_queue_response(r->conn, 200, resp);
        MHD_destroy_response(resp);
        return ret;
    }
}

/* Go's name for this machine's architecture (docker reports GOARCH). */
static const char *arch(void)
{
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__i386__)
    return "386";
#else
    return "unknown";
#endif
}

static char *kernel(void)
{
    struct utsname u;
    return xstrdup(uname(&u) == 0 ? u.release : "unknown");
}

int api_system_version(struct api_req *r)
{
    _cleanup_free_ char *k = kernel();
    json_t *details = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion",
                                HULL_API_VERSION, "MinAPIVersion", HULL_API_MIN_VERSION,
                                "GitCommit", "hull", "GoVersion", "none (C)", "Os", "linux", "Arch",
                                arch(), "KernelVersion", k, "Experimental", "false");
    return api_json(r, 200,
                    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:o}]}",
                              "Version", "0.1.0-hull", "ApiVersion", HULL_API_VERSION,
                              "MinAPIVersion", HULL_API_MIN_VERSION, "GitCommit", "hull",
                              "GoVersion", "none (C)", "Os", "linux", "Arch", arch(),
                              "KernelVersion", k, "Components", "Name", "Engine", "Version",
                              "0.1.0-hull", "Details", details));
}

static char *os_name(void)
{
    _cleanup_free_ char *data = NULL;
    char *p, *end;
    if (hull_read_file("/etc/os-release", 65536, &data, NULL, NULL) < 0)
        return xstrdup("Linux");
    p = strstr(data, "PRETTY_NAME=");
    if (p == NULL)
        return xstrdup("Linux");
    p += 12;
    if (*p == '"')
        p++;
    end = p + strcspn(p, "\"\n");
    return strndup(p, (size_t)(end - p));
}

int api_system_info(struct api_req *r)
{
    struct hull_engine e;
    hull_error err = {0};
    json_t *rows, *c, *info;
    size_t i, running = 0, paused = 0, stopped = 0, nimg = 0;
    struct hull_image **imgs = NULL;
    struct sysinfo si;
    char host[256] = "hull";
    _cleanup_free_ char *k = kernel(), *os = os_name(), *now = api_rfc3339(api_now_ns());

    if (api_open(r->srv, &e, true, &err) < 0)
        return api_fail(r, &err);
    if (hull_engine_list(&e, true, &rows, &err) < 0 ||
        hull_image_list(e.images, &imgs, &nimg, &err) < 0) {
        api_close(&e);
        return api_fail(r, &err);
    }
    api_close(&e);
    hull_image_list_free(imgs, nimg);
    json_array_foreach (rows, i, c) {
        const char *st = json_string_value(json_object_get(c, "state"));
        if (strcmp(st, "running") == 0)
            running++;
        else if (strcmp(st, "paused") == 0)
            paused++;
        else
            stopped++;
    }
    sysinfo(&si);
    gethostname(host, sizeof(host) - 1);
    info = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:[], s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, "
        "s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:[], s:s, "
        "s:{s:{s:s}}, s:s, s:{s:s, s:s}, s:b, s:[s, s], s:[], s:{s:[], s:{}, s:[]}, s:b}",
        "ID", host, "Containers", (json_int_t)json_array_size(rows), "ContainersRunning",
        (json_int_t)running, "ContainersPaused", (json_int_t)paused, "ContainersStopped",
        (json_int_t)stopped, "Images", (json_int_t)nimg, "Driver", "overlay", "DriverStatus",
        "MemoryLimit", 1, "SwapLimit", 0, "CpuCfsPeriod", 1, "CpuCfsQuota", 1, "CPUShares", 1,
        "CPUSet", 1, "PidsLimit", 1, "IPv4Forwarding", 1, "LoggingDriver", "json-file",
        "CgroupDriver", "cgroupfs", "CgroupVersion", "1", "KernelVersion", k, "OperatingSystem", os,
        "OSType", "linux", "Architecture", arch(), "SystemTime", now, "NCPU",
        (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
        (json_int_t)si.totalram * (json_int_t)si.mem_unit, "DockerRootDir", r->srv->o.root, "Name",
        host, "ServerVersion", "0.1.0-hull", "Labels", "DefaultRuntime", "hull", "Runtimes", "hull",
        "path", "hull-runtime", "IndexServerAddress", "https://index.docker.io/v1/", "Swarm",
        "LocalNodeState", "inactive", "NodeID", "", "LiveRestoreEnabled", 1, "SecurityOptions",
        "name=seccomp,profile=default", "name=no-new-privileges", "Warnings", "RegistryConfig",
        "InsecureRegistryCIDRs", "IndexConfigs", "Mirrors", "ExperimentalBuild", 0);
    json_decref(rows);
    return api_json(r, 200, info);
}

/* ---- events ------------------------------------------------------------------------------ */

struct events_arg {
    int64_t since, until;
    char **filters;
    bool none; /* a filter nothing of ours can match (type=image...) */
};

static void free_events_arg(void *p)
{
    struct events_arg *a = p;
    hull_strv_free(a->filters);
    free(a);
}

static int send_event(void *data, json_t *ev)
{
    int fd = *(int *)data;
    json_t *d;
    char *s;
    int r;

    if (ev == NULL)
        return api_fd_closed(fd) ? -1 : 0;
    d = hull_event_docker(ev);
    s = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    r = s ? api_write_all(fd, s, strlen(s)) : 0;
    if (r == 0)
        r = api_write_all(fd, "\n", 1);
    free(s);
    return r < 0 ? -1 : 0;
}

static void events_producer(struct api_server *s, void *p, int fd)
{
    struct events_arg *a = p;
    struct hull_engine e;
    hull_error err = {0};

    if (a->none || api_open(s, &e, false, &err) < 0) {
        hull_error_clear(&err);
        return;
    }
    hull_engine_events_to(&e, a->since, a->until, a->filters, true, send_event, &fd, &err);
    hull_error_clear(&err);
    api_close(&e);
}

int api_events(struct api_req *r)
{
    struct events_arg *a = xmalloc0(sizeof(*a));
    hull_error err = {0};
    json_t *f = NULL, *vals, *v;
    const char *k;
    size_t i;

    a->since = api_now_ns();
    if (api_query_time(r, "since", &a->since, &err) < 0 ||
        api_query_time(r, "until", &a->until, &err) < 0 ||
        api_parse_filters(api_query(r, "filters"), &f, &err) < 0) {
        free_events_arg(a);
        return api_fail(r, &err);
    }
    json_object_foreach (f, k, vals) {
        json_array_foreach (vals, i, v) {
            const char *val = json_string_value(v);
            if (strcmp(k, "type") == 0) {
                if (strcmp(val, "container") != 0)
                    a->none = true;
            } else if (strcmp(k, "event") == 0 || strcmp(k, "container") == 0 ||
                       strcmp(k, "abnormal") == 0) {
                char *fs = xasprintf("%s=%s", k, val);
                size_t n = hull_strv_len(a->filters);
                a->filters = xrealloc(a->filters, (n + 2) * sizeof(char *));
                a->filters[n] = fs;
                a->filters[n + 1] = NULL;
            } else {
                int ret = api_error(r, 400, "filters: \"%s\" is not supported for events", k);
                json_decref(f);
                free_events_arg(a);
                return ret;
            }
        }
    }
    json_decref(f);
    return api_stream(r, 200, "application/json", events_producer, a, free_events_arg);
}
