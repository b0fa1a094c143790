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
    # the flock that held host-local's lock (kill -9 mid-connect test)
    [ -z "${LOCKER:-}" ] || kill "$LOCKER" 2>/dev/null || true
    if [ -n "${OUTSIDE:-}" ]; then
        # the httpd this test started there (by pid)
        for p in $(ip netns pids "$OUTSIDE" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
        ip netns delete "$OUTSIDE" 2>/dev/null || true
        ip link delete "$OUTSIDE" 2>/dev/null || true
    fi
    if [ -n "${HROOT:-}" ]; then
        for id in $(h ps -aq 2>/dev/null); do h rm -f "$id" >/dev/null 2>&1 || true; done
        h network rm "$NET" >/dev/null 2>&1 || true
        [ -z "${NET2:-}" ] || h network rm "$NET2" >/dev/null 2>&1 || true
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

# iptables rules the CNI plugins made for this test's network (their comments
# read: name: \"NET\" id: \"ID\").
cni_rules() { iptables-save | grep -F "name: \\\"$NET\\\"" || true; }

# Rules and leases that mention any container of this test's root.
# A container's veths go with its network namespace, which the kernel destroys
# asynchronously, a few ms after its last user: hull drops its pin before DEL
# (hull_network_release), so the count may lag the command that removed it.
veths_back_to() {
    poll 5 sh -c "[ \"\$(ip -o link | grep -c veth)\" -eq $1 ]" || {
        echo "veths: $(ip -o link | grep -c veth), expected $1" >&2
        return 1
    }
}

leftovers() {
    local ids
    ids=$(sqlite3 "$HROOT/lib/hull.db" "select id from containers" 2>/dev/null)
    cni_rules
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

@test "network: a container in another's namespace (container:A) loses A's interface when A exits; nothing is left" {
    run h network create "$NET" --subnet "$SUBNET"
    assert_success
    links_before=$(ip -o link | grep -c veth || true)
    run hrun -d --name "a$$" --network "$NET" sleep 1000
    assert_success
    run hrun -d --name "j$$" --network "container:a$$" sleep 1000
    assert_success
    run h exec "j$$" sh -c 'ip -o link | grep -c "eth0"'
    assert_output_equals 1
    # A's exit: its namespace lives on in j, so DEL deletes A's interface
    # there before the address goes back to the pool
    run h stop -t 0 "a$$"
    assert_success
    run h exec "j$$" sh -c 'ip -o link | grep -c "eth0" || true'
    assert_output_equals 0
    [ -z "$(leases "$NET")" ]
    run h rm -f "j$$" "a$$"
    assert_success
    veths_back_to "$links_before"
    run h network rm "$NET"
    assert_success
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
    veths_back_to "$links_before"
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
    # outbound NAT for the network's subnet, in hull's own table (per network)
    nft list chain ip hull post-hull-bridge | grep -F "ip saddr 10.89.0.0/16" | grep -q masquerade
    # and no per-container rule
    ! iptables-save | grep -F -- "$id"
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

@test "network: long names that share a prefix get bridges of their own" {
    NET="t$$n${BATS_TEST_NUMBER}-backend-one"
    NET2="t$$n${BATS_TEST_NUMBER}-backend-two"
    SUBNET2="10.$((160 + BATS_TEST_NUMBER)).$(($$ % 250)).0/24"
    run h network create "$NET" --subnet "$SUBNET"
    assert_success
    run h network create "$NET2" --subnet "$SUBNET2"
    assert_success
    br1=$(h network inspect "$NET" | jq -r '.plugins[0].bridge')
    br2=$(h network inspect "$NET2" | jq -r '.plugins[0].bridge')
    [ "$br1" != "$br2" ]
    [ "${#br1}" -le 15 ] && [ "${#br2}" -le 15 ]
    run hrun -d --name "a$$" --network "$NET" sleep 1000
    assert_success
    run hrun -d --name "b$$" --network "$NET2" sleep 1000
    assert_success
    case $(h exec "a$$" ip -4 -o addr show eth0) in *"inet ${SUBNET%.0/24}."*) ;; *) false ;; esac
    case $(h exec "b$$" ip -4 -o addr show eth0) in *"inet ${SUBNET2%.0/24}."*) ;; *) false ;; esac
    run h rm -f "a$$" "b$$"
    assert_success
    run h network rm "$NET" "$NET2"
    assert_success
    ! ip link show "$br1" 2>/dev/null
    ! ip link show "$br2" 2>/dev/null
}

# The chains of this test's network in hull's nftables table.
net_rules() { nft list table ip hull 2>/dev/null | grep -A4 -F -- "-hull-$NET {" || true; }

@test "network: per-network nft rules live as long as the network" {
    run h network create "$NET" --subnet "$SUBNET"
    assert_success
    run net_rules
    assert_output_contains "ip saddr $SUBNET oifname != \"hull-$NET\""
    assert_output_contains "masquerade"
    assert_output_contains "iifname \"hull-$NET\" accept"
    run hrun --rm --network "$NET" true
    assert_success
    # one set of rules however many containers ran
    [ "$(nft list table ip hull | grep -cF "ip saddr $SUBNET")" -eq 1 ]
    run h network rm "$NET"
    assert_success
    [ -z "$(net_rules)" ]
}

# A namespace "outside" the host, reachable only through the host (a /30 on a
# veth): a container's connection to it works only if the host masquerades.
outside_setup() {
    OUTSIDE="ho$$n${BATS_TEST_NUMBER}"
    local n=$((BATS_TEST_NUMBER % 60 * 4))
    OUT_HOST=192.168.$((200 + $$ % 50)).$((n + 1))
    OUT_PEER=192.168.$((200 + $$ % 50)).$((n + 2))
    ip netns add "$OUTSIDE"
    ip link add "$OUTSIDE" type veth peer name eth0 netns "$OUTSIDE"
    ip addr add "$OUT_HOST/30" dev "$OUTSIDE"
    ip link set "$OUTSIDE" up
    ip -n "$OUTSIDE" addr add "$OUT_PEER/30" dev eth0
    ip -n "$OUTSIDE" link set eth0 up
    ip -n "$OUTSIDE" link set lo up
    mkdir -p "$RUN_TMP/www/cgi-bin"
    printf '#!/bin/sh\necho Content-Type: text/plain\necho\necho "from $REMOTE_ADDR"\n' >"$RUN_TMP/www/cgi-bin/who"
    chmod +x "$RUN_TMP/www/cgi-bin/who"
    ip netns exec "$OUTSIDE" busybox httpd -p 8080 -h "$RUN_TMP/www"
    poll 10 ip netns exec "$OUTSIDE" sh -c "busybox wget -q -O - http://$OUT_PEER:8080/cgi-bin/who >/dev/null"
}

