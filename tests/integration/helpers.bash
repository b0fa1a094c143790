# Common setup for hull-runtime's bats integration tests.
#
# Every test gets:
#   ROOT      a private --root state dir (under a mktemp dir in /run, or /tmp)
#   BUNDLE    a fresh bundle: a copy of the busybox rootfs + `hull-runtime spec`,
#             edited to terminal=false and a marker in process.env
#   CID       a container id unique to this file, test and bats process
#   TEST_TMP  scratch space for the test (log files, bind-mount sources)
# and teardown force-deletes every container under ROOT, kills (by PID) any
# process still carrying this test's marker, and fails the test if a state dir,
# cgroup dir or process was left behind.
#
# Environment:
#   BUILD_DIR     default $REPO/build
#   HULL_RUNTIME  default $BUILD_DIR/hull-runtime
#   HULL_ROOTFS   default $BUILD_DIR/busybox-rootfs

bats_require_minimum_version 1.5.0

REPO=${REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$REPO/build}
HULL_RUNTIME=${HULL_RUNTIME:-$BUILD_DIR/hull-runtime}
HULL_ROOTFS=${HULL_ROOTFS:-$BUILD_DIR/busybox-rootfs}
# Generous: an ASan build under load is slow, but nothing here should hang forever.
HULL_TIMEOUT=${HULL_TIMEOUT:-60}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

CGROUP_MNT=/sys/fs/cgroup

