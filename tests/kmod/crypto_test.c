// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Known-answer tests of QUIC packet protection (modules/crypto.c): the
 * test vectors of RFC 9001 appendix A and RFC 9369 appendix A, plus key
 * update, AES-256-GCM and AES-128-CCM.  Results go to the kernel log as
 * TAP lines, "quic_crypto_test: ok N - ..." or "... not ok N - ...",
 * with "# " diagnostics; module init fails with -EINVAL if any test
 * failed, so that insmod fails.
 *
 * Packets are protected and opened with bottom halves disabled, the
 * context of the receive path.
 */
#define pr_fmt(fmt) "quic_crypto_test: " fmt

#include <crypto/hash.h>
#include <linux/bottom_half.h>
#ifdef QUIC_HAVE_LINUX_HEX_H
#include <linux/hex.h>
#endif
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/tls.h>

#include "crypto.h"

static unsigned int tc_num, tc_failed;

static __printf(2, 3) void tc_report(bool ok, const char *fmt, ...)
{
	char desc[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	tc_num++;
	if (!ok)
		tc_failed++;
	pr_info("%sok %u - %s\n", ok ? "" : "not ", tc_num, desc);
}

/* evaluates to the condition; explains a failure in a "# " line */
#define TC_CHECK(cond) ({						\
	bool __ok = (cond);						\
	if (!__ok)							\
		pr_info("# %s:%d: failed: %s\n", __func__, __LINE__, #cond); \
	__ok;								\
})

#define TC_ERR(expr, want) ({						\
	int __e = (expr), __w = (want);					\
	if (__e != __w)							\
		pr_info("# %s:%d: %s = %d, want %d\n", __func__,	\
			__LINE__, #expr, __e, __w);			\
	__e == __w;							\
})

/* a hex vector, in lines as the RFCs print them */
#define HEX(...)	((const char *const []){ __VA_ARGS__, NULL })

/* test vectors: hex, split in lines as in the RFCs */

static const char *const a2_crypto_frame[] = {
	"060040f1010000ed0303ebf8fa56f129",
	"39b9584a3896472ec40bb863cfd3e868",
	"04fe3a47f06a2b69484c000004130113",
	"02010000c000000010000e00000b6578",
	"616d706c652e636f6dff01000100000a",
	"00080006001d00170018001000070005",
	"04616c706e0005000501000000000033",
	"00260024001d00209370b2c9caa47fba",
	"baf4559fedba753de171fa71f50f1ce1",
	"5d43e994ec74d748002b000302030400",
	"0d0010000e0403050306030203080408",
	"050806002d00020101001c0002400100",
	"3900320408ffffffffffffffff050480",
	"00ffff07048000ffff08011001048000",
	"75300901100f088394c8f03e51570806",
	"048000ffff",
	NULL,
};

static const char *const a3_payload[] = {
	"02000000000600405a020000560303ee",
	"fce7f7b37ba1d1632e96677825ddf739",
	"88cfc79825df566dc5430b9a045a1200",
	"130100002e00330024001d00209d3c94",
	"0d89690b84d08a60993c144eca684d10",
	"81287c834d5311bcf32bb9da1a002b00",
	"020304",
	NULL,
};

static const char *const v1_client_first[] = {
	"c000000001088394c8f03e5157080000",
	"449e7b9aec34d1b1c98dd7689fb8ec11",
	"d242b123dc9bd8bab936b47d92ec356c",
	"0bab7df5976d27cd449f63300099f399",
	"1c260ec4c60d17b31f8429157bb35a12",
	"82a643a8d2262cad67500cadb8e7378c",
	"8eb7539e",
	NULL,
};

static const char *const v1_client_last[] = {
	"e221af44860018ab0856972e194cd934",
	NULL,
};

static const char *const v1_server[] = {
	"cf000000010008f067a5502a4262b500",
	"4075c0d95a482cd0991cd25b0aac406a",
	"5816b6394100f37a1c69797554780bb3",
	"8cc5a99f5ede4cf73c3ec2493a1839b3",
	"dbcba3f6ea46c5b7684df3548e7ddeb9",
	"c3bf9c73cc3f3bded74b562bfb19fb84",
	"022f8ef4cdd93795d77d06edbb7aaf2f",
	"58891850abbdca3d20398c276456cbc4",
	"2158407dd074ee",
	NULL,
};

static const char *const v1_retry[] = {
	"ff000000010008f067a5502a4262b574",
	"6f6b656e04a265ba2eff4d829058fb3f",
	"0f2496ba",
	NULL,
};

static const char *const v2_client_first[] = {
	"d76b3343cf088394c8f03e5157080000",
	"449ea0c95e82ffe67b6abcdb4298b485",
	"dd04de806071bf03dceebfa162e75d6c",
	"96058bdbfb127cdfcbf903388e99ad04",
	"9f9a3dd4425ae4d0992cfff18ecf0fdb",
	"5a842d09747052f17ac2053d21f57c5d",
	"250f2c4f",
	NULL,
};

static const char *const v2_client_last[] = {
	"a18b2faa745b6fe189cf772a9f84cbfc",
	NULL,
};

static const char *const v2_server[] = {
	"dc6b3343cf0008f067a5502a4262b500",
	"4075d92faaf16f05d8a4398c47089698",
	"baeea26b91eb761d9b89237bbf872630",
	"17915358230035f7fd3945d88965cf17",
	"f9af6e16886c61bfc703106fbaf3cb4c",
	"fa52382dd16a393e42757507698075b2",
	"c984c707f0a0812d8cd5a6881eaf21ce",
	"da98f4bd23f6fe1a3e2c43edd9ce7ca8",
	"4bed8521e2e140",
	NULL,
};

static const char *const v2_retry[] = {
	"cf6b3343cf0008f067a5502a4262b574",
	"6f6b656ec8646ce8bfe33952d9555436",
	"65dcc7b6",
	NULL,
};

/* the appendix A vectors of one QUIC version */
struct tc_vec {
	const char		*rfc;
	u32			version;
	const char *const	*salt;
	const char *const	*initial;
	const char *const	*client;
	const char *const	*server;
	const char *const	*ckey;
	const char *const	*civ;
	const char *const	*chp;
	const char *const	*skey;
	const char *const	*siv;
	const char *const	*shp;
	u8			client_b0;	/* unprotected */
	u8			server_b0;
	const char *const	*client_first;
	const char *const	*client_last;
	const char *const	*server_pkt;
	const char *const	*retry;
	const char		*label_prefix;
	const char *const	*cc_key;
	const char *const	*cc_iv;
	const char *const	*cc_hp;
	const char *const	*cc_ku;
	const char *const	*cc_pkt;
};

