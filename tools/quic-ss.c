// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic-ss: QUIC sockets through sock_diag, as ss(8) shows TCP's: Debian's
 * ss cannot ask for IPPROTO_QUIC (261 does not fit in the request's
 * protocol byte), so this asks with an INET_DIAG_REQ_PROTOCOL attribute
 * and prints what ss -tinme prints for TCP, with the QUIC fields of
 * struct quic_info.  See quic-ss(8).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/quic.h>
#include <linux/sock_diag.h>

/* TCP's state numbers, which QUIC sockets use */
enum { ST_ESTABLISHED = 1, ST_SYN_SENT = 2, ST_CLOSE = 7, ST_LISTEN = 10 };

struct opts {
	int		family;		/* AF_UNSPEC: both */
	uint32_t	states;
	bool		info, mem, ext;
	uint16_t	sport, dport;	/* host order; 0: any */
	const char	*src, *dst;	/* address filters (bytecode) */
	const char	*exact[2];	/* one socket: local, peer */
};

static const char *state_name(int st)
{
	switch (st) {
	case ST_ESTABLISHED:	return "ESTAB";
	case ST_SYN_SENT:	return "SYN-SENT";
	case ST_LISTEN:		return "LISTEN";
	case ST_CLOSE:		return "CLOSE";
	default:		return "UNKNOWN";
	}
}

/* "ADDR:PORT" (IPv6 in brackets) of a diag socket id */
static void fmt_addr(char *out, size_t len, int family, const uint32_t *a,
		     uint16_t port)
{
	char ip[INET6_ADDRSTRLEN] = "*";
	static const uint32_t zero[4];

	if (memcmp(a, zero, family == AF_INET ? 4 : 16))
		inet_ntop(family, a, ip, sizeof(ip));
	if (family == AF_INET6 && strcmp(ip, "*"))
		snprintf(out, len, "[%s]:%u", ip, port);
	else if (port)
		snprintf(out, len, "%s:%u", ip, port);
	else
		snprintf(out, len, "%s:*", ip);
}

static void print_cid(const char *name, const uint8_t *id, unsigned int n)
{
	unsigned int i;

	if (!n)
		return;
	printf(" %s:", name);
	for (i = 0; i < n && i < QUIC_INFO_CID_MAX; i++)
		printf("%02x", id[i]);
}

static void print_info(const struct quic_info *q)
{
	printf("\t version:%#x %s", q->quici_version,
	       q->quici_role ? "server" : "client");
	print_cid("scid", q->quici_scid, q->quici_scid_len);
	print_cid("dcid", q->quici_dcid, q->quici_dcid_len);
	printf(" rtt:%.3f/%.3f", q->quici_srtt / 1000.0,
	       q->quici_rttvar / 1000.0);
	if (q->quici_min_rtt)
		printf(" minrtt:%.3f", q->quici_min_rtt / 1000.0);
	printf(" mss:%u cwnd:%u", q->quici_mss, q->quici_cwnd);
	if (q->quici_ssthresh)
		printf(" ssthresh:%u", q->quici_ssthresh);
	printf(" inflight:%u lost:%u ptos:%u backoff:%u streams:%u",
	       q->quici_in_flight, q->quici_lost, q->quici_ptos,
	       q->quici_pto_count, q->quici_streams);
	printf(" data_sent:%llu/%llu data_rcvd:%llu/%llu key_phase:%u",
	       (unsigned long long)q->quici_send_data,
	       (unsigned long long)q->quici_send_max_data,
	       (unsigned long long)q->quici_recv_data,
	       (unsigned long long)q->quici_recv_max_data,
	       q->quici_key_phase);
	printf("%s%s%s%s%s", q->quici_flags & QUIC_INFO_F_HANDSHAKE_DONE ?
	       " handshake_done" : "",
	       q->quici_flags & QUIC_INFO_F_CONFIRMED ? " confirmed" : "",
	       q->quici_flags & QUIC_INFO_F_CLOSING ? " closing" : "",
	       q->quici_flags & QUIC_INFO_F_DRAINING ? " draining" : "",
	       q->quici_flags & QUIC_INFO_F_VALIDATED ? " validated" : "");
}

