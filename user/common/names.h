/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one spelling of every enum that reaches a config file, a log line,
 * the control protocol or sluicectl's output.  Each enum has a table;
 * name_of() maps a value to its name ("?" when out of range), and
 * name_parse() a name back to its value.
 */
#ifndef SLUICE_NAMES_H
#define SLUICE_NAMES_H

#include <stddef.h>

struct sl_names {
	const char *const *name;	/* indexed by the enum value */
	int n;
};

extern const struct sl_names sl_mode_names;	/* enum sl_mode: enforce|shadow */
extern const struct sl_names sl_policy_names;	/* enum sl_policy: pass|drop */
extern const struct sl_names sl_unit_names;	/* enum sl_unit (none = unused slot) */
extern const struct sl_names sl_action_names;	/* enum sl_action */
extern const struct sl_names sl_verdict_names;	/* enum sl_tier_verdict */
extern const struct sl_names sl_reason_names;	/* enum sl_reason: counter rows */
extern const struct sl_names sl_event_names;	/* enum sl_event: parser events */
extern const struct sl_names sl_attach_names;	/* enum cfg_attach: auto|native|generic */
extern const struct sl_names sl_log_level_names; /* enum log_level / cfg_log_level */
extern const struct sl_names sl_on_down_names;	/* enum cfg_on_down: local|share */
extern const struct sl_names sl_scope_names;	/* enum cfg_scope: local|global */
extern const struct sl_names sl_algorithm_names; /* enum cfg_algorithm */
extern const struct sl_names sl_svc_code_names;	/* enum sl_svc_code: other|1xx..5xx|429|500|502..504 */

/* `v`'s name, or "?" for a value the table does not know. */
const char *name_of(const struct sl_names *t, int v);

/* The value named `s`, or -EINVAL.  Names from index `first` on count
 * (the config accepts no unit "none": first = SL_UNIT_PACKETS). */
int name_parse(const struct sl_names *t, const char *s, int first);

/* "a|b|c" from index `first` on, for "expected one of ..." messages. */
char *name_list(const struct sl_names *t, int first, const char *sep,
		char *buf, size_t size);

static inline const char *mode_name(int v)	{ return name_of(&sl_mode_names, v); }
static inline const char *unit_name(int v)	{ return name_of(&sl_unit_names, v); }
static inline const char *action_name(int v)	{ return name_of(&sl_action_names, v); }
static inline const char *verdict_name(int v)	{ return name_of(&sl_verdict_names, v); }
static inline const char *reason_name(int v)	{ return name_of(&sl_reason_names, v); }
static inline const char *event_name(int v)	{ return name_of(&sl_event_names, v); }
static inline const char *attach_name(int v)	{ return name_of(&sl_attach_names, v); }
static inline const char *policy_name(int v)	{ return name_of(&sl_policy_names, v); }

#endif /* SLUICE_NAMES_H */
