// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Config loading.  libyaml's document API gives a node tree with line
 * and column marks; walk.c walks it with one key table per mapping, one
 * file per section (tiers.c, limits.c; the top level and interfaces
 * here).  Every check runs before cfg_parse() returns: the first error
 * found is reported as "FILE:LINE:COL: key.path: expected ..., got
 * '...'" and nothing partial is handed out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "config/config.h"
#include "config/degrade.h"
#include "config/metrics.h"
#include "config/services.h"
#include "config/tiers.h"
#include "config/walk.h"
#include "config/webhook.h"
#include "common/names.h"
#include "common/proto.h"

#define FILE_MAX		(64U << 20)

/* ---- interfaces ----------------------------------------------------- */

static int iface_name(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	const struct sl_config *cfg = w->section;
	struct cfg_iface *f = obj;
	const char *s = walk_scalar(v);
	size_t len = s ? strlen(s) : 0;

	/* The kernel's dev_valid_name() rules. */
	if (!len || len >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, "..") ||
	    strpbrk(s, "/: \t\n\r\f\v"))
		return walk_expect(w, v, "an interface name (1..15 characters, no '/', ':' or spaces)");
	for (int i = 0; i < cfg->niface; i++)
		if (!strcmp(cfg->ifaces[i].name, s))
			return walk_err(w, v, "expected each interface once, got '%s' again", s);
	memcpy(f->name, s, len + 1);
	return 0;
}

static int iface_attach(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return walk_enum(w, v, &sl_attach_names, 0,
			 &((struct cfg_iface *)obj)->attach);
}

static const struct cfg_key iface_keys[] = {
	{ "name", iface_name },
	{ "attach", iface_attach },
};

static int iface_parse(struct cfg_walk *w, yaml_node_t *v)
{
	struct sl_config *cfg = w->section;
	struct cfg_iface *f = &cfg->ifaces[cfg->niface];
	unsigned seen;
	int err;

	if (cfg->niface == CFG_MAX_IFACES)	/* parse_interfaces counted */
		return walk_err(w, v, "expected at most %d interfaces, got more",
				CFG_MAX_IFACES);
	memset(f, 0, sizeof(*f));
	if (v && v->type == YAML_MAPPING_NODE) {
		err = walk_map(w, v, iface_keys, NKEYS(iface_keys), f, "{name, attach}", &seen);
		if (!err && !(seen & KEY_BIT(0)))
			err = walk_missing(w, v, "name", "an interface name");
	} else if (v && v->type == YAML_SCALAR_NODE) {
		err = iface_name(w, v, f);
	} else {
		err = walk_expect(w, v, "an interface name or {name: eth0, attach: auto|native|generic}");
	}
	if (!err)
		cfg->niface++;
	return err;
}

static int parse_interfaces(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	const struct sl_config *cfg = obj;
	int n, err = 0;

	if (cfg->niface)
		return walk_expect(w, v, "either interface or interfaces, not both");
	if (!v || v->type != YAML_SEQUENCE_NODE || !(n = walk_seq_len(v)))
		return walk_expect(w, v, "a list of interfaces like [eth0, {name: eth1, attach: generic}]");
	if (n > CFG_MAX_IFACES) {
		size_t mark = walk_path_push(w, "[%d]", CFG_MAX_IFACES);

		err = walk_err(w, walk_seq_item(w, v, CFG_MAX_IFACES),
			       "expected at most %d interfaces, got %d",
			       CFG_MAX_IFACES, n);
		walk_path_pop(w, mark);
		return err;
	}
	for (int i = 0; i < n && !err; i++) {
		size_t mark = walk_path_push(w, "[%d]", i);

		err = iface_parse(w, walk_seq_item(w, v, i));
		walk_path_pop(w, mark);
	}
	return err;
}

static int parse_interface(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	if (((const struct sl_config *)obj)->niface)
		return walk_expect(w, v, "either interface or interfaces, not both");
	return iface_parse(w, v);
}

/* ---- top level ------------------------------------------------------ */

static int parse_mode(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return walk_enum(w, v, &sl_mode_names, 0, &((struct sl_config *)obj)->mode);
}

static int parse_malformed(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return walk_enum(w, v, &sl_policy_names, 0, &((struct sl_config *)obj)->malformed);
}

static int parse_log_level(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return walk_enum(w, v, &sl_log_level_names, 0, &((struct sl_config *)obj)->log_level);
}

static int parse_clients(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	uint64_t x;
	int err = walk_uint(w, v, CFG_CLIENTS_MIN, CFG_CLIENTS_MAX,
			     "a client table size", &x);

	if (!err)
		((struct sl_config *)obj)->client_table_size = x;
	return err;
}

static int parse_socket(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct sl_config *cfg = obj;
	const char *s = walk_scalar(v);

	if (!s || s[0] != '/' || strlen(s) >= sizeof(cfg->control_socket))
		return walk_expect(w, v, "an absolute path of at most 107 characters");
	strcpy(cfg->control_socket, s);
	return 0;
}

enum { K_IFACES, K_IFACE, K_TIERS };

static const struct cfg_key top_keys[] = {
	[K_IFACES]	= { "interfaces", parse_interfaces },
	[K_IFACE]	= { "interface", parse_interface },
	[K_TIERS]	= { "tiers", cfg_parse_tiers },
	{ "mode", parse_mode },
	{ "malformed", parse_malformed },
	{ "client_table_size", parse_clients },
	{ "control_socket", parse_socket },
	{ "log_level", parse_log_level },
	{ "services", cfg_parse_services },
	{ "degrade", cfg_parse_degrade },
	{ "webhook", cfg_parse_webhook },
	{ "metrics", cfg_parse_metrics },
	{ "edge_connections", cfg_parse_edge_conn },
	{ "redis", cfg_parse_redis },
	{ "config_source", cfg_parse_config_source },
};

