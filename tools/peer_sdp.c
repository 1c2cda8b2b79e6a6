/*
 * The SDP of appshare-peer: one m=applicationsharing line the way a Lync client
 * (MS-ICE2), an ICE-TCP device (RFC 6544) or a plain TCP device (RFC 4145) writes it
 * (protocol.md 1.2-1.5), and the few things we need back from the other side's.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "peer.h"
#include "sdp.h"

static const char *const peer_dialect_names[PEER_DIALECT_MAX] = {
	[PEER_MSICE2] = "ms-ice2",
	[PEER_RFC6544] = "rfc6544",
	[PEER_RFC4145] = "rfc4145",
};

static const char *const peer_setup_names[PEER_SETUP_MAX] = {
	[PEER_SETUP_NONE] = "none",
	[PEER_SETUP_ACTIVE] = "active",
	[PEER_SETUP_PASSIVE] = "passive",
	[PEER_SETUP_ACTPASS] = "actpass",
};

const char *
peer_dialect_name(enum peer_dialect d)
{
	return d < PEER_DIALECT_MAX ? peer_dialect_names[d] : "?";
}

const char *
peer_setup_name(enum peer_setup s)
{
	return s < PEER_SETUP_MAX ? peer_setup_names[s] : "?";
}

uint32_t
peer_sdp_prio(enum peer_dialect d, bool active, unsigned component, bool ipv6)
{
	int t = active ? CAND_TCP_ACTIVE : CAND_TCP_PASSIVE;

	if (d == PEER_MSICE2)
		return cand_prio_ms(t, (int)component, ipv6);
	return cand_prio_rfc(t, (int)component, ipv6);
}

/* Appender with a sticky overflow flag, so the writer reads top to bottom. */
struct ps_buf {
	char	*pb_p;
	size_t	 pb_cap;
	size_t	 pb_len;
	bool	 pb_full;
};

static void __attribute__((format(printf, 2, 3)))
ps_add(struct ps_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->pb_full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->pb_p + b->pb_len, b->pb_cap - b->pb_len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= b->pb_cap - b->pb_len) {
		b->pb_full = true;
		return;
	}
	b->pb_len += (size_t)n;
	memcpy(b->pb_p + b->pb_len, "\r\n", 2);
	b->pb_len += 2;
	b->pb_p[b->pb_len] = '\0';
}

static void
ps_cand(struct ps_buf *b, const struct peer_local *pl, const char *ip, bool v6,
    uint16_t port, bool active)
{
	unsigned comp, ncomp = pl->pl_dialect == PEER_MSICE2 ? 2 : 1;
	/* Lync lists IPv6 on a line of its own that older parsers skip (1.3). */
	const char *attr = v6 && pl->pl_dialect == PEER_MSICE2 ? "x-candidate-ipv6" :
	    "candidate";
	const char *fnd = active ? "2" : "1";
	uint32_t prio;

	for (comp = 1; comp <= ncomp; comp++) {
		prio = peer_sdp_prio(pl->pl_dialect, active, comp, v6);
		if (pl->pl_dialect == PEER_MSICE2)
			ps_add(b, "a=%s:%s %u %s %u %s %u typ host", attr, fnd, comp,
			    active ? "TCP-ACT" : "TCP-PASS", prio, ip, port);
		else
			ps_add(b, "a=%s:%s %u TCP %u %s %u typ host tcptype %s", attr, fnd,
			    comp, prio, ip, active ? 9u : port,
			    active ? "active" : "passive");
	}
}

int
peer_sdp_write(const struct peer_local *pl, uint64_t session_id, char *out, size_t cap)
{
	struct ps_buf b = { out, cap, 0, false };
	char ip[INET6_ADDRSTRLEN];
	bool v6 = pl->pl_addr.ss_family == AF_INET6;
	bool ice = pl->pl_dialect != PEER_RFC4145;
	bool passive = pl->pl_setup != PEER_SETUP_ACTIVE;
	bool active = pl->pl_setup != PEER_SETUP_PASSIVE;
	uint16_t port, mport;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	if (v6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&pl->pl_addr;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&pl->pl_addr;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		port = ntohs(s4->sin_port);
	}
	/* An endpoint that only connects has no port to offer (RFC 4145 4, RFC 6544 4.5). */
	mport = port;
	if (!passive && pl->pl_dialect != PEER_MSICE2)
		mport = 9;

	ps_add(&b, "v=0");
	ps_add(&b, "o=- %llu 0 IN %s %s", (unsigned long long)session_id, v6 ? "IP6" : "IP4",
	    ip);
	ps_add(&b, "s=appshare-peer");
	ps_add(&b, "c=IN %s %s", v6 ? "IP6" : "IP4", ip);
	ps_add(&b, "t=0 0");
	ps_add(&b, "m=applicationsharing %u TCP/RTP/AVP 127", mport);
	if (ice) {
		ps_add(&b, "a=ice-ufrag:%s", pl->pl_ufrag);
		ps_add(&b, "a=ice-pwd:%s", pl->pl_pwd);
		/* Lync lists TCP-ACT with the real passive port: zero ports were refused. */
		if (active)
			ps_cand(&b, pl, ip, v6, port, true);
		if (passive)
			ps_cand(&b, pl, ip, v6, port, false);
	}
	ps_add(&b, "a=rtcp:%u", mport);
	ps_add(&b, "a=rtpmap:127 x-data/90000");
	ps_add(&b, "a=connection:new");
	ps_add(&b, "a=setup:%s", peer_setup_name(pl->pl_setup));
	ps_add(&b, "a=x-applicationsharing-session-id:1");
	ps_add(&b, "a=x-applicationsharing-role:%s", pl->pl_offer ? "sharer" : "viewer");
	ps_add(&b, "a=x-applicationsharing-media-type:rdp");
	return b.pb_full ? -1 : (int)b.pb_len;
}

