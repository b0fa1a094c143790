#!/usr/bin/env bats
# Attach through the per-container monitor (hull-monitor): run -it under a
# real pty, run -i with pipes, hull attach with detach keys, several clients,
# start -a, and the monitor's fallback when it cannot exec hull at the end.

load engine-helpers

PTYRUN=$REPO/tests/helpers/ptyrun.py

setup() { engine_setup; }
teardown() { engine_teardown; }

# pty STEP... -- HULL-ARGS...: hull under a fresh pty (see ptyrun.py).
pty() {
    local steps=()
    while [ "$1" != -- ]; do
        steps+=("$1")
        shift
    done
    shift
    timeout --kill-after=10 "$HULL_TIMEOUT" python3 "$PTYRUN" "${steps[@]}" -- \
        "$HULL" --root "$HROOT/lib" --runroot "$HROOT/run" "$@"
}

state() {
    h inspect "$1" | jq -r '.[0].State.Status'
}

@test "attach: run -it gets a terminal (/dev/pts/0), its size and resizes, and the exit code" {
    run pty 'expect:# ' 'send:tty; stty size\r' 'expect:24 80' 'winsize:40,100' sleep:0.5 \
        'send:stty size\r' 'expect:40 100' 'send:exit 5\r' -- run -it --rootfs "$HULL_ROOTFS" sh
    assert_status 5
    assert_output_contains /dev/pts/0
    run pty -- run -it --rm --rootfs "$HULL_ROOTFS" sh -c 'tty; exit 0'
    assert_success
    assert_output_contains /dev/pts/0
}

@test "attach: run -dit, attach, Ctrl-P Ctrl-Q detaches and the container keeps running" {
    run h run --network none -dit --name att --rootfs "$HULL_ROOTFS" sh
    assert_success
    # (a resize right before the detach makes output race the client's exit)
    run pty 'send:\r' 'expect:# ' 'send:echo ATT$((40+2))\r' 'expect:ATT42' 'winsize:30,90' \
        'send:\x10\x11' -- attach att
    assert_success
    assert_output_contains ATT42
    [ "$(state att)" = running ]
    # Attach again: the shell is still there; its exit ends attach with its code.
    run pty 'send:\r' 'expect:# ' 'send:exit 6\r' -- attach att
    assert_status 6
    [ "$(state att)" = exited ]
    # Detaching from a foreground run -it leaves it running too.
    run pty 'expect:# ' 'send:\x10\x11' -- run -it --name fg --rootfs "$HULL_ROOTFS" sh
    assert_success
    [ "$(state fg)" = running ]
    # Other detach keys; a half-typed sequence is passed on.
    run h run --network none -dit --name att2 --rootfs "$HULL_ROOTFS" sh
    run pty 'send:\r' 'expect:# ' 'send:\x01echo X$((1+1))\r' 'expect:X2' 'send:\x01d' -- \
        attach --detach-keys ctrl-a,d att2
    assert_success
    [ "$(state att2)" = running ]
}

@test "attach: run -i with pipes passes stdin and its end" {
    run sh -c "echo hi | '$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' run --network none -i --rm --rootfs '$HULL_ROOTFS' cat"
    assert_success
    assert_output_equals hi
    run sh -c "seq 1 30000 | '$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' run --network none -i --rm --rootfs '$HULL_ROOTFS' sh -c 'wc -l; exit 2'"
    assert_status 2
    [ "$(echo "$output" | tr -d ' ')" = 30000 ]
    # A container that writes more than it reads while stdin keeps coming:
    # neither the monitor nor the client may block on its stdin.
    run sh -c "seq 1 200000 | '$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' run --network none -i --rm --rootfs '$HULL_ROOTFS' sed 's/\$/ padding-padding-padding-padding-padding-padding-padding/' | wc -l"
    assert_success
    [ "$(echo "$output" | tr -d ' ')" = 200000 ]
    # A slow reader loses nothing: the monitor waits for its client.
    run sh -c "'$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' run --network none --rm --rootfs '$HULL_ROOTFS' seq 1 300000 | (sleep 1; wc -l)"
    assert_success
    [ "$(echo "$output" | tr -d ' ')" = 300000 ]
    # Without -i the container's stdin is empty.
    run sh -c "echo hi | '$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' run --network none --rm --rootfs '$HULL_ROOTFS' cat"
    assert_success
    assert_output_equals ""
}

