/*
 * STUN codec: decode into a view of the caller's buffer, MESSAGE-INTEGRITY and
 * FINGERPRINT under both the RFC 5389 and the MS-ICE2 rules, and a builder that
 * writes into a caller buffer.  See protocol.md 2.3-2.5 for the Microsoft quirks.
 *
 * Pure: no I/O, no clock, no allocation of our own (libcrypto's HMAC() allocates
 * its context internally).
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "stun.h"

#define STUN_ATTR_HDR		4
#define STUN_FP_ATTR_LEN	8	/* header + CRC */
#define STUN_MI_ATTR_LEN	(STUN_ATTR_HDR + STUN_MI_LEN)
#define STUN_FAMILY_IPV4	0x01
#define STUN_FAMILY_IPV6	0x02
/*
 * Largest HMAC input: MESSAGE-INTEGRITY must fit in a 65535-byte message, so what
 * precedes it is below 65536 bytes even after the MS-ICE2 64-byte zero padding.
 */
#define STUN_HMAC_MAX		65536

static uint16_t
stun_rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
stun_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
stun_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
stun_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t
stun_pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

uint16_t
stun_type(uint16_t method, enum stun_class cls)
{
	unsigned c = (unsigned)cls & 3;

	/* RFC 5389 6: M11..M7 C1 M6..M4 C0 M3..M0. */
	return (uint16_t)((method & 0x000F) | (method & 0x0070) << 1 |
	    (method & 0x0F80) << 2 | (c & 1) << 4 | (c & 2) << 7);
}

const char *
stun_strerror(int rc)
{
	switch (rc) {
	case STUN_OK:
		return "success";
	case STUN_E_SHORT:
		return "message truncated";
	case STUN_E_NOTSTUN:
		return "not a STUN message";
	case STUN_E_LEN:
		return "bad message length";
	case STUN_E_ATTR:
		return "malformed attribute";
	case STUN_E_FINGERPRINT:
		return "bad or misplaced FINGERPRINT";
	case STUN_E_INTEGRITY:
		return "MESSAGE-INTEGRITY does not verify";
	case STUN_E_SPACE:
		return "output buffer too small";
	case STUN_E_NOATTR:
		return "required attribute missing";
	case STUN_E_TOOMANY:
		return "too many attributes";
	case STUN_E_ARG:
		return "invalid argument";
	}
	return "unknown STUN error";
}

bool
stun_is_stun(const uint8_t *buf, size_t len)
{
	if (buf == NULL || len < STUN_HDR_LEN)
		return false;
	return buf[0] <= 0x01 && stun_rd32(buf + 4) == STUN_MAGIC;
}

/*
 * Structure only: does the attribute walk, with or without RFC padding, land exactly
 * on the end of the message?  Kept apart from the semantic pass so that a message in
 * the MS unaligned layout is never judged by a misparse of the padded walk.
 */
static bool
stun_walk_fits(const uint8_t *buf, size_t len, bool padded)
{
	size_t p = STUN_HDR_LEN;

	while (p < len) {
		size_t alen, step;

		if (len - p < STUN_ATTR_HDR)
			return false;
		alen = stun_rd16(buf + p + 2);
		step = STUN_ATTR_HDR + (padded ? stun_pad4(alen) : alen);
		if (len - p < step)
			return false;
		p += step;
	}
	return true;
}

static int
stun_verify_fingerprint(const struct stun_msg *m, uint32_t *flags)
{
	const struct stun_attr *fp = &m->attrs[m->fp_idx];
	uint32_t want = stun_rd32(fp->val);

	/* FINGERPRINT is last, so the length as received already counts it. */
	if ((crc32_stun(m->raw, fp->off, false) ^ STUN_FP_XOR) == want) {
		*flags |= STUN_F_FINGERPRINT;
		return STUN_OK;
	}
	/* A peer that sends IMPLEMENTATION-VERSION knows the right table (protocol.md 2.5). */
	if ((*flags & STUN_F_MS_IMPL) == 0 &&
	    (crc32_stun(m->raw, fp->off, true) ^ STUN_FP_XOR) == want) {
		*flags |= STUN_F_FINGERPRINT | STUN_F_FP_LEGACY;
		return STUN_OK;
	}
	return STUN_E_FINGERPRINT;
}

