// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sluicectl: manage a running sluiced over its control socket.
 *
 * One table of subcommands drives parsing, dispatch and help.  Options
 * may come before or after the command (`sluicectl tiers -j`), and every
 * command answers --help.  Exit codes are enum ctl_exit.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "config/config.h"
#include "ctl/ctl_client.h"
#include "ctl/ctl_config.h"
#include "ctl/ctl_gates.h"
#include "ctl/ctl_print.h"
#include "ctl/ctl_rollout.h"
#include "common/names.h"
#include "common/proto.h"
#include "sluice_service.h"

#ifndef SL_VERSION
#define SL_VERSION	"0.1.0"
#endif

/* `top`'s own options (rejected with any other command). */
struct top_opts {
	const char *given;	/* the first one on the command line */
	int n;			/* 0: the daemon's default */
	const char *by, *tier;
	bool watch;
	double every_s;
};

struct ctl_opts {
	bool json;
	bool json_line;		/* -j --watch: each answer on one line */
	const char *socket;
	int timeout_ms;
	struct top_opts top;
	struct ctl_gate_opts gate;	/* breaker, degrade */
	struct ctl_rollout_opts roll;	/* rollout start */
};

struct ctl_cmd {
	const char *name;
	const char *args;	/* after the name in the usage line */
	const char *summary;	/* one line for the command list */
	const char *desc;	/* the paragraph of `COMMAND --help` */
	const char *example;
	int min_args, max_args;
	int (*run)(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		   int argc, char **argv);
	ctl_printer_t print;	/* the human form of the answer */
};

static const struct ctl_cmd *cmd_find(const char *name);

/* ---- messages -------------------------------------------------------- */

static int ctl_vfail(const struct ctl_opts *o, int code, const char *fmt,
		     va_list ap)
{
	char msg[CTL_ERR_MAX + 128];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (o->json)
		ctl_print_json_error(stdout, msg);
	else
		fprintf(stderr, "sluicectl: %s\n", msg);
	return code;
}

/* Report an error (as {"error": ...} on stdout with -j) and return
 * `code`, the exit status. */
