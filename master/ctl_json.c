/*
 * ng control messages <-> struct ctl_req (see ctl_json.h, docs/control.md).
 *
 * Keys and flags are matched after folding case and treating space, hyphen and
 * underscore alike: rtpengine accepts several spellings of each ("call-id",
 * "call id", "call-ID") and proxies copy whatever their users typed, so one
 * folded form per name is both simpler and more forgiving than a list of
 * variants.  Unknown keys and flags are ignored, as rtpengine does, so proxies
 * configured for newer rtpengine features keep working.
 */
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "ctl_json.h"

#define CTLJ_NAME_MAX	40	/* longer keys or flags match nothing */

enum ctlj_key {
	CTLJ_K_UNKNOWN = 0,
	CTLJ_K_COMMAND,
	CTLJ_K_CALL_ID,
	CTLJ_K_FROM_TAG,
	CTLJ_K_TO_TAG,
	CTLJ_K_VIA_BRANCH,
	CTLJ_K_SDP,
	CTLJ_K_LABEL,
	CTLJ_K_RECEIVED_FROM,
	CTLJ_K_FLAGS,
	CTLJ_K_SUPPORTS,
	CTLJ_K_DIALECT,
	CTLJ_K_INITIATE_TCP,
	CTLJ_K_OTHER_MEDIA,
	CTLJ_K_LIMIT
};

struct ctlj_name {
	const char	*cn_name;	/* folded: lower case, '-' separators */
	int		 cn_val;
};

static const struct ctlj_name ctlj_keys[] = {
	{ "command", CTLJ_K_COMMAND },
	{ "call-id", CTLJ_K_CALL_ID },
	{ "from-tag", CTLJ_K_FROM_TAG },
	{ "to-tag", CTLJ_K_TO_TAG },
	{ "via-branch", CTLJ_K_VIA_BRANCH },
	{ "sdp", CTLJ_K_SDP },
	{ "label", CTLJ_K_LABEL },
	{ "received-from", CTLJ_K_RECEIVED_FROM },
	{ "flags", CTLJ_K_FLAGS },
	{ "supports", CTLJ_K_SUPPORTS },
	{ "dialect", CTLJ_K_DIALECT },
	{ "initiate-tcp", CTLJ_K_INITIATE_TCP },
	{ "other-media", CTLJ_K_OTHER_MEDIA },
	{ "limit", CTLJ_K_LIMIT },
	{ NULL, 0 }
};

static const struct ctlj_name ctlj_cmds[] = {
	{ "ping", CTL_CMD_PING },
	{ "offer", CTL_CMD_OFFER },
	{ "answer", CTL_CMD_ANSWER },
	{ "delete", CTL_CMD_DELETE },
	{ "query", CTL_CMD_QUERY },
	{ "list", CTL_CMD_LIST },
	{ "statistics", CTL_CMD_STATISTICS },
	{ "start-recording", CTL_CMD_START_RECORDING },
	{ "stop-recording", CTL_CMD_STOP_RECORDING },
	/* The rest of rtpengine's catalogue: answered "Unrecognized command"
	 * like an older rtpengine, but told apart for the statistics. */
	{ "pause-recording", CTL_CMD_UNSUPPORTED },
	{ "start-forwarding", CTL_CMD_UNSUPPORTED },
	{ "stop-forwarding", CTL_CMD_UNSUPPORTED },
	{ "block-dtmf", CTL_CMD_UNSUPPORTED },
	{ "unblock-dtmf", CTL_CMD_UNSUPPORTED },
	{ "block-media", CTL_CMD_UNSUPPORTED },
	{ "unblock-media", CTL_CMD_UNSUPPORTED },
	{ "silence-media", CTL_CMD_UNSUPPORTED },
	{ "unsilence-media", CTL_CMD_UNSUPPORTED },
	{ "play-media", CTL_CMD_UNSUPPORTED },
	{ "stop-media", CTL_CMD_UNSUPPORTED },
	{ "play-dtmf", CTL_CMD_UNSUPPORTED },
	{ "publish", CTL_CMD_UNSUPPORTED },
	{ "subscribe-request", CTL_CMD_UNSUPPORTED },
	{ "subscribe-answer", CTL_CMD_UNSUPPORTED },
	{ "unsubscribe", CTL_CMD_UNSUPPORTED },
	{ "connect", CTL_CMD_UNSUPPORTED },
	{ "mesh", CTL_CMD_UNSUPPORTED },
	{ "inject-start", CTL_CMD_UNSUPPORTED },
	{ "inject-stop", CTL_CMD_UNSUPPORTED },
	{ "create", CTL_CMD_UNSUPPORTED },
	{ "create-answer", CTL_CMD_UNSUPPORTED },
	{ "cli", CTL_CMD_UNSUPPORTED },
	{ "transform", CTL_CMD_UNSUPPORTED },
	{ NULL, 0 }
};

