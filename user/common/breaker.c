// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/breaker.h"
#include "common/svc.h"

#define MS	1000000ULL
#define S	BREAKER_NS_S

void breaker_cfg_default(struct breaker_cfg *cfg)
{
	*cfg = (struct breaker_cfg){
		.window_ns = 10 * S,
		.min_requests = 20,
		.failure_rate = 0.5,
		.slow_rate = 0.8,
		.consecutive_failures = 5,
		.open_ns = 30 * S,
		.max_open_ns = 300 * S,
		.backoff = 2.0,
		.jitter = 0.1,
		.half_open_probes = 3,
		.close_after = 3,
		.failures = SL_SVC_FAIL_DEFAULT,
	};
}

#define FAIL_KNOWN	(SL_SVC_FAIL_CLASS(1) | SL_SVC_FAIL_CLASS(2) |	\
			 SL_SVC_FAIL_CLASS(3) | SL_SVC_FAIL_CLASS(4) |	\
			 SL_SVC_FAIL_CLASS(5) | SL_SVC_FAIL_429 |	\
			 SL_SVC_FAIL_500 | SL_SVC_FAIL_502 |		\
			 SL_SVC_FAIL_503 | SL_SVC_FAIL_504 |		\
			 SL_SVC_FAIL_NO_RESPONSE | SL_SVC_FAIL_TIMEOUT)

int breaker_cfg_check(const struct breaker_cfg *c, char *err, size_t len)
{
	const char *what = NULL;

	if (c->window_ns < 100 * MS || c->window_ns > 3600 * S)
		what = "window: expected 100ms..1h";
	else if (c->min_requests < 1)
		what = "min_requests: expected at least 1";
	else if (!(c->failure_rate >= 0 && c->failure_rate <= 1))
		what = "failure_rate: expected 0..1 (0: off)";
	else if (!(c->slow_rate >= 0 && c->slow_rate <= 1))
		what = "slow_rate: expected 0..1 (0: off)";
	else if (c->open_ns < 100 * MS || c->open_ns > 24 * 3600 * S)
		what = "open: expected 100ms..24h";
	else if (c->max_open_ns < c->open_ns || c->max_open_ns > 24 * 3600 * S)
		what = "max_open: expected open..24h";
	else if (!(c->backoff >= 1 && c->backoff <= 100))
		what = "backoff: expected 1..100";
	else if (!(c->jitter >= 0 && c->jitter <= 0.5))
		what = "jitter: expected 0..0.5";
	else if (c->half_open_probes < 1 || c->half_open_probes > 1000)
		what = "half_open_probes: expected 1..1000";
	else if (c->close_after < 1 || c->close_after > c->half_open_probes)
		what = "close_after: expected 1..half_open_probes";
	else if (c->failures & ~FAIL_KNOWN)
		what = "failures: unknown outcome bits";
	if (!what)
		return 0;
	if (err && len)
		snprintf(err, len, "%s", what);
	return -EINVAL;
}

void breaker_sample_delta(const struct sl_svc_stats *a,
			  const struct sl_svc_stats *b, __u32 mask,
			  struct breaker_sample *out)
{
	static const struct {
		__u32 bit, cls;
		int code;
	} codes[] = {
		{ SL_SVC_FAIL_429, 4, SL_SVC_CODE_429 },
		{ SL_SVC_FAIL_500, 5, SL_SVC_CODE_500 },
		{ SL_SVC_FAIL_502, 5, SL_SVC_CODE_502 },
		{ SL_SVC_FAIL_503, 5, SL_SVC_CODE_503 },
		{ SL_SVC_FAIL_504, 5, SL_SVC_CODE_504 },
	};
	__u64 no_resp = svc_increase(a->no_response, b->no_response);
	__u64 tmo = svc_increase(a->timeouts, b->timeouts);
	__u64 fail = 0, req, edge;

	for (__u32 c = 1; c <= 5; c++)
		if (mask & SL_SVC_FAIL_CLASS(c))
			fail += svc_increase(a->responses[c], b->responses[c]);
	/* A code in its class's count already when the class is in. */
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if ((mask & codes[i].bit) &&
		    !(mask & SL_SVC_FAIL_CLASS(codes[i].cls)))
			fail += svc_increase(a->responses[codes[i].code],
					     b->responses[codes[i].code]);
	if (mask & SL_SVC_FAIL_NO_RESPONSE)
		fail += no_resp;
	if (mask & SL_SVC_FAIL_TIMEOUT)
		fail += tmo;
	req = svc_increase(a->requests, b->requests);
	edge = svc_increase(a->edge_replies, b->edge_replies);
	out->completed = svc_increase(a->lat_count, b->lat_count) + no_resp + tmo;
	out->failed = fail < out->completed ? fail : out->completed;
	out->slow = svc_increase(a->slow, b->slow);
	out->passed = req > edge ? req - edge : 0;
}

