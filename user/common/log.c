// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "common/names.h"

static const char *log_ident = "sluiced";
static int log_level = LOG_LVL_INFO;
static bool log_tty;
static bool log_bpf_debug;

void log_init(const char *ident)
{
	log_ident = ident;
	log_tty = isatty(STDERR_FILENO);
}

void log_set_level(int level)
{
	if (level < LOG_LVL_ERROR)
		level = LOG_LVL_ERROR;
	if (level > LOG_LVL_DEBUG)
		level = LOG_LVL_DEBUG;
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

/* One line per call, so concurrent writers (there are none yet) and
 * journald never see half a message. */
static void log_line(int level, const char *msg, size_t len)
{
	static const int prio[] = { 3, 4, 6, 7 };	/* err warn info debug */
	char buf[2048];
	int n;

	while (len && msg[len - 1] == '\n')
		len--;
	if (log_tty)
		n = snprintf(buf, sizeof(buf), "%s: %s: %.*s\n", log_ident,
			     name_of(&sl_log_level_names, level), (int)len, msg);
	else
		n = snprintf(buf, sizeof(buf), "<%d>%.*s\n", prio[level],
			     (int)len, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	/* Nothing to do if stderr is gone. */
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

static void log_vmsg(int level, const char *fmt, va_list ap)
{
	char msg[4096];
	const char *p, *nl;
	int n;

	if (level > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	/* A multi-line message (libbpf's verifier log) becomes one log
	 * line per text line, each with its priority. */
	for (p = msg; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl) {
			log_line(level, p, strlen(p));
			break;
		}
		if (nl > p)
			log_line(level, p, nl - p);
	}
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static int log_libbpf_print(enum libbpf_print_level level, const char *fmt,
			    va_list ap)
{
	int lvl = level == LIBBPF_WARN ? LOG_LVL_WARN :
		  level == LIBBPF_INFO ? LOG_LVL_INFO : LOG_LVL_DEBUG;

	if (level == LIBBPF_DEBUG && !log_bpf_debug)
		return 0;
	log_vmsg(lvl, fmt, ap);	/* libbpf's lines say "libbpf: " */
	return 0;
}

void log_libbpf(bool libbpf_debug)
{
	log_bpf_debug = libbpf_debug;
	libbpf_set_print(log_libbpf_print);
}
