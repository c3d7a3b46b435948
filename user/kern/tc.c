// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/tc.h"
#include "kern/tcx.h"
#include "kern/attach.h"
#include "kern/pins.h"
#include "common/log.h"
#include "sluice_edge.h"
#include "sluice_tc.skel.h"
#include "sluice_xdp.skel.h"

static const struct tcx_hook tc_hook = {
	.pin = SL_PIN_TC_LINK,
	.attach_type = BPF_TCX_INGRESS,
	.what = "TC ingress",
};

static struct tcx_link tc_link(struct sl_iface *ifc)
{
	return (struct tcx_link){ &ifc->tc_link_fd, &ifc->tc_prog_id,
				  &ifc->tc_link_id };
}

int tc_open(struct sl_iface *ifc)
{
	int err;

	ifc->tc = sluice_tc__open();
	if (!ifc->tc) {
		err = -errno;
		log_err("%s: cannot open the TC object: %s", ifc->name,
			strerror(-err));
		return err;
	}
	/* One set of maps: the XDP object's, pinned or adopted. */
	err = tcx_share_maps(ifc, ifc->tc->obj, "TC");
	if (err)
		return err;
	err = sluice_tc__load(ifc->tc);
	if (err)
		log_err("%s: loading the TC program failed: %s (run with -v for the verifier log)",
			ifc->name, strerror(-err));
	return err;
}

static int tc_flag(struct sl_iface *ifc, __u32 on)
{
	int fd = bpf_map__fd(ifc->skel->maps.sl_edge);
	struct sl_edge_cfg e = {};
	__u32 zero = 0;
	int err = 0;

	/* The rest is edge_connections' (kern/edge_conn.c): kept. */
	bpf_map_lookup_elem(fd, &zero, &e);
	e.tc_attached = on;
	if (bpf_map_update_elem(fd, &zero, &e, BPF_ANY)) {
		err = -errno;
		log_err("%s: cannot write %s: %s", ifc->name, SL_MAP_EDGE,
			strerror(-err));
	}
	return err;
}

int tc_attach(struct sl_iface *ifc)
{
	struct tcx_link l = tc_link(ifc);
	bool no_tcx;
	int err;

	err = tcx_attach(ifc, &tc_hook,
			 bpf_program__fd(ifc->tc->progs.sluice_tc), &l, &no_tcx);
	if (no_tcx) {
		log_warn("%s: cannot attach the TC ingress program (%s; TCX needs Linux 6.6): refused requests get a RST from XDP, their server sockets stay open until they time out",
			 ifc->name, strerror(-err));
		return tc_flag(ifc, 0);
	}
	return err ? err : tc_flag(ifc, 1);
}

int tc_check(struct sl_iface *ifc)
{
	struct tcx_link l = tc_link(ifc);
	int err;

	if (!tcx_lost(ifc, &tc_hook, &l))
		return 0;
	/* Until it is back, XDP must answer refused segments itself, not
	 * pass them on. */
	err = tc_flag(ifc, 0);
	if (!err)
		err = tc_attach(ifc);
	if (err) {
		log_err("%s: attaching the TC ingress program again failed: %s (refused requests get a RST from XDP)",
			ifc->name, strerror(-err));
		tc_flag(ifc, 0);
	}
	return err;
}

int tc_detach(struct sl_iface *ifc)
{
	int err = 0;

	if (ifc->skel)
		tc_flag(ifc, 0);
	if (ifc->tc_link_fd >= 0)
		err = attach_link_detach(ifc->name, ifc->tc_link_fd);
	return err;
}

void tc_close(struct sl_iface *ifc)
{
	sluice_tc__destroy(ifc->tc);
	ifc->tc = NULL;
	if (ifc->tc_link_fd >= 0)
		close(ifc->tc_link_fd);
	ifc->tc_link_fd = -1;
}
