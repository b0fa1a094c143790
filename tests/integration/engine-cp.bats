#!/usr/bin/env bats
# `hull cp` in and out of running and stopped containers, tar streams, and
# the symlink-escape class of docker cp bugs (CVE-2018-15664): whatever the
# container plants, no host file outside the copy's own paths is read or
# written.

load engine-helpers

setup() {
    engine_setup
    # A host directory the container must never reach: a secret to read and
    # a victim to overwrite.
    HOSTDIR=$TEST_TMP/hostdir
    mkdir -p "$HOSTDIR"
    echo HOSTSECRET-$$ >"$HOSTDIR/secret"
    echo VICTIM-UNCHANGED >"$HOSTDIR/victim"
    SRC=$TEST_TMP/src
    mkdir -p "$SRC/sub"
    echo top >"$SRC/a"
    echo deep >"$SRC/sub/b"
    ln -s a "$SRC/lnk"
    OUT=$TEST_TMP/out
    mkdir -p "$OUT"
}
teardown() { engine_teardown; }

host_untouched() {
    [ "$(cat "$HOSTDIR/secret")" = "HOSTSECRET-$$" ] || return 1
    [ "$(cat "$HOSTDIR/victim")" = VICTIM-UNCHANGED ] || return 1
    [ "$(ls "$HOSTDIR" | tr '\n' ' ')" = "secret victim " ] || {
        echo "host dir has: $(ls "$HOSTDIR")" >&2
        return 1
    }
}

# No file under $OUT may hold the host's secret.
no_secret_in() {
    ! grep -r -q "HOSTSECRET" "$1" 2>/dev/null
}

@test "engine-cp: host to container and back, files and directories, running container" {
    run hrun -d --name box sleep 1000
    assert_success
    run h cp "$SRC" box:/tmp
    assert_success
    run h exec box sh -c 'cat /tmp/src/a /tmp/src/sub/b; readlink /tmp/src/lnk'
    assert_output_equals "top
deep
a"
    # times are kept, directories' too (set after their entries)
    touch -d '2020-01-02 03:04:05' "$SRC/sub"
    run h cp "$SRC/sub" box:/timed
    assert_success
    run h exec box stat -c %Y /timed
    assert_output_equals "$(stat -c %Y "$SRC/sub")"
    # a file under a new name; into an existing directory under its own name
    run h cp "$SRC/a" box:/etc/renamed
    assert_success
    run h cp "$SRC/sub/b" box:/root/
    assert_success
    run h exec box cat /etc/renamed /root/b
    assert_output_equals "top
deep"
    # SRC/. copies the contents
    run h exec box mkdir /into
    run h cp "$SRC/." box:/into
    assert_success
    run h exec box ls /into
    [ "$(echo "$output" | tr '\n' ' ')" = "a lnk sub " ]
    # out: a directory to a new name, a file into a directory
    run h cp box:/tmp/src "$OUT/copy"
    assert_success
    [ "$(cat "$OUT/copy/sub/b")" = deep ]
    [ "$(readlink "$OUT/copy/lnk")" = a ]
    run h cp box:/etc/passwd "$OUT"
    assert_success
    grep -q '^root:' "$OUT/passwd"
}

@test "engine-cp: tar streams with - on stdin and stdout" {
    run hrun -d --name box sleep 1000
    assert_success
    tar -C "$SRC" -cf - . | h cp - box:/root
    run h exec box cat /root/a /root/sub/b
    assert_output_equals "top
deep"
    h cp box:/root - >"$TEST_TMP/out.tar"
    run tar -tf "$TEST_TMP/out.tar"
    assert_success
    assert_output_contains "root/sub/b"
    [ "$(tar -xOf "$TEST_TMP/out.tar" root/a)" = top ]
    # into a directory only
    run sh -c "tar -C '$SRC' -cf - . | '$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' cp - box:/etc/passwd"
    assert_status 125
    assert_output_contains "a tar stream goes into an existing directory"
    # garbage is not a tar stream
    run sh -c "echo garbage | '$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' cp - box:/root"
    assert_status 125
    assert_output_contains "tar stream"
}

