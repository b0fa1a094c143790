/* `hull network connect/disconnect`: a container's further networks, as
 * docker keeps them. A connection is a container_networks row (network,
 * interface, requested --ip) that lasts until disconnect or rm; while the
 * container runs it is also a CNI ADD (network.c) as the container's next
 * interface (eth1, eth2, ...) in its pinned network namespace, cached per
 * (container, network), with its address in the row. Every teardown path's
 * hull_network_release DELs them all and forgets the addresses; every start
 * ADDs them again (hull_network_attach_connected). A created or stopped
 * container is connected by the row alone. */
#include "internal.h"
#include "../base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

char *hull_network_mode(json_t *r)
{
    const char *net = json_string_value(json_object_get(r, "network")) ?: "none";
    json_t *opts;
    char *mode;

    if (strcmp(net, "none") != 0)
        return xstrdup(net);
    opts = json_loads(json_string_value(json_object_get(r, "opts")) ?: "", 0, NULL);
    mode = xstrdup(json_string_value(json_object_get(opts, "network")) ?: "none");
    json_decref(opts);
    return mode;
}

/* Networks that resolve names between their members: docker's
 * user-defined ones, not its default bridge, host, none or container:X. */
static bool user_defined(const char *network)
{
    return strcmp(network, "bridge") != 0 && strcmp(network, "host") != 0 &&
           strcmp(network, "none") != 0 && !hull_str_has_prefix(network, HULL_NET_CONTAINER);
}

int hull_network_check_aliases(const char *field, const char *network, char *const *aliases,
                               hull_error *err)
{
    for (size_t i = 0; aliases && aliases[i]; i++)
        if (!hull_engine_name_ok(aliases[i]))
            return hull_error_msg(err, EINVAL,
                                  "%s \"%s\": invalid alias: use a-z, A-Z, 0-9, _, . and - "
                                  "(not first), at most 128",
                                  field, aliases[i]);
    if (aliases && aliases[0] && !user_defined(network))
        return hull_error_msg(err, EINVAL,
                              "%s %s: network-scoped alias is supported only for containers in "
                              "user defined networks (not %s)",
                              field, aliases[0], network);
    return 0;
}

char *hull_network_aliases_json(char *const *aliases)
{
    json_t *arr;
    char *s;

    if (aliases == NULL || aliases[0] == NULL)
        return NULL;
    arr = json_array();
    for (size_t i = 0; aliases[i]; i++)
        json_array_append_new(arr, json_string(aliases[i]));
    s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

/* Why container row `r` (network mode `mode`) cannot take part in a
 * connect/disconnect, or NULL: docker's reasons, word for word where it
 * has one. host and container:X share a namespace that is not the
 * container's own; a --network none container stays private (one whose
 * first network was disconnected keeps its mode, and may be connected). */
static const char *refusal(const char *verb, const char *mode)
{
    bool shared = strcmp(mode, "host") == 0 || hull_str_has_prefix(mode, HULL_NET_CONTAINER);

    if (strcmp(verb, "connect") != 0)
        return shared ? "it has no network namespace of its own" : NULL;
    if (shared)
        return "container sharing network namespace with another container or host cannot be "
               "connected to any other network";
    if (strcmp(mode, "none") == 0)
        return "container cannot be connected to multiple networks with one of the networks in "
               "private (none) mode";
    return NULL;
}

/* The container `ref` for connect/disconnect: its row (*row_out), if it
 * may change networks (see refusal). Any state: a created or stopped
 * container's connections apply at its next start. */
static int connect_target(struct hull_engine *e, const char *verb, const char *ref,
                          json_t **row_out, hull_error *err)
{
    _cleanup_free_ char *id = NULL, *mode = NULL;
    const char *why;
    json_t *rows;

    if (hull_engine_lookup(e, ref, &id, err) < 0)
        return hull_error_prefix(err, "network %s", verb);
    if (hull_db_query(e->db, &rows, err,
                      "SELECT id, name, state, pid, network, ip, opts FROM containers WHERE id=?",
                      "s", id) < 0)
        return -1;
    if (json_array_size(rows) != 1) {
        json_decref(rows);
        return hull_error_msg(err, ENOENT, "network %s: no such container: %s", verb, ref);
    }
    *row_out = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    mode = hull_network_mode(*row_out);
    if ((why = refusal(verb, mode)) != NULL) {
        hull_error_msg(err, EINVAL, "network %s: container %s (--network %s): %s", verb, ref, mode,
                       why);
        json_decref(*row_out);
        *row_out = NULL;
        return -1;
    }
    return 0;
}

int hull_network_lock(struct hull_engine *e, const char *id, hull_error *err)
{
    _cleanup_free_ char *dir = hull_engine_dir(e, id);
    _cleanup_free_ char *path = xasprintf("%s/network.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd < 0)
        return hull_error_set(err, errno, "container %s: open %s", id, path);
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            hull_error_set(err, errno, "container %s: lock %s", id, path);
            close(fd);
            return -1;
        }
    }
    return fd;
}

