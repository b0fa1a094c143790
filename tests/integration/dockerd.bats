#!/usr/bin/env bats
# Interop: dockerd (20.10, through its own containerd and the runc v2 shim)
# drives hull-runtime, registered with --add-runtime hull=$HULL_RUNTIME.
#
# setup_file starts a private dockerd: own data-root, exec-root, pidfile,
# unix socket, daemon.json, trust key and client config; no iptables, no
# bridge (every container runs with --network none); cgroupfs driver with a
# cgroup parent of its own. It starts its own containerd under the exec-root.
# The busybox rootfs is imported as hull-busybox:test. Teardown removes every
# container, stops dockerd (and its containerd) by PID, kills by PID anything
# they left, unmounts what is left under the temp dir and removes it.
#
# The client is /usr/bin/docker (Debian's docker.io), matching the daemon.

if [ -f "$BATS_TEST_DIRNAME/helpers.bash" ]; then
    load helpers
fi
load daemons
interop_env

DOCKER=${DOCKER:-/usr/bin/docker}
IMAGE=hull-busybox:test
DK_TIMEOUT=${DK_TIMEOUT:-60}

# ---- helpers -------------------------------------------------------------

# dk ARGS...: the docker client against the private daemon, no stdin, fd 3
# (bats' TAP channel) closed.
dk() {
    timeout --kill-after=10 "$DK_TIMEOUT" "$DOCKER" -H "unix://$DK_SOCK" "$@" </dev/null 3>&-
}

# dk_in ARGS...: the same with the caller's stdin.
dk_in() {
    timeout --kill-after=10 "$DK_TIMEOUT" "$DOCKER" -H "unix://$DK_SOCK" "$@" 3>&-
}

# drun ARGS...: docker run with hull-runtime and no network.
drun() { dk run --runtime hull --network none "$@"; }

dk_state() { dk inspect -f "{{.State.$2}}" "$1"; }
state_is() { [ "$(dk_state "$1" Status 2>/dev/null)" = "$2" ]; }

remove_all_containers() { dockerd_clear dk; }

# ---- file setup / teardown -----------------------------------------------

