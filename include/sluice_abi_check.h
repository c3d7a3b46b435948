/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The shared layouts, frozen: a change to a struct or a limit below fails
 * the build, so it is made on purpose.  Before changing one, read
 * README.md, Upgrades: a state map (client key and value, flood, counters,
 * events) must never change; put new state into a new map or a spare slot.
 * A config map value (sl_global, sl_tier, prefix keys) may change: sluiced
 * recreates the map at start; update the figures here.
 *
 * Included by user/kern/pins.c and bpf/lib/counters.bpf.h, so both the
 * host compiler and clang -target bpf check them.
 */
#ifndef SLUICE_ABI_CHECK_H
#define SLUICE_ABI_CHECK_H

#include <stddef.h>

#include "sluice_abi.h"
#include "sluice_migrate.h"
#include "sluice_reply.h"
#include "sluice_talk.h"

#define SL_ABI_SIZE(type, size)						\
	_Static_assert(sizeof(type) == (size), #type " changed size")
#define SL_ABI_AT(type, field, off)					\
	_Static_assert(offsetof(type, field) == (off),			\
		       #type "." #field " moved")

/* ---- state: never changes ----------------------------------------------- */

SL_ABI_SIZE(struct sl_client_key, 20);
SL_ABI_AT(struct sl_client_key, addr, 0);
SL_ABI_AT(struct sl_client_key, family, 16);
SL_ABI_AT(struct sl_client_key, tier, 17);
SL_ABI_SIZE(struct sl_client, 32);
SL_ABI_SIZE(struct sl_flood, 40);
SL_ABI_AT(struct sl_flood, new_tat, 0);
SL_ABI_AT(struct sl_flood, agg, 8);
SL_ABI_SIZE(struct sl_counter, 16);
SL_ABI_AT(struct sl_counter, packets, 0);
SL_ABI_AT(struct sl_counter, bytes, 8);

/* Client keys, counter rows and flood entries are indexed by tier id. */
_Static_assert(SL_MAX_TIERS == 64, "SL_MAX_TIERS sizes state maps");
_Static_assert(SL_METERS_PER_TIER == 4, "SL_METERS_PER_TIER sizes sl_client");
_Static_assert(SL_STATS_ENTRIES == 65 * 32, "sl_counters changed size");
_Static_assert(SL_EVENT_SLOTS == 64, "sl_evcount changed size");
_Static_assert(SL_R__MAX <= SL_REASON_SLOTS,
	       "enum sl_reason outgrew a counter row: put new reasons in a new map");
_Static_assert(SL_EV__MAX <= SL_EVENT_SLOTS,
	       "enum sl_event outgrew sl_evcount: put new events in a new map");

/* abi_version stays the first word of sl_global, whatever its size, so
 * any sluiced can read the version of any pins. */
SL_ABI_AT(struct sl_global, abi_version, 0);

/* ---- config: may change (sluiced recreates the map), update here -------- */

#ifdef SL_ABI_NEXT
SL_ABI_SIZE(struct sl_global, 40);
#else
SL_ABI_SIZE(struct sl_global, 32);
#endif
SL_ABI_AT(struct sl_global, tier_gen, 16);
SL_ABI_AT(struct sl_global, config_hash, 24);
SL_ABI_SIZE(struct sl_meter, 24);
SL_ABI_AT(struct sl_meter, tolerance_ns, 8);
SL_ABI_AT(struct sl_meter, unit, 16);
SL_ABI_AT(struct sl_meter, reply, 18);
SL_ABI_AT(struct sl_meter, burst, 20);
SL_ABI_SIZE(struct sl_tier, 128);
SL_ABI_AT(struct sl_tier, flags, 4);
SL_ABI_AT(struct sl_tier, new_clients, 8);
SL_ABI_AT(struct sl_tier, meters, 32);
SL_ABI_SIZE(struct sl_pfx_v4, 8);
SL_ABI_SIZE(struct sl_pfx_v6, 20);
SL_ABI_AT(struct sl_pfx_v6, addr, 4);
SL_ABI_SIZE(struct sl_pfx_val, 4);

SL_ABI_SIZE(struct sl_reply, 1220);
SL_ABI_SIZE(struct sl_talk_sample, 32);
SL_ABI_AT(struct sl_talk_sample, len, 20);
SL_ABI_SIZE(struct sl_talk_head, 8);
SL_ABI_AT(struct sl_reply, field_off, 8);
SL_ABI_AT(struct sl_reply, csum, 16);
SL_ABI_AT(struct sl_reply, text, 20);

/* ---- sluiced and its own migration program ------------------------------ */

SL_ABI_SIZE(struct sl_migrate, 32);
SL_ABI_AT(struct sl_migrate, packets, 16);

#endif /* SLUICE_ABI_CHECK_H */
