// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC transport parameters: encoding our own and decoding the peer's,
 * with the checks of RFC 9000 section 18.2 (and RFC 9221 for datagrams,
 * RFC 9287 for the grease bit, RFC 9368 for version information).
 *
 * struct quic_transport_param keeps times in microseconds; the wire
 * carries milliseconds.
 */

#include <linux/errno.h>
#include <linux/string.h>

#include "tparam.h"
#include "varint.h"

enum {
	QUIC_TP_ORIGINAL_DESTINATION_CONNECTION_ID	= 0x00,
	QUIC_TP_MAX_IDLE_TIMEOUT			= 0x01,
	QUIC_TP_STATELESS_RESET_TOKEN			= 0x02,
	QUIC_TP_MAX_UDP_PAYLOAD_SIZE			= 0x03,
	QUIC_TP_INITIAL_MAX_DATA			= 0x04,
	QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL	= 0x05,
	QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE	= 0x06,
	QUIC_TP_INITIAL_MAX_STREAM_DATA_UNI		= 0x07,
	QUIC_TP_INITIAL_MAX_STREAMS_BIDI		= 0x08,
	QUIC_TP_INITIAL_MAX_STREAMS_UNI			= 0x09,
	QUIC_TP_ACK_DELAY_EXPONENT			= 0x0a,
	QUIC_TP_MAX_ACK_DELAY				= 0x0b,
	QUIC_TP_DISABLE_ACTIVE_MIGRATION		= 0x0c,
	QUIC_TP_PREFERRED_ADDRESS			= 0x0d,
	QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT		= 0x0e,
	QUIC_TP_INITIAL_SOURCE_CONNECTION_ID		= 0x0f,
	QUIC_TP_RETRY_SOURCE_CONNECTION_ID		= 0x10,
	QUIC_TP_VERSION_INFORMATION			= 0x11,
	QUIC_TP_MAX_DATAGRAM_FRAME_SIZE			= 0x20,
	QUIC_TP_GREASE_QUIC_BIT				= 0x2ab2,
	/* private: both sides ask for unprotected 1-RTT packets */
	QUIC_TP_DISABLE_1RTT_ENCRYPTION			= 0xbaad,
};

/* identifiers up to this one are checked for duplicates */
#define QUIC_TP_KNOWN_LOW	0x3fULL

struct quic_tp_writer {
	u8		*p;
	unsigned int	left;
	bool		full;
};

static void tp_put_raw(struct quic_tp_writer *w, u64 id, const void *data,
		       unsigned int len)
{
	unsigned int need = quic_varint_len(id) + quic_varint_len(len) + len;

	if (w->full || need > w->left) {
		w->full = true;
		return;
	}
	w->p += quic_varint_put(w->p, id);
	w->p += quic_varint_put(w->p, len);
	if (len)
		memcpy(w->p, data, len);
	w->p += len;
	w->left -= need;
}

static void tp_put_int(struct quic_tp_writer *w, u64 id, u64 v)
{
	u8 tmp[8];

	tp_put_raw(w, id, tmp, quic_varint_put(tmp, v));
}

/**
 * quic_tp_encode - write our transport parameters extension body
 * @p: our parameters
 * @x: the connection IDs, token and versions to carry
 * @is_serv: we are the server (it alone sends some parameters)
 * @buf: output
 * @len: room in @buf
 *
 * Parameters equal to the RFC's default are left out.
 *
 * Return: the length written, or -ENOSPC.
 */
