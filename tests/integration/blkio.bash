# A block device of a test's own, for block I/O counters (engine-ops.bats,
# api.bats).
#
# blk_device DIR: an ext4 file system in a loop device (mount -o loop: the
# device is released with the umount) mounted on DIR; prints its MAJ:MIN.
#
# The "no limit" throttle rule: cgroup v1's blkio.throttle.io_service_* count
# only on a device whose queue has throttling set up, which since Linux 6.10
# happens on the first blkio.throttle.* rule written for the device (in any
# cgroup). A rule of 0 (no limit) in a scratch cgroup sets it up for this
# loop device alone and limits nothing; the host's disk stays untouched.
# cgroup v2's io.stat counts without it.
blk_device() {
    local dir=$1 img mm cg
    [ -e /dev/loop-control ] || skip "no loop devices (/dev/loop-control)"
    img=$(mktemp -p "$TEST_TMP" blk.XXXXXX)
    truncate -s 64M "$img"
    mkfs.ext4 -q -F "$img" >/dev/null
    mkdir -p "$dir"
    mount -o loop "$img" "$dir"
    mm=$(findmnt -rno MAJ:MIN "$dir")
    if [ -f /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device ]; then
        cg=/sys/fs/cgroup/blkio/hull-bats-$$-$BATS_TEST_NUMBER
        mkdir "$cg"
        echo "$mm 0" >"$cg/blkio.throttle.write_bps_device"
        rmdir "$cg"
    fi
    echo "$mm"
}
