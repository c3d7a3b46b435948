// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config/config.h"
#include "config/metrics.h"
#include "config/walk.h"

static int listen_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !v || v > 65535)
		return -EINVAL;
	*port = v;
	return 0;
}

int cfg_listen_parse(const char *s, struct cfg_listen *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!strcmp(s, "off")) {
		snprintf(out->text, sizeof(out->text), "off");
		return 0;
	}
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -EINVAL;
		n = colon - s - 1;
		colon++;
		s++;
		out->family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		n = colon - s;
		out->family = AF_INET;
	}
	if (!n || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(out->family, host, out->addr) != 1 ||
	    listen_port(colon + 1, &out->port))
		return -EINVAL;
	out->on = true;
	inet_ntop(out->family, out->addr, host, sizeof(host));
	snprintf(out->text, sizeof(out->text),
		 out->family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, out->port);
	return 0;
}

int cfg_listen_node(struct cfg_walk *w, yaml_node_t *v, unsigned port,
		    struct cfg_listen *out)
{
	const char *s = walk_scalar(v);
	char what[96];

	if (s && !cfg_listen_parse(s, out))
		return 0;
	snprintf(what, sizeof(what), "an address and port like 127.0.0.1:%u or [::1]:%u, or off",
		 port, port);
	return walk_expect(w, v, what);
}

static int parse_listen(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return cfg_listen_node(w, v, 9469, &((struct sl_config *)obj)->metrics);
}

static const struct cfg_key metrics_keys[] = {
	{ "listen", parse_listen },
};

int cfg_parse_metrics(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	unsigned seen;

	return walk_map(w, v, metrics_keys, NKEYS(metrics_keys), obj,
			"a mapping like {listen: 127.0.0.1:9469}", &seen);
}
