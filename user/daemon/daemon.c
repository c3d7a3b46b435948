// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "daemon/daemon.h"
#include "daemon/config_source.h"
#include "daemon/svc_view.h"
#include "daemon/top.h"
#include "daemon/webhook.h"
#include "daemon/gates.h"
#include "daemon/rollout.h"
#include "daemon/glob_sync.h"
#include "kern/egress.h"
#include "kern/refcache.h"
#include "kern/tc.h"
#include "export/metrics.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/names.h"
#include "sluice_xdp.skel.h"

static void daemon_log_summary(const char *what, const struct apply_summary *s)
{
	if (!s->n)
		log_info("%s: no changes", what);
	for (int i = 0; i < s->n; i++)
		log_info("%s: %s", what, s->lines[i]);
}

/* Open, write, then attach: the program never sees empty maps. */
static int daemon_iface_up(struct sl_iface *ifc, const struct cfg_iface *ci,
			   const struct sl_config *cfg,
			   struct apply_summary *sum)
{
	int err;

	err = loader_open(ifc, ci, cfg->client_table_size);
	if (err)
		return err;
	err = apply_config(ifc, cfg, sum);
	if (!err)
		err = loader_attach(ifc);
	if (!err)
		err = stats_sample(&ifc->stats,
				   bpf_map__fd(ifc->skel->maps.sl_counters));
	if (!err)
		return 0;
	/* Undo only what this run made; adopted pins stay as they were. */
	if (ifc->created)
		loader_detach(ifc);
	else
		loader_close(ifc);
	return err;
}

/* Undo daemon_iface_up for ifaces[0..n) after a later one failed. */
static void daemon_iface_rollback(struct sl_iface *ifaces, int n)
{
	for (int i = 0; i < n; i++) {
		if (ifaces[i].created)
			loader_detach(&ifaces[i]);
		else
			loader_close(&ifaces[i]);
	}
}

/* An alert from Alertmanager (daemon/webhook.c): a degrade level held
 * while it fires, a breaker forced open; a resolved one lets go.  An
 * alert that stops being re-sent ends after degrade.alert_expire. */
static void daemon_alert(void *ctx, const struct alert_event *ev,
			 uint64_t now_ns)
{
	struct sl_daemon *d = ctx;
	int err;

	err = gates_alert(d, ev->fp, ev->name, ev->level,
			  ev->breaker[0] ? ev->breaker : NULL, ev->firing, 0,
			  now_ns);
	if (err == -ENOENT)
		log_warn("alert %s (%s): no breaker of service '%s' (its degrade level, if any, applies)",
			 ev->name, ev->fp, ev->breaker);
	else if (err == -ENOSPC)
		log_warn("alert %s (%s): too many alerts held (%d): ignored",
			 ev->name, ev->fp, DEGRADE_ALERTS);
	else if (err && err != -ENODEV)
		log_warn("alert %s (%s): not applied: %s", ev->name, ev->fp,
			 strerror(-err));
}

int daemon_start(struct sl_daemon *d, struct sl_config *cfg)
{
	struct apply_summary sum = {};
	int err, i;

	d->ifaces = calloc(CFG_MAX_IFACES, sizeof(*d->ifaces));
	if (!d->ifaces) {
		err = -ENOMEM;
		goto fail;
	}
	err = loader_bpffs();
	if (err)
		goto fail;
	for (i = 0; i < cfg->niface; i++) {
		err = daemon_iface_up(&d->ifaces[i], &cfg->ifaces[i], cfg, &sum);
		if (err) {
			daemon_iface_rollback(d->ifaces, i);
			goto fail;
		}
	}
	d->niface = cfg->niface;
	d->cfg = cfg;
	d->loaded_at = d->reload_ok_at = time(NULL);
	daemon_log_summary("start", &sum);
	apply_summary_free(&sum);
	log_info("enforcing %s (hash %016llx, mode %s) on %d interface%s",
		 cfg->path, (unsigned long long)cfg->hash,
		 mode_name(cfg->mode),
		 d->niface, d->niface == 1 ? "" : "s");
	/* The receiver is optional: one that cannot start says why and
	 * sluiced runs on.  Its alerts go to the degrade controller and the
	 * breakers (daemon/gates.c). */
	if (d->loop && !webhook_new(&d->webhook, d->loop, daemon_alert, d))
		webhook_apply(d->webhook, &cfg->webhook);
	/* After the interfaces: the sync writes their grant maps.  Without
	 * it global limits hold as local ones (sluiced says why). */
	if (d->loop && !glob_sync_start(&d->glob))
		glob_sync_apply(d->glob, d);
	return 0;
fail:
	free(d->ifaces);
	d->ifaces = NULL;
	cfg_free(cfg);
	apply_summary_free(&sum);
	return err;
}

static struct sl_iface *daemon_iface(struct sl_daemon *d, const char *name)
{
	for (int i = 0; i < d->niface; i++)
		if (!strcmp(d->ifaces[i].name, name))
			return &d->ifaces[i];
	return NULL;
}

