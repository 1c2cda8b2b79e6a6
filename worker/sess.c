/*
 * Sessions of a worker: lookup by (handle, gen), the session timer, legs coming up,
 * and the one way out, sess_close() [io].
 */
#include <search.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cdr_fmt.h"
#include "leg.h"
#include "log.h"
#include "sess.h"
#include "tap.h"

static void	sess_timer_cb(int, short, void *);

const char *
sess_state_str(enum sess_state st)
{
	static const char *const names[SESS_STATE_MAX] = { "ice", "relaying", "ended" };

	return st < SESS_STATE_MAX ? names[st] : "invalid";
}

static int
sess_cmp(const void *a, const void *b)
{
	const struct sess *x = a, *y = b;

	return x->s_handle < y->s_handle ? -1 : x->s_handle > y->s_handle;
}

static struct sess *
sess_lookup(uint32_t handle)
{
	struct sess key;
	void *const *p;

	key.s_handle = handle;
	if ((p = tfind(&key, &wk->wk_tree, sess_cmp)) == NULL)
		return NULL;
	return *p;
}

struct sess *
sess_find(uint32_t handle, uint32_t gen, const char *what)
{
	struct sess *s;

	if ((s = sess_lookup(handle)) == NULL || s->s_gen != gen) {
		log_debug("session %u/%u: %s: expired", handle, gen, what);
		return NULL;
	}
	return s;
}

static const char *
sess_tok(const char *t)
{
	return t != NULL ? t : "unknown";
}

static uint8_t
sess_cdr_dialect(uint32_t d)
{
	switch (d) {
	case IPC_DIALECT_MSICE2:
		return CDR_DIALECT_MS_ICE2;
	case IPC_DIALECT_RFC6544:
		return CDR_DIALECT_RFC6544;
	case IPC_DIALECT_RFC4145:
		return CDR_DIALECT_RFC4145;
	default:
		return CDR_DIALECT_NONE;
	}
}

void
sess_new(uint32_t handle, uint32_t gen, const struct ipc_sess_new *sn)
{
	struct sess *s;
	bool trunc = false, bad = false;
	int i;

	if (sess_lookup(handle) != NULL) {
		log_warnx("session %u/%u: handle already in use: ignored", handle, gen);
		return;
	}
	if (sn->sn_slot >= wk->wk_hdr->sh_n_slots || wk->wk_slot_used[sn->sn_slot]) {
		log_warnx("session %u/%u: slot %u unusable: ignored", handle, gen, sn->sn_slot);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->s_timer = evtimer_new(wk->wk_base, sess_timer_cb, s)) == NULL) {
		log_warn("session %u/%u", handle, gen);
		free(s);
		return;
	}
	s->s_handle = handle;
	s->s_gen = gen;
	s->s_slot = sn->sn_slot;
	s->s_state = SESS_ICE;
	s->s_start = wk_now();
	s->s_ice_ms = sn->sn_ice_timeout_ms;
	s->s_idle_ms = sn->sn_idle_timeout_ms;
	snprintf(s->s_callid, sizeof(s->s_callid), "%s", sn->sn_call_id);

	s->s_snap.sn_state = SHM_ST_ICE;
	s->s_snap.sn_gen = (uint64_t)wk->wk_epoch << 32 | gen;
	/* The master's name for the session; unique within one run of the master. */
	snprintf(s->s_snap.sn_sessid, sizeof(s->s_snap.sn_sessid), "%" PRIu32 ".%" PRIu32,
	    handle, gen);
	s->s_snap.sn_info.si_media = CDR_MEDIA_APPSHARING;
	s->s_snap.sn_info.si_proto = sn->sn_proto == IPC_PROTO_TCP_RTP_SAVP ?
	    CDR_PROTO_TCP_RTP_SAVP : CDR_PROTO_TCP_RTP_AVP;
	s->s_snap.sn_t_start_ms = sn->sn_start_rt_ms != 0 ? sn->sn_start_rt_ms :
	    wk_realtime();
	trunc |= snap_set_text(s->s_snap.sn_callid, sizeof(s->s_snap.sn_callid),
	    sn->sn_call_id);
	trunc |= snap_set_text(s->s_snap.sn_from_tag, sizeof(s->s_snap.sn_from_tag),
	    sn->sn_from_tag);
	trunc |= snap_set_text(s->s_snap.sn_to_tag, sizeof(s->s_snap.sn_to_tag),
	    sn->sn_to_tag);
	if (trunc)
		s->s_snap.sn_info.si_flags |= CDR_F_TRUNCATED;

	for (i = 0; i < SHM_NLEGS; i++)
		if (leg_init(&s->s_leg[i], s, i, &sn->sn_leg[i]) == -1)
			bad = true;

	if (tsearch(s, &wk->wk_tree, sess_cmp) == NULL) {
		log_warn("session %u/%u", handle, gen);
		event_free(s->s_timer);
		free(s);
		return;
	}
	TAILQ_INSERT_TAIL(&wk->wk_sessions, s, s_entry);
	wk->wk_slot_used[s->s_slot] = true;
	pub_totals();
	log_info("session %s: new (slot %u, leg A %s, leg B %s)", s->s_callid, s->s_slot,
	    sess_tok(cdr_dialect_token(sess_cdr_dialect(sn->sn_leg[0].lp_dialect))),
	    sess_tok(cdr_dialect_token(sess_cdr_dialect(sn->sn_leg[1].lp_dialect))));
	pub_slot(s);
	if (bad) {
		log_warnx("session %s: bad leg parameters", s->s_callid);
		sess_close(s, CDR_R_INTERNAL, CDR_CLOSED_NONE);
		return;
	}
	sess_timer_arm(s);
}

