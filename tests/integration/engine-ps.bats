#!/usr/bin/env bats
# `hull ps --filter/--format/-n` and `hull inspect -f` on real containers.

load engine-helpers

setup() {
    engine_setup
}
teardown() { engine_teardown; }

# web (running, labels app=web tier=front), db (exited 3, app=db),
# ok (exited 0), idle (created)
make_four() {
    hrun -d --name web --label app=web --label tier=front sleep 1000 >/dev/null
    hrun --name db --label app=db sh -c 'exit 3' >/dev/null || true
    hrun --name ok true >/dev/null
    h create --network none --rootfs "$HULL_ROOTFS" --name idle true >/dev/null
}

@test "engine-ps: --filter name/id/label/status/exited/abnormal/network/ancestor" {
    make_four
    run h ps -a --filter name=^we --format '{{.Names}}'
    assert_success
    assert_output_equals web
    id=$(h inspect -f '{{.Id}}' db)
    run h ps -a --filter "id=${id:0:10}" --format '{{.Names}}'
    assert_output_equals db
    run h ps -a --filter label=app --format '{{.Names}}'
    [ "$(echo "$output" | sort | tr '\n' ' ')" = "db web " ]
    run h ps -a --filter label=app=web --format '{{.Names}}'
    assert_output_equals web
    run h ps -a --filter label=tier=back --format '{{.Names}}'
    assert_output_equals ""
    # status/exited look at every state without -a
    run h ps --filter status=exited --format '{{.Names}}'
    [ "$(echo "$output" | sort | tr '\n' ' ')" = "db ok " ]
    run h ps --filter status=created --format '{{.Names}}'
    assert_output_equals idle
    run h ps --filter exited=3 --format '{{.Names}}'
    assert_output_equals db
    run h ps -a --filter abnormal=true --format '{{.Names}}'
    assert_output_equals db
    # one key twice: either value; two keys: both
    run h ps -a --filter name=db --filter name=ok --format '{{.Names}}'
    [ "$(echo "$output" | sort | tr '\n' ' ')" = "db ok " ]
    run h ps -a --filter name=db --filter status=running --format '{{.Names}}'
    assert_output_equals ""
    run h ps -a --filter network=none -q
    [ "$(echo "$output" | wc -l)" -eq 4 ]
    run h ps -a --filter ancestor="$HULL_ROOTFS" -q
    [ "$(echo "$output" | wc -l)" -eq 4 ]
    run h ps -a --filter ancestor=busybox -q
    assert_output_equals ""
    # without -a: running only
    run h ps --filter label=app --format '{{.Names}}'
    assert_output_equals web
}

@test "engine-ps: --filter publish/expose/volume" {
    mkdir -p "$TEST_TMP/bind"
    run h create --rootfs "$HULL_ROOTFS" --name pub --network bridge -p 38471:80 -p 38472:53/udp true
    assert_success
    run h create --network none --rootfs "$HULL_ROOTFS" --name vol -v data:/data -v "$TEST_TMP/bind:/mnt:ro" true
    assert_success
    run h ps -a --filter publish=38471 --format '{{.Names}} {{.Ports}}'
    assert_output_equals "pub 0.0.0.0:38471->80/tcp, 0.0.0.0:38472->53/udp"
    run h ps -a --filter publish=38472/udp -q
    [ "${#lines[@]}" -eq 1 ]
    run h ps -a --filter publish=38472/tcp -q
    assert_output_equals ""
    run h ps -a --filter expose=80 --format '{{.Names}}'
    assert_output_equals pub
    run h ps -a --filter volume=data --format '{{.Names}}'
    assert_output_equals vol
    run h ps -a --filter volume=/mnt --format '{{.Names}}'
    assert_output_equals vol
    run h ps -a --filter "volume=$TEST_TMP/bind" --format '{{.Names}}'
    assert_output_equals vol
    run h ps -a --filter volume=/dat --format '{{.Names}}'
    assert_output_equals ""
    run h ps -a --filter publish=99999
    assert_status 125
    assert_output_contains "expected PORT[/tcp|udp]"
}

@test "engine-ps: ancestor= matches the image by name, with or without its tag" {
    run h run --network none -d --name img busybox sleep 1000
    assert_success
    hrun -d --name plain sleep 1000 >/dev/null
    run h ps --filter ancestor=busybox --format '{{.Names}}'
    assert_output_equals img
    run h ps --filter ancestor=busybox:latest --format '{{.Names}}'
    assert_output_equals img
}

