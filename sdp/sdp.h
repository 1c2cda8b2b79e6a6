/*
 * SDP for application sharing (protocol.md section 1): a lossless parser, the
 * candidate dialects of 1.4, and the rewrite of every m=applicationsharing section
 * to the relay (decisions D4-D6, D15, D16).  docs/sdp-rewrite.md is the user view.
 *
 * Pure: no I/O, no clock, no allocation, no logging.  The parser fills a struct
 * the caller provides; every span in it points into the caller's text, which must
 * outlive the struct.  Functions return 0 or a negative SDP_E_* code.
 */
#ifndef APPSHARE_SDP_H
#define APPSHARE_SDP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Fixed maximums.  Exceeding one is an error (never a silent truncation).  A Lync
 * re-INVITE with audio, video, appsharing and a dozen candidates each is about 80
 * lines and 4 KiB, so these leave a wide margin.
 */
#define SDP_MAX_TEXT		65536	/* bytes of SDP text */
#define SDP_MAX_LINES		512	/* lines, session and media together */
#define SDP_MAX_LINE_LEN	2048	/* bytes in one line, line ending excluded */
#define SDP_MAX_MEDIA		16	/* m= sections */
#define SDP_MAX_CANDS		64	/* suggested size for cand_list(), per section */
#define SDP_MAX_ADDRS		64	/* suggested size for cand_addrs(), per section */

/* Return codes: 0 or one of these; sdp_strerror() and sdp_errname() name them. */
enum sdp_rc {
	SDP_OK			= 0,
	SDP_E_ARG		= -1,	/* caller error: NULL pointer, bad index */
	SDP_E_EMPTY		= -2,	/* no text at all */
	SDP_E_TOOBIG		= -3,	/* more than SDP_MAX_TEXT bytes */
	SDP_E_NUL		= -4,	/* NUL byte in the text */
	SDP_E_LINE_LONG		= -5,	/* a line longer than SDP_MAX_LINE_LEN */
	SDP_E_LINES		= -6,	/* more than SDP_MAX_LINES lines */
	SDP_E_MEDIA_COUNT	= -7,	/* more than SDP_MAX_MEDIA m= sections */
	SDP_E_SYNTAX		= -8,	/* line is not <letter>=<value>, stray CR, blank line */
	SDP_E_VERSION		= -9,	/* first line is not v=0 */
	SDP_E_ORIGIN		= -10,	/* o= line without its six fields */
	SDP_E_MLINE		= -11,	/* m= line malformed (fields missing) */
	SDP_E_PORT		= -12,	/* m= port not a number, > 65535, bad /count */
	SDP_E_CONN		= -13,	/* c= line malformed */
	SDP_E_CAND		= -14,	/* a=candidate / a=x-candidate-ipv6 malformed */
	SDP_E_CAND_V6		= -15,	/* MS-ICE v6 (OCS 2007) candidate: refuse, 488 */
	SDP_E_CANDS		= -16,	/* more candidates or addresses than the caller's array */
	SDP_E_REMOTE		= -17,	/* a=remote-candidates malformed */
	SDP_E_PROTO		= -18,	/* m=applicationsharing with a proto other than TCP/RTP/(S)AVP */
	SDP_E_PLAN		= -19,	/* rewrite plan invalid or does not match the SDP */
	SDP_E_NOSPACE		= -20,	/* output buffer too small */
};
#define SDP_E_MIN		SDP_E_NOSPACE

const char	*sdp_strerror(int rc);
/* "SDP_E_CAND_V6" for SDP_E_CAND_V6, "SDP_OK" for 0, "SDP_E_?" when unknown. */
const char	*sdp_errname(int rc);

/* A run of bytes inside the caller's text; not NUL-terminated. */
struct sdp_str {
	const char	*s_p;
	size_t		 s_len;
};

/* One line exactly as it came: text without line ending, plus the ending's length. */
struct sdp_line {
	struct sdp_str	 ln_text;	/* "a=rtcp:50040" */
	uint8_t		 ln_eol;	/* 0 (last line, none), 1 (LF) or 2 (CRLF) */
	char		 ln_type;	/* 'v', 'o', 'c', 'm', 'a', ... */
	struct sdp_str	 ln_name;	/* a= only: "rtcp"; empty for other types */
	struct sdp_str	 ln_value;	/* a=: after the first ':' (empty if none); else after "x=" */
	uint8_t		 ln_has_colon;	/* a= only: a ':' followed the name */
};

/* Address families as in <sys/socket.h> so policy code can compare with sockaddrs. */
struct sdp_addr {
	uint8_t		 a_family;	/* AF_INET, AF_INET6, or 0 when not an IP literal */
	uint8_t		 a_bytes[16];	/* network order; IPv4 uses the first 4 */
};

/* c=IN IP4|IP6 <address>[/ttl[/count]] */
struct sdp_conn {
	uint8_t		 c_present;
	uint8_t		 c_ip6;		/* addrtype was IP6 */
	size_t		 c_line;	/* index into s_lines */
	struct sdp_str	 c_addr_text;	/* the address token without /ttl */
	struct sdp_addr	 c_addr;	/* a_family 0 for an FQDN */
};

