/* Small helpers shared by every layer: memory, files, strings. */
#ifndef HULL_BASE_UTIL_H
#define HULL_BASE_UTIL_H

#include <stddef.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "cleanup.h"

/* Allocation failure is not recoverable in a runtime; these abort with a message. */
void *xmalloc0(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file (at most max bytes, else EFBIG) into a NUL-terminated buffer. */
int hull_read_file(const char *path, size_t max, char **out, size_t *len, hull_error *err);
int hull_read_fd(int fd, size_t max, char **out, size_t *len, hull_error *err);

/* Write `data` to an existing file (no O_CREAT), as sysfs/procfs/cgroupfs want. */
int hull_write_file_at(int dirfd, const char *path, const char *data, size_t len, hull_error *err);

/* Atomic replace: write temp in the same directory, fsync, rename, fsync dir. A crash
 * at any point leaves either the old or the new content, never a mix. */
int hull_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
                           hull_error *err);

/* The same replace without the fsyncs, for state that does not outlive a boot (the
 * run root: runtime state.json, bundles, pid files). kill -9 cannot lose what is
 * in the page cache and rename keeps readers from seeing half a file; only a power
 * loss could, and then the containers that state describes are gone too. Readers
 * must treat an empty or unparsable file as "gone". */
int hull_write_file_volatile(const char *path, const char *data, size_t len, mode_t mode,
                             hull_error *err);
/* Both of the above, with the syncs chosen: HULL_WRITE_SYNC fsyncs the file
 * before the rename, HULL_WRITE_SYNC_DIR the directory after it (several files
 * replaced in one directory need only the last one to sync it). */
#define HULL_WRITE_SYNC     1u
#define HULL_WRITE_SYNC_DIR 2u
int hull_write_file_replace(const char *path, const char *data, size_t len, mode_t mode,
                            unsigned flags, hull_error *err);

/* mkdir -p with mode; existing directories are fine. */
int hull_mkdir_p(const char *path, mode_t mode, hull_error *err);

/* docker's way of combining --filter KEY=VALUE strings: every key must match,
 * and a key given several times matches if any of its values does. `match`
 * returns 1, 0, or -1 with err set (which stops the check). */
typedef int (*hull_filter_fn)(const void *obj, const char *filter, hull_error *err);
int hull_filters_match(char **filters, hull_filter_fn match, const void *obj, hull_error *err);

/* Remove a directory tree without following symlinks (used on our own state dirs). */
int hull_rm_rf(const char *path);

/* Write all bytes, retrying on EINTR/short writes. */
int hull_write_all(int fd, const void *buf, size_t len);
ssize_t hull_read_all(int fd, void *buf, size_t len);

bool hull_str_has_prefix(const char *s, const char *prefix);

/* Parse a signal given as a name ("KILL", "SIGKILL", "sigterm") or a number. */
int hull_parse_signal(const char *s);

/* Unsigned decimal parser for untrusted text: rejects signs, junk and overflow. */
int hull_parse_u64(const char *s, unsigned long long *out);

/* Sizes as docker/runc accept them: "1024", "64k", "64m", "1g" (binary units,
 * optional trailing "b"); "-1" gives -1 (unlimited). */
int hull_parse_size(const char *s, long long *out);

#endif
