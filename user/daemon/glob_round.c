// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One sync (glob_int.h): read every interface's use, one pipelined
 * round trip to Redis for all their active clients, grants back in one
 * batch each, the tables swapped in for the control commands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <hiredis/hiredis.h>

#include "daemon/glob_int.h"
#include "common/clock.h"
#include "common/log.h"

#define KEY_MAX		256
#define NUM_MAX		32
#define CHUNK_ARGS(n)	(4 + (n) + 4 + 6 * (n))

/* One active client in this sync. */
struct glob_item {
	struct glob_client *c;		/* in the interface's new table */
	const struct glob_tier *tier;
	uint64_t used_now;		/* as read */
	double used_d, demand_d;	/* since the last sync */
	bool ok;			/* Redis answered for it */
	int64_t allow_milli;
};

struct round_if {
	struct glob_table t;		/* the new table */
	struct glob_item *items;	/* those sent to Redis this sync */
	size_t n;
	size_t active;			/* active clients, sent or quiet */
	bool read;			/* the maps could be read */
};

struct chunk {
	int ifi;
	size_t first, n;
	bool noscript;
};

struct round {
	struct glob_sync *gs;
	const struct glob_plan *p;
	struct round_if ifs[CFG_MAX_IFACES];
	struct chunk *chunks;
	size_t nchunks;
	uint64_t now_ms, round_trips, commands;
	uint32_t hosts;
	bool failed;			/* some client has no answer */
};

/* ---- reading the maps -------------------------------------------------- */

/*
 * Can a client skip this sync?  Only while the last sync worked, and
 * only a client far from its allowance: it was refused nothing since
 * its last sync, has used less than half of the allowance it was given
 * then, and synced within GLOB_QUIET_SYNCS intervals.  The rest (busy,
 * refused, new, or due) go to Redis every interval, so the cost of a
 * sync follows the clients near their limits, not all the active ones.
 */
static bool round_quiet(const struct round *r, const struct glob_client *c,
			uint64_t used_d, uint64_t demand_d)
{
	uint64_t every_ms = r->p->redis.sync_interval_ns / 1000000 * GLOB_QUIET_SYNCS;

	return r->gs->st.fallback == GLOB_SYNCED && c->synced_ms &&
	       r->now_ms < c->synced_ms + every_ms && demand_d <= used_d &&
	       2 * used_d < c->allowed;
}

static int round_read(struct round *r, int ifi)
{
	struct glob_sync *gs = r->gs;
	const struct glob_plan_if *pi = &r->p->ifs[ifi];
	struct round_if *ri = &r->ifs[ifi];
	const struct glob_table *old = NULL;
	struct sl_client_key *forget = NULL;
	size_t n = 0, nf = 0;
	int err;

	for (int t = 0; t < CFG_MAX_IFACES; t++)
		if (!strcmp(gs->tracks[t].name, pi->name))
			old = &gs->tracks[t].t;
	err = glob_use_read(pi->use_fd, &gs->use, &gs->use_cap, &n);
	if (err) {
		log_warn("%s: global limits: reading %s failed: %s (tried again next sync)",
			 pi->name, SL_MAP_GLOB_USE, strerror(-err));
		return err;
	}
	ri->items = calloc(n ? n : 1, sizeof(*ri->items));
	forget = calloc(n ? n : 1, sizeof(*forget));
	err = !ri->items || !forget ? -ENOMEM : glob_table_init(&ri->t, n);
	if (err)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct glob_use_entry *e = &gs->use[i];
		const struct glob_tier *tier = e->key.tier < SL_MAX_TIERS ?
					       &pi->tiers[e->key.tier] : NULL;
		const struct glob_client *oc = old ? glob_table_find(old, &e->key) : NULL;
		struct glob_item *it = &ri->items[ri->n];
		struct glob_client *c;
		uint64_t bu = 0, bd = 0, changed = r->now_ms;

		if (oc) {
			bu = oc->used;
			bd = oc->demand;
			changed = oc->changed_ms;
		}
		/* An entry the LRU dropped and the data path made anew
		 * counts from 0 again. */
		if (e->use.used < bu || e->use.demand < bd)
			bu = bd = 0;
		if (e->use.demand > bd)
			changed = r->now_ms;
		if (!tier || !tier->global || glob_idle(changed, r->now_ms, 0)) {
			forget[nf++] = e->key;
			continue;
		}
		c = glob_table_add(&ri->t, &e->key);
		if (!c) {
			err = -ENOMEM;
			goto out;
		}
		if (oc)
			*c = *oc;
		ri->active++;
		/* A quiet client keeps its grant and its base till it needs
		 * Redis again (round_quiet): it costs the sync nothing. */
		if (oc && round_quiet(r, oc, e->use.used - bu, e->use.demand - bd)) {
			c->changed_ms = changed;
			continue;
		}
		c->used = e->use.used;
		c->demand = e->use.demand;
		c->changed_ms = changed;
		it->c = c;
		it->tier = tier;
		it->used_now = e->use.used;
		it->used_d = (double)(e->use.used - bu);
		it->demand_d = (double)(e->use.demand - bd);
		ri->n++;
	}
	if (nf) {
		err = glob_forget(pi->use_fd, pi->grant_fd, forget, nf);
		if (err)
			log_warn("%s: global limits: forgetting %zu idle clients failed: %s",
				 pi->name, nf, strerror(-err));
		err = 0;
	}
	ri->read = true;