static const struct tc_vec tc_vecs[] = {
	{
		.rfc		= "RFC 9001",
		.version	= QUIC_VERSION_V1,
		.salt		= HEX("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"),
		.initial	= HEX("7db5df06e7a69e432496adedb0085192",
				      "3595221596ae2ae9fb8115c1e9ed0a44"),
		.client		= HEX("c00cf151ca5be075ed0ebfb5c80323c4",
				      "2d6b7db67881289af4008f1f6c357aea"),
		.server		= HEX("3c199828fd139efd216c155ad844cc81",
				      "fb82fa8d7446fa7d78be803acdda951b"),
		.ckey		= HEX("1f369613dd76d5467730efcbe3b1a22d"),
		.civ		= HEX("fa044b2f42a3fd3b46fb255c"),
		.chp		= HEX("9f50449e04a0e810283a1e9933adedd2"),
		.skey		= HEX("cf3a5331653c364c88f0f379b6067e37"),
		.siv		= HEX("0ac1493ca1905853b0bba03e"),
		.shp		= HEX("c206b8d9b9f0f37644430b490eeaa314"),
		.client_b0	= 0xc3,
		.server_b0	= 0xc1,
		.client_first	= v1_client_first,
		.client_last	= v1_client_last,
		.server_pkt	= v1_server,
		.retry		= v1_retry,
		.label_prefix	= "quic",
		.cc_key		= HEX("c6d98ff3441c3fe1b2182094f69caa2e",
				      "d4b716b65488960a7a984979fb23e1c8"),
		.cc_iv		= HEX("e0459b3474bdd0e44a41c144"),
		.cc_hp		= HEX("25a282b9e82f06f21f488917a4fc8f1b",
				      "73573685608597d0efcb076b0ab7a7a4"),
		.cc_ku		= HEX("1223504755036d556342ee9361d25342",
				      "1a826c9ecdf3c7148684b36b714881f9"),
		.cc_pkt		= HEX("4cfe4189655e5cd55c41f69080575d79",
				      "99c25a5bfb"),
	},
	{
		.rfc		= "RFC 9369",
		.version	= QUIC_VERSION_V2,
		.salt		= HEX("0dede3def700a6db819381be6e269dcbf9bd2ed9"),
		.initial	= HEX("2062e8b3cd8d52092614b8071d0aa1fb",
				      "7c2e3ac193f78b280e72d8f5751f6aba"),
		.client		= HEX("14ec9d6eb9fd7af83bf5a668bc17a7e2",
				      "83766aade7ecd0891f70f9ff7f4bf47b"),
		.server		= HEX("0263db1782731bf4588e7e4d93b74639",
				      "07cb8cd8200b5da55a8bd488eafc37c1"),
		.ckey		= HEX("8b1a0bc121284290a29e0971b5cd045d"),
		.civ		= HEX("91f73e2351d8fa91660e909f"),
		.chp		= HEX("45b95e15235d6f45a6b19cbcb0294ba9"),
		.skey		= HEX("82db637861d55e1d011f19ea71d5d2a7"),
		.siv		= HEX("dd13c276499c0249d3310652"),
		.shp		= HEX("edf6d05c83121201b436e16877593c3a"),
		.client_b0	= 0xd3,
		.server_b0	= 0xd1,
		.client_first	= v2_client_first,
		.client_last	= v2_client_last,
		.server_pkt	= v2_server,
		.retry		= v2_retry,
		.label_prefix	= "quicv2",
		.cc_key		= HEX("3bfcddd72bcf02541d7fa0dd1f5f9eee",
				      "a817e09a6963a0e6c7df0f9a1bab90f2"),
		.cc_iv		= HEX("a6b5bc6ab7dafce30ffff5dd"),
		.cc_hp		= HEX("d659760d2ba434a226fd37b35c69e2da",
				      "8211d10c4f12538787d65645d5d1b8e2"),
		.cc_ku		= HEX("c69374c49e3d2a9466fa689e49d476db",
				      "5d0dfbc87d32ceeaa6343fd0ae4c7d88"),
		.cc_pkt		= HEX("5558b1c60ae7b6b932bc27d786f4bc2b",
				      "b20f2162ba"),
	},
};

/* RFC 9001 A.5 */
static const char tc_cc_secret[] =
	"9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b";
static const u8 tc_dcid[] = {
	0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08,
};

#define TC_PN_NONE		((u64)-1)
#define TC_CC_PN		654360564
#define TC_CLIENT_PKT_LEN	1200	/* RFC 9001 A.2, tag included */
#define TC_CLIENT_HDR_LEN	22
#define TC_SERVER_HDR_LEN	20
#define TC_BUF_LEN		1280

/*
 * Short header test packets protected by an independent implementation
 * (the AEADs, AES and HMAC of Python's "cryptography"): 0x41, DCID
 * 0011223344556677, packet number 0x1234 on 2 bytes, payload 0x40..0x67;
 * then the same in the next key generation ("quic ku") with pn 0x1235.
 */
struct tc_app_vec {
	const char		*name;
	u32			type;
	unsigned int		secret_len;
	u8			secret_base;	/* secret: base, base + 1, ... */
	const char *const	*pkt0;
	const char *const	*pkt1;
	const char *const	*ku;
};

static const char *const gcm256_pkt0[] = {
	"50001122334455667782d2d8cb0734fa",
	"26f57350c9088709678921e9b3b11b6a",
	"f721220452e3f2afd9e66c03efec050e",
	"bcb5295a1a281df9d4e9844a30649cdf",
	"d270d2",
	NULL,
};

static const char *const gcm256_pkt1[] = {
	"4600112233445566773445a78d513831",
	"6dd8cf9549649fac1e1e50e153c8d763",
	"acd32521fa4d7f7e053e5b9b39dd6287",
	"bdd95a7a7d6a86dac9061a0e5b579624",
	"3fc995",
	NULL,
};

static const char *const ccm_pkt0[] = {
	"4d00112233445566774d28efeb005d78",
	"dad47e537691c4584908d7c12cf74988",
	"e3584905980ddf3c602fdc71af3e7c1f",
	"589a003bcc3889e7d51ca6a3d47784c8",
	"d71199",
	NULL,
};

static const char *const ccm_pkt1[] = {
	"5000112233445566773d84e976ec7e40",
	"0d45c7fb5715935669e2c3c1ccd6f9e5",
	"7308cd7e195b1f0dcc494df187f3e6b7",
	"07d46cc90ca3d5e503cdbee1e6f20ec8",
	"b6fb59",
	NULL,
};

static const struct tc_app_vec tc_app_vecs[] = {
	{
		.name		= "AES-256-GCM (SHA-384)",
		.type		= TLS_CIPHER_AES_GCM_256,
		.secret_len	= 48,
		.secret_base	= 0x00,
		.pkt0		= gcm256_pkt0,
		.pkt1		= gcm256_pkt1,
		.ku		= HEX("d21f524277390ba96b86484d9c687f85",
				      "0f1e4d1f997033bba06051129179a762",
				      "a94067d065f3f715e83d65a7bf8c79b9"),
	},
	{
		.name		= "AES-128-CCM",
		.type		= TLS_CIPHER_AES_CCM_128,
		.secret_len	= 32,
		.secret_base	= 0x80,
		.pkt0		= ccm_pkt0,
		.pkt1		= ccm_pkt1,
		.ku		= HEX("9488203968361e43636b19f89d9d9ba3",
				      "30d2764f895598ab367775ecb027e209"),
	},
};

/* helpers */

static int tc_hex(const char *hex, u8 *out, size_t max)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > max || hex2bin(out, hex, n / 2))
		return -EINVAL;
	return n / 2;
}

static int tc_hexv(const char *const *lines, u8 *out, size_t max)
{
	int len = 0, n;

	for (; *lines; lines++) {
		n = tc_hex(*lines, out + len, max - len);
		if (n < 0)
			return n;
		len += n;
	}
	return len;
}

/* compare bytes with a hex vector */
static bool tc_eq_hex(const u8 *got, const char *const *lines)
{
	u8 want[64];
	int n = tc_hexv(lines, want, sizeof(want));

	if (n < 0 || memcmp(got, want, n)) {
		pr_info("# got  %*phN\n", n < 0 ? 0 : n, got);
		pr_info("# want %*phN\n", n < 0 ? 0 : n, want);
		return false;
	}
	return true;
}

static struct quic_crypto *tc_new(void)
{
	struct quic_crypto *c = kzalloc(sizeof(*c), GFP_KERNEL);

	if (c)
		quic_crypto_init(c);
	return c;
}

static void tc_put(struct quic_crypto *c)
{
	if (c) {
		quic_crypto_free(c);
		kfree(c);
	}
}

/* a linear skb holding @data with tailroom for the tag */
static struct sk_buff *tc_skb(const u8 *data, unsigned int len)
{
	struct sk_buff *skb;

	skb = alloc_skb(64 + len + QUIC_CRYPTO_TAG_LEN, GFP_KERNEL);
	if (skb) {
		skb_reserve(skb, 64);
		skb_put_data(skb, data, len);
	}
	return skb;
}

