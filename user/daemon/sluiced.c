// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sluiced: loads the XDP limiter onto the configured interfaces, pins
 * it, keeps its maps in line with the config file, and answers
 * sluicectl.  Stopping it (SIGTERM) leaves enforcement running; only
 * --detach (or sluicectl detach) removes it.
 *
 * Everything after start-up runs from one event loop (loop.h): the
 * control socket, the config file watcher, the once-a-second counter
 * sample and metrics render (the HTTP server has its own thread and only
 * reads what the render published), and SIGHUP/SIGTERM/SIGINT through a
 * signalfd.  The signals are
 * blocked from the start, so one that arrives early waits for the loop.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/config_source.h"
#include "daemon/loop.h"
#include "daemon/top.h"
#include "daemon/gates.h"
#include "daemon/rollout.h"
#include "export/metrics.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/proto.h"

#define DEFAULT_CONFIG		"/etc/sluice/sluice.yaml"
#define SAMPLE_MS		1000	/* counter sampling for rates */
#define INOTIFY_SETTLE_MS	200	/* editors write in several steps */
#define DETACH_TIMEOUT_MS	10000

static const char *state_dir = ROLLOUT_STATE_DIR;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: sluiced [OPTIONS]\n"
"\n"
"Load the sluice XDP rate limiter onto the interfaces of the config file,\n"
"pin it under " SL_PIN_ROOT "/<ifname>/, apply the config, and serve\n"
"sluicectl on the control socket.  Stopping sluiced (SIGTERM, SIGINT)\n"
"leaves enforcement running; a restarted sluiced adopts the pinned state.\n"
"\n"
"Options:\n"
"  -c, --config FILE   config file (default " DEFAULT_CONFIG ")\n"
"  -t, --test          check the config file and exit: prints 'FILE: ok'\n"
"                      (exit 0) or the error (exit 1); touches nothing\n"
"  -v, --verbose       debug logging, libbpf's included (overrides log_level)\n"
"  -f, --foreground    run in the foreground; this is the default, sluiced\n"
"                      never forks (run it under systemd or a supervisor)\n"
"      --state-dir DIR where a running rollout's state is kept over a\n"
"                      restart (default " ROLLOUT_STATE_DIR ")\n"
"      --detach        remove the XDP programs and every pin of the config's\n"
"                      interfaces (through the running daemon if there is\n"
"                      one), then exit; per-client state is lost\n"
"  -h, --help          this text\n"
"  -V, --version       print the version\n"
"\n"
"Signals: SIGHUP reloads the config (so does saving the file, and\n"
"`sluicectl reload`); an invalid config is refused and the running one\n"
"keeps enforcing.  SIGTERM/SIGINT exit and leave enforcement in place.\n"
"\n"
"Exit status: 0 ok, 1 error (invalid config, attach failed, ...).\n");
}

