/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `sluicectl rollout start FILE [opts] | rollout | rollout promote |
 * rollout abort` (ctl_rollout.c): the requests from the command line
 * and the answer as text.  Internal to ctl/.
 */
#ifndef SLUICE_CTL_ROLLOUT_H
#define SLUICE_CTL_ROLLOUT_H

#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

/* The options of `rollout start`, as given (NULL: the default). */
struct ctl_rollout_opts {
	const char *given;	/* the first one on the command line */
	const char *percent, *steps, *every, *shadow_first;
	const char *max_refusal, *max_error, *min_packets;
};

/* The request, or NULL with a usage error in err (err empty: out of
 * memory; *file_err set: FILE is invalid, err holds FILE:LINE:COL). */
json_object *ctl_rollout_request(int argc, char **argv,
				 const struct ctl_rollout_opts *o, char *err,
				 size_t errlen, int *file_err);

int ctl_print_rollout(FILE *f, json_object *data);

#endif /* SLUICE_CTL_ROLLOUT_H */
