/*
 * Control commands and the workers' session messages (docs/internals.md "A session",
 * docs/control.md): offer, answer, delete, query, list, statistics, and the test hook.
 */
#include "master.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctl_json.h"
#include "ipc.h"
#include "log.h"
#include "sdp.h"
#include "snapshot.h"
#include "socks.h"

#define SESS_PORT_TRIES	8	/* ports taken by another program: try the next */
/* Errors of start recording (docs/control.md). */
#define SESSIONS_ERR_NO_CAPTURE		"Recording not configured (no capture-dir)"
#define SESSIONS_ERR_CAPTURE_FILE	"Cannot create the capture file"

/* What one appsharing m-line of an incoming SDP says. */
struct sess_media {
	int			 sm_mi;		/* index among all m-lines */
	enum ipc_dialect	 sm_dialect;
	enum ipc_proto		 sm_proto;
	struct ipc_sess_remote	 sm_remote;
	unsigned		 sm_ntcp;	/* TCP candidates */
};

static void
sessions_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	ssize_t r;

	while (n > 0) {
		if ((r = getrandom(p, n, 0)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		p += r;
		n -= (size_t)r;
	}
}

static json_t *
sessions_error(struct master *m, const char *reason)
{
	m->m_stats.mc_errors++;
	return ctlj_reply_error(reason);
}

/* ---- SDP helpers ------------------------------------------------------------------- */

/* a=<name> value of media section mi, else of the session part; "" if none. */
static int
sessions_attr(const struct sdp *sdp, int mi, const char *name, char *out, size_t outlen)
{
	size_t first, count, i;
	int pass;

	out[0] = '\0';
	for (pass = 0; pass < 2; pass++, mi = -1) {
		sdp_section_lines(sdp, mi, &first, &count);
		for (i = first; i < first + count; i++) {
			const struct sdp_line *ln = &sdp->s_lines[i];

			if (ln->ln_type != 'a' || !sdp_str_eq(ln->ln_name, name))
				continue;
			if (ln->ln_value.s_len >= outlen)
				return -1;
			memcpy(out, ln->ln_value.s_p, ln->ln_value.s_len);
			out[ln->ln_value.s_len] = '\0';
			return 0;
		}
		if (mi == -1)
			break;
	}
	return 0;
}

static void
sessions_addr(const struct sdp_addr *sa, uint16_t port, struct ipc_addr *ia)
{
	memset(ia, 0, sizeof(*ia));
	ia->ia_family = sa->a_family;
	ia->ia_port = port;
	memcpy(ia->ia_addr, sa->a_bytes, sa->a_family == AF_INET ? 4 : 16);
}

static uint32_t
sessions_tcptype(uint8_t t)
{
	switch (t) {
	case CAND_TCP_ACTIVE:
		return IPC_TCP_ACTIVE;
	case CAND_TCP_PASSIVE:
		return IPC_TCP_PASSIVE;
	default:
		return IPC_TCP_SO;
	}
}

/*
 * Read appsharing m-line mi: dialect, protocol, and the IPC_SESS_REMOTE for its leg.
 * -1 with *why on an SDP the relay cannot use.
 */
static int
sessions_media(const struct sdp *sdp, int mi, struct sess_media *sm, const char **why)
{
	static struct cand cands[SDP_MAX_CANDS];
	static struct sdp_addr addrs[SDP_MAX_ADDRS];
	struct ipc_sess_remote *sr = &sm->sm_remote;
	const struct sdp_media *md = &sdp->s_media[mi];
	const struct sdp_conn *cn;
	size_t n, na, errline, i;
	unsigned pass;

	memset(sm, 0, sizeof(*sm));
	sm->sm_mi = mi;
	sm->sm_proto = sdp_str_eq(md->m_proto, "TCP/RTP/SAVP") ? IPC_PROTO_TCP_RTP_SAVP :
	    IPC_PROTO_TCP_RTP_AVP;
	if (cand_list(sdp, (size_t)mi, cands, SDP_MAX_CANDS, &n, &errline) != SDP_OK) {
		*why = "bad or too many candidates";
		return -1;
	}
	sm->sm_dialect = reg_dialect_detect(cands, n);
	if (sessions_attr(sdp, mi, "ice-ufrag", sr->sr_ufrag, sizeof(sr->sr_ufrag)) == -1 ||
	    sessions_attr(sdp, mi, "ice-pwd", sr->sr_pwd, sizeof(sr->sr_pwd)) == -1) {
		*why = "ICE credentials too long";
		return -1;
	}
	/* Component 1 first: the agent keeps at most IPC_MAX_CANDS. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n && sr->sr_ncand < IPC_MAX_CANDS; i++) {
			const struct cand *c = &cands[i];
			struct ipc_cand *ic;

			if (c->c_transport != CAND_TR_TCP || c->c_addr.a_family == 0 ||
			    (pass == 0) != (c->c_component == 1))
				continue;
			sm->sm_ntcp++;
			ic = &sr->sr_cand[sr->sr_ncand++];
			sessions_addr(&c->c_addr, c->c_port, &ic->ca_addr);
			ic->ca_component = c->c_component;
			ic->ca_priority = c->c_priority;
			ic->ca_tcptype = sessions_tcptype(c->c_tcptype);
			snprintf(ic->ca_foundation, sizeof(ic->ca_foundation), "%.*s",
			    (int)c->c_foundation.s_len, c->c_foundation.s_p);
		}
	if (cand_addrs(sdp, (size_t)mi, addrs, SDP_MAX_ADDRS, &na) != SDP_OK) {
		*why = "too many candidate addresses";
		return -1;
	}
	for (i = 0; i < na && sr->sr_nallowed < IPC_MAX_ALLOWED; i++)
		sessions_addr(&addrs[i], 0, &sr->sr_allowed[sr->sr_nallowed++]);
	if (sm->sm_dialect == IPC_DIALECT_RFC4145) {
		cn = md->m_conn.c_present ? &md->m_conn : &sdp->s_conn;
		if (cn->c_present && cn->c_addr.a_family != 0 && md->m_port != 0) {
			sessions_addr(&cn->c_addr, md->m_port, &sr->sr_plain_peer);
			/* The peer's only address: D11 for a device without candidates. */
			sr->sr_nallowed = 1;
			sessions_addr(&cn->c_addr, 0, &sr->sr_allowed[0]);
		}
		sr->sr_ufrag[0] = sr->sr_pwd[0] = '\0';
	}
	return 0;
}

static enum ipc_dialect
sessions_dialect_key(enum ctlj_dialect d, enum ipc_dialect dflt)
{
	switch (d) {
	case CTLJ_DIALECT_MS_ICE2:
		return IPC_DIALECT_MSICE2;
	case CTLJ_DIALECT_RFC6544:
		return IPC_DIALECT_RFC6544;
	case CTLJ_DIALECT_RFC4145:
		return IPC_DIALECT_RFC4145;
	default:
		return dflt;
	}
}

static int
sessions_v6(const struct master *m)
{
	return socks_family(&m->m_conf.cf_media) == AF_INET6;
}