outbound() {
    hrun --rm --network "$NET" sh -c "for i in 1 2 3 4 5; do wget -q -O - http://$OUT_PEER:8080/cgi-bin/who && exit 0; sleep 0.2; done; exit 1"
}

@test "network: outbound NAT works and a deleted hull table is restored by the next run" {
    command -v busybox >/dev/null || skip "busybox is not installed on the host"
    outside_setup
    run h network create "$NET" --subnet "$SUBNET"
    assert_success
    run outbound
    assert_success
    assert_output_contains "$OUT_HOST]"
    nft delete table ip hull
    # without the masquerade rule the outside cannot answer the container
    run outbound
    assert_success
    assert_output_contains "$OUT_HOST]"
    run net_rules
    assert_output_contains "masquerade"
}

@test "network: a published port gets portmap rules, gone after rm; none without -p" {
    command -v busybox >/dev/null || skip "busybox is not installed on the host"
    outside_setup
    port=$((20000 + ($$ % 20000) + 1))
    run h network create "$NET" --subnet "$SUBNET"
    assert_success
    run hrun -d --name "np$$" --network "$NET" sleep 1000
    assert_success
    [ -z "$(cni_rules)" ]
    run hrun -d --name "wp$$" --network "$NET" -p "$port:8080" sh -c 'echo hi > /tmp/i; httpd -f -p 8080 -h /tmp'
    assert_success
    cni_rules | grep -F -- "--dports $port" | grep -q "dnat name"
    poll 10 sh -c "wget -q -O - http://127.0.0.1:$port/i | grep -q hi"
    # reachable from outside the host too (DNAT, then forwarded to the bridge)
    run ip netns exec "$OUTSIDE" timeout 10 busybox wget -q -O - "http://$OUT_HOST:$port/i"
    assert_success
    assert_output_equals hi
    run h rm -f "wp$$"
    assert_success
    [ -z "$(cni_rules)" ]
    run h rm -f "np$$"
    assert_success
}

@test "network disconnect: published ports go with the first network; the host port is free again" {
    net2_setup
    port=$((20000 + ($$ % 20000) + 2))
    run hrun -d --name "wp$$" --network "$NET" -p "$port:8080" sh -c 'echo hi > /tmp/i; httpd -f -p 8080 -h /tmp'
    assert_success
    cni_rules | grep -F -- "--dports $port" | grep -q "dnat name"
    poll 10 sh -c "wget -q -O - http://127.0.0.1:$port/i | grep -q hi"
    run h network connect "$NET2" "wp$$"
    assert_success
    run h network disconnect "$NET" "wp$$"
    assert_success
    # no DNAT rule, no lease, no mapping shown; nothing answers there
    [ -z "$(cni_rules)" ]
    [ -z "$(leases "$NET")" ]
    run h port "wp$$"
    assert_output_equals ""
    [ "$(h inspect "wp$$" | jq -c '.[0].Ports')" = "[]" ]
    ! timeout 5 wget -q -T 2 -O - "http://127.0.0.1:$port/i"
    # the connected network stays, without the ports (they were eth0's)
    [ -z "$(iptables-save | grep -F "name: \"$NET2\"")" ]
    [ -n "$(addr_of "wp$$" eth1)" ]
    # another container may publish the port now, and a restart brings no rule back
    run hrun -d --name "wq$$" --network "$NET" -p "$port:8080" sh -c 'echo again > /tmp/i; httpd -f -p 8080 -h /tmp'
    assert_success
    poll 10 sh -c "wget -q -O - http://127.0.0.1:$port/i | grep -q again"
    run h restart -t 1 "wp$$"
    assert_success
    ! iptables-save | grep -F -- "$(h inspect -f '{{.Id}}' "wp$$")"
    poll 10 sh -c "wget -q -O - http://127.0.0.1:$port/i | grep -q again"
    run h rm -f "wp$$" "wq$$"
    assert_success
    [ -z "$(all_leftovers)" ]
}

