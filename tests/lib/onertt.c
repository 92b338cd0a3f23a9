// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * onertt.c - forged 1-RTT packets inside a live connection: the key log,
 * raw sockets that send as the client and listen to the server, the
 * isolation of the real client.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "onertt.h"
#include "creds.h"
#include "net.h"

/* --------------------------------------------------------- the key log */

void keylog_setup(struct keylog *kl, const char *name)
{
	const char *env = getenv("SSLKEYLOGFILE");
	FILE *f;

	kl->off = 0;
	if (env && *env) {
		snprintf(kl->path, sizeof(kl->path), "%s", env);
		f = fopen(env, "a");
		if (f) {
			fseek(f, 0, SEEK_END);
			kl->off = ftell(f);
			fclose(f);
		}
	} else {
		snprintf(kl->path, sizeof(kl->path), "%s/%s", creds.dir, name);
		setenv("SSLKEYLOGFILE", kl->path, 1);
	}
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	unsigned int v;
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

int keylog_read(struct keylog *kl, uint8_t *csec, uint8_t *ssec)
{
	struct {
		char	cr[80];
		uint8_t	c[32], s[32];
		bool	hc, hs;
	} e[8];
	char line[512], label[64], cr[80], sec[160];
	int ne = 0, i, found = -1;
	long end;
	FILE *f;

	f = fopen(kl->path, "r");
	if (!f)
		return -1;
	if (fseek(f, kl->off, SEEK_SET)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %79s %159s", label, cr, sec) != 3)
			continue;
		if (strcmp(label, "CLIENT_TRAFFIC_SECRET_0") &&
		    strcmp(label, "SERVER_TRAFFIC_SECRET_0"))
			continue;
		for (i = 0; i < ne && strcmp(e[i].cr, cr); i++)
			;
		if (i == ne) {
			if (ne == 8)
				continue;
			memset(&e[ne], 0, sizeof(e[ne]));
			snprintf(e[ne].cr, sizeof(e[ne].cr), "%s", cr);
			ne++;
		}
		if (label[0] == 'C' && !unhex(sec, e[i].c, 32))
			e[i].hc = true;
		else if (label[0] == 'S' && !unhex(sec, e[i].s, 32))
			e[i].hs = true;
	}
	end = ftell(f);
	fclose(f);
	for (i = 0; i < ne; i++)
		if (e[i].hc && e[i].hs)
			found = i;
	if (found < 0)
		return -1;
	memcpy(csec, e[found].c, 32);
	memcpy(ssec, e[found].s, 32);
	kl->off = end;
	return 0;
}

/* ------------------------------------------ raw sockets: send and listen */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

int spoof_send(const struct spoof *sp, const uint8_t *p, size_t n)
{
	static uint8_t buf[28 + SPOOF_MAX];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	size_t ulen = 8 + n;
	uint8_t pseudo[12];
	uint32_t sum;

	if (n > SPOOF_MAX)
		return -1;
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(buf, 0, 28);
	buf[0] = 0x45;			/* IPv4, 20-byte header */
	buf[2] = (uint8_t)((20 + ulen) >> 8);
	buf[3] = (uint8_t)(20 + ulen);
	buf[8] = 64;			/* TTL */
	buf[9] = IPPROTO_UDP;
	memcpy(buf + 12, &dst.sin_addr, 4);	/* from 127.0.0.1 */
	memcpy(buf + 16, &dst.sin_addr, 4);
	buf[20] = (uint8_t)(sp->sport >> 8);
	buf[21] = (uint8_t)sp->sport;
	buf[22] = (uint8_t)(sp->dport >> 8);
	buf[23] = (uint8_t)sp->dport;
	buf[24] = (uint8_t)(ulen >> 8);
	buf[25] = (uint8_t)ulen;
	memcpy(buf + 28, p, n);
	/* the UDP checksum over the pseudo header, as a real sender's */
	memcpy(pseudo, buf + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	pseudo[10] = (uint8_t)(ulen >> 8);
	pseudo[11] = (uint8_t)ulen;
	sum = csum_add(csum_add(0, pseudo, 12), buf + 20, ulen);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	if (!sum)
		sum = 0xffff;
	buf[26] = (uint8_t)(sum >> 8);
	buf[27] = (uint8_t)sum;
	/* the kernel fills in the IP checksum and ID (IP_HDRINCL) */
	return sendto(sp->fd, buf, 28 + ulen, 0, (struct sockaddr *)&dst,
		      sizeof(dst)) == (ssize_t)(28 + ulen) ? 0 : -1;
}

int sniff_open(uint16_t sport)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),	/* X: IP header */
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 0),	/* UDP source */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, sport, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]), .filter = code,
	};
	int fd, size = 16 << 20;
	uint8_t buf[2048];

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) || set_nonblock(fd, 1)) {
		close(fd);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* what came before the filter */
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
	return fd;
}