/* Our address on the media legs as the peers see it. */
static void
sessions_local(const struct master *m, uint16_t port, struct ipc_addr *ia)
{
	const struct as_conf *c = &m->m_conf;

	memset(ia, 0, sizeof(*ia));
	ia->ia_port = port;
	if (!sessions_v6(m)) {
		ia->ia_family = AF_INET;
		memcpy(ia->ia_addr, c->cf_advertised.ci_has4 ? c->cf_advertised.ci_ip4 :
		    c->cf_media.ci_ip4, 4);
	} else {
		ia->ia_family = AF_INET6;
		memcpy(ia->ia_addr, c->cf_advertised.ci_has6 ? c->cf_advertised.ci_ip6 :
		    c->cf_media.ci_ip6, 16);
	}
}

static void
sessions_plan(const struct master *m, const struct reg_sess *s, unsigned leg,
    struct sdpw_media_plan *mp)
{
	struct ipc_addr ia;

	memset(mp, 0, sizeof(*mp));
	switch (s->rs_dialect[leg]) {
	case IPC_DIALECT_MSICE2:
		mp->mp_dialect = SDPW_MSICE2;
		break;
	case IPC_DIALECT_RFC6544:
		mp->mp_dialect = SDPW_RFC6544;
		break;
	default:
		mp->mp_dialect = SDPW_RFC4145;
		break;
	}
	mp->mp_role = s->rs_active[leg] ? SDPW_ACTIVE : SDPW_PASSIVE;
	sessions_local(m, s->rs_port[leg], &ia);
	if (ia.ia_family == AF_INET) {
		mp->mp_has_ip4 = 1;
		memcpy(mp->mp_ip4, ia.ia_addr, 4);
	} else {
		mp->mp_has_ip6 = 1;
		memcpy(mp->mp_ip6, ia.ia_addr, 16);
	}
	mp->mp_port = s->rs_port[leg];
	if (mp->mp_dialect != SDPW_RFC4145) {
		mp->mp_ufrag = s->rs_ufrag[leg];
		mp->mp_pwd = s->rs_pwd[leg];
	}
}

/* other-media: the request's key or flag, else the configuration's default. */
static bool
sessions_refuse_other(const struct master *m, const struct ctl_req *req)
{
	if (req->cr_other_media != CTLJ_OTHER_DEFAULT)
		return req->cr_other_media == CTLJ_OTHER_REFUSE;
	return m->m_conf.cf_other_media == CONF_OTHER_REFUSE;
}

static json_t *
sessions_rewrite(struct master *m, const struct sdp *sdp, struct reg_call *c, unsigned n,
    unsigned leg, bool refuse_other)
{
	struct sdpw_media_plan mp[REG_MAX_STREAMS];
	struct sdpw_plan plan;
	json_t *reply;
	size_t written;
	unsigned k;
	int rc;

	for (k = 0; k < n; k++)
		sessions_plan(m, c->rc_sess[k], leg, &mp[k]);
	plan.p_media = mp;
	plan.p_nmedia = n;
	plan.p_refuse_other = refuse_other;
	if ((rc = sdpw_rewrite(sdp, &plan, m->m_sdpbuf, m->m_sdpbuf_len,
	    &written)) != SDP_OK) {
		log_warnx("call-id %s: SDP rewrite: %s", c->rc_call_id, sdp_strerror(rc));
		return sessions_error(m, CTLJ_ERR_SDP_PARSE);
	}
	if ((reply = ctlj_reply_ok(NULL)) == NULL ||
	    json_object_set_new(reply, "sdp", json_stringn(m->m_sdpbuf, written)) == -1) {
		json_decref(reply);
		return NULL;
	}
	return reply;
}

static void
sessions_record_remote(struct reg_sess *s, unsigned leg, const struct ipc_sess_remote *sr)
{
	unsigned i;

	for (i = 0; i < sr->sr_ncand; i++)
		if (sr->sr_cand[i].ca_tcptype != IPC_TCP_ACTIVE)
			(void)reg_sess_add_remote(s, leg, &sr->sr_cand[i].ca_addr);
	if (sr->sr_plain_peer.ia_family != 0)
		(void)reg_sess_add_remote(s, leg, &sr->sr_plain_peer);
}

static void
sessions_send_remote(struct master *m, struct reg_sess *s, unsigned leg,
    struct ipc_sess_remote *sr)
{
	sr->sr_leg = leg;
	sessions_record_remote(s, leg, sr);
	(void)master_send_worker(m, s->rs_worker, IPC_SESS_REMOTE, s->rs_handle, s->rs_gen,
	    sr, sizeof(*sr), -1);
}

/* ---- offer ------------------------------------------------------------------------ */

static void
sessions_leg_params(const struct master *m, const struct reg_sess *s, unsigned leg,
    struct ipc_leg_params *lp)
{
	int v6 = sessions_v6(m), ms = s->rs_dialect[leg] == IPC_DIALECT_MSICE2;

	memset(lp, 0, sizeof(*lp));
	lp->lp_dialect = s->rs_dialect[leg];
	lp->lp_controlling = leg == SHM_LEG_B;
	lp->lp_passive = !s->rs_active[leg];
	lp->lp_active = s->rs_active[leg];
	lp->lp_filtering = m->m_conf.cf_source_filtering;
	lp->lp_tiebreaker = s->rs_tiebreaker[leg];
	sessions_local(m, s->rs_port[leg], &lp->lp_local);
	snprintf(lp->lp_ufrag, sizeof(lp->lp_ufrag), "%s", s->rs_ufrag[leg]);
	snprintf(lp->lp_pwd, sizeof(lp->lp_pwd), "%s", s->rs_pwd[leg]);
	/* What sdpw_rewrite() signals for our first candidate of each direction. */
	snprintf(lp->lp_foundation, sizeof(lp->lp_foundation), "1");
	lp->lp_prio_passive = ms ? cand_prio_ms(CAND_TCP_PASSIVE, 1, v6) :
	    cand_prio_rfc(CAND_TCP_PASSIVE, 1, v6);
	lp->lp_prio_active = ms ? cand_prio_ms(CAND_TCP_ACTIVE, 1, v6) :
	    cand_prio_rfc(CAND_TCP_ACTIVE, 1, v6);
}

/*
 * Tap session s (pcap): a new file in capture-dir, handed to its worker.  0, or -1
 * when the file cannot be created (logged).  A session already tapped is left alone.
 */
static int
sessions_tap_start(struct master *m, const struct reg_call *c, struct reg_sess *s)
{
	struct ipc_tap_fd tf;
	int fd;

	if (s->rs_tap)
		return 0;
	memset(&tf, 0, sizeof(tf));
	tf.tf_max_size = m->m_conf.cf_capture_max_size;
	if ((fd = files_capture_open(&m->m_capture, c->rc_call_id, s->rs_handle, s->rs_gen,
	    master_now_ms(), tf.tf_name, sizeof(tf.tf_name))) == -1)
		return -1;
	log_info("call-id %s stream %u: recording into %s/%s", c->rc_call_id,
	    s->rs_ordinal, m->m_capture.fp_dir, tf.tf_name);
	s->rs_tap = true;
	(void)master_send_worker(m, s->rs_worker, IPC_TAP_FD, s->rs_handle, s->rs_gen,
	    &tf, sizeof(tf), fd);
	return 0;
}