@test "attach: a stopped or unknown container, or bad detach keys, is a clear error" {
    run h run --network none --name done1 --rootfs "$HULL_ROOTFS" true
    run h attach done1
    assert_status 125
    assert_output_contains "container done1 is not running"
    run h attach nosuch
    assert_status 125
    assert_output_contains "no such container: nosuch"
    run h run --network none -d --name live --rootfs "$HULL_ROOTFS" sleep 1000
    run h attach --detach-keys ctrl-pp live
    assert_status 125
    assert_output_contains '--detach-keys "ctrl-pp"'
    run h attach
    assert_status 125
}

@test "attach: two attached clients both see the output; the log has it too" {
    run h run --network none -d --name ticker --rootfs "$HULL_ROOTFS" sh -c 'while sleep 0.2; do echo tick; done'
    assert_success
    h attach --no-stdin --sig-proxy=false ticker >"$TEST_TMP/a1" 2>&1 &
    a1=$!
    h attach --no-stdin --sig-proxy=false ticker >"$TEST_TMP/a2" 2>&1 &
    a2=$!
    poll 10 sh -c "grep -q tick '$TEST_TMP/a1' && grep -q tick '$TEST_TMP/a2'"
    kill "$a1" "$a2"
    wait "$a1" "$a2" || true
    [ "$(state ticker)" = running ]
    run h logs ticker
    assert_output_contains tick
    # A client that went away is dropped; a new one still gets output.
    h attach --no-stdin --sig-proxy=false ticker >"$TEST_TMP/a3" 2>&1 &
    a3=$!
    poll 10 grep -q tick "$TEST_TMP/a3"
    kill "$a3"
    wait "$a3" || true
}

@test "attach: start -a relays the output and returns the exit code" {
    run h create --network none --name later --rootfs "$HULL_ROOTFS" sh -c 'echo started; echo oops >&2; exit 4'
    assert_success
    run h start -a later
    assert_status 4
    assert_output_contains started
    assert_output_contains oops
    # -ai: stdin too, for a container created with -i.
    run h create --network none -i --name reader --rootfs "$HULL_ROOTFS" sh -c 'read x; echo got $x; exit 2'
    run sh -c "echo hello | '$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' start -ai reader"
    assert_status 2
    assert_output_equals "got hello"
}

@test "attach: exec -it still works in a container started by the monitor" {
    run h run --network none -d --name ex --rootfs "$HULL_ROOTFS" sleep 1000
    assert_success
    run pty -- exec -it ex sh -c 'tty; exit 3'
    assert_status 3
    assert_output_contains /dev/pts/
}

@test "attach: the monitor is the small static hull-monitor, parent of the init" {
    run h run --network none -d --name small --rootfs "$HULL_ROOTFS" sleep 1000
    assert_success
    mon=$(sqlite3 "$HROOT/lib/hull.db" "select monitor_pid from containers where name='small'")
    init=$(h inspect small | jq -r '.[0].State.Pid')
    [ "$(cat /proc/$mon/comm)" = hull-monitor ]
    [ "$(awk '{print $4}' /proc/$init/stat)" = "$mon" ]
    # Its fds: /dev/null stdio, the log, pipes, the signalfd, the attach
    # socket; nothing else of hull's (no database).
    ! ls -l /proc/$mon/fd | grep -q 'hull.db'
    [ "$(stat -c %a "$HROOT/run/containers/$(h inspect small | jq -r '.[0].Id')/attach")" = 600 ]
}

@test "attach: a monitor that cannot exec hull at the end leaves the status for the next command" {
    # A private copy of hull, removed while the container runs.
    mkdir "$TEST_TMP/bin"
    cp "$HULL" "$BUILD_DIR/hull-monitor" "$TEST_TMP/bin/"
    run "$TEST_TMP/bin/hull" --root "$HROOT/lib" --runroot "$HROOT/run" run -d --name lost \
        --rootfs "$HULL_ROOTFS" sh -c 'sleep 1; exit 3'
    assert_success
    id=$output
    rm "$TEST_TMP/bin/hull"
    poll 10 test -f "$HROOT/run/containers/$id/exit-status"
    run h inspect lost
    [ "$(echo "$output" | jq -r '.[0].State.Status')" = exited ]
    [ "$(echo "$output" | jq -r '.[0].State.Reason')" = "exited with code 3" ]
    [ ! -e "$HROOT/run/containers/$id/exit-status" ]
    run h events --filter container=lost --filter type=die
    assert_output_contains '"exit_code":3'
}

@test "attach: a foreground run stays attached across restarts and ends with the last exit code" {
    run h run --network none --name again --restart on-failure:2 --rootfs "$HULL_ROOTFS" sh -c 'echo run; exit 3'
    assert_status 3
    [ "$(echo "$output" | grep -c '^run$')" -eq 3 ]
    [ "$(h inspect again | jq -r '.[0].RestartCount')" = 2 ]
}
