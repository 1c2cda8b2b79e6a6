/*
 * Lossless SDP parser: lines as byte spans with their own line endings, grouped
 * into the session part and media sections, plus a typed view of v=, o=, c=, m=
 * and a=.  Nothing is copied, so the rewrite can re-emit unknown lines exactly.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "sdp.h"
#include "sdp_priv.h"

static const struct {
	int		 rc;
	const char	*name;
	const char	*msg;
} sdp_errs[] = {
	{ SDP_OK, "SDP_OK", "success" },
	{ SDP_E_ARG, "SDP_E_ARG", "invalid argument" },
	{ SDP_E_EMPTY, "SDP_E_EMPTY", "empty SDP" },
	{ SDP_E_TOOBIG, "SDP_E_TOOBIG", "SDP too large" },
	{ SDP_E_NUL, "SDP_E_NUL", "NUL byte in SDP" },
	{ SDP_E_LINE_LONG, "SDP_E_LINE_LONG", "SDP line too long" },
	{ SDP_E_LINES, "SDP_E_LINES", "too many SDP lines" },
	{ SDP_E_MEDIA_COUNT, "SDP_E_MEDIA_COUNT", "too many m= sections" },
	{ SDP_E_SYNTAX, "SDP_E_SYNTAX", "SDP line syntax error" },
	{ SDP_E_VERSION, "SDP_E_VERSION", "SDP does not start with v=0" },
	{ SDP_E_ORIGIN, "SDP_E_ORIGIN", "malformed o= line" },
	{ SDP_E_MLINE, "SDP_E_MLINE", "malformed m= line" },
	{ SDP_E_PORT, "SDP_E_PORT", "bad port in m= line" },
	{ SDP_E_CONN, "SDP_E_CONN", "malformed c= line" },
	{ SDP_E_CAND, "SDP_E_CAND", "malformed ICE candidate" },
	{ SDP_E_CAND_V6, "SDP_E_CAND_V6",
	    "MS-ICE v6 (OCS 2007) candidates are not supported; offer ICE v19 (MS-ICE2)" },
	{ SDP_E_CANDS, "SDP_E_CANDS", "too many candidates" },
	{ SDP_E_REMOTE, "SDP_E_REMOTE", "malformed a=remote-candidates" },
	{ SDP_E_PROTO, "SDP_E_PROTO",
	    "application sharing needs TCP/RTP/AVP or TCP/RTP/SAVP" },
	{ SDP_E_PLAN, "SDP_E_PLAN", "rewrite plan does not fit the SDP" },
	{ SDP_E_NOSPACE, "SDP_E_NOSPACE", "output buffer too small" },
};

const char *
sdp_strerror(int rc)
{
	size_t i;

	for (i = 0; i < sizeof(sdp_errs) / sizeof(sdp_errs[0]); i++)
		if (sdp_errs[i].rc == rc)
			return sdp_errs[i].msg;
	return "unknown SDP error";
}

const char *
sdp_errname(int rc)
{
	size_t i;

	for (i = 0; i < sizeof(sdp_errs) / sizeof(sdp_errs[0]); i++)
		if (sdp_errs[i].rc == rc)
			return sdp_errs[i].name;
	return "SDP_E_?";
}

/* ---- small helpers shared with sdp_cand.c and sdp_rewrite.c ---------------- */

static int
sdp_blank(char c)
{
	return c == ' ' || c == '\t';
}

void
sdp_tok_init(struct sdp_tok *t, const char *p, size_t len)
{
	t->t_p = p;
	t->t_end = p + len;
}

int
sdp_tok_next(struct sdp_tok *t, struct sdp_str *out)
{
	const char *s;

	while (t->t_p < t->t_end && sdp_blank(*t->t_p))
		t->t_p++;
	if (t->t_p == t->t_end)
		return 0;
	s = t->t_p;
	while (t->t_p < t->t_end && !sdp_blank(*t->t_p))
		t->t_p++;
	out->s_p = s;
	out->s_len = (size_t)(t->t_p - s);
	return 1;
}