static const struct ctlj_name ctlj_flags[] = {
	{ "fatal", CTLJ_F_FATAL },
	{ "fast", CTLJ_F_FAST },
	{ "trust-address", CTLJ_F_TRUST_ADDRESS },
	{ "sip-source-address", CTLJ_F_SIP_SOURCE },
	{ "symmetric", CTLJ_F_SYMMETRIC },
	{ "asymmetric", CTLJ_F_ASYMMETRIC },
	{ "strict-source", CTLJ_F_STRICT_SOURCE },
	{ "media-handover", CTLJ_F_MEDIA_HANDOVER },
	{ "port-latching", CTLJ_F_PORT_LATCHING },
	{ "no-port-latching", CTLJ_F_NO_PORT_LATCHING },
	{ "loop-protect", CTLJ_F_LOOP_PROTECT },
	{ "to-tag", CTLJ_F_TO_TAG },
	{ "reset", CTLJ_F_RESET },
	{ "debug", CTLJ_F_DEBUG },
	{ "refuse-other-media", CTLJ_F_REFUSE_OTHER },
	{ NULL, 0 }
};

static const struct ctlj_name ctlj_dialects[] = {
	{ "ms-ice2", CTLJ_DIALECT_MS_ICE2 },
	{ "rfc6544", CTLJ_DIALECT_RFC6544 },
	{ "rfc4145", CTLJ_DIALECT_RFC4145 },
	{ NULL, 0 }
};

static const struct ctlj_name ctlj_other_medias[] = {
	{ "pass", CTLJ_OTHER_PASS },
	{ "refuse", CTLJ_OTHER_REFUSE },
	{ NULL, 0 }
};

static const struct ctlj_name ctlj_bools[] = {
	{ "yes", CTLJ_YES }, { "on", CTLJ_YES }, { "true", CTLJ_YES },
	{ "no", CTLJ_NO }, { "off", CTLJ_NO }, { "false", CTLJ_NO },
	{ NULL, 0 }
};

/* Folds s into out; 0 if it is too long to be any name we know. */
static int
ctlj_fold(const char *s, size_t len, char out[CTLJ_NAME_MAX + 1])
{
	size_t i;

	if (len > CTLJ_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == ' ' || c == '_')
			c = '-';
		else if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = c;
	}
	out[i] = '\0';
	return 1;
}

/* -1 when not found. */
static int
ctlj_lookup(const struct ctlj_name *tab, const char *s, size_t len)
{
	char f[CTLJ_NAME_MAX + 1];

	if (!ctlj_fold(s, len, f) || strlen(f) != len)
		return -1;
	for (; tab->cn_name != NULL; tab++)
		if (strcmp(tab->cn_name, f) == 0)
			return tab->cn_val;
	return -1;
}

/* Appends s to buf (size n) and keeps it terminated; truncates quietly. */
static void
ctlj_cat(char *buf, size_t n, const char *s)
{
	size_t l = strlen(buf);

	while (*s != '\0' && l + 1 < n)
		buf[l++] = *s++;
	buf[l] = '\0';
}

/* Appends a sender-supplied value, quoted, shortened and made printable:
 * it goes into a reply and into the daemon's log. */
static void
ctlj_cat_quoted(char *buf, size_t n, const char *s, size_t len)
{
	char one[2] = { 0, 0 };
	size_t i;

	ctlj_cat(buf, n, "\"");
	for (i = 0; i < len && i < 32; i++) {
		one[0] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
		ctlj_cat(buf, n, one);
	}
	if (len > 32)
		ctlj_cat(buf, n, "...");
	ctlj_cat(buf, n, "\"");
}

static int
ctlj_fail(struct ctl_req *r, int rc, const char *reason)
{
	r->cr_error = reason;
	return rc;
}

/* r->cr_errbuf = a b c (a sentence built from parts), then fail. */
static int
ctlj_fail3(struct ctl_req *r, int rc, const char *a, const char *b, const char *c)
{
	r->cr_errbuf[0] = '\0';
	ctlj_cat(r->cr_errbuf, sizeof(r->cr_errbuf), a);
	ctlj_cat(r->cr_errbuf, sizeof(r->cr_errbuf), b);
	ctlj_cat(r->cr_errbuf, sizeof(r->cr_errbuf), c);
	return ctlj_fail(r, rc, r->cr_errbuf);
}