int
stun_decode(const uint8_t *buf, size_t len, struct stun_msg *out)
{
	size_t mlen, p;
	bool padded, after_mi = false;
	uint32_t flags = 0;

	if (out == NULL)
		return STUN_E_ARG;
	memset(out, 0, sizeof(*out));
	out->mi_idx = -1;
	out->fp_idx = -1;
	if (buf == NULL || len < STUN_HDR_LEN)
		return STUN_E_SHORT;
	if ((buf[0] & 0xC0) != 0 || stun_rd32(buf + 4) != STUN_MAGIC)
		return STUN_E_NOTSTUN;
	mlen = stun_rd16(buf + 2);
	if (mlen % 4 != 0)
		return STUN_E_LEN;
	if (STUN_HDR_LEN + mlen > len)
		return STUN_E_SHORT;
	if (STUN_HDR_LEN + mlen != len)
		return STUN_E_LEN;

	if (stun_walk_fits(buf, len, true))
		padded = true;
	else if (stun_walk_fits(buf, len, false)) {
		padded = false;
		flags |= STUN_F_UNALIGNED;
	} else
		return STUN_E_ATTR;

	out->raw = buf;
	out->len = len;
	out->type = stun_rd16(buf);
	out->method = (uint16_t)((out->type & 0x000F) | (out->type & 0x00E0) >> 1 |
	    (out->type & 0x3E00) >> 2);
	out->cls = (enum stun_class)((out->type >> 4 & 1) | (out->type >> 7 & 2));
	memcpy(out->tid, buf + 8, STUN_TID_LEN);

	for (p = STUN_HDR_LEN; p < len;) {
		uint16_t type = stun_rd16(buf + p);
		uint16_t alen = stun_rd16(buf + p + 2);
		struct stun_attr *a;
		size_t off = p;

		p += STUN_ATTR_HDR + (padded ? stun_pad4(alen) : alen);
		if (out->fp_idx >= 0)
			return STUN_E_FINGERPRINT;
		/* RFC 5389 15.4: only FINGERPRINT may follow MESSAGE-INTEGRITY. */
		if (after_mi && type != STUN_A_FINGERPRINT)
			continue;
		if (out->nattrs == STUN_MAX_ATTRS)
			return STUN_E_TOOMANY;
		switch (type) {
		case STUN_A_MESSAGE_INTEGRITY:
			if (alen != STUN_MI_LEN)
				return STUN_E_ATTR;
			out->mi_idx = (int)out->nattrs;
			after_mi = true;
			break;
		case STUN_A_FINGERPRINT:
			if (alen != 4)
				return STUN_E_FINGERPRINT;
			out->fp_idx = (int)out->nattrs;
			break;
		case STUN_A_IMPLEMENTATION_VERSION:
			flags |= STUN_F_MS_IMPL;
			break;
		default:
			break;
		}
		a = &out->attrs[out->nattrs++];
		a->type = type;
		a->len = alen;
		a->val = buf + off + STUN_ATTR_HDR;
		a->off = off;
	}

	if (out->fp_idx >= 0) {
		int rc = stun_verify_fingerprint(out, &flags);

		if (rc != STUN_OK)
			return rc;
	}
	out->flags = flags;
	return STUN_OK;
}

const struct stun_attr *
stun_attr_find(const struct stun_msg *m, uint16_t type)
{
	if (m == NULL)
		return NULL;
	for (size_t i = 0; i < m->nattrs; i++)
		if (m->attrs[i].type == type)
			return &m->attrs[i];
	return NULL;
}

/*
 * HMAC-SHA1 over msg[0..n) with the header length field replaced by hdrlen and, for
 * the MS-ICE2 rule, zero padding to a multiple of 64 bytes.  One-shot HMAC() needs one
 * contiguous input, hence the copy.
 */
static int
stun_hmac(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n,
    uint16_t hdrlen, bool pad64, uint8_t mac[STUN_MI_LEN])
{
	static const uint8_t nokey[1];
	uint8_t in[STUN_HMAC_MAX];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t total = pad64 ? (n + 63) / 64 * 64 : n;

	if (n < STUN_HDR_LEN || n > sizeof(in) || total > sizeof(in) || keylen > INT_MAX ||
	    (key == NULL && keylen != 0))
		return STUN_E_ARG;
	memcpy(in, msg, n);
	stun_wr16(in + 2, hdrlen);
	memset(in + n, 0, total - n);
	if (HMAC(EVP_sha1(), key != NULL ? key : nokey, (int)keylen, in, total, md,
	    &mdlen) == NULL || mdlen != STUN_MI_LEN)
		return STUN_E_INTEGRITY;
	memcpy(mac, md, STUN_MI_LEN);
	return STUN_OK;
}

