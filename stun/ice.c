/*
 * ICE agent for one TCP leg: see ice.h for the contract with the adapter.
 *
 * Model.  Each TCP connection is one candidate pair (RFC 6544): the pair is valid when
 * a check of ours succeeded on it (cn_chk == ICE_CHK_OK).  On a connection we accepted
 * that check is the triggered check sent back after answering the peer's (D2); on a
 * connection we opened it is the first check.  The controlling agent nominates a valid
 * pair with a USE-CANDIDATE check (regular) or in every check (aggressive) and selects
 * the pair once such a check succeeds; the controlled agent selects the first pair that
 * is both valid and nominated by the peer.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ice.h"

/* The narrow fields of the internal tables (ice.h) must hold what goes in them. */
_Static_assert(ICE_MAX_CONNS <= INT8_MAX && ICE_MAX_REMOTE <= INT8_MAX,
    "conn and candidate indexes are int8_t");
_Static_assert(ICE_RESP_CACHE <= UINT8_MAX && ICE_RESP_POOL <= UINT16_MAX,
    "response cache indexes are uint8_t and uint16_t");
_Static_assert(ICE_RESP_MAX >= ICE_MSG_MAX && ICE_RESP_POOL >= ICE_RESP_MAX,
    "every answer the agent builds fits in the response cache");

static const char *const ice_reason_names[ICE_R_MAX] = {
	[ICE_R_NONE] = "none",
	[ICE_R_COMPLETION_TIMEOUT] = "ice completion timeout",
	[ICE_R_DEAD] = "nothing received",
	[ICE_R_CHECK_FAILED] = "check failed",
	[ICE_R_CHECK_TIMEOUT] = "check timed out",
	[ICE_R_NOT_SELECTED] = "not selected",
	[ICE_R_SELECTED_CLOSED] = "selected connection closed",
};

static const char *const ice_drop_names[ICE_DROP_MAX] = {
	[ICE_DROP_MALFORMED] = "malformed",
	[ICE_DROP_METHOD] = "not a binding",
	[ICE_DROP_NO_FINGERPRINT] = "no fingerprint",
	[ICE_DROP_NO_USERNAME] = "no username",
	[ICE_DROP_UNMATCHED] = "unmatched response",
	[ICE_DROP_BAD_INTEGRITY] = "bad integrity",
	[ICE_DROP_STATE] = "wrong state",
	[ICE_DROP_NO_ROOM] = "no room",
};

static const char *const ice_state_names[ICE_ST_MAX] = {
	[ICE_ST_CHECKING] = "checking",
	[ICE_ST_COMPLETED] = "completed",
	[ICE_ST_FAILED] = "failed",
};

static const char *const ice_action_names[ICE_ACT_MAX] = {
	[ICE_ACT_SEND] = "send",
	[ICE_ACT_CONNECT] = "connect",
	[ICE_ACT_CLOSE] = "close",
	[ICE_ACT_SELECTED] = "selected",
	[ICE_ACT_FAILED] = "failed",
};

static int	ice_send_check(struct ice_agent *, uint64_t, int, bool, bool,
		    struct ice_out *);
static void	ice_resp_forget(struct ice_agent *, int);

void
ice_params_default(struct ice_params *p)
{
	memset(p, 0, sizeof(*p));
	p->ip_role = ICE_CONTROLLED;
	p->ip_dialect = ICE_DIALECT_MSICE2;
	p->ip_nomination = ICE_NOM_REGULAR;
	p->ip_passive = true;
	p->ip_ta_ms = 50;
	p->ip_check_timeout_ms = 8000;
	p->ip_complete_ms = 120000;
	p->ip_keepalive_ms = 15000;
	p->ip_dead_ms = 30000;
	p->ip_grace_ms = 5000;
}

static bool
ice_str_ok(const char *s, size_t max)
{
	size_t n;

	n = strnlen(s, max + 1);
	return n > 0 && n <= max;
}

/*
 * Addresses are stored compact (union ice_sa) and cross the API as sockaddr_storage.
 * Only IPv4 and IPv6 are answered or connected to; of any other family only the
 * family is kept, which stun_build_xor_addr() refuses as it did the full address.
 */
static void
ice_sa_set(union ice_sa *sa, const struct sockaddr_storage *ss)
{
	memset(sa, 0, sizeof(*sa));
	switch (ss->ss_family) {
	case AF_INET:
		memcpy(&sa->in4, ss, sizeof(sa->in4));
		break;
	case AF_INET6:
		memcpy(&sa->in6, ss, sizeof(sa->in6));
		break;
	default:
		sa->sa.sa_family = ss->ss_family;
		break;
	}
}

static void
ice_sa_get(struct sockaddr_storage *ss, const union ice_sa *sa)
{
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, sa, sizeof(*sa));
}

int
ice_init(struct ice_agent *ag, const struct ice_params *p, uint64_t now)
{
	size_t i;

	if (ag == NULL || p == NULL || p->ip_rand == NULL ||
	    p->ip_role >= ICE_ROLE_MAX || p->ip_dialect >= ICE_DIALECT_MAX ||
	    p->ip_nomination >= ICE_NOM_MAX ||
	    !ice_str_ok(p->ip_local.cr_ufrag, ICE_UFRAG_MAX) ||
	    !ice_str_ok(p->ip_local.cr_pwd, ICE_PWD_MAX) ||
	    strnlen(p->ip_cand_passive.lc_foundation, ICE_FOUNDATION_MAX + 1) >
	    ICE_FOUNDATION_MAX ||
	    strnlen(p->ip_cand_active.lc_foundation, ICE_FOUNDATION_MAX + 1) >
	    ICE_FOUNDATION_MAX)
		return ICE_E_ARG;
	memset(ag, 0, sizeof(*ag));
	ag->ag_p = *p;
	ag->ag_role = p->ip_role;
	ag->ag_state = ICE_ST_CHECKING;
	ag->ag_selected = -1;
	ag->ag_start = now;
	ag->ag_now = now;
	ag->ag_next_connect = now;
	for (i = 0; i < ICE_MAX_CONNS; i++)
		ag->ag_conn[i].cn_remote = -1;
	return ICE_OK;
}