/* @head bytes of @data in the linear part, the rest in @nfrags pages */
static struct sk_buff *tc_skb_frags(const u8 *data, unsigned int len,
				    unsigned int head, unsigned int nfrags)
{
	unsigned int per, n, pos = head, i;
	struct sk_buff *skb;
	struct page *page;

	skb = alloc_skb(64 + head, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, 64);
	skb_put_data(skb, data, head);
	per = DIV_ROUND_UP(len - head, nfrags);
	for (i = 0; pos < len; i++) {
		n = min(per, len - pos);
		page = alloc_page(GFP_KERNEL);
		if (!page || n > PAGE_SIZE - 100) {
			if (page)
				__free_page(page);
			kfree_skb(skb);
			return NULL;
		}
		memcpy(page_address(page) + 100, data + pos, n);
		skb_add_rx_frag(skb, i, page, 100, n, PAGE_SIZE);
		pos += n;
	}
	return skb;
}

/* the bytes [off, off + len) of @skb equal @want */
static bool tc_skb_eq(const struct sk_buff *skb, unsigned int off,
		      const u8 *want, unsigned int len)
{
	u8 *buf = kmalloc(len, GFP_KERNEL);
	bool eq;

	if (!buf)
		return false;
	eq = !skb_copy_bits(skb, off, buf, len) && !memcmp(buf, want, len);
	if (!eq)
		pr_info("# skb bytes [%u, %u) differ\n", off, off + len);
	kfree(buf);
	return eq;
}

static int tc_encrypt(struct quic_crypto *c, struct sk_buff *skb,
		      unsigned int off, unsigned int pn_offset,
		      unsigned int pn_len, u64 pn)
{
	int err;

	local_bh_disable();
	err = quic_crypto_encrypt(c, skb, off, pn_offset, pn_len, pn);
	local_bh_enable();
	return err;
}

static int tc_decrypt(struct quic_crypto *c, struct sk_buff *skb,
		      unsigned int off, unsigned int pkt_len,
		      unsigned int pn_offset, u64 largest_pn,
		      struct quic_crypto_rx_info *info)
{
	int err;

	memset(info, 0xa5, sizeof(*info));
	local_bh_disable();
	err = quic_crypto_decrypt(c, skb, off, pkt_len, pn_offset, largest_pn,
				  info);
	local_bh_enable();
	return err;
}

static int tc_commit(struct quic_crypto *c)
{
	int err;

	local_bh_disable();
	err = quic_crypto_key_update_commit(c);
	local_bh_enable();
	return err;
}

static void tc_be32(u32 x, u8 *p)
{
	p[0] = x >> 24;
	p[1] = x >> 16;
	p[2] = x >> 8;
	p[3] = x;
}

/* scratch buffers of one test run */
struct tc_ctx {
	u8	plain[TC_BUF_LEN];	/* an unprotected packet */
	u8	prot[TC_BUF_LEN];	/* a protected packet */
	u8	want[TC_BUF_LEN];	/* an expected packet */
	u8	tmp[TC_BUF_LEN];
	u8	old[TC_BUF_LEN];	/* a packet held back */
};

/* the unprotected client Initial of A.2: header and padded payload */
static int tc_client_initial(const struct tc_vec *v, u8 *pkt)
{
	int n;

	memset(pkt, 0, TC_CLIENT_PKT_LEN);
	pkt[0] = v->client_b0;
	tc_be32(v->version, pkt + 1);
	pkt[5] = sizeof(tc_dcid);
	memcpy(pkt + 6, tc_dcid, sizeof(tc_dcid));
	/* scid len 0, token len 0, length 0x449e, pn 00000002 */
	memcpy(pkt + 14, "\x00\x00\x44\x9e\x00\x00\x00\x02", 8);
	n = tc_hexv(a2_crypto_frame, pkt + TC_CLIENT_HDR_LEN,
		    TC_CLIENT_PKT_LEN - TC_CLIENT_HDR_LEN);
	if (n < 0)
		return n;
	return TC_CLIENT_PKT_LEN - QUIC_CRYPTO_TAG_LEN;	/* 1162 payload */
}

/* the unprotected server Initial of A.3 */
static int tc_server_initial(const struct tc_vec *v, u8 *pkt)
{
	int n;

	pkt[0] = v->server_b0;
	tc_be32(v->version, pkt + 1);
	/* dcid len 0, scid len 8, scid, token len 0, length 0x75, pn 0001 */
	memcpy(pkt + 5, "\x00\x08\xf0\x67\xa5\x50\x2a\x42\x62\xb5\x00\x40\x75"
	       "\x00\x01", 15);
	n = tc_hexv(a3_payload, pkt + TC_SERVER_HDR_LEN,
		    TC_BUF_LEN - TC_SERVER_HDR_LEN);
	return n < 0 ? n : TC_SERVER_HDR_LEN + n;
}

/* tests */

/* A.1: the key schedule through the HKDF helpers */
static void tc_initial_secrets(const struct tc_vec *v)
{
	u8 salt[20], initial[32], secret[32], out[32];
	char label[16];
	struct crypto_shash *hmac;
	bool ok = true;
	int i;

	hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(hmac)) {
		pr_info("# hmac(sha256): %ld\n", PTR_ERR(hmac));
		tc_report(false, "%s A.1: Initial secrets, keys, IVs, hp keys",
			  v->rfc);
		return;
	}
	ok &= TC_CHECK(tc_hexv(v->salt, salt, sizeof(salt)) == 20);
	ok &= TC_ERR(quic_hkdf_extract(hmac, salt, sizeof(salt), tc_dcid,
				       sizeof(tc_dcid), initial), 0);
	ok &= TC_CHECK(tc_eq_hex(initial, v->initial));
	for (i = 0; i < 2; i++) {
		ok &= TC_ERR(quic_hkdf_expand_label(hmac, initial, 32,
						    i ? "server in" :
							"client in",
						    NULL, 0, secret, 32), 0);
		ok &= TC_CHECK(tc_eq_hex(secret, i ? v->server : v->client));
		snprintf(label, sizeof(label), "%s key", v->label_prefix);
		ok &= TC_ERR(quic_hkdf_expand_label(hmac, secret, 32, label,
						    NULL, 0, out, 16), 0);
		ok &= TC_CHECK(tc_eq_hex(out, i ? v->skey : v->ckey));
		snprintf(label, sizeof(label), "%s iv", v->label_prefix);
		ok &= TC_ERR(quic_hkdf_expand_label(hmac, secret, 32, label,
						    NULL, 0, out, 12), 0);
		ok &= TC_CHECK(tc_eq_hex(out, i ? v->siv : v->civ));
		snprintf(label, sizeof(label), "%s hp", v->label_prefix);
		ok &= TC_ERR(quic_hkdf_expand_label(hmac, secret, 32, label,
						    NULL, 0, out, 16), 0);
		ok &= TC_CHECK(tc_eq_hex(out, i ? v->shp : v->chp));
	}
	crypto_free_shash(hmac);
	tc_report(ok, "%s A.1: Initial secrets, keys, IVs, hp keys (HKDF)",
		  v->rfc);
}

/* A.1: quic_crypto_initial_keys() picks the right side */
static void tc_initial_install(const struct tc_vec *v)
{
	struct quic_crypto *cli = tc_new(), *srv = tc_new();
	bool ok = cli && srv;

	if (ok) {
		ok &= TC_ERR(quic_crypto_initial_keys(cli, tc_dcid,
						      sizeof(tc_dcid),
						      v->version, false), 0);
		ok &= TC_ERR(quic_crypto_initial_keys(srv, tc_dcid,
						      sizeof(tc_dcid),
						      v->version, true), 0);
	}
	if (ok) {
		ok &= TC_CHECK(quic_crypto_tx_ready(cli) &&
			       quic_crypto_rx_ready(cli));
		ok &= TC_CHECK(tc_eq_hex(cli->tx.key[0].iv, v->civ));
		ok &= TC_CHECK(tc_eq_hex(cli->rx.key[0].iv, v->siv));
		ok &= TC_CHECK(tc_eq_hex(srv->tx.key[0].iv, v->siv));
		ok &= TC_CHECK(tc_eq_hex(srv->rx.key[0].iv, v->civ));
		ok &= TC_CHECK(!cli->tx.app && !quic_crypto_key_update_pending(cli));
	}
	tc_put(cli);
	tc_put(srv);
	tc_report(ok, "%s A.1: quic_crypto_initial_keys() installs client and server sides",
		  v->rfc);
}

