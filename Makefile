# AELP2 — build, test, demo, bench.  `make help` lists the targets.
#
# Knobs:  make SANITIZE=address,undefined   build with sanitizers
#         make DEVELOPER=1                   warnings are errors
#         make BUILD=dir BIN=dir             where objects and programs go

VERSION   := 0.1.0
CC        ?= cc
BUILD     ?= build
BIN       ?= bin
PKGS      := jansson gsl libcurl openssl sqlite3

CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Wstrict-prototypes -Wvla -Wwrite-strings -Wshadow -Wformat=2
ifdef DEVELOPER
WARN      += -Werror
endif
# Kept apart from CFLAGS and LDFLAGS so that a CFLAGS given on the command line
# (check-asan gives one) cannot drop them.
ifdef SANITIZE
SAN_CFLAGS  := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=$(SANITIZE)
endif
# Lazy (=): read when a recipe runs, after the deps stamp has installed pkg-config.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DAELP_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) $(SAN_CFLAGS) \
             -Icommon $(PKG_CFLAGS) -MMD -MP
LIBS       = $(PKG_LIBS) -lpthread -lm

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIBAELP    := $(BUILD)/libaelp.a
PROGRAMS   := $(notdir $(wildcard cmd/*))
PROG_BINS  := $(PROGRAMS:%=$(BIN)/%)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/%)

DEB_PACKAGES := build-essential pkg-config libjansson-dev libgsl-dev libcurl4-openssl-dev \
                libssl-dev libsqlite3-dev sqlite3 bats jq

.PHONY: all check check-unit check-cmd check-asan demo nightly weekly bench deps fuzz clean help
.DELETE_ON_ERROR:
.SECONDARY:

all: $(PROG_BINS) $(FUZZ_BINS)

help:
	@echo "make            build every program into $(BIN)/"
	@echo "make check      run every test (C unit tests, then bats)"
	@echo "make check-asan the same under AddressSanitizer + UBSan"
	@echo "make demo       two years of a simulated advertiser through the nightly and weekly flows"
	@echo "make nightly    the nightly flow for yesterday (DAY=YYYY-MM-DD for another day)"
	@echo "make weekly     the weekly flow for the week ending yesterday (or DAY)"
	@echo "make bench      benchmarks, as ratios against their peers"
	@echo "make deps       install the Debian packages the build and tests need"
	@echo "make fuzz       libFuzzer builds of tests/fuzz/ (needs clang)"

# The build pulls in what it needs: the first build runs `make deps` once.
$(BUILD)/.deps-ok:
	@mkdir -p $(BUILD)
	@$(MAKE) --no-print-directory deps
	@touch $@

$(BUILD)/%.o: %.c | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBAELP): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

# One program per folder: every .c under cmd/NAME/ links into $(BIN)/NAME.
define program_rule
$(BIN)/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/$(1)/*.c)) $(LIBAELP)
	@mkdir -p $(BIN)
	$$(CC) $$(LDFLAGS) $$(SAN_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBAELP)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $^ $(LIBS)

# A unit test named after a program (tests/unit/test_NAME.c, or
# test_NAME_PART.c for a second file) also links that program's model: every
# .c of cmd/NAME/ but main.c.
define program_unit_rule
$(BUILD)/tests/$(2): $(BUILD)/tests/unit/$(2).o \
		$(patsubst %.c,$(BUILD)/%.o,$(filter-out cmd/$(1)/main.c,$(wildcard cmd/$(1)/*.c))) $(LIBAELP)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) $$(SAN_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach p,$(PROGRAMS),$(foreach t,$(wildcard tests/unit/test_$(p).c tests/unit/test_$(p)_*.c),\
	$(eval $(call program_unit_rule,$(p),$(basename $(notdir $(t)))))))

# Fuzz targets always build (so they cannot rot) as programs that replay files.
$(BUILD)/tests/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(LIBAELP)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(SAN_LDFLAGS) -o $@ $^ $(LIBS)

# Coverage-guided fuzzing with clang's libFuzzer: make fuzz, then
#   build/fuzz/fuzz_row -max_total_time=60 tests/fixtures/tables
fuzz:
	@command -v clang >/dev/null || { echo "fuzz: needs clang (apt-get install clang)"; exit 2; }
	$(MAKE) CC=clang BUILD=build/fuzz BIN=build/fuzz/bin \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
		LDFLAGS="-fsanitize=address,undefined" build/fuzz/libaelp.a
	@for f in $(FUZZ_SRC); do \
	  n=$$(basename $$f .c); \
	  echo "clang $$f -> build/fuzz/$$n"; \
	  clang -std=c11 -D_GNU_SOURCE -DAELP_LIBFUZZER -O1 -g -Icommon \
	    -fsanitize=fuzzer,address,undefined -o build/fuzz/$$n $$f build/fuzz/libaelp.a $(LIBS) || exit 1; \
	done

check: $(PROG_BINS) $(UNIT_BINS) $(FUZZ_BINS)
	AELP_BIN=$(abspath $(BIN)) tests/run.sh $(UNIT_BINS) \
		"$(BUILD)/tests/fuzz_row tests/fixtures/tables/*.ndjson" \
		"$(BUILD)/tests/fuzz_jscan tests/fixtures/tables/*.ndjson" -- tests/cmd tests/mmm tests/flows

check-unit: $(UNIT_BINS)
	tests/run.sh $(UNIT_BINS) --

check-cmd: $(PROG_BINS)
	AELP_BIN=$(abspath $(BIN)) tests/run.sh -- tests/cmd tests/mmm tests/flows

check-asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin SANITIZE=address,undefined \
		CFLAGS="-O1 -g" check

demo: $(PROG_BINS)
	AELP_BIN=$(abspath $(BIN)) pipelines/demo.sh

nightly: $(PROG_BINS)
	AELP_BIN=$(abspath $(BIN)) pipelines/nightly.sh $(DAY)

weekly: $(PROG_BINS)
	AELP_BIN=$(abspath $(BIN)) pipelines/weekly.sh $(DAY)

bench: $(PROG_BINS)
	AELP_BIN=$(abspath $(BIN)) tests/bench/run.sh

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: every package is installed"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
	  echo "deps: missing:$$missing"; echo "run: sudo apt-get install -y$$missing"; exit 1; \
	fi

clean:
	rm -rf $(BUILD) $(BIN)

-include $(COMMON_OBJ:.o=.d) $(wildcard $(BUILD)/cmd/*/*.d) $(wildcard $(BUILD)/tests/*/*.d)
