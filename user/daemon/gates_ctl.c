// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Telling the breakers and the degrade level what to do: sluicectl's
 * forced states and manual levels, Alertmanager's alerts (gates.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/gates.h"
#include "daemon/daemon.h"
#include "common/log.h"

int gates_force(struct sl_daemon *d, const char *name, enum breaker_force f,
		__u64 until_ns, __u64 now_ns)
{
	struct gate_svc *gs = gates_find(d->gates, name);

	if (!gs || !gs->has_breaker)
		return -ENOENT;
	if (breaker_force(&gs->b, now_ns, f, until_ns))
		gates_log_breaker(gs, "sluicectl");
	else if (f != BREAKER_AUTO)
		log_info("breaker %s: forced %s (sluicectl)%s", gs->name,
			 breaker_force_name(f), until_ns ? " with a new expiry" : "");
	gs->alert_forced = false;
	snprintf(gs->forced_by, sizeof(gs->forced_by), "%s",
		 f == BREAKER_AUTO ? "" : "sluicectl");
	gates_tick(d, now_ns);
	return 0;
}

int gates_manual(struct sl_daemon *d, int level, __u64 until_ns, bool pin,
		 const char *reason, __u64 now_ns)
{
	struct degrade *dg = gates_degrade(d->gates);
	int rc;

	if (!dg)
		return -ENODEV;
	rc = level < 0 ? degrade_manual_clear(dg, now_ns) :
	     degrade_manual(dg, now_ns, level, until_ns, pin, reason);
	if (rc < 0)
		return rc;
	if (rc)
		gates_log_degrade(dg, d->cfg);
	else
		log_info("degrade: sluicectl %s (level %u stays, from %s)",
			 level < 0 ? "auto" : "set a manual level",
			 degrade_level(dg),
			 degrade_source_name(degrade_source(dg)));
	gates_tick(d, now_ns);
	return 0;
}

static int alert_breaker(struct sl_daemon *d, struct gate_svc *gs,
			 const char *fp, bool firing, __u64 until_ns,
			 __u64 now_ns)
{
	int free_slot = -1, k;

	for (k = 0; k < GATES_ALERT_BREAKERS; k++) {
		if (gs->alerts[k].fp[0] && !strcmp(gs->alerts[k].fp, fp))
			break;
		if (!gs->alerts[k].fp[0] && free_slot < 0)
			free_slot = k;
	}
	if (!firing) {
		if (k < GATES_ALERT_BREAKERS)
			gs->alerts[k].fp[0] = 0;
		gates_alerts_expire(gs, now_ns);	/* the last one lifts it */
		return 0;
	}
	if (k == GATES_ALERT_BREAKERS) {
		if (free_slot < 0)
			return -ENOSPC;
		k = free_slot;
		snprintf(gs->alerts[k].fp, sizeof(gs->alerts[k].fp), "%s", fp);
	}
	gs->alerts[k].until_ns = until_ns ? until_ns :
				 now_ns + d->cfg->degrade.alert_expire_ns;
	if (gs->b.force == BREAKER_AUTO) {
		if (breaker_force(&gs->b, now_ns, BREAKER_FORCE_OPEN, 0))
			gates_log_breaker(gs, "alert");
		gs->alert_forced = true;
		snprintf(gs->forced_by, sizeof(gs->forced_by), "alert");
	}
	return 0;
}

int gates_alert(struct sl_daemon *d, const char *fp, const char *alertname,
		int level, const char *breaker, bool firing, __u64 until_ns,
		__u64 now_ns)
{
	struct degrade *dg = gates_degrade(d->gates);
	struct gate_svc *gs;
	int rc, ret = 0;

	if (!dg)
		return -ENODEV;
	if (!fp || !fp[0] || strlen(fp) >= DEGRADE_FP_MAX || level > DEGRADE_MAX)
		return -EINVAL;
	if (level >= 0 && firing)
		rc = degrade_alert_hold(dg, now_ns, fp, alertname, level,
					until_ns);
	else
		rc = degrade_alert_release(dg, now_ns, fp);
	if (rc < 0)
		ret = rc;
	else if (rc)
		gates_log_degrade(dg, d->cfg);
	if (breaker) {
		gs = gates_find(d->gates, breaker);
		rc = gs && gs->has_breaker ?
		     alert_breaker(d, gs, fp, firing, until_ns, now_ns) : -ENOENT;
		if (rc && !ret)
			ret = rc;
	}
	gates_tick(d, now_ns);
	return ret;
}
