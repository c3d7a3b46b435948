/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What a request a service's gate stops is answered with (issue 11):
 * the service's `on_open`.  503 (the default) renders a 503 with
 * Retry-After and {"error":"service_unavailable","service":NAME,
 * "retry_after_s":N}; fallback renders the service's `fallback` reply
 * (a 429 or 503 fallback gets Retry-After too); reset answers with a
 * TCP reset.  The templates join the apply's reply plan (kern/replies.h)
 * so they flip with the tiers; sl_service.gate_action/gate_reply name
 * them.  Retry-After counts down to sl_svc_gate.until_ns (or
 * shed_until_ns), at most a day away.
 */
#ifndef SLUICE_KERN_SVC_REPLY_H
#define SLUICE_KERN_SVC_REPLY_H

#include <stddef.h>
#include <linux/types.h>

#include "config/config.h"
#include "kern/replies.h"
#include "sluice_reply.h"
#include "sluice_service.h"

/* Widest Retry-After a gate gives, in seconds. */
#define SVC_REPLY_MAX_WAIT_S	86400

/* Render service `s`'s gate reply; 0, or -EINVAL/-E2BIG (err says why).
 * -ENOENT: on_open reset, no template. */
int svc_reply_render(const struct cfg_service *s, struct sl_reply *out,
		     char *err, size_t errlen);

/* Add every service's template to the plan (identical ones shared):
 * ids[i] for config service i, 0 for a reset.  0 or -ENOSPC, or the
 * renderer's error (logged). */
int svc_reply_plan(const struct sl_config *cfg, struct reply_plan *p,
		   __u16 ids[SL_MAX_SERVICES]);

/* The gate's answer and failure mask of `s` into its map value. */
void svc_reply_abi(const struct cfg_service *s, __u16 reply,
		   struct sl_service *out);

#endif /* SLUICE_KERN_SVC_REPLY_H */
