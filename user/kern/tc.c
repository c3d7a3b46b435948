// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/tc.h"
#include "kern/attach.h"
#include "kern/pins.h"
#include "common/log.h"
#include "sluice_edge.h"
#include "sluice_tc.skel.h"
#include "sluice_xdp.skel.h"

/* Linux 6.6 uapi, newer than the headers this builds with (Debian 12's
 * are 6.1); the values are ABI. */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS		46
#define BPF_LINK_TYPE_TCX	11
#endif

/* bpf_link_info of a TCX link: the common words, then its own (the
 * union is 8-byte aligned). */
struct tc_link_info {
	__u32 type;
	__u32 id;
	__u32 prog_id;
	__u32 pad;
	__u32 ifindex;
	__u32 attach_type;
	__u8  rest[64];		/* the union's other members, unread */
};

int tc_open(struct sl_iface *ifc)
{
	struct bpf_map *m, *x;
	int err;

	ifc->tc = sluice_tc__open();
	if (!ifc->tc) {
		err = -errno;
		log_err("%s: cannot open the TC object: %s", ifc->name,
			strerror(-err));
		return err;
	}
	/* One set of maps: the XDP object's, pinned or adopted. */
	bpf_object__for_each_map(m, ifc->tc->obj) {
		if (bpf_map__is_internal(m))
			continue;
		x = bpf_object__find_map_by_name(ifc->skel->obj,
						 bpf_map__name(m));
		err = x ? bpf_map__reuse_fd(m, bpf_map__fd(x)) : -ENOENT;
		if (err) {
			log_err("%s: the TC object's map %s is not the XDP object's: %s (a build mismatch: rebuild both)",
				ifc->name, bpf_map__name(m), strerror(-err));
			return err;
		}
	}
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

/* Does the pinned link still hold this interface's TC ingress? */
static int tc_link_ours(struct sl_iface *ifc, int fd)
{
	struct tc_link_info info;
	int err;

	err = loader_obj_info(fd, &info, sizeof(info));
	if (err)
		return err;
	if (info.type != BPF_LINK_TYPE_TCX ||
	    info.ifindex != (__u32)ifc->ifindex ||
	    info.attach_type != BPF_TCX_INGRESS)
		return -ESTALE;
	return 0;
}

static int tc_adopt(struct sl_iface *ifc, const char *path, int prog_fd)
{
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	err = tc_link_ours(ifc, fd);
	if (!err && bpf_link_update(fd, prog_fd, NULL)) {
		err = -errno;
		log_err("%s: cannot swap the new TC program into the pinned link: %s",
			ifc->name, strerror(-err));
		close(fd);
		return err;
	}
	if (!err) {
		ifc->tc_link_fd = fd;
		return 0;
	}
	close(fd);
	if (err != -ESTALE)
		return err;
	log_warn("%s: the pinned TC link no longer holds this interface (it was re-created?): attaching anew",
		 ifc->name);
	if (unlink(path))
		return -errno;
	return -ENOENT;
}

int tc_attach(struct sl_iface *ifc)
{
	int prog_fd = bpf_program__fd(ifc->tc->progs.sluice_tc);
	LIBBPF_OPTS(bpf_link_create_opts, o);
	struct tc_link_info info;
	char path[PINS_PATH_MAX];
	int err;

	err = pins_path(path, ifc->name, SL_PIN_TC_LINK);
	if (err)
		return err;
	err = tc_adopt(ifc, path, prog_fd);
	if (err == -ENOENT) {
		ifc->tc_link_fd = bpf_link_create(prog_fd, ifc->ifindex,
						  BPF_TCX_INGRESS, &o);
		if (ifc->tc_link_fd < 0) {
			err = -errno;
			log_warn("%s: cannot attach the TC ingress program (%s; TCX needs Linux 6.6): refused requests get a RST from XDP, their server sockets stay open until they time out",
				 ifc->name, strerror(-err));
			ifc->tc_link_fd = -1;
			return tc_flag(ifc, 0);
		}
		if (bpf_obj_pin(ifc->tc_link_fd, path)) {
			err = -errno;
			log_err("%s: cannot pin the TC link at %s: %s",
				ifc->name, path, strerror(-err));
			bpf_link_detach(ifc->tc_link_fd);
			close(ifc->tc_link_fd);
			ifc->tc_link_fd = -1;
			return err;
		}
	} else if (err) {
		log_err("%s: cannot adopt the pinned TC link %s: %s",
			ifc->name, path, strerror(-err));
		return err;
	}
	err = loader_obj_info(ifc->tc_link_fd, &info, sizeof(info));
	if (err)
		return err;
	ifc->tc_link_id = info.id;
	ifc->tc_prog_id = info.prog_id;
	log_info("%s: TC ingress program %u (link %u)", ifc->name,
		 ifc->tc_prog_id, ifc->tc_link_id);
	return tc_flag(ifc, 1);
}

int tc_check(struct sl_iface *ifc)
{
	int err;

	if (ifc->tc_link_fd < 0 || tc_link_ours(ifc, ifc->tc_link_fd) != -ESTALE)
		return 0;
	/* Detached behind our back (or the device went): until it is back,
	 * XDP must answer refused segments itself, not pass them on. */
	log_warn("%s: the TC ingress program was detached by someone else: attaching it again",
		 ifc->name);
	close(ifc->tc_link_fd);
	ifc->tc_link_fd = -1;
	ifc->tc_prog_id = ifc->tc_link_id = 0;
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
