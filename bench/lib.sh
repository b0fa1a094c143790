# bench/lib.sh — what the bench scripts share: the private-namespace re-exec, the timing
# helper, the round-robin loop, statistics, ratios and targets, process and mount cleanup.
# Sourced (not run) by bench/*.sh; every function is plain bash and needs no state but
# the globals each one names.

# wait_until, alive, stop_pid, pids_with, end_pids, umount_under, and the private dockerd
# and containerd that bench/engine.sh shares with the interop tests.
. "$(dirname "${BASH_SOURCE[0]}")/../tests/integration/daemons.bash"

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

# bench_enter_private_ns NET ARGS...: re-exec the calling script (with ARGS) in a private
# mount namespace (and, with NET=1, a network namespace of its own) when it needs one;
# back in it, finish the set-up. HULL_BENCH_INNER says which: "hybrid" or "plain".
#
# Hybrid cgroups (v1 controllers + cgroup2 at /sys/fs/cgroup/unified): Debian's crun 1.8.1
# refuses them ("cgroups in hybrid mode not supported"). The whole bench, every runtime
# and daemon included so the comparison stays fair, runs where that cgroup2 mount is gone.
# A network namespace keeps the bridges, veths, addresses and firewall rules the engines
# make off the host: they all vanish with the namespace. The host's mounts are untouched,
# and every mount made during the bench stays in the private namespace (always entered,
# whatever the cgroup mode: the /run tmpfs below needs it).
bench_enter_private_ns() {
    local net=$1 mode=plain
    local -a flags=(--mount --propagation private)
    shift
    if [ -z "${HULL_BENCH_INNER:-}" ]; then
        [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] && mode=hybrid
        export HULL_BENCH_INNER=$mode HULL_BENCH_NETNS=$net
        [ "$net" = 1 ] && flags+=(--net)
        exec unshare "${flags[@]}" "$0" "$@"
    fi
    if [ "$HULL_BENCH_INNER" = hybrid ]; then
        umount /sys/fs/cgroup/unified || die "cannot unmount /sys/fs/cgroup/unified"
    fi
    if [ "${HULL_BENCH_NETNS:-}" = 1 ]; then
        ip link set lo up || die "cannot bring up lo in the bench's network namespace"
    fi
    # Measure the real hot path: the sealed re-exec (CVE-2019-5736) is part of it.
    unset HULL_NO_SEALED_EXE
    # /run is a tmpfs on a standard Linux host, where every engine keeps its volatile
    # state (runtime state.json, shim sockets, /run/netns, /run/libpod...). This VM's /run
    # is on the root ext4 (no journal, so every inode allocation scans past recently
    # deleted ones): give every engine the usual tmpfs, in our mount namespace only.
    if [ "$(stat -fc %T /run)" != tmpfs ]; then
        mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run || die "cannot mount a tmpfs on /run"
    fi
}

# bench_volatile DIR...: make each DIR (created if missing) a tmpfs of its own: for the
# run roots the bench gives each engine explicitly (they would default to /run). Only
# in the private mount namespace; the mounts vanish with it.
bench_volatile() {
    local d
    for d in "$@"; do
        mkdir -p "$d" && mount -t tmpfs -o mode=0700,nosuid,nodev tmpfs "$d" ||
            die "cannot mount a tmpfs on $d"
    done
}

# bench_commit REPO: the commit measured, "(uncommitted changes)" if the tree has any.
bench_commit() {
    local c
    c=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
    git -C "$1" diff --quiet HEAD 2>/dev/null || c="$c (uncommitted changes)"
    echo "$c"
}