static void
sessions_send_new(struct master *m, struct reg_call *c, struct reg_sess *s, int lfd[2])
{
	struct ipc_sess_new sn;
	struct ipc_sess_fd sf;
	unsigned leg;

	memset(&sn, 0, sizeof(sn));
	sn.sn_slot = s->rs_slot;
	sn.sn_proto = s->rs_proto;
	sn.sn_start_rt_ms = s->rs_created_ms;
	sn.sn_ice_timeout_ms = (uint32_t)m->m_conf.cf_ice_timeout_ms;
	sn.sn_idle_timeout_ms = (uint32_t)m->m_conf.cf_idle_timeout_ms;
	snprintf(sn.sn_call_id, sizeof(sn.sn_call_id), "%s", c->rc_call_id);
	snprintf(sn.sn_from_tag, sizeof(sn.sn_from_tag), "%s", c->rc_from_tag);
	snprintf(sn.sn_to_tag, sizeof(sn.sn_to_tag), "%s", c->rc_to_tag);
	for (leg = 0; leg < 2; leg++)
		sessions_leg_params(m, s, leg, &sn.sn_leg[leg]);
	(void)master_send_worker(m, s->rs_worker, IPC_SESS_NEW, s->rs_handle, s->rs_gen,
	    &sn, sizeof(sn), -1);
	for (leg = 0; leg < 2; leg++) {
		if (lfd[leg] == -1)
			continue;
		memset(&sf, 0, sizeof(sf));
		sf.sd_leg = leg;
		sf.sd_kind = IPC_SOCK_LISTEN;
		(void)master_send_worker(m, s->rs_worker, IPC_SESS_FD, s->rs_handle,
		    s->rs_gen, &sf, sizeof(sf), lfd[leg]);
		lfd[leg] = -1;
	}
	/* capture-all: from the first byte, so that ICE is in the file too. */
	if (m->m_conf.cf_capture_all && m->m_capture.fp_dirfd != -1)
		(void)sessions_tap_start(m, c, s);
}

/* A port and, when the leg is passive, its listener.  0, or -1 (out of ports). */
static int
sessions_port(struct master *m, bool listen, uint16_t *port, int *lfd)
{
	uint32_t rnd;
	int i, rc;

	*lfd = -1;
	for (i = 0; i < SESS_PORT_TRIES; i++) {
		sessions_random(&rnd, sizeof(rnd));
		if ((rc = ports_alloc(&m->m_ports, master_mono_ms(), rnd, port)) != PORTS_OK)
			return -1;
		if (!listen)
			return 0;
		if ((*lfd = socks_listen(&m->m_conf.cf_media, *port)) != -1)
			return 0;
		log_warn("media port %u", *port);
		/* Taken by someone else: leave it quarantined and try another. */
		(void)ports_release(&m->m_ports, master_mono_ms(), *port);
	}
	return -1;
}

static void
sessions_release_ports(struct master *m, struct reg_sess *s)
{
	unsigned leg;

	for (leg = 0; leg < 2; leg++)
		if (s->rs_port[leg] != 0 &&
		    ports_release(&m->m_ports, master_mono_ms(), s->rs_port[leg]) != PORTS_OK)
			log_warnx("session %u: port %u was not in use", s->rs_handle,
			    s->rs_port[leg]);
}

static json_t *
sessions_offer(struct master *m, struct ctl_req *req, const char *peer)
{
	static struct sess_media media[REG_MAX_STREAMS];
	int lfd[REG_MAX_STREAMS][2];
	bool isnew[REG_MAX_STREAMS];
	struct sdp *sdp = m->m_sdp;
	struct reg_call *c;
	struct reg_sess *s, *created[REG_MAX_STREAMS];
	const char *why = NULL;
	bool newcall = false, reused = true, refuse;
	unsigned n, k, nnew = 0, ncreated = 0;
	uint8_t rnd[REG_UFRAG_LEN + REG_PWD_LEN];
	char ports[64] = "";
	json_t *reply;
	int rc, mi;

	if ((rc = sdp_parse(req->cr_sdp.s, req->cr_sdp.len, sdp)) != SDP_OK) {
		log_info("offer call-id %s from-tag %s: SDP line %zu: %s", req->cr_call_id.s,
		    req->cr_from_tag.s, sdp->s_errline, sdp->s_errwhy != NULL ?
		    sdp->s_errwhy : sdp_strerror(rc));
		return sessions_error(m, CTLJ_ERR_SDP_PARSE);
	}
	if ((n = (unsigned)sdp_appshare_count(sdp)) == 0) {
		log_info("offer call-id %s from-tag %s: no appsharing stream, SDP unchanged",
		    req->cr_call_id.s, req->cr_from_tag.s);
		reply = ctlj_reply_ok(NULL);
		if (reply != NULL)
			json_object_set_new(reply, "sdp", json_stringn(req->cr_sdp.s,
			    req->cr_sdp.len));
		return reply;
	}
	if (req->cr_call_id.len > IPC_CALLID_MAX || req->cr_from_tag.len > IPC_TAG_MAX) {
		log_info("offer call-id %.40s...: call-id or from-tag too long",
		    req->cr_call_id.s);
		return sessions_error(m, CTLJ_ERR_DIALOGUE);
	}
	for (k = 0; k < n; k++) {
		mi = sdp_appshare_index(sdp, k);
		if (sessions_media(sdp, mi, &media[k], &why) == -1) {
			log_info("offer call-id %s from-tag %s: m-line %d: %s",
			    req->cr_call_id.s, req->cr_from_tag.s, mi + 1, why);
			return sessions_error(m, CTLJ_ERR_SDP_PARSE);
		}
	}
	if ((c = reg_call_find(&m->m_reg, req->cr_call_id.s)) != NULL &&
	    strcmp(c->rc_from_tag, req->cr_from_tag.s) != 0) {
		log_info("offer call-id %s from-tag %s: the call was offered by from-tag %s",
		    req->cr_call_id.s, req->cr_from_tag.s, c->rc_from_tag);
		return sessions_error(m, CTLJ_ERR_DIALOGUE);
	}
	for (k = 0; k < n; k++)
		if (c == NULL || c->rc_sess[k] == NULL)
			nnew++;
	if (nnew > 0 && m->m_reg.rg_live + nnew > m->m_conf.cf_max_sessions) {
		m->m_stats.mc_load_limit++;
		log_info("offer call-id %s from-tag %s: max-sessions %u reached",
		    req->cr_call_id.s, req->cr_from_tag.s, m->m_conf.cf_max_sessions);
		return ctlj_reply_limit(req, CTLJ_ERR_SESSION_LIMIT);
	}
	if (c == NULL) {
		if ((c = reg_call_new(&m->m_reg, req->cr_call_id.s, req->cr_from_tag.s,
		    master_now_ms())) == NULL)
			return NULL;
		newcall = true;
	}
	c->rc_last_signal_ms = master_now_ms();

	/* Every resource first, so that a failure leaves nothing behind. */
	for (k = 0; k < n; k++) {
		lfd[k][0] = lfd[k][1] = -1;
		isnew[k] = c->rc_sess[k] == NULL;
	}
	for (k = 0; k < n; k++) {
		if (!isnew[k])
			continue;
		reused = false;
		if ((s = reg_sess_new(&m->m_reg, c, k)) == NULL) {
			m->m_stats.mc_load_limit++;
			reply = ctlj_reply_limit(req, CTLJ_ERR_SESSION_LIMIT);
			goto fail;
		}
		created[ncreated++] = s;
		s->rs_mline = (unsigned)media[k].sm_mi;
		s->rs_proto = (uint8_t)media[k].sm_proto;
		s->rs_created_ms = master_now_ms();
		s->rs_dialect[SHM_LEG_A] = (uint8_t)media[k].sm_dialect;
		s->rs_dialect[SHM_LEG_B] = (uint8_t)sessions_dialect_key(req->cr_dialect,
		    media[k].sm_dialect);
		s->rs_active[SHM_LEG_A] = 0;
		s->rs_active[SHM_LEG_B] = req->cr_initiate_tcp == CTLJ_YES ||
		    (req->cr_initiate_tcp == CTLJ_UNSET && m->m_conf.cf_initiate_tcp);
		if (sessions_port(m, true, &s->rs_port[0], &lfd[k][0]) == -1 ||
		    sessions_port(m, !s->rs_active[1], &s->rs_port[1], &lfd[k][1]) == -1) {
			m->m_stats.mc_no_ports++;
			log_warnx("offer call-id %s from-tag %s: out of ports",
			    req->cr_call_id.s, req->cr_from_tag.s);
			reply = sessions_error(m, CTLJ_ERR_NO_PORTS);
			goto fail;
		}
		sessions_random(rnd, sizeof(rnd));
		reg_ice_chars(rnd, REG_UFRAG_LEN, s->rs_ufrag[0]);
		reg_ice_chars(rnd + REG_UFRAG_LEN, REG_PWD_LEN, s->rs_pwd[0]);
		sessions_random(rnd, sizeof(rnd));
		reg_ice_chars(rnd, REG_UFRAG_LEN, s->rs_ufrag[1]);
		reg_ice_chars(rnd + REG_UFRAG_LEN, REG_PWD_LEN, s->rs_pwd[1]);
		sessions_random(s->rs_tiebreaker, sizeof(s->rs_tiebreaker));
	}
	for (k = 0; k < n; k++) {
		s = c->rc_sess[k];
		if (isnew[k])
			sessions_send_new(m, c, s, lfd[k]);
		sessions_send_remote(m, s, SHM_LEG_A, &media[k].sm_remote);
		snprintf(ports + strlen(ports), sizeof(ports) - strlen(ports), "%s%u/%u",
		    k > 0 ? ", " : "", s->rs_port[0], s->rs_port[1]);
	}
	s = c->rc_sess[0];
	refuse = sessions_refuse_other(m, req);
	log_info("offer call-id %s from-tag %s: %u appsharing stream%s, ports %s, leg B %s "
	    "%s, other-media %s%s", c->rc_call_id, c->rc_from_tag, n, n == 1 ? "" : "s",
	    ports, reg_dialect_name(s->rs_dialect[1]), s->rs_active[1] ? "active" : "passive",
	    refuse ? "refuse" : "pass", reused ? " (repeated offer)" : "");
	(void)peer;
	return sessions_rewrite(m, sdp, c, n, SHM_LEG_B, refuse);

 fail:
	for (k = 0; k < n; k++) {
		if (lfd[k][0] != -1)
			close(lfd[k][0]);
		if (lfd[k][1] != -1)
			close(lfd[k][1]);
	}
	for (k = 0; k < ncreated; k++) {
		sessions_release_ports(m, created[k]);
		reg_sess_free(&m->m_reg, created[k]);
	}
	if (newcall)
		reg_call_free(&m->m_reg, c);
	return reply;
}

