/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one-time move of the first release's counters (sl_stats, sl_events:
 * rows as wide as its enums) into sl_counters and sl_evcount, by
 * bpf/sluice_migrate.bpf.c, once the link runs the new program.
 */
#ifndef SLUICE_MIGRATE_USER_H
#define SLUICE_MIGRATE_USER_H

#include "kern/loader.h"

/* Move what the pins hold of the first release's counters and unpin
 * them.  Best effort: a failure is logged and leaves them pinned for the
 * next start (a row is moved once, never twice). */
void migrate_counters(struct sl_iface *ifc);

#endif /* SLUICE_MIGRATE_USER_H */