out:
	free(forget);
	if (err == -ENOMEM)
		log_warn("%s: global limits: out of memory for %zu clients (tried again next sync)",
			 pi->name, n);
	return err;
}

/* ---- the round trip ----------------------------------------------------- */

static int script_load(struct round *r)
{
	struct redis_conn *rc = &r->gs->rc;
	const char *argv[] = { "SCRIPT", "LOAD", glob_script_lua };
	redisReply *rep;
	int err = 0;

	rep = redis_conn_cmd(rc, 3, argv, NULL);
	r->round_trips++;
	r->commands++;
	if (!rep)
		return -EIO;
	if (redis_conn_reply_err(rc, rep, "SCRIPT LOAD"))
		err = -EPROTO;
	else if (rep->type != REDIS_REPLY_STRING || rep->len >= sizeof(r->gs->sha))
		err = -EPROTO;
	else
		snprintf(r->gs->sha, sizeof(r->gs->sha), "%s", rep->str);
	freeReplyObject(rep);
	if (!err)
		r->gs->script_conn = rc->connects;
	return err;
}

static int chunk_send(struct round *r, const struct chunk *ch)
{
	const struct glob_plan_if *pi = &r->p->ifs[ch->ifi];
	const struct cfg_redis *cr = &r->p->redis;
	const struct glob_item *it = r->ifs[ch->ifi].items + ch->first;
	size_t argc = CHUNK_ARGS(ch->n), a = 0;
	uint64_t interval_us = cr->sync_interval_ns / 1000;
	uint64_t ttl_ms = GLOB_IDLE_MS;
	const char **argv = calloc(argc, sizeof(*argv));
	char *keys = malloc((ch->n + 1) * KEY_MAX);
	char *nums = malloc((5 + 6 * ch->n) * NUM_MAX);
	char *num = nums;
	int err = -ENOMEM;

#define NUM(fmt, v) (snprintf(num, NUM_MAX, fmt, v), argv[a++] = num, num += NUM_MAX)
	if (!argv || !keys || !nums)
		goto out;
	if (ttl_ms < 10 * interval_us / 1000)
		ttl_ms = 10 * interval_us / 1000;
	argv[a++] = "EVALSHA";
	argv[a++] = r->gs->sha;
	NUM("%zu", ch->n + 1);
	snprintf(keys, KEY_MAX, "%shosts", cr->key_prefix);
	argv[a++] = keys;
	for (size_t i = 0; i < ch->n; i++) {
		const struct glob_tier *t = it[i].tier;
		char *k = keys + (i + 1) * KEY_MAX;

		if (glob_key_text(k, KEY_MAX, cr->key_prefix, t->name, &it[i].c->key,
				  it[i].c->key.family == SL_AF_INET ?
				  t->v4_prefix : t->v6_prefix) < 0) {
			err = -ENAMETOOLONG;
			goto out;
		}
		argv[a++] = k;
	}
	argv[a++] = pi->host;
	NUM("%llu", (unsigned long long)ttl_ms);
	NUM("%llu", (unsigned long long)interval_us);
	NUM("%d", GLOB_HOSTS_KEEP_MS);
	for (size_t i = 0; i < ch->n; i++) {
		const struct glob_tier *t = it[i].tier;

		NUM("%.0f", it[i].used_d);
		NUM("%.0f", it[i].demand_d);
		NUM("%.17g", t->rate);
		NUM("%.0f", t->burst);
		NUM("%llu", (unsigned long long)t->window_us);
		NUM("%d", t->algorithm);
	}
#undef NUM
	err = redis_conn_append(&r->gs->rc, (int)a, argv, NULL);
	r->commands++;
out:
	free(argv);
	free(keys);
	free(nums);
	return err;
}