/* --- the window --- */

static void window_clear(struct breaker *b)
{
	b->head = b->n = 0;
	b->sum_completed = b->sum_failed = b->sum_slow = 0;
}

/* The bucket `age` ticks back from the newest (0). */
static unsigned int window_slot(const struct breaker *b, unsigned int age)
{
	return (b->head + BREAKER_BUCKETS - 1 - age) % BREAKER_BUCKETS;
}

/* A sample taken at t covers the tick before t: in the window while
 * t > now - window. */
static bool window_old(const struct breaker *b, unsigned int age, __u64 now_ns)
{
	return b->ring[window_slot(b, age)].t_ns + b->cfg.window_ns <= now_ns;
}

static void window_drop_oldest(struct breaker *b)
{
	struct breaker_bucket *o = &b->ring[window_slot(b, b->n - 1)];

	b->sum_completed -= o->completed;
	b->sum_failed -= o->failed;
	b->sum_slow -= o->slow;
	b->n--;
}

static void window_expire(struct breaker *b, __u64 now_ns)
{
	while (b->n && window_old(b, b->n - 1, now_ns))
		window_drop_oldest(b);
}

static __u32 sat32(__u64 v)
{
	return v > 0xffffffffULL ? 0xffffffffU : (__u32)v;
}

static void window_add(struct breaker *b, __u64 now_ns,
		       const struct breaker_sample *d)
{
	__u64 width = b->cfg.window_ns / BREAKER_BUCKETS;
	struct breaker_bucket *k;
	__u32 c = sat32(d->completed), f, s;

	f = sat32(d->failed) < c ? sat32(d->failed) : c;
	s = sat32(d->slow) < c ? sat32(d->slow) : c;
	if (!c)
		return;
	k = b->n ? &b->ring[window_slot(b, 0)] : NULL;
	if (!k || now_ns < k->first_ns || now_ns - k->first_ns >= width ||
	    k->completed > 0xffffffffU - c) {
		if (b->n == BREAKER_BUCKETS)
			window_drop_oldest(b);
		k = &b->ring[b->head];
		b->head = (b->head + 1) % BREAKER_BUCKETS;
		b->n++;
		*k = (struct breaker_bucket){ .first_ns = now_ns };
	}
	k->t_ns = now_ns;
	k->completed += c;
	k->failed += f;
	k->slow += s;
	b->sum_completed += c;
	b->sum_failed += f;
	b->sum_slow += s;
}

/* --- timing --- */

__u64 breaker_open_base(const struct breaker_cfg *cfg, __u32 n)
{
	double d = (double)cfg->open_ns;

	for (__u32 i = 1; i < n && d < (double)cfg->max_open_ns; i++)
		d *= cfg->backoff;
	return d < (double)cfg->max_open_ns ? (__u64)d : cfg->max_open_ns;
}

/* splitmix64: a seed gives the same durations on every run.  Kept in
 * the breaker (no pointer into it), so a breaker may be copied. */
static double seeded_uniform(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (z >> 11) * 0x1.0p-53;
}

static void draw_next_open(struct breaker *b)
{
	double base = (double)breaker_open_base(&b->cfg, b->opens + 1);
	double u = b->uniform ? b->uniform(b->uniform_ctx)
			      : seeded_uniform(&b->seed);

	if (!(u >= 0 && u < 1))
		u = 0.5;
	/* max_open caps the base; the jitter spreads it either way */
	b->next_open_ns = (__u64)(base * (1 + b->cfg.jitter * (2 * u - 1)));
	if (!b->next_open_ns)
		b->next_open_ns = 1;
}

/* --- transitions --- */

enum breaker_state breaker_state(const struct breaker *b)
{
	if (b->force == BREAKER_FORCE_OPEN)
		return BREAKER_OPEN;
	if (b->force == BREAKER_FORCE_CLOSED)
		return BREAKER_CLOSED;
	return b->state;
}

/* Called after the change: an event when the enforced state moved. */
__attribute__((format(printf, 4, 5)))
static int emit(struct breaker *b, __u64 now_ns, enum breaker_state from,
		const char *fmt, ...)
{
	enum breaker_state to = breaker_state(b);
	struct breaker_event *e;
	va_list ap;

	if (from == to)
		return 0;
	b->since_ns = now_ns;
	b->transitions[from][to]++;
	if (b->n_events == BREAKER_EVENTS)
		return 1;
	e = &b->events[b->n_events++];
	e->at_ns = now_ns;
	e->from = from;
	e->to = to;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	return 1;
}