/* Output list. */

static void
ice_out_reset(struct ice_out *out)
{
	out->io_n = 0;
	out->io_used = 0;
}

static struct ice_action *
ice_out_push(struct ice_agent *ag, struct ice_out *out, enum ice_act_type type, int conn,
    enum ice_reason reason)
{
	struct ice_action *a;

	/* The bound in ice.h makes this unreachable; count it rather than overrun. */
	if (out->io_n >= ICE_OUT_MAX) {
		ag->ag_stats.st_drop[ICE_DROP_NO_ROOM]++;
		return NULL;
	}
	a = &out->io_act[out->io_n++];
	memset(a, 0, sizeof(*a));
	a->ac_type = type;
	a->ac_conn = conn;
	a->ac_reason = reason;
	return a;
}

/* Room for one message in the output buffer, and an action slot for it. */
static uint8_t *
ice_out_space(struct ice_out *out, size_t *cap)
{
	size_t left;

	if (out->io_n >= ICE_OUT_MAX)
		return NULL;
	left = sizeof(out->io_buf) - out->io_used;
	if (left == 0)
		return NULL;
	*cap = left < ICE_MSG_MAX ? left : ICE_MSG_MAX;
	return out->io_buf + out->io_used;
}

static void
ice_out_commit(struct ice_agent *ag, struct ice_out *out, uint64_t now, int c, size_t len)
{
	struct ice_action *a;

	a = ice_out_push(ag, out, ICE_ACT_SEND, c, ICE_R_NONE);
	if (a == NULL)
		return;
	a->ac_data = out->io_buf + out->io_used;
	a->ac_len = len;
	out->io_used += len;
	ag->ag_conn[c].cn_last_sent = now;
}

/* Connections and transactions. */

static bool
ice_conn_valid(const struct ice_agent *ag, int c)
{
	return c >= 0 && c < ICE_MAX_CONNS;
}

static bool
ice_conn_open(const struct ice_agent *ag, int c)
{
	return ice_conn_valid(ag, c) && ag->ag_conn[c].cn_state == ICE_CONN_OPEN;
}

static void
ice_tx_free_conn(struct ice_agent *ag, int c)
{
	size_t i;

	for (i = 0; i < ICE_MAX_TX; i++)
		if (ag->ag_tx[i].tx_used && ag->ag_tx[i].tx_conn == c)
			ag->ag_tx[i].tx_used = false;
}

static void
ice_conn_free(struct ice_agent *ag, int c)
{
	struct ice_conn *cn = &ag->ag_conn[c];

	ice_tx_free_conn(ag, c);
	ice_resp_forget(ag, c);
	memset(cn, 0, sizeof(*cn));
	cn->cn_state = ICE_CONN_FREE;
	cn->cn_remote = -1;
}

static int
ice_conn_alloc(struct ice_agent *ag, uint64_t now)
{
	int c;

	for (c = 0; c < ICE_MAX_CONNS; c++) {
		if (ag->ag_conn[c].cn_state != ICE_CONN_FREE)
			continue;
		ice_conn_free(ag, c);
		ag->ag_conn[c].cn_last_sent = now;
		ag->ag_conn[c].cn_last_recv = now;
		if (ag->ag_state == ICE_ST_COMPLETED)
			ag->ag_conn[c].cn_close_at = now + ag->ag_p.ip_grace_ms;
		return c;
	}
	return -1;
}

static struct ice_tx *
ice_tx_find(struct ice_agent *ag, int c, const uint8_t tid[STUN_TID_LEN])
{
	size_t i;

	for (i = 0; i < ICE_MAX_TX; i++)
		if (ag->ag_tx[i].tx_used && ag->ag_tx[i].tx_conn == c &&
		    memcmp(ag->ag_tx[i].tx_tid, tid, STUN_TID_LEN) == 0)
			return &ag->ag_tx[i];
	return NULL;
}

static struct ice_tx *
ice_tx_alloc(struct ice_agent *ag)
{
	size_t i;

	for (i = 0; i < ICE_MAX_TX; i++)
		if (!ag->ag_tx[i].tx_used)
			return &ag->ag_tx[i];
	return NULL;
}

static bool
ice_nomination_pending(const struct ice_agent *ag)
{
	size_t i;

	for (i = 0; i < ICE_MAX_TX; i++)
		if (ag->ag_tx[i].tx_used && ag->ag_tx[i].tx_use_cand &&
		    !ag->ag_tx[i].tx_keepalive)
			return true;
	return false;
}

static const struct ice_local_cand *
ice_local_cand(const struct ice_agent *ag, int c)
{
	return ag->ag_conn[c].cn_active ? &ag->ag_p.ip_cand_active :
	    &ag->ag_p.ip_cand_passive;
}

/* RFC 8445 6.1.2.3 pair priority, so both agents rank connections alike. */
static uint64_t
ice_pair_priority(const struct ice_agent *ag, int c)
{
	const struct ice_conn *cn = &ag->ag_conn[c];
	uint64_t local, remote, g, d;

	local = ice_local_cand(ag, c)->lc_priority;
	remote = cn->cn_peer_prio;
	if (remote == 0 && cn->cn_remote >= 0)
		remote = ag->ag_rcand[cn->cn_remote].rc_priority;
	g = ag->ag_role == ICE_CONTROLLING ? local : remote;
	d = ag->ag_role == ICE_CONTROLLING ? remote : local;
	return ((g < d ? g : d) << 32) + 2 * (g > d ? g : d) + (g > d ? 1 : 0);
}

static void
ice_fail(struct ice_agent *ag, enum ice_reason why, struct ice_out *out)
{
	if (ag->ag_state == ICE_ST_FAILED)
		return;
	ag->ag_state = ICE_ST_FAILED;
	ag->ag_reason = why;
	(void)ice_out_push(ag, out, ICE_ACT_FAILED, -1, why);
}

/* The agent's own close: tell the adapter, forget the connection. */
static void
ice_close(struct ice_agent *ag, int c, enum ice_reason why, struct ice_out *out)
{
	if (c == ag->ag_selected) {
		ice_fail(ag, why, out);
		return;
	}
	(void)ice_out_push(ag, out, ICE_ACT_CLOSE, c, why);
	ice_conn_free(ag, c);
}