ssize_t sniff_recv(int fd, uint16_t dport, uint8_t *buf, size_t cap,
		   uint8_t **payload)
{
	size_t ihl;
	ssize_t n;

	while ((n = recv(fd, buf, cap, MSG_DONTWAIT)) > 0) {
		ihl = (size_t)(buf[0] & 0x0f) * 4;
		if ((size_t)n < ihl + 8 ||
		    (buf[ihl + 2] << 8 | buf[ihl + 3]) != dport)
			continue;
		*payload = buf + ihl + 8;
		return n - (ssize_t)ihl - 8;
	}
	return -1;
}

long dgram_short(const uint8_t *p, size_t n, size_t *dcid_len,
		 const uint8_t **scid, size_t *scid_len)
{
	size_t at = 0, i, dl, sl;
	uint64_t v;

	while (at < n) {
		if (!(p[at] & 0x80))
			return (long)at;
		i = at + 5;
		if (i >= n || p[i] > 20 || i + 1 + p[i] >= n)
			return -1;
		dl = p[i];
		sl = p[i + 1 + dl];
		if (sl > 20 || i + 2 + dl + sl > n)
			return -1;
		if (dcid_len && sl) {
			*dcid_len = dl;
			*scid = p + i + 2 + dl;
			*scid_len = sl;
			dcid_len = NULL;	/* the first one only */
		}
		i += 2 + dl + sl;
		if (!((p[at] >> 4) & 3) && (forge_varint(p, n, &i, &v) ||
					     v > n - i))
			return -1;	/* an Initial's token */
		if (!((p[at] >> 4) & 3))
			i += v;
		if (forge_varint(p, n, &i, &v) || v > n - i)
			return -1;
		at = i + v;
	}
	return -1;
}

/* ------------------------------------------------- our 1-RTT packets */

int onertt_seal(struct forge_aead *a, uint8_t first, const uint8_t *dcid,
		size_t dcid_len, uint64_t pn, size_t pn_len,
		const uint8_t *pl, size_t plen, uint8_t *out, size_t cap)
{
	size_t pn_off = 1 + dcid_len, i, body = plen;

	if (pn_off + pn_len + plen + 4 + 16 > cap)
		return -1;
	out[0] = first;
	memcpy(out + 1, dcid, dcid_len);
	for (i = 0; i < pn_len; i++)
		out[pn_off + i] = (uint8_t)(pn >> (8 * (pn_len - 1 - i)));
	memcpy(out + pn_off + pn_len, pl, plen);
	if (pn_len + body < 4) {	/* PADDING: room for the sample */
		memset(out + pn_off + pn_len + body, 0, 4 - pn_len - body);
		body = 4 - pn_len;
	}
	return forge_seal(a, out, cap, pn_off, pn_len, pn, body);
}

int onertt_isolate_packet(struct forge_aead *a, uint8_t first,
			  const uint8_t *dcid, size_t dcid_len, int i,
			  uint8_t *out, size_t cap)
{
	static const uint8_t pad[20];

	return onertt_seal(a, first, dcid, dcid_len, i ? PN_JUMP2 : PN_JUMP1,
			   4, pad, sizeof(pad), out, cap);
}

int onertt_isolate(struct forge_aead *a, const struct spoof *sp,
		   const uint8_t *dcid, size_t dcid_len, uint8_t first)
{
	uint8_t out[256];
	int i, n, sent = 0;

	for (i = 0; i < 2; i++) {
		n = onertt_isolate_packet(a, first, dcid, dcid_len, i, out,
					  sizeof(out));
		if (n < 0)
			return -1;
		sent += !spoof_send(sp, out, (size_t)n);
	}
	return sent;
}

/* ----------------------------------------- RFC 9000 section 20.1 errors */

const char *const err_names[N_ERRS] = {
	"NO_ERROR", "INTERNAL_ERROR", "CONNECTION_REFUSED",
	"FLOW_CONTROL_ERROR", "STREAM_LIMIT_ERROR", "STREAM_STATE_ERROR",
	"FINAL_SIZE_ERROR", "FRAME_ENCODING_ERROR",
	"TRANSPORT_PARAMETER_ERROR", "CONNECTION_ID_LIMIT_ERROR",
	"PROTOCOL_VIOLATION", "INVALID_TOKEN", "APPLICATION_ERROR",
	"CRYPTO_BUFFER_EXCEEDED", "KEY_UPDATE_ERROR", "AEAD_LIMIT_REACHED",
	"NO_VIABLE_PATH",
};

const char *err_name(uint64_t e)
{
	return e < N_ERRS ? err_names[e] :
	       (e & ~0xffULL) == 0x100 ? "CRYPTO_ERROR" : "?";
}
