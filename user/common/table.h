/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small aligned-table formatter for terminal output: declare columns,
 * add rows of cells, print with each column as wide as its widest cell
 * (headers included), two spaces apart, numbers right-aligned.  Lines
 * carry no trailing blanks.  Plus the human number and duration formats
 * the tables use ("1.2k", "3.4M", "3h12m").
 *
 * Errors are sticky: cells and rows may be added without checking each
 * call, and table_print() returns the first error (-ENOMEM, -EINVAL for
 * a cell past the last column) without printing anything.
 */
#ifndef SLUICE_TABLE_H
#define SLUICE_TABLE_H

#include <stdint.h>
#include <stdio.h>

enum table_align {
	TABLE_LEFT = 0,
	TABLE_RIGHT,		/* numbers */
};

#define TABLE_F_NOHEADER	(1U << 0)	/* key/value lists */

/* Longest output of the table_human_* formatters, with its NUL. */
#define TABLE_HUMAN_MAX		24

struct table;

struct table_colspec {
	const char *header;
	enum table_align align;
};

struct table *table_new(unsigned int flags);
/* table_new() plus table_column() for each of `cols`; NULL on error. */
struct table *table_new_columns(unsigned int flags,
				const struct table_colspec *cols, int n);
void table_free(struct table *t);

/* Columns must all be declared before the first row. */
int table_column(struct table *t, const char *header, enum table_align align);

/* Start a new row; the cells that follow fill it left to right.  Cells
 * not given are printed empty. */
int table_row(struct table *t);
int table_cell(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print every line prefixed by `indent` spaces.  Returns 0 or the first
 * error recorded while the table was built. */
int table_print(const struct table *t, FILE *f, int indent);

int table_rows(const struct table *t);

/* 999 -> "999", 1234 -> "1.2k", 12345 -> "12.3k", 123456 -> "123k",
 * 3.4e6 -> "3.4M", up to "E".  Returns buf (TABLE_HUMAN_MAX bytes). */
char *table_human_count(uint64_t v, char *buf, size_t size);

/* A rate: as a count, but small values keep one decimal ("0.5", "9.9");
 * negative, infinite or not a number gives "-". */
char *table_human_rate(double v, char *buf, size_t size);

/* Seconds as the two largest units: "45s", "12m5s", "3h12m", "2d3h". */
char *table_human_duration(uint64_t secs, char *buf, size_t size);

#endif /* SLUICE_TABLE_H */