# Where the host's iptables FORWARD policy is drop (dockerd sets that), an
# accept in hull's table is not enough: the firewall plugin comes back per
# container. In a network namespace of the test's own, not to touch the host's.
in_private_net() {
    set -e
    ip link set lo up
    iptables -P FORWARD DROP
    outside_setup
    echo "$OUTSIDE" >"$RUN_TMP/outside"
    h network create "$NET" --subnet "$SUBNET" >/dev/null
    id=$(hrun -d --network "$NET" sleep 1000)
    jq -c '[.conf.plugins[].type]' "$HROOT/lib/cni/results/$id.json"
    ip=$(sqlite3 "$HROOT/lib/hull.db" "select ip from containers where id='$id'")
    ip=${ip%/*}
    [ -n "$ip" ]
    iptables-save -t filter | grep -F -- "$ip/32" | grep -q ACCEPT
    outbound
    h rm -f "$id" >/dev/null
    ! iptables-save -t filter | grep -F -- "$ip/32"
    h network rm "$NET" >/dev/null
}

@test "network: with FORWARD policy drop the firewall plugin lets traffic through" {
    command -v busybox >/dev/null || skip "busybox is not installed on the host"
    command -v unshare >/dev/null || skip "unshare is not installed"
    export -f h hrun outside_setup outbound in_private_net poll
    export HROOT HULL HULL_ROOTFS HULL_TIMEOUT NET SUBNET RUN_TMP BATS_TEST_NUMBER
    run unshare --net bash -c in_private_net
    OUTSIDE=$(cat "$RUN_TMP/outside" 2>/dev/null || true)
    assert_success
    assert_output_contains '["bridge","firewall"]'
    assert_output_contains "from [::ffff:"
}

# A second network for connect/disconnect, and its leases.
net2_setup() {
    NET2="t$$m${BATS_TEST_NUMBER}"
    SUBNET2="10.$((160 + BATS_TEST_NUMBER)).$(($$ % 250)).0/24"
    h network create "$NET" --subnet "$SUBNET" >/dev/null
    h network create "$NET2" --subnet "$SUBNET2" >/dev/null
}
leases() { ls "$HROOT/lib/cni/ipam/$1" 2>/dev/null | grep -v -e lock -e last_reserved || true; }
# what an attachment of a connected network leaves behind: leases on NET2,
# cached results, addresses (the connection itself stays recorded until
# disconnect or rm: connections())
connected_leftovers() {
    leases "$NET2"
    find "$HROOT/lib/cni/results" -mindepth 1 -type d 2>/dev/null
    sqlite3 "$HROOT/lib/hull.db" "select * from container_networks where ip is not null" 2>/dev/null
}
connections() { sqlite3 "$HROOT/lib/hull.db" "select network from container_networks" 2>/dev/null; }
# every trace of a container's networks on the host: leases of both
# networks, cached results, pinned namespaces, veths of this root's bridges
all_leftovers() {
    connected_leftovers
    leases "$NET"
    find "$HROOT/lib/cni/results" -mindepth 1 2>/dev/null
    findmnt -rn -o TARGET | grep -F -- "$HROOT/run/containers" | grep netns || true
    ip -o link show master "hull-$NET" 2>/dev/null
    ip -o link show master "hull-$NET2" 2>/dev/null
    cni_rules
}

@test "network connect: a running container joins a second network as eth1, by name and IP" {
    net2_setup
    run hrun -d --name "a$$" --network "$NET" sh -c 'echo pong > /tmp/ping; httpd -f -p 8080 -h /tmp'
    assert_success
    run hrun -d --name "b$$" --network "$NET2" sleep 1000
    assert_success
    run h network connect "$NET2" "a$$"
    assert_success
    run h exec "a$$" ip -4 addr show eth1
    assert_success
    assert_output_contains "inet 10.$((160 + BATS_TEST_NUMBER))."
    # the default route stays with the first network
    run h exec "a$$" ip -4 route
    assert_output_contains "default via 10.$((100 + BATS_TEST_NUMBER)).$(($$ % 250)).1 dev eth0"
    ! echo "$output" | grep -q "default.*eth1"
    ip1=$(h inspect "a$$" | jq -r --arg n "$NET2" '.[0].NetworkSettings.Networks[$n].IPAddress')
    [ "$(h inspect "a$$" | jq -r '.[0].NetworkSettings.Networks | keys | length')" = 2 ]
    [ "$(h inspect "a$$" | jq -r --arg n "$NET2" '.[0].NetworkSettings.Networks[$n].IfName')" = eth1 ]
    case $ip1 in 10.$((160 + BATS_TEST_NUMBER)).*) ;; *) false ;; esac
    # b, on NET2 only, reaches a by name and by its eth1 address
    run h exec "b$$" sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://a$$:8080/ping && exit 0; sleep 0.2; done; exit 1"
    assert_success
    assert_output_equals pong
    run h exec "b$$" wget -q -O - "http://$ip1:8080/ping"
    assert_output_equals pong
    # and a sees b
    run h exec "a$$" cat /etc/hosts
    assert_output_contains "b$$"
    # ps --filter network= matches the connected network too
    run h ps --filter "network=$NET2" --format '{{.Names}}'
    assert_output_contains "a$$"
    assert_output_contains "b$$"
    run h ps --filter "network=$NET" --format '{{.Names}}'
    assert_output_equals "a$$"
    [ -n "$(leases "$NET2" | grep -Fx "$ip1")" ]
    # a rename reaches the members of every network it is on
    run h rename "b$$" "bb$$"
    assert_success
    run h exec "a$$" cat /etc/hosts
    assert_output_contains "bb$$"
    run h rename "bb$$" "b$$"
    assert_success
    run h rename "a$$" "aa$$"
    assert_success
    run h exec "b$$" cat /etc/hosts
    assert_output_contains "aa$$"
    run h rename "aa$$" "a$$"
    assert_success

    run h network disconnect "$NET2" "a$$"
    assert_success
    run h exec "a$$" ip link show eth1
    assert_failure
    [ -z "$(leases "$NET2" | grep -Fx "$ip1")" ]
    run h exec "b$$" cat /etc/hosts
    assert_success
    ! echo "$output" | grep -q "a$$"
    run h exec "a$$" cat /etc/hosts
    ! echo "$output" | grep -q "b$$"
    [ "$(h inspect "a$$" | jq -r '.[0].NetworkSettings.Networks | keys | length')" = 1 ]
    # still on its first network; and it can be connected again
    run h exec "a$$" ip -4 addr show eth0
    assert_output_contains "inet 10.$((100 + BATS_TEST_NUMBER))."
    run h network connect --ip "10.$((160 + BATS_TEST_NUMBER)).$(($$ % 250)).77" "$NET2" "a$$"
    assert_success
    run h exec "a$$" ip -4 addr show eth1
    assert_output_contains "inet 10.$((160 + BATS_TEST_NUMBER)).$(($$ % 250)).77/"
}

@test "network connect: rm -f, exit and a killed monitor release every attached network" {
    net2_setup
    links_before=$(ip -o link | grep -c veth || true)
    run hrun -d --name "two$$" --network "$NET" sleep 1000
    assert_success
    run h network connect "$NET2" "two$$"
    assert_success
    # a container that lost its first network before it started runs with lo
    # alone; a connect pins its namespace then
    run h create --rootfs "$HULL_ROOTFS" --name "none$$" --network "$NET" sleep 1000
    assert_success
    run h network disconnect "$NET" "none$$"
    assert_success
    run h start "none$$"
    assert_success
    ! findmnt -rn -o TARGET | grep -F -- "$HROOT/run/containers" | grep -q "$(h inspect -f '{{.Id}}' "none$$")/netns"
    run h network connect "$NET2" "none$$"
    assert_success
    run h exec "none$$" ip -4 addr show eth1
    assert_output_contains "inet 10.$((160 + BATS_TEST_NUMBER))."
    [ "$(leases "$NET2" | wc -l)" -eq 2 ]
    run h rm -f "two$$"
    assert_success
    [ -z "$(leases "$NET")" ]
    [ "$(leases "$NET2" | wc -l)" -eq 1 ]
    # the container's own exit (monitor teardown) releases it too
    run h stop -t 1 "none$$"
    poll 10 sh -c "[ -z \"\$(ls $HROOT/lib/cni/ipam/$NET2 | grep -v -e lock -e last_reserved)\" ]"
    [ -z "$(connected_leftovers)" ]
    ! findmnt -rn -o TARGET | grep -F -- "$HROOT/run/containers" | grep -q netns
    run h rm -f "none$$"
    # kill -9 of the monitor and the init: the next command's repair releases
    run hrun -d --name "k$$" --network "$NET" sleep 1000
    assert_success
    run h network connect "$NET2" "k$$"
    assert_success
    mon=$(sqlite3 "$HROOT/lib/hull.db" "select monitor_pid from containers where name='k$$'")
    init=$(h inspect "k$$" | jq -r '.[0].State.Pid')
    kill -9 "$mon"
    kill -9 "$init"
    poll 5 sh -c "! kill -0 $init 2>/dev/null"
    run h ps -a
    assert_success
    [ -z "$(connected_leftovers)" ]
    [ -z "$(leases "$NET")" ]
    run h rm -f "k$$"
    assert_success
    veths_back_to "$links_before"
    [ -z "$(cni_rules)" ]
    # the networks have no members left
    run h network rm "$NET2"
    assert_success
}

@test "network connect: bad input is refused and leaves nothing behind" {
    net2_setup
    run hrun -d --name "c$$" --network "$NET" sleep 1000
    assert_success
    run h network connect nosuchnet "c$$"
    assert_status 125
    assert_output_contains "no such network: nosuchnet"
    run h network connect "$NET2" "nosuch$$"
    assert_status 125
    assert_output_contains "no such container: nosuch$$"
    run h network connect "$NET" "c$$"
    assert_status 125
    assert_output_contains "already connected to network $NET"
    run h network connect --ip 10.1.2 "$NET2" "c$$"
    assert_status 125
    assert_output_contains '--ip "10.1.2"'
    run h network connect --ip 192.0.2.9 "$NET2" "c$$"
    assert_status 125
    assert_output_contains "not in network $NET2's subnet $SUBNET2"
    # the gateway's address: host-local refuses it mid-ADD (the veth is
    # plugged in by then); the ADD is undone, and the network's fresh bridge,
    # which lost its last port, still works for the next connect
    run h network connect --ip "${SUBNET2%.0/24}.1" "$NET2" "c$$"
    assert_status 125
    assert_output_contains "network plugin"
    run h network connect host "c$$"
    assert_status 125
    assert_output_contains "container cannot be disconnected from host network or connected to host network"
    run h network connect none "c$$"
    assert_status 125
    assert_output_contains "with one of the networks in private (none) mode"
    run h network disconnect "$NET2" "c$$"
    assert_status 125
    assert_output_contains "is not connected to network $NET2"
    run h network disconnect none "c$$"
    assert_status 125
    assert_output_contains "only bridge networks can be disconnected"
    run h network connect "$NET2"
    assert_status 125
    assert_output_contains "usage"
    run hrun -d --name "h$$" --network host sleep 1000
    assert_success
    run h network connect "$NET2" "h$$"
    assert_status 125
    assert_output_contains "--network host"
    [ -z "$(connected_leftovers)" ]
    [ -z "$(connections)" ]
    run h exec "c$$" ip link show eth1
    assert_failure
    # twice: the second is refused, the first stays
    run h network connect "$NET2" "c$$"
    assert_success
    run h network connect "$NET2" "c$$"
    assert_status 125
    assert_output_contains "already connected to network $NET2"
    [ "$(leases "$NET2" | wc -l)" -eq 1 ]
    # a network with a connected member is busy
    run h network rm "$NET2"
    assert_status 125
    run h network disconnect -f "$NET2" "c$$"
    assert_success
    [ -z "$(connected_leftovers)" ]
}

# what `network connect` must not have touched on container $1: no
# connection, no lease on NET2, no interface but lo
unconnected() {
    [ -z "$(connections)" ] && [ -z "$(leases "$NET2")" ] &&
        [ "$(h exec "$1" ip -o link | grep -vc ': lo:')" -eq 0 ]
}

@test "network connect: containers on none, host or another's network are refused, unchanged" {
    net2_setup
    run hrun -d --name "a$$" --network "$NET" sleep 1000
    assert_success
    run hrun -d --name "n$$" sleep 1000
    assert_success
    run hrun -d --name "h$$" --network host sleep 1000
    assert_success
    run hrun -d --name "j$$" --network "container:a$$" sleep 1000
    assert_success
    run h network connect "$NET2" "n$$"
    assert_status 125
    assert_output_contains "container n$$ (--network none): container cannot be connected to multiple networks with one of the networks in private (none) mode"
    unconnected "n$$"
    [ "$(h inspect -f '{{.HostConfig.NetworkMode}}' "n$$")" = none ]
    run h network connect --ip "${SUBNET2%.0/24}.9" "$NET2" "h$$"
    assert_status 125
    assert_output_contains "container h$$ (--network host): container sharing network namespace with another container or host cannot be connected to any other network"
    [ "$(h inspect -f '{{.HostConfig.NetworkMode}}' "h$$")" = host ]
    run h network connect "$NET2" "j$$"
    assert_status 125
    assert_output_contains "container sharing network namespace with another container or host cannot be connected to any other network"
    [ -z "$(connections)" ] && [ -z "$(leases "$NET2")" ]
    # a's namespace, which j shares, kept eth0 alone
    [ "$(h exec "j$$" ip -o link | grep -vc -e ': lo:' -e ': eth0@')" -eq 0 ]
    # a created (never started) --network none container is refused too
    run h create --rootfs "$HULL_ROOTFS" --name "cn$$" --network none sleep 1000
    assert_success
    run h network connect "$NET2" "cn$$"
    assert_status 125
    assert_output_contains "private (none) mode"
    [ -z "$(connections)" ]
    run h start "cn$$"
    assert_success
    unconnected "cn$$"
    run h rm -f "a$$" "n$$" "h$$" "j$$" "cn$$"
    assert_success
    [ -z "$(all_leftovers)" ]
}

@test "network disconnect: of the first network, inspect keeps HostConfig.NetworkMode (as docker)" {
    net2_setup
    run hrun -d --name "a$$" --network "$NET" sleep 1000
    assert_success
    run h network disconnect "$NET" "a$$"
    assert_success
    [ "$(h inspect -f '{{.HostConfig.NetworkMode}}' "a$$")" = "$NET" ]
    # the settings show where it is: nowhere but lo
    [ "$(h inspect "a$$" | jq -c '.[0].NetworkSettings.Networks')" = '{}' ]
    [ -z "$(leases "$NET")" ]
    run h restart -t 1 "a$$"
    assert_success
    [ "$(h exec "a$$" ip -o link | grep -vc ': lo:')" -eq 0 ]
    [ "$(h inspect -f '{{.HostConfig.NetworkMode}}' "a$$")" = "$NET" ]
    # not a --network none container: it can be connected again
    run h network connect "$NET2" "a$$"
    assert_success
    ifname=$(h inspect "a$$" | jq -r --arg n "$NET2" '.[0].NetworkSettings.Networks[$n].IfName')
    case $(addr_of "a$$" "$ifname") in "${SUBNET2%.0/24}".*) ;; *) false ;; esac
    [ "$(h inspect -f '{{.HostConfig.NetworkMode}}' "a$$")" = "$NET" ]
    # a created container
    run h create --rootfs "$HULL_ROOTFS" --name "c$$" --network "$NET2" sleep 1000
    assert_success
    run h network disconnect "$NET2" "c$$"
    assert_success
    [ "$(h inspect -f '{{.HostConfig.NetworkMode}}' "c$$")" = "$NET2" ]
    run h rm -f "a$$" "c$$"
    assert_success
    [ -z "$(all_leftovers)" ]
}

@test "network connect: a database from before connect is migrated once, its containers kept" {
    net2_setup
    run hrun -d --name "old$$" --network "$NET" sleep 1000
    assert_success
    # what an older hull left: no container_networks, no containers.spec,
    # user_version 0
    sqlite3 "$HROOT/lib/hull.db" "DROP TRIGGER container_networks_gc; DROP VIEW container_nets; DROP TABLE container_networks;
        ALTER TABLE containers DROP COLUMN spec; ALTER TABLE containers DROP COLUMN aliases;
        PRAGMA user_version=0"
    run h ps --format '{{.Names}}'
    assert_success
    assert_output_equals "old$$"
    [ "$(sqlite3 "$HROOT/lib/hull.db" "PRAGMA user_version")" = 4 ]
    run h network connect "$NET2" "old$$"
    assert_success
    [ "$(sqlite3 "$HROOT/lib/hull.db" "select ifname from container_networks")" = eth1 ]
    run h rm -f "old$$"
    assert_success
    [ -z "$(connected_leftovers)" ]
    [ -z "$(leases "$NET")" ]
}

# fetch http://$2:8080/ping from container $1 (retried while names settle)
fetch() {
    h exec "$1" sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://$2:8080/ping && exit 0; sleep 0.2; done; exit 1"
}
aliases_of() { h inspect "$1" | jq -c --arg n "$2" '.[0].NetworkSettings.Networks[$n].Aliases'; }

@test "network alias: --network-alias and connect --alias resolve on that network only, shown in inspect" {
    net2_setup
    run hrun -d --name "srv$$" --network "$NET" --network-alias db --net-alias db.web \
        sh -c 'echo pong > /tmp/ping; httpd -f -p 8080 -h /tmp'
    assert_success
    [ "$(aliases_of "srv$$" "$NET")" = '["db","db.web"]' ]
    run hrun -d --name "cli$$" --network "$NET" sleep 1000
    assert_success
    run fetch "cli$$" db
    assert_success
    assert_output_equals pong
    run fetch "cli$$" db.web
    assert_output_equals pong
    # a container on another network does not see them
    run hrun -d --name "far$$" --network "$NET2" sh -c 'echo far > /tmp/ping; httpd -f -p 8080 -h /tmp'
    assert_success
    run h exec "far$$" cat /etc/hosts
    ! echo "$output" | grep -qw -e db -e db.web
    run h exec "far$$" wget -q -O - http://db:8080/ping
    assert_failure
    [ "$(aliases_of "far$$" "$NET2")" = null ]
    # connect --alias: the name lives on the connected network only
    run h network connect --alias cache --alias kv "$NET" "far$$"
    assert_success
    [ "$(aliases_of "far$$" "$NET")" = '["cache","kv"]' ]
    [ "$(aliases_of "far$$" "$NET2")" = null ]
    run fetch "cli$$" cache
    assert_output_equals far
    run fetch "srv$$" kv
    assert_output_equals far
    # ... and comes back with the connection after a restart
    run h restart -t 1 "far$$"
    assert_success
    run fetch "cli$$" cache
    assert_output_equals far
    # a created container connected with an alias has it from its start
    run h create --rootfs "$HULL_ROOTFS" --name "late$$" --network "$NET2" sh -c 'echo late > /tmp/ping; httpd -f -p 8080 -h /tmp'
    assert_success
    run h network connect --alias=later "$NET" "late$$"
    assert_success
    run h start "late$$"
    assert_success
    run fetch "cli$$" later
    assert_output_equals late
    # disconnect takes the aliases along; the first network's too
    run h network disconnect "$NET" "far$$"
    assert_success
    run h exec "cli$$" cat /etc/hosts
    ! echo "$output" | grep -qw -e cache -e kv
    run h network disconnect "$NET" "srv$$"
    assert_success
    run h exec "cli$$" cat /etc/hosts
    ! echo "$output" | grep -qw -e db -e db.web
    [ "$(h inspect "srv$$" | jq -c '.[0].NetworkSettings.Networks')" = '{}' ]
    run h rm -f "srv$$" "cli$$" "far$$" "late$$"
    assert_success
    [ -z "$(all_leftovers)" ]
    [ -z "$(connections)" ]
}

@test "network alias: bad names and networks without names are refused, nothing left behind" {
    net2_setup
    run hrun -d --name "c$$" --network "$NET2" sleep 1000
    assert_success
    for bad in 'bad/x' '-x' '.x' 'a b' "$(printf 'x%.0s' $(seq 129))" ''; do
        run hrun -d --network "$NET" --network-alias "$bad" sleep 1000
        assert_status 125
        assert_output_contains '--network-alias "'
        assert_output_contains 'invalid alias'
        run h network connect --alias "$bad" "$NET" "c$$"
        assert_status 125
        assert_output_contains '--alias "'
    done
    # docker's rule: aliases only on user-defined networks
    for mode in none host bridge "container:c$$"; do
        run hrun -d --network "$mode" --network-alias ok sleep 1000
        assert_status 125
        assert_output_contains "--network-alias ok: network-scoped alias is supported only for containers in user defined networks"
    done
    run h create --rootfs "$HULL_ROOTFS" --network-alias ok sleep 1000
    assert_status 125
    assert_output_contains "not bridge"
    [ "$(h ps -aq | wc -l)" -eq 1 ]
    [ -z "$(connections)" ]
    [ -z "$(leases "$NET")" ]
    [ "$(h exec "c$$" ip -o link | grep -vc -e ': lo:' -e ': eth0@')" -eq 0 ]
    run h rm -f "c$$"
    assert_success
    [ -z "$(all_leftovers)" ]
}

# create container $1 on NET (never started) and connect it to NET2 with --ip $2
created_connected() {
    h create --rootfs "$HULL_ROOTFS" --name "$1" --network "$NET" sleep 1000 >/dev/null &&
        h network connect --ip "$2" "$NET2" "$1"
}

# ip -4 address of interface $2 in container $1 (empty when it has none)
addr_of() { h exec "$1" ip -4 -o addr show "$2" 2>/dev/null | awk '{print $4}'; }

@test "network connect: connections come back after restart, stop+start and a restart policy, by name and --ip" {
    net2_setup
    ip_a="${SUBNET2%.0/24}.77"
    ip_r="${SUBNET2%.0/24}.78"
    run hrun -d --name "a$$" --network "$NET" sh -c 'echo pong > /tmp/ping; httpd -f -p 8080 -h /tmp'
    assert_success
    run hrun -d --name "b$$" --network "$NET2" sleep 1000
    assert_success
    run h network connect --ip "$ip_a" "$NET2" "a$$"
    assert_success
    run h restart -t 1 "a$$"
    assert_success
    [ "$(addr_of "a$$" eth1)" = "$ip_a/24" ]
    case $(addr_of "a$$" eth0) in "${SUBNET%.0/24}".*) ;; *) false ;; esac
    # the same names both ways, the default route still with eth0
    run h exec "b$$" cat /etc/hosts
    assert_output_contains "$ip_a	a$$"
    run h exec "a$$" cat /etc/hosts
    assert_output_contains "b$$"
    run h exec "a$$" ip -4 route
    assert_output_contains "default via ${SUBNET%.0/24}.1 dev eth0"
    run h exec "b$$" sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://a$$:8080/ping && exit 0; sleep 0.2; done; exit 1"
    assert_output_equals pong
    # stopped: no address held, the connection kept and shown
    run h stop -t 1 "a$$"
    assert_success
    [ -z "$(leases "$NET2" | grep -Fx "$ip_a")" ]
    [ -z "$(leases "$NET")" ]
    run h exec "b$$" cat /etc/hosts
    ! echo "$output" | grep -q "a$$"
    [ "$(connections)" = "$NET2" ]
    run h ps -a --filter "name=a$$" --format '{{.Networks}}'
    assert_output_equals "$NET,$NET2"
    [ "$(h inspect "a$$" | jq -r --arg n "$NET2" '.[0].NetworkSettings.Networks[$n].IPAddress')" = "" ]
    run h start "a$$"
    assert_success
    [ "$(addr_of "a$$" eth1)" = "$ip_a/24" ]
    run h exec "b$$" cat /etc/hosts
    assert_output_contains "$ip_a	a$$"
    [ "$(h inspect "a$$" | jq -r --arg n "$NET2" '.[0].NetworkSettings.Networks[$n].IPAddress')" = "$ip_a" ]
    # a restart policy's restart (init killed by an unexpected signal)
    run hrun -d --name "r$$" --network "$NET" --restart always sleep 1000
    assert_success
    run h network connect --ip "$ip_r" "$NET2" "r$$"
    assert_success
    init=$(h inspect "r$$" | jq -r '.[0].State.Pid')
    kill -9 "$init"
    poll 20 sh -c "[ \"\$($HULL --root $HROOT/lib --runroot $HROOT/run inspect r$$ | jq -r '.[0].RestartCount, .[0].State.Status' | tr '\n' ' ')\" = '1 running ' ]"
    [ "$(addr_of "r$$" eth1)" = "$ip_r/24" ]
    run h exec "b$$" cat /etc/hosts
    assert_output_contains "$ip_r	r$$"
    # one lease per attachment, none left from the earlier runs
    [ "$(leases "$NET2" | wc -l)" -eq 3 ]
    [ "$(leases "$NET" | wc -l)" -eq 2 ]
    run h rm -f "a$$" "r$$" "b$$"
    assert_success
    [ -z "$(all_leftovers)" ]
    [ -z "$(connections)" ]
}

@test "network connect: a created container is connected at start; disconnected while stopped it starts without" {
    net2_setup
    ip_c="${SUBNET2%.0/24}.90"
    run created_connected "c$$" "$ip_c"
    assert_success
    # recorded only: nothing attached yet
    [ -z "$(connected_leftovers)" ]
    [ "$(connections)" = "$NET2" ]
    [ "$(h inspect "c$$" | jq -r '.[0].NetworkSettings.Networks | keys_unsorted | join(",")')" = "$NET,$NET2" ]
    run h network connect "$NET2" "c$$"
    assert_status 125
    assert_output_contains "already connected to network $NET2"
    run h start "c$$"
    assert_success
    [ "$(addr_of "c$$" eth1)" = "$ip_c/24" ]
    case $(addr_of "c$$" eth0) in "${SUBNET%.0/24}".*) ;; *) false ;; esac
    run h exec "c$$" cat /etc/hosts
    assert_output_contains "$ip_c	c$$"
    run h ps --format '{{.Names}} {{.Networks}}'
    assert_output_equals "c$$ $NET,$NET2"
    run h stop -t 1 "c$$"
    assert_success
    run h network disconnect "$NET2" "c$$"
    assert_success
    [ -z "$(connections)" ]
    run h start "c$$"
    assert_success
    run h exec "c$$" ip link show eth1
    assert_failure
    run h rm -f "c$$"
    assert_success
    [ -z "$(all_leftovers)" ]
}

@test "network disconnect: from the first network too, running or created; with none left only lo" {
    net2_setup
    run hrun -d --name "a$$" --network "$NET" sleep 1000
    assert_success
    run hrun -d --name "p$$" --network "$NET" sleep 1000
    assert_success
    run h network connect "$NET2" "a$$"
    assert_success
    ip0=$(addr_of "a$$" eth0)
    run h network disconnect "$NET" "a$$"
    assert_success
    run h exec "a$$" ip link show eth0
    assert_failure
    [ -z "$(leases "$NET" | grep -Fx "${ip0%/24}")" ]
    [ -n "$(addr_of "a$$" eth1)" ]
    run h exec "p$$" cat /etc/hosts
    ! echo "$output" | grep -q "a$$"
    [ "$(h inspect "a$$" | jq -r '.[0].NetworkSettings.Networks | keys | join(",")')" = "$NET2" ]
    run h ps --filter "name=a$$" --format '{{.Networks}}'
    assert_output_equals "$NET2"
    run h network disconnect "$NET" "a$$"
    assert_status 125
    assert_output_contains "is not connected to network $NET"
    # its one network becomes eth0 at the next start, with the default route
    run h restart -t 1 "a$$"
    assert_success
    case $(addr_of "a$$" eth0) in "${SUBNET2%.0/24}".*) ;; *) false ;; esac
    run h exec "a$$" ip -4 route
    assert_output_contains "default via ${SUBNET2%.0/24}.1 dev eth0"
    # and without any network: lo alone, now and after a restart
    run h network disconnect "$NET2" "a$$"
    assert_success
    run h exec "a$$" ip -o link
    assert_success
    [ "$(echo "$output" | grep -vc ': lo:')" -eq 0 ]
    run h ps --filter "name=a$$" --format '{{.Networks}}'
    assert_output_equals none
    run h restart -t 1 "a$$"
    assert_success
    run h exec "a$$" ip -o link
    [ "$(echo "$output" | grep -vc ': lo:')" -eq 0 ]
    # a created container leaves its first network before it ever ran
    run h create --rootfs "$HULL_ROOTFS" --name "c$$" --network "$NET" sleep 1000
    assert_success
    run h network disconnect "$NET" "c$$"
    assert_success
    run h start "c$$"
    assert_success
    run h exec "c$$" ip -o link
    [ "$(echo "$output" | grep -vc ': lo:')" -eq 0 ]
    run h rm -f "a$$" "c$$" "p$$"
    assert_success
    [ -z "$(all_leftovers)" ]
}

@test "network connect: unknown network or container and a failed start change nothing, leave nothing" {
    net2_setup
    run h create --rootfs "$HULL_ROOTFS" --name "c$$" --network "$NET" sleep 1000
    assert_success
    run h network connect "nosuch$$" "c$$"
    assert_status 125
    assert_output_contains "no such network: nosuch$$"
    run h network connect "$NET2" "nosuch$$"
    assert_status 125
    assert_output_contains "no such container: nosuch$$"
    run h network disconnect "$NET2" "c$$"
    assert_status 125
    assert_output_contains "container c$$ is not connected to network $NET2"
    [ -z "$(connections)" ]
    [ "$(h inspect "c$$" | jq -r '.[0].NetworkSettings.Networks | keys | join(",")')" = "$NET" ]
    # a connected network removed while the container was stopped: start
    # fails naming it, and its first network's attachment is undone
    run h network connect "$NET2" "c$$"
    assert_success
    run h network rm "$NET2"
    assert_success
    run h start "c$$"
    assert_failure
    assert_output_contains "no such network: $NET2"
    [ "$(h inspect "c$$" | jq -r '.[0].State.Status')" = exited ]
    [ -z "$(all_leftovers)" ]
    [ -z "$(ls "$HROOT/lib/cni/results" 2>/dev/null)" ]
    # -f forgets a connection to a network that is gone; then it starts
    run h network disconnect "$NET2" "c$$"
    assert_status 125
    assert_output_contains "no such network: $NET2"
    run h network disconnect -f "$NET2" "c$$"
    assert_success
    [ -z "$(connections)" ]
    run h start "c$$"
    assert_success
    case $(addr_of "c$$" eth0) in "${SUBNET%.0/24}".*) ;; *) false ;; esac
    run h rm -f "c$$"
    assert_success
    [ -z "$(all_leftovers)" ]
}

@test "network connect: kill -9 of monitor and init with connections: repair releases all, start restores them" {
    net2_setup
    ip_k="${SUBNET2%.0/24}.55"
    run created_connected "k$$" "$ip_k"
    assert_success
    run h start "k$$"
    assert_success
    [ "$(addr_of "k$$" eth1)" = "$ip_k/24" ]
    mon=$(sqlite3 "$HROOT/lib/hull.db" "select monitor_pid from containers where name='k$$'")
    init=$(h inspect "k$$" | jq -r '.[0].State.Pid')
    kill -9 "$mon"
    kill -9 "$init"
    poll 5 sh -c "! kill -0 $init 2>/dev/null"
    # the next command repairs: every attachment released, the connection kept
    run h ps -a --format '{{.Names}} {{.State}} {{.Networks}}'
    assert_success
    assert_output_equals "k$$ exited $NET,$NET2"
    [ -z "$(all_leftovers)" ]
    [ "$(connections)" = "$NET2" ]
    run h start "k$$"
    assert_success
    [ "$(addr_of "k$$" eth1)" = "$ip_k/24" ]
    run h rm -f "k$$"
    assert_success
    [ -z "$(all_leftovers)" ]
    [ -z "$(connections)" ]
}

# hold the flock on file $1 from a process of the test (LOCKER, killed by
# teardown) until it is killed
hold_lock() {
    mkdir -p "${1%/*}"
    flock -o "$1" sleep 60 &
    LOCKER=$!
    poll 10 sh -c "! flock -n '$1' true"
}
# `network connect $1 $2` in the background (CONNECTOR, its pid), returned
# once its bridge plugin's ADD waits for host-local's lock (hold_lock)
connect_waiting() {
    "$HULL" --root "$HROOT/lib" --runroot "$HROOT/run" network connect "$1" "$2" >/dev/null 2>&1 &
    CONNECTOR=$!
    poll 10 pgrep -P "$CONNECTOR" -x bridge
}

@test "network connect: kill -9 of hull mid-connect: not recorded; the next connect and the exit release what it left" {
    net2_setup
    run hrun -d --name "a$$" --network "$NET" sleep 1000
    assert_success
    # hull is killed while the bridge plugin's ADD waits for host-local's
    # lock (held here), after the cache was written; the ADD then completes
    hold_lock "$HROOT/lib/cni/ipam/$NET2/lock"
    connect_waiting "$NET2" "a$$"
    pid=$CONNECTOR
    plugin=$(pgrep -P "$pid" -x bridge)
    kill -9 "$pid"
    wait "$pid" || true
    kill "$LOCKER"
    poll 10 sh -c "! kill -0 $plugin 2>/dev/null"
    [ -z "$(connections)" ]
    [ -n "$(find "$HROOT/lib/cni/results/" -path "*/$NET2.json")" ]
    # a new connect DELs the left attachment first: one lease, one interface
    run h network connect "$NET2" "a$$"
    assert_success
    [ "$(leases "$NET2" | wc -l)" -eq 1 ]
    case $(addr_of "a$$" eth1) in "${SUBNET2%.0/24}".*) ;; *) false ;; esac
    [ "$(h exec "a$$" ip -o link | grep -vc -e ': lo:' -e ': eth0@' -e ': eth1@')" -eq 0 ]
    run h stop -t 1 "a$$"
    assert_success
    [ -z "$(all_leftovers)" ]
    run h rm "a$$"
    assert_success
    [ -z "$(connections)" ]
}

