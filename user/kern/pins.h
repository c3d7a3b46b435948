/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * An interface's pins under /sys/fs/bpf/sluice/<ifname>/: the lock, and
 * what a start does with the pins an earlier sluiced left.  Each map is
 * of one kind (the table in layout.c):
 *
 *   state   client buckets, flood state, the known filter, counters,
 *           events, tier ids: reused as they are; one of another layout
 *           is refused (sluiced does not start and changes nothing)
 *   config  sl_global, sl_tiers, the prefix tries: rewritten from the
 *           config at every start, so one of another layout is recreated
 *   cache   the refusal cache: recreated empty the same way
 *
 * Recreated means: made anew at load, written by apply while the old
 * program still runs on the old maps, and pinned in place of the old pin
 * (an atomic rename) once the link runs the new program.  A map the pins
 * lack is new: created and pinned.  A pin the program has no map for is
 * left alone (a newer sluiced's map, kept for when it comes back),
 * except the first release's counters: moved into their successors,
 * then unpinned (migrate.c).
 */
#ifndef SLUICE_PINS_H
#define SLUICE_PINS_H

#include "kern/loader.h"

#define PINS_PATH_MAX	256

/* SL_PIN_ROOT/<ifname>[/<file>] into buf[PINS_PATH_MAX]. */
int pins_path(char *buf, const char *ifname, const char *file);

/* A pinned object of the interface: its fd, or -errno (-ENOENT without
 * a message: there is none). */
int pins_open(struct sl_iface *ifc, const char *name);

/* Create the interface's pin directory if needed and lock it (flock,
 * held by ifc->dir_fd): two daemons never write one interface's maps. */
int pins_lock(struct sl_iface *ifc);

/* Lock an existing directory: its fd, -ENOENT, or -EBUSY when a running
 * sluiced holds it. */
int pins_trylock(const char *ifname);

/* Before the skeleton loads: check the pins' schema version and every
 * pinned map against the object, reuse what fits, plan what is
 * recreated, refuse what cannot be carried over (-EPROTO, logged with
 * what to do).  Sets ifc->created (no pins) or ifc->adopted. */
int pins_reuse(struct sl_iface *ifc);

/* After load: pin the maps that had no pin (sl_global first, so a
 * directory with any map in it says which schema it holds). */
int pins_pin(struct sl_iface *ifc);

/* sl_tier_names and sl_svc_names: open the pinned ones (state maps) or
 * make and pin them; read them into ifc->tier_names and ->svc_names. */
int pins_names_open(struct sl_iface *ifc);

/* After the link runs our program: pin the recreated maps over the old
 * pins, and move the first release's counters into ours. */
int pins_commit(struct sl_iface *ifc);

/* Remove every pin of the interface and its directory (and the root
 * when it is left empty). */
int pins_unpin(const char *ifname);

#endif /* SLUICE_PINS_H */
