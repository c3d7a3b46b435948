/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Global limits in the control commands (commands.c): a client's
 * "global" block and status' "redis" block (README: sluicectl).
 */
#ifndef SLUICE_DAEMON_GLOB_CMD_H
#define SLUICE_DAEMON_GLOB_CMD_H

#include <json-c/json.h>

#include "config/config.h"
#include "sluice_abi.h"

struct sl_daemon;
struct sl_iface;

/* The tier's global limit, or NULL. */
const struct cfg_meter *glob_cmd_meter(const struct cfg_tier *ct);

/* {"algorithm","rate","burst"[,"window_ms"],"used","demand","grant",
 *  ["granted","allowance","grant_expires_ms"],"fallback",
 *  ["tokens"|"estimate","share","hosts","last_sync_ms"]}, or NULL when
 * the tier has no global limit. */
json_object *glob_cmd_client(struct sl_daemon *d, const struct sl_iface *ifc,
			     const struct sl_client_key *k,
			     const struct cfg_tier *ct);

/* {"address","host","global_limits","up","on_down","fallback","hosts",
 *  "syncs",["last_sync","last_sync_ms"],"errors":{kind: n},
 *  ["last_error"]}, or NULL with neither a redis section nor a global
 * limit. */
json_object *glob_cmd_status(struct sl_daemon *d);

#endif /* SLUICE_DAEMON_GLOB_CMD_H */