static void enter_open(struct breaker *b, __u64 now_ns)
{
	b->state = BREAKER_OPEN;
	b->opens++;
	b->opens_total++;
	b->open_cur_ns = b->next_open_ns;
	b->open_until_ns = now_ns + b->open_cur_ns;
	draw_next_open(b);
}

static void enter_half_open(struct breaker *b, __u64 now_ns)
{
	b->state = BREAKER_HALF_OPEN;
	b->probes_passed = b->probes_ok = b->probes_failed = 0;
	b->probe_last_ns = now_ns;
}

static void enter_closed(struct breaker *b, __u64 now_ns, bool fresh)
{
	b->state = BREAKER_CLOSED;
	b->closed_at_ns = now_ns;
	/* What tripped it is history once the probes passed. */
	if (fresh)
		window_clear(b);
}

static int trip(struct breaker *b, __u64 now_ns, const char *why)
{
	enum breaker_state from = breaker_state(b);

	enter_open(b, now_ns);
	return emit(b, now_ns, from, "%s; open %.1fs (opening %u)", why,
		    b->open_cur_ns / 1e9, b->opens);
}

static int release(struct breaker *b, __u64 now_ns, const char *why)
{
	enum breaker_state from = breaker_state(b);
	enum breaker_force f = b->force;

	b->force = BREAKER_AUTO;
	b->force_until_ns = 0;
	if (f == BREAKER_FORCE_OPEN)
		enter_half_open(b, now_ns);
	else
		enter_closed(b, now_ns, false);
	return emit(b, now_ns, from, "forced %s %s",
		    f == BREAKER_FORCE_OPEN ? "open" : "closed", why);
}

static int tick_closed(struct breaker *b, __u64 now_ns)
{
	const struct breaker_cfg *c = &b->cfg;
	double fr, sr;
	char why[80];

	if (b->opens && now_ns >= b->closed_at_ns &&
	    now_ns - b->closed_at_ns >= c->window_ns) {
		b->opens = 0;	/* a full healthy window */
		draw_next_open(b);
	}
	if (b->sum_completed < c->min_requests || !b->sum_completed)
		return 0;
	fr = (double)b->sum_failed / b->sum_completed;
	sr = (double)b->sum_slow / b->sum_completed;
	if (c->failure_rate > 0 && fr >= c->failure_rate)
		snprintf(why, sizeof(why), "failure rate %.3f >= %.3f",
			 fr, c->failure_rate);
	else if (c->slow_rate > 0 && sr >= c->slow_rate)
		snprintf(why, sizeof(why), "slow rate %.3f >= %.3f",
			 sr, c->slow_rate);
	else
		return 0;
	snprintf(why + strlen(why), sizeof(why) - strlen(why),
		 " of %llu in %.1fs", (unsigned long long)b->sum_completed,
		 c->window_ns / 1e9);
	return trip(b, now_ns, why);
}

/* Probes that give no outcome (lost to the LRU, a response not seen)
 * must not hold it half_open for ever: as long as it was open. */
static __u64 probe_wait(const struct breaker *b)
{
	return b->open_cur_ns > b->cfg.window_ns ? b->open_cur_ns
						 : b->cfg.window_ns;
}

static int tick_half_open(struct breaker *b, __u64 now_ns,
			  const struct breaker_sample *d)
{
	char why[64];

	b->probes_passed += d->passed;
	if (d->completed)
		b->probe_last_ns = now_ns;
	if (d->failed) {
		b->probes_failed += d->failed;
		snprintf(why, sizeof(why), "probe failed (%llu of %llu)",
			 (unsigned long long)d->failed,
			 (unsigned long long)d->completed);
		return trip(b, now_ns, why);
	}
	b->probes_ok += d->completed;
	if (b->probes_ok >= b->cfg.close_after) {
		enter_closed(b, now_ns, true);
		return emit(b, now_ns, BREAKER_HALF_OPEN,
			    "%llu probes succeeded",
			    (unsigned long long)b->probes_ok);
	}
	if (b->probes_passed >= b->cfg.half_open_probes &&
	    now_ns >= b->probe_last_ns &&
	    now_ns - b->probe_last_ns >= probe_wait(b)) {
		snprintf(why, sizeof(why), "probes unanswered for %.1fs",
			 (now_ns - b->probe_last_ns) / 1e9);
		return trip(b, now_ns, why);
	}
	return 0;
}