/* A.2: client Initial, both ways, several skb shapes */
static void tc_client_initial_tests(const struct tc_vec *v, struct tc_ctx *t)
{
	struct quic_crypto *cli = tc_new(), *srv = tc_new();
	struct quic_crypto_rx_info info;
	struct sk_buff *skb = NULL, *clone;
	unsigned char *head = NULL;
	int plen, n, err;
	bool ok;

	if (!cli || !srv) {
		tc_put(cli);
		tc_put(srv);
		tc_report(false, "%s A.2: set up", v->rfc);
		return;
	}
	ok = !quic_crypto_initial_keys(cli, tc_dcid, sizeof(tc_dcid),
				       v->version, false) &&
	     !quic_crypto_initial_keys(srv, tc_dcid, sizeof(tc_dcid),
				       v->version, true);
	plen = tc_client_initial(v, t->plain);
	ok &= TC_CHECK(plen == 1184);
	n = tc_hexv(v->client_first, t->want, sizeof(t->want));
	ok &= TC_CHECK(n == 100);
	n = tc_hexv(v->client_last, t->want + TC_CLIENT_PKT_LEN - 16, 16);
	ok &= TC_CHECK(n == 16);

	/* protect a linear skb; what it gives is opened below */
	memset(t->prot, 0, TC_CLIENT_PKT_LEN);
	if (ok) {
		skb = tc_skb(t->plain, plen);
		head = skb ? skb->head : NULL;
		ok = skb && TC_ERR(tc_encrypt(cli, skb, 0, 18, 4, 2), 0);
	}
	if (ok) {
		/* the fast path: in place, no new head */
		ok &= TC_CHECK(skb->head == head);
		ok &= TC_CHECK(skb->len == TC_CLIENT_PKT_LEN);
		ok &= TC_CHECK(tc_skb_eq(skb, 0, t->want, 100));
		ok &= TC_CHECK(tc_skb_eq(skb, TC_CLIENT_PKT_LEN - 16,
					 t->want + TC_CLIENT_PKT_LEN - 16, 16));
		ok &= TC_CHECK(cli->tx.packets == 1);
		ok &= TC_CHECK(!skb_copy_bits(skb, 0, t->prot,
					      min(skb->len, TC_CLIENT_PKT_LEN)));
	}
	tc_report(ok, "%s A.2: client Initial protected bytes (first 100, last 16)",
		  v->rfc);
	kfree_skb(skb);

	/* open it, linear */
	skb = tc_skb(t->prot, TC_CLIENT_PKT_LEN);
	ok = !!skb;
	if (ok) {
		err = tc_decrypt(srv, skb, 0, skb->len, 18, TC_PN_NONE, &info);
		ok = TC_ERR(err, 0);
	}
	if (ok) {
		ok &= TC_CHECK(info.pn == 2 && info.pn_len == 4);
		ok &= TC_CHECK(info.hdr_len == TC_CLIENT_HDR_LEN);
		ok &= TC_CHECK(info.first_byte == v->client_b0);
		ok &= TC_CHECK(!info.key_update);
		ok &= TC_CHECK(tc_skb_eq(skb, 0, t->plain, plen));
	}
	tc_report(ok, "%s A.2: server opens the client Initial (linear skb)",
		  v->rfc);
	kfree_skb(skb);

	/* open it from page frags; the header straddles head and frags */
	skb = tc_skb_frags(t->prot, TC_CLIENT_PKT_LEN, 10, 3);
	ok = skb && TC_CHECK(skb_is_nonlinear(skb) &&
			     skb_shinfo(skb)->nr_frags == 3);
	if (ok) {
		err = tc_decrypt(srv, skb, 0, skb->len, 18, 1, &info);
		ok = TC_ERR(err, 0) && TC_CHECK(info.pn == 2) &&
		     TC_CHECK(tc_skb_eq(skb, 0, t->plain, plen));
		/* private frags are worked on in place, not copied */
		ok = ok && TC_CHECK(skb_shinfo(skb)->nr_frags == 3 &&
				    skb_headlen(skb) == 10);
	}
	tc_report(ok, "%s A.2: server opens the client Initial from page frags",
		  v->rfc);
	kfree_skb(skb);

	/* protect from page frags */
	skb = tc_skb_frags(t->plain, plen, 7, 2);
	ok = skb && TC_ERR(tc_encrypt(cli, skb, 0, 18, 4, 2), 0);
	ok = ok && TC_CHECK(skb->len == TC_CLIENT_PKT_LEN) &&
	     TC_CHECK(tc_skb_eq(skb, 0, t->prot, TC_CLIENT_PKT_LEN));
	tc_report(ok, "%s A.2: client Initial protected from a non-linear skb",
		  v->rfc);
	kfree_skb(skb);

	/* a clone is copied before it is written */
	skb = tc_skb(t->prot, TC_CLIENT_PKT_LEN);
	clone = skb ? skb_clone(skb, GFP_KERNEL) : NULL;
	ok = clone && TC_ERR(tc_decrypt(srv, clone, 0, clone->len, 18,
					TC_PN_NONE, &info), 0);
	ok = ok && TC_CHECK(tc_skb_eq(clone, 0, t->plain, plen)) &&
	     TC_CHECK(tc_skb_eq(skb, 0, t->prot, TC_CLIENT_PKT_LEN));
	tc_report(ok, "%s A.2: a cloned skb is opened, the original untouched",
		  v->rfc);
	kfree_skb(clone);
	kfree_skb(skb);

	/* tampering: payload, tag, header (AAD) */
	ok = true;
	for (n = 0; n < 3; n++) {
		static const unsigned int at[] = { 500, TC_CLIENT_PKT_LEN - 1, 7 };
		u64 fails = srv->rx_auth_failures;

		memcpy(t->tmp, t->prot, TC_CLIENT_PKT_LEN);
		t->tmp[at[n]] ^= 0x01;
		skb = tc_skb(t->tmp, TC_CLIENT_PKT_LEN);
		ok &= skb && TC_ERR(tc_decrypt(srv, skb, 0, skb->len, 18,
					       TC_PN_NONE, &info), -EBADMSG);
		ok &= TC_CHECK(srv->rx_auth_failures == fails + 1);
		kfree_skb(skb);
	}
	skb = tc_skb(t->prot, TC_CLIENT_PKT_LEN);
	ok &= skb && TC_ERR(tc_decrypt(srv, skb, 0, skb->len, 18, TC_PN_NONE,
				       &info), 0);
	kfree_skb(skb);
	tc_report(ok, "%s A.2: tampered payload, tag or header: -EBADMSG, keys unchanged",
		  v->rfc);
	tc_put(cli);
	tc_put(srv);
}

