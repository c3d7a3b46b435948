// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Every family sluiced exports.  Counters are read from the pinned maps
 * on each render, so they carry on across reloads, restarts and
 * adoption; a tier removed from the config is no longer listed.  No
 * label holds a client: the config alone bounds the cardinality.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/daemon.h"
#include "export/render.h"
#include "export/webhook.h"
#include "export/config_source.h"
#include "common/log.h"
#include "common/names.h"
#include "common/proto.h"
#include "kern/apply.h"
#include "sluice_edge.h"
#include "sluice_xdp.skel.h"

#define LBL(n, v)	((struct expo_label){ (n), (v) })
#define NL(a)		((int)(sizeof(a) / sizeof((a)[0])))

int render_init(struct render *r)
{
	int n = libbpf_num_possible_cpus();

	memset(r, 0, sizeof(*r));
	expo_init(&r->out[0], false);
	expo_init(&r->out[1], true);
	if (n <= 0)
		return n ? n : -EINVAL;
	r->ncpus = n;
	r->cur = calloc(SL_STATS_ENTRIES, sizeof(*r->cur));
	r->percpu = calloc(n, sizeof(*r->percpu));
	if (!r->cur || !r->percpu) {
		render_free(r);
		return -ENOMEM;
	}
	return 0;
}

void render_free(struct render *r)
{
	for (int i = 0; i < CFG_MAX_IFACES; i++)
		count_free(&r->ifs[i].clients);
	expo_free(&r->out[0]);
	expo_free(&r->out[1]);
	free(r->cur);
	free(r->percpu);
	r->cur = NULL;
	r->percpu = NULL;
}

void render_family(struct render *r, const char *name, enum expo_type type,
		   const char *help)
{
	expo_family(&r->out[0], name, type, help);
	expo_family(&r->out[1], name, type, help);
}

void render_u64(struct render *r, const struct expo_label *l, int nl,
		uint64_t v)
{
	expo_u64(&r->out[0], l, nl, v);
	expo_u64(&r->out[1], l, nl, v);
}

void render_double(struct render *r, const struct expo_label *l, int nl,
		   double v)
{
	expo_double(&r->out[0], l, nl, v);
	expo_double(&r->out[1], l, nl, v);
}

void render_histogram(struct render *r, const struct expo_label *l, int nl,
		      const double *le, const uint64_t *count, int n,
		      uint64_t over, double sum)
{
	expo_histogram(&r->out[0], l, nl, le, count, n, over, sum);
	expo_histogram(&r->out[1], l, nl, le, count, n, over, sum);
}

/* The state kept for interface `name`, taken or made. */
static struct render_iface *render_slot(struct render *r, const char *name)
{
	struct render_iface *free_slot = NULL;

	for (int i = 0; i < CFG_MAX_IFACES; i++) {
		if (!strcmp(r->ifs[i].name, name))
			return &r->ifs[i];
		if (!r->ifs[i].name[0] && !free_slot)
			free_slot = &r->ifs[i];
	}
	if (!free_slot || count_init(&free_slot->clients,
				     sizeof(struct sl_client_key),
				     sizeof(struct sl_client)))
		return NULL;
	memset(free_slot->flood_drop, 0, sizeof(free_slot->flood_drop));
	memset(free_slot->flood_tier, 0, sizeof(free_slot->flood_tier));
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	return free_slot;
}

/* Slots of interfaces gone from the config are freed. */
static void render_sweep(struct render *r)
{
	for (int i = 0; i < CFG_MAX_IFACES; i++) {
		struct render_iface *s = &r->ifs[i];

		if (s->name[0] && !s->seen) {
			count_free(&s->clients);
			memset(s, 0, sizeof(*s));
		}
		s->seen = false;
	}
}

/* Per-interface data, read once per render: counters and events. */
struct iface_read {
	struct sl_iface *ifc;
	struct render_iface *slot;
	bool counters_ok, events_ok, pins_ok;
	struct sl_counter *cur;
	uint64_t ev[SL_EV__MAX];
};

static int read_events(struct render *r, struct sl_iface *ifc, uint64_t *ev)
{
	int fd = bpf_map__fd(ifc->skel->maps.sl_evcount);

	for (__u32 k = 0; k < SL_EV__MAX; k++) {
		ev[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, r->percpu))
			return -errno;
		for (int c = 0; c < r->ncpus; c++)
			ev[k] += r->percpu[c];
	}
	return 0;
}

