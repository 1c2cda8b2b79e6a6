/*
 * Rewrite of every m=applicationsharing section to the relay (protocol.md D4-D6,
 * D15, D16; docs/sdp-rewrite.md).  Everything else is copied byte-exact, except
 * the port of the other m-lines when the plan refuses them.
 *
 * Order inside a rewritten section (Example D):
 *   m=  (port replaced; media, proto and formats kept as written)
 *   i=  lines that precede c=, then c= (replaces the first media-level c=)
 *   other non-a= lines (b=, k=, ...) in their place
 *   a=ice-ufrag, a=ice-pwd, a=candidate / a=x-candidate-ipv6, a=remote-candidates
 *       (ICE dialects; inserted before the first a= line)
 *   passthrough a= lines in their order, with
 *       a=rtcp:<m-port> where the first a=rtcp was (ICE dialects; dropped for RFC 4145)
 *       a=connection:new + a=setup:<role> where the first a=connection/a=setup was
 *   a=rtcp (ICE dialects, if there was none) right after the candidates, and
 *   a=connection/a=setup at the end if there was neither.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "sdp.h"
#include "sdp_priv.h"

/* A sticky writer: after the first overflow it only counts. */
struct sdpw_out {
	char		*o_p;
	size_t		 o_cap;
	size_t		 o_len;
	int		 o_over;
	int		 o_needeol;	/* previous line had no ending and more follows */
	const char	*o_eol;
	size_t		 o_eollen;
};

static void
sdpw_bytes(struct sdpw_out *o, const char *p, size_t n)
{
	if (!o->o_over && n <= o->o_cap - o->o_len)
		memcpy(o->o_p + o->o_len, p, n);
	else
		o->o_over = 1;
	o->o_len += n;
}

static void
sdpw_str(struct sdpw_out *o, const char *s)
{
	sdpw_bytes(o, s, strlen(s));
}

static void
sdpw_u32(struct sdpw_out *o, uint32_t v)
{
	char buf[10];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sdpw_bytes(o, buf + i, sizeof(buf) - i);
}

static void
sdpw_addr(struct sdpw_out *o, const struct sdp_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (cand_addr_ntop(a, buf, sizeof(buf)) == NULL)
		buf[0] = '\0';
	sdpw_str(o, buf);
}

static void
sdpw_begin(struct sdpw_out *o)
{
	if (o->o_needeol) {
		sdpw_bytes(o, o->o_eol, o->o_eollen);
		o->o_needeol = 0;
	}
}

static void
sdpw_end(struct sdpw_out *o)
{
	sdpw_bytes(o, o->o_eol, o->o_eollen);
}

/* A line copied as it came, ending included. */
static void
sdpw_copy(struct sdpw_out *o, const struct sdp_line *ln)
{
	sdpw_begin(o);
	sdpw_bytes(o, ln->ln_text.s_p, ln->ln_text.s_len + ln->ln_eol);
	if (ln->ln_eol == 0)
		o->o_needeol = 1;
}

/* Attributes that describe the far end's ICE agent; the relay speaks for itself. */
static int
sdpw_is_ice_attr(const struct sdp_line *ln)
{
	static const char *const names[] = {
		"candidate", "x-candidate-ipv6", "remote-candidates", "remote-candidate",
		"ice-ufrag", "ice-pwd", "ice-lite", "ice-options", "ice-mismatch",
		"ice-pacing", "end-of-candidates",
	};
	size_t i;

	if (ln->ln_type != 'a')
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (sdp_str_eq(ln->ln_name, names[i]))
			return 1;
	return 0;
}

static int
sdpw_is_attr(const struct sdp_line *ln, const char *name)
{
	return ln->ln_type == 'a' && sdp_str_eq(ln->ln_name, name);
}

static int
sdpw_ice_chars(const char *s, size_t min, size_t max)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++) {
		char c = s[n];

		if (n == max)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
	}
	return n >= min;
}

