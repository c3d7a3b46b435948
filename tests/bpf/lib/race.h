/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Two CPUs running the program at once: one side on the calling thread
 * pinned to CPU 0, the other on a thread pinned to CPU 1; a barrier
 * starts both for each round.  The idle side sleeps: a CPU spinning in
 * userspace slows every BPF_PROG_TEST_RUN on the other one to tens of
 * milliseconds (each call waits for both CPUs).
 */
#ifndef SLUICE_TEST_RACE_H
#define SLUICE_TEST_RACE_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <linux/types.h>

#include "pkt.h"
#include "xdp_fixture.h"

struct race_side {
	const struct pkt *p;	/* the frame this side sends */
	__u64 start, end;	/* CLOCK_MONOTONIC around its runs */
	int err;
};

struct race {
	int prog_fd;
	__u32 runs, repeat;	/* test runs per side, packets per run */
	pthread_barrier_t start, end;	/* of each round */
	int quit;
	struct race_side s[2];
	pthread_t th;
	int started;
	cpu_set_t saved;	/* the caller's affinity, given back at the end */
};

/* CLOCK_MONOTONIC in ns: bpf_ktime_get_ns's clock. */
__u64 mono_ns(void);
/* Pin the calling thread; 0 or -errno. */
int pin_to(int cpu);

/* Two CPUs to race on: the fixture's possible CPUs and the online ones. */
bool race_possible(const struct xdp_fixture *fx);

/* Side 0 sends p0, side 1 p1; 0 or -errno. */
int race_start(struct race *r, struct xdp_fixture *fx, const struct pkt *p0,
	       const struct pkt *p1, __u32 runs, __u32 repeat);
void race_stop(struct race *r);
/* One round: both sides run; 0 or the first error. */
int race_round(struct race *r);
/* Did the two sides' runs overlap in time? */
bool race_overlapped(const struct race *r);

#endif /* SLUICE_TEST_RACE_H */