@test "engine-ps: ancestor= matches however the image was named: full name, other tag, ID, digest" {
    run h run -d --name short busybox sleep 1000
    assert_success
    run h run -d --name full docker.io/library/busybox:latest sleep 1000
    assert_success
    h tag busybox x/y:1
    run h run -d --name tagged x/y:1 sleep 1000
    assert_success
    hrun -d --name plain sleep 1000 >/dev/null
    id=$(h images --no-trunc --format '{{.ID}}' --filter reference=busybox)
    digest=$(h images --format '{{.Digest}}' --filter reference=busybox)
    for a in busybox busybox:latest docker.io/library/busybox docker.io/library/busybox:latest \
        library/busybox x/y:1 "$id" "${id:7:12}" "sha256:${id:7:12}" "$digest" "${digest:7:10}"; do
        run h ps --filter "ancestor=$a" --format '{{.Names}}'
        [ "$(echo "$output" | sort | tr '\n' ' ')" = "full short tagged " ] || {
            echo "ancestor=$a: $output" >&2
            false
        }
    done
    run h ps --filter ancestor=x/y --format '{{.Names}}'
    assert_output_equals ""
    run h ps --filter ancestor=nosuch:1 --format '{{.Names}}'
    assert_output_equals ""
    run h ps --filter ancestor="$HULL_ROOTFS" --format '{{.Names}}'
    assert_output_equals plain
}

@test "engine-ps: --format templates, table, json, -n and --no-trunc" {
    make_four
    run h ps -a --format '{{.Names}}|{{.Label "app"}}|{{.Labels}}|{{.State}}'
    assert_success
    assert_output_contains "web|web|app=web,tier=front|running"
    assert_output_contains "db|db|app=db|exited"
    run h ps --format 'table {{.ID}}\t{{.Names}}\t{{.Status}}'
    assert_success
    [[ "${lines[0]}" == "CONTAINER ID   NAMES     STATUS" ]]
    [[ "${lines[1]}" =~ ^[0-9a-f]{12}\ \ \ web\ \ \ \ \ \ \ Up\  ]]
    run h ps -a --filter name=db --format '{{.Status}}'
    [[ "$output" == "Exited (3) "*" ago" ]]
    # json: one object per line, docker's keys
    run h ps -a --format json
    assert_success
    [ "${#lines[@]}" -eq 4 ]
    [ "$(echo "$output" | jq -r 'select(.Names=="web") | .Labels')" = "app=web,tier=front" ]
    [ "$(echo "$output" | jq -r 'select(.Names=="web") | .ID | length')" -eq 12 ]
    [ "$(echo "$output" | jq -r 'select(.Names=="idle") | .Status')" = Created ]
    # -n/--last: the newest first; -l: the latest
    run h ps -n 2 --format '{{.Names}}'
    [ "$(echo "$output" | tr '\n' ' ')" = "idle ok " ]
    run h ps -l --format '{{.Names}}'
    assert_output_equals idle
    run h ps --no-trunc -q
    [ "${#output}" -eq 64 ]
    # the default table has docker's columns
    run h ps
    [[ "${lines[0]}" == "CONTAINER ID   IMAGE"*"COMMAND"*"CREATED"*"STATUS"*"PORTS"*"NAMES" ]]
    # COMMAND: the whole command line, cut at 20 characters as docker does
    run h ps -a --filter name=db --format '{{.Command}}'
    assert_output_equals '"sh -c exit 3"'
    hrun -d --name long sh -c 'while true; do sleep 1; done' >/dev/null
    run h ps --filter name=long --format '{{.Command}}'
    assert_output_equals '"sh -c while true; d…"'
    run h ps --no-trunc --filter name=long --format '{{.Command}}'
    assert_output_equals '"sh -c while true; do sleep 1; done"'
}

@test "engine-ps: inspect -f renders a template per container" {
    make_four
    run h inspect -f '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{index .Config.Labels "app"}}' web db
    assert_success
    assert_output_equals "web running 0 web
db exited 3 db"
    run h inspect --format '{{json .Config.Labels}}' web
    [ "$(echo "$output" | jq -r .tier)" = front ]
    run h inspect -f '{{.State.Status | upper}}' ok
    assert_output_equals EXITED
    run h inspect -f '{{.Nope}}' ok
    assert_output_equals "<no value>"
}