struct sdp_str
sdp_tok_rest(struct sdp_tok *t)
{
	struct sdp_str r;

	while (t->t_p < t->t_end && sdp_blank(*t->t_p))
		t->t_p++;
	r.s_p = t->t_p;
	r.s_len = (size_t)(t->t_end - t->t_p);
	return r;
}

int
sdp_num(struct sdp_str s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s.s_len == 0 || s.s_len > 10)
		return -1;
	for (i = 0; i < s.s_len; i++) {
		if (s.s_p[i] < '0' || s.s_p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s.s_p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
sdp_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.';
}

int
sdp_addr_parse(struct sdp_str s, struct sdp_addr *a, int allow_name)
{
	char buf[64];
	size_t i;

	memset(a, 0, sizeof(*a));
	if (s.s_len == 0 || s.s_len >= sizeof(buf))
		return -1;
	memcpy(buf, s.s_p, s.s_len);
	buf[s.s_len] = '\0';
	if (inet_pton(AF_INET, buf, a->a_bytes) == 1) {
		a->a_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, a->a_bytes) == 1) {
		a->a_family = AF_INET6;
		return 0;
	}
	memset(a->a_bytes, 0, sizeof(a->a_bytes));
	/* FQDNs are legal in c= and in RFC 8839 candidates; they name no source address. */
	if (!allow_name)
		return -1;
	for (i = 0; i < s.s_len; i++)
		if (!sdp_name_char(s.s_p[i]))
			return -1;
	return 0;
}