static int config_test(const char *path)
{
	char err[CFG_ERR_MAX];
	struct sl_config *cfg;

	if (cfg_load(path, &cfg, err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok\n", path);
	cfg_free(cfg);
	return 0;
}

/* One request to a running daemon; prints its answer.  0, or -errno. */
static int detach_remote(const char *sock)
{
	static const char req[] = "{\"v\":1,\"cmd\":\"detach\"}\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	int fd, err = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0) {
		err = -errno;
		goto out;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (len < sizeof(buf) - 1 && poll(&p, 1, DETACH_TIMEOUT_MS) > 0) {
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	if (!strstr(buf, "\"ok\":true")) {
		log_err("the running sluiced at %s could not detach: %s", sock,
			len ? buf : "no answer");
		err = -EIO;
		goto out;
	}
	log_info("detached through the running sluiced at %s: %s", sock, buf);
out:
	close(fd);
	return err;
}

static int detach_one(const char *ifname)
{
	int err = loader_detach_pinned(ifname);

	if (!err)
		log_info("%s: XDP program detached, pins removed", ifname);
	else if (err == -ENOENT)
		log_info("%s: nothing pinned under %s/%s", ifname, SL_PIN_ROOT,
			 ifname);
	else if (err == -EBUSY)
		log_err("%s: a running sluiced holds it but does not answer on the config's control socket: stop it, or detach through its socket (sluicectl -s SOCKET detach)",
			ifname);
	else
		log_err("%s: detach failed: %s", ifname, strerror(-err));
	return err == -ENOENT ? 0 : err;
}

/* sluiced --detach: through the daemon if it runs, else by the pins. */
static int detach_offline(const char *path)
{
	char err[CFG_ERR_MAX];
	struct sl_config *cfg;
	struct dirent *de;
	int rc = 0, e;
	DIR *dir;

	if (cfg_load(path, &cfg, err) == 0) {
		if (control_probe(cfg->control_socket) == -EADDRINUSE) {
			rc = detach_remote(cfg->control_socket);
			cfg_free(cfg);
			return rc ? 1 : 0;
		}
		/* Left by a daemon that was killed: nobody answers on it. */
		if (control_stale(cfg->control_socket))
			unlink(cfg->control_socket);
		for (int i = 0; i < cfg->niface; i++) {
			e = detach_one(cfg->ifaces[i].name);
			if (e && !rc)
				rc = e;
		}
		cfg_free(cfg);
		return rc ? 1 : 0;
	}
	/* Without a readable config, every interface sluice pinned. */
	log_warn("%s", err);
	log_warn("the config cannot be read: detaching every interface under %s",
		 SL_PIN_ROOT);
	dir = opendir(SL_PIN_ROOT);
	if (!dir)
		return errno == ENOENT ? 0 : 1;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		e = detach_one(de->d_name);
		if (e && !rc)
			rc = e;
	}
	closedir(dir);
	return rc ? 1 : 0;
}

struct watch {
	int fd;
	int timer;		/* armed while a change settles */
	char base[NAME_MAX + 1];
	bool symlink;		/* config is a symlink: any rename counts */
	char last_err[CFG_ERR_MAX];
	struct sl_daemon *d;
};

static void watch_event(struct loop *l, int fd, uint32_t events, void *arg);
static void watch_settled(struct loop *l, int id, void *arg);

/* inotify on the config's directory: editors and config managers
 * replace the file by rename, which a watch on the file would miss.
 * Each event re-arms the settle timer: the reload waits for quiet. */
static int watch_open(struct watch *w, struct loop *l, struct sl_daemon *d)
{
	const char *path = d->cfg_path;
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	memset(w, 0, sizeof(*w));
	w->d = d;
	snprintf(w->base, sizeof(w->base), "%s", slash + 1);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (!dir[0])
		strcpy(dir, "/");
	w->symlink = !lstat(path, &st) && S_ISLNK(st.st_mode);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0 ||
	    inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO |
			      IN_CREATE) < 0) {
		log_warn("cannot watch %s for changes (%s): reload with SIGHUP or sluicectl reload",
			 dir, strerror(errno));
		if (w->fd >= 0)
			close(w->fd);
		w->fd = -1;
		return -errno;
	}
	w->timer = loop_add_timer(l, 0, false, watch_settled, w);
	if (w->timer < 0 || loop_add_fd(l, w->fd, EPOLLIN, watch_event, w)) {
		log_warn("cannot watch %s for changes (out of memory): reload with SIGHUP or sluicectl reload",
			 dir);
		close(w->fd);
		w->fd = -1;
		return -ENOMEM;
	}
	return 0;
}

static void watch_event(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct watch *w = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;

	(void)events;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if ((ev->len && !strcmp(ev->name, w->base) &&
			     ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) ||
			    (w->symlink && ev->mask & (IN_MOVED_TO | IN_CREATE)))
				loop_timer_arm(l, w->timer, INOTIFY_SETTLE_MS);
		}
}

/* The file changed: reload unless its contents are what runs, and say
 * an error once, not on every save of the same broken file. */
static void watch_settled(struct loop *l, int id, void *arg)
{
	struct watch *w = arg;
	struct sl_daemon *d = w->d;
	char err[CFG_ERR_MAX];
	struct sl_config *cfg;
	bool same;

	(void)l, (void)id;
	if (cfg_load(d->cfg_path, &cfg, err) == 0) {
		same = cfg->hash == d->cfg->hash;
		cfg_free(cfg);
		w->last_err[0] = '\0';
		if (same) {
			log_dbg("%s changed on disk, contents as running", d->cfg_path);
			return;
		}
	} else if (!strcmp(err, w->last_err)) {
		return;
	} else {
		snprintf(w->last_err, sizeof(w->last_err), "%s", err);
	}
	daemon_reload(d, "file changed", NULL, err, sizeof(err));
}

/* Block the signals the loop handles (a SIGTERM during start-up waits
 * for the loop, through the signalfd). */
static void signals_block(void)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void on_hup(struct loop *l, int sig, void *arg)
{
	char err[CFG_ERR_MAX];

	(void)l, (void)sig;
	daemon_reload(arg, "SIGHUP", NULL, err, sizeof(err));
}

