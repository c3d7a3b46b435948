/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Edge replies: HTTP responses the data path sends instead of passing a
 * refused request on (429 for a limit; 503 and fallback bodies for the
 * breakers and degrade to come).
 *
 * sluiced renders every reply the config names into a template: the
 * whole response (status line, headers, body) with the places where the
 * retry delay goes left as spaces.  The data path copies the template,
 * writes the delay's digits left-aligned into each field (the rest stays
 * spaces: optional whitespace at the end of a header value, whitespace
 * after a JSON number) and fixes the checksum from `csum` by the
 * difference the digits make, so a longer body costs no more per packet
 * than a short one.  Content-Length never varies.
 *
 * Templates are double-buffered like the tiers: reply `id` of generation
 * `gen` lives at sl_reply_slot(gen, id) of sl_replies, selected by
 * sl_global.tier_gen.  sl_replies is a config map: its layout may change
 * between releases (it is recreated, not adopted).
 */
#ifndef SLUICE_REPLY_H
#define SLUICE_REPLY_H

#include <linux/types.h>

#define SL_MAP_REPLIES		"sl_replies"

#define SL_MAX_REPLIES		512	/* reply ids 1..511; 0 is none */
/* A rollout's canary templates (include/sluice_rollout.h) take ids
 * SL_REPLY_CANARY_BASE + 1..511, in a third of the map that both
 * generations see: a control reload never touches them. */
#define SL_REPLY_CANARY_BASE	SL_MAX_REPLIES
#define SL_REPLY_IDS		(2 * SL_MAX_REPLIES)	/* ids below this */
#define SL_REPLY_SLOTS		(3 * SL_MAX_REPLIES)
#define SL_REPLY_NONE		0	/* sl_meter.reply: no template */

/* Response bytes, at most: one segment on a 1280-byte IPv6 path with TCP
 * timestamps (1280 - 40 IPv6 - 20 TCP - 12 options = 1208). */
#define SL_REPLY_MAX		1200
#define SL_REPLY_FIELDS		4	/* places the delay is written */
#define SL_REPLY_DIGITS		8	/* widest field: up to 99,999,999 s */

struct sl_reply {
	__u16 len;		/* bytes of text[] in use; 0 = empty slot */
	__u16 status;		/* 429, 503, 200, ...: for the counters */
	__u8  nfields;		/* fields in use, 0..SL_REPLY_FIELDS */
	__u8  width;		/* bytes reserved per field, 1..SL_REPLY_DIGITS */
	__u16 flags;		/* none yet */
	__u16 field_off[SL_REPLY_FIELDS];	/* offsets into text[] */
	/* Ones' complement sum of text[0..len) with every field as spaces:
	 * 16-bit words in host order, as csum_partial and bpf_csum_diff add
	 * them, zero-padded to an even length, folded to 16 bits, not
	 * complemented. */
	__u32 csum;
	__u8  text[SL_REPLY_MAX];
};

static inline __u32 sl_reply_slot(__u32 gen, __u32 id)
{
	if (id >= SL_REPLY_CANARY_BASE)
		return SL_MAX_REPLIES + id;	/* 2 * SL_MAX_REPLIES + n */
	return (gen & 1) * SL_MAX_REPLIES + id;
}

#endif /* SLUICE_REPLY_H */
