// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon/loop.h"
#include "common/clock.h"

#define LOOP_BATCH	32
#define NSEC_PER_MS	1000000ULL

struct loop_src {
	int fd;
	loop_fd_fn cb;
	void *arg;
	bool dead;		/* removed: skip events already collected */
	struct loop_src *next;
};

struct loop_timer {
	bool used, armed, repeat;
	uint64_t due_ns, interval_ns;	/* CLOCK_MONOTONIC */
	loop_timer_fn cb;
	void *arg;
};

struct loop {
	int epfd, tfd, sfd;
	bool stop;
	struct loop_src *srcs;
	struct loop_src *dead;	/* freed once the current batch is done */
	struct loop_timer *timers;
	int ntimers;
	sigset_t sigs;
	struct {
		loop_signal_fn cb;
		void *arg;
	} sig[_NSIG];
};

static struct loop_src *src_find(struct loop *l, int fd)
{
	for (struct loop_src *s = l->srcs; s; s = s->next)
		if (s->fd == fd)
			return s;
	return NULL;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn cb,
		void *arg)
{
	struct epoll_event ev = { .events = events };
	struct loop_src *s;

	if (fd < 0 || !cb)
		return -EINVAL;
	if (src_find(l, fd))
		return -EEXIST;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct loop_src){ .fd = fd, .cb = cb, .arg = arg, .next = l->srcs };
	ev.data.ptr = s;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		free(s);
		return err;
	}
	l->srcs = s;
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct loop_src *s = src_find(l, fd);
	struct epoll_event ev = { .events = events, .data.ptr = s };

	if (!s)
		return -ENOENT;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	struct loop_src **pp, *s;

	for (pp = &l->srcs; *pp && (*pp)->fd != fd; pp = &(*pp)->next)
		;
	s = *pp;
	if (!s)
		return -ENOENT;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*pp = s->next;
	s->dead = true;
	s->next = l->dead;
	l->dead = s;
	return 0;
}

/* ---- timers: one timerfd set to the nearest deadline ----------------- */

