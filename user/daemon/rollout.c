// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A rollout in sluiced (daemon/rollout.h): the candidate into the canary
 * maps, the controller fed from the counters, its decisions done.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "daemon/rollout.h"
#include "daemon/daemon.h"
#include "daemon/config_source.h"
#include "common/clock.h"
#include "common/config_cache.h"
#include "common/log.h"
#include "kern/rollout.h"
#include "kern/stats.h"
#include "kern/svc_stats.h"
#include "sluice_rollout.h"
#include "sluice_xdp.skel.h"

static void run_free(struct rollout_run *r)
{
	cfg_free(r->cand);
	free(r->text);
	r->cand = NULL;
	r->text = NULL;
	r->len = 0;
}

static uint32_t kstate(const struct rollout *ro)
{
	return ro->state == RO_SHADOW ? SL_ROLL_SHADOW :
	       ro->state == RO_STEP ? SL_ROLL_CANARY : SL_ROLL_OFF;
}

static struct rollout_iface *run_iface(struct rollout_run *r, const char *name)
{
	for (int i = 0; i < r->nifs; i++)
		if (!strcmp(r->ifs[i].name, name))
			return &r->ifs[i];
	if (r->nifs == CFG_MAX_IFACES)
		return NULL;
	r->ifs[r->nifs].canary = calloc(SL_STATS_ENTRIES, sizeof(struct sl_counter));
	if (!r->ifs[r->nifs].canary)
		return NULL;
	snprintf(r->ifs[r->nifs].name, sizeof(r->ifs[0].name), "%s", name);
	return &r->ifs[r->nifs++];
}

/* The HTTP outcomes and failures of every service, summed. */
static void svc_add(struct ro_sample *s, const struct sl_svc_stats *st, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t fail = st[i].no_response + st[i].timeouts;

		for (int c = SL_SVC_CODE_OTHER; c <= SL_SVC_CODE_5XX; c++)
			s->outcomes += st[i].responses[c];
		s->outcomes += fail;
		s->errors += fail + st[i].responses[SL_SVC_CODE_5XX];
	}
}

static void rows_add(struct ro_sample *s, const struct sl_counter *c)
{
	uint64_t pkts[SL_R__MAX];

	for (int t = 0; t < RO_TIERS; t++) {
		for (int k = 0; k < SL_R__MAX; k++)
			pkts[k] = c[sl_stats_index(t, k)].packets;
		ro_counts_add(&s->tier[t], pkts);
	}
}

int rollout_read(struct sl_daemon *d, struct ro_sample *total,
		 struct ro_sample *canary)
{
	struct rollout_run *r = d->rollout;
	struct sl_counter *cur = calloc(SL_STATS_ENTRIES, sizeof(*cur));
	struct sl_svc_stats *sv = calloc(2 * SL_MAX_SERVICES, sizeof(*sv));
	int rc = 0;

	memset(total, 0, sizeof(*total));
	memset(canary, 0, sizeof(*canary));
	if (!cur || !sv) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < d->niface; i++) {
		struct sl_iface *ifc = &d->ifaces[i];
		struct rollout_iface *ri = run_iface(r, ifc->name);
		int e;

		e = stats_read(&ifc->stats, bpf_map__fd(ifc->skel->maps.sl_counters),
			       cur);
		if (!e && ri)
			e = rollout_counters_read(ifc, ri->canary);
		if (ri)
			ri->ok = !e;
		if (e) {
			rc = rc ? rc : e;
			continue;
		}
		rows_add(total, cur);
		rows_add(canary, ri->canary);
		if (!svc_stats_read_all(bpf_map__fd(ifc->skel->maps.sl_svc_stats), sv) &&
		    !rollout_svc_stats_read(ifc, sv + SL_MAX_SERVICES)) {
			svc_add(total, sv, SL_MAX_SERVICES);
			svc_add(canary, sv + SL_MAX_SERVICES, SL_MAX_SERVICES);
		}
	}
