/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The webhook's families (daemon/webhook.h), while webhook: is
 * configured:
 *   sluice_webhook_requests_total{result}	ok|unauthorized|bad_request|
 *						too_large|method|not_found
 *   sluice_webhook_alerts_total{result}	event|ignored|level|service|
 *						too_long|invalid|duplicate
 *   sluice_webhook_listening			1 while it receives
 */
#ifndef SLUICE_EXPORT_WEBHOOK_H
#define SLUICE_EXPORT_WEBHOOK_H

struct render;
struct webhook;

/* w may be NULL (nothing rendered). */
void render_webhook(struct render *r, const struct webhook *w);

#endif /* SLUICE_EXPORT_WEBHOOK_H */