static void
ice_select(struct ice_agent *ag, uint64_t now, int c, struct ice_out *out)
{
	size_t i;
	int o;

	ag->ag_state = ICE_ST_COMPLETED;
	ag->ag_selected = c;
	(void)ice_out_push(ag, out, ICE_ACT_SELECTED, c, ICE_R_NONE);
	/* D12: the others may still carry a late check of the peer's; close them later. */
	for (o = 0; o < ICE_MAX_CONNS; o++)
		if (o != c && ag->ag_conn[o].cn_state != ICE_CONN_FREE)
			ag->ag_conn[o].cn_close_at = now + ag->ag_p.ip_grace_ms;
	for (i = 0; i < ag->ag_nremote; i++)
		if (ag->ag_rcand[i].rc_state == ICE_RC_PENDING)
			ag->ag_rcand[i].rc_state = ICE_RC_TRIED;
}

static void
ice_switch_role(struct ice_agent *ag)
{
	int c;

	ag->ag_role = ag->ag_role == ICE_CONTROLLING ? ICE_CONTROLLED : ICE_CONTROLLING;
	ag->ag_stats.st_role_switch++;
	/* Nominations made under the old role mean nothing under the new one. */
	for (c = 0; c < ICE_MAX_CONNS; c++)
		ag->ag_conn[c].cn_nominated = false;
}

/*
 * After any change: select what can be selected, or (controlling) nominate the best
 * valid pair when no nomination is under way.
 */
static void
ice_evaluate(struct ice_agent *ag, uint64_t now, struct ice_out *out)
{
	int c, best = -1;

	if (ag->ag_state != ICE_ST_CHECKING)
		return;
	for (c = 0; c < ICE_MAX_CONNS; c++) {
		if (!ice_conn_open(ag, c) || !ag->ag_conn[c].cn_nominated ||
		    ag->ag_conn[c].cn_chk != ICE_CHK_OK)
			continue;
		ice_select(ag, now, c, out);
		return;
	}
	if (ag->ag_role != ICE_CONTROLLING || ice_nomination_pending(ag))
		return;
	for (c = 0; c < ICE_MAX_CONNS; c++) {
		if (!ice_conn_open(ag, c) || ag->ag_conn[c].cn_chk != ICE_CHK_OK)
			continue;
		if (best < 0 || ice_pair_priority(ag, c) > ice_pair_priority(ag, best))
			best = c;
	}
	if (best >= 0)
		(void)ice_send_check(ag, now, best, true, false, out);
}

/* Building messages. */

static enum stun_mi_rule
ice_send_rule(const struct ice_agent *ag, int c)
{
	if (ag->ag_conn[c].cn_peer_rule != STUN_MI_NONE)
		return (enum stun_mi_rule)ag->ag_conn[c].cn_peer_rule;
	return ag->ag_p.ip_dialect == ICE_DIALECT_MSICE2 ? STUN_MI_MSICE2 : STUN_MI_RFC5389;
}

static bool
ice_ms(const struct ice_agent *ag)
{
	return ag->ag_p.ip_dialect == ICE_DIALECT_MSICE2;
}

/*
 * A check (or, with keepalive, an MS-style authenticated keepalive): USERNAME, PRIORITY,
 * role, USE-CANDIDATE, MS attributes, MI keyed with the remote password, FINGERPRINT.
 */
static int
ice_send_check(struct ice_agent *ag, uint64_t now, int c, bool use_cand, bool keepalive,
    struct ice_out *out)
{
	struct ice_conn *cn = &ag->ag_conn[c];
	const struct ice_local_cand *lc = ice_local_cand(ag, c);
	struct stun_builder b;
	struct ice_tx *tx;
	uint8_t tid[STUN_TID_LEN], *buf;
	char user[ICE_UFRAG_MAX * 2 + 2];
	size_t cap, rl, ll, len;

	if (!ag->ag_have_remote) {
		if (!keepalive)
			cn->cn_chk = ICE_CHK_WAIT;
		return ICE_E_STATE;
	}
	if ((tx = ice_tx_alloc(ag)) == NULL || (buf = ice_out_space(out, &cap)) == NULL) {
		ag->ag_stats.st_drop[ICE_DROP_NO_ROOM]++;
		if (!keepalive)
			cn->cn_chk = ICE_CHK_WAIT;
		return ICE_E_FULL;
	}
	/*
	 * One nomination in flight at a time, even when aggressive: with two, the
	 * controlled agent could select one pair and we the other.
	 */
	use_cand = use_cand && !keepalive && ag->ag_role == ICE_CONTROLLING &&
	    !ice_nomination_pending(ag);
	ag->ag_p.ip_rand(ag->ag_p.ip_rand_ctx, tid, sizeof(tid));

	rl = strlen(ag->ag_remote.cr_ufrag);
	ll = strlen(ag->ag_p.ip_local.cr_ufrag);
	memcpy(user, ag->ag_remote.cr_ufrag, rl);
	user[rl] = ':';
	memcpy(user + rl + 1, ag->ag_p.ip_local.cr_ufrag, ll);

	stun_build_init(&b, buf, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), tid);
	stun_build_u32(&b, STUN_A_PRIORITY, lc->lc_priority);
	stun_build_u64(&b, ag->ag_role == ICE_CONTROLLING ? STUN_A_ICE_CONTROLLING :
	    STUN_A_ICE_CONTROLLED, ag->ag_p.ip_tiebreaker);
	if (use_cand)
		stun_build_flag(&b, STUN_A_USE_CANDIDATE);
	stun_build_padded(&b, STUN_A_USERNAME, user, rl + 1 + ll, ice_ms(ag));
	if (ice_ms(ag)) {
		if (lc->lc_foundation[0] != '\0')
			stun_build_padded(&b, STUN_A_CANDIDATE_IDENTIFIER, lc->lc_foundation,
			    strlen(lc->lc_foundation), true);
		stun_build_u32(&b, STUN_A_IMPLEMENTATION_VERSION, STUN_MS_IMPL_VERSION);
	}
	if (stun_build_finish(&b, (const uint8_t *)ag->ag_remote.cr_pwd,
	    strlen(ag->ag_remote.cr_pwd), ice_send_rule(ag, c), STUN_FP_STD, &len) != STUN_OK) {
		ag->ag_stats.st_drop[ICE_DROP_NO_ROOM]++;
		return ICE_E_FULL;
	}
	ice_out_commit(ag, out, now, c, len);
	memset(tx, 0, sizeof(*tx));
	tx->tx_used = true;
	tx->tx_use_cand = use_cand;
	tx->tx_keepalive = keepalive;
	tx->tx_conn = (int8_t)c;
	tx->tx_role = (uint8_t)ag->ag_role;
	memcpy(tx->tx_tid, tid, STUN_TID_LEN);
	tx->tx_deadline = now + ag->ag_p.ip_check_timeout_ms;
	if (!keepalive)
		cn->cn_chk = ICE_CHK_INFLIGHT;
	ag->ag_stats.st_req_out++;
	return ICE_OK;
}

