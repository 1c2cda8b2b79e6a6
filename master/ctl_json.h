/*
 * The control-message codec: rtpengine "ng" messages (COOKIE SP DICT, DICT in
 * JSON or bencode) to struct ctl_req, and reply trees back to bytes.
 * docs/control.md describes the wire format and the keys understood here.
 *
 * Pure: no sockets, no clock, no logging.  Sessions, the cookie cache and the
 * statistics belong to the daemon (master/ctl.c), not to this file.
 */
#ifndef APPSHARE_CTL_JSON_H
#define APPSHARE_CTL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Error reasons sent on the wire, exactly as rtpengine words them
 * (shared/docs/control-protocol.md 1.7): proxies match on some of them. */
#define CTLJ_ERR_FORMAT		"Invalid NG data format"
#define CTLJ_ERR_NO_COMMAND	"Dictionary contains no key \"command\""
#define CTLJ_ERR_UNRECOGNIZED	"Unrecognized command"
#define CTLJ_ERR_NO_SDP		"No SDP body in message"
#define CTLJ_ERR_NO_CALL_ID	"No call-id in message"
#define CTLJ_ERR_NO_FROM_TAG	"No from-tag in message"
#define CTLJ_ERR_NO_TO_TAG	"No to-tag in message"
/* For the daemon's own use; this file never produces them. */
#define CTLJ_ERR_UNKNOWN_CALL	"Unknown call-id"
#define CTLJ_ERR_SDP_PARSE	"Failed to parse SDP"
#define CTLJ_ERR_SDP_INCOMPLETE	"Incomplete SDP specification"
#define CTLJ_ERR_NO_PORTS	"Ran out of ports"
#define CTLJ_ERR_SESSION_LIMIT	"Parallel session limit reached"
#define CTLJ_ERR_NOT_FOUND	"Call-ID not found or tags didn't match"
#define CTLJ_ERR_DIALOGUE	"Invalid dialogue association"
/* Not an rtpengine string: our reply to a request whose reply would not fit. */
#define CTLJ_ERR_REPLY_TOOBIG	"Reply too large"

#define CTLJ_MAX_COOKIE		256		/* longer: treated as no cookie */
#define CTLJ_MAX_BODY		(256 * 1024)	/* one request dictionary */
#define CTLJ_MAX_DEPTH		32		/* dict/list nesting in a request */
#define CTLJ_MAX_UDP_REPLY	65000		/* what the daemon passes for UDP */
#define CTLJ_LIST_DEFAULT	32		/* "list" without "limit" */

enum ctlj_rc {
	CTLJ_OK = 0,
	CTLJ_E_NOCOOKIE = -1,	/* drop silently, no reply */
	CTLJ_E_AGAIN = -2,	/* stream framing: need more bytes */
	CTLJ_E_FORMAT = -3,	/* neither JSON nor bencode dict, or malformed */
	CTLJ_E_NO_COMMAND = -4,
	CTLJ_E_UNRECOGNIZED = -5,	/* unknown or unsupported command */
	CTLJ_E_NO_SDP = -6,
	CTLJ_E_NO_CALL_ID = -7,
	CTLJ_E_NO_FROM_TAG = -8,
	CTLJ_E_NO_TO_TAG = -9,
	CTLJ_E_TYPE = -10,	/* a known key with the wrong type */
	CTLJ_E_VALUE = -11,	/* a known key with a bad value */
	CTLJ_E_TOOBIG = -12,	/* message or reply over its limit */
	CTLJ_E_NOMEM = -13,
	CTLJ_E_INVAL = -14	/* bad arguments */
};

enum ctlj_enc {
	CTLJ_ENC_BENCODE = 0,	/* also the answer to a body that is neither */
	CTLJ_ENC_JSON
};

enum ctl_cmd {
	CTL_CMD_NONE = 0,
	CTL_CMD_PING,
	CTL_CMD_OFFER,
	CTL_CMD_ANSWER,
	CTL_CMD_DELETE,
	CTL_CMD_QUERY,
	CTL_CMD_LIST,
	CTL_CMD_STATISTICS,
	CTL_CMD_START_RECORDING,	/* the pcap tap (docs/control.md) */
	CTL_CMD_STOP_RECORDING,
	CTL_CMD_UNSUPPORTED,	/* an ng command we do not implement */
	CTL_CMD_UNKNOWN,	/* not an ng command at all */
	CTL_CMD_MAX
};

enum ctlj_dialect {
	CTLJ_DIALECT_DEFAULT = 0,	/* the sender's own dialect */
	CTLJ_DIALECT_MS_ICE2,
	CTLJ_DIALECT_RFC6544,
	CTLJ_DIALECT_RFC4145
};

/* What the relay does with the m-lines other than m=applicationsharing. */
enum ctlj_other_media {
	CTLJ_OTHER_DEFAULT = 0,		/* the configuration's other-media */
	CTLJ_OTHER_PASS,		/* untouched */
	CTLJ_OTHER_REFUSE		/* port 0 (RFC 3264 8.2) */
};

enum ctlj_tri {
	CTLJ_UNSET = 0,
	CTLJ_NO,
	CTLJ_YES
};

enum ctlj_af {
	CTLJ_AF_NONE = 0,
	CTLJ_AF_IP4,
	CTLJ_AF_IP6
};

