/* Container networking through CNI plugins (Debian's containernetworking-
 * plugins): hull is the CNI runtime. A network is a conflist under
 * <root>/networks/<name>.conflist; ADD runs each plugin in order with the
 * previous result, the final result is cached under <root>/cni/results so
 * that DEL (in reverse order) works on every teardown path, even after the
 * container's network namespace is gone. Names resolve through /etc/hosts
 * files the engine keeps up to date for every container on a network.
 *
 * Outbound NAT and forward rules are per network, not per container: hull
 * keeps them in its own nftables table (nft.c), ensured on every attach, so
 * a container's ADD runs only bridge + host-local (+ portmap when it
 * publishes ports; + firewall only when the host's FORWARD policy drops). */
#include "internal.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

#define CNI_PATH    "/usr/lib/cni"
#define CNI_VERSION "1.0.0"

static char *xstrndup_upto(const char *s, char stop)
{
    const char *end = strchr(s, stop);
    size_t n = end ? (size_t)(end - s) : strlen(s);
    char *r = xmalloc0(n + 1);
    memcpy(r, s, n);
    return r;
}

static char *net_path(struct hull_engine *e, const char *name)
{
    return xasprintf("%s/networks/%s.conflist", e->root, name);
}

/* [a-z0-9_-]{1,max}: network names, and the bridge names spliced into
 * nftables commands. */
static bool valid_name(const char *n, size_t max)
{
    size_t len = strlen(n);
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '-' ||
              n[i] == '_'))
            return false;
    return true;
}

/* The conflist of a bridge network: bridge + host-local IPAM, portmap for
 * published ports, firewall for the FORWARD rules. NAT is hull's (nft.c):
 * ipMasq is off. container_conflist picks what one container needs. */
static json_t *bridge_conflist(struct hull_engine *e, const char *name, const char *bridge,
                               const char *subnet, const char *gateway)
{
    _cleanup_free_ char *ipam_dir = xasprintf("%s/cni/ipam", e->root);
    return json_pack(
        "{s:s, s:s, s:[{s:s, s:s, s:b, s:b, s:b, s:{s:s, s:s, s:[{s:s}], s:[[{s:s, s:s}]]}},"
        " {s:s, s:{s:b}, s:b}, {s:s, s:s}]}",
        "cniVersion", CNI_VERSION, "name", name, "plugins", "type", "bridge", "bridge", bridge,
        "isGateway", 1, "ipMasq", 0, "hairpinMode", 1, "ipam", "type", "host-local", "dataDir",
        ipam_dir, "routes", "dst", "0.0.0.0/0", "ranges", "subnet", subnet, "gateway", gateway,
        "type", "portmap", "capabilities", "portMappings", 1, "snat", 1, "type", "firewall",
        "backend", "iptables");
}

static json_t *bridge_plugin(json_t *list)
{
    json_t *plugin;
    size_t i;

    json_array_foreach (json_object_get(list, "plugins"), i, plugin) {
        const char *type = json_string_value(json_object_get(plugin, "type"));
        if (type && strcmp(type, "bridge") == 0 &&
            json_is_string(json_object_get(plugin, "bridge")))
            return plugin;
    }
    return NULL;
}

/* Ensure the network's NAT and forward rules (idempotent, repairs them). */
static int ensure_rules(const char *name, json_t *list, hull_error *err)
{
    json_t *br = bridge_plugin(list);
    const char *subnet = json_string_value(json_object_get(
        json_array_get(json_array_get(json_object_get(json_object_get(br, "ipam"), "ranges"), 0),
                       0),
        "subnet"));

    const char *bridge = json_string_value(json_object_get(br, "bridge"));

    if (bridge == NULL || subnet == NULL)
        return hull_error_msg(err, EINVAL, "network %s: no bridge plugin with a subnet", name);
    if (!valid_name(bridge, IFNAMSIZ - 1))
        return hull_error_msg(err, EINVAL, "network %s: bridge name \"%s\" is invalid", name,
                              bridge);
    return hull_nft_network_ensure(name, bridge, subnet, err);
}