/* RFC keepalive (RFC 8445 11): a Binding indication with FINGERPRINT only. */
static void
ice_send_indication(struct ice_agent *ag, uint64_t now, int c, struct ice_out *out)
{
	struct stun_builder b;
	uint8_t tid[STUN_TID_LEN], *buf;
	size_t cap, len;

	if ((buf = ice_out_space(out, &cap)) == NULL)
		return;
	ag->ag_p.ip_rand(ag->ag_p.ip_rand_ctx, tid, sizeof(tid));
	stun_build_init(&b, buf, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_INDICATION),
	    tid);
	if (stun_build_finish(&b, NULL, 0, STUN_MI_NONE, STUN_FP_STD, &len) != STUN_OK)
		return;
	ice_out_commit(ag, out, now, c, len);
	ag->ag_stats.st_ind_out++;
}

/*
 * Remember an answer so that a duplicate request gets the same bytes back (ice.h).
 * Answers go one after the other in the ring and are never split, so the bytes a new
 * one needs belong to the oldest answers, and the entry it takes is the oldest one.
 */
static void
ice_resp_cache(struct ice_agent *ag, int c, const uint8_t tid[STUN_TID_LEN],
    const uint8_t *msg, size_t len)
{
	struct ice_resp *rs;
	size_t off = ag->ag_resp_head, i;

	if (len == 0 || len > ICE_RESP_MAX)
		return;
	if (off + len > ICE_RESP_POOL)
		off = 0;
	for (i = 0; i < ICE_RESP_CACHE; i++) {
		rs = &ag->ag_resp[i];
		if (rs->rs_len != 0 && rs->rs_off < off + len &&
		    off < (size_t)rs->rs_off + rs->rs_len)
			rs->rs_len = 0;
	}
	rs = &ag->ag_resp[ag->ag_resp_next];
	ag->ag_resp_next = (uint8_t)((ag->ag_resp_next + 1) % ICE_RESP_CACHE);
	memcpy(ag->ag_resp_buf + off, msg, len);
	rs->rs_off = (uint16_t)off;
	rs->rs_len = (uint16_t)len;
	rs->rs_conn = (uint8_t)c;
	memcpy(rs->rs_tid, tid, STUN_TID_LEN);
	ag->ag_resp_head = (uint16_t)(off + len);
}

static const struct ice_resp *
ice_resp_find(const struct ice_agent *ag, int c, const uint8_t tid[STUN_TID_LEN])
{
	const struct ice_resp *rs;
	size_t i;

	for (i = 0; i < ICE_RESP_CACHE; i++) {
		rs = &ag->ag_resp[i];
		if (rs->rs_len != 0 && rs->rs_conn == c &&
		    memcmp(rs->rs_tid, tid, STUN_TID_LEN) == 0)
			return rs;
	}
	return NULL;
}

/* A closed connection's id may come back for another one: forget its answers. */
static void
ice_resp_forget(struct ice_agent *ag, int c)
{
	size_t i;

	for (i = 0; i < ICE_RESP_CACHE; i++)
		if (ag->ag_resp[i].rs_conn == c)
			ag->ag_resp[i].rs_len = 0;
}

static void
ice_resp_finish(struct ice_agent *ag, uint64_t now, int c, const struct stun_msg *req,
    struct stun_builder *b, enum stun_mi_rule rule, bool error, struct ice_out *out)
{
	size_t len;

	if (ice_ms(ag))
		stun_build_u32(b, STUN_A_IMPLEMENTATION_VERSION, STUN_MS_IMPL_VERSION);
	if (stun_build_finish(b, (const uint8_t *)ag->ag_p.ip_local.cr_pwd,
	    rule == STUN_MI_NONE ? 0 : strlen(ag->ag_p.ip_local.cr_pwd), rule, STUN_FP_STD,
	    &len) != STUN_OK) {
		ag->ag_stats.st_drop[ICE_DROP_NO_ROOM]++;
		return;
	}
	ice_resp_cache(ag, c, req->tid, b->buf, len);
	ice_out_commit(ag, out, now, c, len);
	if (error)
		ag->ag_stats.st_err_out++;
	else
		ag->ag_stats.st_resp_out++;
}

/* Error response; with rule STUN_MI_NONE when the request could not be authenticated. */
static void
ice_send_error(struct ice_agent *ag, uint64_t now, int c, const struct stun_msg *req,
    int code, const char *reason, enum stun_mi_rule rule, struct ice_out *out)
{
	struct stun_builder b;
	uint8_t *buf;
	size_t cap;

	if ((buf = ice_out_space(out, &cap)) == NULL)
		return;
	stun_build_init(&b, buf, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_ERROR),
	    req->tid);
	stun_build_error_code(&b, code, reason);
	ice_resp_finish(ag, now, c, req, &b, rule, true, out);
}

