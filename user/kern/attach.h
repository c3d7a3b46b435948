/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The XDP hook of one interface: a bpf_link pinned next to the maps, so
 * a restarted sluiced swaps its program in with one atomic update and a
 * dead one leaves enforcement on.  Native, generic, or native falling
 * back to generic (attach: auto).
 */
#ifndef SLUICE_ATTACH_H
#define SLUICE_ATTACH_H

#include "kern/loader.h"

/* Swap our program into the pinned link if it still drives the
 * interface, or create a link and pin it; fills ifc->link_fd, link_id,
 * prog_id and mode. */
int attach_xdp(struct sl_iface *ifc);

/* Take a link's program off the interface (the link may be gone): the
 * XDP link, or the TC one (kern/tc.c). */
int attach_link_detach(const char *ifname, int fd);

/* The same through pin `pin` (SL_PIN_LINK, SL_PIN_TC_LINK) of an
 * interface no sluiced holds. */
int attach_detach_pinned(const char *ifname, const char *pin);

#endif /* SLUICE_ATTACH_H */
