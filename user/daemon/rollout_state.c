// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A rollout's state on disk (daemon/rollout.h): STATE_DIR/rollout.json
 * (the candidate's name and hash, the config it belongs to, and the
 * controller as ro_json() has it) and STATE_DIR/rollout.yaml (the candidate's bytes), both
 * written atomically at every transition, so a restarted sluiced
 * resumes the step where it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/rollout.h"
#include "daemon/daemon.h"
#include "common/config_cache.h"
#include "common/log.h"
#include "sluice_rollout.h"

#define STATE_VERSION	1

static void jset(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static uint64_t gu(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       (uint64_t)json_object_get_int64(v) : 0;
}

static const char *gs(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

static void paths(const struct rollout_run *r, char *json, char *yaml,
		  size_t size)
{
	snprintf(json, size, "%s/rollout.json", r->state_dir);
	snprintf(yaml, size, "%s/rollout.yaml", r->state_dir);
}

int rollout_persist(struct sl_daemon *d)
{
	struct rollout_run *r = d->rollout;
	char json[4200], yaml[4200], err[512], hash[24];
	json_object *o = json_object_new_object();
	const char *s;
	int rc;

	paths(r, json, yaml, sizeof(json));
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)r->cand->hash);
	jset(o, "version", json_object_new_int(STATE_VERSION));
	jset(o, "name", json_object_new_string(r->name));
	jset(o, "config", json_object_new_string(d->cfg_path));
	jset(o, "hash", json_object_new_string(hash));
	jset(o, "by", json_object_new_string(r->by));
	jset(o, "saved_at", json_object_new_int64(time(NULL)));
	jset(o, "controller", ro_json(&r->ro));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	/* The candidate first: a state that names it finds it. */
	rc = config_cache_write(yaml, r->text, r->len, err, sizeof(err));
	if (!rc)
		rc = config_cache_write(json, s, strlen(s), err, sizeof(err));
	json_object_put(o);
	if (rc)
		log_err("rollout: cannot save its state (%s): a restart of sluiced would abort it",
			err);
	return rc;
}

void rollout_unpersist(struct sl_daemon *d)
{
	char json[4200], yaml[4200];

	paths(d->rollout, json, yaml, sizeof(json));
	/* The state first: a candidate without a state is never resumed. */
	if (unlink(json) && errno != ENOENT)
		log_warn("rollout: cannot remove %s: %s", json, strerror(errno));
	if (unlink(yaml) && errno != ENOENT)
		log_warn("rollout: cannot remove %s: %s", yaml, strerror(errno));
}

int rollout_restore(struct sl_daemon *d, struct rollout_run *r)
{
	char json[4200], yaml[4200], err[CFG_ERR_MAX], *text = NULL, *jt = NULL;
	json_object *o = NULL, *c;
	const char *name, *hash;
	size_t len, jlen;
	int rc;

	paths(r, json, yaml, sizeof(json));
	rc = config_cache_read(json, &jt, &jlen);
	if (rc)
		return rc;
	rc = -EBADMSG;
	o = json_tokener_parse(jt);
	if (!o || gu(o, "version") != STATE_VERSION ||
	    !(name = gs(o, "name")) || !(hash = gs(o, "hash")) ||
	    !json_object_object_get_ex(o, "controller", &c))
		goto out;
	/* Another sluiced's (another config file) is not resumed here. */
	if (!gs(o, "config") || strcmp(gs(o, "config"), d->cfg_path)) {
		rc = -EXDEV;
		goto out;
	}
	rc = ro_from_json(c, &r->ro);
	if (rc || !ro_running(&r->ro))
		goto out;
	rc = config_cache_read(yaml, &text, &len);
	if (rc)
		goto out;
	rc = rollout_parse(d, name, text, len, &r->cand, err, sizeof(err));
	if (rc) {
		log_err("rollout: %s", err);
		goto out;
	}
	if (strtoull(hash, NULL, 16) != r->cand->hash) {
		rc = -ESTALE;	/* the two files are not of one rollout */
		goto out;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->by, sizeof(r->by), "%s", gs(o, "by") ? gs(o, "by") : "");
	r->text = text;
	r->len = len;
	text = NULL;
	r->seed = sl_cohort_seed(r->cand->hash);
out:
	if (rc && r->cand) {
		cfg_free(r->cand);
		r->cand = NULL;
	}
	free(text);
	free(jt);
	json_object_put(o);
	return rc;
}