# --- timing -------------------------------------------------------------------------------
# bench_make_measure DIR: sets `measure` to a helper that runs `measure TIMEOUT CMD...`
# and prints "wall_ns maxrss_kib status" on fd 3. Wall time is fork..wait4 in C; the
# RSS is ru_maxrss (the largest single process of the command's tree, not a sum). With a
# TIMEOUT (seconds, 0 = none) the command runs in a process group of its own, killed
# after TIMEOUT (status 124). Without a compiler: DIR/measure.sh, bash's clock around
# timeout(1) (TIMEOUT > 0, RSS 0) or around /usr/bin/time -f %M (TIMEOUT 0).
bench_make_measure() {
    local dir=$1
    measure=$dir/measure
    if command -v cc >/dev/null; then
        cat >"$dir/measure.c" <<'EOF'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static pid_t child;
static volatile sig_atomic_t timed_out;
static void on_alarm(int s) { (void)s; timed_out = 1; kill(-child, SIGKILL); }
int main(int argc, char **argv)
{
    struct timespec a, b;
    struct rusage ru;
    int st;
    unsigned timeout;
    FILE *out = fdopen(3, "w");
    if (argc < 3 || !out)
        return 2;
    timeout = (unsigned)atoi(argv[1]);
    signal(SIGALRM, on_alarm);
    clock_gettime(CLOCK_MONOTONIC, &a);
    child = fork();
    if (child == 0) {
        close(3);
        if (timeout)
            setpgid(0, 0);
        execvp(argv[2], argv + 2);
        _exit(127);
    }
    if (child < 0)
        return 2;
    if (timeout) {
        setpgid(child, child);
        alarm(timeout);
    }
    while (wait4(child, &st, 0, &ru) < 0)
        ;
    clock_gettime(CLOCK_MONOTONIC, &b);
    fprintf(out, "%lld %ld %d\n",
            (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
            ru.ru_maxrss,
            timed_out ? 124 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}
EOF
        cc -O2 -o "$measure" "$dir/measure.c" && return 0
    fi
    measure=$dir/measure.sh
    cat >"$measure" <<'EOF'
#!/bin/bash
t=$1; shift
t0=$EPOCHREALTIME
if [ "$t" != 0 ]; then
    timeout --kill-after=5 "$t" "$@"
    rc=$?
    kib=0
else
    /usr/bin/time -f %M -o "$0.rss.$$" "$@"
    rc=$?
    kib=$(tail -n1 "$0.rss.$$")
    rm -f "$0.rss.$$"
fi
t1=$EPOCHREALTIME
echo "$(( (${t1/./} - ${t0/./}) * 1000 )) $kib $rc" >&3
EOF
    chmod +x "$measure"
}

# --- rounds -------------------------------------------------------------------------------
# bench_rounds SAMPLE GAP: WARMUP + N rounds over the names in the global array `active`,
# interleaved round-robin with the start rotated each round so machine drift hits all
# alike; a name with an entry in the global assoc `failed` is skipped. Calls
# `SAMPLE NAME ROUND KEEP` (KEEP=1 past the warm-up) after GAP seconds idle (0: none).
bench_rounds() {
    local sample=$1 gap=$2 total=$((WARMUP + N)) i j k name
    for ((i = 0; i < total; i++)); do
        k=${#active[@]}
        for ((j = 0; j < k; j++)); do
            name=${active[$(((i + j) % k))]}
            [ -n "${failed[$name]:-}" ] && continue
            [ "$gap" = 0 ] || sleep "$gap"
            "$sample" "$name" "$i" "$((i >= WARMUP ? 1 : 0))"
        done
        if [ -t 2 ]; then
            printf '\rbench: round %d/%d' "$((i + 1))" "$total" >&2
            ((i + 1 < total)) || echo >&2
        elif (((i + 1) % 10 == 0 || i + 1 == total)); then
            note "round $((i + 1))/$total"
        fi
    done
}

# --- statistics ---------------------------------------------------------------------------
# bench_stats FILE PREC [UNIT]: of the samples in FILE (one a line: a time in UNITs of a
# millisecond's 1/UNIT, default 1000 = µs; optionally a peak RSS in KiB after it) prints
# "median p10 p90 n" in ms with PREC decimals, then "rss_median rss_max" if FILE has RSS.
# Nearest-rank percentiles; the median of an even count is the mean of the middle two.
bench_stats() {
    local f=$1 prec=$2 unit=${3:-1000}
    [ -s "$f" ] || return 1
    paste -d' ' <(awk '{ print $1 }' "$f" | sort -n) <(awk '{ print $2 }' "$f" | sort -n) |
        awk -v prec="$prec" -v unit="$unit" '
        { t[NR] = $1; r[NR] = $2; if ($2 != "") rss = 1 }
        function pct(a, p,   i) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return a[i] }
        function med(a) { return NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }
        END { fmt = "%." prec "f"
              printf fmt " " fmt " " fmt " %d", med(t) / unit, pct(t, 0.10) / unit,
                     pct(t, 0.90) / unit, NR
              if (rss) printf " %d %d", med(r), r[NR]
              printf "\n" }'
}

# bench_rss_table NAME_W RSS_W MAX_W FIRST LAST DESCRIBE NAME...: the table of runtime.sh
# and image.sh: a header (FIRST and LAST name the first and last columns), then one row
# per NAME: median, p10, p90 (ms), median and max peak RSS (KiB) of its samples (`stats
# NAME`) and `DESCRIBE NAME`, or "failed (why)" from the global assoc `failed`. Fills the
# global assocs `med` and `rss`. The widths are those of the columns named.
bench_rss_table() {
    local nw=$1 rw=$2 xw=$3 first=$4 last=$5 describe=$6 name m p10 p90 r rmax
    local fmt="%-${nw}s %10s %8s %8s %${rw}s %${xw}s  %s\n"
    shift 6
    # shellcheck disable=SC2059 # the format is made of widths only
    printf "$fmt" "$first" "median ms" "p10 ms" "p90 ms" "peak RSS KiB" "(max KiB)" "$last"
    for name; do
        if [ -n "${failed[$name]:-}" ]; then
            printf "%-${nw}s failed (%s)\n" "$name" "${failed[$name]}"
            continue
        fi
        read -r m p10 p90 _ r rmax <<<"$(stats "$name")"
        med[$name]=$m
        rss[$name]=$r
        # shellcheck disable=SC2059
        printf "$fmt" "$name" "$m" "$p10" "$p90" "$r" "($rmax)" "$("$describe" "$name")"
    done
}

# bench_ratio_lines NAME PEERS RSS_PEERS: the "ratios of medians:" line (NAME/PEER for
# each of the words of PEERS, "n/a (PEER failed)" for one without a median) and the
# "ratios of peak RSS: " line (each of RSS_PEERS that has one), from the global assocs
# `med` and `rss` that bench_rss_table fills.
bench_ratio_lines() {
    local name=$1 peer line="ratios of medians:"
    for peer in $2; do
        if [ -n "${med[$peer]:-}" ]; then
            line+="  $name/$peer $(bench_ratio "${med[$name]}" "${med[$peer]}")"
        else
            line+="  $name/$peer n/a ($peer failed)"
        fi
    done
    echo "$line"
    line="ratios of peak RSS: "
    for peer in $3; do
        [ -n "${rss[$peer]:-}" ] && line+="  $name/$peer $(bench_ratio "${rss[$name]}" "${rss[$peer]}")"
    done
    echo "$line"
}

# bench_ratio A B [PREC]: A/B with PREC (2) decimals, "n/a" if A is empty or B is not > 0.
bench_ratio() {
    awk -v a="$1" -v b="$2" -v p="${3:-2}" \
        'BEGIN { if (a != "" && b > 0) printf "%." p "f", a / b; else print "n/a" }'
}

# bench_target VALUE OP LIMIT: "met" or "not met" (OP is <= or <), "n/a" for no number.
bench_target() {
    awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { if (v !~ /^[0-9.]+$/) { printf "n/a"; exit }
        ok = op == "<=" ? v + 0 <= l + 0 : v + 0 < l + 0
        printf "%s", ok ? "met" : "not met" }'
}
