// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `sluicectl top`: the answer as a table. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl_json.h"
#include "ctl/ctl_print.h"

/* "sampled 1 in 64 on tgw0, every packet on tgw1" */
static void sampling(FILE *f, json_object *ifs, size_t n)
{
	fprintf(f, "sampled");
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(ifs, i);
		uint64_t p;

		if (!ju64(o, "sample_period", &p))
			fprintf(f, "%s off on %s", i ? "," : "",
				jstr(o, "name", "-"));
		else if (p == 1)
			fprintf(f, "%s every packet on %s", i ? "," : "",
				jstr(o, "name", "-"));
		else
			fprintf(f, "%s 1 in %llu on %s", i ? "," : "",
				(unsigned long long)p, jstr(o, "name", "-"));
	}
}

static const char *refused_by(json_object *o, char *buf, size_t size)
{
	json_object *by = jget(o, "refused_by");
	const char *limit = jstr(by, "limit", NULL);

	if (!by)
		return "-";
	if (limit)
		snprintf(buf, size, "%s: %s", jstr(by, "reason", "?"), limit);
	else
		snprintf(buf, size, "%s", jstr(by, "reason", "?"));
	return buf;
}

static const char *rate(json_object *o, const char *key, char *buf,
			size_t size)
{
	double v;

	return jnum(o, key, &v) ? table_human_rate(v, buf, size) : "-";
}

int ctl_print_top(FILE *f, json_object *d)
{
	static const struct table_colspec cols[] = {
		{ "INTERFACE", TABLE_LEFT }, { "TIER", TABLE_LEFT },
		{ "CLIENT", TABLE_LEFT }, { "PASSED/s", TABLE_RIGHT },
		{ "REFUSED/s", TABLE_RIGHT }, { "BYTES/s", TABLE_RIGHT },
		{ "REFUSED BY", TABLE_LEFT },
	};
	json_object *clients, *ifs;
	char a[FIELD_MAX], b[FIELD_MAX], c[FIELD_MAX], by[160];
	struct table *t;
	size_t n, nifs;
	double window = 0;
	uint64_t left;
	int err;

	err = jlist(d, "clients", false, &clients, &n);
	if (!err)
		err = jlist(d, "interfaces", false, &ifs, &nifs);
	if (err)
		return err;
	jnum(d, "window_s", &window);
	fprintf(f, "top clients by %s over the last %.1f s (",
		jstr(d, "by", "?"), window);
	sampling(f, ifs, nifs);
	fprintf(f, ")\n");
	if (ju64(d, "left_out", &left) && left)
		fprintf(f, "(table full: about %llu packets of further clients left out)\n",
			(unsigned long long)left);
	if (!n) {
		fprintf(f, "no client has %s traffic in that window\n",
			!strcmp(jstr(d, "by", ""), "passed") ? "passed" :
			!strcmp(jstr(d, "by", ""), "bytes") ? "sent" : "refused");
		return 0;
	}
	t = table_new_columns(0, cols, NCOLS(cols));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(clients, i);

		table_row(t);
		table_cell(t, "%s", jstr(o, "interface", "-"));
		table_cell(t, "%s", jstr(o, "tier", "-"));
		table_cell(t, "%s", jstr(o, "key", "-"));
		table_cell(t, "%s", rate(o, "passed_pps", a, sizeof(a)));
		table_cell(t, "%s", rate(o, "refused_pps", b, sizeof(b)));
		table_cell(t, "%s", rate(o, "bps", c, sizeof(c)));
		table_cell(t, "%s", refused_by(o, by, sizeof(by)));
	}
	fputc('\n', f);
	return tables_print(f, &t, 1);
}
