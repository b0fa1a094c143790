#!/bin/bash
# bench/engine.sh BUILD_DIR [N] — the engine benchmark: wall time of `run --rm IMAGE true`
# with hull, podman (crun and runc), docker (a private dockerd) and ctr (a private
# containerd), with no network and with each engine's default bridge network, all
# interleaved round-robin; medians, p10/p90 and the ratios hull/peer next to the
# project's targets. Then `hull ps` with 100 running containers, and the RSS and PSS of
# hull's per-container monitor against podman's conmon. A benchmark, not a test: it
# asserts nothing, and a peer that is missing or fails is reported as such.
#
# Environment: N (rounds, default 30), WARMUP (default 3), GAP (idle seconds before each
# sample, default 0.2), PS_CONTAINERS (default 100), PS_N (default 30), CMD_TIMEOUT
# (seconds per command, default 60), CRUN, RUNC, DOCKER (binaries), KEEP=1 keeps the work
# directory. Needs root. See bench/README.md.
set -euo pipefail

build=${1:?usage: bench/engine.sh BUILD_DIR [N]}
N=${2:-${N:-30}}
WARMUP=${WARMUP:-3}
GAP=${GAP:-0.2} # see "cold samples" in bench/README.md (runtime.sh)
PS_CONTAINERS=${PS_CONTAINERS:-100}
PS_N=${PS_N:-30}
CMD_TIMEOUT=${CMD_TIMEOUT:-60}
CRUN=${CRUN:-/usr/bin/crun}
RUNC=${RUNC:-/usr/sbin/runc}
DOCKER=${DOCKER:-/usr/bin/docker}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$repo/bench/lib.sh"
build=$(cd "$build" && pwd)
hull_bin=$build/hull
oci=$build/busybox-oci
rootfs=$build/busybox-rootfs

