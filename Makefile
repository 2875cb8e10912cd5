# smallapps — build, run, test, bench.
#   make            build ./smallapps
#   make run        build and serve apps/ on 127.0.0.1:8080 (data in ./data)
#   make test       unit + HTTP tests, then under ASan+UBSan, then on PostgreSQL
#   make bench      load test against the baseline (needs wrk)
#   make asan       sanitizer build in build-asan/
#   make lint       clang-format and clang-tidy over engine/ (part of make test)
#   make geo        regenerate geo/geo_data.c from @etalab/decoupage-administratif (npm)
#
# Every entry point installs or names the Debian packages first (deps), then builds in
# a sub-make: pkg-config's flags are read after the packages are there, and `make -j`
# never compiles before the dependency step has finished.

SHELL   := /bin/bash
CC      ?= cc
BUILD   ?= build
PKGS    := lua5.4 sqlite3 libmicrohttpd jansson libargon2 libsodium libcurl libpq libmagic ldap zlib
DEB_PKGS := pkg-config liblua5.4-dev libsqlite3-dev libmicrohttpd-dev libjansson-dev \
            libargon2-dev libsodium-dev libcurl4-openssl-dev libmagic-dev zlib1g-dev libcmocka-dev python3 lua5.4 wrk \
            libpq-dev postgresql haproxy clang-format clang-tidy libldap-dev slapd ldap-utils \
            nodejs chromium default-jre-headless poppler-utils
# The browser tests' npm tools (tests/browser/package-lock.json): playwright-core drives
# Debian's chromium, axe-core and the Nu HTML Checker (vnu-jar, run by Debian's Java).
BROWSER_MODULES := tests/browser/node_modules/.package-lock.json

CFLAGS  ?= -O2 -g
WARN    := -std=c17 -pedantic -Wall -Wextra -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wwrite-strings -Werror
ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(WARN) -D_GNU_SOURCE $(PKG_CFLAGS) -Iengine $(CFLAGS) -MMD -MP
LIBS       = $(PKG_LIBS) -lpthread -lm

