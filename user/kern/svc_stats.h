/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Reading the services' statistics of one interface: sl_svc_stats
 * summed over CPUs per service id, sl_svc_run, and the pending requests
 * in sl_conns.  The arithmetic on them (rates, quantiles) is in
 * common/svc.h.
 */
#ifndef SLUICE_SVC_STATS_H
#define SLUICE_SVC_STATS_H

#include <linux/types.h>

#include "sluice_service.h"

/* sl_svc_stats[id] summed over CPUs into *out: 0 or -errno. */
int svc_stats_read(int stats_fd, __u32 id, struct sl_svc_stats *out);

/* Every id at once (one batch lookup): out[SL_MAX_SERVICES]. */
int svc_stats_read_all(int stats_fd, struct sl_svc_stats *out);

/* sl_svc_run[id]. */
int svc_run_read(int run_fd, __u32 id, struct sl_svc_run *out);

/* Pending requests per service id in sl_conns (a full walk: for
 * `sluicectl services`, not for every tick): pending[SL_MAX_SERVICES]. */
int svc_pending_count(int conns_fd, __u64 *pending);

#endif /* SLUICE_SVC_STATS_H */