static int
ctlj_fail_value(struct ctl_req *r, const char *what, const json_t *v,
    const char *hint)
{
	r->cr_errbuf[0] = '\0';
	ctlj_cat(r->cr_errbuf, sizeof(r->cr_errbuf), "Invalid ");
	ctlj_cat(r->cr_errbuf, sizeof(r->cr_errbuf), what);
	ctlj_cat(r->cr_errbuf, sizeof(r->cr_errbuf), " ");
	ctlj_cat_quoted(r->cr_errbuf, sizeof(r->cr_errbuf), json_string_value(v),
	    json_string_length(v));
	ctlj_cat(r->cr_errbuf, sizeof(r->cr_errbuf), hint);
	return ctlj_fail(r, CTLJ_E_VALUE, r->cr_errbuf);
}

/* A string the daemon may use as a C string: no NUL inside. */
static int
ctlj_get_str(struct ctl_req *r, const char *name, const json_t *v,
    struct ctlj_str *out)
{
	if (!json_is_string(v))
		return ctlj_fail3(r, CTLJ_E_TYPE, "Key \"", name,
		    "\" must be a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return ctlj_fail3(r, CTLJ_E_VALUE, "Key \"", name,
		    "\" contains a NUL byte");
	out->s = json_string_value(v);
	out->len = json_string_length(v);
	return CTLJ_OK;
}

static int
ctlj_set_dialect(struct ctl_req *r, const json_t *v)
{
	struct ctlj_str s;
	int rc, d;

	if ((rc = ctlj_get_str(r, "dialect", v, &s)) != CTLJ_OK)
		return rc;
	if ((d = ctlj_lookup(ctlj_dialects, s.s, s.len)) < 0)
		return ctlj_fail_value(r, "dialect", v,
		    " (use ms-ice2, rfc6544 or rfc4145)");
	r->cr_dialect = (enum ctlj_dialect)d;
	return CTLJ_OK;
}

static int
ctlj_set_initiate(struct ctl_req *r, const json_t *v)
{
	int b;

	/* Hand-written JSON says true/false or 1/0; proxies send strings. */
	if (json_is_boolean(v)) {
		r->cr_initiate_tcp = json_is_true(v) ? CTLJ_YES : CTLJ_NO;
		return CTLJ_OK;
	}
	if (json_is_integer(v) && (json_integer_value(v) == 0 ||
	    json_integer_value(v) == 1)) {
		r->cr_initiate_tcp = json_integer_value(v) ? CTLJ_YES : CTLJ_NO;
		return CTLJ_OK;
	}
	if (!json_is_string(v))
		return ctlj_fail(r, CTLJ_E_TYPE,
		    "Key \"initiate-tcp\" must be yes or no");
	if ((b = ctlj_lookup(ctlj_bools, json_string_value(v),
	    json_string_length(v))) < 0)
		return ctlj_fail_value(r, "initiate-tcp", v, " (use yes or no)");
	r->cr_initiate_tcp = (enum ctlj_tri)b;
	return CTLJ_OK;
}

static int
ctlj_set_other_media(struct ctl_req *r, const json_t *v)
{
	struct ctlj_str s;
	int rc, o;

	if ((rc = ctlj_get_str(r, "other-media", v, &s)) != CTLJ_OK)
		return rc;
	if ((o = ctlj_lookup(ctlj_other_medias, s.s, s.len)) < 0)
		return ctlj_fail_value(r, "other-media", v, " (use pass or refuse)");
	r->cr_other_media = (enum ctlj_other_media)o;
	return CTLJ_OK;
}

static int
ctlj_set_limit(struct ctl_req *r, const json_t *v)
{
	const char *s;
	size_t i, n;
	int64_t l = 0;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return ctlj_fail(r, CTLJ_E_VALUE,
			    "Invalid limit (must not be negative)");
		r->cr_limit = json_integer_value(v);
		return CTLJ_OK;
	}
	if (!json_is_string(v))
		return ctlj_fail(r, CTLJ_E_TYPE, "Key \"limit\" must be an integer");
	/* A decimal string, as a proxy passing "limit=10" through sends it. */
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > 18)
		return ctlj_fail_value(r, "limit", v, "");
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return ctlj_fail_value(r, "limit", v, "");
		l = l * 10 + (s[i] - '0');
	}
	r->cr_limit = l;
	return CTLJ_OK;
}