/* Flags from the "flags" list that the relay acts on (or may); others are
 * counted in cr_nflags_unknown and otherwise ignored, as rtpengine does. */
#define CTLJ_F_FATAL		0x0001u
#define CTLJ_F_FAST		0x0002u
#define CTLJ_F_TRUST_ADDRESS	0x0004u
#define CTLJ_F_SIP_SOURCE	0x0008u
#define CTLJ_F_SYMMETRIC	0x0010u
#define CTLJ_F_ASYMMETRIC	0x0020u
#define CTLJ_F_STRICT_SOURCE	0x0040u
#define CTLJ_F_MEDIA_HANDOVER	0x0080u
#define CTLJ_F_PORT_LATCHING	0x0100u
#define CTLJ_F_NO_PORT_LATCHING	0x0200u
#define CTLJ_F_LOOP_PROTECT	0x0400u
#define CTLJ_F_TO_TAG		0x0800u
#define CTLJ_F_RESET		0x1000u
#define CTLJ_F_DEBUG		0x2000u
/* Sets cr_other_media to CTLJ_OTHER_REFUSE unless an other-media key says otherwise. */
#define CTLJ_F_REFUSE_OTHER	0x4000u

/* A string inside the request tree: NUL-terminated, no NUL inside, s == NULL
 * when the key was absent.  Valid until ctlj_req_free(). */
struct ctlj_str {
	const char	*s;
	size_t		 len;
};

struct ctl_req {
	json_t		*cr_root;		/* owns every ctlj_str below */
	enum ctlj_enc	 cr_enc;		/* reply in this encoding */
	enum ctl_cmd	 cr_cmd;
	struct ctlj_str	 cr_command;		/* as sent */
	struct ctlj_str	 cr_call_id;
	struct ctlj_str	 cr_from_tag;
	struct ctlj_str	 cr_to_tag;
	struct ctlj_str	 cr_via_branch;
	struct ctlj_str	 cr_sdp;
	struct ctlj_str	 cr_label;
	enum ctlj_af	 cr_rf_family;		/* received-from [family, address] */
	struct ctlj_str	 cr_rf_addr;		/* text, not parsed here */
	enum ctlj_dialect cr_dialect;
	enum ctlj_tri	 cr_initiate_tcp;
	enum ctlj_other_media cr_other_media;	/* key, or flag refuse-other-media */
	uint32_t	 cr_flags;		/* CTLJ_F_* */
	unsigned	 cr_nflags_unknown;
	unsigned	 cr_nkeys_unknown;
	int		 cr_load_limit;		/* supports: ["load limit"] */
	int64_t		 cr_limit;		/* list; CTLJ_LIST_DEFAULT if absent */
	const char	*cr_error;		/* wire error-reason after a failure */
	char		 cr_errbuf[160];
	char		 cr_detail[160];	/* parser detail for the log, or "" */
};

/* COOKIE SP DICT: split a datagram.  CTLJ_E_NOCOOKIE: drop it, no reply. */
int	ctlj_split(const uint8_t *buf, size_t len, const uint8_t **cookie,
	    size_t *cookie_len, const uint8_t **body, size_t *body_len);

/*
 * Stream framing (TCP): find the first message in buf.  Leading whitespace is
 * skipped (*start), the message is buf[*start .. *start + *msg_len).  The body
 * ends where its bencode value or its JSON object ends.  CTLJ_E_AGAIN: need
 * more bytes; CTLJ_E_NOCOOKIE, CTLJ_E_FORMAT, CTLJ_E_TOOBIG: the stream cannot
 * be resynchronised, close it.
 */
int	ctlj_frame(const uint8_t *buf, size_t len, size_t *start, size_t *msg_len);

/*
 * Decode one request body.  Always fills out (call ctlj_req_free() whatever
 * the result): on failure out->cr_error is the error-reason to send and
 * out->cr_enc the encoding to send it in.
 */
int	ctlj_decode(const uint8_t *body, size_t len, struct ctl_req *out);
void	ctlj_req_free(struct ctl_req *);

const char	*ctlj_cmd_name(enum ctl_cmd);
const char	*ctlj_dialect_name(enum ctlj_dialect);
/* "pass", "refuse", or "default" for CTLJ_OTHER_DEFAULT. */
const char	*ctlj_other_media_name(enum ctlj_other_media);
const char	*ctlj_strerror(int rc);

/* Reply trees (new references; NULL only when out of memory). */
json_t	*ctlj_reply_ok(const char *warning);		/* warning may be NULL */
json_t	*ctlj_reply_error(const char *reason);
json_t	*ctlj_reply_pong(void);
json_t	*ctlj_reply_load_limit(const char *message);
/* The reply to a failed ctlj_decode(). */
json_t	*ctlj_reply_decode_error(const struct ctl_req *);
/* At a limit: "load limit" if the request said it supports it, else error. */
json_t	*ctlj_reply_limit(const struct ctl_req *, const char *message);

/*
 * "COOKIE SP DICT" in the given encoding into out (at most cap bytes).
 * CTLJ_E_TOOBIG if it does not fit: send ctlj_reply_error(CTLJ_ERR_REPLY_TOOBIG)
 * instead.  JSON output is compact.
 */
int	ctlj_encode_reply(const uint8_t *cookie, size_t cookie_len,
	    const json_t *reply, enum ctlj_enc enc, uint8_t *out, size_t cap,
	    size_t *written);

#endif