static void
ice_send_success(struct ice_agent *ag, uint64_t now, int c, const struct stun_msg *req,
    const struct stun_attr *user, enum stun_mi_rule rule, struct ice_out *out)
{
	struct sockaddr_storage peer;
	struct stun_builder b;
	uint8_t *buf;
	size_t cap;

	if ((buf = ice_out_space(out, &cap)) == NULL)
		return;
	stun_build_init(&b, buf, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_SUCCESS),
	    req->tid);
	ice_sa_get(&peer, &ag->ag_conn[c].cn_peer);
	stun_build_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &peer);
	/* libnice echoes USERNAME in MS mode; copy it as received, padding included. */
	if (ice_ms(ag))
		stun_build_attr(&b, STUN_A_USERNAME, user->val, user->len);
	ice_resp_finish(ag, now, c, req, &b, rule, false, out);
}

/* Receiving. */

static int
ice_drop(struct ice_agent *ag, enum ice_drop why)
{
	ag->ag_stats.st_drop[why]++;
	ag->ag_last_drop = why;
	return ICE_E_DROPPED;
}

/* Component from PRIORITY's low byte (256 - component, RFC 8445 5.1.2.1). */
static unsigned
ice_prio_component(uint32_t prio)
{
	return 256 - (prio & 0xff);
}

static int
ice_on_request(struct ice_agent *ag, uint64_t now, int c, const struct stun_msg *m,
    struct ice_out *out)
{
	struct ice_conn *cn = &ag->ag_conn[c];
	const struct stun_attr *user, *a;
	const struct ice_resp *rs;
	const uint8_t *u;
	enum stun_mi_rule rule = STUN_MI_NONE;
	uint64_t theirs;
	uint32_t prio = 0;
	size_t ulen, ll;
	uint8_t *buf;
	size_t cap;
	bool controlling;

	ag->ag_stats.st_req_in++;
	if (!(m->flags & STUN_F_FINGERPRINT))
		return ice_drop(ag, ICE_DROP_NO_FINGERPRINT);
	if ((user = stun_attr_find(m, STUN_A_USERNAME)) == NULL)
		return ice_drop(ag, ICE_DROP_NO_USERNAME);

	/* libnice's MS mode sends each check twice with one tid: same answer, once. */
	if ((rs = ice_resp_find(ag, c, m->tid)) != NULL) {
		ag->ag_stats.st_dup_in++;
		if ((buf = ice_out_space(out, &cap)) == NULL || cap < rs->rs_len)
			return ice_drop(ag, ICE_DROP_NO_ROOM);
		memcpy(buf, ag->ag_resp_buf + rs->rs_off, rs->rs_len);
		ice_out_commit(ag, out, now, c, rs->rs_len);
		return ICE_OK;
	}

	if (m->mi_idx < 0) {
		ice_send_error(ag, now, c, m, STUN_ERR_UNAUTHORIZED, "Unauthorized",
		    STUN_MI_NONE, out);
		return ICE_OK;
	}
	ll = strlen(ag->ag_p.ip_local.cr_ufrag);
	if (stun_attr_username(user, &u, &ulen) != STUN_OK || ulen <= ll || u[ll] != ':' ||
	    memcmp(u, ag->ag_p.ip_local.cr_ufrag, ll) != 0 ||
	    stun_check_integrity(m, (const uint8_t *)ag->ag_p.ip_local.cr_pwd,
	    strlen(ag->ag_p.ip_local.cr_pwd), STUN_MI_ANY, &rule) != STUN_OK) {
		ice_send_error(ag, now, c, m, STUN_ERR_UNAUTHORIZED, "Unauthorized",
		    STUN_MI_NONE, out);
		return ICE_OK;
	}
	if ((a = stun_attr_find(m, STUN_A_PRIORITY)) != NULL &&
	    stun_attr_u32(a, &prio) != STUN_OK) {
		ice_send_error(ag, now, c, m, STUN_ERR_BAD_REQUEST, "Bad Request", rule, out);
		return ICE_OK;
	}
	cn->cn_peer_rule = (uint8_t)rule;
	if (m->flags & STUN_F_MS_IMPL)
		cn->cn_peer_impl = true;

	/* RFC 8445 7.3.1.1: the larger tie-breaker keeps its role. */
	controlling = ag->ag_role == ICE_CONTROLLING;
	a = stun_attr_find(m, controlling ? STUN_A_ICE_CONTROLLING : STUN_A_ICE_CONTROLLED);
	if (a != NULL) {
		if (stun_attr_u64(a, &theirs) != STUN_OK) {
			ice_send_error(ag, now, c, m, STUN_ERR_BAD_REQUEST, "Bad Request",
			    rule, out);
			return ICE_OK;
		}
		if ((ag->ag_p.ip_tiebreaker >= theirs) == controlling) {
			ice_send_error(ag, now, c, m, STUN_ERR_ROLE_CONFLICT, "Role Conflict",
			    rule, out);
			return ICE_OK;
		}
		ice_switch_role(ag);
	}

	ice_send_success(ag, now, c, m, user, rule, out);
	/* D5: RTCP rides on the RTP connection; component-2 checks change nothing. */
	if (prio != 0 && ice_prio_component(prio) == 2)
		return ICE_OK;
	if (prio != 0)
		cn->cn_peer_prio = prio;
	cn->cn_in_ok = true;
	if (ag->ag_state != ICE_ST_CHECKING)
		return ICE_OK;
	if (ag->ag_role == ICE_CONTROLLED && stun_attr_find(m, STUN_A_USE_CANDIDATE) != NULL)
		cn->cn_nominated = true;
	/* D2: a full agent checks back on the same connection (RFC 6544 7.2). */
	if (cn->cn_chk == ICE_CHK_NONE)
		(void)ice_send_check(ag, now, c,
		    ag->ag_p.ip_nomination == ICE_NOM_AGGRESSIVE, false, out);
	ice_evaluate(ag, now, out);
	return ICE_OK;
}

static int
ice_on_response(struct ice_agent *ag, uint64_t now, int c, const struct stun_msg *m,
    struct ice_out *out)
{
	struct ice_conn *cn = &ag->ag_conn[c];
	const struct stun_attr *a;
	struct ice_tx *txp, tx;
	enum stun_mi_rule rule = STUN_MI_NONE;
	int code = 0;
	const uint8_t *reason;
	size_t reasonlen;

