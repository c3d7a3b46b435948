// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/svc_sweep.h"
#include "kern/loader.h"
#include "common/svc.h"
#include "sluice_egress.skel.h"
#include "sluice_xdp.skel.h"

/* The live generation's timeouts by service id (0: none, unused). */
static int sweep_timeouts(struct sl_iface *ifc, __u64 *timeout_ns)
{
	int svc_fd = bpf_map__fd(ifc->skel->maps.sl_services);
	struct sl_global g;
	__u32 zero = 0;

	memset(timeout_ns, 0, SL_MAX_SERVICES * sizeof(*timeout_ns));
	if (bpf_map_lookup_elem(bpf_map__fd(ifc->skel->maps.sl_global), &zero,
				&g))
		return -errno;
	for (__u32 id = 0; id < SL_MAX_SERVICES; id++) {
		__u32 slot = sl_svc_slot(g.tier_gen, id);
		struct sl_service s;

		if (bpf_map_lookup_elem(svc_fd, &slot, &s))
			return -errno;
		if (s.flags & SL_SVC_F_USED)
			timeout_ns[id] = s.timeout_ns;
	}
	return 0;
}

/* Pending requests by service, those the sweep is about to time out
 * left out. */
static void sweep_count_pending(struct svc_sweep *sw, const struct sl_conn *vals,
				__u32 n, const __u64 *timeout_ns, __u64 now_ns)
{
	for (__u32 i = 0; i < n; i++)
		if (vals[i].pending == 1 && vals[i].service < SL_MAX_SERVICES &&
		    !svc_due(&vals[i], timeout_ns, now_ns))
			sw->partial[vals[i].service]++;
}

/* Claim and count one due request: 1 when it timed out here, 0 when a
 * response or a new request came first. */
static int sweep_one(int prog_fd, struct sl_svc_sweep *a)
{
	/* A syscall program's ctx is copied back into ctx_in. */
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = a, .ctx_size_in = sizeof(*a));

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	return a->timed_out == 1;
}

int svc_sweep_tick(struct sl_iface *ifc, struct svc_sweep *sw, __u64 now_ns)
{
	__u64 timeout_ns[SL_MAX_SERVICES];
	struct sl_conn_key *keys = NULL;
	struct sl_svc_sweep *due = NULL;
	struct sl_conn *vals = NULL;
	int conns_fd, prog_fd, err, n = 0;
	size_t ndue = 0;
	bool any = false;
	LIBBPF_OPTS(bpf_map_batch_opts, o);

	if (!ifc->egress || !ifc->skel)
		return 0;
	err = sweep_timeouts(ifc, timeout_ns);
	if (err)
		return err;
	for (int i = 0; i < SL_MAX_SERVICES; i++)
		any |= timeout_ns[i] != 0;
	if (!any) {
		sw->have_pending = false;
		return 0;	/* no service has a timeout: nothing to read */
	}
	conns_fd = bpf_map__fd(ifc->skel->maps.sl_conns);
	prog_fd = bpf_program__fd(ifc->egress->progs.sluice_svc_timeout);
	keys = calloc(SVC_SWEEP_BATCH, sizeof(*keys));
	vals = calloc(SVC_SWEEP_BATCH, sizeof(*vals));
	due = calloc(SVC_SWEEP_TIMEOUTS, sizeof(*due));
	if (!keys || !vals || !due) {
		err = -ENOMEM;
		goto out;
	}
	for (int read = 0; read < SVC_SWEEP_READ; read += SVC_SWEEP_BATCH) {
		__u32 count = SVC_SWEEP_BATCH, next = 0;
		int r = bpf_map_lookup_batch(conns_fd,
					     sw->started ? &sw->cursor : NULL,
					     &next, keys, vals, &count, &o);

		if (r && errno != ENOENT) {
			err = -errno;
			sw->started = false;	/* start over next tick */
			goto out;
		}
		if (!sw->started)
			memset(sw->partial, 0, sizeof(sw->partial));
		sweep_count_pending(sw, vals, count, timeout_ns, now_ns);
		ndue += svc_sweep_pick(keys, vals, count, timeout_ns, now_ns,
				       due + ndue, SVC_SWEEP_TIMEOUTS - ndue);
		if (r) {
			memcpy(sw->pending, sw->partial, sizeof(sw->pending));
			sw->have_pending = true;
			sw->started = false;	/* the end: a new walk next */
			break;
		}
		sw->cursor = next;
		sw->started = true;
		if (ndue == SVC_SWEEP_TIMEOUTS)
			break;
	}
	for (size_t i = 0; i < ndue; i++) {
		int r = sweep_one(prog_fd, &due[i]);

		if (r < 0) {
			err = r;
			goto out;
		}
		n += r;
	}
	sw->timeouts += n;
	err = n;
out:
	free(keys);
	free(vals);
	free(due);
	return err;
}