void
sess_timer_arm(struct sess *s)
{
	uint64_t now, dl = UINT64_MAX, t;
	struct timeval tv;
	int i;

	if (s->s_state == SESS_ENDED)
		return;
	for (i = 0; i < SHM_NLEGS; i++) {
		if ((t = leg_deadline(&s->s_leg[i])) < dl)
			dl = t;
		if (s->s_state == SESS_RELAYING && s->s_idle_ms != 0 &&
		    (t = s->s_leg[i].lg_last_rx + s->s_idle_ms) < dl)
			dl = t;
	}
	if (s->s_state == SESS_ICE && s->s_ice_ms != 0 && (t = s->s_start + s->s_ice_ms) < dl)
		dl = t;
	if (dl == UINT64_MAX) {
		evtimer_del(s->s_timer);
		s->s_timer_at = 0;
		return;
	}
	/*
	 * Media pushes the deadlines later on every read; an earlier timer only wakes
	 * us for a re-arm, which is cheaper than re-arming per read.
	 */
	if (s->s_timer_at != 0 && s->s_timer_at <= dl)
		return;
	s->s_timer_at = dl;
	now = wk_now();
	t = dl > now ? dl - now : 0;
	tv.tv_sec = (time_t)(t / 1000);
	tv.tv_usec = (suseconds_t)(t % 1000) * 1000;
	evtimer_add(s->s_timer, &tv);
}

static void
sess_timer_cb(int fd, short ev, void *arg)
{
	struct sess *s = arg;
	uint64_t now = wk_now();
	int i;

	s->s_timer_at = 0;
	if (s->s_state == SESS_ICE && s->s_ice_ms != 0 && now >= s->s_start + s->s_ice_ms) {
		/* Name the leg that did not make it, when only one did not. */
		int by = CDR_CLOSED_NONE;

		if (!s->s_leg[0].lg_up && s->s_leg[1].lg_up)
			by = CDR_CLOSED_A;
		else if (s->s_leg[0].lg_up && !s->s_leg[1].lg_up)
			by = CDR_CLOSED_B;
		sess_close(s, CDR_R_ICE_TIMEOUT, by);
		return;
	}
	if (s->s_state == SESS_RELAYING && s->s_idle_ms != 0)
		for (i = 0; i < SHM_NLEGS; i++)
			if (now >= s->s_leg[i].lg_last_rx + s->s_idle_ms) {
				sess_close(s, CDR_R_IDLE_TIMEOUT, i + 1);
				return;
			}
	for (i = 0; i < SHM_NLEGS; i++) {
		if (s->s_state == SESS_ENDED)
			return;
		if (leg_deadline(&s->s_leg[i]) <= now)
			leg_tick(&s->s_leg[i], now);
	}
	sess_timer_arm(s);
}

