// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* floodgen: network namespaces, devices and the flood's frame. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floodgen.h"

/* ---- namespaces and devices ------------------------------------------- */

int ns_open(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "floodgen: %s: %s (create it with ip netns add)\n",
			path, strerror(errno));
		return -errno;
	}
	return fd;
}

int ns_enter(int fd)
{
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "floodgen: setns: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

/* ifindex and MAC of `dev` in the calling thread's namespace. */
int dev_info(const char *dev, __u32 *ifindex, __u8 mac[ETH_ALEN])
{
	struct ifreq ifr = {};
	int fd, err = 0;

	*ifindex = if_nametoindex(dev);
	if (!*ifindex) {
		fprintf(stderr, "floodgen: no device %s: %s\n", dev,
			strerror(errno));
		return -ENODEV;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(fd);
	return err;
}

/* rx_packets and rx_drop of `dev` from the thread's own /proc/net/dev. */
int dev_rx_stats(const char *dev, __u64 *packets, __u64 *dropped)
{
	char line[512], name[IFNAMSIZ + 2];
	unsigned long long bytes, pk, errs, drop;
	int err = -ENODEV;
	FILE *f;

	f = fopen("/proc/thread-self/net/dev", "re");
	if (!f)
		return -errno;
	snprintf(name, sizeof(name), "%s:", dev);
	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		while (*p == ' ')
			p++;
		if (strncmp(p, name, strlen(name)))
			continue;
		if (sscanf(p + strlen(name), "%llu %llu %llu %llu", &bytes,
			   &pk, &errs, &drop) == 4) {
			*packets = pk;
			*dropped = drop;
			err = 0;
		}
		break;
	}
	fclose(f);
	return err;
}

/* ---- the frame -------------------------------------------------------- */

static __u16 csum16(const void *p, size_t n, __u32 sum)
{
	const __u8 *b = p;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (__u32)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (__u32)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* One frame of the chosen kind, source = the first source address.
 * Returns its length; *l4_csum_off is where bench_gen must fix the L4
 * checksum (0: none, UDP goes without one). */
size_t frame_build(__u8 *f, const struct opts *o,
			  const __u8 dmac[ETH_ALEN], const __u8 smac[ETH_ALEN],
			  __u32 *l4_csum_off)
{
	static const char http[] =
		"GET / HTTP/1.1\r\nHost: bench.sluice\r\n"
		"User-Agent: floodgen\r\nAccept: */*\r\n\r\n";
	__u8 *ip = f + 14, *l4 = ip + 20, pseudo[12];
	size_t l4len, plen = 0;
	__u32 sum;

	memset(f, 0, 256);
	memcpy(f, dmac, ETH_ALEN);
	memcpy(f + 6, smac, ETH_ALEN);
	f[12] = 0x08;

	if (o->kind == KIND_UDP) {
		plen = 18;				/* a 60-byte frame */
		l4len = 8 + plen;
		l4[0] = 0x9c; l4[1] = 0x40;		/* sport 40000 */
		l4[2] = o->dport >> 8; l4[3] = o->dport & 0xff;
		l4[4] = l4len >> 8; l4[5] = l4len & 0xff;
		memset(l4 + 8, 'x', plen);
		*l4_csum_off = 0;
	} else {
		if (o->kind == KIND_HTTP) {
			plen = sizeof(http) - 1;
			memcpy(l4 + 20, http, plen);
		}
		l4len = 20 + plen;
		l4[0] = 0x9c; l4[1] = 0x40;
		l4[2] = o->dport >> 8; l4[3] = o->dport & 0xff;
		l4[7] = 1;				/* seq 1 */
		if (o->kind == KIND_HTTP)
			l4[11] = 1;			/* ack 1 */
		l4[12] = 5 << 4;			/* doff 5 */
		l4[13] = o->kind == KIND_SYN ? 0x02 : 0x18;	/* SYN / PSH|ACK */
		l4[14] = 0xfa; l4[15] = 0xf0;		/* window 64240 */
		*l4_csum_off = 20 + 16;
	}

	ip[0] = 0x45;
	ip[2] = (20 + l4len) >> 8; ip[3] = (20 + l4len) & 0xff;
	ip[4] = 0x12; ip[5] = 0x34;
	ip[8] = 64;
	ip[9] = o->kind == KIND_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	memcpy(ip + 12, &o->base1, 4);
	memcpy(ip + 16, &o->dst, 4);
	memcpy(ip + 10, &(__u16){ csum16(ip, 20, 0) }, 2);

	if (o->kind != KIND_UDP) {
		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = IPPROTO_TCP;
		pseudo[10] = l4len >> 8;
		pseudo[11] = l4len & 0xff;
		sum = ntohs(~csum16(pseudo, 12, 0) & 0xffff);
		memcpy(l4 + 16, &(__u16){ csum16(l4, l4len, sum) }, 2);
	}
	return 14 + 20 + l4len;
}