[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$hull_bin" ] || die "$hull_bin missing; run ninja -C $build"
[ -x "$rootfs/bin/busybox" ] || die "$rootfs missing; run ninja -C $build"
for t in jq sqlite3 findmnt ip; do command -v $t >/dev/null || die "$t missing (make deps)"; done
[[ $N =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"

# A private mount namespace (hybrid cgroups: crun 1.8.1 refuses them) and a network
# namespace of its own: every engine, the daemons included, sees the same v1 cgroup layout,
# and the bridges, veths, addresses and firewall rules of the bridge runs stay off the host.
bench_enter_private_ns 1 "$@"

work=$(mktemp -d /tmp/hull-bench-engine.XXXXXX)
tag=hbe-${work##*.}             # cgroup parent, containerd namespace, container names
export DOCKER_CONFIG=$work/docker-client # the docker client's config, not ~/.docker
mkdir -p "$work"/{samples,err,hull,podman,docker,ctd/fifo,ctd/runc,cni/net.d,cni/ipam} \
    "$DOCKER_CONFIG"
touch "$work/hull-ids" "$work/hull-pids"
# Every engine's volatile state (run roots, exec roots, shim state, fifos) on a tmpfs, as
# it is under /run on a standard host (see bench_enter_private_ns); the stores stay on disk.
bench_volatile "$work/run" "$work/docker/exec" "$work/ctd/state" "$work/ctd/fifo" "$work/ctd/runc"
# podman reads DOCKER_CONFIG too (for registry auth) and wants the file to exist.
echo '{}' >"$DOCKER_CONFIG/config.json"
# The engines of each table; a -bridge name is the same engine on its default bridge.
engines=(hull podman-crun podman-runc docker ctr)
bridge_engines=(hull-bridge podman-bridge docker-bridge ctr-bridge)
declare -A failed fails cmd_desc version

# Host directories the daemons, shims and CNI plugins create whatever their roots are: the
# ones that did not exist before are removed (if empty) at the end.
note_host_dirs "$work" /run/docker/plugins /run/docker /run/containerd/s \
    /run/containerd/fifo /run/containerd/runc /run/containerd /run/libpod /run/containers \
    /run/netns /var/lib/cni/results /var/lib/cni/networks /var/lib/cni /opt/cni/bin /opt/cni

to() { timeout --kill-after=10 "$CMD_TIMEOUT" "$@" </dev/null; }

H=("$hull_bin" --root "$work/hull/lib" --runroot "$work/run/hull")
hdb=$work/hull/lib/hull.db
P0=(podman --root "$work/podman/root" --runroot "$work/run/podman"
    --tmpdir "$work/run/podman-tmp" --cgroup-manager cgroupfs --events-backend file)
pod_driver=
P=("${P0[@]}" --storage-driver vfs) # set once the driver is known
D=("$DOCKER" -H "unix://$work/docker/docker.sock")
ctd_sock=$work/ctd/containerd.sock
C=(ctr -a "$ctd_sock" -n "$tag")

# start_of PID: the process's start time (field 22 of /proc/PID/stat), to tell it from a
# later process that got the same PID.
start_of() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
# kill_hull_leftovers: monitors and inits of our hull containers still alive after
# `rm -f`, by PID: those noted with their start time (hull-pids) if it still matches, and
# those hull's database records if they are ours: our work directory on the command line
# (a monitor) or a cgroup named after one of our containers (an init).
kill_hull_leftovers() {
    local pid start
    while read -r pid start; do
        [ "${pid:-0}" -gt 1 ] && [ "$(start_of "$pid")" = "$start" ] && kill -KILL "$pid" 2>/dev/null
    done <"$work/hull-pids"
    { sqlite3 "$hdb" "select id from containers" 2>/dev/null; cat "$work/hull-ids"; } >"$work/all-ids"
    for pid in $(sqlite3 "$hdb" "select monitor_pid from containers; select pid from containers" 2>/dev/null); do
        [ "${pid:-0}" -gt 1 ] || continue
        if grep -qF -- "$work/" "/proc/$pid/cmdline" 2>/dev/null ||
            { [ -s "$work/all-ids" ] && grep -qFf "$work/all-ids" "/proc/$pid/cgroup" 2>/dev/null; }; then
            kill -KILL "$pid" 2>/dev/null
        fi
    done
}

cleanup() {
    local id pid
    set +e
    trap '' INT TERM HUP
    # hull: every container of our root, then any monitor or init still alive (by PID).
    if [ -e "$hdb" ]; then
        for id in $(to "${H[@]}" ps -aq 2>/dev/null); do
            to "${H[@]}" rm -f "$id" >/dev/null 2>&1 || true
        done
        kill_hull_leftovers
        for id in $(sqlite3 "$hdb" "select id from containers" 2>/dev/null) $(cat "$work/hull-ids" 2>/dev/null); do
            find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -depth -type d -name "$id" \
                -exec rmdir {} + 2>/dev/null || true
        done
    fi
    # podman: its containers, then conmons left behind (they carry our paths).
    if [ -n "$pod_driver" ]; then
        to "${P0[@]}" --storage-driver "$pod_driver" rm -af -t 0 >/dev/null 2>&1 || true
    fi
    end_pids "$work/podman/"
    # dockerd: its containers, dockerd and its containerd by PID.
    [ -S "$work/docker/docker.sock" ] && dockerd_clear to "${D[@]}"
    dockerd_stop "$work/docker"
    # containerd: tasks and containers of our namespace, the daemon by PID.
    [ -S "$ctd_sock" ] && containerd_clear to "${C[@]}"
    containerd_stop "$work/ctd"
    # The CNI directories ctr reads, bound over the host's in our mount namespace.
    if [ -n "$cni_bound" ]; then
        umount /etc/cni/net.d 2>/dev/null
        umount /opt/cni/bin 2>/dev/null
    fi
    # With cgroup2 unmounted, /sys/fs/cgroup/unified is a plain directory of the tmpfs
    # under it, shared with the host though hidden there by its cgroup2 mount: runc and
    # podman's cgroupfs manager still create our cgroup paths in it (with a regular file
    # cgroup.procs). Not a cgroup: remove it as files.
    if [ "$HULL_BENCH_INNER" = hybrid ] && [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = tmpfs ]; then
        rm -rf -- "/sys/fs/cgroup/unified/$tag"
    fi
    # Shims and whatever else carries our paths, processes in our cgroups, shim sockets,
    # mounts under the work directory, our cgroups, the host directories we made.
    daemon_leftovers "$work" "$tag"
    if [ -n "${KEEP:-}" ]; then
        note "work directory kept: $work"
    else
        rm -rf -- "$work" 2>/dev/null || { sleep 1; rm -rf -- "$work" || true; }
    fi
}
trap cleanup EXIT
trap 'note "interrupted; cleaning up"; exit 130' INT TERM HUP

# --- timing: fork..wait4 wall time, with a timeout on the command's group ------------------
bench_make_measure "$work"

# timed NAME KEEP CMD...: one sample of CMD; with KEEP=1 appends its µs to samples/NAME.
# Its output goes to err/NAME; last_rc gets its exit status.
last_rc=0
timed() {
    local name=$1 keep=$2 res ns rc
    shift 2
    res=$("$measure" "$CMD_TIMEOUT" "$@" 3>&1 </dev/null >"$work/err/$name" 2>&1) || true
    read -r ns _ rc <<<"$res"
    last_rc=${rc:-255}
    [ "$last_rc" = 0 ] || return 1
    [ "$keep" = 1 ] && echo "$((ns / 1000))" >>"$work/samples/$name"
    return 0
}
reason_of() { # the command's own error on one line, else its exit status
    local msg
    msg=$(grep -v '^$' "$work/err/$1" 2>/dev/null | tail -n 3 | tr -s '\n' ' ' | sed 's/ *$//' | cut -c1-240) || true
    [ "$last_rc" = 124 ] && msg="timed out after ${CMD_TIMEOUT}s${msg:+: $msg}"
    echo "${msg:-exit status $last_rc, no message}"
}

# --- image: the same busybox everywhere ---------------------------------------------------
# build/busybox-oci is an OCI layout that also carries a docker-save manifest.json: docker
# load, podman load and ctr import all read its tar, so every engine runs the same layer
# and image config. Without it, peers import the rootfs as a one-layer image.
image_tar=
if [ -f "$oci/index.json" ] && [ -f "$oci/manifest.json" ]; then
    image_tar=$work/busybox-oci.tar
    tar -C "$oci" -cf "$image_tar" .
fi
rootfs_tar=$work/busybox-rootfs.tar
tar -C "$rootfs" --numeric-owner -cf "$rootfs_tar" .

# --- hull ---------------------------------------------------------------------------------
# The image form if the image store runs containers, else --rootfs. --network none if
# hull knows the flag (it is hull's default either way); --network bridge is hull's
# default bridge network (made on first use).
hull_image=()
hull_net=()
if "${H[@]}" images >/dev/null 2>&1 </dev/null; then
    if ! to "${H[@]}" run --rm busybox true >"$work/err/hull" 2>&1 && [ -n "$image_tar" ]; then
        to "${H[@]}" load -i "$oci" >>"$work/err/hull" 2>&1 || true
    fi
    to "${H[@]}" run --rm busybox true >>"$work/err/hull" 2>&1 && hull_image=(busybox)
fi
[ ${#hull_image[@]} -gt 0 ] || hull_image=(--rootfs "$rootfs")
to "${H[@]}" run --rm --network none "${hull_image[@]}" true >/dev/null 2>&1 && hull_net=(--network none)
hull_run=("${H[@]}" run --rm "${hull_net[@]}" "${hull_image[@]}" true)
cmd_desc[hull]=$(echo "hull run --rm ${hull_net[*]} ${hull_image[*]} true" | sed "s|$build/|BUILD/|; s/  */ /g")
version[hull]=$("$hull_bin" version 2>/dev/null | head -n1 || true)
cmd_desc[hull-bridge]=$(echo "hull run --rm --network bridge ${hull_image[*]} true" | sed "s|$build/|BUILD/|; s/  */ /g")
version[hull-bridge]=${version[hull]}

# --- podman -------------------------------------------------------------------------------
# podman cannot raise nofile to its default 1048576 without CAP_SYS_RESOURCE (missing
# here): both runtimes get the same explicit ulimits.
pod_img=
pod_load() { # pod_load DRIVER: fresh store with the image; sets pod_img
    local drv=$1
    rm -rf "$work/podman/root" "$work/run"/{podman,podman-tmp}
    mkdir -p "$work/podman/root" "$work/run"/{podman,podman-tmp}
    if [ -n "$image_tar" ] && to "${P0[@]}" --storage-driver "$drv" load -q -i "$image_tar" \
        >>"$work/err/podman-setup" 2>&1; then
        pod_img=docker.io/library/busybox:latest
    else
        to "${P0[@]}" --storage-driver "$drv" import - localhost/hull-bench-busybox:latest \
            <"$rootfs_tar" >>"$work/err/podman-setup" 2>&1 || return 1
        pod_img=localhost/hull-bench-busybox:latest
    fi
    # One real run proves the driver works here (overlay on overlay does not).
    to "${P0[@]}" --storage-driver "$drv" --runtime "$RUNC" run --rm --network none \
        --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$pod_img" true \
        >>"$work/err/podman-setup" 2>&1 ||
        to "${P0[@]}" --storage-driver "$drv" --runtime "$CRUN" run --rm --network none \
            --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$pod_img" true \
            >>"$work/err/podman-setup" 2>&1
}
if ! command -v podman >/dev/null; then
    failed[podman-crun]="podman not installed"
    failed[podman-runc]="podman not installed"
else
    for drv in overlay vfs; do
        pod_driver=$drv
        pod_load "$drv" && break
        note "podman with --storage-driver $drv failed: $(tail -n1 "$work/err/podman-setup")"
        to "${P0[@]}" --storage-driver "$drv" rm -af -t 0 >/dev/null 2>&1 || true
        umount_under "$work/podman"
        pod_driver=
    done
    if [ -z "$pod_driver" ]; then
        failed[podman-crun]="podman setup failed: $(tail -n1 "$work/err/podman-setup" | cut -c1-200)"
        failed[podman-runc]=${failed[podman-crun]}
    fi
    P=("${P0[@]}" --storage-driver "${pod_driver:-vfs}")
    version[podman-crun]="$(podman --version 2>/dev/null), $("$CRUN" --version 2>/dev/null | head -n1)"
    version[podman-runc]="$(podman --version 2>/dev/null), $("$RUNC" --version 2>/dev/null | head -n1)"
    version[podman-bridge]="${version[podman-crun]}, $(to "${P[@]}" info --format '{{.Host.NetworkBackend}}' 2>/dev/null || echo '?')"
fi
[ -x "$CRUN" ] || failed[podman-crun]="$CRUN not installed"
[ -x "$RUNC" ] || failed[podman-runc]="$RUNC not installed"
failed[podman-bridge]=${failed[podman-crun]:-}
[ -n "${failed[podman-bridge]}" ] || unset "failed[podman-bridge]"
pod_opts=(--cgroup-parent "/$tag/podman" --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
pod_args=(run --rm --network none "${pod_opts[@]}" "$pod_img" true)
cmd_desc[podman-crun]="podman --runtime $CRUN run --rm --network none (driver ${pod_driver:-?}, cgroupfs)"
cmd_desc[podman-runc]="podman --runtime $RUNC run --rm --network none (driver ${pod_driver:-?}, cgroupfs)"
cmd_desc[podman-bridge]="podman --runtime $CRUN run --rm (default network: bridge podman0, driver ${pod_driver:-?})"

# --- dockerd ------------------------------------------------------------------------------
# With its default bridge (docker0, NAT rules) in the bench's network namespace.
dk_img=
if ! command -v dockerd >/dev/null || [ ! -x "$DOCKER" ]; then
    failed[docker]="dockerd or $DOCKER not installed"
elif ! dockerd_start "$work/docker" warn "/$tag/docker"; then
    failed[docker]="dockerd did not start: $(grep -v '^$' "$work/docker/dockerd.log" | tail -n1 | cut -c1-200)"
elif [ -n "$image_tar" ] && to "${D[@]}" load -q -i "$image_tar" >"$work/err/docker-setup" 2>&1; then
    dk_img=busybox:latest
elif to "${D[@]}" import - hull-bench-busybox:latest <"$rootfs_tar" >>"$work/err/docker-setup" 2>&1; then
    dk_img=hull-bench-busybox:latest
else
    failed[docker]="image import failed: $(tail -n1 "$work/err/docker-setup")"
fi
if [ -n "${failed[docker]:-}" ]; then
    failed[docker-bridge]=${failed[docker]}
else
    version[docker]="$("$DOCKER" --version 2>/dev/null), dockerd $(dockerd --version 2>/dev/null | awk '{print $3}' | tr -d ,), runc"
    version[docker-bridge]=${version[docker]}
fi
cmd_desc[docker]="docker run --rm --network none (dockerd ${DOCKERD_DRIVER:-?}, cgroupfs)"
cmd_desc[docker-bridge]="docker run --rm (default network: bridge docker0, iptables)"

# --- containerd ---------------------------------------------------------------------------
# ctr --cni reads its network from /etc/cni/net.d and the plugins from /opt/cni/bin: in
# our mount namespace both are bound to the bench's own (a bridge with host-local IPAM
# and NAT, like the others' defaults; Debian's plugins).
ctd_img=
cni_bound=
ctr_cni() {
    local plugins=/usr/lib/cni
    [ -x "$plugins/bridge" ] || { echo "no CNI plugins in $plugins" >&2; return 1; }
    jq -n --arg ipam "$work/cni/ipam" '{cniVersion: "0.4.0", name: "hbe-ctr",
        plugins: [{type: "bridge", bridge: "hbe-ctr0", isGateway: true, ipMasq: true,
          hairpinMode: true, ipam: {type: "host-local", dataDir: $ipam,
            routes: [{dst: "0.0.0.0/0"}], ranges: [[{subnet: "10.77.0.0/16"}]]}},
          {type: "portmap", capabilities: {portMappings: true}}]}' \
        >"$work/cni/net.d/10-hbe-ctr.conflist"
    mkdir -p /etc/cni/net.d /opt/cni/bin
    mount --bind "$work/cni/net.d" /etc/cni/net.d || return 1
    cni_bound=1
    mount --bind "$plugins" /opt/cni/bin
}
if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
    failed[ctr]="containerd or ctr not installed"
else
    containerd_config "$work/ctd" warn
    if ! containerd_launch "$work/ctd"; then
        failed[ctr]="containerd did not start: $(tail -n1 "$work/ctd/containerd.log" | cut -c1-200)"
    elif [ -n "$image_tar" ] && to "${C[@]}" images import "$image_tar" >"$work/err/ctr-setup" 2>&1 &&
        to "${C[@]}" images ls -q | grep -qx docker.io/library/busybox:latest; then
        ctd_img=docker.io/library/busybox:latest
    else
        failed[ctr]="image import failed: $(tail -n1 "$work/err/ctr-setup" 2>/dev/null)"
    fi
    version[ctr]="containerd $(containerd --version 2>/dev/null | awk '{print $3}'), runc v2 shim"
    version[ctr-bridge]=${version[ctr]}
fi
if [ -n "${failed[ctr]:-}" ]; then
    failed[ctr-bridge]=${failed[ctr]}
elif ! ctr_cni 2>"$work/err/cni"; then
    failed[ctr-bridge]="CNI set-up failed: $(tail -n1 "$work/err/cni")"
fi
# ctr gives a container a network namespace of its own with only lo unless --net-host:
# that is "no network".
cmd_desc[ctr]="ctr run --rm (own netns, lo only = no network; snapshotter overlayfs)"
cmd_desc[ctr-bridge]="ctr run --rm --cni (CNI bridge hbe-ctr0 + host-local + portmap)"

# --- one sample of each engine --------------------------------------------------------------
seq_no=0
run_one() { # run_one ENGINE KEEP
    local name=$1 keep=$2 id
    seq_no=$((seq_no + 1))
    id=$tag-$seq_no
    case $name in
    hull) timed hull "$keep" "${hull_run[@]}" ;;
    hull-bridge) timed "$name" "$keep" "${H[@]}" run --rm --network bridge "${hull_image[@]}" true ;;
    podman-crun) timed "$name" "$keep" "${P[@]}" --runtime "$CRUN" "${pod_args[@]}" ;;
    podman-runc) timed "$name" "$keep" "${P[@]}" --runtime "$RUNC" "${pod_args[@]}" ;;
    podman-bridge) timed "$name" "$keep" "${P[@]}" --runtime "$CRUN" run --rm "${pod_opts[@]}" "$pod_img" true ;;
    docker) timed docker "$keep" "${D[@]}" run --rm --network none "$dk_img" true ;;
    docker-bridge) timed "$name" "$keep" "${D[@]}" run --rm "$dk_img" true ;;
    ctr) timed ctr "$keep" "${C[@]}" run --rm --fifo-dir "$work/ctd/fifo" \
        --runc-root "$work/ctd/runc" "$ctd_img" "$id" true ;;
    ctr-bridge) timed "$name" "$keep" "${C[@]}" run --rm --cni --fifo-dir "$work/ctd/fifo" \
        --runc-root "$work/ctd/runc" "$ctd_img" "$id" true ;;
    esac
}

