/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* JSON numbers rounded to what they mean: json-c prints a double with
 * %.17g, so 968000001 ns / 1e6 would read "968.00000100000001". */
#ifndef SLUICE_JSON_NUM_H
#define SLUICE_JSON_NUM_H

#include <json-c/json.h>

#define JSON_MS_DECIMALS	3	/* milliseconds: to the microsecond */
#define JSON_PPS_DECIMALS	2	/* packets per second over a sample */
#define JSON_BPS_DECIMALS	0	/* bytes per second: whole bytes */

/* `v` rounded to `decimals` places, printed without trailing zeros
 * ("968", "0.5", "1000.33"); NULL without memory. */
json_object *json_num_rounded(double v, int decimals);

/* The text json_num_rounded() prints; returns buf. */
char *json_num_format(double v, int decimals, char *buf, size_t size);

#endif /* SLUICE_JSON_NUM_H */
