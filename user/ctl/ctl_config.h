/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `sluicectl config push FILE` and `config status` (issue 12): the
 * request of a push (FILE validated here first, exactly as `config
 * check` does), and the human form of both answers.  The daemon does
 * the Redis side (daemon/config_cmd.c): sluicectl needs no Redis
 * address or password, only the local sluiced's control socket.
 */
#ifndef SLUICE_CTL_CONFIG_H
#define SLUICE_CTL_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

/* A config_push request for FILE, or NULL with the reason in err
 * ("FILE:LINE:COL: ..." when FILE is invalid, as config check says). */
json_object *ctl_config_push_request(const char *file, char *err,
				     size_t errlen);

int ctl_print_config_push(FILE *f, json_object *data);
int ctl_print_config_status(FILE *f, json_object *data);

#endif /* SLUICE_CTL_CONFIG_H */