out:
	free(cur);
	free(sv);
	return rc;
}

/* The tier names by id, for the reasons the controller writes. */
static void names_sync(struct sl_daemon *d)
{
	struct rollout *ro = &d->rollout->ro;

	if (!d->niface)
		return;
	for (int t = 0; t < RO_TIERS; t++)
		snprintf(ro->tier_name[t], sizeof(ro->tier_name[t]), "%s",
			 d->ifaces[0].tier_names[t]);
}

/* State, share and seed on every interface. */
static int switches_set(struct sl_daemon *d)
{
	struct rollout_run *r = d->rollout;
	int rc = 0;

	for (int i = 0; i < d->niface; i++) {
		int e = rollout_set(&d->ifaces[i], kstate(&r->ro), ro_share(&r->ro),
				    r->seed);

		if (e) {
			log_err("%s: rollout: cannot set state %s at %u%%: %s",
				d->ifaces[i].name, ro_state_name(r->ro.state),
				ro_percent(&r->ro), strerror(-e));
			rc = rc ? rc : e;
		}
	}
	r->last_err = rc;
	return rc;
}

/* Every interface back on the running policy; the files go.  The
 * rollout has ended (counted by outcome). */
static void canary_clear(struct sl_daemon *d, bool ended)
{
	struct apply_summary sum = {};

	if (ended)
		d->rollout->ended[d->rollout->ro.state]++;
	for (int i = 0; i < d->niface; i++) {
		int e = rollout_clear(&d->ifaces[i], d->cfg, &sum);

		if (e)
			log_err("%s: rollout: clearing the canary policy failed: %s (its state is off: no client sees it)",
				d->ifaces[i].name, strerror(-e));
	}
	for (int i = 0; i < sum.n; i++)
		log_info("rollout cleared: %s", sum.lines[i]);
	apply_summary_free(&sum);
	rollout_unpersist(d);
}

/* The candidate into the maps of interfaces that lack it. */
static int canary_write(struct sl_daemon *d, struct apply_summary *sum)
{
	struct rollout_run *r = d->rollout;
	struct rollout_kstate st;

	for (int i = 0; i < d->niface; i++) {
		struct sl_iface *ifc = &d->ifaces[i];
		int e = rollout_get(ifc, &st);

		if (!e && st.config_hash == r->cand->hash)
			continue;
		e = rollout_write(ifc, r->cand, sum);
		if (e) {
			log_err("%s: rollout: writing the candidate's policy failed: %s",
				ifc->name, strerror(-e));
			return e;
		}
	}
	names_sync(d);
	return 0;
}

int rollout_parse(struct sl_daemon *d, const char *name,
			   const char *text, size_t len, struct sl_config **out,
			   char *err, size_t errlen)
{
	char cerr[CFG_ERR_MAX] = "";
	int rc;

	/* With a config source the candidate is a central text, composed
	 * with the bootstrap as `config push` would publish it. */
	rc = d->csrc ? config_compose(d->csrc->boot, name, text, len, out, cerr) :
		       cfg_parse(name, text, len, out, cerr);
	if (rc)
		snprintf(err, errlen, "%s: nothing changed", cerr[0] ? cerr : strerror(-rc));
	return rc;
}

int rollout_begin(struct sl_daemon *d, const char *name, const char *text,
		  size_t len, const struct ro_params *p,
		  struct apply_summary *out, char *err, size_t errlen)
{
	struct rollout_run *r = d->rollout;
	struct apply_summary local = {}, *sum = out ? out : &local;
	struct ro_sample *s = NULL;
	struct ro_params pp = *p;
	struct sl_config *cand = NULL;
	char steps[64], split[256];
	int rc;

