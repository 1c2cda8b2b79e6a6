/*
 * Control codec end to end: stream framing, split, decode, a reply built the
 * way the daemon will build it, and the encoded reply parsed back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "ctl_json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t	out[CTLJ_MAX_UDP_REPLY];

static void
check_reply(const uint8_t *cookie, size_t clen, const json_t *reply,
    enum ctlj_enc enc, size_t n)
{
	json_t *back = NULL;
	size_t used;

	if (n < clen + 1 || memcmp(out, cookie, clen) != 0 || out[clen] != ' ')
		abort();
	if (enc == CTLJ_ENC_BENCODE) {
		if (benc_decode(out + clen + 1, n - clen - 1, NULL, &back,
		    &used) != BENC_OK || used != n - clen - 1)
			abort();
	} else {
		json_error_t err;

		back = json_loadb((const char *)out + clen + 1, n - clen - 1, 0,
		    &err);
		if (back == NULL)
			abort();
	}
	if (!json_equal(back, reply))
		abort();
	json_decref(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *cookie, *body;
	size_t clen, blen, start, mlen, n;
	struct ctl_req req;
	json_t *reply;
	int rc;

	rc = ctlj_frame(data, size, &start, &mlen);
	if (rc == CTLJ_OK) {
		if (start + mlen > size || mlen < 3)
			abort();
		if (ctlj_split(data + start, mlen, &cookie, &clen, &body,
		    &blen) != CTLJ_OK || blen == 0 ||
		    (body[0] != 'd' && body[0] != '{'))
			abort();
	}

	if (ctlj_split(data, size, &cookie, &clen, &body, &blen) != CTLJ_OK)
		return 0;
	rc = ctlj_decode(body, blen, &req);
	if (rc == CTLJ_OK) {
		switch (req.cr_cmd) {
		case CTL_CMD_PING:
			reply = ctlj_reply_pong();
			break;
		case CTL_CMD_OFFER:
		case CTL_CMD_ANSWER:
			if (req.cr_sdp.s == NULL || req.cr_call_id.s == NULL ||
			    req.cr_from_tag.s == NULL)
				abort();
			if (req.cr_cmd == CTL_CMD_ANSWER && req.cr_to_tag.s == NULL)
				abort();
			reply = ctlj_reply_limit(&req, CTLJ_ERR_SESSION_LIMIT);
			/* Echo the SDP back: large replies must be handled. */
			if (reply != NULL)
				json_object_set_new(reply, "sdp",
				    json_stringn(req.cr_sdp.s, req.cr_sdp.len));
			break;
		case CTL_CMD_DELETE:
			reply = ctlj_reply_ok(CTLJ_ERR_NOT_FOUND);
			break;
		case CTL_CMD_QUERY:
		case CTL_CMD_LIST:
		case CTL_CMD_STATISTICS:
			reply = ctlj_reply_ok(NULL);
			break;
		default:
			abort();
		}
	} else {
		if (req.cr_error == NULL || rc == CTLJ_E_NOMEM)
			abort();
		reply = ctlj_reply_decode_error(&req);
	}
	if (reply == NULL)
		abort();
	rc = ctlj_encode_reply(cookie, clen, reply, req.cr_enc, out, sizeof(out), &n);
	if (rc == CTLJ_OK)
		check_reply(cookie, clen, reply, req.cr_enc, n);
	else if (rc == CTLJ_E_TOOBIG) {
		json_decref(reply);
		reply = ctlj_reply_error(CTLJ_ERR_REPLY_TOOBIG);
		if (ctlj_encode_reply(cookie, clen, reply, req.cr_enc, out,
		    sizeof(out), &n) != CTLJ_OK)
			abort();
	} else
		abort();
	json_decref(reply);
	ctlj_req_free(&req);
	return 0;
}
