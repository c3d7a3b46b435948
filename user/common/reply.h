/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Rendering edge replies (include/sluice_reply.h): any status, headers
 * and body into one struct sl_reply template.  The renderer writes the
 * status line, Content-Type, an exact Content-Length, the caller's
 * headers, Connection: close and the body; every REPLY_PLACEHOLDER in a
 * header value or the body becomes a field of `width` spaces where the
 * data path writes the retry delay's digits.  "{{retry_after}}" stands
 * for the text "{retry_after}" itself.
 */
#ifndef SLUICE_COMMON_REPLY_H
#define SLUICE_COMMON_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice_reply.h"

#define REPLY_PLACEHOLDER	"{retry_after}"
#define REPLY_PLACEHOLDER_ESC	"{{retry_after}}"
#define REPLY_CT_JSON		"application/json"

struct reply_header {
	const char *name;		/* a token */
	const char *value;		/* printable ASCII, may hold placeholders */
};

struct reply_spec {
	unsigned status;		/* 200..599 but 204 and 304 */
	const char *reason;		/* NULL: reply_reason(status) */
	const char *content_type;	/* NULL: REPLY_CT_JSON */
	const char *body;		/* NULL: empty (Content-Length: 0) */
	const struct reply_header *headers;
	int nheaders;
	unsigned width;			/* digits per field, 1..SL_REPLY_DIGITS */
};

/* Render `s` into `out` (zeroed first).  0, or -EINVAL with `err` saying
 * what is wrong (status, a header, too many fields) or -E2BIG when the
 * response would exceed SL_REPLY_MAX ("N bytes, M over the limit of
 * 1200 bytes"). */
int reply_render(const struct reply_spec *s, struct sl_reply *out,
		 char *err, size_t errlen);

/* The reason phrase of a registered status (RFC 9110 and RFC 6585), or
 * NULL.  An unregistered code without a reason gets an empty phrase. */
const char *reply_reason(unsigned status);

/* Can a status carry the body and Connection: close an edge reply has?
 * Not 1xx (interim), 204 or 304 (no content). */
bool reply_status_ok(unsigned status);

/* RFC 9110 token (header names, media type parts). */
bool reply_token_ok(const char *s);
/* A header value: printable ASCII, SP and HTAB inside, no leading or
 * trailing whitespace; *bad = offset of the first bad byte. */
bool reply_value_ok(const char *s, size_t *bad);
/* type "/" subtype *( OWS ";" OWS token "=" ( token / quoted-string ) ) */
bool reply_media_type_ok(const char *s);
/* Headers the renderer writes itself, refused from callers. */
bool reply_header_reserved(const char *name);
/* A reason phrase: printable ASCII and SP/HTAB. */
bool reply_reason_ok(const char *s);

/* Placeholders in `s` (the escaped form does not count). */
int reply_count_fields(const char *s);

/* Digits for a delay of up to `max_s` seconds, 1..SL_REPLY_DIGITS. */
unsigned reply_width_for(uint64_t max_s);

/* The template's checksum (sluice_reply.h): 16-bit words in host order,
 * folded, not complemented. */
uint32_t reply_csum(const uint8_t *p, size_t len);

#endif /* SLUICE_COMMON_REPLY_H */
