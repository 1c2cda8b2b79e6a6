/*
 * Bencode decoder into jansson trees and encoder back (see bencode.h).
 *
 * The decoder is a recursive descent over a bounded view of the input.  It has
 * to tell "not finished yet" from "broken" at every byte, because on a TCP
 * control connection messages follow each other with no length prefix and the
 * end of a message is where its bencode value ends.
 */
#include <stdlib.h>
#include <string.h>

#include "bencode.h"

struct benc_dec {
	const uint8_t	*bd_buf;
	size_t		 bd_len;	/* the view: never more than the size limit */
	size_t		 bd_pos;
	size_t		 bd_items;
	const struct benc_limits *bd_lim;
};

struct benc_out {
	uint8_t		*bo_buf;
	size_t		 bo_cap;
	size_t		 bo_pos;	/* keeps counting past bo_cap */
};

struct benc_key {
	const char	*bk_key;
	size_t		 bk_len;
};

static int	benc_value(struct benc_dec *, size_t, json_t **);

/*
 * Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF):
 * the same rules jansson applies in json_stringn(), checked here first so that
 * a NULL from jansson can only mean memory exhaustion.
 */
static int
benc_utf8_ok(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int
benc_count_item(struct benc_dec *d)
{
	if (++d->bd_items > d->bd_lim->bl_max_items)
		return BENC_E_TOOBIG;
	return BENC_OK;
}

/* Parses "LEN:BYTES"; on success *s points into the input. */
static int
benc_bytes(struct benc_dec *d, const uint8_t **s, size_t *slen)
{
	size_t n = 0, start = d->bd_pos;

	for (;;) {
		uint8_t c;

		if (d->bd_pos >= d->bd_len)
			return BENC_E_AGAIN;
		c = d->bd_buf[d->bd_pos];
		if (c == ':')
			break;
		if (c < '0' || c > '9')
			return BENC_E_SYNTAX;
		/* Canonical lengths only: "0:" is fine, "01:" is not. */
		if (d->bd_pos > start && d->bd_buf[start] == '0')
			return BENC_E_SYNTAX;
		n = n * 10 + (size_t)(c - '0');
		/* Fail on the declared length now: waiting for 99999999999
		 * bytes that can never be accepted would stall a TCP peer. */
		if (n > d->bd_lim->bl_max_size)
			return BENC_E_TOOBIG;
		d->bd_pos++;
	}
	if (d->bd_pos == start)
		return BENC_E_SYNTAX;
	d->bd_pos++;	/* ':' */
	if (n > d->bd_lim->bl_max_size - d->bd_pos)
		return BENC_E_TOOBIG;
	if (n > d->bd_len - d->bd_pos)
		return BENC_E_AGAIN;
	*s = d->bd_buf + d->bd_pos;
	*slen = n;
	d->bd_pos += n;
	return BENC_OK;
}

static int
benc_int(struct benc_dec *d, json_t **out)
{
	uint64_t mag = 0, max = INT64_MAX;
	int neg = 0, ndig = 0;
	json_int_t v;

	d->bd_pos++;	/* 'i' */
	if (d->bd_pos < d->bd_len && d->bd_buf[d->bd_pos] == '-') {
		neg = 1;
		max = (uint64_t)INT64_MAX + 1;
		d->bd_pos++;
	}
	for (;;) {
		uint8_t c;

		if (d->bd_pos >= d->bd_len)
			return BENC_E_AGAIN;
		c = d->bd_buf[d->bd_pos];
		if (c == 'e')
			break;
		if (c < '0' || c > '9')
			return BENC_E_SYNTAX;
		/* "i03e", "i-0e" and "i-03e" are not canonical: refuse. */
		if (ndig == 1 && mag == 0)
			return BENC_E_SYNTAX;
		if (neg && ndig == 0 && c == '0')
			return BENC_E_SYNTAX;
		if (mag > (max - (uint64_t)(c - '0')) / 10)
			return BENC_E_RANGE;
		mag = mag * 10 + (uint64_t)(c - '0');
		ndig++;
		d->bd_pos++;
	}
	if (ndig == 0)
		return BENC_E_SYNTAX;
	d->bd_pos++;	/* 'e' */
	if (neg)
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)mag;
	else
		v = (json_int_t)mag;
	if ((*out = json_integer(v)) == NULL)
		return BENC_E_NOMEM;
	return BENC_OK;
}

static int
benc_string(struct benc_dec *d, json_t **out)
{
	const uint8_t *s;
	size_t n;
	int rc;

	if ((rc = benc_bytes(d, &s, &n)) != BENC_OK)
		return rc;
	if (!benc_utf8_ok(s, n))
		return BENC_E_UTF8;
	if ((*out = json_stringn((const char *)s, n)) == NULL)
		return BENC_E_NOMEM;
	return BENC_OK;
}