int quic_tp_encode(const struct quic_transport_param *p,
		   const struct quic_tp_ext *x, bool is_serv, u8 *buf,
		   unsigned int len)
{
	struct quic_tp_writer w = { .p = buf, .left = len };
	u8 vi[4 * (QUIC_TP_MAX_VERSIONS + 1)];
	unsigned int i;

	if (is_serv && x->has_orig_dcid)
		tp_put_raw(&w, QUIC_TP_ORIGINAL_DESTINATION_CONNECTION_ID,
			   x->orig_dcid.data, x->orig_dcid.len);
	if (p->max_idle_timeout)
		tp_put_int(&w, QUIC_TP_MAX_IDLE_TIMEOUT,
			   p->max_idle_timeout / 1000);
	if (is_serv && x->has_reset_token)
		tp_put_raw(&w, QUIC_TP_STATELESS_RESET_TOKEN, x->reset_token,
			   QUIC_RESET_TOKEN_LEN);
	if (p->max_udp_payload_size != 65527)
		tp_put_int(&w, QUIC_TP_MAX_UDP_PAYLOAD_SIZE,
			   p->max_udp_payload_size);
	if (p->max_data)
		tp_put_int(&w, QUIC_TP_INITIAL_MAX_DATA, p->max_data);
	if (p->max_stream_data_bidi_local)
		tp_put_int(&w, QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL,
			   p->max_stream_data_bidi_local);
	if (p->max_stream_data_bidi_remote)
		tp_put_int(&w, QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE,
			   p->max_stream_data_bidi_remote);
	if (p->max_stream_data_uni)
		tp_put_int(&w, QUIC_TP_INITIAL_MAX_STREAM_DATA_UNI,
			   p->max_stream_data_uni);
	if (p->max_streams_bidi)
		tp_put_int(&w, QUIC_TP_INITIAL_MAX_STREAMS_BIDI,
			   p->max_streams_bidi);
	if (p->max_streams_uni)
		tp_put_int(&w, QUIC_TP_INITIAL_MAX_STREAMS_UNI,
			   p->max_streams_uni);
	if (p->ack_delay_exponent != 3)
		tp_put_int(&w, QUIC_TP_ACK_DELAY_EXPONENT,
			   p->ack_delay_exponent);
	if (p->max_ack_delay != 25000)
		tp_put_int(&w, QUIC_TP_MAX_ACK_DELAY, p->max_ack_delay / 1000);
	if (p->disable_active_migration)
		tp_put_raw(&w, QUIC_TP_DISABLE_ACTIVE_MIGRATION, NULL, 0);
	if (p->active_connection_id_limit != 2)
		tp_put_int(&w, QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT,
			   p->active_connection_id_limit);
	if (x->has_init_scid)
		tp_put_raw(&w, QUIC_TP_INITIAL_SOURCE_CONNECTION_ID,
			   x->init_scid.data, x->init_scid.len);
	if (is_serv && x->has_retry_scid)
		tp_put_raw(&w, QUIC_TP_RETRY_SOURCE_CONNECTION_ID,
			   x->retry_scid.data, x->retry_scid.len);
	if (x->has_version_info) {
		put_unaligned_be32(x->chosen_version, vi);
		for (i = 0; i < x->nversions && i < QUIC_TP_MAX_VERSIONS; i++)
			put_unaligned_be32(x->versions[i], vi + 4 * (i + 1));
		tp_put_raw(&w, QUIC_TP_VERSION_INFORMATION, vi, 4 * (i + 1));
	}
	if (p->max_datagram_frame_size)
		tp_put_int(&w, QUIC_TP_MAX_DATAGRAM_FRAME_SIZE,
			   p->max_datagram_frame_size);
	if (p->grease_quic_bit)
		tp_put_raw(&w, QUIC_TP_GREASE_QUIC_BIT, NULL, 0);
	if (p->disable_1rtt_encryption)
		tp_put_raw(&w, QUIC_TP_DISABLE_1RTT_ENCRYPTION, NULL, 0);

	return w.full ? -ENOSPC : (int)(len - w.left);
}

static int tp_get_cid(struct quic_conn_id *cid, const u8 *data, u64 len)
{
	if (len > QUIC_CONN_ID_MAX_LEN)
		return -EINVAL;
	cid->len = len;
	memcpy(cid->data, data, len);
	return 0;
}

