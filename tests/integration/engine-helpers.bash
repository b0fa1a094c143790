# Shared setup for the engine suites (engine-*.bats): a private hull --root and
# --runroot per test, and a teardown that removes every container the test
# made and fails the test if a mount under those dirs is left behind.

load helpers

HULL=${HULL:-$BUILD_DIR/hull}

engine_setup() {
    common_setup
    HROOT=$RUN_TMP/engine
    mkdir -p "$HROOT"
}

engine_teardown() {
    local rc=0 left
    if [ -n "${HROOT:-}" ]; then
        for id in $(h ps -aq 2>/dev/null); do h rm -f "$id" >/dev/null 2>&1 || true; done
        left=$(findmnt -rn -o TARGET | grep -F -- "$HROOT" || true)
        if [ -n "$left" ]; then
            echo "teardown: leftover mounts: $left" >&2
            rc=1
            printf '%s\n' "$left" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        fi
    fi
    common_teardown || rc=1
    return $rc
}

h() {
    timeout --kill-after=10 "$HULL_TIMEOUT" "$HULL" --root "$HROOT/lib" --runroot "$HROOT/run" "$@"
}

# --network none unless a test names one (the default is the bridge).
hrun() { h run --rootfs "$HULL_ROOTFS" --network none "$@"; }

# The containers' dirs must all be gone (after rm).
assert_no_container_dirs() {
    [ -z "$(ls "$HROOT/run/containers" 2>/dev/null)" ] || {
        echo "left in run/containers: $(ls "$HROOT/run/containers")" >&2
        return 1
    }
    [ -z "$(ls "$HROOT/lib/containers" 2>/dev/null)" ] || {
        echo "left in lib/containers: $(cd "$HROOT/lib/containers" && find . | head -20)" >&2
        return 1
    }
}

# simulate_reboot NAME...: what a reboot takes from the running containers
# NAME...: every process, mount and cgroup, and then the run root (a tmpfs
# on a standard host). The database and the layers stay.
simulate_reboot() {
    local c id mon init
    for c in "$@"; do
        id=$(h inspect -f '{{.Id}}' "$c")
        mon=$(sqlite3 "$HROOT/lib/hull.db" "select monitor_pid from containers where id='$id'")
        init=$(h inspect -f '{{.State.Pid}}' "$c")
        # the monitor first: it would restart an init that died before it
        kill -9 "$mon" "$init"
        poll 5 sh -c "! kill -0 $init 2>/dev/null"
        umount "$HROOT/run/containers/$id/rootfs"
        for d in /sys/fs/cgroup/*/hull/"$id" /sys/fs/cgroup/unified/hull/"$id"; do
            [ -d "$d" ] && rmdir "$d"
        done
    done
    rm -rf "$HROOT/run"
}
