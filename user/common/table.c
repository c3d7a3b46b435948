// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/table.h"

#define TABLE_GAP	2

struct table_col {
	char *header;
	enum table_align align;
};

struct table {
	unsigned int flags;
	int ncols, nrows, rows_cap;
	int cur;		/* cells filled in the last row */
	int err;		/* first error, sticky */
	struct table_col *cols;
	char **cells;		/* nrows * ncols, NULL = empty */
};

struct table *table_new(unsigned int flags)
{
	struct table *t = calloc(1, sizeof(*t));

	if (t)
		t->flags = flags;
	return t;
}

struct table *table_new_columns(unsigned int flags,
				const struct table_colspec *cols, int n)
{
	struct table *t = table_new(flags);

	for (int i = 0; t && i < n; i++) {
		if (table_column(t, cols[i].header, cols[i].align)) {
			table_free(t);
			return NULL;
		}
	}
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->ncols; i++)
		free(t->cols[i].header);
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cols);
	free(t->cells);
	free(t);
}

static int table_fail(struct table *t, int err)
{
	if (!t->err)
		t->err = err;
	return err;
}

int table_column(struct table *t, const char *header, enum table_align align)
{
	struct table_col *cols;

	if (t->err)
		return t->err;
	if (t->nrows)
		return table_fail(t, -EINVAL);
	cols = realloc(t->cols, (t->ncols + 1) * sizeof(*cols));
	if (!cols)
		return table_fail(t, -ENOMEM);
	t->cols = cols;
	cols[t->ncols].header = strdup(header ? header : "");
	cols[t->ncols].align = align;
	if (!cols[t->ncols].header)
		return table_fail(t, -ENOMEM);
	t->ncols++;
	return 0;
}

int table_row(struct table *t)
{
	if (t->err)
		return t->err;
	if (!t->ncols)
		return table_fail(t, -EINVAL);
	if (t->nrows == t->rows_cap) {
		int cap = t->rows_cap ? 2 * t->rows_cap : 8;
		char **cells = realloc(t->cells,
				       (size_t)cap * t->ncols * sizeof(*cells));

		if (!cells)
			return table_fail(t, -ENOMEM);
		t->cells = cells;
		t->rows_cap = cap;
	}
	memset(&t->cells[t->nrows * t->ncols], 0, t->ncols * sizeof(char *));
	t->nrows++;
	t->cur = 0;
	return 0;
}

int table_cell(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (t->err)
		return t->err;
	if (!t->nrows || t->cur >= t->ncols)
		return table_fail(t, -EINVAL);
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return table_fail(t, -ENOMEM);
	t->cells[(t->nrows - 1) * t->ncols + t->cur++] = s;
	return 0;
}

int table_rows(const struct table *t)
{
	return t->nrows;
}

/* Display width: UTF-8 code points, so a tier named "café" lines up. */
static int str_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void line_print(const struct table *t, FILE *f, int indent,
		       const int *width, char *const *cells)
{
	int last = -1, pad = indent;

	for (int c = 0; c < t->ncols; c++)
		if (cells[c] && *cells[c])
			last = c;
	for (int c = 0; c <= last; c++) {
		const char *s = cells[c] ? cells[c] : "";
		int fill = width[c] - str_width(s);

		if (t->cols[c].align == TABLE_RIGHT)
			pad += fill;
		fprintf(f, "%*s%s", pad, "", s);
		pad = TABLE_GAP;
		if (t->cols[c].align == TABLE_LEFT)
			pad += fill;
	}
	fputc('\n', f);
}

int table_print(const struct table *t, FILE *f, int indent)
{
	bool header = !(t->flags & TABLE_F_NOHEADER);
	char **hdr;
	int *width;

	if (t->err || !t->ncols)
		return t->err;
	width = calloc(t->ncols, sizeof(*width));
	hdr = calloc(t->ncols, sizeof(*hdr));
	if (!width || !hdr) {
		free(width);
		free(hdr);
		return -ENOMEM;
	}
	for (int c = 0; c < t->ncols; c++) {
		hdr[c] = t->cols[c].header;
		if (header)
			width[c] = str_width(hdr[c]);
		for (int r = 0; r < t->nrows; r++) {
			const char *s = t->cells[r * t->ncols + c];
			int w = s ? str_width(s) : 0;

			if (w > width[c])
				width[c] = w;
		}
	}
	if (header)
		line_print(t, f, indent, width, hdr);
	for (int r = 0; r < t->nrows; r++)
		line_print(t, f, indent, width, &t->cells[r * t->ncols]);
	free(width);
	free(hdr);
	return 0;
}

/* v >= 1000 scaled to k..E: one decimal below 100 of the unit, none
 * above; the choice is made on the rounded value, so 999999 is "1.0M"
 * and not "1000k". */
static char *human_scaled(double v, char *buf, size_t size)
{
	static const char units[] = "kMGTPE";

	for (size_t i = 0; i < sizeof(units) - 1; i++) {
		double s = v / pow(1000, i + 1);

		if (s < 99.95) {
			snprintf(buf, size, "%.1f%c", s, units[i]);
			return buf;
		}
		if (s < 999.5 || i == sizeof(units) - 2) {
			snprintf(buf, size, "%.0f%c", s, units[i]);
			return buf;
		}
	}
	return buf;
}

char *table_human_count(uint64_t v, char *buf, size_t size)
{
	if (v < 1000) {
		snprintf(buf, size, "%llu", (unsigned long long)v);
		return buf;
	}
	return human_scaled((double)v, buf, size);
}

char *table_human_rate(double v, char *buf, size_t size)
{
	if (!isfinite(v) || v < 0)
		snprintf(buf, size, "-");
	else if (v == 0)
		snprintf(buf, size, "0");
	else if (v < 9.95)
		snprintf(buf, size, "%.1f", v);
	else if (v < 999.5)
		snprintf(buf, size, "%.0f", v);
	else
		human_scaled(v, buf, size);
	return buf;
}

char *table_human_duration(uint64_t secs, char *buf, size_t size)
{
	unsigned long long s = secs;

	if (s < 60)
		snprintf(buf, size, "%llus", s);
	else if (s < 3600)
		snprintf(buf, size, "%llum%llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lluh%llum", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%llud%lluh", s / 86400, s % 86400 / 3600);
	return buf;
}