static void
sess_state_msg(struct sess *s)
{
	struct ipc_sess_state_msg m;

	memset(&m, 0, sizeof(m));
	m.ss_state = s->s_state == SESS_RELAYING ? IPC_SESS_RELAYING :
	    s->s_state == SESS_ENDED ? IPC_SESS_ENDED : IPC_SESS_ICE;
	m.ss_leg_up[0] = s->s_leg[0].lg_up;
	m.ss_leg_up[1] = s->s_leg[1].lg_up;
	wk_send(IPC_SESS_STATE, s, &m, sizeof(m), -1);
}

/* Leg l's connection conn carries the media from now on. */
void
sess_leg_up(struct leg *l, int conn)
{
	struct sess *s = l->lg_sess;
	struct conn *c = l->lg_conn[conn];

	if (l->lg_up)
		return;
	l->lg_up = true;
	l->lg_sel = conn;
	leg_unlisten(l);
	l->lg_last_rx = wk_now();
	s->s_snap.sn_info.si_dialect[l->lg_idx] = sess_cdr_dialect(l->lg_dialect);
	s->s_snap.sn_info.si_role[l->lg_idx] = c->cn_active ? CDR_ROLE_ACTIVE :
	    CDR_ROLE_PASSIVE;
	leg_shm_addr(&c->cn_local, &s->s_snap.sn_ep[l->lg_idx][SHM_EP_LOCAL]);
	leg_shm_addr(&c->cn_peer, &s->s_snap.sn_ep[l->lg_idx][SHM_EP_REMOTE]);
	if (s->s_leg[0].lg_up && s->s_leg[1].lg_up) {
		s->s_state = SESS_RELAYING;
		s->s_snap.sn_state = SHM_ST_RELAYING;
		s->s_snap.sn_t_ice_ms = wk_realtime();
		s->s_leg[0].lg_last_rx = s->s_leg[1].lg_last_rx = wk_now();
		/* Publish before logging: whoever reacts to the log line sees the state. */
		pub_slot(s);
		log_info("session %s: relaying", s->s_callid);
		relay_hold_flush(s);
		if (s->s_state == SESS_ENDED)
			return;
	}
	sess_state_msg(s);
	pub_slot(s);
	sess_timer_arm(s);
}

static void
sess_free_cb(int fd, short ev, void *arg)
{
	struct sess *s = arg;
	int i;

	for (i = 0; i < SHM_NLEGS; i++)
		leg_free(&s->s_leg[i]);
	free(s);
}

void
sess_close(struct sess *s, enum cdr_reason reason, int closed_by)
{
	static const struct timeval zero = { 0, 0 };
	const char *tok;
	int i;

	if (s->s_state == SESS_ENDED)
		return;
	s->s_state = SESS_ENDED;
	s->s_reason = reason;
	tok = sess_tok(cdr_reason_token(reason));
	if (closed_by == CDR_CLOSED_A || closed_by == CDR_CLOSED_B)
		log_info("session %s leg %c: closed: %s", s->s_callid,
		    closed_by == CDR_CLOSED_A ? 'A' : 'B', tok);
	else
		log_info("session %s: closed: %s", s->s_callid, tok);
	evtimer_del(s->s_timer);
	event_free(s->s_timer);
	s->s_timer = NULL;
	tap_stop(s, "session ended");
	for (i = 0; i < SHM_NLEGS; i++)
		leg_close(&s->s_leg[i]);
	tdelete(s, &wk->wk_tree, sess_cmp);
	TAILQ_REMOVE(&wk->wk_sessions, s, s_entry);
	s->s_snap.sn_info.si_closed_by = (uint8_t)closed_by;
	pub_final(s, reason);
	/*
	 * Callers up the stack may still look at s (its state says ENDED); free it once
	 * they have returned to the loop.
	 */
	if (event_base_once(wk->wk_base, -1, EV_TIMEOUT, sess_free_cb, s, &zero) == -1)
		log_warnx("session %s: cannot schedule free", s->s_callid);
}

void
sess_end_all(enum cdr_reason reason)
{
	struct sess *s;

	while ((s = TAILQ_FIRST(&wk->wk_sessions)) != NULL)
		sess_close(s, reason, CDR_CLOSED_NONE);
}
