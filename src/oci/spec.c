/* `hull-runtime spec` and `features`: the default configuration is the secure
 * one (Docker's defaults, tightened), not runc's permissive example. */
#include "../runtime/runtime.h"
#include "../runtime/seccomp.h"
#include "config.h"
#include "../base/util.h"

#include <string.h>
#include <unistd.h>

/* Docker's default capabilities minus NET_RAW and MKNOD. */
static const char *const default_caps[] = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",  "CAP_FOWNER",           "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP",      "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",   "CAP_AUDIT_WRITE",
};

static const char *const masked_paths[] = {
    "/proc/asound",        "/proc/acpi",        "/proc/interrupts",
    "/proc/kcore",         "/proc/keys",        "/proc/latency_stats",
    "/proc/timer_list",    "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",          "/sys/firmware",     "/sys/devices/virtual/powercap",
    "/proc/sysrq-trigger",
};

static const char *const readonly_paths[] = {
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
};

static json_t *strv_json(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *mount_json(const char *dst, const char *type, const char *src, const char *opts)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "destination", dst, "type", type, "source", src);
    json_t *a = json_array();
    _cleanup_free_ char *copy = xstrdup(opts);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(a, json_string(t));
    json_object_set_new(o, "options", a);
    return o;
}

json_t *hull_spec_default(bool rootless)
{
    json_t *caps = strv_json(default_caps, HULL_ARRAY_SIZE(default_caps));
    json_t *spec, *mounts, *ns, *linux_;

    spec = json_pack(
        "{s:s, s:{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:{s:O, s:O, s:O, s:o}, "
        "s:[{s:s, s:i, s:i}], s:b}, s:{s:s, s:b}, s:s}",
        "ociVersion", "1.2.0", "process", "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh",
        "env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
        "cwd", "/", "capabilities", "bounding", caps, "effective", caps, "permitted", caps,
        "ambient", json_array(), "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
        "noNewPrivileges", 1, "root", "path", "rootfs", "readonly", 1, "hostname", "hull");
    json_decref(caps);

    mounts = json_array();
    json_array_append_new(mounts, mount_json("/proc", "proc", "proc", "nosuid,noexec,nodev"));
    json_array_append_new(
        mounts, mount_json("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
    json_array_append_new(mounts, mount_json("/dev/pts", "devpts", "devpts",
                                             rootless ? "nosuid,noexec,newinstance,ptmxmode=0666,"
                                                        "mode=0620"
                                                      : "nosuid,noexec,newinstance,ptmxmode=0666,"
                                                        "mode=0620,gid=5"));
    json_array_append_new(mounts, mount_json("/dev/shm", "tmpfs", "shm",
                                             "nosuid,noexec,nodev,mode=1777,size=65536k"));
    json_array_append_new(mounts,
                          mount_json("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
    if (rootless)
        json_array_append_new(mounts,
                              mount_json("/sys", "none", "/sys", "rbind,nosuid,noexec,nodev,ro"));
    else
        json_array_append_new(mounts,
                              mount_json("/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"));
    json_array_append_new(mounts, mount_json("/sys/fs/cgroup", "cgroup", "cgroup",
                                             "nosuid,noexec,nodev,relatime,ro"));
    json_object_set_new(spec, "mounts", mounts);

    ns = json_array();
    static const char *const nss[] = {"pid", "network", "ipc", "uts", "mount", "cgroup"};
    for (size_t i = 0; i < HULL_ARRAY_SIZE(nss); i++)
        json_array_append_new(ns, json_pack("{s:s}", "type", nss[i]));
    if (rootless)
        json_array_append_new(ns, json_pack("{s:s}", "type", "user"));

    linux_ = json_object();
    json_object_set_new(linux_, "namespaces", ns);
    json_object_set_new(linux_, "maskedPaths",
                        strv_json(masked_paths, HULL_ARRAY_SIZE(masked_paths)));
    json_object_set_new(linux_, "readonlyPaths",
                        strv_json(readonly_paths, HULL_ARRAY_SIZE(readonly_paths)));
    json_object_set_new(linux_, "seccomp", hull_seccomp_default_profile());
    if (rootless) {
        json_object_set_new(linux_, "uidMappings",
                            json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)geteuid(), "size", 1));
        json_object_set_new(linux_, "gidMappings",
                            json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)getegid(), "size", 1));
    } else {
        json_object_set_new(linux_, "resources",
                            json_pack("{s:[{s:b, s:s}], s:{s:i}}", "devices", "allow", 0, "access",
                                      "rwm", "pids", "limit", 4096));
    }
    json_object_set_new(spec, "linux", linux_);
    return spec;
}

json_t *hull_features(void)
{
    json_t *caps = json_array(), *opts = json_array(), *ns = json_array();
    static const char *const nss[] = {"cgroup", "ipc",  "mount", "network",
                                      "pid",    "time", "user",  "uts"};

    for (int c = 0; hull_cap_name(c); c++)
        json_array_append_new(caps, json_string(hull_cap_name(c)));
    for (size_t i = 0; hull_mount_option_names[i]; i++)
        json_array_append_new(opts, json_string(hull_mount_option_names[i]));
    for (size_t i = 0; i < HULL_ARRAY_SIZE(nss); i++)
        json_array_append_new(ns, json_string(nss[i]));
    return json_pack(
        "{s:s, s:s, s:[s, s, s, s, s, s], s:o, s:{s:o, s:o, s:{s:b, s:b, s:b}, "
        "s:{s:b, s:[s, s, s, s, s, s, s, s, s], s:[s, s, s], s:[s, s, s, s], s:[s, s, s, s, s, s, "
        "s, s, s]}, "
        "s:{s:b}, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:b}}, s:{s:s}}",
        "ociVersionMin", "1.0.0", "ociVersionMax", "1.2.0", "hooks", "prestart", "createRuntime",
        "createContainer", "startContainer", "poststart", "poststop", "mountOptions", opts, "linux",
        "namespaces", ns, "capabilities", caps, "cgroup", "v1", 1, "v2", 1, "systemd", 0, "seccomp",
        "enabled", 1, "actions", "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
        "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
        "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", "archs", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64",
        "SCMP_ARCH_X32", "knownFlags", "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "operators",
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
        "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", "SCMP_CMP_EQ", "apparmor", "enabled", 0, "selinux",
        "enabled", 0, "intelRdt", "enabled", 0, "mountExtensions", "idmap", 0, "timeNamespace",
        "enabled", 1, "annotations", "org.opencontainers.runc.checkpoint.enabled", "false");
}
