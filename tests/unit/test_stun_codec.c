/*
 * STUN codec: the MS-ICE2 vectors of protocol.md 2.5 byte-exact, decoder hostility,
 * builder limits, typed readers.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "frame.h"
#include "stun.h"
#include "test_util.h"

static const char ms_pwd[] = "0123456789abcdefghijklmn";
static const uint8_t ms_tid[STUN_TID_LEN] = {
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3,
};
#define KEY	((const uint8_t *)ms_pwd)
#define KEYLEN	(sizeof(ms_pwd) - 1)

static size_t
load(const char *name, uint8_t *out, size_t cap)
{
	long n = tu_hex_file(name, out, cap);

	cr_assert(n > 0, "%s: bad hex", name);
	return (size_t)n;
}

static void
assert_same(const char *what, const uint8_t *got, size_t glen, const uint8_t *want,
    size_t wlen)
{
	cr_assert(tu_bytes_same(what, got, glen, want, wlen), "%s: bytes differ", what);
}

static void
wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Recompute FINGERPRINT of a hand-edited message whose last attribute is FINGERPRINT. */
static void
refix_fp(uint8_t *m, size_t len, bool legacy)
{
	wr32(m + len - 4, crc32_stun(m, len - 8, legacy) ^ STUN_FP_XOR);
}

static const uint16_t binding_req = 0x0001;

/* ---- protocol.md 2.5, byte-exact ---- */

Test(stun_codec, msice2_vector_rfc_rules)
{
	uint8_t want[256], out[256];
	size_t n = load("stun/msice2_rfc_rules.hex", want, sizeof(want)), w, fw;
	struct stun_builder b;
	struct stun_msg m;
	enum stun_mi_rule rule;

	cr_assert_eq(n, 90);
	stun_build_init(&b, out + FRAME_HDR_LEN, sizeof(out) - FRAME_HDR_LEN,
	    stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), ms_tid);
	stun_build_u32(&b, STUN_A_PRIORITY, 0x6E7F00FF);
	stun_build_u64(&b, STUN_A_ICE_CONTROLLED, 0x0102030405060708ull);
	stun_build_attr_padbyte(&b, STUN_A_USERNAME, "RUFR:LUFR", 9, ' ');
	cr_assert_eq(stun_build_finish(&b, KEY, KEYLEN, STUN_MI_RFC5389, STUN_FP_STD, &w),
	    STUN_OK);
	cr_assert_eq(frame_write_prefix(out, w), FRAME_OK);
	assert_same("2.5 RFC vector", out, w + FRAME_HDR_LEN, want, n);
	/* frame_encode in place gives the same bytes. */
	cr_assert_eq(frame_encode(out, sizeof(out), out + FRAME_HDR_LEN, w, &fw), FRAME_OK);
	assert_same("2.5 RFC vector, frame_encode", out, fw, want, n);

	cr_assert_eq(stun_decode(want + 2, n - 2, &m), STUN_OK);
	cr_assert_eq(m.flags, STUN_F_FINGERPRINT);
	cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_ANY, &rule), STUN_OK);
	cr_assert_eq(rule, STUN_MI_RFC5389);
	cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_MSICE2, &rule),
	    STUN_E_INTEGRITY);
}