static void on_term(struct loop *l, int sig, void *arg)
{
	(void)sig, (void)arg;
	log_info("signal received: exiting, enforcement stays in place (pins under %s)",
		 SL_PIN_ROOT);
	loop_stop(l);
}

static void on_sample(struct loop *l, int id, void *arg)
{
	struct sl_daemon *d = arg;

	(void)l, (void)id;
	daemon_sample(d);
	rollout_sample(d);	/* on the counters just sampled */
	metrics_sampled(d->metrics, d);
}

static int run(struct sl_daemon *d, struct loop *l)
{
	struct watch w;
	int err;

	watch_open(&w, l, d);
	err = loop_add_signal(l, SIGHUP, on_hup, d);
	if (!err)
		err = loop_add_signal(l, SIGTERM, on_term, d);
	if (!err)
		err = loop_add_signal(l, SIGINT, on_term, d);
	if (!err) {
		err = loop_add_timer(l, SAMPLE_MS, true, on_sample, d);
		err = err < 0 ? err : 0;
	}
	if (!err)
		err = top_start(d, l);
	if (!err)
		err = gates_start(d, l);
	if (!err)
		err = config_source_start(d, l);
	if (!err)
		err = rollout_open(d, state_dir);
	if (!err)
		metrics_update(d->metrics, d);
	if (!err)
		err = loop_run(l);
	if (err)
		log_err("event loop failed: %s", strerror(-err));
	control_flush(&d->ctl, 1000);
	if (w.fd >= 0) {
		loop_del_fd(l, w.fd);
		close(w.fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_DETACH = 256, OPT_STATE_DIR };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "detach", no_argument, NULL, OPT_DETACH },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct sl_daemon d;
	const char *path = DEFAULT_CONFIG;
	bool test = false, detach = false;
	char err[CFG_ERR_MAX], cwd[PATH_MAX];
	struct sl_config *cfg;
	struct loop *loop = NULL;
	int c, rc;

	log_init("sluiced");
	while ((c = getopt_long(argc, argv, "c:tvfhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test = true;
			break;
		case 'v':
			d.verbose = true;
			break;
		case 'f':
			break;
		case OPT_DETACH:
			detach = true;
			break;
		case OPT_STATE_DIR:
			state_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("sluiced %s (ABI %d, protocol %d)\n", SL_VERSION_STR,
			       SL_ABI_VERSION, SL_PROTO_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'sluiced --help'.\n");
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluiced: unexpected argument '%s' (see sluiced --help)\n",
			argv[optind]);
		return 1;
	}
	if (test)
		return config_test(path);
	log_set_level(d.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	log_libbpf(d.verbose);
	if (detach)
		return detach_offline(path);

	/* Absolute, so reloads find it and status shows where it is. */
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		rc = snprintf(d.cfg_path, sizeof(d.cfg_path), "%s", path);
	else
		rc = snprintf(d.cfg_path, sizeof(d.cfg_path), "%s/%s", cwd, path);
	if (rc < 0 || rc >= (int)sizeof(d.cfg_path)) {
		log_err("config path too long: %s", path);
		return 1;
	}
	if (cfg_load(d.cfg_path, &cfg, err)) {
		log_err("%s", err);
		return 1;
	}
	/* The file says where the config comes from: Redis, its cache, or
	 * the file itself (daemon/config_source.h). */
	if (cfg->config_source.on && config_source_open(&d, &cfg)) {
		log_err("config source: out of memory");
		cfg_free(cfg);
		return 1;
	}
	if (!d.verbose)
		log_set_level(cfg->log_level);
	d.started_ms = now_ms();
	signals_block();
	/* The loop and the socket first: a start refused for either must
	 * not leave a program attached or pins behind.  Requests wait in
	 * the socket's backlog until the loop runs. */
	rc = loop_new(&loop);
	if (rc) {
		log_err("cannot set up the event loop: %s", strerror(-rc));
		cfg_free(cfg);
		return 1;
	}
	d.loop = loop;
	rc = control_open(&d.ctl, loop, cfg->control_socket, daemon_cmds, &d);
	if (!rc)
		rc = metrics_open(&d.metrics, &cfg->metrics);
	if (rc) {
		cfg_free(cfg);
		goto out;
	}
	rc = daemon_start(&d, cfg);
	if (rc)
		goto out;
	rc = run(&d, loop);
	daemon_stop(&d);
out:
	config_source_free(&d);
	metrics_close(d.metrics);
	d.metrics = NULL;
	control_close(&d.ctl);
	d.loop = NULL;
	loop_free(loop);
	return rc ? 1 : 0;
}
