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
