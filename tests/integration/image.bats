#!/usr/bin/env bats
# Images: the store, import/load/save/tag/rmi/images/inspect/history round trips,
# docker-save archives built by hand, hostile layers, overlay root filesystems and
# garbage collection. Every test uses a private `hull --root` under a temp dir and
# unmounts and removes it afterwards.
#
# Environment: BUILD_DIR (default $REPO/build), HULL (default $BUILD_DIR/hull).

bats_require_minimum_version 1.5.0

REPO=${REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$REPO/build}
HULL=${HULL:-$BUILD_DIR/hull}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

setup_file() {
    [ -x "$HULL" ] || {
        echo "HULL=$HULL is not executable (build first)" >&2
        return 1
    }
    # mk.py OUT MODE: a `docker save` archive whose single layer is MODE (see below).
    cat >"$BATS_FILE_TMPDIR/mk.py" <<'PY'
import gzip, hashlib, io, json, sys, tarfile

out, mode = sys.argv[1], sys.argv[2]

def reg(t, name, data=b"x", perm=0o644):
    ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = perm
    t.addfile(ti, io.BytesIO(data))

def special(t, name, kind, target="", perm=0o755, major=0, minor=0):
    ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = target; ti.mode = perm
    ti.devmajor, ti.devminor = major, minor
    t.addfile(ti)

class Zeros(io.RawIOBase):
    def __init__(self, n): self.n = n
    def readable(self): return True
    def readinto(self, b):
        k = min(len(b), self.n); b[:k] = bytes(k); self.n -= k; return k

layers = {
    "hello": lambda t: (special(t, "etc", tarfile.DIRTYPE), reg(t, "etc/hello", b"hello\n")),
    "dotdot": lambda t: reg(t, "../hull-dotdot-escape"),
    "abs": lambda t: reg(t, "/hull-abs-escape-test", b"abs\n"),
    "symlink": lambda t: (special(t, "a", tarfile.SYMTYPE, "/etc"), reg(t, "a/passwd", b"pwned\n")),
    "symlink-etc": lambda t: (special(t, "etc", tarfile.DIRTYPE), special(t, "a", tarfile.SYMTYPE, "/etc"),
                              reg(t, "a/passwd", b"pwned\n")),
    "hardlink": lambda t: special(t, "shadow", tarfile.LNKTYPE, "/etc/shadow"),
    "device": lambda t: (special(t, "dev", tarfile.DIRTYPE), special(t, "dev/evil", tarfile.CHRTYPE, perm=0o666, major=1, minor=3)),
    "setuid": lambda t: (special(t, "bin", tarfile.DIRTYPE), reg(t, "bin/su", b"#!/bin/sh\n", 0o4755)),
    "bomb": lambda t: [reg(t, "f%d" % i, b"") for i in range(10000)],
}

b = io.BytesIO()
if mode == "gzbomb":
    # 256 MiB of zeros in a few hundred KiB of gzip
    with gzip.GzipFile(fileobj=b, mode="wb", mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as t:
            ti = tarfile.TarInfo("zeros"); ti.size = 256 << 20
            t.addfile(ti, Zeros(ti.size))
    layer = b.getvalue()
    diff_id = "sha256:" + "0" * 64
else:
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        layers[mode.replace("baddiff", "hello")](t)
    layer = b.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    if mode == "baddiff":
        diff_id = "sha256:" + hashlib.sha256(b"other").hexdigest()

config = {"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
          "config": {"Cmd": ["sh"]}, "rootfs": {"type": "layers", "diff_ids": [diff_id]},
          "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "bats " + mode}]}
cfg = json.dumps(config).encode()
cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
manifest = [{"Config": cfg_name, "RepoTags": ["hostile/" + mode + ":1"], "Layers": ["l0/layer.tar"]}]
with tarfile.open(out, "w") as t:
    for name, data in (("manifest.json", json.dumps(manifest).encode()), (cfg_name, cfg),
                       ("l0/layer.tar", layer)):
        reg(t, name, data)
PY
}

setup() {
    TMP=$(mktemp -d /tmp/hull-image-it.XXXXXX)
    ROOT=$TMP/root
    mkdir -p "$TMP/mnt"
}

teardown() {
    # containers of the commit tests first, then unmount everything below TMP,
    # deepest first, and remove it
    local m id
    if [ -d "$TMP/run" ]; then
        for id in $("$HULL" --root "$ROOT" --runroot "$TMP/run" ps -aq 2>/dev/null); do
            "$HULL" --root "$ROOT" --runroot "$TMP/run" rm -f "$id" >/dev/null 2>&1 || true
        done
    fi
    for m in $(awk -v p="$TMP" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$TMP"
}

hull() {
    "$HULL" --root "$ROOT" "$@"
}

mkarchive() { # mkarchive MODE -> $TMP/MODE.tar
    python3 "$BATS_FILE_TMPDIR/mk.py" "$TMP/$1.tar" "$1"
}

# no snapshot, temp dir or image left by a failed load
assert_nothing_left() {
    [ -z "$(ls -A "$ROOT/snapshots")" ]
    [ -z "$(ls -A "$ROOT/images/tmp")" ]
    run -0 hull images -q
    [ -z "$output" ]
}

only_snapshot() { # the path of the one snapshot's fs dir (init layers aside)
    local s
    s=$(ls "$ROOT/snapshots" | grep -v '^init-')
    [ "$(echo "$s" | wc -l)" -eq 1 ]
    echo "$ROOT/snapshots/$s/fs"
}

@test "busybox:latest is loaded from the embedded OCI layout on first use" {
    run -0 hull images -q
    [ -z "$output" ]
    run -0 hull image inspect busybox
    [[ "$output" == *'"busybox:latest"'* ]]
    [[ "$output" == *'"Cmd"'* ]]
    run -0 hull images
    [[ "${lines[1]}" == busybox*latest* ]]
    # the embedded image is reproducible: the same digest in a second root
    id1=$(hull image inspect busybox | jq -r '.[0].Digest')
    id2=$("$HULL" --root "$TMP/root2" image inspect busybox | jq -r '.[0].Digest')
    [ "$id1" = "$id2" ]
}

@test "import a rootfs tarball; images, inspect and history show it" {
    mkdir -p "$TMP/rootfs/etc"
    echo hi >"$TMP/rootfs/etc/hi"
    tar -C "$TMP/rootfs" -czf "$TMP/rootfs.tgz" .
    run -0 hull import -c 'CMD ["/bin/sh"]' -c 'ENV A=b' -m "first" "$TMP/rootfs.tgz" my/img:1
    [[ "$output" == sha256:* ]]
    run -0 hull images
    [[ "$output" == *"my/img"*"1"* ]]
    run -0 hull image inspect my/img:1
    [ "$(echo "$output" | jq -r '.[0].RootFS.Layers | length')" = 1 ]
    [ "$(echo "$output" | jq -r '.[0].Config.Env[0]')" = "A=b" ]
    [ "$(echo "$output" | jq -r '.[0].Manifest.Layers[0].MediaType')" = application/vnd.oci.image.layer.v1.tar+gzip ]
    run -0 hull history my/img:1
    [[ "$output" == *"hull import rootfs.tgz"*"first"* ]]
    run -0 hull images --format json
    [ "$(echo "${lines[0]}" | jq -r '.Repository')" = my/img ]
    run -0 hull image verify my/img:1
}

@test "images --format (json lines, templates, table) and --filter reference/dangling/label" {
    mkdir -p "$TMP/d"
    echo x >"$TMP/d/x"
    hull tag busybox x/y:1
    run -0 hull import -c 'LABEL app=web' -c 'LABEL tier=front' "$TMP/d" web/app:2
    dangling=$(hull import "$TMP/d")
    id=$(hull image inspect busybox | jq -r '.[0].Id')
    digest=$(hull image inspect busybox | jq -r '.[0].Digest')
    # json: one object per line, docker's fields
    run -0 hull images --format json
    [ "${#lines[@]}" -eq 4 ]
    [ "$(echo "$output" | jq -r 'select(.Repository == "busybox") | .Tag, .ID, .Digest' | tr '\n' ' ')" = "latest ${id:7:12} $digest " ]
    [ "$(echo "$output" | jq -r 'select(.Repository == "busybox") | .Size, .CreatedSince' | grep -c .)" -eq 2 ]
    run -0 hull images --format '{{.Repository}}:{{.Tag}}' --filter reference=busybox
    [ "$output" = busybox:latest ]
    # docker's glob: '*' matches within one path component only
    run -0 hull images --format '{{.Repository}}:{{.Tag}}' --filter 'reference=x/*'
    [ "$output" = x/y:1 ]
    run -0 hull images --format '{{.Repository}}' --filter 'reference=*'
    [ "$output" = busybox ]
    run -0 hull images --format '{{.Repository}}' --filter 'reference=*:1' --filter 'reference=*/*:2'
    [ "$(echo "$output" | sort | tr '\n' ' ')" = "web/app " ]
    run -0 hull images --format '{{.Repository}}' --filter 'reference=*/*'
    [ "$(echo "$output" | sort | tr '\n' ' ')" = "web/app x/y " ]
    run -0 hull images --format '{{.Repository}} {{.Tag}} {{.ID}}' --filter dangling=true
    [ "$output" = "<none> <none> ${dangling:7:12}" ]
    run -0 hull images -q --filter dangling=false --no-trunc
    [ "$(echo "$output" | sort -u | wc -l)" -eq 2 ]
    run -0 hull images --format '{{.Repository}}' --filter label=app
    [ "$output" = web/app ]
    run -0 hull images --format '{{.Repository}}' --filter label=app=web --filter label=tier=front
    [ "$output" = web/app ]
    run -0 hull images --format '{{.Repository}}' --filter label=app=db
    [ -z "$output" ]
    # keys AND: busybox has no label
    run -0 hull images --format '{{.Repository}}' --filter reference=busybox --filter label=app
    [ -z "$output" ]
    # table: docker's headers, aligned
    run -0 hull images --format 'table {{.Repository}}\t{{.ID}}\t{{.CreatedAt}}' --filter reference=busybox
    [[ "${lines[0]}" == "REPOSITORY   IMAGE ID       CREATED AT" ]]
    [[ "${lines[1]}" == "busybox      ${id:7:12}   "*" +0000 UTC" ]]
    run -0 hull images --digests --filter reference=busybox
    [[ "${lines[0]}" == REPOSITORY*TAG*DIGEST*"IMAGE ID"*CREATED*SIZE ]]
    [[ "${lines[1]}" == *"$digest"* ]]
    # bad filters and templates: clear errors
    run -1 hull images --filter bogus=1
    [[ "$output" == *'unknown filter "bogus"'* ]]
    run -1 hull images --filter dangling=maybe
    [[ "$output" == *"dangling=maybe: expected true or false"* ]]
    run -1 hull images --filter reference=
    run -1 hull images --filter nokey
    [[ "$output" == *"expected KEY=VALUE"* ]]
    run -1 hull images --format '{{.Repository'
    [[ "$output" == *"unclosed action"* ]]
}

@test "import of a directory is reproducible with SOURCE_DATE_EPOCH and --owner" {
    mkdir -p "$TMP/d/bin"
    echo x >"$TMP/d/bin/x"
    a=$(SOURCE_DATE_EPOCH=1000 hull import --owner 0:0 "$TMP/d" r:1)
    touch "$TMP/d/bin/x"
    b=$(SOURCE_DATE_EPOCH=1000 "$HULL" --root "$TMP/root2" import --owner 0:0 "$TMP/d" r:1)
    [ "$a" = "$b" ]
}

@test "tag, rmi by name and by ID, and -f for an ID with several names" {
    hull tag busybox x/y:1
    hull tag busybox x/y:2
    run -0 hull images
    [ "${#lines[@]}" -eq 4 ]
    id=$(hull images -q | head -n 1)
    run -1 hull rmi "$id"
    [[ "$output" == *"has 3 names"* ]]
    run -0 hull rmi x/y:1
    [ "$output" = "Untagged: x/y:1" ]
    run -0 hull rmi -f "$id"
    [[ "$output" == *"Untagged: busybox:latest"* && "$output" == *Deleted:* ]]
    [ -z "$(ls -A "$ROOT/images/blobs/sha256")" ]
    [ -z "$(ls -A "$ROOT/snapshots")" ]
    run -1 hull rmi nothing/here
    [[ "$output" == *"no such image: nothing/here"* ]]
    run -1 hull tag busybox 'Bad/Name'
    [[ "$output" == *lowercase* ]]
}

@test "save then load in a fresh root gives the same digests (archive and directory)" {
    hull tag busybox saved/bb:1
    hull save -o "$TMP/bb.tar" busybox saved/bb:1
    tar -tf "$TMP/bb.tar" | grep -qx oci-layout
    tar -tf "$TMP/bb.tar" | grep -qx manifest.json
    run -0 "$HULL" --root "$TMP/r2" load -i "$TMP/bb.tar"
    [[ "$output" == *"Loaded image: busybox:latest"* && "$output" == *"Loaded image: saved/bb:1"* ]]
    for r in "$ROOT" "$TMP/r2"; do
        "$HULL" --root "$r" image inspect saved/bb:1 | jq -r '.[0].Id, .[0].Digest'
    done >"$TMP/ids"
    [ "$(sed -n 1p "$TMP/ids")" = "$(sed -n 3p "$TMP/ids")" ]
    [ "$(sed -n 2p "$TMP/ids")" = "$(sed -n 4p "$TMP/ids")" ]
    # the same images saved again give the same bytes
    "$HULL" --root "$TMP/r2" save -o "$TMP/bb2.tar" busybox saved/bb:1
    cmp "$TMP/bb.tar" "$TMP/bb2.tar"
    hull save --format oci-dir -o "$TMP/layout" saved/bb:1
    run -0 "$HULL" --root "$TMP/r3" load -i "$TMP/layout"
    [ "$output" = "Loaded image: saved/bb:1" ]
    [ "$("$HULL" --root "$TMP/r3" image inspect saved/bb:1 | jq -r '.[0].Digest')" = "$(sed -n 2p "$TMP/ids")" ]
    # and from stdin
    run -0 "$HULL" --root "$TMP/r4" load <"$TMP/bb.tar"
    [[ "$output" == *"Loaded image: saved/bb:1"* ]]
}

@test "a docker save archive built by hand loads and mounts" {
    mkarchive hello
    run -0 hull load -i "$TMP/hello.tar"
    [ "$output" = "Loaded image: hostile/hello:1" ]
    run -0 hull history hostile/hello:1
    [[ "$output" == *"bats hello"* ]]
    hull image mount hostile/hello:1 c1 "$TMP/mnt"
    [ "$(cat "$TMP/mnt/etc/hello")" = hello ]
    hull image unmount --rm c1 "$TMP/mnt"
}

@test "a docker save archive whose layer does not match its diff_id is refused" {
    mkarchive baddiff
    run -1 hull load -i "$TMP/baddiff.tar"
    [[ "$output" == *"does not match the config's diff_id"* ]]
    assert_nothing_left
}

@test "hostile layer: ../ is refused, naming the entry" {
    mkarchive dotdot
    run -1 hull load -i "$TMP/dotdot.tar"
    [[ "$output" == *'layer entry "../hull-dotdot-escape": path contains ".."'* ]]
    [ -z "$(find "$TMP" / -xdev -maxdepth 3 -name hull-dotdot-escape 2>/dev/null)" ]
    assert_nothing_left
}

@test "hostile layer: an absolute path lands inside the layer" {
    mkarchive abs
    run -0 hull load -i "$TMP/abs.tar"
    [ ! -e /hull-abs-escape-test ]
    fs=$(only_snapshot)
    [ "$(cat "$fs/hull-abs-escape-test")" = abs ]
}

@test "hostile layer: a/passwd through a -> /etc never reaches the host" {
    before=$(sha256sum /etc/passwd)
    mkarchive symlink
    run -1 hull load -i "$TMP/symlink.tar"
    [[ "$output" == *'layer entry "a/passwd": a parent is a dangling symlink'* ]]
    assert_nothing_left
    # with an etc/ in the layer the write is resolved inside it
    mkarchive symlink-etc
    run -0 hull load -i "$TMP/symlink-etc.tar"
    fs=$(only_snapshot)
    [ "$(cat "$fs/etc/passwd")" = pwned ]
    [ "$(sha256sum /etc/passwd)" = "$before" ]
}

@test "hostile layer: a hardlink to /etc/shadow is refused" {
    mkarchive hardlink
    run -1 hull load -i "$TMP/hardlink.tar"
    [[ "$output" == *'layer entry "shadow": hardlink target is not in this layer'* ]]
    assert_nothing_left
}

@test "hostile layer: device nodes are skipped unless allowed" {
    mkarchive device
    run -0 hull load -i "$TMP/device.tar"
    [[ "$output" == *'skipped 1 device node(s) (first: "dev/evil")'* ]]
    fs=$(only_snapshot)
    [ ! -e "$fs/dev/evil" ]
    run -0 "$HULL" --root "$TMP/r2" load --allow-devices -i "$TMP/device.tar"
    ROOT=$TMP/r2
    fs=$(only_snapshot)
    [ -c "$fs/dev/evil" ]
}

@test "hostile layer: setuid bits are dropped unless kept" {
    mkarchive setuid
    run -0 hull load -i "$TMP/setuid.tar"
    [[ "$output" == *'dropped setuid/setgid bits from 1 file(s) (first: "bin/su")'* ]]
    fs=$(only_snapshot)
    [ "$(stat -c %a "$fs/bin/su")" = 755 ]
    "$HULL" --root "$TMP/r2" load --keep-setuid -i "$TMP/setuid.tar"
    ROOT=$TMP/r2
    fs=$(only_snapshot)
    [ "$(stat -c %a "$fs/bin/su")" = 4755 ]
}

@test "hostile layer: a 10k-entry bomb stops at --max-entries" {
    mkarchive bomb
    run -1 hull load --max-entries 1000 -i "$TMP/bomb.tar"
    [[ "$output" == *'layer entry "f1000": more than 1000 entries'* ]]
    assert_nothing_left
}

@test "hostile layer: a decompression bomb stops at --max-bytes" {
    mkarchive gzbomb
    [ "$(stat -c %s "$TMP/gzbomb.tar")" -lt $((2 << 20)) ]
    run -1 hull load --max-bytes 16m -i "$TMP/gzbomb.tar"
    [[ "$output" == *"more than 16777216"* ]]
    assert_nothing_left
}

@test "overlay rootfs: writes go to the upper layer; removal removes only it" {
    hull image mount busybox c1 "$TMP/mnt"
    grep -q " $TMP/mnt .* overlay " /proc/self/mountinfo || grep -q "$TMP/mnt" /proc/self/mountinfo
    fs=$(only_snapshot)
    [ -x "$TMP/mnt/bin/busybox" ]
    echo new >"$TMP/mnt/newfile"
    rm "$TMP/mnt/etc/hostname"
    [ "$(cat "$ROOT/containers/c1/upper/newfile")" = new ]
    [ -c "$ROOT/containers/c1/upper/etc/hostname" ]
    [ ! -e "$fs/newfile" ]
    [ -e "$fs/etc/hostname" ]
    # prune keeps the snapshots a mounted rootfs uses, even without the image
    hull rmi busybox
    [ -e "$fs/bin/busybox" ]
    [ -x "$TMP/mnt/bin/busybox" ]
    hull image unmount --rm c1 "$TMP/mnt"
    ! grep -q "$TMP/mnt" /proc/self/mountinfo
    [ ! -e "$ROOT/containers/c1" ]
    run -0 hull image prune
    [ -z "$(ls -A "$ROOT/snapshots")" ]
}

@test "init layer: the mount targets an image lacks are shared, never shadow the image, go with it" {
    # busybox has no /etc/hosts nor /etc/resolv.conf: they come from a layer
    # shared by its containers, whose upper layers start empty
    hull image mount busybox c3 "$TMP/mnt"
    init=$(ls -d "$ROOT"/snapshots/init-*)
    [ -f "$init/fs/etc/hosts" ] && [ -f "$init/fs/etc/resolv.conf" ]
    [ ! -e "$init/fs/proc" ] # the image has it
    [ -z "$(ls -A "$ROOT/containers/c3/upper")" ]
    [ -f "$TMP/mnt/etc/hosts" ] && [ -f "$TMP/mnt/etc/passwd" ]
    # the merged /etc shows the image's mode and times, not the layer's
    [ "$(stat -c %a-%u-%Y "$TMP/mnt/etc")" = "$(stat -c %a-%u-%Y "$(only_snapshot)/etc")" ]
    hull image unmount --rm c3 "$TMP/mnt"
    # an image whose /etc is a symlink keeps it: nothing is made below it
    mkdir -p "$TMP/l/real" "$TMP/l/proc" "$TMP/l/sys" "$TMP/l/dev"
    ln -s real "$TMP/l/etc"
    hull import "$TMP/l" linked:1 >/dev/null
    mkdir -p "$TMP/mnt2"
    hull image mount linked:1 c4 "$TMP/mnt2"
    [ -L "$TMP/mnt2/etc" ]
    [ "$(ls -d "$ROOT"/snapshots/init-* | wc -l)" -eq 2 ]
    hull image unmount --rm c4 "$TMP/mnt2"
    # prune keeps an init layer while its image is there, and drops it after
    run -0 hull image prune
    [ -d "$init/fs" ]
    hull rmi busybox linked:1 >/dev/null
    run -0 hull image prune
    [ -z "$(ls -A "$ROOT/snapshots")" ]
}

@test "copy fallback: the layers are copied into the upper dir, with a message" {
    run -0 hull image mount --copy busybox c2 "$TMP/mnt"
    [[ "$output" == *"copying the image's layers"* ]]
    [ -x "$ROOT/containers/c2/upper/bin/busybox" ]
    echo x >"$TMP/mnt/only-here"
    fs=$(only_snapshot)
    [ ! -e "$fs/only-here" ]
    hull image unmount --rm c2 "$TMP/mnt"
    [ ! -e "$ROOT/containers/c2" ]
    [ -e "$fs/bin/busybox" ]
}

@test "prune removes unreferenced blobs, stale temp files and dangling images" {
    hull image inspect busybox >/dev/null
    mkarchive hardlink
    run -1 hull load -i "$TMP/hardlink.tar"
    nblobs=$(ls "$ROOT/images/blobs/sha256" | wc -l)
    [ "$nblobs" -gt 3 ]
    mkdir "$ROOT/snapshots/deadbeef.tmp-1-0"
    # an unnamed image is dangling
    mkdir -p "$TMP/d"
    echo x >"$TMP/d/x"
    id=$(hull import "$TMP/d")
    run -0 hull images
    [[ "$output" == *"<none>"* ]]
    run -0 hull image prune
    # the failed load's manifest, config and layer; the import's three
    [[ "$output" == *"Deleted Images:"*"Deleted 6 blob(s), 1 snapshot(s), 1 temp file(s)"* ]]
    [ "$(ls "$ROOT/images/blobs/sha256" | wc -l)" -eq 3 ]
    [ ! -e "$ROOT/snapshots/deadbeef.tmp-1-0" ]
    run -1 hull image inspect "$id"
    run -0 hull image verify busybox
}

@test "bad input gets clear errors" {
    run -1 hull image inspect 'Bad:Ref'
    [[ "$output" == *"must be lowercase"* ]]
    run -1 hull image inspect sha256:zz
    [[ "$output" == *"64 lowercase hex"* ]]
    run -1 hull image inspect sha512:abcd
    [[ "$output" == *"unsupported digest algorithm sha512"* ]]
    run -1 hull image inspect nothing
    [[ "$output" == *"no such image: nothing"* ]]
    echo "not an archive" >"$TMP/junk"
    run -1 hull load -i "$TMP/junk"
    [[ "$output" == *"load"* ]]
    assert_nothing_left
    run -125 hull save -o "$TMP/x.tar"
    # a tampered blob is caught by verify and by the next read
    hull image inspect busybox >/dev/null
    cfg=$(hull image inspect busybox | jq -r '.[0].Id' | cut -d: -f2)
    chmod u+w "$ROOT/images/blobs/sha256/$cfg"
    echo '{}' >"$ROOT/images/blobs/sha256/$cfg"
    run -1 hull image verify busybox
    [[ "$output" == *"corrupt or tampered"* ]]
}

@test "two concurrent loads of the same archive neither corrupt nor duplicate" {
    hull save -o "$TMP/bb.tar" busybox
    rm -rf "$ROOT"
    HULL_BUSYBOX_OCI= "$HULL" --root "$ROOT" load -i "$TMP/bb.tar" >"$TMP/a.out" 2>&1 &
    p1=$!
    HULL_BUSYBOX_OCI= "$HULL" --root "$ROOT" load -i "$TMP/bb.tar" >"$TMP/b.out" 2>&1 &
    p2=$!
    wait "$p1"
    wait "$p2"
    [ "$(hull images -q | wc -l)" -eq 1 ]
    [ "$(ls "$ROOT/images/blobs/sha256" | wc -l)" -eq 3 ]
    [ "$(ls "$ROOT/snapshots" | wc -l)" -eq 1 ]
    run -0 hull image verify busybox
}

# ---- hull commit ------------------------------------------------------------------------

hullc() { # containers need a private runroot too
    "$HULL" --root "$ROOT" --runroot "$TMP/run" "$@"
}

top_layer_blob() { # top_layer_blob IMAGE -> path of its top layer's blob
    local d=$(hull image inspect "$1" | jq -r '.[0].Digest')
    local l=$(jq -r '.layers[-1].digest' "$ROOT/images/blobs/sha256/${d#sha256:}")
    echo "$ROOT/images/blobs/sha256/${l#sha256:}"
}

@test "commit: the upper dir becomes a layer holding only the changes, with OCI whiteouts" {
    hullc run --name c1 busybox sh -c 'echo hello >/etc/motd; rm /etc/group;
        rm -rf /usr/sbin; mkdir /usr/sbin; echo z >/usr/sbin/new'
    # the opaque dir is overlay's: trusted.overlay.opaque=y on the recreated dir
    local id=$(hullc inspect c1 | jq -r '.[0].Id')
    [ "$(getfattr --absolute-names --only-values -n trusted.overlay.opaque \
        "$ROOT/containers/$id/upper/usr/sbin")" = y ]
    run -0 hullc commit -m "my change" -a "Jane <jane@example.org>" -c 'CMD ["cat", "/etc/motd"]' \
        -c 'ENV FOO=bar' c1 mine:1
    [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
    [ "$output" = "$(hull image inspect mine:1 | jq -r '.[0].Id')" ]
    # exactly the changes: no /etc/hosts or /etc/resolv.conf mount points, no overlay xattrs
    tar -tzf "$(top_layer_blob mine:1)" | sort >"$TMP/entries"
    printf '%s\n' etc/ etc/.wh.group etc/motd usr/ usr/sbin/ usr/sbin/.wh..wh..opq \
        usr/sbin/new | sort >"$TMP/want"
    diff -u "$TMP/want" "$TMP/entries"
    # parent layers + 1, new diff_id and history entry with the message
    [ "$(hull image inspect mine:1 | jq '.[0].RootFS.Layers | length')" = \
        "$(($(hull image inspect busybox | jq '.[0].RootFS.Layers | length') + 1))" ]
    hull history mine:1 | sed -n 2p | grep -q "my change"
    [ "$(hull image inspect mine:1 | jq -r '.[0].Config.Env[]' | grep -c '^FOO=bar$')" = 1 ]
    [ "$(hull image inspect mine:1 | jq -r '.[0].Author')" = "Jane <jane@example.org>" ]
    # a container of the new image sees the change, the deletion and the opaque dir
    run -0 hullc run --rm mine:1
    [ "$output" = hello ]
    run -0 hullc run --rm mine:1 sh -c 'ls /etc/group 2>&1; ls /usr/sbin; echo $FOO'
    [[ "$output" == *"No such file"* ]]
    [ "$(sed -n 2,3p <<<"$output")" = "new
bar" ]
    hullc rm c1
}

@test "commit: a change to one file gives a layer holding only that file" {
    hullc run --name one busybox sh -c 'echo changed >/etc/passwd'
    run -0 hullc commit one one:1
    [ "$(tar -tzf "$(top_layer_blob one:1)")" = "etc/
etc/passwd" ]
    hullc rm one
}

@test "commit: a running container is committed (paused meanwhile) and runs on afterwards" {
    hullc run -d --name live busybox sh -c 'echo 1 >/tmp/marker; exec sleep 300' 3>&-
    # a container the user paused stays paused; one that ran runs on
    hullc run -d --name frozen busybox sleep 300 3>&-
    hullc pause frozen
    local fid=$(hullc inspect frozen | jq -r '.[0].Id')
    rt_status() { "$BUILD_DIR/hull-runtime" --root "$TMP/run/runtime" state "$1" | jq -r .status; }
    [ "$(rt_status "$fid")" = paused ]
    run -0 hullc commit frozen frozen:1
    [ "$(rt_status "$fid")" = paused ]
    hullc unpause frozen
    hullc rm -f frozen
    local id=$(hullc inspect live | jq -r '.[0].Id')
    for _ in $(seq 50); do [ -f "$ROOT/containers/$id/upper/tmp/marker" ] && break; sleep 0.1; done
    run -0 hullc commit live live:1
    [ "$(rt_status "$id")" = running ]
    # the freezer was thawed: the container still runs commands
    run -0 hullc exec live cat /tmp/marker
    [ "$output" = 1 ]
    run -0 hullc run --rm live:1 cat /tmp/marker
    [ "$output" = 1 ]
    hullc rm -f live
}

@test "commit: unknown container, bad change, no arguments: clear errors, no image" {
    run -1 hullc commit nosuch x:1
    [[ "$output" == *"nosuch"* ]]
    hullc run --name c2 busybox true
    run -1 hullc commit -c 'FROBNICATE x' c2 bad:1
    [[ "$output" == *"FROBNICATE x"*"unsupported instruction"* ]]
    run hull image inspect bad:1
    [ "$status" -ne 0 ]
    [ -z "$(ls -A "$ROOT/images/tmp")" ]
    run -125 hullc commit
    hullc rm c2
}

@test "save -o x.tar A B of two different images; both load in a fresh root" {
    mkdir -p "$TMP/tree/etc"
    echo second >"$TMP/tree/etc/second"
    hull import "$TMP/tree" second:1 >/dev/null
    run -0 hull save -o "$TMP/two.tar" busybox second:1
    [ "$(tar -xOf "$TMP/two.tar" index.json | jq '.manifests | length')" = 2 ]
    [ "$(tar -xOf "$TMP/two.tar" manifest.json | jq -r '.[].RepoTags[]' | sort | tr '\n' ' ')" = \
        "busybox:latest second:1 " ]
    run -0 "$HULL" --root "$TMP/r2" load -i "$TMP/two.tar"
    [[ "$output" == *"Loaded image: busybox:latest"* && "$output" == *"Loaded image: second:1"* ]]
    for n in busybox second:1; do
        [ "$(hull image inspect "$n" | jq -r '.[0].Digest')" = \
            "$("$HULL" --root "$TMP/r2" image inspect "$n" | jq -r '.[0].Digest')" ]
    done
    # a name that is not there: nothing written
    run -1 hull save -o "$TMP/bad.tar" busybox nosuch:1
    [[ "$output" == *"no such image: nosuch:1"* ]]
    [ ! -e "$TMP/bad.tar" ]
}
