# tools/bench, included by the top Makefile: the flood generator, the
# test-run bench, the global clients' filler (globfill) and the BPF
# programs only they use (baselines and the frame generator).  Built
# and skeleton-generated under $(BUILD)/tools/bench; `make install`
# never installs them.

BENCH_BPF_SRCS := $(wildcard tools/bench/*.bpf.c)
BENCH_BPF_OBJS := $(patsubst tools/bench/%.bpf.c,$(BUILD)/tools/bench/%.bpf.o,$(BENCH_BPF_SRCS))
BENCH_SKELS    := $(patsubst tools/bench/%.bpf.c,$(BUILD)/tools/bench/%.skel.h,$(BENCH_BPF_SRCS))
BENCH_HDRS     := $(wildcard tools/bench/*.h)
BENCH_OBJS     := $(patsubst %.c,$(BUILD)/%.o,$(filter-out %.bpf.c,$(wildcard tools/bench/*.c)))
# floodgen is floodgen.c and its parts floodgen_*.c.
FLOODGEN_OBJS  := $(filter $(BUILD)/tools/bench/floodgen%,$(BENCH_OBJS))
TOOLS          := $(BUILD)/tools/floodgen $(BUILD)/tools/testrun $(BUILD)/tools/globfill

# Static pattern rules: these take precedence over the top Makefile's
# $(BUILD)/%.o, and make knows the skeletons are targets.
$(BENCH_BPF_OBJS): $(BUILD)/tools/bench/%.bpf.o: tools/bench/%.bpf.c $(BPF_HDRS)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_SKELS): $(BUILD)/tools/bench/%.skel.h: $(BUILD)/tools/bench/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# The bench skeletons are found by their plain names ("baseline.skel.h").
$(BENCH_OBJS): $(BUILD)/tools/bench/%.o: tools/bench/%.c $(SKELS) $(BENCH_SKELS) $(BENCH_HDRS) \
		$(wildcard include/*.h tests/bpf/lib/*.h) $(USER_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/tools/bench -c $< -o $@

$(BUILD)/tools/floodgen: $(FLOODGEN_OBJS)
$(BUILD)/tools/testrun: $(BUILD)/tools/bench/testrun.o
$(BUILD)/tools/globfill: $(BUILD)/tools/bench/globfill.o

# Objects first, the library last: the linker resolves left to right.
$(TOOLS): $(BPF_TEST_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS)