static bool row_running(json_t *row)
{
    return strcmp(json_string_value(json_object_get(row, "state")) ?: "", "running") == 0;
}

/* The interface name of container `id`'s attachment to `network`
 * (connected after start), or NULL. */
static char *connected_ifname(struct hull_engine *e, const char *id, const char *network)
{
    json_t *rows = NULL;
    char *r = NULL;

    if (hull_db_query(e->db, &rows, NULL,
                      "SELECT ifname FROM container_networks WHERE id=? AND network=?", "ss", id,
                      network) == 0 &&
        json_array_size(rows) == 1)
        r = xstrdup(json_string_value(json_object_get(json_array_get(rows, 0), "ifname")));
    json_decref(rows);
    return r;
}

/* The first of eth1, eth2, ... that no connection of `id` uses, nor an
 * attachment a killed connect left behind (still in its namespace until
 * the teardown's DEL). */
static char *next_ifname(struct hull_engine *e, const char *id)
{
    for (int n = 1;; n++) {
        char *name = xasprintf("eth%d", n);
        json_t *rows;
        size_t used = 1;
        if (hull_db_query(e->db, &rows, NULL,
                          "SELECT 1 FROM container_networks WHERE id=? AND ifname=?", "ss", id,
                          name) == 0) {
            used = json_array_size(rows);
            json_decref(rows);
        }
        if (!used && !hull_network_ifname_cached(e, id, name))
            return name;
        free(name);
    }
}

/* The network namespace of a running container, pinned (a bridged
 * container's already is; a --network none one gets pinned here so that the
 * DEL on every teardown path has it). *pinned_now: this call pinned it. */
static char *connect_netns(struct hull_engine *e, json_t *row, bool *pinned_now, hull_error *err)
{
    const char *id = json_string_value(json_object_get(row, "id"));
    _cleanup_free_ char *bundle = hull_engine_bundle(e, id);
    char *path = xasprintf("%s/netns", bundle);
    pid_t init = (pid_t)json_integer_value(json_object_get(row, "pid"));

    *pinned_now = false;
    if (access(path, F_OK) == 0)
        return path;
    free(path);
    if (init <= 0) {
        hull_error_msg(err, ESRCH, "container %s has no init process", id);
        return NULL;
    }
    *pinned_now = true;
    return hull_network_pin(e, id, init, err);
}

static int check_ip(const char *ip, hull_error *err)
{
    struct in_addr a;
    if (ip && inet_pton(AF_INET, ip, &a) != 1)
        return hull_error_msg(err, EINVAL, "--ip \"%s\": expected an IPv4 address", ip);
    return 0;
}

/* --ip must lie in the network's subnet (first range of its bridge plugin):
 * refused here with the subnet named rather than by host-local mid-ADD. */
static int check_ip_in_subnet(const char *ip, const char *network, json_t *list, hull_error *err)
{
    json_t *plugin;
    size_t i;

    if (ip == NULL)
        return 0;
    json_array_foreach (json_object_get(list, "plugins"), i, plugin) {
        const char *subnet = json_string_value(json_object_get(
            json_array_get(
                json_array_get(json_object_get(json_object_get(plugin, "ipam"), "ranges"), 0), 0),
            "subnet"));
        _cleanup_free_ char *base = NULL;
        struct in_addr a, b;
        unsigned bits;
        uint32_t mask;
        if (subnet == NULL || strchr(subnet, '/') == NULL)
            continue;
        base = xstrdup(subnet);
        *strchr(base, '/') = '\0';
        bits = (unsigned)atoi(strchr(subnet, '/') + 1);
        if (inet_pton(AF_INET, base, &b) != 1 || inet_pton(AF_INET, ip, &a) != 1 || bits > 32)
            continue;
        mask = bits ? htonl(~0u << (32 - bits)) : 0;
        if ((a.s_addr & mask) != (b.s_addr & mask))
            return hull_error_msg(err, EINVAL, "--ip %s: not in network %s's subnet %s", ip,
                                  network, subnet);
        return 0;
    }
    return 0;
}