/* ---- answer ------------------------------------------------------------------------ */

static json_t *
sessions_answer(struct master *m, struct ctl_req *req, const char *peer)
{
	static struct sess_media media[REG_MAX_STREAMS];
	struct sdp *sdp = m->m_sdp;
	struct reg_call *c;
	const char *why = NULL;
	unsigned n, k;
	bool refuse;
	int rc, mi;

	if ((c = reg_call_find(&m->m_reg, req->cr_call_id.s)) == NULL) {
		log_info("answer call-id %s: unknown call", req->cr_call_id.s);
		return sessions_error(m, CTLJ_ERR_UNKNOWN_CALL);
	}
	if (strcmp(c->rc_from_tag, req->cr_from_tag.s) != 0) {
		log_info("answer call-id %s from-tag %s: the call was offered by from-tag %s",
		    c->rc_call_id, req->cr_from_tag.s, c->rc_from_tag);
		return sessions_error(m, CTLJ_ERR_DIALOGUE);
	}
	if (req->cr_to_tag.len > IPC_TAG_MAX)
		return sessions_error(m, CTLJ_ERR_DIALOGUE);
	if ((rc = sdp_parse(req->cr_sdp.s, req->cr_sdp.len, sdp)) != SDP_OK) {
		log_info("answer call-id %s to-tag %s: SDP line %zu: %s", c->rc_call_id,
		    req->cr_to_tag.s, sdp->s_errline, sdp->s_errwhy != NULL ?
		    sdp->s_errwhy : sdp_strerror(rc));
		return sessions_error(m, CTLJ_ERR_SDP_PARSE);
	}
	n = (unsigned)sdp_appshare_count(sdp);
	for (k = 0; k < n; k++) {
		if (k >= c->rc_nsess || c->rc_sess[k] == NULL) {
			log_info("answer call-id %s to-tag %s: appsharing stream %u was not "
			    "offered (or has ended)", c->rc_call_id, req->cr_to_tag.s, k + 1);
			return sessions_error(m, CTLJ_ERR_SDP_INCOMPLETE);
		}
		mi = sdp_appshare_index(sdp, k);
		if (sessions_media(sdp, mi, &media[k], &why) == -1) {
			log_info("answer call-id %s to-tag %s: m-line %d: %s", c->rc_call_id,
			    req->cr_to_tag.s, mi + 1, why);
			return sessions_error(m, CTLJ_ERR_SDP_PARSE);
		}
	}
	if (c->rc_to_tag[0] != '\0' && strcmp(c->rc_to_tag, req->cr_to_tag.s) != 0)
		log_info("answer call-id %s: to-tag %s replaces %s", c->rc_call_id,
		    req->cr_to_tag.s, c->rc_to_tag);
	snprintf(c->rc_to_tag, sizeof(c->rc_to_tag), "%s", req->cr_to_tag.s);
	c->rc_last_signal_ms = master_now_ms();
	for (k = 0; k < n; k++) {
		struct reg_sess *s = c->rc_sess[k];

		if (media[k].sm_dialect != s->rs_dialect[SHM_LEG_B])
			log_info("answer call-id %s: stream %u: B answered in %s, we offered %s",
			    c->rc_call_id, k + 1, reg_dialect_name(media[k].sm_dialect),
			    reg_dialect_name(s->rs_dialect[SHM_LEG_B]));
		snprintf(media[k].sm_remote.sr_to_tag, sizeof(media[k].sm_remote.sr_to_tag),
		    "%s", c->rc_to_tag);
		sessions_send_remote(m, s, SHM_LEG_B, &media[k].sm_remote);
	}
	if (req->cr_dialect != CTLJ_DIALECT_DEFAULT && n > 0 &&
	    sessions_dialect_key(req->cr_dialect, 0) != c->rc_sess[0]->rs_dialect[SHM_LEG_A])
		log_info("answer call-id %s: dialect %s ignored: leg A keeps its own dialect",
		    c->rc_call_id, ctlj_dialect_name(req->cr_dialect));
	refuse = sessions_refuse_other(m, req);
	log_info("answer call-id %s from-tag %s to-tag %s: %u appsharing stream%s%s",
	    c->rc_call_id, c->rc_from_tag, c->rc_to_tag, n, n == 1 ? "" : "s",
	    n == 0 ? "" : refuse ? ", other-media refuse" : ", other-media pass");
	(void)peer;
	if (n == 0) {
		json_t *reply = ctlj_reply_ok(NULL);

		if (reply != NULL)
			json_object_set_new(reply, "sdp", json_stringn(req->cr_sdp.s,
			    req->cr_sdp.len));
		return reply;
	}
	return sessions_rewrite(m, sdp, c, n, SHM_LEG_A, refuse);
}