# Probe: one run of each; a peer that fails is reported with its error, hull must work.
for name in "${engines[@]}" "${bridge_engines[@]}"; do
    [ -n "${failed[$name]:-}" ] && continue
    run_one "$name" 0 || failed[$name]="probe: $(reason_of "$name")"
done
[ -z "${failed[hull]:-}" ] || die "hull run fails: ${failed[hull]}"
active=()
for name in "${engines[@]}" "${bridge_engines[@]}"; do
    [ -z "${failed[$name]:-}" ] && active+=("$name")
done

# --- warm-up and measured rounds, round-robin with a rotating start ----------------------
# Both tables' runs in one rotation. A run that fails in a measured round is not a sample;
# after 3 failures the engine is dropped (its last error is reported).
sample() { # sample NAME ROUND KEEP
    local name=$1
    run_one "$name" "$3" && return 0
    fails[$name]=$((${fails[$name]:-0} + 1))
    echo "round $2: $(reason_of "$name")" >>"$work/err/$name.failures"
    ((${fails[$name]} < 3)) || failed[$name]="3 failed runs, last: $(reason_of "$name")"
}
bench_rounds sample "$GAP"

# --- hull ps with PS_CONTAINERS running containers ---------------------------------------
note "starting $PS_CONTAINERS hull containers (sleep 1000)"
ps_started=0
ps_err=
for ((i = 0; i < PS_CONTAINERS; i++)); do
    if id=$(to "${H[@]}" run -d "${hull_net[@]}" "${hull_image[@]}" sleep 1000 2>"$work/err/hull-d"); then
        echo "$id" >>"$work/hull-ids"
        ps_started=$((ps_started + 1))
    else
        ps_err=$(tail -n1 "$work/err/hull-d")
        break
    fi
