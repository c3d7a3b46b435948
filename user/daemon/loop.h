/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sluiced's event loop: epoll over file descriptors, timers on one
 * timerfd, and signals through a signalfd.  Every source registers a
 * callback; nothing else needs to know about the others, so a metrics
 * server, a webhook or a Redis connection plugs in with loop_add_fd().
 *
 * Callbacks may add and remove any source, their own included: a removed
 * fd gets no further callback, even for events already collected.
 * Timers due together fire in the order of their deadlines.
 */
#ifndef SLUICE_LOOP_H
#define SLUICE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

/* `events`: the EPOLL* bits that fired. */
typedef void (*loop_fd_fn)(struct loop *l, int fd, uint32_t events, void *arg);
typedef void (*loop_timer_fn)(struct loop *l, int id, void *arg);
typedef void (*loop_signal_fn)(struct loop *l, int sig, void *arg);

int loop_new(struct loop **out);
/* Frees the loop; closes only the descriptors it made itself. */
void loop_free(struct loop *l);

/* Watch `fd` for `events` (EPOLLIN, EPOLLOUT, ...); the caller keeps
 * ownership of the fd and must loop_del_fd() it before closing it. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn cb,
		void *arg);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
int loop_del_fd(struct loop *l, int fd);

/* A timer firing in `ms` milliseconds, then every `ms` when `repeat`,
 * or once (armed again by loop_timer_arm).  `ms` == 0 with !repeat adds
 * it disarmed.  Returns the timer's id (> 0) or -errno. */
int loop_add_timer(struct loop *l, uint64_t ms, bool repeat,
		   loop_timer_fn cb, void *arg);
/* (Re)arm timer `id` to fire in `ms` ms (0: as soon as possible). */
int loop_timer_arm(struct loop *l, int id, uint64_t ms);
int loop_timer_disarm(struct loop *l, int id);
int loop_del_timer(struct loop *l, int id);

/* Deliver `sig` through the loop.  The signal is blocked for the whole
 * process from here on, so none is lost between two waits; block it
 * earlier (sigprocmask) to hold one that arrives before the loop runs. */
int loop_add_signal(struct loop *l, int sig, loop_signal_fn cb, void *arg);

/* Run until loop_stop(); 0, or -errno when waiting fails. */
int loop_run(struct loop *l);
/* Leave loop_run() once the running callback returns. */
void loop_stop(struct loop *l);

#endif /* SLUICE_LOOP_H */
