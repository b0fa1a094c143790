/* The docker json-file log driver's format: one JSON object per line of
 * output, {"log":"...","stream":"stdout|stderr","time":"RFC3339Nano"}, with
 * size rotation. Shared by hull-monitor (which writes it) and nothing else
 * that would pull in jansson: it is plain libc so the static monitor stays
 * small. */
#ifndef HULL_ENGINE_JSONLOG_H
#define HULL_ENGINE_JSONLOG_H

#include <stddef.h>
#include <sys/types.h>

#define HULL_JSONLOG_MAX_BYTES (10u << 20) /* rotate at 10 MiB */

struct hull_jsonlog {
    int fd;     /* -1: not open (records are dropped) */
    char *path; /* owned */
    off_t size;
};

/* Open (append) the log at `path`; l->fd is -1 if that failed. */
void hull_jsonlog_open(struct hull_jsonlog *l, const char *path);
/* Append `data` as records of `stream` ("stdout" or "stderr"), one per line;
 * a last partial line is a record of its own, as docker does on a flush.
 * Past HULL_JSONLOG_MAX_BYTES the file is renamed to PATH.1 (docker's
 * max-file=2) and a new one started. */
void hull_jsonlog_write(struct hull_jsonlog *l, const char *stream, const char *data, size_t n);
void hull_jsonlog_close(struct hull_jsonlog *l);

#endif