	if (ro_running(&r->ro)) {
		snprintf(err, errlen, "a rollout of %s runs already (%s): `sluicectl rollout promote` or `abort` it first",
			 r->name, ro_state_name(r->ro.state));
		return -EBUSY;
	}
	rc = ro_params_check(&pp, err, errlen);
	if (!rc)
		rc = rollout_parse(d, name, text, len, &cand, err, errlen);
	if (rc)
		return rc;
	if (cand->hash == d->cfg->hash) {
		snprintf(err, errlen, "%s is the running config (hash %016llx): nothing to roll out",
			 name, (unsigned long long)cand->hash);
		cfg_free(cand);
		return -EALREADY;
	}
	run_free(r);	/* the last rollout's candidate */
	s = calloc(2, sizeof(*s));
	r->text = malloc(len + 1);
	if (!s || !r->text) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	r->len = len;
	r->cand = cand;
	cand = NULL;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->seed = sl_cohort_seed(r->cand->hash);
	r->by[0] = '\0';
	r->nsplit = rollout_split_sections(d->cfg, r->cand, r->split,
					   ROLLOUT_SPLIT_MAX);
	pp.services = d->cfg->nservices > 0;
	rc = canary_write(d, sum);
	if (rc) {
		snprintf(err, errlen, "writing the candidate's policy into the maps failed: %s (see the daemon's log): nothing changed",
			 strerror(-rc));
		goto clear;
	}
	/* The first window starts before any client is switched. */
	rc = rollout_read(d, &s[0], &s[1]);
	if (!rc)
		rc = ro_start(&r->ro, &pp, now_ms(), &s[0], &s[1], err, errlen);
	if (!rc)
		rc = switches_set(d);
	if (rc) {
		if (!*err)
			snprintf(err, errlen, "starting the rollout failed: %s: nothing changed",
				 strerror(-rc));
		if (ro_running(&r->ro))
			ro_abort(&r->ro, now_ms(), err);
		goto clear;
	}
	rollout_persist(d);
	for (int i = 0; i < sum->n; i++)
		log_info("rollout: %s", sum->lines[i]);
	log_info("rollout of %s (hash %016llx) started: %s, steps %s%% every %llus, max refusal increase %.2f, max error increase %.2f%s%s",
		 name, (unsigned long long)r->cand->hash,
		 pp.shadow_ms ? "shadow first" : "canary",
		 ro_steps_format(&pp, steps, sizeof(steps)),
		 (unsigned long long)(pp.every_ms / 1000), pp.max_refusal,
		 pp.max_error, r->nsplit ? "; applied at promotion only: " : "",
		 rollout_split_join(r, split, sizeof(split)));
	apply_summary_free(&local);
	free(s);
	return 0;
clear:
	canary_clear(d, false);
	run_free(r);
fail:
	cfg_free(cand);
	apply_summary_free(&local);
	free(s);
	return rc;
}

/* The candidate where the running config came from, then running. */
static int promote_write(struct sl_daemon *d, char *err, size_t errlen)
{
	struct rollout_run *r = d->rollout;
	char real[PATH_MAX];
	struct stat st;
	int rc;

	if (d->csrc) {
		json_object *req = json_object_new_object(), *data = NULL;

		if (!req)
			return -ENOMEM;
		json_object_object_add(req, "name", json_object_new_string(r->name));
		json_object_object_add(req, "text",
				       json_object_new_string_len(r->text, (int)r->len));
		/* Published like `sluicectl config push`: every host follows. */
		rc = config_cmd_push(d, req, &data, err, errlen);
		json_object_put(req);
		json_object_put(data);
		if (!rc && d->cfg->hash != r->cand->hash) {
			snprintf(err, errlen, "published, but this host did not apply it (see the daemon's log)");
			rc = -EIO;
		}
		return rc;
	}
	/* The file itself, not a symlink to it, keeping its mode. */
	if (!realpath(d->cfg_path, real))
		snprintf(real, sizeof(real), "%s", d->cfg_path);
	if (stat(real, &st))
		st.st_mode = 0600;
	rc = config_cache_write(real, r->text, r->len, err, errlen);
	if (rc)
		return rc;
	if (chmod(real, st.st_mode & 07777))
		log_warn("%s: cannot restore its mode %o: %s", real,
			 st.st_mode & 07777, strerror(errno));
	rc = daemon_reload(d, "rollout promoted", NULL, err, errlen);
	if (!rc && d->cfg->hash != r->cand->hash) {
		snprintf(err, errlen, "%s changed while promoting: the running config is not the candidate",
			 real);
		rc = -ESTALE;
	}
	return rc;
}

