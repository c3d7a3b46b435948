// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The services section (services.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/services.h"
#include "config/config.h"
#include "config/gate.h"

static const char *const priority[] = {
	[SL_SVC_PRIO_CORE] = "core", [SL_SVC_PRIO_NORMAL] = "normal",
	[SL_SVC_PRIO_OPTIONAL] = "optional",
};
const struct sl_names cfg_svc_priority_names = { priority, 3 };

/* One match of one service, for the overlap check. */
struct svc_match {
	uint16_t port;
	struct cfg_prefix addr;	/* family 0: any address */
	const char *path;	/* NULL: none */
	int svc, ai, pi;	/* services[svc].address[ai], .paths[pi]; -1 none */
	const yaml_node_t *node;
	int order;
};

struct services_state {
	struct sl_config *cfg;
	int svc;		/* index being parsed */
};

/* ---- keys ----------------------------------------------------------- */

static int svc_name(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	const struct services_state *ss = w->section;
	struct cfg_service *s = obj;
	const char *n = walk_scalar(v);
	size_t len = n ? strlen(n) : 0;

	if (!len || len >= SL_SVC_NAME_MAX ||
	    strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != len)
		return walk_expect(w, v, "a service name of 1..31 characters from A-Z a-z 0-9 _ -");
	for (int i = 0; i < ss->svc; i++)
		if (!strcmp(ss->cfg->services[i].name, n))
			return walk_err(w, v, "expected a unique service name, got '%s' (also services[%d] at line %d)",
					n, i, ss->cfg->services[i].line);
	memcpy(s->name, n, len + 1);
	return 0;
}

static int svc_port(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	uint64_t x;
	int err = walk_uint(w, v, 1, 65535, "a TCP port", &x);

	if (!err)
		((struct cfg_service *)obj)->port = x;
	return err;
}

/* A scalar or a list of them: each through `one`, at most `max`. */
static int svc_list(struct cfg_walk *w, yaml_node_t *v, int max,
		    const char *what, void *obj,
		    int (*one)(struct cfg_walk *, yaml_node_t *, void *, int))
{
	int n, err = 0;

	if (v && v->type == YAML_SCALAR_NODE)
		return one(w, v, obj, 0);
	if (!v || v->type != YAML_SEQUENCE_NODE || !(n = walk_seq_len(v)))
		return walk_expect(w, v, what);
	for (int i = 0; i < n && !err; i++) {
		size_t mark = walk_path_push(w, "[%d]", i);

		if (i == max)
			err = walk_err(w, walk_seq_item(w, v, i),
				       "expected at most %d, got %d", max, n);
		else
			err = one(w, walk_seq_item(w, v, i), obj, i);
		walk_path_pop(w, mark);
	}
	return err;
}

static int svc_addr_one(struct cfg_walk *w, yaml_node_t *v, void *obj, int i)
{
	struct cfg_service *s = obj;
	const char *a = walk_scalar(v);

	if (!a || strchr(a, '/') || addr_parse(a, &s->addr[i]))
		return walk_expect(w, v, "an address of the gateway like 198.18.0.2 or 2001:2::2");
	s->naddr = i + 1;
	return 0;
}

static int svc_address(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return svc_list(w, v, CFG_SVC_ADDRS,
			"an address or a list of addresses like [198.18.0.2, 2001:2::2]",
			obj, svc_addr_one);
}

static int svc_path_one(struct cfg_walk *w, yaml_node_t *v, void *obj, int i)
{
	struct cfg_service *s = obj;
	const char *p = walk_scalar(v);
	size_t len = p ? strlen(p) : 0;

	if (!len || p[0] != '/' || len > SL_SVC_PATH_MAX)
		return walk_expect(w, v, "a path prefix of 1..64 bytes starting with '/', like /api/users");
	for (size_t k = 0; k < len; k++)
		if (p[k] <= ' ' || p[k] > '~')
			return walk_expect(w, v, "a path prefix of printable ASCII without spaces");
	memcpy(s->paths[i], p, len + 1);
	s->npaths = i + 1;
	return 0;
}

