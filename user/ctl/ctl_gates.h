/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `sluicectl breaker` and `sluicectl degrade` (ctl_breaker.c,
 * ctl_degrade.c): their requests from the command line, and their
 * answers as text.  Internal to ctl/.
 */
#ifndef SLUICE_CTL_GATES_H
#define SLUICE_CTL_GATES_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

/* --for, --reason, --pin (breaker takes --for only). */
struct ctl_gate_opts {
	const char *given;	/* the first one on the command line */
	const char *for_arg;
	const char *reason;
	bool pin;
};

/* The request, or NULL with a usage error in err (or out of memory:
 * err empty). */
json_object *ctl_breaker_request(int argc, char **argv,
				 const struct ctl_gate_opts *g, char *err,
				 size_t errlen);
json_object *ctl_degrade_request(int argc, char **argv,
				 const struct ctl_gate_opts *g, char *err,
				 size_t errlen);

int ctl_print_breaker(FILE *f, json_object *data);
int ctl_print_degrade(FILE *f, json_object *data);

/* --for into the request's "for_s": 0, or -EINVAL with err. */
int ctl_gate_for(json_object *req, const char *arg, char *err, size_t errlen);

/* "4.2s", "3m10s", "2h5m"; for ctl_*.c. */
char *ctl_secs(double s, char *buf, size_t size);

#endif /* SLUICE_CTL_GATES_H */
