/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The `webhook` section: where sluiced's Alertmanager receiver listens
 * (issue 11; user/daemon/webhook* serves it):
 *
 *   webhook:
 *     listen: 127.0.0.1:9470          # like metrics.listen; off: no receiver
 *     token_file: /etc/sluice/webhook.token   # required, absolute
 *     label: sluice_degrade           # the alert label holding a level
 *     breaker_label: sluice_breaker   # the one naming a service to open
 *     max_body: 1MiB                  # larger payloads get 413
 *
 * The token file is read by the receiver (at start and reload), not
 * here: a config check needs no access to the secret.
 */
#ifndef SLUICE_CONFIG_WEBHOOK_H
#define SLUICE_CONFIG_WEBHOOK_H

#include <yaml.h>

#define CFG_WEBHOOK_LISTEN	"127.0.0.1:9470"
#define CFG_WEBHOOK_BODY_MIN	1024U
#define CFG_WEBHOOK_BODY_MAX	(64U << 20)

struct cfg_walk;
struct cfg_webhook;

/* The defaults of struct cfg_webhook (off). */
void cfg_webhook_default(struct cfg_webhook *wh);

/* A cfg_key parser; obj is the struct sl_config. */
int cfg_parse_webhook(struct cfg_walk *w, yaml_node_t *v, void *obj);

#endif /* SLUICE_CONFIG_WEBHOOK_H */