/* m=<media> <port>[/<count>] <proto> <fmt> ... */
struct sdp_media {
	size_t		 m_line;	/* index of the m= line in s_lines */
	size_t		 m_nlines;	/* lines in the section, m= included */
	struct sdp_str	 m_media;	/* "applicationsharing" */
	struct sdp_str	 m_port_text;	/* "50040" or "50040/2" */
	uint16_t	 m_port;
	uint16_t	 m_port_count;	/* 0 when no "/count" */
	struct sdp_str	 m_proto;	/* "TCP/RTP/SAVP" */
	struct sdp_str	 m_fmts;	/* "127", or "117 104 9 0 8 101" */
	uint8_t		 m_appshare;	/* media is applicationsharing (any case) */
	struct sdp_conn	 m_conn;	/* first media-level c=, c_present 0 if none */
};

struct sdp {
	const char	*s_text;
	size_t		 s_len;
	struct sdp_line	 s_lines[SDP_MAX_LINES];
	size_t		 s_nlines;
	size_t		 s_nsession;	/* lines before the first m= */
	struct sdp_media s_media[SDP_MAX_MEDIA];
	size_t		 s_nmedia;
	struct sdp_conn	 s_conn;	/* session-level c= */
	struct sdp_str	 s_origin_addr;	/* o= unicast-address, empty if no o= */
	struct sdp_str	 s_trailer;	/* blank lines after the last line, kept as is */
	uint8_t		 s_eol;		/* line ending of the first line (1 or 2); new lines use it */
	/* On a parse error: 1-based line number (0 if not tied to a line) and a reason. */
	size_t		 s_errline;
	const char	*s_errwhy;
};

/*
 * Parse text of length len into *sdp (about 40 KiB; do not put it on a small
 * stack).  CRLF and LF line endings, mixed, and a missing final line ending are
 * accepted.  Candidates of m=applicationsharing sections are checked here, so an
 * MS-ICE v6 offer fails with SDP_E_CAND_V6; candidates of other sections are not
 * looked at (they are passed through).
 */
int	sdp_parse(const char *text, size_t len, struct sdp *sdp);

/* Index of the n-th m=applicationsharing section (0-based n), or -1. */
int	sdp_appshare_index(const struct sdp *, size_t n);
size_t	sdp_appshare_count(const struct sdp *);

/* Lines [first, first + count) of media section mi; the session part is mi == -1. */
void	sdp_section_lines(const struct sdp *, int mi, size_t *first, size_t *count);

/* Case-insensitive compare of a span with a NUL-terminated string. */
int	sdp_str_eq(struct sdp_str, const char *);

/* ---- candidates (sdp_cand.c) ---------------------------------------------- */

enum cand_transport {
	CAND_TR_UDP = 1,
	CAND_TR_TCP = 2,
	CAND_TR_OTHER = 3,	/* unknown transport: RFC 8839 says ignore the line */
};
enum cand_tcptype {
	CAND_TCP_NONE = 0,	/* UDP */
	CAND_TCP_ACTIVE = 1,
	CAND_TCP_PASSIVE = 2,
	CAND_TCP_SO = 3,
};
enum cand_type {
	CAND_HOST = 1,
	CAND_SRFLX = 2,
	CAND_PRFLX = 3,
	CAND_RELAY = 4,
};
enum cand_dialect {
	CAND_DIALECT_ANY = 0,	/* UDP or unknown: the line reads the same in both */
	CAND_DIALECT_MS = 1,	/* TCP-PASS / TCP-ACT */
	CAND_DIALECT_RFC = 2,	/* TCP ... tcptype */
};

struct cand {
	struct sdp_str	 c_foundation;
	uint16_t	 c_component;	/* 1..256 */
	uint8_t		 c_transport;	/* enum cand_transport */
	uint8_t		 c_tcptype;	/* enum cand_tcptype */
	uint32_t	 c_priority;
	struct sdp_str	 c_addr_text;
	struct sdp_addr	 c_addr;	/* a_family 0 for an FQDN or mDNS name */
	uint16_t	 c_port;
	uint8_t		 c_type;	/* enum cand_type */
	uint8_t		 c_has_raddr;
	struct sdp_str	 c_raddr_text;
	struct sdp_addr	 c_raddr;
	uint16_t	 c_rport;
	uint8_t		 c_dialect;	/* enum cand_dialect */
	uint8_t		 c_x_ipv6;	/* came from a=x-candidate-ipv6 */
	size_t		 c_line;	/* index into s_lines (cand_list only) */
};

/*
 * Parse the value of an a=candidate or a=x-candidate-ipv6 line (the text after
 * "candidate:").  Extension tokens after the mandatory ones (generation 0,
 * network-id 1, ...) are skipped.  An MS-ICE v6 line (no "typ") gives
 * SDP_E_CAND_V6.  *why (may be NULL) gets a short reason on error.
 */
