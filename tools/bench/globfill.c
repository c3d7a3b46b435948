// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * globfill: N active clients of a global tier without a flood, for the
 * sync-cost bench (tools/bench/global.sh).  It opens an interface's
 * pinned sl_glob_use map (include/sluice_glob.h) and, every interval,
 * adds demand (and as much use: the clients stay within their limit) to
 * N client entries, as the data path would for N clients each sending a
 * little.  sluiced's sync then finds N active clients and keeps them in
 * step with Redis, which is what the bench measures.
 *
 *   globfill --if IFNAME --tier ID --clients N [--interval MS] [--demand U]
 *            [--seconds S] [--first ADDR]
 *
 * Clients are ADDR, ADDR+1, ... (default 198.18.0.1; they must stay in
 * 198.18.0.0/15, so N <= 131000): map entries only, no address is ever
 * on the wire.  The entries are written in batches (bpf_map_update_batch)
 * from globfill's own cumulative counts: these keys are globfill's
 * alone, the data path never sees them.  Runs for S seconds (0: until
 * SIGINT or SIGTERM); prints "globfill: ready" on stderr once the first
 * round is written, then one JSON line on stdout at the end:
 *   {"clients":N,"interval_ms":MS,"rounds":R,"cpu_s":S}
 * Exit: 0 ok, 1 failure, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <bpf/bpf.h>

#include "sluice_abi.h"
#include "sluice_glob.h"

#define PIN_ROOT	"/sys/fs/bpf/sluice"
#define BATCH		4096
#define V4_END		0xc6140000U	/* 198.20.0.0: past 198.18.0.0/15 */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: globfill --if IFNAME --tier ID --clients N [--interval MS] [--demand U]\n"
"                [--seconds S] [--first ADDR]\n"
"  --if IFNAME     the interface whose /sys/fs/bpf/sluice/IFNAME/sl_glob_use is fed\n"
"  --tier ID       the global tier's id (sluicectl -j tiers)\n"
"  --clients N     active clients to keep                        (1..131000)\n"
"  --interval MS   how often each gets more demand               [100]\n"
"  --demand U      units added to each per interval (used alike) [1]\n"
"  --seconds S     run time; 0: until SIGINT or SIGTERM          [0]\n"
"  --first ADDR    the first client, in 198.18.0.0/15           [198.18.0.1]\n");
}

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fill_write(int fd, struct sl_client_key *keys,
		      struct sl_glob_use *vals, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 done, cnt;
	int err;

	for (done = 0; done < n; done += cnt) {
		cnt = n - done < BATCH ? n - done : BATCH;
		err = bpf_map_update_batch(fd, keys + done, vals + done, &cnt, &opts);
		if (err)
			return -errno;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "if", required_argument, NULL, 'i' },
		{ "tier", required_argument, NULL, 't' },
		{ "clients", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'I' },
		{ "demand", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 's' },
		{ "first", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *ifname = NULL, *first = "198.18.0.1";
	long tier = -1, n = 0, interval = 100, demand = 1;
	double secs = 0, t0, next, cpu0;
	struct sl_client_key *keys = NULL;
	struct sl_glob_use *vals = NULL;
	struct in_addr a0;
	struct rusage ru;
	unsigned long rounds = 0;
	char path[512];
	int c, fd = -1, err, rc = 1;
	long i;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 't': tier = strtol(optarg, NULL, 10); break;
		case 'n': n = strtol(optarg, NULL, 10); break;
		case 'I': interval = strtol(optarg, NULL, 10); break;
		case 'd': demand = strtol(optarg, NULL, 10); break;
		case 's': secs = strtod(optarg, NULL); break;
		case 'f': first = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!ifname || tier < 0 || tier >= SL_MAX_TIERS || n < 1 || n > 131000 ||
	    interval < 1 || demand < 1 || secs < 0 ||
	    inet_pton(AF_INET, first, &a0) != 1 ||
	    ntohl(a0.s_addr) < 0xc6120000U || ntohl(a0.s_addr) + n > V4_END) {
		fprintf(stderr, "globfill: --if, --tier 0..%d and --clients 1..131000 are needed, "
			"and every client must be in 198.18.0.0/15\n", SL_MAX_TIERS - 1);
		usage(stderr);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", PIN_ROOT, ifname, SL_MAP_GLOB_USE);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "globfill: cannot open %s: %s (is sluiced running on %s, "
			"with a global tier?)\n", path, strerror(errno), ifname);
		return 1;
	}
	keys = calloc((size_t)n, sizeof(*keys));
	vals = calloc((size_t)n, sizeof(*vals));
	if (!keys || !vals) {
		fprintf(stderr, "globfill: out of memory for %ld clients\n", n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		keys[i].addr[0] = htonl(ntohl(a0.s_addr) + (__u32)i);
		keys[i].family = SL_AF_INET;
		keys[i].tier = (__u8)tier;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	getrusage(RUSAGE_SELF, &ru);
	cpu0 = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	t0 = next = now_s(CLOCK_MONOTONIC);
	while (!stop && (!secs || now_s(CLOCK_MONOTONIC) - t0 < secs)) {
		for (i = 0; i < n; i++) {
			vals[i].demand += (__u64)demand;
			vals[i].used += (__u64)demand;
		}
		err = fill_write(fd, keys, vals, (__u32)n);
		if (err) {
			fprintf(stderr, "globfill: writing %s: %s\n", path, strerror(-err));
			goto out;
		}
		if (!rounds++)
			fprintf(stderr, "globfill: ready, %ld clients of tier %ld on %s\n",
				n, tier, ifname);
		/* On a fixed schedule: a slow round does not shift the next. */
		next += (double)interval / 1000;
		while (!stop && now_s(CLOCK_MONOTONIC) < next) {
			struct timespec ts = { 0, 5 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"clients\":%ld,\"interval_ms\":%ld,\"rounds\":%lu,\"cpu_s\":%.3f}\n",
	       n, interval, rounds,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6 - cpu0);
	rc = 0;
out:
	free(keys);
	free(vals);
	close(fd);
	return rc;
}