	if (m->cls == STUN_CLASS_SUCCESS)
		ag->ag_stats.st_resp_in++;
	else
		ag->ag_stats.st_err_in++;
	if ((txp = ice_tx_find(ag, c, m->tid)) == NULL)
		return ice_drop(ag, ICE_DROP_UNMATCHED);
	if (!(m->flags & STUN_F_FINGERPRINT))
		return ice_drop(ag, ICE_DROP_NO_FINGERPRINT);
	if (m->cls == STUN_CLASS_ERROR) {
		if ((a = stun_attr_find(m, STUN_A_ERROR_CODE)) == NULL ||
		    stun_attr_error_code(a, &code, &reason, &reasonlen) != STUN_OK)
			return ice_drop(ag, ICE_DROP_MALFORMED);
	}
	/*
	 * Responses are keyed with our peer's password.  Only the errors that cannot be
	 * authenticated (400, 401: the peer could not check our request) may lack it.
	 */
	if (m->mi_idx >= 0) {
		if (stun_check_integrity(m, (const uint8_t *)ag->ag_remote.cr_pwd,
		    strlen(ag->ag_remote.cr_pwd), STUN_MI_ANY, &rule) != STUN_OK)
			return ice_drop(ag, ICE_DROP_BAD_INTEGRITY);
	} else if (m->cls == STUN_CLASS_SUCCESS || code == STUN_ERR_ROLE_CONFLICT)
		return ice_drop(ag, ICE_DROP_BAD_INTEGRITY);

	tx = *txp;
	txp->tx_used = false;
	if (rule != STUN_MI_NONE)
		cn->cn_peer_rule = (uint8_t)rule;
	if (m->flags & STUN_F_MS_IMPL)
		cn->cn_peer_impl = true;
	if (tx.tx_keepalive || ag->ag_state != ICE_ST_CHECKING)
		return ICE_OK;

	if (m->cls == STUN_CLASS_SUCCESS) {
		cn->cn_chk = ICE_CHK_OK;
		if (tx.tx_use_cand && ag->ag_role == ICE_CONTROLLING)
			cn->cn_nominated = true;
		ice_evaluate(ag, now, out);
		return ICE_OK;
	}
	if (code == STUN_ERR_ROLE_CONFLICT) {
		/* RFC 8445 7.2.5.1: switch unless a conflict already switched us. */
		if ((enum ice_role)tx.tx_role == ag->ag_role)
			ice_switch_role(ag);
		cn->cn_chk = ICE_CHK_NONE;
		(void)ice_send_check(ag, now, c,
		    ag->ag_p.ip_nomination == ICE_NOM_AGGRESSIVE, false, out);
		ice_evaluate(ag, now, out);
		return ICE_OK;
	}
	ice_close(ag, c, ICE_R_CHECK_FAILED, out);
	ice_evaluate(ag, now, out);
	return ICE_OK;
}

int
ice_on_stun(struct ice_agent *ag, uint64_t now, int conn, const uint8_t *msg, size_t len,
    struct ice_out *out)
{
	struct stun_msg m;

	ice_out_reset(out);
	ag->ag_now = now;
	if (!ice_conn_valid(ag, conn) || (msg == NULL && len > 0))
		return ICE_E_ARG;
	if (ag->ag_state == ICE_ST_FAILED || !ice_conn_open(ag, conn))
		return ice_drop(ag, ICE_DROP_STATE);
	if (stun_decode(msg, len, &m) != STUN_OK)
		return ice_drop(ag, ICE_DROP_MALFORMED);
	if (m.method != STUN_METHOD_BINDING)
		return ice_drop(ag, ICE_DROP_METHOD);
	ag->ag_conn[conn].cn_last_recv = now;
	switch (m.cls) {
	case STUN_CLASS_REQUEST:
		return ice_on_request(ag, now, conn, &m, out);
	case STUN_CLASS_INDICATION:
		ag->ag_stats.st_ind_in++;
		return ICE_OK;
	case STUN_CLASS_SUCCESS:
	case STUN_CLASS_ERROR:
		return ice_on_response(ag, now, conn, &m, out);
	}
	return ice_drop(ag, ICE_DROP_MALFORMED);
}

/* Connections. */

static bool
ice_sa_eq(const union ice_sa *a, const union ice_sa *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		    a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		    memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
		    sizeof(a->in6.sin6_addr)) == 0;
	return false;
}

/* Open the next remote passive candidate, highest priority first, one per Ta. */
static void
ice_connect_next(struct ice_agent *ag, uint64_t now, struct ice_out *out)
{
	struct ice_action *act;
	struct ice_conn *cn;
	size_t i;
	int best = -1, c;

	if (ag->ag_state != ICE_ST_CHECKING || !ag->ag_p.ip_active || !ag->ag_have_remote ||
	    now < ag->ag_next_connect)
		return;
	for (i = 0; i < ag->ag_nremote; i++)
		if (ag->ag_rcand[i].rc_state == ICE_RC_PENDING && (best < 0 ||
		    ag->ag_rcand[i].rc_priority > ag->ag_rcand[best].rc_priority))
			best = (int)i;
	if (best < 0 || (c = ice_conn_alloc(ag, now)) < 0)
		return;
	if ((act = ice_out_push(ag, out, ICE_ACT_CONNECT, c, ICE_R_NONE)) == NULL)
		return;
	cn = &ag->ag_conn[c];
	cn->cn_state = ICE_CONN_CONNECTING;
	cn->cn_active = true;
	cn->cn_remote = (int8_t)best;
	cn->cn_peer = ag->ag_rcand[best].rc_addr;
	ice_sa_get(&act->ac_addr, &cn->cn_peer);
	ag->ag_rcand[best].rc_state = ICE_RC_TRIED;
	ag->ag_next_connect = now + ag->ag_p.ip_ta_ms;
}

static bool
ice_connect_due(const struct ice_agent *ag)
{
	size_t i;
	int c;

	if (ag->ag_state != ICE_ST_CHECKING || !ag->ag_p.ip_active || !ag->ag_have_remote)
		return false;
	for (c = 0; c < ICE_MAX_CONNS; c++)
		if (ag->ag_conn[c].cn_state == ICE_CONN_FREE)
			break;
	if (c == ICE_MAX_CONNS)
		return false;
	for (i = 0; i < ag->ag_nremote; i++)
		if (ag->ag_rcand[i].rc_state == ICE_RC_PENDING)
			return true;
	return false;
}