done
ps_running=$("${H[@]}" ps -q </dev/null 2>/dev/null | wc -l) || true
for ((i = 0; i < 3; i++)); do timed hull-ps 0 "${H[@]}" ps || true; done
for ((i = 0; i < PS_N; i++)); do
    timed hull-ps 1 "${H[@]}" ps || { ps_err="hull ps: $(reason_of hull-ps)"; break; }
done
ps_lines=$(($(wc -l <"$work/err/hull-ps") - 1))

# --- monitor memory ------------------------------------------------------------------------
# A container's monitor is the parent of its init (whatever binary it is): the PPid of the
# State.Pid that inspect reports. mem_of PID -> "VmRSS Pss RssAnon" in KiB, from
# /proc/PID/status and /proc/PID/smaps_rollup (Pss: the shared file pages divided among
# the processes mapping them).
parent_of() { awk '/^PPid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
mem_of() {
    local rss anon pss
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
    anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
    pss=$(awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null)
    [ -n "$rss" ] && echo "$rss ${pss:-?} ${anon:-?}"
}
# monitor_of ID: the monitor PID of a running hull container, noted for the cleanup.
monitor_of() {
    local pid mon
    pid=$("${H[@]}" inspect "$1" </dev/null 2>/dev/null | jq -r '.[0].State.Pid // 0') || return 1
    [ "${pid:-0}" -gt 1 ] || return 1
    mon=$(parent_of "$pid")
    [ "${mon:-0}" -gt 1 ] || return 1
    echo "$pid $(start_of "$pid")" >>"$work/hull-pids"
    echo "$mon $(start_of "$mon")" >>"$work/hull-pids"
    echo "$mon"
}

# Every monitor of the ps containers: VmRSS, Pss and RssAnon.
: >"$work/monitor-mem"
for id in $(cat "$work/hull-ids" 2>/dev/null); do
    mon=$(monitor_of "$id") && mem_of "$mon" >>"$work/monitor-mem" || true
done

# One detached container of each, same image: `hull run -d` and `podman run -d` (crun).
mon_mem=
mon_note="hull run -d failed"
if id=$(to "${H[@]}" run -d --name "$tag-mon" "${hull_net[@]}" "${hull_image[@]}" sleep 100 \
    2>"$work/err/hull-mon"); then
    echo "$id" >>"$work/hull-ids"
    if mon=$(monitor_of "$id") && mon_mem=$(mem_of "$mon"); then
        mon_note="pid $mon, $(readlink "/proc/$mon/exe" 2>/dev/null | sed "s|$build/|BUILD/|")"
    else
        mon_note="no monitor found (inspect State.Pid and its parent)"
    fi
else
    mon_note="hull run -d failed: $(tail -n1 "$work/err/hull-mon")"
fi
conmon_mem=
conmon_note="podman not available"
if [ -z "${failed[podman-crun]:-}" ]; then
    if to "${P[@]}" --runtime "$CRUN" run -d --name "$tag-conmon" --network none \
        "${pod_opts[@]}" "$pod_img" sleep 100 >"$work/err/conmon" 2>&1; then
        cpid=$(to "${P[@]}" inspect --format '{{.State.Pid}}' "$tag-conmon" 2>/dev/null || true)
        cmon=
        [ "${cpid:-0}" -gt 1 ] 2>/dev/null && cmon=$(parent_of "$cpid")
        if [ "${cmon:-0}" -gt 1 ] 2>/dev/null && conmon_mem=$(mem_of "$cmon"); then
            conmon_note="pid $cmon, $(conmon --version 2>/dev/null | head -n1)"
        else
            conmon_note="no conmon found (inspect State.Pid and its parent)"
        fi
        to "${P[@]}" rm -f -t 0 "$tag-conmon" >/dev/null 2>&1 || true
    else
        conmon_note="podman run -d failed: $(tail -n1 "$work/err/conmon")"
    fi
fi

note "removing the $((ps_started + 1)) hull containers"
ids=$(cat "$work/hull-ids" 2>/dev/null || true)
[ -z "$ids" ] || to "${H[@]}" rm -f $ids >/dev/null 2>"$work/err/hull-rm" || true

# --- report --------------------------------------------------------------------------------
stats() { bench_stats "$work/samples/$1" 1; } # -> "median p10 p90 n" (ms)
ratio() { bench_ratio "$1" "$2" 3; }

cgmode=$([ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && echo v2 || echo v1)
echo "hull engine benchmark: \`run --rm IMAGE true\`, no network and default bridge network"
echo "commit   $(bench_commit "$repo")"
echo "date     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host     $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), cgroup $cgmode$(
    [ "$HULL_BENCH_INNER" = hybrid ] && echo ' (hybrid host: cgroup2 unmounted in a private mount namespace)')"
echo "network  a private network namespace for the whole bench (bridges and NAT rules stay in it)"
echo "rounds   $N measured + $WARMUP warm-up, interleaved round-robin, ${GAP}s idle before each;" \
    "$([ -x "$work/measure" ] && echo 'fork..wait4' || echo 'EPOCHREALTIME around timeout(1)')"
echo "image    busybox $([ -n "$image_tar" ] && echo "from BUILD/busybox-oci (same layer and config for all)" ||
    echo "rootfs imported by each engine")"
