// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>

#include "daemon/config_source.h"
#include "daemon/daemon.h"
#include "export/config_source.h"
#include "export/render.h"

#define LBL(n, v)	((struct expo_label){ (n), (v) })

static const char *const local_err_names[] = {
	[CSRC_ERR_INVALID - RFAIL__MAX] = "invalid",
	[CSRC_ERR_CACHE - RFAIL__MAX] = "cache",
};

void render_config_source(struct render *r, struct sl_daemon *d)
{
	const struct config_source *cs = d->csrc;
	struct expo_label l[2];
	char hash[CSRC_HASH_LEN];

	if (!cs)
		return;
	render_family(r, "sluice_config_source_up", EXPO_GAUGE,
		      "1 while the config source is subscribed to its key's channel and Redis answers");
	render_u64(r, NULL, 0, cs->sub_fd >= 0 && cs->redis_ok);
	render_family(r, "sluice_config_source_errors", EXPO_COUNTER,
		      "Config source failures by kind: Redis (connect, auth, timeout, io, reply), versions refused as invalid, cache writes or reads that failed");
	for (int k = 0; k < RFAIL__MAX; k++) {
		l[0] = LBL("kind", redis_err_names[k]);
		render_u64(r, l, 1, cs->rc.errors[k] + cs->sub.errors[k]);
	}
	for (int k = 0; k < CSRC_ERR__MAX - RFAIL__MAX; k++) {
		l[0] = LBL("kind", local_err_names[k]);
		render_u64(r, l, 1, cs->errors[k]);
	}
	render_family(r, "sluice_config_source_loads", EXPO_COUNTER,
		      "Config versions read from Redis and applied");
	render_u64(r, NULL, 0, cs->loads);
	render_family(r, "sluice_config_source_info", EXPO_GAUGE,
		      "Where the running config came from (file, redis, cache) and its hash");
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)d->cfg->hash);
	l[0] = LBL("source", config_source_names[cs->origin]);
	l[1] = LBL("hash", hash);
	render_u64(r, l, 2, 1);
	render_family(r, "sluice_config_source_last_load_timestamp_seconds",
		      EXPO_GAUGE, "When the running config was loaded from its source (Unix time)");
	render_u64(r, NULL, 0, (uint64_t)cs->origin_at);
}
