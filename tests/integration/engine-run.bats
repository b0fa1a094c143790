#!/usr/bin/env bats
# `hull run` options beyond the basics: --init (tini as pid 1), --ulimit
# (OCI process.rlimits) and --network container:NAME.

load engine-helpers

setup() { engine_setup; }
teardown() { engine_teardown; }

@test "engine-run: --init runs tini as pid 1 in front of the command" {
    run hrun --rm --init sh -c 'tr "\0" " " </proc/1/cmdline; echo; echo "me=$$"'
    assert_success
    assert_output_contains "/sbin/docker-init -- sh -c"
    # The command is not pid 1 any more: tini is.
    [[ "$output" != *"me=1"* ]]
    # The init binary is mounted read-only.
    run hrun --rm --init sh -c 'echo x > /sbin/docker-init'
    assert_failure
    assert_output_contains "Read-only file system"
}

count_zombies() {
    h exec "$1" sh -c 'z=0; for s in /proc/[0-9]*/stat; do
        read -r _ _ state _ <"$s" 2>/dev/null && [ "$state" = Z ] && z=$((z+1)); done; echo "zombies=$z"'
}

@test "engine-run: --init reaps orphaned zombies (and without it they stay)" {
    # The inner sh exits at once, orphaning its `sleep 0.2`; the orphan is
    # re-parented to pid 1. `sleep` as pid 1 never reaps it; tini does.
    run hrun -d --name noinit sh -c 'sh -c "sleep 0.2 & exit 0"; exec sleep 100'
    assert_success
    run hrun -d --init --name withinit sh -c 'sh -c "sleep 0.2 & exit 0"; exec sleep 100'
    assert_success
    sleep 1.5
    run count_zombies noinit
    assert_output_contains "zombies=1"
    run count_zombies withinit
    assert_output_contains "zombies=0"
}

@test "engine-run: --init forwards signals to the command" {
    run hrun -d --init --name fwd sh -c 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done'
    assert_success
    poll 10 sh -c "$(declare -f h); HULL=$HULL HROOT=$HROOT HULL_TIMEOUT=$HULL_TIMEOUT h logs fwd | grep -q ready"
    run h kill -s TERM fwd
    assert_success
    run h wait fwd
    assert_success
    assert_output_equals 3
    run h logs fwd
    assert_output_contains got-term
}

@test "engine-run: --ulimit sets soft and hard limits" {
    run hrun --rm --ulimit nofile=100:200 --ulimit core=0 --ulimit nproc=500 \
        sh -c 'echo "n=$(ulimit -n) N=$(ulimit -Hn) c=$(ulimit -c) p=$(ulimit -u)"'
    assert_success
    assert_output_contains "n=100 N=200 c=0 p=500"
}

@test "engine-run: bad --ulimit values are clear errors and leave nothing" {
    run hrun --rm --ulimit bogus=1 true
    assert_status 125
    assert_output_contains 'unknown limit "bogus"'
    run hrun --rm --ulimit nofile=abc true
    assert_status 125
    assert_output_contains 'expected numbers'
    run hrun --rm --ulimit nofile 100 true
    assert_status 125
    assert_output_contains 'expected NAME=SOFT[:HARD]'
    run hrun --rm --ulimit nofile=300:100 true
    assert_status 125
    assert_output_contains 'soft limit 300 exceeds hard limit 100'
    run hrun --rm --ulimit nofile=10:10 --ulimit nofile=20:20 true
    assert_status 125
    assert_output_contains 'given twice'
    # Above the host's hard limit: no CAP_SYS_RESOURCE to raise it.
    hard=$(ulimit -Hn)
    if [ "$hard" != unlimited ]; then
        run hrun --rm --ulimit nofile=100:$((hard + 1)) true
        assert_status 125
        assert_output_contains "above this host's hard limit $hard"
        assert_output_contains CAP_SYS_RESOURCE
    fi
    run h ps -aq
    assert_output_equals ""
    assert_no_container_dirs
}

@test "engine-run: --network container:A reaches A's server on 127.0.0.1 and shares its names" {
    run hrun -d --name srva sh -c 'echo hello-from-a >/tmp/index.html; exec httpd -f -p 127.0.0.1:8080 -h /tmp'
    assert_success
    a_id=$output
    # A's server listens on A's loopback only: a container of its own cannot see it.
    poll 10 h exec srva wget -qO- http://127.0.0.1:8080/index.html
    run hrun --rm sh -c 'wget -qO- http://127.0.0.1:8080/index.html'
    assert_failure
    assert_output_contains "refused"
    run hrun --rm --network container:srva sh -c 'wget -qO- http://127.0.0.1:8080/index.html; echo "host=$(hostname)"; readlink /proc/self/ns/net'
    assert_success
    assert_output_contains hello-from-a
    assert_output_contains "host=${a_id:0:12}"
    a_ns=$(readlink "/proc/$(h inspect -f '{{.State.Pid}}' srva)/ns/net")
    assert_output_contains "$a_ns"
    # create now, start later: the namespace is looked up again at start
    run h create --rootfs "$HULL_ROOTFS" --name late --network container:srva sh -c 'wget -qO- http://127.0.0.1:8080/index.html'
    assert_success
    run h start -a late
    assert_success
    assert_output_contains hello-from-a
    run h ps -a --filter name=late --format '{{.Networks}}'
    assert_output_equals "container:$a_id"
}

@test "engine-run: --network container: needs a running container and no -p/-h" {
    run hrun --rm --network container:nosuch true
    assert_status 125
    assert_output_contains "no such container: nosuch"
    run hrun --name stopped true
    assert_success
    run hrun --rm --network container:stopped true
    assert_status 125
    assert_output_contains "container stopped is not running"
    run hrun -d --name up sleep 1000
    assert_success
    run hrun --rm --network container:up -h other true
    assert_status 125
    assert_output_contains "conflicting options"
    run hrun --rm --network container:up -p 8080:80 true
    assert_status 125
    assert_output_contains "conflicting options"
    # a created container whose peer stopped cannot start
    run h create --rootfs "$HULL_ROOTFS" --name joiner --network container:up true
    assert_success
    run h rm -f up
    run h start joiner
    assert_status 125
    assert_output_contains "no such container"
    run h ps -a --format '{{.Names}}'
    [ "$(echo "$output" | sort | tr '\n' ' ')" = "joiner stopped " ]
}
