#include "db.h"
#include "../base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char pragmas[] = "PRAGMA journal_mode=WAL;"
                              "PRAGMA synchronous=NORMAL;"
                              "PRAGMA wal_autocheckpoint=128;"
                              "PRAGMA journal_size_limit=1048576;";

/* The first version; run only on a database older than the latest migration
 * (a new one has user_version 0), so a current database skips parsing it. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS containers ("
    " id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, image TEXT, command TEXT,"
    " created INTEGER NOT NULL, state TEXT NOT NULL, pid INTEGER DEFAULT 0,"
    " monitor_pid INTEGER DEFAULT 0, monitor_start INTEGER DEFAULT 0,"
    " exit_code INTEGER DEFAULT 0, started_at INTEGER DEFAULT 0, finished_at INTEGER DEFAULT 0,"
    " opts TEXT NOT NULL, rootfs TEXT, abnormal INTEGER DEFAULT 0, reason TEXT,"
    " restart_count INTEGER DEFAULT 0, network TEXT, ip TEXT, ports TEXT, volumes TEXT);"
    "CREATE TABLE IF NOT EXISTS events ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, type TEXT NOT NULL,"
    " container TEXT, name TEXT, image TEXT, exit_code INTEGER, signal INTEGER,"
    " abnormal INTEGER DEFAULT 0, reason TEXT);"
    "CREATE INDEX IF NOT EXISTS events_time ON events(time);";

int64_t hull_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Schema changes after the first version, each one transaction that also
 * bumps PRAGMA user_version: an existing database gains what it lacks, a
 * concurrent hull that got there first is seen under the write lock.
 * 1: container_networks, the networks a running container was connected to
 *    after start (`hull network connect`); container_nets, every network
 *    attachment with an address (its first network is eth0 in containers).
 * 2: container_networks keeps a container's connections across stop/start
 *    (ip is the address while attached, NULL otherwise; ip_req the --ip
 *    asked for), so container_nets lists only attached ones; the rows go
 *    with the container's row.
 * 3: containers.spec, the OCI config of the container: its bundle lives in
 *    the volatile run root, and `start` after a reboot writes it again.
 * 4: network aliases (--network-alias, connect --alias), a JSON array per
 *    attachment: containers.aliases for the first network,
 *    container_networks.aliases for the others; container_nets shows them. */
static const char *const migrations[] = {
    "CREATE TABLE IF NOT EXISTS container_networks ("
    " id TEXT NOT NULL, network TEXT NOT NULL, ifname TEXT NOT NULL, ip TEXT,"
    " PRIMARY KEY (id, network));"
    "CREATE VIEW IF NOT EXISTS container_nets AS"
    " SELECT id, network, 'eth0' AS ifname, ip FROM containers WHERE ip IS NOT NULL"
    " UNION ALL SELECT id, network, ifname, ip FROM container_networks;",
    "ALTER TABLE container_networks ADD COLUMN ip_req TEXT;"
    "DROP VIEW IF EXISTS container_nets;"
    "CREATE VIEW container_nets AS"
    " SELECT id, network, 'eth0' AS ifname, ip FROM containers WHERE ip IS NOT NULL"
    " UNION ALL SELECT id, network, ifname, ip FROM container_networks WHERE ip IS NOT NULL;"
    "CREATE TRIGGER IF NOT EXISTS container_networks_gc AFTER DELETE ON containers"
    " BEGIN DELETE FROM container_networks WHERE id=old.id; END;",
    "ALTER TABLE containers ADD COLUMN spec TEXT;",
    "ALTER TABLE containers ADD COLUMN aliases TEXT;"
    "ALTER TABLE container_networks ADD COLUMN aliases TEXT;"
    "DROP VIEW IF EXISTS container_nets;"
    "CREATE VIEW container_nets AS"
    " SELECT id, network, 'eth0' AS ifname, ip, aliases FROM containers WHERE ip IS NOT NULL"
    " UNION ALL SELECT id, network, ifname, ip, aliases FROM container_networks"
    " WHERE ip IS NOT NULL;",
};