@test "engine-cp: works on created and stopped containers" {
    run h create --network none --rootfs "$HULL_ROOTFS" --name later cat /data/a
    assert_success
    run h cp "$SRC/a" later:/nodir/a
    assert_status 125 # no parent to copy into
    assert_output_contains "/nodir: No such file or directory"
    run h cp "$SRC/sub" later:/data
    assert_success
    run h cp "$SRC/a" later:/data/a
    assert_success
    run h start -a later
    assert_success
    assert_output_equals top
    # stopped now: copy out of it
    run h cp later:/data/b "$OUT/b"
    assert_success
    [ "$(cat "$OUT/b")" = deep ]
}

@test "engine-cp: symlinks planted in the container never reach the host (out)" {
    run hrun -d --name evil sh -c "
        ln -s '$HOSTDIR' /abs
        ln -s ../../../../../../../../..'$HOSTDIR' /rel
        ln -s '$HOSTDIR/secret' /file
        mkdir -p /d && ln -s / /d/up && ln -s ../.. /d/dotdot
        exec sleep 1000"
    assert_success
    poll 10 h exec evil test -L /d/dotdot
    # through an absolute or ..-laden symlink: resolved in the container,
    # where that path does not exist
    run h cp evil:/abs/secret "$OUT/s1"
    assert_status 125
    assert_output_contains "No such file or directory"
    run h cp evil:/rel/secret "$OUT/s2"
    assert_status 125
    run h cp "evil:/d/dotdot/../..$HOSTDIR/secret" "$OUT/s3"
    assert_status 125
    # a symlink itself is copied as a symlink, not followed
    run h cp evil:/file "$OUT/s4"
    assert_success
    [ -L "$OUT/s4" ]
    # whole trees, as a tar stream and to the host
    h cp evil:/ - >"$TEST_TMP/all.tar"
    ! grep -a -q HOSTSECRET "$TEST_TMP/all.tar"
    run h cp evil:/d "$OUT/d"
    assert_success
    [ -L "$OUT/d/up" ]
    no_secret_in "$OUT"
    host_untouched
}

@test "engine-cp: symlinks planted in the container never reach the host (in)" {
    run hrun -d --name evil sh -c "
        ln -s '$HOSTDIR' /abs
        ln -s ../../../../../../../../..'$HOSTDIR' /rel
        ln -s '$HOSTDIR/victim' /victim
        mkfifo /fifo
        exec sleep 1000"
    assert_success
    poll 10 h exec evil test -p /fifo
    echo PWNED >"$TEST_TMP/pwn"
    # into a directory behind an escaping symlink: it is the container's
    # $HOSTDIR (absent there), never the host's
    run h cp "$TEST_TMP/pwn" evil:/abs/victim
    assert_status 125
    run h cp "$TEST_TMP/pwn" evil:/rel/new
    assert_status 125
    # onto a symlink: the link is replaced inside the container
    run h cp "$TEST_TMP/pwn" evil:/victim
    assert_success
    run h exec evil cat /victim
    assert_output_equals PWNED
    # onto a FIFO: replaced, never opened (opening it would block)
    run h cp "$TEST_TMP/pwn" evil:/fifo
    assert_success
    run h exec evil sh -c 'test -f /fifo && cat /fifo'
    assert_output_equals PWNED
    # a tar stream that plants a symlink and then writes through it stays in
    # the container; ".." names are refused
    mkdir -p "$TEST_TMP/t"
    ln -s "$HOSTDIR" "$TEST_TMP/t/esc"
    (cd "$TEST_TMP/t" && tar -cf "$TEST_TMP/esc.tar" esc && mkdir -p x && echo PWNED >x/victim &&
        tar --transform 's,^x,esc,' -rf "$TEST_TMP/esc.tar" x/victim)
    run sh -c "'$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' cp - evil:/tmp <'$TEST_TMP/esc.tar'"
    assert_status 125
    python3 - "$TEST_TMP/dots.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    data = b"PWNED\n"
    info = tarfile.TarInfo("../../../../../../../../..%s/victim" % sys.argv[1].rsplit("/", 1)[0].replace("/dots.tar", ""))
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
PY
    run sh -c "'$HULL' --root '$HROOT/lib' --runroot '$HROOT/run' cp - evil:/tmp <'$TEST_TMP/dots.tar'"
    assert_status 125
    assert_output_contains '".." or an empty name is not allowed'
    host_untouched
}