/* A.3: server Initial */
static void tc_server_initial_tests(const struct tc_vec *v, struct tc_ctx *t)
{
	struct quic_crypto *cli = tc_new(), *srv = tc_new();
	struct quic_crypto_rx_info info;
	struct sk_buff *skb = NULL;
	int plen, n;
	bool ok;

	ok = cli && srv &&
	     !quic_crypto_initial_keys(cli, tc_dcid, sizeof(tc_dcid),
				       v->version, false) &&
	     !quic_crypto_initial_keys(srv, tc_dcid, sizeof(tc_dcid),
				       v->version, true);
	plen = tc_server_initial(v, t->plain);
	n = tc_hexv(v->server_pkt, t->want, sizeof(t->want));
	ok &= TC_CHECK(plen == 119 && n == plen + 16);
	if (ok) {
		skb = tc_skb(t->plain, plen);
		ok = skb && TC_ERR(tc_encrypt(srv, skb, 0, 18, 2, 1), 0) &&
		     TC_CHECK(skb->len == n) &&
		     TC_CHECK(tc_skb_eq(skb, 0, t->want, n));
	}
	tc_report(ok, "%s A.3: server Initial protected bytes (all %d)",
		  v->rfc, n);
	if (ok) {
		ok = TC_ERR(tc_decrypt(cli, skb, 0, skb->len, 18, 0, &info), 0) &&
		     TC_CHECK(info.pn == 1 && info.pn_len == 2) &&
		     TC_CHECK(info.first_byte == v->server_b0) &&
		     TC_CHECK(tc_skb_eq(skb, 0, t->plain, plen));
	}
	tc_report(ok, "%s A.3: client opens the server Initial", v->rfc);
	kfree_skb(skb);
	tc_put(cli);
	tc_put(srv);
}

/* A.4: Retry integrity tag */
static void tc_retry(const struct tc_vec *v, struct tc_ctx *t)
{
	u8 tag[QUIC_CRYPTO_TAG_LEN];
	int n, len;
	bool ok;

	/* pseudo-packet: ODCID length, ODCID, Retry without its tag */
	t->tmp[0] = sizeof(tc_dcid);
	memcpy(t->tmp + 1, tc_dcid, sizeof(tc_dcid));
	n = tc_hexv(v->retry, t->tmp + 1 + sizeof(tc_dcid), 256);
	ok = TC_CHECK(n == 36);
	len = 1 + sizeof(tc_dcid) + n - QUIC_CRYPTO_TAG_LEN;
	if (ok) {
		ok &= TC_ERR(quic_crypto_retry_tag(t->tmp, len, v->version,
						   tag), 0);
		ok &= TC_CHECK(!memcmp(tag, t->tmp + len, sizeof(tag)));
		ok &= TC_ERR(quic_crypto_retry_verify(t->tmp, len, v->version,
						      t->tmp + len), 0);
		t->tmp[len - 1] ^= 0x80;	/* token */
		ok &= TC_ERR(quic_crypto_retry_verify(t->tmp, len, v->version,
						      t->tmp + len), -EBADMSG);
		t->tmp[len - 1] ^= 0x80;
		t->tmp[len] ^= 0x01;		/* tag */
		ok &= TC_ERR(quic_crypto_retry_verify(t->tmp, len, v->version,
						      t->tmp + len), -EBADMSG);
	}
	tc_report(ok, "%s A.4: Retry integrity tag; tampered Retry rejected",
		  v->rfc);
}

static int tc_set(struct quic_crypto *c, bool send, u8 level, u32 type,
		  const u8 *secret, unsigned int len, u32 version)
{
	struct quic_crypto_secret s = {
		.send = send,
		.level = level,
		.type = type,
	};

	memcpy(s.secret, secret, len);
	return quic_crypto_set_secret(c, &s, version);
}

/* A.5: ChaCha20-Poly1305 short header packet */
static void tc_chacha(const struct tc_vec *v, struct tc_ctx *t)
{
	static const u8 plain[] = { 0x42, 0x00, 0xbf, 0xf4, 0x01 };
	struct quic_crypto *a = tc_new(), *b = tc_new();
	struct quic_crypto_rx_info info;
	struct crypto_shash *hmac;
	struct sk_buff *skb = NULL;
	u8 secret[32], out[32];
	char label[16];
	bool ok;

	ok = a && b && TC_CHECK(tc_hex(tc_cc_secret, secret, 32) == 32);
	ok = ok && TC_ERR(tc_set(a, true, QUIC_CRYPTO_APP,
				 TLS_CIPHER_CHACHA20_POLY1305, secret, 32,
				 v->version), 0);
	ok = ok && TC_ERR(tc_set(b, false, QUIC_CRYPTO_APP,
				 TLS_CIPHER_CHACHA20_POLY1305, secret, 32,
				 v->version), 0);
	if (ok) {
		/* installed: the IV, and the next generation's secret */
		ok &= TC_CHECK(tc_eq_hex(a->tx.key[0].iv, v->cc_iv));
		ok &= TC_CHECK(tc_eq_hex(a->tx.secret, v->cc_ku));
		ok &= TC_CHECK(tc_eq_hex(b->rx.secret, v->cc_ku));
		ok &= TC_CHECK(a->tx.next_ready && !a->tx.phase);
		hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
		ok &= TC_CHECK(!IS_ERR(hmac));
		if (!IS_ERR(hmac)) {
			snprintf(label, sizeof(label), "%s key",
				 v->label_prefix);
			ok &= TC_ERR(quic_hkdf_expand_label(hmac, secret, 32,
							    label, NULL, 0,
							    out, 32), 0);
			ok &= TC_CHECK(tc_eq_hex(out, v->cc_key));
			snprintf(label, sizeof(label), "%s hp",
				 v->label_prefix);
			ok &= TC_ERR(quic_hkdf_expand_label(hmac, secret, 32,
							    label, NULL, 0,
							    out, 32), 0);
			ok &= TC_CHECK(tc_eq_hex(out, v->cc_hp));
			crypto_free_shash(hmac);
		}
	}
	tc_report(ok, "%s A.5: ChaCha20-Poly1305 key, IV, hp key, ku secret",
		  v->rfc);

	if (ok) {
		skb = tc_skb(plain, sizeof(plain));
		ok = skb && TC_ERR(tc_encrypt(a, skb, 0, 1, 3, TC_CC_PN), 0) &&
		     TC_CHECK(skb->len == 21) &&
		     TC_CHECK(!skb_copy_bits(skb, 0, t->prot, 21)) &&
		     TC_CHECK(tc_eq_hex(t->prot, v->cc_pkt));
	}
	tc_report(ok, "%s A.5: ChaCha20-Poly1305 short header protected bytes",
		  v->rfc);
	if (ok) {
		ok = TC_ERR(tc_decrypt(b, skb, 0, 21, 1, TC_CC_PN - 1, &info),
			    0) &&
		     TC_CHECK(info.pn == TC_CC_PN && info.pn_len == 3) &&
		     TC_CHECK(info.hdr_len == 4 && !info.key_phase) &&
		     TC_CHECK(!info.key_update) &&
		     TC_CHECK(tc_skb_eq(skb, 0, plain, sizeof(plain)));
	}
	tc_report(ok, "%s A.5: opened, packet number %u", v->rfc, TC_CC_PN);
	kfree_skb(skb);
	tc_put(a);
	tc_put(b);
}

/* Two 1-RTT endpoints a and b: a sends with s1, b with s2. */
static int tc_app_pair(u32 type, const u8 *s1, const u8 *s2, unsigned int len,
		       struct quic_crypto **pa, struct quic_crypto **pb)
{
	struct quic_crypto *a = tc_new(), *b = tc_new();
	int err = -ENOMEM;

	if (a && b) {
		err = tc_set(a, true, QUIC_CRYPTO_APP, type, s1, len,
			     QUIC_VERSION_V1);
		if (!err)
			err = tc_set(a, false, QUIC_CRYPTO_APP, type, s2, len,
				     QUIC_VERSION_V1);
		if (!err)
			err = tc_set(b, false, QUIC_CRYPTO_APP, type, s1, len,
				     QUIC_VERSION_V1);
		if (!err)
			err = tc_set(b, true, QUIC_CRYPTO_APP, type, s2, len,
				     QUIC_VERSION_V1);
	}
	if (err) {
		tc_put(a);
		tc_put(b);
		a = NULL;
		b = NULL;
	}
	*pa = a;
	*pb = b;
	return err;
}