static int
sdpw_check_plan(const struct sdpw_media_plan *mp)
{
	if (mp->mp_dialect < SDPW_MSICE2 || mp->mp_dialect > SDPW_RFC4145)
		return SDP_E_PLAN;
	if (mp->mp_role != SDPW_PASSIVE && mp->mp_role != SDPW_ACTIVE)
		return SDP_E_PLAN;
	if (!mp->mp_has_ip4 && !mp->mp_has_ip6)
		return SDP_E_PLAN;
	if (mp->mp_port == 0)
		return SDP_E_PLAN;
	if (mp->mp_dialect == SDPW_RFC4145)
		return mp->mp_has_remote ? SDP_E_PLAN : 0;
	/* RFC 8839 5.4: ufrag 4..256, pwd 22..256 ice-chars; also keeps CR/LF out. */
	if (!sdpw_ice_chars(mp->mp_ufrag, 4, 256) || !sdpw_ice_chars(mp->mp_pwd, 22, 256))
		return SDP_E_PLAN;
	if (mp->mp_has_remote && ((mp->mp_remote.a_family != AF_INET &&
	    mp->mp_remote.a_family != AF_INET6) || mp->mp_remote_port == 0))
		return SDP_E_PLAN;
	return 0;
}

static void
sdpw_plan_addr(const struct sdpw_media_plan *mp, int v6, struct sdp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (v6) {
		a->a_family = AF_INET6;
		memcpy(a->a_bytes, mp->mp_ip6, 16);
	} else {
		a->a_family = AF_INET;
		memcpy(a->a_bytes, mp->mp_ip4, 4);
	}
}

/* IPv4 is the default candidate whenever the relay has one (older MS parsers). */
static void
sdpw_default_addr(const struct sdpw_media_plan *mp, struct sdp_addr *a)
{
	sdpw_plan_addr(mp, !mp->mp_has_ip4, a);
}

static void
sdpw_conn_line(struct sdpw_out *o, const struct sdp_addr *a)
{
	sdpw_begin(o);
	sdpw_str(o, a->a_family == AF_INET6 ? "c=IN IP6 " : "c=IN IP4 ");
	sdpw_addr(o, a);
	sdpw_end(o);
}

/* The port on the m-line, a=rtcp and the default candidate. */
static uint16_t
sdpw_mport(const struct sdpw_media_plan *mp)
{
	/* RFC 4145 / RFC 6544: an active-only endpoint's port is the discard port. */
	if (mp->mp_role == SDPW_ACTIVE && mp->mp_dialect != SDPW_MSICE2)
		return 9;
	return mp->mp_port;
}

static void
sdpw_cand_pair(struct sdpw_out *o, const struct sdpw_media_plan *mp, int v6,
    int tcptype, unsigned foundation)
{
	struct sdp_addr a;
	uint16_t port;
	int comp, ms = mp->mp_dialect == SDPW_MSICE2;

	sdpw_plan_addr(mp, v6, &a);
	/* MS wants a real port on TCP-ACT (sipe issue #76); RFC 6544 says 9. */
	port = (tcptype == CAND_TCP_ACTIVE && !ms) ? 9 : mp->mp_port;
	for (comp = 1; comp <= 2; comp++) {
		sdpw_begin(o);
		sdpw_str(o, ms && v6 ? "a=x-candidate-ipv6:" : "a=candidate:");
		sdpw_u32(o, foundation);
		sdpw_str(o, comp == 1 ? " 1 " : " 2 ");
		if (ms)
			sdpw_str(o, tcptype == CAND_TCP_ACTIVE ? "TCP-ACT " : "TCP-PASS ");
		else
			sdpw_str(o, "TCP ");
		sdpw_u32(o, ms ? cand_prio_ms(tcptype, comp, v6) :
		    cand_prio_rfc(tcptype, comp, v6));
		sdpw_str(o, " ");
		sdpw_addr(o, &a);
		sdpw_str(o, " ");
		sdpw_u32(o, port);
		sdpw_str(o, " typ host");
		if (!ms)
			sdpw_str(o, tcptype == CAND_TCP_ACTIVE ? " tcptype active" :
			    " tcptype passive");
		sdpw_end(o);
	}
}

static void
sdpw_ice_block(struct sdpw_out *o, const struct sdpw_media_plan *mp)
{
	unsigned f = 1;
	int v6, main_type, comp;

	sdpw_begin(o);
	sdpw_str(o, "a=ice-ufrag:");
	sdpw_str(o, mp->mp_ufrag);
	sdpw_end(o);
	sdpw_begin(o);
	sdpw_str(o, "a=ice-pwd:");
	sdpw_str(o, mp->mp_pwd);
	sdpw_end(o);
	main_type = mp->mp_role == SDPW_ACTIVE ? CAND_TCP_ACTIVE : CAND_TCP_PASSIVE;
	for (v6 = 0; v6 <= 1; v6++) {
		if (!(v6 ? mp->mp_has_ip6 : mp->mp_has_ip4))
			continue;
		sdpw_cand_pair(o, mp, v6, main_type, f++);
		if (main_type == CAND_TCP_PASSIVE && mp->mp_active_cand)
			sdpw_cand_pair(o, mp, v6, CAND_TCP_ACTIVE, f++);
	}
	if (mp->mp_has_remote) {
		/* Ascending component order: SfB refuses "2 ... 1 ..." (sipe 5c8efaa2). */
		sdpw_begin(o);
		sdpw_str(o, "a=remote-candidates:");
		for (comp = 1; comp <= 2; comp++) {
			sdpw_str(o, comp == 1 ? "1 " : " 2 ");
			sdpw_addr(o, &mp->mp_remote);
			sdpw_str(o, " ");
			sdpw_u32(o, mp->mp_remote_port);
		}
		sdpw_end(o);
	}
}

