/*
 * ICE candidate lines in the dialects of protocol.md 1.4: MS-ICE2 (TCP-PASS,
 * TCP-ACT), RFC 5245/6544/8839 (TCP ... tcptype), a=x-candidate-ipv6 (MS-ICE2
 * grammar for IPv6), and the detection of MS-ICE v6 so it can be refused.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "sdp.h"
#include "sdp_priv.h"

#define CAND_MAX_FOUNDATION	32	/* RFC 8839: 1*32ice-char */

static int
cand_fail(const char **why, const char *reason, int rc)
{
	if (why != NULL)
		*why = reason;
	return rc;
}

/* MS-ICE v6 lines put credentials where v19 has transport and priority. */
static int
cand_looks_v6(const struct sdp_str *tok, size_t ntok)
{
	if (ntok < 7)
		return 0;
	return sdp_str_eq(tok[3], "UDP") || sdp_str_eq(tok[3], "TCP");
}

static int
cand_transport(struct sdp_str s, struct cand *c)
{
	if (sdp_str_eq(s, "UDP")) {
		c->c_transport = CAND_TR_UDP;
	} else if (sdp_str_eq(s, "TCP")) {
		c->c_transport = CAND_TR_TCP;
		c->c_dialect = CAND_DIALECT_RFC;
	} else if (sdp_str_eq(s, "TCP-PASS")) {
		c->c_transport = CAND_TR_TCP;
		c->c_tcptype = CAND_TCP_PASSIVE;
		c->c_dialect = CAND_DIALECT_MS;
	} else if (sdp_str_eq(s, "TCP-ACT")) {
		c->c_transport = CAND_TR_TCP;
		c->c_tcptype = CAND_TCP_ACTIVE;
		c->c_dialect = CAND_DIALECT_MS;
	} else {
		/* RFC 8839 5.1: unknown transports are ignored, not fatal. */
		c->c_transport = CAND_TR_OTHER;
	}
	return 0;
}

static int
cand_type(struct sdp_str s, struct cand *c)
{
	if (sdp_str_eq(s, "host"))
		c->c_type = CAND_HOST;
	else if (sdp_str_eq(s, "srflx"))
		c->c_type = CAND_SRFLX;
	else if (sdp_str_eq(s, "prflx"))
		c->c_type = CAND_PRFLX;
	else if (sdp_str_eq(s, "relay"))
		c->c_type = CAND_RELAY;
	else
		return -1;
	return 0;
}

static int
cand_tcptype(struct sdp_str s, int *out)
{
	if (sdp_str_eq(s, "active"))
		*out = CAND_TCP_ACTIVE;
	else if (sdp_str_eq(s, "passive"))
		*out = CAND_TCP_PASSIVE;
	else if (sdp_str_eq(s, "so"))
		*out = CAND_TCP_SO;
	else
		return -1;
	return 0;
}

