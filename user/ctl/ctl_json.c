// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Reading daemon answers defensively, and shared tables (ctl_json.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>

#include "ctl/ctl_json.h"
#include "ctl/ctl_print.h"

/* ---- reading the answer: nothing here trusts its shape ------------- */

json_object *jget(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *jstr(json_object *o, const char *key, const char *def)
{
	json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : def;
}

bool jnum(json_object *o, const char *key, double *out)
{
	json_object *v = jget(o, key);

	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return false;
	*out = json_object_get_double(v);
	return isfinite(*out);
}

/* Non-negative integers only; json-c keeps values past INT64_MAX. */
bool ju64(json_object *o, const char *key, uint64_t *out)
{
	json_object *v = jget(o, key);

	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	*out = json_object_get_uint64(v);
	return true;
}

const char *ju64_str(json_object *o, const char *key, char *buf,
			    size_t size)
{
	uint64_t v;

	if (!ju64(o, key, &v))
		return "-";
	snprintf(buf, size, "%" PRIu64, v);
	return buf;
}

/* A list that may be missing (NULL, *n = 0) but, if there, is an array
 * of objects, or of strings when `strings` is set. */
int jlist(json_object *o, const char *key, bool strings,
		 json_object **list, size_t *n)
{
	json_type want = strings ? json_type_string : json_type_object;
	json_object *v = jget(o, key);

	*list = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return -EBADMSG;
	for (size_t i = 0; i < json_object_array_length(v); i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i), want))
			return -EBADMSG;
	*list = v;
	*n = json_object_array_length(v);
	return 0;
}

/* ---- small shared pieces ------------------------------------------- */

int ctl_print_json(FILE *f, json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		return -ENOMEM;
	fprintf(f, "%s\n", s);
	return 0;
}

int ctl_print_json_error(FILE *f, const char *msg)
{
	json_object *o = json_object_new_object();
	int err = -ENOMEM;

	if (o && !json_object_object_add(o, "error",
					 json_object_new_string(msg)))
		err = ctl_print_json(f, o);
	json_object_put(o);
	return err;
}

/* Two left-aligned columns without a header: "label:  value". */
struct table *kv_new(void)
{
	static const struct table_colspec cols[] = {
		{ NULL, TABLE_LEFT }, { NULL, TABLE_LEFT },
	};

	return table_new_columns(TABLE_F_NOHEADER, cols, NCOLS(cols));
}

void kv_add(struct table *t, const char *label, const char *value)
{
	table_row(t);
	table_cell(t, "%s:", label);
	table_cell(t, "%s", value);
}

/* Print the tables in order, a blank line between them. */
int tables_print(FILE *f, struct table **t, int n)
{
	int err = 0;

	for (int i = 0; i < n && !err; i++)
		if (!t[i])
			err = -ENOMEM;
	for (int i = 0; i < n && !err; i++) {
		if (i)
			fputc('\n', f);
		err = table_print(t[i], f, 0);
	}
	for (int i = 0; i < n; i++)
		table_free(t[i]);
	return err;
}