Test(stun_codec, msice2_vector_ms_rules)
{
	uint8_t want[256], out[256], mac[EVP_MAX_MD_SIZE], tmp[256];
	size_t n = load("stun/msice2_ms_rules.hex", want, sizeof(want)), w;
	struct stun_builder b;
	struct stun_msg m;
	enum stun_mi_rule rule;
	const struct stun_attr *mi, *un;
	const uint8_t *user;
	size_t ulen, padded;
	unsigned int maclen;
	uint32_t v;

	cr_assert_eq(n, 106);
	stun_build_init(&b, out + FRAME_HDR_LEN, sizeof(out) - FRAME_HDR_LEN,
	    stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), ms_tid);
	stun_build_u32(&b, STUN_A_PRIORITY, 0x6E7F00FF);
	stun_build_u64(&b, STUN_A_ICE_CONTROLLED, 0x0102030405060708ull);
	stun_build_padded(&b, STUN_A_USERNAME, "RUFR:LUFR", 9, true);
	stun_build_padded(&b, STUN_A_CANDIDATE_IDENTIFIER, "1", 1, true);
	stun_build_u32(&b, STUN_A_IMPLEMENTATION_VERSION, STUN_MS_IMPL_VERSION);
	cr_assert_eq(stun_build_finish(&b, KEY, KEYLEN, STUN_MI_MSICE2, STUN_FP_STD, &w),
	    STUN_OK);
	cr_assert_eq(frame_write_prefix(out, w), FRAME_OK);
	assert_same("2.5 MS vector", out, w + FRAME_HDR_LEN, want, n);

	cr_assert_eq(stun_decode(want + 2, n - 2, &m), STUN_OK);
	cr_assert_eq(m.flags, STUN_F_FINGERPRINT | STUN_F_MS_IMPL);
	un = stun_attr_find(&m, STUN_A_USERNAME);
	cr_assert_eq(un->len, 0x000c);
	cr_assert_eq(stun_attr_username(un, &user, &ulen), STUN_OK);
	cr_assert_eq(ulen, 9);
	cr_assert_eq(memcmp(user, "RUFR:LUFR", 9), 0);
	cr_assert_eq(stun_attr_u32(stun_attr_find(&m, STUN_A_IMPLEMENTATION_VERSION), &v),
	    STUN_OK);
	cr_assert_eq(v, 2);

	cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_ANY, &rule), STUN_OK);
	cr_assert_eq(rule, STUN_MI_MSICE2);
	cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_MSICE2, &rule), STUN_OK);
	cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_RFC5389, &rule),
	    STUN_E_INTEGRITY);
	cr_assert_eq(rule, STUN_MI_NONE);

	/*
	 * The quirk, spelled out: final length (0x0054) with the 64-byte zero pad gives
	 * the MAC on the wire; the same without the pad does not.
	 */
	mi = &m.attrs[m.mi_idx];
	cr_assert_eq(mi->off, 72);
	memset(tmp, 0, sizeof(tmp));
	memcpy(tmp, m.raw, mi->off);
	padded = (mi->off + 63) / 64 * 64;
	cr_assert_eq(padded, 128);
	cr_assert_not_null(HMAC(EVP_sha1(), KEY, (int)KEYLEN, tmp, padded, mac, &maclen));
	cr_assert_eq(memcmp(mac, mi->val, STUN_MI_LEN), 0);
	cr_assert_not_null(HMAC(EVP_sha1(), KEY, (int)KEYLEN, tmp, mi->off, mac, &maclen));
	cr_assert_neq(memcmp(mac, mi->val, STUN_MI_LEN), 0);
	/* RFC length (through MI), padded or not: also wrong. */
	wr16(tmp + 2, (unsigned)(mi->off + 24 - STUN_HDR_LEN));
	cr_assert_not_null(HMAC(EVP_sha1(), KEY, (int)KEYLEN, tmp, mi->off, mac, &maclen));
	cr_assert_neq(memcmp(mac, mi->val, STUN_MI_LEN), 0);
	cr_assert_not_null(HMAC(EVP_sha1(), KEY, (int)KEYLEN, tmp, padded, mac, &maclen));
	cr_assert_neq(memcmp(mac, mi->val, STUN_MI_LEN), 0);
}

/* ---- builder ---- */

static size_t
build_sample(uint8_t *buf, size_t cap, enum stun_mi_rule rule, enum stun_fp fp, int *rc)
{
	struct stun_builder b;
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	size_t w = 0;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(3478);
	inet_pton(AF_INET6, "2001:db8::1", &sin6->sin6_addr);
	stun_build_init(&b, buf, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_ERROR),
	    ms_tid);
	stun_build_error_code(&b, STUN_ERR_ROLE_CONFLICT, "Role Conflict");
	stun_build_padded(&b, STUN_A_USERNAME, "ab:c", 4, true);
	stun_build_padded(&b, STUN_A_USERNAME, "ab:cd", 5, true);
	stun_build_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &ss);
	stun_build_flag(&b, STUN_A_USE_CANDIDATE);
	stun_build_attr(&b, STUN_A_SOFTWARE, "x", 1);
	*rc = stun_build_finish(&b, KEY, KEYLEN, rule, fp, &w);
	cr_assert_leq(b.len, cap);
	return w;
}