static int svc_paths(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return svc_list(w, v, CFG_SVC_PATHS,
			"a path prefix or a list of them like [/api/users, /api/orders]",
			obj, svc_path_one);
}

static int svc_priority(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	int x = 0, err = walk_enum(w, v, &cfg_svc_priority_names, 0, &x);

	((struct cfg_service *)obj)->priority = x;
	return err;
}

/* "1s", "250ms", "1.5s", "2m": a number and its unit. */
static int svc_duration(struct cfg_walk *w, yaml_node_t *v, uint64_t min_ns,
			uint64_t max_ns, const char *bounds, uint64_t *out)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "ms", 1000000ULL }, { "s", 1000000000ULL },
		{ "m", 60000000000ULL },
	};
	const char *s = walk_scalar(v), *p = s;
	uint64_t whole = 0, frac = 0, scale = 1, ns;
	char what[128];
	size_t i;

	snprintf(what, sizeof(what), "a duration like 250ms, 1s or 1.5s (%s)", bounds);
	if (!s || *p < '0' || *p > '9')
		return walk_expect(w, v, what);
	for (; *p >= '0' && *p <= '9' && whole < 1000000; p++)
		whole = whole * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale < 1000000000ULL) {
				frac = frac * 10 + (*p - '0');
				scale *= 10;
			}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(p, units[i].unit))
			break;
	if (i == sizeof(units) / sizeof(units[0]) || p[-1] == '.')
		return walk_expect(w, v, what);
	ns = whole * units[i].ns + frac * units[i].ns / scale;
	if (ns < min_ns || ns > max_ns)
		return walk_expect(w, v, what);
	*out = ns;
	return 0;
}

static int svc_slow(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return svc_duration(w, v, 1000000ULL, CFG_SVC_SLOW_MAX_NS, "1ms..10m",
			    &((struct cfg_service *)obj)->slow_ns);
}

static int svc_timeout(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return svc_duration(w, v, 1000000000ULL, CFG_SVC_TIMEOUT_MAX_NS, "1s..1h",
			    &((struct cfg_service *)obj)->timeout_ns);
}

static int svc_tls(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	const char *s = walk_scalar(v);

	if (s && !strcmp(s, "true"))
		((struct cfg_service *)obj)->tls = true;
	else if (!s || strcmp(s, "false"))
		return walk_expect(w, v, "true or false");
	return 0;
}

enum { SK_NAME, SK_PORT, SK_ADDR, SK_PATHS, SK_PRIO, SK_SLOW, SK_TIMEOUT, SK_TLS };

static const struct cfg_key svc_keys[] = {
	[SK_NAME]	= { "name", svc_name },
	[SK_PORT]	= { "port", svc_port },
	[SK_ADDR]	= { "address", svc_address },
	[SK_PATHS]	= { "paths", svc_paths },
	[SK_PRIO]	= { "priority", svc_priority },
	[SK_SLOW]	= { "slow", svc_slow },
	[SK_TIMEOUT]	= { "timeout", svc_timeout },
	[SK_TLS]	= { "tls", svc_tls },
	{ "breaker", cfg_parse_breaker },
	{ "on_open", cfg_parse_on_open },
	{ "fallback", cfg_parse_service_fallback },
};

