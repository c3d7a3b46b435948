/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What sluice's two TC programs share (kern/tc.c, the edge answers at
 * ingress; kern/egress.c, the services' responses at egress): loaded on
 * the XDP object's maps, attached with a TCX link pinned next to them,
 * adopted on restart (the pinned link gets our program), and found
 * again when someone detached it.
 */
#ifndef SLUICE_TCX_H
#define SLUICE_TCX_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "kern/loader.h"

struct bpf_object;

/* Linux 6.6 uapi, newer than the headers this builds with (Debian 12's
 * are 6.1); the values are ABI. */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS		46
#define BPF_TCX_EGRESS		47
#define BPF_LINK_TYPE_TCX	11
#endif

/* One program's hook and where its link is kept. */
struct tcx_hook {
	const char *pin;	/* SL_PIN_TC_LINK, SL_PIN_EGRESS_LINK */
	__u32 attach_type;	/* BPF_TCX_INGRESS, BPF_TCX_EGRESS */
	const char *what;	/* for messages: "TC ingress" */
};

struct tcx_link {
	int *fd;		/* -1: not attached */
	uint32_t *prog_id;	/* 0: not attached */
	uint32_t *link_id;
};

/* Point every map of `obj` at the XDP object's (before its load): 0 or
 * -errno, logged. */
int tcx_share_maps(struct sl_iface *ifc, struct bpf_object *obj,
		   const char *what);

/* Adopt the pinned link (swap prog_fd in) or create and pin one, and
 * fill `l`.  *no_tcx: the kernel would not create the link (before 6.6,
 * or the device refuses); then nothing is logged and the caller says
 * what it means.  Other errors are logged. */
int tcx_attach(struct sl_iface *ifc, const struct tcx_hook *h, int prog_fd,
	       const struct tcx_link *l, bool *no_tcx);

/* True when the link no longer holds the hook (detached behind our back
 * or the device went): then it is closed and `l` cleared. */
bool tcx_lost(struct sl_iface *ifc, const struct tcx_hook *h,
	      const struct tcx_link *l);

#endif /* SLUICE_TCX_H */