Test(stun_codec, builder_round_trip)
{
	static const enum stun_mi_rule rules[] = { STUN_MI_NONE, STUN_MI_RFC5389,
	    STUN_MI_MSICE2 };
	static const enum stun_fp fps[] = { STUN_FP_NONE, STUN_FP_STD, STUN_FP_LEGACY };

	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < 3; j++) {
			uint8_t buf[512];
			struct stun_msg m;
			enum stun_mi_rule got;
			int rc, code;
			size_t n = build_sample(buf, sizeof(buf), rules[i], fps[j], &rc);
			const uint8_t *reason;
			size_t rlen;

			cr_assert_eq(rc, STUN_OK);
			cr_assert_eq(stun_decode(buf, n, &m), STUN_OK, "rule %zu fp %zu", i, j);
			cr_assert_eq(m.cls, STUN_CLASS_ERROR);
			cr_assert_eq(m.nattrs, 6 + (i != 0) + (j != 0));
			cr_assert_eq(stun_attr_error_code(stun_attr_find(&m, STUN_A_ERROR_CODE),
			    &code, &reason, &rlen), STUN_OK);
			cr_assert_eq(code, 487);
			cr_assert_eq(rlen, 13);
			cr_assert_eq(memcmp(reason, "Role Conflict", 13), 0);
			if (j != 0) {
				bool differ = crc32_stun(buf, n - 8, true) !=
				    crc32_stun(buf, n - 8, false);

				cr_assert(m.flags & STUN_F_FINGERPRINT);
				cr_assert_eq(!!(m.flags & STUN_F_FP_LEGACY), j == 2 && differ);
			}
			if (i == 0) {
				cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_ANY,
				    &got), STUN_E_NOATTR);
				continue;
			}
			cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, rules[i], &got),
			    STUN_OK);
			cr_assert_eq(got, rules[i]);
			cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_ANY, &got),
			    STUN_OK);
			cr_assert_eq(got, rules[i]);
			cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_ANY ^ rules[i],
			    &got), STUN_E_INTEGRITY);
			cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN - 1, STUN_MI_ANY,
			    &got), STUN_E_INTEGRITY);
		}
}

Test(stun_codec, builder_every_cap)
{
	uint8_t full[512];
	int rc;
	size_t n = build_sample(full, sizeof(full), STUN_MI_MSICE2, STUN_FP_STD, &rc);

	cr_assert_eq(rc, STUN_OK);
	for (size_t cap = 0; cap <= n; cap++) {
		uint8_t buf[512];
		size_t w;

		memset(buf, 0xEE, sizeof(buf));
		w = build_sample(buf, cap, STUN_MI_MSICE2, STUN_FP_STD, &rc);
		for (size_t k = cap; k < sizeof(buf); k++)
			cr_assert_eq(buf[k], 0xEE, "cap %zu: wrote at %zu", cap, k);
		if (cap < n) {
			cr_assert_eq(rc, STUN_E_SPACE, "cap %zu", cap);
			cr_assert_eq(w, 0);
		} else {
			cr_assert_eq(rc, STUN_OK);
			cr_assert_eq(w, n);
			cr_assert_eq(memcmp(buf, full, n), 0);
		}
	}
}

Test(stun_codec, builder_sticky_and_args)
{
	uint8_t buf[128];
	struct stun_builder b;
	struct sockaddr_storage ss;
	size_t w = 99;

	/* Bad family: E_ARG, and later calls do not clear it. */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	stun_build_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &ss);
	cr_assert_eq(b.err, STUN_E_ARG);
	stun_build_u32(&b, STUN_A_PRIORITY, 1);
	cr_assert_eq(b.len, STUN_HDR_LEN);
	cr_assert_eq(stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_STD, &w),
	    STUN_E_ARG);
	cr_assert_eq(w, 0);

	/* A space error is not overwritten by a later argument error. */
	stun_build_init(&b, buf, 24, binding_req, ms_tid);
	stun_build_u32(&b, STUN_A_PRIORITY, 1);
	cr_assert_eq(b.err, STUN_E_SPACE);
	stun_build_error_code(&b, 200, "bad");
	cr_assert_eq(b.err, STUN_E_SPACE);

	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	stun_build_error_code(&b, 299, NULL);
	cr_assert_eq(b.err, STUN_E_ARG);
	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	stun_build_error_code(&b, 700, NULL);
	cr_assert_eq(b.err, STUN_E_ARG);
	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	stun_build_attr(&b, STUN_A_SOFTWARE, NULL, 3);
	cr_assert_eq(b.err, STUN_E_ARG);
	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	cr_assert_eq(stun_build_finish(&b, KEY, KEYLEN, STUN_MI_ANY, STUN_FP_NONE, &w),
	    STUN_E_ARG);
	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	cr_assert_eq(stun_build_finish(&b, KEY, KEYLEN, STUN_MI_NONE, (enum stun_fp)7, &w),
	    STUN_E_ARG);
	stun_build_init(&b, buf, sizeof(buf), 0xC001, ms_tid);
	cr_assert_eq(b.err, STUN_E_ARG);

	/* Empty message, no MI/FP: just the header. */
	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	cr_assert_eq(stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_NONE, &w), STUN_OK);
	cr_assert_eq(w, STUN_HDR_LEN);
}