static void
sdpw_rtcp_line(struct sdpw_out *o, const struct sdpw_media_plan *mp)
{
	sdpw_begin(o);
	sdpw_str(o, "a=rtcp:");
	sdpw_u32(o, sdpw_mport(mp));
	sdpw_end(o);
}

static void
sdpw_setup_lines(struct sdpw_out *o, const struct sdpw_media_plan *mp)
{
	sdpw_begin(o);
	sdpw_str(o, "a=connection:new");
	sdpw_end(o);
	sdpw_begin(o);
	sdpw_str(o, mp->mp_role == SDPW_ACTIVE ? "a=setup:active" : "a=setup:passive");
	sdpw_end(o);
}

static void
sdpw_mline(struct sdpw_out *o, const struct sdp_media *m, uint16_t port)
{
	const char *end;

	sdpw_begin(o);
	sdpw_str(o, "m=");
	sdpw_bytes(o, m->m_media.s_p, m->m_media.s_len);
	sdpw_str(o, " ");
	sdpw_u32(o, port);
	/* From the proto to the end of the line, exactly as written. */
	end = m->m_fmts.s_p + m->m_fmts.s_len;
	sdpw_str(o, " ");
	sdpw_bytes(o, m->m_proto.s_p, (size_t)(end - m->m_proto.s_p));
	sdpw_end(o);
}

/*
 * Another stream the plan refuses (RFC 3264 8.2): the m-line with port 0, the
 * rest of the line and of the section as it came.  RFC 3264 lets a rejected
 * stream keep its attributes, and the receiver ignores them with the stream;
 * changing only the port keeps the refusal easy to see and to test.  A "/count"
 * goes with the port: it counts ports, and there are none left.
 */
static void
sdpw_section_refused(struct sdpw_out *o, const struct sdp *sdp, const struct sdp_media *m)
{
	const struct sdp_line *ln = &sdp->s_lines[m->m_line];
	const char *start = ln->ln_text.s_p;
	const char *pend = m->m_port_text.s_p + m->m_port_text.s_len;
	size_t j;

	sdpw_begin(o);
	sdpw_bytes(o, start, (size_t)(m->m_port_text.s_p - start));
	sdpw_str(o, "0");
	/* From after the port to the end of the line, its own line ending included. */
	sdpw_bytes(o, pend, (size_t)(start + ln->ln_text.s_len - pend) + ln->ln_eol);
	if (ln->ln_eol == 0)
		o->o_needeol = 1;
	for (j = m->m_line + 1; j < m->m_line + m->m_nlines; j++)
		sdpw_copy(o, &sdp->s_lines[j]);
}

/* A removed or rejected stream: no transport to describe, so only subtract. */
static void
sdpw_section_port0(struct sdpw_out *o, const struct sdp *sdp, const struct sdp_media *m,
    const struct sdpw_media_plan *mp)
{
	struct sdp_addr a;
	size_t i;

	sdpw_copy(o, &sdp->s_lines[m->m_line]);
	for (i = m->m_line + 1; i < m->m_line + m->m_nlines; i++) {
		const struct sdp_line *ln = &sdp->s_lines[i];

		if (sdpw_is_ice_attr(ln) || sdpw_is_attr(ln, "rtcp"))
			continue;
		if (m->m_conn.c_present && i == m->m_conn.c_line &&
		    (mp->mp_has_ip4 || mp->mp_has_ip6)) {
			/* Topology hiding: never show the far end's address. */
			sdpw_default_addr(mp, &a);
			sdpw_conn_line(o, &a);
			continue;
		}
		sdpw_copy(o, ln);
	}
}

