/*
 * Bencode codec: values, limits, "incomplete" versus "malformed" at every
 * byte, canonical round trips of the messages Kamailio 5.6 sends.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "test_util.h"

#define S(lit)	(const uint8_t *)(lit), sizeof(lit) - 1

static int
dec(const uint8_t *buf, size_t len, json_t **out, size_t *used)
{
	return benc_decode(buf, len, NULL, out, used);
}

/* Decodes, checks rc, frees. */
static void
expect_rc(const char *what, const uint8_t *buf, size_t len, int want)
{
	json_t *v = NULL;
	size_t used = 12345;
	int rc = dec(buf, len, &v, &used);

	cr_expect_eq(rc, want, "%s: rc %d (%s), want %d (%s)", what, rc,
	    benc_strerror(rc), want, benc_strerror(want));
	if (rc == BENC_OK)
		json_decref(v);
	else {
		cr_expect_null(v, "%s: no tree on failure", what);
		cr_expect_eq(used, 0, "%s: nothing consumed on failure", what);
	}
}

static uint8_t *
encode(const json_t *v, size_t *len)
{
	uint8_t *b = NULL;

	cr_assert_eq(benc_encode_alloc(v, &b, len), BENC_OK);
	return b;
}

Test(bencode, integers)
{
	static const struct {
		const char *in;
		long long v;
	} ok[] = {
		{ "i0e", 0 }, { "i1e", 1 }, { "i-1e", -1 }, { "i42e", 42 },
		{ "i9223372036854775807e", INT64_MAX },
		{ "i-9223372036854775808e", INT64_MIN },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_t *v;
		size_t used;

		cr_assert_eq(dec((const uint8_t *)ok[i].in, strlen(ok[i].in), &v,
		    &used), BENC_OK, "%s", ok[i].in);
		cr_expect(json_is_integer(v));
		cr_expect_eq(json_integer_value(v), ok[i].v, "%s", ok[i].in);
		cr_expect_eq(used, strlen(ok[i].in));
		json_decref(v);
	}
}

Test(bencode, integer_errors)
{
	expect_rc("ie", S("ie"), BENC_E_SYNTAX);
	expect_rc("i-e", S("i-e"), BENC_E_SYNTAX);
	expect_rc("i-0e", S("i-0e"), BENC_E_SYNTAX);
	expect_rc("i-0 truncated", S("i-0"), BENC_E_SYNTAX);
	expect_rc("i00e", S("i00e"), BENC_E_SYNTAX);
	expect_rc("i03e", S("i03e"), BENC_E_SYNTAX);
	expect_rc("i-03e", S("i-03e"), BENC_E_SYNTAX);
	expect_rc("i1xe", S("i1xe"), BENC_E_SYNTAX);
	expect_rc("i+1e", S("i+1e"), BENC_E_SYNTAX);
	expect_rc("i 1e", S("i 1e"), BENC_E_SYNTAX);
	expect_rc("i--1e", S("i--1e"), BENC_E_SYNTAX);
	expect_rc("max+1", S("i9223372036854775808e"), BENC_E_RANGE);
	expect_rc("min-1", S("i-9223372036854775809e"), BENC_E_RANGE);
	expect_rc("huge", S("i99999999999999999999999999e"), BENC_E_RANGE);
	/* Range is known before the terminator arrives. */
	expect_rc("huge, open", S("i99999999999999999999"), BENC_E_RANGE);
	expect_rc("i", S("i"), BENC_E_AGAIN);
	expect_rc("i-", S("i-"), BENC_E_AGAIN);
	expect_rc("i12", S("i12"), BENC_E_AGAIN);
	expect_rc("i0", S("i0"), BENC_E_AGAIN);
}