int
stun_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t keylen,
    unsigned rules, enum stun_mi_rule *matched)
{
	const struct stun_attr *mi;
	uint8_t mac[STUN_MI_LEN];
	int rc;

	if (matched != NULL)
		*matched = STUN_MI_NONE;
	if (m == NULL || m->raw == NULL || (rules & STUN_MI_ANY) == 0 ||
	    (rules & ~(unsigned)STUN_MI_ANY) != 0)
		return STUN_E_ARG;
	if (m->mi_idx < 0)
		return STUN_E_NOATTR;
	mi = &m->attrs[m->mi_idx];

	/* MS first: it is what Lync sends; the header length is taken as received. */
	if (rules & STUN_MI_MSICE2) {
		rc = stun_hmac(key, keylen, m->raw, mi->off, stun_rd16(m->raw + 2), true,
		    mac);
		if (rc == STUN_E_ARG)
			return rc;
		if (rc == STUN_OK && CRYPTO_memcmp(mac, mi->val, STUN_MI_LEN) == 0) {
			if (matched != NULL)
				*matched = STUN_MI_MSICE2;
			return STUN_OK;
		}
	}
	if (rules & STUN_MI_RFC5389) {
		size_t l = mi->off + STUN_MI_ATTR_LEN - STUN_HDR_LEN;

		rc = stun_hmac(key, keylen, m->raw, mi->off, (uint16_t)l, false, mac);
		if (rc == STUN_E_ARG)
			return rc;
		if (rc == STUN_OK && CRYPTO_memcmp(mac, mi->val, STUN_MI_LEN) == 0) {
			if (matched != NULL)
				*matched = STUN_MI_RFC5389;
			return STUN_OK;
		}
	}
	return STUN_E_INTEGRITY;
}

int
stun_attr_u32(const struct stun_attr *a, uint32_t *v)
{
	if (a == NULL || v == NULL)
		return STUN_E_ARG;
	if (a->len != 4)
		return STUN_E_ATTR;
	*v = stun_rd32(a->val);
	return STUN_OK;
}

int
stun_attr_u64(const struct stun_attr *a, uint64_t *v)
{
	if (a == NULL || v == NULL)
		return STUN_E_ARG;
	if (a->len != 8)
		return STUN_E_ATTR;
	*v = (uint64_t)stun_rd32(a->val) << 32 | stun_rd32(a->val + 4);
	return STUN_OK;
}

int
stun_attr_xor_addr(const struct stun_msg *m, const struct stun_attr *a,
    struct sockaddr_storage *ss)
{
	uint8_t mask[16];
	uint16_t port;

	if (m == NULL || a == NULL || ss == NULL)
		return STUN_E_ARG;
	if (a->len < 4)
		return STUN_E_ATTR;
	stun_wr32(mask, STUN_MAGIC);
	memcpy(mask + 4, m->tid, STUN_TID_LEN);
	port = stun_rd16(a->val + 2) ^ (uint16_t)(STUN_MAGIC >> 16);
	memset(ss, 0, sizeof(*ss));
	switch (a->val[1]) {
	case STUN_FAMILY_IPV4: {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		uint8_t ip[4];

		if (a->len != 8)
			return STUN_E_ATTR;
		for (size_t i = 0; i < sizeof(ip); i++)
			ip[i] = a->val[4 + i] ^ mask[i];
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, ip, sizeof(ip));
		return STUN_OK;
	}
	case STUN_FAMILY_IPV6: {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		uint8_t ip[16];

		if (a->len != 20)
			return STUN_E_ATTR;
		for (size_t i = 0; i < sizeof(ip); i++)
			ip[i] = a->val[4 + i] ^ mask[i];
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, ip, sizeof(ip));
		return STUN_OK;
	}
	default:
		return STUN_E_ATTR;
	}
}

int
stun_attr_error_code(const struct stun_attr *a, int *code, const uint8_t **reason,
    size_t *reasonlen)
{
	unsigned cls, num;

	if (a == NULL || code == NULL)
		return STUN_E_ARG;
	if (a->len < 4)
		return STUN_E_ATTR;
	cls = a->val[2] & 0x07;
	num = a->val[3];
	/* RFC 5389 15.6: class 3..6, number 0..99. */
	if (cls < 3 || cls > 6 || num > 99)
		return STUN_E_ATTR;
	*code = (int)(cls * 100 + num);
	if (reason != NULL)
		*reason = a->val + 4;
	if (reasonlen != NULL)
		*reasonlen = (size_t)a->len - 4;
	return STUN_OK;
}

