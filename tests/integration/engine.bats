#!/usr/bin/env bats
# The `hull` engine: run/ps/logs/exec/stop/rm/inspect/events with its
# per-container monitor and SQLite state. Containers use --rootfs (an overlay
# over the busybox rootfs) until the image store is wired in.

load engine-helpers

setup() { engine_setup; }
teardown() { engine_teardown; }

@test "engine: hull run prints the output and returns the exit code" {
    run hrun sh -c 'echo out; echo err >&2; exit 7'
    assert_status 7
    assert_output_contains out
    assert_output_contains err
}

@test "engine: the container is isolated by default (pid 1, seccomp, caps, nnp)" {
    run hrun --rm sh -c 'echo $$; grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status'
    assert_success
    [ "${lines[0]}" = 1 ]
    assert_output_contains "Seccomp:	2"
    assert_output_contains "NoNewPrivs:	1"
    assert_output_contains "CapEff:	00000000a00405fb"
}

@test "engine: run --rm leaves no container, mount or state behind" {
    run hrun --rm --name gone true
    assert_success
    run h ps -aq
    assert_output_equals ""
    [ -z "$(findmnt -rn -o TARGET | grep -F -- "$HROOT")" ]
    [ -z "$(ls "$HROOT/run/containers")" ]
    [ -z "$(ls "$HROOT/lib/containers")" ]
}

