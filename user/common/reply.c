// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The edge reply renderer (reply.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/reply.h"

static const struct {
	unsigned code;
	const char *reason;
} reasons[] = {
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 203, "Non-Authoritative Information" }, { 206, "Partial Content" },
	{ 300, "Multiple Choices" }, { 301, "Moved Permanently" },
	{ 302, "Found" }, { 303, "See Other" }, { 307, "Temporary Redirect" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 402, "Payment Required" }, { 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
	{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
	{ 411, "Length Required" }, { 412, "Precondition Failed" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" }, { 421, "Misdirected Request" },
	{ 422, "Unprocessable Content" }, { 425, "Too Early" },
	{ 426, "Upgrade Required" }, { 428, "Precondition Required" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 451, "Unavailable For Legal Reasons" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" },
	{ 507, "Insufficient Storage" },
	{ 511, "Network Authentication Required" },
};

const char *reply_reason(unsigned status)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].reason;
	return NULL;
}

bool reply_status_ok(unsigned status)
{
	/* 205 must not have content either (RFC 9110 15.3.6). */
	return status >= 200 && status <= 599 && status != 204 &&
	       status != 205 && status != 304;
}

static bool tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static size_t token_len(const char *s)
{
	size_t n = 0;

	while (tchar((unsigned char)s[n]))
		n++;
	return n;
}

bool reply_token_ok(const char *s)
{
	return s && *s && !s[token_len(s)];
}

static bool vchar_or_ws(unsigned char c)
{
	return (c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t';
}

bool reply_value_ok(const char *s, size_t *bad)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (!vchar_or_ws((unsigned char)s[i])) {
			*bad = i;
			return false;
		}
	if (n && (strchr(" \t", s[0]) || strchr(" \t", s[n - 1]))) {
		*bad = strchr(" \t", s[0]) ? 0 : n - 1;
		return false;
	}
	return true;
}

bool reply_reason_ok(const char *s)
{
	size_t bad;

	return reply_value_ok(s, &bad);
}

static const char *skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

bool reply_media_type_ok(const char *s)
{
	size_t n = token_len(s);

	if (!n || s[n] != '/')
		return false;
	s += n + 1;
	if (!(n = token_len(s)))
		return false;
	for (s += n; *(s = skip_ows(s));) {
		if (*s++ != ';')
			return false;
		s = skip_ows(s);
		if (!*s)
			return true;		/* a trailing ';' is allowed */
		if (!(n = token_len(s)) || s[n] != '=')
			return false;
		s += n + 1;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++)
				if ((*s == '\\' && !*++s) ||
				    !vchar_or_ws((unsigned char)*s))
					return false;
			if (*s++ != '"')
				return false;
		} else if (!(n = token_len(s))) {
			return false;
		} else {
			s += n;
		}
	}
	return true;
}

bool reply_header_reserved(const char *name)
{
	static const char *const own[] = {
		"Content-Length", "Content-Type", "Connection",
		"Transfer-Encoding",
	};

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (!strcasecmp(name, own[i]))
			return true;
	return false;
}

int reply_count_fields(const char *s)
{
	size_t pl = strlen(REPLY_PLACEHOLDER), el = strlen(REPLY_PLACEHOLDER_ESC);
	int n = 0;

	while (s && *s) {
		if (!strncmp(s, REPLY_PLACEHOLDER_ESC, el)) {
			s += el;
		} else if (!strncmp(s, REPLY_PLACEHOLDER, pl)) {
			s += pl;
			n++;
		} else {
			s++;
		}
	}
	return n;
}

unsigned reply_width_for(uint64_t max_s)
{
	unsigned w = 1;

	while (max_s >= 10 && w < SL_REPLY_DIGITS) {
		max_s /= 10;
		w++;
	}
	return w;
}