/* ro is promoted already: make it so, or abort with the reason. */
static int promote(struct sl_daemon *d, char *err, size_t errlen)
{
	struct rollout_run *r = d->rollout;
	int rc = promote_write(d, err, errlen);

	if (rc) {
		log_err("rollout of %s: promotion failed: %s; every client back on the running config (hash %016llx)",
			r->name, err, (unsigned long long)d->cfg->hash);
		r->ro.state = RO_ABORTED;
		snprintf(r->ro.reason, sizeof(r->ro.reason), "promotion failed: %s", err);
		canary_clear(d, true);
		return rc;
	}
	/* The candidate runs as the control now: its tiers keep their ids. */
	canary_clear(d, true);
	log_info("rollout of %s promoted (%s): it is the running config (hash %016llx, written to %s)",
		 r->name, r->ro.reason, (unsigned long long)d->cfg->hash,
		 d->csrc ? d->csrc->name : d->cfg_path);
	return 0;
}

void rollout_sample(struct sl_daemon *d)
{
	struct rollout_run *r = d->rollout;
	struct ro_sample *s;
	char err[CFG_ERR_MAX];
	enum ro_action act;

	if (!r || !ro_running(&r->ro))
		return;
	s = calloc(2, sizeof(*s));
	if (!s || rollout_read(d, &s[0], &s[1])) {
		free(s);
		return;		/* judged on the next sample */
	}
	names_sync(d);
	act = ro_tick(&r->ro, now_ms(), &s[0], &s[1]);
	free(s);
	switch (act) {
	case RO_ACT_SHARE:
		log_info("rollout of %s: step %d at %u%% (the previous window's guards held)",
			 r->name, r->ro.step + 1, ro_percent(&r->ro));
		switches_set(d);
		rollout_persist(d);
		break;
	case RO_ACT_ROLLBACK:
		snprintf(r->by, sizeof(r->by), "guard");
		log_err("rollout of %s rolled back: %s; every client back on the running config",
			r->name, r->ro.reason);
		canary_clear(d, true);
		break;
	case RO_ACT_PROMOTE:
		snprintf(r->by, sizeof(r->by), "guard");
		promote(d, err, sizeof(err));
		break;
	default:
		break;
	}
}

int rollout_promote_now(struct sl_daemon *d, const char *who, char *err,
			size_t errlen)
{
	struct rollout_run *r = d->rollout;
	char why[128];

	snprintf(why, sizeof(why), "promoted by %s", who);
	if (ro_promote(&r->ro, now_ms(), why)) {
		snprintf(err, errlen, "no rollout runs (the last: %s)",
			 ro_state_name(r->ro.state));
		return -ENOENT;
	}
	snprintf(r->by, sizeof(r->by), "%s", who);
	return promote(d, err, errlen);
}

int rollout_abort_now(struct sl_daemon *d, const char *who, char *err,
		      size_t errlen)
{
	struct rollout_run *r = d->rollout;
	char why[128];

	snprintf(why, sizeof(why), "aborted by %s", who);
	if (ro_abort(&r->ro, now_ms(), why)) {
		snprintf(err, errlen, "no rollout runs (the last: %s)",
			 ro_state_name(r->ro.state));
		return -ENOENT;
	}
	snprintf(r->by, sizeof(r->by), "%s", who);
	canary_clear(d, true);
	log_info("rollout of %s aborted by %s: every client back on the running config (hash %016llx)",
		 r->name, who, (unsigned long long)d->cfg->hash);
	return 0;
}

/* Interfaces that lack the candidate get it, the switches are set
 * again; false when that failed (the rollout is then aborted). */