@test "engine: run -d, ps, logs, exec, stop, rm" {
    run hrun -d --name web -e GREETING=hi sh -c 'echo "$GREETING from web"; trap "exit 0" TERM; sleep 1000 & wait'
    assert_success
    id=$output
    [ ${#id} -eq 64 ]
    run h ps --format json
    [ "$(echo "$output" | jq -r '.Names')" = web ]
    [ "$(echo "$output" | jq -r '.State')" = running ]
    poll 10 sh -c "'$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' logs web | grep -q 'hi from web'"
    run h exec web sh -c 'echo exec $$ in $(hostname)'
    assert_success
    [[ "$output" == "exec "* ]]
    run h exec "${id:0:8}" sh -c 'exit 4'
    assert_status 4
    run h stop -t 5 web
    assert_success
    run h inspect web
    [ "$(echo "$output" | jq -r '.[0].State.Status')" = exited ]
    [ "$(echo "$output" | jq -r '.[0].State.ExitCode')" = 0 ]
    [ "$(echo "$output" | jq -r '.[0].State.Abnormal')" = false ]
    run h rm web
    assert_success
    run h ps -aq
    assert_output_equals ""
}

@test "engine: abnormal exits are flagged with their reason and queryable" {
    run hrun --name bad sh -c 'exit 3'
    assert_status 3
    # A pid-namespace init only takes SIGKILL from outside: someone other
    # than hull killing it is "an unexpected signal".
    run hrun -d --name victim sleep 1000
    assert_success
    pid=$(h inspect victim | jq -r '.[0].State.Pid')
    kill -KILL "$pid"
    run h wait victim
    assert_output_equals 137
    run h events --filter abnormal=true
    assert_success
    [ "$(echo "$output" | jq -r 'select(.name=="bad") | .reason')" = "exited with code 3" ]
    [[ "$(echo "$output" | jq -r 'select(.name=="victim") | .reason')" == "killed by unexpected signal 9"* ]]
    # A requested kill is not abnormal.
    run hrun -d --name asked sleep 1000
    run h kill asked
    run h wait asked
    assert_output_equals 137
    run h events --filter abnormal=true --filter container=asked
    assert_output_equals ""
}

@test "engine: an OOM kill is reported as such" {
    run hrun --name oom --memory 16m sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
    [ "$status" -ne 0 ]
    run h inspect oom
    [ "$(echo "$output" | jq -r '.[0].State.OOMKilled')" = true ]
    run h events --filter type=oom
    assert_output_contains '"name":"oom"'
}

@test "engine: kill -9 of a monitor is repaired by the next command" {
    run hrun -d --name orphan sh -c 'sleep 1000'
    assert_success
    mon=$(sqlite3 "$HROOT/lib/hull.db" "select monitor_pid from containers where name='orphan'")
    init=$(h inspect orphan | jq -r '.[0].State.Pid')
    kill -9 "$mon"
    kill -9 "$init"
    poll 5 sh -c "! kill -0 $init 2>/dev/null"
    run h ps -a --format json
    assert_success
    [ "$(echo "$output" | jq -r 'select(.Names=="orphan") | .State')" = exited ]
    [ "$(echo "$output" | jq -r 'select(.Names=="orphan") | .Reason')" = "monitor died; exit status unknown" ]
    run h rm orphan
    assert_success
}

@test "engine: a --rm container whose monitor died is removed by the next command, as docker does at restart" {
    run hrun -d --rm --name eph sh -c 'sleep 1000'
    assert_success
    id=$(h inspect -f '{{.Id}}' eph)
    mon=$(sqlite3 "$HROOT/lib/hull.db" "select monitor_pid from containers where id='$id'")
    init=$(h inspect eph | jq -r '.[0].State.Pid')
    # Its files were written without fsyncs (it never outlives its exit): what a
    # power loss could leave of them.
    : >"$HROOT/lib/containers/$id/rootfs.json"
    : >"$HROOT/lib/containers/$id/hosts"
    kill -9 "$mon" "$init"
    poll 5 sh -c "! kill -0 $init 2>/dev/null"
    run h ps -a --format json
    assert_success
    [ -z "$(echo "$output" | jq -r 'select(.Names=="eph") | .Names')" ]
    [ ! -e "$HROOT/lib/containers/$id" ]
    ! grep -q "$id" /proc/self/mountinfo
    run h events --since 0 --filter container=eph --format json
    assert_output_contains '"destroy"'
}

@test "engine: after a simulated power loss (processes, cgroups gone, state.json truncated) ps repairs and rm leaves nothing" {
    run hrun -d --name torn sh -c 'sleep 1000'
    assert_success
    id=$(h inspect -f '{{.Id}}' torn)
    init=$(h inspect torn | jq -r '.[0].State.Pid')
    mon=$(sqlite3 "$HROOT/lib/hull.db" "select monitor_pid from containers where id='$id'")
    # What a reboot takes away: every process and cgroup. What it can leave:
    # a run-root file renamed but never synced, truncated (run-root writes
    # are volatile by design: /run is a tmpfs on a standard host).
    kill -9 "$mon" "$init"
    poll 5 sh -c "! kill -0 $init 2>/dev/null"
    for d in /sys/fs/cgroup/*/hull/"$id" /sys/fs/cgroup/unified/hull/"$id"; do
        [ -d "$d" ] && rmdir "$d"
    done
    : >"$HROOT/run/runtime/$id/state.json"
    run h ps -a --format json
    assert_success
    [ "$(echo "$output" | jq -r 'select(.Names=="torn") | .State')" = exited ]
    run h rm torn
    assert_success
    assert_no_container_dirs
    [ -z "$(ls "$HROOT/run/runtime" 2>/dev/null | grep -v '^\.')" ]
}

@test "engine: repair takes a zombie init for an exited one" {
    # Under a subreaper that does not reap, the init of a container whose
    # monitor was killed stays a zombie after it is killed too.
    hh="timeout 60 $HULL --root $HROOT/lib --runroot $HROOT/run"
    db="$HROOT/lib/hull.db"
    run python3 "$BATS_TEST_DIRNAME/../helpers/subreaper.py" \
        "$hh run -d --network none --rootfs $HULL_ROOTFS --name zomb sleep 1000 >/dev/null" ";;" \
        "init=\$(sqlite3 $db \"select pid from containers where name='zomb'\")" \
        "&& kill -9 \$(sqlite3 $db \"select monitor_pid from containers where name='zomb'\")" \
        "&& sleep 0.3 && kill -9 \$init && sleep 0.3" \
        "&& grep -q '^State:.*Z' /proc/\$init/status && echo zombie" \
        "&& $hh ps -a --format '{{.Names}} {{.State}}'"
    assert_success
    assert_output_contains zombie
    assert_output_contains "zomb exited"
    run h rm zomb
    assert_success
}

@test "engine: bad input is refused with a clear error and nothing is created" {
    run hrun --memory lots true
    assert_status 125
    assert_output_contains "--memory"
    run hrun --name 'bad/name' true
    assert_status 125
    assert_output_contains "invalid container name"
    run hrun -v /nocolon true
    assert_status 125
    assert_output_contains '-v "/nocolon"'
    run hrun --cap-add CAP_BOGUS true
    assert_status 125
    assert_output_contains "unknown capability"
    run hrun --security-opt bogus true
    assert_status 125
    run h run --network none --rootfs /nonexistent true
    assert_status 125
    run h ps -aq
    assert_output_equals ""
    run hrun -d --name dup sleep 100
    assert_success
    run hrun -d --name dup sleep 100
    assert_status 125
    assert_output_contains 'name "dup" is already in use'
    run h rm dup
    assert_status 1
    assert_output_contains "is running"
    run h rm -f dup
    assert_success
    run h logs nosuch
    assert_status 125
    assert_output_contains "no such container: nosuch"
}

@test "engine: 20 concurrent run -d from separate processes all succeed" {
    local pids=()
    for i in $(seq 20); do
        hrun -d --name "c$i" sleep 1000 >"$TEST_TMP/run$i.out" 2>&1 &
        pids+=($!)
    done
    for i in $(seq 20); do
        wait "${pids[$((i - 1))]}" || {
            echo "run $i failed: $(cat "$TEST_TMP/run$i.out")" >&2
            false
        }
    done
    run h ps --format json
    [ "$(echo "$output" | jq -s 'length')" -eq 20 ]
    [ "$(echo "$output" | jq -s '[.[] | select(.State=="running")] | length')" -eq 20 ]
    for i in $(seq 20); do h rm -f "c$i" >/dev/null; done
    run h ps -aq
    assert_output_equals ""
}

@test "engine: named volumes keep data across containers; in-use volumes stay" {
    run h volume create data1
    assert_success
    run hrun --rm -v data1:/data sh -c 'echo kept > /data/f'
    assert_success
    run hrun --rm -v data1:/data:ro sh -c 'cat /data/f; touch /data/g'
    [ "$status" -ne 0 ]
    assert_output_contains kept
    assert_output_contains "Read-only file system"
    # -v with a new name creates the volume on first use.
    run hrun -d --name user -v auto1:/a sleep 1000
    assert_success
    run h volume ls
    assert_output_contains data1
    assert_output_contains auto1
    run h volume rm auto1
    assert_status 125
    assert_output_contains "in use"
    run h rm -f user
    run h volume prune
    assert_output_contains auto1
    assert_output_contains data1
    run h volume ls
    [ "$(echo "$output" | wc -l)" -eq 1 ]
    run hrun --rm -v 'bad name:/x' true
    assert_status 125
    assert_output_contains "invalid volume name"
}

@test "engine: --restart on-failure:N restarts a failing container N times" {
    run hrun -d --name flaky --restart on-failure:2 sh -c 'echo run; exit 3'
    assert_success
    run h wait flaky
    assert_output_equals 3
    [ "$(sqlite3 "$HROOT/lib/hull.db" "select state||restart_count from containers where name='flaky'")" = exited2 ]
    [ "$(h logs flaky | grep -c '^run$')" -eq 3 ]
    run h events --filter type=restart --filter container=flaky
    [ "$(echo "$output" | wc -l)" -eq 2 ]
    run hrun --restart sometimes true
    assert_status 125
    assert_output_contains "--restart"
}

@test "engine: hull stop of a restarting container cancels its restart" {
    run hrun -d --name loop --restart always sh -c 'exit 1'
    assert_success
    # Between runs it waits (a back-off growing to 1 s): catch it there.
    poll 30 sh -c "[ \"\$(sqlite3 '$HROOT/lib/hull.db' \"select state from containers where name='loop'\")\" = restarting ]"
    run h stop -t 1 loop
    assert_success
    [ "$(h inspect loop | jq -r '.[0].State.Status')" = exited ]
    n=$(sqlite3 "$HROOT/lib/hull.db" "select restart_count from containers where name='loop'")
    sleep 2.5
    # It stays stopped: no further run, no monitor left.
    [ "$(h inspect loop | jq -r '.[0].State.Status')" = exited ]
    [ "$(sqlite3 "$HROOT/lib/hull.db" "select restart_count from containers where name='loop'")" = "$n" ]
    run h rm loop
    assert_success
}

@test "engine: restart stops (after -t) and starts again, running or exited; bad -t is refused" {
    run hrun -d --name rs sh -c 'echo up; sleep 100'
    assert_success
    pid1=$(h inspect rs | jq -r '.[0].State.Pid')
    run h restart -t 1 rs
    assert_success
    [ "$output" = rs ]
    pid2=$(h inspect rs | jq -r '.[0].State.Pid')
    [ "$(h inspect rs | jq -r '.[0].State.Status')" = running ]
    [ "$pid1" != "$pid2" ]
    [ ! -e "/proc/$pid1" ] || [ "$(awk '{print $3}' "/proc/$pid1/stat" 2>/dev/null)" = Z ]
    poll 30 sh -c "[ \"\$($HULL --root '$HROOT/lib' --runroot '$HROOT/run' logs rs | grep -c up)\" = 2 ]"
    # An exited container is started again.
    run hrun --name once echo hi
    assert_success
    run h restart once
    assert_success
    poll 30 sh -c "[ \"\$($HULL --root '$HROOT/lib' --runroot '$HROOT/run' logs once | grep -c hi)\" = 2 ]"
    run h restart -t soon rs
    assert_failure
    [[ "$output" == *'--time "soon"'* ]]
    [ "$(h inspect rs | jq -r '.[0].State.Pid')" = "$pid2" ]
    run h restart nosuch
    assert_failure
    [[ "$output" == *"no such container: nosuch"* ]]
    run h rm -f rs once
    assert_success
}

@test "engine: hull run IMAGE uses read-only image layers with a per-container upper layer" {
    run h run --network none --rm busybox sh -c 'echo from-image'
    assert_success
    assert_output_contains from-image
    run h run --network none -d --name layered busybox sleep 1000
    assert_success
    id=$output
    run h exec layered sh -c 'echo changed > /bin/marker'
    assert_success
    # The change is in this container's upper layer only.
    [ -f "$HROOT/lib/containers/$id/upper/bin/marker" ]
    run h run --network none --rm busybox sh -c 'test ! -e /bin/marker'
    assert_success
    run h rm -f layered
    [ ! -d "$HROOT/lib/containers/$id" ]
    run h run --network none --rm nosuchimage true
    assert_status 125
    assert_output_contains "no such image"
}

@test "engine: an exited container holds no mount; start mounts it again with its changes; cp and ps -s while stopped" {
    for image in busybox "--rootfs $HULL_ROOTFS"; do
        h rm -f keep >/dev/null 2>&1 || true
        # shellcheck disable=SC2086 # $image is one or two words on purpose
        run h run --network none --name keep $image sh -c 'echo kept >/data.txt; exit 3'
        assert_status 3
        id=$(h inspect -f '{{.Id}}' keep)
        # Like docker: nothing mounted for a stopped container.
        [ -z "$(findmnt -rn -o TARGET | grep -F "$id")" ]
        run h ps -a -s --filter name=keep --format '{{.Size}}'
        assert_success
        [ "$output" != "0B" ]
        # cp out of and into it mounts it in cp's own mount namespace only.
        run h cp keep:/data.txt "$RUN_TMP/out.txt"
        assert_success
        [ "$(cat "$RUN_TMP/out.txt")" = kept ]
        echo copied-in >"$RUN_TMP/in.txt"
        run h cp "$RUN_TMP/in.txt" keep:/in.txt
        assert_success
        [ -z "$(findmnt -rn -o TARGET | grep -F "$id")" ]
        # start mounts it again: the earlier write and the copy are there.
        run h start -a keep
        assert_status 3
        run h exec keep true
        [ -z "$(findmnt -rn -o TARGET | grep -F "$id")" ]
        if [ "$image" = busybox ]; then # commit wants an image's layers
            run h commit keep keep-img
            assert_success
            run h run --rm --network none keep-img cat /data.txt /in.txt
            assert_success
            assert_output_contains kept
            assert_output_contains copied-in
            run h rmi keep-img
        else
            run h start -a keep
            assert_status 3
            run h cp keep:/in.txt -
            assert_success
            assert_output_contains copied-in
        fi
        run h rm keep
        assert_success
    done
}

@test "engine: after a simulated reboot (run root, processes, mounts and cgroups gone) containers start again" {
    run h run --network none -d --name up busybox sh -c 'echo one >>/log; sleep 1000'
    assert_success
    run h run --network none --name down --rootfs "$HULL_ROOTFS" sh -c 'echo one >>/log'
    assert_success
    simulate_reboot up
    run h ps -a --format '{{.Names}} {{.State}}'
    assert_success
    assert_output_contains "up exited"
    assert_output_contains "down exited"
    for c in up down; do
        run h start "$c"
        assert_success
    done
    run h wait down
    assert_success
    run h exec up cat /log
    assert_success
    [ "$(echo "$output" | grep -c one)" = 2 ] # the same upper layer as before
    run h cp down:/log -
    assert_success
    [ "$(echo "$output" | grep -c one)" = 2 ]
    run h rm -f up down
    assert_success
    assert_no_container_dirs
}

@test "engine: a container whose bundle is gone and whose config was not kept gets a clear error on start; rm still works" {
    run hrun --name old true
    assert_success
    id=$(h inspect -f '{{.Id}}' old)
    # As a database from before containers.spec existed, after a reboot.
    sqlite3 "$HROOT/lib/hull.db" "update containers set spec=NULL where id='$id'"
    rm -rf "$HROOT/run/containers/$id"
    run h start old
    assert_failure
    assert_output_contains "no copy of its config was kept"
    [ -z "$(findmnt -rn -o TARGET | grep -F "$id")" ]
    run h rm old
    assert_success
    assert_no_container_dirs
}

@test "engine: hull bench judges containers started through hull (privileged, seccomp, nnp)" {
    run h run --network none -d --name good busybox sleep 1000
    assert_success
    run h bench --runtime-root "$HROOT/run/runtime" --check 6.3 --format json
    [ "$(echo "$output" | jq -r '.results[0].status')" = pass ]
    run h run --network none -d --name priv --privileged busybox sleep 1000
    assert_success
    run h bench --runtime-root "$HROOT/run/runtime" --section 6 --format json --fail-on high
    [ "$status" -eq 1 ]
    [ "$(echo "$output" | jq -r '.results[] | select(.id=="6.3") | .status')" = fail ]
    [[ "$(echo "$output" | jq -r '.results[] | select(.id=="6.3") | .details[0]')" == "$(h inspect priv | jq -r '.[0].Id')"* ]]
    run h run --network none -d --name lax --security-opt seccomp=unconfined --security-opt no-new-privileges=false busybox sleep 1000
    assert_success
    run h bench --runtime-root "$HROOT/run/runtime" --section 6 --format json
    fails=$(echo "$output" | jq -r '[.results[] | select(.status=="fail") | .title] | join("|")')
    [[ "$fails" == *"eccomp"* ]]
}

@test "engine: pause/unpause, rename, top, stats and port" {
    run h run --network none -d --name m1 --memory 64m busybox sh -c 'sleep 1000 & sleep 1000'
    assert_success
    run h top m1
    assert_success
    [ "$(echo "$output" | grep -c 'sleep 1000')" -eq 2 ]
    run h stats --no-stream --format json m1
    assert_success
    [ "$(echo "$output" | jq '.pids.current')" -eq 2 ]
    [ "$(echo "$output" | jq '.memory.usage.limit')" -eq $((64 * 1024 * 1024)) ]
    run h pause m1
    assert_success
    pid=$(h inspect m1 | jq -r '.[0].State.Pid')
    [ "$(awk '{print $3}' /proc/$pid/stat)" != R ]
    run h unpause m1
    assert_success
    run h rename m1 m2
    assert_success
    run h inspect m2
    [ "$(echo "$output" | jq -r '.[0].Name')" = m2 ]
    run h rename m2 'bad/name'
    assert_status 125
    run h pause nosuch
    assert_status 125
    assert_output_contains "no such container"
}

@test "engine: info and system prune (exited containers, unused volumes only with --volumes)" {
    run h run --network none --name done1 busybox true
    assert_success
    run h run --network none -d --name live busybox sleep 1000
    assert_success
    run h volume create keepme
    run h info
    assert_success
    assert_output_contains "Containers: 2"
    assert_output_contains "Running: 1"
    run h system prune
    assert_success
    assert_output_contains "Deleted containers: 1"
    run h ps -a --format json
    [ "$(echo "$output" | jq -r '.Names')" = live ]
    run h volume ls
    assert_output_contains keepme
    run h system prune --volumes
    assert_output_contains "Deleted volumes: 1"
    run h system bogus
    assert_status 125
}

@test "engine: logs --since/--until take RFC 3339, unix seconds and durations; bad ones are refused" {
    run hrun -d --name timed sh -c 'echo early; sleep 2; echo late; sleep 1000'
    assert_success
    poll 10 sh -c "'$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' logs timed | grep -q late"
    # "late" was written ~2 s after "early": a 1 s window before now holds only it.
    run h logs --since 1s timed
    assert_success
    assert_output_contains late
    ! echo "$output" | grep -q early
    mid=$(($(date +%s) - 1))
    run h logs --until "$mid" timed
    assert_success
    assert_output_contains early
    ! echo "$output" | grep -q late
    run h logs --since "$(date -u -d @$((mid - 60)) +%Y-%m-%dT%H:%M:%SZ)" timed
    assert_success
    assert_output_contains early
    assert_output_contains late
    run h logs --since yesterday-ish timed
    assert_failure
    assert_output_contains '--since: time "yesterday-ish"'
    h rm -f timed
}
