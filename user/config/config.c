// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Config loading.  libyaml's document API gives a node tree with line
 * and column marks; we walk it with one key table per mapping.  Every
 * check runs before cfg_parse() returns: the first error found is
 * reported as "FILE:LINE:COL: key.path: expected ..., got '...'" and
 * nothing partial is handed out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "config/config.h"
#include "common/gcra.h"
#include "common/proto.h"

#define FILE_MAX		(64U << 20)
#define NAME_MAX_LEN		(CFG_NAME_MAX - 1)
/* One full Ethernet frame with a VLAN tag: a bytes meter whose burst is
 * smaller can never pass such a frame. */
#define BYTES_MIN_BURST		1518

/* Every prefix of every tier, for the duplicate check across tiers. */
struct pfx_ref {
	struct cfg_prefix p;
	yaml_node_t *node;
	int tier, idx;		/* where it was written: tiers[tier].match[idx] */
	int order;		/* position in the file, to report the later one */
};

struct cfg_ctx {
	const char *name;		/* file name for messages */
	yaml_document_t *doc;
	struct sl_config *cfg;
	char *err;			/* CFG_ERR_MAX bytes; first error wins */
	char path[256];			/* key path of the node being parsed */
	size_t plen;
	int tier;			/* index of the tier being parsed */
	yaml_node_t *name_node[SL_MAX_TIERS];
	int catchall;			/* tier with a /0 prefix, or -1 */
	struct pfx_ref *pfx;
	int npfx, pfx_cap, nv4, nv6;
};

/* A mapping's accepted keys; parse == NULL: accepted and ignored (keys
 * that later issues give a meaning). */
struct cfg_key {
	const char *name;
	int (*parse)(struct cfg_ctx *c, yaml_node_t *v, void *obj);
};

#define KEY_BIT(i)	(1U << (i))

/* ---- messages ------------------------------------------------------- */

static size_t path_push(struct cfg_ctx *c, const char *fmt, ...)
{
	size_t old = c->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->plen = old + (size_t)n < sizeof(c->path) ?
			  old + (size_t)n : sizeof(c->path) - 1;
	return old;
}

static size_t path_key(struct cfg_ctx *c, const char *key)
{
	return path_push(c, c->plen ? ".%s" : "%s", key);
}