/* Checks that waited for the remote credentials or for a free slot. */
static void
ice_send_waiting(struct ice_agent *ag, uint64_t now, struct ice_out *out)
{
	int c;

	if (!ag->ag_have_remote || ag->ag_state != ICE_ST_CHECKING)
		return;
	for (c = 0; c < ICE_MAX_CONNS; c++)
		if (ice_conn_open(ag, c) && ag->ag_conn[c].cn_chk == ICE_CHK_WAIT &&
		    ice_send_check(ag, now, c, ag->ag_p.ip_nomination == ICE_NOM_AGGRESSIVE,
		    false, out) != ICE_OK)
			break;
}

int
ice_set_remote(struct ice_agent *ag, uint64_t now, const struct ice_creds *cr,
    const struct ice_cand *cands, size_t ncand, struct ice_out *out)
{
	struct ice_rcand old[ICE_MAX_REMOTE], *rc;
	size_t i, j, nold;
	int c;

	ice_out_reset(out);
	ag->ag_now = now;
	if (cr == NULL || (cands == NULL && ncand > 0) ||
	    !ice_str_ok(cr->cr_ufrag, ICE_UFRAG_MAX) || !ice_str_ok(cr->cr_pwd, ICE_PWD_MAX))
		return ICE_E_ARG;
	if (ag->ag_state == ICE_ST_FAILED)
		return ICE_E_STATE;
	memset(&ag->ag_remote, 0, sizeof(ag->ag_remote));
	memcpy(ag->ag_remote.cr_ufrag, cr->cr_ufrag, strlen(cr->cr_ufrag));
	memcpy(ag->ag_remote.cr_pwd, cr->cr_pwd, strlen(cr->cr_pwd));
	ag->ag_have_remote = true;

	/* A repeated list (re-offer) must not open a second connection per candidate. */
	nold = ag->ag_nremote;
	memcpy(old, ag->ag_rcand, sizeof(old));
	if (ncand > ICE_MAX_REMOTE) {
		ag->ag_stats.st_remote_ignored += ncand - ICE_MAX_REMOTE;
		ncand = ICE_MAX_REMOTE;
	}
	ag->ag_nremote = (uint8_t)ncand;
	for (i = 0; i < ncand; i++) {
		/* Component and type only decide here, the foundation nowhere: not kept. */
		rc = &ag->ag_rcand[i];
		ice_sa_set(&rc->rc_addr, &cands[i].ca_addr);
		rc->rc_priority = cands[i].ca_priority;
		rc->rc_state = ICE_RC_IGNORED;
		if (cands[i].ca_component != 1 || cands[i].ca_tcptype != ICE_TCP_PASSIVE ||
		    (cands[i].ca_addr.ss_family != AF_INET &&
		    cands[i].ca_addr.ss_family != AF_INET6))
			continue;
		rc->rc_state = ag->ag_state == ICE_ST_CHECKING ? ICE_RC_PENDING :
		    ICE_RC_TRIED;
		for (j = 0; j < nold; j++)
			if (old[j].rc_state == ICE_RC_TRIED &&
			    ice_sa_eq(&old[j].rc_addr, &rc->rc_addr))
				rc->rc_state = ICE_RC_TRIED;
	}
	for (c = 0; c < ICE_MAX_CONNS; c++)
		ag->ag_conn[c].cn_remote = -1;

	ice_send_waiting(ag, now, out);
	ice_connect_next(ag, now, out);
	ice_evaluate(ag, now, out);
	return ICE_OK;
}

int
ice_on_accept(struct ice_agent *ag, uint64_t now, const struct sockaddr_storage *peer,
    const struct sockaddr_storage *local, struct ice_out *out)
{
	int c;

	ice_out_reset(out);
	ag->ag_now = now;
	if (peer == NULL)
		return ICE_E_ARG;
	if (ag->ag_state == ICE_ST_FAILED)
		return ICE_E_STATE;
	if ((c = ice_conn_alloc(ag, now)) < 0)
		return ICE_E_FULL;
	ag->ag_conn[c].cn_state = ICE_CONN_OPEN;
	ice_sa_set(&ag->ag_conn[c].cn_peer, peer);
	if (local != NULL)
		ice_sa_set(&ag->ag_conn[c].cn_local, local);
	return c;
}

int
ice_on_connected(struct ice_agent *ag, uint64_t now, int conn,
    const struct sockaddr_storage *local, struct ice_out *out)
{
	struct ice_conn *cn;

	ice_out_reset(out);
	ag->ag_now = now;
	if (!ice_conn_valid(ag, conn))
		return ICE_E_ARG;
	cn = &ag->ag_conn[conn];
	if (ag->ag_state == ICE_ST_FAILED || cn->cn_state != ICE_CONN_CONNECTING)
		return ICE_E_STATE;
	cn->cn_state = ICE_CONN_OPEN;
	cn->cn_last_sent = now;
	cn->cn_last_recv = now;
	if (local != NULL)
		ice_sa_set(&cn->cn_local, local);
	if (ag->ag_state == ICE_ST_CHECKING)
		(void)ice_send_check(ag, now, conn,
		    ag->ag_p.ip_nomination == ICE_NOM_AGGRESSIVE, false, out);
	return ICE_OK;
}

int
ice_on_closed(struct ice_agent *ag, uint64_t now, int conn, struct ice_out *out)
{
	ice_out_reset(out);
	ag->ag_now = now;
	if (!ice_conn_valid(ag, conn))
		return ICE_E_ARG;
	if (ag->ag_state == ICE_ST_FAILED || ag->ag_conn[conn].cn_state == ICE_CONN_FREE)
		return ICE_E_STATE;
	if (conn == ag->ag_selected) {
		ice_fail(ag, ICE_R_SELECTED_CLOSED, out);
		return ICE_OK;
	}
	ice_conn_free(ag, conn);
	/* A slot came free: a candidate that waited for one may go now. */
	ice_connect_next(ag, now, out);
	ice_evaluate(ag, now, out);
	return ICE_OK;
}

