#!/usr/bin/env bats
# Registry client (hull pull/push/login/logout/image referrers) against REAL
# registries: Debian's docker-registry started here on 127.0.0.1 with random free
# ports, one with TLS (a CA and server certificate made with openssl) and htpasswd
# (bcrypt) auth, one plain http without auth behind a fault-injecting proxy
# (tests/helpers/fault_proxy.py). Interop both ways with skopeo, and podman pull.
# Everything lives in the file's temp dir; the registries and the proxy are stopped
# by PID in teardown_file.
#
# Environment: BUILD_DIR (default $REPO/build), HULL (default $BUILD_DIR/hull).
# Needs: docker-registry, apache2-utils (htpasswd), openssl, skopeo, podman, curl.

bats_require_minimum_version 1.5.0

REPO=${REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$REPO/build}
HULL=${HULL:-$BUILD_DIR/hull}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL: until anything answers (max ~10 s)
wait_http() {
    for _ in $(seq 100); do
        curl -sk -o /dev/null --max-time 1 "$1" && return 0
        sleep 0.1
    done
    echo "nothing answers at $1" >&2
    return 1
}

# start_registry NAME PORT [tls|token]: docker-registry with storage under $T/NAME;
# tls: htpasswd auth; token: bearer tokens from tests/helpers/token_server.py
start_registry() {
    local name=$1 port=$2 tls=${3:-}
    {
        echo "version: 0.1"
        echo "log: {level: error, accesslog: {disabled: true}}"
        echo "storage: {filesystem: {rootdirectory: $T/$name}, delete: {enabled: true}}"
        echo "http:"
        echo "  addr: 127.0.0.1:$port"
        if [ -n "$tls" ]; then
            echo "  tls: {certificate: $T/server.crt, key: $T/server.key}"
        fi
        if [ "$tls" = tls ]; then
            echo "auth: {htpasswd: {realm: hull-test, path: $T/htpasswd}}"
        elif [ "$tls" = token ]; then
            echo "auth: {token: {realm: 'http://$TOKEN/token', service: hull-registry,"
            echo "  issuer: hull-test-issuer, rootcertbundle: $T/token.crt}}"
        fi
    } >"$T/$name.yml"
    docker-registry serve "$T/$name.yml" >"$T/$name.log" 2>&1 3>&- &
    echo $! >"$T/$name.pid"
}

setup_file() {
    [ -x "$HULL" ] || {
        echo "HULL=$HULL is not executable (build first)" >&2
        return 1
    }
    for tool in docker-registry htpasswd openssl skopeo curl python3; do
        command -v $tool >/dev/null || {
            echo "$tool is needed (make deps)" >&2
            return 1
        }
    done
    export T=$BATS_FILE_TMPDIR
    # a test CA and a server certificate for 127.0.0.1 signed by it
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=hull test CA" -keyout "$T/ca.key" -out "$T/ca.crt" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$T/server.key" -out "$T/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$T/san.cnf"
    openssl x509 -req -in "$T/server.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
        -days 2 -extfile "$T/san.cnf" -out "$T/server.crt" 2>/dev/null
    htpasswd -Bbn alice wonderland >"$T/htpasswd"

    # the token server's signing key (RS256; the registry trusts its certificate)
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=hull token issuer" \
        -keyout "$T/token.key" -out "$T/token.crt" 2>/dev/null

    export PORT=$(free_port) PLAIN_PORT=$(free_port) PROXY_PORT=$(free_port)
    export TOKEN_REG_PORT=$(free_port) TOKEN_PORT=$(free_port)
    export REG=127.0.0.1:$PORT PLAIN=127.0.0.1:$PLAIN_PORT PROXY=127.0.0.1:$PROXY_PORT
    export TREG=127.0.0.1:$TOKEN_REG_PORT TOKEN=127.0.0.1:$TOKEN_PORT
    start_registry tls "$PORT" tls
    start_registry plain "$PLAIN_PORT"
    start_registry treg "$TOKEN_REG_PORT" token
    python3 "$REPO/tests/helpers/fault_proxy.py" "$PROXY_PORT" "$PLAIN_PORT" "$T/proxy.pid" \
        >"$T/proxy.log" 2>&1 3>&- &
    python3 "$REPO/tests/helpers/token_server.py" "$TOKEN_PORT" "$T/token.key" "$T/token.crt" \
        "$T" "$T/tokens.pid" >"$T/tokens.out" 2>&1 3>&- &
    wait_http "https://$REG/v2/"
    wait_http "http://$PLAIN/v2/"
    wait_http "http://$PROXY/v2/"
    wait_http "https://$TREG/v2/"
    wait_http "http://$TOKEN/token"

    # certs.d layout: <dir>/<host:port>/ca.crt
    export HULL_CERTS_D=$T/certs.d
    mkdir -p "$HULL_CERTS_D/$REG" "$HULL_CERTS_D/$TREG"
    cp "$T/ca.crt" "$HULL_CERTS_D/$REG/ca.crt"
    cp "$T/ca.crt" "$HULL_CERTS_D/$TREG/ca.crt"
    export REGISTRY_AUTH_FILE=$T/auth.json
    echo wonderland | "$HULL" --root "$T/root0" login -u alice --password-stdin "$REG" >/dev/null
    # the image the tests push: the embedded busybox, plus a tiny unique one
    "$HULL" --root "$T/src" image inspect busybox >/dev/null 2>&1
    mkdir -p "$T/tiny/etc"
    head -c 200000 /dev/urandom >"$T/tiny/etc/random"
    echo tiny >"$T/tiny/etc/hello"
    tar -C "$T/tiny" -cf "$T/tiny.tar" etc
}