static void timers_program(struct loop *l)
{
	struct itimerspec its = {};
	uint64_t due = 0;

	for (int i = 0; i < l->ntimers; i++) {
		const struct loop_timer *t = &l->timers[i];

		if (t->used && t->armed && (!due || t->due_ns < due))
			due = t->due_ns;
	}
	its.it_value.tv_sec = due / 1000000000ULL;
	its.it_value.tv_nsec = due % 1000000000ULL;
	/* A deadline already past fires at once; zero disarms. */
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static struct loop_timer *timer_get(struct loop *l, int id)
{
	if (id <= 0 || id > l->ntimers || !l->timers[id - 1].used)
		return NULL;
	return &l->timers[id - 1];
}

int loop_add_timer(struct loop *l, uint64_t ms, bool repeat,
		   loop_timer_fn cb, void *arg)
{
	struct loop_timer *t = NULL;
	int id;

	if (!cb || (repeat && !ms))
		return -EINVAL;
	for (id = 1; id <= l->ntimers && !t; id++)
		if (!l->timers[id - 1].used)
			t = &l->timers[id - 1];
	if (!t) {
		struct loop_timer *n = realloc(l->timers,
					       (l->ntimers + 8) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + l->ntimers, 0, 8 * sizeof(*n));
		l->timers = n;
		t = &n[l->ntimers];
		l->ntimers += 8;
	}
	id = (int)(t - l->timers) + 1;
	*t = (struct loop_timer){ .used = true, .repeat = repeat,
				  .interval_ns = ms * NSEC_PER_MS,
				  .cb = cb, .arg = arg };
	if (ms)
		loop_timer_arm(l, id, ms);
	return id;
}

int loop_timer_arm(struct loop *l, int id, uint64_t ms)
{
	struct loop_timer *t = timer_get(l, id);

	if (!t)
		return -ENOENT;
	/* Never "now" exactly: a callback arming itself with 0 must not
	 * fire again in the same round. */
	t->due_ns = clock_ns(CLOCK_MONOTONIC) + (ms ? ms * NSEC_PER_MS : 1);
	t->armed = true;
	timers_program(l);
	return 0;
}

int loop_timer_disarm(struct loop *l, int id)
{
	struct loop_timer *t = timer_get(l, id);

	if (!t)
		return -ENOENT;
	t->armed = false;
	timers_program(l);
	return 0;
}

int loop_del_timer(struct loop *l, int id)
{
	struct loop_timer *t = timer_get(l, id);

	if (!t)
		return -ENOENT;
	memset(t, 0, sizeof(*t));
	timers_program(l);
	return 0;
}

/* Fire every timer due by now, earliest deadline first. */
static void timers_fire(struct loop *l, int fd, uint32_t events, void *arg)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC), expirations;

	(void)fd, (void)events, (void)arg;
	if (read(l->tfd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		return;
	while (!l->stop) {
		struct loop_timer *t = NULL;
		int id = 0;

		for (int i = 0; i < l->ntimers; i++) {
			struct loop_timer *c = &l->timers[i];

			if (c->used && c->armed && c->due_ns <= now &&
			    (!t || c->due_ns < t->due_ns)) {
				t = c;
				id = i + 1;
			}
		}
		if (!t)
			break;
		if (t->repeat) {
			t->due_ns += t->interval_ns;
			if (t->due_ns <= now)	/* fell behind: no burst */
				t->due_ns = now + t->interval_ns;
		} else {
			t->armed = false;
		}
		t->cb(l, id, t->arg);	/* may realloc l->timers */
	}
	timers_program(l);
}

/* ---- signals --------------------------------------------------------- */

static void signals_read(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events, (void)arg;
	while (!l->stop && read(fd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo < _NSIG && l->sig[si.ssi_signo].cb)
			l->sig[si.ssi_signo].cb(l, (int)si.ssi_signo,
						l->sig[si.ssi_signo].arg);
}

int loop_add_signal(struct loop *l, int sig, loop_signal_fn cb, void *arg)
{
	sigset_t one;
	int fd, err;

	if (sig <= 0 || sig >= _NSIG || !cb)
		return -EINVAL;
	sigemptyset(&one);
	sigaddset(&one, sig);
	if (sigprocmask(SIG_BLOCK, &one, NULL))
		return -errno;
	sigaddset(&l->sigs, sig);
	fd = signalfd(l->sfd, &l->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (l->sfd < 0) {
		err = loop_add_fd(l, fd, EPOLLIN, signals_read, NULL);
		if (err) {
			close(fd);
			return err;
		}
		l->sfd = fd;
	}
	l->sig[sig].cb = cb;
	l->sig[sig].arg = arg;
	return 0;
}

/* ---- the loop -------------------------------------------------------- */

int loop_new(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));
	int err;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->sfd = -1;
	sigemptyset(&l->sigs);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->epfd < 0 || l->tfd < 0) {
		err = -errno;
		goto fail;
	}
	err = loop_add_fd(l, l->tfd, EPOLLIN, timers_fire, NULL);
	if (err)
		goto fail;
	*out = l;
	return 0;
fail:
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->tfd >= 0)
		close(l->tfd);
	free(l);
	return err;
}

static void srcs_free(struct loop_src *s)
{
	while (s) {
		struct loop_src *next = s->next;

		free(s);
		s = next;
	}
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	srcs_free(l->srcs);
	srcs_free(l->dead);
	close(l->epfd);
	close(l->tfd);
	if (l->sfd >= 0)
		close(l->sfd);
	free(l->timers);
	free(l);
}

int loop_run(struct loop *l)
{
	struct epoll_event ev[LOOP_BATCH];
	int n;

	l->stop = false;
	while (!l->stop) {
		n = epoll_wait(l->epfd, ev, LOOP_BATCH, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			struct loop_src *s = ev[i].data.ptr;

			if (!s->dead)
				s->cb(l, s->fd, ev[i].events, s->arg);
		}
		srcs_free(l->dead);
		l->dead = NULL;
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
