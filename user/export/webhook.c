// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "daemon/webhook.h"
#include "export/render.h"
#include "export/webhook.h"

#define LBL(n, v)	((struct expo_label){ (n), (v) })

void render_webhook(struct render *r, const struct webhook *w)
{
	struct webhook_counts n;
	struct expo_label l;

	webhook_counts(w, &n);
	if (!n.on)
		return;
	render_family(r, "sluice_webhook_requests", EXPO_COUNTER,
		      "Requests to the Alertmanager webhook, by result (only ok changes anything)");
	for (int i = 0; i < WEBHOOK_RESULTS; i++) {
		l = LBL("result", webhook_result_name(i));
		render_u64(r, &l, 1, n.requests[i]);
	}
	render_family(r, "sluice_webhook_alerts", EXPO_COUNTER,
		      "Alerts in accepted payloads: events passed on, ignored (no sluice label), or skipped by why");
	l = LBL("result", "event");
	render_u64(r, &l, 1, n.events);
	l = LBL("result", "ignored");
	render_u64(r, &l, 1, n.ignored);
	for (int i = 0; i < ALERTS_SKIPS; i++) {
		l = LBL("result", alerts_skip_name(i));
		render_u64(r, &l, 1, n.skipped[i]);
	}
	render_family(r, "sluice_webhook_listening", EXPO_GAUGE,
		      "1 while the Alertmanager webhook receives (0: not started, see the log)");
	render_u64(r, NULL, 0, n.listening);
}
