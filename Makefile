# sluice: make | make test | make demo | make bench | make install | make clean
# Quiet unless V=1.

.DELETE_ON_ERROR:
.DEFAULT_GOAL := all
# Keep objects built through pattern chains (tests, tools): no rebuilds.
.SECONDARY:
.SUFFIXES:

V ?= 0
ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PREFIX   ?= /usr/local
DESTDIR  ?=
SYSCONFDIR ?= /etc
UNITDIR  ?= $(PREFIX)/lib/systemd/system
BUILD    := build

ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

# clang -target bpf does not search the multiarch include dir, where
# Debian keeps asm/types.h: derive clang's own system dirs and add them
# with -idirafter (the libbpf-bootstrap way).
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

# -DSL_ABI_NEXT: the upgrade test's second build (see abi-next below).
ABI_DEFS ?=

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -Wall -Werror $(ABI_DEFS) \
	-D__TARGET_ARCH_$(ARCH) -Iinclude -Ibpf $(CLANG_BPF_SYS_INCLUDES)

CFLAGS   ?= -O2 -g
CFLAGS   += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser \
	    -I$(BUILD) -Itests/lib $(ABI_DEFS)
LDLIBS   := -lbpf -lelf -lz -lyaml -ljson-c -lmicrohttpd -lhiredis -lm -lpthread

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_HDRS  := $(wildcard bpf/lib/*.h) $(wildcard include/*.h)
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# user/<subsystem>/*.c is a library except the two mains; every binary
# links it.  Headers are included by subsystem: "kern/apply.h".
USER_MAINS := user/daemon/sluiced.c user/ctl/sluicectl.c
USER_HDRS  := $(wildcard user/*/*.h)
LIB_SRCS   := $(filter-out $(USER_MAINS),$(wildcard user/*/*.c))
LIB_OBJS   := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
LIB        := $(BUILD)/libsluice.a
BINS       := $(BUILD)/sluiced $(BUILD)/sluicectl
# Alert rules, dashboard and example scrape config (tools/monitoring/).
MONITORING_FILES := $(addprefix tools/monitoring/,sluice.rules.yml sluice-dashboard.json prometheus.yml \
	sluice-degrade.rules.yml alertmanager.yml)

TEST_LIB_OBJS := $(BUILD)/tests/lib/test.o
UNIT_TESTS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_*.c))
BPF_TEST_LIB  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/bpf/lib/*.c))
BPF_TESTS     := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(wildcard tests/bpf/test_*.c))
# bpf/ holds what is installed; the bench tools and their programs
# have their own rules next to them.
include tools/bench/bench.mk

# Every header compiles on its own (it includes what it uses): BPF
# headers for the BPF target, include/ for both sides.
HDR_CHECKS := $(patsubst %,$(BUILD)/hdrcheck/%.bpf.ok,$(wildcard bpf/lib/*.bpf.h) $(wildcard include/*.h)) \
	      $(patsubst %,$(BUILD)/hdrcheck/%.cc.ok,$(wildcard include/*.h))

.PHONY: all deps headers test test-unit test-bpf test-monitoring test-netns demo bench install clean \
	abi-next abi-next-sluiced

all: headers $(BPF_OBJS) $(SKELS) $(BINS) $(UNIT_TESTS) $(BPF_TESTS) $(TOOLS) \
	$(if $(ABI_DEFS),,abi-next)

headers: $(HDR_CHECKS)

# tests/netns/test_upgrade.sh upgrades over the pins of build/sluiced to a
# sluiced with one reason, one event and one map more, whose sl_global
# grew (SL_ABI_NEXT), and back: the same sources built into their own
# tree (objects, skeletons, library), never mixed with these.
ABI_NEXT := $(BUILD)/abi-next

abi-next:
	$(Q)$(MAKE) --no-print-directory BUILD=$(ABI_NEXT) ABI_DEFS=-DSL_ABI_NEXT \
		abi-next-sluiced

abi-next-sluiced: $(BUILD)/sluiced
	@:

deps:
	$(Q)tools/deps.sh

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/hdrcheck/%.bpf.ok: % $(BPF_HDRS)
	$(call msg,HDR,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -fsyntax-only -x c -include $< /dev/null
	$(Q)touch $@

$(BUILD)/hdrcheck/%.cc.ok: % $(wildcard include/*.h)
	$(call msg,HDR-CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -fsyntax-only -x c -include $< /dev/null
	$(Q)touch $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(BUILD)/%.o: %.c $(SKELS) $(wildcard include/*.h tests/lib/*.h tests/bpf/lib/*.h) $(USER_HDRS) | $(BUILD)/bpf
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS) | $(BUILD)/bpf
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $(LIB_OBJS)	# empty when user/ has no library yet

$(BUILD)/sluiced: $(BUILD)/user/daemon/sluiced.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/sluicectl: $(BUILD)/user/ctl/sluicectl.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(TEST_LIB_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/bpf/%: $(BUILD)/tests/bpf/%.o $(BPF_TEST_LIB) $(TEST_LIB_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bpf:
	$(Q)mkdir -p $@

test: deps all
	$(Q)BUILD=$(BUILD) tests/run

test-unit test-bpf test-netns: all
	$(Q)BUILD=$(BUILD) tests/run $(patsubst test-%,%,$@)

# The alert rules, their tests and the dashboard; the bench's charts
# (tools/bench/plot.py on fixtures): nothing to build.
.PHONY: test-bench
test-monitoring test-bench:
	$(Q)BUILD=$(BUILD) tests/run $(patsubst test-%,%,$@)

demo: deps all
	$(Q)BUILD=$(BUILD) tools/demo.sh

bench: all
	$(Q)BUILD=$(BUILD) tools/bench/run.sh

install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/sluice
	$(Q)for b in $(BINS); do install -m 0755 $$b $(DESTDIR)$(PREFIX)/sbin/; done
	$(Q)install -m 0644 $(BPF_OBJS) $(DESTDIR)$(PREFIX)/lib/sluice/
	$(Q)install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/sluice/examples
	$(Q)sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		tools/sluiced.service >$(DESTDIR)$(UNITDIR)/sluiced.service
	$(Q)install -m 0644 examples/*.yaml $(DESTDIR)$(PREFIX)/share/sluice/examples/
	$(Q)install -d $(DESTDIR)$(PREFIX)/share/sluice/monitoring
	$(Q)install -m 0644 $(MONITORING_FILES) $(DESTDIR)$(PREFIX)/share/sluice/monitoring/

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)
