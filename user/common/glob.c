// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The global limits' arithmetic (glob.h); daemon/glob_script.c is its
 * Lua twin, step by step. */
#include "common/glob.h"

void glob_demand_report(struct glob_demand *d, double delta, uint64_t now_us,
			uint64_t interval_us)
{
	double dt, inst, w;

	if (!d->seen_us || now_us <= d->seen_us) {
		/* First report (or a clock that did not move): one sync's. */
		dt = interval_us ? (double)interval_us : 1.0;
		if (!d->seen_us) {
			d->rate = delta * GLOB_US_PER_S / dt;
			d->seen_us = now_us;
			return;
		}
	} else {
		dt = (double)(now_us - d->seen_us);
	}
	inst = delta * GLOB_US_PER_S / dt;
	/* An EWMA whose weight grows with the time since the last report,
	 * so hosts that report at different moments average alike. */
	w = dt / GLOB_DEMAND_TAU_US;
	if (w > 1)
		w = 1;
	d->rate += (inst - d->rate) * w;
	if (now_us > d->seen_us)
		d->seen_us = now_us;
}

double glob_share(const struct glob_demand *hosts, int n, int mine,
		  uint64_t now_us, int *nfresh)
{
	double sum = 0;
	int fresh = 0;

	for (int i = 0; i < n; i++) {
		if (i != mine && !glob_demand_fresh(&hosts[i], now_us))
			continue;
		fresh++;
		sum += hosts[i].rate > 0 ? hosts[i].rate : 0;
	}
	if (nfresh)
		*nfresh = fresh;
	if (sum <= 0)
		return fresh ? 1.0 / fresh : 1.0;
	return (hosts[mine].rate > 0 ? hosts[mine].rate : 0) / sum;
}

void glob_tb_update(struct glob_tb *b, double rate, double burst, double used,
		    uint64_t now_us)
{
	if (!b->ts_us) {
		b->tokens = burst;
	} else if (now_us > b->ts_us) {
		b->tokens += rate * (double)(now_us - b->ts_us) / GLOB_US_PER_S;
		if (b->tokens > burst)
			b->tokens = burst;
	}
	if (now_us > b->ts_us)
		b->ts_us = now_us;
	b->tokens -= used;
	if (b->tokens < -burst)
		b->tokens = -burst;
}

double glob_tb_allowance(const struct glob_tb *b, double rate,
			 uint64_t interval_us, double share)
{
	double t = b->tokens > 0 ? b->tokens : 0;

	return share * (t + rate * (double)interval_us / GLOB_US_PER_S);
}

void glob_win_update(struct glob_win *w, uint64_t window_us, double used,
		     uint64_t now_us)
{
	uint64_t start = window_us ? now_us / window_us * window_us : now_us;

	if (!w->start_us) {
		w->start_us = start;
		w->cur = w->prev = 0;
	} else if (start > w->start_us) {
		/* The window just before is the previous one; older ones
		 * count nothing. */
		w->prev = start == w->start_us + window_us ? w->cur : 0;
		w->cur = 0;
		w->start_us = start;
	}
	w->cur += used;
}

double glob_win_estimate(const struct glob_win *w, uint64_t window_us,
			 uint64_t now_us, bool sliding)
{
	double elapsed;

	if (!sliding || !window_us)
		return w->cur;
	elapsed = now_us > w->start_us ? (double)(now_us - w->start_us) : 0;
	if (elapsed > window_us)
		elapsed = window_us;
	return w->prev * (1 - elapsed / window_us) + w->cur;
}

double glob_win_allowance(double rate, uint64_t window_us, double estimate,
			  double share)
{
	double left = rate * (double)window_us / GLOB_US_PER_S - estimate;

	return left > 0 ? share * left : 0;
}

uint64_t glob_units(int64_t milli, uint32_t *carry)
{
	uint64_t total;

	if (milli <= 0)
		return 0;
	total = (uint64_t)milli + *carry;
	*carry = total % 1000;
	return total / 1000;
}
