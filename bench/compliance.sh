#!/usr/bin/env bash
# bench/compliance.sh BUILD_DIR [ROUNDS]: wall time of a full `hull bench` run on
# this host against Lynis (`lynis audit system --quick`) measured in the same run.
# Prints the median of each and the ratio; never passes or fails. Lynis comes
# from the Debian package (apt-get install lynis); without it only hull is timed.
set -u
build=${1:-build}
rounds=${2:-5}
hull=$build/hull
[ -x "$hull" ] || { echo "no $hull (build first)" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/bench/lib.sh"
checks=$repo/checks

# median_ms CMD...: median wall time in milliseconds over $rounds runs
median_ms() {
    local i s e times
    times=$(mktemp /tmp/hull-bench-compliance.XXXXXX)
    for ((i = 0; i < rounds; i++)); do
        s=$(date +%s%N)
        "$@" >/dev/null 2>&1
        e=$(date +%s%N)
        echo $(((e - s) / 1000000)) >>"$times"
    done
    bench_stats "$times" 0 1 | cut -d' ' -f1
    rm -f "$times"
}

"$hull" bench --checks-dir "$checks" >/dev/null 2>&1 # warm the page cache for both
h=$(median_ms "$hull" bench --checks-dir "$checks")
n=$("$hull" bench list --checks-dir "$checks" | wc -l)
printf '%-28s %8s ms  (%d checks)\n' "hull bench" "$h" "$n"
if command -v lynis >/dev/null; then
    l=$(median_ms lynis audit system --quick --no-colors --no-log)
    printf '%-28s %8s ms\n' "lynis audit system --quick" "$l"
    awk -v h="$h" -v l="$l" 'BEGIN { if (l > 0) printf "ratio hull/lynis: %.3f\n", h / l }'
else
    echo "lynis not installed (apt-get install lynis): no comparison"
fi