Test(bencode, strings)
{
	json_t *v;
	size_t used;

	cr_assert_eq(dec(S("0:"), &v, &used), BENC_OK);
	cr_expect_eq(json_string_length(v), 0);
	cr_expect_eq(used, 2);
	json_decref(v);

	cr_assert_eq(dec(S("5:hello"), &v, &used), BENC_OK);
	cr_expect_str_eq(json_string_value(v), "hello");
	json_decref(v);

	/* Embedded NUL survives in values. */
	cr_assert_eq(dec(S("3:a\0b"), &v, &used), BENC_OK);
	cr_expect_eq(json_string_length(v), 3);
	cr_expect_eq(memcmp(json_string_value(v), "a\0b", 3), 0);
	json_decref(v);

	/* UTF-8 is fine, other bytes are refused. */
	cr_assert_eq(dec(S("2:\xc3\xa9"), &v, &used), BENC_OK);
	json_decref(v);
	expect_rc("latin-1", S("1:\xe9"), BENC_E_UTF8);
	expect_rc("overlong", S("2:\xc0\xaf"), BENC_E_UTF8);
	expect_rc("surrogate", S("3:\xed\xa0\x80"), BENC_E_UTF8);
	expect_rc("above U+10FFFF", S("4:\xf4\x90\x80\x80"), BENC_E_UTF8);
	expect_rc("cut sequence", S("2:a\xc3"), BENC_E_UTF8);

	expect_rc("leading zero length", S("01:a"), BENC_E_SYNTAX);
	expect_rc("00:", S("00:"), BENC_E_SYNTAX);
	expect_rc("negative length", S("-1:a"), BENC_E_SYNTAX);
	expect_rc("no colon", S("3x"), BENC_E_SYNTAX);
	expect_rc("huge length", S("99999999999:"), BENC_E_TOOBIG);
	expect_rc("huge length, no colon", S("99999999999"), BENC_E_TOOBIG);
	expect_rc("endless digits", S("999999999999999999999999999999"), BENC_E_TOOBIG);
	expect_rc("short", S("5:hel"), BENC_E_AGAIN);
	expect_rc("length only", S("5"), BENC_E_AGAIN);
	expect_rc("colon", S("5:"), BENC_E_AGAIN);
}

Test(bencode, lists_and_dicts)
{
	json_t *v;
	size_t used;

	cr_assert_eq(dec(S("le"), &v, &used), BENC_OK);
	cr_expect(json_is_array(v) && json_array_size(v) == 0);
	json_decref(v);
	cr_assert_eq(dec(S("de"), &v, &used), BENC_OK);
	cr_expect(json_is_object(v) && json_object_size(v) == 0);
	json_decref(v);

	cr_assert_eq(dec(S("d1:ai1e1:bl1:xi-2eee"), &v, &used), BENC_OK);
	cr_expect_eq(json_integer_value(json_object_get(v, "a")), 1);
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(v, "b"), 0)), "x");
	cr_expect_eq(json_integer_value(json_array_get(json_object_get(v, "b"), 1)), -2);
	json_decref(v);

	/* Unsorted keys are accepted (Kamailio does not sort). */
	cr_assert_eq(dec(S("d1:bi2e1:ai1ee"), &v, &used), BENC_OK);
	cr_expect_eq(json_object_size(v), 2);
	json_decref(v);

	expect_rc("int key", S("di1ei2ee"), BENC_E_KEY);
	expect_rc("list key", S("dlei2ee"), BENC_E_KEY);
	expect_rc("dict key", S("ddei2ee"), BENC_E_KEY);
	expect_rc("NUL in key", S("d3:a\0bi1ee"), BENC_E_KEY);
	expect_rc("bad key utf8", S("d1:\xffi1ee"), BENC_E_UTF8);
	expect_rc("duplicate key", S("d1:ai1e1:ai2ee"), BENC_E_DUPKEY);
	expect_rc("garbage key", S("dxe"), BENC_E_SYNTAX);
	expect_rc("missing value", S("d1:ae"), BENC_E_SYNTAX);
	expect_rc("unterminated dict", S("d1:ai1e"), BENC_E_AGAIN);
	expect_rc("unterminated list", S("li1e"), BENC_E_AGAIN);
	expect_rc("bad byte in list", S("lxe"), BENC_E_SYNTAX);
	expect_rc("empty", (const uint8_t *)"", 0, BENC_E_AGAIN);
	expect_rc("stray e", S("e"), BENC_E_SYNTAX);
	expect_rc("json", S("{}"), BENC_E_SYNTAX);
}

