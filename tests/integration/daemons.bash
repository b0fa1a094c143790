# Private containerd and dockerd for the interop tests (containerd.bats,
# dockerd.bats) and bench/engine.sh, plus the process and mount helpers their
# clean-ups need. Only definitions (functions, DOCKER, DOCKERD_NO_NETWORK):
# sourcing it starts nothing.
#
# Every daemon lives in a directory DIR of its own: its config, root, state,
# sockets, pid file and log are all in it, and nothing it leaves behind is
# found by name, only by DIR on a command line, a cgroup TAG in a path, or a
# socket address recorded under DIR. Daemons are started with stdin from
# /dev/null and fd 3 (bats' TAP channel) closed, so that no daemon, shim or
# container can hold a test's output open.

# ---- processes and mounts ------------------------------------------------

# wait_until SECONDS CMD...: CMD until it succeeds, every 50 ms; then once more.
wait_until() {
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 20; i++)); do
        "$@" && return 0
        sleep 0.05
    done
    "$@"
}

alive() { kill -0 "$1" 2>/dev/null; }

# stop_pid PID [SECONDS]: TERM, then KILL after SECONDS (20).
stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    wait_until "${2:-20}" eval '! alive "$pid"' || kill -KILL "$pid" 2>/dev/null || true
}

# pids_with STRING: processes whose command line contains STRING (never this
# shell).
pids_with() {
    local f pid
    for f in $(grep -lF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null); do
        pid=${f#/proc/}
        pid=${pid%/cmdline}
        [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] || echo "$pid"
    done
}

# end_pids STRING: processes carrying STRING on their command line (exit hooks
# such as conmon's `podman container cleanup`, shims) get 5 s to finish on
# their own, then TERM, then KILL: killing a runtime mid-delete leaves zombies
# that keep cgroups busy.
end_pids() {
    local pids pid
    pids=$(pids_left 100 "$1") || return 0
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
    pids=$(pids_left 40 "$1") || return 0
    for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
    return 0
}

# pids_left TICKS STRING: the processes still carrying STRING after TICKS x
# 50 ms; fails as soon as there are none.
pids_left() {
    local pids i
    for ((i = 0; i < $1; i++)); do
        pids=$(pids_with "$2")
        [ -n "$pids" ] || return 1
        sleep 0.05
    done
    echo "$pids"
}

# umount_under DIR: every mount below DIR (as this mount namespace sees it):
# overlays, shm, netns bind mounts; deepest first.
umount_under() {
    local m
    for m in $(findmnt -rn -o TARGET | grep -F -- "$1/" | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
}

# ---- host directories ------------------------------------------------------

# note_host_dirs DIR PATH...: the PATHs that do not exist yet, listed in
# DIR/host-dirs. Daemons and shims create them whatever their roots are.
note_host_dirs() {
    local dir=$1 d
    shift
    for d; do
        [ -e "$d" ] || echo "$d" >>"$dir/host-dirs"
    done
}

# remove_host_dirs DIR: those of DIR/host-dirs that are empty, in order.
remove_host_dirs() {
    local d
    [ -f "$1/host-dirs" ] || return 0
    while read -r d; do
        rmdir -- "$d" 2>/dev/null || true
    done <"$1/host-dirs"
}

# ---- containerd ----------------------------------------------------------

# containerd_config DIR LOG_LEVEL: DIR/config.toml for a private containerd:
# root, state, opt dir and sockets (DIR/containerd.sock) in DIR; no CRI plugin.
containerd_config() {
    local dir=$1
    mkdir -p "$dir/opt"
    cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[debug]
  address = ""
  level = "$2"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
EOF
}

# containerd_launch DIR: containerd with DIR/config.toml, its log in
# DIR/containerd.log and its PID in DIR/containerd.pid; waits up to 30 s for
# DIR/containerd.sock to answer. Fails if it does not.
containerd_launch() {
    local dir=$1
    containerd --config "$dir/config.toml" </dev/null >>"$dir/containerd.log" 2>&1 3>&- &
    echo $! >"$dir/containerd.pid"
    wait_until 30 eval 'ctr -a "$dir/containerd.sock" version >/dev/null 2>&1 </dev/null 3>&-'
}

containerd_stop() { # containerd_stop DIR: TERM, then KILL after 10 s
    [ -f "$1/containerd.pid" ] || return 0
    stop_pid "$(cat "$1/containerd.pid")" 10
}

# containerd_clear CTR...: with the ctr command CTR (address and namespace
# given), kill and delete every task, then delete every container.
containerd_clear() {
    local id
    local -a c=("$@")
    for id in $("${c[@]}" task ls -q 2>/dev/null); do
        "${c[@]}" task kill -s SIGKILL --all "$id" >/dev/null 2>&1 || true
    done
    for id in $("${c[@]}" task ls -q 2>/dev/null); do
        wait_until 10 eval '[ "$(containerd_task_status "$id" "${c[@]}")" = STOPPED ]' || true
        "${c[@]}" task delete --force "$id" >/dev/null 2>&1 || true
    done
    for id in $("${c[@]}" containers ls -q 2>/dev/null); do
        "${c[@]}" containers delete "$id" >/dev/null 2>&1 || true
    done
}

# containerd_task_status ID CTR...: the task's status (RUNNING, STOPPED...).
containerd_task_status() {
    local id=$1
    shift
    "$@" task ls 2>/dev/null | awk -v id="$id" '$1 == id { print $3 }'
}

# ---- dockerd -------------------------------------------------------------

DOCKER=${DOCKER:-/usr/bin/docker}
# dockerd arguments for "no networking": no bridge, no firewall rules.
DOCKERD_NO_NETWORK=(--iptables=false --ip6tables=false --ip-masq=false --bridge=none)

# dockerd_launch DIR DRIVER LOG_LEVEL CGROUP_PARENT [DOCKERD_ARGS...]: a
# private dockerd with that storage driver: data-root, exec-root (with its own
# containerd), pidfile, socket DIR/docker.sock, DIR/daemon.json (trust key in
# DIR), cgroupfs driver under CGROUP_PARENT; its log in DIR/dockerd.log, its
# PID in DIR/dockerd.pid.launched. Waits up to 60 s for its API.
dockerd_launch() {
    local dir=$1 driver=$2 level=$3 parent=$4
    shift 4
    # The trust key would otherwise be written to /etc/docker/key.json.
    [ -f "$dir/daemon.json" ] ||
        jq -n --arg key "$dir/key.json" '{"deprecated-key-path": $key}' >"$dir/daemon.json"
    dockerd \
        --config-file "$dir/daemon.json" \
        --data-root "$dir/data" \
        --exec-root "$dir/exec" \
        --pidfile "$dir/dockerd.pid" \
        -H "unix://$dir/docker.sock" \
        --userland-proxy=false \
        --storage-driver="$driver" \
        --exec-opt native.cgroupdriver=cgroupfs \
        --cgroup-parent "$parent" \
        --log-level "$level" \
        "$@" \
        </dev/null >>"$dir/dockerd.log" 2>&1 3>&- &
    echo $! >"$dir/dockerd.pid.launched"
    wait_until 60 eval '"$DOCKER" -H "unix://$dir/docker.sock" info >/dev/null 2>&1 </dev/null 3>&- ||
        ! alive "$(cat "$dir/dockerd.pid.launched")"' || true
    "$DOCKER" -H "unix://$dir/docker.sock" info >/dev/null 2>&1 </dev/null 3>&-
}

# dockerd_start DIR LOG_LEVEL CGROUP_PARENT [DOCKERD_ARGS...]: dockerd_launch
# with overlay2, else (overlayfs not usable, e.g. DIR itself on overlayfs)
# with vfs. Sets DOCKERD_DRIVER to the one that worked; fails if none did.
dockerd_start() {
    local dir=$1 drv
    shift
    DOCKERD_DRIVER=
    for drv in overlay2 vfs; do
        if dockerd_launch "$dir" "$drv" "$@"; then
            DOCKERD_DRIVER=$drv
            return 0
        fi
        dockerd_stop "$dir"
        echo "=== $drv failed" >>"$dir/dockerd.log"
    done
    return 1
}

# dockerd_stop DIR: dockerd, then its containerd if it outlived it.
dockerd_stop() {
    local dir=$1 cpid
    [ -f "$dir/dockerd.pid.launched" ] || return 0
    cpid=$(cat "$dir/exec/containerd/containerd.pid" 2>/dev/null) || true
    stop_pid "$(cat "$dir/dockerd.pid.launched")" 20
    [ -z "$cpid" ] || stop_pid "$cpid" 10
    rm -f "$dir/dockerd.pid.launched"
}

# dockerd_clear DOCKER_ARGS...: remove every container of the daemon.
dockerd_clear() {
    local ids
    ids=$("$@" ps -aq 2>/dev/null) || return 0
    [ -z "$ids" ] || "$@" rm -f $ids >/dev/null 2>&1 || true
}

# ---- what the tests look at ------------------------------------------------

# interop_env: REPO, HULL_RUNTIME and HULL_ROOTFS of the interop tests (those
# of helpers.bash, else the repo's build dir); HULL_RUNTIME made absolute, as
# the daemons run it from their own working directories; ASan without leak
# detection.
interop_env() {
    REPO=${REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
    HULL_RUNTIME=${HULL_RUNTIME:-$REPO/build/hull-runtime}
    HULL_ROOTFS=${HULL_ROOTFS:-$REPO/build/busybox-rootfs}
    case $HULL_RUNTIME in /*) ;; *) HULL_RUNTIME=$PWD/$HULL_RUNTIME ;; esac
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
}

# need_hull_runtime: fails (with a message) unless $HULL_RUNTIME is built.
need_hull_runtime() {
    [ -x "$HULL_RUNTIME" ] && return 0
    echo "HULL_RUNTIME=$HULL_RUNTIME is not executable (build first)" >&2
    return 1
}

# cg_path PID CONTROLLER: host path of PID's cgroup for a v1 controller, or
# of its cgroup2 cgroup when the controller is not mounted on its own.
cg_path() {
    local pid=$1 ctrl=$2 p
    p=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
    if [ -n "$p" ] && [ -d "/sys/fs/cgroup/$ctrl$p" ]; then
        echo "/sys/fs/cgroup/$ctrl$p"
        return
    fi
    p=$(awk -F: '$1 == "0" && $2 == "" { print $3 }' "/proc/$pid/cgroup")
    if [ -d /sys/fs/cgroup/unified ]; then
        echo "/sys/fs/cgroup/unified$p"
    else
        echo "/sys/fs/cgroup$p"
    fi
}

# daemon_failure_report STATE_DIR LOG NAME: to stderr, every non-empty
# log.json below STATE_DIR (what the runtime logged for the shims) and the
# last 20 warnings and errors of the daemon's LOG.
daemon_failure_report() {
    local f
    for f in $(find "$1" -name log.json 2>/dev/null); do
        [ -s "$f" ] || continue
        echo "--- hull-runtime log $f:" >&2
        cat "$f" >&2
    done
    echo "--- $3 log (warnings and errors, last 20):" >&2
    grep -E 'level=(warning|error|fatal)' "$2" | tail -n 20 >&2
}

# ---- what the daemons leave behind -----------------------------------------

# daemon_leftovers DIR TAG: after the daemons of DIR are stopped: processes
# with DIR on their command line (shims), processes in cgroups whose path
# holds TAG, shim sockets whose addresses are recorded under DIR (they live in
# /run/containerd/s), mounts under DIR, the cgroups of TAG (children first;
# within 20 s: a zombie not yet reaped keeps a v1 cgroup busy), and the host
# directories of DIR/host-dirs. Names on stderr the cgroups it could not
# remove.
daemon_leftovers() {
    local dir=$1 tag=$2 f pid a i
    end_pids "$dir/"
    for f in $(find /sys/fs/cgroup -mindepth 2 -maxdepth 5 -path "*/$tag*" -name cgroup.procs 2>/dev/null); do
        for pid in $(cat "$f" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    done
    for f in $(find "$dir" -name address 2>/dev/null); do
        a=$(cat "$f" 2>/dev/null) || continue
        a=${a#unix://}
        case $a in /run/containerd/s/*) rm -f -- "$a" ;; esac
    done
    umount_under "$dir"
    for ((i = 0; i < 200; i++)); do
        find /sys/fs/cgroup -mindepth 2 -maxdepth 5 -depth -type d -path "*/$tag*" \
            -exec rmdir {} + 2>/dev/null && break
        [ -z "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 5 -type d -path "*/$tag*" 2>/dev/null)" ] && break
        sleep 0.1
    done
    remove_host_dirs "$dir"
    a=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 5 -type d -path "*/$tag*" 2>/dev/null | head -n 3)
    [ -z "$a" ] || echo "cgroups left behind (busy):" $a >&2
}
