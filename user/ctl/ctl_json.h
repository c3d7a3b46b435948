/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What sluicectl's printers share: reading a daemon answer without
 * trusting its shape, and the "label: value" tables.  Internal to ctl/.
 */
#ifndef SLUICE_CTL_JSON_H
#define SLUICE_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "common/table.h"

#define FIELD_MAX	64
#define NCOLS(c)	((int)(sizeof(c) / sizeof((c)[0])))

/* o[key], or NULL when o is not an object or has no such key. */
json_object *jget(json_object *o, const char *key);
/* A string member, or `def`. */
const char *jstr(json_object *o, const char *key, const char *def);
/* A finite number member (integer or double). */
bool jnum(json_object *o, const char *key, double *out);
/* A non-negative integer member; json-c keeps values past INT64_MAX. */
bool ju64(json_object *o, const char *key, uint64_t *out);
/* ju64 as text, or "-". */
const char *ju64_str(json_object *o, const char *key, char *buf, size_t size);
/* A list that may be missing (NULL, *n = 0) but, if there, is an array
 * of objects, or of strings when `strings` is set; else -EBADMSG. */
int jlist(json_object *o, const char *key, bool strings, json_object **list,
	  size_t *n);

/* Two left-aligned columns without a header: "label:  value". */
struct table *kv_new(void);
void kv_add(struct table *t, const char *label, const char *value);
/* Print the tables in order, a blank line between them; frees them. */
int tables_print(FILE *f, struct table **t, int n);

#endif /* SLUICE_CTL_JSON_H */