Test(bencode, depth)
{
	uint8_t buf[2 * (BENC_MAX_DEPTH + 8)];
	json_t *v;
	size_t used, n;

	for (n = 1; n <= BENC_DEF_MAX_DEPTH + 1; n++) {
		memset(buf, 'l', n);
		memset(buf + n, 'e', n);
		if (n <= BENC_DEF_MAX_DEPTH) {
			cr_assert_eq(dec(buf, 2 * n, &v, &used), BENC_OK, "depth %zu", n);
			cr_expect_eq(used, 2 * n);
			json_decref(v);
		} else
			expect_rc("too deep", buf, 2 * n, BENC_E_DEPTH);
	}
	/* Dicts count too, and the error comes before the closing bytes. */
	expect_rc("deep dicts", S("d1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:a"
	    "d1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:a"
	    "d1:ad1:ad1:ad1:ad1:a"), BENC_E_DEPTH);

	/* A caller may ask for less, never for more than BENC_MAX_DEPTH. */
	struct benc_limits lim = { 2, 1024, 1000 };
	cr_expect_eq(benc_decode(S("llee"), &lim, &v, &used), BENC_OK);
	json_decref(v);
	cr_expect_eq(benc_decode(S("llleee"), &lim, &v, &used), BENC_E_DEPTH);
	lim.bl_max_depth = 100000;
	memset(buf, 'l', sizeof(buf));
	cr_expect_eq(benc_decode(buf, sizeof(buf), &lim, &v, &used), BENC_E_DEPTH);
}

Test(bencode, size_and_item_limits)
{
	struct benc_limits lim = { 8, 10, 4 };
	json_t *v;
	size_t used;

	cr_expect_eq(benc_decode(S("6:abcdef"), &lim, &v, &used), BENC_OK);
	json_decref(v);
	/* 2 + 9 bytes > 10: refused on the length, before the bytes. */
	cr_expect_eq(benc_decode(S("9:"), &lim, &v, &used), BENC_E_TOOBIG);
	cr_expect_eq(benc_decode(S("11:"), &lim, &v, &used), BENC_E_TOOBIG);
	/* Incomplete at the limit: no continuation fits. */
	cr_expect_eq(benc_decode(S("li1ei2ei3e"), &lim, &v, &used), BENC_E_TOOBIG);
	cr_expect_eq(benc_decode(S("li1ei2ei3eeXXXX"), &lim, &v, &used), BENC_E_TOOBIG);
	/* Incomplete below the limit is just incomplete. */
	cr_expect_eq(benc_decode(S("li1ei2e"), &lim, &v, &used), BENC_E_AGAIN);
	/* Items: the list plus four integers is five. */
	lim.bl_max_size = 1000;
	cr_expect_eq(benc_decode(S("li1ei2ei3ee"), &lim, &v, &used), BENC_OK);
	json_decref(v);
	cr_expect_eq(benc_decode(S("li1ei2ei3ei4ee"), &lim, &v, &used), BENC_E_TOOBIG);
}

Test(bencode, bad_arguments)
{
	json_t *v;

	cr_expect_eq(benc_decode(NULL, 3, NULL, &v, NULL), BENC_E_INVAL);
	cr_expect_eq(benc_decode(S("i1e"), NULL, NULL, NULL), BENC_E_INVAL);
	cr_expect_eq(benc_decode(S("i1e"), NULL, &v, NULL), BENC_OK);
	json_decref(v);
	cr_expect_eq(benc_encode(NULL, NULL, 0, NULL), BENC_E_INVAL);
}

/* Every file: the bytes after the cookie, or the whole file for canonical-*. */
static uint8_t *
body_of(const char *file, size_t *len)
{
	char *buf = tu_read_file(file, len);
	char *sp = strncmp(file, "ng/canonical-", 13) == 0 ? NULL : memchr(buf, ' ', *len);
	uint8_t *b;

	if (sp == NULL)
		return (uint8_t *)buf;
	*len -= (size_t)(sp + 1 - buf);
	b = malloc(*len);
	cr_assert_not_null(b);
	memcpy(b, sp + 1, *len);
	free(buf);
	return b;
}