static int
ctlj_set_received_from(struct ctl_req *r, const json_t *v)
{
	const json_t *fam, *addr;
	struct ctlj_str s;
	int rc;

	if (!json_is_array(v) || json_array_size(v) != 2 ||
	    !json_is_string(fam = json_array_get(v, 0)) ||
	    !json_is_string(addr = json_array_get(v, 1)))
		return ctlj_fail(r, CTLJ_E_TYPE,
		    "Key \"received-from\" must be a list of two strings");
	if ((rc = ctlj_get_str(r, "received-from", fam, &s)) != CTLJ_OK)
		return rc;
	if (s.len == 3 && (s.s[0] == 'I' || s.s[0] == 'i') &&
	    (s.s[1] == 'P' || s.s[1] == 'p') && (s.s[2] == '4' || s.s[2] == '6'))
		r->cr_rf_family = s.s[2] == '4' ? CTLJ_AF_IP4 : CTLJ_AF_IP6;
	else
		return ctlj_fail_value(r, "address family", fam,
		    " in received-from (use IP4 or IP6)");
	return ctlj_get_str(r, "received-from", addr, &r->cr_rf_addr);
}

static int
ctlj_set_supports(struct ctl_req *r, const json_t *v)
{
	size_t i;

	if (!json_is_array(v))
		return ctlj_fail(r, CTLJ_E_TYPE,
		    "Key \"supports\" must be a list of strings");
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *e = json_array_get(v, i);
		char f[CTLJ_NAME_MAX + 1];

		if (!json_is_string(e))
			return ctlj_fail(r, CTLJ_E_TYPE,
			    "Key \"supports\" must be a list of strings");
		if (ctlj_fold(json_string_value(e), json_string_length(e), f) &&
		    strcmp(f, "load-limit") == 0)
			r->cr_load_limit = 1;
	}
	return CTLJ_OK;
}

/* The per-call keys that may also come as "key=value" tokens in flags. */
struct ctlj_percall {
	const json_t	*pc_dialect;	/* the dictionary's own entries, or NULL */
	const json_t	*pc_initiate;
	const json_t	*pc_other_media;
};

/*
 * A "key=value" token in flags: Kamailio turns such tokens into dictionary
 * entries itself, but other agents (and hand-written JSON) may leave them in
 * the list.  Only the per-call keys are taken this way, and a dictionary entry
 * for the same key wins.
 */
static int
ctlj_flag_kv(struct ctl_req *r, const char *s, size_t len,
    const struct ctlj_percall *dict)
{
	const char *eq = memchr(s, '=', len);
	const json_t *seen;
	json_t *val;
	int k, rc;

	k = ctlj_lookup(ctlj_keys, s, (size_t)(eq - s));
	switch (k) {
	case CTLJ_K_DIALECT:
		seen = dict->pc_dialect;
		break;
	case CTLJ_K_INITIATE_TCP:
		seen = dict->pc_initiate;
		break;
	case CTLJ_K_OTHER_MEDIA:
		seen = dict->pc_other_media;
		break;
	default:
		r->cr_nflags_unknown++;
		return CTLJ_OK;
	}
	if (seen != NULL)
		return CTLJ_OK;
	if ((val = json_stringn(eq + 1, len - (size_t)(eq - s) - 1)) == NULL)
		return ctlj_fail(r, CTLJ_E_NOMEM, "Out of memory");
	if (k == CTLJ_K_DIALECT)
		rc = ctlj_set_dialect(r, val);
	else if (k == CTLJ_K_INITIATE_TCP)
		rc = ctlj_set_initiate(r, val);
	else
		rc = ctlj_set_other_media(r, val);
	/* Error texts were copied into cr_errbuf: val may go. */
	json_decref(val);
	return rc;
}

static int
ctlj_set_flags(struct ctl_req *r, const json_t *v, const struct ctlj_percall *dict)
{
	size_t i;
	int f, rc;

	if (!json_is_array(v))
		return ctlj_fail(r, CTLJ_E_TYPE,
		    "Key \"flags\" must be a list of strings");
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *e = json_array_get(v, i);
		const char *s;
		size_t len;

		if (!json_is_string(e))
			return ctlj_fail(r, CTLJ_E_TYPE,
			    "Key \"flags\" must be a list of strings");
		s = json_string_value(e);
		len = json_string_length(e);
		if (memchr(s, '=', len) != NULL) {
			if ((rc = ctlj_flag_kv(r, s, len, dict)) != CTLJ_OK)
				return rc;
			continue;
		}
		if ((f = ctlj_lookup(ctlj_flags, s, len)) < 0)
			r->cr_nflags_unknown++;
		else
			r->cr_flags |= (uint32_t)f;
	}
	/*
	 * The bare flag is the short form of other-media=refuse; an explicit
	 * other-media, in the dictionary or in flags, says more and wins.
	 */
	if ((r->cr_flags & CTLJ_F_REFUSE_OTHER) && r->cr_other_media == CTLJ_OTHER_DEFAULT)
		r->cr_other_media = CTLJ_OTHER_REFUSE;
	return CTLJ_OK;
}

