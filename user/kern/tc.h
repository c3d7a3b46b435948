/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The TC ingress program (bpf/sluice_tc.bpf.c) of one interface: the
 * edge answers XDP hands off.  Loaded with the XDP object's maps, and
 * attached with a TCX link pinned as SL_PIN_TC_LINK next to them, so
 * like the XDP link it outlives sluiced and a restarted one swaps its
 * program in.  sl_edge's tc_attached tells the XDP program it is there;
 * without it refused requests get the XDP RST (no server reset).
 */
#ifndef SLUICE_TC_H
#define SLUICE_TC_H

#include "kern/loader.h"

/* After the XDP object is loaded: load the TC program on its maps. */
int tc_open(struct sl_iface *ifc);

/* Adopt the pinned TCX link (swap our program in) or create and pin
 * one, then set sl_edge's tc_attached.  A kernel without TCX only gets
 * a warning: enforcement runs, answers fall back to the XDP RST. */
int tc_attach(struct sl_iface *ifc);

/* Clear sl_edge's tc_attached and take the program off (the link may
 * be gone). */
int tc_detach(struct sl_iface *ifc);

/* Once a second: if the TC link was detached behind sluiced's back,
 * stop handing segments to it at once and attach it again. */
int tc_check(struct sl_iface *ifc);

void tc_close(struct sl_iface *ifc);

#endif /* SLUICE_TC_H */
