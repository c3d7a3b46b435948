/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The service gate: what the data path does with a request to a service
 * whose circuit breaker is open or half-open, or that the degrade level
 * sheds.  sluiced decides (its breakers and degrade controller) and
 * writes sl_svc_gate; the data path only enforces it, with two
 * exceptions that must not wait for the daemon's tick:
 *
 *   half_open  exactly `probes` requests pass, taken one by one with an
 *              atomic decrement, so two CPUs cannot let more through;
 *   trip       the TC egress program opens a closed gate itself on the
 *              response (or close, or timeout) that brings the service's
 *              run of consecutive failures to `trip_after`, for
 *              `trip_open_ns`, and counts it in `trips` for sluiced.
 *
 * A request the gate stops is answered at the edge like a refused one:
 * with the service's reply template (sl_service.gate_reply: a 503 with
 * Retry-After, or a fallback body) through the TC program, or a reset.
 * Retry-After is `until_ns` less now.  sl_svc_gate is a state map: an
 * open breaker stays open over a restart, and its layout is frozen.
 */
#ifndef SLUICE_GATE_H
#define SLUICE_GATE_H

#include <linux/types.h>

#define SL_MAP_SVC_GATE		"sl_svc_gate"

enum sl_gate_state {
	SL_GATE_CLOSED = 0,	/* requests pass */
	SL_GATE_OPEN,		/* answered at the edge */
	SL_GATE_HALF_OPEN,	/* `probes` more pass, the rest as open */
};

struct sl_svc_gate {
	__u32 state;		/* enum sl_gate_state */
	__s32 probes;		/* half_open: requests still let through */
	__u64 until_ns;		/* bpf_ktime_get_ns() the answer's Retry-After
				 * counts down to (open: the half-open time) */
	__u32 shed;		/* 1: the degrade level sheds the service */
	__u32 trip_after;	/* consecutive failures that open it in the
				 * data path; 0: never */
	__u64 trip_open_ns;	/* for how long such a trip opens it */
	__u64 tripped_ns;	/* when the data path last tripped it */
	__u32 trips;		/* data-path trips so far */
	__u32 pad;
	__u64 shed_until_ns;	/* shed: the answer's Retry-After counts to */
	__u64 spare[1];
};

_Static_assert(sizeof(struct sl_svc_gate) == 64,
	       "sl_svc_gate: pinned state, frozen (use spare[])");

#endif /* SLUICE_GATE_H */