int	cand_parse(const char *value, size_t len, struct cand *out, const char **why);

/*
 * Every a=candidate and a=x-candidate-ipv6 of media section mi, in order.
 * SDP_E_CANDS when more than max; on a bad line *errline (may be NULL) gets its
 * 1-based number.
 */
int	cand_list(const struct sdp *, size_t mi, struct cand *out, size_t max,
	    size_t *n, size_t *errline);

/*
 * Every distinct IP address named by the candidates of media section mi: the
 * candidate address, raddr, and the x-candidate-ipv6 addresses; first-seen order.
 * This is the peer's address set for source-address policy (decision D11).
 * Candidates with an unknown transport or a non-literal address contribute nothing.
 */
int	cand_addrs(const struct sdp *, size_t mi, struct sdp_addr *out, size_t max,
	    size_t *n);

/* a=remote-candidates:<comp> <ip> <port> ... (re-offer after ICE, RFC 5245 9.1.2.2) */
#define CAND_MAX_REMOTE	8
struct cand_remote {
	uint16_t	 r_component;
	struct sdp_addr	 r_addr;
	uint16_t	 r_port;
};
int	cand_remote_parse(const char *value, size_t len, struct cand_remote *out,
	    size_t max, size_t *n);

/*
 * Priorities.  MS layout (decision D6): (126<<24) | (local<<8) | (256 - comp),
 * local = 6<<12 | dir<<9 | 7<<6 | other, dir 2 passive / 5 active, other 63 for
 * IPv4 and 62 for IPv6, component 2 gets local - 2.  RFC 6544 4.2: type preference
 * 126 (host), local = dir<<13 | other with the host direction preferences
 * active 6, passive 4, so 2, other 8191 for IPv4 and 8190 for IPv6.
 */
uint32_t	cand_prio_ms(int tcptype, int component, int ipv6);
uint32_t	cand_prio_rfc(int tcptype, int component, int ipv6);

/* Text of an address into buf (at least 46 bytes); returns buf or NULL. */
const char	*cand_addr_ntop(const struct sdp_addr *, char *buf, size_t len);

/* ---- rewrite (sdp_rewrite.c) ---------------------------------------------- */

/* How the recipient of the rewritten SDP speaks. */
enum sdpw_dialect {
	SDPW_MSICE2 = 1,	/* Lync/SfB: TCP-PASS / TCP-ACT, a=x-candidate-ipv6 for IPv6 */
	SDPW_RFC6544 = 2,	/* TCP ... typ host tcptype passive|active */
	SDPW_RFC4145 = 3,	/* plain TCP, no ICE: no candidates, no ufrag/pwd */
};
/* The relay's TCP role on the leg the SDP goes to. */
enum sdpw_role {
	SDPW_PASSIVE = 1,	/* relay listens: a=setup:passive */
	SDPW_ACTIVE = 2,	/* relay connects: a=setup:active */
};

/* The rewrite of one m=applicationsharing section. */
struct sdpw_media_plan {
	uint8_t		 mp_dialect;	/* enum sdpw_dialect */
	uint8_t		 mp_role;	/* enum sdpw_role */
	uint8_t		 mp_has_ip4;
	uint8_t		 mp_has_ip6;
	uint8_t		 mp_ip4[4];	/* the default (c=) address when present */
	uint8_t		 mp_ip6[16];	/* default only when there is no IPv4 */
	uint16_t	 mp_port;	/* relay port on this leg, non-zero */
	const char	*mp_ufrag;	/* NUL-terminated ice-chars; not for RFC 4145 */
	const char	*mp_pwd;
	/* D4: in passive role also list an active candidate (MS: same port; RFC: 9). */
	uint8_t		 mp_active_cand;
	/* Re-offer after ICE: the selected remote candidate, a=remote-candidates. */
	uint8_t		 mp_has_remote;
	struct sdp_addr	 mp_remote;
	uint16_t	 mp_remote_port;
};

struct sdpw_plan {
	const struct sdpw_media_plan	*p_media;	/* one per appsharing m-line, in order */
	size_t				 p_nmedia;
	/*
	 * Refuse every other m-line (audio, video, ...): its port becomes 0, the
	 * RFC 3264 8.2 way of rejecting a stream, and nothing else in its section
	 * changes.  0 passes them through as they came.
	 */
	uint8_t				 p_refuse_other;
};

/*
 * Write sdp rewritten by plan into out (outlen bytes, not NUL-terminated).  On
 * success *written is the length.  SDP_E_NOSPACE when it does not fit; *written
 * is then the length that would have been needed.  The session part and the
 * sections other than m=applicationsharing are copied byte-exact, except the
 * port of those m-lines when plan->p_refuse_other is set (an m-line whose port
 * is already 0 stays as it is).
 */
int	sdpw_rewrite(const struct sdp *, const struct sdpw_plan *, char *out,
	    size_t outlen, size_t *written);

#endif