/* connect_target under the container's network lock (*lock): the row is
 * read again once it is held, so a start that held it is seen running. */
static int locked_target(struct hull_engine *e, const char *verb, const char *ref, json_t **row_out,
                         int *lock, hull_error *err)
{
    _cleanup_free_ char *id = NULL;

    if (connect_target(e, verb, ref, row_out, err) < 0)
        return -1;
    id = xstrdup(json_string_value(json_object_get(*row_out, "id")));
    json_decref(*row_out);
    *row_out = NULL;
    if ((*lock = hull_network_lock(e, id, err)) < 0)
        return -1;
    return connect_target(e, verb, id, row_out, err);
}

/* The live half of a connect: ADD `network` to running container `row` as
 * its next interface, then record the connection with its address. */
static int connect_running(struct hull_engine *e, json_t *row, const char *network, const char *ip,
                           const char *aliases, hull_error *err)
{
    const char *id = json_string_value(json_object_get(row, "id"));
    _cleanup_free_ char *ifname = NULL, *netns = NULL, *addr = NULL;
    bool pinned_now = false;

    if ((netns = connect_netns(e, row, &pinned_now, err)) == NULL)
        return -1;
    /* A connect of this network killed mid-ADD (kill -9 of hull) left its
     * cache and no row: its DEL comes first (no-op without a cache). */
    hull_network_del_connected(e, id, network, netns);
    ifname = next_ifname(e, id);
    if (hull_network_add_connected(e, id, network, netns, ifname, ip, &addr, err) < 0)
        goto undo;
    if (hull_db_exec(e->db, err,
                     "INSERT INTO container_networks(id, network, ifname, ip, ip_req, aliases) "
                     "VALUES(?,?,?,?,?,?)",
                     "ssssss", id, network, ifname, addr, ip, aliases) < 0) {
        hull_network_del_connected(e, id, network, netns);
        goto undo;
    }
    /* The container may have exited meanwhile and its teardown not seen this
     * attachment: then it is released here, and stays recorded (as for a
     * stopped container) for the next start. */
    {
        json_t *rows = NULL;
        bool still = hull_db_query(e->db, &rows, NULL,
                                   "SELECT 1 FROM containers WHERE id=? AND state='running'", "s",
                                   id) == 0 &&
                     json_array_size(rows) == 1;
        json_decref(rows);
        if (!still) {
            hull_network_del_connected(e, id, network, netns);
            hull_db_exec(e->db, NULL,
                         "UPDATE container_networks SET ip=NULL WHERE id=? AND network=?", "ss", id,
                         network);
            if (pinned_now) {
                umount2(netns, MNT_DETACH);
                unlink(netns);
            }
            return 0;
        }
    }
    hull_network_update_hosts(e, network, NULL);
    return 0;
undo:
    if (pinned_now) {
        umount2(netns, MNT_DETACH);
        unlink(netns);
    }
    return -1;
}

int hull_network_connect(struct hull_engine *e, const char *network, const char *ref,
                         const char *ip, char *const *aliases, hull_error *err)
{
    _cleanup_close_ int lock = -1;
    _cleanup_free_ char *ifname = NULL, *aliases_s = hull_network_aliases_json(aliases);
    json_t *row = NULL, *list = NULL;
    const char *id, *primary;
    int ret = -1, r;

    if (check_ip(ip, err) < 0 || hull_network_check_aliases("--alias", network, aliases, err) < 0)
        return -1;
    /* docker's words: the container's own namespace cannot become the
     * host's, nor be made private once it has a network. */
    if (strcmp(network, "host") == 0)
        return hull_error_msg(err, EINVAL,
                              "network connect: network host: container cannot be disconnected "
                              "from host network or connected to host network");
    if (strcmp(network, "none") == 0)
        return hull_error_msg(err, EINVAL,
                              "network connect: network none: container cannot be connected to "
                              "multiple networks with one of the networks in private (none) mode");
    if (hull_network_load(e, network, &list, err) < 0)
        return hull_error_prefix(err, "network connect");
    r = check_ip_in_subnet(ip, network, list, err);
    json_decref(list);
    if (r < 0)
        return -1;
    if (locked_target(e, "connect", ref, &row, &lock, err) < 0)
        return -1;
    id = json_string_value(json_object_get(row, "id"));
    primary = json_string_value(json_object_get(row, "network")) ?: "none";
    if (strcmp(primary, network) == 0 || (ifname = connected_ifname(e, id, network)) != NULL) {
        hull_error_msg(err, EEXIST,
                       "network connect: container %s is already connected to "
                       "network %s",
                       ref, network);
        goto out;
    }
    if (row_running(row)) {
        ret = connect_running(e, row, network, ip, aliases_s, err);
        goto out;
    }
    /* Created or stopped: recorded, attached by the next start. */
    ifname = next_ifname(e, id);
    ret = hull_db_exec(e->db, err,
                       "INSERT INTO container_networks(id, network, ifname, ip, ip_req, aliases) "
                       "VALUES(?,?,?,NULL,?,?)",
                       "sssss", id, network, ifname, ip, aliases_s);
out:
    json_decref(row);
    return ret;
}

