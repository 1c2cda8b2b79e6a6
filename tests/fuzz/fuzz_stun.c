/*
 * libFuzzer target for the STUN codec: decode, check integrity under both rules,
 * walk every attribute through the typed readers, re-encode and decode again.
 * Invariants are checked with __builtin_trap() so the fuzzer reports them as crashes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "stun.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

static const uint8_t fz_key[] = "0123456789abcdefghijklmn";
#define FZ_KEYLEN	(sizeof(fz_key) - 1)

static void
fz_structure(const uint8_t *data, size_t size, const struct stun_msg *m)
{
	CHECK(m->raw == data && m->len == size);
	CHECK(m->nattrs <= STUN_MAX_ATTRS);
	CHECK(m->mi_idx < (int)m->nattrs && m->fp_idx < (int)m->nattrs);
	for (size_t i = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i];

		CHECK(a->off >= STUN_HDR_LEN && a->off + 4 + a->len <= size);
		CHECK(a->val == data + a->off + 4);
		CHECK(i == 0 || a->off > m->attrs[i - 1].off);
	}
	if (m->fp_idx >= 0) {
		CHECK(m->fp_idx == (int)m->nattrs - 1);
		CHECK(m->attrs[m->fp_idx].off + 8 == size);
		CHECK(m->flags & STUN_F_FINGERPRINT);
	} else
		CHECK((m->flags & (STUN_F_FINGERPRINT | STUN_F_FP_LEGACY)) == 0);
	if (m->flags & STUN_F_FP_LEGACY)
		CHECK((m->flags & STUN_F_MS_IMPL) == 0);
	CHECK(stun_type(m->method, m->cls) == m->type);
	if (data[0] <= 0x01)
		CHECK(stun_is_stun(data, size) &&
		    frame_classify(data, size) == FRAME_KIND_STUN);
}

static void
fz_readers(const struct stun_msg *m)
{
	for (size_t i = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i];
		struct sockaddr_storage ss;
		uint32_t v32;
		uint64_t v64;
		const uint8_t *p;
		size_t len;
		int code;

		CHECK((stun_attr_u32(a, &v32) == STUN_OK) == (a->len == 4));
		CHECK((stun_attr_u64(a, &v64) == STUN_OK) == (a->len == 8));
		if (stun_attr_xor_addr(m, a, &ss) == STUN_OK)
			CHECK(ss.ss_family == AF_INET ? a->len == 8 : a->len == 20);
		if (stun_attr_error_code(a, &code, &p, &len) == STUN_OK)
			CHECK(code >= 300 && code <= 699 && len == (size_t)a->len - 4);
		CHECK(stun_attr_username(a, &p, &len) == STUN_OK);
		CHECK(len <= a->len && (len == 0 || p[len - 1] != 0));
		CHECK(stun_attr_find(m, a->type) != NULL);
	}
}

static void
fz_reencode(const struct stun_msg *m, uint8_t sel)
{
	static uint8_t out[STUN_MAX_MSG + 64];
	struct stun_builder b;
	struct stun_msg m2;
	enum stun_mi_rule rule = (sel & 1) ? STUN_MI_MSICE2 : STUN_MI_RFC5389;
	enum stun_mi_rule got;
	size_t kept = 0, w;
	int rc;

	stun_build_init(&b, out, sizeof(out), m->type, m->tid);
	for (size_t i = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i];

		if (a->type == STUN_A_MESSAGE_INTEGRITY || a->type == STUN_A_FINGERPRINT)
			continue;
		stun_build_attr(&b, a->type, a->val, a->len);
		kept++;
	}
	if (kept + 2 > STUN_MAX_ATTRS)
		rule = STUN_MI_NONE;
	rc = stun_build_finish(&b, fz_key, FZ_KEYLEN, rule,
	    kept + 2 > STUN_MAX_ATTRS ? STUN_FP_NONE : STUN_FP_STD, &w);
	if (rc == STUN_E_SPACE)
		return;		/* unaligned input padded out past 65535 bytes */
	CHECK(rc == STUN_OK && w <= STUN_MAX_MSG && w % 4 == 0);
	rc = stun_decode(out, w, &m2);
	CHECK(rc == STUN_OK);
	CHECK(m2.type == m->type && memcmp(m2.tid, m->tid, STUN_TID_LEN) == 0);
	CHECK((m2.flags & STUN_F_UNALIGNED) == 0);
	for (size_t i = 0, j = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i];

		if (a->type == STUN_A_MESSAGE_INTEGRITY || a->type == STUN_A_FINGERPRINT)
			continue;
		CHECK(j < m2.nattrs);
		CHECK(m2.attrs[j].type == a->type && m2.attrs[j].len == a->len);
		CHECK(memcmp(m2.attrs[j].val, a->val, a->len) == 0);
		j++;
	}
	if (rule != STUN_MI_NONE) {
		CHECK(stun_check_integrity(&m2, fz_key, FZ_KEYLEN, rule, &got) == STUN_OK);
		CHECK(got == rule);
		CHECK(m2.flags & STUN_F_FINGERPRINT);
		CHECK((m2.flags & STUN_F_FP_LEGACY) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	enum stun_mi_rule r1, r2, r3;
	int rc, a, b, c;

	rc = stun_decode(data, size, &m);
	CHECK(stun_strerror(rc) != NULL);
	if (rc != STUN_OK) {
		CHECK(rc < 0 && rc >= STUN_E_ARG);
		return 0;
	}
	fz_structure(data, size, &m);

	a = stun_check_integrity(&m, fz_key, FZ_KEYLEN, STUN_MI_RFC5389, &r1);
	b = stun_check_integrity(&m, fz_key, FZ_KEYLEN, STUN_MI_MSICE2, &r2);
	c = stun_check_integrity(&m, fz_key, FZ_KEYLEN, STUN_MI_ANY, &r3);
	if (m.mi_idx < 0)
		CHECK(a == STUN_E_NOATTR && b == STUN_E_NOATTR && c == STUN_E_NOATTR);
	else {
		CHECK(a == STUN_OK || a == STUN_E_INTEGRITY);
		CHECK(b == STUN_OK || b == STUN_E_INTEGRITY);
		CHECK((c == STUN_OK) == (a == STUN_OK || b == STUN_OK));
		if (c == STUN_OK)
			CHECK(r3 == (b == STUN_OK ? STUN_MI_MSICE2 : STUN_MI_RFC5389));
	}

	fz_readers(&m);
	fz_reencode(&m, size > 0 ? data[size - 1] : 0);
	return 0;
}