static int __attribute__((format(printf, 3, 4)))
ps_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool
ps_sockaddr(const struct sdp_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->a_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->a_bytes, 4);
		return true;
	}
	if (a->a_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->a_bytes, 16);
		return true;
	}
	return false;
}

/* Copy an attribute value (a=name:value) of lines [first, first + n) into out. */
static bool
ps_attr(const struct sdp *sdp, size_t first, size_t n, const char *name, char *out,
    size_t cap)
{
	const struct sdp_line *ln;
	size_t i;

	for (i = first; i < first + n; i++) {
		ln = &sdp->s_lines[i];
		if (ln->ln_type != 'a' || !sdp_str_eq(ln->ln_name, name))
			continue;
		if (ln->ln_value.s_len == 0 || ln->ln_value.s_len >= cap)
			return false;
		memcpy(out, ln->ln_value.s_p, ln->ln_value.s_len);
		out[ln->ln_value.s_len] = '\0';
		return true;
	}
	return false;
}

static bool
ps_attr2(const struct sdp *sdp, int mi, const char *name, char *out, size_t cap)
{
	size_t first, n;

	sdp_section_lines(sdp, mi, &first, &n);
	if (ps_attr(sdp, first, n, name, out, cap))
		return true;
	sdp_section_lines(sdp, -1, &first, &n);
	return ps_attr(sdp, first, n, name, out, cap);
}

int
peer_sdp_read(const char *text, size_t len, struct peer_remote *pr, char *err,
    size_t errlen)
{
	struct sdp *sdp;
	struct cand *cands = NULL;
	const struct sdp_media *m;
	const struct sdp_conn *cn;
	struct ice_cand *ic;
	char setup[16];
	size_t i, n, errline = 0;
	int mi, rc, ret = -1;

	memset(pr, 0, sizeof(*pr));
	if ((sdp = calloc(1, sizeof(*sdp))) == NULL ||
	    (cands = calloc(SDP_MAX_CANDS, sizeof(*cands))) == NULL) {
		ps_fail(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = sdp_parse(text, len, sdp)) != SDP_OK) {
		ps_fail(err, errlen, "line %zu: %s%s%s", sdp->s_errline, sdp_strerror(rc),
		    sdp->s_errwhy != NULL ? ": " : "",
		    sdp->s_errwhy != NULL ? sdp->s_errwhy : "");
		goto out;
	}
	if ((mi = sdp_appshare_index(sdp, 0)) < 0) {
		ps_fail(err, errlen, "no m=applicationsharing line");
		goto out;
	}
	m = &sdp->s_media[mi];
	if (m->m_port == 0) {
		ps_fail(err, errlen, "m=applicationsharing has port 0 (stream refused)");
		goto out;
	}

	pr->pr_have_creds = ps_attr2(sdp, mi, "ice-ufrag", pr->pr_creds.cr_ufrag,
	    sizeof(pr->pr_creds.cr_ufrag)) && ps_attr2(sdp, mi, "ice-pwd",
	    pr->pr_creds.cr_pwd, sizeof(pr->pr_creds.cr_pwd));
	if (ps_attr2(sdp, mi, "setup", setup, sizeof(setup))) {
		if (strcasecmp(setup, "active") == 0)
			pr->pr_setup = PEER_SETUP_ACTIVE;
		else if (strcasecmp(setup, "passive") == 0)
			pr->pr_setup = PEER_SETUP_PASSIVE;
		else if (strcasecmp(setup, "actpass") == 0)
			pr->pr_setup = PEER_SETUP_ACTPASS;
	}
	cn = m->m_conn.c_present ? &m->m_conn : &sdp->s_conn;
	if (cn->c_present)
		pr->pr_have_addr = ps_sockaddr(&cn->c_addr, m->m_port, &pr->pr_addr);

	if ((rc = cand_list(sdp, (size_t)mi, cands, SDP_MAX_CANDS, &n, &errline)) !=
	    SDP_OK) {
		ps_fail(err, errlen, "line %zu: %s", errline, sdp_strerror(rc));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (cands[i].c_transport != CAND_TR_TCP || pr->pr_ncand == ICE_MAX_REMOTE) {
			pr->pr_nskipped++;
			continue;
		}
		ic = &pr->pr_cand[pr->pr_ncand];
		memset(ic, 0, sizeof(*ic));
		if (!ps_sockaddr(&cands[i].c_addr, cands[i].c_port, &ic->ca_addr)) {
			pr->pr_nskipped++;
			continue;
		}
		ic->ca_component = cands[i].c_component;
		ic->ca_priority = cands[i].c_priority;
		ic->ca_tcptype = cands[i].c_tcptype == CAND_TCP_ACTIVE ? ICE_TCP_ACTIVE :
		    cands[i].c_tcptype == CAND_TCP_PASSIVE ? ICE_TCP_PASSIVE : ICE_TCP_SO;
		if (cands[i].c_foundation.s_len <= ICE_FOUNDATION_MAX)
			memcpy(ic->ca_foundation, cands[i].c_foundation.s_p,
			    cands[i].c_foundation.s_len);
		pr->pr_ncand++;
	}
	ret = 0;
out:
	free(cands);
	free(sdp);
	return ret;
}