static bool pins_there(const char *ifname)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s", SL_PIN_ROOT, ifname,
		 SL_MAP_COUNTERS);
	return !access(path, F_OK);
}

static void render_counters(struct render *r, struct sl_daemon *d,
			    struct iface_read *rd, int n)
{
	static const char *const fam[2] = { "sluice_packets", "sluice_bytes" };
	static const char *const help[2] = {
		"Packets by interface, tier and the reason of their verdict (tier \"(none)\": non-IP and malformed packets).",
		"Bytes (L2 frame length) by interface, tier and the reason of their verdict.",
	};
	const struct sl_config *cfg = d->cfg;

	for (int f = 0; f < 2; f++) {
		render_family(r, fam[f], EXPO_COUNTER, help[f]);
		for (int i = 0; i < n; i++) {
			if (!rd[i].counters_ok)
				continue;
			for (int t = 0; t <= cfg->ntiers; t++) {
				bool none = t == cfg->ntiers;
				int id = none ? SL_TIER_NONE :
					 apply_tier_id(rd[i].ifc, cfg->tiers[t].name);

				if (id < 0)
					continue;
				for (int k = 0; k < SL_R__MAX; k++) {
					const struct sl_counter *c =
						&rd[i].cur[sl_stats_index(id, k)];
					struct expo_label l[] = {
						LBL("interface", rd[i].ifc->name),
						LBL("tier", none ? "(none)" : cfg->tiers[t].name),
						LBL("reason", reason_name(k)),
					};

					if (none && k != SL_R_MALFORMED && k != SL_R_NON_IP)
						continue;
					render_u64(r, l, NL(l), f ? c->bytes : c->packets);
				}
			}
		}
	}
}

static void render_events(struct render *r, struct iface_read *rd, int n)
{
	render_family(r, "sluice_parser_events", EXPO_COUNTER,
		      "Parser and table events by interface (vlan, ipv4_options, fragments, client_new, client_full, ...).");
	for (int i = 0; i < n; i++)
		for (int k = 0; rd[i].events_ok && k < SL_EV__MAX; k++) {
			struct expo_label l[] = {
				LBL("interface", rd[i].ifc->name),
				LBL("event", event_name(k)),
			};

			render_u64(r, l, NL(l), rd[i].ev[k]);
		}
}

/* sl_edge_status: the edge's HTTP answers by tier and status, for the
 * tiers of the running config. */
static void render_edge_status(struct render *r, struct iface_read *rd, int n)
{
	render_family(r, "sluice_edge_replies", EXPO_COUNTER,
		      "Requests answered at the edge with an HTTP reply (action http), by interface, tier and status.");
	for (int i = 0; i < n; i++) {
		int fd = bpf_map__fd(rd[i].ifc->skel->maps.sl_edge_status);
		struct sl_edge_status_key k, next, *prev = NULL;

		while (!bpf_map_get_next_key(fd, prev, &next)) {
			const char *tier = next.tier < SL_MAX_TIERS ?
					   rd[i].ifc->tier_names[next.tier] : "";
			uint64_t sum = 0;
			char status[8];

			k = next;
			prev = &k;
			if (!*tier || bpf_map_lookup_elem(fd, &k, r->percpu))
				continue;
			for (int c = 0; c < r->ncpus; c++)
				sum += r->percpu[c];
			snprintf(status, sizeof(status), "%u", k.status);
			struct expo_label l[] = {
				LBL("interface", rd[i].ifc->name),
				LBL("tier", tier),
				LBL("status", status),
			};
			render_u64(r, l, NL(l), sum);
		}
	}
}

static void render_clients(struct render *r, struct iface_read *rd, int n)
{
	render_family(r, "sluice_client_table_entries", EXPO_GAUGE,
		      "Entries in the client table, counted by walking it in batches of at most 131072 entries per render (once a second): the count of the last complete walk.");
	for (int i = 0; i < n; i++) {
		struct expo_label l[] = { LBL("interface", rd[i].ifc->name) };

		if (rd[i].slot && rd[i].slot->clients.have)
			render_u64(r, l, NL(l), rd[i].slot->clients.count);
	}
	render_family(r, "sluice_client_table_capacity", EXPO_GAUGE,
		      "Size of the client table (entries); the least recently seen client is evicted when it is full.");
	for (int i = 0; i < n; i++) {
		struct expo_label l[] = { LBL("interface", rd[i].ifc->name) };

		render_u64(r, l, NL(l), rd[i].ifc->clients);
	}
}