static const char *const kamailio_files[] = {
	"ng/kamailio-ping.bencode", "ng/kamailio-offer.bencode",
	"ng/kamailio-answer.bencode", "ng/kamailio-delete.bencode",
};
static const char *const canonical_files[] = {
	"ng/canonical-ping.bencode", "ng/canonical-offer.bencode",
	"ng/canonical-answer.bencode", "ng/canonical-delete.bencode",
};

Test(bencode, kamailio_offer_content)
{
	size_t len, used;
	uint8_t *b = body_of("ng/kamailio-offer.bencode", &len);
	json_t *v, *rf;

	cr_assert_eq(dec(b, len, &v, &used), BENC_OK);
	cr_expect_eq(used, len);
	cr_expect_str_eq(json_string_value(json_object_get(v, "command")), "offer");
	cr_expect_str_eq(json_string_value(json_object_get(v, "call-id")),
	    "a84b4c76e66710@192.0.2.10");
	cr_expect_str_eq(json_string_value(json_object_get(v, "from-tag")), "1928301774");
	rf = json_object_get(v, "received-from");
	cr_expect_str_eq(json_string_value(json_array_get(rf, 0)), "IP4");
	cr_expect_str_eq(json_string_value(json_array_get(rf, 1)), "192.0.2.10");
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(v,
	    "supports"), 0)), "load limit");
	cr_expect(strncmp(json_string_value(json_object_get(v, "sdp")), "v=0\r\n", 5) == 0);
	json_decref(v);
	free(b);
}

Test(bencode, canonical_round_trip)
{
	for (size_t f = 0; f < 4; f++) {
		size_t len, used, elen;
		uint8_t *b = body_of(canonical_files[f], &len), *e;
		json_t *v;

		cr_assert_eq(dec(b, len, &v, &used), BENC_OK, "%s", canonical_files[f]);
		e = encode(v, &elen);
		if (elen != len || memcmp(e, b, len) != 0)
			tu_hex_diff(canonical_files[f], b, len, e, elen);
		cr_expect(elen == len && memcmp(e, b, len) == 0, "%s", canonical_files[f]);
		free(e);
		json_decref(v);
		free(b);
	}
}

/* Kamailio's unsorted dicts re-encode to the canonical (sorted) files. */
Test(bencode, kamailio_encodes_to_canonical)
{
	for (size_t f = 0; f < 4; f++) {
		size_t len, clen, used, elen;
		uint8_t *b = body_of(kamailio_files[f], &len);
		uint8_t *c = body_of(canonical_files[f], &clen), *e;
		json_t *v;

		cr_assert_eq(dec(b, len, &v, &used), BENC_OK, "%s", kamailio_files[f]);
		e = encode(v, &elen);
		cr_expect(elen == clen && memcmp(e, c, clen) == 0, "%s", kamailio_files[f]);
		free(e);
		json_decref(v);
		free(b);
		free(c);
	}
}

/* Every proper prefix of a valid message is "incomplete", never "malformed":
 * on TCP that is the difference between waiting and closing. */
Test(bencode, every_truncation_is_again)
{
	for (size_t f = 0; f < 8; f++) {
		const char *file = f < 4 ? kamailio_files[f] : canonical_files[f - 4];
		size_t len, cut;
		uint8_t *b = body_of(file, &len);

		for (cut = 0; cut < len; cut++) {
			/* Exact-size copy so ASan sees any read past the cut. */
			uint8_t *p = malloc(cut ? cut : 1);
			json_t *v = NULL;
			size_t used = 99;
			int rc;

			memcpy(p, b, cut);
			rc = dec(p, cut, &v, &used);
			cr_expect_eq(rc, BENC_E_AGAIN, "%s cut at %zu: %s", file, cut,
			    benc_strerror(rc));
			cr_expect_null(v);
			free(p);
		}
		free(b);
	}
}