static int cfg_walk_top(struct cfg_walk *w, yaml_node_t *root)
{
	struct sl_config *cfg = w->section;
	unsigned seen;
	int err;

	cfg->mode = SL_MODE_ENFORCE;
	cfg->malformed = SL_POLICY_PASS;
	cfg->client_table_size = SL_DEFAULT_CLIENTS;
	cfg->log_level = CFG_LOG_INFO;
	cfg->default_tier = -1;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 SL_CONTROL_SOCKET);
	cfg_listen_parse(CFG_METRICS_DEFAULT, &cfg->metrics);
	cfg->edge_conn.min_wait_ns = CFG_EDGE_MIN_WAIT_NS;
	degrade_cfg_default(&cfg->degrade);
	cfg_webhook_default(&cfg->webhook);
	cfg_redis_default(&cfg->redis);

	if (!root)
		return walk_err(w, NULL, "expected a mapping with interfaces and tiers, got an empty file");
	err = walk_map(w, root, top_keys, NKEYS(top_keys),
		       cfg, "a mapping with interfaces and tiers", &seen);
	if (err)
		return err;
	if (!(seen & (KEY_BIT(K_IFACES) | KEY_BIT(K_IFACE))))
		return walk_missing(w, root, "interfaces",
				    "a list of interfaces like [eth0]");
	if (!(seen & KEY_BIT(K_TIERS)))
		return walk_missing(w, root, "tiers", "a list of tiers");
	cfg_tiers_finish(cfg);
	err = cfg_redis_finish(w, root, cfg);
	return err ? err : cfg_check_global(w, root, cfg);
}

/* ---- entry points --------------------------------------------------- */

uint64_t cfg_hash(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int cfg_parse(const char *name, const char *text, size_t len,
	      struct sl_config **out, char err[CFG_ERR_MAX])
{
	struct cfg_walk w = { .name = name, .err = err };
	yaml_document_t doc, extra;
	yaml_parser_t parser;
	struct sl_config *cfg;
	int ret, loaded = 0;

	*out = NULL;
	err[0] = '\0';
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg || !yaml_parser_initialize(&parser)) {
		free(cfg);
		snprintf(err, CFG_ERR_MAX, "%s: out of memory", name);
		return -ENOMEM;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	cfg->hash = cfg_hash(text, len);
	w.section = cfg;	/* the top level's state: the config itself */
	w.doc = &doc;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

	if (!yaml_parser_load(&parser, &doc)) {
		ret = walk_yaml_fail(&w, &parser, text, len);
		goto out;
	}
	loaded = 1;
	ret = cfg_walk_top(&w, yaml_document_get_root_node(&doc));
	if (ret)
		goto out;
	/* A second document would be silently ignored: refuse it. */
	if (!yaml_parser_load(&parser, &extra)) {
		ret = walk_yaml_fail(&w, &parser, text, len);
		goto out;
	}
	if (yaml_document_get_root_node(&extra))
		ret = walk_err(&w, yaml_document_get_root_node(&extra),
			       "expected one YAML document, got a second one");
	yaml_document_delete(&extra);
out:
	if (ret && !err[0])
		snprintf(err, CFG_ERR_MAX, "%s: %s", name, strerror(-ret));
	if (loaded)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ret) {
		cfg_free(cfg);
		return ret;
	}
	*out = cfg;
	return 0;
}

int cfg_load(const char *path, struct sl_config **out, char err[CFG_ERR_MAX])
{
	size_t len = 0, cap = 0;
	char *text = NULL, *t;
	struct stat st;
	FILE *f;
	int ret = 0;

	*out = NULL;
	f = fopen(path, "re");
	if (!f || fstat(fileno(f), &st)) {
		ret = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto out;
	}
	/* Read to EOF rather than trust st_size: pipes (-c <(...)) work too. */
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			if (cap > FILE_MAX + 1) {
				ret = -EFBIG;
				goto out;
			}
			t = realloc(text, cap + 1);
			if (!t) {
				ret = -ENOMEM;
				goto out;
			}
			text = t;
		}
		len += fread(text + len, 1, cap - len, f);
	} while (len == cap);
	if (ferror(f))
		ret = -EIO;
out:
	if (f)
		fclose(f);
	if (ret)
		snprintf(err, CFG_ERR_MAX, "%s: cannot read: %s", path,
			 ret == -EFBIG ? "larger than 64 MiB" : strerror(-ret));
	else
		ret = cfg_parse(path, text, len, out, err);
	free(text);
	return ret;
}

void cfg_free(struct sl_config *cfg)
{
	if (!cfg)
		return;
	for (int i = 0; i < cfg->ntiers && cfg->tiers; i++) {
		free(cfg->tiers[i].match);
		cfg_reply_free(cfg->tiers[i].reply);
		for (int k = 0; k < SL_METERS_PER_TIER; k++)
			cfg_reply_free(cfg->tiers[i].meters[k].reply);
	}
	free(cfg->tiers);
	for (int i = 0; i < cfg->nservices && cfg->services; i++)
		cfg_reply_free(cfg->services[i].fallback);
	free(cfg->services);
	free(cfg);
}
