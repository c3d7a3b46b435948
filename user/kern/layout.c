// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/layout.h"
#include "kern/loader.h"
#include "common/log.h"
#include "sluice_abi.h"
#include "sluice_pfxcache.h"
#include "sluice_edge.h"
#include "sluice_reply.h"
#include "sluice_gate.h"
#include "sluice_glob.h"
#include "sluice_rollout.h"
#include "sluice_service.h"
#include "sluice_svc_match.h"
#include "sluice_talk.h"

/* Every map sluiced pins, and what it holds.  A map not listed is state,
 * so a new feature's map is kept as it is until it is listed here. */
static const struct map_class map_classes[] = {
	{ SL_MAP_CLIENTS,	MAP_STATE,	"per-client buckets" },
	{ SL_MAP_FLOOD,		MAP_STATE,	"flood-guard buckets" },
	{ SL_MAP_KNOWN,		MAP_STATE,	"the known-client filter" },
	{ SL_MAP_COUNTERS,	MAP_STATE,	"counters" },
	{ SL_MAP_EVCOUNT,	MAP_STATE,	"event counters" },
	{ SL_MAP_TIER_NAMES,	MAP_STATE,	"tier ids" },
	{ SL_MAP_EDGE_STATUS,	MAP_STATE,	"edge answers by status" },
	{ SL_MAP_SVC_STATS,	MAP_STATE,	"per-service statistics" },
	{ SL_MAP_SVC_RUN,	MAP_STATE,	"per-service failure runs" },
	{ SL_MAP_SVC_GATE,	MAP_STATE,	"per-service gates (breakers, shedding)" },
	{ SL_MAP_CONNS,		MAP_STATE,	"pending requests per connection" },
	{ SL_MAP_SVC_NAMES,	MAP_STATE,	"service ids" },
	{ SL_MAP_GLOB_USE,	MAP_STATE,	"global limits' use per client" },
	{ SL_MAP_GLOB_GRANT,	MAP_STATE,	"global limits' allowances" },
	{ SL_MAP_COUNTERS_C,	MAP_STATE,	"a rollout's canary counters" },
	{ SL_MAP_SVC_STATS_C,	MAP_STATE,	"a rollout's canary service statistics" },
	{ SL_MAP_GLOBAL,	MAP_CONFIG,	"switches" },
	{ SL_MAP_TIERS,		MAP_CONFIG,	"tiers" },
	{ SL_MAP_PFX_V4,	MAP_CONFIG,	"IPv4 prefixes" },
	{ SL_MAP_PFX_V6,	MAP_CONFIG,	"IPv6 prefixes" },
	{ SL_MAP_REPLIES,	MAP_CONFIG,	"edge reply templates" },
	{ SL_MAP_EDGE,		MAP_CONFIG,	"the edge answers' switch" },
	{ SL_MAP_SERVICES,	MAP_CONFIG,	"services" },
	{ SL_MAP_SVC_PORTS,	MAP_CONFIG,	"the services' ports" },
	{ SL_MAP_SVC_MATCH,	MAP_CONFIG,	"the services' matches" },
	{ SL_MAP_ROLL,		MAP_CONFIG,	"a rollout's switches" },
	{ SL_MAP_TIERS_C,	MAP_CONFIG,	"a rollout's canary tiers" },
	{ SL_MAP_PFX_V4_C,	MAP_CONFIG,	"a rollout's canary IPv4 prefixes" },
	{ SL_MAP_PFX_V6_C,	MAP_CONFIG,	"a rollout's canary IPv6 prefixes" },
	{ SL_MAP_REFUSED,	MAP_CACHE,	"the refusal cache" },
	{ SL_MAP_REFMARK,	MAP_CACHE,	"the refusal cache's sources" },
	{ SL_MAP_REFSTAT,	MAP_CACHE,	"the refusal cache's use" },
	{ SL_MAP_REFUSED6,	MAP_CACHE,	"the IPv6 refusal cache" },
	{ SL_MAP_REFMARK6,	MAP_CACHE,	"the IPv6 refusal cache's sources" },
	{ SL_MAP_REFSTAT6,	MAP_CACHE,	"the IPv6 refusal cache's use" },
	{ SL_MAP_PFX_CACHE,	MAP_CACHE,	"the classification cache" },
	{ SL_MAP_TALK,		MAP_CACHE,	"top-talker samples" },
	{ SL_MAP_TALK_HEAD,	MAP_CACHE,	"top-talker ring heads" },
	{ SL_MAP_SVC_SCRATCH,	MAP_CACHE,	"scratch room for service lookups" },
	{ SL_MAP_CLIENTS_S,	MAP_CACHE,	"a rollout's shadow buckets" },
	{ SL_MAP_ROLL_SCRATCH,	MAP_CACHE,	"scratch room for shadow decisions" },
};

const struct map_class *map_class_of(const char *name)
{
	static const struct map_class other = { NULL, MAP_STATE, "state" };

	for (size_t i = 0; i < sizeof(map_classes) / sizeof(map_classes[0]); i++)
		if (!strcmp(map_classes[i].name, name))
			return &map_classes[i];
	return &other;
}

int layout_read(const char *ifname, int fd, const char *name,
		struct map_layout *l)
{
	struct bpf_map_info info;
	int err;

	err = loader_obj_info(fd, &info, sizeof(info));
	if (err) {
		log_err("%s: cannot read pinned map %s: %s", ifname, name,
			strerror(-err));
		return err;
	}
	*l = (struct map_layout){ info.type, info.key_size, info.value_size,
				  info.map_flags, info.max_entries };
	return 0;
}

void layout_of_map(const struct bpf_map *m, struct map_layout *l)
{
	*l = (struct map_layout){ bpf_map__type(m), bpf_map__key_size(m),
				  bpf_map__value_size(m), bpf_map__map_flags(m),
				  bpf_map__max_entries(m) };
}

#define LAYOUT_FIELDS	5

static __u32 layout_get(const struct map_layout *l, int i)
{
	const __u32 f[LAYOUT_FIELDS] = { l->type, l->key, l->value, l->flags,
					 l->entries };

	return f[i];
}

static int layout_field(char *buf, size_t size, int i, __u32 v)
{
	const char *t;

	switch (i) {
	case 0:
		t = libbpf_bpf_map_type_str(v);
		return t ? snprintf(buf, size, "type %s", t) :
			   snprintf(buf, size, "type %u", v);
	case 1:
		return snprintf(buf, size, "key %u B", v);
	case 2:
		return snprintf(buf, size, "value %u B", v);
	case 3:
		return snprintf(buf, size, "flags %#x", v);
	default:
		return snprintf(buf, size, "%u entries", v);
	}
}

char *layout_diff(const struct map_layout *have, const struct map_layout *want,
		  char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		const struct map_layout *l = pass ? want : have;
		bool first = true;

		for (int i = 0; i < LAYOUT_FIELDS; i++) {
			if (layout_get(have, i) == layout_get(want, i))
				continue;
			if (n < size)
				n += snprintf(buf + n, size - n, "%s", !first ? ", " :
					      pass ? " where this sluiced expects " : "");
			first = false;
			if (n < size)
				n += layout_field(buf + n, size - n, i,
						  layout_get(l, i));
		}
	}
	return buf;
}
