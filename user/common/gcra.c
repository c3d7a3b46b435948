// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "common/gcra.h"
#include "sluice_gcra.h"

int gcra_meter_set(struct sl_meter *m, uint64_t count, uint64_t period_ns,
		   uint32_t burst, uint8_t unit, uint8_t action)
{
	unsigned __int128 fp, tol, worst;

	memset(m, 0, sizeof(*m));
	if (!count || !period_ns || !burst)
		return -EINVAL;
	fp = ((unsigned __int128)period_ns << SL_FP_SHIFT) / count;
	if (!fp)
		return -EINVAL;		/* faster than 1/65536 ns per unit */
	/* The BPF side multiplies cost by the interval in 64 bits. */
	worst = fp * (unit == SL_UNIT_BYTES ? GCRA_MAX_COST : 1);
	tol = (fp * burst) >> SL_FP_SHIFT;
	if (worst >> 63 || tol >> 62)
		return -ERANGE;
	m->interval_fp = (uint64_t)fp;
	m->tolerance_ns = (uint64_t)tol;
	m->unit = unit;
	m->action = action;
	m->burst = burst;
	return 0;
}

uint64_t gcra_tokens(const struct sl_meter *m, uint64_t tat, uint64_t now,
		     uint64_t *next_ns)
{
	uint64_t unit_ns = gcra_cost_ns(m, 1);
	uint64_t backlog = gcra_backlog(tat, now);
	uint64_t room, tokens;

	if (next_ns)
		*next_ns = 0;
	if (!unit_ns)
		return m->burst;
	room = backlog >= m->tolerance_ns ? 0 : m->tolerance_ns - backlog;
	tokens = room / unit_ns;
	if (tokens > m->burst)
		tokens = m->burst;
	/* The next token arrives when the backlog drops one more interval. */
	if (tokens < m->burst && next_ns)
		*next_ns = unit_ns - room % unit_ns;
	return tokens;
}