declare -A med
table() { # table TITLE NAME...
    local name s m p10 p90 n extra
    echo
    echo "$1"
    shift
    printf '%-13s %9s %7s %7s  %s\n' engine "median ms" "p10" "p90" "command / version"
    for name; do
        if [ -z "${failed[$name]:-}" ] && s=$(stats "$name"); then
            read -r m p10 p90 n <<<"$s"
            med[$name]=$m
            extra=
            [ -n "${fails[$name]:-}" ] && extra=" [${fails[$name]} failed runs, not samples]"
            [ "$n" = "$N" ] || extra+=" [$n samples]"
            printf '%-13s %9s %7s %7s  %s%s\n' "$name" "$m" "$p10" "$p90" "${cmd_desc[$name]}" "$extra"
            printf '%-13s %9s %7s %7s    %s\n' "" "" "" "" "${version[$name]:-}"
        else
            printf '%-13s failed (%s)\n' "$name" "${failed[$name]:-no samples}"
        fi
    done
}
table "no network:" "${engines[@]}"
table "default bridge network:" "${bridge_engines[@]}"

# ratio_of HULL PEER [OP LIMIT]: "hull/PEER R", with "(target OP LIMIT: met|not met)".
ratio_of() {
    local r
    r=$(ratio "${med[$1]:-}" "${med[$2]:-}")
    printf '  %s/%s %s' "$1" "$2" "$r"
    [ -z "${3:-}" ] || printf ' (target %s %s: %s)' "$3" "$4" "$(bench_target "$r" "$3" "$4")"
}
echo
echo "ratios of medians, no network:"
echo "$(ratio_of hull podman-crun "<=" 0.15)$(ratio_of hull podman-runc "<=" 0.15)"
echo "$(ratio_of hull docker)$(ratio_of hull ctr "<=" 0.50)"
echo "ratios of medians, default bridge network:"
echo "$(ratio_of hull-bridge podman-bridge "<=" 0.30)"
echo "$(ratio_of hull-bridge docker-bridge)$(ratio_of hull-bridge ctr-bridge)"
echo
if s=$(stats hull-ps); then
    read -r m p10 p90 n <<<"$s"
    echo "hull ps with $ps_running running containers ($ps_lines listed): median $m ms," \
        "p10 $p10, p90 $p90 ($n runs)${ps_err:+; error: $ps_err}"
