// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The order of a start and a stop; the steps are in pins.c and attach.c. */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/loader.h"
#include "kern/attach.h"
#include "kern/pins.h"
#include "kern/egress.h"
#include "kern/tc.h"
#include "common/log.h"
#include "common/proto.h"
#include "sluice_xdp.skel.h"

#define BPFFS		"/sys/fs/bpf"

int loader_bpffs(void)
{
	struct statfs st;
	int err;

	if (statfs(BPFFS, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700")) {
		err = -errno;
		log_err("%s is not a bpffs and mounting one failed: %s (mount it with: mount -t bpf bpf %s)",
			BPFFS, strerror(-err), BPFFS);
		return err;
	}
	log_info("mounted a bpffs on %s", BPFFS);
	return 0;
}

int loader_obj_info(int fd, void *info, __u32 len)
{
	memset(info, 0, len);
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

int loader_open(struct sl_iface *ifc, const struct cfg_iface *ci,
		uint32_t clients)
{
	int err;

	memset(ifc, 0, sizeof(*ifc));
	ifc->dir_fd = ifc->link_fd = ifc->tc_link_fd = ifc->names_fd = -1;
	ifc->svc_names_fd = ifc->egress_link_fd = -1;
	snprintf(ifc->name, sizeof(ifc->name), "%s", ci->name);
	ifc->attach = ci->attach;
	ifc->ifindex = if_nametoindex(ci->name);
	if (!ifc->ifindex) {
		err = -errno;
		log_err("%s: no such interface in this network namespace (%s): check `interfaces` in the config",
			ci->name, strerror(-err));
		return err;
	}
	err = stats_init(&ifc->stats);
	if (err)
		goto fail;
	err = pins_lock(ifc);
	if (err)
		goto fail;

	ifc->skel = sluice_xdp__open();
	if (!ifc->skel) {
		err = -errno;
		log_err("%s: cannot open the BPF object: %s", ci->name,
			strerror(-err));
		goto fail;
	}
	err = bpf_map__set_max_entries(ifc->skel->maps.sl_clients, clients);
	if (!err)
		err = talk_size(ifc->skel->maps.sl_talk);
	if (err)
		goto fail;
	err = pins_reuse(ifc);
	if (err)
		goto fail;

	err = sluice_xdp__load(ifc->skel);
	if (err) {
		log_err("%s: loading the XDP program failed: %s (run with -v for the verifier log)",
			ci->name, strerror(-err));
		goto fail;
	}
	ifc->clients = bpf_map__max_entries(ifc->skel->maps.sl_clients);
	err = tc_open(ifc);
	if (err)
		goto fail;
	egress_open(ifc);	/* statistics only: never fails the start */
	err = pins_pin(ifc);
	if (err)
		goto fail;
	err = pins_names_open(ifc);
	if (err)
		goto fail;
	/* Without the rings only `sluicectl top` goes blind. */
	err = talk_open(&ifc->talk, bpf_map__fd(ifc->skel->maps.sl_talk),
			bpf_map__fd(ifc->skel->maps.sl_talk_head));
	if (err)
		log_warn("%s: cannot map the top-talker samples: %s",
			 ci->name, strerror(-err));
	err = 0;
	log_dbg("%s: %s maps under %s/%s/ (client table %u entries)",
		ci->name, ifc->adopted ? "adopted the pinned" : "pinned new",
		SL_PIN_ROOT, ci->name, ifc->clients);
	return 0;
fail:
	if (ifc->created)
		pins_unpin(ifc->name);
	loader_close(ifc);
	return err;
}

int loader_attach(struct sl_iface *ifc)
{
	int err = attach_xdp(ifc);

	if (!err)
		err = tc_attach(ifc);
	if (!err)
		egress_attach(ifc);	/* logged; statistics only, never fatal */
	return err ? err : pins_commit(ifc);
}

void loader_close(struct sl_iface *ifc)
{
	/* The skeleton holds no links (we attach by hand), so destroying
	 * it only closes fds: pins keep maps and link alive. */
	talk_close(&ifc->talk);
	egress_close(ifc);
	tc_close(ifc);
	sluice_xdp__destroy(ifc->skel);
	ifc->skel = NULL;
	ifc->nrenew = 0;
	if (ifc->link_fd >= 0)
		close(ifc->link_fd);
	if (ifc->names_fd >= 0)
		close(ifc->names_fd);
	if (ifc->svc_names_fd >= 0)
		close(ifc->svc_names_fd);
	if (ifc->dir_fd >= 0)
		close(ifc->dir_fd);	/* drops the lock */
	ifc->link_fd = ifc->names_fd = ifc->svc_names_fd = ifc->dir_fd = -1;
	stats_free(&ifc->stats);
}

int loader_detach(struct sl_iface *ifc)
{
	int err = 0, e;

	/* XDP first: no request is handed to a TC program going away. */
	if (ifc->link_fd >= 0)
		err = attach_link_detach(ifc->name, ifc->link_fd);
	e = tc_detach(ifc);
	if (!err)
		err = e;
	e = egress_detach(ifc);
	if (!err)
		err = e;
	e = pins_unpin(ifc->name);
	if (!err)
		err = e;
	if (!err)
		log_info("%s: %s", ifc->name, ifc->link_fd >= 0 ?
			 "XDP and TC programs detached, pins removed" :
			 "pins removed (nothing was attached)");
	loader_close(ifc);
	return err;
}

int loader_detach_pinned(const char *ifname)
{
	int dir_fd, err;

	dir_fd = pins_trylock(ifname);
	if (dir_fd < 0)
		return dir_fd;
	err = attach_detach_pinned(ifname, SL_PIN_LINK);
	if (!err)
		err = attach_detach_pinned(ifname, SL_PIN_TC_LINK);
	if (!err)
		err = attach_detach_pinned(ifname, SL_PIN_EGRESS_LINK);
	if (!err)
		err = pins_unpin(ifname);
	close(dir_fd);
	return err;
}
