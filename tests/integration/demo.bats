#!/usr/bin/env bats
# `make demo` is one of the two README commands: its script must exit 0 when the
# container ran and its isolation checks passed, and leave nothing behind.

bats_require_minimum_version 1.5.0

REPO=${REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$REPO/build}

@test "demo: tests/demo.sh exits 0, shows runtime and engine isolation, leaves nothing" {
    before=$(ls -d /tmp/hull-demo.* 2>/dev/null | sort)
    run timeout 300 "$REPO/tests/demo.sh" "$BUILD_DIR" </dev/null
    echo "$output" | tail -20
    [ "$status" -eq 0 ]
    [[ "$output" == *"demo: OK (container exited 0)"* ]]
    [[ "$output" == *"pid 1 is sh"* ]]
    [[ "$output" == *"wrote /new-file (copy-on-write)"* ]]
    [ "$(ls -d /tmp/hull-demo.* 2>/dev/null | sort)" = "$before" ]
    ! grep -q hull-demo /proc/self/mountinfo
}
