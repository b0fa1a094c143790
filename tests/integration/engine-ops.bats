#!/usr/bin/env bats
# Operations on running and stopped containers: block I/O in `hull stats`,
# `hull start --all` (the boot hook for restart policies).

load engine-helpers
load blkio

setup() {
    engine_setup
}
teardown() {
    # containers first: a volume's loop mount is released with them
    for id in $(h ps -aq 2>/dev/null); do h rm -f "$id" >/dev/null 2>&1 || true; done
    [ -z "${BLK_DIR:-}" ] || umount "$BLK_DIR" 2>/dev/null || true
    engine_teardown
}

@test "engine-ops: stats shows the block I/O of O_DIRECT writes and reads on a block device (json and the BLOCK I/O column)" {
    BLK_DIR=$TEST_TMP/blk
    mm=$(blk_device "$BLK_DIR")
    maj=${mm%:*} min=${mm#*:}
    run hrun -d --name io -v "$BLK_DIR:/data" sh -c \
        'dd if=/dev/zero of=/data/x bs=1M count=8 oflag=direct && dd if=/data/x of=/dev/null bs=1M count=4 iflag=direct && touch /data/done && sleep 1000'
    assert_success
    poll 20 test -e "$BLK_DIR/done"
    run h stats --no-stream --format json io
    assert_success
    echo "$output" | jq -c .blkio
    # the device's Write and Read entries: at least what dd moved (the file
    # system may add its own metadata writes)
    echo "$output" | jq -e --argjson M "$maj" --argjson m "$min" '
        [.blkio.ioServiceBytesRecursive[] | select(.major == $M and .minor == $m)] as $e
        | ($e | map(select(.op == "Write")) | .[0].value >= 8388608)
          and ($e | map(select(.op == "Read")) | .[0].value >= 4194304)'
    echo "$output" | jq -e --argjson M "$maj" --argjson m "$min" '
        [.blkio.ioServicedRecursive[] | select(.major == $M and .minor == $m and .op == "Write")]
        | .[0].value >= 1'
    # the table: docker's "read / write" in decimal units
    run h stats --no-stream io
    assert_success
    echo "$output"
    [[ "${lines[0]}" == *"BLOCK I/O"* ]]
    [[ "${lines[1]}" =~ \ ([0-9.]+)MB\ /\ ([0-9.]+)MB\  ]]
    awk -v r="${BASH_REMATCH[1]}" -v w="${BASH_REMATCH[2]}" 'BEGIN { exit !(r >= 4.19 && w >= 8.38) }'
    # a container that did no I/O to a counted device: 0B / 0B
    run hrun -d --name idle sleep 1000
    assert_success
    run h stats --no-stream idle
    assert_success
    [[ "${lines[1]}" == *" 0B / 0B "* ]]
}

state_of() { h inspect -f '{{.State.Status}}' "$1"; }

@test "engine-ops: start --all --filter restart-policy= after a simulated reboot: always and unless-stopped come back, unless-stopped ones the user stopped do not" {
    hrun -d --name always --restart always sleep 1000 >/dev/null
    hrun -d --name always-stopped --restart always sleep 1000 >/dev/null
    hrun -d --name unless --restart unless-stopped sleep 1000 >/dev/null
    hrun -d --name unless-stopped --restart unless-stopped sleep 1000 >/dev/null
    hrun -d --name unless-killed --restart unless-stopped sleep 1000 >/dev/null
    hrun -d --name never sleep 1000 >/dev/null
    hrun -d --name onfail --restart on-failure:3 sleep 1000 >/dev/null
    run h stop -t 1 always-stopped unless-stopped
    assert_success
    run h kill unless-killed
    assert_success
    h wait unless-killed >/dev/null
    # a stopped one that was started again is no longer "stopped by the user"
    run h stop -t 1 unless
    assert_success
    run h start unless
    assert_success
    simulate_reboot always unless never onfail
    for c in always always-stopped unless unless-stopped unless-killed never onfail; do
        [ "$(state_of "$c")" = exited ]
    done
    # the boot hook of contrib/ (the systemd unit runs the same command)
    grep -q 'start --all --filter restart-policy=always --filter restart-policy=unless-stopped' \
        "$BATS_TEST_DIRNAME/../../contrib/systemd/hull-restart.service"
    run env HULL="$HULL" HULL_OPTS="--root $HROOT/lib --runroot $HROOT/run" \
        timeout 120 "$BATS_TEST_DIRNAME/../../contrib/init.d/hull-restart" start
    assert_success
    # oldest first, one name a line
    assert_output_equals "$(printf 'Starting hull containers with a restart policy\nalways\nalways-stopped\nunless')"
    for c in always always-stopped unless; do
        [ "$(state_of "$c")" = running ]
    done
    for c in unless-stopped unless-killed never onfail; do
        [ "$(state_of "$c")" = exited ]
    done
    run h exec unless true
    assert_success
    # already running ones are left alone; --all without a filter takes the
    # rest but still not the unless-stopped ones the user stopped
    run h start --all
    assert_success
    assert_output_equals "$(printf 'never\nonfail')"
    [ "$(state_of unless-stopped)" = exited ]
    [ "$(state_of unless-killed)" = exited ]
    # naming one starts it, as always
    run h start unless-stopped
    assert_success
    [ "$(state_of unless-stopped)" = running ]
    # ps knows the filter too
    run h ps --filter restart-policy=on-failure --format '{{.Names}}'
    assert_output_equals onfail
}

@test "engine-ops: start --all: bad filters and combinations are refused, nothing is started" {
    h create --network none --rootfs "$HULL_ROOTFS" --name idle --restart always true >/dev/null
    run h start --all --filter restart-policy=sometimes
    assert_status 125
    assert_output_contains 'restart-policy=sometimes: expected no, always, unless-stopped or on-failure'
    run h start --all --filter bogus=1
    assert_status 125
    assert_output_contains 'unknown filter "bogus"'
    run h start --filter restart-policy=always
    assert_status 125
    run h start --all idle
    assert_status 125
    run h start --all --filter
    assert_status 125
    [ "$(state_of idle)" = created ]
    # a container that cannot start is reported, the others still start
    hrun -d --name ok --restart always sleep 1000 >/dev/null
    h stop -t 0 ok >/dev/null
    id=$(h inspect -f '{{.Id}}' idle)
    sqlite3 "$HROOT/lib/hull.db" "update containers set spec=NULL where id='$id'"
    umount "$HROOT/run/containers/$id/rootfs"
    rm -rf "$HROOT/run/containers/$id"
    run h start --all --filter restart-policy=always
    assert_status 1
    assert_output_contains "start: container idle:"
    assert_output_contains "ok"
    [ "$(state_of ok)" = running ]
}

@test "engine-ops: system df counts images, containers' writable layers and volumes, active and reclaimable" {
    run h volume create used
    run h volume create unused
    printf '%050000d' 0 >"$(h volume inspect used | jq -r '.[0].Mountpoint')/f"
    printf '%020000d' 0 >"$(h volume inspect unused | jq -r '.[0].Mountpoint')/f"
    run h run --network none --name done -v used:/v busybox dd if=/dev/zero of=/big bs=1024 count=100
    assert_success
    run h run --network none -d --name up busybox sh -c 'dd if=/dev/zero of=/half bs=1024 count=50 && sleep 1000'
    assert_success
    poll 10 sh -c "$HULL --root $HROOT/lib --runroot $HROOT/run exec up test -s /half"
    run h system df --format json
    assert_success
    echo "$output"
    row() { echo "$output" | jq -r --arg t "$1" 'select(.Type == $t) | "\(.TotalCount) \(.Active) \(.Size) \(.Reclaimable)"'; }
    # one image, both containers made from it
    [[ "$(row Images)" =~ ^1\ 1\ [0-9.]+MB\ 0B\ \(0%\)$ ]]
    # 100 KiB in the exited one's layer (reclaimable), 50 KiB in the running one's
    [ "$(row Containers)" = "2 1 153.6kB 102.4kB (66%)" ]
    [ "$(row 'Local Volumes')" = "2 1 70kB 20kB (28%)" ]
    [ "$(row 'Build Cache')" = "0 0 0B 0B" ]
    run h system df
    assert_success
    [ "${lines[0]}" = "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE" ]
    [[ "${lines[2]}" == "Containers      2         1         153.6kB   102.4kB (66%)" ]]
    run h system df --bogus
    assert_status 125
    run h rm -f done up
    run h volume rm used unused
    assert_success
}

@test "engine-ops: stats has docker's columns, CPU % from two samples, every running container by default, templates and -a" {
    run hrun -d --name busy --memory 64m sh -c 'while :; do :; done'
    assert_success
    run hrun -d --name calm sleep 1000
    assert_success
    run hrun --name done true
    assert_success
    # no argument: every running container, docker's header
    run h stats --no-stream
    assert_success
    [[ "${lines[0]}" == "CONTAINER ID   NAME"*"CPU %"*"MEM USAGE / LIMIT"*"MEM %"*"NET I/O"*"BLOCK I/O"*"PIDS" ]]
    [ "${#lines[@]}" -eq 3 ]
    # a spinning shell uses about one CPU; a sleeping one none
    run h stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' busy calm
    assert_success
    [[ "${lines[0]}" =~ ^busy\ ([0-9.]+)%\ [0-9.]+[KM]iB\ /\ 64MiB\ 1$ ]]
    awk -v c="${BASH_REMATCH[1]}" 'BEGIN { exit !(c > 30) }'
    [[ "${lines[1]}" =~ ^calm\ 0\.[0-9]{2}%\  ]]
    # json: docker's keys and the raw counters
    run h stats --no-stream --format json calm
    assert_success
    [ "$(echo "$output" | jq -r '.Name')" = calm ]
    [ "$(echo "$output" | jq -r '.ID | length')" -eq 12 ]
    [ "$(echo "$output" | jq '.pids.current')" -eq 1 ]
    # -a: the exited one too (no processes, no CPU)
    run h stats -a --no-stream --format '{{.Name}} {{.PIDs}}'
    assert_success
    assert_output_contains "done 0"
    run h stats --no-stream nosuch
    [ "$status" -ne 0 ]
    assert_output_contains "nosuch"
}
