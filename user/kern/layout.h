/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What a pinned map is (state, config or cache: the table in layout.c)
 * and the shape sluiced compares across upgrades: type, key size, value
 * size, flags and size (README.md, Upgrades).
 */
#ifndef SLUICE_LAYOUT_H
#define SLUICE_LAYOUT_H

#include <stddef.h>
#include <linux/types.h>

struct bpf_map;

enum map_kind {
	MAP_STATE = 0,	/* kept as it is; another layout is refused */
	MAP_CONFIG,	/* rewritten at every start; may be recreated */
	MAP_CACHE,	/* may be recreated empty */
};

struct map_class {
	const char *name;
	enum map_kind kind;
	const char *holds;	/* for messages: "per-client buckets" */
};

struct map_layout {
	__u32 type, key, value, flags, entries;
};

/* The class of map `name`; one not listed is state. */
const struct map_class *map_class_of(const char *name);

/* The layout of a map fd (pinned as `name` for `ifname`, for errors). */
int layout_read(const char *ifname, int fd, const char *name,
		struct map_layout *l);
/* The layout the object asks for. */
void layout_of_map(const struct bpf_map *m, struct map_layout *l);
/* "value 24 B where this sluiced expects value 32 B": the fields that
 * differ, "" when none does. */
char *layout_diff(const struct map_layout *have, const struct map_layout *want,
		  char *buf, size_t size);

#endif /* SLUICE_LAYOUT_H */