static int ctl_fail(const struct ctl_opts *o, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ctl_fail(const struct ctl_opts *o, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = ctl_vfail(o, code, fmt, ap);
	va_end(ap);
	return code;
}

static void usage_line(FILE *f, const struct ctl_cmd *cmd)
{
	if (cmd)
		fprintf(f, "Usage: sluicectl [OPTIONS] %s%s%s\n", cmd->name,
			*cmd->args ? " " : "", cmd->args);
	else
		fprintf(f, "Usage: sluicectl [OPTIONS] COMMAND [ARGS]\n");
}

/* Usage error: the message, the usage line and a hint, exit 2. */
static int ctl_usage(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ctl_usage(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vfail(o, CTL_EXIT_USAGE, fmt, ap);
	va_end(ap);
	usage_line(stderr, cmd);
	if (cmd)
		fprintf(stderr, "Try 'sluicectl %s --help'.\n", cmd->name);
	else
		fprintf(stderr, "Try 'sluicectl --help'.\n");
	return CTL_EXIT_USAGE;
}

/* ---- help ------------------------------------------------------------ */

static const char options_help[] =
"Options:\n"
"  -j, --json           print JSON: the answer's data, pretty; errors as\n"
"                       {\"error\": \"...\"} on stdout, same exit code\n"
"  -s, --socket PATH    control socket (default: $" CTL_SOCKET_ENV ", else\n"
"                       " SL_CONTROL_SOCKET ")\n"
"  -t, --timeout SEC    how long to wait for sluiced (default 5)\n"
"  -h, --help           this help; COMMAND --help for a command's\n"
"      --version        print the version and exit\n";

static const char exit_help[] =
"Exit codes:\n"
"  0  ok\n"
"  1  the command failed: sluiced refused it (the reason is printed), or\n"
"     the config file is invalid\n"
"  2  usage error\n"
"  3  sluiced is not running, or its control socket is unreachable\n"
"  4  protocol error: malformed answer, version mismatch, timeout\n";

static const struct ctl_cmd commands[];

static void main_help(FILE *f)
{
	usage_line(f, NULL);
	fprintf(f, "\nManage a running sluiced: its state, counters and clients; reload its\n"
		   "config, switch modes, detach it.  `config check` needs no daemon.\n\n"
		   "Commands:\n");
	for (const struct ctl_cmd *c = commands; c->name; c++) {
		char head[64];

		snprintf(head, sizeof(head), "%s%s%s", c->name,
			 *c->args ? " " : "", c->args);
		/* A long usage gets a line of its own, the summary under it. */
		if (strlen(head) > 20)
			fprintf(f, "  %s\n  %-21s%s\n", head, "", c->summary);
		else
			fprintf(f, "  %-21s%s\n", head, c->summary);
	}
	fprintf(f, "\n%s\n%s", options_help, exit_help);
}

static void cmd_help(FILE *f, const struct ctl_cmd *cmd)
{
	usage_line(f, cmd);
	fprintf(f, "\n%s\n\n%s\nExample:\n%s\n"
		   "Exit codes: 0 ok, 1 failed, 2 usage, 3 sluiced not running, 4 protocol\n"
		   "error (see sluicectl --help).\n",
		cmd->desc, options_help, cmd->example);
}

/* ---- running a command against the daemon --------------------------- */

/* Send `req` (consumed) and print the answer with `print`, or its JSON. */
static int ctl_run(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		   json_object *req, ctl_printer_t print)
{
	json_object *data = NULL;
	struct ctl_err e = { 0 };
	int err;

	if (!req)
		return ctl_fail(o, CTL_EXIT_FAILED, "out of memory");
	err = ctl_call(ctl_socket_path(o->socket), req, o->timeout_ms, &data,
		       &e);
	json_object_put(req);
	if (err) {
		/* The daemon's own words, tagged with what it refused. */
		if (e.code == CTL_EXIT_FAILED)
			return ctl_fail(o, e.code, "%s: %s", cmd->name, e.msg);
		return ctl_fail(o, e.code, "%s", e.msg);
	}
	if (o->json_line)
		err = printf("%s\n", json_object_to_json_string_ext(data,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ?
		      -EIO : 0;
	else
		err = o->json ? ctl_print_json(stdout, data) : print(stdout, data);
	json_object_put(data);
	if (err == -EBADMSG)
		return ctl_fail(o, CTL_EXIT_PROTO,
				"malformed '%s' answer from sluiced", cmd->name);
	if (err)
		return ctl_fail(o, CTL_EXIT_FAILED, "%s: %s", cmd->name,
				strerror(-err));
	return CTL_EXIT_OK;
}

/* Commands without arguments: the request is just the command name. */
static int run_plain(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		     int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_run(o, cmd, ctl_request_new(cmd->name), cmd->print);
}

/* A request with one string argument. */
static json_object *request_with(const char *name, const char *key,
				 const char *val)
{
	json_object *req = ctl_request_new(name);

	if (req && json_object_object_add(req, key,
					  json_object_new_string(val))) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

static int run_client(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		      int argc, char **argv)
{
	struct cfg_prefix p;

	(void)argc;
	/* Caught here, a typo is a usage error and needs no daemon. */
	if (strchr(argv[0], '/') || addr_parse(argv[0], &p))
		return ctl_usage(o, cmd, "'%s' is not an IPv4 or IPv6 address",
				 argv[0]);
	return ctl_run(o, cmd, request_with("client", "addr", argv[0]),
		       cmd->print);
}

static int run_mode(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		    int argc, char **argv)
{
	(void)argc;
	if (name_parse(&sl_mode_names, argv[0], 0) < 0)
		return ctl_usage(o, cmd, "mode: expected enforce or shadow, got '%s'",
				 argv[0]);
	return ctl_run(o, cmd, request_with("mode", "mode", argv[0]),
		       cmd->print);
}

static int run_config(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		      int argc, char **argv)
{
	char err[CFG_ERR_MAX] = "";
	struct sl_config *cfg = NULL;
	json_object *sum;
	int ret;

	if (!strcmp(argv[0], "status")) {
		if (argc > 1)
			return ctl_usage(o, cmd, "config status: unexpected argument '%s'",
					 argv[1]);
		return ctl_run(o, cmd, ctl_request_new("config_status"),
			       ctl_print_config_status);
	}
	if (strcmp(argv[0], "check") && strcmp(argv[0], "push"))
		return ctl_usage(o, cmd, "config: unknown action '%s' (expected check, push or status)",
				 argv[0]);
	if (argc < 2)
		return ctl_usage(o, cmd, "config %s: missing FILE", argv[0]);
	if (!strcmp(argv[0], "push")) {
		json_object *req = ctl_config_push_request(argv[1], err, sizeof(err));

		if (req)
			return ctl_run(o, cmd, req, ctl_print_config_push);
		/* Nothing published: FILE:LINE:COL first, as check prints it. */
		ret = -EINVAL;
	} else {
		ret = cfg_load(argv[1], &cfg, err);
	}
	if (ret) {
		if (!*err)
			snprintf(err, sizeof(err), "%s: %s", argv[1],
				 strerror(-ret));
		/* FILE:LINE:COL first, as compilers print it, for editors. */
		if (o->json)
			ctl_print_json_error(stdout, err);
		else
			fprintf(stderr, "%s\n", err);
		return CTL_EXIT_FAILED;
	}
	sum = ctl_config_summary(argv[1], cfg);
	cfg_free(cfg);
	if (!sum)
		return ctl_fail(o, CTL_EXIT_FAILED, "out of memory");
	ret = o->json ? ctl_print_json(stdout, sum) : cmd->print(stdout, sum);
	json_object_put(sum);
	return ret ? ctl_fail(o, CTL_EXIT_FAILED, "config check: %s",
			      strerror(-ret)) : CTL_EXIT_OK;
}

/* ---- services ------------------------------------------------------- */

/* What the config accepts as a service name (config/services.c). */
static bool service_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= SL_SVC_NAME_MAX)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_-") == n;
}

static int run_services(const struct ctl_opts *o, const struct ctl_cmd *cmd,
			int argc, char **argv)
{
	if (!argc)
		return ctl_run(o, cmd, ctl_request_new(cmd->name), cmd->print);
	if (!service_name_ok(argv[0]))
		return ctl_usage(o, cmd, "'%s' is not a service name (1 to %d of A-Z a-z 0-9 _ -)",
				 argv[0], SL_SVC_NAME_MAX - 1);
	return ctl_run(o, cmd, request_with("services", "name", argv[0]),
		       ctl_print_service);
}

/* ---- top ------------------------------------------------------------ */

#define TOP_WATCH_S	2.0

static volatile sig_atomic_t top_interrupted;

static void top_on_signal(int sig)
{
	(void)sig;
	top_interrupted = 1;
}

static json_object *top_request(const struct top_opts *t)
{
	json_object *req = ctl_request_new("top");

	if (!req)
		return NULL;
	if (t->n)
		json_object_object_add(req, "n", json_object_new_int(t->n));
	if (t->by)
		json_object_object_add(req, "by", json_object_new_string(t->by));
	if (t->tier)
		json_object_object_add(req, "tier",
				       json_object_new_string(t->tier));
	return req;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end || !(*out >= 0.1) || *out > 3600 ?
	       -EINVAL : 0;
}

static int run_top(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		   int argc, char **argv)
{
	struct top_opts t = o->top;
	struct ctl_opts once = *o;
	struct timespec ts;
	bool tty = isatty(STDOUT_FILENO);
	int rc;

	if (t.by && strcmp(t.by, "refused") && strcmp(t.by, "passed") &&
	    strcmp(t.by, "bytes"))
		return ctl_usage(o, cmd, "--by: expected refused, passed or bytes, got '%s'",
				 t.by);
	/* `--watch 5`: the optional SEC comes as an argument. */
	if (argc && !t.watch)
		return ctl_usage(o, cmd, "top: unexpected argument '%s'", argv[0]);
	if (argc && parse_seconds(argv[0], &t.every_s))
		return ctl_usage(o, cmd, "--watch: expected seconds (0.1 to 3600), got '%s'",
				 argv[0]);
	if (!t.watch)
		return ctl_run(o, cmd, top_request(&t), cmd->print);

	signal(SIGINT, top_on_signal);
	signal(SIGTERM, top_on_signal);
	once.json_line = o->json;
	while (!top_interrupted) {
		if (!o->json)
			fputs(tty ? "\033[H\033[2J" : "\n", stdout);	/* home, clear */
		rc = ctl_run(&once, cmd, top_request(&t), cmd->print);
		fflush(stdout);
		if (rc != CTL_EXIT_OK)
			return rc;
		ts.tv_sec = (time_t)t.every_s;
		ts.tv_nsec = (long)((t.every_s - ts.tv_sec) * 1e9);
		while (!top_interrupted && nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	return CTL_EXIT_OK;
}

/* breaker, degrade: the request from their arguments and options. */
static int run_gate(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		    int argc, char **argv)
{
	char err[256];
	json_object *req = !strcmp(cmd->name, "breaker") ?
		ctl_breaker_request(argc, argv, &o->gate, err, sizeof(err)) :
		ctl_degrade_request(argc, argv, &o->gate, err, sizeof(err));

	if (!req && *err)
		return ctl_usage(o, cmd, "%s", err);
	return ctl_run(o, cmd, req, cmd->print);
}

static int run_rollout(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		       int argc, char **argv)
{
	char err[CFG_ERR_MAX + 64];
	int file_err;
	json_object *req = ctl_rollout_request(argc, argv, &o->roll, err,
					       sizeof(err), &file_err);

	if (!req && file_err) {
		/* FILE:LINE:COL first, as `config check` prints it. */
		if (o->json)
			ctl_print_json_error(stdout, err);
		else
			fprintf(stderr, "%s\n", err);
		return CTL_EXIT_FAILED;
	}
	if (!req && *err)
		return ctl_usage(o, cmd, "%s", err);
	return ctl_run(o, cmd, req, cmd->print);
}

static int run_help(const struct ctl_opts *o, const struct ctl_cmd *cmd,
		    int argc, char **argv)
{
	const struct ctl_cmd *c;

	if (!argc) {
		main_help(stdout);
		return CTL_EXIT_OK;
	}
	c = cmd_find(argv[0]);
	if (!c)
		return ctl_usage(o, cmd, "help: unknown command '%s'", argv[0]);
	cmd_help(stdout, c);
	return CTL_EXIT_OK;
}

static const struct ctl_cmd commands[] = {
	{ "status", "", "the daemon, its config and attached interfaces",
	  "Show sluiced's version, pid, uptime, mode (enforce or shadow), the\n"
	  "config file it runs with (path, hash, when it was loaded), the size of\n"
	  "the client table, and each interface the XDP program is attached to:\n"
	  "its ifindex, attach mode (native or generic), program id and link id.",
	  "  sluicectl status\n"
	  "  sluicectl -j status | jq -r .mode\n",
	  0, 0, run_plain, ctl_print_status },
	{ "tiers", "", "per tier: limits, counters and rates by verdict",
	  "One row per tier: id, name, verdict (limit, pass, drop), its limits as\n"
	  "\"UNIT RATE bBURST ACTION\", and for each verdict reason that saw packets\n"
	  "(passed, dropped, reset, http, shadow_drop, shadow_reset, shadow_http,\n"
	  "denylisted, allowlisted, unmetered, flood_drop, edge_conn) the packet\n"
	  "counter and the rate\n"
	  "over the last second.  The \"(none)\" row counts packets that never\n"
	  "reached a tier: malformed and non_ip.  Numbers are rounded (1.2k,\n"
	  "3.4M); -j gives exact counters, bytes included.",
	  "  sluicectl tiers\n"
	  "  sluicectl -j tiers | jq '.tiers[] | {name, dropped: .counters.dropped.packets}'\n",
	  0, 0, run_plain, ctl_print_tiers },
	{ "client", "ADDR", "a client's tier, key and meters right now",
	  "Look up one source address as the XDP program would: its tier, its\n"
	  "client key (the address masked to the tier's key prefix), whether the\n"
	  "client table knows it yet, and for each meter of the tier the tokens\n"
	  "available now and the time until the next one.",
	  "  sluicectl client 198.18.0.5\n"
	  "  sluicectl client 2001:2::1\n",
	  1, 1, run_client, ctl_print_client },
	{ "reload", "", "re-read the config file and apply it",
	  "Ask sluiced to re-read its config file (as SIGHUP does) and print what\n"
	  "changed, or \"no change\".  An invalid file changes nothing: the error,\n"
	  "naming FILE:LINE:COL, is printed and the exit code is 1; the running\n"
	  "config keeps enforcing.",
	  "  sluicectl reload\n",
	  0, 0, run_plain, ctl_print_reload },
	{ "config", "check FILE | push FILE | status",
	  "validate a config file; publish one; compare the hosts",
	  "check FILE: parse and validate FILE exactly as sluiced would, without\n"
	  "a daemon.  Prints \"FILE: ok\" and a summary (tiers, prefixes,\n"
	  "interfaces, mode), or the first error as FILE:LINE:COL: KEY: what was\n"
	  "expected, with exit code 1.\n\n"
	  "push FILE: validate FILE the same way (an invalid one is refused with\n"
	  "that message and exit code 1, nothing published), then have the local\n"
	  "sluiced, whose config_source says where, SET it into the key and\n"
	  "PUBLISH \"<key>:changed\": every sluiced following the key loads it.\n"
	  "Exit code 1 when that sluiced has no config_source or Redis is\n"
	  "unreachable.\n\n"
	  "status: where the running config came from (file, redis or cache),\n"
	  "its hash and load time, the key's hash in Redis, and each host that\n"
	  "reported in: its source, hash, load time, last report and whether it\n"
	  "runs the key's hash (same or differs), then a summary line.  Exit code\n"
	  "1 when Redis is unreachable (the hosts are unknown).",
	  "  sluicectl config check /etc/sluice/sluice.yaml\n"
	  "  sluicectl config push /etc/sluice/central.yaml\n"
	  "  sluicectl config status\n"
	  "  sluicectl -j config status | jq '.summary.all_same'\n",
	  1, 2, run_config, ctl_print_config },
	{ "mode", "enforce|shadow", "enforce limits, or only count (shadow)",
	  "Switch every interface between enforce (over-limit packets are\n"
	  "dropped, reset or answered) and shadow (nothing is dropped; what\n"
	  "would have been is counted as shadow_drop / shadow_reset /\n"
	  "shadow_http).  Takes effect on the\n"
	  "next packet.",
	  "  sluicectl mode shadow\n",
	  1, 1, run_mode, ctl_print_mode },
	{ "detach", "", "remove the programs and pins; sluiced exits",
	  "Detach the XDP program from every interface, remove the pinned maps\n"
	  "and links (client buckets and counters are lost), and stop sluiced.\n"
	  "Traffic then flows unlimited.  Stopping sluiced with SIGTERM instead\n"
	  "leaves enforcement running.",
	  "  sluicectl detach\n",
	  0, 0, run_plain, ctl_print_detach },
	{ "top", "[-n N] [--by KIND] [--tier NAME] [--watch [SEC]]",
	  "the clients refused (or passing) the most right now",
	  "The clients with the most refused traffic (--by passed: passed, --by\n"
	  "bytes: bytes either way) over the last 10 seconds, summed over the\n"
	  "interfaces: interface, tier, client key (the source masked to the\n"
	  "tier's key prefix), packets passed and refused per second, bytes per\n"
	  "second, and the last reason and limit that refused it.  The figures\n"
	  "are estimates from a sample of packets: every packet while traffic is\n"
	  "light, one in 2^k under load (the header says which).\n\n"
	  "  -n N             show N clients (default 10, at most 1000)\n"
	  "  --by KIND        refused (default), passed or bytes\n"
	  "  --tier NAME      only clients of tier NAME\n"
	  "  --watch [SEC]    redraw every SEC seconds (default 2) until\n"
	  "                   interrupted; with -j, one JSON object per line",
	  "  sluicectl top\n"
	  "  sluicectl top -n 20 --tier normal --watch 1\n"
	  "  sluicectl -j top --by passed | jq '.clients[0].key'\n",
	  0, 1, run_top, ctl_print_top },
	{ "services", "[NAME]", "per service: requests, responses, errors, latency",
	  "One row per service of the running config: its match (port, addresses\n"
	  "and paths, or \"default of :PORT\" for the port's default service), its\n"
	  "priority, and over the last 10 seconds, summed over the interfaces:\n"
	  "requests per second, responses per second by class (2xx to 5xx), the\n"
	  "error rate (5xx, no response and timeouts among the outcomes), the slow\n"
	  "rate (responses slower than the service's slow), p50, p90 and p99\n"
	  "latency in ms (\"-\" without a response), and the requests pending now.\n"
	  "With NAME, that service in detail: its config, every counter with its\n"
	  "rate, and the latency histogram.  -j gives exact counters (summed over\n"
	  "CPUs and interfaces), the histogram with its bounds and the window's\n"
	  "figures.  A NAME the running config does not have fails (exit 1).",
	  "  sluicectl services\n"
	  "  sluicectl services api\n"
	  "  sluicectl -j services | jq '.services[] | {name, e5xx: .counters.responses[\"5xx\"]}'\n",
	  0, 1, run_services, ctl_print_services },
	{ "breaker", "[NAME open|closed|auto [--for DURATION]]",
	  "the services' circuit breakers, or force one",
	  "One row per service with a breaker: its state (closed, open,\n"
	  "half_open), since when, the failure and slow rates over its window\n"
	  "(with the counts: failed or slow of completed), the next timed\n"
	  "transition (an open breaker goes half_open), how often it opened, and\n"
	  "whether it is forced (by sluicectl or an alert) and for how long.\n\n"
	  "  NAME open|closed     force the breaker of service NAME: open answers\n"
	  "                       its requests at the edge (its on_open), closed\n"
	  "                       lets every request through; shown as forced\n"
	  "  NAME auto            back to the automatic state machine (a forced\n"
	  "                       open ends half_open: it probes first)\n"
	  "  --for DURATION       the forced state ends by itself after DURATION\n"
	  "                       (30s, 5m, 1h; at most 7d)",
	  "  sluicectl breaker\n"
	  "  sluicectl breaker api open --for 2m\n"
	  "  sluicectl breaker api auto\n"
	  "  sluicectl -j breaker | jq '.breakers[] | {service, state}'\n",
	  0, 2, run_gate, ctl_print_breaker },
	{ "degrade", "[LEVEL [--for DURATION] [--reason TEXT] [--pin] | auto]",
	  "the degrade level and why, or set it by hand",
	  "Show the degrade level (0 normal to 3), where it comes from (auto,\n"
	  "manual, alert, pinned), since when and why, the services it sheds\n"
	  "and keeps, the tier rate factors in force, the manual setting, the\n"
	  "auto controller's signal and the alerts holding a level.\n\n"
	  "  LEVEL                set a manual level; the highest of auto, manual\n"
	  "                       and alerts is in force\n"
	  "  --for DURATION       the manual level ends by itself after DURATION\n"
	  "  --reason TEXT        shown as why, and logged\n"
	  "  --pin                the manual level is in force whatever auto and\n"
	  "                       the alerts say (also lower than theirs)\n"
	  "  auto                 the manual level (pinned or not) ends",
	  "  sluicectl degrade\n"
	  "  sluicectl degrade 1 --for 10m --reason 'db failover'\n"
	  "  sluicectl degrade 0 --pin\n"
	  "  sluicectl degrade auto\n",
	  0, 1, run_gate, ctl_print_degrade },
	{ "rollout", "[start FILE [OPTIONS] | promote | abort]",
	  "roll a config out to a share of clients, watch it, promote or roll back",
	  "start FILE: validate FILE like any config, then apply its policy (tier\n"
	  "limits, verdicts and actions, tier membership of prefixes, reply\n"
	  "templates) to a canary cohort of clients chosen by a stable hash of the\n"
	  "source's /32 or /64; every other client keeps the running policy.  The\n"
	  "sections that cannot be split per client (interfaces, services and\n"
	  "their breakers, degrade, redis, config_source, metrics, webhook,\n"
	  "edge_connections, mode, ...) are named and applied at promotion only.\n"
	  "Each step lasts --every; over its window the guards compare the\n"
	  "canary's refusal rate (per tier and over all tiers), its edge replies\n"
	  "and, with services, its HTTP error rate against the control's.  One\n"
	  "beyond its allowed increase rolls back at once; when every step passed\n"
	  "the candidate is promoted: it becomes the running config and is written\n"
	  "where the config came from (the file, or the config source).\n\n"
	  "  --percent P                  the first step's share (default 5)\n"
	  "  --steps LIST                 the shares in turn (default 5,25,50,100)\n"
	  "  --every DURATION             each step's window (default 1m)\n"
	  "  --max-refusal-increase X     refusal and edge replies, canary minus\n"
	  "                               control (default 0.02: 2 points)\n"
	  "  --max-error-increase X       HTTP errors likewise (default 0.01)\n"
	  "  --shadow-first DURATION      first run the candidate in shadow for\n"
	  "                               everyone (counting only) this long\n"
	  "  --min-packets N              packets each cohort needs in a window\n"
	  "                               before a guard judges (default 100)\n\n"
	  "Without an action: the state (shadow, step N at P%, promoted, rolled\n"
	  "back, aborted), the cohorts' figures side by side and the next\n"
	  "decision.  promote: make the candidate the running config now; abort:\n"
	  "every client back on the running config now.",
	  "  sluicectl rollout start /etc/sluice/new.yaml --steps 5,25,50,100 --every 5m\n"
	  "  sluicectl rollout\n"
	  "  sluicectl rollout abort\n"
	  "  sluicectl -j rollout | jq -r .state\n",
	  0, 2, run_rollout, ctl_print_rollout },
	{ "help", "[COMMAND]", "this help, or a command's",
	  "Print the list of commands, or the help of COMMAND (the same as\n"
	  "sluicectl COMMAND --help).",
	  "  sluicectl help tiers\n",
	  0, 1, run_help, NULL },
	{ 0 },
};

static const struct ctl_cmd *cmd_find(const char *name)
{
	for (const struct ctl_cmd *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* ---- main ------------------------------------------------------------ */

enum { OPT_VERSION = 256, OPT_BY, OPT_TIER, OPT_WATCH, OPT_FOR, OPT_REASON,
       OPT_PIN, OPT_PERCENT, OPT_STEPS, OPT_EVERY, OPT_SHADOW_FIRST,
       OPT_MAX_REFUSAL, OPT_MAX_ERROR, OPT_MIN_PACKETS };

static int parse_count(const char *s, int *n)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 1000)
		return -EINVAL;
	*n = (int)v;
	return 0;
}

static int parse_timeout(const char *s, int *ms)
{
	char *end;
	double sec;

	errno = 0;
	sec = strtod(s, &end);
	if (errno || end == s || *end || !(sec > 0) || sec > 3600)
		return -EINVAL;
	*ms = (int)(sec * 1000 + 0.5);
	if (!*ms)
		*ms = 1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",    no_argument,       NULL, 'j' },
		{ "socket",  required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, OPT_VERSION },
		{ "by",      required_argument, NULL, OPT_BY },
		{ "tier",    required_argument, NULL, OPT_TIER },
		{ "watch",   optional_argument, NULL, OPT_WATCH },
		{ "for",     required_argument, NULL, OPT_FOR },
		{ "reason",  required_argument, NULL, OPT_REASON },
		{ "pin",     no_argument,       NULL, OPT_PIN },
		{ "percent", required_argument, NULL, OPT_PERCENT },
		{ "steps",   required_argument, NULL, OPT_STEPS },
		{ "every",   required_argument, NULL, OPT_EVERY },
		{ "shadow-first", required_argument, NULL, OPT_SHADOW_FIRST },
		{ "max-refusal-increase", required_argument, NULL, OPT_MAX_REFUSAL },
		{ "max-error-increase", required_argument, NULL, OPT_MAX_ERROR },
		{ "min-packets", required_argument, NULL, OPT_MIN_PACKETS },
		{ 0 },
	};
	struct ctl_opts o = { .timeout_ms = CTL_TIMEOUT_MS };
	const struct ctl_cmd *cmd = NULL;
	bool help = false, version = false;
	const char *bad = NULL;
	int opt, nargs;

	opterr = 0;
	o.top.every_s = TOP_WATCH_S;
	while ((opt = getopt_long(argc, argv, ":js:t:hn:", longopts, NULL)) != -1) {
		if (!o.top.given && (opt == 'n' || opt == OPT_BY ||
				     opt == OPT_TIER || opt == OPT_WATCH))
			o.top.given = opt == 'n' ? "-n" : opt == OPT_BY ? "--by" :
				      opt == OPT_TIER ? "--tier" : "--watch";
		if (!o.gate.given && (opt == OPT_FOR || opt == OPT_REASON ||
				      opt == OPT_PIN))
			o.gate.given = opt == OPT_FOR ? "--for" :
				       opt == OPT_REASON ? "--reason" : "--pin";
		if (opt >= OPT_PERCENT && opt <= OPT_MIN_PACKETS) {
			static const char *const names[] = {
				"--percent", "--steps", "--every", "--shadow-first",
				"--max-refusal-increase", "--max-error-increase",
				"--min-packets",
			};
			const char **slot[] = {
				&o.roll.percent, &o.roll.steps, &o.roll.every,
				&o.roll.shadow_first, &o.roll.max_refusal,
				&o.roll.max_error, &o.roll.min_packets,
			};

			if (!o.roll.given)
				o.roll.given = names[opt - OPT_PERCENT];
			*slot[opt - OPT_PERCENT] = optarg;
			continue;
		}
		switch (opt) {
		case OPT_FOR:
			o.gate.for_arg = optarg;
			break;
		case OPT_REASON:
			o.gate.reason = optarg;
			break;
		case OPT_PIN:
			o.gate.pin = true;
			break;
		case 'n':
			if (parse_count(optarg, &o.top.n))
				bad = "n";
			break;
		case OPT_BY:
			o.top.by = optarg;
			break;
		case OPT_TIER:
			o.top.tier = optarg;
			break;
		case OPT_WATCH:
			o.top.watch = true;
			if (optarg && parse_seconds(optarg, &o.top.every_s))
				bad = "watch";
			break;
		case 'j':
			o.json = true;
			break;
		case 's':
			o.socket = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &o.timeout_ms))
				bad = "timeout";
			break;
		case 'h':
			help = true;
			break;
		case OPT_VERSION:
			version = true;
			break;
		case ':':
			return ctl_usage(&o, NULL, "option '%s' needs an argument",
					 argv[optind - 1]);
		default:
			if (optopt)
				return ctl_usage(&o, NULL, "unknown option '-%c'",
						 optopt);
			return ctl_usage(&o, NULL, "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (bad && !strcmp(bad, "n"))
		return ctl_usage(&o, cmd_find("top"), "-n: expected a count from 1 to 1000");
	if (bad && !strcmp(bad, "watch"))
		return ctl_usage(&o, cmd_find("top"), "--watch: expected seconds (0.1 to 3600)");
	if (bad)
		return ctl_usage(&o, NULL, "--timeout: expected seconds (0 < SEC <= 3600)");
	if (version) {
		printf(o.json ? "{\"version\": \"%s\", \"protocol\": %d}\n" :
				"sluicectl %s (control protocol v%d)\n",
		       SL_VERSION, SL_PROTO_VERSION);
		return CTL_EXIT_OK;
	}
	if (optind == argc) {
		if (help) {
			main_help(stdout);
			return CTL_EXIT_OK;
		}
		return ctl_usage(&o, NULL, "no command given");
	}
	cmd = cmd_find(argv[optind]);
	if (!cmd)
		return ctl_usage(&o, NULL, "unknown command '%s'", argv[optind]);
	if (help) {
		cmd_help(stdout, cmd);
		return CTL_EXIT_OK;
	}
	if (o.top.given && strcmp(cmd->name, "top"))
		return ctl_usage(&o, cmd, "option '%s' applies to top only",
				 o.top.given);
	if (o.gate.given && strcmp(cmd->name, "breaker") &&
	    strcmp(cmd->name, "degrade"))
		return ctl_usage(&o, cmd, "option '%s' applies to breaker and degrade only",
				 o.gate.given);
	if (o.roll.given && strcmp(cmd->name, "rollout"))
		return ctl_usage(&o, cmd, "option '%s' applies to rollout start only",
				 o.roll.given);
	optind++;
	nargs = argc - optind;
	if (nargs < cmd->min_args)
		return ctl_usage(&o, cmd, "%s: missing %s", cmd->name,
				 nargs ? "argument" : cmd->args);
	if (nargs > cmd->max_args)
		return ctl_usage(&o, cmd, "%s: unexpected argument '%s'",
				 cmd->name, argv[optind + cmd->max_args]);
	return cmd->run(&o, cmd, nargs, argv + optind);
}
