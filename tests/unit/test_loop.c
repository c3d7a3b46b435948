// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sluiced's event loop: fd callbacks, timers in deadline order, signals
 * through the signalfd, and sources removed from inside callbacks.  No
 * assertion depends on how long anything took. */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "test.h"
#include "daemon/loop.h"

struct rec {
	int calls[8];		/* per source */
	int order[16], n;	/* ids in the order they fired */
	uint32_t events;
	int pipes[2][2];
	int stop_after;		/* loop_stop once n reaches it */
};

static void rec_push(struct loop *l, struct rec *r, int what)
{
	if (r->n < 16)
		r->order[r->n] = what;
	r->n++;
	if (r->stop_after && r->n >= r->stop_after)
		loop_stop(l);
}

static void on_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct rec *r = arg;
	char c;

	r->events = events;
	if (read(fd, &c, 1) == 1)
		rec_push(l, r, c);
}

static void on_writable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct rec *r = arg;

	(void)fd;
	r->events = events;
	rec_push(l, r, 'w');
}

static void test_fd_callbacks(void)
{
	struct rec r = { .stop_after = 2 };
	struct loop *l;
	int p[2];

	if (!ASSERT_OK(loop_new(&l), "loop_new") || !ASSERT_OK(pipe(p), "pipe"))
		return;
	ASSERT_OK(loop_add_fd(l, p[0], EPOLLIN, on_readable, &r), "add");
	ASSERT_EQ(loop_add_fd(l, p[0], EPOLLIN, on_readable, &r), -EEXIST, "twice");
	ASSERT_EQ(write(p[1], "ab", 2), 2, "write");
	ASSERT_OK(loop_run(l), "run");
	ASSERT_EQ(r.n, 2, "two reads");
	ASSERT_EQ(r.order[0], 'a', "first byte");
	ASSERT_EQ(r.order[1], 'b', "second byte");
	ASSERT_EQ(r.events, EPOLLIN, "EPOLLIN");
	ASSERT_OK(loop_del_fd(l, p[0]), "del");
	/* The write end, first watched for input (never), then output. */
	r = (struct rec){ .stop_after = 1 };
	ASSERT_OK(loop_add_fd(l, p[1], EPOLLIN, on_writable, &r), "add write end");
	ASSERT_OK(loop_mod_fd(l, p[1], EPOLLOUT), "mod to EPOLLOUT");
	ASSERT_OK(loop_run(l), "run");
	ASSERT_EQ(r.events, EPOLLOUT, "EPOLLOUT after the mod");
	ASSERT_OK(loop_del_fd(l, p[1]), "del write end");
	ASSERT_EQ(loop_del_fd(l, p[0]), -ENOENT, "del twice");
	ASSERT_EQ(loop_mod_fd(l, p[0], EPOLLIN), -ENOENT, "mod a removed fd");
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

static void on_timer(struct loop *l, int id, void *arg)
{
	rec_push(l, arg, id);
}

static void on_repeat(struct loop *l, int id, void *arg)
{
	struct rec *r = arg;

	if (++r->calls[0] == 3)
		loop_del_timer(l, id);	/* from inside its own callback */
}

static void test_timers_in_order(void)
{
	struct rec r = { .stop_after = 3 };
	struct loop *l;
	int a, b, c, d, repeat_id;

	if (!ASSERT_OK(loop_new(&l), "loop_new"))
		return;
	/* Added out of order; even if all are due by the first wait, they
	 * fire by deadline. */
	c = loop_add_timer(l, 30, false, on_timer, &r);
	a = loop_add_timer(l, 10, false, on_timer, &r);
	b = loop_add_timer(l, 20, false, on_timer, &r);
	d = loop_add_timer(l, 0, false, on_timer, &r);	/* never armed */
	repeat_id = loop_add_timer(l, 1, true, on_repeat, &r);
	ASSERT_TRUE(a > 0 && b > 0 && c > 0 && d > 0 && repeat_id > 0, "ids");
	ASSERT_EQ(loop_add_timer(l, 0, true, on_timer, &r), -EINVAL,
		  "a repeating timer needs an interval");
	ASSERT_OK(loop_run(l), "run");
	ASSERT_EQ(r.n, 3, "three one-shots");
	ASSERT_EQ(r.order[0], a, "10 ms first");
	ASSERT_EQ(r.order[1], b, "20 ms second");
	ASSERT_EQ(r.order[2], c, "30 ms third");

	/* A one-shot armed again fires again; a disarmed one does not. */
	r.n = 0;
	r.stop_after = 1;
	ASSERT_OK(loop_timer_arm(l, a, 5), "re-arm");
	ASSERT_OK(loop_timer_arm(l, b, 1), "arm b");
	ASSERT_OK(loop_timer_disarm(l, b), "disarm b");
	ASSERT_OK(loop_run(l), "run again");
	ASSERT_EQ(r.order[0], a, "re-armed timer");
	ASSERT_EQ(loop_del_timer(l, repeat_id), -ENOENT,
		  "the repeating timer removed itself");
	ASSERT_TRUE(r.calls[0] >= 3, "repeating timer fired until it left");
	ASSERT_EQ(loop_timer_arm(l, 99, 1), -ENOENT, "unknown id");
	loop_free(l);
}

static void on_signal(struct loop *l, int sig, void *arg)
{
	rec_push(l, arg, sig);
}

static void test_signals(void)
{
	struct rec r = { .stop_after = 2 };
	struct loop *l;
	sigset_t usr1;

	if (!ASSERT_OK(loop_new(&l), "loop_new"))
		return;
	/* Blocked before the loop knows it: raised early, not lost. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	raise(SIGUSR1);
	ASSERT_OK(loop_add_signal(l, SIGUSR1, on_signal, &r), "add USR1");
	ASSERT_OK(loop_add_signal(l, SIGUSR2, on_signal, &r), "add USR2");
	ASSERT_EQ(loop_add_signal(l, 0, on_signal, &r), -EINVAL, "signal 0");
	raise(SIGUSR2);
	ASSERT_OK(loop_run(l), "run");
	ASSERT_EQ(r.n, 2, "both delivered");
	ASSERT_TRUE((r.order[0] == SIGUSR1 && r.order[1] == SIGUSR2) ||
		    (r.order[0] == SIGUSR2 && r.order[1] == SIGUSR1), "USR1 and USR2");
	/* Coalesced like any standard signal, but never dropped. */
	r.n = 0;
	r.stop_after = 1;
	kill(getpid(), SIGUSR1);
	ASSERT_OK(loop_run(l), "run again");
	ASSERT_EQ(r.order[0], SIGUSR1, "USR1 again");
	loop_free(l);
}

/* Whichever of two ready pipes runs first removes both: the other one's
 * event, already collected in the same batch, must not be delivered. */
static void on_remove_both(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct rec *r = arg;

	(void)events;
	r->calls[fd == r->pipes[0][0] ? 0 : 1]++;
	ASSERT_OK(loop_del_fd(l, r->pipes[0][0]), "del own or other");
	ASSERT_OK(loop_del_fd(l, r->pipes[1][0]), "del other or own");
	/* A new source on a closed-and-reused fd gets only its own events. */
	close(r->pipes[1][0]);
	if (pipe(r->pipes[1]) == 0)
		loop_add_fd(l, r->pipes[1][0], EPOLLIN, on_readable, r);
	loop_timer_arm(l, loop_add_timer(l, 0, false, on_timer, r), 1);
}

static void test_remove_in_callback(void)
{
	struct rec r = { .stop_after = 1 };
	struct loop *l;

	if (!ASSERT_OK(loop_new(&l), "loop_new") ||
	    !ASSERT_OK(pipe(r.pipes[0]), "pipe") ||
	    !ASSERT_OK(pipe(r.pipes[1]), "pipe"))
		return;
	ASSERT_EQ(write(r.pipes[0][1], "x", 1), 1, "ready");
	ASSERT_EQ(write(r.pipes[1][1], "y", 1), 1, "ready");
	ASSERT_OK(loop_add_fd(l, r.pipes[0][0], EPOLLIN, on_remove_both, &r), "a");
	ASSERT_OK(loop_add_fd(l, r.pipes[1][0], EPOLLIN, on_remove_both, &r), "b");
	ASSERT_OK(loop_run(l), "run");
	ASSERT_EQ(r.calls[0] + r.calls[1], 1, "one callback, not two");
	ASSERT_EQ(r.n, 1, "then the timer, nothing from the new empty pipe");
	loop_free(l);
	for (int i = 0; i < 2; i++) {
		if (i)
			close(r.pipes[i][0]);
		close(r.pipes[i][1]);
	}
	close(r.pipes[0][0]);
}

TEST_MAIN("unit/loop",
	  TEST(test_fd_callbacks),
	  TEST(test_timers_in_order),
	  TEST(test_signals),
	  TEST(test_remove_in_callback))
