/* Block I/O counters in runc's stats shape (types/events.go Blkio):
 *   "blkio": {"ioServiceBytesRecursive": [{"major", "minor", "op", "value"}, ...],
 *             "ioServicedRecursive":     [...]}
 * from cgroup v1's blkio.*io_service{_bytes,d}_recursive files or cgroup v2's io.stat.
 *
 * Only the text is parsed here; v1.c and v2.c choose the files. The numbers come from
 * the kernel, but a line that does not parse is skipped rather than trusted. */
#include "resources.h"

#include <stdio.h>
#include <string.h>

#include "../../base/util.h"

static void append_entry(json_t *arr, unsigned maj, unsigned min, const char *op,
                         unsigned long long v)
{
    json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:I}", "major", (json_int_t)maj, "minor",
                                         (json_int_t)min, "op", op, "value",
                                         (json_int_t)(v > INT64_MAX ? INT64_MAX : v)));
}

/* "MAJ:MIN" at the start of *p; advances past it and the blanks after. */
static bool parse_dev(char **p, unsigned *maj, unsigned *min)
{
    int n = 0;
    if (sscanf(*p, "%u:%u%n", maj, min, &n) != 2 || n == 0)
        return false;
    *p += n;
    *p += strspn(*p, " \t");
    return true;
}

size_t hull_cg_parse_blkio_v1(const char *text, json_t *entries)
{
    _cleanup_free_ char *s = xstrdup(text ? text : "");
    char *save = NULL;
    size_t n = 0;

    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned maj, min;
        unsigned long long v;
        char *op = line, *val;

        /* The last line, "Total N", sums every device: no device, not an entry. */
        if (!parse_dev(&op, &maj, &min))
            continue;
        val = strchr(op, ' ');
        if (val == NULL)
            continue;
        *val++ = '\0';
        if (*op == '\0' || hull_parse_u64(val, &v) < 0)
            continue;
        append_entry(entries, maj, min, op, v);
        n++;
    }
    return n;
}

void hull_cg_parse_io_stat(const char *text, json_t *blkio)
{
    /* runc's fs2 names: bytes and ios of reads and writes (discards are left out, as
     * runc and dockerd do). */
    static const struct {
        const char *key, *op, *list;
    } fields[] = {{"rbytes", "Read", "ioServiceBytesRecursive"},
                  {"wbytes", "Write", "ioServiceBytesRecursive"},
                  {"rios", "Read", "ioServicedRecursive"},
                  {"wios", "Write", "ioServicedRecursive"}};
    _cleanup_free_ char *s = xstrdup(text ? text : "");
    char *save = NULL;

    for (size_t i = 0; i < HULL_ARRAY_SIZE(fields); i++)
        if (json_object_get(blkio, fields[i].list) == NULL)
            json_object_set_new(blkio, fields[i].list, json_array());
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned maj, min;
        char *p = line, *save2 = NULL;

        if (!parse_dev(&p, &maj, &min))
            continue;
        for (char *kv = strtok_r(p, " ", &save2); kv; kv = strtok_r(NULL, " ", &save2)) {
            char *eq = strchr(kv, '=');
            unsigned long long v;
            if (eq == NULL)
                continue;
            *eq = '\0';
            if (hull_parse_u64(eq + 1, &v) < 0)
                continue;
            for (size_t i = 0; i < HULL_ARRAY_SIZE(fields); i++)
                if (strcmp(kv, fields[i].key) == 0)
                    append_entry(json_object_get(blkio, fields[i].list), maj, min, fields[i].op, v);
        }
    }
}