@test "engine-cp: a container swapping a directory and a symlink races cp without escaping" {
    # CVE-2018-15664: the container flips /race/d between a real directory
    # and a symlink to the host directory while cp runs again and again.
    run hrun -d --name racer sh -c "
        mkdir -p /race
        while :; do
            mkdir -p /race/d.dir && echo INSIDE >/race/d.dir/secret
            mv /race/d.dir /race/d 2>/dev/null
            ln -s '$HOSTDIR' /race/d.lnk
            rm -rf /race/d; mv /race/d.lnk /race/d
            rm -f /race/d
        done"
    assert_success
    echo PWNED >"$TEST_TMP/pwn"
    for i in $(seq 40); do
        h cp racer:/race/d/secret "$OUT/secret.$i" >/dev/null 2>&1 || true
        h cp racer:/race/d "$OUT/tree.$i" >/dev/null 2>&1 || true
        h cp "$TEST_TMP/pwn" racer:/race/d/victim >/dev/null 2>&1 || true
        h cp "$TEST_TMP/pwn" racer:/race/d/ >/dev/null 2>&1 || true
    done
    # some copies got the container's own file: the race was run for real
    grep -r -l INSIDE "$OUT" >/dev/null
    no_secret_in "$OUT"
    host_untouched
}

@test "engine-cp: procfs and sysfs are refused; bad arguments are clear errors" {
    run hrun -d --name box sleep 1000
    assert_success
    run h cp box:/proc/1/environ "$OUT/env"
    assert_status 125
    assert_output_contains "procfs or sysfs"
    run h cp "$SRC/a" box:/proc/sys/kernel/hostname
    assert_status 125
    assert_output_contains "procfs or sysfs"
    run h cp "$SRC/a" box:/sys/kernel/x
    assert_status 125
    run h cp nosuch:/etc/passwd "$OUT"
    assert_status 125
    assert_output_contains "no such container: nosuch"
    run h cp box:/nope "$OUT"
    assert_status 125
    assert_output_contains "/nope: No such file or directory"
    run h cp "$SRC" box:/etc/passwd
    assert_status 125
    assert_output_contains "cannot copy directory"
    run h cp "$SRC/a" box:/no/such/dir/
    assert_status 125
    run h cp box:/etc "$SRC/a"
    assert_status 125
    assert_output_contains "cannot copy directory"
    run h cp box:/etc/passwd box:/tmp
    assert_status 125
    assert_output_contains "between containers"
    run h cp "$SRC/a" "$OUT/b"
    assert_status 125
    assert_output_contains "CONTAINER:PATH"
    run h cp box:/etc/passwd
    assert_status 125
    [ ! -e "$OUT/env" ]
}

@test "engine-cp: -a keeps owners; without it copies belong to root; setuid never reaches the host" {
    run hrun -d --name box sh -c 'echo x >/owned && chown 42:43 /owned && cp /bin/busybox /suid && chmod 4755 /suid && exec sleep 1000'
    assert_success
    poll 10 h exec box test -u /suid
    chown 1234:5678 "$SRC/a"
    run h cp "$SRC/a" box:/plain
    assert_success
    run h cp -a "$SRC/a" box:/kept
    assert_success
    run h exec box stat -c '%u:%g' /plain /kept
    assert_output_equals "0:0
1234:5678"
    run h cp box:/owned "$OUT/plain"
    assert_success
    run h cp -a box:/owned "$OUT/kept"
    assert_success
    [ "$(stat -c '%u:%g' "$OUT/plain")" = 0:0 ]
    [ "$(stat -c '%u:%g' "$OUT/kept")" = 42:43 ]
    # a setuid file from the container arrives without the bit
    run h cp -a box:/suid "$OUT/suid"
    assert_success
    [ -x "$OUT/suid" ]
    [ ! -u "$OUT/suid" ]
}
