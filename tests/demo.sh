#!/bin/bash
# tests/demo.sh BUILD_DIR — run one container from the embedded busybox image and show,
# side by side with the host, what the container can see: its pid, hostname, processes,
# capabilities, seccomp, cgroup limits and root filesystem.
#
# `make demo` runs this after building. Needs root, no terminal (stdin may be closed).
# Exits non-zero if the container cannot be run or an isolation check fails.
set -euo pipefail

build=${1:?usage: tests/demo.sh BUILD_DIR}
runtime=$(cd "$build" && pwd)/hull-runtime
image=$build/busybox-rootfs
id=hull-demo-$$

[ -x "$runtime" ] || { echo "demo: $runtime missing; run ninja -C $build" >&2; exit 1; }
[ -x "$image/bin/busybox" ] || { echo "demo: $image missing; run ninja -C $build" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "demo: must run as root" >&2; exit 1; }
command -v jq >/dev/null || { echo "demo: jq missing (make deps)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/hull-demo.XXXXXX)
state=$tmp/state
bundle=$tmp/bundle
run_pid=
hull=$(cd "$build" && pwd)/hull

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    exec 3>&- 2>/dev/null || true # releases the container if it still waits on us
    if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
        "$runtime" --root "$state" kill "$id" KILL 2>/dev/null || true
        wait "$run_pid" 2>/dev/null || true
    fi
    "$runtime" --root "$state" delete --force "$id" >/dev/null 2>&1 || true
    [ -x "$hull" ] && "$hull" --root "$tmp/lib" --runroot "$tmp/run" rm -f hull-demo >/dev/null 2>&1 || true
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# If the container dies before reading its go-ahead line, writing it must not kill us.
trap '' PIPE

mkdir -p "$bundle/rootfs" "$state"
cp -a "$image/." "$bundle/rootfs/" # "/.": a symlinked image is copied, not linked

# What the container prints: /demo.sh, run as pid 1 of the container by busybox sh. The
# bundle's rootfs is our private copy, so the script is simply written into it. The last
# step waits for one line on stdin so the host can look at the live process.
cat >"$bundle/rootfs/demo.sh" <<'EOF'
caps='chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap
linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner
sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot sys_nice
sys_resource sys_time sys_tty_config mknod lease audit_write audit_control setfcap
mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon bpf
checkpoint_restore'
fail=0
section() { echo; echo "--- $1"; }

section 'pid of this shell (echo $$)'
echo "$$"
[ "$$" = 1 ] || { echo "UNEXPECTED: not pid 1"; fail=1; }

section 'hostname'
hostname

section 'ps: every process this container can see'
ps

section 'capabilities (/proc/self/status)'
while read -r name hex; do
    case $name in Cap*:) ;; *) continue ;; esac
    v=$((0x$hex)) n=0 names='' i=0
    for c in $caps; do
        if [ $(((v >> i) & 1)) = 1 ]; then n=$((n + 1)); names="$names $c"; fi
        i=$((i + 1))
    done
    printf '%-8s %s  %2d bits set:%s\n' "$name" "$hex" "$n" "${names:- (none)}"
done </proc/self/status

section 'seccomp and no_new_privs (/proc/self/status; Seccomp 2 = filter mode)'
grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs):' /proc/self/status

section 'cgroup limits, read from inside (/sys/fs/cgroup is the container'"'"'s own cgroups)'
echo "/proc/self/cgroup:"; sed 's/^/  /' /proc/self/cgroup
mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
pids=$(cat /sys/fs/cgroup/pids/pids.max)
echo "memory.limit_in_bytes = $mem ($((mem / 1048576)) MiB)"
echo "pids.max              = $pids"
[ "$mem" = 67108864 ] || { echo "UNEXPECTED: memory limit is not 64 MiB"; fail=1; }
[ "$pids" = 64 ] || { echo "UNEXPECTED: pids limit is not 64"; fail=1; }

section 'root of the mount namespace (ls -la /)'
ls -la /

