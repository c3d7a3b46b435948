// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "race.h"

__u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * SL_NSEC_PER_SEC + ts.tv_nsec;
}

int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

bool race_possible(const struct xdp_fixture *fx)
{
	return fx->ncpus >= 2 && sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}

static void side_run(struct race *r, struct race_side *s)
{
	__u32 ns;

	s->err = 0;
	s->start = mono_ns();
	for (__u32 i = 0; i < r->runs && !s->err; i++) {
		int v = prog_run_repeat(r->prog_fd, s->p->data, s->p->len,
					r->repeat, &ns);

		if (v < 0)
			s->err = v;
	}
	s->end = mono_ns();
}

static void *side_thread(void *arg)
{
	struct race *r = arg;
	int err = pin_to(1);

	for (;;) {
		pthread_barrier_wait(&r->start);
		if (r->quit)
			break;
		side_run(r, &r->s[1]);
		if (err)
			r->s[1].err = err;
		pthread_barrier_wait(&r->end);
	}
	return NULL;
}

int race_start(struct race *r, struct xdp_fixture *fx, const struct pkt *p0,
	       const struct pkt *p1, __u32 runs, __u32 repeat)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->prog_fd = fx->prog_fd;
	r->s[0].p = p0;
	r->s[1].p = p1;
	r->runs = runs;
	r->repeat = repeat;
	if (pthread_getaffinity_np(pthread_self(), sizeof(r->saved), &r->saved))
		return -EINVAL;
	err = pin_to(0);
	if (err)
		return err;
	pthread_barrier_init(&r->start, NULL, 2);
	pthread_barrier_init(&r->end, NULL, 2);
	err = -pthread_create(&r->th, NULL, side_thread, r);
	r->started = !err;
	return err;
}

void race_stop(struct race *r)
{
	if (r->started) {
		r->quit = 1;
		pthread_barrier_wait(&r->start);
		pthread_join(r->th, NULL);
		r->started = 0;
		pthread_barrier_destroy(&r->start);
		pthread_barrier_destroy(&r->end);
	}
	pthread_setaffinity_np(pthread_self(), sizeof(r->saved), &r->saved);
}

int race_round(struct race *r)
{
	pthread_barrier_wait(&r->start);
	side_run(r, &r->s[0]);
	pthread_barrier_wait(&r->end);
	return r->s[0].err ?: r->s[1].err;
}

bool race_overlapped(const struct race *r)
{
	__u64 start = r->s[0].start > r->s[1].start ? r->s[0].start :
		      r->s[1].start;
	__u64 end = r->s[0].end < r->s[1].end ? r->s[0].end : r->s[1].end;

	return start < end;
}
