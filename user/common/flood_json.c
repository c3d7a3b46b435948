// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "common/flood_json.h"
#include "config/rate.h"
#include "config/tiers.h"

json_object *flood_guard_json(const struct cfg_tier *t, uint64_t clients)
{
	struct cfg_meter m = t->new_clients;
	json_object *o;
	char rate[64];

	if (!t->flood_guard)
		return NULL;
	if (t->flood_default && clients)
		cfg_flood_default(clients, &m);
	o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "new_clients", json_object_new_string(
		cfg_rate_format(&m, rate, sizeof(rate))));
	json_object_object_add(o, "burst", json_object_new_int64(m.burst));
	json_object_object_add(o, "default",
			       json_object_new_boolean(t->flood_default));
	return o;
}
