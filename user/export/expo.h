/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The Prometheus text exposition format (0.0.4) and its OpenMetrics 1.0
 * variant, written into a growing buffer.  A family is declared once
 * (expo_family: # HELP and # TYPE) and its samples follow it at once, so
 * families are never split.  Counters are declared by their base name
 * ("sluice_packets"): samples get "_total"; the 0.0.4 HELP/TYPE lines
 * name "sluice_packets_total", the OpenMetrics ones the base name, as
 * each format wants.  Label values are escaped (\\ \" \n).
 *
 * Errors stick: the first one (-ENOMEM, -EINVAL for a bad name or a
 * family declared twice) is kept in e->err and later calls do nothing.
 */
#ifndef SLUICE_EXPORT_EXPO_H
#define SLUICE_EXPORT_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXPO_CT_TEXT	"text/plain; version=0.0.4; charset=utf-8"
#define EXPO_CT_OM	"application/openmetrics-text; version=1.0.0; charset=utf-8"
#define EXPO_FAMILIES_MAX	256

enum expo_type {
	EXPO_COUNTER = 0,
	EXPO_GAUGE,
	EXPO_HISTOGRAM,
};

struct expo_label {
	const char *name, *value;
};

struct expo {
	char *buf;
	size_t len, cap;
	bool om;		/* OpenMetrics */
	int err;
	int type;		/* of the current family */
	char name[128];		/* the current family's base name */
	int nfam;
	char *fams[EXPO_FAMILIES_MAX];	/* declared so far */
};

/* `om`: OpenMetrics, else text 0.0.4. */
void expo_init(struct expo *e, bool om);
void expo_free(struct expo *e);
/* Start over (keeps the buffer). */
void expo_reset(struct expo *e);

/* Declare a family: # HELP and # TYPE. */
void expo_family(struct expo *e, const char *name, enum expo_type type,
		 const char *help);

/* One sample of the current counter or gauge family. */
void expo_u64(struct expo *e, const struct expo_label *l, int nl, uint64_t v);
void expo_double(struct expo *e, const struct expo_label *l, int nl, double v);

/* One histogram of the current histogram family: count[i] observations
 * fell in (le[i-1], le[i]] (not cumulative; le ascending, +Inf implied),
 * over[0] above the last bound; sum of all observations. */
void expo_histogram(struct expo *e, const struct expo_label *l, int nl,
		    const double *le, const uint64_t *count, int n,
		    uint64_t over, double sum);

/* Finish: "# EOF" for OpenMetrics.  0 or the sticky error. */
int expo_end(struct expo *e);

/* The shortest text that reads back as `v` ("+Inf", "NaN" too). */
char *expo_fmt_double(double v, char *buf, size_t len);

/* Does this Accept header ask for OpenMetrics? */
bool expo_wants_om(const char *accept);

#endif /* SLUICE_EXPORT_EXPO_H */