teardown_file() {
    for p in tls plain treg proxy tokens; do
        [ -f "$T/$p.pid" ] && kill "$(cat "$T/$p.pid")" 2>/dev/null
    done
    return 0
}

setup() {
    R=$BATS_TEST_TMPDIR/root
}

hull() {
    timeout 60 "$HULL" "$@"
}

# the manifest digest hull prints on stdout (last line: "Digest: sha256:...")
digest_of() {
    sed -n 's/^Digest: //p' <<<"$1" | tail -n 1
}

@test "login stores 0600 docker-style credentials; a wrong password changes nothing; logout" {
    local f=$BATS_TEST_TMPDIR/login.json
    run hull --root "$R" login -u alice --password-stdin --authfile "$f" "$REG" <<<"wrong"
    [ "$status" -eq 1 ]
    [[ "$output" == *"registry $REG: login as alice: wrong username or password"* ]]
    [ ! -e "$f" ]

    run hull --root "$R" login -u alice --password-stdin --authfile "$f" "https://$REG/v2/" <<<"wonderland"
    [ "$status" -eq 0 ]
    [ "$output" = "Login Succeeded" ] # and no secret in it
    [ "$(stat -c %a "$f")" = 600 ]
    [ "$(jq -r --arg r "$REG" '.auths[$r].auth' "$f" | base64 -d)" = "alice:wonderland" ]
    run ! grep -r wonderland "$R"

    # docker's format is what podman and skopeo read too
    run skopeo inspect --authfile "$f" --cert-dir "$HULL_CERTS_D/$REG" "docker://$REG/none/x:y"
    [[ "$output" != *unauthorized* ]]

    run hull --root "$R" logout --authfile "$f" "$REG"
    [ "$status" -eq 0 ]
    [ "$(jq '.auths | length' "$f")" = 0 ]
    run hull --root "$R" logout --authfile "$f" "$REG"
    [ "$status" -eq 1 ]
    [[ "$output" == *"not logged in to $REG"* ]]

    # no credentials: a clear message
    run hull --root "$R" pull --authfile "$f" "$REG/nothing/here:1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"registry $REG: authentication required (hull login $REG)"* ]]
}

@test "push busybox, pull it into a fresh root: same manifest and config digests" {
    run hull --root "$T/src" push busybox "$REG/lib/busybox:1"
    [ "$status" -eq 0 ]
    local pushed=$(digest_of "$output")
    [ "$pushed" = "$(hull --root "$T/src" image inspect busybox | jq -r '.[0].Digest')" ]

    run hull --root "$R" pull "$REG/lib/busybox:1"
    [ "$status" -eq 0 ]
    [ "$(digest_of "$output")" = "$pushed" ]
    [ "$(hull --root "$R" image inspect "$REG/lib/busybox:1" | jq -r '.[0].Id')" = \
        "$(hull --root "$T/src" image inspect busybox | jq -r '.[0].Id')" ]
    run hull --root "$R" image verify "$REG/lib/busybox:1"
    [ "$status" -eq 0 ]
    # by digest too: the same image, found by repo@digest
    run hull --root "$R" pull -q "$REG/lib/busybox@$pushed"
    [ "$status" -eq 0 ]
    [ "$output" = "$pushed" ]
    run hull --root "$R" image inspect "$REG/lib/busybox@$pushed"
    [ "$status" -eq 0 ]
}

@test "chunked push (PATCH + Content-Range), HEAD skips blobs the registry has" {
    run hull --root "$T/src" push --chunk-size 128k "$T/tiny.tar" "$REG/x/y:1"
    [ "$status" -ne 0 ] # a file is not an image name
    hull --root "$T/src" import "$T/tiny.tar" tiny:1 >/dev/null
    HULL_REGISTRY_DEBUG=1 run hull --root "$T/src" push --chunk-size 64k tiny:1 "$REG/chunked/tiny:1"
    [ "$status" -eq 0 ]
    [ "$(grep -c '^registry: PATCH .* -> 202' <<<"$output")" -ge 3 ]
    [[ "$output" == *"registry: PUT https://$REG/v2/chunked/tiny/manifests/1 -> 201"* ]]
    local d=$(digest_of "$output")

    HULL_REGISTRY_DEBUG=1 run hull --root "$T/src" push tiny:1 "$REG/chunked/tiny:1"
    [ "$status" -eq 0 ]
    [ "$(grep -c 'already exists' <<<"$output")" -eq 2 ]
    [[ "$output" != *"registry: POST"* ]]
    [ "$(digest_of "$output")" = "$d" ]

    run hull --root "$R" pull "$REG/chunked/tiny:1"
    [ "$status" -eq 0 ]
    [ "$(digest_of "$output")" = "$d" ]
}