int
cand_parse(const char *value, size_t len, struct cand *c, const char **why)
{
	struct sdp_tok t;
	struct sdp_str tok[8], name, val;
	size_t ntok = 0;
	uint32_t v;
	int tcptype = CAND_TCP_NONE, seen_tcptype = 0, seen_rport = 0;

	if (value == NULL || c == NULL)
		return SDP_E_ARG;
	memset(c, 0, sizeof(*c));
	sdp_tok_init(&t, value, len);
	while (ntok < 8 && sdp_tok_next(&t, &tok[ntok]))
		ntok++;
	if (ntok < 8 || !sdp_str_eq(tok[6], "typ")) {
		if (cand_looks_v6(tok, ntok))
			return cand_fail(why, "MS-ICE v6 candidate (no typ token)",
			    SDP_E_CAND_V6);
		return cand_fail(why, "candidate needs 8 fields up to typ <type>", SDP_E_CAND);
	}
	if (tok[0].s_len > CAND_MAX_FOUNDATION)
		return cand_fail(why, "foundation longer than 32", SDP_E_CAND);
	c->c_foundation = tok[0];
	if (sdp_num(tok[1], 256, &v) != 0 || v == 0)
		return cand_fail(why, "component is not 1..256", SDP_E_CAND);
	c->c_component = (uint16_t)v;
	cand_transport(tok[2], c);
	if (sdp_num(tok[3], UINT32_MAX, &v) != 0)
		return cand_fail(why, "priority is not a 32-bit number", SDP_E_CAND);
	c->c_priority = v;
	c->c_addr_text = tok[4];
	if (sdp_addr_parse(tok[4], &c->c_addr, 1) != 0)
		return cand_fail(why, "candidate address is not an address", SDP_E_CAND);
	if (sdp_num(tok[5], 65535, &v) != 0)
		return cand_fail(why, "candidate port is not 0..65535", SDP_E_CAND);
	c->c_port = (uint16_t)v;
	if (cand_type(tok[7], c) != 0)
		return cand_fail(why, "unknown candidate type", SDP_E_CAND);

	/* Name/value pairs; unknown ones (generation, network-id, ...) are skipped. */
	while (sdp_tok_next(&t, &name)) {
		if (!sdp_tok_next(&t, &val))
			return cand_fail(why, "extension name without a value", SDP_E_CAND);
		if (sdp_str_eq(name, "raddr")) {
			c->c_raddr_text = val;
			if (sdp_addr_parse(val, &c->c_raddr, 1) != 0)
				return cand_fail(why, "raddr is not an address", SDP_E_CAND);
			c->c_has_raddr = 1;
		} else if (sdp_str_eq(name, "rport")) {
			if (sdp_num(val, 65535, &v) != 0)
				return cand_fail(why, "rport is not 0..65535", SDP_E_CAND);
			c->c_rport = (uint16_t)v;
			seen_rport = 1;
		} else if (sdp_str_eq(name, "tcptype")) {
			if (cand_tcptype(val, &tcptype) != 0)
				return cand_fail(why, "tcptype is not active, passive or so",
				    SDP_E_CAND);
			seen_tcptype = 1;
		}
	}
	if (seen_rport && !c->c_has_raddr)
		return cand_fail(why, "rport without raddr", SDP_E_CAND);
	if (c->c_transport == CAND_TR_TCP) {
		if (c->c_dialect == CAND_DIALECT_RFC) {
			if (!seen_tcptype)
				return cand_fail(why, "TCP candidate without tcptype",
				    SDP_E_CAND);
			c->c_tcptype = (uint8_t)tcptype;
		} else if (seen_tcptype && tcptype != c->c_tcptype)
			return cand_fail(why, "tcptype contradicts TCP-PASS/TCP-ACT",
			    SDP_E_CAND);
	}
	return 0;
}

int
cand_list(const struct sdp *sdp, size_t mi, struct cand *out, size_t max,
    size_t *n, size_t *errline)
{
	const struct sdp_media *m;
	size_t i;
	int rc, x;

	if (sdp == NULL || n == NULL || mi >= sdp->s_nmedia || (out == NULL && max > 0))
		return SDP_E_ARG;
	*n = 0;
	m = &sdp->s_media[mi];
	for (i = m->m_line + 1; i < m->m_line + m->m_nlines; i++) {
		const struct sdp_line *ln = &sdp->s_lines[i];

		if (ln->ln_type != 'a')
			continue;
		if (sdp_str_eq(ln->ln_name, "candidate"))
			x = 0;
		else if (sdp_str_eq(ln->ln_name, "x-candidate-ipv6"))
			x = 1;
		else
			continue;
		if (*n == max)
			return SDP_E_CANDS;
		rc = cand_parse(ln->ln_value.s_p, ln->ln_value.s_len, &out[*n], NULL);
		if (rc != 0) {
			if (errline != NULL)
				*errline = i + 1;
			return rc;
		}
		out[*n].c_x_ipv6 = (uint8_t)x;
		out[*n].c_line = i;
		(*n)++;
	}
	return 0;
}

static int
cand_addr_unspec(const struct sdp_addr *a)
{
	static const uint8_t zero[16];

	return a->a_family == 0 ||
	    memcmp(a->a_bytes, zero, a->a_family == AF_INET ? 4 : 16) == 0;
}

static int
cand_addr_add(const struct sdp_addr *a, struct sdp_addr *out, size_t max, size_t *n)
{
	size_t i;

	/* 0.0.0.0 / :: (WebRTC's hidden raddr) is nobody's source address. */
	if (cand_addr_unspec(a))
		return 0;
	for (i = 0; i < *n; i++)
		if (out[i].a_family == a->a_family &&
		    memcmp(out[i].a_bytes, a->a_bytes, 16) == 0)
			return 0;
	if (*n == max)
		return SDP_E_CANDS;
	out[(*n)++] = *a;
	return 0;
}