Test(stun_codec, builder_message_size_limit)
{
	static uint8_t big[70000], val[65535];
	struct stun_builder b;
	size_t w;

	memset(val, 'a', sizeof(val));
	/* A value that fits the 16-bit attribute length but not a 65535-byte message. */
	stun_build_init(&b, big, sizeof(big), binding_req, ms_tid);
	stun_build_attr(&b, STUN_A_SOFTWARE, val, 65535 - STUN_HDR_LEN - 4 + 1);
	cr_assert_eq(b.err, STUN_E_SPACE);
	/* Exactly the largest value, then no room for FINGERPRINT. */
	stun_build_init(&b, big, sizeof(big), binding_req, ms_tid);
	stun_build_attr(&b, STUN_A_SOFTWARE, val, 65532 - STUN_HDR_LEN - 4);
	cr_assert_eq(b.err, STUN_OK);
	cr_assert_eq(stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_STD, &w),
	    STUN_E_SPACE);
	stun_build_init(&b, big, sizeof(big), binding_req, ms_tid);
	stun_build_attr(&b, STUN_A_SOFTWARE, val, 65536);
	cr_assert_eq(b.err, STUN_E_ARG);
	/* Largest MI-protected message the MS rule has to pad: 65511 bytes before MI. */
	stun_build_init(&b, big, sizeof(big), binding_req, ms_tid);
	stun_build_attr(&b, STUN_A_SOFTWARE, val, 65508 - STUN_HDR_LEN - 4);
	cr_assert_eq(stun_build_finish(&b, KEY, KEYLEN, STUN_MI_MSICE2, STUN_FP_NONE, &w),
	    STUN_OK);
	cr_assert_eq(w, 65532);
	{
		struct stun_msg m;

		cr_assert_eq(stun_decode(big, w, &m), STUN_OK);
		cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_ANY, NULL),
		    STUN_OK);
	}
}

Test(stun_codec, ms_pad_lengths)
{
	static const struct {
		const char *v;
		size_t len, field;
	} cases[] = {
		{ "", 0, 0 }, { "1", 1, 4 }, { "12", 2, 4 }, { "123", 3, 4 }, { "1234", 4, 4 },
		{ "12345", 5, 8 }, { "RUFR:LUFR", 9, 12 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[64];
		struct stun_builder b;
		struct stun_msg m;
		size_t w;

		stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
		stun_build_padded(&b, STUN_A_CANDIDATE_IDENTIFIER, cases[i].v, cases[i].len,
		    true);
		cr_assert_eq(stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_NONE, &w),
		    STUN_OK);
		cr_assert_eq(w, STUN_HDR_LEN + 4 + cases[i].field);
		cr_assert_eq(stun_decode(buf, w, &m), STUN_OK);
		cr_assert_eq(m.attrs[0].len, cases[i].field);
		for (size_t k = cases[i].len; k < cases[i].field; k++)
			cr_assert_eq(m.attrs[0].val[k], 0);
	}
}

/* ---- types, strings, is_stun ---- */

Test(stun_codec, type_interleaving)
{
	cr_assert_eq(stun_type(0x001, STUN_CLASS_REQUEST), 0x0001);
	cr_assert_eq(stun_type(0x001, STUN_CLASS_INDICATION), 0x0011);
	cr_assert_eq(stun_type(0x001, STUN_CLASS_SUCCESS), 0x0101);
	cr_assert_eq(stun_type(0x001, STUN_CLASS_ERROR), 0x0111);
	cr_assert_eq(stun_type(0x003, STUN_CLASS_ERROR), 0x0113);
	cr_assert_eq(stun_type(0x009, STUN_CLASS_REQUEST), 0x0009);
	cr_assert_eq(stun_type(0xFFF, STUN_CLASS_ERROR), 0x3FFF);
	cr_assert_eq(stun_type(0xFFF, STUN_CLASS_REQUEST), 0x3EEF);
	/* Decode inverts it for every method and class. */
	for (unsigned meth = 0; meth < 0x1000; meth += 7)
		for (int c = 0; c < 4; c++) {
			uint8_t buf[STUN_HDR_LEN];
			struct stun_builder b;
			struct stun_msg m;
			size_t w;

			stun_build_init(&b, buf, sizeof(buf), stun_type((uint16_t)meth,
			    (enum stun_class)c), ms_tid);
			cr_assert_eq(stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_NONE,
			    &w), STUN_OK);
			cr_assert_eq(stun_decode(buf, w, &m), STUN_OK);
			cr_assert_eq(m.method, meth);
			cr_assert_eq((int)m.cls, c);
		}
}

Test(stun_codec, strerror_every_code)
{
	for (int rc = STUN_OK; rc >= STUN_E_ARG; rc--) {
		const char *s = stun_strerror(rc);

		cr_assert_not_null(s);
		cr_assert_str_neq(s, stun_strerror(1), "code %d", rc);
		for (int k = rc + 1; k <= STUN_OK; k++)
			cr_assert_str_neq(s, stun_strerror(k));
	}
	cr_assert_not_null(stun_strerror(-1000));
}