/* An integer parameter: exactly one varint filling the value. */
static int tp_get_int(const u8 *data, u64 len, u64 *v)
{
	struct quic_buf b = { .p = data, .left = len };

	if (!quic_get_varint(&b, v) || b.left)
		return -EINVAL;
	return 0;
}

/* the transport parameters that are not integers */
static int tp_decode_bytes(struct quic_transport_param *p,
			   struct quic_tp_ext *x, u64 id, const u8 *data,
			   u64 len)
{
	int i;

	switch (id) {
	case QUIC_TP_ORIGINAL_DESTINATION_CONNECTION_ID:
		x->has_orig_dcid = 1;
		return tp_get_cid(&x->orig_dcid, data, len);
	case QUIC_TP_INITIAL_SOURCE_CONNECTION_ID:
		x->has_init_scid = 1;
		return tp_get_cid(&x->init_scid, data, len);
	case QUIC_TP_RETRY_SOURCE_CONNECTION_ID:
		x->has_retry_scid = 1;
		return tp_get_cid(&x->retry_scid, data, len);
	case QUIC_TP_STATELESS_RESET_TOKEN:
		if (len != QUIC_RESET_TOKEN_LEN)
			return -EINVAL;
		memcpy(x->reset_token, data, len);
		x->has_reset_token = 1;
		return 0;
	case QUIC_TP_PREFERRED_ADDRESS:
		return 0;	/* we never migrate to it; no check needed */
	case QUIC_TP_DISABLE_ACTIVE_MIGRATION:
		if (len)
			return -EINVAL;
		p->disable_active_migration = 1;
		return 0;
	case QUIC_TP_GREASE_QUIC_BIT:
		if (len)
			return -EINVAL;
		p->grease_quic_bit = 1;
		return 0;
	case QUIC_TP_DISABLE_1RTT_ENCRYPTION:
		if (len)
			return -EINVAL;
		p->disable_1rtt_encryption = 1;
		return 0;
	case QUIC_TP_VERSION_INFORMATION:
		/* RFC 9368 section 3: chosen version and available ones */
		if (len < 4 || len % 4)
			return -EINVAL;
		x->chosen_version = get_unaligned_be32(data);
		if (!x->chosen_version)
			return -EINVAL;
		x->nversions = 0;
		for (i = 4; i < len; i += 4) {
			if (x->nversions < QUIC_TP_MAX_VERSIONS)
				x->versions[x->nversions++] =
					get_unaligned_be32(data + i);
		}
		x->has_version_info = 1;
		return 0;
	}
	return 0;
}

/* the integer ones, @v decoded */
static int tp_decode_int(struct quic_transport_param *p, u64 id, u64 v)
{
	switch (id) {
	case QUIC_TP_MAX_IDLE_TIMEOUT:
		if (v > U32_MAX / 1000)
			v = U32_MAX / 1000;
		p->max_idle_timeout = v * 1000;
		return 0;
	case QUIC_TP_MAX_UDP_PAYLOAD_SIZE:
		if (v < 1200)
			return -EINVAL;
		p->max_udp_payload_size = min_t(u64, v, 65527);
		return 0;
	case QUIC_TP_INITIAL_MAX_DATA:
		p->max_data = v;
		return 0;
	case QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL:
		p->max_stream_data_bidi_local = v;
		return 0;
	case QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE:
		p->max_stream_data_bidi_remote = v;
		return 0;
	case QUIC_TP_INITIAL_MAX_STREAM_DATA_UNI:
		p->max_stream_data_uni = v;
		return 0;
	case QUIC_TP_INITIAL_MAX_STREAMS_BIDI:
		if (v > (1ULL << 60))
			return -EINVAL;
		p->max_streams_bidi = min_t(u64, v, U16_MAX);
		return 0;
	case QUIC_TP_INITIAL_MAX_STREAMS_UNI:
		if (v > (1ULL << 60))
			return -EINVAL;
		p->max_streams_uni = min_t(u64, v, U16_MAX);
		return 0;
	case QUIC_TP_ACK_DELAY_EXPONENT:
		if (v > 20)
			return -EINVAL;
		p->ack_delay_exponent = v;
		return 0;
	case QUIC_TP_MAX_ACK_DELAY:
		if (v >= (1 << 14))
			return -EINVAL;
		p->max_ack_delay = v * 1000;
		return 0;
	case QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT:
		if (v < 2)
			return -EINVAL;
		p->active_connection_id_limit = min_t(u64, v, U8_MAX);
		return 0;
	case QUIC_TP_MAX_DATAGRAM_FRAME_SIZE:
		p->max_datagram_frame_size = min_t(u64, v, U16_MAX);
		return 0;
	}
	return 0;
}