/* ---- statistics of a call ------------------------------------------------------------ */

static const struct shm_slot *
sessions_slot(const struct master *m, const struct reg_sess *s)
{
	const struct master_worker *mw = &m->m_w[s->rs_worker];

	if (mw->mw_seg == NULL || s->rs_slot >= m->m_nslots)
		return NULL;
	return (const struct shm_slot *)((const char *)mw->mw_seg +
	    mw->mw_geom.sg_slots_off) + s->rs_slot;
}

static int
sessions_call_stats(struct master *m, const struct reg_call *c, json_t *reply)
{
	struct reg_leg_stats ls[2];
	struct snap sn;
	const struct shm_slot *sl;
	unsigned k, leg;
	bool have;

	if (reg_stats_begin(reply, c->rc_created_ms, c->rc_last_signal_ms) == -1)
		return -1;
	for (k = 0; k < c->rc_nsess; k++) {
		const struct reg_sess *s = c->rc_sess[k];

		if (s == NULL)
			continue;
		have = false;
		if ((sl = sessions_slot(m, s)) != NULL &&
		    snap_slot(sl, &sn, SNAP_LIVE) == SNAP_OK && sn.sn_state != SHM_ST_FREE &&
		    strncmp(sn.sn_callid, c->rc_call_id, sizeof(sn.sn_callid)) == 0)
			have = true;
		memset(ls, 0, sizeof(ls));
		ls[0].ls_tag = c->rc_from_tag;
		ls[1].ls_tag = c->rc_to_tag;
		for (leg = 0; leg < 2; leg++) {
			ls[leg].ls_local_port = s->rs_port[leg];
			if (!have)
				continue;
			ls[leg].ls_remote = sn.sn_ep[leg][SHM_EP_REMOTE];
			ls[leg].ls_packets = sn.sn_frames[leg][SHM_DIR_IN];
			ls[leg].ls_bytes = sn.sn_octets[leg][SHM_DIR_IN];
			ls[leg].ls_stun = sn.sn_stun[leg][SHM_DIR_IN];
		}
		if (reg_stats_add(reply, s->rs_mline, (enum ipc_proto)s->rs_proto, ls) == -1)
			return -1;
	}
	return 0;
}

/* ---- delete, query, list, statistics ------------------------------------------------ */

static bool
sessions_tag_match(const struct reg_call *c, const struct ctl_req *req)
{
	if (req->cr_from_tag.s == NULL)
		return true;
	return strcmp(c->rc_from_tag, req->cr_from_tag.s) == 0 ||
	    (c->rc_to_tag[0] != '\0' && strcmp(c->rc_to_tag, req->cr_from_tag.s) == 0);
}

static json_t *
sessions_delete(struct master *m, struct ctl_req *req, const char *peer)
{
	struct ipc_sess_end se;
	struct reg_call *c;
	json_t *reply;
	unsigned k, n = 0;

	c = reg_call_find(&m->m_reg, req->cr_call_id.s);
	if (c == NULL || !sessions_tag_match(c, req)) {
		log_info("delete call-id %s: unknown call", req->cr_call_id.s);
		if (req->cr_flags & CTLJ_F_FATAL)
			return sessions_error(m, CTLJ_ERR_NOT_FOUND);
		return ctlj_reply_ok(CTLJ_ERR_NOT_FOUND);
	}
	if ((reply = ctlj_reply_ok(NULL)) == NULL)
		return NULL;
	if (!(req->cr_flags & CTLJ_F_FAST) && sessions_call_stats(m, c, reply) == -1) {
		json_decref(reply);
		return NULL;
	}
	memset(&se, 0, sizeof(se));
	se.se_reason = CDR_R_DELETED;
	for (k = 0; k < c->rc_nsess; k++) {
		struct reg_sess *s = c->rc_sess[k];

		if (s == NULL)
			continue;
		(void)master_send_worker(m, s->rs_worker, IPC_SESS_END, s->rs_handle,
		    s->rs_gen, &se, sizeof(se), -1);
		n++;
	}
	log_info("delete call-id %s from-tag %s: %u appsharing stream%s ended",
	    c->rc_call_id, c->rc_from_tag, n, n == 1 ? "" : "s");
	(void)peer;
	reg_call_free(&m->m_reg, c);
	return reply;
}

/*
 * start recording / stop recording: tap every live stream of the call (docs/control.md
 * "start recording").  The files are named in the log; the reply is plain "ok".
 */
static json_t *
sessions_recording(struct master *m, struct ctl_req *req, const char *peer)
{
	bool start = req->cr_cmd == CTL_CMD_START_RECORDING;
	const char *what = start ? "start recording" : "stop recording";
	struct reg_call *c;
	unsigned k, n = 0;

	if (start && m->m_capture.fp_dirfd == -1) {
		log_info("control %s: %s call-id %s: no capture-dir", peer, what,
		    req->cr_call_id.s);
		return sessions_error(m, SESSIONS_ERR_NO_CAPTURE);
	}
	c = reg_call_find(&m->m_reg, req->cr_call_id.s);
	if (c == NULL || !sessions_tag_match(c, req)) {
		log_info("control %s: %s call-id %s: unknown call", peer, what,
		    req->cr_call_id.s);
		return sessions_error(m, CTLJ_ERR_UNKNOWN_CALL);
	}
	for (k = 0; k < c->rc_nsess; k++) {
		struct reg_sess *s = c->rc_sess[k];

		if (s == NULL || s->rs_state != REG_SS_LIVE)
			continue;
		if (start) {
			if (sessions_tap_start(m, c, s) == -1)
				return sessions_error(m, SESSIONS_ERR_CAPTURE_FILE);
		} else if (s->rs_tap) {
			s->rs_tap = false;
			(void)master_send_worker(m, s->rs_worker, IPC_TAP_STOP, s->rs_handle,
			    s->rs_gen, NULL, 0, -1);
		}
		n++;
	}
	log_info("control %s: %s call-id %s: %u stream%s", peer, what, c->rc_call_id, n,
	    n == 1 ? "" : "s");
	return ctlj_reply_ok(NULL);
}

static json_t *
sessions_query(struct master *m, struct ctl_req *req)
{
	struct reg_call *c;
	json_t *reply;

	c = reg_call_find(&m->m_reg, req->cr_call_id.s);
	if (c == NULL || !sessions_tag_match(c, req)) {
		log_info("query call-id %s: unknown call", req->cr_call_id.s);
		return sessions_error(m, CTLJ_ERR_UNKNOWN_CALL);
	}
	log_info("query call-id %s", c->rc_call_id);
	if ((reply = ctlj_reply_ok(NULL)) == NULL)
		return NULL;
	if (sessions_call_stats(m, c, reply) == -1) {
		json_decref(reply);
		return NULL;
	}
	return reply;
}

/* An endpoint as in the statistics: {family, address, port}, or {} when unknown. */
static json_t *
sessions_endpoint(const struct shm_addr *a)
{
	char txt[INET6_ADDRSTRLEN];
	int af = a->sa_family == SHM_AF_INET ? AF_INET : AF_INET6;

	if ((a->sa_family != SHM_AF_INET && a->sa_family != SHM_AF_INET6) ||
	    inet_ntop(af, a->sa_addr, txt, sizeof(txt)) == NULL)
		return json_object();
	return json_pack("{s:s,s:s,s:i}", "family", af == AF_INET ? "IPv4" : "IPv6",
	    "address", txt, "port", (int)a->sa_port);
}

