/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Services and their gates written into an xdp_fixture the way sluiced
 * would (include/sluice_svc_match.h, include/sluice_gate.h): a port's
 * default service in both generations, and its sl_svc_gate entry.
 * Shared by tests/bpf.
 */
#ifndef SLUICE_TEST_GATE_FIXTURE_H
#define SLUICE_TEST_GATE_FIXTURE_H

#include <linux/types.h>

#include "sluice_gate.h"
#include "sluice_service.h"
#include "xdp_fixture.h"

/* Service `id`: every request to `port` (any address, any path), its
 * gate answering with `action` (SL_ACT_HTTP and reply id `reply`, or
 * SL_ACT_RESET), priority normal.  0 or -errno. */
int gate_set_service(struct xdp_fixture *fx, __u32 id, __u16 port,
		     __u8 action, __u16 reply);
int gate_set(struct xdp_fixture *fx, __u32 id, const struct sl_svc_gate *g);
int gate_get(struct xdp_fixture *fx, __u32 id, struct sl_svc_gate *out);
/* sl_svc_stats[id] summed over CPUs. */
int gate_stats(struct xdp_fixture *fx, __u32 id, struct sl_svc_stats *out);

#endif /* SLUICE_TEST_GATE_FIXTURE_H */