static int tp_decode_one(struct quic_transport_param *p, struct quic_tp_ext *x,
			 bool from_serv, u64 id, const u8 *data, u64 len)
{
	u64 v;

	switch (id) {
	case QUIC_TP_ORIGINAL_DESTINATION_CONNECTION_ID:
	case QUIC_TP_STATELESS_RESET_TOKEN:
	case QUIC_TP_PREFERRED_ADDRESS:
	case QUIC_TP_RETRY_SOURCE_CONNECTION_ID:
		/* section 18.2: a client sending these is an error */
		if (!from_serv)
			return -EINVAL;
		fallthrough;
	case QUIC_TP_INITIAL_SOURCE_CONNECTION_ID:
	case QUIC_TP_DISABLE_ACTIVE_MIGRATION:
	case QUIC_TP_VERSION_INFORMATION:
	case QUIC_TP_GREASE_QUIC_BIT:
	case QUIC_TP_DISABLE_1RTT_ENCRYPTION:
		return tp_decode_bytes(p, x, id, data, len);
	}
	/* unknown (and greased, section 18.1) ids are ignored */
	if (id > QUIC_TP_VERSION_INFORMATION &&
	    id != QUIC_TP_MAX_DATAGRAM_FRAME_SIZE)
		return 0;
	if (tp_get_int(data, len, &v))
		return -EINVAL;
	return tp_decode_int(p, id, v);
}

/**
 * quic_tp_decode - read the peer's transport parameters extension body
 * @p: filled with the peer's parameters, RFC defaults for absent ones
 * @x: filled with the connection IDs, token and versions carried
 * @from_serv: the peer is the server
 * @buf: the extension body
 * @len: its length
 *
 * Return: 0, or -EINVAL for a TRANSPORT_PARAMETER_ERROR (malformed, a
 * duplicate, a value out of range, or a server-only parameter from a
 * client).
 */
int quic_tp_decode(struct quic_transport_param *p, struct quic_tp_ext *x,
		   bool from_serv, const u8 *buf, unsigned int len)
{
	struct quic_buf b = { .p = buf, .left = len };
	u64 seen = 0, id, plen;
	const u8 *data;
	int err;

	memset(p, 0, sizeof(*p));
	memset(x, 0, sizeof(*x));
	p->remote = 1;
	p->max_udp_payload_size = 65527;
	p->ack_delay_exponent = 3;
	p->max_ack_delay = 25000;
	p->active_connection_id_limit = 2;

	while (b.left) {
		if (!quic_get_varint(&b, &id) || !quic_get_varint(&b, &plen) ||
		    !quic_get_bytes(&b, plen, &data))
			return -EINVAL;
		/* section 7.4: no parameter more than once */
		if (id <= QUIC_TP_KNOWN_LOW) {
			if (seen & BIT_ULL(id))
				return -EINVAL;
			seen |= BIT_ULL(id);
		}
		err = tp_decode_one(p, x, from_serv, id, data, plen);
		if (err)
			return err;
	}
	return 0;
}