static int svc_parse(struct cfg_walk *w, yaml_node_t *n, struct cfg_service *s)
{
	char what[96];
	yaml_node_t *v;
	unsigned seen;
	int err;

	s->priority = SL_SVC_PRIO_NORMAL;
	s->slow_ns = CFG_SVC_SLOW_NS;
	s->timeout_ns = CFG_SVC_TIMEOUT_NS;
	breaker_cfg_default(&s->breaker);
	s->on_open = CFG_ON_OPEN_503;
	s->line = n->start_mark.line + 1;
	err = walk_map(w, n, svc_keys, NKEYS(svc_keys), s,
		       "a service like {name: api, port: 80, paths: [/api]}", &seen);
	if (err)
		return err;
	if (!(seen & KEY_BIT(SK_NAME)))
		return walk_missing(w, n, "name", "a service name");
	if (!(seen & KEY_BIT(SK_PORT)))
		return walk_missing(w, n, "port", "the gateway's TCP port of the service");
	if (s->tls && s->npaths) {
		v = walk_map_get(w, n, "paths");
		return walk_expect_key(w, v, v, "paths",
				       "no paths on a TLS service (its requests cannot be read)");
	}
	if (s->slow_ns >= s->timeout_ns) {
		v = walk_map_get(w, n, seen & KEY_BIT(SK_SLOW) ? "slow" : "timeout");
		snprintf(what, sizeof(what), "a slow threshold below the timeout (%llu ms > %llu ms)",
			 (unsigned long long)(s->slow_ns / 1000000),
			 (unsigned long long)(s->timeout_ns / 1000000));
		return walk_expect_key(w, v, v, seen & KEY_BIT(SK_SLOW) ?
				       "slow" : "timeout", what);
	}
	return cfg_check_gate(w, n, s);
}

/* ---- overlaps ------------------------------------------------------- */

int cfg_service_matches(const struct cfg_service *s)
{
	return (s->naddr ? s->naddr : 1) * (s->npaths ? s->npaths : 1);
}

static int match_cmp(const void *a, const void *b)
{
	const struct svc_match *x = a, *y = b;
	int d = (int)x->port - (int)y->port;

	if (!d)
		d = memcmp(&x->addr, &y->addr, sizeof(x->addr));
	if (!d)
		d = strcmp(x->path ? x->path : "", y->path ? y->path : "");
	if (!d)
		d = (!!x->path) - (!!y->path);
	return d ? d : x->order - y->order;
}

static bool match_same(const struct svc_match *a, const struct svc_match *b)
{
	return a->port == b->port && !memcmp(&a->addr, &b->addr, sizeof(a->addr)) &&
	       !a->path == !b->path && (!a->path || !strcmp(a->path, b->path));
}

/* Where a match was written: its path, its address, or the service. */
static const yaml_node_t *match_node(struct cfg_walk *w, yaml_node_t *svc,
				     const char *key, int i)
{
	yaml_node_t *v = walk_map_get(w, svc, key);

	if (v && v->type == YAML_SEQUENCE_NODE)
		return walk_seq_item(w, v, i);
	return v;
}

static int matches_collect(struct cfg_walk *w, yaml_node_t *list,
			   const struct sl_config *cfg, struct svc_match *m)
{
	int n = 0;

	for (int i = 0; i < cfg->nservices; i++) {
		const struct cfg_service *s = &cfg->services[i];
		yaml_node_t *sn = walk_seq_item(w, list, i);

		for (int a = 0; a < (s->naddr ? s->naddr : 1); a++)
			for (int p = 0; p < (s->npaths ? s->npaths : 1); p++) {
				struct svc_match *e = &m[n];

				*e = (struct svc_match){ .port = s->port, .svc = i,
					.ai = s->naddr ? a : -1,
					.pi = s->npaths ? p : -1, .order = n };
				if (s->naddr)
					e->addr = s->addr[a];
				e->path = s->npaths ? s->paths[p] : NULL;
				e->node = s->npaths ? match_node(w, sn, "paths", p) :
					  s->naddr ? match_node(w, sn, "address", a) : sn;
				n++;
			}
	}
	return n;
}

static int matches_report(struct cfg_walk *w, const struct sl_config *cfg,
			  const struct svc_match *dup, const struct svc_match *first)
{
	const struct cfg_service *f = &cfg->services[first->svc];
	char a[ADDR_STR_MAX], where[ADDR_STR_MAX + 24];

	w->plen = 0;
	walk_path_push(w, "services[%d]", dup->svc);
	if (dup->pi >= 0)
		walk_path_push(w, ".paths[%d]", dup->pi);
	else if (dup->ai >= 0)
		walk_path_push(w, ".address[%d]", dup->ai);
	if (dup->ai < 0 && dup->pi < 0)
		return walk_err(w, dup->node, "expected one default service (no address, no paths) per port, got a second on port %u (first: services[%d] '%s' at line %d)",
				dup->port, first->svc, f->name, f->line);
	if (dup->ai >= 0)
		snprintf(where, sizeof(where), "address %s",
			 addr_format(&dup->addr, false, a, sizeof(a)));
	else
		snprintf(where, sizeof(where), "any address");
	return walk_err(w, dup->node, "expected each port, address and path in one service, got port %u, %s, %s%s%s again (first in services[%d] '%s' at line %d)",
			dup->port, where, dup->path ? "path '" : "no path",
			dup->path ? dup->path : "", dup->path ? "'" : "",
			first->svc, f->name, f->line);
}