# kill -9 the monitor and the init of container $1, and wait for the init to go
kill_monitor_and_init() {
    local mon init
    mon=$(sqlite3 "$HROOT/lib/hull.db" "select monitor_pid from containers where name='$1'")
    init=$(h inspect "$1" | jq -r '.[0].State.Pid')
    kill -9 "$mon" "$init"
    poll 5 sh -c "! kill -0 $init 2>/dev/null"
}
state_of() { sqlite3 "$HROOT/lib/hull.db" "select state from containers where name='$1'"; }

@test "network connect: repair of a dead container waits for the container's network lock" {
    net2_setup
    run hrun -d --name "k$$" --network "$NET" sleep 1000
    assert_success
    id=$(h inspect -f '{{.Id}}' "k$$")
    # what connect and disconnect hold while they work
    hold_lock "$HROOT/lib/containers/$id/network.lock"
    kill_monitor_and_init "k$$"
    h ps -a >/dev/null &
    repairer=$!
    sleep 1
    # it waits: nothing released, nothing recorded yet
    kill -0 "$repairer"
    [ "$(state_of "k$$")" = running ]
    [ -n "$(leases "$NET")" ]
    kill "$LOCKER"
    wait "$repairer"
    [ "$(state_of "k$$")" = exited ]
    [ -z "$(all_leftovers)" ]
    run h rm "k$$"
    assert_success
}