@test "cross-repository blob mount from another repository of the same registry" {
    run hull --root "$R" pull -q "$REG/lib/busybox:1"
    [ "$status" -eq 0 ]
    HULL_REGISTRY_DEBUG=1 run hull --root "$R" push "$REG/lib/busybox:1" "$REG/mounted/busybox:1"
    [ "$status" -eq 0 ]
    [ "$(grep -c "Mounted blob sha256:.* from lib/busybox" <<<"$output")" -eq 2 ]
    [[ "$output" == *"blobs/uploads/?mount=sha256:"*"&from=lib/busybox -> 201"* ]]
    [[ "$output" != *"registry: PATCH"* ]]
}

@test "skopeo pushes (OCI and Docker schema2), hull pulls the same digests" {
    local creds=(--dest-creds alice:wonderland --dest-cert-dir "$HULL_CERTS_D/$REG")
    skopeo copy -q "${creds[@]}" "oci:$BUILD_DIR/busybox-oci:latest" "docker://$REG/sk/busybox:oci"
    skopeo copy -q --format v2s2 "${creds[@]}" "oci:$BUILD_DIR/busybox-oci:latest" \
        "docker://$REG/sk/busybox:v2s2"
    for tag in oci v2s2; do
        local want=$(skopeo inspect --creds alice:wonderland --cert-dir "$HULL_CERTS_D/$REG" \
            "docker://$REG/sk/busybox:$tag" | jq -r .Digest)
        run hull --root "$R" pull -q "$REG/sk/busybox:$tag"
        [ "$status" -eq 0 ]
        [ "$output" = "$want" ]
    done
    # Docker schema2 is stored as sent: pushing it back keeps its digest and type
    run hull --root "$R" push -q "$REG/sk/busybox:v2s2" "$REG/sk/again:v2s2"
    [ "$status" -eq 0 ]
    [ "$(skopeo inspect --raw --creds alice:wonderland --cert-dir "$HULL_CERTS_D/$REG" \
        "docker://$REG/sk/again:v2s2" | jq -r .mediaType)" = application/vnd.docker.distribution.manifest.v2+json ]
}

@test "hull pushes, skopeo inspects and copies to a dir with matching digests" {
    run hull --root "$T/src" push -q busybox "$REG/hp/busybox:1"
    [ "$status" -eq 0 ]
    local d=$output
    run skopeo inspect --creds alice:wonderland --cert-dir "$HULL_CERTS_D/$REG" "docker://$REG/hp/busybox:1"
    [ "$status" -eq 0 ]
    [ "$(jq -r .Digest <<<"$output")" = "$d" ]
    skopeo copy -q --src-creds alice:wonderland --src-cert-dir "$HULL_CERTS_D/$REG" \
        "docker://$REG/hp/busybox:1" "dir:$BATS_TEST_TMPDIR/dir"
    [ "sha256:$(sha256sum <"$BATS_TEST_TMPDIR/dir/manifest.json" | cut -d' ' -f1)" = "$d" ]
    for f in "$BATS_TEST_TMPDIR"/dir/*; do
        case ${f##*/} in manifest.json | version) continue ;; esac
        [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${f##*/}" ]
    done
}

@test "podman pulls an image hull pushed (hull's auth file, certs.d CA)" {
    command -v podman >/dev/null || skip "podman is not installed"
    run hull --root "$T/src" push -q busybox "$REG/pm/busybox:1"
    [ "$status" -eq 0 ]
    local d=$output p=$BATS_TEST_TMPDIR/podman
    run timeout 60 podman --root "$p/storage" --runroot "$p/runroot" --tmpdir "$p/tmp" \
        --storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
        pull --authfile "$REGISTRY_AUTH_FILE" --cert-dir "$HULL_CERTS_D/$REG" "$REG/pm/busybox:1"
    [ "$status" -eq 0 ]
    run podman --root "$p/storage" --runroot "$p/runroot" --storage-driver vfs \
        images --digests --format '{{.Digest}}' "$REG/pm/busybox:1"
    [ "$output" = "$d" ]
    podman --root "$p/storage" --runroot "$p/runroot" --storage-driver vfs rmi -a -f >/dev/null 2>&1 || true
}

@test "TLS: without the CA the error names the host and the verify error; --tls-verify=false works" {
    HULL_CERTS_D=$BATS_TEST_TMPDIR/empty run hull --root "$R" pull "$REG/lib/busybox:1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"registry $REG: TLS certificate verification failed: SSL certificate problem: unable to get local issuer certificate"* ]]
    [ ! -e "$R/images/refs.json" ] || [ "$(jq '.images | length' "$R/images/refs.json")" = 0 ]

    HULL_CERTS_D=$BATS_TEST_TMPDIR/empty run hull --root "$R" pull --tls-verify=false "$REG/lib/busybox:1"
    [ "$status" -eq 0 ]
    # --tls-verify=false never means plain http toward a TLS registry
    [[ "$output" != *"plain http"* ]]
    # a certs.d file that is not a certificate is an error, not ignored
    mkdir -p "$BATS_TEST_TMPDIR/bad/$REG"
    echo junk >"$BATS_TEST_TMPDIR/bad/$REG/ca.crt"
    run hull --root "$R" pull --cert-dir "$BATS_TEST_TMPDIR/bad" "$REG/lib/busybox:1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"ca.crt: no PEM certificate"* ]]
}

@test "plain http only with --tls-verify=false or a loopback registry marked insecure" {
    run hull --root "$T/src" push busybox "$PLAIN/plain/busybox:1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"registry $PLAIN: TLS handshake failed"* ]]
    run hull --root "$T/src" push --tls-verify=false busybox "$PLAIN/plain/busybox:1"
    [ "$status" -eq 0 ]
    [[ "$output" == *"registry $PLAIN does not speak TLS: using plain http"* ]]
    HULL_INSECURE_REGISTRIES="other:1,$PLAIN" run hull --root "$R" pull "$PLAIN/plain/busybox:1"
    [ "$status" -eq 0 ]
    # --tls-verify=true overrides the mark
    HULL_INSECURE_REGISTRIES=$PLAIN run hull --root "$R" pull --tls-verify=true "$PLAIN/plain/busybox:1"
    [ "$status" -eq 1 ]
}

@test "unknown tag or repository: no such image; bad reference syntax" {
    run hull --root "$R" pull "$REG/lib/busybox:nope"
    [ "$status" -eq 1 ]
    [[ "$output" == *"no such image: lib/busybox:nope in registry $REG"* ]]
    run hull --root "$R" pull "$REG/no/such/repo"
    [ "$status" -eq 1 ]
    [[ "$output" == *"no such image: no/such/repo:latest in registry $REG"* ]]
    run hull --root "$R" pull "$REG/lib/BusyBox:1"
    [ "$status" -eq 1 ]
    [[ "$output" == *'invalid reference'*'must be lowercase'* ]]
    run hull --root "$R" pull "$REG/lib/busybox@sha256:1234"
    [ "$status" -eq 1 ]
    [[ "$output" == *invalid* ]]
    run hull --root "$R" push nosuchimage "$REG/x/y:1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"no such image: nosuchimage"* ]]
}

@test "digest mismatch: a wrong @digest, a tampered and a truncated blob; no image recorded" {
    run hull --root "$R" pull "$REG/lib/busybox@sha256:$(printf %064d 0)"
    [ "$status" -eq 1 ]
    [[ "$output" == *"no such image: lib/busybox@sha256:000"*" in registry $REG"* ]]

    hull --root "$T/src" import "$T/tiny.tar" tamper:1 >/dev/null
    run hull --root "$T/src" push -q tamper:1 "$REG/tamper/img:1"
    [ "$status" -eq 0 ]
    local layer=$(hull --root "$T/src" image inspect tamper:1 | jq -r '.[0].RootFS.Layers[0]')
    local mdigest=$output
    local m=$(skopeo inspect --raw --creds alice:wonderland --cert-dir "$HULL_CERTS_D/$REG" \
        "docker://$REG/tamper/img:1")
    local blob=$(jq -r '.layers[0].digest' <<<"$m") size=$(jq -r '.layers[0].size' <<<"$m")
    local data=$T/tls/docker/registry/v2/blobs/sha256/${blob:7:2}/${blob:7}/data
    [ -f "$data" ]
    cp "$data" "$BATS_TEST_TMPDIR/orig"

    # same size, different bytes: caught by the hash of what arrived
    printf 'XXXXXXXX' | dd of="$data" bs=1 seek=100 conv=notrunc status=none
    run hull --root "$R" pull "$REG/tamper/img:1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"blob $blob: content digest is sha256:"*"(corrupt or tampered)"* ]]
    run hull --root "$R" image inspect "$REG/tamper/img:1"
    [ "$status" -ne 0 ]
    # the layer was unpacked while it downloaded: that snapshot is gone with the blob
    [ -z "$(ls -A "$R/snapshots")" ]
    [ ! -e "$R/images/blobs/sha256/${blob:7}" ]

    # half the bytes: the client asks for the rest, then gives up clearly
    head -c $((size / 2)) "$BATS_TEST_TMPDIR/orig" >"$data"
    run hull --root "$R" pull "$REG/tamper/img:1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"blob $blob: truncated: the registry sent $((size / 2)) of $size bytes"* ]]
    run hull --root "$R" image inspect "$REG/tamper/img:1"
    [ "$status" -ne 0 ]
    [ -z "$(ls -A "$R/snapshots")" ]

    # restored: the pull works and the store is consistent
    cp "$BATS_TEST_TMPDIR/orig" "$data"
    run hull --root "$R" pull -q "$REG/tamper/img:1"
    [ "$status" -eq 0 ]
    [ "$output" = "$mdigest" ]
    run hull --root "$R" image verify "$REG/tamper/img:1"
    [ "$status" -eq 0 ]
    [ -n "$layer" ]
}

@test "registry down: connection refused fails at once with a clear message" {
    local port=$(free_port)
    run hull --root "$R" pull "127.0.0.1:$port/lib/busybox:1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"registry 127.0.0.1:$port is not reachable: Connection refused"* ]]
    run hull --root "$T/src" push busybox "127.0.0.1:$port/lib/busybox:1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"is not reachable: Connection refused"* ]]
}

@test "503, a cut blob download and a cut chunk upload: retried, resumed with Range, restarted" {
    export HULL_INSECURE_REGISTRIES=$PROXY
    hull --root "$T/src" import "$T/tiny.tar" faults:1 >/dev/null
    HULL_REGISTRY_DEBUG=1 run hull --root "$T/src" push --chunk-size 64k faults:1 "$PROXY/faults/img:1"
    [ "$status" -eq 0 ]
    # the cut chunk: the session's status is asked for; distribution voids a session
    # whose offset moved under its state token, so the upload starts again
    [[ "$output" == *"chunk 0-65535 of blob sha256:"*"; resuming"* ]]
    [[ "$output" == *"registry: GET http://$PROXY/v2/faults/img/blobs/uploads/"* ]]
    [[ "$output" == *"starting the upload again"* ]]
    local d=$(digest_of "$output")

    HULL_REGISTRY_DEBUG=1 run hull --root "$R" pull "$PROXY/faults/img:1"
    [ "$status" -eq 0 ]
    [[ "$output" == *"/manifests/1 -> 503"* ]]
    [[ "$output" == *"/manifests/1 -> 200"* ]]
    [[ "$output" == *"/blobs/sha256:"*" -> 206"* ]]
    [ "$(digest_of "$output")" = "$d" ]
    run hull --root "$R" image verify "$PROXY/faults/img:1"
    [ "$status" -eq 0 ]
}

@test "image referrers: the referrers API or its tag-schema fallback" {
    run hull --root "$T/src" push -q busybox "$REG/ref/busybox:1"
    [ "$status" -eq 0 ]
    local subject=$output
    local c=(-s --cacert "$T/ca.crt" -u alice:wonderland)
    run hull --root "$R" image referrers "$REG/ref/busybox:1"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ] # the header only

    # an artifact (empty config) whose subject is the image, and the fallback index
    local empty='{}' ed="sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    local loc=$(curl "${c[@]}" -X POST -D - -o /dev/null "https://$REG/v2/ref/busybox/blobs/uploads/" |
        sed -n 's/^[Ll]ocation: *//p' | tr -d '\r')
    curl "${c[@]}" -X PUT -H 'Content-Type: application/octet-stream' --data-binary "$empty" \
        "$loc&digest=$ed" -o /dev/null
    local art=$(jq -cn --arg s "$subject" --arg e "$ed" '{schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json", artifactType: "application/vnd.hull.test",
        config: {mediaType: "application/vnd.oci.empty.v1+json", digest: $e, size: 2},
        layers: [{mediaType: "application/vnd.oci.empty.v1+json", digest: $e, size: 2}],
        subject: {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $s, size: $n}}' \
        --argjson n "$(stat -c %s "$T/src/images/blobs/sha256/${subject:7}")")
    local ad="sha256:$(printf %s "$art" | sha256sum | cut -d' ' -f1)"
    curl "${c[@]}" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
        --data-binary "$art" "https://$REG/v2/ref/busybox/manifests/$ad" -o /dev/null
    local idx=$(jq -cn --arg a "$ad" --argjson n "${#art}" '{schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{
        mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $a, size: $n,
        artifactType: "application/vnd.hull.test"}]}')
    curl "${c[@]}" -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
        --data-binary "$idx" "https://$REG/v2/ref/busybox/manifests/sha256-${subject:7}" -o /dev/null

    run hull --root "$R" image referrers --format json "$REG/ref/busybox@$subject"
    [ "$status" -eq 0 ]
    [ "$(jq -r '.[0].digest' <<<"$output")" = "$ad" ]
    run hull --root "$R" image referrers "$REG/ref/busybox:1"
    [ "$status" -eq 0 ]
    [[ "${lines[1]}" == "$ad"*application/vnd.hull.test* ]]
    run hull --root "$R" image referrers --artifact-type application/other "$REG/ref/busybox:1"
    [ "${#lines[@]}" -eq 1 ]
}

