#!/bin/bash
# bench/phases.sh — where the time of `hull run --rm --network none busybox true` goes,
# phase by phase, across all of its processes (hull, the monitor child, the init,
# hull-monitor). Not a comparison with peers (that is engine.sh): a profiler of hull's
# own path, to see what a change moved.
#
# Usage: bench/phases.sh BUILD_DIR [N] [FUNCTION...]
#
# Uprobes on the entry and the return of each FUNCTION of BUILD_DIR/hull (a default
# list covers the run path), and the scheduler's exec, fork and exit events, are
# recorded over N runs (default 20), each after 0.2 s idle as in engine.sh, in the same
# private mount namespace (cgroup2 unmounted on a hybrid host, /run on a tmpfs). For
# every event the output gives the median time since the run's first exec and the
# step from the line before; an event seen in fewer than half of the runs is left out.
# A uprobe hit costs a few microseconds: compare runs of this script, not its totals
# with engine.sh's. Needs root, perf (Debian: linux-perf) and uprobes; the probes are
# removed at the end.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=$(realpath "${1:?usage: bench/phases.sh BUILD_DIR [N] [FUNCTION...]}")
n=${2:-20}
shift $(($# < 2 ? $# : 2))
funcs=("$@")
[ ${#funcs[@]} -gt 0 ] || funcs=(main hull_engine_run hull_image_mount_rootfs hull_monitor_spawn
    hull_container_create hull_config_load hull_cgroup_create drive_init hull_init_main
    hull_rootfs_prepare hull_rootfs_pivot hull_rootfs_finalize hull_container_start
    hull_process_finalize record_exit hull_engine_autoremove)
[ -x "$build/hull" ] || die "$build/hull missing; run ninja -C $build"
command -v perf >/dev/null || die "perf is missing (Debian: apt-get install linux-perf)"
command -v python3 >/dev/null || die "python3 is missing"

bench_enter_private_ns 0 "$build" "$n" "${funcs[@]}"

group=hull_phases
work=$(mktemp -d /tmp/hull-bench-phases.XXXXXX)
cleanup() {
    perf probe -q -d "$group:*" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
perf probe -q -d "$group:*" >/dev/null 2>&1
for f in "${funcs[@]}"; do
    if ! perf probe -q -x "$build/hull" -a "$group:$f=$f" >/dev/null 2>&1; then
        note "no probe on $f (not in $build/hull)"
        continue
    fi
    # An inlined function has no return to probe: its entry alone is shown.
    perf probe -q -x "$build/hull" -a "$group:${f}_ret=$f%return" >/dev/null 2>&1 || true
done
perf probe -l "$group:*" 2>/dev/null | grep -q . || die "no uprobe could be set (kernel without uprobes?)"

run=("$build/hull" --root "$work/lib" --runroot /run/hull-bench-phases run --rm --network none busybox true)
"${run[@]}" >/dev/null 2>&1 || die "hull run failed: ${run[*]}"
perf record -q -o "$work/perf.data" -e "$group:*" \
    -e sched:sched_process_exec,sched:sched_process_fork,sched:sched_process_exit -a -- \
    sh -c "for i in \$(seq $n); do sleep 0.2; $(printf '%q ' "${run[@]}") >/dev/null 2>&1; done" \
    >/dev/null 2>&1 || die "perf record failed"

echo "hull run phases: medians over $n runs of: hull run --rm --network none busybox true"
echo "commit $(bench_commit "$(dirname "$build")"), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
perf script -i "$work/perf.data" -F comm,pid,tid,time,event,trace 2>/dev/null | python3 -c '
import collections, re, statistics, sys
runs, cur, tree, shkids = [], None, set(), set()
for line in sys.stdin:
    m = re.match(r"\s*(.+?)\s+(\d+)/(\d+)\s+([0-9.]+):\s+(\S+):\s*(.*)", line)
    if not m:
        continue
    comm, pid, tid, t, ev, tr = m.groups()
    t = float(t) * 1000
    if ev.endswith("sched_process_fork"):
        child = re.search(r"child_pid=(\d+)", tr).group(1)
        if comm == "sh":
            shkids.add(child)
        if pid in tree:
            tree.add(child)
        continue
    if (ev.endswith("sched_process_exec") and pid in shkids and pid not in tree and
            tr.split("filename=")[1].split()[0].endswith("/hull")):
        cur = {"t0": t, "ev": []}
        runs.append(cur)
        tree = {pid}
        continue
    if cur is None or pid not in tree:
        continue
    name = ev.split(":")[-1].replace("_ret__return", " returns")
    if ev.endswith("sched_process_exec"):
        name = "exec " + tr.split("filename=")[1].split()[0].split("/")[-1]
    elif ev.endswith("sched_process_exit"):
        name = "exit of a " + comm + (" thread" if pid != tid else "")
    cur["ev"].append((t - cur["t0"], name))
seen = collections.defaultdict(list)
for r in runs:
    count = collections.Counter()
    for t, name in r["ev"]:
        count[name] += 1
        seen[(name, count[name])].append(t)
rows = sorted((statistics.median(v), k) for k, v in seen.items() if len(v) * 2 >= len(runs))
print("%9s %9s  event (#: its n-th time in a run)" % ("ms", "step"))
prev = 0.0
for t, (name, k) in rows:
    print("%9.2f %+9.2f  %s%s" % (t, t - prev, name, " #%d" % k if k > 1 else ""))
    prev = t
print("%d runs" % len(runs))
'