/* The chunk's answer into its items; -EPROTO for an answer of the
 * wrong shape. */
static int chunk_take(struct round *r, const struct chunk *ch,
		      const redisReply *rep)
{
	struct glob_item *it = r->ifs[ch->ifi].items + ch->first;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 1 + 4 * ch->n)
		return -EPROTO;
	for (size_t i = 0; i < rep->elements; i++)
		if (rep->element[i]->type != REDIS_REPLY_INTEGER)
			return -EPROTO;
	r->hosts = (uint32_t)rep->element[0]->integer;
	for (size_t i = 0; i < ch->n; i++) {
		redisReply **e = rep->element + 1 + 4 * i;

		it[i].ok = true;
		it[i].allow_milli = e[0]->integer;
		it[i].c->state_milli = e[1]->integer;
		it[i].c->share_ppm = (uint32_t)e[2]->integer;
		it[i].c->hosts = (uint32_t)e[3]->integer;
		it[i].c->synced_ms = r->now_ms;
	}
	return 0;
}

/* An answer that is no error but not ours either: a reply error. */
static void shape_err(struct redis_conn *rc)
{
	rc->errors[RFAIL_REPLY]++;
	rc->last_kind = RFAIL_REPLY;
	snprintf(rc->last_err, sizeof(rc->last_err),
		 "EVALSHA: an answer of the wrong shape (a script of another version under the same sha?)");
	log_warn("redis %s (%s): %s", rc->cfg.address, rc->who, rc->last_err);
}

/* The chunk's answer, read and taken.  0, -EAGAIN when it wants the
 * script loaded, or -EIO when the connection broke. */
static int chunk_read(struct round *r, struct chunk *ch)
{
	struct redis_conn *rc = &r->gs->rc;
	redisReply *rep = redis_conn_read(rc);
	int err = 0;

	if (!rep)
		return -EIO;
	if (rep->type == REDIS_REPLY_ERROR && !strncmp(rep->str, "NOSCRIPT", 8)) {
		ch->noscript = true;
		err = -EAGAIN;
	} else if (!redis_conn_reply_err(rc, rep, "EVALSHA") &&
		   chunk_take(r, ch, rep)) {
		shape_err(rc);
	}
	freeReplyObject(rep);
	return err;
}

/*
 * Send the chunks (all, or those NOSCRIPT refused) in one pipeline and
 * read every answer: one round trip, whatever the number of chunks.
 * At most GLOB_WINDOW chunks are on the wire at once: hiredis writes
 * all it holds before it reads, so a sync of 100k clients sent whole
 * would sit in a write while Redis works through the first chunks, and
 * `timeout` would end it.  With the window, each wait is for one
 * chunk's answer.  0, -EAGAIN when some wants the script loaded, or
 * -EIO when the connection broke.
 */
static int round_trip(struct round *r, bool retry)
{
	size_t sent = 0, done = 0, want = 0;
	bool again = false;
	int err;

	for (size_t i = 0; i < r->nchunks; i++)
		want += !retry || r->chunks[i].noscript;
	if (!want)
		return 0;
	r->round_trips++;
	for (size_t i = 0, next = 0; done < want;) {
		/* Fill the window, then take the oldest answer. */
		while (sent - done < GLOB_WINDOW && next < r->nchunks) {
			struct chunk *ch = &r->chunks[next++];

			if (retry && !ch->noscript)
				continue;
			if (chunk_send(r, ch) == -EIO)
				return -EIO;
			sent++;
		}
		while (retry && !r->chunks[i].noscript)
			i++;
		r->chunks[i].noscript = false;
		err = chunk_read(r, &r->chunks[i]);
		if (err == -EIO)
			return err;
		again |= err == -EAGAIN;
		i++;
		done++;
	}
	return again ? -EAGAIN : 0;
}

