/*
 * Control codec: the messages Kamailio 5.6 sends, their JSON twins, every
 * error string of control-protocol.md 1.7 that the codec produces, rtpengine's
 * key and flag spellings, the per-call keys, replies and stream framing.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "ctl_json.h"
#include "test_util.h"

#define S(lit)	(const uint8_t *)(lit), sizeof(lit) - 1

static int
decode_str(const char *body, struct ctl_req *r)
{
	return ctlj_decode((const uint8_t *)body, strlen(body), r);
}

/* Decodes body, expects rc and (on failure) the wire reason; frees. */
static void
expect_errn(const char *body, size_t len, int want, const char *reason)
{
	struct ctl_req r;
	int rc = ctlj_decode((const uint8_t *)body, len, &r);

	cr_expect_eq(rc, want, "%s: rc %d (%s), want %d", body, rc,
	    ctlj_strerror(rc), want);
	if (reason != NULL) {
		cr_expect_not_null(r.cr_error, "%s", body);
		if (r.cr_error != NULL)
			cr_expect_str_eq(r.cr_error, reason, "%s", body);
	}
	ctlj_req_free(&r);
}

static void
expect_err(const char *body, int want, const char *reason)
{
	expect_errn(body, strlen(body), want, reason);
}

#define EXPECT_ERR_LIT(lit, want, reason) \
	expect_errn(lit, sizeof(lit) - 1, want, reason)

static int
str_is(const struct ctlj_str *s, const char *want)
{
	return s->s != NULL && s->len == strlen(want) && strcmp(s->s, want) == 0;
}

/* Reads a file "COOKIE SP BODY", splits it, decodes the body. */
static int
decode_file(const char *file, struct ctl_req *r, char **keep)
{
	size_t len, clen, blen;
	const uint8_t *cookie, *body;
	char *buf = tu_read_file(file, &len);

	cr_assert_eq(ctlj_split((const uint8_t *)buf, len, &cookie, &clen, &body,
	    &blen), CTLJ_OK, "%s", file);
	*keep = buf;
	return ctlj_decode(body, blen, r);
}

Test(ctl_split, cookies)
{
	const uint8_t *c, *b;
	size_t cl, bl;

	cr_assert_eq(ctlj_split(S("5_77_1 d7:command4:pinge"), &c, &cl, &b, &bl), CTLJ_OK);
	cr_expect_eq(cl, 6);
	cr_expect(memcmp(c, "5_77_1", 6) == 0);
	cr_expect_eq(bl, 17);
	cr_expect(memcmp(b, "d7:command4:pinge", 17) == 0);

	cr_expect_eq(ctlj_split(S("nocookie"), &c, &cl, &b, &bl), CTLJ_E_NOCOOKIE);
	cr_expect_eq(ctlj_split(S(" d7:command4:pinge"), &c, &cl, &b, &bl), CTLJ_E_NOCOOKIE);
	cr_expect_eq(ctlj_split((const uint8_t *)"", 0, &c, &cl, &b, &bl), CTLJ_E_NOCOOKIE);
	/* A cookie and nothing else: split, then the body is an error. */
	cr_assert_eq(ctlj_split(S("ck "), &c, &cl, &b, &bl), CTLJ_OK);
	cr_expect_eq(bl, 0);
	/* Only the first space separates: the body keeps the rest. */
	cr_assert_eq(ctlj_split(S("ck  {}"), &c, &cl, &b, &bl), CTLJ_OK);
	cr_expect_eq(bl, 3);
	cr_expect_eq(b[0], ' ');

	uint8_t big[CTLJ_MAX_COOKIE + 4];
	memset(big, 'k', sizeof(big));
	big[CTLJ_MAX_COOKIE] = ' ';
	cr_expect_eq(ctlj_split(big, sizeof(big), &c, &cl, &b, &bl), CTLJ_OK);
	cr_expect_eq(cl, CTLJ_MAX_COOKIE);
	big[CTLJ_MAX_COOKIE] = 'k';
	big[CTLJ_MAX_COOKIE + 1] = ' ';
	cr_expect_eq(ctlj_split(big, sizeof(big), &c, &cl, &b, &bl), CTLJ_E_NOCOOKIE);
	cr_expect_eq(ctlj_split(NULL, 0, &c, &cl, &b, &bl), CTLJ_E_INVAL);
}

Test(ctl_decode, kamailio_ping)
{
	struct ctl_req r;
	char *buf;

	cr_assert_eq(decode_file("ng/kamailio-ping.bencode", &r, &buf), CTLJ_OK);
	cr_expect_eq(r.cr_cmd, CTL_CMD_PING);
	cr_expect_eq(r.cr_enc, CTLJ_ENC_BENCODE);
	ctlj_req_free(&r);
	free(buf);
	cr_assert_eq(decode_file("ng/kamailio-ping.json", &r, &buf), CTLJ_OK);
	cr_expect_eq(r.cr_cmd, CTL_CMD_PING);
	cr_expect_eq(r.cr_enc, CTLJ_ENC_JSON);
	ctlj_req_free(&r);
	free(buf);
}