/* the short header packet of struct tc_app_vec */
static unsigned int tc_app_packet(u8 *pkt, u16 pn)
{
	int i;

	pkt[0] = 0x41;
	for (i = 0; i < 8; i++)
		pkt[1 + i] = 0x11 * i;
	pkt[9] = pn >> 8;
	pkt[10] = pn & 0xff;
	for (i = 0; i < 40; i++)
		pkt[11 + i] = 0x40 + i;
	return 51;
}

/* AES-256-GCM, AES-128-CCM: both generations against a reference */
static void tc_app_cipher(const struct tc_app_vec *av, struct tc_ctx *t)
{
	struct quic_crypto *a = NULL, *b = NULL;
	struct quic_crypto_rx_info info;
	u8 s1[48], s2[48];
	struct sk_buff *skb = NULL;
	unsigned int i, plen;
	int n;
	bool ok;

	for (i = 0; i < av->secret_len; i++) {
		s1[i] = av->secret_base + i;
		s2[i] = ~s1[i];
	}
	ok = TC_ERR(tc_app_pair(av->type, s1, s2, av->secret_len, &a, &b), 0);
	ok = ok && TC_CHECK(tc_eq_hex(a->tx.secret, av->ku));

	plen = tc_app_packet(t->plain, 0x1234);
	n = tc_hexv(av->pkt0, t->want, sizeof(t->want));
	ok = ok && TC_CHECK(n == plen + 16);
	if (ok) {
		skb = tc_skb(t->plain, plen);
		ok = skb && TC_ERR(tc_encrypt(a, skb, 0, 9, 2, 0x1234), 0) &&
		     TC_CHECK(tc_skb_eq(skb, 0, t->want, n));
	}
	if (ok) {
		ok = TC_ERR(tc_decrypt(b, skb, 0, n, 9, 0x1233, &info), 0) &&
		     TC_CHECK(info.pn == 0x1234 && !info.key_update) &&
		     TC_CHECK(tc_skb_eq(skb, 0, t->plain, plen));
	}
	kfree_skb(skb);
	skb = NULL;
	/* again from page frags */
	if (ok) {
		skb = tc_skb_frags(t->want, n, 3, 2);
		ok = skb && TC_ERR(tc_decrypt(b, skb, 0, n, 9, 0x1233, &info),
				   0) &&
		     TC_CHECK(tc_skb_eq(skb, 0, t->plain, plen));
		kfree_skb(skb);
		skb = NULL;
	}
	tc_report(ok, "%s: short header protected bytes, opened (linear, frags)",
		  av->name);

	/* next generation, "quic ku" */
	plen = tc_app_packet(t->plain, 0x1235);
	n = tc_hexv(av->pkt1, t->want, sizeof(t->want));
	ok = ok && TC_CHECK(n == plen + 16) &&
	     TC_ERR(quic_crypto_key_update(a), 0);
	if (ok) {
		skb = tc_skb(t->plain, plen);
		ok = skb && TC_ERR(tc_encrypt(a, skb, 0, 9, 2, 0x1235), 0) &&
		     TC_CHECK(tc_skb_eq(skb, 0, t->want, n));
	}
	if (ok) {
		ok = TC_ERR(tc_decrypt(b, skb, 0, n, 9, 0x1234, &info), 0) &&
		     TC_CHECK(info.pn == 0x1235 && info.key_update) &&
		     TC_CHECK(info.key_phase == 1) &&
		     TC_ERR(tc_commit(b), 0) &&
		     TC_CHECK(b->rx.phase == 1 && b->tx.phase == 1);
		t->plain[0] |= 0x04;	/* the key phase bit was set */
		ok = ok && TC_CHECK(tc_skb_eq(skb, 0, t->plain, plen));
	}
	tc_report(ok, "%s: key update: next generation protected bytes, opened",
		  av->name);
	kfree_skb(skb);
	tc_put(a);
	tc_put(b);
}

/* protect a short header packet from a, numbered pn, into t->prot */
static int tc_app_send(struct quic_crypto *a, struct tc_ctx *t, u16 pn)
{
	unsigned int plen = tc_app_packet(t->plain, pn);
	struct sk_buff *skb = tc_skb(t->plain, plen);
	int err;

	if (!skb)
		return -ENOMEM;
	err = tc_encrypt(a, skb, 0, 9, 2, pn);
	if (!err)
		err = skb_copy_bits(skb, 0, t->prot, skb->len);
	kfree_skb(skb);
	return err ? err : plen + QUIC_CRYPTO_TAG_LEN;
}

/* open t->prot (len bytes) at b, with BHs off as in softirq */
static int tc_app_recv(struct quic_crypto *b, struct tc_ctx *t, int len,
		       u64 largest, struct quic_crypto_rx_info *info)
{
	struct sk_buff *skb;
	int err;

	if (len < 0)
		return len;
	skb = tc_skb(t->prot, len);
	if (!skb)
		return -ENOMEM;
	err = tc_decrypt(b, skb, 0, len, 9, largest, info);
	kfree_skb(skb);
	return err;
}

/* RFC 9001 section 6.6 and appendix B: packets that may fail
 * authentication, per AEAD; the limit is reached with the last of them
 */
static void tc_integrity_limit(struct tc_ctx *t)
{
	static const struct {
		u32 type;
		u8 secret_len;
		u64 limit;
		const char *name;
	} lim[] = {
		{ TLS_CIPHER_AES_GCM_128, 32, 1ULL << 52, "AES-128-GCM" },
		{ TLS_CIPHER_AES_GCM_256, 48, 1ULL << 52, "AES-256-GCM" },
		{ TLS_CIPHER_AES_CCM_128, 32, 11863283, "AES-128-CCM" },
		{ TLS_CIPHER_CHACHA20_POLY1305, 32, 1ULL << 36,
		  "CHACHA20-POLY1305" },
	};
	struct quic_crypto *a, *b;
	struct quic_crypto_rx_info info;
	u8 s1[48], s2[48];
	unsigned int i, j;
	bool ok;
	int len;

	for (i = 0; i < ARRAY_SIZE(lim); i++) {
		for (j = 0; j < sizeof(s1); j++) {
			s1[j] = 0x30 + i + j;
			s2[j] = ~s1[j];
		}
		a = NULL;
		b = NULL;
		ok = TC_ERR(tc_app_pair(lim[i].type, s1, s2, lim[i].secret_len,
					&a, &b), 0);
		if (ok) {
			b->rx_auth_failures = lim[i].limit - 2;
			len = tc_app_send(a, t, 7);
			ok = TC_CHECK(len > 0);
		}
		if (ok) {
			t->prot[len - 1] ^= 1;	/* the tag */
			ok = TC_ERR(tc_app_recv(b, t, len, 6, &info),
				    -EBADMSG) &&
			     TC_CHECK(!quic_crypto_rx_limit_reached(b)) &&
			     TC_ERR(tc_app_recv(b, t, len, 6, &info),
				    -EBADMSG) &&
			     TC_CHECK(quic_crypto_rx_limit_reached(b)) &&
			     TC_CHECK(b->rx_auth_failures == lim[i].limit);
		}
		tc_report(ok, "%s: integrity limit %llu failed packets",
			  lim[i].name, lim[i].limit);
		tc_put(a);
		tc_put(b);
	}
}