Test(stun_codec, is_stun)
{
	uint8_t m[20] = { 0x00, 0x01, 0, 0, 0x21, 0x12, 0xA4, 0x42 };

	cr_assert(stun_is_stun(m, 20));
	cr_assert_not(stun_is_stun(m, 19));
	cr_assert_not(stun_is_stun(NULL, 20));
	m[0] = 0x01;
	cr_assert(stun_is_stun(m, 20));
	m[0] = 0x02;
	cr_assert_not(stun_is_stun(m, 20));
	m[0] = 0x80;
	cr_assert_not(stun_is_stun(m, 20));
	m[0] = 0x00;
	m[7] = 0x43;
	cr_assert_not(stun_is_stun(m, 20));
}

/* ---- decoder hostility ---- */

/* A small valid message: SOFTWARE "abc" (padded), PRIORITY, FINGERPRINT. */
static size_t
small_msg(uint8_t *buf)
{
	struct stun_builder b;
	size_t w;

	stun_build_init(&b, buf, 256, binding_req, ms_tid);
	stun_build_attr(&b, STUN_A_SOFTWARE, "abc", 3);
	stun_build_u32(&b, STUN_A_PRIORITY, 7);
	cr_assert_eq(stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_STD, &w), STUN_OK);
	cr_assert_eq(w, 44);
	return w;
}

Test(stun_codec, rejects_truncated)
{
	uint8_t buf[256];
	size_t n = small_msg(buf);
	struct stun_msg m;

	for (size_t len = 0; len < STUN_HDR_LEN; len++)
		cr_assert_eq(stun_decode(buf, len, &m), STUN_E_SHORT, "len %zu", len);
	for (size_t len = STUN_HDR_LEN; len < n; len++)
		cr_assert_eq(stun_decode(buf, len, &m), STUN_E_SHORT, "len %zu", len);
	cr_assert_eq(stun_decode(NULL, 20, &m), STUN_E_SHORT);
	cr_assert_eq(stun_decode(buf, n, NULL), STUN_E_ARG);
}

Test(stun_codec, rejects_bad_header)
{
	uint8_t buf[256];
	size_t n = small_msg(buf);
	struct stun_msg m;

	cr_assert_eq(stun_decode(buf, n, &m), STUN_OK);
	buf[0] |= 0x80;
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_NOTSTUN);
	buf[0] = 0x40;
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_NOTSTUN);
	buf[0] = 0x00;
	buf[4] ^= 1;
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_NOTSTUN);
	buf[4] ^= 1;
	/* Length field: not a multiple of 4, too long, too short. */
	wr16(buf + 2, (unsigned)(n - STUN_HDR_LEN + 1));
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_LEN);
	wr16(buf + 2, (unsigned)(n - STUN_HDR_LEN + 4));
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_SHORT);
	wr16(buf + 2, (unsigned)(n - STUN_HDR_LEN - 4));
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_LEN);
	wr16(buf + 2, 0xFFFF);
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_LEN);
	wr16(buf + 2, 0xFFFC);
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_SHORT);
	/* Trailing bytes past the message: the caller passes exactly one message. */
	wr16(buf + 2, (unsigned)(n - STUN_HDR_LEN));
	cr_assert_eq(stun_decode(buf, n + 4, &m), STUN_E_LEN);
}

Test(stun_codec, rejects_attr_past_end)
{
	uint8_t buf[256];
	size_t n = small_msg(buf);
	struct stun_msg m;

	/* SOFTWARE claims 200 bytes: neither walk fits. */
	wr16(buf + 22, 200);
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_ATTR);
	/* Attribute header cut: message body of 2 bytes is not a multiple of 4, use 4+2. */
	{
		uint8_t t[28] = { 0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42 };

		/* One 4-byte attribute claiming 1 byte, then 3 stray bytes: unpadded walk
		 * lands 3 short of a header, padded walk fits exactly. */
		wr16(t + 20, 0x8022);
		wr16(t + 22, 1);
		cr_assert_eq(stun_decode(t, 28, &m), STUN_OK);
		cr_assert_eq(m.nattrs, 1);
		cr_assert_eq(m.flags & STUN_F_UNALIGNED, 0);
		/* Claims 5: padded walk needs 12, unpadded 9: neither. */
		wr16(t + 22, 5);
		cr_assert_eq(stun_decode(t, 28, &m), STUN_E_ATTR);
	}
}