static void
check_kamailio(const char *file, enum ctl_cmd cmd, enum ctlj_enc enc)
{
	struct ctl_req r;
	char *buf;

	cr_assert_eq(decode_file(file, &r, &buf), CTLJ_OK, "%s: %s", file,
	    r.cr_error ? r.cr_error : "");
	cr_expect_eq(r.cr_cmd, cmd, "%s", file);
	cr_expect_eq(r.cr_enc, enc, "%s", file);
	cr_expect(str_is(&r.cr_call_id, "a84b4c76e66710@192.0.2.10"), "%s", file);
	cr_expect(str_is(&r.cr_from_tag, "1928301774"), "%s", file);
	cr_expect(r.cr_load_limit, "%s", file);
	cr_expect_eq(r.cr_rf_family, CTLJ_AF_IP4);
	cr_expect(str_is(&r.cr_rf_addr, cmd == CTL_CMD_ANSWER ? "192.0.2.20" :
	    "192.0.2.10"), "%s", file);
	if (cmd == CTL_CMD_ANSWER)
		cr_expect(str_is(&r.cr_to_tag, "a6c85cf"));
	else
		cr_expect_null(r.cr_to_tag.s);
	if (cmd == CTL_CMD_DELETE)
		cr_expect_null(r.cr_sdp.s);
	else {
		cr_expect_not_null(r.cr_sdp.s);
		cr_expect(strncmp(r.cr_sdp.s, "v=0\r\n", 5) == 0);
		cr_expect_eq(strlen(r.cr_sdp.s), r.cr_sdp.len);
	}
	cr_expect_eq(r.cr_dialect, CTLJ_DIALECT_DEFAULT);
	cr_expect_eq(r.cr_initiate_tcp, CTLJ_UNSET);
	cr_expect_eq(r.cr_other_media, CTLJ_OTHER_DEFAULT);
	cr_expect_eq(r.cr_flags, 0);
	cr_expect_eq(r.cr_nkeys_unknown, 0);
	cr_expect_null(r.cr_error);
	ctlj_req_free(&r);
	free(buf);
}

Test(ctl_decode, kamailio_offer_answer_delete)
{
	check_kamailio("ng/kamailio-offer.bencode", CTL_CMD_OFFER, CTLJ_ENC_BENCODE);
	check_kamailio("ng/kamailio-answer.bencode", CTL_CMD_ANSWER, CTLJ_ENC_BENCODE);
	check_kamailio("ng/kamailio-delete.bencode", CTL_CMD_DELETE, CTLJ_ENC_BENCODE);
	check_kamailio("ng/kamailio-offer.json", CTL_CMD_OFFER, CTLJ_ENC_JSON);
	check_kamailio("ng/kamailio-answer.json", CTL_CMD_ANSWER, CTLJ_ENC_JSON);
	check_kamailio("ng/kamailio-delete.json", CTL_CMD_DELETE, CTLJ_ENC_JSON);
}

Test(ctl_decode, per_call_keys_json)
{
	struct ctl_req r;
	char *buf;

	cr_assert_eq(decode_file("ng/offer-dialect.json", &r, &buf), CTLJ_OK);
	cr_expect_eq(r.cr_dialect, CTLJ_DIALECT_RFC6544);
	cr_expect_eq(r.cr_initiate_tcp, CTLJ_YES);
	cr_expect_eq(r.cr_flags, CTLJ_F_TRUST_ADDRESS | CTLJ_F_SIP_SOURCE | CTLJ_F_FATAL);
	cr_expect_eq(r.cr_nflags_unknown, 1);
	cr_expect(str_is(&r.cr_label, "caller"));
	cr_expect_eq(r.cr_load_limit, 0);
	ctlj_req_free(&r);
	free(buf);
}