static bool cfg_has_iface(const struct sl_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->niface; i++)
		if (!strcmp(cfg->ifaces[i].name, name))
			return true;
	return false;
}

/* Settings that only a restart can change: say so, keep running. */
static void daemon_reload_warn(struct sl_daemon *d, const struct sl_config *n)
{
	if (strcmp(d->cfg->control_socket, n->control_socket))
		log_warn("reload: control_socket changed to %s: sluiced keeps listening on %s until it restarts",
			 n->control_socket, d->ctl.path);
	if (strcmp(metrics_addr(d->metrics), n->metrics.text))
		log_warn("reload: metrics.listen changed to %s: sluiced keeps serving metrics on %s until it restarts",
			 n->metrics.text, metrics_addr(d->metrics));
	for (int i = 0; i < d->niface; i++) {
		struct sl_iface *ifc = &d->ifaces[i];

		for (int j = 0; j < n->niface; j++) {
			if (strcmp(n->ifaces[j].name, ifc->name))
				continue;
			if (n->ifaces[j].attach != ifc->attach &&
			    n->ifaces[j].attach != CFG_ATTACH_AUTO &&
			    (n->ifaces[j].attach == CFG_ATTACH_GENERIC) != ifc->mode)
				log_warn("%s: attach mode changed to %s: the program stays in %s XDP until `sluiced --detach` and a restart",
					 ifc->name,
					 loader_mode_name(n->ifaces[j].attach == CFG_ATTACH_GENERIC),
					 loader_mode_name(ifc->mode));
			ifc->attach = n->ifaces[j].attach;
		}
		if (n->client_table_size != ifc->clients)
			log_warn("%s: client_table_size %u is not applied: the pinned client table keeps %u entries (resizing needs `sluiced --detach` and a restart, which drops per-client state)",
				 ifc->name, n->client_table_size, ifc->clients);
	}
}

int daemon_reload(struct sl_daemon *d, const char *why,
		  struct apply_summary *sum, char *err, size_t errlen)
{
	char cerr[CFG_ERR_MAX] = "";
	struct sl_config *cfg;
	int rc;

	rc = cfg_load(d->cfg_path, &cfg, cerr);
	/* With config_source the file is the bootstrap: the policy is
	 * the central config's, composed with it again. */
	if (!rc && d->csrc)
		rc = config_source_rebase(d, &cfg, cerr);
	else if (!rc && cfg->config_source.on)
		log_warn("reload: config_source was added to %s: sluiced follows it only after a restart (applying the file as it is)",
			 d->cfg_path);
	if (rc) {
		snprintf(err, errlen, "%s", cerr);
		log_err("reload (%s) refused: %s; still enforcing the running config (hash %016llx)",
			why, cerr, (unsigned long long)d->cfg->hash);
		d->reloads_failed++;
		metrics_update(d->metrics, d);
		return rc;
	}
	return daemon_apply(d, cfg, why, sum, err, errlen);
}

int daemon_apply(struct sl_daemon *d, struct sl_config *cfg, const char *why,
		 struct apply_summary *sum, char *err, size_t errlen)
{
	struct apply_summary local = {}, fresh = {};
	struct sl_iface *added = NULL, *order = NULL, *ifc;
	int rc = 0, nadded = 0;

