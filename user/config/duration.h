/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Durations in the config: a number and a unit, "250ms", "1s", "1.5s",
 * "2m", "1h" (a bare number is not one: the unit is never guessed).
 */
#ifndef SLUICE_CONFIG_DURATION_H
#define SLUICE_CONFIG_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* 0 with *ns set, or -EINVAL (syntax, no unit) or -ERANGE (past 64 bits). */
int cfg_duration_parse(const char *s, uint64_t *ns);

/* "250ms", "1s", "1.5s": the shortest exact form.  Returns buf. */
char *cfg_duration_format(uint64_t ns, char *buf, size_t size);

#endif /* SLUICE_CONFIG_DURATION_H */