else
    echo "hull ps: not measured (${ps_err:-no samples}; $ps_started containers started)"
fi
mem_line() { # mem_line "VmRSS Pss RssAnon" -> "VmRSS R KiB, Pss P KiB, RssAnon A KiB"
    local r p a
    read -r r p a <<<"$1"
    echo "VmRSS $r KiB, Pss $p KiB, RssAnon $a KiB"
}
echo "memory of one detached container's monitor (the parent of its init; \`run -d busybox sleep 100\`):"
if [ -n "$mon_mem" ]; then
    echo "  hull monitor  $(mem_line "$mon_mem") ($mon_note)"
else
    echo "  hull monitor  not measured ($mon_note)"
fi
if [ -n "$conmon_mem" ]; then
    echo "  conmon        $(mem_line "$conmon_mem") ($conmon_note)"
else
    echo "  conmon        not measured ($conmon_note)"
fi
if [ -n "$mon_mem" ] && [ -n "$conmon_mem" ]; then
    read -r r1 p1 _ <<<"$mon_mem"
    read -r r2 p2 _ <<<"$conmon_mem"
    echo "  ratio monitor/conmon: VmRSS $(ratio "$r1" "$r2"), Pss $(ratio "$p1" "$p2")"
fi
if [ -s "$work/monitor-mem" ]; then
    read -r m_n m_med m_min m_max p_med <<<"$(sort -n "$work/monitor-mem" | awk '
        { r[NR] = $1; p[NR] = $2 } END { i = int((NR + 1) / 2); print NR, r[i], r[1], r[NR], p[i] }')"
    echo "  the $m_n monitors of the ps containers: VmRSS median $m_med KiB (min $m_min, max $m_max)," \
        "Pss of that one $p_med KiB"
