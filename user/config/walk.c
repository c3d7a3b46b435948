// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The generic half of config loading: key paths, messages and one
 * table-driven walk per mapping over libyaml's node tree (walk.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/walk.h"
#include "config/config.h"	/* CFG_ERR_MAX */
#include "config/duration.h"

/* ---- messages ------------------------------------------------------- */

size_t walk_path_push(struct cfg_walk *w, const char *fmt, ...)
{
	size_t old = w->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(w->path + old, sizeof(w->path) - old, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->plen = old + (size_t)n < sizeof(w->path) ?
			  old + (size_t)n : sizeof(w->path) - 1;
	return old;
}

size_t walk_path_key(struct cfg_walk *w, const char *key)
{
	return walk_path_push(w, w->plen ? ".%s" : "%s", key);
}

void walk_path_pop(struct cfg_walk *w, size_t old)
{
	w->plen = old;
	w->path[old] = '\0';
}

const char *walk_scalar(const yaml_node_t *n)
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
int walk_err(struct cfg_walk *w, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;
	int o;

	if (w->err[0])
		return -EINVAL;
	o = snprintf(w->err, CFG_ERR_MAX, "%s:%zu:%zu: %s: ", w->name,
		     at ? at->start_mark.line + 1 : 1,
		     at ? at->start_mark.column + 1 : 1,
		     w->plen ? w->path : "(top level)");
	if (o > 0 && o < CFG_ERR_MAX) {
		va_start(ap, fmt);
		vsnprintf(w->err + o, CFG_ERR_MAX - o, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* "expected WHAT, got DESC(got)", at `at` (got's parent when missing). */
int walk_expect_at(struct cfg_walk *w, const yaml_node_t *at,
			 const yaml_node_t *got, const char *what)
{
	char desc[96];

	return walk_err(w, at, "expected %s, got %s", what,
		        node_desc(got, desc, sizeof(desc)));
}

int walk_expect(struct cfg_walk *w, const yaml_node_t *n,
		      const char *what)
{
	return walk_expect_at(w, n, n, what);
}

/* The same for `got`, the value of `key` below the current path. */
int walk_expect_key(struct cfg_walk *w, const yaml_node_t *at,
			  const yaml_node_t *got, const char *key,
			  const char *what)
{
	size_t mark = walk_path_key(w, key);
	int err = walk_expect_at(w, at, got, what);

	walk_path_pop(w, mark);
	return err;
}

/* A key missing from mapping `map`. */
int walk_missing(struct cfg_walk *w, const yaml_node_t *map,
		       const char *key, const char *what)
{
	return walk_expect_key(w, map, NULL, key, what);
}

/* ---- generic walkers ------------------------------------------------ */

yaml_node_t *walk_node(struct cfg_walk *w, int id)
{
	return yaml_document_get_node(w->doc, id);
}

int walk_seq_len(const yaml_node_t *n)
{
	return n->data.sequence.items.top - n->data.sequence.items.start;
}

yaml_node_t *walk_seq_item(struct cfg_walk *w, const yaml_node_t *n, int i)
{
	return walk_node(w, n->data.sequence.items.start[i]);
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
int walk_map(struct cfg_walk *w, yaml_node_t *n,
		    const struct cfg_key *keys, int nkeys, void *obj,
		    const char *what, unsigned *seen)
{
	yaml_node_pair_t *pair;

	*seen = 0;
	if (!n || n->type != YAML_MAPPING_NODE)
		return walk_expect(w, n, what);
	for (pair = n->data.mapping.pairs.start;
	     pair < n->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = walk_node(w, pair->key);
		const char *ks = walk_scalar(k);
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
			mark = walk_path_key(w, ks ? ks : "?");
			err = walk_err(w, k, "expected a key among %s, got %s",
				       allowed, node_desc(k, desc, sizeof(desc)));
			walk_path_pop(w, mark);
			return err;
		}
		mark = walk_path_key(w, keys[i].name);
		if (*seen & KEY_BIT(i)) {
			const yaml_node_pair_t *first = n->data.mapping.pairs.start;

			while (strcmp(walk_scalar(walk_node(w, first->key)) ?: "", ks))
				first++;
			err = walk_err(w, k, "expected each key once (first at line %zu), got '%s' again",
				       walk_node(w, first->key)->start_mark.line + 1,
				       ks);
			walk_path_pop(w, mark);
			return err;
		}
		*seen |= KEY_BIT(i);
		err = keys[i].parse ? keys[i].parse(w, walk_node(w, pair->value),
						    obj) : 0;
		walk_path_pop(w, mark);
		if (err)
			return err;
	}
	return 0;
}

yaml_node_t *walk_map_get(struct cfg_walk *w, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *pair;

	for (pair = n->data.mapping.pairs.start;
	     pair < n->data.mapping.pairs.top; pair++)
		if (!strcmp(walk_scalar(walk_node(w, pair->key)) ?: "", key))
			return walk_node(w, pair->value);
	return NULL;
}

int walk_enum(struct cfg_walk *w, yaml_node_t *v, const struct sl_names *t,
	      int first, int *out)
{
	char what[128] = "one of ";
	int x = name_parse(t, walk_scalar(v), first);

	if (x >= 0) {
		*out = x;
		return 0;
	}
	name_list(t, first, "|", what + 7, sizeof(what) - 7);
	return walk_expect(w, v, what);
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

int walk_uint(struct cfg_walk *w, yaml_node_t *v, uint64_t min,
		      uint64_t max, const char *what, uint64_t *out)
{
	char buf[128];
	uint64_t x;

	if (str_to_u64(walk_scalar(v), &x) || x < min || x > max) {
		snprintf(buf, sizeof(buf), "%s (%llu..%llu)", what,
			 (unsigned long long)min, (unsigned long long)max);
		return walk_expect(w, v, buf);
	}
	*out = x;
	return 0;
}

int walk_number(struct cfg_walk *w, yaml_node_t *v, double min, double max,
		const char *what, double *out)
{
	const char *s = walk_scalar(v);
	size_t digits;
	char *end;
	double x;

	/* strtod alone would take "-1", " 1", "1e3", "0x1p3", "nan". */
	digits = s ? strspn(s, "0123456789") : 0;
	if (digits && s[digits] == '.')
		digits += 1 + strspn(s + digits + 1, "0123456789");
	if (!digits || s[digits] || s[digits - 1] == '.')
		return walk_expect(w, v, what);
	x = strtod(s, &end);
	if (*end || !(x >= min && x <= max))
		return walk_expect(w, v, what);
	*out = x;
	return 0;
}

int walk_duration(struct cfg_walk *w, yaml_node_t *v, uint64_t min_ns,
		  uint64_t max_ns, const char *bounds, uint64_t *out)
{
	const char *s = walk_scalar(v);
	char what[128];
	uint64_t ns;

	if (s && !cfg_duration_parse(s, &ns) && ns >= min_ns && ns <= max_ns) {
		*out = ns;
		return 0;
	}
	snprintf(what, sizeof(what), "a duration like 500ms, 10s or 5m (%s)", bounds);
	return walk_expect(w, v, what);
}

int walk_check_err(struct cfg_walk *w, yaml_node_t *map, const char *msg)
{
	const char *sep = strstr(msg, ": ");
	yaml_node_t *at = NULL;
	char key[64], desc[96];
	size_t mark;
	int err;

	if (!sep || (size_t)(sep - msg) >= sizeof(key))
		return walk_err(w, map, "%s", msg);
	memcpy(key, msg, sep - msg);
	key[sep - msg] = '\0';
	if (map && map->type == YAML_MAPPING_NODE)
		at = walk_map_get(w, map, key);
	mark = walk_path_key(w, key);
	if (at)
		err = walk_err(w, at, "%s, got %s", sep + 2,
			       node_desc(at, desc, sizeof(desc)));
	else
		err = walk_err(w, map, "%s, got its default (set %s)", sep + 2, key);
	walk_path_pop(w, mark);
	return err;
}

/* Does a flow value start with ':' at text[i] (an address like ::/0),
 * rather than a key's ':' ending the word before it? */
static bool colon_value_at(const char *text, size_t len, size_t i)
{
	if (i >= len || text[i] != ':')
		return false;
	return i == 0 || strchr(" \t\r\n[{,", text[i - 1]);
}

/* libyaml's own message, with the position.  Reader errors (bad UTF-8)
 * carry a byte offset instead of a mark. */
int walk_yaml_fail(struct cfg_walk *w, const yaml_parser_t *p,
		     const char *text, size_t len)
{
	yaml_mark_t m = p->problem_mark;
	int o;

	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(w->err, CFG_ERR_MAX, "%s: out of memory", w->name);
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
	o = snprintf(w->err, CFG_ERR_MAX, "%s:%zu:%zu: YAML syntax: %s",
		     w->name, m.line + 1, m.column + 1,
		     p->problem ? p->problem : "error");
	if (p->context && o > 0 && o < CFG_ERR_MAX)
		o += snprintf(w->err + o, CFG_ERR_MAX - o, " (%s at %zu:%zu)",
			      p->context, p->context_mark.line + 1,
			      p->context_mark.column + 1);
	/* libyaml (YAML 1.1) reads a leading ':' inside [...] or {...} as
	 * a key indicator, so [0.0.0.0/0, ::/0] fails: say how to write it,
	 * but only when a value there starts with ':' ("tiers:" after an
	 * unclosed '[' is another mistake). */
	if (p->error == YAML_PARSER_ERROR && colon_value_at(text, len, m.index) &&
	    o > 0 && o < CFG_ERR_MAX)
		snprintf(w->err + o, CFG_ERR_MAX - o,
			 "; inside [...] or {...} quote addresses that start with ':', like \"::/0\"");
	return -EINVAL;
}
