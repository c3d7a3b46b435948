// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "flood_default.h"

/*
 * A hundredth of the table per second: a flood of fresh sources can
 * replace the whole table no faster than once every 100 s, so clients
 * seen within the last minute or so keep their buckets; the burst (two
 * seconds' worth) lets a real surge of new clients in at once.  For
 * the default table (1,048,576) that is 10,485/s, burst 20,970.
 */
void flood_guard_default(uint64_t clients, uint64_t *per_sec, uint32_t *burst)
{
	uint64_t rate = clients / 100;

	if (rate < FLOOD_DEFAULT_MIN_RATE)
		rate = FLOOD_DEFAULT_MIN_RATE;
	*per_sec = rate;
	*burst = (uint32_t)(rate * 2 > UINT32_MAX ? UINT32_MAX : rate * 2);
}
