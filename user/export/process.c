// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * process_* as the Go and Python clients compute them: CPU, memory and
 * start time from /proc/self/stat (start time = boot time from
 * /proc/stat's btime + starttime ticks), open fds by listing
 * /proc/self/fd, the limit from RLIMIT_NOFILE's soft value.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "export/render.h"

struct proc_stat {
	unsigned long long utime, stime, starttime, vsize;
	long long rss;
};

static int proc_stat_read(struct proc_stat *ps)
{
	char buf[1024], *p;
	size_t n;
	FILE *f = fopen("/proc/self/stat", "re");

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command, which may hold spaces and ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
			 &ps->utime, &ps->stime, &ps->starttime, &ps->vsize,
			 &ps->rss) != 5)
		return -1;
	return 0;
}

static long long boot_time(void)
{
	char line[256];
	long long bt = -1;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

static long long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long long n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* not the one opendir holds */
}

void render_process(struct render *r)
{
	double tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct proc_stat ps;
	struct rlimit rl;
	long long bt = boot_time(), fds = open_fds();

	if (!proc_stat_read(&ps)) {
		render_family(r, "process_cpu_seconds", EXPO_COUNTER,
			      "Total user and system CPU time spent in seconds.");
		render_double(r, NULL, 0, (ps.utime + ps.stime) / tick);
		render_family(r, "process_resident_memory_bytes", EXPO_GAUGE,
			      "Resident memory size in bytes.");
		render_double(r, NULL, 0, ps.rss * page);
		render_family(r, "process_virtual_memory_bytes", EXPO_GAUGE,
			      "Virtual memory size in bytes.");
		render_double(r, NULL, 0, ps.vsize);
		if (bt >= 0) {
			render_family(r, "process_start_time_seconds", EXPO_GAUGE,
				      "Start time of the process since unix epoch in seconds.");
			render_double(r, NULL, 0, bt + ps.starttime / tick);
		}
	}
	if (fds >= 0) {
		render_family(r, "process_open_fds", EXPO_GAUGE,
			      "Number of open file descriptors.");
		render_double(r, NULL, 0, fds);
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		render_family(r, "process_max_fds", EXPO_GAUGE,
			      "Maximum number of open file descriptors.");
		render_double(r, NULL, 0, rl.rlim_cur == RLIM_INFINITY ?
			      -1 : (double)rl.rlim_cur);
	}
}