static int round_redis(struct round *r)
{
	struct glob_sync *gs = r->gs;
	size_t cap = 0;
	int err;

	err = redis_conn_ensure(&gs->rc);
	if (err)
		return err;
	if (gs->script_conn != gs->rc.connects) {
		err = script_load(r);
		if (err)
			return err;
	}
	for (int i = 0; i < r->p->nif; i++)
		cap += (r->ifs[i].n + GLOB_CHUNK - 1) / GLOB_CHUNK + 1;
	r->chunks = calloc(cap ? cap : 1, sizeof(*r->chunks));
	if (!r->chunks)
		return -ENOMEM;
	/* An interface without active clients sends an empty chunk all the
	 * same: it keeps the host in <prefix>hosts (on_down: share counts
	 * it) and tells a Redis that went away from one that is there. */
	for (int i = 0; i < r->p->nif; i++) {
		size_t f = 0;

		if (!r->ifs[i].read)
			continue;
		do {
			r->chunks[r->nchunks++] = (struct chunk){
				.ifi = i, .first = f,
				.n = r->ifs[i].n - f < GLOB_CHUNK ? r->ifs[i].n - f : GLOB_CHUNK,
			};
			f += GLOB_CHUNK;
		} while (f < r->ifs[i].n);
	}
	err = round_trip(r, false);
	/* Redis restarted or SCRIPT FLUSH: load it and send those again. */
	if (err == -EAGAIN) {
		err = script_load(r);
		if (!err)
			err = round_trip(r, true);
		if (err == -EAGAIN)
			err = -EPROTO;
	}
	return err;
}

/* ---- grants ------------------------------------------------------------- */

static void round_grants(struct round *r, int ifi)
{
	const struct glob_plan_if *pi = &r->p->ifs[ifi];
	const struct cfg_redis *cr = &r->p->redis;
	struct round_if *ri = &r->ifs[ifi];
	uint64_t interval_ns = cr->sync_interval_ns, valid_ns, now_ns, now_us;
	struct sl_client_key *keys = calloc(ri->n ? ri->n : 1, sizeof(*keys));
	struct sl_glob_grant *vals = calloc(ri->n ? ri->n : 1, sizeof(*vals));
	uint32_t hosts = r->gs->st.hosts;
	size_t n = 0;
	int err;

	if (!keys || !vals)
		goto out;
	/* Ten intervals, at least 1 s, and at least four of the last
	 * syncs: a sync of many clients may take longer than the interval,
	 * and grants must not lapse between two good ones. */
	valid_ns = 10 * interval_ns > 1000000000ULL ? 10 * interval_ns : 1000000000ULL;
	if (valid_ns < 4 * r->gs->last_took_ns)
		valid_ns = 4 * r->gs->last_took_ns;
	/* A quiet client's grant must outlive its skipped syncs. */
	if (valid_ns < 2 * GLOB_QUIET_SYNCS * interval_ns)
		valid_ns = 2 * GLOB_QUIET_SYNCS * interval_ns;
	now_ns = clock_ns(CLOCK_MONOTONIC);
	now_us = now_ns / 1000;
	for (size_t i = 0; i < ri->n; i++) {
		struct glob_item *it = &ri->items[i];
		struct glob_client *c = it->c;
		int64_t milli;

		if (it->ok) {
			milli = it->allow_milli;
			c->local.ts_us = 0;	/* a later outage starts afresh */
			c->voided = false;
		} else if (cr->on_down == CFG_DOWN_SHARE) {
			double rate = glob_fallback_part(it->tier->rate, hosts);
			double burst = glob_fallback_part(it->tier->burst, hosts);

			glob_tb_update(&c->local, rate, burst, it->used_d, now_us);
			milli = (int64_t)(glob_tb_allowance(&c->local, rate,
							    interval_ns / 1000, 1) * 1000);
		} else {
			/* on_down local: void the grant now, once, so the
			 * local meter takes over at once instead of holding
			 * the client to its last allowance till it expires. */
			if (c->voided)
				continue;
			c->voided = true;
			keys[n] = c->key;
			vals[n++] = (struct sl_glob_grant){ .granted = it->used_now };
			continue;
		}
		c->allowed = glob_units(milli, &c->carry);
		keys[n] = c->key;
		vals[n] = (struct sl_glob_grant){
			.granted = it->used_now + c->allowed,
			.expires_ns = now_ns + valid_ns,
			.retry_ns = interval_ns,
		};
		n++;
	}
	err = glob_grant_write(pi->grant_fd, keys, vals, n);
	if (err)
		log_warn("%s: global limits: writing %zu grants into %s failed: %s",
			 pi->name, n, SL_MAP_GLOB_GRANT, strerror(-err));
out:
	free(keys);
	free(vals);
}

