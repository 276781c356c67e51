# Atrium — build, run, test.
#
#   make run    install missing Debian packages, build, migrate, serve on 127.0.0.1:8080
#   make test   the whole suite (unit, HTTP on SQLite and PostgreSQL, browser,
#               meta-test, OpenAPI lint, fuzz smoke) under ASan + UBSan
#   make bench  the load benchmark (see bench/README.md)
#
# Packages come from Debian (and npm for test tooling); `make deps` installs
# what is missing and is idempotent.

CC      ?= cc
CXX     ?= g++
BUILD   := build
PKGS    := libmicrohttpd jansson libsodium sqlite3 libpq libcurl libqrencode liboath \
	libpng libxml-2.0 gdk-pixbuf-2.0 icu-i18n icu-uc gmime-3.0 \
	cairo pangocairo pangoft2 fontconfig librsvg-2.0 \
	xlsxwriter \
	zlib \
	libzip \
	expat
CFLAGS_COMMON := -std=c11 -Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2 \
	-Wno-unused-parameter -Wno-missing-field-initializers -fno-strict-aliasing -pthread -Isrc/core -Isrc \
	-I$(BUILD)/gen
CFLAGS  ?= -O2 -g
# C++ is only for thin wrappers over header-only C++ libraries (src/core/tmpl.cc
# over kainjow/Mustache) behind a C interface; the program links libstdc++.
CXXFLAGS_COMMON := -std=c++17 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-Wno-unused-parameter -Wno-missing-field-initializers -fno-strict-aliasing -pthread -Isrc/core -Isrc
CXXFLAGS ?= $(CFLAGS)
LDLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lzxcvbn -lcsv -lstdc++ -pthread -lm
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# The builds that make run, make test and make cluster-test start use every
# core (a plain `make test` would otherwise compile one file at a time).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# Debian packages: build, run and test. deps-test adds what only tests need.
DEB_BUILD := build-essential g++ pkg-config libmicrohttpd-dev libjansson-dev \
	libsodium-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev \
	libzxcvbn-dev libqrencode-dev liboath-dev libpng-dev libxml2-dev \
	libgdk-pixbuf-2.0-dev libicu-dev libgmime-3.0-dev libcairo2-dev \
	libpango1.0-dev libfontconfig-dev fonts-dejavu-core librsvg2-dev \
	libkainjow-mustache-dev python3 python3-yaml \
	libxlsxwriter-dev \
	zlib1g-dev \
	libzip-dev \
	libexpat1-dev \
	libcsv-dev \
	postgresql-client
DEB_TEST  := clang libclang-rt-14-dev postgresql nodejs chromium \
	prometheus wrk sqlite3 python3-aiosmtpd oathtool nginx openssl \
	poppler-utils unzip
# HAProxy: only for make cluster-test (several nodes behind it).
DEB_TEST += haproxy

SRC  := $(shell find src -name '*.c' ! -path 'src/main.c' | sort) \
	$(shell find src -name '*.cc' | sort)
