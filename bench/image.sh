#!/bin/bash
# bench/image.sh BUILD_DIR [N] — time pulling a 5-layer, ~56 MiB image of incompressible
# data from a private plain-http docker-registry on 127.0.0.1 with `hull pull`,
# `skopeo copy` (to an OCI layout) and `podman pull` (vfs), each into a fresh empty
# destination, interleaved round-robin; plus `hull load` of the same image from a local
# OCI layout (no network: store + unpack) against `umoci unpack` of the same layout when
# umoci is installed. Prints medians, p10/p90, peak RSS and the ratios hull/skopeo,
# hull/podman, hull-load/umoci. A benchmark, not a test: it asserts nothing.
#
# Environment: N (rounds, default 10), WARMUP (default 1), LAYER_MIB (MiB of random data
# per added layer, default 11), CMD_TIMEOUT (s, default 180), KEEP=1 keeps the work
# directory. Needs root, jq, gzip, sha256sum, python3, /usr/bin/time, docker-registry,
# skopeo, podman. See bench/README.md.
set -euo pipefail

build=${1:?usage: bench/image.sh BUILD_DIR [N]}
N=${2:-${N:-10}}
WARMUP=${WARMUP:-1}
LAYER_MIB=${LAYER_MIB:-11}
CMD_TIMEOUT=${CMD_TIMEOUT:-180}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$repo/bench/lib.sh"
build=$(cd "$build" && pwd)
hull=$build/hull
base=$build/busybox-oci

[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$hull" ] || die "$hull missing; run ninja -C $build"
[ -f "$base/index.json" ] || die "$base missing; run ninja -C $build"
for tool in jq gzip sha256sum python3 curl docker-registry skopeo podman; do
    command -v "$tool" >/dev/null || die "$tool missing (make deps)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
[[ $N =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"

work=$(mktemp -d /tmp/hull-bench-image.XXXXXX)
reg_pid=
cleanup() {
    if [ -n "$reg_pid" ]; then
        stop_pid "$reg_pid" 5
        wait "$reg_pid" 2>/dev/null || true
    fi
    # a hull root may hold a mount only if something went wrong; unmount before rm
    umount_under "$work"
    if [ -n "${KEEP:-}" ]; then
        echo "bench: work directory kept: $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- the test image: busybox + 5 layers of random data, an OCI layout made by hand -------
layout=$work/layout
mkdir -p "$layout/blobs/sha256" "$work/err" "$work/d"
cp -a "$base/blobs/sha256/." "$layout/blobs/sha256/"
echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
bm=$(jq -r '.manifests[0].digest' "$base/index.json")
manifest=$(cat "$base/blobs/sha256/${bm#sha256:}")
config=$(cat "$base/blobs/sha256/$(jq -r '.config.digest' <<<"$manifest" | cut -d: -f2)")
echo "bench: building the test image (5 x $LAYER_MIB MiB of /dev/urandom)" >&2
for i in 1 2 3 4 5; do
    d=$work/src$i
    mkdir -p "$d/bench"
    head -c "$((LAYER_MIB * 1048576))" /dev/urandom >"$d/bench/layer$i.bin"
    tar -C "$d" --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name -cf "$work/l.tar" bench
    diff_id=sha256:$(sha256sum "$work/l.tar" | cut -d' ' -f1)
    gzip -n -1 <"$work/l.tar" >"$work/l.tgz"
    blob=$(sha256sum "$work/l.tgz" | cut -d' ' -f1)
    size=$(stat -c %s "$work/l.tgz")
    mv "$work/l.tgz" "$layout/blobs/sha256/$blob"
    rm -rf "$d" "$work/l.tar"
    config=$(jq -c --arg d "$diff_id" --arg i "$i" \
        '.rootfs.diff_ids += [$d] | .history += [{created: "1970-01-01T00:00:00Z",
          created_by: ("bench layer " + $i)}]' <<<"$config")
    manifest=$(jq -c --arg d "sha256:$blob" --argjson s "$size" \
        '.layers += [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
          digest: $d, size: $s}]' <<<"$manifest")
done
put_blob() { # put_blob TEXT -> "digest size"
    local h
    h=$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)
    printf '%s' "$1" >"$layout/blobs/sha256/$h"
    echo "sha256:$h ${#1}"
}
read -r cd cs <<<"$(put_blob "$config")"
manifest=$(jq -c --arg d "$cd" --argjson s "$cs" '.config.digest = $d | .config.size = $s' <<<"$manifest")
read -r md ms <<<"$(put_blob "$manifest")"
jq -nc --arg d "$md" --argjson s "$ms" '{schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d,
      size: $s, annotations: {"org.opencontainers.image.ref.name": "latest"}}]}' \
    >"$layout/index.json"
image_bytes=$(jq '[.layers[].size] | add' <<<"$manifest")

# --- the registry: plain http on a random loopback port ----------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
cat >"$work/registry.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry}}
http:
  addr: $reg
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 </dev/null &
reg_pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 "http://$reg/v2/" && break
    kill -0 "$reg_pid" 2>/dev/null || die "docker-registry died: $(cat "$work/registry.log")"
    sleep 0.1
done
curl -s -o /dev/null --max-time 1 "http://$reg/v2/" || die "registry does not answer on $reg"
skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$layout:latest" \
    "docker://$reg/bench:latest" >/dev/null 2>"$work/err/push" ||
    die "push failed: $(cat "$work/err/push")"