/* list with details=yes (appshare-ctl sessions): one entry per live session. */
static json_t *
sessions_detail(struct master *m, const struct reg_call *c, const struct reg_sess *s)
{
	static const char *const dirs[SHM_NDIRS] = { "in", "out" };
	const struct shm_slot *sl;
	struct shm_addr local;
	struct ipc_addr ia;
	struct snap sn;
	json_t *o, *legs, *lg;
	char key[16];
	bool have;
	unsigned leg, d;

	have = (sl = sessions_slot(m, s)) != NULL &&
	    snap_slot(sl, &sn, SNAP_LIVE) == SNAP_OK && sn.sn_state != SHM_ST_FREE &&
	    strncmp(sn.sn_callid, c->rc_call_id, sizeof(sn.sn_callid)) == 0;
	o = json_pack("{s:s,s:s,s:s,s:i,s:s,s:I,s:i}", "call-id", c->rc_call_id,
	    "from-tag", c->rc_from_tag, "to-tag", c->rc_to_tag,
	    "stream", (int)s->rs_ordinal + 1,
	    "state", s->rs_worker_state == IPC_SESS_RELAYING ? "relaying" : "connecting",
	    "age", (json_int_t)((master_now_ms() - s->rs_created_ms) / 1000),
	    "worker", (int)s->rs_worker);
	if (o == NULL || (legs = json_array()) == NULL ||
	    json_object_set_new(o, "legs", legs) == -1) {
		json_decref(o);
		return NULL;
	}
	for (leg = 0; leg < SHM_NLEGS; leg++) {
		memset(&local, 0, sizeof(local));
		if (have && sn.sn_ep[leg][SHM_EP_LOCAL].sa_family != SHM_AF_NONE)
			local = sn.sn_ep[leg][SHM_EP_LOCAL];
		else {
			sessions_local(m, s->rs_port[leg], &ia);
			local.sa_family = ia.ia_family == AF_INET ? SHM_AF_INET : SHM_AF_INET6;
			local.sa_port = s->rs_port[leg];
			memcpy(local.sa_addr, ia.ia_addr, 16);
		}
		lg = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "leg", leg == 0 ? "A" : "B",
		    "tag", leg == 0 ? c->rc_from_tag : c->rc_to_tag,
		    "dialect", reg_dialect_name(s->rs_dialect[leg]),
		    "tcp", s->rs_active[leg] ? "active" : "passive",
		    "local", sessions_endpoint(&local),
		    "remote", have ? sessions_endpoint(&sn.sn_ep[leg][SHM_EP_REMOTE]) :
		    json_object());
		if (lg == NULL) {
			json_decref(o);
			return NULL;
		}
		for (d = 0; d < SHM_NDIRS; d++) {
			snprintf(key, sizeof(key), "frames %s", dirs[d]);
			json_object_set_new(lg, key, json_integer(have ?
			    (json_int_t)sn.sn_frames[leg][d] : 0));
			snprintf(key, sizeof(key), "bytes %s", dirs[d]);
			json_object_set_new(lg, key, json_integer(have ?
			    (json_int_t)sn.sn_octets[leg][d] : 0));
		}
		json_array_append_new(legs, lg);
	}
	return o;
}

/* A yes/no request key the codec does not know: "yes", true, 1. */
static bool
sessions_key_yes(const struct ctl_req *req, const char *key)
{
	json_t *v = req->cr_root != NULL ? json_object_get(req->cr_root, key) : NULL;
	const char *t;

	if (json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0))
		return true;
	if ((t = json_string_value(v)) == NULL)
		return false;
	return strcasecmp(t, "yes") == 0 || strcasecmp(t, "true") == 0 ||
	    strcasecmp(t, "on") == 0 || strcmp(t, "1") == 0;
}

static json_t *
sessions_list(struct master *m, struct ctl_req *req)
{
	struct reg_call *c;
	json_t *reply, *calls, *details = NULL, *d;
	int64_t n = 0;
	unsigned k;

	if ((reply = ctlj_reply_ok(NULL)) == NULL || (calls = json_array()) == NULL ||
	    json_object_set_new(reply, "calls", calls) == -1) {
		json_decref(reply);
		return NULL;
	}
	/* An appshare addition: rtpengine's list has only "calls". */
	if (sessions_key_yes(req, "details") && ((details = json_array()) == NULL ||
	    json_object_set_new(reply, "sessions", details) == -1)) {
		json_decref(reply);
		return NULL;
	}
	TAILQ_FOREACH(c, &m->m_reg.rg_calls, rc_entry) {
		if (n++ >= req->cr_limit)
			break;
		json_array_append_new(calls, json_string(c->rc_call_id));
		for (k = 0; details != NULL && k < c->rc_nsess; k++) {
			if (c->rc_sess[k] == NULL)
				continue;
			if ((d = sessions_detail(m, c, c->rc_sess[k])) == NULL) {
				json_decref(reply);
				return NULL;
			}
			json_array_append_new(details, d);
		}
	}
	log_info("list: %zu call%s", json_array_size(calls),
	    json_array_size(calls) == 1 ? "" : "s");
	return reply;
}

