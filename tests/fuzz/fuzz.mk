# tests/fuzz/fuzz.mk — fuzzing, included by the Makefile (`include tests/fuzz/fuzz.mk`).
#
#   make fuzz                 each target for FUZZ_SECONDS (60) with libFuzzer (clang)
#   make fuzz FUZZ_TARGETS="http json_record" FUZZ_SECONDS=600
#   make fuzz-merge           adds the inputs that reach the most new code to tests/fuzz/corpus/
#   make fuzz-replay-build    the targets without libFuzzer (CC, any), for `make test`
#   make fuzz-replay          builds them and replays the corpus and the crashes
#   make fuzz-deps            installs clang and libFuzzer (Debian packages)
#   make fuzz-clean
#
# FUZZ_KNOWN="id,..." (environment) lets a long run go past known findings whose fix is
# pending (see the targets' fuzz_known calls); the replay never honours it.
#
# libFuzzer builds live in build-fuzz/: the engine compiled again with clang and
# -fsanitize=fuzzer-no-link,address,undefined (engine/main.c left out), each target
# linked with -fsanitize=fuzzer. New inputs go to build-fuzz/corpus/<target>/ (scratch,
# not committed); crashes to tests/fuzz/crashes/<target>/, where `make test` replays
# them. The replay builds use the engine objects of $(BUILD) (build-asan under
# `make test`) and tests/fuzz/replay_main.c instead of libFuzzer.

FUZZ_ALL      := http urlencoded json_record list_query definition netaddr local_path
FUZZ_TARGETS  ?= $(FUZZ_ALL)
# Linked into every target (fuzz.h, fixture.h).
FUZZ_SHARED   := common fixture
FUZZ_SECONDS  ?= 60
FUZZ_FLAGS    ?=
FUZZ_CC       ?= clang
FUZZ_BUILD    ?= build-fuzz
FUZZ_DEB_PKGS := clang libclang-rt-14-dev

# Where the targets find tests/apps and stdlib-lua when run from elsewhere.
FUZZ_DEFS     := -DFUZZ_ROOT='"$(CURDIR)"'
# clang's -Wformat-nonliteral also fires on v*printf wrappers that gcc accepts.
FUZZ_WARN     := $(WARN) -Wno-format-nonliteral
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   := $(FUZZ_WARN) -D_GNU_SOURCE $(PKG_CFLAGS) -Iengine -Itests/fuzz -O1 -g \
                 $(FUZZ_SAN) -MMD -MP

FUZZ_ENGINE_OBJS := $(filter-out $(FUZZ_BUILD)/engine/main.o, \
                      $(SRCS:engine/%.c=$(FUZZ_BUILD)/engine/%.o) \
                      $(FUZZ_BUILD)/gen/web_assets.o) $(FUZZ_BUILD)/geo/geo_data.o
FUZZ_BINS        := $(FUZZ_ALL:%=$(FUZZ_BUILD)/fuzz/%)
FUZZ_REPLAY_BINS := $(FUZZ_ALL:%=$(BUILD)/fuzz/%)

.PHONY: fuzz fuzz-build fuzz-merge fuzz-deps fuzz-clean fuzz-replay-build fuzz-replay

# The Makefile's deps, then clang and libFuzzer: installed when root, else named.
fuzz-deps: deps
	@missing=""; for p in $(FUZZ_DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || \
	    missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# ---- libFuzzer builds (clang)

$(FUZZ_BUILD)/engine/%.o: engine/%.c | $(FUZZ_BUILD)/engine
	@echo "  FUZZCC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FILE_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/gen/%.o: $(FUZZ_BUILD)/gen/%.c
	@echo "  FUZZCC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/geo/%.o: geo/%.c
	@echo "  FUZZCC $@"
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz/%.o: tests/fuzz/%.c | $(FUZZ_BUILD)/fuzz
	@echo "  FUZZCC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_DEFS) -fsanitize=fuzzer-no-link -c -o $@ $<

# Static pattern rules: the objects stay (plain pattern rules would delete them as
# intermediate files after each link).
$(FUZZ_BINS): $(FUZZ_BUILD)/fuzz/%: $(FUZZ_BUILD)/fuzz/%.o $(FUZZ_SHARED:%=$(FUZZ_BUILD)/fuzz/%.o) \
              $(FUZZ_ENGINE_OBJS)
	@echo "  FUZZLD $@"
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS)

$(FUZZ_BUILD)/engine $(FUZZ_BUILD)/fuzz:
	@mkdir -p $@

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz/%)

# One target after the other, each for FUZZ_SECONDS; stops at the first that crashes
# (the reproducer is in tests/fuzz/crashes/<target>/). Dictionaries are used when present.
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t tests/fuzz/crashes/$$t || exit 1; \
	  dict=""; [ -f tests/fuzz/$$t.dict ] && dict="-dict=tests/fuzz/$$t.dict"; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=30 -print_final_stats=1 \
	    -artifact_prefix=tests/fuzz/crashes/$$t/ $$dict $(FUZZ_FLAGS) \
	    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# What the runs found that reaches the most new code joins the committed corpus: at
# most FUZZ_MERGE_MAX inputs per target (merge.sh; keep the run's FUZZ_KNOWN). Review
# them before committing.
FUZZ_MERGE_MAX ?= 20
fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  [ -d $(FUZZ_BUILD)/corpus/$$t ] || continue; \
	  echo "== merge $$t"; \
	  tests/fuzz/merge.sh $(FUZZ_BUILD)/fuzz/$$t $$t $(FUZZ_BUILD)/corpus/$$t \
	    $(FUZZ_MERGE_MAX) || exit 1; \
	done

# ---- replay builds (CC, no libFuzzer): make test uses them with BUILD=build-asan

$(BUILD)/fuzz/%.o: tests/fuzz/%.c | $(BUILD)/fuzz
	@echo "  CC    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/fuzz $(FUZZ_DEFS) -c -o $@ $<

$(FUZZ_REPLAY_BINS): $(BUILD)/fuzz/%: $(BUILD)/fuzz/%.o $(FUZZ_SHARED:%=$(BUILD)/fuzz/%.o) \
                    $(BUILD)/fuzz/replay_main.o $(LIB_OBJS)
	@echo "  LD    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/fuzz:
	@mkdir -p $@

fuzz-replay-build: $(FUZZ_REPLAY_BINS)

# The replay alone, on $(BUILD); as make test runs it:
#   make fuzz-replay BUILD=build-asan SANITIZE=address,undefined CFLAGS="-O1 -g"
fuzz-replay: deps
	@$(MAKE) --no-print-directory fuzz-replay-build
	@tests/fuzz/replay.sh $(BUILD)

fuzz-clean:
	rm -rf $(FUZZ_BUILD) build/fuzz build-asan/fuzz

-include $(FUZZ_ALL:%=$(FUZZ_BUILD)/fuzz/%.d) $(FUZZ_SHARED:%=$(FUZZ_BUILD)/fuzz/%.d) \
         $(FUZZ_ENGINE_OBJS:.o=.d) $(FUZZ_ALL:%=$(BUILD)/fuzz/%.d) \
         $(FUZZ_SHARED:%=$(BUILD)/fuzz/%.d) $(BUILD)/fuzz/replay_main.d