/* key update, RFC 9001 section 6, over ChaCha20-Poly1305 */
static void tc_key_update(struct tc_ctx *t)
{
	struct quic_crypto *a = NULL, *b = NULL;
	struct quic_crypto_rx_info info;
	u8 s1[32], s2[32];
	int len, old_len = 0;
	bool ok;

	ok = TC_CHECK(tc_hex(tc_cc_secret, s1, 32) == 32);
	memset(s2, 0x5a, sizeof(s2));
	ok = ok && TC_ERR(tc_app_pair(TLS_CIPHER_CHACHA20_POLY1305, s1, s2,
				      32, &a, &b), 0);
	if (!ok)
		goto out;

	/* phase 0 both ways; a packet held back for later */
	ok &= TC_ERR(tc_app_recv(b, t, tc_app_send(a, t, 10), 9, &info), 0);
	ok &= TC_CHECK(!info.key_phase && !info.key_update);
	old_len = tc_app_send(a, t, 11);
	ok &= TC_CHECK(old_len > 0);
	if (old_len > 0)
		memcpy(t->old, t->prot, old_len);
	ok &= TC_CHECK(!quic_crypto_key_update_pending(a));
	tc_report(ok, "key update: phase 0 both ways, next generation ready at install");

	/* a initiates */
	ok = TC_ERR(quic_crypto_key_update(a), 0) &&
	     TC_CHECK(quic_crypto_tx_phase(a) == 1 &&
		      quic_crypto_rx_phase(a) == 0) &&
	     TC_CHECK(quic_crypto_key_update_in_flight(a)) &&
	     TC_ERR(quic_crypto_key_update(a), -EBUSY);
	/* a tampered next-phase packet changes nothing */
	len = tc_app_send(a, t, 12);
	ok &= TC_CHECK(len > 0);
	if (len > 0) {
		t->prot[len - 3] ^= 0x10;
		ok &= TC_ERR(tc_app_recv(b, t, len, 11, &info), -EBADMSG);
		ok &= TC_CHECK(b->rx.phase == 0 && b->tx.phase == 0 &&
			       b->rx.next_ready);
	}
	tc_report(ok, "key update: initiated, -EBUSY in flight, bad next-phase packet no change");

	/* b opens the next phase with the precomputed keys and commits */
	len = tc_app_send(a, t, 13);
	ok = TC_ERR(tc_app_recv(b, t, len, 11, &info), 0) &&
	     TC_CHECK(info.key_phase == 1 && info.key_update && info.pn == 13) &&
	     TC_ERR(tc_commit(b), 0) &&
	     TC_CHECK(quic_crypto_rx_phase(b) == 1 &&
		      quic_crypto_tx_phase(b) == 1) &&
	     TC_CHECK(quic_crypto_key_update_pending(b));
	/* b's answer, in the new phase, completes the update at a */
	len = tc_app_send(b, t, 100);
	ok = ok && TC_ERR(tc_app_recv(a, t, len, 99, &info), 0) &&
	     TC_CHECK(info.key_phase == 1 && info.key_update) &&
	     TC_ERR(tc_commit(a), 0) &&
	     TC_CHECK(quic_crypto_rx_phase(a) == 1 &&
		      quic_crypto_tx_phase(a) == 1) &&
	     TC_CHECK(!quic_crypto_key_update_in_flight(a));
	/* phase 1 traffic with no update flag */
	len = tc_app_send(a, t, 14);
	ok = ok && TC_ERR(tc_app_recv(b, t, len, 13, &info), 0) &&
	     TC_CHECK(info.key_phase == 1 && !info.key_update);
	tc_report(ok, "key update: next phase opened in BH with precomputed keys, committed");

	/* before prepare the old generation opens reordered packets */
	memcpy(t->prot, t->old, old_len);
	ok = TC_ERR(tc_app_recv(b, t, old_len, 14, &info), 0) &&
	     TC_CHECK(info.pn == 11 && info.key_phase == 0 &&
		      !info.key_update) &&
	     TC_ERR(quic_crypto_key_update(a), -EAGAIN);
	/* prepare derives generation 2 over the old keys */
	ok = ok && TC_ERR(quic_crypto_key_update_prepare(a), 0) &&
	     TC_ERR(quic_crypto_key_update_prepare(b), 0) &&
	     TC_CHECK(!quic_crypto_key_update_pending(a) &&
		      !quic_crypto_key_update_pending(b));
	memcpy(t->prot, t->old, old_len);
	ok = ok && TC_ERR(tc_app_recv(b, t, old_len, 14, &info), -EBADMSG) &&
	     TC_CHECK(quic_crypto_rx_phase(b) == 1);
	tc_report(ok, "key update: old phase opens reordered packets until prepare, not after");

	/* a second update, initiated by b this time */
	ok = TC_ERR(quic_crypto_key_update(b), 0);
	len = tc_app_send(b, t, 101);
	ok = ok && TC_ERR(tc_app_recv(a, t, len, 100, &info), 0) &&
	     TC_CHECK(info.key_phase == 0 && info.key_update) &&
	     TC_ERR(tc_commit(a), 0) &&
	     TC_CHECK(quic_crypto_tx_phase(a) == 0 &&
		      quic_crypto_rx_phase(a) == 0);
	len = tc_app_send(a, t, 15);
	ok = ok && TC_ERR(tc_app_recv(b, t, len, 14, &info), 0) &&
	     TC_CHECK(info.key_phase == 0 && info.key_update) &&
	     TC_ERR(tc_commit(b), 0) &&
	     TC_CHECK(quic_crypto_rx_phase(b) == 0) &&
	     TC_ERR(tc_commit(b), -EINVAL);
	tc_report(ok, "key update: second update (generation 2) initiated by the peer");
out:
	if (!a)
		tc_report(false, "key update: set up");
	tc_put(a);
	tc_put(b);
}

/* coalesced packets: server Initial then a 1-RTT packet, one skb */
static void tc_coalesced(struct tc_ctx *t)
{
	static const u8 plain[] = { 0x42, 0x00, 0xbf, 0xf4, 0x01 };
	const struct tc_vec *v = &tc_vecs[0];
	struct quic_crypto *init = tc_new(), *app = tc_new();
	struct quic_crypto_rx_info info;
	struct sk_buff *skb = NULL;
	u8 secret[32];
	int n, m;
	bool ok;

	n = tc_hexv(v->server_pkt, t->prot, sizeof(t->prot));
	m = tc_hexv(v->cc_pkt, t->prot + n, sizeof(t->prot) - n);
	ok = init && app && TC_CHECK(n == 135 && m == 21) &&
	     TC_CHECK(tc_hex(tc_cc_secret, secret, 32) == 32) &&
	     !quic_crypto_initial_keys(init, tc_dcid, sizeof(tc_dcid),
				       v->version, false) &&
	     !tc_set(app, false, QUIC_CRYPTO_APP,
		     TLS_CIPHER_CHACHA20_POLY1305, secret, 32, v->version);
	if (ok) {
		skb = tc_skb_frags(t->prot, n + m, 30, 4);
		ok = skb &&
		     TC_ERR(tc_decrypt(app, skb, n, m, 1, TC_CC_PN - 1, &info),
			    0) &&
		     TC_CHECK(info.pn == TC_CC_PN) &&
		     TC_ERR(tc_decrypt(init, skb, 0, n, 18, TC_PN_NONE, &info),
			    0) &&
		     TC_CHECK(info.pn == 1) &&
		     TC_CHECK(tc_skb_eq(skb, n, plain, sizeof(plain)));
		/* the packet bounds are the caller's: past them, -EINVAL */
		ok = ok && TC_ERR(tc_decrypt(app, skb, n, m + 1, 1, 0, &info),
				  -EINVAL);
	}
	n = tc_server_initial(v, t->plain);
	ok = ok && TC_CHECK(tc_skb_eq(skb, 0, t->plain, n));
	tc_report(ok, "coalesced Initial and 1-RTT packets opened in one fragmented skb");
	kfree_skb(skb);
	tc_put(init);
	tc_put(app);
}

/* RFC 9000 appendix A.3 and edges */
static void tc_pn_decode(void)
{
	bool ok = true;

	ok &= TC_CHECK(quic_pn_decode(0xa82f30ea, 0x9b32, 2) == 0xa82f9b32);
	ok &= TC_CHECK(quic_pn_decode(TC_PN_NONE, 0, 1) == 0);
	ok &= TC_CHECK(quic_pn_decode(TC_PN_NONE, 0x7f, 1) == 0x7f);
	ok &= TC_CHECK(quic_pn_decode(0xff, 0x00, 1) == 0x100);
	ok &= TC_CHECK(quic_pn_decode(0x100, 0xff, 1) == 0xff);
	ok &= TC_CHECK(quic_pn_decode(0x17f, 0x01, 1) == 0x101);
	ok &= TC_CHECK(quic_pn_decode(0x1fe, 0x01, 1) == 0x201);
	ok &= TC_CHECK(quic_pn_decode(0x2700bff3, 0x00bff4, 3) == TC_CC_PN);
	ok &= TC_CHECK(quic_pn_decode(QUIC_CRYPTO_PN_MAX - 1, 0xff, 1) ==
		       QUIC_CRYPTO_PN_MAX);
	tc_report(ok, "RFC 9000 A.3: packet number decoding");
}

