/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The XDP program's per-CPU counters (sl_counters: tier x reason slot,
 * packets and bytes), summed over CPUs, plus a rate from the last two
 * samples the daemon takes once a second.  Indexed by sl_stats_index().
 */
#ifndef SLUICE_STATS_H
#define SLUICE_STATS_H

#include <stdint.h>
#include "sluice_abi.h"

struct stats_rate {
	double pps;		/* packets per second */
	double bps;		/* bytes per second, like the byte counters */
};

struct stats {
	int ncpus;
	struct sl_counter *percpu;		/* scratch, ncpus values */
	struct sl_counter last[SL_STATS_ENTRIES];	/* at the last sample */
	uint64_t last_ns;			/* CLOCK_MONOTONIC, 0: none yet */
	int last_err;				/* of the latest sample: 0 or -errno */
	struct stats_rate rate[SL_STATS_ENTRIES];	/* over the last interval */
};

int stats_init(struct stats *s);
void stats_free(struct stats *s);

/* Sum the per-CPU map `fd` into out[SL_STATS_ENTRIES]: every tier row,
 * the reasons this build knows (other slots read as 0). */
int stats_read(struct stats *s, int fd, struct sl_counter *out);

/* Take a sample and update the rates from the previous one.  A counter
 * that went down (a freed tier's rows were zeroed) rates as 0. */
int stats_sample(struct stats *s, int fd);

/* Zero the row of one tier, every slot (its id was freed). */
int stats_clear_tier(struct stats *s, int fd, uint32_t tier);

/* Delete one tier's keys from sl_edge_status (`fd`). */
int stats_clear_edge_tier(int fd, uint32_t tier);

#endif /* SLUICE_STATS_H */