uint32_t reply_csum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;
	uint16_t w;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, 2);
		sum += w;
	}
	if (i < len) {
		uint8_t last[2] = { p[i], 0 };

		memcpy(&w, last, 2);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

/* ---- rendering ------------------------------------------------------ */

/* The response as it grows: may pass SL_REPLY_MAX, to say by how much. */
struct rbuf {
	char *p;
	size_t len, cap;
	int nfields;
	size_t field_off[SL_REPLY_FIELDS];
	unsigned width;
	int err;
};

static void rb_put(struct rbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2 + 256;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void rb_str(struct rbuf *b, const char *s)
{
	rb_put(b, s, strlen(s));
}

/* `s` with each placeholder as a field of spaces. */
static void rb_expand(struct rbuf *b, const char *s)
{
	static const char spaces[SL_REPLY_DIGITS] = "        ";
	size_t pl = strlen(REPLY_PLACEHOLDER), el = strlen(REPLY_PLACEHOLDER_ESC);

	while (s && *s) {
		if (!strncmp(s, REPLY_PLACEHOLDER_ESC, el)) {
			rb_str(b, REPLY_PLACEHOLDER);
			s += el;
		} else if (!strncmp(s, REPLY_PLACEHOLDER, pl)) {
			if (b->nfields < SL_REPLY_FIELDS)
				b->field_off[b->nfields] = b->len;
			b->nfields++;
			rb_put(b, spaces, b->width);
			s += pl;
		} else {
			rb_put(b, s++, 1);
		}
	}
}

static int spec_check(const struct reply_spec *s, char *err, size_t errlen)
{
	size_t bad;

	if (!reply_status_ok(s->status)) {
		snprintf(err, errlen, "status %u cannot answer a request at the edge (200..599 but 204, 205 and 304)",
			 s->status);
		return -EINVAL;
	}
	if (s->width < 1 || s->width > SL_REPLY_DIGITS) {
		snprintf(err, errlen, "field width %u out of 1..%d", s->width,
			 SL_REPLY_DIGITS);
		return -EINVAL;
	}
	if (s->reason && !reply_reason_ok(s->reason)) {
		snprintf(err, errlen, "reason phrase '%s' has control characters or edge whitespace",
			 s->reason);
		return -EINVAL;
	}
	if (s->content_type && !reply_media_type_ok(s->content_type)) {
		snprintf(err, errlen, "content type '%s' is not a media type like application/json",
			 s->content_type);
		return -EINVAL;
	}
	for (int i = 0; i < s->nheaders; i++) {
		const struct reply_header *h = &s->headers[i];

		if (!reply_token_ok(h->name)) {
			snprintf(err, errlen, "header name '%s' is not a token",
				 h->name);
			return -EINVAL;
		}
		if (reply_header_reserved(h->name)) {
			snprintf(err, errlen, "header %s is written by sluice",
				 h->name);
			return -EINVAL;
		}
		for (int j = 0; j < i; j++)
			if (!strcasecmp(h->name, s->headers[j].name)) {
				snprintf(err, errlen, "header %s appears twice",
					 h->name);
				return -EINVAL;
			}
		if (!reply_value_ok(h->value, &bad)) {
			snprintf(err, errlen, "header %s: value has a control character or edge whitespace at byte %zu",
				 h->name, bad);
			return -EINVAL;
		}
	}
	return 0;
}

int reply_render(const struct reply_spec *s, struct sl_reply *out,
		 char *err, size_t errlen)
{
	struct rbuf b = { .width = s->width }, tmp = { .width = s->width };
	const char *reason = s->reason ? s->reason : reply_reason(s->status);
	char line[64];
	size_t body_len;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = spec_check(s, err, errlen);
	if (ret)
		return ret;
	/* Content-Length from the body as rendered: fields and escapes
	 * change its length. */
	rb_expand(&tmp, s->body);
	body_len = tmp.len;
	free(tmp.p);
	if (tmp.err)
		return tmp.err;

	snprintf(line, sizeof(line), "HTTP/1.1 %u %s\r\n", s->status,
		 reason ? reason : "");
	rb_str(&b, line);
	rb_str(&b, "Content-Type: ");
	rb_str(&b, s->content_type ? s->content_type : REPLY_CT_JSON);
	snprintf(line, sizeof(line), "\r\nContent-Length: %zu\r\n", body_len);
	rb_str(&b, line);
	for (int i = 0; i < s->nheaders; i++) {
		rb_str(&b, s->headers[i].name);
		rb_str(&b, ": ");
		rb_expand(&b, s->headers[i].value);
		rb_str(&b, "\r\n");
	}
	rb_str(&b, "Connection: close\r\n\r\n");
	rb_expand(&b, s->body);
	ret = b.err;
	if (ret)
		goto out;
	if (b.nfields > SL_REPLY_FIELDS) {
		snprintf(err, errlen, "%d places for the retry delay, at most %d",
			 b.nfields, SL_REPLY_FIELDS);
		ret = -EINVAL;
		goto out;
	}
	if (b.len > SL_REPLY_MAX) {
		snprintf(err, errlen, "%zu bytes, %zu over the limit of %d bytes (one TCP segment on a 1280-byte IPv6 path)",
			 b.len, b.len - SL_REPLY_MAX, SL_REPLY_MAX);
		ret = -E2BIG;
		goto out;
	}
	memcpy(out->text, b.p, b.len);
	out->len = b.len;
	out->status = s->status;
	out->nfields = b.nfields;
	out->width = s->width;
	for (int i = 0; i < b.nfields; i++)
		out->field_off[i] = b.field_off[i];
	out->csum = reply_csum(out->text, out->len);
out:
	free(b.p);
	return ret;
}