void
ice_on_sent(struct ice_agent *ag, uint64_t now, int conn)
{
	ag->ag_now = now;
	if (ice_conn_open(ag, conn))
		ag->ag_conn[conn].cn_last_sent = now;
}

void
ice_on_received(struct ice_agent *ag, uint64_t now, int conn)
{
	ag->ag_now = now;
	if (ice_conn_open(ag, conn))
		ag->ag_conn[conn].cn_last_recv = now;
}

/* Timers. */

int
ice_on_tick(struct ice_agent *ag, uint64_t now, struct ice_out *out)
{
	struct ice_conn *cn;
	struct ice_tx tx;
	size_t i;
	int c;

	ice_out_reset(out);
	ag->ag_now = now;
	if (ag->ag_state == ICE_ST_FAILED)
		return ICE_OK;

	for (i = 0; i < ICE_MAX_TX; i++) {
		if (!ag->ag_tx[i].tx_used || ag->ag_tx[i].tx_deadline > now)
			continue;
		tx = ag->ag_tx[i];
		ag->ag_tx[i].tx_used = false;
		/* Over TCP a lost check means a dead connection (RFC 6544 7.1). */
		if (!tx.tx_keepalive && ag->ag_state == ICE_ST_CHECKING &&
		    ag->ag_conn[tx.tx_conn].cn_state != ICE_CONN_FREE)
			ice_close(ag, tx.tx_conn, ICE_R_CHECK_TIMEOUT, out);
	}
	if (ag->ag_state == ICE_ST_CHECKING &&
	    now >= ag->ag_start + ag->ag_p.ip_complete_ms) {
		ice_fail(ag, ICE_R_COMPLETION_TIMEOUT, out);
		return ICE_OK;
	}
	for (c = 0; c < ICE_MAX_CONNS; c++) {
		cn = &ag->ag_conn[c];
		if (cn->cn_state != ICE_CONN_FREE && c != ag->ag_selected &&
		    cn->cn_close_at != 0 && now >= cn->cn_close_at)
			ice_close(ag, c, ICE_R_NOT_SELECTED, out);
	}
	if (ag->ag_state == ICE_ST_COMPLETED) {
		c = ag->ag_selected;
		cn = &ag->ag_conn[c];
		if (now >= cn->cn_last_recv + ag->ag_p.ip_dead_ms) {
			ice_fail(ag, ICE_R_DEAD, out);
			return ICE_OK;
		}
		if (now >= cn->cn_last_sent + ag->ag_p.ip_keepalive_ms) {
			/* MS-ICE2 drops keepalives without USERNAME (2.6): authenticate. */
			if (ice_ms(ag))
				(void)ice_send_check(ag, now, c, false, true, out);
			else
				ice_send_indication(ag, now, c, out);
			/* Even if no room: do not spin on an unmet deadline. */
			cn->cn_last_sent = now;
		}
		return ICE_OK;
	}
	ice_send_waiting(ag, now, out);
	ice_connect_next(ag, now, out);
	ice_evaluate(ag, now, out);
	return ICE_OK;
}

static uint64_t
ice_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t
ice_next_deadline(const struct ice_agent *ag)
{
	const struct ice_conn *cn;
	uint64_t d = UINT64_MAX;
	size_t i;
	int c;

	if (ag->ag_state == ICE_ST_FAILED)
		return UINT64_MAX;
	for (i = 0; i < ICE_MAX_TX; i++)
		if (ag->ag_tx[i].tx_used)
			d = ice_min(d, ag->ag_tx[i].tx_deadline);
	for (c = 0; c < ICE_MAX_CONNS; c++) {
		cn = &ag->ag_conn[c];
		if (cn->cn_state != ICE_CONN_FREE && c != ag->ag_selected &&
		    cn->cn_close_at != 0)
			d = ice_min(d, cn->cn_close_at);
	}
	if (ag->ag_state == ICE_ST_COMPLETED) {
		cn = &ag->ag_conn[ag->ag_selected];
		d = ice_min(d, cn->cn_last_recv + ag->ag_p.ip_dead_ms);
		d = ice_min(d, cn->cn_last_sent + ag->ag_p.ip_keepalive_ms);
		return d;
	}
	d = ice_min(d, ag->ag_start + ag->ag_p.ip_complete_ms);
	if (ice_connect_due(ag))
		d = ice_min(d, ag->ag_next_connect > ag->ag_now ? ag->ag_next_connect :
		    ag->ag_now);
	return d;
}

/* Accessors and names. */

enum ice_state
ice_state(const struct ice_agent *ag)
{
	return ag->ag_state;
}

enum ice_role
ice_role(const struct ice_agent *ag)
{
	return ag->ag_role;
}

int
ice_selected_conn(const struct ice_agent *ag)
{
	return ag->ag_state == ICE_ST_COMPLETED ? ag->ag_selected : -1;
}

enum ice_reason
ice_failure(const struct ice_agent *ag)
{
	return ag->ag_reason;
}

enum ice_drop
ice_last_drop(const struct ice_agent *ag)
{
	return ag->ag_last_drop;
}

const struct ice_stats *
ice_stats(const struct ice_agent *ag)
{
	return &ag->ag_stats;
}

const char *
ice_strerror(int rc)
{
	switch (rc) {
	case ICE_OK:
		return "ok";
	case ICE_E_ARG:
		return "bad argument";
	case ICE_E_FULL:
		return "no free slot";
	case ICE_E_STATE:
		return "wrong state";
	case ICE_E_DROPPED:
		return "message dropped";
	}
	return "unknown ice error";
}

const char *
ice_reason_str(enum ice_reason r)
{
	return (unsigned)r < ICE_R_MAX ? ice_reason_names[r] : "unknown reason";
}

const char *
ice_drop_str(enum ice_drop d)
{
	return (unsigned)d < ICE_DROP_MAX ? ice_drop_names[d] : "unknown drop";
}

const char *
ice_state_str(enum ice_state s)
{
	return (unsigned)s < ICE_ST_MAX ? ice_state_names[s] : "unknown state";
}

const char *
ice_action_str(enum ice_act_type t)
{
	return (unsigned)t < ICE_ACT_MAX ? ice_action_names[t] : "unknown action";
}