static json_t *
sessions_statistics(struct master *m)
{
	struct ctl_stats cs;
	struct ports_stats ps;
	struct master_totals tot;
	json_t *reply, *st, *workers, *w, *relay;
	unsigned i;

	memset(&cs, 0, sizeof(cs));
	if (m->m_ctl != NULL)
		ctl_get_stats(m->m_ctl, &cs);
	ports_stats(&m->m_ports, master_mono_ms(), &ps);
	if ((reply = ctlj_reply_ok(NULL)) == NULL || (workers = json_array()) == NULL) {
		json_decref(reply);
		return NULL;
	}
	for (i = 0; i < m->m_nworkers; i++) {
		const struct master_worker *mw = &m->m_w[i];
		const struct shm_totals *t = (const struct shm_totals *)
		    ((const char *)mw->mw_seg + mw->mw_geom.sg_totals_off);

		w = json_pack("{s:i,s:I,s:i,s:s,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		    "index", (int)i, "pid", (json_int_t)mw->mw_proc.pr_pid,
		    "epoch", (int)mw->mw_epoch,
		    "state", mw->mw_proc.pr_state == PROC_READY ? "ready" :
		    mw->mw_proc.pr_state == PROC_DOWN ? "down" : "starting",
		    "restarts", (int)mw->mw_proc.pr_restarts,
		    "sessions", (int)m->m_reg.rg_w[i].rw_nsess,
		    "accepted", (json_int_t)atomic_load(&t->wt_accepted),
		    "policy denied", (json_int_t)atomic_load(&t->wt_policy_denied),
		    "STUN bad", (json_int_t)atomic_load(&t->wt_stun_bad),
		    "ICE failed", (json_int_t)atomic_load(&t->wt_ice_failed),
		    "bytes in", (json_int_t)atomic_load(&t->wt_bytes_in),
		    "bytes out", (json_int_t)atomic_load(&t->wt_bytes_out),
		    "CDR backlog", (json_int_t)atomic_load(&t->wt_cdr_backlog),
		    "heartbeat ms", (json_int_t)atomic_load(&t->wt_heartbeat_ms));
		if (w != NULL) {
			json_object_set_new(w, "frames in", json_integer((json_int_t)
			    atomic_load(&t->wt_frames_in)));
			json_object_set_new(w, "frames out", json_integer((json_int_t)
			    atomic_load(&t->wt_frames_out)));
		}
		json_array_append_new(workers, w);
	}
	master_totals(m, -1, &tot);
	relay = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "accepted", (json_int_t)tot.mt_accepted,
	    "policy denied", (json_int_t)tot.mt_policy_denied,
	    "STUN bad", (json_int_t)tot.mt_stun_bad,
	    "ICE failed", (json_int_t)tot.mt_ice_failed,
	    "frames in", (json_int_t)tot.mt_frames_in,
	    "frames out", (json_int_t)tot.mt_frames_out,
	    "bytes in", (json_int_t)tot.mt_bytes_in,
	    "bytes out", (json_int_t)tot.mt_bytes_out,
	    "CDR backlog", (json_int_t)tot.mt_cdr_backlog);
	st = json_pack("{s:{s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I},"
	    "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
	    "s:o,s:{s:I,s:I,s:I,s:I},s:{s:i,s:I}}",
	    "currentstatistics",
	    "sessionsown", (json_int_t)m->m_reg.rg_live,
	    "sessionsforeign", (json_int_t)0,
	    "sessionstotal", (json_int_t)m->m_reg.rg_live,
	    "calls", (json_int_t)m->m_reg.rg_ncalls,
	    "totalstatistics",
	    "managedsessions", (json_int_t)m->m_reg.rg_total,
	    "uptime", (json_int_t)((master_now_ms() - m->m_started_ms) / 1000),
	    "loadlimit", (json_int_t)m->m_stats.mc_load_limit,
	    "workerlostsessions", (json_int_t)m->m_stats.mc_worker_lost_sessions,
	    "controlstatistics",
	    "requests", (json_int_t)cs.cs_requests,
	    "ping", (json_int_t)m->m_stats.mc_cmd[CTL_CMD_PING],
	    "offer", (json_int_t)m->m_stats.mc_cmd[CTL_CMD_OFFER],
	    "answer", (json_int_t)m->m_stats.mc_cmd[CTL_CMD_ANSWER],
	    "delete", (json_int_t)m->m_stats.mc_cmd[CTL_CMD_DELETE],
	    "query", (json_int_t)m->m_stats.mc_cmd[CTL_CMD_QUERY],
	    "list", (json_int_t)m->m_stats.mc_cmd[CTL_CMD_LIST],
	    "statistics", (json_int_t)m->m_stats.mc_cmd[CTL_CMD_STATISTICS],
	    "errors", (json_int_t)cs.cs_errors,
	    "cached", (json_int_t)cs.cs_cached,
	    "refused", (json_int_t)cs.cs_refused,
	    "dropped", (json_int_t)cs.cs_dropped,
	    "tcpclients", (json_int_t)cs.cs_tcp_clients,
	    "workers", workers,
	    "ports",
	    "total", (json_int_t)ps.ps_total, "free", (json_int_t)ps.ps_free,
	    "in use", (json_int_t)ps.ps_in_use, "quarantined", (json_int_t)ps.ps_quarantined,
	    "cdr", "restarts", (int)m->m_cdrd.pr_restarts,
	    "file sequence", (json_int_t)m->m_cdr.fc_seq);
	/* An appshare addition: every worker incarnation since the start, summed. */
	if (st == NULL || relay == NULL) {
		json_decref(relay);
		json_decref(st);
		json_decref(reply);
		return NULL;
	}
	if (json_object_set_new(st, "relay", relay) == -1) {
		json_decref(st);
		json_decref(reply);
		return NULL;
	}
	if (json_object_set_new(reply, "statistics", st) == -1) {
		json_decref(reply);
		return NULL;
	}
	return reply;
}

/* ---- test hook ---------------------------------------------------------------------- */

/* "debug fault", "debug-fault", "Debug_Fault": the codec's key folding. */
static bool
sessions_is_debug_fault(const struct ctl_req *req)
{
	static const char want[] = "debug-fault";
	size_t i;

	if (req->cr_command.s == NULL || req->cr_command.len != sizeof(want) - 1)
		return false;
	for (i = 0; i < req->cr_command.len; i++) {
		char ch = (char)tolower((unsigned char)req->cr_command.s[i]);

		if (ch == ' ' || ch == '_')
			ch = '-';
		if (ch != want[i])
			return false;
	}
	return true;
}

static json_t *
sessions_debug_fault(struct master *m, struct ctl_req *req, const char *peer)
{
	json_t *w = req->cr_root != NULL ? json_object_get(req->cr_root, "worker") : NULL;
	long long idx = -1;
	char *end;

	if (json_is_integer(w))
		idx = json_integer_value(w);
	else if (json_is_string(w)) {
		errno = 0;
		idx = strtoll(json_string_value(w), &end, 10);
		if (errno != 0 || *end != '\0' || end == json_string_value(w))
			idx = -1;
	}
	if (idx < 0 || (unsigned long long)idx >= m->m_nworkers)
		return sessions_error(m, "Invalid worker");
	log_warnx("control %s: debug fault: worker %lld told to make a forbidden call",
	    peer, idx);
	if (master_send_worker(m, (unsigned)idx, IPC_DEBUG_FAULT, 0, 0, NULL, 0, -1) == -1)
		return sessions_error(m, "Worker not running");
	return ctlj_reply_ok(NULL);
}

/* ---- entry points ------------------------------------------------------------------- */

json_t *
sessions_command(struct ctl_req *req, int rc, const char *peer, void *arg)
{
	struct master *m = arg;

	if (rc != CTLJ_OK) {
		if (rc == CTLJ_E_UNRECOGNIZED && m->m_conf.cf_debug_hooks &&
		    sessions_is_debug_fault(req))
			return sessions_debug_fault(m, req, peer);
		log_info("control %s: %s: error: %s", peer, req->cr_command.s != NULL ?
		    req->cr_command.s : "request", req->cr_error != NULL ? req->cr_error :
		    ctlj_strerror(rc));
		m->m_stats.mc_errors++;
		return ctlj_reply_decode_error(req);
	}
	if ((unsigned)req->cr_cmd < CTL_CMD_MAX)
		m->m_stats.mc_cmd[req->cr_cmd]++;
	if (m->m_shutting_down)
		return sessions_error(m, "Shutting down");
	switch (req->cr_cmd) {
	case CTL_CMD_PING:
		log_debug("control %s: ping", peer);
		return ctlj_reply_pong();
	case CTL_CMD_OFFER:
		return sessions_offer(m, req, peer);
	case CTL_CMD_ANSWER:
		return sessions_answer(m, req, peer);
	case CTL_CMD_DELETE:
		return sessions_delete(m, req, peer);
	case CTL_CMD_QUERY:
		return sessions_query(m, req);
	case CTL_CMD_LIST:
		return sessions_list(m, req);
	case CTL_CMD_STATISTICS:
		log_info("control %s: statistics", peer);
		return sessions_statistics(m);
	case CTL_CMD_START_RECORDING:
	case CTL_CMD_STOP_RECORDING:
		return sessions_recording(m, req, peer);
	default:
		return sessions_error(m, CTLJ_ERR_UNRECOGNIZED);
	}
}