int breaker_tick(struct breaker *b, __u64 now_ns,
		 const struct breaker_sample *d)
{
	static const struct breaker_sample none;
	bool fresh_half_open = false;
	int n = 0;

	b->n_events = 0;
	if (!d)
		d = &none;
	if (b->force && b->force_until_ns && now_ns >= b->force_until_ns) {
		fresh_half_open = b->force == BREAKER_FORCE_OPEN;
		n += release(b, now_ns, "expired");
	}
	window_expire(b, now_ns);
	window_add(b, now_ns, d);
	if (b->force)
		return n;
	switch (b->state) {
	case BREAKER_OPEN:
		if (now_ns >= b->open_until_ns) {
			enter_half_open(b, now_ns);
			n += emit(b, now_ns, BREAKER_OPEN, "open %.1fs elapsed",
				  b->open_cur_ns / 1e9);
		}
		break;
	case BREAKER_HALF_OPEN:
		/* This delta came while it was open: no probes in it. */
		if (!fresh_half_open)
			n += tick_half_open(b, now_ns, d);
		break;
	default:
		n += tick_closed(b, now_ns);
		break;
	}
	return n;
}

int breaker_data_trip(struct breaker *b, __u64 now_ns)
{
	char why[64];

	b->n_events = 0;
	if (b->force || b->state == BREAKER_OPEN)
		return 0;
	snprintf(why, sizeof(why), "%u consecutive failures",
		 b->cfg.consecutive_failures);
	return trip(b, now_ns, why);
}

int breaker_force(struct breaker *b, __u64 now_ns, enum breaker_force f,
		  __u64 until_ns)
{
	enum breaker_state from = breaker_state(b);

	b->n_events = 0;
	if (f == BREAKER_AUTO)
		return b->force ? release(b, now_ns, "lifted") : 0;
	b->force = f;
	b->force_until_ns = until_ns;
	if (until_ns)
		return emit(b, now_ns, from, "forced %s for %.1fs",
			    f == BREAKER_FORCE_OPEN ? "open" : "closed",
			    until_ns > now_ns ? (until_ns - now_ns) / 1e9 : 0);
	return emit(b, now_ns, from, "forced %s",
		    f == BREAKER_FORCE_OPEN ? "open" : "closed");
}

/* --- setup and accessors --- */

void breaker_init(struct breaker *b, const struct breaker_cfg *cfg,
		  __u64 seed, __u64 now_ns)
{
	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	b->seed = seed;
	b->since_ns = b->closed_at_ns = now_ns;
	draw_next_open(b);
}

void breaker_reconfig(struct breaker *b, const struct breaker_cfg *cfg)
{
	b->cfg = *cfg;
	draw_next_open(b);
}

void breaker_set_uniform(struct breaker *b, double (*uniform)(void *ctx),
			 void *ctx)
{
	b->uniform = uniform;
	b->uniform_ctx = ctx;
	draw_next_open(b);
}

__u64 breaker_open_until(const struct breaker *b)
{
	if (b->force == BREAKER_FORCE_OPEN)
		return b->force_until_ns;
	return !b->force && b->state == BREAKER_OPEN ? b->open_until_ns : 0;
}

__u64 breaker_next_open(const struct breaker *b)
{
	return b->next_open_ns;
}

__u32 breaker_probe_budget(const struct breaker *b)
{
	return breaker_state(b) == BREAKER_HALF_OPEN ? b->cfg.half_open_probes : 0;
}

void breaker_view(const struct breaker *b, __u64 now_ns,
		  struct breaker_view *v)
{
	memset(v, 0, sizeof(*v));
	v->state = breaker_state(b);
	v->force = b->force;
	v->since_ns = b->since_ns;
	v->force_until_ns = b->force_until_ns;
	if (b->force)
		v->next_ns = b->force_until_ns;
	else if (b->state == BREAKER_OPEN)
		v->next_ns = b->open_until_ns;
	/* The window as the next tick will see it (before its sample). */
	for (unsigned int i = 0; i < b->n && !window_old(b, i, now_ns); i++) {
		const struct breaker_bucket *k = &b->ring[window_slot(b, i)];

		v->completed += k->completed;
		v->failed += k->failed;
		v->slow += k->slow;
	}
	if (v->completed) {
		v->failure_rate = (double)v->failed / v->completed;
		v->slow_rate = (double)v->slow / v->completed;
	}
	v->opens = b->opens;
	v->opens_total = b->opens_total;
	v->open_ns = b->open_cur_ns;
	v->probes_passed = b->probes_passed;
	v->probes_ok = b->probes_ok;
	v->probes_failed = b->probes_failed;
}

const char *breaker_state_name(enum breaker_state s)
{
	static const char *const names[BREAKER_STATES] = {
		[BREAKER_CLOSED] = "closed",
		[BREAKER_OPEN] = "open",
		[BREAKER_HALF_OPEN] = "half_open",
	};

	return (unsigned int)s < BREAKER_STATES ? names[s] : "?";
}

const char *breaker_force_name(enum breaker_force f)
{
	switch (f) {
	case BREAKER_AUTO:
		return "auto";
	case BREAKER_FORCE_OPEN:
		return "open";
	case BREAKER_FORCE_CLOSED:
		return "closed";
	}
	return "?";
}