int hull_network_disconnect(struct hull_engine *e, const char *network, const char *ref, bool force,
                            hull_error *err)
{
    _cleanup_close_ int lock = -1;
    _cleanup_free_ char *ifname = NULL, *bundle = NULL, *pin = NULL;
    json_t *row = NULL, *list = NULL;
    const char *id, *primary, *netns;
    int ret = -1;

    if (strcmp(network, "none") == 0 || strcmp(network, "host") == 0)
        return hull_error_msg(
            err, EINVAL, "network disconnect: network %s: only bridge networks can be disconnected",
            network);
    /* -f: also from a network removed meanwhile (its connection is only
     * forgotten). */
    if (hull_network_load(e, network, &list, err) < 0) {
        if (!force || err->errnum != ENOENT)
            return hull_error_prefix(err, "network disconnect");
        hull_error_clear(err);
    }
    json_decref(list);
    if (locked_target(e, "disconnect", ref, &row, &lock, err) < 0)
        return -1;
    id = json_string_value(json_object_get(row, "id"));
    primary = json_string_value(json_object_get(row, "network")) ?: "none";
    bundle = hull_engine_bundle(e, id);
    pin = xasprintf("%s/netns", bundle);
    netns = access(pin, F_OK) == 0 ? pin : NULL;
    if (strcmp(primary, network) == 0) {
        /* Its first network (eth0) too, as docker allows: without one it is
         * left with what it was connected to later, or with lo alone, and
         * starts so from now on (its mode stays: hull_network_mode). Its
         * published ports were that attachment's (portmap): they go with it,
         * as docker drops them with the endpoint, and the host ports are
         * free for others. */
        hull_network_detach(e, id, netns);
        if (hull_db_exec(e->db, err,
                         "UPDATE containers SET network='none', ip=NULL, ports='[]', aliases=NULL "
                         "WHERE id=?",
                         "s", id) < 0)
            goto out;
    } else if ((ifname = connected_ifname(e, id, network)) == NULL) {
        hull_error_msg(err, ENOENT,
                       "network disconnect: container %s is not connected to network %s", ref,
                       network);
        goto out;
    } else {
        hull_network_del_connected(e, id, network, netns);
        if (hull_db_exec(e->db, err, "DELETE FROM container_networks WHERE id=? AND network=?",
                         "ss", id, network) < 0)
            goto out;
    }
    /* The network's members lose its name, and it loses theirs. */
    hull_network_update_hosts(e, network, NULL);
    hull_network_write_hosts(e, id, NULL);
    ret = 0;
out:
    json_decref(row);
    return ret;
}

/* The connections of container `id` (network, requested --ip) in the order
 * they were made. */
static json_t *connections(struct hull_engine *e, const char *id)
{
    json_t *rows = NULL;
    if (hull_db_query(e->db, &rows, NULL,
                      "SELECT network, ip_req FROM container_networks WHERE id=? ORDER BY rowid",
                      "s", id) < 0)
        return json_array();
    return rows;
}

bool hull_network_has_connected(struct hull_engine *e, const char *id)
{
    json_t *rows = connections(e, id);
    bool r = json_array_size(rows) > 0;
    json_decref(rows);
    return r;
}

/* Name the interfaces of the connections of `id` in order, after eth0 when
 * its first network has it (else from eth0), as docker numbers them at
 * start: one transaction. */
