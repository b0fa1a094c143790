#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ftw.h>

static void oom(void)
{
    static const char msg[] = "hull: out of memory\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    abort();
}

void *xmalloc0(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p == NULL)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    char *r;
    if (s == NULL)
        return NULL;
    r = strdup(s);
    if (r == NULL)
        oom();
    return r;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        oom();
    va_end(ap);
    return s;
}

int hull_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

ssize_t hull_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, p + got, len - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

int hull_read_fd(int fd, size_t max, char **out, size_t *len, hull_error *err)
{
    /* The buffer never grows past max + 1: one byte more than allowed is
     * enough to know the file is too large. */
    size_t cap = max < 4096 ? max + 1 : 4096, n = 0;
    _cleanup_free_ char *buf = xmalloc0(cap + 1);

    for (;;) {
        ssize_t r;
        if (n == cap) {
            if (cap > max)
                return hull_error_msg(err, EFBIG, "file larger than %zu bytes", max);
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            buf = xrealloc(buf, cap + 1);
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return hull_error_set(err, errno, "read");
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max)
        return hull_error_msg(err, EFBIG, "file larger than %zu bytes", max);
    buf[n] = '\0';
    if (len)
        *len = n;
    *out = steal_pointer(&buf);
    return 0;
}

int hull_read_file(const char *path, size_t max, char **out, size_t *len, hull_error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hull_error_set(err, errno, "open %s", path);
    if (hull_read_fd(fd, max, out, len, err) < 0)
        return hull_error_prefix(err, "%s", path);
    return 0;
}

int hull_write_file_at(int dirfd, const char *path, const char *data, size_t len, hull_error *err)
{
    _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return hull_error_set(err, errno, "open %s", path);
    if (hull_write_all(fd, data, len) < 0)
        return hull_error_set(err, errno, "write %s", path);
    return 0;
}

int hull_write_file_replace(const char *path, const char *data, size_t len, mode_t mode,
                            unsigned flags, hull_error *err)
{
    _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, getpid());
    _cleanup_free_ char *dir = xstrdup(path);
    _cleanup_close_ int fd = -1, dfd = -1;
    char *slash;

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return hull_error_set(err, errno, "create %s", tmp);
    if (hull_write_all(fd, data, len) < 0 || ((flags & HULL_WRITE_SYNC) && fsync(fd) < 0)) {
        int e = errno;
        unlink(tmp);
        return hull_error_set(err, e, "write %s", tmp);
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return hull_error_set(err, e, "rename %s", path);
    }
    slash = strrchr(dir, '/');
    if ((flags & HULL_WRITE_SYNC_DIR) && slash) {
        *(slash == dir ? slash + 1 : slash) = '\0';
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
            (void)fsync(dfd);
    }
    return 0;
}

int hull_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
                           hull_error *err)
{
    return hull_write_file_replace(path, data, len, mode, HULL_WRITE_SYNC | HULL_WRITE_SYNC_DIR,
                                   err);
}

int hull_write_file_volatile(const char *path, const char *data, size_t len, mode_t mode,
                             hull_error *err)
{
    return hull_write_file_replace(path, data, len, mode, 0, err);
}

int hull_mkdir_p(const char *path, mode_t mode, hull_error *err)
{
    _cleanup_free_ char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return hull_error_set(err, errno, "mkdir %s", p);
        *s = '/';
    }
    if (mkdir(p, mode) < 0 && errno != EEXIST)
        return hull_error_set(err, errno, "mkdir %s", p);
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
    return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int hull_rm_rf(const char *path)
{
    /* FTW_PHYS: never follow symlinks; FTW_MOUNT: never cross into a mount. */
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

bool hull_str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int hull_parse_u64(const char *s, unsigned long long *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    return 0;
}

static const struct {
    const char *name;
    int num;
} signals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int hull_parse_signal(const char *s)
{
    unsigned long long n;
    if (s == NULL || *s == '\0')
        return -1;
    if (hull_parse_u64(s, &n) == 0)
        return n >= 1 && n <= (unsigned long long)SIGRTMAX ? (int)n : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < HULL_ARRAY_SIZE(signals); i++)
        if (strcasecmp(s, signals[i].name) == 0)
            return signals[i].num;
    if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
        int base = strncasecmp(s, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
        int sign = base == SIGRTMIN ? 1 : -1;
        const char *rest = s + 5;
        if (*rest == '\0')
            return base;
        if ((*rest == '+' && sign > 0) || (*rest == '-' && sign < 0)) {
            if (hull_parse_u64(rest + 1, &n) == 0 && n <= (unsigned long long)(SIGRTMAX - SIGRTMIN))
                return base + sign * (int)n;
        }
    }
    return -1;
}

int hull_parse_size(const char *s, long long *out)
{
    unsigned long long v, mult = 1;
    _cleanup_free_ char *num = NULL;
    size_t n;

    if (s == NULL || *s == '\0')
        return -1;
    if (strcmp(s, "-1") == 0) {
        *out = -1;
        return 0;
    }
    num = xstrdup(s);
    n = strlen(num);
    if (n > 1 && (num[n - 1] == 'b' || num[n - 1] == 'B'))
        num[--n] = '\0';
    if (n > 1) {
        switch (num[n - 1]) {
        case 'k':
        case 'K':
            mult = 1ULL << 10;
            break;
        case 'm':
        case 'M':
            mult = 1ULL << 20;
            break;
        case 'g':
        case 'G':
            mult = 1ULL << 30;
            break;
        case 't':
        case 'T':
            mult = 1ULL << 40;
            break;
        default:
            break;
        }
        if (mult != 1)
            num[--n] = '\0';
    }
    if (hull_parse_u64(num, &v) < 0 || v > (unsigned long long)LLONG_MAX / mult)
        return -1;
    *out = (long long)(v * mult);
    return 0;
}

int hull_filters_match(char **filters, hull_filter_fn match, const void *obj, hull_error *err)
{
    for (size_t k = 0; filters && filters[k]; k++) {
        const char *eq = strchr(filters[k], '=');
        size_t klen = eq ? (size_t)(eq - filters[k]) + 1 : strlen(filters[k]);
        int any = 0;
        for (size_t i = 0; filters[i] && !any; i++) {
            if (strncmp(filters[i], filters[k], klen) != 0)
                continue;
            any = match(obj, filters[i], err);
            if (any < 0)
                return -1;
        }
        if (!any)
            return 0;
    }
    return 1;
}
