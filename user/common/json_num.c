// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_num.h"

char *json_num_format(double v, int decimals, char *buf, size_t size)
{
	char *dot, *end;

	if (!isfinite(v))
		v = 0;		/* JSON has no NaN or infinity */
	snprintf(buf, size, "%.*f", decimals, v);
	dot = strchr(buf, '.');
	if (dot) {
		end = buf + strlen(buf);
		while (end > dot + 1 && end[-1] == '0')
			*--end = '\0';
		if (end == dot + 1)
			*dot = '\0';
	}
	if (!strcmp(buf, "-0"))
		strcpy(buf, "0");
	return buf;
}

json_object *json_num_rounded(double v, int decimals)
{
	char buf[64];

	json_num_format(v, decimals, buf, sizeof(buf));
	/* The value parsed back from the text, so both agree. */
	return json_object_new_double_s(strtod(buf, NULL), buf);
}
