/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The `services` section: up to SL_MAX_SERVICES services, each a TCP
 * port of the gateway narrowed by destination addresses and
 * request-target prefixes, with a priority and the slow and timeout
 * thresholds of its responses (include/sluice_service.h).
 *
 *   services:
 *     - {name: api, port: 80, paths: [/api], priority: core, slow: 500ms}
 *     - {name: web, port: 80}                 # the port's default service
 *     - {name: tls, port: 443, tls: true}     # counted in connections only
 *
 * Every (port, address or any, path or none) a service matches is one
 * match; a match in two services is refused (so a port has at most one
 * default service, with no address and no path).
 */
#ifndef SLUICE_CONFIG_SERVICES_H
#define SLUICE_CONFIG_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice_service.h"
#include "common/breaker.h"
#include "config/replies.h"
#include "sluice_svc_match.h"
#include "common/addr.h"
#include "common/names.h"
#include "config/walk.h"

#define CFG_SVC_ADDRS		16	/* addresses per service */
#define CFG_SVC_PATHS		32	/* paths per service */
#define CFG_SVC_SLOW_NS		1000000000ULL		/* 1s */
#define CFG_SVC_TIMEOUT_NS	30000000000ULL		/* 30s */
#define CFG_SVC_SLOW_MAX_NS	600000000000ULL		/* 10m */
#define CFG_SVC_TIMEOUT_MAX_NS	3600000000000ULL	/* 1h */

struct cfg_service {
	char     name[SL_SVC_NAME_MAX];
	uint16_t port;
	uint8_t  priority;	/* enum sl_svc_priority */
	bool     tls;
	uint64_t slow_ns;
	uint64_t timeout_ns;
	int      naddr;
	struct cfg_prefix addr[CFG_SVC_ADDRS];	/* full-length prefixes */
	int      npaths;
	char     paths[CFG_SVC_PATHS][SL_SVC_PATH_MAX + 1];
	int      line;		/* where it was defined, for messages */
	/* Its circuit breaker (issue 11): `breaker:`, defaults if absent
	 * (has_breaker false: no breaker, the gate stays closed). */
	bool     has_breaker;
	struct breaker_cfg breaker;
	/* What a request its gate stops gets (on_open): a 503 with
	 * Retry-After (CFG_ON_OPEN_503, the default), the service's
	 * `fallback` reply (CFG_ON_OPEN_FALLBACK), or a reset. */
	uint8_t  on_open;
	struct cfg_reply *fallback;	/* NULL unless on_open fallback */
};

enum cfg_on_open {
	CFG_ON_OPEN_503 = 0,
	CFG_ON_OPEN_FALLBACK,
	CFG_ON_OPEN_RESET,
};

/* core|normal|optional, by enum sl_svc_priority. */
extern const struct sl_names cfg_svc_priority_names;

/* A cfg_key parser: `v` is the services list, `obj` the struct
 * sl_config whose services[] it fills. */
int cfg_parse_services(struct cfg_walk *w, yaml_node_t *v, void *obj);

/* Matches (trie entries) service `s` makes: addresses x paths. */
int cfg_service_matches(const struct cfg_service *s);

/* "port 80, address 198.18.0.2, paths /api /v2" into buf. */
char *cfg_service_describe(const struct cfg_service *s, char *buf,
			   size_t size);

#endif /* SLUICE_CONFIG_SERVICES_H */