/* bad arguments are refused before anything is touched */
static void tc_bounds(struct tc_ctx *t)
{
	struct quic_crypto *c = tc_new(), *empty = tc_new();
	struct quic_crypto_secret s = { .send = 1, .type = 55 };	/* SM4-GCM */
	struct quic_crypto_rx_info info;
	struct sk_buff *skb = NULL;
	bool ok;
	int len;

	ok = c && empty &&
	     TC_ERR(quic_crypto_initial_keys(c, tc_dcid, sizeof(tc_dcid),
					     QUIC_VERSION_V1, true), 0);
	if (!ok)
		goto out;
	len = tc_hexv(tc_vecs[0].server_pkt, t->prot, sizeof(t->prot));
	skb = tc_skb(t->prot, len);
	ok = skb && TC_CHECK(len == 135);
	if (!ok)
		goto out;
	/* decrypt: packet past the skb, too short, pn too far, pn 0 */
	ok &= TC_ERR(tc_decrypt(c, skb, 1, len, 18, 0, &info), -EINVAL);
	ok &= TC_ERR(tc_decrypt(c, skb, len + 1, 0, 18, 0, &info), -EINVAL);
	ok &= TC_ERR(tc_decrypt(c, skb, 0, 19, 1, 0, &info), -EINVAL);
	ok &= TC_ERR(tc_decrypt(c, skb, 0, 40, 21, 0, &info), -EINVAL);
	ok &= TC_ERR(tc_decrypt(c, skb, 0, len, len - 19, 0, &info), -EINVAL);
	ok &= TC_ERR(tc_decrypt(c, skb, 0, len, 0, 0, &info), -EINVAL);
	ok &= TC_ERR(tc_decrypt(c, skb, 0, len, 0xffffffff, 0, &info),
		     -EINVAL);
	ok &= TC_ERR(tc_decrypt(empty, skb, 0, len, 18, 0, &info), -ENOKEY);
	ok &= TC_CHECK(tc_skb_eq(skb, 0, t->prot, len));
	/* encrypt: payload too short for the sample, pn_len mismatch */
	skb_trim(skb, 0);
	skb_put_data(skb, "\x42\x00\xbf\xf4", 4);
	ok &= TC_ERR(tc_encrypt(c, skb, 0, 1, 3, 1), -EINVAL);
	skb_put_data(skb, "\x01", 1);
	ok &= TC_ERR(tc_encrypt(c, skb, 0, 1, 2, 1), -EINVAL);
	ok &= TC_ERR(tc_encrypt(c, skb, 0, 1, 5, 1), -EINVAL);
	ok &= TC_ERR(tc_encrypt(c, skb, 0, 0, 3, 1), -EINVAL);
	ok &= TC_ERR(tc_encrypt(c, skb, 6, 1, 3, 1), -EINVAL);
	ok &= TC_ERR(tc_encrypt(c, skb, 0, 1, 3, 1ULL << 62), -EINVAL);
	ok &= TC_ERR(tc_encrypt(empty, skb, 0, 1, 3, 1), -ENOKEY);
	ok &= TC_CHECK(skb->len == 5);
	ok &= TC_ERR(tc_encrypt(c, skb, 0, 1, 3, 1), 0);
	ok &= TC_CHECK(skb->len == 21);
	/* keys: unknown cipher, level, version; long DCID */
	ok &= TC_ERR(quic_crypto_set_secret(c, &s, QUIC_VERSION_V1), -EINVAL);
	s.type = TLS_CIPHER_AES_GCM_128;
	s.level = QUIC_CRYPTO_MAX;
	ok &= TC_ERR(quic_crypto_set_secret(c, &s, QUIC_VERSION_V1), -EINVAL);
	s.level = QUIC_CRYPTO_HANDSHAKE;
	ok &= TC_ERR(quic_crypto_set_secret(c, &s, 0xff00001d), -EINVAL);
	ok &= TC_ERR(quic_crypto_initial_keys(c, tc_dcid, sizeof(tc_dcid),
					      0x1a2a3a4a, false), -EINVAL);
	ok &= TC_ERR(quic_crypto_initial_keys(c, t->tmp, 21, QUIC_VERSION_V1,
					      false), -EINVAL);
	ok &= TC_ERR(quic_crypto_key_update(c), -EINVAL);
	ok &= TC_ERR(quic_crypto_key_update_commit(c), -EINVAL);
	ok &= TC_ERR(quic_crypto_retry_tag(t->tmp, 0, QUIC_VERSION_V1, t->tmp),
		     -EINVAL);
	ok &= TC_ERR(quic_crypto_retry_tag(t->tmp, 10, 2, t->tmp), -EINVAL);
out:
	kfree_skb(skb);
	tc_report(ok, "bad lengths, offsets, ciphers, levels, versions: -EINVAL; no keys: -ENOKEY");
	tc_put(c);
	tc_put(empty);
}

/* quic_crypto_free() leaves nothing behind */
static void tc_free(void)
{
	struct quic_crypto *c = tc_new();
	u8 secret[48];
	bool ok;

	memset(secret, 0x77, sizeof(secret));
	ok = c && TC_ERR(tc_set(c, true, QUIC_CRYPTO_APP,
				TLS_CIPHER_AES_GCM_256, secret, 48,
				QUIC_VERSION_V2), 0) &&
	     TC_ERR(tc_set(c, false, QUIC_CRYPTO_APP,
			   TLS_CIPHER_AES_GCM_256, secret, 48,
			   QUIC_VERSION_V2), 0) &&
	     TC_CHECK(memchr_inv(c, 0, sizeof(*c)));
	if (ok) {
		quic_crypto_free(c);
		ok = TC_CHECK(!memchr_inv(c, 0, sizeof(*c)));
		/* and it can be freed again, or reused */
		quic_crypto_free(c);
	}
	kfree(c);
	tc_report(ok, "quic_crypto_free() releases and wipes everything");
}

static int __init quic_crypto_test_init(void)
{
	struct tc_ctx *t;
	unsigned int i;
	int err;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;

	err = quic_crypto_module_init();
	tc_report(!err, "Retry transforms allocated (gcm(aes), sync)");

	for (i = 0; i < ARRAY_SIZE(tc_vecs); i++) {
		const struct tc_vec *v = &tc_vecs[i];

		tc_initial_secrets(v);
		tc_initial_install(v);
		tc_client_initial_tests(v, t);
		tc_server_initial_tests(v, t);
		tc_retry(v, t);
		tc_chacha(v, t);
	}
	tc_coalesced(t);
	for (i = 0; i < ARRAY_SIZE(tc_app_vecs); i++)
		tc_app_cipher(&tc_app_vecs[i], t);
	tc_key_update(t);
	tc_integrity_limit(t);
	tc_pn_decode();
	tc_bounds(t);
	tc_free();

	kfree(t);
	pr_info("1..%u\n", tc_num);
	pr_info("# %u passed, %u failed\n", tc_num - tc_failed, tc_failed);
	if (tc_failed) {
		quic_crypto_module_exit();
		return -EINVAL;
	}
	return 0;
}

static void __exit quic_crypto_test_exit(void)
{
	quic_crypto_module_exit();
}

module_init(quic_crypto_test_init);
module_exit(quic_crypto_test_exit);
MODULE_DESCRIPTION("QUIC packet protection known-answer tests");
MODULE_LICENSE("GPL");
