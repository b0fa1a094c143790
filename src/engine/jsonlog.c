/* The json-file log writer (see jsonlog.h). libc only: it is linked into the
 * static hull-monitor. */
#include "jsonlog.h"
#include "../base/util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void hull_jsonlog_open(struct hull_jsonlog *l, const char *path)
{
    struct stat st;

    l->path = xstrdup(path);
    l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    l->size = l->fd >= 0 && fstat(l->fd, &st) == 0 ? st.st_size : 0;
}

void hull_jsonlog_close(struct hull_jsonlog *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    free(l->path);
    l->path = NULL;
}

static void json_escape_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char tmp[8];
        const char *out = tmp;
        size_t olen;
        if (ch == '"' || ch == '\\') {
            tmp[0] = '\\', tmp[1] = (char)ch, olen = 2;
        } else if (ch == '\n') {
            out = "\\n", olen = 2;
        } else if (ch == '\r') {
            out = "\\r", olen = 2;
        } else if (ch == '\t') {
            out = "\\t", olen = 2;
        } else if (ch < 0x20) {
            olen = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", ch);
        } else {
            tmp[0] = (char)ch, olen = 1;
        }
        if (*len + olen + 1 > *cap) {
            *cap = (*cap + olen) * 2;
            *buf = xrealloc(*buf, *cap);
        }
        memcpy(*buf + *len, out, olen);
        *len += olen;
    }
}

static void rotate(struct hull_jsonlog *l)
{
    _cleanup_free_ char *old = xasprintf("%s.1", l->path);
    rename(l->path, old);
    if (l->fd >= 0)
        close(l->fd);
    l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    l->size = 0;
}

void hull_jsonlog_write(struct hull_jsonlog *l, const char *stream, const char *data, size_t n)
{
    char ts[64];
    struct timespec now;
    struct tm tm;
    size_t start = 0;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec);
    while (start < n) {
        const char *nl = memchr(data + start, '\n', n - start);
        size_t end = nl ? (size_t)(nl - data) + 1 : n;
        size_t cap = 256 + (end - start) * 2, len = 0;
        _cleanup_free_ char *buf = xmalloc0(cap);
        len += (size_t)snprintf(buf, cap, "{\"log\":\"");
        json_escape_append(&buf, &len, &cap, data + start, end - start);
        if (len + 128 > cap) {
            cap = len + 128;
            buf = xrealloc(buf, cap);
        }
        len += (size_t)snprintf(buf + len, cap - len, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
                                stream, ts);
        if (l->size + (off_t)len > (off_t)HULL_JSONLOG_MAX_BYTES)
            rotate(l);
        if (l->fd >= 0 && hull_write_all(l->fd, buf, len) == 0)
            l->size += (off_t)len;
        start = end;
    }
}