Test(stun_codec, zero_length_attributes)
{
	uint8_t buf[64];
	struct stun_builder b;
	struct stun_msg m;
	size_t w;
	const uint8_t *u;
	size_t ulen;

	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	stun_build_flag(&b, STUN_A_USE_CANDIDATE);
	stun_build_attr(&b, STUN_A_USERNAME, "", 0);
	stun_build_flag(&b, 0x7777);
	cr_assert_eq(stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_STD, &w), STUN_OK);
	cr_assert_eq(w, 20 + 12 + 8);
	cr_assert_eq(stun_decode(buf, w, &m), STUN_OK);
	cr_assert_eq(m.nattrs, 4);
	cr_assert_eq(m.attrs[0].len, 0);
	cr_assert_eq(stun_attr_username(stun_attr_find(&m, STUN_A_USERNAME), &u, &ulen),
	    STUN_OK);
	cr_assert_eq(ulen, 0);
	/* Zero-length values have the wrong shape for the typed readers. */
	{
		uint32_t v32;
		uint64_t v64;
		int code;
		struct sockaddr_storage ss;

		cr_assert_eq(stun_attr_u32(&m.attrs[0], &v32), STUN_E_ATTR);
		cr_assert_eq(stun_attr_u64(&m.attrs[0], &v64), STUN_E_ATTR);
		cr_assert_eq(stun_attr_error_code(&m.attrs[0], &code, NULL, NULL), STUN_E_ATTR);
		cr_assert_eq(stun_attr_xor_addr(&m, &m.attrs[0], &ss), STUN_E_ATTR);
	}
}

Test(stun_codec, fingerprint_must_be_last)
{
	uint8_t buf[256];
	size_t n = small_msg(buf);
	struct stun_msg m;

	/* Append PRIORITY after FINGERPRINT. */
	wr16(buf + n, STUN_A_PRIORITY);
	wr16(buf + n + 2, 4);
	wr32(buf + n + 4, 1);
	wr16(buf + 2, (unsigned)(n + 8 - STUN_HDR_LEN));
	cr_assert_eq(stun_decode(buf, n + 8, &m), STUN_E_FINGERPRINT);
	/* FINGERPRINT with a wrong length. */
	n = small_msg(buf);
	wr16(buf + n - 6, 8);
	wr32(buf + n, 0);
	wr16(buf + 2, (unsigned)(n + 4 - STUN_HDR_LEN));
	cr_assert_eq(stun_decode(buf, n + 4, &m), STUN_E_FINGERPRINT);
}

Test(stun_codec, rejects_bad_fingerprint)
{
	uint8_t buf[256];
	size_t n = small_msg(buf);
	struct stun_msg m;

	buf[n - 1] ^= 1;
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_FINGERPRINT);
	buf[n - 1] ^= 1;
	buf[25] ^= 0x40;	/* inside SOFTWARE */
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_FINGERPRINT);
}

/* A message whose CRC crosses table entry 0x5A, so legacy and standard differ. */
static size_t
legacy_msg(uint8_t *buf, bool impl_version)
{
	for (uint32_t seed = 0;; seed++) {
		struct stun_builder b;
		size_t w;

		stun_build_init(&b, buf, 256, binding_req, ms_tid);
		stun_build_u32(&b, STUN_A_PRIORITY, seed);
		if (impl_version)
			stun_build_u32(&b, STUN_A_IMPLEMENTATION_VERSION, 2);
		cr_assert_eq(stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_LEGACY, &w),
		    STUN_OK);
		if (crc32_stun(buf, w - 8, true) != crc32_stun(buf, w - 8, false))
			return w;
	}
}

Test(stun_codec, legacy_fingerprint)
{
	uint8_t buf[256];
	size_t n;
	struct stun_msg m;

	n = legacy_msg(buf, false);
	cr_assert_eq(stun_decode(buf, n, &m), STUN_OK);
	cr_assert_eq(m.flags, STUN_F_FINGERPRINT | STUN_F_FP_LEGACY);
	/* With IMPLEMENTATION-VERSION the legacy CRC is refused... */
	n = legacy_msg(buf, true);
	cr_assert_eq(stun_decode(buf, n, &m), STUN_E_FINGERPRINT);
	/* ...and the standard one accepted. */
	refix_fp(buf, n, false);
	cr_assert_eq(stun_decode(buf, n, &m), STUN_OK);
	cr_assert_eq(m.flags, STUN_F_FINGERPRINT | STUN_F_MS_IMPL);
}

Test(stun_codec, crc32_known_values)
{
	/* The standard check value of CRC-32/ISO-HDLC. */
	cr_assert_eq(crc32_stun((const uint8_t *)"123456789", 9, false), 0xCBF43926u);
	cr_assert_eq(crc32_stun(NULL, 0, false), 0);
	cr_assert_eq(crc32_stun(NULL, 0, true), 0);
	/* A byte that hits entry 0x5A first: 0xFF ^ 0xA5 = 0x5A. */
	cr_assert_neq(crc32_stun((const uint8_t *)"\xa5", 1, false),
	    crc32_stun((const uint8_t *)"\xa5", 1, true));
	cr_assert_eq(crc32_stun((const uint8_t *)"\xa5", 1, false) ^
	    crc32_stun((const uint8_t *)"\xa5", 1, true), 0x8BBEB8EAu ^ 0x08BBE8EAu);
}