Test(ctl_decode, other_commands)
{
	struct ctl_req r;

	cr_assert_eq(decode_str("d7:command4:liste", &r), CTLJ_OK);
	cr_expect_eq(r.cr_cmd, CTL_CMD_LIST);
	cr_expect_eq(r.cr_limit, CTLJ_LIST_DEFAULT);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("{\"command\":\"list\",\"limit\":5}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_limit, 5);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("d7:command4:list5:limit3:100e", &r), CTLJ_OK);
	cr_expect_eq(r.cr_limit, 100);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("{\"command\":\"statistics\"}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_cmd, CTL_CMD_STATISTICS);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("{\"command\":\"query\",\"call-id\":\"x\"}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_cmd, CTL_CMD_QUERY);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("{\"command\":\"delete\",\"call-id\":\"x\","
	    "\"via-branch\":\"z9hG4bK1\",\"flags\":[\"fatal\",\"fast\",\"to-tag\"]}",
	    &r), CTLJ_OK);
	cr_expect(str_is(&r.cr_via_branch, "z9hG4bK1"));
	cr_expect_eq(r.cr_flags, CTLJ_F_FATAL | CTLJ_F_FAST | CTLJ_F_TO_TAG);
	ctlj_req_free(&r);
}

Test(ctl_decode, error_strings)
{
	/* control-protocol.md 1.7, in rtpengine's order of checks. */
	expect_err("{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\"}",
	    CTLJ_E_NO_SDP, "No SDP body in message");
	expect_err("{\"command\":\"offer\",\"from-tag\":\"f\"}",
	    CTLJ_E_NO_SDP, "No SDP body in message");
	expect_err("{\"command\":\"offer\",\"sdp\":\"v=0\",\"from-tag\":\"f\"}",
	    CTLJ_E_NO_CALL_ID, "No call-id in message");
	expect_err("{\"command\":\"offer\",\"sdp\":\"v=0\",\"call-id\":\"c\"}",
	    CTLJ_E_NO_FROM_TAG, "No from-tag in message");
	expect_err("{\"command\":\"answer\",\"sdp\":\"v=0\",\"call-id\":\"c\","
	    "\"from-tag\":\"f\"}", CTLJ_E_NO_TO_TAG, "No to-tag in message");
	expect_err("d3:sdp3:v=07:call-id1:c8:from-tag1:f7:command6:answere",
	    CTLJ_E_NO_TO_TAG, "No to-tag in message");
	expect_err("{\"command\":\"offer\",\"sdp\":\"\",\"call-id\":\"c\",\"from-tag\":\"f\"}",
	    CTLJ_E_NO_SDP, "No SDP body in message");
	expect_err("{\"command\":\"offer\",\"sdp\":\"v\",\"call-id\":\"\",\"from-tag\":\"f\"}",
	    CTLJ_E_NO_CALL_ID, "No call-id in message");
	expect_err("{\"command\":\"delete\"}", CTLJ_E_NO_CALL_ID, "No call-id in message");
	expect_err("d7:command6:deletee", CTLJ_E_NO_CALL_ID, "No call-id in message");
	expect_err("{\"command\":\"query\",\"from-tag\":\"f\"}", CTLJ_E_NO_CALL_ID,
	    "No call-id in message");
	expect_err("{\"call-id\":\"c\"}", CTLJ_E_NO_COMMAND,
	    "Dictionary contains no key \"command\"");
	expect_err("de", CTLJ_E_NO_COMMAND, "Dictionary contains no key \"command\"");
	expect_err("{}", CTLJ_E_NO_COMMAND, "Dictionary contains no key \"command\"");
	expect_err("{\"command\":\"dance\"}", CTLJ_E_UNRECOGNIZED, "Unrecognized command");
	expect_err("{\"command\":\"\"}", CTLJ_E_UNRECOGNIZED, "Unrecognized command");
	/* An unknown command wins over a badly typed key it would not use. */
	expect_err("{\"command\":\"dance\",\"call-id\":5}", CTLJ_E_UNRECOGNIZED,
	    "Unrecognized command");
	expect_err("xyz", CTLJ_E_FORMAT, "Invalid NG data format");
	expect_err("", CTLJ_E_FORMAT, "Invalid NG data format");
	expect_err(" {\"command\":\"ping\"}", CTLJ_E_FORMAT, "Invalid NG data format");
	expect_err("[\"command\",\"ping\"]", CTLJ_E_FORMAT, "Invalid NG data format");
	expect_err("l7:command4:pinge", CTLJ_E_FORMAT, "Invalid NG data format");
	expect_err("i1e", CTLJ_E_FORMAT, "Invalid NG data format");
}

Test(ctl_decode, unsupported_vs_unknown)
{
	struct ctl_req r;

	cr_expect_eq(decode_str("{\"command\":\"pause recording\",\"call-id\":\"c\"}",
	    &r), CTLJ_E_UNRECOGNIZED);
	cr_expect_eq(r.cr_cmd, CTL_CMD_UNSUPPORTED);
	cr_expect(str_is(&r.cr_command, "pause recording"));
	cr_expect_str_eq(r.cr_error, "Unrecognized command");
	ctlj_req_free(&r);
	cr_expect_eq(decode_str("d7:command10:block DTMFe", &r), CTLJ_E_UNRECOGNIZED);
	cr_expect_eq(r.cr_cmd, CTL_CMD_UNSUPPORTED);
	ctlj_req_free(&r);
	cr_expect_eq(decode_str("{\"command\":\"teleport\"}", &r), CTLJ_E_UNRECOGNIZED);
	cr_expect_eq(r.cr_cmd, CTL_CMD_UNKNOWN);
	ctlj_req_free(&r);
}

Test(ctl_decode, malformed_bodies)
{
	struct ctl_req r;

	/* The reply goes out in the encoding the body claimed. */
	cr_expect_eq(decode_str("{\"command\":\"ping\"", &r), CTLJ_E_FORMAT);
	cr_expect_eq(r.cr_enc, CTLJ_ENC_JSON);
	cr_expect_str_eq(r.cr_error, CTLJ_ERR_FORMAT);
	cr_expect_str_neq(r.cr_detail, "");
	ctlj_req_free(&r);
	cr_expect_eq(decode_str("d7:command4:ping", &r), CTLJ_E_FORMAT);
	cr_expect_eq(r.cr_enc, CTLJ_ENC_BENCODE);
	ctlj_req_free(&r);

	expect_err("{\"command\":\"ping\"} x", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("{\"command\":\"ping\"}{}", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("d7:command4:pingeXX", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("d7:command4:pingede", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	/* A newline typed after the value is fine, in both encodings. */
	expect_err("d7:command4:pinge\r\n", CTLJ_OK, NULL);
	expect_err("{\"command\":\"ping\"}\n", CTLJ_OK, NULL);
	/* Duplicate keys: which one would count? */
	expect_err("{\"command\":\"ping\",\"command\":\"list\"}", CTLJ_E_FORMAT,
	    CTLJ_ERR_FORMAT);
	expect_err("d7:command4:ping7:command4:liste", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("d7:command4:pingi1ei2ee", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("d7:command4:ping1:\xffi1ee", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("d7:command4:ping11:99999999999:e", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("d7:command4:ping1:x99999999999:", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("d7:command4:ping1:xi-0ee", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("d7:command4:ping1:xiee", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("d7:command4:ping1:xi007ee", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("d7:command4:ping1:x-3:abce", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	expect_err("{\"command\":\"ping\",\"a\\u0000b\":1}", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	EXPECT_ERR_LIT("d7:command4:ping3:a\0bi1ee", CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
}

Test(ctl_decode, deep_nesting)
{
	char buf[256];
	size_t i, n;

	/* 31 lists inside the dict: depth 32, accepted; 32 lists: refused. */
	for (int extra = 0; extra <= 1; extra++) {
		n = 0;
		n += (size_t)sprintf(buf, "d7:command4:ping1:x");
		for (i = 0; i < (size_t)(CTLJ_MAX_DEPTH - 1 + extra); i++)
			buf[n++] = 'l';
		for (i = 0; i < (size_t)(CTLJ_MAX_DEPTH - 1 + extra); i++)
			buf[n++] = 'e';
		buf[n++] = 'e';
		buf[n] = '\0';
		expect_err(buf, extra ? CTLJ_E_FORMAT : CTLJ_OK, extra ? CTLJ_ERR_FORMAT : NULL);

		n = (size_t)sprintf(buf, "{\"command\":\"ping\",\"x\":");
		for (i = 0; i < (size_t)(CTLJ_MAX_DEPTH - 1 + extra); i++)
			buf[n++] = '[';
		for (i = 0; i < (size_t)(CTLJ_MAX_DEPTH - 1 + extra); i++)
			buf[n++] = ']';
		buf[n++] = '}';
		buf[n] = '\0';
		expect_err(buf, extra ? CTLJ_E_FORMAT : CTLJ_OK, extra ? CTLJ_ERR_FORMAT : NULL);
	}
	/* Brackets inside strings do not count. */
	expect_err("{\"command\":\"ping\",\"x\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[\"}",
	    CTLJ_OK, NULL);
}

Test(ctl_decode, wrong_types)
{
	expect_err("{\"command\":\"offer\",\"sdp\":\"v=0\",\"call-id\":42,\"from-tag\":\"f\"}",
	    CTLJ_E_TYPE, "Key \"call-id\" must be a string");
	expect_err("d7:command5:offer3:sdpl3:v=0e7:call-id1:c8:from-tag1:fe",
	    CTLJ_E_TYPE, "Key \"sdp\" must be a string");
	expect_err("{\"command\":5}", CTLJ_E_TYPE, "Key \"command\" must be a string");
	expect_err("{\"command\":\"delete\",\"call-id\":\"c\",\"from-tag\":{}}",
	    CTLJ_E_TYPE, "Key \"from-tag\" must be a string");
	expect_err("{\"command\":\"delete\",\"call-id\":\"c\",\"flags\":\"fatal\"}",
	    CTLJ_E_TYPE, "Key \"flags\" must be a list of strings");
	expect_err("{\"command\":\"delete\",\"call-id\":\"c\",\"flags\":[1]}",
	    CTLJ_E_TYPE, "Key \"flags\" must be a list of strings");
	expect_err("{\"command\":\"ping\",\"supports\":\"load limit\"}",
	    CTLJ_E_TYPE, "Key \"supports\" must be a list of strings");
	expect_err("{\"command\":\"ping\",\"received-from\":\"1.2.3.4\"}",
	    CTLJ_E_TYPE, "Key \"received-from\" must be a list of two strings");
	expect_err("{\"command\":\"ping\",\"received-from\":[\"IP4\"]}",
	    CTLJ_E_TYPE, "Key \"received-from\" must be a list of two strings");
	expect_err("{\"command\":\"ping\",\"received-from\":[\"IP5\",\"x\"]}",
	    CTLJ_E_VALUE, "Invalid address family \"IP5\" in received-from (use IP4 or IP6)");
	expect_err("{\"command\":\"ping\",\"label\":null}", CTLJ_E_TYPE,
	    "Key \"label\" must be a string");
	expect_err("{\"command\":\"list\",\"limit\":\"ten\"}", CTLJ_E_VALUE,
	    "Invalid limit \"ten\"");
	expect_err("{\"command\":\"list\",\"limit\":-1}", CTLJ_E_VALUE,
	    "Invalid limit (must not be negative)");
	expect_err("{\"command\":\"list\",\"limit\":1.5}", CTLJ_E_TYPE,
	    "Key \"limit\" must be an integer");
	EXPECT_ERR_LIT("d7:command5:query7:call-id3:a\0be", CTLJ_E_VALUE,
	    "Key \"call-id\" contains a NUL byte");
	expect_err("{\"command\":\"query\",\"call-id\":\"a\\u0000b\"}", CTLJ_E_VALUE,
	    "Key \"call-id\" contains a NUL byte");
}

Test(ctl_decode, dialect_and_initiate)
{
	static const struct {
		const char *v;
		enum ctlj_dialect d;
	} dl[] = {
		{ "ms-ice2", CTLJ_DIALECT_MS_ICE2 }, { "MS-ICE2", CTLJ_DIALECT_MS_ICE2 },
		{ "rfc6544", CTLJ_DIALECT_RFC6544 }, { "RFC4145", CTLJ_DIALECT_RFC4145 },
	};
	char buf[256];
	struct ctl_req r;

	for (size_t i = 0; i < sizeof(dl) / sizeof(dl[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"command\":\"ping\",\"dialect\":\"%s\"}", dl[i].v);
		cr_assert_eq(decode_str(buf, &r), CTLJ_OK, "%s", buf);
		cr_expect_eq(r.cr_dialect, dl[i].d, "%s", buf);
		ctlj_req_free(&r);
	}
	expect_err("{\"command\":\"ping\",\"dialect\":\"rfc5245\"}", CTLJ_E_VALUE,
	    "Invalid dialect \"rfc5245\" (use ms-ice2, rfc6544 or rfc4145)");
	expect_err("{\"command\":\"ping\",\"dialect\":\"\"}", CTLJ_E_VALUE,
	    "Invalid dialect \"\" (use ms-ice2, rfc6544 or rfc4145)");
	expect_err("{\"command\":\"ping\",\"dialect\":\"a\\\"b\\n\"}", CTLJ_E_VALUE,
	    "Invalid dialect \"a?b?\" (use ms-ice2, rfc6544 or rfc4145)");
	expect_err("{\"command\":\"ping\",\"dialect\":6544}", CTLJ_E_TYPE,
	    "Key \"dialect\" must be a string");

	static const struct {
		const char *v;
		enum ctlj_tri t;
	} tl[] = {
		{ "\"yes\"", CTLJ_YES }, { "\"on\"", CTLJ_YES }, { "\"true\"", CTLJ_YES },
		{ "\"YES\"", CTLJ_YES }, { "true", CTLJ_YES }, { "1", CTLJ_YES },
		{ "\"no\"", CTLJ_NO }, { "\"off\"", CTLJ_NO }, { "\"false\"", CTLJ_NO },
		{ "false", CTLJ_NO }, { "0", CTLJ_NO },
	};
	for (size_t i = 0; i < sizeof(tl) / sizeof(tl[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"command\":\"ping\",\"initiate-tcp\":%s}", tl[i].v);
		cr_assert_eq(decode_str(buf, &r), CTLJ_OK, "%s", buf);
		cr_expect_eq(r.cr_initiate_tcp, tl[i].t, "%s", buf);
		ctlj_req_free(&r);
	}
	expect_err("{\"command\":\"ping\",\"initiate-tcp\":\"maybe\"}", CTLJ_E_VALUE,
	    "Invalid initiate-tcp \"maybe\" (use yes or no)");
	expect_err("{\"command\":\"ping\",\"initiate-tcp\":2}", CTLJ_E_TYPE,
	    "Key \"initiate-tcp\" must be yes or no");

	/* Bencode, as Kamailio passes "dialect=ms-ice2 initiate-tcp=yes". */
	cr_assert_eq(decode_str("d7:command4:ping7:dialect7:ms-ice212:initiate-tcp3:yese",
	    &r), CTLJ_OK);
	cr_expect_eq(r.cr_dialect, CTLJ_DIALECT_MS_ICE2);
	cr_expect_eq(r.cr_initiate_tcp, CTLJ_YES);
	ctlj_req_free(&r);
}

Test(ctl_decode, per_call_keys_in_flags)
{
	struct ctl_req r;

	cr_assert_eq(decode_str("{\"command\":\"ping\",\"flags\":[\"dialect=rfc6544\","
	    "\"initiate tcp=on\",\"ICE=force\"]}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_dialect, CTLJ_DIALECT_RFC6544);
	cr_expect_eq(r.cr_initiate_tcp, CTLJ_YES);
	cr_expect_eq(r.cr_nflags_unknown, 1);
	ctlj_req_free(&r);

	/* The dictionary entry wins, whichever comes first. */
	cr_assert_eq(decode_str("{\"flags\":[\"dialect=rfc6544\",\"initiate-tcp=no\"],"
	    "\"command\":\"ping\",\"dialect\":\"ms-ice2\",\"initiate-tcp\":\"yes\"}", &r),
	    CTLJ_OK);
	cr_expect_eq(r.cr_dialect, CTLJ_DIALECT_MS_ICE2);
	cr_expect_eq(r.cr_initiate_tcp, CTLJ_YES);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("{\"command\":\"ping\",\"dialect\":\"ms-ice2\","
	    "\"flags\":[\"dialect=bogus\"]}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_dialect, CTLJ_DIALECT_MS_ICE2);
	ctlj_req_free(&r);

	expect_err("{\"command\":\"ping\",\"flags\":[\"dialect=bogus\"]}", CTLJ_E_VALUE,
	    "Invalid dialect \"bogus\" (use ms-ice2, rfc6544 or rfc4145)");
	expect_err("{\"command\":\"ping\",\"flags\":[\"initiate-tcp=\"]}", CTLJ_E_VALUE,
	    "Invalid initiate-tcp \"\" (use yes or no)");
	/* Bare "=" tokens and unknown keys are just unknown flags. */
	cr_assert_eq(decode_str("{\"command\":\"ping\",\"flags\":[\"=\",\"=x\",\"a=\"]}", &r),
	    CTLJ_OK);
	cr_expect_eq(r.cr_nflags_unknown, 3);
	ctlj_req_free(&r);
}

Test(ctl_decode, other_media)
{
	static const struct {
		const char *k, *v;
		enum ctlj_other_media o;
	} ok[] = {
		{ "other-media", "pass", CTLJ_OTHER_PASS },
		{ "other-media", "refuse", CTLJ_OTHER_REFUSE },
		{ "other media", "REFUSE", CTLJ_OTHER_REFUSE },
		{ "other_media", "Pass", CTLJ_OTHER_PASS },
		{ "Other-Media", "refuse", CTLJ_OTHER_REFUSE },
	};
	char buf[256];
	struct ctl_req r;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"command\":\"ping\",\"%s\":\"%s\"}",
		    ok[i].k, ok[i].v);
		cr_assert_eq(decode_str(buf, &r), CTLJ_OK, "%s", buf);
		cr_expect_eq(r.cr_other_media, ok[i].o, "%s", buf);
		cr_expect_eq(r.cr_nkeys_unknown, 0, "%s", buf);
		ctlj_req_free(&r);
	}
	cr_assert_eq(decode_str("{\"command\":\"ping\"}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_other_media, CTLJ_OTHER_DEFAULT);
	ctlj_req_free(&r);
	expect_err("{\"command\":\"ping\",\"other-media\":\"drop\"}", CTLJ_E_VALUE,
	    "Invalid other-media \"drop\" (use pass or refuse)");
	expect_err("{\"command\":\"ping\",\"other-media\":\"\"}", CTLJ_E_VALUE,
	    "Invalid other-media \"\" (use pass or refuse)");
	expect_err("{\"command\":\"ping\",\"other-media\":true}", CTLJ_E_TYPE,
	    "Key \"other-media\" must be a string");
	/* Bencode, as Kamailio passes "other-media=refuse". */
	cr_assert_eq(decode_str("d7:command4:ping11:other-media6:refusee", &r), CTLJ_OK);
	cr_expect_eq(r.cr_other_media, CTLJ_OTHER_REFUSE);
	ctlj_req_free(&r);

	/* In flags, as key=value or as the bare flag. */
	cr_assert_eq(decode_str("{\"command\":\"ping\",\"flags\":[\"other media=refuse\"]}",
	    &r), CTLJ_OK);
	cr_expect_eq(r.cr_other_media, CTLJ_OTHER_REFUSE);
	cr_expect_eq(r.cr_nflags_unknown, 0);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("{\"command\":\"ping\",\"flags\":[\"Refuse_Other media\"]}",
	    &r), CTLJ_OK);
	cr_expect_eq(r.cr_other_media, CTLJ_OTHER_REFUSE);
	cr_expect_eq(r.cr_flags, CTLJ_F_REFUSE_OTHER);
	cr_expect_eq(r.cr_nflags_unknown, 0);
	ctlj_req_free(&r);
	expect_err("{\"command\":\"ping\",\"flags\":[\"other-media=maybe\"]}", CTLJ_E_VALUE,
	    "Invalid other-media \"maybe\" (use pass or refuse)");

	/* The dictionary entry wins over the flags, whichever comes first... */
	cr_assert_eq(decode_str("{\"flags\":[\"other-media=refuse\"],\"command\":\"ping\","
	    "\"other-media\":\"pass\"}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_other_media, CTLJ_OTHER_PASS);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("{\"command\":\"ping\",\"other-media\":\"refuse\","
	    "\"flags\":[\"other-media=bogus\"]}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_other_media, CTLJ_OTHER_REFUSE);
	ctlj_req_free(&r);
	/* ...and an explicit other-media, in either form, over the bare flag. */
	cr_assert_eq(decode_str("{\"command\":\"ping\",\"other-media\":\"pass\","
	    "\"flags\":[\"refuse-other-media\"]}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_other_media, CTLJ_OTHER_PASS);
	cr_expect_eq(r.cr_flags, CTLJ_F_REFUSE_OTHER);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("{\"command\":\"ping\",\"flags\":[\"refuse-other-media\","
	    "\"other-media=pass\"]}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_other_media, CTLJ_OTHER_PASS);
	ctlj_req_free(&r);
}

Test(ctl_decode, key_spellings)
{
	static const char *const callid[] = { "call-id", "call id", "call_id", "call-ID",
	    "Call-Id" };
	static const char *const fromtag[] = { "from-tag", "from tag", "from_tag" };
	char buf[512];
	struct ctl_req r;

	for (size_t i = 0; i < sizeof(callid) / sizeof(callid[0]); i++)
		for (size_t j = 0; j < sizeof(fromtag) / sizeof(fromtag[0]); j++) {
			snprintf(buf, sizeof(buf), "{\"command\":\"offer\",\"sdp\":\"v=0\","
			    "\"%s\":\"c1\",\"%s\":\"f1\"}", callid[i], fromtag[j]);
			cr_assert_eq(decode_str(buf, &r), CTLJ_OK, "%s", buf);
			cr_expect(str_is(&r.cr_call_id, "c1"));
			cr_expect(str_is(&r.cr_from_tag, "f1"));
			ctlj_req_free(&r);
		}
	cr_assert_eq(decode_str("{\"command\":\"answer\",\"SDP\":\"v=0\",\"call id\":\"c\","
	    "\"from tag\":\"f\",\"to tag\":\"t\",\"via branch\":\"b\","
	    "\"received from\":[\"IP6\",\"::1\"],\"initiate_tcp\":\"yes\"}", &r), CTLJ_OK);
	cr_expect(str_is(&r.cr_to_tag, "t"));
	cr_expect(str_is(&r.cr_via_branch, "b"));
	cr_expect_eq(r.cr_rf_family, CTLJ_AF_IP6);
	cr_expect(str_is(&r.cr_rf_addr, "::1"));
	cr_expect_eq(r.cr_initiate_tcp, CTLJ_YES);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("{\"command\":\"ping\",\"initiate tcp\":\"off\","
	    "\"received_from\":[\"ip4\",\"10.0.0.1\"]}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_initiate_tcp, CTLJ_NO);
	cr_expect_eq(r.cr_rf_family, CTLJ_AF_IP4);
	ctlj_req_free(&r);
	/* Commands fold the same way. */
	cr_assert_eq(decode_str("{\"command\":\"PING\"}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_cmd, CTL_CMD_PING);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("{\"command\":\"pause-recording\"}", &r), CTLJ_E_UNRECOGNIZED);
	cr_expect_eq(r.cr_cmd, CTL_CMD_UNSUPPORTED);
	ctlj_req_free(&r);
}

/* The pcap tap's commands: call-id required, from-tag optional. */
Test(ctl_decode, recording_commands)
{
	struct ctl_req r;

	cr_assert_eq(decode_str("{\"command\":\"start recording\",\"call-id\":\"c\"}",
	    &r), CTLJ_OK);
	cr_expect_eq(r.cr_cmd, CTL_CMD_START_RECORDING);
	cr_expect_str_eq(ctlj_cmd_name(r.cr_cmd), "start recording");
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("d7:command14:stop recording7:call-id1:c8:from-tag1:fe",
	    &r), CTLJ_OK);
	cr_expect_eq(r.cr_cmd, CTL_CMD_STOP_RECORDING);
	cr_expect(str_is(&r.cr_from_tag, "f"));
	ctlj_req_free(&r);
	cr_expect_eq(decode_str("{\"command\":\"start-recording\"}", &r), CTLJ_E_NO_CALL_ID);
	ctlj_req_free(&r);
}

Test(ctl_decode, flag_spellings_and_unknowns)
{
	struct ctl_req r;

	cr_assert_eq(decode_str("{\"command\":\"offer\",\"sdp\":\"v\",\"call-id\":\"c\","
	    "\"from-tag\":\"f\",\"flags\":[\"trust address\",\"SIP-source-address\","
	    "\"strict_source\",\"media handover\",\"symmetric\",\"asymmetric\","
	    "\"port-latching\",\"no port latching\",\"loop-protect\",\"reset\",\"debug\","
	    "\"replace-origin\",\"ICE-remove\",\"\",\"a-very-long-flag-name-that-we-"
	    "surely-do-not-know-about\"],\"ICE\":\"force\",\"replace\":[\"origin\"],"
	    "\"direction\":[\"internal\",\"external\"],\"TOS\":184,\"codec\":{\"strip\":"
	    "[\"all\"]},\"rtpp-flags\":\"x\",\"sdp-media-remove\":[\"other\"],"
	    "\"transport-protocol\":\"RTP/AVP\"}", &r), CTLJ_OK);
	cr_expect_eq(r.cr_flags, CTLJ_F_TRUST_ADDRESS | CTLJ_F_SIP_SOURCE |
	    CTLJ_F_STRICT_SOURCE | CTLJ_F_MEDIA_HANDOVER | CTLJ_F_SYMMETRIC |
	    CTLJ_F_ASYMMETRIC | CTLJ_F_PORT_LATCHING | CTLJ_F_NO_PORT_LATCHING |
	    CTLJ_F_LOOP_PROTECT | CTLJ_F_RESET | CTLJ_F_DEBUG);
	cr_expect_eq(r.cr_nflags_unknown, 4);
	cr_expect_eq(r.cr_nkeys_unknown, 8);
	ctlj_req_free(&r);

	/* "supports" in its spellings; other capabilities ignored. */
	cr_assert_eq(decode_str("{\"command\":\"ping\",\"supports\":[\"teleport\","
	    "\"load-limit\"]}", &r), CTLJ_OK);
	cr_expect(r.cr_load_limit);
	ctlj_req_free(&r);
	cr_assert_eq(decode_str("{\"command\":\"ping\",\"supports\":[\"teleport\"]}", &r),
	    CTLJ_OK);
	cr_expect(!r.cr_load_limit);
	ctlj_req_free(&r);
}

static size_t
encode(const char *cookie, json_t *reply, enum ctlj_enc enc, uint8_t *out,
    size_t cap, int want)
{
	size_t n = 777;
	int rc = ctlj_encode_reply((const uint8_t *)cookie, strlen(cookie), reply,
	    enc, out, cap, &n);

	cr_expect_eq(rc, want, "rc %d (%s)", rc, ctlj_strerror(rc));
	json_decref(reply);
	if (rc != CTLJ_OK)
		cr_expect_eq(n, 0);
	return n;
}

#define EXPECT_OUT(want) do {						\
	cr_expect_eq(n, sizeof(want) - 1, "got %.*s", (int)n, out);	\
	cr_expect(memcmp(out, want, n) == 0, "got %.*s", (int)n, out);	\
} while (0)

Test(ctl_reply, encodings)
{
	uint8_t out[512];
	size_t n;

	n = encode("1_2345_1", ctlj_reply_pong(), CTLJ_ENC_BENCODE, out, sizeof(out), CTLJ_OK);
	EXPECT_OUT("1_2345_1 d6:result4:ponge");
	n = encode("ck2", ctlj_reply_pong(), CTLJ_ENC_JSON, out, sizeof(out), CTLJ_OK);
	EXPECT_OUT("ck2 {\"result\":\"pong\"}");
	n = encode("c", ctlj_reply_ok(NULL), CTLJ_ENC_BENCODE, out, sizeof(out), CTLJ_OK);
	EXPECT_OUT("c d6:result2:oke");
	n = encode("c", ctlj_reply_ok(CTLJ_ERR_NOT_FOUND), CTLJ_ENC_BENCODE, out,
	    sizeof(out), CTLJ_OK);
	EXPECT_OUT("c d6:result2:ok7:warning38:Call-ID not found or tags didn't matche");
	n = encode("c", ctlj_reply_error(CTLJ_ERR_NO_SDP), CTLJ_ENC_BENCODE, out,
	    sizeof(out), CTLJ_OK);
	EXPECT_OUT("c d12:error-reason22:No SDP body in message6:result5:errore");
	n = encode("c", ctlj_reply_error(CTLJ_ERR_NO_SDP), CTLJ_ENC_JSON, out,
	    sizeof(out), CTLJ_OK);
	EXPECT_OUT("c {\"result\":\"error\",\"error-reason\":\"No SDP body in message\"}");
	n = encode("c", ctlj_reply_load_limit(CTLJ_ERR_SESSION_LIMIT), CTLJ_ENC_BENCODE,
	    out, sizeof(out), CTLJ_OK);
	EXPECT_OUT("c d7:message30:Parallel session limit reached6:result10:load limite");
	n = encode("c", ctlj_reply_error("No \"to-tag\"\n"), CTLJ_ENC_JSON, out,
	    sizeof(out), CTLJ_OK);
	EXPECT_OUT("c {\"result\":\"error\",\"error-reason\":\"No \\\"to-tag\\\"\\n\"}");
}

Test(ctl_reply, load_limit_only_when_supported)
{
	struct ctl_req r;
	uint8_t out[256];
	size_t n;
	char *buf;

	cr_assert_eq(decode_file("ng/kamailio-offer.bencode", &r, &buf), CTLJ_OK);
	n = encode("c", ctlj_reply_limit(&r, CTLJ_ERR_SESSION_LIMIT), r.cr_enc, out,
	    sizeof(out), CTLJ_OK);
	EXPECT_OUT("c d7:message30:Parallel session limit reached6:result10:load limite");
	ctlj_req_free(&r);
	free(buf);

	cr_assert_eq(decode_file("ng/offer-dialect.json", &r, &buf), CTLJ_OK);
	n = encode("c", ctlj_reply_limit(&r, CTLJ_ERR_SESSION_LIMIT), r.cr_enc, out,
	    sizeof(out), CTLJ_OK);
	EXPECT_OUT("c {\"result\":\"error\",\"error-reason\":\"Parallel session limit reached\"}");
	ctlj_req_free(&r);
	free(buf);
}

Test(ctl_reply, decode_error_round_trip)
{
	struct ctl_req r;
	uint8_t out[256];
	size_t n;

	cr_expect_eq(decode_str("{\"command\":\"offer\",\"call-id\":7}", &r), CTLJ_E_TYPE);
	n = encode("k", ctlj_reply_decode_error(&r), r.cr_enc, out, sizeof(out), CTLJ_OK);
	EXPECT_OUT("k {\"result\":\"error\",\"error-reason\":\"Key \\\"call-id\\\" must be a string\"}");
	ctlj_req_free(&r);
	cr_expect_eq(decode_str("nonsense", &r), CTLJ_E_FORMAT);
	n = encode("k", ctlj_reply_decode_error(&r), r.cr_enc, out, sizeof(out), CTLJ_OK);
	EXPECT_OUT("k d12:error-reason22:Invalid NG data format6:result5:errore");
	ctlj_req_free(&r);
}

Test(ctl_reply, limits_and_arguments)
{
	uint8_t *big = malloc(CTLJ_MAX_UDP_REPLY);
	char *sdp = malloc(70000);
	json_t *rep;
	size_t n;

	memset(sdp, 'a', 69999);
	sdp[69999] = '\0';
	rep = ctlj_reply_ok(NULL);
	json_object_set_new(rep, "sdp", json_string(sdp));
	encode("c", json_incref(rep), CTLJ_ENC_BENCODE, big, CTLJ_MAX_UDP_REPLY,
	    CTLJ_E_TOOBIG);
	encode("c", rep, CTLJ_ENC_JSON, big, CTLJ_MAX_UDP_REPLY, CTLJ_E_TOOBIG);
	/* The short reply the caller sends instead fits. */
	n = encode("c", ctlj_reply_error(CTLJ_ERR_REPLY_TOOBIG), CTLJ_ENC_JSON, big,
	    CTLJ_MAX_UDP_REPLY, CTLJ_OK);
	cr_expect_gt(n, 0);
	/* Exactly enough room, and one byte less. */
	n = encode("c", ctlj_reply_pong(), CTLJ_ENC_BENCODE, big, 18, CTLJ_OK);
	cr_expect_eq(n, 18);
	encode("c", ctlj_reply_pong(), CTLJ_ENC_BENCODE, big, 17, CTLJ_E_TOOBIG);
	encode("c", ctlj_reply_pong(), CTLJ_ENC_JSON, big, 19, CTLJ_OK);
	encode("c", ctlj_reply_pong(), CTLJ_ENC_JSON, big, 18, CTLJ_E_TOOBIG);
	encode("c", ctlj_reply_pong(), CTLJ_ENC_JSON, big, 1, CTLJ_E_TOOBIG);
	/* Bad cookies and non-object replies are the caller's bug. */
	encode("a b", ctlj_reply_pong(), CTLJ_ENC_JSON, big, 100, CTLJ_E_INVAL);
	encode("", ctlj_reply_pong(), CTLJ_ENC_JSON, big, 100, CTLJ_E_INVAL);
	encode("c", json_string("x"), CTLJ_ENC_JSON, big, 100, CTLJ_E_INVAL);
	rep = ctlj_reply_ok(NULL);
	json_object_set_new(rep, "x", json_real(1.5));
	encode("c", rep, CTLJ_ENC_BENCODE, big, 100, CTLJ_E_INVAL);
	free(big);
	free(sdp);
}

/* Stream framing on TCP: back-to-back messages, blank lines, partial input. */
Test(ctl_frame, back_to_back)
{
	const char stream[] = "1_1_1 d7:command4:pinge2_1_1 {\"command\":\"ping\","
	    "\"x\":\"}{\"}\r\n\r\n3_1_1 d7:command4:liste";
	const uint8_t *p = (const uint8_t *)stream;
	size_t len = sizeof(stream) - 1, start, mlen;

	cr_assert_eq(ctlj_frame(p, len, &start, &mlen), CTLJ_OK);
	cr_expect_eq(start, 0);
	cr_expect_eq(mlen, 23);
	p += start + mlen;
	len -= start + mlen;
	cr_assert_eq(ctlj_frame(p, len, &start, &mlen), CTLJ_OK);
	cr_expect_eq(start, 0);
	cr_expect(memcmp(p + mlen - 2, "\"}", 2) == 0);
	p += start + mlen;
	len -= start + mlen;
	cr_assert_eq(ctlj_frame(p, len, &start, &mlen), CTLJ_OK);
	cr_expect_eq(start, 4);
	cr_expect_eq(mlen, 23);
	cr_expect_eq(start + mlen, len);
	cr_expect_eq(ctlj_frame(p + len, 0, &start, &mlen), CTLJ_E_AGAIN);
}

Test(ctl_frame, every_truncation_is_again)
{
	static const char *const files[] = { "ng/kamailio-offer.bencode",
	    "ng/kamailio-offer.json", "ng/kamailio-delete.bencode" };

	for (size_t f = 0; f < 3; f++) {
		size_t len, start, mlen;
		char *buf = tu_read_file(files[f], &len);

		cr_assert_eq(ctlj_frame((const uint8_t *)buf, len, &start, &mlen), CTLJ_OK);
		cr_expect_eq(mlen, len);
		for (size_t cut = 0; cut < len; cut++) {
			uint8_t *p = malloc(cut ? cut : 1);

			memcpy(p, buf, cut);
			cr_expect_eq(ctlj_frame(p, cut, &start, &mlen), CTLJ_E_AGAIN,
			    "%s cut %zu", files[f], cut);
			free(p);
		}
		free(buf);
	}
}

Test(ctl_frame, unrecoverable)
{
	size_t start, mlen;
	uint8_t big[CTLJ_MAX_COOKIE + 2];

	cr_expect_eq(ctlj_frame(S("ck xyz"), &start, &mlen), CTLJ_E_FORMAT);
	cr_expect_eq(ctlj_frame(S("ck d7:command4:pingi1ee"), &start, &mlen),
	    CTLJ_E_FORMAT);
	cr_expect_eq(ctlj_frame(S("ck }"), &start, &mlen), CTLJ_E_FORMAT);
	cr_expect_eq(ctlj_frame(S("ck d99999999999:"), &start, &mlen), CTLJ_E_TOOBIG);
	memset(big, 'k', sizeof(big));
	cr_expect_eq(ctlj_frame(big, sizeof(big), &start, &mlen), CTLJ_E_NOCOOKIE);
	cr_expect_eq(ctlj_frame(big, CTLJ_MAX_COOKIE, &start, &mlen), CTLJ_E_AGAIN);

	char deep[128] = "ck {";
	for (int i = 0; i < CTLJ_MAX_DEPTH; i++)
		strcat(deep, "[");
	cr_expect_eq(ctlj_frame((const uint8_t *)deep, strlen(deep), &start, &mlen),
	    CTLJ_E_FORMAT);
	cr_expect_eq(ctlj_frame(NULL, 1, &start, &mlen), CTLJ_E_INVAL);
}

Test(ctl_misc, names)
{
	for (int rc = CTLJ_OK; rc >= CTLJ_E_INVAL; rc--)
		cr_expect_str_neq(ctlj_strerror(rc), "unknown control error", "%d", rc);
	cr_expect_str_eq(ctlj_strerror(-100), "unknown control error");
	cr_expect_str_eq(ctlj_cmd_name(CTL_CMD_OFFER), "offer");
	cr_expect_str_eq(ctlj_cmd_name(CTL_CMD_STATISTICS), "statistics");
	cr_expect_str_eq(ctlj_cmd_name(CTL_CMD_MAX), "none");
	cr_expect_str_eq(ctlj_dialect_name(CTLJ_DIALECT_RFC4145), "rfc4145");
	cr_expect_str_eq(ctlj_dialect_name(CTLJ_DIALECT_DEFAULT), "default");
	cr_expect_str_eq(ctlj_other_media_name(CTLJ_OTHER_PASS), "pass");
	cr_expect_str_eq(ctlj_other_media_name(CTLJ_OTHER_REFUSE), "refuse");
	cr_expect_str_eq(ctlj_other_media_name(CTLJ_OTHER_DEFAULT), "default");
	cr_expect_eq(ctlj_decode(S("de"), NULL), CTLJ_E_INVAL);
	ctlj_req_free(NULL);
}
