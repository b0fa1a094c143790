#!/usr/bin/env bats
# Interop: containerd (ctr, the io.containerd.runc.v2 shim) drives hull-runtime
# through runc's CLI, exactly as it drives runc.
#
# setup_file starts a private containerd (own root, state, unix sockets, opt
# dir; no CRI plugin) and imports the busybox rootfs as an OCI image built by
# hand (tar + jq + sha256sum: no registry, no network). Every container of
# this file lives in a containerd namespace of its own, keeps its runtime
# state (--runc-root) and stdio FIFOs (--fifo-dir) in the temp dir, and is
# removed by teardown even when a test fails. On a failure, what hull-runtime
# logged (the log.json that the shim passes with --log) is printed.

if [ -f "$BATS_TEST_DIRNAME/helpers.bash" ]; then
    load helpers
fi
load daemons
interop_env

IMAGE=localhost/hull-busybox:test
CTD_TIMEOUT=${CTD_TIMEOUT:-60}

# ---- helpers -------------------------------------------------------------

# make_oci_archive ROOTFS OUT REF: a one-layer OCI image archive of ROOTFS
# (uncompressed layer, PATH and sh as config), as `ctr images import` reads.
make_oci_archive() {
    local rootfs=$1 out=$2 ref=$3 d dig size cdig csize mdig msize arch
    arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
    d=$(mktemp -d "${out%/*}/oci.XXXXXX")
    mkdir -p "$d/blobs/sha256"
    tar -C "$rootfs" --numeric-owner --sort=name -cf "$d/layer" . || return 1
    dig=$(sha256sum "$d/layer" | cut -d' ' -f1)
    size=$(stat -c %s "$d/layer")
    mv "$d/layer" "$d/blobs/sha256/$dig"
    jq -cn --arg diff "sha256:$dig" --arg arch "$arch" '{architecture: $arch, os: "linux",
        config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]},
        rootfs: {type: "layers", diff_ids: [$diff]}}' >"$d/config"
    cdig=$(sha256sum "$d/config" | cut -d' ' -f1)
    csize=$(stat -c %s "$d/config")
    mv "$d/config" "$d/blobs/sha256/$cdig"
    jq -cn --arg c "sha256:$cdig" --argjson cs "$csize" --arg l "sha256:$dig" --argjson ls "$size" \
        '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
          layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' >"$d/manifest"
    mdig=$(sha256sum "$d/manifest" | cut -d' ' -f1)
    msize=$(stat -c %s "$d/manifest")
    mv "$d/manifest" "$d/blobs/sha256/$mdig"
    jq -cn --arg m "sha256:$mdig" --argjson ms "$msize" --arg ref "$ref" \
        '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: $m, size: $ms, annotations: {"org.opencontainers.image.ref.name": $ref}}]}' >"$d/index.json"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
    tar -C "$d" -cf "$out" oci-layout index.json blobs || return 1
    rm -rf -- "$d"
}

# ctd ARGS...: ctr against the private containerd, in this file's namespace.
# No stdin; fd 3 (bats' TAP channel) closed so that no shim or container
# process can hold it open.
ctd() {
    timeout --kill-after=10 "$CTD_TIMEOUT" ctr -a "$CTD_SOCK" -n "$CTD_NS" "$@" </dev/null 3>&-
}

# ctd_run ARGS...: `ctr run` with hull-runtime as the shim's runc binary,
# its runtime state and the stdio FIFOs under our temp dir.
ctd_run() {
    local a=() x
    # Options go before IMAGE ID: split at the image reference.
    for x in "$@"; do
        if [ "$x" = "$IMAGE" ]; then
            a+=(--runc-binary "$HULL_RUNTIME" --runc-root "$CTD_RUNC_ROOT" --fifo-dir "$CTD_TMP/fifo")
        fi
        a+=("$x")
    done
    ctd run "${a[@]}"
}

# ctd_exec ARGS...: `ctr task exec` with the FIFOs under our temp dir.
ctd_exec() { ctd task exec --fifo-dir "$CTD_TMP/fifo" "$@"; }

task_status() { containerd_task_status "$1" ctd; }
task_pid() { ctd task ls | awk -v id="$1" '$1 == id { print $2 }'; }
status_is() { [ "$(task_status "$1")" = "$2" ]; }

