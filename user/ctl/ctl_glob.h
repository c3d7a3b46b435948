/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The global limits in sluicectl's printers (ctl_print.c): a client's
 * "global" block, status' "redis" rows.  Internal to ctl/.
 */
#ifndef SLUICE_CTL_GLOB_H
#define SLUICE_CTL_GLOB_H

#include <json-c/json.h>

#include "common/table.h"

/* A client's "global" block as a label: value table; NULL when the
 * answer has none (or without memory). */
struct table *ctl_glob_client(json_object *global);

/* status' "redis" block as rows of the status table t (nothing when
 * the answer has none). */
void ctl_glob_status(struct table *t, json_object *redis);

#endif /* SLUICE_CTL_GLOB_H */