/* Refusing: flood_drop grew since the last render. */
static void render_flood(struct render *r, struct sl_daemon *d,
			 struct iface_read *rd, int n)
{
	const struct sl_config *cfg = d->cfg;

	for (int f = 0; f < 2; f++) {
		if (!f)
			render_family(r, "sluice_flood_guard_refusing", EXPO_GAUGE,
				      "1 while the tier's flood guard refuses new clients (its refusals grew since the last render, a second ago), else 0.");
		else
			render_family(r, "sluice_flood_guard_refused_packets", EXPO_COUNTER,
				      "Packets from unknown sources refused by the tier's flood guard (reason flood_drop).");
		for (int i = 0; i < n; i++) {
			struct render_iface *s = rd[i].slot;

			for (int t = 0; rd[i].counters_ok && t < cfg->ntiers; t++) {
				const struct cfg_tier *ct = &cfg->tiers[t];
				int id = apply_tier_id(rd[i].ifc, ct->name);
				struct expo_label l[] = {
					LBL("interface", rd[i].ifc->name),
					LBL("tier", ct->name),
				};
				uint64_t v;

				if (id < 0 || !ct->flood_guard)
					continue;
				v = rd[i].cur[sl_stats_index(id, SL_R_FLOOD_DROP)].packets;
				if (f) {
					render_u64(r, l, NL(l), v);
					continue;
				}
				render_u64(r, l, NL(l), s &&
					   !strcmp(s->flood_tier[id], ct->name) &&
					   v > s->flood_drop[id]);
				if (s) {
					s->flood_drop[id] = v;
					snprintf(s->flood_tier[id], CFG_NAME_MAX,
						 "%s", ct->name);
				}
			}
		}
	}
}

static void render_limits(struct render *r, const struct sl_config *cfg)
{
	for (int f = 0; f < 2; f++) {
		if (!f)
			render_family(r, "sluice_limit_rate", EXPO_GAUGE,
				      "A tier's configured rate, in units (packets, bytes, connections, requests) per second, per client; meter is the limit's index in the tier.");
		else
			render_family(r, "sluice_limit_burst", EXPO_GAUGE,
				      "A tier's configured burst, in units, per client.");
		for (int t = 0; t < cfg->ntiers; t++) {
			const struct cfg_tier *ct = &cfg->tiers[t];

			for (int m = 0; ct->verdict == SL_TIER_LIMIT &&
					m < ct->nmeters; m++) {
				const struct cfg_meter *cm = &ct->meters[m];
				char idx[16];
				struct expo_label l[] = {
					LBL("tier", ct->name),
					LBL("unit", unit_name(cm->unit)),
					LBL("meter", idx),
				};

				snprintf(idx, sizeof(idx), "%d", m);
				if (f)
					render_u64(r, l, NL(l), cm->burst);
				else
					render_double(r, l, NL(l), (double)cm->count *
						      1e9 / cm->period_ns);
			}
		}
	}
}

static void render_config(struct render *r, struct sl_daemon *d)
{
	const struct expo_label ok[] = { LBL("result", "success") };
	const struct expo_label bad[] = { LBL("result", "failure") };
	struct sl_global g;
	char hash[32];
	int mode = d->cfg->mode;

	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)d->cfg->hash);
	render_family(r, "sluice_config_reloads", EXPO_COUNTER,
		      "Config reloads since sluiced started, by result (failure: refused, or applied with errors).");
	render_u64(r, ok, 1, d->reloads_ok);
	render_u64(r, bad, 1, d->reloads_failed);
	render_family(r, "sluice_config_last_reload_success_timestamp_seconds",
		      EXPO_GAUGE, "When the running config was applied (start or reload), unix time.");
	render_u64(r, NULL, 0, d->reload_ok_at);
	render_family(r, "sluice_config_info", EXPO_GAUGE,
		      "The running config: its hash (FNV-1a, as sluicectl status shows it) and path.");
	{
		struct expo_label l[] = { LBL("hash", hash), LBL("path", d->cfg_path) };

		render_u64(r, l, NL(l), 1);
	}
	if (d->niface && !apply_global_get(&d->ifaces[0], &g))
		mode = g.mode;	/* sluicectl mode may have switched it */
	render_family(r, "sluice_mode", EXPO_GAUGE,
		      "1 for the mode enforcement runs in now (enforce or shadow), 0 for the other.");
	for (int m = SL_MODE_ENFORCE; m <= SL_MODE_SHADOW; m++) {
		struct expo_label l[] = { LBL("mode", mode_name(m)) };

		render_u64(r, l, 1, m == mode);
	}
}

