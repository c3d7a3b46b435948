/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The top talkers: the data path's samples (include/sluice_talk.h)
 * added up per client key over the last TALKERS_WINDOW_S seconds, in
 * one-second buckets, for `sluicectl top`.  Pure: time comes in as an
 * argument, so the tests run it on a fake clock.
 *
 * Bounded: at most `cap` clients, three quarters of it in use; samples
 * of new clients that find it full are counted in `overflow` (a flood
 * of fresh spoofed sources does that) and every client idle for a whole
 * window leaves it at the next second.
 */
#ifndef SLUICE_TALKERS_H
#define SLUICE_TALKERS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#define TALKERS_WINDOW_S	10
#define TALKERS_CAP		16384	/* a power of two */

struct talker_key {
	__u32 addr[4];		/* the client key: source masked to its tier's prefix */
	__u8  family;
	__u8  tier;
	__u8  prefix;		/* the key's prefix length */
	__u8  iface;		/* index into the daemon's interfaces */
};

struct talker {
	struct talker_key key;
	bool used;
	__u8 reason;		/* the last refusal's enum sl_reason */
	__u8 meter;		/* its meter, or SL_TALK_NO_METER */
	uint64_t passed[TALKERS_WINDOW_S];	/* packets, by second */
	uint64_t refused[TALKERS_WINDOW_S];
	uint64_t bytes[TALKERS_WINDOW_S];	/* passed and refused */
};

struct talkers {
	struct talker *slot;
	uint32_t cap, used;
	uint64_t sec;		/* the current bucket's second */
	uint64_t started_ms;
	uint64_t overflow;	/* packets (estimated) of clients left out */
};

enum talkers_by {
	TALKERS_BY_REFUSED = 0,
	TALKERS_BY_PASSED,
	TALKERS_BY_BYTES,
};

struct talker_row {
	struct talker_key key;
	uint64_t passed, refused, bytes;	/* over the window */
	__u8 reason, meter;
};

int talkers_init(struct talkers *t, uint32_t cap, uint64_t now_ms);
void talkers_free(struct talkers *t);

/* Move the window to `now_ms`: buckets of seconds that ended more than
 * a window ago are emptied and idle clients leave. */
void talkers_advance(struct talkers *t, uint64_t now_ms);

/* `pkts` packets and `bytes` bytes of client `k` counted under `reason`. */
void talkers_add(struct talkers *t, const struct talker_key *k, int reason,
		 int meter, uint64_t pkts, uint64_t bytes);

/* Is a packet counted under `reason` refused (or would be, in shadow
 * mode)?  Passed otherwise. */
bool talkers_refusal(int reason);

/* The `n` largest by `by` (clients with none of it left out), of tier
 * `tier` only when it is >= 0, into out[]: the number of rows.
 * *window_s: the seconds the sums cover. */
int talkers_top(const struct talkers *t, uint64_t now_ms, enum talkers_by by,
		int tier, int n, struct talker_row *out, double *window_s);

#endif /* SLUICE_TALKERS_H */
