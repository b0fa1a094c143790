#!/bin/bash
# bench/runtime.sh BUILD_DIR [N] — time `run` of a /bin/true container with hull-runtime,
# crun, runc and the "physical limit" (unshare + chroot + cgroup join, no runtime), all
# from the same bundle, interleaved round-robin; print medians, p10/p90, peak RSS and the
# ratios hull/crun, hull/runc, hull/limit. A benchmark, not a test: it asserts nothing.
#
# Environment: N (rounds, default 30), WARMUP (default 3), GAP (idle seconds before each
# sample, default 0.2), CRUN, RUNC (binaries), KEEP=1 keeps the work directory. Needs root. See bench/README.md.
set -euo pipefail

build=${1:?usage: bench/runtime.sh BUILD_DIR [N]}
N=${2:-${N:-30}}
WARMUP=${WARMUP:-3}
# Idle seconds before every sample. On cgroup v1 the first cgroup.procs write after ~20 ms
# without one waits for an RCU grace period (cgroup_threadgroup_rwsem, 8-20 ms here); a
# write soon after the previous run's is cheap. Without a gap a sample's cost depends on
# how long ago its predecessor joined its cgroup, i.e. on the interleaving. With it every
# sample starts cold and pays the same kernel cost, like a lone `run` would.
GAP=${GAP:-0.2}
CRUN=${CRUN:-/usr/bin/crun}
RUNC=${RUNC:-/usr/sbin/runc}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$repo/bench/lib.sh"
hull=$(cd "$build" && pwd)/hull-runtime
image=$(cd "$build" && pwd)/busybox-rootfs

[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$hull" ] || die "$hull missing; run ninja -C $build"
[ -x "$image/bin/busybox" ] || die "$image missing; run ninja -C $build"
command -v jq >/dev/null || die "jq missing (make deps)"
[[ $N =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"

# Hybrid cgroups: crun 1.8.1 refuses them; see bench_enter_private_ns in bench/lib.sh.
bench_enter_private_ns 0 "$@"

work=$(mktemp -d /tmp/hull-bench.XXXXXX)
prefix=hb$$
names=(hull crun runc limit)
declare -A failed

cleanup() {
    local name dir
    for name in hull crun runc; do
        for dir in "$work/state/$name"/*; do
            [ -e "$dir" ] || continue
            bin_of "$name" --root "$work/state/$name" delete --force "${dir##*/}" \
                >/dev/null 2>&1 || true
        done
    done
    # cgroups a failed run may have left behind (deepest first).
    find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -depth -type d -name "$prefix-*" \
        -exec rmdir {} + 2>/dev/null || true
    umount "$work/state" 2>/dev/null # the tmpfs (private mount namespace)
    if [ -n "${KEEP:-}" ]; then
        echo "bench: work directory kept: $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bin_of() {
    local name=$1
    shift
    case $name in
    hull) "$hull" "$@" ;;
    crun) "$CRUN" "$@" ;;
    runc) "$RUNC" "$@" ;;
    esac
}

# --- the bundle: one config for every runtime -------------------------------------------
bundle=$work/bundle
# The runtimes' state roots on a tmpfs, as under /run on a standard host (bench/lib.sh).
bench_volatile "$work/state"
mkdir -p "$bundle/rootfs" "$work/state"/{hull,crun,runc} "$work/err"
cp -a "$image/." "$bundle/rootfs/"
(cd "$bundle" && "$hull" spec)
# ociVersion 1.0.2: crun 1.8.1 rejects "1.2.0" with "unknown version specified"; nothing
# in this config needs a newer version.
jq '.ociVersion = "1.0.2" | .process.args = ["/bin/true"] | .process.terminal = false' \
    "$bundle/config.json" >"$work/c.json" && mv "$work/c.json" "$bundle/config.json"

# --- the measuring helper: wall time of fork..wait4 and the child's ru_maxrss ------------
# ru_maxrss from wait4 is the largest RSS of the child or of any descendant it reaped, i.e.
# the peak of the biggest single process of the runtime's tree, not a sum.
if command -v cc >/dev/null; then
    cc_ok=1
else
    cc_ok=
    # Fallback: bash's clock plus GNU time for %M; adds time(1)'s exec to every sample.
    [ -x /usr/bin/time ] || die "need cc or /usr/bin/time (apt-get install time)"