SRCS      := $(wildcard engine/*.c)
# web/ (the pages' script) embedded as C arrays by tools/embed.sh: the binary serves it.
WEB_FILES := $(sort $(wildcard web/*))
GEN_OBJS   = $(BUILD)/gen/web_assets.o
# The French administrative divisions: generated C (make geo), compiled like the engine.
GEO_OBJ   := $(BUILD)/geo/geo_data.o
OBJS      := $(SRCS:engine/%.c=$(BUILD)/engine/%.o) $(GEN_OBJS) $(GEO_OBJ)
LIB_OBJS  := $(filter-out $(BUILD)/engine/main.o,$(OBJS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps build run test test-fast test-pg unit unit-build http asan bench lint clean geo
all: deps
	@$(MAKE) --no-print-directory build

build: smallapps

# The dependency step: install what is missing when root, otherwise say how.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi; \
	if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null || exit 1; \
	  else \
	    echo "npm is missing; run: sudo apt-get install -y npm"; exit 1; \
	  fi; \
	fi
	@$(MAKE) --no-print-directory $(BROWSER_MODULES)

# Debian's Java runs vnu.jar: the package's script that downloads one is not run.
$(BROWSER_MODULES): tests/browser/package.json tests/browser/package-lock.json
	@echo "  NPM   tests/browser"
	$(Q)cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

smallapps: $(BUILD)/smallapps
	@ln -sf $(BUILD)/smallapps smallapps

# V=1 shows the commands.
Q := $(if $(V),,@)

$(BUILD)/smallapps: $(OBJS)
	@echo "  LD    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/engine/%.o: engine/%.c | $(BUILD)/engine
	@echo "  CC    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

%/gen/web_assets.c: $(WEB_FILES) tools/embed.sh
	@mkdir -p $(@D)
	$(Q)tools/embed.sh $(WEB_FILES) > $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	@echo "  CC    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) | $(BUILD)/tests
	@echo "  CC    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS) -lcmocka

$(BUILD)/geo/%.o: geo/%.c | $(BUILD)/geo
	@echo "  CC    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/engine $(BUILD)/tests $(BUILD)/geo:
	@mkdir -p $@

# Regenerates geo/geo_data.c from the latest @etalab/decoupage-administratif (npm pack
# into a temporary folder); GEO_VERSION=x.y.z for another one.
geo:
	python3 tools/geo.py --out geo/geo_data.c $(if $(GEO_VERSION),--version $(GEO_VERSION))

# smallapps.fr_natif for plain lua5.4 (tests/lua, tests/apps): validate.c's French checks
# as a Lua C module, the one the sandbox preloads. Built without sanitizers, whatever
# SANITIZE says: the lua5.4 that loads it is not instrumented. Not linked with Lua.
FR_NATIF      := $(BUILD)/lua/smallapps/fr_natif.so
FR_NATIF_OBJS := $(patsubst %,$(BUILD)/lua/obj/%.o,sandbox_fr validate validate_geo validate_repeat geo geo_data \
                   record lmatch util buf)
SO_CFLAGS      = $(filter-out -fsanitize% -fno-sanitize%,$(ALL_CFLAGS)) -fPIC

$(FR_NATIF): $(FR_NATIF_OBJS)
	@echo "  LD    $@"
	@mkdir -p $(@D)
	$(Q)$(CC) -shared -o $@ $^ $(shell pkg-config --libs jansson libsodium) -lpthread -lm

$(BUILD)/lua/obj/%.o: engine/%.c
	@echo "  CC    $@"
	@mkdir -p $(@D)
	$(Q)$(CC) $(SO_CFLAGS) -c -o $@ $<

$(BUILD)/lua/obj/geo_data.o: geo/geo_data.c
	@echo "  CC    $@"
	@mkdir -p $(@D)
	$(Q)$(CC) $(SO_CFLAGS) -c -o $@ $<

-include $(FR_NATIF_OBJS:.o=.d)

# Where `make run` listens: make run LISTEN=127.0.0.1:9090
LISTEN ?= 127.0.0.1:8080
EXAMPLE_APPS := vaccins ponts-sete reclamations

run: all
	@mkdir -p data
	@# the accessibility statement shows the automated checks of the last make test
	@[ ! -f $(BUILD)/accessibilite-tests.json ] || cp $(BUILD)/accessibilite-tests.json data/
	./$(BUILD)/smallapps demo --apps apps --data data $(EXAMPLE_APPS)
	./$(BUILD)/smallapps serve --apps apps --data data --listen $(LISTEN)

unit: deps
	@$(MAKE) --no-print-directory unit-build
unit-build: $(BUILD)/smallapps $(UNIT_BINS) $(FR_NATIF)
http: all

# Lint, then the whole suite on the normal build (SQLite files), again under ASan+UBSan,
# and again on PostgreSQL (a throw-away server that tests/pg.sh starts and removes).
test: deps
	@$(MAKE) --no-print-directory lint-run
	@$(MAKE) --no-print-directory unit-build BUILD=build
	@$(MAKE) --no-print-directory unit-build BUILD=build-asan SANITIZE=address,undefined CFLAGS="-O1 -g"
	@$(MAKE) --no-print-directory fuzz-replay-build BUILD=build-asan SANITIZE=address,undefined CFLAGS="-O1 -g"
	@tests/run.sh build build-asan build:pg

# The suite once, on the normal build only (quick local loop); test-pg: on PostgreSQL.
test-fast: deps
	@$(MAKE) --no-print-directory unit-build BUILD=build
	@tests/run.sh build

test-pg: deps
	@$(MAKE) --no-print-directory unit-build BUILD=build
	@tests/run.sh build:pg

asan: deps
	@$(MAKE) --no-print-directory unit-build BUILD=build-asan SANITIZE=address,undefined CFLAGS="-O1 -g"

# SQLite (with the baseline), one engine on PostgreSQL, two behind haproxy; side by side;
# then lists, search, the dashboard and the export at 1,000 and 1,000,000 records.
bench: all
	@$(MAKE) --no-print-directory $(BUILD)/baseline
	@BENCH_OUT=$(BUILD)/bench/sqlite BENCH_BACKEND=sqlite bench/run.sh $(BUILD)
	@BENCH_OUT=$(BUILD)/bench/pg BENCH_BACKEND=pg bench/run.sh $(BUILD)
	@BENCH_OUT=$(BUILD)/bench/pg2 BENCH_BACKEND=pg2 bench/run.sh $(BUILD)
	@BENCH_OUT=$(BUILD)/bench/scale-sqlite BENCH_BACKEND=sqlite bench/scale.sh $(BUILD)
	@BENCH_OUT=$(BUILD)/bench/scale-pg BENCH_BACKEND=pg bench/scale.sh $(BUILD)
	@bench/compare.py $(BUILD)/bench

# Formatting (.clang-format, applied to all of engine/) and clang-tidy with the checks
# that find bugs here without noise: bugprone-* but the style-only ones and those that
# misread jansson's macros or arrays of pointers; performance-*; cert's atoi and rand.
ENGINE_FILES := $(wildcard engine/*.c engine/*.h)
TIDY_CHECKS  := -*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-narrowing-conversions,$\
                -bugprone-reserved-identifier,-bugprone-assignment-in-if-condition,$\
                -bugprone-implicit-widening-of-multiplication-result,-bugprone-sizeof-expression,$\
                -bugprone-branch-clone,-bugprone-signed-char-misuse,performance-*,$\
                cert-err34-c,cert-msc30-c,cert-msc32-c
lint: deps
	@$(MAKE) --no-print-directory lint-run

.PHONY: lint-run
lint-run:
	@echo "  LINT  clang-format"
	-$(Q)clang-format --dry-run --Werror $(ENGINE_FILES) 2>&1 | head -40; exit $${PIPESTATUS[0]}
	@echo "  LINT  clang-tidy"
	$(Q)printf '%s\n' $(filter %.c,$(ENGINE_FILES)) | \
	  xargs -P2 -n8 sh -c 'clang-tidy --quiet --checks="$$0" --warnings-as-errors="*" "$$@" -- \
	  $(WARN) -D_GNU_SOURCE $(PKG_CFLAGS) -Iengine' '$(TIDY_CHECKS)' 2>&1 | \
	  grep -v 'warnings\? generated'; exit $${PIPESTATUS[1]}

$(BUILD)/baseline: bench/baseline.c | $(BUILD)/engine
	$(CC) $(WARN) -D_GNU_SOURCE -O2 $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS) -lpthread

clean:
	rm -rf build build-asan smallapps

-include $(OBJS:.o=.d) $(UNIT_BINS:=.d)
include tests/fuzz/fuzz.mk
