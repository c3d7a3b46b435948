/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The TC egress program (bpf/sluice_egress.bpf.c) of one interface: the
 * services' responses, matched to their requests.  Loaded with the XDP
 * object's maps and attached with a TCX egress link pinned as
 * SL_PIN_EGRESS_LINK, adopted and re-attached like the TC ingress link
 * (kern/tcx.h).  It only observes: when it cannot be loaded or attached
 * the interface runs without response statistics (logged, and
 * `egress_prog_id` 0 in status, sluice_egress_attached 0), enforcement
 * and the edge answers are untouched.
 */
#ifndef SLUICE_EGRESS_H
#define SLUICE_EGRESS_H

#include "kern/loader.h"

/* After the XDP object is loaded: load the egress program on its maps.
 * A failure is logged and leaves ifc->egress NULL; it never fails the
 * start. */
void egress_open(struct sl_iface *ifc);

/* Adopt the pinned link or create and pin one.  0, or -errno when the
 * pin cannot be written or adopted; a kernel that will not attach it
 * (no TCX) only gets a warning. */
int egress_attach(struct sl_iface *ifc);

/* Once a second: attach it again if someone detached it. */
int egress_check(struct sl_iface *ifc);

/* Take the program off (the link may be gone). */
int egress_detach(struct sl_iface *ifc);

void egress_close(struct sl_iface *ifc);

#endif /* SLUICE_EGRESS_H */