static int
benc_list(struct benc_dec *d, size_t depth, json_t **out)
{
	json_t *l, *v;
	int rc;

	if (depth > d->bd_lim->bl_max_depth)
		return BENC_E_DEPTH;
	d->bd_pos++;	/* 'l' */
	if ((l = json_array()) == NULL)
		return BENC_E_NOMEM;
	for (;;) {
		if (d->bd_pos >= d->bd_len) {
			rc = BENC_E_AGAIN;
			goto fail;
		}
		if (d->bd_buf[d->bd_pos] == 'e')
			break;
		if ((rc = benc_value(d, depth, &v)) != BENC_OK)
			goto fail;
		if (json_array_append_new(l, v) != 0) {
			rc = BENC_E_NOMEM;
			goto fail;
		}
	}
	d->bd_pos++;
	*out = l;
	return BENC_OK;
fail:
	json_decref(l);
	return rc;
}

static int
benc_dict(struct benc_dec *d, size_t depth, json_t **out)
{
	json_t *o, *v;
	const uint8_t *k;
	size_t klen;
	int rc;

	if (depth > d->bd_lim->bl_max_depth)
		return BENC_E_DEPTH;
	d->bd_pos++;	/* 'd' */
	if ((o = json_object()) == NULL)
		return BENC_E_NOMEM;
	for (;;) {
		uint8_t c;

		if (d->bd_pos >= d->bd_len) {
			rc = BENC_E_AGAIN;
			goto fail;
		}
		c = d->bd_buf[d->bd_pos];
		if (c == 'e')
			break;
		if (c == 'i' || c == 'l' || c == 'd') {
			rc = BENC_E_KEY;
			goto fail;
		}
		if ((rc = benc_bytes(d, &k, &klen)) != BENC_OK)
			goto fail;
		/* jansson's own JSON parser refuses NUL in keys; so do we,
		 * so that both wire encodings accept the same dictionaries. */
		if (memchr(k, '\0', klen) != NULL) {
			rc = BENC_E_KEY;
			goto fail;
		}
		if (!benc_utf8_ok(k, klen)) {
			rc = BENC_E_UTF8;
			goto fail;
		}
		if (json_object_getn(o, (const char *)k, klen) != NULL) {
			rc = BENC_E_DUPKEY;
			goto fail;
		}
		if (d->bd_pos >= d->bd_len) {
			rc = BENC_E_AGAIN;
			goto fail;
		}
		if ((rc = benc_value(d, depth, &v)) != BENC_OK)
			goto fail;
		if (json_object_setn_new(o, (const char *)k, klen, v) != 0) {
			rc = BENC_E_NOMEM;
			goto fail;
		}
	}
	d->bd_pos++;
	*out = o;
	return BENC_OK;
fail:
	json_decref(o);
	return rc;
}

/* depth is that of the container holding this value (0 at the top). */
static int
benc_value(struct benc_dec *d, size_t depth, json_t **out)
{
	int rc;

	if (d->bd_pos >= d->bd_len)
		return BENC_E_AGAIN;
	if ((rc = benc_count_item(d)) != BENC_OK)
		return rc;
	switch (d->bd_buf[d->bd_pos]) {
	case 'i':
		return benc_int(d, out);
	case 'l':
		return benc_list(d, depth + 1, out);
	case 'd':
		return benc_dict(d, depth + 1, out);
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return benc_string(d, out);
	default:
		return BENC_E_SYNTAX;
	}
}

int
benc_decode(const uint8_t *buf, size_t len, const struct benc_limits *lim,
    json_t **out, size_t *consumed)
{
	static const struct benc_limits def = {
		BENC_DEF_MAX_DEPTH, BENC_DEF_MAX_SIZE, BENC_DEF_MAX_ITEMS
	};
	struct benc_limits l;
	struct benc_dec d;
	json_t *v = NULL;
	int rc;

	if (out == NULL || (buf == NULL && len > 0))
		return BENC_E_INVAL;
	*out = NULL;
	if (consumed != NULL)
		*consumed = 0;
	l = lim != NULL ? *lim : def;
	if (l.bl_max_depth > BENC_MAX_DEPTH)
		l.bl_max_depth = BENC_MAX_DEPTH;
	memset(&d, 0, sizeof(d));
	d.bd_buf = buf;
	d.bd_len = len < l.bl_max_size ? len : l.bl_max_size;
	d.bd_lim = &l;
	rc = benc_value(&d, 0, &v);
	/* Incomplete within a view already as large as allowed: more bytes
	 * could only make the value larger than the limit. */
	if (rc == BENC_E_AGAIN && d.bd_len == l.bl_max_size)
		rc = BENC_E_TOOBIG;
	if (rc != BENC_OK)
		return rc;
	*out = v;
	if (consumed != NULL)
		*consumed = d.bd_pos;
	return BENC_OK;
}

static void
benc_put(struct benc_out *o, const void *p, size_t n)
{
	if (o->bo_pos <= o->bo_cap && n <= o->bo_cap - o->bo_pos && n > 0)
		memcpy(o->bo_buf + o->bo_pos, p, n);
	o->bo_pos += n;
}

static void
benc_put_uint(struct benc_out *o, uint64_t u)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	benc_put(o, tmp + i, sizeof(tmp) - i);
}

static void
benc_put_str(struct benc_out *o, const char *s, size_t n)
{
	benc_put_uint(o, n);
	benc_put(o, ":", 1);
	benc_put(o, s, n);
}

