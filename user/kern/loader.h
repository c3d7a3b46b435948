/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Loading, pinning and attaching the XDP limiter, one interface at a
 * time.  Each interface gets its own copy of the program and its own
 * maps (one skeleton per interface), pinned with the bpf_link under
 *
 *   /sys/fs/bpf/sluice/<ifname>/{sl_global,sl_tiers,...,sl_tier_names,sl_svc_names,link,tc_link,
 *                               tc_egress_link}
 *
 * so interfaces come and go independently, a restarted or upgraded
 * daemon adopts the state it finds, and a dead daemon leaves
 * enforcement on.  The steps live in kern/pins.c (the lock, which pins
 * are reused, recreated or refused; the kinds of maps in kern/layout.c,
 * the migration of the first release's counters in kern/migrate.c) and
 * kern/attach.c (the XDP hook and the link) and kern/tc.c (the TC
 * ingress program that makes edge answers, and its link) and
 * kern/egress.c (the TC egress program that reads services' responses,
 * and its link); loader.c is their order.
 */
#ifndef SLUICE_LOADER_H
#define SLUICE_LOADER_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "sluice_service.h"
#include "kern/stats.h"
#include "kern/svc_sweep.h"
#include "kern/talk.h"

/* Made by sluiced, not by the BPF object: tier id -> tier name, so a
 * restarted daemon gives every tier the id it had (client keys and
 * counters are indexed by it). */
#define SL_MAP_TIER_NAMES	"sl_tier_names"
#define SL_PIN_LINK		"link"
#define SL_PIN_TC_LINK		"tc_link"	/* TC ingress (kern/tc.h) */
#define SL_PIN_EGRESS_LINK	"tc_egress_link"	/* TC egress (kern/egress.h) */

/* Config and cache maps at most recreated in one start (pins.c): every
 * one of them (19 with a rollout's) could be. */
#define SL_IFACE_RENEW_MAX	24

struct sl_tier_name {
	char name[CFG_NAME_MAX];	/* "" = id free */
};

enum loader_mode {
	LOADER_NATIVE = 0,
	LOADER_GENERIC,
};

struct sluice_xdp;
struct sluice_tc;
struct sluice_egress;
struct bpf_map;

struct sl_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	int attach;		/* enum cfg_attach, as configured */
	int mode;		/* enum loader_mode, as attached */
	struct sluice_xdp *skel;
	struct sluice_tc *tc;	/* on skel's maps (kern/tc.c) */
	struct sluice_egress *egress;	/* on skel's maps, NULL: none (kern/egress.c) */
	int dir_fd;		/* the pin directory, flock()ed while we run */
	int link_fd;
	int tc_link_fd;		/* -1: no TC program (answers fall back) */
	int names_fd;		/* sl_tier_names */
	int svc_names_fd;	/* sl_svc_names (kern/services.h) */
	uint32_t prog_id;
	uint32_t link_id;
	uint32_t tc_prog_id;	/* 0: none attached */
	uint32_t tc_link_id;
	int egress_link_fd;	/* -1: no egress program (no response statistics) */
	uint32_t egress_prog_id;	/* 0: none attached */
	uint32_t egress_link_id;
	struct svc_sweep sweep;	/* the timeout sweep's place in sl_conns */
	uint32_t clients;	/* sl_clients max_entries in use */
	bool adopted;		/* maps came from pins left by an earlier run */
	bool created;		/* this run made the pins (a failed start removes them) */
	/* Pinned with another layout: created anew, written by apply, and
	 * pinned over the old pins once the link runs our program. */
	struct bpf_map *renew[SL_IFACE_RENEW_MAX];
	int nrenew;
	/* Tier names by id as sl_tier_names holds them (apply.c). */
	char tier_names[SL_MAX_TIERS][CFG_NAME_MAX];
	/* Service names by id as sl_svc_names holds them (services.c). */
	char svc_names[SL_MAX_SERVICES][SL_SVC_NAME_MAX];
	struct stats stats;
	struct talk_reader talk;	/* top-talker rings; unmapped: none */
	uint64_t talk_lost;	/* samples overwritten before a drain */
};

/* Make sure /sys/fs/bpf is a bpffs, mounting one if it is not. */
int loader_bpffs(void);

/* Lock the interface's pin directory, open the skeleton, check the
 * pinned maps (schema, layouts: pins.c says which are reused, recreated
 * or refused), load, and pin what is new.  Nothing is attached yet and
 * no pin an earlier run made has changed: write the maps first
 * (apply_config), then loader_attach.  On error everything is released
 * (and pins this call made are removed). */
int loader_open(struct sl_iface *ifc, const struct cfg_iface *ci,
		uint32_t clients);

/* Attach: adopt the pinned link (its program is replaced by ours) or
 * create and pin a new one; then pin the recreated maps over the old
 * pins and move the first release's counters into ours. */
int loader_attach(struct sl_iface *ifc);

/* Let go: close everything, pins (and enforcement) stay. */
void loader_close(struct sl_iface *ifc);

/* Remove the program from the interface and every pin, then close. */
int loader_detach(struct sl_iface *ifc);

/* The same for an interface no running daemon holds (sluiced --detach):
 * 0, -ENOENT when there are no pins, -EBUSY when a daemon holds it. */
int loader_detach_pinned(const char *ifname);

static inline const char *loader_mode_name(int mode)
{
	return mode == LOADER_GENERIC ? "generic" : "native";
}

/* bpf_map_info or bpf_link_info of an fd: 0 or -errno. */
int loader_obj_info(int fd, void *info, __u32 len);

#endif /* SLUICE_LOADER_H */