@test "engine-ps: bad filters and templates are clear errors" {
    run h ps --filter bogus=1
    assert_status 125
    assert_output_contains 'unknown filter "bogus"'
    run h ps --filter name
    assert_status 125
    assert_output_contains 'expected KEY=VALUE'
    run h ps --filter status=sleeping
    assert_status 125
    assert_output_contains 'status=sleeping: expected created'
    run h ps --filter exited=x
    assert_status 125
    run h ps --filter abnormal=maybe
    assert_status 125
    run h ps --filter 'name=(('
    assert_status 125
    assert_output_contains 'not a valid regular expression'
    run h ps --format '{{.Names'
    assert_status 125
    assert_output_contains 'unclosed action'
    run h ps --format '{{range .X}}{{end}}'
    assert_status 125
    assert_output_contains 'function "range" not defined'
    run h ps --format '{{"abc}}'
    assert_status 125
    run h ps -n x
    assert_status 125
    run h inspect -f '{{.State.Status' x
    assert_failure
    assert_output_contains 'unclosed action'
    run h ps -aq
    assert_output_equals ""
}

@test "engine-ps: -s shows the size of the writable layer" {
    run hrun -d --name sz sh -c 'head -c 12345 /dev/zero >/f; exec sleep 1000'
    assert_success
    poll 10 h exec sz test -s /f
    run h ps -s --format '{{.Names}} {{.Size}}'
    assert_output_equals "sz 12.3kB"
    run h ps -s
    [[ "${lines[0]}" == *"NAMES"*"SIZE" ]]
    [[ "${lines[1]}" == *"12.3kB" ]]
    # without -s the column stays empty
    run h ps --format '[{{.Size}}]'
    assert_output_equals "[]"
}

@test "engine-ps: a paused container is paused for status= and Status" {
    run hrun -d --name frozen sleep 1000
    assert_success
    run hrun -d --name thawed sleep 1000
    assert_success
    run h pause frozen
    assert_success
    run h ps --filter status=paused --format '{{.Names}} {{.State}} {{.Status}}'
    [[ "$output" == "frozen paused Up "*" (Paused)" ]]
    run h ps --filter status=running --format '{{.Names}}'
    assert_output_equals thawed
    # inspect has docker's shape: Status paused, Running and Paused true
    run h inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Paused}}' frozen
    assert_output_equals "paused true true"
    run h inspect -f '{{.State.Status}} {{.State.Paused}}' thawed
    assert_output_equals "running false"
    run h unpause frozen
    assert_success
    run h inspect -f '{{.State.Status}} {{.State.Paused}}' frozen
    assert_output_equals "running false"
    run h ps --filter status=paused -q
    assert_output_equals ""
    run h ps --filter status=running -q
    [ "${#lines[@]}" -eq 2 ]
}

@test "engine-ps: events --format json is docker's events.Message per line; templates see its fields" {
    run hrun --name ev sh -c 'exit 4'
    assert_status 4
    run h events --filter container=ev --format json
    assert_success
    [ "$(echo "$output" | jq -r '.Action' | tr '\n' ' ')" = "create start die " ]
    id=$(h inspect -f '{{.Id}}' ev)
    [ "$(echo "${lines[2]}" | jq -r '.Type, .status, .id, .Actor.ID, .Actor.Attributes.name, .Actor.Attributes.exitCode, .scope' | tr '\n' ' ')" = "container die $id $id ev 4 local " ]
    [ "$(echo "${lines[2]}" | jq -r '.timeNano / 1000000000 | floor') " = "$(echo "${lines[2]}" | jq -r .time) " ]
    run h events --filter container=ev --filter type=die \
        --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Status}} {{.ID}} {{.Scope}}'
    assert_output_equals "container die ev die $id local"
    run h events --format '{{.Nope'
    assert_status 125
    assert_output_contains 'unclosed action'
    # without --format: hull's own lines, as before
    run h events --filter container=ev --filter type=die
    [ "$(echo "$output" | jq -r '.type, .name' | tr '\n' ' ')" = "die ev " ]
}
