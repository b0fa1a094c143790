/* Per-network NAT and forward rules in hull's own nftables table, set in
 * process through libnftables (one atomic batch, no exec of nft or
 * iptables). What docker does once per network instead of what the CNI
 * bridge plugin's ipMasq and the firewall plugin do once per container:
 *
 *   table ip hull {
 *     chain post-BRIDGE { type nat hook postrouting priority srcnat; ...
 *       ip saddr SUBNET oifname != "BRIDGE" ip daddr != 224.0.0.0/4 masquerade }
 *     chain fwd-BRIDGE { type filter hook forward priority filter; ...
 *       iifname "BRIDGE" accept; oifname "BRIDGE" accept }
 *   }
 *
 * The chains are named after the bridge device: like the device, they are
 * host-wide, whatever hull root made them. Each is its own base chain, so
 * "ensure" is add (idempotent) + flush + re-add in one transaction: it
 * repairs a flushed ruleset and never duplicates a rule. Callers pass
 * names checked to be [a-z0-9_-] (network.c): they are spliced into the
 * batch. */
#include "internal.h"
#include "../base/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <nftables/libnftables.h>

/* libnftables is loaded on first use: it and what it links (libnftnl,
 * libmnl, libxtables, libgmp) would otherwise cost every exec of hull its
 * relocations, and most commands (and `run --network none`) never touch
 * nftables. */
static struct {
    struct nft_ctx *(*ctx_new)(uint32_t flags);
    void (*ctx_free)(struct nft_ctx *ctx);
    int (*buffer_output)(struct nft_ctx *ctx);
    int (*buffer_error)(struct nft_ctx *ctx);
    const char *(*get_output)(struct nft_ctx *ctx);
    const char *(*get_error)(struct nft_ctx *ctx);
    int (*run_buffer)(struct nft_ctx *nft, const char *buf);
} lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static char lib_error[256];

static void lib_load(void)
{
    void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    const char *e;

    if (h == NULL) {
        snprintf(lib_error, sizeof(lib_error), "%s", (e = dlerror()) ? e : "dlopen failed");
        return;
    }
    *(void **)&lib.ctx_new = dlsym(h, "nft_ctx_new");
    *(void **)&lib.ctx_free = dlsym(h, "nft_ctx_free");
    *(void **)&lib.buffer_output = dlsym(h, "nft_ctx_buffer_output");
    *(void **)&lib.buffer_error = dlsym(h, "nft_ctx_buffer_error");
    *(void **)&lib.get_output = dlsym(h, "nft_ctx_get_output_buffer");
    *(void **)&lib.get_error = dlsym(h, "nft_ctx_get_error_buffer");
    *(void **)&lib.run_buffer = dlsym(h, "nft_run_cmd_from_buffer");
    if (!lib.ctx_new || !lib.ctx_free || !lib.buffer_output || !lib.buffer_error ||
        !lib.get_output || !lib.get_error || !lib.run_buffer) {
        snprintf(lib_error, sizeof(lib_error), "libnftables.so.1 lacks a symbol");
        lib.ctx_new = NULL;
    }
}

static void nft_ctx_freep(struct nft_ctx **c)
{
    if (*c)
        lib.ctx_free(*c);
}
#define _cleanup_nft_ __attribute__((cleanup(nft_ctx_freep)))

/* Run a batch; on failure the message names `what` and nft's own error. */
static int nft_run(const char *batch, const char *what, char **output, hull_error *err)
{
    _cleanup_nft_ struct nft_ctx *ctx = NULL;
    const char *msg;

    pthread_once(&lib_once, lib_load);
    if (lib.ctx_new == NULL)
        return hull_error_msg(err, ENOSYS, "nftables: %s: %s", what, lib_error);
    ctx = lib.ctx_new(NFT_CTX_DEFAULT);
    if (ctx == NULL)
        return hull_error_msg(err, ENOMEM, "nftables: %s: no context", what);
    lib.buffer_output(ctx);
    lib.buffer_error(ctx);
    if (lib.run_buffer(ctx, batch) != 0) {
        msg = lib.get_error(ctx);
        return hull_error_msg(err, EIO, "nftables: %s: %s", what, msg && *msg ? msg : "failed");
    }
    if (output)
        *output = xstrdup(lib.get_output(ctx));
    return 0;
}

#define HULL_NFT_CHAINS(br)                                                                        \
    "add table ip hull\n"                                                                          \
    "add chain ip hull post-" br                                                                   \
    " { type nat hook postrouting priority srcnat; policy accept; }\n"                             \
    "add chain ip hull fwd-" br " { type filter hook forward priority filter; policy accept; }\n"  \
    "flush chain ip hull post-" br "\n"                                                            \
    "flush chain ip hull fwd-" br "\n"

int hull_nft_network_ensure(const char *network, const char *bridge, const char *subnet,
                            hull_error *err)
{
    _cleanup_free_ char *batch = NULL, *what = NULL;
    unsigned a, b, c, d, bits;

    if (sscanf(subnet, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &bits) != 5 || a > 255 || b > 255 ||
        c > 255 || d > 255 || bits > 32)
        return hull_error_msg(err, EINVAL, "network %s: subnet \"%s\" is invalid", network, subnet);
    batch = xasprintf(
        HULL_NFT_CHAINS("%1$s") "add rule ip hull post-%1$s ip saddr %2$u.%3$u.%4$u.%5$u/%6$u "
                                "oifname != \"%1$s\" ip daddr != 224.0.0.0/4 masquerade "
                                "comment \"hull network %7$s\"\n"
                                "add rule ip hull fwd-%1$s iifname \"%1$s\" accept\n"
                                "add rule ip hull fwd-%1$s oifname \"%1$s\" accept\n",
        bridge, a, b, c, d, bits, network);
    what = xasprintf("rules of network %s", network);
    return nft_run(batch, what, NULL, err);
}

int hull_nft_network_remove(const char *network, const char *bridge, hull_error *err)
{
    _cleanup_free_ char *batch = NULL, *what = NULL;

    /* add + flush first: the batch succeeds whether or not they exist. */
    batch = xasprintf(HULL_NFT_CHAINS("%1$s") "delete chain ip hull post-%1$s\n"
                                              "delete chain ip hull fwd-%1$s\n",
                      bridge);
    what = xasprintf("remove rules of network %s", network);
    return nft_run(batch, what, NULL, err);
}

/* Whether the iptables(-nft) filter FORWARD chain drops by default (dockerd
 * sets that): then an accept in hull's table does not let packets through
 * and the per-container firewall plugin is still needed. */
bool hull_nft_forward_drops(void)
{
    _cleanup_free_ char *out = NULL;

    if (nft_run("list chain ip filter FORWARD", "list FORWARD", &out, NULL) < 0)
        return false;
    return strstr(out, "policy drop") != NULL;
}