@test "network connect: a repair racing a connect to a dead container leaves no veth, lease or cache" {
    net2_setup
    links_before=$(ip -o link | grep -c veth || true)
    run hrun -d --name "k$$" --network "$NET" sleep 1000
    assert_success
    # the connect holds the container's lock, its ADD waiting for host-local's
    hold_lock "$HROOT/lib/cni/ipam/$NET2/lock"
    connect_waiting "$NET2" "k$$"
    kill_monitor_and_init "k$$"
    h ps -a >/dev/null &
    repairer=$!
    sleep 0.5
    kill "$LOCKER"
    wait "$repairer"
    wait "$CONNECTOR" || true
    [ "$(state_of "k$$")" = exited ]
    [ -z "$(all_leftovers)" ]
    veths_back_to "$links_before"
    # a connect that made it is kept for the next start, as for any stopped container
    if [ "$(connections)" = "$NET2" ]; then
        run h start "k$$"
        assert_success
        case $(addr_of "k$$" eth1) in "${SUBNET2%.0/24}".*) ;; *) false ;; esac
    fi
    run h rm -f "k$$"
    assert_success
    [ -z "$(all_leftovers)" ]
    [ -z "$(connections)" ]
}

@test "network connect: a connect racing a start is applied either way (the container's network lock)" {
    net2_setup
    for i in 1 2 3; do
        run h create --rootfs "$HULL_ROOTFS" --name "c$i$$" --network "$NET" sleep 1000
        assert_success
        h start "c$i$$" >/dev/null &
        starter=$!
        run h network connect "$NET2" "c$i$$"
        assert_success
        wait "$starter"
        case $(addr_of "c$i$$" eth1) in "${SUBNET2%.0/24}".*) ;; *) false ;; esac
        [ "$(leases "$NET2" | wc -l)" -eq "$i" ]
    done
    run h rm -f "c1$$" "c2$$" "c3$$"
    assert_success
    [ -z "$(all_leftovers)" ]
}
