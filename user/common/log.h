/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sluiced's log: leveled lines on stderr.  Under systemd (stderr not a
 * tty) each line starts with a "<N>" syslog priority that journald
 * turns into the entry's level; on a terminal it reads
 * "sluiced: warn: ...".  libbpf's output goes through here as well.
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdbool.h>

enum log_level {		/* the order of enum cfg_log_level */
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* `ident` prefixes terminal lines ("sluiced"). */
void log_init(const char *ident);
void log_set_level(int level);
int log_get_level(void);

/* Route libbpf's messages through log_msg; its debug output (verifier
 * logs and the like) only when `libbpf_debug` is set (sluiced -v). */
void log_libbpf(bool libbpf_debug);

void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_dbg(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* SLUICE_LOG_H */