section 'unshare -U true must be refused (unshare(2) is not in the seccomp allow list: EPERM)'
if out=$(unshare -U true 2>&1); then
    echo "UNEXPECTED: unshare -U succeeded"; fail=1
else
    echo "refused: $out"
fi

echo
echo "--- waiting for the host to inspect this process"
read -r _ || true
exit $fail
EOF

(cd "$bundle" && "$runtime" spec)
jq '
    .process.terminal = false
  | .process.args = ["/bin/sh", "/demo.sh"]
  | .hostname = "hull-demo"
  | .linux.resources.memory = {"limit": 67108864}
  | .linux.resources.pids = {"limit": 64}
' "$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

echo "== hull demo: $("$runtime" --version 2>/dev/null | head -n1)"
echo "   bundle $bundle, container id $id"
echo "   hull-runtime run: memory 64 MiB, pids 64, hostname hull-demo"

mkfifo "$tmp/go"
"$runtime" --root "$state" run --bundle "$bundle" "$id" <"$tmp/go" >"$tmp/out" 2>&1 &
run_pid=$!
exec 3>"$tmp/go" # pairs with the container's stdin; a line on it lets the container exit

# Wait until the container has printed everything and sits in `read`.
for _ in $(seq 200); do
    grep -q '^--- waiting for the host' "$tmp/out" && break
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.05
done

host_pid=
host_status=()
host_cgroup=()
if grep -q '^--- waiting for the host' "$tmp/out"; then
    host_pid=$("$runtime" --root "$state" state "$id" | jq -r '.pid // empty') || host_pid=
    mapfile -t host_status < <(grep -E '^(NSpid|Seccomp|NoNewPrivs|CapEff):' \
        "/proc/$host_pid/status" 2>/dev/null)
    mapfile -t host_cgroup <"/proc/$host_pid/cgroup" 2>/dev/null || true
fi
echo go >&3 2>/dev/null || true
exec 3>&-
set +e
wait "$run_pid"
rc=$?
set -e
run_pid=

echo
echo "=================== inside the container ==================="
sed '/^--- waiting for the host/d' "$tmp/out"
echo
echo "=================== the same, seen from the host ==================="
if [ -n "$host_pid" ]; then
    echo "host pid of the container's pid 1: $host_pid"
    printf '  %s\n' "${host_status[@]}"
    echo "  (NSpid lists the pid in each pid namespace: host, then container)"
    echo "cgroups of that process on the host:"
    printf '  %s\n' "${host_cgroup[@]}"
else
    echo "the container never reached its final step; no host view"
fi
echo "host hostname:     $(hostname)"
echo "host pid of this script: $$"
echo "processes on the host:   $(ps -e --no-headers | wc -l)"
echo "host CapEff:       $(awk '/^CapEff:/ {print $2}' /proc/self/status)"
echo "host root listing: $(cd / && echo *)"
echo
if [ "$rc" -ne 0 ]; then
    echo "demo: FAILED (hull-runtime run exited $rc)" >&2
    exit "$rc"
fi

# The same image through the engine: the image store (busybox:latest, loaded on
# first use), an overlay rootfs with a copy-on-write upper layer, the monitor.
echo
echo "=================== the engine: hull run --rm busybox ==================="
h() { "$hull" --root "$tmp/lib" --runroot "$tmp/run" "$@"; }
h run --rm --name hull-demo --network none --memory 64m busybox sh -c '
    echo "hostname $(hostname), pid 1 is $(cat /proc/1/comm), $(ps | wc -l) lines of ps"
    echo "root: $(grep " / " /proc/mounts | cut -d" " -f1-3)"
    echo "network: $(ls /sys/class/net | tr "\n" " ")"
    echo "hello from the upper layer" >/new-file && echo "wrote /new-file (copy-on-write)"'
h images
echo "events of that run:"
h events --format '  {{.Status}} {{.Actor.Attributes.name}}' ||
    h events
echo
echo "demo: OK (container exited 0)"