static void print_msg(const struct opts *o, struct nlmsghdr *h)
{
	struct inet_diag_msg *r = NLMSG_DATA(h);
	struct rtattr *a;
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*r));
	const struct quic_info *qi = NULL;
	const uint32_t *skmem = NULL;
	const char *cong = NULL;
	char l[64], p[64];

	fmt_addr(l, sizeof(l), r->idiag_family, r->id.idiag_src,
		 ntohs(r->id.idiag_sport));
	fmt_addr(p, sizeof(p), r->idiag_family, r->id.idiag_dst,
		 ntohs(r->id.idiag_dport));
	printf("%-10s %-6u %-6u %-40s %-40s", state_name(r->idiag_state),
	       r->idiag_rqueue, r->idiag_wqueue, l, p);
	if (o->ext)
		printf(" uid:%u ino:%u sk:%08x%08x", r->idiag_uid,
		       r->idiag_inode, r->id.idiag_cookie[1],
		       r->id.idiag_cookie[0]);
	for (a = (struct rtattr *)(r + 1); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type == INET_DIAG_INFO &&
		    RTA_PAYLOAD(a) >= (int)sizeof(*qi))
			qi = RTA_DATA(a);
		else if (a->rta_type == INET_DIAG_SKMEMINFO &&
			 RTA_PAYLOAD(a) >= (int)(SK_MEMINFO_VARS * sizeof(uint32_t)))
			skmem = RTA_DATA(a);
		else if (a->rta_type == INET_DIAG_CONG)
			cong = RTA_DATA(a);
	}
	putchar('\n');
	if (skmem)
		printf("\t skmem:(r%u,rb%u,t%u,tb%u,f%u,w%u,o%u,bl%u,d%u)\n",
		       skmem[SK_MEMINFO_RMEM_ALLOC], skmem[SK_MEMINFO_RCVBUF],
		       skmem[SK_MEMINFO_WMEM_ALLOC], skmem[SK_MEMINFO_SNDBUF],
		       skmem[SK_MEMINFO_FWD_ALLOC],
		       skmem[SK_MEMINFO_WMEM_QUEUED], skmem[SK_MEMINFO_OPTMEM],
		       skmem[SK_MEMINFO_BACKLOG], skmem[SK_MEMINFO_DROPS]);
	if (qi || cong) {
		if (qi)
			print_info(qi);
		else
			putchar('\t');
		if (cong)
			printf(" cong:%s", cong);
		putchar('\n');
	}
}

/* an address filter as inet_diag bytecode: one host condition, which
 * accepts by landing on the program's end and refuses by jumping past it
 */
static int bc_cond(uint8_t *out, int code, const char *spec)
{
	struct inet_diag_bc_op *op = (void *)out;
	struct inet_diag_hostcond *hc = (void *)(op + 1);
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	int alen;

	snprintf(buf, sizeof(buf), "%s", spec);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	hc->port = -1;
	if (inet_pton(AF_INET, buf, hc->addr) == 1) {
		hc->family = AF_INET;
		alen = 4;
	} else if (inet_pton(AF_INET6, buf, hc->addr) == 1) {
		hc->family = AF_INET6;
		alen = 16;
	} else {
		return -1;
	}
	hc->prefix_len = slash ? (uint8_t)atoi(slash) : (uint8_t)(alen * 8);
	if (hc->prefix_len > alen * 8)
		return -1;
	op->code = (uint8_t)code;
	op->yes = (uint8_t)(sizeof(*op) + sizeof(*hc) + alen);
	op->no = (uint16_t)(op->yes + 4);
	return op->yes;
}

struct req {
	struct nlmsghdr		nlh;
	struct inet_diag_req_v2	r;
	uint8_t			attrs[256];
};

static int put_attr(struct req *q, int type, const void *data, int len)
{
	struct rtattr *a = (void *)((char *)q + NLMSG_ALIGN(q->nlh.nlmsg_len));
	int total = RTA_LENGTH(len);

	if (NLMSG_ALIGN(q->nlh.nlmsg_len) + RTA_ALIGN(total) > sizeof(*q))
		return -1;
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)total;
	memcpy(RTA_DATA(a), data, (size_t)len);
	q->nlh.nlmsg_len = NLMSG_ALIGN(q->nlh.nlmsg_len) + RTA_ALIGN(total);
	return 0;
}

/* the socket at "ADDR:PORT" (IPv6 in brackets) into the request's id */
static int parse_endpoint(const char *s, int *family, uint32_t *addr,
			  uint16_t *port)
{
	char buf[INET6_ADDRSTRLEN + 8], *colon;

	snprintf(buf, sizeof(buf), "%s", s[0] == '[' ? s + 1 : s);
	colon = strrchr(buf, ':');
	if (!colon)
		return -1;
	*colon = 0;
	if (colon > buf && colon[-1] == ']')
		colon[-1] = 0;
	*port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return -1;
	return 0;
}

