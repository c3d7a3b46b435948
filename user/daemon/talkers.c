// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/talkers.h"
#include "sluice_abi.h"

int talkers_init(struct talkers *t, uint32_t cap, uint64_t now_ms)
{
	memset(t, 0, sizeof(*t));
	if (!cap || cap & (cap - 1))
		return -EINVAL;
	t->slot = calloc(cap, sizeof(*t->slot));
	if (!t->slot)
		return -ENOMEM;
	t->cap = cap;
	t->sec = now_ms / 1000;
	t->started_ms = now_ms;
	return 0;
}

void talkers_free(struct talkers *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static uint32_t key_hash(const struct talker_key *k)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const __u8 *b = (const __u8 *)k;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ h >> 32);
}

/* The slot holding `k`, or the empty one where it would go. */
static struct talker *find(struct talker *slot, uint32_t cap,
			   const struct talker_key *k)
{
	for (uint32_t i = key_hash(k) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!slot[i].used || !memcmp(&slot[i].key, k, sizeof(*k)))
			return &slot[i];
}

static bool idle(const struct talker *e)
{
	for (int s = 0; s < TALKERS_WINDOW_S; s++)
		if (e->passed[s] || e->refused[s] || e->bytes[s])
			return false;
	return true;
}

void talkers_advance(struct talkers *t, uint64_t now_ms)
{
	uint64_t sec = now_ms / 1000, steps;
	struct talker *old = t->slot;

	if (sec <= t->sec)
		return;
	steps = sec - t->sec;
	if (steps > TALKERS_WINDOW_S)
		steps = TALKERS_WINDOW_S;
	t->sec = sec;
	/* Empty the buckets the new seconds take over, then keep only the
	 * clients with something left (linear probing has no deletes). */
	t->slot = calloc(t->cap, sizeof(*t->slot));
	if (!t->slot) {
		t->slot = old;	/* keep counting into the old buckets */
		return;
	}
	t->used = 0;
	for (uint32_t i = 0; i < t->cap; i++) {
		struct talker *e = &old[i];

		if (!e->used)
			continue;
		for (uint64_t s = 0; s < steps; s++) {
			int b = (sec - s) % TALKERS_WINDOW_S;

			e->passed[b] = e->refused[b] = e->bytes[b] = 0;
		}
		if (idle(e))
			continue;
		*find(t->slot, t->cap, &e->key) = *e;
		t->used++;
	}
	free(old);
}

bool talkers_refusal(int reason)
{
	switch (reason) {
	case SL_R_DROPPED:
	case SL_R_RESET:
	case SL_R_SHADOW_DROP:
	case SL_R_SHADOW_RESET:
	case SL_R_DENYLISTED:
	case SL_R_FLOOD_DROP:
		return true;
	}
	return false;
}

void talkers_add(struct talkers *t, const struct talker_key *k, int reason,
		 int meter, uint64_t pkts, uint64_t bytes)
{
	struct talker *e = find(t->slot, t->cap, k);
	int b = t->sec % TALKERS_WINDOW_S;

	if (!e->used) {
		if (t->used >= t->cap / 4 * 3) {
			t->overflow += pkts;
			return;
		}
		memset(e, 0, sizeof(*e));
		e->key = *k;
		e->used = true;
		e->reason = SL_R_PASSED;
		e->meter = 0xff;
		t->used++;
	}
	if (talkers_refusal(reason)) {
		e->refused[b] += pkts;
		e->reason = reason;
		e->meter = meter;
	} else {
		e->passed[b] += pkts;
	}
	e->bytes[b] += bytes;
}

static uint64_t sum(const uint64_t *v)
{
	uint64_t s = 0;

	for (int i = 0; i < TALKERS_WINDOW_S; i++)
		s += v[i];
	return s;
}

static uint64_t row_value(const struct talker_row *r, enum talkers_by by)
{
	return by == TALKERS_BY_PASSED ? r->passed :
	       by == TALKERS_BY_BYTES ? r->bytes : r->refused;
}

int talkers_top(const struct talkers *t, uint64_t now_ms, enum talkers_by by,
		int tier, int n, struct talker_row *out, double *window_s)
{
	int rows = 0;
	double span;

	/* Whole seconds behind the current one, and that one so far. */
	span = (TALKERS_WINDOW_S - 1) + (now_ms % 1000) / 1000.0;
	if (now_ms - t->started_ms < span * 1000)
		span = (now_ms - t->started_ms) / 1000.0;
	*window_s = span > 0.001 ? span : 0.001;
	for (uint32_t i = 0; i < t->cap && n > 0; i++) {
		const struct talker *e = &t->slot[i];
		struct talker_row r;
		int j;

		if (!e->used || (tier >= 0 && e->key.tier != tier))
			continue;
		r = (struct talker_row){ e->key, sum(e->passed),
					 sum(e->refused), sum(e->bytes),
					 e->reason, e->meter };
		if (!row_value(&r, by))
			continue;
		/* Insertion into out[0..rows), largest first; ties by key so
		 * the order is stable between two calls. */
		for (j = rows; j > 0; j--) {
			uint64_t a = row_value(&out[j - 1], by), b = row_value(&r, by);

			if (a > b || (a == b && memcmp(&out[j - 1].key, &r.key,
						       sizeof(r.key)) < 0))
				break;
			if (j < n)
				out[j] = out[j - 1];
		}
		if (j < n) {
			out[j] = r;
			if (rows < n)
				rows++;
		}
	}
	return rows;
}
