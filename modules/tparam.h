/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC transport parameters: the body of the TLS quic_transport_parameters
 * extension (codepoint 0x39), RFC 9000 section 18.
 */
#ifndef __QUIC_TPARAM_H
#define __QUIC_TPARAM_H

#include <linux/quic.h>
#include <linux/types.h>

#include "connid.h"

#define QUIC_TP_MAX_VERSIONS		4

/* RFC 9000 section 18.2 limits */
#define QUIC_MAX_UDP_PAYLOAD		65527
#define QUIC_MAX_ACK_DELAY_EXPONENT	20
#define QUIC_MAX_ACK_DELAY		(16384 * 1000)	/* 2^14 ms, in us */
#define QUIC_MIN_ACTIVE_CID_LIMIT	2

/* RFC 9002 section 6.2.2: kInitialRtt, in us */
#define QUIC_INITIAL_RTT		333000
/* the largest initial_smoothed_rtt QUIC_SOCKOPT_CONFIG takes, in us: the
 * PTO, the closing period and the idle timeout follow it until a sample
 */
#define QUIC_MAX_INITIAL_RTT		5000000

/*
 * struct quic_tp_ext - what the extension carries beyond struct
 * quic_transport_param: connection IDs for the section 7.3 checks, the
 * server's stateless reset token, and version information (RFC 9368).
 */
struct quic_tp_ext {
	struct quic_conn_id	orig_dcid;	/* server only */
	struct quic_conn_id	init_scid;
	struct quic_conn_id	retry_scid;	/* server only, after Retry */
	u8			reset_token[QUIC_RESET_TOKEN_LEN];
	u32			chosen_version;
	u32			versions[QUIC_TP_MAX_VERSIONS];
	u8			nversions;
	u8			has_orig_dcid:1,
				has_init_scid:1,
				has_retry_scid:1,
				has_reset_token:1,
				has_version_info:1;
};

/* Longest extension quic_tp_encode() writes. */
#define QUIC_TP_EXT_MAX_LEN		512

int quic_tp_encode(const struct quic_transport_param *p,
		   const struct quic_tp_ext *x, bool is_serv, u8 *buf,
		   unsigned int len);
int quic_tp_decode(struct quic_transport_param *p, struct quic_tp_ext *x,
		   bool from_serv, const u8 *buf, unsigned int len);

#endif /* __QUIC_TPARAM_H */