/* ---- one sync ------------------------------------------------------------ */

static void hist_add(struct glob_status *st, double s)
{
	int i = 0;

	while (i < GLOB_HIST_N && s > glob_hist_le[i])
		i++;
	if (i < GLOB_HIST_N)
		st->hist[i]++;
	else
		st->hist_over++;
	st->hist_sum += s;
}

/* The new tables in, the status out, under the lock. */
static void round_publish(struct round *r, int err, uint64_t t0_ns)
{
	struct glob_sync *gs = r->gs;
	struct glob_status *st = &gs->st;
	const struct glob_plan *p = r->p;
	bool ok = !err && !r->failed;

	pthread_mutex_lock(&gs->lock);
	for (int i = 0; i < p->nif; i++) {
		struct glob_track_if *tr = NULL;

		for (int t = 0; !tr && t < CFG_MAX_IFACES; t++)
			if (!strcmp(gs->tracks[t].name, p->ifs[i].name))
				tr = &gs->tracks[t];
		for (int t = 0; !tr && t < CFG_MAX_IFACES; t++)
			if (!gs->tracks[t].name[0]) {
				tr = &gs->tracks[t];
				snprintf(tr->name, sizeof(tr->name), "%s", p->ifs[i].name);
			}
		if (tr && r->ifs[i].read) {
			glob_table_free(&tr->t);
			tr->t = r->ifs[i].t;
			memset(&r->ifs[i].t, 0, sizeof(r->ifs[i].t));
		}
		snprintf(st->ifs[i].name, sizeof(st->ifs[i].name), "%s", p->ifs[i].name);
		if (r->ifs[i].read)
			st->ifs[i].clients = r->ifs[i].active;
	}
	st->nif = p->nif;
	st->up = ok && redis_conn_up(&gs->rc);
	st->fallback = ok ? GLOB_SYNCED : p->redis.on_down == CFG_DOWN_SHARE ?
		       GLOB_FB_SHARE : GLOB_FB_LOCAL;
	if (r->hosts)
		st->hosts = r->hosts;
	memcpy(st->errors, gs->rc.errors, sizeof(st->errors));
	snprintf(st->last_err, sizeof(st->last_err), "%s", gs->rc.last_err);
	st->round_trips += r->round_trips;
	st->commands += r->commands;
	if (ok) {
		gs->last_took_ns = clock_ns(CLOCK_MONOTONIC) - t0_ns;
		st->syncs++;
		st->last_sync_ms = r->now_ms;
		st->last_sync_wall = clock_ns(CLOCK_REALTIME) / 1e9;
		hist_add(st, (clock_ns(CLOCK_MONOTONIC) - t0_ns) / 1e9);
	}
	pthread_mutex_unlock(&gs->lock);
}

void glob_round(struct glob_sync *gs)
{
	struct round *r = calloc(1, sizeof(*r));
	uint64_t t0_ns = clock_ns(CLOCK_MONOTONIC);
	int err = 0;

	if (!r)
		return;
	r->gs = gs;
	r->p = gs->plan;
	r->now_ms = t0_ns / 1000000;
	for (int i = 0; i < r->p->nif; i++)
		round_read(r, i);
	err = round_redis(r);
	if (err == -EAGAIN && !redis_conn_up(&gs->rc))
		err = -ECONNREFUSED;	/* still in the backoff: down */
	for (int i = 0; i < r->p->nif; i++)
		for (size_t k = 0; k < r->ifs[i].n; k++)
			r->failed |= !r->ifs[i].items[k].ok;
	for (int i = 0; i < r->p->nif; i++)
		if (r->ifs[i].read)
			round_grants(r, i);
	round_publish(r, err, t0_ns);
	for (int i = 0; i < r->p->nif; i++) {
		glob_table_free(&r->ifs[i].t);
		free(r->ifs[i].items);
	}
	free(r->chunks);
	free(r);
}
