/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A table-driven walk over libyaml's node tree.  Each mapping is parsed
 * with a table of its keys; unknown and repeated keys are errors.  Every
 * error is one line, "FILE:LINE:COL: key.path: expected WHAT, got
 * 'VALUE'", and only the first one is kept.
 */
#ifndef SLUICE_CONFIG_WALK_H
#define SLUICE_CONFIG_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "common/names.h"

struct cfg_walk {
	const char *name;		/* file name for messages */
	yaml_document_t *doc;
	char *err;			/* CFG_ERR_MAX bytes; first error wins */
	char path[256];			/* key path of the node being parsed */
	size_t plen;
	void *section;			/* state of the section being walked */
};

/* A mapping's accepted keys; parse == NULL: accepted and ignored (keys
 * that later issues give a meaning). */
struct cfg_key {
	const char *name;
	int (*parse)(struct cfg_walk *w, yaml_node_t *v, void *obj);
};

#define KEY_BIT(i)	(1U << (i))
#define NKEYS(k)	((int)(sizeof(k) / sizeof((k)[0])))

/* The key path: push returns the mark that pop goes back to. */
size_t walk_path_push(struct cfg_walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
size_t walk_path_key(struct cfg_walk *w, const char *key);
void walk_path_pop(struct cfg_walk *w, size_t mark);

/* Report at `at`'s position, under the current key path.  Returns
 * -EINVAL for the caller to pass up. */
int walk_err(struct cfg_walk *w, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "expected WHAT, got DESC(got)", at `at` (got's parent when missing). */
int walk_expect_at(struct cfg_walk *w, const yaml_node_t *at,
		   const yaml_node_t *got, const char *what);
int walk_expect(struct cfg_walk *w, const yaml_node_t *n, const char *what);
/* The same for `got`, the value of `key` below the current path. */
int walk_expect_key(struct cfg_walk *w, const yaml_node_t *at,
		    const yaml_node_t *got, const char *key, const char *what);
/* A key missing from mapping `map`. */
int walk_missing(struct cfg_walk *w, const yaml_node_t *map, const char *key,
		 const char *what);

/* A scalar's text; NULL for other nodes and for embedded NULs. */
const char *walk_scalar(const yaml_node_t *n);
yaml_node_t *walk_node(struct cfg_walk *w, int id);
int walk_seq_len(const yaml_node_t *n);
yaml_node_t *walk_seq_item(struct cfg_walk *w, const yaml_node_t *n, int i);

/* Parse mapping `n` with `keys`; KEY_BIT(i) is set in *seen for each
 * key present.  `what` describes the mapping for "expected ...". */
int walk_map(struct cfg_walk *w, yaml_node_t *n, const struct cfg_key *keys,
	     int nkeys, void *obj, const char *what, unsigned *seen);
/* Value node of `key` in mapping `n` (present: walk_map saw it). */
yaml_node_t *walk_map_get(struct cfg_walk *w, yaml_node_t *n, const char *key);

/* A name from `t` (index `first` on); *out = its value. */
int walk_enum(struct cfg_walk *w, yaml_node_t *v, const struct sl_names *t,
	      int first, int *out);
/* Digits only, min..max. */
int walk_uint(struct cfg_walk *w, yaml_node_t *v, uint64_t min, uint64_t max,
	      const char *what, uint64_t *out);

/* A decimal number ("0.5", "2", "1.25"; no sign, exponent or hex),
 * min..max; `what` says what it is ("a rate 0..1"). */
int walk_number(struct cfg_walk *w, yaml_node_t *v, double min, double max,
		const char *what, double *out);
/* A duration (config/duration.h) min_ns..max_ns; `bounds` is how the
 * message says them ("100ms..1h"). */
int walk_duration(struct cfg_walk *w, yaml_node_t *v, uint64_t min_ns,
		  uint64_t max_ns, const char *bounds, uint64_t *out);

/* A checker's message "KEY: expected ..." (breaker_cfg_check and the
 * like) about mapping `map`: reported at KEY's value with what it holds,
 * or at the mapping when KEY was left out (its default). */
int walk_check_err(struct cfg_walk *w, yaml_node_t *map, const char *msg);

/* libyaml's own message for a document it could not load. */
int walk_yaml_fail(struct cfg_walk *w, const yaml_parser_t *p,
		   const char *text, size_t len);

#endif /* SLUICE_CONFIG_WALK_H */