static bool resync(struct sl_daemon *d, const char *why)
{
	struct rollout_run *r = d->rollout;
	struct apply_summary sum = {};
	int rc = canary_write(d, &sum);

	for (int i = 0; i < sum.n; i++)
		log_info("rollout (%s): %s", why, sum.lines[i]);
	apply_summary_free(&sum);
	if (!rc)
		rc = switches_set(d);
	if (!rc)
		return true;
	ro_abort(&r->ro, now_ms(), why);
	snprintf(r->ro.reason, sizeof(r->ro.reason), "%s: the canary policy could not be written again (%s): aborted",
		 why, strerror(-rc));
	log_err("rollout of %s: %s", r->name, r->ro.reason);
	canary_clear(d, true);
	return false;
}

void rollout_reloaded(struct sl_daemon *d)
{
	struct rollout_run *r = d->rollout;
	struct ro_sample *s;

	if (!r || !ro_running(&r->ro) || !resync(d, "reload"))
		return;
	r->ro.p.services = d->cfg->nservices > 0;
	r->nsplit = rollout_split_sections(d->cfg, r->cand, r->split,
					   ROLLOUT_SPLIT_MAX);
	s = calloc(2, sizeof(*s));
	if (s && !rollout_read(d, &s[0], &s[1]))
		ro_restart_window(&r->ro, now_ms(), &s[0], &s[1]);
	free(s);
	rollout_persist(d);
	log_info("rollout of %s kept over the reload: the control policy changed, the canary stays; %s window starts again",
		 r->name, r->ro.state == RO_SHADOW ? "the shadow" : "this step's");
}

int rollout_open(struct sl_daemon *d, const char *state_dir)
{
	struct rollout_run *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return -ENOMEM;
	snprintf(r->state_dir, sizeof(r->state_dir), "%s", state_dir);
	d->rollout = r;
	rc = rollout_restore(d, r);
	if (rc == -ENOENT)
		return 0;
	if (rc == -EXDEV) {
		log_warn("rollout: %s/rollout.json is the rollout of another config file: left alone (give this sluiced its own --state-dir)",
			 state_dir);
		memset(&r->ro, 0, sizeof(r->ro));
		return 0;
	}
	if (rc) {
		log_err("rollout: the state in %s/rollout.json cannot be resumed (%s): clearing the canary policy, every client on the running config",
			state_dir, strerror(-rc));
		run_free(r);
		memset(&r->ro, 0, sizeof(r->ro));
		canary_clear(d, false);
		return 0;
	}
	if (!ro_running(&r->ro)) {
		rollout_unpersist(d);
		return 0;
	}
	r->nsplit = rollout_split_sections(d->cfg, r->cand, r->split,
					   ROLLOUT_SPLIT_MAX);
	if (r->ro.phase_ms > now_ms())	/* saved before a reboot */
		r->ro.phase_ms = now_ms();
	if (resync(d, "restart") && r->ro.state == RO_SHADOW)
		log_info("rollout of %s resumed after a restart: shadow", r->name);
	else if (ro_running(&r->ro))
		log_info("rollout of %s resumed after a restart: step %d at %u%%",
			 r->name, r->ro.step + 1, ro_percent(&r->ro));
	return 0;
}

void rollout_detached(struct sl_daemon *d)
{
	struct rollout_run *r = d->rollout;

	if (!r || !ro_running(&r->ro))
		return;
	ro_abort(&r->ro, now_ms(), "aborted: sluiced detached (the maps are gone)");
	r->ended[RO_ABORTED]++;
	rollout_unpersist(d);
	log_info("rollout of %s aborted: sluiced detached", r->name);
}

void rollout_free(struct sl_daemon *d)
{
	struct rollout_run *r = d->rollout;

	if (!r)
		return;
	run_free(r);
	for (int i = 0; i < r->nifs; i++)
		free(r->ifs[i].canary);
	free(r);
	d->rollout = NULL;
}