	if (!sum)
		sum = &local;
	added = calloc(CFG_MAX_IFACES, sizeof(*added));
	order = calloc(CFG_MAX_IFACES, sizeof(*order));
	if (!added || !order) {
		rc = -ENOMEM;
		goto fail;
	}
	/* New interfaces first: attaching is what can fail, and a failed
	 * reload must leave the running ones untouched. */
	for (int i = 0; i < cfg->niface; i++) {
		const struct cfg_iface *ci = &cfg->ifaces[i];

		if (daemon_iface(d, ci->name))
			continue;
		/* A new interface's "tier added" lines would only confuse
		 * the reload's summary. */
		rc = daemon_iface_up(&added[nadded], ci, gates_cfg(d, cfg),
				     &fresh);
		apply_summary_free(&fresh);
		if (rc) {
			snprintf(err, errlen,
				 "interface %s could not be attached (%s; see the daemon's log): nothing changed",
				 ci->name, strerror(-rc));
			log_err("reload (%s) refused: %s", why, err);
			daemon_iface_rollback(added, nadded);
			goto fail;
		}
		apply_note(sum, "interface %s added (%s XDP)", ci->name,
			   loader_mode_name(added[nadded].mode));
		nadded++;
	}
	daemon_reload_warn(d, cfg);
	for (int i = 0; i < d->niface; i++) {
		int e;

		ifc = &d->ifaces[i];
		if (cfg_has_iface(cfg, ifc->name)) {
			e = apply_config(ifc, gates_cfg(d, cfg), sum);
			if (e && !rc)
				snprintf(err, errlen,
					 "%s: writing the new config into the maps failed: %s (see the daemon's log)",
					 ifc->name, strerror(-e));
		} else {
			apply_note(sum, "interface %s removed from the config: %s",
				   ifc->name, "program detached, pins removed");
			e = loader_detach(ifc);
			ifc->name[0] = '\0';	/* gone */
			if (e && !rc)
				snprintf(err, errlen,
					 "detaching a removed interface failed: %s (see the daemon's log)",
					 strerror(-e));
		}
		if (e && !rc)
			rc = e;
	}
	/* Kept and added interfaces, in the config's order. */
	for (int i = 0; i < cfg->niface; i++) {
		ifc = daemon_iface(d, cfg->ifaces[i].name);
		for (int j = 0; !ifc && j < nadded; j++)
			if (!strcmp(added[j].name, cfg->ifaces[i].name))
				ifc = &added[j];
		order[i] = *ifc;
	}
	memcpy(d->ifaces, order, cfg->niface * sizeof(*order));
	d->niface = cfg->niface;
	free(order);
	free(added);
	cfg_free(d->cfg);
	d->cfg = cfg;
	d->loaded_at = time(NULL);
	if (!d->verbose)
		log_set_level(cfg->log_level);
	if (d->webhook)
		webhook_apply(d->webhook, &cfg->webhook);
	gates_reload(d);
	glob_sync_apply(d->glob, d);
	if (!rc)
		rollout_reloaded(d);	/* the canary stays, its window restarts */
	daemon_log_summary(why, sum);
	if (rc)
		log_err("reload (%s) applied with errors: %s", why, err);
	if (rc)
		d->reloads_failed++;
	else
		d->reloads_ok++, d->reload_ok_at = d->loaded_at;
	metrics_update(d->metrics, d);
	apply_summary_free(&local);
	return rc;
fail:
	free(order);
	free(added);
	cfg_free(cfg);
	apply_summary_free(&local);
	d->reloads_failed++;
	metrics_update(d->metrics, d);
	return rc;
}

int daemon_set_mode(struct sl_daemon *d, int mode)
{
	struct sl_global g;
	int err;

	for (int i = 0; i < d->niface; i++) {
		err = apply_global_get(&d->ifaces[i], &g);
		if (!err) {
			g.mode = mode;
			err = apply_global_set(&d->ifaces[i], &g);
		}
		if (err) {
			log_err("%s: cannot write the mode into %s: %s",
				d->ifaces[i].name, SL_MAP_GLOBAL, strerror(-err));
			return err;
		}
	}
	log_info("mode set to %s by sluicectl (until the next reload, which applies the config's mode: %s)",
		 mode_name(mode), mode_name(d->cfg->mode));
	return 0;
}

int daemon_detach(struct sl_daemon *d, char names[][IF_NAMESIZE], int *n)
{
	int err = 0, e;

	if (n)
		*n = 0;
	rollout_detached(d);
	for (int i = 0; i < d->niface; i++) {
		if (names)
			memcpy(names[(*n)++], d->ifaces[i].name, IF_NAMESIZE);
		e = loader_detach(&d->ifaces[i]);
		if (e && !err)
			err = e;
	}
	d->niface = 0;
	glob_sync_apply(d->glob, d);	/* lets go of their maps */
	return err;
}

void daemon_sample(struct sl_daemon *d)
{
	__u64 now = clock_ns(CLOCK_MONOTONIC);

	for (int i = 0; i < d->niface; i++) {
		struct sl_iface *ifc = &d->ifaces[i];
		int err = stats_sample(&ifc->stats,
				       bpf_map__fd(ifc->skel->maps.sl_counters));

		if (err)
			log_warn("%s: reading counters failed: %s", ifc->name,
				 strerror(-err));
		tc_check(ifc);
		egress_check(ifc);
		err = svc_sweep_tick(ifc, &ifc->sweep, now);
		if (err < 0)
			log_warn("%s: the services' timeout sweep failed: %s (tried again in a second)",
				 ifc->name, strerror(-err));
		err = refcache_tick(ifc, now);
		if (err < 0)
			log_warn("%s: rebuilding the refusal caches' bitmaps failed: %s (tried again in %d s)",
				 ifc->name, strerror(-err), REFCACHE_SWEEP_S);
	}
	/* After the sweep: its timeouts are in this reading. */
	svc_view_sample(d, now);
}

void daemon_stop(struct sl_daemon *d)
{
	glob_sync_stop(d->glob);
	d->glob = NULL;
	top_stop(d);
	svc_view_free(d);
	webhook_free(d->webhook);
	d->webhook = NULL;
	gates_stop(d);
	rollout_free(d);	/* its pins and state files stay: a restart resumes */
	config_source_free(d);
	for (int i = 0; i < d->niface; i++)
		loader_close(&d->ifaces[i]);
	d->niface = 0;
	free(d->ifaces);
	d->ifaces = NULL;
	cfg_free(d->cfg);
	d->cfg = NULL;
}