@test "bearer tokens: login checks the password at the token server, push and pull use tokens" {
    local f=$BATS_TEST_TMPDIR/auth.json
    run hull --root "$R" login -u alice --password-stdin --authfile "$f" "$TREG" <<<"nope"
    [ "$status" -eq 1 ]
    [[ "$output" == *"registry $TREG: login as alice: wrong username or password"* ]]
    run hull --root "$R" login -u alice --password-stdin --authfile "$f" "$TREG" <<<"wonderland"
    [ "$status" -eq 0 ]

    # anonymous: the token grants nothing, the message says what to do
    run hull --root "$T/src" push busybox "$TREG/tok/busybox:1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"registry $TREG: authentication required (hull login $TREG)"* ]]

    HULL_REGISTRY_DEBUG=1 run hull --root "$T/src" push --authfile "$f" busybox "$TREG/tok/busybox:1"
    [ "$status" -eq 0 ]
    local d=$(digest_of "$output")
    [ "$(grep -c 'registry: GET http://'"$TOKEN"'/token' <<<"$output")" -eq 1 ] # one token, cached
    grep -q '^alice repository:tok/busybox:pull,push valid$' "$T/tokens.log"
    run hull --root "$R" pull -q --authfile "$f" "$TREG/tok/busybox:1"
    [ "$status" -eq 0 ]
    [ "$output" = "$d" ]
    # a mount asks for both scopes in one token
    run hull --root "$R" push --authfile "$f" "$TREG/tok/busybox:1" "$TREG/tok/copy:1"
    [ "$status" -eq 0 ]
    grep -q '^alice repository:tok/copy:pull,push repository:tok/busybox:pull valid$' "$T/tokens.log"
    [[ "$output" == *"Mounted blob"* ]]
}

