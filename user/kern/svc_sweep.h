/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The timeout sweep of one interface, once a second from sluiced's
 * sample tick: a part of sl_conns is read each tick (at most
 * SVC_SWEEP_READ entries, in batches), and each pending request older
 * than its service's timeout is handed to the egress object's syscall
 * program (bpf/sluice_egress.bpf.c: sluice_svc_timeout), which claims
 * it the way a response would, counts `timeouts` and moves the run of
 * failures, exactly and race-free against the data path.  At most
 * SVC_SWEEP_TIMEOUTS of those runs a tick; the rest wait for the next.
 *
 * Bound: SVC_SWEEP_READ = 32768 entries a tick, so the full table
 * (SL_CONNS_ENTRIES = 131072) is walked every 4 s: a timeout counts at
 * most ~5 s after it is due.
 *
 * The walk also counts the pending requests per service (those not yet
 * due), at no extra read: pending[] is the count of the last complete
 * walk (the metrics' gauge), at most ~5 s old on a full table.
 */
#ifndef SLUICE_SVC_SWEEP_H
#define SLUICE_SVC_SWEEP_H

#include <stdbool.h>
#include <linux/types.h>

#include "sluice_service.h"

#define SVC_SWEEP_BATCH		4096
#define SVC_SWEEP_READ		(8 * SVC_SWEEP_BATCH)
#define SVC_SWEEP_TIMEOUTS	1024

struct svc_sweep {
	__u32 cursor;		/* the batch walk's position (bucket) */
	bool started;		/* a walk is under way */
	__u64 timeouts;		/* counted by this sweep since start */
	__u64 partial[SL_MAX_SERVICES];	/* pending so far in this walk */
	__u64 pending[SL_MAX_SERVICES];	/* the last complete walk's */
	bool have_pending;	/* a walk has completed */
};

struct sl_iface;

/* One tick at `now_ns` (CLOCK_MONOTONIC): the timeouts counted, or
 * -errno (logged by the caller).  Nothing without the egress program. */
int svc_sweep_tick(struct sl_iface *ifc, struct svc_sweep *sw, __u64 now_ns);

#endif /* SLUICE_SVC_SWEEP_H */
