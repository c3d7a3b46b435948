/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The metrics section: `metrics: {listen: 127.0.0.1:9469}`, an IPv4
 * A.B.C.D:PORT, [IPv6]:PORT, or off.  Default on, loopback only.
 */
#ifndef SLUICE_CONFIG_METRICS_H
#define SLUICE_CONFIG_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

#define CFG_METRICS_DEFAULT	"127.0.0.1:9469"

struct cfg_listen {
	bool on;
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network order */
	uint16_t port;		/* host order */
	char text[64];		/* as written (normalised): for log lines */
};

struct cfg_walk;

/* "A.B.C.D:PORT", "[V6]:PORT" (port 1..65535) or "off": 0 or -EINVAL. */
int cfg_listen_parse(const char *s, struct cfg_listen *out);

/* A `listen` value (cfg_listen_parse) into *out; `port` is the example's
 * in the message. */
int cfg_listen_node(struct cfg_walk *w, yaml_node_t *v, unsigned port,
		    struct cfg_listen *out);

/* The `metrics` mapping; obj is the struct sl_config. */
int cfg_parse_metrics(struct cfg_walk *w, yaml_node_t *v, void *obj);

#endif /* SLUICE_CONFIG_METRICS_H */
