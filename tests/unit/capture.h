/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Capture what a printer writes to a FILE, for exact comparisons. */
#ifndef SLUICE_TEST_CAPTURE_H
#define SLUICE_TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static inline FILE *capture_begin(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	return c->f;
}

/* The text written since capture_begin(); the caller frees it. */
static inline char *capture_end(struct capture *c)
{
	if (c->f)
		fclose(c->f);
	c->f = NULL;
	return c->buf;
}

#endif /* SLUICE_TEST_CAPTURE_H */