int
stun_attr_username(const struct stun_attr *a, const uint8_t **user, size_t *len)
{
	size_t n;

	if (a == NULL || user == NULL || len == NULL)
		return STUN_E_ARG;
	/* MS-ICE2 peers count NUL padding in the length; it is not part of the name. */
	for (n = a->len; n > 0 && a->val[n - 1] == '\0'; n--)
		;
	*user = a->val;
	*len = n;
	return STUN_OK;
}

void
stun_build_init(struct stun_builder *b, uint8_t *buf, size_t cap, uint16_t type,
    const uint8_t tid[STUN_TID_LEN])
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->err = STUN_OK;
	if (buf == NULL || tid == NULL || (type & 0xC000) != 0) {
		b->err = STUN_E_ARG;
		return;
	}
	if (cap < STUN_HDR_LEN) {
		b->err = STUN_E_SPACE;
		return;
	}
	stun_wr16(buf, type);
	stun_wr16(buf + 2, 0);
	stun_wr32(buf + 4, STUN_MAGIC);
	memcpy(buf + 8, tid, STUN_TID_LEN);
	b->len = STUN_HDR_LEN;
}

/*
 * Reserve room for an attribute whose value is wirelen bytes on the wire and whose
 * length field says alen; write its header and keep the message length current so
 * that the buffer holds a well-formed message after every call.
 */
static uint8_t *
stun_build_reserve(struct stun_builder *b, uint16_t type, size_t alen, size_t wirelen)
{
	uint8_t *p;

	if (b->err != STUN_OK)
		return NULL;
	if (alen > 0xFFFF) {
		b->err = STUN_E_ARG;
		return NULL;
	}
	if (STUN_ATTR_HDR + wirelen > STUN_MAX_MSG - b->len ||
	    STUN_ATTR_HDR + wirelen > b->cap - b->len) {
		b->err = STUN_E_SPACE;
		return NULL;
	}
	p = b->buf + b->len;
	stun_wr16(p, type);
	stun_wr16(p + 2, (uint16_t)alen);
	b->len += STUN_ATTR_HDR + wirelen;
	stun_wr16(b->buf + 2, (uint16_t)(b->len - STUN_HDR_LEN));
	return p + STUN_ATTR_HDR;
}

void
stun_build_attr_padbyte(struct stun_builder *b, uint16_t type, const void *val,
    size_t len, uint8_t pad)
{
	uint8_t *p;

	if (b->err == STUN_OK && val == NULL && len != 0)
		b->err = STUN_E_ARG;
	if ((p = stun_build_reserve(b, type, len, stun_pad4(len))) == NULL)
		return;
	if (len != 0)
		memcpy(p, val, len);
	memset(p + len, pad, stun_pad4(len) - len);
}

void
stun_build_attr(struct stun_builder *b, uint16_t type, const void *val, size_t len)
{
	stun_build_attr_padbyte(b, type, val, len, 0);
}

void
stun_build_padded(struct stun_builder *b, uint16_t type, const void *val, size_t len,
    bool ms_pad)
{
	uint8_t *p;

	if (!ms_pad) {
		stun_build_attr(b, type, val, len);
		return;
	}
	if (b->err == STUN_OK && val == NULL && len != 0)
		b->err = STUN_E_ARG;
	if ((p = stun_build_reserve(b, type, stun_pad4(len), stun_pad4(len))) == NULL)
		return;
	if (len != 0)
		memcpy(p, val, len);
	memset(p + len, 0, stun_pad4(len) - len);
}

void
stun_build_u32(struct stun_builder *b, uint16_t type, uint32_t v)
{
	uint8_t *p;

	if ((p = stun_build_reserve(b, type, 4, 4)) != NULL)
		stun_wr32(p, v);
}

void
stun_build_u64(struct stun_builder *b, uint16_t type, uint64_t v)
{
	uint8_t *p;

	if ((p = stun_build_reserve(b, type, 8, 8)) != NULL) {
		stun_wr32(p, (uint32_t)(v >> 32));
		stun_wr32(p + 4, (uint32_t)v);
	}
}

void
stun_build_flag(struct stun_builder *b, uint16_t type)
{
	(void)stun_build_reserve(b, type, 0, 0);
}

