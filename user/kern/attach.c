// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/attach.h"
#include "kern/pins.h"
#include "common/log.h"
#include "sluice_xdp.skel.h"

/* The pinned link, if it still drives this interface: swap our program
 * in (same maps, possibly newer code).  -ESTALE when it does not. */
static int attach_adopt_link(struct sl_iface *ifc, int fd, int prog_fd)
{
	struct bpf_link_info info;
	int err;

	err = loader_obj_info(fd, &info, sizeof(info));
	if (err)
		return err;
	if (info.type != BPF_LINK_TYPE_XDP ||
	    info.xdp.ifindex != (__u32)ifc->ifindex)
		return -ESTALE;
	if (bpf_link_update(fd, prog_fd, NULL)) {
		err = -errno;
		log_err("%s: cannot swap the new program into the pinned link: %s",
			ifc->name, strerror(-err));
		return err;
	}
	return 0;
}

/* Who holds the interface's XDP hook, for the error message. */
static __u32 attach_xdp_owner(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	return q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id :
	       q.skb_prog_id;
}

static int attach_link_create(struct sl_iface *ifc, int prog_fd)
{
	LIBBPF_OPTS(bpf_link_create_opts, o);
	int err;

	if (ifc->attach != CFG_ATTACH_GENERIC) {
		o.flags = XDP_FLAGS_DRV_MODE;
		ifc->link_fd = bpf_link_create(prog_fd, ifc->ifindex, BPF_XDP, &o);
		if (ifc->link_fd >= 0)
			return 0;
		err = -errno;
		if (err == -EBUSY || err == -EEXIST || ifc->attach == CFG_ATTACH_NATIVE)
			goto fail;
		log_warn("%s: native XDP failed (%s): falling back to generic XDP, which is slower (the driver may lack XDP support; set attach: generic to silence this)",
			 ifc->name, strerror(-err));
	}
	o.flags = XDP_FLAGS_SKB_MODE;
	ifc->link_fd = bpf_link_create(prog_fd, ifc->ifindex, BPF_XDP, &o);
	if (ifc->link_fd >= 0)
		return 0;
	err = -errno;
fail:
	if (err == -EBUSY || err == -EEXIST)
		log_err("%s: another XDP program (id %u) is attached and sluiced will not replace it: remove it (ip link set dev %s xdp off, or xdpgeneric off) or configure another interface",
			ifc->name, attach_xdp_owner(ifc->ifindex), ifc->name);
	else if (err == -EOPNOTSUPP && o.flags == XDP_FLAGS_DRV_MODE)
		log_err("%s: the driver has no native XDP (%s): set attach: auto or generic",
			ifc->name, strerror(-err));
	else
		log_err("%s: attaching XDP (%s) failed: %s", ifc->name,
			o.flags == XDP_FLAGS_SKB_MODE ? "generic" : "native",
			strerror(-err));
	return err;
}

int attach_xdp(struct sl_iface *ifc)
{
	int prog_fd = bpf_program__fd(ifc->skel->progs.sluice_xdp);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_link_info info;
	char path[PINS_PATH_MAX];
	int fd, err;

	err = pins_path(path, ifc->name, SL_PIN_LINK);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = attach_adopt_link(ifc, fd, prog_fd);
		if (!err) {
			ifc->link_fd = fd;
			goto ids;
		}
		close(fd);
		if (err != -ESTALE)
			return err;
		log_warn("%s: the pinned link no longer drives this interface (it was re-created?): attaching anew",
			 ifc->name);
		if (unlink(path)) {
			err = -errno;
			log_err("%s: cannot remove the stale link pin %s: %s",
				ifc->name, path, strerror(-err));
			return err;
		}
	} else if (errno != ENOENT) {
		err = -errno;
		log_err("%s: cannot open the pinned link %s: %s", ifc->name,
			path, strerror(-err));
		return err;
	}

	err = attach_link_create(ifc, prog_fd);
	if (err)
		return err;
	if (bpf_obj_pin(ifc->link_fd, path)) {
		err = -errno;
		log_err("%s: cannot pin the XDP link at %s: %s", ifc->name,
			path, strerror(-err));
		bpf_link_detach(ifc->link_fd);
		close(ifc->link_fd);
		ifc->link_fd = -1;
		return err;
	}
ids:
	err = loader_obj_info(ifc->link_fd, &info, sizeof(info));
	if (err)
		return err;
	ifc->link_id = info.id;
	ifc->prog_id = info.prog_id;
	ifc->mode = LOADER_NATIVE;
	if (bpf_xdp_query(ifc->ifindex, 0, &q) == 0 &&
	    q.skb_prog_id == ifc->prog_id)
		ifc->mode = LOADER_GENERIC;
	if ((ifc->attach == CFG_ATTACH_NATIVE && ifc->mode != LOADER_NATIVE) ||
	    (ifc->attach == CFG_ATTACH_GENERIC && ifc->mode != LOADER_GENERIC))
		log_warn("%s: the adopted program runs in %s XDP, the config asks for %s: run `sluiced --detach` and start again to switch",
			 ifc->name, loader_mode_name(ifc->mode),
			 loader_mode_name(!ifc->mode));
	log_info("%s: %s XDP program %u (%s, link %u)", ifc->name,
		 ifc->adopted ? "adopted state, running" : "attached",
		 ifc->prog_id, loader_mode_name(ifc->mode), ifc->link_id);
	return 0;
}

int attach_link_detach(const char *ifname, int fd)
{
	int err;

	if (!bpf_link_detach(fd) || errno == ENOLINK)
		return 0;
	err = -errno;
	log_err("%s: cannot detach a pinned link: %s", ifname, strerror(-err));
	return err;
}

int attach_detach_pinned(const char *ifname, const char *pin)
{
	char path[PINS_PATH_MAX];
	int fd, err;

	err = pins_path(path, ifname, pin);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = attach_link_detach(ifname, fd);
		close(fd);
		return err;
	}
	if (errno == ENOENT)
		return 0;
	err = -errno;
	log_err("%s: cannot open the pinned link %s: %s", ifname, path,
		strerror(-err));
	return err;
}