static void render_info(struct render *r, struct sl_daemon *d)
{
	char abi[16], prog[16];
	struct expo_label b[] = { LBL("version", SL_VERSION_STR), LBL("abi", abi) };

	snprintf(abi, sizeof(abi), "%d", SL_ABI_VERSION);
	render_family(r, "sluice_build_info", EXPO_GAUGE,
		      "sluiced's version and the ABI of its maps; always 1.");
	render_u64(r, b, NL(b), 1);
	render_family(r, "sluice_interface_info", EXPO_GAUGE,
		      "An interface sluice is attached to: XDP mode (native or generic) and program id; always 1.");
	for (int i = 0; i < d->niface; i++) {
		const struct sl_iface *ifc = &d->ifaces[i];
		struct expo_label l[] = {
			LBL("interface", ifc->name),
			LBL("attach", loader_mode_name(ifc->mode)),
			LBL("prog_id", prog),
		};

		snprintf(prog, sizeof(prog), "%u", ifc->prog_id);
		render_u64(r, l, NL(l), 1);
	}
	render_family(r, "sluice_egress_attached", EXPO_GAUGE,
		      "1 while the TC egress program reads the services' responses on the interface; 0: no response statistics there (enforcement is unaffected).");
	for (int i = 0; i < d->niface; i++) {
		struct expo_label l[] = { LBL("interface", d->ifaces[i].name) };

		render_u64(r, l, NL(l), d->ifaces[i].egress_link_fd >= 0);
	}
}

int render_all(struct render *r, struct sl_daemon *d, bool sampled)
{
	struct iface_read rd[CFG_MAX_IFACES];
	struct sl_counter *cur = NULL;
	int n = d->niface, err = 0;

	expo_reset(&r->out[0]);
	expo_reset(&r->out[1]);
	r->healthy = n > 0;
	cur = calloc((size_t)(n ? n : 1) * SL_STATS_ENTRIES, sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct iface_read *x = &rd[i];
		struct sl_iface *ifc = &d->ifaces[i];
		int e;

		memset(x, 0, sizeof(*x));
		x->ifc = ifc;
		x->cur = cur + (size_t)i * SL_STATS_ENTRIES;
		x->slot = render_slot(r, ifc->name);
		if (x->slot) {
			x->slot->seen = true;
			e = count_step(&x->slot->clients,
				       bpf_map__fd(ifc->skel->maps.sl_clients),
				       COUNT_STEP_MAX);
			if (e)
				log_dbg("%s: counting the client table failed: %s",
					ifc->name, strerror(-e));
		}
		x->pins_ok = pins_there(ifc->name);
		/* Right after the once-a-second sample the counters are the
		 * sample's: reading the map again would cost the same
		 * syscalls twice for the same figures. */
		if (sampled && ifc->stats.last_ns && !ifc->stats.last_err) {
			memcpy(x->cur, ifc->stats.last,
			       SL_STATS_ENTRIES * sizeof(*x->cur));
			x->counters_ok = true;
		} else {
			x->counters_ok = !stats_read(&ifc->stats,
				bpf_map__fd(ifc->skel->maps.sl_counters), x->cur);
		}
		x->events_ok = !read_events(r, ifc, x->ev);
		if (!x->pins_ok || !x->counters_ok || !x->events_ok)
			r->healthy = false;
	}
	render_sweep(r);
	render_counters(r, d, rd, n);
	render_events(r, rd, n);
	render_edge_status(r, rd, n);
	render_clients(r, rd, n);
	render_flood(r, d, rd, n);
	render_limits(r, d->cfg);
	render_config(r, d);
	render_info(r, d);
	render_webhook(r, d->webhook);
	render_config_source(r, d);
	err = render_services(r, d);
	render_gates(r, d);
	render_rollout(r, d);
	render_redis(r, d);
	render_process(r);
	free(cur);
	if (err)
		return err;
	err = expo_end(&r->out[0]);
	if (!err)
		err = expo_end(&r->out[1]);
	return err;
}
