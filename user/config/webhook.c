// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The webhook section (webhook.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/webhook.h"
#include "config/config.h"

void cfg_webhook_default(struct cfg_webhook *wh)
{
	memset(wh, 0, sizeof(*wh));
	cfg_listen_parse(CFG_WEBHOOK_LISTEN, &wh->listen);
	snprintf(wh->label, sizeof(wh->label), "sluice_degrade");
	snprintf(wh->breaker_label, sizeof(wh->breaker_label), "sluice_breaker");
	wh->max_body = 1U << 20;
}

static int wh_listen(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return cfg_listen_node(w, v, 9470, &((struct cfg_webhook *)obj)->listen);
}

static int wh_token_file(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_webhook *wh = obj;
	const char *s = walk_scalar(v);

	if (!s || s[0] != '/' || strlen(s) >= sizeof(wh->token_file))
		return walk_expect(w, v, "an absolute path like /etc/sluice/webhook.token");
	strcpy(wh->token_file, s);
	return 0;
}

/* A Prometheus label name, not one of the reserved __ ones. */
static int wh_label_into(struct cfg_walk *w, yaml_node_t *v, char *out,
			 size_t size)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
	const char *s = walk_scalar(v);
	size_t len = s ? strlen(s) : 0;

	if (!len || len >= size || !strchr(first, s[0]) ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") != len ||
	    !strncmp(s, "__", 2))
		return walk_expect(w, v, "a label name of 1..63 characters from A-Z a-z 0-9 _, not starting with a digit or __");
	memcpy(out, s, len + 1);
	return 0;
}

static int wh_label(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_webhook *wh = obj;

	return wh_label_into(w, v, wh->label, sizeof(wh->label));
}

static int wh_breaker_label(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_webhook *wh = obj;

	return wh_label_into(w, v, wh->breaker_label, sizeof(wh->breaker_label));
}

/* "65536", "64KiB", "1MiB". */
static int wh_max_body(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	static const struct { const char *unit; uint64_t mul; } units[] = {
		{ "", 1 }, { "B", 1 }, { "KiB", 1024 }, { "MiB", 1024 * 1024 },
	};
	const char *s = walk_scalar(v);
	size_t digits = s ? strspn(s, "0123456789") : 0;
	uint64_t x = 0;

	for (size_t i = 0; i < digits && x < CFG_WEBHOOK_BODY_MAX; i++)
		x = x * 10 + (s[i] - '0');
	for (size_t i = 0; digits && digits <= 9 && i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + digits, units[i].unit))
			continue;
		x *= units[i].mul;
		if (x < CFG_WEBHOOK_BODY_MIN || x > CFG_WEBHOOK_BODY_MAX)
			break;
		((struct cfg_webhook *)obj)->max_body = x;
		return 0;
	}
	return walk_expect(w, v, "a size like 1MiB, 256KiB or 65536 (1KiB..64MiB)");
}

enum { WK_LISTEN, WK_TOKEN, WK_LABEL, WK_BREAKER_LABEL, WK_MAX_BODY };

static const struct cfg_key webhook_keys[] = {
	[WK_LISTEN]		= { "listen", wh_listen },
	[WK_TOKEN]		= { "token_file", wh_token_file },
	[WK_LABEL]		= { "label", wh_label },
	[WK_BREAKER_LABEL]	= { "breaker_label", wh_breaker_label },
	[WK_MAX_BODY]		= { "max_body", wh_max_body },
};

int cfg_parse_webhook(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_webhook *wh = &((struct sl_config *)obj)->webhook;
	unsigned seen;
	int err;

	err = walk_map(w, v, webhook_keys, NKEYS(webhook_keys), wh,
		       "a mapping like {listen: 127.0.0.1:9470, token_file: /etc/sluice/webhook.token}",
		       &seen);
	if (err)
		return err;
	if (!(seen & KEY_BIT(WK_TOKEN)))
		return walk_missing(w, v, "token_file",
				    "the file holding the bearer token Alertmanager sends, like /etc/sluice/webhook.token");
	if (!strcmp(wh->label, wh->breaker_label)) {
		yaml_node_t *at = walk_map_get(w, v, seen & KEY_BIT(WK_BREAKER_LABEL) ?
					       "breaker_label" : "label");

		return walk_expect_key(w, at, at, seen & KEY_BIT(WK_BREAKER_LABEL) ?
				       "breaker_label" : "label",
				       "two different labels in label and breaker_label");
	}
	wh->on = wh->listen.on;
	return 0;
}
