#!/usr/bin/env bats
# hull's CNI networking: user networks with name resolution, published ports,
# and teardown that leaves no veth, NAT chain, IPAM lease or bridge behind.

load helpers

HULL=${HULL:-$BUILD_DIR/hull}

setup() {
    common_setup
    command -v iptables-save >/dev/null || skip "iptables is not installed"
    [ -x /usr/lib/cni/bridge ] || skip "containernetworking-plugins are not installed"
    HROOT=$RUN_TMP/engine
    mkdir -p "$HROOT"
    NET="t$$n${BATS_TEST_NUMBER}"
    # A /24 unlikely to collide with anything else on this host.
    SUBNET="10.$((100 + BATS_TEST_NUMBER)).$(($$ % 250)).0/24"
}

teardown() {
    if [ -n "${HROOT:-}" ]; then
        for id in $(h ps -aq 2>/dev/null); do h rm -f "$id" >/dev/null 2>&1 || true; done
        h network rm "$NET" >/dev/null 2>&1 || true
        # The default network's device (hull-bridge, kept by design like
        # docker0) goes only if this test made it.
        [ "${BRIDGE_WAS_THERE:-1}" = 1 ] || h network rm bridge >/dev/null 2>&1 || true
        findmnt -rn -o TARGET | grep -F -- "$HROOT" | sort -r | while read -r m; do
            umount -l "$m" 2>/dev/null || true
        done
    fi
    common_teardown
}

h() {
    timeout --kill-after=10 "$HULL_TIMEOUT" "$HULL" --root "$HROOT/lib" --runroot "$HROOT/run" "$@"
}

# --network none unless a test names one (the default is the bridge).
hrun() { h run --rootfs "$HULL_ROOTFS" --network none "$@"; }

# Rules and leases that mention any container of this test's root.
leftovers() {
    local ids
    ids=$(sqlite3 "$HROOT/lib/hull.db" "select id from containers" 2>/dev/null)
    iptables-save | grep -F "name: \"$NET\"" || true
    ls "$HROOT/lib/cni/ipam/$NET" 2>/dev/null | grep -v -e lock -e last_reserved || true
}

@test "network: two containers talk over a user network by name" {
    run h network create "$NET" --subnet "$SUBNET"
    assert_success
    run hrun -d --name "srv$$" --network "$NET" sh -c 'echo pong > /tmp/ping; httpd -f -p 8080 -h /tmp'
    assert_success
    run hrun --rm --network "$NET" sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://srv$$:8080/ping && exit 0; sleep 0.2; done; exit 1"
    assert_success
    assert_output_equals pong
    run h exec "srv$$" sh -c 'ip -4 addr show eth0'
    assert_output_contains "inet 10.$((100 + BATS_TEST_NUMBER))."
}

@test "network: a published port answers on 127.0.0.1" {
    port=$((20000 + ($$ % 20000)))
    run h network create "$NET" --subnet "$SUBNET"
    run hrun -d --name "web$$" --network "$NET" -p "$port:8080" sh -c 'echo published > /tmp/i; httpd -f -p 8080 -h /tmp'
    assert_success
    poll 10 sh -c "wget -q -O - http://127.0.0.1:$port/i | grep -q published"
    # The same host port cannot be published twice.
    run hrun -d --network "$NET" -p "$port:80" true
    assert_status 125
    assert_output_contains "already published"
    run h ps -aq
    [ "$(echo "$output" | wc -l)" -eq 1 ]
}

@test "network: teardown leaves no veth, NAT rule, lease or bridge behind" {
    run h network create "$NET" --subnet "$SUBNET"
    assert_success
    links_before=$(ip -o link | grep -c veth || true)
    run hrun -d --name "a$$" --network "$NET" sleep 1000
    assert_success
    [ -n "$(leftovers)" ]
    run hrun --rm --network "$NET" true
    assert_success
    run h rm -f "a$$"
    assert_success
    [ -z "$(leftovers)" ]
    [ "$(ip -o link | grep -c veth || true)" -eq "$links_before" ]
    run h network rm "$NET"
    assert_success
    ! ip link show "hull-$NET" 2>/dev/null
}

@test "network: without --network a container is on the default bridge, with outbound NAT" {
    BRIDGE_WAS_THERE=0
    ! ip link show hull-bridge >/dev/null 2>&1 || BRIDGE_WAS_THERE=1
    run h run -d --name "dflt$$" --rootfs "$HULL_ROOTFS" sleep 1000
    assert_success
    id=$output
    run h exec "dflt$$" sh -c 'ip -4 route; ip -4 addr show eth0'
    assert_success
    assert_output_contains "default via 10.89.0.1"
    assert_output_contains "inet 10.89."
    [ "$(h inspect -f '{{.HostConfig.NetworkMode}}' "dflt$$")" = bridge ]
    # outbound NAT for its address, in the rules the plugin made for it
    ip=$(sqlite3 "$HROOT/lib/hull.db" "select ip from containers where name='dflt$$'")
    [ -n "$ip" ]
    iptables-save -t nat | grep -F -- "-s ${ip%/*}/32" | grep -qF -- "$id"
    run h rm -f "dflt$$"
    assert_success
    ! iptables-save | grep -F -- "$id"
    [ -z "$(ls "$HROOT/lib/cni/ipam/bridge" 2>/dev/null | grep -v -e lock -e last_reserved)" ]
}

@test "network: bad network input is refused" {
    run hrun --network nosuchnet true
    assert_status 125
    assert_output_contains "no such network: nosuchnet"
    run h network create "BAD/name"
    assert_status 125
    run h network create "$NET" --subnet 300.1.1.0/24
    assert_status 125
    assert_output_contains "--subnet"
    run hrun -p 80 --network bridge true
    assert_status 125
    assert_output_contains '-p "80"'
    run hrun -p 8080:80 true
    assert_status 125
    assert_output_contains "needs a bridge network"
    run h ps -aq
    assert_output_equals ""
}
