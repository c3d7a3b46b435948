// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The config source's pure parts (config_cache.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config_cache.h"
#include "common/fs.h"
#include "common/log.h"

const char *const config_source_names[CSRC__MAX] = {
	[CSRC_FILE] = "file", [CSRC_REDIS] = "redis", [CSRC_CACHE] = "cache",
};

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int config_cache_write(const char *path, const char *text, size_t len,
		       char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	const char *what = "create its directory";
	bool made = false;
	int fd = -1, rc;

	rc = fs_mkdirs_for(path);
	if (rc)
		goto out;
	what = "create a temporary file beside it";
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	made = true;
	/* An older file of another mode: the cache holds policy, 0600. */
	what = "write it";
	if (fchmod(fd, 0600) || (rc = write_all(fd, text, len)) ||
	    fsync(fd)) {
		rc = rc ? rc : -errno;
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		rc = -errno;
		goto out;
	}
	fd = -1;
	what = "rename it into place";
	if (rename(tmp, path))
		rc = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (rc && made)
		unlink(tmp);
	if (rc)
		snprintf(err, errlen, "config cache %s: cannot %s: %s", path,
			 what, strerror(-rc));
	return rc;
}

int config_cache_read(const char *path, char **text, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
		rc = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n ? -errno : -EIO;	/* shrank under us */
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int config_compose(const struct sl_config *boot, const char *name,
		   const char *text, size_t len, struct sl_config **out,
		   char err[CFG_ERR_MAX])
{
	struct sl_config *cfg;
	int rc;

	*out = NULL;
	rc = cfg_parse(name, text, len, &cfg, err);
	if (rc)
		return rc;
	if (cfg->config_source.on)
		log_warn("%s:%d: config_source is ignored in a central config: the config file %s says where the config comes from",
			 name, cfg->config_source.line, boot->path);
	cfg->niface = boot->niface;
	memcpy(cfg->ifaces, boot->ifaces, sizeof(cfg->ifaces));
	memcpy(cfg->control_socket, boot->control_socket,
	       sizeof(cfg->control_socket));
	cfg->metrics = boot->metrics;
	cfg->config_source = boot->config_source;
	if (boot->redis.on) {
		cfg->redis = boot->redis;
	} else if (cfg->redis.on) {
		/* One central host_id would make every host the same one. */
		memcpy(cfg->redis.host_id, boot->config_source.redis.host_id,
		       sizeof(cfg->redis.host_id));
	}
	*out = cfg;
	return 0;
}

char *config_report_json(uint64_t hash, int origin, int64_t loaded_at,
			 int64_t now)
{
	json_object *o = json_object_new_object();
	char h[CSRC_HASH_LEN];
	char *s;

	if (!o)
		return NULL;
	snprintf(h, sizeof(h), "%016llx", (unsigned long long)hash);
	json_object_object_add(o, "hash", json_object_new_string(h));
	json_object_object_add(o, "source", json_object_new_string(
		origin >= 0 && origin < CSRC__MAX ? config_source_names[origin] : "?"));
	json_object_object_add(o, "loaded_at", json_object_new_int64(loaded_at));
	json_object_object_add(o, "reported_at", json_object_new_int64(now));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static const char *jget_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool jget_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

/* One host's row; false for a value that is not a report. */
static bool host_row(json_object *row, const char *value, const char *want,
		     int64_t now, bool *stale, bool *same)
{
	json_object *rep = value ? json_tokener_parse(value) : NULL;
	const char *hash = rep ? jget_str(rep, "hash") : NULL;
	const char *src = rep ? jget_str(rep, "source") : NULL;
	int64_t loaded = 0, reported = 0;
	bool ok = hash && src && jget_int(rep, "loaded_at", &loaded) &&
		  jget_int(rep, "reported_at", &reported);

	*same = ok && want && !strcmp(hash, want);
	*stale = ok && now - reported > CSRC_STALE_S;
	json_object_object_add(row, "hash", ok ? json_object_new_string(hash) : NULL);
	json_object_object_add(row, "source", ok ? json_object_new_string(src) : NULL);
	json_object_object_add(row, "loaded_at", json_object_new_int64(loaded));
	json_object_object_add(row, "reported_at", json_object_new_int64(reported));
	json_object_object_add(row, "age_s", json_object_new_int64(ok ? now - reported : 0));
	json_object_object_add(row, "stale", json_object_new_boolean(*stale));
	json_object_object_add(row, "same", json_object_new_boolean(*same));
	json_object_put(rep);
	return ok;
}

static int by_id(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;

	return strcmp(jget_str(x, "host") ?: "", jget_str(y, "host") ?: "");
}

json_object *config_hosts_compare(const char *want, int n,
				  const char *const *ids,
				  const char *const *values, int64_t now)
{
	json_object *o = json_object_new_object();
	json_object *hosts = json_object_new_array();
	json_object *sum = json_object_new_object();
	int nsame = 0, nstale = 0, nbad = 0;

	if (!o || !hosts || !sum) {
		json_object_put(o);
		json_object_put(hosts);
		json_object_put(sum);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		json_object *row = json_object_new_object();
		bool stale, same;

		json_object_object_add(row, "host", json_object_new_string(ids[i]));
		if (!host_row(row, values[i], want, now, &stale, &same))
			nbad++;
		nsame += same;
		nstale += stale;
		json_object_array_add(hosts, row);
	}
	json_object_array_sort(hosts, by_id);
	json_object_object_add(sum, "hosts", json_object_new_int(n));
	json_object_object_add(sum, "same", json_object_new_int(nsame));
	json_object_object_add(sum, "differ", json_object_new_int(n - nsame));
	json_object_object_add(sum, "stale", json_object_new_int(nstale));
	json_object_object_add(sum, "unreadable", json_object_new_int(nbad));
	json_object_object_add(sum, "all_same",
			       json_object_new_boolean(n && nsame == n));
	json_object_object_add(o, "hosts", hosts);
	json_object_object_add(o, "summary", sum);
	return o;
}
