/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * onertt.h - forged 1-RTT packets inside a live connection between our
 * own client and server (see testlib.h), for fuzz_packet's 1rtt mode and
 * attack_test.
 *
 * The client's handshake forces TLS_AES_128_GCM_SHA256 and GnuTLS writes
 * the connection's secrets to its NSS key log (SSLKEYLOGFILE):
 * keylog_setup() before the first handshake of the process, then
 * keylog_read() after each gives the 1-RTT secrets, whose keys
 * tests/forge.h derives.  Our packets are sealed with the client's
 * (onertt_seal()) and sent from a raw socket that claims the client's
 * address and port (struct spoof, spoof_send()); the server's are read
 * off the loopback by a raw socket with a filter on its port
 * (sniff_open(), sniff_recv()), its connection ID and the client's ID
 * length taken from its first long header packet (dgram_short()), and
 * opened with the server's keys.
 *
 * The real client is still there, and it would end the connection as
 * soon as the server acknowledged packet numbers it never sent (RFC 9000
 * section 13.1): onertt_isolate() first moves the server's largest packet
 * number out of the client's reach, so that only we speak for the client.
 *
 * And the names of the transport error codes (RFC 9000 section 20.1).
 *
 * IPv4 only; needs root (raw sockets).
 */
#ifndef QUIC_TESTLIB_ONERTT_H
#define QUIC_TESTLIB_ONERTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../forge.h"

/* --------------------------------------------------------- the key log */

/* GnuTLS's NSS key log (SSLKEYLOGFILE), read from where we left it */
struct keylog {
	char	path[300];
	long	off;
};

/*
 * The key log of this process: SSLKEYLOGFILE when the caller set it (read
 * from its current end), else the file @name in creds.dir, which
 * SSLKEYLOGFILE then names.  GnuTLS reads the variable at the first
 * secret of the process: call it before the first handshake.
 */
void keylog_setup(struct keylog *kl, const char *name);

/*
 * The 1-RTT secrets (32 bytes each: TLS_AES_128_GCM_SHA256) of the newest
 * connection in the lines written since the last call; both ends of our
 * connections are in this process, so each secret is there twice.  0, or
 * -1 when they are not (yet) there.
 */
int keylog_read(struct keylog *kl, uint8_t *csec, uint8_t *ssec);

/* ------------------------------------------ raw sockets: send and listen */

#define SPOOF_MAX	(16 * 1024)	/* the largest UDP payload sent */

/*
 * IPv4 datagrams with our own IP and UDP headers, from 127.0.0.1 port
 * @sport to 127.0.0.1 port @dport: @fd is a socket(AF_INET, SOCK_RAW,
 * IPPROTO_RAW).
 */
struct spoof {
	int		fd;
	uint16_t	sport, dport;
};

/* one datagram with the UDP payload @p of @n bytes; 0 or -1 */
int spoof_send(const struct spoof *sp, const uint8_t *p, size_t n);

/*
 * A raw socket that gets a copy of each UDP datagram the server sends
 * (source port @sport), IP header first: a BPF filter leaves the rest
 * (our own flood among it) in the kernel.  Non-blocking; the fd, or -1.
 */
int sniff_open(uint16_t sport);

/*
 * The next datagram the sniffer @fd holds for port @dport (the client's):
 * read into @buf (of @cap bytes), its UDP payload at *@payload.  Its
 * length, or -1 when there is none (left).
 */
ssize_t sniff_recv(int fd, uint16_t dport, uint8_t *buf, size_t cap,
		   uint8_t **payload);

/*
 * A server datagram @p of @n bytes: the long header packets at its start
 * are skipped, and when @dcid_len is not NULL, the first of them with a
 * Source Connection ID gives the client's ID length (*@dcid_len, the
 * Destination Connection ID's) and the server's ID of sequence 0 (its
 * Source Connection ID, at *@scid, *@scid_len bytes; left alone when there
 * is none).  Return: the offset of the short header packet that follows,
 * or -1 when there is none (or a long header is cut).
 */
long dgram_short(const uint8_t *p, size_t n, size_t *dcid_len,
		 const uint8_t **scid, size_t *scid_len);

/* ------------------------------------------------- our 1-RTT packets */

/*
 * A short header packet in @out (of @cap bytes): byte 0 @first as given
 * (fixed bit, spin bit, key phase, the packet number length @pn_len - 1),
 * the server's ID @dcid, @pn's low @pn_len bytes, the frames @pl of @plen
 * bytes (PADDING added when the header protection sample needs it),
 * sealed with @a (the client's keys of the key phase @first says).  Its
 * length, or -1.
 */
int onertt_seal(struct forge_aead *a, uint8_t first, const uint8_t *dcid,
		size_t dcid_len, uint64_t pn, size_t pn_len,
		const uint8_t *pl, size_t plen, uint8_t *out, size_t cap);

/*
 * The packet numbers that move the server's expectations out of the
 * client's reach: two packets of PADDING (which elicit no ACK) move the
 * server's largest packet number past 2^32 - the most a 4-byte packet
 * number can jump at a time is under 2^31: from then on the client's own
 * packets decode to other numbers and fail to open, and the server hears
 * only us.  Our packets go on from PN_JUMP2 + 1.
 */
#define PN_JUMP1	((1ULL << 31) - 4096)
#define PN_JUMP2	((1ULL << 32) - 8192)

/*
 * Packet @i (0 or 1) of those two in @out (of @cap bytes): 20 bytes of
 * PADDING, the 4-byte packet number PN_JUMP1 or PN_JUMP2, byte 0 @first,
 * to the server's ID @dcid, sealed with @a.  Its length, or -1.
 */
int onertt_isolate_packet(struct forge_aead *a, uint8_t first,
			  const uint8_t *dcid, size_t dcid_len, int i,
			  uint8_t *out, size_t cap);

/*
 * Both, with byte 0 @first, sent through @sp.  Return: how many were sent,
 * or -1 when one could not be sealed.
 */
int onertt_isolate(struct forge_aead *a, const struct spoof *sp,
		   const uint8_t *dcid, size_t dcid_len, uint8_t first);

/* ----------------------------------------- RFC 9000 section 20.1 errors */

#define E_NO_ERROR		0x00
#define E_INTERNAL		0x01
#define E_FLOW_CONTROL		0x03
#define E_STREAM_LIMIT		0x04
#define E_STREAM_STATE		0x05
#define E_FINAL_SIZE		0x06
#define E_FRAME_ENCODING	0x07
#define E_TRANSPORT_PARAMETER	0x08
#define E_CID_LIMIT		0x09
#define E_PROTOCOL_VIOLATION	0x0a

/* the names of the errors 0 to N_ERRS - 1 */
#define N_ERRS	17
extern const char *const err_names[N_ERRS];

/* the name of @e: one of those, CRYPTO_ERROR (0x1XX) or "?" */
const char *err_name(uint64_t e);

#endif /* QUIC_TESTLIB_ONERTT_H */
