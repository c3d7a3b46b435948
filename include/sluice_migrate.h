/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one-time move of the first release's counters into sl_counters and
 * sl_evcount (bpf/sluice_migrate.bpf.c, run by user/kern/pins.c): one
 * BPF_PROG_TEST_RUN per old row, with this as its context.
 */
#ifndef SLUICE_MIGRATE_H
#define SLUICE_MIGRATE_H

#include <linux/types.h>

/* The first release's names; its rows were as wide as its enums. */
#define SL_MAP_OLD_STATS	"sl_stats"	/* (SL_MAX_TIERS + 1) x 11 reasons */
#define SL_MAP_OLD_EVENTS	"sl_events"	/* 11 events */

enum sl_migrate_kind {
	SL_MIGRATE_COUNTERS = 0,	/* sl_stats[from] -> sl_counters[to] */
	SL_MIGRATE_EVENTS,		/* sl_events[from] -> sl_evcount[to] */
};

struct sl_migrate {
	__u32 kind;		/* enum sl_migrate_kind */
	__u32 from;		/* row of the old map */
	__u32 to;		/* row of the new map */
	__u32 ncpus;		/* possible CPUs */
	__u64 packets;		/* out: moved (events: the count) */
	__u64 bytes;		/* out: moved (events: 0) */
};

#endif /* SLUICE_MIGRATE_H */