/* Wait for another hull's lock up to 30 s. SQLite's own handler sleeps 1, 2,
 * 5, 10... ms while our transactions last well under a millisecond: start at
 * 50 us and double up to 5 ms. */
static int busy_wait(void *arg, int n)
{
    const long cap_us = 5000, limit_us = 30L * 1000 * 1000;
    /* Slept so far: 50 * (2^n - 1) for the doubling steps, then cap_us each. */
    long spent = n <= 7 ? 50L * ((1L << n) - 1) : 50L * 127 + (long)(n - 7) * cap_us;

    (void)arg;
    if (spent >= limit_us)
        return 0;
    usleep((useconds_t)(n < 7 ? 50L << n : cap_us));
    return 1;
}

/* sqlite3_exec, waiting as busy_wait does when the database is busy. SQLite
 * skips the busy handler where waiting could deadlock: a new database's switch
 * to WAL (a reader must become its only writer) while other processes open it,
 * as 50 concurrent `hull run` in a fresh root do. Every batch run through
 * here is idempotent. */
static int exec_waiting(sqlite3 *db, const char *sql, char **msg)
{
    for (int n = 0;; n++) {
        int rc = sqlite3_exec(db, sql, NULL, NULL, msg);
        if ((rc & 0xff) != SQLITE_BUSY || !busy_wait(NULL, n))
            return rc;
        sqlite3_free(*msg);
        *msg = NULL;
    }
}

static int user_version(sqlite3 *db, int *v, hull_error *err)
{
    json_t *rows;
    if (hull_db_query(db, &rows, err, "PRAGMA user_version", NULL) < 0)
        return -1;
    *v = (int)json_integer_value(json_object_get(json_array_get(rows, 0), "user_version"));
    json_decref(rows);
    return 0;
}

static int migrate(sqlite3 *db, hull_error *err)
{
    const int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));
    char *msg = NULL, set[64];
    int v;

    if (user_version(db, &v, err) < 0)
        return -1;
    if (v >= latest)
        return 0;
    if (exec_waiting(db, schema, &msg) != SQLITE_OK) {
        hull_error_msg(err, EIO, "schema: %s", msg ? msg : "failed");
        sqlite3_free(msg);
        return -1;
    }
    if (hull_db_begin(db, err) < 0)
        return -1;
    if (user_version(db, &v, err) < 0)
        goto fail;
    for (; v < latest; v++) {
        snprintf(set, sizeof(set), "PRAGMA user_version=%d", v + 1);
        if (sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, set, NULL, NULL, &msg) != SQLITE_OK) {
            hull_error_msg(err, EIO, "schema migration %d: %s", v + 1, msg ? msg : "failed");
            sqlite3_free(msg);
            goto fail;
        }
    }
    return hull_db_commit(db, err);
fail:
    hull_db_rollback(db);
    return -1;
}