Test(stun_codec, too_many_attributes)
{
	uint8_t buf[1024];
	struct stun_builder b;
	struct stun_msg m;
	size_t w;

	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	for (int i = 0; i < STUN_MAX_ATTRS; i++)
		stun_build_flag(&b, 0x7000);
	cr_assert_eq(stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_NONE, &w), STUN_OK);
	cr_assert_eq(stun_decode(buf, w, &m), STUN_OK);
	cr_assert_eq(m.nattrs, STUN_MAX_ATTRS);

	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	for (int i = 0; i < STUN_MAX_ATTRS; i++)
		stun_build_flag(&b, 0x7000);
	cr_assert_eq(stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_STD, &w), STUN_OK);
	cr_assert_eq(stun_decode(buf, w, &m), STUN_E_TOOMANY);

	/* Ignored attributes after MI do not count. */
	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	for (int i = 0; i < STUN_MAX_ATTRS - 1; i++)
		stun_build_flag(&b, 0x7000);
	cr_assert_eq(stun_build_finish(&b, KEY, KEYLEN, STUN_MI_RFC5389, STUN_FP_NONE, &w),
	    STUN_OK);
	for (int i = 0; i < 10; i++) {
		wr16(buf + w, 0x7001);
		wr16(buf + w + 2, 0);
		w += 4;
	}
	wr16(buf + 2, (unsigned)(w - STUN_HDR_LEN));
	cr_assert_eq(stun_decode(buf, w, &m), STUN_OK);
	cr_assert_eq(m.nattrs, STUN_MAX_ATTRS);
	cr_assert_null(stun_attr_find(&m, 0x7001));
	cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_RFC5389, NULL), STUN_OK);
}

Test(stun_codec, attributes_after_mi_ignored)
{
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_msg m;
	size_t w;

	stun_build_init(&b, buf, sizeof(buf), binding_req, ms_tid);
	stun_build_u32(&b, STUN_A_PRIORITY, 5);
	cr_assert_eq(stun_build_finish(&b, KEY, KEYLEN, STUN_MI_RFC5389, STUN_FP_NONE, &w),
	    STUN_OK);
	/* USE-CANDIDATE and IMPLEMENTATION-VERSION smuggled in after MI, then FINGERPRINT. */
	wr16(buf + w, STUN_A_USE_CANDIDATE);
	wr16(buf + w + 2, 0);
	wr16(buf + w + 4, STUN_A_IMPLEMENTATION_VERSION);
	wr16(buf + w + 6, 4);
	wr32(buf + w + 8, 2);
	wr16(buf + w + 12, STUN_A_FINGERPRINT);
	wr16(buf + w + 14, 4);
	w += 20;
	wr16(buf + 2, (unsigned)(w - STUN_HDR_LEN));
	refix_fp(buf, w, false);
	cr_assert_eq(stun_decode(buf, w, &m), STUN_OK);
	cr_assert_eq(m.nattrs, 3);
	cr_assert_null(stun_attr_find(&m, STUN_A_USE_CANDIDATE));
	cr_assert_eq(m.flags, STUN_F_FINGERPRINT);
	cr_assert_eq(m.fp_idx, 2);
	cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_RFC5389, NULL), STUN_OK);
}

Test(stun_codec, integrity_missing_or_wrong)
{
	uint8_t buf[256];
	size_t n = small_msg(buf);
	struct stun_msg m;
	enum stun_mi_rule r = STUN_MI_RFC5389;

	cr_assert_eq(stun_decode(buf, n, &m), STUN_OK);
	cr_assert_eq(m.mi_idx, -1);
	cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_ANY, &r), STUN_E_NOATTR);
	cr_assert_eq(r, STUN_MI_NONE);
	cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, 0, NULL), STUN_E_ARG);
	cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, 4, NULL), STUN_E_ARG);

	/* MI with a wrong length is malformed. */
	{
		uint8_t t[48] = { 0x00, 0x01, 0x00, 0x1C, 0x21, 0x12, 0xA4, 0x42 };

		wr16(t + 20, STUN_A_MESSAGE_INTEGRITY);
		wr16(t + 22, 24);
		cr_assert_eq(stun_decode(t, 48, &m), STUN_E_ATTR);
		wr16(t + 22, 20);
		wr16(t + 44, 0x7000);
		cr_assert_eq(stun_decode(t, 48, &m), STUN_OK);
		cr_assert_eq(stun_check_integrity(&m, KEY, KEYLEN, STUN_MI_ANY, NULL),
		    STUN_E_INTEGRITY);
		/* An empty key is a key. */
		cr_assert_eq(stun_check_integrity(&m, NULL, 0, STUN_MI_ANY, NULL),
		    STUN_E_INTEGRITY);
	}
}