static struct reg_sess *
sessions_of_worker(struct master *m, unsigned wi, const struct ipc_msg *im)
{
	struct reg_sess *s;
	char why[96];

	s = reg_sess_find(&m->m_reg, im->im_hdr.ih_handle, im->im_hdr.ih_gen);
	if (s == NULL) {
		log_debug("worker %u: %s for session %u/%u: expired", wi,
		    ipc_type_str(im->im_hdr.ih_type), im->im_hdr.ih_handle, im->im_hdr.ih_gen);
		return NULL;
	}
	if (s->rs_worker != wi) {
		snprintf(why, sizeof(why), "%s for session %u of worker %u",
		    ipc_type_str(im->im_hdr.ih_type), s->rs_handle, s->rs_worker);
		master_kill_worker(m, wi, why);
		return NULL;
	}
	return s;
}

static void
sessions_sock_req(struct master *m, unsigned wi, const struct ipc_msg *im)
{
	const struct ipc_sock_req *sq = im->im_data;
	struct ipc_sock_fail sx;
	struct ipc_sess_fd sf;
	struct reg_sess *s;
	char why[128], a[INET6_ADDRSTRLEN] = "?";
	int fd;

	memset(&sx, 0, sizeof(sx));
	sx.sx_leg = sq->sq_leg;
	sx.sx_tag = sq->sq_tag;
	if ((s = sessions_of_worker(m, wi, im)) == NULL ||
	    s->rs_state != REG_SS_LIVE) {
		if (s != NULL || reg_sess_find(&m->m_reg, im->im_hdr.ih_handle,
		    im->im_hdr.ih_gen) == NULL) {
			sx.sx_errno = ECANCELED;
			(void)master_send_worker(m, wi, IPC_SOCK_FAIL, im->im_hdr.ih_handle,
			    im->im_hdr.ih_gen, &sx, sizeof(sx), -1);
		}
		return;
	}
	inet_ntop(sq->sq_peer.ia_family == AF_INET6 ? AF_INET6 : AF_INET,
	    sq->sq_peer.ia_addr, a, sizeof(a));
	if (sq->sq_leg > 1 || !reg_sess_remote_ok(s, sq->sq_leg, &sq->sq_peer)) {
		snprintf(why, sizeof(why), "session %u leg %c: asked to connect to %s port %u, "
		    "not a remote candidate", s->rs_handle, sq->sq_leg == 0 ? 'A' : 'B', a,
		    sq->sq_peer.ia_port);
		master_kill_worker(m, wi, why);
		return;
	}
	if ((fd = socks_connect_sock(&m->m_conf.cf_media, sq->sq_peer.ia_family)) == -1) {
		sx.sx_errno = errno;
		log_warn("session %u leg %c: socket for %s port %u", s->rs_handle,
		    sq->sq_leg == 0 ? 'A' : 'B', a, sq->sq_peer.ia_port);
		(void)master_send_worker(m, wi, IPC_SOCK_FAIL, s->rs_handle, s->rs_gen, &sx,
		    sizeof(sx), -1);
		return;
	}
	log_debug("session %u leg %c: socket to connect to %s port %u", s->rs_handle,
	    sq->sq_leg == 0 ? 'A' : 'B', a, sq->sq_peer.ia_port);
	memset(&sf, 0, sizeof(sf));
	sf.sd_leg = sq->sq_leg;
	sf.sd_kind = IPC_SOCK_CONNECT;
	sf.sd_tag = sq->sq_tag;
	sf.sd_peer = sq->sq_peer;
	(void)master_send_worker(m, wi, IPC_SESS_FD, s->rs_handle, s->rs_gen, &sf,
	    sizeof(sf), fd);
}

static const char *
sessions_reason(uint32_t r)
{
	static const char *const names[CDR_R_MAX] = {
		"unknown", "deleted", "ICE timeout", "idle timeout", "ICE failed",
		"peer closed", "worker lost", "overflow", "policy", "connect failed",
		"protocol error", "shutdown", "internal error",
	};

	return r < CDR_R_MAX ? names[r] : "?";
}

static void
sessions_done(struct master *m, unsigned wi, const struct ipc_msg *im)
{
	const struct ipc_sess_done *sd = im->im_data;
	struct reg_sess *s;
	struct reg_call *c;
	char why[96];

	if ((s = sessions_of_worker(m, wi, im)) == NULL)
		return;
	if (sd->sd_slot != s->rs_slot) {
		snprintf(why, sizeof(why), "SESS_DONE for session %u with slot %u, not %u",
		    s->rs_handle, sd->sd_slot, s->rs_slot);
		master_kill_worker(m, wi, why);
		return;
	}
	if ((c = s->rs_call) != NULL) {
		log_info("call-id %s stream %u: ended by the relay: %s", c->rc_call_id,
		    s->rs_ordinal + 1, sessions_reason(sd->sd_reason));
		reg_sess_end(&m->m_reg, s);
		if (c->rc_live == 0)
			reg_call_free(&m->m_reg, c);
	} else
		log_debug("session %u: done (%s)", s->rs_handle,
		    sessions_reason(sd->sd_reason));
	sessions_release_ports(m, s);
	reg_sess_free(&m->m_reg, s);
	master_kick_cdrd(m);
}

void
sessions_dispatch_worker(struct master *m, unsigned wi, struct ipc_msg *im)
{
	const struct ipc_sess_state_msg *ss;
	struct reg_sess *s;
	char why[64];

	switch (im->im_hdr.ih_type) {
	case IPC_SESS_STATE:
		ss = im->im_data;
		if ((s = sessions_of_worker(m, wi, im)) == NULL)
			break;
		s->rs_worker_state = (uint8_t)ss->ss_state;
		log_debug("session %u: %s (legs up: A %u B %u)", s->rs_handle,
		    ss->ss_state == IPC_SESS_RELAYING ? "relaying" :
		    ss->ss_state == IPC_SESS_ICE ? "connecting" : "ended",
		    ss->ss_leg_up[0], ss->ss_leg_up[1]);
		break;
	case IPC_SESS_DONE:
		sessions_done(m, wi, im);
		break;
	case IPC_SOCK_REQ:
		sessions_sock_req(m, wi, im);
		break;
	default:
		if (im->im_fd != -1)
			close(im->im_fd);
		snprintf(why, sizeof(why), "unexpected %s", ipc_type_str(im->im_hdr.ih_type));
		master_kill_worker(m, wi, why);
		return;
	}
	if (im->im_fd != -1)
		close(im->im_fd);
}

void
sessions_worker_died(struct master *m, unsigned wi)
{
	struct reg_sess *s;
	struct reg_call *c;
	unsigned n = 0;

	TAILQ_FOREACH(s, &m->m_reg.rg_w[wi].rw_sessions, rs_wentry) {
		if ((c = s->rs_call) == NULL)
			continue;
		reg_sess_end(&m->m_reg, s);
		if (c->rc_live == 0)
			reg_call_free(&m->m_reg, c);
		n++;
	}
	m->m_stats.mc_worker_lost_sessions += n;
	if (n > 0)
		log_warnx("worker %u: %u session%s lost", wi, n, n == 1 ? "" : "s");
}

void
sessions_worker_drained(struct master *m, unsigned wi)
{
	struct reg_sess *s;

	while ((s = TAILQ_FIRST(&m->m_reg.rg_w[wi].rw_sessions)) != NULL) {
		sessions_release_ports(m, s);
		reg_sess_free(&m->m_reg, s);
	}
}