static void path_pop(struct cfg_ctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

static const char *scalar_of(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	/* An embedded NUL ("eth0\0x") must not pass as "eth0". */
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* What a node is, for "got ...": 'value' (quoted, one line, cut short),
 * a list, a mapping, or nothing. */
static const char *node_desc(const yaml_node_t *n, char *buf, size_t size)
{
	const unsigned char *v;
	size_t i, o = 0, max = 60;

	if (!n)
		return "nothing";
	if (n->type == YAML_SEQUENCE_NODE)
		return n->data.sequence.items.top == n->data.sequence.items.start ?
		       "an empty list" : "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	v = n->data.scalar.value;
	buf[o++] = '\'';
	for (i = 0; i < n->data.scalar.length && o + 6 < size; i++) {
		if (i == max) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		buf[o++] = v[i] < 0x20 || v[i] == 0x7f ? '?' : (char)v[i];
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* Report at `at`'s position, under the current key path.  Only the
 * first error is kept.  Returns -EINVAL for the caller to pass up. */
static int __attribute__((format(printf, 3, 4)))
cfg_err(struct cfg_ctx *c, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;
	int o;

	if (c->err[0])
		return -EINVAL;
	o = snprintf(c->err, CFG_ERR_MAX, "%s:%zu:%zu: %s: ", c->name,
		     at ? at->start_mark.line + 1 : 1,
		     at ? at->start_mark.column + 1 : 1,
		     c->plen ? c->path : "(top level)");
	if (o > 0 && o < CFG_ERR_MAX) {
		va_start(ap, fmt);
		vsnprintf(c->err + o, CFG_ERR_MAX - o, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* "expected WHAT, got DESC(got)", at `at` (got's parent when missing). */
static int cfg_expect_at(struct cfg_ctx *c, const yaml_node_t *at,
			 const yaml_node_t *got, const char *what)
{
	char desc[96];

	return cfg_err(c, at, "expected %s, got %s", what,
		       node_desc(got, desc, sizeof(desc)));
}

static int cfg_expect(struct cfg_ctx *c, const yaml_node_t *n,
		      const char *what)
{
	return cfg_expect_at(c, n, n, what);
}

/* The same for `got`, the value of `key` below the current path. */
static int cfg_expect_key(struct cfg_ctx *c, const yaml_node_t *at,
			  const yaml_node_t *got, const char *key,
			  const char *what)
{
	size_t mark = path_key(c, key);
	int err = cfg_expect_at(c, at, got, what);

	path_pop(c, mark);
	return err;
}

/* A key missing from mapping `map`. */
static int cfg_missing(struct cfg_ctx *c, const yaml_node_t *map,
		       const char *key, const char *what)
{
	return cfg_expect_key(c, map, NULL, key, what);
}

/* ---- generic walkers ------------------------------------------------ */

static yaml_node_t *node_at(struct cfg_ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static int seq_len(const yaml_node_t *n)
{
	return n->data.sequence.items.top - n->data.sequence.items.start;
}

static yaml_node_t *seq_item(struct cfg_ctx *c, const yaml_node_t *n, int i)
{
	return node_at(c, n->data.sequence.items.start[i]);
}

static int key_find(const struct cfg_key *keys, int nkeys, const char *k)
{
	for (int i = 0; k && i < nkeys; i++)
		if (!strcmp(keys[i].name, k))
			return i;
	return -1;
}

/* Parse mapping `n` with `keys`: unknown and repeated keys are errors.
 * Sets KEY_BIT(i) in *seen for each key present. */
static int map_walk(struct cfg_ctx *c, yaml_node_t *n,
		    const struct cfg_key *keys, int nkeys, void *obj,
		    const char *what, unsigned *seen)
{
	yaml_node_pair_t *pair;

	*seen = 0;
	if (!n || n->type != YAML_MAPPING_NODE)
		return cfg_expect(c, n, what);
	for (pair = n->data.mapping.pairs.start;
	     pair < n->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node_at(c, pair->key);
		const char *ks = scalar_of(k);
		int i = key_find(keys, nkeys, ks);
		size_t mark;
		int err;

		if (i < 0) {
			char allowed[CFG_ERR_MAX / 2] = "", desc[96];
			size_t o = 0;

			for (int j = 0; j < nkeys; j++)
				o += snprintf(allowed + o, sizeof(allowed) - o,
					      "%s%s", j ? ", " : "",
					      keys[j].name);
			mark = path_key(c, ks ? ks : "?");
			err = cfg_err(c, k, "expected a key among %s, got %s",
				      allowed, node_desc(k, desc, sizeof(desc)));
			path_pop(c, mark);
			return err;
		}
		mark = path_key(c, keys[i].name);
		if (*seen & KEY_BIT(i)) {
			const yaml_node_pair_t *first = n->data.mapping.pairs.start;

			while (strcmp(scalar_of(node_at(c, first->key)) ?: "", ks))
				first++;
			err = cfg_err(c, k, "expected each key once (first at line %zu), got '%s' again",
				      node_at(c, first->key)->start_mark.line + 1,
				      ks);
			path_pop(c, mark);
			return err;
		}
		*seen |= KEY_BIT(i);
		err = keys[i].parse ? keys[i].parse(c, node_at(c, pair->value),
						    obj) : 0;
		path_pop(c, mark);
		if (err)
			return err;
	}
	return 0;
}

/* One of `names` (NULL entries are skipped); *out = its index. */
static int parse_enum(struct cfg_ctx *c, yaml_node_t *v,
		      const char *const *names, int n, int *out)
{
	const char *s = scalar_of(v);
	char what[128] = "one of ";
	size_t o = strlen(what);

	for (int i = 0; i < n; i++) {
		if (!names[i])
			continue;
		if (s && !strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
		o += snprintf(what + o, sizeof(what) - o, "%s%s",
			      o > 7 ? "|" : "", names[i]);
	}
	return cfg_expect(c, v, what);
}

/* Digits only: no sign, no spaces, no hex. */
static int str_to_u64(const char *s, uint64_t *out)
{
	uint64_t x = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (__builtin_mul_overflow(x, 10, &x) ||
		    __builtin_add_overflow(x, (uint64_t)(*s - '0'), &x))
			return -ERANGE;
	}
	*out = x;
	return 0;
}

static int parse_uint(struct cfg_ctx *c, yaml_node_t *v, uint64_t min,
		      uint64_t max, const char *what, uint64_t *out)
{
	char buf[128];
	uint64_t x;

	if (str_to_u64(scalar_of(v), &x) || x < min || x > max) {
		snprintf(buf, sizeof(buf), "%s (%llu..%llu)", what,
			 (unsigned long long)min, (unsigned long long)max);
		return cfg_expect(c, v, buf);
	}
	*out = x;
	return 0;
}

/* ---- rates ---------------------------------------------------------- */

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Size units for bytes meters: decimal SI for k/M/G, binary for the
 * i forms; bits are an eighth of a byte. */
static const struct {
	const char *s;
	uint64_t mult, bits;
} size_units[] = {
	{ "B", 1, 1 },			{ "bit", 1, 8 },
	{ "kB", 1000, 1 },		{ "KB", 1000, 1 },
	{ "MB", 1000000, 1 },		{ "GB", 1000000000, 1 },
	{ "KiB", 1ULL << 10, 1 },	{ "MiB", 1ULL << 20, 1 },
	{ "GiB", 1ULL << 30, 1 },
	{ "kbit", 1000, 8 },		{ "Kbit", 1000, 8 },
	{ "Mbit", 1000000, 8 },		{ "Gbit", 1000000000, 8 },
	{ "Kibit", 1ULL << 10, 8 },	{ "Mibit", 1ULL << 20, 8 },
	{ "Gibit", 1ULL << 30, 8 },
};

/*
 * "10", "10/s", "600/m", "3600/h", "0.5/s"; with `bytes` also "10Mbit/s",
 * "1MB/s", "64KiB/s".  Kept exact as count per period: only the factors
 * the notation adds (10^decimals, 8 bits) are reduced, so 600/m stays
 * 600 per 60 s.  Returns 0, -EINVAL (syntax, zero), -EPROTO (size unit
 * on a meter that does not count bytes) or -ERANGE.
 */
static int rate_parse(const char *s, bool bytes, uint64_t *count,
		      uint64_t *period_ns)
{
	uint64_t m = 0, den = 1, mult = 1, per = SL_NSEC_PER_SEC, g;
	const char *p = s, *slash;
	size_t ulen;
	int frac = -1;

	if (!s)
		return -EINVAL;
	for (; (*p >= '0' && *p <= '9') || (*p == '.' && frac < 0); p++) {
		if (*p == '.') {
			frac = 0;
			continue;
		}
		if (frac >= 0 && ++frac > 9)
			return -EINVAL;
		if (__builtin_mul_overflow(m, 10, &m) ||
		    __builtin_add_overflow(m, (uint64_t)(*p - '0'), &m))
			return -ERANGE;
		if (frac > 0)
			den *= 10;
	}
	if (p == s || p[-1] == '.' || (p - s == 1 && frac == 0) || !m)
		return -EINVAL;

	slash = strchr(p, '/');
	ulen = slash ? (size_t)(slash - p) : strlen(p);
	if (ulen) {
		size_t i;

		for (i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++)
			if (strlen(size_units[i].s) == ulen &&
			    !strncmp(p, size_units[i].s, ulen))
				break;
		if (i == sizeof(size_units) / sizeof(size_units[0]))
			return -EINVAL;
		if (!bytes)
			return -EPROTO;
		mult = size_units[i].mult;
		den *= size_units[i].bits;
	}
	if (slash) {
		if (!strcmp(slash, "/s"))
			per = SL_NSEC_PER_SEC;
		else if (!strcmp(slash, "/m"))
			per = 60 * SL_NSEC_PER_SEC;
		else if (!strcmp(slash, "/h"))
			per = 3600 * SL_NSEC_PER_SEC;
		else
			return -EINVAL;
	}
	if (__builtin_mul_overflow(m, mult, &m))
		return -ERANGE;
	g = gcd64(m, den);
	if (__builtin_mul_overflow(per, den / g, &per))
		return -ERANGE;
	*count = m / g;
	*period_ns = per;
	return 0;
}

/* Units per second, rounded up: the default burst. */
static uint64_t rate_per_sec_ceil(uint64_t count, uint64_t period_ns)
{
	unsigned __int128 x = (unsigned __int128)count * SL_NSEC_PER_SEC;

	x = (x + period_ns - 1) / period_ns;
	return x > UINT32_MAX ? UINT32_MAX : (uint64_t)x;
}

/* Rate and burst of a meter whose unit and action are set.  `map` is
 * the meter's mapping (for a missing rate), `rate_key` its key name. */
static int meter_finish(struct cfg_ctx *c, yaml_node_t *map,
			const char *rate_key, yaml_node_t *rate,
			yaml_node_t *burst, struct cfg_meter *m)
{
	bool bytes = m->unit == SL_UNIT_BYTES;
	const char *what = bytes ?
		"a positive byte rate like 1000 (per second), 10Mbit/s, 1MB/s or 64KiB/s" :
		"a positive rate like 10 (per second), 10/s, 600/m, 3600/h or 0.5/s";
	struct sl_meter probe;
	uint64_t b, min_burst = bytes ? BYTES_MIN_BURST : 1;
	size_t mark;
	int err;

	if (!rate)
		return cfg_missing(c, map, rate_key, what);
	mark = path_key(c, rate_key);
	err = rate_parse(scalar_of(rate), bytes, &m->count, &m->period_ns);
	if (err == -EPROTO)
		err = cfg_expect(c, rate, "a rate without a size unit (units like Mbit/s and MB/s need unit: bytes)");
	else if (err == -ERANGE)
		err = cfg_expect(c, rate, "a rate whose count and period fit in 64 bits");
	else if (err)
		err = cfg_expect(c, rate, what);
	/* A rate the meter cannot hold even with a burst of one. */
	if (!err && gcra_meter_set(&probe, m->count, m->period_ns, 1,
				   m->unit, m->action))
		err = cfg_expect(c, rate, bytes ?
			"a byte rate of at least 1 byte per 2 s and at most 65536 per ns" :
			"a rate of at most 65536 per ns");
	path_pop(c, mark);
	if (err)
		return err;

	b = rate_per_sec_ceil(m->count, m->period_ns);
	m->burst = b < min_burst ? min_burst : b;
	if (burst) {
		mark = path_key(c, "burst");
		err = parse_uint(c, burst, min_burst, UINT32_MAX, bytes ?
				 "a burst in bytes of at least one full frame" :
				 "a burst", &b);
		if (!err)
			m->burst = b;
		if (!err && gcra_meter_set(&probe, m->count, m->period_ns,
					   m->burst, m->unit, m->action))
			err = cfg_expect(c, burst, "a burst that the rate drains in under 146 years");
		path_pop(c, mark);
	}
	return err;
}

/* ---- meters --------------------------------------------------------- */

struct meter_in {
	struct cfg_meter *m;
	yaml_node_t *rate, *burst;
	int unit, action;
};

static const char *const unit_names[] = SL_UNIT_NAMES;
static const char *const action_names[] = SL_ACTION_NAMES;
static const char *const verdict_names[] = SL_VERDICT_NAMES;

static int meter_unit(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	const char *names[SL_UNIT__MAX];

	memcpy(names, unit_names, sizeof(names));
	names[SL_UNIT_NONE] = NULL;
	return parse_enum(c, v, names, SL_UNIT__MAX, &((struct meter_in *)obj)->unit);
}

static int meter_action(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	return parse_enum(c, v, action_names, SL_ACT__MAX,
			  &((struct meter_in *)obj)->action);
}

static int meter_rate(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	(void)c;
	((struct meter_in *)obj)->rate = v;	/* parsed once the unit is known */
	return 0;
}

static int meter_burst(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	(void)c;
	((struct meter_in *)obj)->burst = v;
	return 0;
}

static const struct cfg_key meter_keys[] = {
	{ "unit", meter_unit },
	{ "rate", meter_rate },
	{ "burst", meter_burst },
	{ "action", meter_action },
};

static int meter_parse(struct cfg_ctx *c, yaml_node_t *n, struct cfg_meter *m)
{
	struct meter_in in = { .m = m, .unit = SL_UNIT_NONE,
			       .action = SL_ACT_DROP };
	unsigned seen;
	int err;

	err = map_walk(c, n, meter_keys, 4, &in,
		       "a limit like {unit: requests, rate: 10/s, burst: 20}",
		       &seen);
	if (err)
		return err;
	if (!(seen & KEY_BIT(0)))
		return cfg_missing(c, n, "unit",
				   "one of packets|bytes|connections|requests");
	m->unit = in.unit;
	m->action = in.action;
	return meter_finish(c, n, "rate", in.rate, in.burst, m);
}

/* ---- tiers ---------------------------------------------------------- */

static int tier_name(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	struct cfg_tier *t = obj;
	const char *s = scalar_of(v);
	size_t len = s ? strlen(s) : 0;

	if (!len || len > NAME_MAX_LEN ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != len)
		return cfg_expect(c, v, "a tier name of 1..63 characters from A-Z a-z 0-9 _ -");
	for (int i = 0; i < c->tier; i++)
		if (!strcmp(c->cfg->tiers[i].name, s))
			return cfg_err(c, v, "expected a unique tier name, got '%s' (also tiers[%d] at line %d)",
				       s, i, c->cfg->tiers[i].line);
	memcpy(t->name, s, len + 1);
	c->name_node[c->tier] = v;
	return 0;
}

static int pfx_remember(struct cfg_ctx *c, const struct cfg_prefix *p,
			yaml_node_t *n, int idx)
{
	if (c->npfx == c->pfx_cap) {
		int cap = c->pfx_cap ? 2 * c->pfx_cap : 256;
		struct pfx_ref *r = realloc(c->pfx, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		c->pfx = r;
		c->pfx_cap = cap;
	}
	c->pfx[c->npfx] = (struct pfx_ref){ .p = *p, .node = n,
					    .tier = c->tier, .idx = idx,
					    .order = c->npfx };
	c->npfx++;
	return 0;
}

static int tier_prefix(struct cfg_ctx *c, yaml_node_t *v, int idx,
		       struct cfg_prefix *p)
{
	char want[ADDR_STR_MAX + 64], a[ADDR_STR_MAX];
	const char *s = scalar_of(v);
	struct cfg_prefix masked;

	if (!s || addr_parse(s, p))
		return cfg_expect(c, v, "an IPv4 or IPv6 prefix like 198.18.0.0/15 or 2001:2::/48");
	if (!addr_is_masked(p)) {
		masked = *p;
		addr_mask(&masked, p->len);
		snprintf(want, sizeof(want), "a prefix without host bits (%s)",
			 addr_format(&masked, true, a, sizeof(a)));
		return cfg_expect(c, v, want);
	}
	if ((p->family == SL_AF_INET ? ++c->nv4 : ++c->nv6) > SL_MAX_PREFIXES)
		return cfg_expect(c, v, p->family == SL_AF_INET ?
				  "at most 65536 IPv4 prefixes in all tiers" :
				  "at most 65536 IPv6 prefixes in all tiers");
	if (p->len == 0) {
		if (c->catchall >= 0 && c->catchall != c->tier) {
			const struct cfg_tier *o = &c->cfg->tiers[c->catchall];

			return cfg_err(c, v, "expected one catch-all tier, got '%s' (tiers[%d] '%s' at line %d is the catch-all already)",
				       s, c->catchall, o->name, o->line);
		}
		c->catchall = c->tier;
	}
	return pfx_remember(c, p, v, idx);
}

static int tier_match(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	static const char what[] = "a list of prefixes like [198.18.0.0/15, 2001:2::/48]";
	struct cfg_tier *t = obj;
	int n, err;

	if (!v || v->type != YAML_SEQUENCE_NODE || !(n = seq_len(v)))
		return cfg_expect(c, v, what);
	t->match = calloc(n, sizeof(*t->match));
	if (!t->match)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		size_t mark = path_push(c, "[%d]", i);

		err = tier_prefix(c, seq_item(c, v, i), i, &t->match[i]);
		path_pop(c, mark);
		if (err)
			return err;
		t->nmatch++;
	}
	return 0;
}

static int key_len(struct cfg_ctx *c, yaml_node_t *v, bool v6, uint8_t *out)
{
	uint64_t x;
	int err = parse_uint(c, v, 1, v6 ? 128 : 32, v6 ?
			     "an IPv6 prefix length" : "an IPv4 prefix length", &x);

	if (!err)
		*out = x;
	return err;
}

static int key_v4(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	return key_len(c, v, false, &((struct cfg_tier *)obj)->v4_prefix);
}

static int key_v6(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	return key_len(c, v, true, &((struct cfg_tier *)obj)->v6_prefix);
}

static const struct cfg_key key_keys[] = {
	{ "v4_prefix", key_v4 },
	{ "v6_prefix", key_v6 },
};

static int tier_key(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	unsigned seen;

	return map_walk(c, v, key_keys, 2, obj,
			"a mapping like {v4_prefix: 32, v6_prefix: 64}", &seen);
}

static int tier_verdict(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	int x = 0, err = parse_enum(c, v, verdict_names, SL_TIER__MAX, &x);

	((struct cfg_tier *)obj)->verdict = x;
	return err;
}

static int tier_limits(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	struct cfg_tier *t = obj;
	int n, err;

	if (!v || v->type != YAML_SEQUENCE_NODE)
		return cfg_expect(c, v, "a list of limits like [{unit: requests, rate: 10/s}]");
	n = seq_len(v);
	for (int i = 0; i < n; i++) {
		size_t mark = path_push(c, "[%d]", i);

		if (i == SL_METERS_PER_TIER)
			err = cfg_err(c, seq_item(c, v, i),
				      "expected at most %d limits per tier, got %d",
				      SL_METERS_PER_TIER, n);
		else
			err = meter_parse(c, seq_item(c, v, i), &t->meters[i]);
		path_pop(c, mark);
		if (err)
			return err;
		t->nmeters++;
	}
	return 0;
}

static const struct cfg_key flood_keys[] = {
	{ "new_clients", meter_rate },
	{ "burst", meter_burst },
};

static int tier_flood(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	struct cfg_tier *t = obj;
	struct meter_in in = { .m = &t->new_clients };
	unsigned seen;
	int err;

	err = map_walk(c, v, flood_keys, 2, &in,
		       "a mapping like {new_clients: 1000/s, burst: 2000}", &seen);
	if (err)
		return err;
	/* One unit per new client entry. */
	t->new_clients.unit = SL_UNIT_PACKETS;
	t->new_clients.action = SL_ACT_DROP;
	err = meter_finish(c, v, "new_clients", in.rate, in.burst,
			   &t->new_clients);
	t->flood_guard = !err;
	return err;
}

enum { TK_NAME, TK_MATCH, TK_KEY, TK_VERDICT, TK_LIMITS, TK_FLOOD };

static const struct cfg_key tier_keys[] = {
	[TK_NAME]	= { "name", tier_name },
	[TK_MATCH]	= { "match", tier_match },
	[TK_KEY]	= { "key", tier_key },
	[TK_VERDICT]	= { "verdict", tier_verdict },
	[TK_LIMITS]	= { "limits", tier_limits },
	[TK_FLOOD]	= { "flood_guard", tier_flood },
	{ "degrade", NULL },
};

/* Value node of `key` in mapping `n` (present: map_walk saw it). */
static yaml_node_t *map_get(struct cfg_ctx *c, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *pair;

	for (pair = n->data.mapping.pairs.start;
	     pair < n->data.mapping.pairs.top; pair++)
		if (!strcmp(scalar_of(node_at(c, pair->key)) ?: "", key))
			return node_at(c, pair->value);
	return NULL;
}

static int tier_parse(struct cfg_ctx *c, yaml_node_t *n, struct cfg_tier *t)
{
	yaml_node_t *v;
	char what[96];
	unsigned seen;
	int err;

	t->verdict = SL_TIER_LIMIT;
	t->v4_prefix = 32;
	t->v6_prefix = 64;
	t->line = n->start_mark.line + 1;
	err = map_walk(c, n, tier_keys, sizeof(tier_keys) / sizeof(tier_keys[0]),
		       t, "a tier like {name: vip, match: [198.18.10.0/24], limits: [...]}",
		       &seen);
	if (err)
		return err;
	if (!(seen & KEY_BIT(TK_NAME)))
		return cfg_missing(c, n, "name", "a tier name");
	/* Meters on an allow- or denylist tier would never run. */
	snprintf(what, sizeof(what), "no limits on a tier with verdict %s",
		 verdict_names[t->verdict]);
	if (t->verdict != SL_TIER_LIMIT && t->nmeters) {
		v = map_get(c, n, "limits");
		return cfg_expect_key(c, v, v, "limits", what);
	}
	snprintf(what, sizeof(what), "no flood_guard on a tier with verdict %s",
		 verdict_names[t->verdict]);
	if (t->verdict != SL_TIER_LIMIT && t->flood_guard) {
		v = map_get(c, n, "flood_guard");
		return cfg_expect_key(c, v, v, "flood_guard", what);
	}
	return 0;
}

static int pfx_cmp(const void *a, const void *b)
{
	const struct pfx_ref *x = a, *y = b;
	int d = memcmp(&x->p, &y->p, sizeof(x->p));

	return d ? d : x->order - y->order;
}

/* The same prefix twice (in one tier or two): report the later one. */
static int tiers_check_dups(struct cfg_ctx *c)
{
	const struct pfx_ref *dup = NULL, *first = NULL;

	qsort(c->pfx, c->npfx, sizeof(*c->pfx), pfx_cmp);
	for (int i = 1; i < c->npfx; i++) {
		const struct pfx_ref *a = &c->pfx[i - 1], *b = &c->pfx[i];

		if (!addr_equal(&a->p, &b->p) || (dup && dup->order < b->order))
			continue;
		dup = b;
		/* The first occurrence of that prefix starts its run. */
		for (first = a; first > c->pfx && addr_equal(&first[-1].p, &b->p);)
			first--;
	}
	if (!dup)
		return 0;
	c->plen = 0;
	path_push(c, "tiers[%d].match[%d]", dup->tier, dup->idx);
	return cfg_err(c, dup->node, "expected each prefix once, got '%s' again (first in tiers[%d] '%s' at line %zu)",
		       scalar_of(dup->node), first->tier,
		       c->cfg->tiers[first->tier].name,
		       first->node->start_mark.line + 1);
}

static int parse_tiers(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	struct sl_config *cfg = obj;
	int n, err;

	if (!v || v->type != YAML_SEQUENCE_NODE || !(n = seq_len(v)))
		return cfg_expect(c, v, "a list of tiers");
	if (n > SL_MAX_TIERS) {
		size_t mark = path_push(c, "[%d]", SL_MAX_TIERS);

		err = cfg_err(c, seq_item(c, v, SL_MAX_TIERS),
			      "expected at most %d tiers, got %d", SL_MAX_TIERS, n);
		path_pop(c, mark);
		return err;
	}
	cfg->tiers = calloc(n, sizeof(*cfg->tiers));
	if (!cfg->tiers)
		return -ENOMEM;
	cfg->ntiers = n;	/* all zeroed, so cfg_free copes with a partial parse */
	for (int i = 0; i < n; i++) {
		size_t mark = path_push(c, "[%d]", i);

		c->tier = i;
		err = tier_parse(c, seq_item(c, v, i), &cfg->tiers[i]);
		path_pop(c, mark);
		if (err)
			return err;
	}

	/* The default tier: the one matching /0, else the one named default. */
	cfg->default_tier = c->catchall;
	for (int i = 0; i < n && cfg->default_tier < 0; i++)
		if (!strcmp(cfg->tiers[i].name, "default"))
			cfg->default_tier = i;
	if (cfg->default_tier < 0)
		return cfg_err(c, v, "expected a catch-all tier (one matching 0.0.0.0/0 or ::/0, or one named 'default'), got none");
	for (int i = 0; i < n; i++) {
		size_t mark;

		if (i == cfg->default_tier || cfg->tiers[i].nmatch)
			continue;
		mark = path_push(c, "[%d]", i);
		err = cfg_missing(c, seq_item(c, v, i), "match",
				  "a list of prefixes (only the default tier may have none)");
		path_pop(c, mark);
		return err;
	}
	return tiers_check_dups(c);
}

/* ---- top level ------------------------------------------------------ */

static int iface_name(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	struct cfg_iface *f = obj;
	const char *s = scalar_of(v);
	size_t len = s ? strlen(s) : 0;

	/* The kernel's dev_valid_name() rules. */
	if (!len || len >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, "..") ||
	    strpbrk(s, "/: \t\n\r\f\v"))
		return cfg_expect(c, v, "an interface name (1..15 characters, no '/', ':' or spaces)");
	for (int i = 0; i < c->cfg->niface; i++)
		if (!strcmp(c->cfg->ifaces[i].name, s))
			return cfg_err(c, v, "expected each interface once, got '%s' again", s);
	memcpy(f->name, s, len + 1);
	return 0;
}

static int iface_attach(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	static const char *const names[] = { "auto", "native", "generic" };

	return parse_enum(c, v, names, 3, &((struct cfg_iface *)obj)->attach);
}

static const struct cfg_key iface_keys[] = {
	{ "name", iface_name },
	{ "attach", iface_attach },
};

static int iface_parse(struct cfg_ctx *c, yaml_node_t *v)
{
	struct sl_config *cfg = c->cfg;
	struct cfg_iface *f = &cfg->ifaces[cfg->niface];
	unsigned seen;
	int err;

	if (cfg->niface == CFG_MAX_IFACES)
		return cfg_err(c, v, "expected at most %d interfaces", CFG_MAX_IFACES);
	memset(f, 0, sizeof(*f));
	if (v && v->type == YAML_MAPPING_NODE) {
		err = map_walk(c, v, iface_keys, 2, f, "{name, attach}", &seen);
		if (!err && !(seen & KEY_BIT(0)))
			err = cfg_missing(c, v, "name", "an interface name");
	} else if (v && v->type == YAML_SCALAR_NODE) {
		err = iface_name(c, v, f);
	} else {
		err = cfg_expect(c, v, "an interface name or {name: eth0, attach: auto|native|generic}");
	}
	if (!err)
		cfg->niface++;
	return err;
}

static int parse_interfaces(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	int n, err = 0;

	(void)obj;
	if (c->cfg->niface)
		return cfg_expect(c, v, "either interface or interfaces, not both");
	if (!v || v->type != YAML_SEQUENCE_NODE || !(n = seq_len(v)))
		return cfg_expect(c, v, "a list of interfaces like [eth0, {name: eth1, attach: generic}]");
	for (int i = 0; i < n && !err; i++) {
		size_t mark = path_push(c, "[%d]", i);

		err = iface_parse(c, seq_item(c, v, i));
		path_pop(c, mark);
	}
	return err;
}

static int parse_interface(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	(void)obj;
	if (c->cfg->niface)
		return cfg_expect(c, v, "either interface or interfaces, not both");
	return iface_parse(c, v);
}

static int parse_mode(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	static const char *const names[] = { "enforce", "shadow" };

	return parse_enum(c, v, names, 2, &((struct sl_config *)obj)->mode);
}

static int parse_malformed(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	static const char *const names[] = { "pass", "drop" };

	return parse_enum(c, v, names, 2, &((struct sl_config *)obj)->malformed);
}

static int parse_log_level(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	return parse_enum(c, v, names, 4, &((struct sl_config *)obj)->log_level);
}

static int parse_clients(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	uint64_t x;
	int err = parse_uint(c, v, CFG_CLIENTS_MIN, CFG_CLIENTS_MAX,
			     "a client table size", &x);

	if (!err)
		((struct sl_config *)obj)->client_table_size = x;
	return err;
}

static int parse_socket(struct cfg_ctx *c, yaml_node_t *v, void *obj)
{
	struct sl_config *cfg = obj;
	const char *s = scalar_of(v);

	if (!s || s[0] != '/' || strlen(s) >= sizeof(cfg->control_socket))
		return cfg_expect(c, v, "an absolute path of at most 107 characters");
	strcpy(cfg->control_socket, s);
	return 0;
}

enum { K_IFACES, K_IFACE, K_TIERS };

static const struct cfg_key top_keys[] = {
	[K_IFACES]	= { "interfaces", parse_interfaces },
	[K_IFACE]	= { "interface", parse_interface },
	[K_TIERS]	= { "tiers", parse_tiers },
	{ "mode", parse_mode },
	{ "malformed", parse_malformed },
	{ "client_table_size", parse_clients },
	{ "control_socket", parse_socket },
	{ "log_level", parse_log_level },
	{ "services", NULL },
	{ "degrade", NULL },
	{ "metrics", NULL },
	{ "redis", NULL },
};

static int cfg_walk(struct cfg_ctx *c, yaml_node_t *root)
{
	struct sl_config *cfg = c->cfg;
	unsigned seen;
	int err;

	cfg->mode = SL_MODE_ENFORCE;
	cfg->malformed = SL_POLICY_PASS;
	cfg->client_table_size = SL_DEFAULT_CLIENTS;
	cfg->log_level = CFG_LOG_INFO;
	cfg->default_tier = -1;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 SL_CONTROL_SOCKET);

	if (!root)
		return cfg_err(c, NULL, "expected a mapping with interfaces and tiers, got an empty file");
	err = map_walk(c, root, top_keys, sizeof(top_keys) / sizeof(top_keys[0]),
		       cfg, "a mapping with interfaces and tiers", &seen);
	if (err)
		return err;
	if (!(seen & (KEY_BIT(K_IFACES) | KEY_BIT(K_IFACE))))
		return cfg_missing(c, root, "interfaces",
				   "a list of interfaces like [eth0]");
	if (!(seen & KEY_BIT(K_TIERS)))
		return cfg_missing(c, root, "tiers", "a list of tiers");
	return 0;
}

/* ---- entry points --------------------------------------------------- */

static uint64_t fnv1a64(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* libyaml's own message, with the position.  Reader errors (bad UTF-8)
 * carry a byte offset instead of a mark. */
static int yaml_fail(struct cfg_ctx *c, const yaml_parser_t *p,
		     const char *text, size_t len)
{
	yaml_mark_t m = p->problem_mark;
	int o;

	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(c->err, CFG_ERR_MAX, "%s: out of memory", c->name);
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		m.line = m.column = 0;
		m.index = len;		/* no hint below */
		for (size_t i = 0; i < p->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				m.line++;
				m.column = 0;
			} else {
				m.column++;
			}
		}
	}
	o = snprintf(c->err, CFG_ERR_MAX, "%s:%zu:%zu: YAML syntax: %s",
		     c->name, m.line + 1, m.column + 1,
		     p->problem ? p->problem : "error");
	if (p->context && o > 0 && o < CFG_ERR_MAX)
		o += snprintf(c->err + o, CFG_ERR_MAX - o, " (%s at %zu:%zu)",
			      p->context, p->context_mark.line + 1,
			      p->context_mark.column + 1);
	/* libyaml (YAML 1.1) reads a leading ':' inside [...] or {...} as
	 * a key indicator, so [0.0.0.0/0, ::/0] fails: say how to write it. */
	if (p->error == YAML_PARSER_ERROR && m.index < len &&
	    text[m.index] == ':' && o > 0 && o < CFG_ERR_MAX)
		snprintf(c->err + o, CFG_ERR_MAX - o,
			 "; inside [...] or {...} quote addresses that start with ':', like \"::/0\"");
	return -EINVAL;
}

int cfg_parse(const char *name, const char *text, size_t len,
	      struct sl_config **out, char err[CFG_ERR_MAX])
{
	struct cfg_ctx c = { .name = name, .err = err, .catchall = -1 };
	yaml_document_t doc, extra;
	yaml_parser_t parser;
	struct sl_config *cfg;
	int ret, loaded = 0;

	*out = NULL;
	err[0] = '\0';
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg || !yaml_parser_initialize(&parser)) {
		free(cfg);
		snprintf(err, CFG_ERR_MAX, "%s: out of memory", name);
		return -ENOMEM;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	cfg->hash = fnv1a64(text, len);
	c.cfg = cfg;
	c.doc = &doc;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

	if (!yaml_parser_load(&parser, &doc)) {
		ret = yaml_fail(&c, &parser, text, len);
		goto out;
	}
	loaded = 1;
	ret = cfg_walk(&c, yaml_document_get_root_node(&doc));
	if (ret)
		goto out;
	/* A second document would be silently ignored: refuse it. */
	if (!yaml_parser_load(&parser, &extra)) {
		ret = yaml_fail(&c, &parser, text, len);
		goto out;
	}
	if (yaml_document_get_root_node(&extra))
		ret = cfg_err(&c, yaml_document_get_root_node(&extra),
			      "expected one YAML document, got a second one");
	yaml_document_delete(&extra);
out:
	if (ret && !err[0])
		snprintf(err, CFG_ERR_MAX, "%s: %s", name, strerror(-ret));
	if (loaded)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(c.pfx);
	if (ret) {
		cfg_free(cfg);
		return ret;
	}
	*out = cfg;
	return 0;
}

int cfg_load(const char *path, struct sl_config **out, char err[CFG_ERR_MAX])
{
	size_t len = 0, cap = 0;
	char *text = NULL, *t;
	struct stat st;
	FILE *f;
	int ret = 0;

	*out = NULL;
	f = fopen(path, "re");
	if (!f || fstat(fileno(f), &st)) {
		ret = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto out;
	}
	/* Read to EOF rather than trust st_size: pipes (-c <(...)) work too. */
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			if (cap > FILE_MAX + 1) {
				ret = -EFBIG;
				goto out;
			}
			t = realloc(text, cap + 1);
			if (!t) {
				ret = -ENOMEM;
				goto out;
			}
			text = t;
		}
		len += fread(text + len, 1, cap - len, f);
	} while (len == cap);
	if (ferror(f))
		ret = -EIO;
out:
	if (f)
		fclose(f);
	if (ret)
		snprintf(err, CFG_ERR_MAX, "%s: cannot read: %s", path,
			 ret == -EFBIG ? "larger than 64 MiB" : strerror(-ret));
	else
		ret = cfg_parse(path, text, len, out, err);
	free(text);
	return ret;
}

void cfg_free(struct sl_config *cfg)
{
	if (!cfg)
		return;
	for (int i = 0; i < cfg->ntiers && cfg->tiers; i++)
		free(cfg->tiers[i].match);
	free(cfg->tiers);
	free(cfg);
}

/*
 * The coarse clock (bpf_ktime_get_coarse_ns, ~9 ns) moves in 4 ms ticks;
 * the precise one costs ~36 ns on kvm-clock.  A tier takes the coarse
 * clock when every meter it runs (the flood guard's included) tolerates
 * at least CFG_COARSE_MIN_TOL_NS, four ticks: a tick's refill then always
 * fits in the bucket, so long-run rates stay exact and timing is off by
 * at most one tick, a quarter of the burst window.  Tighter meters keep
 * the precise clock, where a tick would swallow tokens.
 */
int cfg_tier_to_abi(const struct cfg_tier *t, struct sl_tier *out)
{
	bool coarse = true;
	int err;

	memset(out, 0, sizeof(*out));
	out->verdict = t->verdict;
	out->nmeters = t->nmeters;
	out->v4_prefix = t->v4_prefix;
	out->v6_prefix = t->v6_prefix;
	for (int i = 0; i < t->nmeters; i++) {
		const struct cfg_meter *m = &t->meters[i];

		err = gcra_meter_set(&out->meters[i], m->count, m->period_ns,
				     m->burst, m->unit, m->action);
		if (err)
			return err;
		coarse &= out->meters[i].tolerance_ns >= CFG_COARSE_MIN_TOL_NS;
	}
	if (t->flood_guard) {
		const struct cfg_meter *m = &t->new_clients;

		err = gcra_meter_set(&out->new_clients, m->count, m->period_ns,
				     m->burst, m->unit, m->action);
		if (err)
			return err;
		coarse &= out->new_clients.tolerance_ns >= CFG_COARSE_MIN_TOL_NS;
		out->flags |= SL_TIER_F_FLOOD_GUARD;
	}
	if (coarse)
		out->flags |= SL_TIER_F_COARSE_CLOCK;
	return 0;
}

char *cfg_rate_format(const struct cfg_meter *m, char *buf, size_t size)
{
	static const struct { uint64_t ns; char c; } per[] = {
		{ SL_NSEC_PER_SEC, 's' },
		{ 60 * SL_NSEC_PER_SEC, 'm' },
		{ 3600 * SL_NSEC_PER_SEC, 'h' },
	};

	for (size_t i = 0; i < sizeof(per) / sizeof(per[0]); i++)
		if (m->period_ns == per[i].ns) {
			snprintf(buf, size, "%llu/%c",
				 (unsigned long long)m->count, per[i].c);
			return buf;
		}
	snprintf(buf, size, "%.6g/s", m->period_ns ?
		 (double)m->count * SL_NSEC_PER_SEC / m->period_ns : 0.0);
	return buf;
}