int
sdp_str_eq(struct sdp_str s, const char *lit)
{
	size_t i, n = strlen(lit);

	if (s.s_len != n)
		return 0;
	for (i = 0; i < n; i++) {
		char a = s.s_p[i], b = lit[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

/* ---- the parser ----------------------------------------------------------- */

static int
sdp_fail(struct sdp *sdp, int rc, size_t line, const char *why)
{
	sdp->s_errline = line;
	sdp->s_errwhy = why;
	return rc;
}

static int
sdp_parse_conn(struct sdp *sdp, size_t li, struct sdp_conn *c)
{
	const struct sdp_line *ln = &sdp->s_lines[li];
	struct sdp_tok t;
	struct sdp_str net, type, addr, extra;
	const char *slash;

	sdp_tok_init(&t, ln->ln_value.s_p, ln->ln_value.s_len);
	if (!sdp_tok_next(&t, &net) || !sdp_tok_next(&t, &type) ||
	    !sdp_tok_next(&t, &addr))
		return sdp_fail(sdp, SDP_E_CONN, li + 1, "c= needs nettype, addrtype, address");
	if (sdp_tok_next(&t, &extra))
		return sdp_fail(sdp, SDP_E_CONN, li + 1, "c= has extra fields");
	if (!sdp_str_eq(net, "IN"))
		return sdp_fail(sdp, SDP_E_CONN, li + 1, "c= nettype is not IN");
	memset(c, 0, sizeof(*c));
	if (sdp_str_eq(type, "IP6"))
		c->c_ip6 = 1;
	else if (!sdp_str_eq(type, "IP4"))
		return sdp_fail(sdp, SDP_E_CONN, li + 1, "c= addrtype is not IP4 or IP6");
	/* Multicast "/ttl/count" suffixes are not an address. */
	if ((slash = memchr(addr.s_p, '/', addr.s_len)) != NULL)
		addr.s_len = (size_t)(slash - addr.s_p);
	if (sdp_addr_parse(addr, &c->c_addr, 1) != 0)
		return sdp_fail(sdp, SDP_E_CONN, li + 1, "c= address is not an address");
	if ((c->c_addr.a_family == AF_INET && c->c_ip6) ||
	    (c->c_addr.a_family == AF_INET6 && !c->c_ip6))
		return sdp_fail(sdp, SDP_E_CONN, li + 1, "c= address does not match addrtype");
	c->c_present = 1;
	c->c_line = li;
	c->c_addr_text = addr;
	return 0;
}

static int
sdp_parse_mline(struct sdp *sdp, size_t li, struct sdp_media *m)
{
	const struct sdp_line *ln = &sdp->s_lines[li];
	struct sdp_tok t;
	struct sdp_str port, count;
	const char *slash;
	uint32_t v;

	memset(m, 0, sizeof(*m));
	m->m_line = li;
	sdp_tok_init(&t, ln->ln_value.s_p, ln->ln_value.s_len);
	if (!sdp_tok_next(&t, &m->m_media) || !sdp_tok_next(&t, &m->m_port_text) ||
	    !sdp_tok_next(&t, &m->m_proto))
		return sdp_fail(sdp, SDP_E_MLINE, li + 1, "m= needs media, port, proto");
	m->m_fmts = sdp_tok_rest(&t);
	if (m->m_fmts.s_len == 0)
		return sdp_fail(sdp, SDP_E_MLINE, li + 1, "m= has no format");
	port = m->m_port_text;
	if ((slash = memchr(port.s_p, '/', port.s_len)) != NULL) {
		count.s_p = slash + 1;
		count.s_len = port.s_len - (size_t)(count.s_p - port.s_p);
		port.s_len = (size_t)(slash - port.s_p);
		if (sdp_num(count, 65535, &v) != 0 || v == 0)
			return sdp_fail(sdp, SDP_E_PORT, li + 1, "m= port count is not 1..65535");
		m->m_port_count = (uint16_t)v;
	}
	if (sdp_num(port, 65535, &v) != 0)
		return sdp_fail(sdp, SDP_E_PORT, li + 1, "m= port is not a number 0..65535");
	m->m_port = (uint16_t)v;
	m->m_appshare = sdp_str_eq(m->m_media, "applicationsharing");
	return 0;
}

static int
sdp_parse_origin(struct sdp *sdp, size_t li)
{
	const struct sdp_line *ln = &sdp->s_lines[li];
	struct sdp_tok t;
	struct sdp_str f;
	int n = 0;

	sdp_tok_init(&t, ln->ln_value.s_p, ln->ln_value.s_len);
	while (sdp_tok_next(&t, &f)) {
		if (++n == 6)
			sdp->s_origin_addr = f;
	}
	if (n != 6)
		return sdp_fail(sdp, SDP_E_ORIGIN, li + 1, "o= needs exactly six fields");
	return 0;
}

/* Candidate-related lines of an appsharing section are checked once, here. */
static int
sdp_check_appshare(struct sdp *sdp, size_t mi)
{
	const struct sdp_media *m = &sdp->s_media[mi];
	struct cand c;
	struct cand_remote r[CAND_MAX_REMOTE];
	const char *why;
	size_t i, n;
	int rc;

	for (i = m->m_line + 1; i < m->m_line + m->m_nlines; i++) {
		const struct sdp_line *ln = &sdp->s_lines[i];

		if (ln->ln_type != 'a')
			continue;
		if (sdp_str_eq(ln->ln_name, "candidate") ||
		    sdp_str_eq(ln->ln_name, "x-candidate-ipv6")) {
			why = NULL;
			rc = cand_parse(ln->ln_value.s_p, ln->ln_value.s_len, &c, &why);
			if (rc != 0)
				return sdp_fail(sdp, rc, i + 1, why);
		} else if (sdp_str_eq(ln->ln_name, "remote-candidate")) {
			/* The singular form exists only in MS-ICE v6. */
			return sdp_fail(sdp, SDP_E_CAND_V6, i + 1,
			    "a=remote-candidate is MS-ICE v6");
		} else if (sdp_str_eq(ln->ln_name, "remote-candidates")) {
			rc = cand_remote_parse(ln->ln_value.s_p, ln->ln_value.s_len,
			    r, CAND_MAX_REMOTE, &n);
			if (rc != 0)
				return sdp_fail(sdp, rc, i + 1,
				    "a=remote-candidates needs <comp> <ip> <port> triples");
		}
	}
	return 0;
}

static int
sdp_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Split one line's text into type, name and value. */
static int
sdp_parse_line(struct sdp *sdp, size_t li)
{
	struct sdp_line *ln = &sdp->s_lines[li];
	const char *p = ln->ln_text.s_p;
	size_t len = ln->ln_text.s_len;
	const char *colon;

	if (len < 2 || !sdp_is_alpha(p[0]) || p[1] != '=')
		return sdp_fail(sdp, SDP_E_SYNTAX, li + 1, "line is not <letter>=<value>");
	ln->ln_type = p[0];
	ln->ln_value.s_p = p + 2;
	ln->ln_value.s_len = len - 2;
	if (ln->ln_type != 'a')
		return 0;
	ln->ln_name.s_p = p + 2;
	if ((colon = memchr(p + 2, ':', len - 2)) != NULL) {
		ln->ln_name.s_len = (size_t)(colon - (p + 2));
		ln->ln_value.s_p = colon + 1;
		ln->ln_value.s_len = len - 2 - ln->ln_name.s_len - 1;
		ln->ln_has_colon = 1;
	} else {
		ln->ln_name.s_len = len - 2;
		ln->ln_value.s_len = 0;
		ln->ln_value.s_p = p + len;
	}
	if (ln->ln_name.s_len == 0)
		return sdp_fail(sdp, SDP_E_SYNTAX, li + 1, "a= without an attribute name");
	return 0;
}

/* Cut text into lines; blank lines are legal only as a trailer. */
static int
sdp_split(struct sdp *sdp)
{
	const char *p = sdp->s_text, *end = sdp->s_text + sdp->s_len;
	const char *nl, *q;
	struct sdp_line *ln;
	size_t len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (nl != NULL ? (size_t)(nl - p) : (size_t)(end - p));
		if (len == 0 || (len == 1 && p[0] == '\r')) {
			/* A blank line: fine only if nothing but line endings follow. */
			for (q = p; q < end; q++)
				if (*q != '\r' && *q != '\n')
					return sdp_fail(sdp, SDP_E_SYNTAX, sdp->s_nlines + 1,
					    "blank line inside SDP");
			sdp->s_trailer.s_p = p;
			sdp->s_trailer.s_len = (size_t)(end - p);
			break;
		}
		if (sdp->s_nlines == SDP_MAX_LINES)
			return sdp_fail(sdp, SDP_E_LINES, SDP_MAX_LINES + 1,
			    "more than SDP_MAX_LINES lines");
		ln = &sdp->s_lines[sdp->s_nlines++];
		memset(ln, 0, sizeof(*ln));
		ln->ln_text.s_p = p;
		if (nl != NULL && len > 0 && p[len - 1] == '\r') {
			ln->ln_eol = 2;
			len--;
		} else if (nl != NULL)
			ln->ln_eol = 1;
		ln->ln_text.s_len = len;
		if (len > SDP_MAX_LINE_LEN)
			return sdp_fail(sdp, SDP_E_LINE_LONG, sdp->s_nlines,
			    "line longer than SDP_MAX_LINE_LEN");
		if (memchr(p, '\r', len) != NULL)
			return sdp_fail(sdp, SDP_E_SYNTAX, sdp->s_nlines,
			    "CR not followed by LF");
		p += len + ln->ln_eol;
	}
	if (sdp->s_nlines == 0)
		return sdp_fail(sdp, SDP_E_EMPTY, 0, "no lines");
	return 0;
}

int
sdp_parse(const char *text, size_t len, struct sdp *sdp)
{
	struct sdp_media *m = NULL;
	const char *nul;
	size_t i, line;
	int rc;

	if (text == NULL || sdp == NULL)
		return SDP_E_ARG;
	memset(sdp, 0, sizeof(*sdp));
	sdp->s_text = text;
	sdp->s_len = len;
	if (len == 0)
		return sdp_fail(sdp, SDP_E_EMPTY, 0, "no text");
	if (len > SDP_MAX_TEXT)
		return sdp_fail(sdp, SDP_E_TOOBIG, 0, "more than SDP_MAX_TEXT bytes");
	if ((nul = memchr(text, '\0', len)) != NULL) {
		for (line = 1, i = 0; text + i < nul; i++)
			line += text[i] == '\n';
		return sdp_fail(sdp, SDP_E_NUL, line, "NUL byte");
	}
	if ((rc = sdp_split(sdp)) != 0)
		return rc;
	sdp->s_eol = sdp->s_lines[0].ln_eol != 0 ? sdp->s_lines[0].ln_eol : 2;

	for (i = 0; i < sdp->s_nlines; i++) {
		struct sdp_line *ln = &sdp->s_lines[i];

		if ((rc = sdp_parse_line(sdp, i)) != 0)
			return rc;
		if (i == 0) {
			if (ln->ln_type != 'v' || ln->ln_value.s_len != 1 ||
			    ln->ln_value.s_p[0] != '0')
				return sdp_fail(sdp, SDP_E_VERSION, 1, "first line is not v=0");
			continue;
		}
		switch (ln->ln_type) {
		case 'm':
			if (m != NULL)
				m->m_nlines = i - m->m_line;
			else
				sdp->s_nsession = i;
			if (sdp->s_nmedia == SDP_MAX_MEDIA)
				return sdp_fail(sdp, SDP_E_MEDIA_COUNT, i + 1,
				    "more than SDP_MAX_MEDIA m= sections");
			m = &sdp->s_media[sdp->s_nmedia++];
			if ((rc = sdp_parse_mline(sdp, i, m)) != 0)
				return rc;
			break;
		case 'c':
			if (m == NULL) {
				if (sdp->s_conn.c_present)
					return sdp_fail(sdp, SDP_E_CONN, i + 1,
					    "second session-level c=");
				rc = sdp_parse_conn(sdp, i, &sdp->s_conn);
			} else if (!m->m_conn.c_present)
				rc = sdp_parse_conn(sdp, i, &m->m_conn);
			else {
				/* Further c= (multicast layers): syntax only. */
				struct sdp_conn extra;

				rc = sdp_parse_conn(sdp, i, &extra);
			}
			if (rc != 0)
				return rc;
			break;
		case 'o':
			if (m == NULL && (rc = sdp_parse_origin(sdp, i)) != 0)
				return rc;
			break;
		default:
			break;
		}
	}
	if (m != NULL)
		m->m_nlines = sdp->s_nlines - m->m_line;
	else
		sdp->s_nsession = sdp->s_nlines;

	for (i = 0; i < sdp->s_nmedia; i++)
		if (sdp->s_media[i].m_appshare && (rc = sdp_check_appshare(sdp, i)) != 0)
			return rc;
	return 0;
}

int
sdp_appshare_index(const struct sdp *sdp, size_t n)
{
	size_t i;

	for (i = 0; i < sdp->s_nmedia; i++)
		if (sdp->s_media[i].m_appshare && n-- == 0)
			return (int)i;
	return -1;
}

size_t
sdp_appshare_count(const struct sdp *sdp)
{
	size_t i, n = 0;

	for (i = 0; i < sdp->s_nmedia; i++)
		n += sdp->s_media[i].m_appshare;
	return n;
}

void
sdp_section_lines(const struct sdp *sdp, int mi, size_t *first, size_t *count)
{
	if (mi < 0 || (size_t)mi >= sdp->s_nmedia) {
		*first = 0;
		*count = mi < 0 ? sdp->s_nsession : 0;
		return;
	}
	*first = sdp->s_media[mi].m_line;
	*count = sdp->s_media[mi].m_nlines;
}