# objs DIR,SOURCES: the object file of each .c and .cc source under DIR.
objs = $(patsubst %.cc,$(1)/%.o,$(patsubst %.c,$(1)/%.o,$(2)))
MAIN := src/main.c
HDRS := $(shell find src -name '*.h')
MIGRATIONS := $(sort $(wildcard migrations/sqlite/*.sql migrations/pg/*.sql))
WEB  := $(shell find web -type f 2>/dev/null | sort)
GEN  := $(BUILD)/gen/embedded.c

.PHONY: all run deps deps-test test test-unit test-fuzz lint-openapi bench clean

all: $(BUILD)/atrium

# --- dependencies -----------------------------------------------------------
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(DEB_BUILD))

# Postfix is only for tests/http/postfix.test.mjs, which runs a throwaway
# instance of its own (postfix -c DIR). Preseeded "No configuration": Debian's
# package then writes no /etc/postfix/main.cf, and without it neither the init
# script nor postfix.service starts a system mail server on port 25. Not
# installed over another mail server (it would replace it): the test skips.
deps-test: deps
	$(call apt_install,$(DEB_TEST))
	@command -v npm >/dev/null || { $(SUDO) apt-get install -y -qq npm >/dev/null; }
	@if dpkg-query -W -f='$${Status}\n' postfix 2>/dev/null | grep -q 'install ok installed'; then :; \
	elif [ -e /usr/sbin/sendmail ]; then \
		echo "not installing postfix: another mail server is installed; tests/http/postfix.test.mjs will skip"; \
	else \
		echo "installing Debian packages: postfix"; \
		echo 'postfix postfix/main_mailer_type select No configuration' | $(SUDO) debconf-set-selections && \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null; \
	fi

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# --- build ------------------------------------------------------------------
$(BUILD)/embed: tools/embed.c
	@mkdir -p $(BUILD)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/gen/openapi.json: docs/openapi.yaml tools/yaml2json.py
	@mkdir -p $(BUILD)/gen
	/usr/bin/python3 tools/yaml2json.py $< $@

$(GEN): $(BUILD)/embed $(MIGRATIONS) $(WEB) $(BUILD)/gen/openapi.json
	@mkdir -p $(BUILD)/gen
	$(BUILD)/embed $@ $(MIGRATIONS) $(WEB) $(BUILD)/gen/openapi.json

$(BUILD)/obj/%.o: %.c $(HDRS) | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.cc $(HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_COMMON) $(PKG_CFLAGS) $(CXXFLAGS) -c -o $@ $<

$(BUILD)/atrium: $(call objs,$(BUILD)/obj,$(SRC) $(MAIN) $(GEN))
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The sanitizer build used by every test.
$(BUILD)/san/obj/%.o: %.c $(HDRS) | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(PKG_CFLAGS) -O1 -g $(SAN) -c -o $@ $<

$(BUILD)/san/obj/%.o: %.cc $(HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS_COMMON) $(PKG_CFLAGS) -O1 -g $(SAN) -c -o $@ $<

$(BUILD)/san/atrium: $(call objs,$(BUILD)/san/obj,$(SRC) $(MAIN) $(GEN))
	$(CC) -g $(SAN) -o $@ $^ $(LDLIBS)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
$(BUILD)/san/unit: $(UNIT_SRC) $(wildcard tests/unit/*.h) $(call objs,$(BUILD)/san/obj,$(SRC) $(GEN))
	$(CC) $(CFLAGS_COMMON) $(PKG_CFLAGS) -Itests/unit -O1 -g $(SAN) -o $@ \
		$(UNIT_SRC) tests/unit/unit_main.c \
		$(call objs,$(BUILD)/san/obj,$(SRC) $(GEN)) $(LDLIBS)

# --- run --------------------------------------------------------------------
ATRIUM_DB ?= sqlite:./var/atrium.db
run: deps
	@$(MAKE) -j$(JOBS) --no-print-directory $(BUILD)/atrium
	@mkdir -p var
	$(BUILD)/atrium migrate --db $(ATRIUM_DB)
	exec $(BUILD)/atrium serve --listen 127.0.0.1:8080 --db $(ATRIUM_DB)

# --- test -------------------------------------------------------------------
test: deps-test
	@$(MAKE) -j$(JOBS) --no-print-directory $(BUILD)/atrium $(BUILD)/san/atrium $(BUILD)/san/unit node_modules/.installed
	@scripts/test-all

# Three nodes on one PostgreSQL behind HAProxy (tests/cluster/README.md);
# also a step of make test.
.PHONY: cluster-test
cluster-test: deps-test
	@$(MAKE) -j$(JOBS) --no-print-directory $(BUILD)/san/atrium node_modules/.installed
	@scripts/cluster-test

test-unit: $(BUILD)/san/unit
	$(BUILD)/san/unit

lint-openapi: node_modules/.installed
	npx --no-install redocly lint --format=stylish docs/openapi.yaml

# Fuzz targets link the whole program but main.c, compiled once by clang
# with the fuzzer's coverage and the sanitizers. One target per parser.
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS := $(CFLAGS_COMMON) $(PKG_CFLAGS) -O1 -g \
	-fsanitize=fuzzer-no-link,address,undefined
$(BUILD)/fuzz/obj/%.o: %.c $(HDRS) | $(GEN)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c -o $@ $<
$(BUILD)/fuzz/obj/%.o: %.cc $(HDRS)
	@mkdir -p $(dir $@)
	clang++ $(CXXFLAGS_COMMON) $(PKG_CFLAGS) -O1 -g \
		-fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<
FUZZ_OBJ := $(call objs,$(BUILD)/fuzz/obj,$(SRC) $(GEN))
# Kept between runs: make would delete them as intermediate files of the
# pattern chain and compile the whole fuzz build again each time.
.SECONDARY: $(FUZZ_OBJ)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(BUILD)/fuzz
	clang $(CFLAGS_COMMON) $(PKG_CFLAGS) -O1 -g \
		-fsanitize=fuzzer,address,undefined -fsanitize-link-c++-runtime \
		-o $@ $< $(FUZZ_OBJ) $(LDLIBS)

test-fuzz: $(FUZZERS)
	scripts/fuzz-smoke

# The job runner's throughput (bench/jobs_bench.c), on the optimised objects.
$(BUILD)/bench_jobs: bench/jobs_bench.c $(call objs,$(BUILD)/obj,$(SRC) $(GEN))
	$(CC) $(CFLAGS_COMMON) $(PKG_CFLAGS) $(CFLAGS) -o $@ $< \
		$(call objs,$(BUILD)/obj,$(SRC) $(GEN)) $(LDLIBS)

bench: deps-test
	@$(MAKE) --no-print-directory $(BUILD)/atrium $(BUILD)/bench_jobs
	bench/run
	bench/custom_fields

clean:
	rm -rf $(BUILD)
