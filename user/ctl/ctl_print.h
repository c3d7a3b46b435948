/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sluicectl's output.  Every command's answer is a JSON object (the
 * daemon's "data", or a summary built here); ctl_print_json() is the
 * JSON twin of every human printer below.
 *
 * Printers read the object defensively: a missing or mistyped scalar
 * prints as "-", a missing list as empty.  A list of the wrong type, or
 * a list entry that is not an object, returns -EBADMSG before anything
 * is printed.  Other returns: 0, -ENOMEM.
 */
#ifndef SLUICE_CTL_PRINT_H
#define SLUICE_CTL_PRINT_H

#include <stdio.h>
#include <json-c/json.h>

struct sl_config;

typedef int (*ctl_printer_t)(FILE *f, json_object *data);

/* Pretty JSON and a newline; slashes are not escaped. */
int ctl_print_json(FILE *f, json_object *obj);

/* {"error": msg}, for -j. */
int ctl_print_json_error(FILE *f, const char *msg);

int ctl_print_status(FILE *f, json_object *data);
int ctl_print_tiers(FILE *f, json_object *data);
int ctl_print_client(FILE *f, json_object *data);
int ctl_print_reload(FILE *f, json_object *data);
int ctl_print_mode(FILE *f, json_object *data);
int ctl_print_detach(FILE *f, json_object *data);
int ctl_print_top(FILE *f, json_object *data);	/* ctl_top.c */
/* ctl_services.c: every service as a row, or the one service the
 * answer holds in detail (-EBADMSG unless it holds exactly one). */
int ctl_print_services(FILE *f, json_object *data);
int ctl_print_service(FILE *f, json_object *data);

/* `config check`: a summary of a valid config,
 * {"file","ok":true,"hash","mode","tiers":[names],"prefixes":N,
 *  "interfaces":[names],"client_table_size":N}; NULL without memory. */
json_object *ctl_config_summary(const char *file, const struct sl_config *cfg);
int ctl_print_config(FILE *f, json_object *summary);

#endif /* SLUICE_CTL_PRINT_H */