/*
 * Returns the end of the JSON object starting at buf[0] == '{' in *end, or
 * CTLJ_E_AGAIN, or CTLJ_E_FORMAT when nesting exceeds CTLJ_MAX_DEPTH.  Only
 * brackets and strings are tracked: the text is validated by jansson later.
 * It bounds the depth before jansson builds anything, and frames JSON on TCP.
 */
static int
ctlj_json_scan(const uint8_t *buf, size_t len, size_t *end)
{
	size_t i, depth = 0;
	int in_str = 0, esc = 0;

	for (i = 0; i < len; i++) {
		uint8_t c = buf[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			break;
		case '{':
		case '[':
			if (++depth > CTLJ_MAX_DEPTH)
				return CTLJ_E_FORMAT;
			break;
		case '}':
		case ']':
			/* A stray closer at the top is not an object. */
			if (depth == 0)
				return CTLJ_E_FORMAT;
			if (--depth == 0) {
				*end = i + 1;
				return CTLJ_OK;
			}
			break;
		default:
			break;
		}
	}
	return CTLJ_E_AGAIN;
}

static int
ctlj_parse_body(const uint8_t *body, size_t len, struct ctl_req *r)
{
	static const struct benc_limits lim = {
		CTLJ_MAX_DEPTH, CTLJ_MAX_BODY, BENC_DEF_MAX_ITEMS
	};
	json_error_t jerr;
	size_t used, i;
	int rc;

	if (len == 0 || (body[0] != 'd' && body[0] != '{')) {
		ctlj_cat(r->cr_detail, sizeof(r->cr_detail),
		    "body is neither a bencode dictionary nor a JSON object");
		return ctlj_fail(r, CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	}
	if (len > CTLJ_MAX_BODY) {
		ctlj_cat(r->cr_detail, sizeof(r->cr_detail), "message too large");
		return ctlj_fail(r, CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	}
	if (body[0] == 'd') {
		r->cr_enc = CTLJ_ENC_BENCODE;
		rc = benc_decode(body, len, &lim, &r->cr_root, &used);
		if (rc == BENC_E_NOMEM)
			return ctlj_fail(r, CTLJ_E_NOMEM, "Out of memory");
		if (rc != BENC_OK) {
			ctlj_cat(r->cr_detail, sizeof(r->cr_detail),
			    benc_strerror(rc));
			return ctlj_fail(r, CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
		}
		/* A datagram holds one value; a newline typed after it is
		 * tolerated, anything else is not. */
		for (i = used; i < len; i++)
			if (body[i] != ' ' && body[i] != '\t' &&
			    body[i] != '\r' && body[i] != '\n') {
				ctlj_cat(r->cr_detail, sizeof(r->cr_detail),
				    "trailing bytes after the bencode dictionary");
				return ctlj_fail(r, CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
			}
		return CTLJ_OK;
	}
	r->cr_enc = CTLJ_ENC_JSON;
	if (ctlj_json_scan(body, len, &used) == CTLJ_E_FORMAT) {
		ctlj_cat(r->cr_detail, sizeof(r->cr_detail), "JSON nesting too deep");
		return ctlj_fail(r, CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	}
	/* Duplicate keys are refused: which of two call-ids would count? */
	r->cr_root = json_loadb((const char *)body, len,
	    JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (r->cr_root == NULL) {
		ctlj_cat(r->cr_detail, sizeof(r->cr_detail), "JSON: ");
		ctlj_cat(r->cr_detail, sizeof(r->cr_detail), jerr.text);
		return ctlj_fail(r, CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	}
	if (!json_is_object(r->cr_root)) {
		ctlj_cat(r->cr_detail, sizeof(r->cr_detail), "not a JSON object");
		return ctlj_fail(r, CTLJ_E_FORMAT, CTLJ_ERR_FORMAT);
	}
	return CTLJ_OK;
}

static int
ctlj_apply(struct ctl_req *r)
{
	struct ctlj_percall dict = { NULL, NULL, NULL };
	const json_t *flags = NULL;
	const char *key;
	size_t klen;
	json_t *v;
	int rc = CTLJ_OK;

	json_object_keylen_foreach(r->cr_root, key, klen, v) {
		switch (ctlj_lookup(ctlj_keys, key, klen)) {
		case CTLJ_K_COMMAND:
			break;
		case CTLJ_K_CALL_ID:
			rc = ctlj_get_str(r, "call-id", v, &r->cr_call_id);
			break;
		case CTLJ_K_FROM_TAG:
			rc = ctlj_get_str(r, "from-tag", v, &r->cr_from_tag);
			break;
		case CTLJ_K_TO_TAG:
			rc = ctlj_get_str(r, "to-tag", v, &r->cr_to_tag);
			break;
		case CTLJ_K_VIA_BRANCH:
			rc = ctlj_get_str(r, "via-branch", v, &r->cr_via_branch);
			break;
		case CTLJ_K_SDP:
			rc = ctlj_get_str(r, "sdp", v, &r->cr_sdp);
			break;
		case CTLJ_K_LABEL:
			rc = ctlj_get_str(r, "label", v, &r->cr_label);
			break;
		case CTLJ_K_RECEIVED_FROM:
			rc = ctlj_set_received_from(r, v);
			break;
		case CTLJ_K_FLAGS:
			flags = v;
			break;
		case CTLJ_K_SUPPORTS:
			rc = ctlj_set_supports(r, v);
			break;
		case CTLJ_K_DIALECT:
			dict.pc_dialect = v;
			rc = ctlj_set_dialect(r, v);
			break;
		case CTLJ_K_INITIATE_TCP:
			dict.pc_initiate = v;
			rc = ctlj_set_initiate(r, v);
			break;
		case CTLJ_K_OTHER_MEDIA:
			dict.pc_other_media = v;
			rc = ctlj_set_other_media(r, v);
			break;
		case CTLJ_K_LIMIT:
			rc = ctlj_set_limit(r, v);
			break;
		default:
			r->cr_nkeys_unknown++;
			break;
		}
		if (rc != CTLJ_OK)
			return rc;
	}
	/* After the loop: the dictionary's own per-call keys win over the
	 * same keys written as flags, whatever the key order. */
	if (flags != NULL)
		rc = ctlj_set_flags(r, flags, &dict);
	return rc;
}

/* Empty identity strings count as missing, as they identify nothing. */
static int
ctlj_missing(const struct ctlj_str *s)
{
	return s->s == NULL || s->len == 0;
}

static int
ctlj_check_required(struct ctl_req *r)
{
	switch (r->cr_cmd) {
	case CTL_CMD_OFFER:
	case CTL_CMD_ANSWER:
		/* rtpengine's order: SDP, call-id, from-tag, to-tag. */
		if (ctlj_missing(&r->cr_sdp))
			return ctlj_fail(r, CTLJ_E_NO_SDP, CTLJ_ERR_NO_SDP);
		if (ctlj_missing(&r->cr_call_id))
			return ctlj_fail(r, CTLJ_E_NO_CALL_ID, CTLJ_ERR_NO_CALL_ID);
		if (ctlj_missing(&r->cr_from_tag))
			return ctlj_fail(r, CTLJ_E_NO_FROM_TAG,
			    CTLJ_ERR_NO_FROM_TAG);
		if (r->cr_cmd == CTL_CMD_ANSWER && ctlj_missing(&r->cr_to_tag))
			return ctlj_fail(r, CTLJ_E_NO_TO_TAG, CTLJ_ERR_NO_TO_TAG);
		return CTLJ_OK;
	case CTL_CMD_DELETE:
	case CTL_CMD_QUERY:
	case CTL_CMD_START_RECORDING:
	case CTL_CMD_STOP_RECORDING:
		if (ctlj_missing(&r->cr_call_id))
			return ctlj_fail(r, CTLJ_E_NO_CALL_ID, CTLJ_ERR_NO_CALL_ID);
		return CTLJ_OK;
	default:
		return CTLJ_OK;
	}
}

int
ctlj_decode(const uint8_t *body, size_t len, struct ctl_req *r)
{
	const json_t *cmd = NULL;
	const char *key;
	size_t klen;
	json_t *v;
	int rc, c;

	if (r == NULL)
		return CTLJ_E_INVAL;
	memset(r, 0, sizeof(*r));
	r->cr_limit = CTLJ_LIST_DEFAULT;
	if (body == NULL && len > 0)
		return ctlj_fail(r, CTLJ_E_INVAL, CTLJ_ERR_FORMAT);
	if ((rc = ctlj_parse_body(body, len, r)) != CTLJ_OK)
		return rc;

	json_object_keylen_foreach(r->cr_root, key, klen, v)
		if (ctlj_lookup(ctlj_keys, key, klen) == CTLJ_K_COMMAND)
			cmd = v;
	if (cmd == NULL)
		return ctlj_fail(r, CTLJ_E_NO_COMMAND, CTLJ_ERR_NO_COMMAND);
	if ((rc = ctlj_get_str(r, "command", cmd, &r->cr_command)) != CTLJ_OK)
		return rc;
	c = ctlj_lookup(ctlj_cmds, r->cr_command.s, r->cr_command.len);
	r->cr_cmd = c < 0 ? CTL_CMD_UNKNOWN : (enum ctl_cmd)c;
	/* Before the other keys: an unknown command is the answer, not a
	 * complaint about a key it might not even use. */
	if (r->cr_cmd == CTL_CMD_UNKNOWN || r->cr_cmd == CTL_CMD_UNSUPPORTED)
		return ctlj_fail(r, CTLJ_E_UNRECOGNIZED, CTLJ_ERR_UNRECOGNIZED);
	if ((rc = ctlj_apply(r)) != CTLJ_OK)
		return rc;
	return ctlj_check_required(r);
}

void
ctlj_req_free(struct ctl_req *r)
{
	if (r == NULL)
		return;
	json_decref(r->cr_root);
	r->cr_root = NULL;
}

int
ctlj_split(const uint8_t *buf, size_t len, const uint8_t **cookie,
    size_t *cookie_len, const uint8_t **body, size_t *body_len)
{
	const uint8_t *sp;

	if (buf == NULL || cookie == NULL || cookie_len == NULL || body == NULL ||
	    body_len == NULL)
		return CTLJ_E_INVAL;
	if ((sp = memchr(buf, ' ', len)) == NULL || sp == buf ||
	    (size_t)(sp - buf) > CTLJ_MAX_COOKIE)
		return CTLJ_E_NOCOOKIE;
	*cookie = buf;
	*cookie_len = (size_t)(sp - buf);
	*body = sp + 1;
	*body_len = len - *cookie_len - 1;
	return CTLJ_OK;
}

int
ctlj_frame(const uint8_t *buf, size_t len, size_t *start, size_t *msg_len)
{
	static const struct benc_limits lim = {
		CTLJ_MAX_DEPTH, CTLJ_MAX_BODY, BENC_DEF_MAX_ITEMS
	};
	size_t s = 0, sp, used = 0;
	json_t *v;
	int rc;

	if ((buf == NULL && len > 0) || start == NULL || msg_len == NULL)
		return CTLJ_E_INVAL;
	/* Blank lines between messages: what a person typing into nc sends. */
	while (s < len && (buf[s] == ' ' || buf[s] == '\t' || buf[s] == '\r' ||
	    buf[s] == '\n'))
		s++;
	*start = s;
	*msg_len = 0;
	for (sp = s; sp < len && buf[sp] != ' '; sp++)
		if (sp - s >= CTLJ_MAX_COOKIE)
			return CTLJ_E_NOCOOKIE;
	if (sp >= len)
		return CTLJ_E_AGAIN;
	sp++;
	if (sp >= len)
		return CTLJ_E_AGAIN;
	if (buf[sp] == 'd') {
		/* Decoding to find the end costs a tree we throw away; control
		 * traffic is small and this keeps one bencode grammar. */
		rc = benc_decode(buf + sp, len - sp, &lim, &v, &used);
		if (rc == BENC_E_AGAIN)
			return CTLJ_E_AGAIN;
		if (rc == BENC_E_TOOBIG)
			return CTLJ_E_TOOBIG;
		if (rc == BENC_E_NOMEM)
			return CTLJ_E_NOMEM;
		if (rc != BENC_OK)
			return CTLJ_E_FORMAT;
		json_decref(v);
	} else if (buf[sp] == '{') {
		rc = ctlj_json_scan(buf + sp, len - sp, &used);
		if (rc == CTLJ_E_AGAIN && len - sp > CTLJ_MAX_BODY)
			return CTLJ_E_TOOBIG;
		if (rc != CTLJ_OK)
			return rc;
		if (used > CTLJ_MAX_BODY)
			return CTLJ_E_TOOBIG;
	} else
		return CTLJ_E_FORMAT;
	*msg_len = sp + used - s;
	return CTLJ_OK;
}

const char *
ctlj_cmd_name(enum ctl_cmd c)
{
	switch (c) {
	case CTL_CMD_PING:
		return "ping";
	case CTL_CMD_OFFER:
		return "offer";
	case CTL_CMD_ANSWER:
		return "answer";
	case CTL_CMD_DELETE:
		return "delete";
	case CTL_CMD_QUERY:
		return "query";
	case CTL_CMD_LIST:
		return "list";
	case CTL_CMD_STATISTICS:
		return "statistics";
	case CTL_CMD_START_RECORDING:
		return "start recording";
	case CTL_CMD_STOP_RECORDING:
		return "stop recording";
	case CTL_CMD_UNSUPPORTED:
		return "unsupported";
	case CTL_CMD_UNKNOWN:
		return "unknown";
	default:
		return "none";
	}
}

const char *
ctlj_dialect_name(enum ctlj_dialect d)
{
	switch (d) {
	case CTLJ_DIALECT_MS_ICE2:
		return "ms-ice2";
	case CTLJ_DIALECT_RFC6544:
		return "rfc6544";
	case CTLJ_DIALECT_RFC4145:
		return "rfc4145";
	default:
		return "default";
	}
}

const char *
ctlj_other_media_name(enum ctlj_other_media o)
{
	switch (o) {
	case CTLJ_OTHER_PASS:
		return "pass";
	case CTLJ_OTHER_REFUSE:
		return "refuse";
	default:
		return "default";
	}
}

const char *
ctlj_strerror(int rc)
{
	switch (rc) {
	case CTLJ_OK:
		return "success";
	case CTLJ_E_NOCOOKIE:
		return "no cookie";
	case CTLJ_E_AGAIN:
		return "incomplete message";
	case CTLJ_E_FORMAT:
		return CTLJ_ERR_FORMAT;
	case CTLJ_E_NO_COMMAND:
		return CTLJ_ERR_NO_COMMAND;
	case CTLJ_E_UNRECOGNIZED:
		return CTLJ_ERR_UNRECOGNIZED;
	case CTLJ_E_NO_SDP:
		return CTLJ_ERR_NO_SDP;
	case CTLJ_E_NO_CALL_ID:
		return CTLJ_ERR_NO_CALL_ID;
	case CTLJ_E_NO_FROM_TAG:
		return CTLJ_ERR_NO_FROM_TAG;
	case CTLJ_E_NO_TO_TAG:
		return CTLJ_ERR_NO_TO_TAG;
	case CTLJ_E_TYPE:
		return "wrong type for a key";
	case CTLJ_E_VALUE:
		return "invalid value for a key";
	case CTLJ_E_TOOBIG:
		return "message too large";
	case CTLJ_E_NOMEM:
		return "out of memory";
	case CTLJ_E_INVAL:
		return "invalid argument";
	default:
		return "unknown control error";
	}
}

static json_t *
ctlj_reply2(const char *result, const char *k, const char *v)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "result", json_string(result)) != 0 ||
	    (k != NULL && v != NULL &&
	    json_object_set_new(o, k, json_string(v)) != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
ctlj_reply_ok(const char *warning)
{
	return ctlj_reply2("ok", "warning", warning);
}

json_t *
ctlj_reply_error(const char *reason)
{
	return ctlj_reply2("error", "error-reason",
	    reason != NULL ? reason : CTLJ_ERR_FORMAT);
}

json_t *
ctlj_reply_pong(void)
{
	return ctlj_reply2("pong", NULL, NULL);
}

json_t *
ctlj_reply_load_limit(const char *message)
{
	return ctlj_reply2("load limit", "message", message);
}

json_t *
ctlj_reply_decode_error(const struct ctl_req *r)
{
	return ctlj_reply_error(r != NULL ? r->cr_error : NULL);
}

json_t *
ctlj_reply_limit(const struct ctl_req *r, const char *message)
{
	if (r != NULL && r->cr_load_limit)
		return ctlj_reply_load_limit(message);
	return ctlj_reply_error(message);
}

int
ctlj_encode_reply(const uint8_t *cookie, size_t cookie_len, const json_t *reply,
    enum ctlj_enc enc, uint8_t *out, size_t cap, size_t *written)
{
	size_t n, pos;
	int rc;

	if (written != NULL)
		*written = 0;
	if (cookie == NULL || cookie_len == 0 || memchr(cookie, ' ', cookie_len) != NULL ||
	    !json_is_object(reply) || (out == NULL && cap > 0))
		return CTLJ_E_INVAL;
	if (cookie_len + 1 > cap)
		return CTLJ_E_TOOBIG;
	memcpy(out, cookie, cookie_len);
	out[cookie_len] = ' ';
	pos = cookie_len + 1;
	if (enc == CTLJ_ENC_JSON) {
		n = json_dumpb(reply, (char *)out + pos, cap - pos, JSON_COMPACT);
		if (n == 0)
			return CTLJ_E_NOMEM;
		if (n > cap - pos)
			return CTLJ_E_TOOBIG;
	} else {
		rc = benc_encode(reply, out + pos, cap - pos, &n);
		if (rc == BENC_E_SPACE)
			return CTLJ_E_TOOBIG;
		if (rc == BENC_E_NOMEM)
			return CTLJ_E_NOMEM;
		if (rc != BENC_OK)
			return CTLJ_E_INVAL;
	}
	if (written != NULL)
		*written = pos + n;
	return CTLJ_OK;
}