static int
benc_key_cmp(const void *a, const void *b)
{
	const struct benc_key *ka = a, *kb = b;
	size_t n = ka->bk_len < kb->bk_len ? ka->bk_len : kb->bk_len;
	int c;

	if ((c = memcmp(ka->bk_key, kb->bk_key, n)) != 0)
		return c;
	return ka->bk_len < kb->bk_len ? -1 : ka->bk_len > kb->bk_len;
}

static int
benc_enc(const json_t *v, size_t depth, struct benc_out *o)
{
	struct benc_key *keys;
	json_int_t iv;
	size_t n, i;
	void *it;
	int rc = BENC_OK;

	if (depth > BENC_MAX_DEPTH)
		return BENC_E_DEPTH;
	switch (json_typeof(v)) {
	case JSON_STRING:
		benc_put_str(o, json_string_value(v), json_string_length(v));
		return BENC_OK;
	case JSON_INTEGER:
		iv = json_integer_value(v);
		benc_put(o, "i", 1);
		if (iv < 0) {
			benc_put(o, "-", 1);
			benc_put_uint(o, (uint64_t)0 - (uint64_t)iv);
		} else
			benc_put_uint(o, (uint64_t)iv);
		benc_put(o, "e", 1);
		return BENC_OK;
	case JSON_ARRAY:
		benc_put(o, "l", 1);
		for (i = 0; i < json_array_size(v); i++)
			if ((rc = benc_enc(json_array_get(v, i), depth + 1, o)) != BENC_OK)
				return rc;
		benc_put(o, "e", 1);
		return BENC_OK;
	case JSON_OBJECT:
		break;
	default:
		return BENC_E_TYPE;
	}
	benc_put(o, "d", 1);
	if ((n = json_object_size(v)) > 0) {
		if ((keys = calloc(n, sizeof(*keys))) == NULL)
			return BENC_E_NOMEM;
		/* The iterator API takes a non-const object but does not
		 * modify it; going through it keeps -Wcast-qual quiet. */
		i = 0;
		for (it = json_object_iter((json_t *)(uintptr_t)v); it != NULL && i < n;
		    it = json_object_iter_next((json_t *)(uintptr_t)v, it)) {
			keys[i].bk_key = json_object_iter_key(it);
			keys[i].bk_len = json_object_iter_key_len(it);
			i++;
		}
		qsort(keys, i, sizeof(*keys), benc_key_cmp);
		for (size_t k = 0; k < i && rc == BENC_OK; k++) {
			benc_put_str(o, keys[k].bk_key, keys[k].bk_len);
			rc = benc_enc(json_object_getn(v, keys[k].bk_key,
			    keys[k].bk_len), depth + 1, o);
		}
		free(keys);
		if (rc != BENC_OK)
			return rc;
	}
	benc_put(o, "e", 1);
	return BENC_OK;
}

int
benc_encode(const json_t *v, uint8_t *out, size_t cap, size_t *needed)
{
	struct benc_out o;
	int rc;

	if (v == NULL || (out == NULL && cap > 0))
		return BENC_E_INVAL;
	o.bo_buf = out;
	o.bo_cap = cap;
	o.bo_pos = 0;
	if ((rc = benc_enc(v, 1, &o)) != BENC_OK)
		return rc;
	if (needed != NULL)
		*needed = o.bo_pos;
	return o.bo_pos > cap ? BENC_E_SPACE : BENC_OK;
}

int
benc_encode_alloc(const json_t *v, uint8_t **out, size_t *len)
{
	size_t n = 0;
	uint8_t *b;
	int rc;

	if (out == NULL || len == NULL)
		return BENC_E_INVAL;
	*out = NULL;
	*len = 0;
	rc = benc_encode(v, NULL, 0, &n);
	if (rc != BENC_OK && rc != BENC_E_SPACE)
		return rc;
	if ((b = malloc(n > 0 ? n : 1)) == NULL)
		return BENC_E_NOMEM;
	if ((rc = benc_encode(v, b, n, &n)) != BENC_OK) {
		free(b);
		return rc;
	}
	*out = b;
	*len = n;
	return BENC_OK;
}

const char *
benc_strerror(int rc)
{
	switch (rc) {
	case BENC_OK:
		return "success";
	case BENC_E_AGAIN:
		return "incomplete bencode value";
	case BENC_E_SYNTAX:
		return "malformed bencode";
	case BENC_E_DEPTH:
		return "bencode nesting too deep";
	case BENC_E_TOOBIG:
		return "bencode value too large";
	case BENC_E_RANGE:
		return "bencode integer out of range";
	case BENC_E_UTF8:
		return "bencode string is not valid UTF-8";
	case BENC_E_KEY:
		return "bencode dictionary key is not a string or contains NUL";
	case BENC_E_DUPKEY:
		return "duplicate key in bencode dictionary";
	case BENC_E_TYPE:
		return "value has no bencode form";
	case BENC_E_SPACE:
		return "output buffer too small";
	case BENC_E_NOMEM:
		return "out of memory";
	case BENC_E_INVAL:
		return "invalid argument";
	default:
		return "unknown bencode error";
	}
}