setup_file() {
    command -v dockerd >/dev/null && [ -x "$DOCKER" ] || return 0
    DK_TMP=$(mktemp -d /tmp/hull-it-dk.XXXXXX)
    DK_SOCK=$DK_TMP/docker.sock
    DK_CGROUP=hull-it-dk-${DK_TMP##*.}
    # The client writes its config here, not in ~/.docker.
    DOCKER_CONFIG=$DK_TMP/client
    export DK_TMP DK_SOCK DK_CGROUP DOCKER_CONFIG
    mkdir -p "$DOCKER_CONFIG"
    # Host dirs that dockerd and the shims create whatever their roots are:
    # the ones made by this file are removed (if empty) at the end.
    note_host_dirs "$DK_TMP" /run/docker/plugins /run/docker /run/containerd/s \
        /run/containerd/fifo /run/containerd
    if ! dockerd_start "$DK_TMP" info "/$DK_CGROUP" "${DOCKERD_NO_NETWORK[@]}" \
        --add-runtime "hull=$HULL_RUNTIME"; then
        echo "dockerd did not come up; its log:" >&2
        tail -n 40 "$DK_TMP/dockerd.log" >&2
        return 1
    fi
    tar -C "$HULL_ROOTFS" -c . | timeout 60 "$DOCKER" -H "unix://$DK_SOCK" import - "$IMAGE" >/dev/null 3>&-
    dk image inspect "$IMAGE" >/dev/null
}

teardown_file() {
    [ -n "${DK_TMP:-}" ] && [ -d "$DK_TMP" ] || return 0
    [ -S "$DK_SOCK" ] && remove_all_containers
    dockerd_stop "$DK_TMP"
    # Shims (and their containers) left behind, by PID: the shims carry our
    # containerd's socket path on their command line; container processes
    # are in our cgroup parent. Then their sockets, our mounts and cgroups.
    daemon_leftovers "$DK_TMP" "$DK_CGROUP"
    rm -rf -- "$DK_TMP"
}

setup() {
    command -v dockerd >/dev/null || skip "dockerd is not installed"
    [ -x "$DOCKER" ] || skip "$DOCKER (docker.io's client) is not installed"
    need_hull_runtime
}

teardown() {
    [ -n "${DK_TMP:-}" ] || return 0
    # On a failure: what hull-runtime logged (the shim passes --log
    # BUNDLE/log.json) and what dockerd complained about.
    [ -n "${BATS_TEST_COMPLETED:-}" ] ||
        daemon_failure_report "$DK_TMP/exec" "$DK_TMP/dockerd.log" dockerd
    remove_all_containers
}

# fail_with MESSAGE: print it and the last command's output, fail.
fail_with() {
    echo "$1 (status $status): $output" >&2
    return 1
}

# ---- tests ---------------------------------------------------------------

@test "dockerd: docker run --rm --runtime hull echo hello" {
    run drun --rm "$IMAGE" echo hello
    [ "$status" -eq 0 ] || fail_with "docker run"
    [ "$output" = hello ] || fail_with "expected 'hello'"
    [ -z "$(dk ps -aq)" ]
}

@test "dockerd: docker run -i passes stdin through" {
    run dk_in run -i --rm --runtime hull --network none "$IMAGE" sh -c 'tr a-z A-Z; echo done' <<<"from stdin"
    [ "$status" -eq 0 ] || fail_with "docker run -i"
    [ "${lines[0]}" = "FROM STDIN" ] && [ "${lines[1]}" = done ] || fail_with "unexpected output"
}

@test "dockerd: run -d is hull's container; docker exec; docker exec -t" {
    run drun -d "$IMAGE" sleep 100
    [ "$status" -eq 0 ] || fail_with "docker run -d"
    id=$output
    wait_until 10 state_is "$id" running
    [ "$(dk inspect -f '{{.HostConfig.Runtime}}' "$id")" = hull ]
    pid=$(dk_state "$id" Pid)

    # hull-runtime holds the state (the shim's --root is under the exec-root).
    root=$(dirname "$(find "$DK_TMP/exec" -mindepth 2 -maxdepth 3 -type d -name "$id" -path '*runtime-*' | head -n 1)")
    run "$HULL_RUNTIME" --root "$root" state "$id"
    [ "$status" -eq 0 ] || fail_with "hull-runtime --root $root state"
    [ "$(jq -r .status <<<"$output")" = running ]
    [ "$(jq -r .pid <<<"$output")" = "$pid" ]

    run dk exec "$id" sh -c 'echo exec-ok; id -u; cat /proc/1/cmdline | tr "\0" " "'
    [ "$status" -eq 0 ] || fail_with "docker exec"
    [ "${lines[0]}" = exec-ok ] && [ "${lines[1]}" = 0 ] && [ "${lines[2]}" = "sleep 100 " ] ||
        fail_with "unexpected docker exec output"
    run dk exec "$id" sh -c 'exit 5'
    [ "$status" -eq 5 ] || fail_with "docker exec exit 5"
    run dk exec -e HULL_X=42 -w /tmp -u 1000:1000 "$id" sh -c 'echo "$HULL_X $(pwd) $(id -u):$(id -g)"'
    [ "$status" -eq 0 ] || fail_with "docker exec -e -w -u"
    [ "$output" = "42 /tmp 1000:1000" ] || fail_with "docker exec -e -w -u"

    # -t with no stdin (CI has no terminal): the exec gets a pty of its own.
    run dk exec -t "$id" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo is-a-tty'
    [ "$status" -eq 0 ] || fail_with "docker exec -t"
    [[ "${lines[0]}" == /dev/pts/* ]] && [[ "${lines[1]}" == is-a-tty* ]] || fail_with "docker exec -t: no tty"
}

@test "dockerd: docker update --memory 64m --memory-swap 128m reaches the cgroup" {
    run drun -d "$IMAGE" sleep 100
    [ "$status" -eq 0 ] || fail_with "docker run -d"
    id=$output
    wait_until 10 state_is "$id" running
    pid=$(dk_state "$id" Pid)
    dir=$(cg_path "$pid" memory)
    [[ "$dir" == */"$DK_CGROUP/$id" ]] || { echo "unexpected cgroup $dir" >&2; false; }

    run dk update --memory 64m --memory-swap 128m "$id"
    [ "$status" -eq 0 ] || fail_with "docker update"
    [ "$(dk inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' "$id")" = "67108864 134217728" ]
    if [ -e "$dir/memory.limit_in_bytes" ]; then
        [ "$(cat "$dir/memory.limit_in_bytes")" = 67108864 ] ||
            { echo "$dir/memory.limit_in_bytes: $(cat "$dir/memory.limit_in_bytes")" >&2; false; }
        if [ -e "$dir/memory.memsw.limit_in_bytes" ]; then
            [ "$(cat "$dir/memory.memsw.limit_in_bytes")" = 134217728 ] ||
                { echo "$dir/memory.memsw.limit_in_bytes: $(cat "$dir/memory.memsw.limit_in_bytes")" >&2; false; }
        fi
    else
        [ "$(cat "$dir/memory.max")" = 67108864 ]
        [ "$(cat "$dir/memory.swap.max")" = 67108864 ]
    fi
    # The container keeps running, and a second update (CPU) works too.
    state_is "$id" running
    run dk update --cpu-quota 50000 --cpu-period 100000 "$id"
    [ "$status" -eq 0 ] || fail_with "docker update --cpu-quota"
    cdir=$(cg_path "$pid" cpu)
    if [ -e "$cdir/cpu.cfs_quota_us" ]; then
        [ "$(cat "$cdir/cpu.cfs_quota_us")" = 50000 ]
    else
        [ "$(cat "$cdir/cpu.max")" = "50000 100000" ]
    fi
}

@test "dockerd: docker pause / unpause freezes and thaws the container" {
    run drun -d "$IMAGE" sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/tmp/count; sleep 0.05; done'
    [ "$status" -eq 0 ] || fail_with "docker run -d"
    id=$output
    wait_until 10 state_is "$id" running
    pid=$(dk_state "$id" Pid)
    wait_until 10 test -s "/proc/$pid/root/tmp/count"

    run dk pause "$id"
    [ "$status" -eq 0 ] || fail_with "docker pause"
    [ "$(dk_state "$id" Status)" = paused ]
    c1=$(cat "/proc/$pid/root/tmp/count")
    sleep 0.5
    c2=$(cat "/proc/$pid/root/tmp/count")
    [ "$c1" = "$c2" ] || { echo "paused container kept running: $c1 -> $c2" >&2; false; }
    run dk exec "$id" true
    [ "$status" -ne 0 ] || fail_with "docker exec into a paused container succeeded"

    run dk unpause "$id"
    [ "$status" -eq 0 ] || fail_with "docker unpause"
    [ "$(dk_state "$id" Status)" = running ]
    wait_until 5 eval '[ "$(cat "/proc/$pid/root/tmp/count")" != "$c2" ]'
}

@test "dockerd: docker stop sends SIGTERM, then SIGKILL; docker rm" {
    # A container that exits on SIGTERM stops at once, with status 0.
    run drun -d "$IMAGE" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
    [ "$status" -eq 0 ] || fail_with "docker run -d"
    term=$output
    # PID 1 that ignores SIGTERM (no handler): killed after the timeout.
    run drun -d "$IMAGE" sleep 100
    [ "$status" -eq 0 ] || fail_with "docker run -d"
    kill=$output
    wait_until 10 state_is "$term" running
    wait_until 10 state_is "$kill" running
    pid=$(dk_state "$kill" Pid)

    start=$SECONDS
    run dk stop -t 20 "$term"
    [ "$status" -eq 0 ] || fail_with "docker stop"
    [ $((SECONDS - start)) -lt 10 ] || { echo "SIGTERM was not delivered: stop took $((SECONDS - start)) s" >&2; false; }
    [ "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$term")" = "exited 0" ]

    run dk stop -t 1 "$kill"
    [ "$status" -eq 0 ] || fail_with "docker stop -t 1"
    [ "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$kill")" = "exited 137" ]
    wait_until 5 eval '! kill -0 "$pid" 2>/dev/null'

    run dk rm "$term" "$kill"
    [ "$status" -eq 0 ] || fail_with "docker rm"
    [ -z "$(dk ps -aq)" ]
    # Nothing left: no runtime state, no cgroup.
    [ -z "$(find "$DK_TMP/exec" -mindepth 2 -maxdepth 3 -type d -path '*runtime-*' -name "$kill")" ]
    [ -z "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path "*/$DK_CGROUP/$kill" 2>/dev/null)" ]
}

@test "dockerd: the exit code propagates (run, run -d + wait)" {
    run drun --rm "$IMAGE" sh -c 'exit 3'
    [ "$status" -eq 3 ] || fail_with "expected exit status 3"
    run drun -d "$IMAGE" sh -c 'sleep 0.2; exit 42'
    [ "$status" -eq 0 ] || fail_with "docker run -d"
    id=$output
    run dk wait "$id"
    [ "$status" -eq 0 ] && [ "$output" = 42 ] || fail_with "docker wait: expected 42"
    [ "$(dk_state "$id" ExitCode)" = 42 ]
}