common_setup() {
    [ -x "$HULL_RUNTIME" ] || {
        echo "HULL_RUNTIME=$HULL_RUNTIME is not executable (build first)" >&2
        return 1
    }
    [ -x "$HULL_ROOTFS/bin/busybox" ] || {
        echo "HULL_ROOTFS=$HULL_ROOTFS has no bin/busybox (build first)" >&2
        return 1
    }
    local base=/run
    [ -d /run ] && [ -w /run ] || base=/tmp
    RUN_TMP=$(mktemp -d "$base/hull-it.XXXXXX")
    # ROOT is one level down so that a hostile id such as "../x" would land
    # inside RUN_TMP, where a test can see it, not in /run itself.
    ROOT=$RUN_TMP/root
    mkdir -p "$ROOT"
    TEST_TMP=$(mktemp -d /tmp/hull-it.XXXXXX)
    BUNDLE=$TEST_TMP/bundle
    mkdir -p "$BUNDLE"
    local file=${BATS_TEST_FILENAME##*/}
    CID_PREFIX="it-${file%.bats}-${BATS_TEST_NUMBER}-$$"
    CID=$CID_PREFIX
    MARK="HULL_IT_MARK=$CID_PREFIX"
    make_bundle "$BUNDLE"
}

# make_bundle DIR: copy the rootfs and write a default config with
# terminal=false and the test marker in the environment.
make_bundle() {
    local dir=$1
    mkdir -p "$dir"
    cp -a "$HULL_ROOTFS" "$dir/rootfs"
    "$HULL_RUNTIME" spec --bundle "$dir" 3>&-
    jq --arg mark "$MARK" '.process.terminal = false | .process.env += [$mark]' \
        "$dir/config.json" >"$dir/config.json.new"
    mv "$dir/config.json.new" "$dir/config.json"
}

# update_config [jq options] FILTER: edit $BUNDLE/config.json in place.
update_config() {
    local cfg=${CONFIG:-$BUNDLE/config.json}
    jq "$@" "$cfg" >"$cfg.new" && mv "$cfg.new" "$cfg"
}

# set_args ARG...: process.args = the arguments.
set_args() {
    update_config --argjson a "$(json_array "$@")" '.process.args = $a'
}

# json_array STR...: a JSON array of the strings (safe for any content).
json_array() {
    if [ $# -eq 0 ]; then
        echo '[]'
        return
    fi
    local a
    for a in "$@"; do
        jq -n --arg s "$a" '$s'
    done | jq -sc .
}

# hr ARGS...: hull-runtime with this test's --root. fd 3 (bats' TAP channel)
# is closed so that a container process can never hold it open.
hr() {
    timeout --kill-after=10 "$HULL_TIMEOUT" "$HULL_RUNTIME" --root "$ROOT" "$@" 3>&-
}

# hr_files ID CMD ARGS...: run a verb whose children outlive it
# (create, run -d): their stdout/stderr go to files, not to bats' pipe.
# After it, $output is the stderr of the runtime, $status its exit status, and
# the container's output accumulates in $TEST_TMP/ID.out / ID.err.
hr_files() {
    local id=$1 io
    shift
    io=$TEST_TMP/$(io_name "$id")
    status=0
    hr "$@" </dev/null >"$io.out" 2>"$io.err" || status=$?
    output=$(cat "$io.err")
}

# io_name ID: file name stem for ID's output files: the id itself when it is
# a plain name, a hash for hostile ids ("", "../x", 1 KB long...).
io_name() {
    if [[ "$1" =~ ^[A-Za-z0-9_+-][A-Za-z0-9_.+-]{0,199}$ ]]; then
        printf '%s' "$1"
    else
        printf 'id-%s' "$(printf '%s' "$1" | md5sum | cut -c1-16)"
    fi
}

# create_container [ID [extra create args]]: create with --bundle $BUNDLE.
# An explicitly empty ID stays empty.
create_container() {
    local id=$CID
    if [ $# -gt 0 ]; then
        id=$1
        shift
    fi
    hr_files "$id" create --bundle "${CREATE_BUNDLE:-$BUNDLE}" "$@" "$id"
}

run_detached() {
    local id=$CID
    if [ $# -gt 0 ]; then
        id=$1
        shift
    fi
    hr_files "$id" run --detach --bundle "${CREATE_BUNDLE:-$BUNDLE}" "$@" "$id"
}

container_out() { cat "$TEST_TMP/$(io_name "${1:-$CID}").out"; }
container_err() { cat "$TEST_TMP/$(io_name "${1:-$CID}").err"; }

# state_field ID FIELD: one field of `state`, raw.
state_field() {
    hr state "$1" | jq -r ".$2"
}

# poll SECONDS CMD...: retry CMD every 50 ms until it succeeds or time is up.
poll() {
    local secs=$1
    shift
    local i n=$((secs * 20))
    for ((i = 0; i < n; i++)); do
        "$@" && return 0
        sleep 0.05
    done
    "$@"
}

status_is() { [ "$(state_field "$1" status 2>/dev/null)" = "$2" ]; }

# wait_status ID STATUS [SECONDS]
wait_status() {
    poll "${3:-30}" status_is "$1" "$2" || {
        echo "container $1: status is '$(state_field "$1" status 2>&1)', expected '$2'" >&2
        return 1
    }
}

file_has() { [ -s "$1" ] && grep -q -- "$2" "$1"; }

# cgroup_dir PID CONTROLLER: the host path of PID's cgroup for a v1
# controller ("" for the unified hierarchy).
cgroup_dir() {
    local pid=$1 ctrl=$2 path
    if [ -z "$ctrl" ]; then
        path=$(awk -F: '$1 == "0" && $2 == "" { print $3 }' "/proc/$pid/cgroup")
        echo "$CGROUP_MNT/unified$path"
        return
    fi
    path=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
    [ -n "$path" ] || return 1
    echo "$CGROUP_MNT/$ctrl$path"
}

# cgroup_nprocs DIR: number of processes in a cgroup (pseudo files have
# size 0, so read them).
cgroup_nprocs() { cat "$1/cgroup.procs" | wc -l; }
cgroup_empty() { [ "$(cgroup_nprocs "$1")" -eq 0 ]; }

# leftover_cgroups NAME: cgroup dirs named NAME (or NAME-*) in any hierarchy.
leftover_cgroups() {
    # Other cgroups come and go during the walk: find then exits 1; ignore.
    find "$CGROUP_MNT"/ -mindepth 2 -maxdepth 5 -type d \( -name "$1" -o -name "$1-*" \) 2>/dev/null || true
}

# marked_pids: processes carrying this test's marker in their environment
# (every container process: the marker is in process.env), or running the
# runtime against this test's --root.
marked_pids() {
    local f
    {
        grep -lzx -- "$MARK" /proc/[0-9]*/environ 2>/dev/null
        grep -lzx -- "$ROOT" /proc/[0-9]*/cmdline 2>/dev/null
    } | while read -r f; do
        f=${f#/proc/}
        f=${f%%/*}
        [ "$f" = "$$" ] || [ "$f" = "$BASHPID" ] || echo "$f"
    done | sort -un
}

# is_gone PID: the process has exited (a zombie counts as gone).
is_gone() {
    local s
    s=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
    [ -z "$s" ] || [ "$s" = Z ] || [ "$s" = X ]
}

# assert_nothing_left [ID]: no state dir, no cgroup dir, no process.
assert_nothing_left() {
    local id=${1:-$CID} left p
    if [ -e "$ROOT/$id" ]; then
        echo "leftover state dir: $ROOT/$id" >&2
        return 1
    fi
    left=$(leftover_cgroups "$id")
    if [ -n "$left" ]; then
        echo "leftover cgroup dirs: $left" >&2
        return 1
    fi
    for p in $(marked_pids); do
        if ! poll 5 is_gone "$p"; then
            echo "leftover process $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
            return 1
        fi
    done
    return 0
}

# The error the runtime printed must be exactly one (non-empty) line once
# ASan/UBSan noise is set aside.
assert_one_line_error() {
    local lines
    lines=$(printf '%s\n' "$output" | grep -v -e '^==[0-9]*==' -e 'runtime error:' -e '^$' | wc -l)
    if [ "$lines" -ne 1 ]; then
        echo "expected a one-line error, got $lines lines:" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}

assert_status() {
    if [ "$status" -ne "$1" ]; then
        echo "expected exit status $1, got $status; output:" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}

assert_failure() {
    if [ "$status" -eq 0 ]; then
        echo "expected failure, got exit status 0; output:" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}

assert_success() { assert_status 0; }

assert_output_contains() {
    if [[ "$output" != *"$1"* ]]; then
        echo "expected output to contain '$1'; got:" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}

assert_output_equals() {
    if [ "$output" != "$1" ]; then
        echo "expected output:" >&2
        printf '%s\n' "$1" >&2
        echo "got:" >&2
        printf '%s\n' "$output" >&2
        return 1
    fi
}

common_teardown() {
    local rc=0 id p left
    [ -n "${ROOT:-}" ] || return 0
    if [ -d "$ROOT" ]; then
        for id in $(hr list -q 2>/dev/null); do
            hr delete --force "$id" >/dev/null 2>&1 || true
        done
    fi
    # Anything still around is a leak; record it, then clean it up by PID.
    for p in $(marked_pids); do
        poll 5 is_gone "$p" && continue
        echo "teardown: leftover process $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
        kill -9 "$p" 2>/dev/null || true
        rc=1
    done
    # Dot entries are the runtime's own caches (.seccomp-cache), not containers.
    if [ -d "$ROOT" ] && [ -n "$(ls "$ROOT" 2>/dev/null)" ]; then
        echo "teardown: leftover state under $ROOT: $(ls "$ROOT")" >&2
        rc=1
    fi
    left=$(leftover_cgroups "$CID_PREFIX")
    if [ -n "$left" ]; then
        echo "teardown: leftover cgroup dirs:" $left >&2
        rc=1
        # Deepest first; processes in them were killed above.
        printf '%s\n' $left | sort -r | while read -r d; do
            poll 5 rmdir "$d" 2>/dev/null || true
        done
    fi
    # Unmount anything a buggy runtime left under our dirs before removing them.
    for d in "$TEST_TMP" "$RUN_TMP"; do
        [ -n "$d" ] || continue
        findmnt -rn -o TARGET | grep -F -- "$d" | sort -r | while read -r m; do
            umount -l "$m" 2>/dev/null || true
        done
    done
    rm -rf -- "$TEST_TMP" "$RUN_TMP"
    return $rc
}

setup() { common_setup; }
teardown() { common_teardown; }
