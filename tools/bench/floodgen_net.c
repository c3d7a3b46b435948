// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* floodgen: network namespaces, devices and the flood's frame. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
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

/* One counter from a /proc/net/snmp style file: `row` names the line
 * pair ("Ip:"), `col` the column ("InReceives"); or, with no header
 * line (snmp6), `col` names the line. */
static int snmp_read(const char *path, const char *row, const char *col,
		     __u64 *v)
{
	char head[4096], vals[4096], name[128], num[32], *hs, *vs, *h, *x;
	int err = -ENOENT;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (err && fgets(head, sizeof(head), f)) {
		if (!row) {
			if (sscanf(head, "%127s %31s", name, num) == 2 &&
			    !strcmp(name, col)) {
				*v = strtoull(num, NULL, 10);
				err = 0;
			}
			continue;
		}
		if (strncmp(head, row, strlen(row)) || !fgets(vals, sizeof(vals), f))
			continue;
		h = strtok_r(head, " \n", &hs);
		x = strtok_r(vals, " \n", &vs);
		while (h && x && strcmp(h, col)) {
			h = strtok_r(NULL, " \n", &hs);
			x = strtok_r(NULL, " \n", &vs);
		}
		if (h && x) {
			*v = strtoull(x, NULL, 10);
			err = 0;
		}
	}
	fclose(f);
	return err;
}

/* Packets the IPv4 and IPv6 layers received (InReceives) in the
 * thread's namespace: what got past XDP to the stack. */
int stack_rx_stats(__u64 *packets)
{
	__u64 v4 = 0, v6 = 0;
	int err;

	err = snmp_read("/proc/thread-self/net/snmp", "Ip:", "InReceives", &v4);
	/* No snmp6 without the ipv6 module: nothing received there. */
	snmp_read("/proc/thread-self/net/snmp6", NULL, "Ip6InReceives", &v6);
	*packets = v4 + v6;
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

/* The L4 checksum over the pseudo-header (addresses of `alen` bytes
 * each at `addrs`) and the segment. */
static __u16 l4_csum(const __u8 *addrs, size_t alen, __u8 proto,
		     const __u8 *l4, size_t l4len)
{
	__u8 tail[4] = { 0, proto, l4len >> 8, l4len & 0xff };
	__u32 sum;

	sum = ntohs(~csum16(addrs, 2 * alen, 0) & 0xffff);
	sum += ntohs(~csum16(tail, 4, 0) & 0xffff);
	return csum16(l4, l4len, sum);
}

/* One frame of the chosen kind, source = the first source address.
 * Returns its length; *l4_csum_off is where bench_gen must fix the L4
 * checksum (0: none, IPv4 UDP goes without one). */
size_t frame_build(__u8 *f, const struct opts *o,
		   const __u8 dmac[ETH_ALEN], const __u8 smac[ETH_ALEN],
		   __u32 *l4_csum_off)
{
	static const char http[] =
		"GET / HTTP/1.1\r\nHost: bench.sluice\r\n"
		"User-Agent: floodgen\r\nAccept: */*\r\n\r\n";
	size_t iplen = o->v6 ? 40 : 20, l4len, plen = 0;
	__u8 *ip = f + 14, *l4 = ip + iplen;
	__u8 proto = o->kind == KIND_UDP ? IPPROTO_UDP : IPPROTO_TCP;

	memset(f, 0, 256);
	memcpy(f, dmac, ETH_ALEN);
	memcpy(f + 6, smac, ETH_ALEN);
	f[12] = o->v6 ? 0x86 : 0x08;
	f[13] = o->v6 ? 0xdd : 0x00;

	if (o->kind == KIND_UDP) {
		plen = 18;				/* a 60-byte IPv4 frame */
		l4len = 8 + plen;
		l4[0] = 0x9c; l4[1] = 0x40;		/* sport 40000 */
		l4[2] = o->dport >> 8; l4[3] = o->dport & 0xff;
		l4[4] = l4len >> 8; l4[5] = l4len & 0xff;
		memset(l4 + 8, 'x', plen);
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
	}
	/* IPv6 has no header checksum, so UDP must carry one. */
	*l4_csum_off = o->kind != KIND_UDP ? iplen + 16 : o->v6 ? iplen + 6 : 0;

	if (o->v6) {
		__u64 hi = o->base6_1;

		ip[0] = 0x60;
		ip[4] = l4len >> 8; ip[5] = l4len & 0xff;
		ip[6] = proto;
		ip[7] = 64;
		for (int i = 0; i < 8; i++)
			ip[8 + i] = hi >> (56 - 8 * i);
		ip[23] = 2;				/* ::2 in every /64 */
		memcpy(ip + 24, &o->dst6, 16);
		if (*l4_csum_off)
			memcpy(ip + *l4_csum_off, &(__u16){
				l4_csum(ip + 8, 16, proto, l4, l4len) }, 2);
		return 14 + iplen + l4len;
	}
	ip[0] = 0x45;
	ip[2] = (20 + l4len) >> 8; ip[3] = (20 + l4len) & 0xff;
	ip[4] = 0x12; ip[5] = 0x34;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &o->base1, 4);
	memcpy(ip + 16, &o->dst, 4);
	memcpy(ip + 10, &(__u16){ csum16(ip, 20, 0) }, 2);
	if (*l4_csum_off)
		memcpy(ip + *l4_csum_off, &(__u16){
			l4_csum(ip + 12, 4, proto, l4, l4len) }, 2);
	return 14 + iplen + l4len;
}
