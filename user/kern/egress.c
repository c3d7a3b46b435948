// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/egress.h"
#include "kern/attach.h"
#include "kern/tcx.h"
#include "common/log.h"
#include "sluice_egress.skel.h"

static const struct tcx_hook egress_hook = {
	.pin = SL_PIN_EGRESS_LINK,
	.attach_type = BPF_TCX_EGRESS,
	.what = "TC egress",
};

static struct tcx_link egress_link(struct sl_iface *ifc)
{
	return (struct tcx_link){ &ifc->egress_link_fd, &ifc->egress_prog_id,
				  &ifc->egress_link_id };
}

void egress_open(struct sl_iface *ifc)
{
	int err;

	ifc->egress_link_fd = -1;
	ifc->egress = sluice_egress__open();
	if (!ifc->egress) {
		err = -errno;
		goto fail;
	}
	err = tcx_share_maps(ifc, ifc->egress->obj, "TC egress");
	if (!err)
		err = sluice_egress__load(ifc->egress);
	if (!err)
		return;
fail:
	log_warn("%s: cannot load the TC egress program: %s (run with -v for the verifier log): no response statistics for services on this interface, enforcement is unchanged",
		 ifc->name, strerror(-err));
	sluice_egress__destroy(ifc->egress);
	ifc->egress = NULL;
}

int egress_attach(struct sl_iface *ifc)
{
	struct tcx_link l = egress_link(ifc);
	bool no_tcx;
	int err;

	if (!ifc->egress)
		return 0;
	err = tcx_attach(ifc, &egress_hook,
			 bpf_program__fd(ifc->egress->progs.sluice_egress), &l,
			 &no_tcx);
	if (no_tcx) {
		log_warn("%s: cannot attach the TC egress program (%s; TCX needs Linux 6.6): no response statistics for services on this interface, enforcement is unchanged",
			 ifc->name, strerror(-err));
		return 0;
	}
	return err;
}

int egress_check(struct sl_iface *ifc)
{
	struct tcx_link l = egress_link(ifc);
	int err;

	if (!tcx_lost(ifc, &egress_hook, &l))
		return 0;
	err = egress_attach(ifc);
	if (err)
		log_err("%s: attaching the TC egress program again failed: %s (no response statistics until the next start)",
			ifc->name, strerror(-err));
	return err;
}

int egress_detach(struct sl_iface *ifc)
{
	if (ifc->egress_link_fd < 0)
		return 0;
	return attach_link_detach(ifc->name, ifc->egress_link_fd);
}

void egress_close(struct sl_iface *ifc)
{
	sluice_egress__destroy(ifc->egress);
	ifc->egress = NULL;
	if (ifc->egress_link_fd >= 0)
		close(ifc->egress_link_fd);
	ifc->egress_link_fd = -1;
	ifc->egress_prog_id = ifc->egress_link_id = 0;
}