/* ip link delete NAME (quiet, best effort). */
static void delete_link(const char *name)
{
    pid_t pid = fork();
    if (pid == 0) {
        int dn = open("/dev/null", O_WRONLY);
        dup2(dn, 1);
        dup2(dn, 2);
        execl("/sbin/ip", "ip", "link", "delete", name, (char *)NULL);
        execl("/usr/sbin/ip", "ip", "link", "delete", name, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
}

/* A bridge whose first ADD failed after its veth was plugged in (IPAM
 * refused the address) lost its last port before the bridge plugin set its
 * MAC: the kernel then gives it 00:00:00:00:00:00, and every later ADD
 * fails ("could not set bridge's mac"). Such a bridge has no ports; it is
 * deleted and the next ADD makes it anew. One sysfs read per attach. */
static void repair_bridge(json_t *list)
{
    const char *br = json_string_value(json_object_get(bridge_plugin(list), "bridge"));
    _cleanup_free_ char *path = NULL, *mac = NULL;

    if (br == NULL || !valid_name(br, IFNAMSIZ - 1))
        return;
    path = xasprintf("/sys/class/net/%s/address", br);
    if (hull_read_file(path, 64, &mac, NULL, NULL) == 0 &&
        hull_str_has_prefix(mac, "00:00:00:00:00:00"))
        delete_link(br);
}

/* The plugins one container's ADD runs (and its DEL, from the cache): the
 * bridge without ipMasq, portmap only with published ports, firewall only
 * when the host's FORWARD policy would drop the container's traffic. */
static json_t *container_conflist(json_t *list, bool ports)
{
    json_t *out = json_deep_copy(list), *plugins = json_array(), *plugin;
    bool fw = hull_nft_forward_drops();
    size_t i;

    json_array_foreach (json_object_get(list, "plugins"), i, plugin) {
        const char *type = json_string_value(json_object_get(plugin, "type"));
        json_t *p = json_deep_copy(plugin);
        if (type && strcmp(type, "bridge") == 0)
            json_object_set_new(p, "ipMasq", json_false());
        if (type &&
            ((strcmp(type, "portmap") == 0 && !ports) || (strcmp(type, "firewall") == 0 && !fw))) {
            json_decref(p);
            continue;
        }
        json_array_append_new(plugins, p);
    }
    json_object_set_new(out, "plugins", plugins);
    return out;
}

/* The bridge device of network `name`: hull-NAME when that fits in an
 * interface name (15 bytes), else hull-PPP-HHHHHH (its first three bytes and
 * a hash of all of it): cutting names short made "backend-one" and
 * "backend-two" share one bridge. */
static char *bridge_name(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    if (strlen(name) <= 10)
        return xasprintf("hull-%s", name);
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return xasprintf("hull-%.3s-%06x", name, h & 0xffffff);
}

/* The network (other than `name`) whose bridge device is `bridge`, or NULL. */
static char *bridge_owner(struct hull_engine *e, const char *name, const char *bridge)
{
    json_t *all = NULL, *list;
    char *owner = NULL;
    size_t i;

    hull_network_list(e, &all, NULL);
    json_array_foreach (all, i, list) {
        const char *n = json_string_value(json_object_get(list, "name")) ?: "";
        const char *br = json_string_value(json_object_get(bridge_plugin(list), "bridge"));
        if (!owner && br && strcmp(br, bridge) == 0 && strcmp(n, name) != 0)
            owner = xstrdup(n);
    }
    json_decref(all);
    return owner;
}

int hull_network_create(struct hull_engine *e, const char *name, const char *subnet,
                        hull_error *err)
{
    _cleanup_free_ char *path = NULL, *dir = xasprintf("%s/networks", e->root);
    _cleanup_free_ char *data = NULL, *bridge = NULL, *gw = NULL, *sub = NULL;
    unsigned a, b, c, d, bits;
    json_t *conf;
    int r;

    if (!valid_name(name, 64))
        return hull_error_msg(err, EINVAL, "network name \"%s\": use a-z, 0-9, - and _", name);
    if (sscanf(subnet, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &bits) != 5 || a > 255 || b > 255 ||
        c > 255 || d > 255 || bits < 8 || bits > 28)
        return hull_error_msg(err, EINVAL, "--subnet \"%s\": expected an IPv4 CIDR /8../28",
                              subnet);
    path = net_path(e, name);
    if (access(path, F_OK) == 0)
        return hull_error_msg(err, EEXIST, "network %s already exists", name);
    if (hull_mkdir_p(dir, 0700, err) < 0)
        return -1;
    bridge = bridge_name(name);
    {
        _cleanup_free_ char *owner = bridge_owner(e, name, bridge);
        if (owner)
            return hull_error_msg(err, EEXIST, "network %s: its bridge %s is network %s's", name,
                                  bridge, owner);
    }
    sub = xasprintf("%u.%u.%u.%u/%u", a, b, c, d, bits);
    gw = xasprintf("%u.%u.%u.%u", a, b, c, d + 1);
    conf = bridge_conflist(e, name, bridge, sub, gw);
    data = json_dumps(conf, JSON_INDENT(2));
    r = hull_write_file_atomic(path, data, strlen(data), 0600, err);
    if (r == 0 && (r = ensure_rules(name, conf, err)) < 0)
        unlink(path);
    json_decref(conf);
    return r;
}

int hull_network_load(struct hull_engine *e, const char *name, json_t **out, hull_error *err)
{
    _cleanup_free_ char *path = NULL;
    json_error_t jerr;

    if (strcmp(name, "bridge") == 0) {
        /* The default network, made on first use. 10.89/16: podman's default
         * is 10.88/16, keep out of its way. */
        path = net_path(e, "bridge");
        if (access(path, F_OK) < 0 && hull_network_create(e, "bridge", "10.89.0.0/16", err) < 0 &&
            err->errnum != EEXIST)
            return -1;
        hull_error_clear(err);
    } else if (!valid_name(name, 64)) {
        return hull_error_msg(err, EINVAL, "network name \"%s\" is invalid", name);
    } else {
        path = net_path(e, name);
    }
    *out = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (*out == NULL) {
        if (access(path, F_OK) < 0)
            return hull_error_msg(err, ENOENT, "no such network: %s", name);
        return hull_error_msg(err, EINVAL, "network %s: %s: line %d: %s", name, path, jerr.line,
                              jerr.text);
    }
    return 0;
}

/* Run one plugin; its stdout (the result) goes to *result. */
static int run_plugin(const char *cmd, const char *id, const char *netns, const char *ifname,
                      json_t *conf, json_t **result, hull_error *err)
{
    const char *type = json_string_value(json_object_get(conf, "type"));
    _cleanup_free_ char *bin = NULL, *in = json_dumps(conf, JSON_COMPACT);
    _cleanup_free_ char *out = NULL;
    int inp[2], outp[2], status;
    pid_t pid;

    if (type == NULL || strchr(type, '/') || strstr(type, ".."))
        return hull_error_msg(err, EINVAL, "network plugin type \"%s\" is invalid",
                              type ? type : "");
    bin = xasprintf("%s/%s", CNI_PATH, type);
    if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0)
        return hull_error_set(err, errno, "cni: pipe");
    pid = fork();
    if (pid < 0)
        return hull_error_set(err, errno, "cni: fork");
    if (pid == 0) {
        char *env[] = {xasprintf("CNI_COMMAND=%s", cmd),
                       xasprintf("CNI_CONTAINERID=%s", id),
                       xasprintf("CNI_NETNS=%s", netns ? netns : ""),
                       xasprintf("CNI_IFNAME=%s", ifname),
                       "CNI_PATH=" CNI_PATH,
                       "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                       NULL};
        dup2(inp[0], 0);
        dup2(outp[1], 1);
        execve(bin, (char *[]){bin, NULL}, env);
        _exit(127);
    }
    close(inp[0]);
    close(outp[1]);
    signal(SIGPIPE, SIG_IGN);
    (void)hull_write_all(inp[1], in, strlen(in));
    close(inp[1]);
    hull_read_fd(outp[0], 1 << 20, &out, NULL, NULL);
    close(outp[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        json_t *j = out ? json_loads(out, 0, NULL) : NULL;
        const char *msg = j ? json_string_value(json_object_get(j, "msg")) : NULL;
        hull_error_msg(err, EIO, "network plugin %s %s: %s", type, cmd,
                       msg ? msg : (out && *out ? out : "failed"));
        json_decref(j);
        return -1;
    }
    if (result)
        *result = out && *out ? json_loads(out, 0, NULL) : NULL;
    return 0;
}

static json_t *plugin_conf(json_t *list, json_t *plugin, json_t *prev, json_t *ports)
{
    json_t *c = json_deep_copy(plugin);
    json_object_set(c, "cniVersion", json_object_get(list, "cniVersion"));
    json_object_set(c, "name", json_object_get(list, "name"));
    if (prev)
        json_object_set(c, "prevResult", prev);
    if (ports &&
        json_is_true(json_object_get(json_object_get(plugin, "capabilities"), "portMappings")))
        json_object_set_new(c, "runtimeConfig", json_pack("{s:O}", "portMappings", ports));
    return c;
}

/* The cached ADD of an attachment: <root>/cni/results/<id>.json for the
 * container's first network (eth0), <root>/cni/results/<id>/<network>.json
 * for each network connected later (hull network connect). */
static char *result_path(struct hull_engine *e, const char *id)
{
    return xasprintf("%s/cni/results/%s.json", e->root, id);
}

static char *connected_dir(struct hull_engine *e, const char *id)
{
    return xasprintf("%s/cni/results/%s", e->root, id);
}

static char *connected_path(struct hull_engine *e, const char *id, const char *network)
{
    return xasprintf("%s/cni/results/%s/%s.json", e->root, id, network);
}

/* DEL (in reverse plugin order) of the attachment cached at rpath, then the
 * cache goes. Best effort: every plugin's DEL runs. */
static void cni_del(const char *rpath, const char *id, const char *netns)
{
    json_t *cache = json_load_file(rpath, 0, NULL), *list, *plugins;
    const char *ifname;
    size_t n;

    if (cache == NULL)
        return;
    /* Caches from before connect existed have no ifname: eth0. */
    ifname = json_string_value(json_object_get(cache, "ifname")) ?: "eth0";
    list = json_object_get(cache, "conf");
    plugins = json_object_get(list, "plugins");
    for (n = json_array_size(plugins); n-- > 0;) {
        json_t *conf = plugin_conf(
            list, json_array_get(plugins, n), json_object_get(cache, "result"),
            json_is_array(json_object_get(cache, "ports")) ? json_object_get(cache, "ports")
                                                           : NULL);
        run_plugin("DEL", id, netns, ifname, conf, NULL, NULL);
        json_decref(conf);
    }
    json_decref(cache);
    unlink(rpath);
}

/* An attachment that is not the container's gateway (any but eth0) gets no
 * routes from IPAM: the default route stays with the first network, as with
 * docker; the subnet's route comes with the address. With a requested
 * address (--ip), host-local takes it from the bridge plugin's
 * args.cni.ips (it must lie in the network's range). */
static void attachment_conflist(json_t *list, const char *ip, bool gateway)
{
    json_t *br = bridge_plugin(list);
    if (br == NULL)
        return;
    if (!gateway)
        json_object_del(json_object_get(br, "ipam"), "routes");
    if (ip)
        json_object_set_new(br, "args", json_pack("{s:{s:[s]}}", "cni", "ips", ip));
}

/* ADD of `network` as interface `ifname` of the namespace netns, cached at
 * rpath (written before the first plugin runs, so a crash mid-ADD still
 * gets its DEL). On failure everything done is undone. */
static int cni_add(struct hull_engine *e, const char *id, const char *network, const char *netns,
                   const char *ifname, json_t *ports, const char *ip_req, const char *rpath,
                   char **ip_out, hull_error *err)
{
    _cleanup_free_ char *data = NULL;
    json_t *all = NULL, *list = NULL, *prev = NULL, *plugin, *cache;
    size_t i;

    if (hull_network_load(e, network, &all, err) < 0 || ensure_rules(network, all, err) < 0) {
        json_decref(all);
        return -1;
    }
    list = container_conflist(all, ports != NULL);
    json_decref(all);
    repair_bridge(list);
    attachment_conflist(list, ip_req, strcmp(ifname, "eth0") == 0);
    cache = json_pack("{s:s, s:s, s:O, s:O}", "network", network, "ifname", ifname, "conf", list,
                      "ports", ports ? ports : json_null());
    data = json_dumps(cache, JSON_COMPACT);
    if (hull_write_file_atomic(rpath, data, strlen(data), 0600, err) < 0)
        goto fail;
    json_array_foreach (json_object_get(list, "plugins"), i, plugin) {
        json_t *conf = plugin_conf(list, plugin, prev, ports), *res = NULL;
        int r = run_plugin("ADD", id, netns, ifname, conf, &res, err);
        json_decref(conf);
        if (r < 0)
            goto fail;
        json_decref(prev);
        prev = res;
    }
    json_object_set(cache, "result", prev);
    free(data);
    data = json_dumps(cache, JSON_COMPACT);
    if (hull_write_file_atomic(rpath, data, strlen(data), 0600, err) < 0)
        goto fail;
    if (ip_out) {
        const char *addr = json_string_value(
            json_object_get(json_array_get(json_object_get(prev, "ips"), 0), "address"));
        *ip_out = addr ? xstrndup_upto(addr, '/') : NULL;
    }
    json_decref(cache);
    json_decref(prev);
    json_decref(list);
    return 0;
fail:
    json_decref(cache);
    json_decref(prev);
    json_decref(list);
    cni_del(rpath, id, netns);
    return -1;
}

int hull_network_attach(struct hull_engine *e, const char *id, const char *network,
                        const char *netns, json_t *ports, char **ip_out, hull_error *err)
{
    _cleanup_free_ char *rdir = xasprintf("%s/cni/results", e->root);
    _cleanup_free_ char *rpath = result_path(e, id);

    if (hull_mkdir_p(rdir, 0700, err) < 0)
        return -1;
    return cni_add(e, id, network, netns, "eth0", ports, NULL, rpath, ip_out, err);
}

void hull_network_detach(struct hull_engine *e, const char *id, const char *netns)
{
    _cleanup_free_ char *rpath = result_path(e, id);
    cni_del(rpath, id, netns);
}

int hull_network_add_connected(struct hull_engine *e, const char *id, const char *network,
                               const char *netns, const char *ifname, const char *ip, char **ip_out,
                               hull_error *err)
{
    _cleanup_free_ char *dir = connected_dir(e, id), *rpath = connected_path(e, id, network);

    if (hull_mkdir_p(dir, 0700, err) < 0)
        return -1;
    if (cni_add(e, id, network, netns, ifname, NULL, ip, rpath, ip_out, err) < 0) {
        rmdir(dir); /* when it was the first */
        return -1;
    }
    return 0;
}

bool hull_network_ifname_cached(struct hull_engine *e, const char *id, const char *ifname)
{
    _cleanup_free_ char *dir = connected_dir(e, id);
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *de;
    bool found = false;

    while (d && !found && (de = readdir(d)) != NULL) {
        _cleanup_free_ char *p = NULL;
        json_t *cache;
        if (de->d_name[0] == '.')
            continue;
        p = xasprintf("%s/%s", dir, de->d_name);
        cache = json_load_file(p, 0, NULL);
        found = strcmp(json_string_value(json_object_get(cache, "ifname")) ?: "", ifname) == 0;
        json_decref(cache);
    }
    return found;
}

void hull_network_del_connected(struct hull_engine *e, const char *id, const char *network,
                                const char *netns)
{
    _cleanup_free_ char *dir = connected_dir(e, id), *rpath = connected_path(e, id, network);

    cni_del(rpath, id, netns);
    rmdir(dir); /* when it was the last */
}

/* Bring up lo in a fresh network namespace (every mode but host). What the
 * CNI loopback plugin does, without starting a Go binary (~3 ms): a child
 * joins the namespace and sets IFF_UP on "lo". */
int hull_network_loopback(const char *id, const char *netns, hull_error *err)
{
    _cleanup_close_ int target = open(netns, O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int s = -1;
    struct ifreq ifr = {0};

    (void)id;
    if (target < 0 || self < 0)
        return hull_error_set(err, errno, "open %s", target < 0 ? netns : "our network namespace");
    /* A socket belongs to the namespace it was made in: enter, make it, come
     * back (no fork of this process just for that). */
    if (setns(target, CLONE_NEWNET) < 0)
        return hull_error_set(err, errno, "enter %s", netns);
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (setns(self, CLONE_NEWNET) < 0) {
        /* Cannot happen (we were there); never go on in the container's. */
        hull_error_set(err, errno, "return from %s", netns);
        abort();
    }
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        return hull_error_set(err, errno, "lo in %s", netns);
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        return hull_error_set(err, errno, "bring up lo in %s", netns);
    return 0;
}

/* One /etc/hosts line: the address, the name, the short id, and the
 * aliases the container has on that network (a JSON array, names checked
 * like container names at connect/create: no blanks). */
static void hosts_line(FILE *f, json_t *o)
{
    const char *aliases = json_string_value(json_object_get(o, "aliases"));
    json_t *arr = aliases ? json_loads(aliases, 0, NULL) : NULL, *a;
    size_t i;

    fprintf(f, "%s\t%s %.12s", json_string_value(json_object_get(o, "ip")),
            json_string_value(json_object_get(o, "name")),
            json_string_value(json_object_get(o, "id")));
    json_array_foreach (arr, i, a)
        if (json_is_string(a) && hull_engine_name_ok(json_string_value(a)))
            fprintf(f, " %s", json_string_value(a));
    fputc('\n', f);
    json_decref(arr);
}

/* Rewrite the /etc/hosts of container `id`: every running container (or
 * `joining`, about to start) that shares one of its networks, by its
 * address on that network (its own addresses included), with its aliases
 * there: names (and network-scoped aliases) resolve between containers on
 * the same network only. Written in place (not renamed): the file is
 * bind-mounted into the container, and a new inode would not show. */
void hull_network_write_hosts(struct hull_engine *e, const char *id, const char *joining)
{
    _cleanup_free_ char *dir = hull_engine_dir(e, id);
    _cleanup_free_ char *path = xasprintf("%s/hosts", dir);
    json_t *rows, *o;
    size_t j;
    FILE *f;

    if (hull_db_query(e->db, &rows, NULL,
                      "SELECT DISTINCT p.ip AS ip, c.name AS name, c.id AS id, c.created, p.ifname,"
                      " p.aliases AS aliases"
                      " FROM container_nets m"
                      " JOIN container_nets p ON p.network=m.network JOIN containers c ON c.id=p.id"
                      " WHERE m.id=? AND (c.state='running' OR c.id=?)"
                      " ORDER BY c.created, p.ifname",
                      "ss", id, joining ? joining : "") < 0)
        return;
    f = fopen(path, "r+e");
    if (f && ftruncate(fileno(f), 0) == 0) {
        fprintf(f, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        json_array_foreach (rows, j, o)
            hosts_line(f, o);
    }
    if (f)
        fclose(f);
    json_decref(rows);
}

int hull_network_update_hosts(struct hull_engine *e, const char *network, const char *joining)
{
    json_t *rows, *r;
    size_t i;

    if (hull_db_query(e->db, &rows, NULL,
                      "SELECT DISTINCT n.id AS id FROM container_nets n JOIN containers c ON "
                      "c.id=n.id WHERE n.network=? AND (c.state='running' OR c.id=?)",
                      "ss", network, joining ? joining : "") < 0)
        return -1;
    json_array_foreach (rows, i, r)
        hull_network_write_hosts(e, json_string_value(json_object_get(r, "id")), joining);
    json_decref(rows);
    return 0;
}

int hull_network_update_hosts_of(struct hull_engine *e, const char *id)
{
    json_t *rows, *r;
    size_t i;

    if (hull_db_query(e->db, &rows, NULL, "SELECT DISTINCT network FROM container_nets WHERE id=?",
                      "s", id) < 0)
        return -1;
    json_array_foreach (rows, i, r)
        hull_network_update_hosts(e, json_string_value(json_object_get(r, "network")), NULL);
    json_decref(rows);
    return 0;
}

int hull_network_list(struct hull_engine *e, json_t **out, hull_error *err)
{
    _cleanup_free_ char *dir = xasprintf("%s/networks", e->root);
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *de;
    json_t *arr = json_array();

    while (d && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        json_t *list;
        char name[256];
        if (n < 10 || strcmp(de->d_name + n - 9, ".conflist") != 0)
            continue;
        snprintf(name, sizeof(name), "%.*s", (int)(n - 9), de->d_name);
        if (hull_network_load(e, name, &list, NULL) == 0)
            json_array_append_new(arr, list);
    }
    *out = arr;
    (void)err;
    return 0;
}

int hull_network_remove(struct hull_engine *e, const char *name, hull_error *err)
{
    _cleanup_free_ char *path = NULL;
    json_t *rows;
    size_t n;

    if (!valid_name(name, 64))
        return hull_error_msg(err, EINVAL, "network name \"%s\" is invalid", name);
    path = net_path(e, name);
    if (access(path, F_OK) < 0)
        return hull_error_msg(err, ENOENT, "no such network: %s", name);
    if (hull_db_query(e->db, &rows, err,
                      "SELECT DISTINCT c.id FROM containers c LEFT JOIN container_nets n ON "
                      "n.id=c.id WHERE (c.network=? OR n.network=?) AND c.state='running'",
                      "ss", name, name) < 0)
        return -1;
    n = json_array_size(rows);
    json_decref(rows);
    if (n)
        return hull_error_msg(err, EBUSY, "network %s has %zu running containers", name, n);
    {
        /* The bridge device the plugin made goes with the network. */
        json_t *list = json_load_file(path, 0, NULL);
        const char *br = json_string_value(json_object_get(bridge_plugin(list), "bridge"));
        if (br && valid_name(br, IFNAMSIZ - 1) && hull_nft_network_remove(name, br, err) < 0) {
            json_decref(list);
            return -1;
        }
        if (br && hull_str_has_prefix(br, "hull-"))
            delete_link(br);
        json_decref(list);
    }
    if (unlink(path) < 0)
        return hull_error_set(err, errno, "remove %s", path);
    return 0;
}

/* The container's network namespace outlives its processes while a bind
 * mount of it exists: DEL needs it (the bridge plugin finds the addresses
 * whose NAT rules it must remove inside it). <runroot>/containers/<id>/netns */
char *hull_network_pin(struct hull_engine *e, const char *id, pid_t pid, hull_error *err)
{
    _cleanup_free_ char *bundle = hull_engine_bundle(e, id);
    _cleanup_free_ char *src = xasprintf("/proc/%d/ns/net", pid);
    char *path = xasprintf("%s/netns", bundle);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0) {
        hull_error_set(err, errno, "create %s", path);
        free(path);
        return NULL;
    }
    close(fd);
    if (mount(src, path, NULL, MS_BIND, NULL) < 0) {
        hull_error_set(err, errno, "pin network namespace of %s", id);
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

/* The networks connected after start: DEL each (against the pinned
 * namespace), forget their addresses (the connections stay recorded for
 * the next start), and take the container's name out of their members'
 * /etc/hosts. */
static void release_connected(struct hull_engine *e, const char *id, const char *netns)
{
    _cleanup_free_ char *dir = connected_dir(e, id);
    _cleanup_closedir_ DIR *d = opendir(dir);
    json_t *rows = NULL, *r;
    struct dirent *de;
    size_t i;

    while (d && (de = readdir(d)) != NULL) {
        _cleanup_free_ char *p = NULL;
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        p = xasprintf("%s/%s", dir, de->d_name);
        cni_del(p, id, netns);
    }
    if (d)
        rmdir(dir);
    if (e->db == NULL ||
        hull_db_query(e->db, &rows, NULL,
                      "SELECT network FROM container_networks WHERE id=? AND ip IS NOT NULL", "s",
                      id) < 0)
        return;
    if (json_array_size(rows) &&
        hull_db_exec(e->db, NULL, "UPDATE container_networks SET ip=NULL WHERE id=?", "s", id) == 0)
        json_array_foreach (rows, i, r)
            hull_network_update_hosts(e, json_string_value(json_object_get(r, "network")), NULL);
    json_decref(rows);
}

/* DEL of every attachment still owed (against the pinned namespace), then
 * release the namespace. */
/* Whether a running container shares `id`'s network namespace
 * (--network container:ID); when unsure (no database), yes. */
static bool netns_joined(struct hull_engine *e, const char *id)
{
    _cleanup_free_ char *mode = xasprintf(HULL_NET_CONTAINER "%s", id);
    json_t *rows = NULL;
    bool joined = true;

    if (e->db && hull_db_query(e->db, &rows, NULL,
                               "SELECT 1 FROM containers WHERE network=? AND "
                               "state IN ('running','starting','restarting') LIMIT 1",
                               "s", mode) == 0)
        joined = json_array_size(rows) > 0;
    json_decref(rows);
    return joined;
}

static void unpin(const char *path)
{
    umount2(path, MNT_DETACH);
    unlink(path);
}

void hull_network_release(struct hull_engine *e, const char *id)
{
    _cleanup_free_ char *bundle = hull_engine_bundle(e, id);
    _cleanup_free_ char *path = xasprintf("%s/netns", bundle);
    bool pinned = access(path, F_OK) == 0;
    /* Every caller has reaped the container's init, or kills it next: our pin
     * alone keeps its network namespace, unless another container joined it.
     * Dropping the pin first lets the kernel's namespace cleanup take the veth
     * pairs (asynchronously) and DEL run without a namespace, as CNI allows:
     * the bridge plugin then only releases the address. Deleting the veth in
     * the pinned namespace made its DEL wait 16 ms for RCU (a netdev's
     * unregistration), most of a bridged `run --rm`'s exit. With a joined
     * container the namespace lives on: its interfaces are deleted there. */
    bool keep = pinned && netns_joined(e, id);

    if (pinned && !keep)
        unpin(path);
    release_connected(e, id, keep ? path : NULL);
    hull_network_detach(e, id, keep ? path : NULL);
    if (keep)
        unpin(path);
}
