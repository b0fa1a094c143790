#!/usr/bin/env bats
# 50 concurrent `hull run -d` from separate processes: all succeed, `ps`
# agrees with the kernel, and rm -f leaves no cgroup, mount, run dir or
# process behind.

load engine-helpers

setup() { engine_setup; }
teardown() { engine_teardown; }

N=50

@test "engine-scale: $N concurrent run -d all succeed, ps is consistent, rm -f leaves nothing" {
    local i pids=() ids id pid mon left
    for i in $(seq $N); do
        h run -d --network none --name "s$i" busybox sleep 60 >"$TEST_TMP/run$i.out" 2>&1 &
        pids+=($!)
    done
    for i in $(seq $N); do
        wait "${pids[$((i - 1))]}" || {
            echo "run $i failed: $(cat "$TEST_TMP/run$i.out")" >&2
            false
        }
        # stdout is the id (the first run may also say it loads the image)
        [[ "$(tail -1 "$TEST_TMP/run$i.out")" =~ ^[0-9a-f]{64}$ ]] || {
            echo "run $i printed: $(cat "$TEST_TMP/run$i.out")" >&2
            false
        }
    done
    # ps: exactly N running, each name once, each id the one run printed
    run h ps --no-trunc --format '{{.ID}} {{.Names}} {{.State}}'
    assert_success
    [ "${#lines[@]}" -eq $N ]
    [ "$(echo "$output" | awk '$3 == "running"' | wc -l)" -eq $N ]
    [ "$(echo "$output" | awk '{print $2}' | sort -u | wc -l)" -eq $N ]
    for i in $(seq $N); do
        echo "$output" | grep -q "^$(tail -1 "$TEST_TMP/run$i.out") s$i running$"
    done
    # and the kernel agrees: every init and monitor is alive, each init in
    # its own pid namespace
    ids=$(h ps -q --no-trunc)
    for id in $ids; do
        pid=$(h inspect -f '{{.State.Pid}}' "$id")
        kill -0 "$pid"
        [ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
        echo "$pid" >>"$TEST_TMP/inits"
        echo "$(sqlite3 "$HROOT/lib/hull.db" "select monitor_pid from containers where id='$id'")" >>"$TEST_TMP/monitors"
    done
    [ "$(sort -u "$TEST_TMP/inits" | wc -l)" -eq $N ]
    # remove them all, concurrently too
    pids=()
    for id in $ids; do
        h rm -f "$id" >/dev/null 2>&1 &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    run h ps -aq
    assert_output_equals ""
    for pid in $(cat "$TEST_TMP/inits" "$TEST_TMP/monitors"); do
        poll 10 sh -c "! kill -0 $pid 2>/dev/null" || {
            echo "process $pid is still alive: $(tr '\0' ' ' </proc/$pid/cmdline)" >&2
            false
        }
    done
    assert_no_container_dirs
    [ -z "$(ls "$HROOT/run/runtime" 2>/dev/null | grep -v '^\.')" ] || {
        echo "runtime state left: $(ls "$HROOT/run/runtime")" >&2
        false
    }
    [ -z "$(findmnt -rn -o TARGET | grep -F -- "$HROOT")" ]
    left=""
    for id in $ids; do
        left+=$(find /sys/fs/cgroup/ -mindepth 2 -maxdepth 6 -type d -name "*$id*" 2>/dev/null || true)
    done
    [ -z "$left" ] || {
        echo "cgroups left: $left" >&2
        false
    }
}

@test "engine-scale: 40 commands opening a new database at once all succeed (its switch to WAL)" {
    local k i failed=0
    for k in $(seq 10); do
        for i in $(seq 40); do
            "$HULL" --root "$TEST_TMP/fresh$k/lib" --runroot "$TEST_TMP/fresh$k/run" ps \
                >/dev/null 2>"$TEST_TMP/fresh$k.err$i" &
        done
        wait
        for i in $(seq 40); do
            if [ -s "$TEST_TMP/fresh$k.err$i" ]; then
                echo "round $k, command $i: $(cat "$TEST_TMP/fresh$k.err$i")" >&2
                failed=1
            fi
        done
    done
    [ "$failed" -eq 0 ]
}
