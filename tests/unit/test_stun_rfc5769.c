/*
 * RFC 5769 test vectors: decode, FINGERPRINT, MESSAGE-INTEGRITY, XOR-MAPPED-ADDRESS,
 * and byte-exact re-encoding with the builder.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "stun.h"
#include "test_util.h"

static const char short_pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t rfc_tid[STUN_TID_LEN] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};

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

static const uint8_t *
attr_val(const struct stun_msg *m, uint16_t type, size_t len)
{
	const struct stun_attr *a = stun_attr_find(m, type);

	cr_assert_not_null(a, "attribute 0x%04x missing", type);
	cr_assert_eq(a->len, len, "attribute 0x%04x length %u", type, a->len);
	return a->val;
}

Test(stun_rfc5769, sample_request)
{
	uint8_t buf[256], out[256];
	size_t n = load("rfc5769/sample_request.hex", buf, sizeof(buf)), w;
	struct stun_msg m;
	struct stun_builder b;
	enum stun_mi_rule rule;
	const uint8_t *user;
	size_t ulen;
	uint32_t prio;
	uint64_t tb;

	cr_assert_eq(n, 108);
	cr_assert(stun_is_stun(buf, n));
	cr_assert_eq(stun_decode(buf, n, &m), STUN_OK);
	cr_assert_eq(m.method, STUN_METHOD_BINDING);
	cr_assert_eq(m.cls, STUN_CLASS_REQUEST);
	cr_assert_eq(m.nattrs, 6);
	cr_assert_eq(memcmp(m.tid, rfc_tid, STUN_TID_LEN), 0);
	cr_assert_eq(m.flags & (STUN_F_FINGERPRINT | STUN_F_FP_LEGACY | STUN_F_UNALIGNED),
	    STUN_F_FINGERPRINT);
	cr_assert_eq(memcmp(attr_val(&m, STUN_A_SOFTWARE, 16), "STUN test client", 16), 0);
	cr_assert_eq(stun_attr_u32(stun_attr_find(&m, STUN_A_PRIORITY), &prio), STUN_OK);
	cr_assert_eq(prio, 0x6e0001ff);
	cr_assert_eq(stun_attr_u64(stun_attr_find(&m, STUN_A_ICE_CONTROLLED), &tb), STUN_OK);
	cr_assert_eq(tb, 0x932ff9b151263b36ull);
	cr_assert_eq(stun_attr_username(stun_attr_find(&m, STUN_A_USERNAME), &user, &ulen),
	    STUN_OK);
	cr_assert_eq(ulen, 9);
	cr_assert_eq(memcmp(user, "evtj:h6vY", 9), 0);

	cr_assert_eq(stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd),
	    STUN_MI_ANY, &rule), STUN_OK);
	cr_assert_eq(rule, STUN_MI_RFC5389);
	cr_assert_eq(stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd),
	    STUN_MI_MSICE2, &rule), STUN_E_INTEGRITY);
	cr_assert_eq(stun_check_integrity(&m, (const uint8_t *)"x", 1, STUN_MI_ANY, NULL),
	    STUN_E_INTEGRITY);

	stun_build_init(&b, out, sizeof(out), stun_type(STUN_METHOD_BINDING,
	    STUN_CLASS_REQUEST), rfc_tid);
	stun_build_attr_padbyte(&b, STUN_A_SOFTWARE, "STUN test client", 16, ' ');
	stun_build_u32(&b, STUN_A_PRIORITY, 0x6e0001ff);
	stun_build_u64(&b, STUN_A_ICE_CONTROLLED, 0x932ff9b151263b36ull);
	stun_build_attr_padbyte(&b, STUN_A_USERNAME, "evtj:h6vY", 9, ' ');
	cr_assert_eq(stun_build_finish(&b, (const uint8_t *)short_pwd, strlen(short_pwd),
	    STUN_MI_RFC5389, STUN_FP_STD, &w), STUN_OK);
	assert_same("sample request", out, w, buf, n);
}

static void
check_response(const char *file, size_t want_len, int family, const char *addr)
{
	uint8_t buf[256], out[256];
	size_t n = load(file, buf, sizeof(buf)), w;
	struct stun_msg m;
	struct stun_builder b;
	struct sockaddr_storage ss;
	enum stun_mi_rule rule;
	char text[INET6_ADDRSTRLEN];
	uint16_t port;

	cr_assert_eq(n, want_len);
	cr_assert_eq(stun_decode(buf, n, &m), STUN_OK);
	cr_assert_eq(m.method, STUN_METHOD_BINDING);
	cr_assert_eq(m.cls, STUN_CLASS_SUCCESS);
	cr_assert_eq(m.type, 0x0101);
	cr_assert(m.flags & STUN_F_FINGERPRINT);
	cr_assert_eq(memcmp(attr_val(&m, STUN_A_SOFTWARE, 11), "test vector", 11), 0);
	cr_assert_eq(stun_attr_xor_addr(&m, stun_attr_find(&m, STUN_A_XOR_MAPPED_ADDRESS),
	    &ss), STUN_OK);
	cr_assert_eq(ss.ss_family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
		port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
		port = ntohs(sin6->sin6_port);
	}
	cr_assert_str_eq(text, addr);
	cr_assert_eq(port, 32853);
	cr_assert_eq(stun_check_integrity(&m, (const uint8_t *)short_pwd, strlen(short_pwd),
	    STUN_MI_ANY, &rule), STUN_OK);
	cr_assert_eq(rule, STUN_MI_RFC5389);

	stun_build_init(&b, out, sizeof(out), stun_type(STUN_METHOD_BINDING,
	    STUN_CLASS_SUCCESS), rfc_tid);
	stun_build_attr_padbyte(&b, STUN_A_SOFTWARE, "test vector", 11, ' ');
	stun_build_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &ss);
	cr_assert_eq(stun_build_finish(&b, (const uint8_t *)short_pwd, strlen(short_pwd),
	    STUN_MI_RFC5389, STUN_FP_STD, &w), STUN_OK);
	assert_same(file, out, w, buf, n);
}

Test(stun_rfc5769, ipv4_response)
{
	check_response("rfc5769/ipv4_response.hex", 80, AF_INET, "192.0.2.1");
}

Test(stun_rfc5769, ipv6_response)
{
	check_response("rfc5769/ipv6_response.hex", 92, AF_INET6,
	    "2001:db8:1234:5678:11:2233:4455:6677");
}

static const char lt_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
    "\xe3\x82\xb9";
static const char lt_realm[] = "example.org";
static const char lt_nonce[] = "f//499k954d6OL34oL9FSTvy64sA";

static void
lt_key(uint8_t key[16])
{
	char in[128];
	unsigned int mdlen = 0;
	int n = snprintf(in, sizeof(in), "%s:%s:%s", lt_user, lt_realm, "TheMatrIX");

	cr_assert(n > 0 && (size_t)n < sizeof(in));
	cr_assert(EVP_Digest(in, (size_t)n, key, &mdlen, EVP_md5(), NULL) == 1);
	cr_assert_eq(mdlen, 16);
}

Test(stun_rfc5769, long_term_request)
{
	uint8_t buf[256], out[256], key[16];
	size_t n = load("rfc5769/long_term_request.hex", buf, sizeof(buf)), w;
	struct stun_msg m;
	struct stun_builder b;
	enum stun_mi_rule rule;
	const uint8_t *user;
	size_t ulen;

	cr_assert_eq(n, 116);
	cr_assert_eq(stun_decode(buf, n, &m), STUN_OK);
	cr_assert_eq(m.flags & STUN_F_FINGERPRINT, 0);
	cr_assert_eq(m.fp_idx, -1);
	cr_assert_eq(m.mi_idx, 3);
	cr_assert_eq(stun_attr_username(stun_attr_find(&m, STUN_A_USERNAME), &user, &ulen),
	    STUN_OK);
	cr_assert_eq(ulen, strlen(lt_user));
	cr_assert_eq(memcmp(user, lt_user, ulen), 0);
	cr_assert_eq(memcmp(attr_val(&m, STUN_A_NONCE, 28), lt_nonce, 28), 0);
	cr_assert_eq(memcmp(attr_val(&m, STUN_A_REALM, 11), lt_realm, 11), 0);

	lt_key(key);
	cr_assert_eq(stun_check_integrity(&m, key, sizeof(key), STUN_MI_RFC5389, &rule),
	    STUN_OK);
	cr_assert_eq(rule, STUN_MI_RFC5389);
	key[0] ^= 1;
	cr_assert_eq(stun_check_integrity(&m, key, sizeof(key), STUN_MI_ANY, &rule),
	    STUN_E_INTEGRITY);
	cr_assert_eq(rule, STUN_MI_NONE);
	key[0] ^= 1;

	stun_build_init(&b, out, sizeof(out), stun_type(STUN_METHOD_BINDING,
	    STUN_CLASS_REQUEST), m.tid);
	stun_build_attr(&b, STUN_A_USERNAME, lt_user, strlen(lt_user));
	stun_build_attr(&b, STUN_A_NONCE, lt_nonce, strlen(lt_nonce));
	stun_build_attr(&b, STUN_A_REALM, lt_realm, strlen(lt_realm));
	cr_assert_eq(stun_build_finish(&b, key, sizeof(key), STUN_MI_RFC5389, STUN_FP_NONE,
	    &w), STUN_OK);
	assert_same("long-term request", out, w, buf, n);
}

/*
 * Every single-bit flip of the sample request must be caught by FINGERPRINT or MI, except
 * in FINGERPRINT's own type, which turns it into an ignored attribute after MI: the
 * message then lacks FINGERPRINT, which the ICE layer treats as a discard.
 */
Test(stun_rfc5769, bit_flips_detected)
{
	uint8_t buf[256];
	size_t n = load("rfc5769/sample_request.hex", buf, sizeof(buf));

	for (size_t i = 0; i < n * 8; i++) {
		struct stun_msg m;
		int rc;

		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		rc = stun_decode(buf, n, &m);
		if (rc == STUN_OK)
			rc = stun_check_integrity(&m, (const uint8_t *)short_pwd,
			    strlen(short_pwd), STUN_MI_ANY, NULL);
		cr_assert(rc != STUN_OK || m.fp_idx < 0, "flip of bit %zu not detected", i);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
}
