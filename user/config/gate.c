// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A service's breaker, on_open and fallback (gate.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/gate.h"
#include "config/config.h"
#include "common/reply.h"

#define MS	1000000ULL
#define S	1000000000ULL

static const char *const on_open[] = {
	[CFG_ON_OPEN_503] = "503", [CFG_ON_OPEN_FALLBACK] = "fallback",
	[CFG_ON_OPEN_RESET] = "reset",
};
const struct sl_names cfg_on_open_names = { on_open, 3 };

/* ---- breaker keys --------------------------------------------------- */

/* The bounds are breaker_cfg_check's, so that only the rules between
 * keys are left to it. */
#define BRK_DURATION(fn, field, lo, hi, bounds)				\
static int fn(struct cfg_walk *w, yaml_node_t *v, void *obj)		\
{									\
	uint64_t ns;							\
	int err = walk_duration(w, v, lo, hi, bounds, &ns);		\
									\
	if (!err)							\
		((struct breaker_cfg *)obj)->field = ns;		\
	return err;							\
}

#define BRK_UINT(fn, field, lo, hi, what)				\
static int fn(struct cfg_walk *w, yaml_node_t *v, void *obj)		\
{									\
	uint64_t x;							\
	int err = walk_uint(w, v, lo, hi, what, &x);			\
									\
	if (!err)							\
		((struct breaker_cfg *)obj)->field = x;			\
	return err;							\
}

#define BRK_NUMBER(fn, field, lo, hi, what)				\
static int fn(struct cfg_walk *w, yaml_node_t *v, void *obj)		\
{									\
	return walk_number(w, v, lo, hi, what,				\
			   &((struct breaker_cfg *)obj)->field);	\
}

BRK_DURATION(brk_window, window_ns, 100 * MS, 3600 * S, "100ms..1h")
BRK_UINT(brk_min_requests, min_requests, 1, 1000000, "a number of requests")
BRK_NUMBER(brk_failure_rate, failure_rate, 0, 1,
	   "a failure rate 0..1 like 0.5 (0: off)")
BRK_NUMBER(brk_slow_rate, slow_rate, 0, 1, "a slow rate 0..1 like 0.8 (0: off)")
BRK_UINT(brk_consecutive, consecutive_failures, 0, 1000000,
	 "a number of failures in a row, 0 for off")
BRK_DURATION(brk_open, open_ns, 100 * MS, 24 * 3600 * S, "100ms..24h")
BRK_DURATION(brk_max_open, max_open_ns, 100 * MS, 24 * 3600 * S, "100ms..24h")
BRK_NUMBER(brk_backoff, backoff, 1, 100, "a factor 1..100 like 2.0 (1: none)")
BRK_NUMBER(brk_jitter, jitter, 0, 0.5, "a fraction 0..0.5 like 0.1 (0: none)")
BRK_UINT(brk_probes, half_open_probes, 1, 1000, "a number of probe requests")
BRK_UINT(brk_close_after, close_after, 1, 1000, "a number of successful probes")

static const struct {
	const char *name;
	uint32_t bit;
} fail_names[] = {
	{ "1xx", SL_SVC_FAIL_CLASS(1) }, { "2xx", SL_SVC_FAIL_CLASS(2) },
	{ "3xx", SL_SVC_FAIL_CLASS(3) }, { "4xx", SL_SVC_FAIL_CLASS(4) },
	{ "5xx", SL_SVC_FAIL_CLASS(5) }, { "429", SL_SVC_FAIL_429 },
	{ "500", SL_SVC_FAIL_500 }, { "502", SL_SVC_FAIL_502 },
	{ "503", SL_SVC_FAIL_503 }, { "504", SL_SVC_FAIL_504 },
	{ "no_response", SL_SVC_FAIL_NO_RESPONSE },
	{ "timeout", SL_SVC_FAIL_TIMEOUT },
};
#define NFAIL	((int)(sizeof(fail_names) / sizeof(fail_names[0])))

static int fail_one(struct cfg_walk *w, yaml_node_t *v, uint32_t *mask)
{
	const char *s = walk_scalar(v);

	for (int i = 0; s && i < NFAIL; i++) {
		if (strcmp(s, fail_names[i].name))
			continue;
		if (*mask & fail_names[i].bit)
			return walk_err(w, v, "expected each outcome once, got '%s' again", s);
		*mask |= fail_names[i].bit;
		return 0;
	}
	return walk_expect(w, v, "an outcome among 1xx, 2xx, 3xx, 4xx, 5xx, 429, 500, 502, 503, 504, no_response, timeout");
}