static int number_interfaces(struct hull_engine *e, const char *id, json_t *conns, bool has_eth0,
                             hull_error *err)
{
    json_t *c;
    size_t i;

    if (hull_db_begin(e->db, err) < 0)
        return -1;
    json_array_foreach (conns, i, c) {
        _cleanup_free_ char *ifname = xasprintf("eth%zu", i + (has_eth0 ? 1 : 0));
        if (hull_db_exec(e->db, err,
                         "UPDATE container_networks SET ifname=? WHERE id=? AND network=?", "sss",
                         ifname, id, json_string_value(json_object_get(c, "network"))) < 0) {
            hull_db_rollback(e->db);
            return -1;
        }
        json_object_set_new(c, "ifname", json_string(ifname));
    }
    return hull_db_commit(e->db, err);
}

int hull_network_attach_connected(struct hull_engine *e, const char *id, const char *netns,
                                  bool has_eth0, hull_error *err)
{
    json_t *conns = connections(e, id), *c;
    int ret = -1;
    size_t i;

    if (number_interfaces(e, id, conns, has_eth0, err) < 0)
        goto out;
    json_array_foreach (conns, i, c) {
        const char *network = json_string_value(json_object_get(c, "network"));
        _cleanup_free_ char *addr = NULL;
        if (hull_network_add_connected(
                e, id, network, netns, json_string_value(json_object_get(c, "ifname")),
                json_string_value(json_object_get(c, "ip_req")), &addr, err) < 0) {
            hull_error_prefix(err, "connected network %s", network);
            goto out;
        }
        if (hull_db_exec(e->db, err, "UPDATE container_networks SET ip=? WHERE id=? AND network=?",
                         "sss", addr, id, network) < 0)
            goto out;
    }
    json_array_foreach (conns, i, c)
        hull_network_update_hosts(e, json_string_value(json_object_get(c, "network")), id);
    ret = 0;
out:
    json_decref(conns);
    return ret;
}

/* The aliases of an attachment row (its "aliases" column) as a JSON
 * array, or null (docker's value without any). */
static json_t *aliases_of(json_t *row)
{
    const char *s = json_string_value(json_object_get(row, "aliases"));
    json_t *a = s ? json_loads(s, 0, NULL) : NULL;

    if (json_is_array(a))
        return a;
    json_decref(a);
    return json_null();
}

/* Docker's NetworkSettings.Networks of container row `r`: its first network
 * and those it was connected to, each with its address (empty while it does
 * not run). "none" only for a --network none container on no network; one
 * disconnected from all of them has none, as with docker. */
json_t *hull_network_settings(struct hull_engine *e, json_t *r)
{
    const char *net = json_string_value(json_object_get(r, "network"));
    _cleanup_free_ char *mode = hull_network_mode(r);
    json_t *nets = json_object(), *rows = NULL, *c;
    size_t i;

    if (net && strcmp(net, "none") == 0 && strcmp(mode, "none") != 0)
        net = NULL;

    if (hull_db_query(e->db, &rows, NULL,
                      "SELECT network, ifname, ip, aliases FROM container_networks WHERE id=? "
                      "ORDER BY ifname",
                      "s", json_string_value(json_object_get(r, "id"))) < 0)
        rows = json_array();
    if (net && !hull_str_has_prefix(net, HULL_NET_CONTAINER) &&
        !(strcmp(net, "none") == 0 && json_array_size(rows) > 0))
        json_object_set_new(
            nets, net,
            json_pack("{s:s, s:s, s:o}", "IPAddress",
                      json_string_value(json_object_get(r, "ip")) ?: "", "IfName",
                      strcmp(net, "host") == 0 || strcmp(net, "none") == 0 ? "" : "eth0", "Aliases",
                      aliases_of(r)));
    json_array_foreach (rows, i, c)
        json_object_set_new(nets, json_string_value(json_object_get(c, "network")),
                            json_pack("{s:s, s:s, s:o}", "IPAddress",
                                      json_string_value(json_object_get(c, "ip")) ?: "", "IfName",
                                      json_string_value(json_object_get(c, "ifname")), "Aliases",
                                      aliases_of(c)));
    json_decref(rows);
    return json_pack("{s:s, s:o}", "IPAddress", json_string_value(json_object_get(r, "ip")) ?: "",
                     "Networks", nets);
}
