# hull: top-level wrapper around Meson + Ninja.
#   make          build into build/
#   make deps     install the Debian packages the build and tests need (idempotent)
#   make demo     deps + build + run a container from the embedded busybox image
#   make check    deps + build + every test; last line "N passed, N failed"

BUILD ?= build
ASAN_BUILD ?= build-asan
MESON ?= meson

DEPS = build-essential pkg-config meson ninja-build clang \
	libjansson-dev libseccomp-dev libcap-dev libmd-dev libssl-dev libsqlite3-dev libcmocka-dev libarchive-dev libzstd-dev libacl1-dev nettle-dev libisal-dev \
	libcurl4-openssl-dev apache2-utils curl openssl \
	bats busybox-static jq python3 iproute2 uidmap procps util-linux \
	crun runc podman hyperfine time \
	criu containerd docker.io docker-registry skopeo umoci containernetworking-plugins lynis \
	zlib1g-dev libxml2-utils attr sqlite3 iptables tini libmicrohttpd-dev libnftables-dev

.PHONY: all build asan deps demo check test unit integration bench clean fuzz

all: build

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD)

asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

$(ASAN_BUILD)/build.ninja:
	$(MESON) setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false

# Installs only what is missing, so a second run does no network I/O. A
# temporary policy-rc.d keeps package scripts from starting daemons (dockerd,
# containerd, the registry): tests start their own, with private roots.
deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		policy=/usr/sbin/policy-rc.d; made=; \
		if [ ! -e $$policy ]; then printf '#!/bin/sh\nexit 101\n' > $$policy; chmod +x $$policy; made=1; fi; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; rc=$$?; \
		[ -z "$$made" ] || rm -f $$policy; [ $$rc -eq 0 ] || exit $$rc; \
	else echo "deps: all installed"; fi

demo: deps build
	@tests/demo.sh $(BUILD)

check: deps build asan
	@tests/run-all.sh $(BUILD) $(ASAN_BUILD)

test: check

bench: build
	bench/runtime.sh $(BUILD)

fuzz:
	CC=clang $(MESON) setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-fuzz

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