@test "an expired token is refused by the registry and fetched again, once" {
    local f=$BATS_TEST_TMPDIR/auth.json
    echo wonderland | hull --root "$R" login -u alice --password-stdin --authfile "$f" "$TREG" >/dev/null
    hull --root "$T/src" push -q --authfile "$f" busybox "$TREG/exp/busybox:1" >/dev/null
    touch "$T/expire-next"
    HULL_REGISTRY_DEBUG=1 run hull --root "$R" pull --authfile "$f" "$TREG/exp/busybox:1"
    [ "$status" -eq 0 ]
    [ "$(grep -c "registry: GET http://$TOKEN/token" <<<"$output")" -eq 2 ]
    [[ "$output" == *"/manifests/1 -> 401"* ]]
    [[ "$output" == *"/manifests/1 -> 200"* ]]
    [ "$(tail -n 2 "$T/tokens.log" | cut -d' ' -f3)" = "$(printf 'expired\nvalid')" ]
}

@test "multi-platform index: pick by --platform, keep the index, push it whole with --all-platforms" {
    # a two-platform index made from the embedded busybox (arm64 = same layer, new config)
    local src=$BUILD_DIR/busybox-oci dir=$BATS_TEST_TMPDIR/multi
    mkdir -p "$dir/blobs/sha256"
    cp "$src/oci-layout" "$dir/"
    cp "$src"/blobs/sha256/* "$dir/blobs/sha256/"
    local m=$(jq -r '.manifests[0].digest' "$src/index.json")
    local mj=$src/blobs/sha256/${m:7}
    local cfg=$(jq -r .config.digest "$mj")
    jq -c '.architecture = "arm64" | .variant = "v8"' "$src/blobs/sha256/${cfg:7}" >"$dir/c2"
    local c2=$(sha256sum <"$dir/c2" | cut -d' ' -f1)
    mv "$dir/c2" "$dir/blobs/sha256/$c2"
    jq -c --arg d "sha256:$c2" --argjson s "$(stat -c %s "$dir/blobs/sha256/$c2")" \
        '.config.digest = $d | .config.size = $s' "$mj" >"$dir/m2"
    local m2=$(sha256sum <"$dir/m2" | cut -d' ' -f1)
    local m2size=$(stat -c %s "$dir/m2")
    mv "$dir/m2" "$dir/blobs/sha256/$m2"
    jq -cn --arg a "$m" --argjson asz "$(stat -c %s "$mj")" --arg b "sha256:$m2" --argjson bs "$m2size" \
        '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [
          {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $a, size: $asz,
           platform: {os: "linux", architecture: "amd64"}},
          {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $b, size: $bs,
           platform: {os: "linux", architecture: "arm64", variant: "v8"}}]}' >"$dir/ix"
    local ix=$(sha256sum <"$dir/ix" | cut -d' ' -f1)
    local ixsize=$(stat -c %s "$dir/ix")
    mv "$dir/ix" "$dir/blobs/sha256/$ix"
    jq -cn --arg d "sha256:$ix" --argjson s "$ixsize" '{schemaVersion: 2, manifests: [
        {mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
         annotations: {"org.opencontainers.image.ref.name": "multi"}}]}' >"$dir/index.json"
    skopeo copy -q --all --dest-creds alice:wonderland --dest-cert-dir "$HULL_CERTS_D/$REG" \
        "oci:$dir:multi" "docker://$REG/multi/bb:1"

    run hull --root "$R" pull -q --platform linux/arm64 "$REG/multi/bb:1"
    [ "$status" -eq 0 ]
    [ "$output" = "sha256:$m2" ]
    [ "$(hull --root "$R" image inspect "$REG/multi/bb:1" | jq -r '.[0].Architecture')" = arm64 ]
    [ "$(jq -r --arg m "sha256:$m2" '.images[$m].index' "$R/images/refs.json")" = "sha256:$ix" ]
    # the index digest finds the image (the platform pulled), alone or with the repository
    [ "$(hull --root "$R" image inspect "sha256:$ix" | jq -r '.[0].Digest')" = "sha256:$m2" ]
    [ "$(hull --root "$R" image inspect "$REG/multi/bb@sha256:$ix" | jq -r '.[0].Digest')" = "sha256:$m2" ]
    # only one platform here: push sends that manifest
    run hull --root "$R" push -q "$REG/multi/bb:1" "$REG/multi/one:1"
    [ "$status" -eq 0 ]
    [ "$output" = "sha256:$m2" ]

    local R2=$BATS_TEST_TMPDIR/root2
    run hull --root "$R2" pull -q --all-platforms "$REG/multi/bb:1"
    [ "$status" -eq 0 ]
    [ "$output" = "$m" ]
    # prune keeps the index and the other platform's manifest and config
    run hull --root "$R2" image prune
    [ "$status" -eq 0 ]
    for b in "$ix" "$m2" "$c2"; do [ -f "$R2/images/blobs/sha256/$b" ]; done
    run hull --root "$R2" push -q "$REG/multi/bb:1" "$REG/multi/all:1"
    [ "$status" -eq 0 ]
    [ "$output" = "sha256:$ix" ]
    run skopeo inspect --raw --creds alice:wonderland --cert-dir "$HULL_CERTS_D/$REG" "docker://$REG/multi/all:1"
    [ "$(jq -r '.manifests | length' <<<"$output")" = 2 ]
    [ "$(skopeo inspect --raw --creds alice:wonderland --cert-dir "$HULL_CERTS_D/$REG" \
        "docker://$REG/multi/all:1" | sha256sum | cut -d' ' -f1)" = "$ix" ]
    # save writes the whole index (every platform is here); a load of that archive
    # keeps every platform, so saving again gives the same bytes and push the index
    run hull --root "$R2" save -o "$BATS_TEST_TMPDIR/multi.tar" "$REG/multi/bb:1"
    [ "$status" -eq 0 ]
    tar -xOf "$BATS_TEST_TMPDIR/multi.tar" index.json >"$BATS_TEST_TMPDIR/multi-index.json"
    [ "$(jq -r '.manifests | length' "$BATS_TEST_TMPDIR/multi-index.json")" = 1 ]
    [ "$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/multi-index.json")" = "sha256:$ix" ]
    [ "$(jq -r '.manifests[0].mediaType' "$BATS_TEST_TMPDIR/multi-index.json")" = \
        application/vnd.oci.image.index.v1+json ]
    for b in "$ix" "${m:7}" "$m2" "$c2"; do
        tar -tf "$BATS_TEST_TMPDIR/multi.tar" | grep -qx "blobs/sha256/$b"
    done
    skopeo inspect --raw "oci-archive:$BATS_TEST_TMPDIR/multi.tar" | sha256sum | grep -q "^$ix "
    local R3=$BATS_TEST_TMPDIR/root3
    run hull --root "$R3" load -i "$BATS_TEST_TMPDIR/multi.tar"
    [ "$status" -eq 0 ]
    [ "$(hull --root "$R3" image inspect "$REG/multi/bb:1" | jq -r '.[0].Digest')" = "$m" ]
    [ "$(jq -r --arg m "$m" '.images[$m].index' "$R3/images/refs.json")" = "sha256:$ix" ]
    run hull --root "$R3" save -o "$BATS_TEST_TMPDIR/multi2.tar" "$REG/multi/bb:1"
    [ "$status" -eq 0 ]
    cmp "$BATS_TEST_TMPDIR/multi.tar" "$BATS_TEST_TMPDIR/multi2.tar"
    run hull --root "$R3" push -q "$REG/multi/bb:1" "$REG/multi/reloaded:1"
    [ "$status" -eq 0 ]
    [ "$output" = "sha256:$ix" ]
    # one platform here: save writes that manifest only
    run hull --root "$R" save -o "$BATS_TEST_TMPDIR/one.tar" "$REG/multi/bb:1"
    [ "$status" -eq 0 ]
    [ "$(tar -xOf "$BATS_TEST_TMPDIR/one.tar" index.json | jq -r '.manifests[0].digest')" = "sha256:$m2" ]
    # removing the image takes the index and the other platforms with it
    run hull --root "$R2" rmi "$REG/multi/bb:1"
    [ "$status" -eq 0 ]
    [ -z "$(ls "$R2/images/blobs/sha256")" ]
}

@test "a committed container image pushes, pulls into a fresh root and runs with the change" {
    local run=$BATS_TEST_TMPDIR/run
    hull --root "$T/src" --runroot "$run" run --name committed busybox \
        sh -c 'echo committed-change >/etc/motd; rm /etc/group'
    run hull --root "$T/src" --runroot "$run" commit -m via-registry committed "$REG/app/committed:1"
    [ "$status" -eq 0 ]
    hull --root "$T/src" --runroot "$run" rm committed
    run hull --root "$T/src" push -q "$REG/app/committed:1"
    [ "$status" -eq 0 ]
    local pushed=$output
    run hull --root "$R" pull -q "$REG/app/committed:1"
    [ "$status" -eq 0 ]
    [ "$output" = "$pushed" ]
    run hull --root "$R" image verify "$REG/app/committed:1"
    [ "$status" -eq 0 ]
    run hull --root "$R" --runroot "$run" run --rm "$REG/app/committed:1" \
        sh -c 'cat /etc/motd; ls /etc/group 2>&1; exit 0'
    [ "$status" -eq 0 ]
    [[ "$output" == "committed-change"*"No such file"* ]]
    hull --root "$R" history "$REG/app/committed:1" | grep -q via-registry
}

@test "two processes pulling the same image at once both succeed; one snapshot per layer" {
    hull --root "$T/src" import "$T/tiny.tar" twice:1 >/dev/null
    run hull --root "$T/src" push -q twice:1 "$REG/twice/img:1"
    [ "$status" -eq 0 ]
    local pushed=$output
    hull --root "$R" pull -q "$REG/twice/img:1" >"$BATS_TEST_TMPDIR/a.out" 2>&1 3>&- &
    local p1=$!
    hull --root "$R" pull -q "$REG/twice/img:1" >"$BATS_TEST_TMPDIR/b.out" 2>&1 3>&- &
    local p2=$!
    wait "$p1"
    wait "$p2"
    [ "$(tail -n1 "$BATS_TEST_TMPDIR/a.out")" = "$pushed" ]
    [ "$(tail -n1 "$BATS_TEST_TMPDIR/b.out")" = "$pushed" ]
    [ "$(hull --root "$R" images -q | wc -l)" -eq 1 ]
    # one snapshot per layer, no temp dirs left, every blob verifies
    [ "$(ls "$R/snapshots" | wc -l)" -eq "$(hull --root "$R" image inspect "$REG/twice/img:1" |
        jq '.[0].RootFS.Layers | length')" ]
    ! ls "$R/snapshots" | grep -q tmp
    run hull --root "$R" image verify "$REG/twice/img:1"
    [ "$status" -eq 0 ]
}

@test "kill -9 during a pull: the next pull completes, prune removes what was left" {
    mkdir -p "$BATS_TEST_TMPDIR/big/data"
    head -c $((24 << 20)) /dev/urandom >"$BATS_TEST_TMPDIR/big/data/random"
    hull --root "$T/src" import "$BATS_TEST_TMPDIR/big" big:1 >/dev/null
    run hull --root "$T/src" push -q --tls-verify=false big:1 "$PLAIN/big/img:1"
    [ "$status" -eq 0 ]
    local pushed=$output
    # killed while the layer downloads and unpacks (or just after, on a fast machine)
    timeout -s KILL 0.15 "$HULL" --root "$R" pull -q --tls-verify=false "$PLAIN/big/img:1" >/dev/null 2>&1 3>&- || true
    # whatever was left is no image, and no blob under a wrong name
    for b in "$R"/images/blobs/sha256/*; do
        [ -e "$b" ] || continue
        [ "$(sha256sum <"$b" | cut -d' ' -f1)" = "$(basename "$b")" ]
    done
    run hull --root "$R" pull -q --tls-verify=false "$PLAIN/big/img:1"
    [ "$status" -eq 0 ]
    [ "$output" = "$pushed" ]
    run hull --root "$R" image verify "$PLAIN/big/img:1"
    [ "$status" -eq 0 ]
    run hull --root "$R" image prune
    [ "$status" -eq 0 ]
    ! ls -A "$R/snapshots" | grep -q tmp
    [ "$(ls "$R/snapshots" | wc -l)" -eq 1 ] # one layer: one snapshot
    [ -z "$(ls -A "$R/images/tmp")" ]
}