void
stun_build_xor_addr(struct stun_builder *b, uint16_t type,
    const struct sockaddr_storage *ss)
{
	uint8_t mask[16];
	uint8_t *p;

	if (b->err != STUN_OK)
		return;
	if (ss == NULL) {
		b->err = STUN_E_ARG;
		return;
	}
	/* The transaction id is already in the header we wrote. */
	stun_wr32(mask, STUN_MAGIC);
	memcpy(mask + 4, b->buf + 8, STUN_TID_LEN);
	switch (ss->ss_family) {
	case AF_INET: {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		uint8_t ip[4];

		if ((p = stun_build_reserve(b, type, 8, 8)) == NULL)
			return;
		memcpy(ip, &sin->sin_addr, sizeof(ip));
		p[0] = 0;
		p[1] = STUN_FAMILY_IPV4;
		stun_wr16(p + 2, ntohs(sin->sin_port) ^ (uint16_t)(STUN_MAGIC >> 16));
		for (size_t i = 0; i < sizeof(ip); i++)
			p[4 + i] = ip[i] ^ mask[i];
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		uint8_t ip[16];

		if ((p = stun_build_reserve(b, type, 20, 20)) == NULL)
			return;
		memcpy(ip, &sin6->sin6_addr, sizeof(ip));
		p[0] = 0;
		p[1] = STUN_FAMILY_IPV6;
		stun_wr16(p + 2, ntohs(sin6->sin6_port) ^ (uint16_t)(STUN_MAGIC >> 16));
		for (size_t i = 0; i < sizeof(ip); i++)
			p[4 + i] = ip[i] ^ mask[i];
		break;
	}
	default:
		b->err = STUN_E_ARG;
		break;
	}
}

void
stun_build_error_code(struct stun_builder *b, int code, const char *reason)
{
	size_t rlen = reason != NULL ? strlen(reason) : 0;
	uint8_t *p;

	if (b->err != STUN_OK)
		return;
	if (code < 300 || code > 699 || rlen > 0xFFFF - 4) {
		b->err = STUN_E_ARG;
		return;
	}
	if ((p = stun_build_reserve(b, STUN_A_ERROR_CODE, 4 + rlen, stun_pad4(4 + rlen))) ==
	    NULL)
		return;
	p[0] = 0;
	p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	if (rlen != 0)
		memcpy(p + 4, reason, rlen);
	memset(p + 4 + rlen, 0, stun_pad4(4 + rlen) - (4 + rlen));
}

int
stun_build_finish(struct stun_builder *b, const uint8_t *key, size_t keylen,
    enum stun_mi_rule rule, enum stun_fp fp, size_t *written)
{
	size_t need;
	uint8_t *p;
	int rc;

	if (written != NULL)
		*written = 0;
	if (b->err != STUN_OK)
		return b->err;
	if ((rule != STUN_MI_NONE && rule != STUN_MI_RFC5389 && rule != STUN_MI_MSICE2) ||
	    (fp != STUN_FP_NONE && fp != STUN_FP_STD && fp != STUN_FP_LEGACY) ||
	    (rule != STUN_MI_NONE && key == NULL && keylen != 0)) {
		b->err = STUN_E_ARG;
		return b->err;
	}
	need = (rule != STUN_MI_NONE ? STUN_MI_ATTR_LEN : 0) +
	    (fp != STUN_FP_NONE ? STUN_FP_ATTR_LEN : 0);
	if (need > STUN_MAX_MSG - b->len || need > b->cap - b->len) {
		b->err = STUN_E_SPACE;
		return b->err;
	}

	if (rule != STUN_MI_NONE) {
		/*
		 * RFC 5389: the length covers up to the end of MESSAGE-INTEGRITY while it is
		 * computed.  MS-ICE2 (libnice, Lync): the final length, FINGERPRINT included,
		 * and the input zero-padded to 64 bytes.
		 */
		size_t l = b->len + (rule == STUN_MI_MSICE2 ? need : STUN_MI_ATTR_LEN) -
		    STUN_HDR_LEN;
		uint8_t mac[STUN_MI_LEN];

		rc = stun_hmac(key, keylen, b->buf, b->len, (uint16_t)l,
		    rule == STUN_MI_MSICE2, mac);
		if (rc != STUN_OK) {
			b->err = rc;
			return rc;
		}
		p = stun_build_reserve(b, STUN_A_MESSAGE_INTEGRITY, STUN_MI_LEN, STUN_MI_LEN);
		memcpy(p, mac, STUN_MI_LEN);
	}
	if (fp != STUN_FP_NONE) {
		uint32_t crc;

		stun_wr16(b->buf + 2, (uint16_t)(b->len + STUN_FP_ATTR_LEN - STUN_HDR_LEN));
		crc = crc32_stun(b->buf, b->len, fp == STUN_FP_LEGACY) ^ STUN_FP_XOR;
		p = stun_build_reserve(b, STUN_A_FINGERPRINT, 4, 4);
		stun_wr32(p, crc);
	}
	if (written != NULL)
		*written = b->len;
	return STUN_OK;
}