fi
bench_make_measure "$work"
[ -x "$work/measure" ] || cc_ok=

# --- the physical limit -------------------------------------------------------------------
# What no runtime can avoid for this config: a fresh cgroup in every hierarchy the runtimes
# join (they all join every mounted v1 hierarchy; cpuset initialised as they do, pids.max
# written), a process in the config's namespaces (read from it) moved into those cgroups,
# the cgroup namespace unshared after the join, mounts made private, chroot into the same
# rootfs, exec /bin/true, wait, rmdir the cgroups. No pivot_root, no mounts, no seccomp,
# no capability dropping, no state files: that is the work a runtime adds on top.
namespaces=$(jq -r '[.linux.namespaces[].type] | join(",")' "$bundle/config.json")
pids_limit=$(jq -r '.linux.resources.pids.limit // empty' "$bundle/config.json")
pids_dir=
cpuset_dir=
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    hier=(/sys/fs/cgroup)
    cgver=v2
    pids_dir=/sys/fs/cgroup
else
    # "MOUNTPOINT SUPEROPTS" of every v1 hierarchy (fields after " - ": type source opts).
    mapfile -t cgmounts < <(awk '{ split($0, p, " - "); split(p[1], a, " ");
        split(p[2], b, " "); if (b[1] == "cgroup") print a[5], b[3] }' /proc/self/mountinfo |
        sort -u)
    hier=()
    for m in "${cgmounts[@]}"; do
        h=${m%% *}
        hier+=("$h")
        [[ ,${m#* }, == *,pids,* ]] && pids_dir=$h
        [[ ,${m#* }, == *,cpuset,* ]] && cpuset_dir=$h
    done
    cgver=v1
fi
[ ${#hier[@]} -gt 0 ] || die "no cgroup hierarchy mounted"

if [ -n "$cc_ok" ]; then
    cat >"$work/limit.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
/* limit ID ROOTFS NAMESPACES PIDS_LIMIT PIDS_DIR CPUSET_DIR HIERARCHY...  ("-" = none) */
static char path[4096];
static int put(const char *dir, const char *id, const char *file, const char *val)
{
    int fd, n;
    snprintf(path, sizeof(path), "%s/%s/%s", dir, id, file);
    if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
        return -1;
    n = (int)write(fd, val, strlen(val));
    close(fd);
    return n < 0 ? -1 : 0;
}
static void copy_parent(const char *dir, const char *id, const char *file)
{
    char buf[256] = "";
    int fd;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
        if (read(fd, buf, sizeof(buf) - 1) < 0)
            buf[0] = 0;
        close(fd);
    }
    put(dir, id, file, buf);
}
int main(int argc, char **argv)
{
    int flags = 0, cgroupns = 0, p[2], st, i, t;
    char pidbuf[32];
    pid_t pid;

    if (argc < 8)
        return 2;
    const char *id = argv[1], *rootfs = argv[2], *pids = argv[4];
    for (char *ns = strtok(argv[3], ","); ns; ns = strtok(NULL, ",")) {
        if (!strcmp(ns, "pid")) flags |= CLONE_NEWPID;
        else if (!strcmp(ns, "network")) flags |= CLONE_NEWNET;
        else if (!strcmp(ns, "ipc")) flags |= CLONE_NEWIPC;
        else if (!strcmp(ns, "uts")) flags |= CLONE_NEWUTS;
        else if (!strcmp(ns, "mount")) flags |= CLONE_NEWNS;
        else if (!strcmp(ns, "cgroup")) cgroupns = 1;
        else { fprintf(stderr, "limit: namespace %s not supported\n", ns); return 2; }
    }
    for (i = 7; i < argc; i++) {
        snprintf(path, sizeof(path), "%s/%s", argv[i], id);
        if (mkdir(path, 0755) < 0) { perror(path); return 2; }
    }
    if (strcmp(argv[6], "-")) {
        copy_parent(argv[6], id, "cpuset.cpus");
        copy_parent(argv[6], id, "cpuset.mems");
    }
    if (strcmp(pids, "-") && strcmp(argv[5], "-"))
        put(argv[5], id, "pids.max", pids);
    if (pipe2(p, O_CLOEXEC) < 0)
        return 2;
    /* Raw clone without a stack: fork semantics, in the new namespaces. */
    pid = (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, 0);
    if (pid < 0) { perror("clone"); return 2; }
    if (pid == 0) {
        char c;
        close(p[1]);
        if (read(p[0], &c, 1) != 0) _exit(126); /* EOF: the parent has placed us */
        if (cgroupns && unshare(CLONE_NEWCGROUP) < 0) { perror("unshare"); _exit(126); }
        if ((flags & CLONE_NEWNS) && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            { perror("mount"); _exit(126); }
        if (chroot(rootfs) < 0 || chdir("/") < 0) { perror("chroot"); _exit(126); }
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
    for (i = 7; i < argc; i++)
        if (put(argv[i], id, "cgroup.procs", pidbuf) < 0) { perror(path); kill(pid, SIGKILL); }
    close(p[1]);
    if (waitpid(pid, &st, 0) < 0)
        return 2;
    for (i = 7; i < argc; i++) {
        snprintf(path, sizeof(path), "%s/%s", argv[i], id);
        for (t = 0; rmdir(path) < 0 && errno == EBUSY && t < 1000; t++)
            usleep(1000);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
EOF
    cc -O2 -Wall -o "$work/limit" "$work/limit.c" || die "cannot compile the limit"
    limit_cmd=("$work/limit")
    limit_args=("$bundle/rootfs" "$namespaces" "${pids_limit:--}" "${pids_dir:--}"
        "${cpuset_dir:--}" "${hier[@]}")
    limit_desc="C: clone($namespaces) + ${#hier[@]} cgroup joins ($cgver) + chroot + exec"
else
    # Shell fallback: util-linux unshare does the namespaces and the chroot (--root); one
    # mkdir and one rmdir process. Costs a few fork+execs more than the C version.
    unshare_flags=$(jq -r '[.linux.namespaces[].type | {pid: "--pid --fork", network: "--net",
        ipc: "--ipc", uts: "--uts", mount: "--mount", cgroup: "--cgroup", user: "--user",
        time: "--time"}[.]] | join(" ")' "$bundle/config.json")
    cat >"$work/limit.sh" <<EOF
#!/bin/sh
id=\$1
set -- ${hier[*]}
dirs=; for h; do dirs="\$dirs \$h/\$id"; done
mkdir \$dirs || exit 1
${cpuset_dir:+read v <$cpuset_dir/cpuset.cpus; echo "\$v" >$cpuset_dir/\$id/cpuset.cpus
read v <$cpuset_dir/cpuset.mems; echo "\$v" >$cpuset_dir/\$id/cpuset.mems}
${pids_limit:+${pids_dir:+echo $pids_limit >$pids_dir/\$id/pids.max}}
(for h; do echo 0 >"\$h/\$id/cgroup.procs" || exit 1; done
 exec unshare $unshare_flags --root=$bundle/rootfs /bin/true)
rc=\$?
rmdir \$dirs
exit \$rc
EOF
    limit_cmd=(/bin/sh "$work/limit.sh")
    limit_args=()
    limit_desc="sh: unshare $unshare_flags --root + ${#hier[@]} cgroup joins ($cgver)"
fi

# --- one sample ---------------------------------------------------------------------------
# run_one NAME ID KEEP: one `run` (or one limit); with KEEP=1 appends "us rss_kib" to
# $work/NAME.samples. Its stderr goes to $work/err/NAME; last_rc gets its exit status.
last_rc=0
run_one() {
    local name=$1 id=$2 keep=$3 res ns kib rc root=
    local -a cmd
    case $name in
    limit) cmd=("${limit_cmd[@]}" "$id" "${limit_args[@]}") ;;
    *)
        root=$work/state/$name
        case $name in hull) cmd=("$hull") ;; crun) cmd=("$CRUN") ;; runc) cmd=("$RUNC") ;; esac
        cmd+=(--root "$root" run --bundle "$bundle" "$id")
        ;;
    esac
    res=$("$measure" 0 "${cmd[@]}" 3>&1 </dev/null >/dev/null 2>"$work/err/$name") || true
    read -r ns kib rc <<<"$res"
    last_rc=${rc:-255}
    if [ -n "$root" ] && [ -e "$root/$id" ]; then # leftover state of a failed run
        bin_of "$name" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
    fi
    [ "$last_rc" = 0 ] || return 1
    [ "$keep" = 1 ] && echo "$((ns / 1000)) $kib" >>"$work/$name.samples"
    return 0
}

reason_of() { # the runtime's own error on one line, else its exit status
    local msg
    msg=$(tr -s '\n' ' ' <"$work/err/$1" | sed 's/ *$//' | cut -c1-300)
    echo "${msg:-exit status $last_rc, no message}"
}

# --- probe: each runtime once; if runc fails, retry it without rlimits/oomScoreAdj ----------
# (runc's rlimit/OOM handling can need CAP_SYS_RESOURCE, which some hosts keep out of the
# bounding set.) If that makes runc work, every runtime gets the reduced config, so all
# still run the same bundle; if not, runc is reported as failed with its first error.
[ -x "$CRUN" ] || failed[crun]="not installed ($CRUN)"
[ -x "$RUNC" ] || failed[runc]="not installed ($RUNC)"
candidates=()
for name in "${names[@]}"; do [ -z "${failed[$name]:-}" ] && candidates+=("$name"); done
probe() { # probe TAG NAME...
    local tag=$1 name
    shift
    for name; do
        unset "failed[$name]"
        run_one "$name" "$prefix-$name-probe$tag" 0 || failed[$name]=$(reason_of "$name")
    done
}
probe 0 "${candidates[@]}"
adjust=
if [[ " ${candidates[*]} " == *" runc "* ]] && [ -n "${failed[runc]:-}" ]; then
    first=${failed[runc]}
    echo "bench: runc failed with the default config: $first" >&2
    echo "bench: retrying without process.rlimits and process.oomScoreAdj" >&2
    cp "$bundle/config.json" "$work/config.default.json"
    jq 'del(.process.rlimits, .process.oomScoreAdj)' "$work/config.default.json" \
        >"$bundle/config.json"
    probe 1 runc
    if [ -z "${failed[runc]:-}" ]; then
        adjust="process.rlimits and process.oomScoreAdj removed for all (runc failed with them: $first)"
        probe 1 "${candidates[@]}"
    else
        echo "bench: runc still fails: ${failed[runc]}" >&2
        failed[runc]=$first
        cp "$work/config.default.json" "$bundle/config.json"
    fi
fi
[ -z "${failed[hull]:-}" ] || die "hull-runtime fails: ${failed[hull]}"
[ -z "${failed[limit]:-}" ] || die "the limit fails: ${failed[limit]}"

active=()
for name in "${names[@]}"; do [ -z "${failed[$name]:-}" ] && active+=("$name"); done

# --- warm-up and measured rounds, round-robin with a rotating start --------------------------
sample() { # sample NAME ROUND KEEP
    run_one "$1" "$prefix-$1-$2" "$3" || failed[$1]="run $2: $(reason_of "$1")"
}
bench_rounds sample "$GAP"

# --- report ---------------------------------------------------------------------------------
# stats NAME -> "median p10 p90 n rss_median rss_max" (ms, KiB)
stats() { bench_stats "$work/$1.samples" 2; }
version_of() {
    case $1 in
    hull) "$hull" --version 2>/dev/null | head -n1 ;;
    crun) "$CRUN" --version 2>/dev/null | head -n1 ;;
    runc) "$RUNC" --version 2>/dev/null | head -n1 ;;
    limit) echo "$limit_desc" ;;
    esac
}

commit=$(bench_commit "$repo")
echo "hull runtime benchmark: \`run\` of a /bin/true container"
echo "commit   $commit"
echo "date     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host     $(uname -r), $(nproc) cpus, cgroup $cgver$([ "$HULL_BENCH_INNER" = hybrid ] &&
    echo ' (hybrid host: cgroup2 unmounted in a private mount namespace)')"
echo "rounds   $N measured + $WARMUP warm-up, interleaved round-robin, ${GAP}s idle before each"
echo "timing   $([ -x "$work/measure" ] && echo 'fork..wait4 in a C helper, ru_maxrss' ||
    echo 'bash EPOCHREALTIME around /usr/bin/time -f %M')"
[ -n "$adjust" ] && echo "config   $adjust"
echo
declare -A med rss
bench_rss_table 6 15 12 runtime version version_of "${names[@]}"
echo
bench_ratio_lines hull "crun runc limit" "crun runc"
echo "project targets: time hull/crun <= 0.70, hull/limit <= 1.50; peak RSS hull/crun < 1"