/* one request, all its replies printed; 0, or 1 with a message */
static int query(const struct opts *o, int family)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	uint32_t proto = IPPROTO_QUIC;
	static char buf[65536];
	struct req q;
	uint8_t bc[128];
	int fd, n, bl = 0, f2 = AF_UNSPEC, ret = 1;
	bool done = false;

	memset(&q, 0, sizeof(q));
	q.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(q.r));
	q.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.nlh.nlmsg_flags = NLM_F_REQUEST | (o->exact[0] ? 0 : NLM_F_DUMP);
	q.nlh.nlmsg_seq = 1;
	q.r.sdiag_family = (uint8_t)family;
	q.r.sdiag_protocol = IPPROTO_RAW;	/* the attribute says QUIC */
	q.r.idiag_states = o->states;
	if (o->mem)
		q.r.idiag_ext |= 1 << (INET_DIAG_SKMEMINFO - 1);
	if (o->info)
		q.r.idiag_ext |= 1 << (INET_DIAG_INFO - 1) |
				 1 << (INET_DIAG_CONG - 1);
	q.r.id.idiag_sport = htons(o->sport);
	q.r.id.idiag_dport = htons(o->dport);
	q.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	q.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (o->exact[0]) {
		if (parse_endpoint(o->exact[0], &family, q.r.id.idiag_src,
				   &q.r.id.idiag_sport) ||
		    parse_endpoint(o->exact[1], &f2, q.r.id.idiag_dst,
				   &q.r.id.idiag_dport) || f2 != family) {
			fprintf(stderr, "quic-ss: --socket: bad address\n");
			return 1;
		}
		q.r.sdiag_family = (uint8_t)family;
	}
	if (put_attr(&q, INET_DIAG_REQ_PROTOCOL, &proto, sizeof(proto)))
		return 1;
	if (o->src && (n = bc_cond(bc, INET_DIAG_BC_S_COND, o->src)) > 0)
		bl += n;
	if (o->dst && (n = bc_cond(bc + bl, INET_DIAG_BC_D_COND, o->dst)) > 0)
		bl += n;
	if ((o->src || o->dst) && !bl) {
		fprintf(stderr, "quic-ss: --src/--dst: bad address\n");
		return 1;
	}
	if (o->src && o->dst)	/* the first refuses past both */
		((struct inet_diag_bc_op *)bc)->no = (uint16_t)(bl + 4);
	if (bl && put_attr(&q, INET_DIAG_REQ_BYTECODE, bc, bl))
		return 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		perror("quic-ss: socket(NETLINK_SOCK_DIAG)");
		return 1;
	}
	if (sendto(fd, &q, q.nlh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		perror("quic-ss: sendto");
		goto out;
	}
	while (!done && (n = (int)recv(fd, buf, sizeof(buf), 0)) > 0) {
		struct nlmsghdr *h;

		for (h = (void *)buf; NLMSG_OK(h, (unsigned int)n);
		     h = NLMSG_NEXT(h, n)) {
			/* a dump's end, with its error when it failed */
			if (h->nlmsg_type == NLMSG_DONE &&
			    (h->nlmsg_len < NLMSG_LENGTH(sizeof(int)) ||
			     *(int *)NLMSG_DATA(h) >= 0)) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				errno = -*(int *)NLMSG_DATA(h);
				if (errno == ENOENT)
					fprintf(stderr, "quic-ss: no sock_diag for QUIC (is quic_diag.ko there?)\n");
				else
					perror("quic-ss: sock_diag");
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (!e->error) {	/* an ack */
					done = true;
					break;
				}
				errno = -e->error;
				if (errno == ENOENT && o->exact[0])
					fprintf(stderr, "quic-ss: no such socket\n");
				else if (errno == ENOENT)
					fprintf(stderr, "quic-ss: no sock_diag for QUIC (is quic_diag.ko there?)\n");
				else
					perror("quic-ss: sock_diag");
				goto out;
			}
			print_msg(o, h);
			if (o->exact[0])
				done = true;
		}
	}
	ret = done ? 0 : 1;
	if (!done)
		perror("quic-ss: recv");
out:
	close(fd);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: quic-ss [-lae46imn] [--sport N] [--dport N] [--src ADDR[/LEN]] [--dst ADDR[/LEN]]\n"
		   "       quic-ss [-ime] --socket LOCAL:PORT PEER:PORT\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listening", no_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "info", no_argument, NULL, 'i' },
		{ "memory", no_argument, NULL, 'm' },
		{ "extended", no_argument, NULL, 'e' },
		{ "sport", required_argument, NULL, 'S' },
		{ "dport", required_argument, NULL, 'D' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct opts o = {
		.states = 1 << ST_ESTABLISHED | 1 << ST_SYN_SENT,
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "lae46imnh", lo, NULL)) != -1) {
		switch (c) {
		case 'l': o.states = 1 << ST_LISTEN; break;
		case 'a': o.states = ~0u; break;
		case 'e': o.ext = true; break;
		case '4': o.family = AF_INET; break;
		case '6': o.family = AF_INET6; break;
		case 'i': o.info = true; break;
		case 'm': o.mem = true; break;
		case 'n': break;	/* numbers only, always */
		case 'S': o.sport = (uint16_t)atoi(optarg); break;
		case 'D': o.dport = (uint16_t)atoi(optarg); break;
		case 's': o.src = optarg; break;
		case 'd': o.dst = optarg; break;
		case 'k':
			if (optind >= argc) {
				usage(stderr);
				return 2;
			}
			o.exact[0] = optarg;
			o.exact[1] = argv[optind++];
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	printf("%-10s %-6s %-6s %-40s %-40s\n", "State", "Recv-Q", "Send-Q",
	       "Local Address:Port", "Peer Address:Port");
	if (o.exact[0])
		return query(&o, AF_UNSPEC);
	ret = 0;
	if (o.family != AF_INET6)
		ret |= query(&o, AF_INET);
	if (o.family != AF_INET)
		ret |= query(&o, AF_INET6);
	return ret;
}