static int brk_failures(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	uint32_t mask = 0;
	int n = 0, err = 0;

	if (v && v->type == YAML_SCALAR_NODE)
		err = fail_one(w, v, &mask);
	else if (!v || v->type != YAML_SEQUENCE_NODE || !(n = walk_seq_len(v)))
		return walk_expect(w, v, "a list of outcomes that count as failures like [5xx, no_response, timeout]");
	for (int i = 0; v->type == YAML_SEQUENCE_NODE && i < n && !err; i++) {
		size_t mark = walk_path_push(w, "[%d]", i);

		err = fail_one(w, walk_seq_item(w, v, i), &mask);
		walk_path_pop(w, mark);
	}
	if (!err)
		((struct breaker_cfg *)obj)->failures = mask;
	return err;
}

static const struct cfg_key breaker_keys[] = {
	{ "window", brk_window },
	{ "min_requests", brk_min_requests },
	{ "failure_rate", brk_failure_rate },
	{ "slow_rate", brk_slow_rate },
	{ "consecutive_failures", brk_consecutive },
	{ "open", brk_open },
	{ "max_open", brk_max_open },
	{ "backoff", brk_backoff },
	{ "jitter", brk_jitter },
	{ "half_open_probes", brk_probes },
	{ "close_after", brk_close_after },
	{ "failures", brk_failures },
};

/* ---- service keys --------------------------------------------------- */

int cfg_parse_breaker(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_service *s = obj;
	const char *word = walk_scalar(v);
	unsigned seen;
	int err;

	breaker_cfg_default(&s->breaker);
	if (word && (!strcmp(word, "on") || !strcmp(word, "true"))) {
		s->has_breaker = true;
		return 0;
	}
	if (word && (!strcmp(word, "off") || !strcmp(word, "false")))
		return 0;
	err = walk_map(w, v, breaker_keys, NKEYS(breaker_keys), &s->breaker,
		       "a breaker like {window: 10s, failure_rate: 0.5, open: 30s}, {} or on for the defaults, or off",
		       &seen);
	s->has_breaker = !err;
	return err;
}

int cfg_parse_on_open(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	int x = 0, err = walk_enum(w, v, &cfg_on_open_names, 0, &x);

	((struct cfg_service *)obj)->on_open = x;
	return err;
}

int cfg_parse_service_fallback(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return cfg_parse_fallback(w, v, &((struct cfg_service *)obj)->fallback);
}

/* ---- checks after a service is parsed -------------------------------- */

static int gate_check_render(struct cfg_walk *w, yaml_node_t *n,
			     const struct cfg_service *s)
{
	yaml_node_t *at = s->fallback ? walk_map_get(w, n, "fallback") : n;
	char msg[CFG_ERR_MAX / 2];
	struct sl_reply tpl;
	size_t mark;
	int err;

	if (s->on_open == CFG_ON_OPEN_RESET)
		return 0;
	err = cfg_gate_render(s, &tpl, msg, sizeof(msg));
	if (!err || err == -ENOMEM)
		return err;
	mark = s->fallback ? walk_path_key(w, "fallback") : w->plen;
	if (err == -E2BIG)
		err = walk_err(w, at, "expected a response of at most %d bytes, got %s",
			       SL_REPLY_MAX, msg);
	else
		err = walk_err(w, at, "expected a reply that renders, got: %s", msg);
	walk_path_pop(w, mark);
	return err;
}

int cfg_check_gate(struct cfg_walk *w, yaml_node_t *n,
		   const struct cfg_service *s)
{
	static const char *const keys[] = { "breaker", "on_open", "fallback" };
	yaml_node_t *v;
	char msg[CFG_ERR_MAX / 2];
	size_t mark;
	int err;

	for (size_t i = 0; s->tls && i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v = walk_map_get(w, n, keys[i])))
			return walk_expect_key(w, v, v, keys[i],
					       "no breaker, on_open or fallback on a TLS service (its requests and responses cannot be read)");
	if (s->has_breaker && breaker_cfg_check(&s->breaker, msg, sizeof(msg))) {
		mark = walk_path_key(w, "breaker");
		err = walk_check_err(w, walk_map_get(w, n, "breaker"), msg);
		walk_path_pop(w, mark);
		return err;
	}
	if (s->on_open == CFG_ON_OPEN_FALLBACK && !s->fallback)
		return walk_missing(w, n, "fallback",
				    "a fallback like {status: 200, body: '...'} (on_open is fallback)");
	if (s->fallback && s->on_open != CFG_ON_OPEN_FALLBACK) {
		v = walk_map_get(w, n, "fallback");
		snprintf(msg, sizeof(msg), "a fallback only with on_open: fallback (on_open is %s)",
			 name_of(&cfg_on_open_names, s->on_open));
		return walk_expect_key(w, v, v, "fallback", msg);
	}
	return gate_check_render(w, n, s);
}

char *cfg_failures_format(uint32_t mask, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < NFAIL && o < size; i++)
		if (mask & fail_names[i].bit)
			o += snprintf(buf + o, size - o, "%s%s", o ? " " : "",
				      fail_names[i].name);
	return buf;
}