# remove_all_containers: kill, delete every task and container (and its
# snapshot) of this file's namespace.
remove_all_containers() { containerd_clear ctd; }

# ---- file setup / teardown -----------------------------------------------

setup_file() {
    command -v containerd >/dev/null && command -v ctr >/dev/null || return 0
    CTD_TMP=$(mktemp -d /tmp/hull-it-ctd.XXXXXX)
    CTD_NS=hull-it-${CTD_TMP##*.}
    CTD_SOCK=$CTD_TMP/containerd.sock
    CTD_RUNC_ROOT=$CTD_TMP/runc
    export CTD_TMP CTD_NS CTD_SOCK CTD_RUNC_ROOT
    mkdir -p "$CTD_TMP/fifo" "$CTD_RUNC_ROOT"
    # Host dirs that the shims and ctr create whatever containerd's roots
    # are: the ones made by this file are removed (if empty) at the end.
    note_host_dirs "$CTD_TMP" /run/containerd/s /run/containerd/fifo /run/containerd
    containerd_config "$CTD_TMP" info
    if ! containerd_launch "$CTD_TMP"; then
        echo "containerd did not come up; its log:" >&2
        cat "$CTD_TMP/containerd.log" >&2
        return 1
    fi
    make_oci_archive "$HULL_ROOTFS" "$CTD_TMP/busybox.tar" "$IMAGE"
    ctd images import --base-name "${IMAGE%:*}" "$CTD_TMP/busybox.tar" >/dev/null
    ctd images ls -q | grep -qx "$IMAGE"
}

teardown_file() {
    [ -n "${CTD_TMP:-}" ] && [ -d "$CTD_TMP" ] || return 0
    if [ -S "$CTD_SOCK" ]; then
        remove_all_containers
        ctd images rm "$IMAGE" >/dev/null 2>&1 || true
    fi
    containerd_stop "$CTD_TMP"
    # Shims left behind (containerd died, or a delete failed) and the
    # container processes they held, by PID; their sockets, mounts, our
    # namespace's cgroups and the host dirs we made.
    daemon_leftovers "$CTD_TMP" "$CTD_NS"
    rm -rf -- "$CTD_TMP"
}

setup() {
    command -v containerd >/dev/null || skip "containerd is not installed"
    command -v ctr >/dev/null || skip "ctr is not installed"
    need_hull_runtime
}

teardown() {
    [ -n "${CTD_TMP:-}" ] || return 0
    # On a failure: what hull-runtime logged (the log.json that the shim
    # passes with --log) and what containerd complained about.
    [ -n "${BATS_TEST_COMPLETED:-}" ] ||
        daemon_failure_report "$CTD_TMP/state" "$CTD_TMP/containerd.log" containerd
    remove_all_containers
}

# ---- tests ---------------------------------------------------------------

@test "containerd: ctr run --rm echo hello" {
    run ctd_run --rm "$IMAGE" hello echo hello
    [ "$status" -eq 0 ] || { echo "ctr run exited $status: $output" >&2; false; }
    [ "$output" = hello ] || { echo "expected 'hello', got '$output'" >&2; false; }
    # --rm left nothing: no container, no runtime state.
    [ -z "$(ctd containers ls -q)" ]
    [ -z "$(ls "$CTD_RUNC_ROOT/$CTD_NS" 2>/dev/null)" ]
}

@test "containerd: run -d, task exec, ps, pause/resume, kill, delete" {
    # A counter that only moves while the container runs.
    run ctd_run -d "$IMAGE" life sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/tmp/count; sleep 0.05; done'
    [ "$status" -eq 0 ] || { echo "ctr run -d exited $status: $output" >&2; false; }
    wait_until 10 status_is life RUNNING
    pid=$(task_pid life)
    [ -n "$pid" ] && [ "$pid" -gt 0 ]

    # The shim was told to use hull-runtime, and hull-runtime holds the state.
    bundle=$CTD_TMP/state/io.containerd.runtime.v2.task/$CTD_NS/life
    [ "$(jq -r .binary_name "$bundle/options.json")" = "$HULL_RUNTIME" ]
    run "$HULL_RUNTIME" --root "$CTD_RUNC_ROOT/$CTD_NS" state life
    [ "$status" -eq 0 ] || { echo "hull-runtime state: $output" >&2; false; }
    [ "$(jq -r .status <<<"$output")" = running ]
    [ "$(jq -r .pid <<<"$output")" = "$pid" ]

    run ctd_exec --exec-id x1 life sh -c 'echo exec-ok; id -u; cat /proc/1/cmdline | tr "\0" " "'
    [ "$status" -eq 0 ] || { echo "ctr task exec exited $status: $output" >&2; false; }
    [ "${lines[0]}" = exec-ok ]
    [ "${lines[1]}" = 0 ]
    [[ "${lines[2]}" == "sh -c i=0;"* ]]
    run ctd_exec --exec-id x2 life sh -c 'exit 7'
    [ "$status" -eq 7 ]

    run ctd task ps life
    [ "$status" -eq 0 ] || { echo "ctr task ps exited $status: $output" >&2; false; }
    grep -qw -- "$pid" <<<"$output"

    wait_until 10 test -s "/proc/$pid/root/tmp/count"
    run ctd task pause life
    [ "$status" -eq 0 ] || { echo "ctr task pause exited $status: $output" >&2; false; }
    [ "$(task_status life)" = PAUSED ]
    [ "$("$HULL_RUNTIME" --root "$CTD_RUNC_ROOT/$CTD_NS" state life | jq -r .status)" = paused ]
    c1=$(cat "/proc/$pid/root/tmp/count")
    sleep 0.5
    c2=$(cat "/proc/$pid/root/tmp/count")
    [ "$c1" = "$c2" ] || { echo "paused container kept running: $c1 -> $c2" >&2; false; }

    run ctd task resume life
    [ "$status" -eq 0 ] || { echo "ctr task resume exited $status: $output" >&2; false; }
    [ "$(task_status life)" = RUNNING ]
    wait_until 5 eval '[ "$(cat "/proc/$pid/root/tmp/count")" != "$c2" ]'

    run ctd task kill -s SIGKILL life
    [ "$status" -eq 0 ] || { echo "ctr task kill exited $status: $output" >&2; false; }
    wait_until 10 status_is life STOPPED
    run ctd task delete life
    [ "$status" -eq 0 ] || { echo "ctr task delete exited $status: $output" >&2; false; }
    [[ "$output" == *137* ]] || [ -z "$output" ]
    [ -z "$(ctd task ls -q)" ]
    run ctd containers delete life
    [ "$status" -eq 0 ] || { echo "ctr container delete exited $status: $output" >&2; false; }
    [ -z "$(ctd containers ls -q)" ]
    # Nothing left: no runtime state, no process, no cgroup.
    [ ! -e "$CTD_RUNC_ROOT/$CTD_NS/life" ]
    wait_until 5 eval '! kill -0 "$pid" 2>/dev/null'
    [ -z "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path "*/$CTD_NS/life" 2>/dev/null)" ]
}

@test "containerd: the exit code propagates" {
    run ctd_run --rm "$IMAGE" exit3 sh -c 'exit 3'
    [ "$status" -eq 3 ] || { echo "expected exit status 3, got $status: $output" >&2; false; }
    run ctd_run --rm "$IMAGE" exit0 true
    [ "$status" -eq 0 ] || { echo "expected exit status 0, got $status: $output" >&2; false; }
}

# After `ctr run --rm`, containerd tells a fresh shim to clean up, and the
# shim runs `delete --force ID` on a container that is already gone: runc
# exits 0 there; anything else makes containerd log "failed to remove runc
# container" after every container. (containerd 1.6's cleanup shim sometimes
# reports "exit status 255" for a runtime that exited 0 -- runc included,
# seen with strace -- so only other statuses count here.)
@test "containerd: the shim's cleanup delete --force of a gone container succeeds" {
    run ctd_run --rm "$IMAGE" gone true
    [ "$status" -eq 0 ] || { echo "ctr run exited $status: $output" >&2; false; }
    # The cleanup is asynchronous: wait for its report.
    cleanup_report() {
        awk '/cleaning up after shim disconnected" id=gone namespace=/ { f = 1; next }
             f && /shim disconnected/ { exit }
             f && /cleanup warnings/ { print; exit }' "$CTD_TMP/containerd.log"
    }
    wait_until 10 eval '[ -n "$(cleanup_report)" ]' || true
    report=$(cleanup_report)
    [[ "$report" != *"failed to remove runc container"* ]] ||
        [[ "$report" == *"did not terminate successfully: exit status 255: "* ]] || {
        echo "containerd: $report" >&2
        false
    }
    # The runc contract itself.
    run "$HULL_RUNTIME" --root "$CTD_RUNC_ROOT/$CTD_NS" delete --force no-such-container
    [ "$status" -eq 0 ] || {
        echo "delete --force of a missing container exited $status (runc: 0): $output" >&2
        false
    }
}

@test "containerd: --memory-limit is set in the container's cgroup" {
    limit=$((64 * 1024 * 1024))
    run ctd_run -d --memory-limit "$limit" "$IMAGE" mem sleep 100
    [ "$status" -eq 0 ] || { echo "ctr run -d exited $status: $output" >&2; false; }
    wait_until 10 status_is mem RUNNING
    pid=$(task_pid mem)
    dir=$(cg_path "$pid" memory)
    if [ -e "$dir/memory.limit_in_bytes" ]; then
        got=$(cat "$dir/memory.limit_in_bytes")
    else
        got=$(cat "$dir/memory.max")
    fi
    [ "$got" = "$limit" ] || { echo "$dir: memory limit $got, expected $limit" >&2; false; }
    # The container's cgroup is the one containerd asked for.
    [[ "$dir" == */"$CTD_NS"/mem ]] || { echo "unexpected cgroup $dir" >&2; false; }
}

@test "containerd: the CRI runtime handler of docs/containerd.md loads" {
    doc=$REPO/docs/containerd.md
    [ -f "$doc" ] || { echo "missing $doc" >&2; false; }
    cri=$CTD_TMP/cri
    mkdir -p "$cri/opt" "$cri/cni/bin" "$cri/cni/net.d"
    {
        cat <<EOF
version = 2
root = "$cri/root"
state = "$cri/state"

[grpc]
  address = "$cri/containerd.sock"
[ttrpc]
  address = "$cri/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$cri/opt"
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "$cri/cni/bin"
  conf_dir = "$cri/cni/net.d"
EOF
        # The snippet between the markers of the doc, with this build's binary.
        sed -n '/<!-- cri-config-begin -->/,/<!-- cri-config-end -->/p' "$doc" |
            sed -e '/^<!--/d' -e '/^```/d' |
            sed -e "s|/usr/local/bin/hull-runtime|$HULL_RUNTIME|"
    } >"$cri/config.toml"
    grep -q 'runtimes.hull' "$cri/config.toml" || { echo "no runtimes.hull snippet in $doc" >&2; false; }

    run containerd --config "$cri/config.toml" config dump
    [ "$status" -eq 0 ] || { echo "config dump: $output" >&2; false; }
    grep -q "BinaryName = \"$HULL_RUNTIME\"" <<<"$output"

    ok=0
    if containerd_launch "$cri"; then
        plugins=$(timeout 30 ctr -a "$cri/containerd.sock" plugins ls </dev/null 3>&-) && ok=1
    fi
    containerd_stop "$cri"
    [ "$ok" = 1 ] || { cat "$cri/containerd.log" >&2; false; }
    grep -E '^io\.containerd\.grpc\.v1[[:space:]]+cri[[:space:]]' <<<"$plugins" | grep -qw ok || {
        echo "CRI plugin not ok:" >&2
        grep -w cri <<<"$plugins" >&2
        grep -E 'level=(error|fatal)' "$cri/containerd.log" >&2
        false
    }
    # The handler is in the CRI plugin's effective config, and nothing
    # complained about the config (the missing CNI network is expected).
    grep -q "hull:{Type:io.containerd.runc.v2 .*BinaryName:$HULL_RUNTIME" "$cri/containerd.log"
    errors=$(grep -E 'level=(error|fatal)' "$cri/containerd.log" | grep -v 'failed to load cni' || true)
    [ -z "$errors" ] || { echo "containerd logged: $errors" >&2; false; }
}