int hull_db_open(const char *path, sqlite3 **out, hull_error *err)
{
    sqlite3 *db = NULL;
    char *msg = NULL;

    if (sqlite3_open_v2(path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        hull_error_msg(err, EIO, "open database %s: %s", path,
                       db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    /* Concurrent hull processes (50 `run -d` at once) wait for each other. */
    sqlite3_busy_handler(db, busy_wait, NULL);
    /* Every hull command is a short-lived process, usually the last one on the
     * database: by default its close checkpoints (two fdatasyncs) and deletes the
     * WAL and -shm files, which the next command creates again. Keep them; the
     * WAL is checkpointed every 128 pages by whichever commit crosses that. */
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    if (exec_waiting(db, pragmas, &msg) != SQLITE_OK) {
        hull_error_msg(err, EIO, "database %s: %s", path, msg ? msg : "pragmas");
        sqlite3_free(msg);
        sqlite3_close(db);
        return -1;
    }
    if (migrate(db, err) < 0) {
        hull_error_prefix(err, "database %s", path);
        sqlite3_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

static int prepare(sqlite3 *db, sqlite3_stmt **st, hull_error *err, const char *sql,
                   const char *types, va_list ap)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return hull_error_msg(err, EIO, "database: %s", sqlite3_errmsg(db));
    for (int i = 0; types && types[i]; i++) {
        int r;
        switch (types[i]) {
        case 's': {
            const char *v = va_arg(ap, const char *);
            r = v ? sqlite3_bind_text(*st, i + 1, v, -1, SQLITE_TRANSIENT)
                  : sqlite3_bind_null(*st, i + 1);
            break;
        }
        case 'i':
            r = sqlite3_bind_int64(*st, i + 1, va_arg(ap, int64_t));
            break;
        case 'd':
            r = sqlite3_bind_double(*st, i + 1, va_arg(ap, double));
            break;
        default:
            r = SQLITE_MISUSE;
            break;
        }
        if (r != SQLITE_OK) {
            sqlite3_finalize(*st);
            return hull_error_msg(err, EIO, "database: bind: %s", sqlite3_errmsg(db));
        }
    }
    return 0;
}

int hull_db_exec(sqlite3 *db, hull_error *err, const char *sql, const char *types, ...)
{
    sqlite3_stmt *st;
    va_list ap;
    int r;

    va_start(ap, types);
    r = prepare(db, &st, err, sql, types, ap);
    va_end(ap);
    if (r < 0)
        return -1;
    r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE && r != SQLITE_ROW) {
        if (r == SQLITE_CONSTRAINT)
            return hull_error_msg(err, EEXIST, "database: %s", sqlite3_errmsg(db));
        return hull_error_msg(err, EIO, "database: %s", sqlite3_errmsg(db));
    }
    return 0;
}

int hull_db_query(sqlite3 *db, json_t **rows, hull_error *err, const char *sql, const char *types,
                  ...)
{
    sqlite3_stmt *st;
    va_list ap;
    json_t *arr;
    int r;

    va_start(ap, types);
    r = prepare(db, &st, err, sql, types, ap);
    va_end(ap);
    if (r < 0)
        return -1;
    arr = json_array();
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *name = sqlite3_column_name(st, c);
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER:
                json_object_set_new(o, name, json_integer(sqlite3_column_int64(st, c)));
                break;
            case SQLITE_FLOAT:
                json_object_set_new(o, name, json_real(sqlite3_column_double(st, c)));
                break;
            case SQLITE_NULL:
                json_object_set_new(o, name, json_null());
                break;
            default:
                json_object_set_new(o, name, json_string((const char *)sqlite3_column_text(st, c)));
                break;
            }
        }
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(st);
    if (r != SQLITE_DONE) {
        json_decref(arr);
        return hull_error_msg(err, EIO, "database: %s", sqlite3_errmsg(db));
    }
    *rows = arr;
    return 0;
}

int hull_db_begin(sqlite3 *db, hull_error *err)
{
    return hull_db_exec(db, err, "BEGIN IMMEDIATE", NULL);
}

int hull_db_commit(sqlite3 *db, hull_error *err)
{
    return hull_db_exec(db, err, "COMMIT", NULL);
}

void hull_db_rollback(sqlite3 *db)
{
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int hull_db_event(sqlite3 *db, const char *type, const char *id, const char *name,
                  const char *image, int exit_code, int sig, bool abnormal, const char *reason)
{
    return hull_db_exec(db, NULL,
                        "INSERT INTO events(time,type,container,name,image,exit_code,signal,"
                        "abnormal,reason) VALUES(?,?,?,?,?,?,?,?,?)",
                        "issssiiis", hull_now_ns(), type, id, name, image, (int64_t)exit_code,
                        (int64_t)sig, (int64_t)abnormal, reason);
}