Test(stun_codec, unaligned_ms_walk)
{
	/*
	 * MS legacy NO_ALIGNED_ATTRIBUTES: USERNAME "abc:d" (5) directly followed by
	 * SOFTWARE "xyz" (3): 4+5+4+3 = 16, a multiple of 4, but the padded walk would
	 * read SOFTWARE's header at the wrong place.
	 */
	uint8_t t[64] = { 0x00, 0x01, 0x00, 0x18, 0x21, 0x12, 0xA4, 0x42 };
	struct stun_msg m;
	size_t n = 20;

	wr16(t + n, STUN_A_USERNAME);
	wr16(t + n + 2, 5);
	memcpy(t + n + 4, "abc:d", 5);
	n += 9;
	wr16(t + n, STUN_A_SOFTWARE);
	wr16(t + n + 2, 3);
	memcpy(t + n + 4, "xyz", 3);
	n += 7;
	wr16(t + n, STUN_A_FINGERPRINT);
	wr16(t + n + 2, 4);
	n += 8;
	cr_assert_eq(n, 44);
	refix_fp(t, n, false);
	cr_assert_eq(stun_decode(t, n, &m), STUN_OK);
	cr_assert_eq(m.flags, STUN_F_UNALIGNED | STUN_F_FINGERPRINT);
	cr_assert_eq(m.nattrs, 3);
	cr_assert_eq(m.attrs[1].type, STUN_A_SOFTWARE);
	cr_assert_eq(m.attrs[1].off, 29);
	cr_assert_eq(memcmp(m.attrs[1].val, "xyz", 3), 0);
	cr_assert_eq(m.fp_idx, 2);
}

Test(stun_codec, xor_addr_shapes)
{
	uint8_t buf[128];
	struct stun_builder b;
	struct stun_msg m;
	struct sockaddr_storage ss, out;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	size_t w;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(50000);
	inet_pton(AF_INET, "198.51.100.7", &sin->sin_addr);
	stun_build_init(&b, buf, sizeof(buf), 0x0101, ms_tid);
	stun_build_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &ss);
	cr_assert_eq(stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_NONE, &w), STUN_OK);
	cr_assert_eq(stun_decode(buf, w, &m), STUN_OK);
	cr_assert_eq(stun_attr_xor_addr(&m, &m.attrs[0], &out), STUN_OK);
	cr_assert_eq(memcmp(&out, &ss, sizeof(struct sockaddr_in)), 0);

	/* Family 1 with 20 bytes, family 2 with 8, family 3, short values. */
	buf[25] = 0x02;
	cr_assert_eq(stun_attr_xor_addr(&m, &m.attrs[0], &out), STUN_E_ATTR);
	buf[25] = 0x03;
	cr_assert_eq(stun_attr_xor_addr(&m, &m.attrs[0], &out), STUN_E_ATTR);
	buf[25] = 0x01;
	{
		struct stun_attr a = m.attrs[0];

		a.len = 20;
		cr_assert_eq(stun_attr_xor_addr(&m, &a, &out), STUN_E_ATTR);
		a.len = 3;
		cr_assert_eq(stun_attr_xor_addr(&m, &a, &out), STUN_E_ATTR);
		a.len = 0;
		cr_assert_eq(stun_attr_xor_addr(&m, &a, &out), STUN_E_ATTR);
	}
}

Test(stun_codec, error_code_reader)
{
	uint8_t v[8] = { 0, 0, 4, 1, 'a', 'b', 'c', 'd' };
	struct stun_attr a = { STUN_A_ERROR_CODE, 8, v, 20 };
	int code;
	const uint8_t *r;
	size_t rl;

	cr_assert_eq(stun_attr_error_code(&a, &code, &r, &rl), STUN_OK);
	cr_assert_eq(code, 401);
	cr_assert_eq(rl, 4);
	v[2] = 2;
	cr_assert_eq(stun_attr_error_code(&a, &code, &r, &rl), STUN_E_ATTR);
	v[2] = 7;
	cr_assert_eq(stun_attr_error_code(&a, &code, &r, &rl), STUN_E_ATTR);
	v[2] = 6;
	v[3] = 100;
	cr_assert_eq(stun_attr_error_code(&a, &code, &r, &rl), STUN_E_ATTR);
	v[3] = 99;
	cr_assert_eq(stun_attr_error_code(&a, &code, &r, &rl), STUN_OK);
	cr_assert_eq(code, 699);
	a.len = 3;
	cr_assert_eq(stun_attr_error_code(&a, &code, &r, &rl), STUN_E_ATTR);
}