ref=$reg/bench:latest
# probe: hull pulls it once and has all 6 layers unpacked (snapshots), else no bench
"$hull" --root "$work/probe/root" --runroot "$work/probe/run" pull -q --tls-verify=false "$ref" \
    >/dev/null 2>"$work/err/probe" || die "hull pull fails: $(cat "$work/err/probe")"
snaps=$(find "$work/probe/root/snapshots" -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$snaps" = 6 ] || die "hull pull left $snaps snapshots, expected 6"
rm -rf "$work/probe"

# --- one sample: fresh destination, sync, time the command, remove the destination ------
names=(hull skopeo podman hull-load)
command -v umoci >/dev/null && names+=(umoci) # unpack of the same layout, no network
declare -A failed
cmd_of() { # cmd_of NAME DEST -> sets cmd
    local name=$1 dest=$2
    case $name in
    hull) cmd=("$hull" --root "$dest/root" --runroot "$dest/run" pull -q --tls-verify=false "$ref") ;;
    skopeo) cmd=(skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$ref"
        "oci:$dest/dir:latest") ;;
    podman) cmd=(podman --root "$dest/root" --runroot "$dest/run" --tmpdir "$dest/tmp"
        --storage-driver vfs --cgroup-manager cgroupfs --events-backend file
        pull -q --tls-verify=false "$ref") ;;
    hull-load) cmd=("$hull" --root "$dest/root" --runroot "$dest/run" load -q -i "$layout") ;;
    umoci) cmd=(umoci --log error unpack --image "$layout:latest" "$dest/bundle") ;;
    esac
}
run_one() { # run_one NAME ROUND KEEP
    local name=$1 i=$2 keep=$3 dest=$work/d/$1-$2 t0 t1 rc kib
    local -a cmd
    mkdir -p "$dest/tmp"
    cmd_of "$name" "$dest"
    sync
    t0=$EPOCHREALTIME
    rc=0
    TMPDIR=$dest/tmp /usr/bin/time -f %M -o "$work/rss" timeout -k 5 "$CMD_TIMEOUT" "${cmd[@]}" \
        </dev/null >/dev/null 2>"$work/err/$name" || rc=$?
    t1=$EPOCHREALTIME
    kib=$(tail -n1 "$work/rss" 2>/dev/null || echo 0)
    rm -rf "$dest"
    [ "$rc" = 0 ] || return 1
    # microseconds; peak RSS in KiB (largest single process of the command's tree)
    [ "$keep" = 1 ] && echo "$(( ${t1/./} - ${t0/./} )) $kib" >>"$work/$name.samples"
    return 0
}
reason_of() { tr -s '\n' ' ' <"$work/err/$1" | sed 's/ *$//' | cut -c1-200; }

sample() { # sample NAME ROUND KEEP
    run_one "$1" "$2" "$3" || failed[$1]="round $2: $(reason_of "$1")"
}
active=("${names[@]}")
bench_rounds sample 0
[ -z "${failed[hull]:-}" ] || die "hull pull fails: ${failed[hull]}"

# --- report ---------------------------------------------------------------------------------
# stats NAME -> "median p10 p90 n rss_median rss_max" (ms, KiB)
stats() { bench_stats "$work/$1.samples" 1; }
version_of() {
    case $1 in
    hull | hull-load) "$hull" --version 2>/dev/null | head -n1 ;;
    skopeo) skopeo --version 2>/dev/null | head -n1 ;;
    podman) podman --version 2>/dev/null | head -n1 ;;
    umoci) umoci --version 2>/dev/null | head -n1 ;;
    esac
}
desc_of() {
    case $1 in
    hull) echo "pull: download+verify+unpack to snapshots" ;;
    skopeo) echo "copy to oci: layout: download+verify, no unpack" ;;
    podman) echo "pull, vfs: download+verify+unpack (vfs: full copy per layer)" ;;
    hull-load) echo "load local layout: store+unpack, no network" ;;
    umoci) echo "unpack local layout into one rootfs (+ mtree manifest), no network" ;;
    esac
}

commit=$(bench_commit "$repo")
echo "hull image benchmark: pull of a 5-layer image from a plain-http registry on 127.0.0.1"
echo "commit   $commit"
echo "date     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host     $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "image    busybox + 5 layers x $LAYER_MIB MiB random (gzip -1), $((image_bytes / 1048576)) MiB compressed, $md"
echo "rounds   $N measured + $WARMUP warm-up, interleaved round-robin, fresh destination and sync before each"
echo "timing   bash EPOCHREALTIME around /usr/bin/time -f %M (peak RSS: largest single process)"
echo
declare -A med rss
bench_rss_table 10 13 11 tool "what it includes" desc_of "${names[@]}"
echo
for name in "${names[@]}"; do
    [ "$name" = hull-load ] && continue
    echo "version  $name: $(version_of "$name")"
done
if [ -n "${med[umoci]:-}" ] && [ -n "${med[hull-load]:-}" ]; then
    echo "unpack:  hull-load/umoci $(bench_ratio "${med[hull-load]}" "${med[umoci]}")"
fi
echo
bench_ratio_lines hull "skopeo podman" "skopeo podman"
if [ -n "${med[skopeo]:-}" ]; then
    t=$(bench_ratio "${med[hull]}" "${med[skopeo]}")
    echo "project target: hull pull <= 0.70 x skopeo copy: $(bench_target "$t" "<=" 0.70) ($t)"
fi