fi
echo
echo "project targets (not enforced):"
for peer in podman-crun podman-runc; do
    [ -n "${med[$peer]:-}" ] && r=$(ratio "${med[hull]:-}" "${med[$peer]}") &&
        echo "  hull/$peer <= 0.15: $r ($(bench_target "$r" "<=" 0.15))"
done
[ -n "${med[ctr]:-}" ] && r=$(ratio "${med[hull]:-}" "${med[ctr]}") &&
    echo "  hull/ctr <= 0.50: $r ($(bench_target "$r" "<=" 0.5))"
[ -n "${med[podman-bridge]:-}" ] && r=$(ratio "${med[hull-bridge]:-}" "${med[podman-bridge]}") &&
    echo "  bridge: hull/podman <= 0.30: $r ($(bench_target "$r" "<=" 0.3))"
if [ -n "$mon_mem" ]; then
    read -r r1 _ <<<"$mon_mem"
    echo "  monitor VmRSS < 1024 KiB: $r1 KiB ($(bench_target "$r1" "<" 1024))"
fi
for name in "${engines[@]}" "${bridge_engines[@]}"; do
    [ -s "$work/err/$name.failures" ] && {
        echo "failed runs of $name (not counted as samples):"
        sed 's/^/  /' "$work/err/$name.failures"
    }
done
exit 0