int
cand_addrs(const struct sdp *sdp, size_t mi, struct sdp_addr *out, size_t max,
    size_t *n)
{
	const struct sdp_media *m;
	struct cand c;
	size_t i;
	int rc;

	if (sdp == NULL || n == NULL || mi >= sdp->s_nmedia || (out == NULL && max > 0))
		return SDP_E_ARG;
	*n = 0;
	m = &sdp->s_media[mi];
	for (i = m->m_line + 1; i < m->m_line + m->m_nlines; i++) {
		const struct sdp_line *ln = &sdp->s_lines[i];

		if (ln->ln_type != 'a' || (!sdp_str_eq(ln->ln_name, "candidate") &&
		    !sdp_str_eq(ln->ln_name, "x-candidate-ipv6")))
			continue;
		if ((rc = cand_parse(ln->ln_value.s_p, ln->ln_value.s_len, &c, NULL)) != 0)
			return rc;
		if (c.c_transport == CAND_TR_OTHER)
			continue;
		if ((rc = cand_addr_add(&c.c_addr, out, max, n)) != 0)
			return rc;
		if (c.c_has_raddr && (rc = cand_addr_add(&c.c_raddr, out, max, n)) != 0)
			return rc;
	}
	/*
	 * The effective c= is the default candidate: among the candidates with ICE,
	 * and the only address of a plain RFC 4145 peer.
	 */
	if (m->m_conn.c_present)
		rc = cand_addr_add(&m->m_conn.c_addr, out, max, n);
	else if (sdp->s_conn.c_present)
		rc = cand_addr_add(&sdp->s_conn.c_addr, out, max, n);
	else
		rc = 0;
	return rc;
}

int
cand_remote_parse(const char *value, size_t len, struct cand_remote *out,
    size_t max, size_t *n)
{
	struct sdp_tok t;
	struct sdp_str comp, addr, port;
	uint32_t v;

	if (value == NULL || n == NULL || (out == NULL && max > 0))
		return SDP_E_ARG;
	*n = 0;
	sdp_tok_init(&t, value, len);
	while (sdp_tok_next(&t, &comp)) {
		if (!sdp_tok_next(&t, &addr) || !sdp_tok_next(&t, &port))
			return SDP_E_REMOTE;
		if (*n == max)
			return SDP_E_CANDS;
		if (sdp_num(comp, 256, &v) != 0 || v == 0)
			return SDP_E_REMOTE;
		out[*n].r_component = (uint16_t)v;
		if (sdp_addr_parse(addr, &out[*n].r_addr, 0) != 0)
			return SDP_E_REMOTE;
		if (sdp_num(port, 65535, &v) != 0)
			return SDP_E_REMOTE;
		out[*n].r_port = (uint16_t)v;
		(*n)++;
	}
	return *n == 0 ? SDP_E_REMOTE : 0;
}

uint32_t
cand_prio_ms(int tcptype, int component, int ipv6)
{
	uint32_t local;

	local = 6u << 12 | (tcptype == CAND_TCP_ACTIVE ? 5u : 2u) << 9 | 7u << 6 |
	    (ipv6 ? 62u : 63u);
	if (component == 2)
		local -= 2;
	return 126u << 24 | local << 8 | (uint32_t)(256 - component);
}

uint32_t
cand_prio_rfc(int tcptype, int component, int ipv6)
{
	uint32_t dir, local;

	/* RFC 6544 4.2, host candidates: active 6, passive 4, simultaneous-open 2. */
	switch (tcptype) {
	case CAND_TCP_ACTIVE:
		dir = 6;
		break;
	case CAND_TCP_SO:
		dir = 2;
		break;
	default:
		dir = 4;
		break;
	}
	local = dir << 13 | (ipv6 ? 8190u : 8191u);
	return 126u << 24 | local << 8 | (uint32_t)(256 - component);
}

const char *
cand_addr_ntop(const struct sdp_addr *a, char *buf, size_t len)
{
	if (a == NULL || buf == NULL || len > 0x7fffffff)
		return NULL;
	if (a->a_family != AF_INET && a->a_family != AF_INET6)
		return NULL;
	return inet_ntop(a->a_family, a->a_bytes, buf, (socklen_t)len);
}