/* The same match twice (in one service or two): report the later one. */
static int services_check_overlaps(struct cfg_walk *w, yaml_node_t *list,
				   const struct sl_config *cfg)
{
	const struct svc_match *dup = NULL, *first = NULL;
	struct svc_match *m;
	int total = 0, n, err = 0;

	for (int i = 0; i < cfg->nservices; i++) {
		total += cfg_service_matches(&cfg->services[i]);
		if (total <= SL_SVC_MATCH_MAX)
			continue;
		w->plen = 0;
		walk_path_push(w, "services[%d]", i);
		return walk_err(w, walk_seq_item(w, list, i),
				"expected at most %d matches (addresses x paths) in all services, got %d so far",
				SL_SVC_MATCH_MAX, total);
	}
	m = calloc(total ? total : 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	n = matches_collect(w, list, cfg, m);
	qsort(m, n, sizeof(*m), match_cmp);
	for (int i = 1; i < n; i++) {
		if (!match_same(&m[i - 1], &m[i]) || (dup && dup->order < m[i].order))
			continue;
		dup = &m[i];
		for (first = &m[i - 1]; first > m && match_same(&first[-1], dup);)
			first--;
	}
	if (dup)
		err = matches_report(w, cfg, dup, first);
	free(m);
	return err;
}

int cfg_parse_services(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct services_state ss = { .cfg = obj };
	struct sl_config *cfg = obj;
	void *outer = w->section;
	int n, err = 0;

	if (!v || v->type != YAML_SEQUENCE_NODE)
		return walk_expect(w, v, "a list of services like [{name: api, port: 80}]");
	n = walk_seq_len(v);
	if (n > SL_MAX_SERVICES) {
		size_t mark = walk_path_push(w, "[%d]", SL_MAX_SERVICES);

		err = walk_err(w, walk_seq_item(w, v, SL_MAX_SERVICES),
			       "expected at most %d services, got %d",
			       SL_MAX_SERVICES, n);
		walk_path_pop(w, mark);
		return err;
	}
	cfg->services = calloc(n ? n : 1, sizeof(*cfg->services));
	if (!cfg->services)
		return -ENOMEM;
	cfg->nservices = n;
	w->section = &ss;
	for (int i = 0; i < n && !err; i++) {
		size_t mark = walk_path_push(w, "[%d]", i);

		ss.svc = i;
		err = svc_parse(w, walk_seq_item(w, v, i), &cfg->services[i]);
		walk_path_pop(w, mark);
	}
	w->section = outer;
	return err ? err : services_check_overlaps(w, v, cfg);
}

char *cfg_service_describe(const struct cfg_service *s, char *buf, size_t size)
{
	char a[ADDR_STR_MAX];
	size_t o;

	o = snprintf(buf, size, "port %u", s->port);
	for (int i = 0; i < s->naddr && o < size; i++)
		o += snprintf(buf + o, size - o, "%s%s", i ? " " : ", address ",
			      addr_format(&s->addr[i], false, a, sizeof(a)));
	for (int i = 0; i < s->npaths && o < size; i++)
		o += snprintf(buf + o, size - o, "%s%s", i ? " " : ", paths ",
			      s->paths[i]);
	if (o < size)
		snprintf(buf + o, size - o, ", %s, slow %llums, timeout %llums%s",
			 name_of(&cfg_svc_priority_names, s->priority),
			 (unsigned long long)(s->slow_ns / 1000000),
			 (unsigned long long)(s->timeout_ns / 1000000),
			 s->tls ? ", tls" : "");
	return buf;
}