static void
sdpw_section(struct sdpw_out *o, const struct sdp *sdp, const struct sdp_media *m,
    const struct sdpw_media_plan *mp)
{
	struct sdp_addr a;
	size_t i;
	int ice = mp->mp_dialect != SDPW_RFC4145;
	int done_c = 0, done_ice = !ice, done_rtcp = !ice, done_setup = 0;
	int has_rtcp = 0;

	for (i = m->m_line + 1; i < m->m_line + m->m_nlines; i++)
		has_rtcp |= sdpw_is_attr(&sdp->s_lines[i], "rtcp");
	sdpw_default_addr(mp, &a);
	sdpw_mline(o, m, sdpw_mport(mp));
	for (i = m->m_line + 1; i < m->m_line + m->m_nlines; i++) {
		const struct sdp_line *ln = &sdp->s_lines[i];

		if (!done_c && ln->ln_type != 'i') {
			sdpw_conn_line(o, &a);
			done_c = 1;
		}
		if (ln->ln_type == 'c')
			continue;
		if (!done_ice && ln->ln_type == 'a') {
			sdpw_ice_block(o, mp);
			done_ice = 1;
			/* D5: component 2 is on the same port, which RFC 3605 must say. */
			if (!has_rtcp) {
				sdpw_rtcp_line(o, mp);
				done_rtcp = 1;
			}
		}
		if (sdpw_is_ice_attr(ln))
			continue;
		if (sdpw_is_attr(ln, "rtcp")) {
			if (!done_rtcp)
				sdpw_rtcp_line(o, mp);
			done_rtcp = 1;
			continue;
		}
		if (sdpw_is_attr(ln, "connection") || sdpw_is_attr(ln, "setup")) {
			if (!done_setup)
				sdpw_setup_lines(o, mp);
			done_setup = 1;
			continue;
		}
		sdpw_copy(o, ln);
	}
	if (!done_c)
		sdpw_conn_line(o, &a);
	if (!done_ice)
		sdpw_ice_block(o, mp);
	if (!done_rtcp)
		sdpw_rtcp_line(o, mp);
	if (!done_setup)
		sdpw_setup_lines(o, mp);
}

int
sdpw_rewrite(const struct sdp *sdp, const struct sdpw_plan *plan, char *out,
    size_t outlen, size_t *written)
{
	struct sdpw_out o;
	size_t i, k = 0;
	int rc;

	if (sdp == NULL || plan == NULL || written == NULL || (out == NULL && outlen > 0))
		return SDP_E_ARG;
	*written = 0;
	if (sdp->s_nlines == 0)
		return SDP_E_ARG;
	if (plan->p_nmedia != sdp_appshare_count(sdp) ||
	    (plan->p_nmedia > 0 && plan->p_media == NULL))
		return SDP_E_PLAN;
	/* Check everything first, so that an error leaves no half-written text. */
	for (i = 0; i < sdp->s_nmedia; i++) {
		const struct sdp_media *m = &sdp->s_media[i];

		if (!m->m_appshare)
			continue;
		if (m->m_port != 0) {
			if (!sdp_str_eq(m->m_proto, "TCP/RTP/AVP") &&
			    !sdp_str_eq(m->m_proto, "TCP/RTP/SAVP"))
				return SDP_E_PROTO;
			if ((rc = sdpw_check_plan(&plan->p_media[k])) != 0)
				return rc;
		}
		k++;
	}

	memset(&o, 0, sizeof(o));
	o.o_p = out;
	o.o_cap = outlen;
	o.o_eol = sdp->s_eol == 1 ? "\n" : "\r\n";
	o.o_eollen = sdp->s_eol == 1 ? 1 : 2;
	for (i = 0; i < sdp->s_nsession; i++)
		sdpw_copy(&o, &sdp->s_lines[i]);
	for (i = 0, k = 0; i < sdp->s_nmedia; i++) {
		const struct sdp_media *m = &sdp->s_media[i];
		size_t j;

		if (!m->m_appshare) {
			if (plan->p_refuse_other && m->m_port != 0) {
				sdpw_section_refused(&o, sdp, m);
				continue;
			}
			for (j = m->m_line; j < m->m_line + m->m_nlines; j++)
				sdpw_copy(&o, &sdp->s_lines[j]);
			continue;
		}
		if (m->m_port == 0)
			sdpw_section_port0(&o, sdp, m, &plan->p_media[k]);
		else
			sdpw_section(&o, sdp, m, &plan->p_media[k]);
		k++;
	}
	if (sdp->s_trailer.s_len > 0) {
		sdpw_begin(&o);
		sdpw_bytes(&o, sdp->s_trailer.s_p, sdp->s_trailer.s_len);
	}
	*written = o.o_len;
	return o.o_over ? SDP_E_NOSPACE : 0;
}