Test(bencode, back_to_back)
{
	size_t l1, l2, used;
	uint8_t *a = body_of("ng/kamailio-offer.bencode", &l1);
	uint8_t *b = body_of("ng/kamailio-ping.bencode", &l2);
	uint8_t *both = malloc(l1 + l2);
	json_t *v;

	memcpy(both, a, l1);
	memcpy(both + l1, b, l2);
	cr_assert_eq(dec(both, l1 + l2, &v, &used), BENC_OK);
	cr_expect_eq(used, l1);
	cr_expect_str_eq(json_string_value(json_object_get(v, "command")), "offer");
	json_decref(v);
	cr_assert_eq(dec(both + used, l1 + l2 - used, &v, &used), BENC_OK);
	cr_expect_eq(used, l2);
	cr_expect_str_eq(json_string_value(json_object_get(v, "command")), "ping");
	json_decref(v);
	/* A partial second message does not disturb the first. */
	cr_assert_eq(dec(both, l1 + 3, &v, &used), BENC_OK);
	cr_expect_eq(used, l1);
	json_decref(v);
	free(both);
	free(a);
	free(b);
}

Test(bencode, encode_sorted_and_types)
{
	json_t *o = json_object();
	uint8_t buf[128];
	size_t n = 0;

	/* Inserted out of order: the output must be sorted by key bytes. */
	json_object_set_new(o, "zeta", json_integer(-7));
	json_object_set_new(o, "alpha", json_string("x"));
	json_object_set_new(o, "mid", json_pack("[i,s]", 0, ""));
	json_object_set_new(o, "b", json_pack("{s:i,s:i}", "z", 2, "a", 1));
	json_object_set_new(o, "ab", json_integer(INT64_MIN));
	cr_assert_eq(benc_encode(o, buf, sizeof(buf), &n), BENC_OK);
	const char exp[] = "d2:abi-9223372036854775808e5:alpha1:x1:bd1:ai1e1:zi2ee"
	    "3:midli0e0:e4:zetai-7ee";
	cr_expect_eq(n, sizeof(exp) - 1);
	cr_expect(memcmp(buf, exp, n) == 0, "%.*s", (int)n, buf);

	/* Too small: *needed still tells the size. */
	size_t need = 0;
	cr_expect_eq(benc_encode(o, buf, 5, &need), BENC_E_SPACE);
	cr_expect_eq(need, n);
	cr_expect_eq(benc_encode(o, NULL, 0, &need), BENC_E_SPACE);
	cr_expect_eq(need, n);
	json_decref(o);

	/* Shorter key sorts first when one is a prefix of the other. */
	o = json_pack("{s:i,s:i}", "ab", 2, "a", 1);
	cr_assert_eq(benc_encode(o, buf, sizeof(buf), &n), BENC_OK);
	cr_expect(memcmp(buf, "d1:ai1e2:abi2ee", n) == 0);
	json_decref(o);

	json_t *bad[] = { json_real(1.5), json_true(), json_false(), json_null(),
	    json_pack("{s:[n]}", "a") };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(benc_encode(bad[i], buf, sizeof(buf), &n), BENC_E_TYPE);
		uint8_t dummy = 0, *p = &dummy;
		cr_expect_eq(benc_encode_alloc(bad[i], &p, &n), BENC_E_TYPE);
		cr_expect_null(p);
		json_decref(bad[i]);
	}
}

Test(bencode, encode_nul_string_and_key)
{
	json_t *o = json_object();
	uint8_t buf[64];
	size_t n;

	json_object_set_new(o, "k", json_stringn("a\0b", 3));
	cr_assert_eq(benc_encode(o, buf, sizeof(buf), &n), BENC_OK);
	cr_expect_eq(n, sizeof("d1:k3:a\0be") - 1);
	cr_expect(memcmp(buf, "d1:k3:a\0be", n) == 0);
	json_decref(o);
}

Test(bencode, encode_too_deep)
{
	json_t *top = json_array(), *cur = top;

	for (int i = 0; i < BENC_MAX_DEPTH + 2; i++) {
		json_t *n = json_array();
		json_array_append_new(cur, n);
		cur = n;
	}
	size_t n;
	cr_expect_eq(benc_encode(top, NULL, 0, &n), BENC_E_DEPTH);
	json_decref(top);
}

Test(bencode, strerror_covers_all)
{
	for (int rc = BENC_OK; rc >= BENC_E_INVAL; rc--) {
		cr_expect_not_null(benc_strerror(rc));
		cr_expect_str_neq(benc_strerror(rc), "unknown bencode error", "%d", rc);
	}
	cr_expect_str_eq(benc_strerror(-999), "unknown bencode error");
}
