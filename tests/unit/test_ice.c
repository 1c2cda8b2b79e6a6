/*
 * ICE agent tests: two agents back to back in memory with a fake clock (ice_harness.h),
 * plus single-agent cases where the test plays the peer with hand-built requests.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>

#include "ice.h"
#include "ice_harness.h"
#include "stun.h"
#include "test_util.h"

#define A_UFRAG	"AUFRAG1"
#define A_PWD	"apassword0123456789abcd"
#define B_UFRAG	"bU2"
#define B_PWD	"bpwd-0123456789-0123456789"

/* D6 layout: (126<<24)|(local<<8)|(256-comp), local = 6<<12 | dir<<9 | 7<<6 | 63. */
static uint32_t
ms_prio(unsigned dir)
{
	uint32_t local = (6u << 12) | (dir << 9) | (7u << 6) | 63u;

	return (126u << 24) | (local << 8) | 255u;
}

/* Per-class counts of what each side sent, filled by check_msg(). */
struct counts {
	int	req[2], resp[2], err[2], ind[2], uc[2], ka[2];
	int	completed_sends[2];
	uint64_t last_send[2][ICE_MAX_CONNS];
	bool	keepalive_exact;	/* every keepalive came exactly at 15 s idle */
};

static size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void
check_msg(struct ih_net *n, int from, int conn, const uint8_t *buf, size_t len)
{
	struct counts *ct = n->nt_ctx;
	const struct ih_side *me = &n->nt_s[from], *peer = &n->nt_s[1 - from];
	bool ms = me->sd_p.ip_dialect == ICE_DIALECT_MSICE2;
	enum stun_mi_rule rule = ms ? STUN_MI_MSICE2 : STUN_MI_RFC5389, got;
	const struct stun_attr *user, *cid, *impl, *a;
	struct sockaddr_storage xa;
	struct stun_msg m;
	char want[ICE_UFRAG_MAX * 2 + 2];
	uint32_t v;
	bool ka;
	int l;

	cr_assert_eq(stun_decode(buf, len, &m), STUN_OK);
	cr_assert(m.flags & STUN_F_FINGERPRINT, "every message carries FINGERPRINT");
	cr_assert_eq(m.method, STUN_METHOD_BINDING);
	user = stun_attr_find(&m, STUN_A_USERNAME);
	cid = stun_attr_find(&m, STUN_A_CANDIDATE_IDENTIFIER);
	impl = stun_attr_find(&m, STUN_A_IMPLEMENTATION_VERSION);
	if (impl != NULL) {
		cr_assert_eq(stun_attr_u32(impl, &v), STUN_OK);
		cr_assert_eq(v, 2);
	}
	ka = ice_state(&me->sd_ag) == ICE_ST_COMPLETED;
	switch (m.cls) {
	case STUN_CLASS_REQUEST:
		ct->req[from]++;
		cr_assert_not_null(user);
		snprintf(want, sizeof(want), "%s:%s", peer->sd_p.ip_local.cr_ufrag,
		    me->sd_p.ip_local.cr_ufrag);
		if (ms) {
			/* D8: NUL padding inside the counted length. */
			cr_assert_eq(user->len, pad4(strlen(want)));
			for (size_t k = strlen(want); k < user->len; k++)
				cr_assert_eq(user->val[k], 0);
			cr_assert_not_null(cid, "MS requests carry CANDIDATE-IDENTIFIER");
			cr_assert_eq(cid->len % 4, 0);
			cr_assert_not_null(impl);
		} else {
			cr_assert_eq(user->len, strlen(want));
			cr_assert_null(cid);
			cr_assert_null(impl);
		}
		cr_assert_eq(memcmp(user->val, want, strlen(want)), 0);
		cr_assert_eq(stun_check_integrity(&m, (const uint8_t *)peer->sd_p.ip_local.cr_pwd,
		    strlen(peer->sd_p.ip_local.cr_pwd), STUN_MI_ANY, &got), STUN_OK);
		cr_assert_eq(got, rule);
		cr_assert_not_null(stun_attr_find(&m, STUN_A_PRIORITY));
		if (ice_role(&me->sd_ag) == ICE_CONTROLLING) {
			cr_assert_not_null(stun_attr_find(&m, STUN_A_ICE_CONTROLLING));
			cr_assert_null(stun_attr_find(&m, STUN_A_ICE_CONTROLLED));
		} else {
			cr_assert_not_null(stun_attr_find(&m, STUN_A_ICE_CONTROLLED));
			cr_assert_null(stun_attr_find(&m, STUN_A_ICE_CONTROLLING));
			cr_assert_null(stun_attr_find(&m, STUN_A_USE_CANDIDATE),
			    "USE-CANDIDATE from a controlled agent");
		}
		if (stun_attr_find(&m, STUN_A_USE_CANDIDATE) != NULL)
			ct->uc[from]++;
		break;
	case STUN_CLASS_SUCCESS:
		ct->resp[from]++;
		ka = false;
		cr_assert_null(cid, "CANDIDATE-IDENTIFIER only in requests");
		if (ms) {
			cr_assert_not_null(impl);
			cr_assert_not_null(user, "MS responses echo USERNAME");
		} else {
			cr_assert_null(impl);
			cr_assert_null(user);
		}
		cr_assert_eq(stun_check_integrity(&m, (const uint8_t *)me->sd_p.ip_local.cr_pwd,
		    strlen(me->sd_p.ip_local.cr_pwd), STUN_MI_ANY, &got), STUN_OK);
		cr_assert_eq(got, rule);
		a = stun_attr_find(&m, STUN_A_XOR_MAPPED_ADDRESS);
		cr_assert_not_null(a);
		cr_assert_eq(stun_attr_xor_addr(&m, a, &xa), STUN_OK);
		l = me->sd_link[conn];
		cr_assert(ih_addr_eq(&xa, &n->nt_link[l].lk_addr[1 - from]),
		    "XOR-MAPPED-ADDRESS is the peer's address on the connection");
		break;
	case STUN_CLASS_ERROR:
		ct->err[from]++;
		ka = false;
		break;
	case STUN_CLASS_INDICATION:
		ct->ind[from]++;
		cr_assert(!ms, "MS legs keep alive with requests");
		cr_assert_eq(m.mi_idx, -1);
		cr_assert_null(user);
		break;
	}
	if (ka) {
		/* A keepalive: exactly keepalive-idle after the previous send. */
		ct->ka[from]++;
		if (n->nt_now != ct->last_send[from][conn] + me->sd_p.ip_keepalive_ms)
			ct->keepalive_exact = false;
	}
	ct->last_send[from][conn] = n->nt_now;
}

enum topo {
	T_A_ACT_B_PASS,
	T_A_PASS_B_ACT,
	T_BOTH,
	T_MAX
};

struct mcase {
	enum ice_dialect	dialect;
	int			controlling;	/* 0: A, 1: B */
	enum topo		topo;
	enum ice_nomination	nom;
};

static void
setup_side(struct ih_net *n, int i, enum ice_dialect d, bool controlling, bool act,
    bool pass, enum ice_nomination nom)
{
	struct ice_params *p = &n->nt_s[i].sd_p;

	p->ip_role = controlling ? ICE_CONTROLLING : ICE_CONTROLLED;
	p->ip_dialect = d;
	p->ip_nomination = nom;
	p->ip_tiebreaker = i == 0 ? 0x1111111111111111ULL : 0x2222222222222222ULL;
	strcpy(p->ip_local.cr_ufrag, i == 0 ? A_UFRAG : B_UFRAG);
	strcpy(p->ip_local.cr_pwd, i == 0 ? A_PWD : B_PWD);
	p->ip_active = act;
	p->ip_passive = pass;
	p->ip_cand_passive.lc_priority = ms_prio(2);
	strcpy(p->ip_cand_passive.lc_foundation, "1");
	p->ip_cand_active.lc_priority = ms_prio(5);
	strcpy(p->ip_cand_active.lc_foundation, "2");
}

static struct ih_net *
setup_case(const struct mcase *mc, struct counts *ct)
{
	struct ih_net *n = ih_new();
	bool a_act = mc->topo != T_A_PASS_B_ACT, a_pass = mc->topo != T_A_ACT_B_PASS;
	bool b_act = mc->topo != T_A_ACT_B_PASS, b_pass = mc->topo != T_A_PASS_B_ACT;

	memset(ct, 0, sizeof(*ct));
	ct->keepalive_exact = true;
	n->nt_ctx = ct;
	n->nt_check = check_msg;
	setup_side(n, 0, mc->dialect, mc->controlling == 0, a_act, a_pass, mc->nom);
	setup_side(n, 1, mc->dialect, mc->controlling == 1, b_act, b_pass, mc->nom);
	/* Imitate libnice's MS mode: every request twice with one transaction id. */
	n->nt_dup_requests = mc->dialect == ICE_DIALECT_MSICE2;
	ih_init(n);
	return n;
}

static void
assert_paired(struct ih_net *n)
{
	int la, lb;

	for (int i = 0; i < 2; i++) {
		cr_assert_eq(ice_state(&n->nt_s[i].sd_ag), ICE_ST_COMPLETED, "side %d %s", i,
		    ice_state_str(ice_state(&n->nt_s[i].sd_ag)));
		cr_assert_eq(n->nt_s[i].sd_nselected, 1);
		cr_assert_eq(ice_selected_conn(&n->nt_s[i].sd_ag), n->nt_s[i].sd_selected);
	}
	la = n->nt_s[0].sd_link[n->nt_s[0].sd_selected];
	lb = n->nt_s[1].sd_link[n->nt_s[1].sd_selected];
	cr_assert(la >= 0 && la == lb, "both ends selected the same TCP connection");
}

ParameterizedTestParameters(ice, matrix)
{
	static struct mcase cases[ICE_DIALECT_MAX * 2 * T_MAX * ICE_NOM_MAX];
	size_t k = 0;

	for (int d = 0; d < ICE_DIALECT_MAX; d++)
		for (int c = 0; c < 2; c++)
			for (int t = 0; t < T_MAX; t++)
				for (int nm = 0; nm < ICE_NOM_MAX; nm++)
					cases[k++] = (struct mcase){ (enum ice_dialect)d, c,
					    (enum topo)t, (enum ice_nomination)nm };
	return cr_make_param_array(struct mcase, cases, k);
}

ParameterizedTest(struct mcase *mc, ice, matrix)
{
	struct counts ct;
	struct ih_net *n = setup_case(mc, &ct);
	int ctl = mc->controlling, ctd = 1 - mc->controlling;
	const struct ice_stats *st;

	ih_set_remote(n, 0);
	ih_set_remote(n, 1);
	ih_run(n, 2000);
	assert_paired(n);
	cr_assert_eq(ice_role(&n->nt_s[ctl].sd_ag), ICE_CONTROLLING);
	cr_assert_eq(ice_role(&n->nt_s[ctd].sd_ag), ICE_CONTROLLED);
	/*
	 * Which connection.  With one connection, the only one: conn 0 on both sides.
	 * With both directions open, A's CONNECT comes first (A learns B's SDP first):
	 * link 0 = A's conn 0 = B's accepted conn 0, link 1 = B's conn 1 = A's accepted
	 * conn 1.  The controlling side nominates its first valid pair, which is the
	 * connection it opened itself (its check there went out before its triggered
	 * check on the other one): link 0 when A controls, link 1 when B does.
	 */
	if (mc->topo == T_BOTH && ctl == 1) {
		cr_assert_eq(n->nt_s[0].sd_selected, 1);
		cr_assert_eq(n->nt_s[1].sd_selected, 1);
		cr_assert_eq(n->nt_s[0].sd_link[1], 1);
	} else {
		cr_assert_eq(n->nt_s[0].sd_selected, 0);
		cr_assert_eq(n->nt_s[1].sd_selected, 0);
		cr_assert_eq(n->nt_s[0].sd_link[0], 0);
	}
	cr_assert_gt(ct.uc[ctl], 0);
	cr_assert_eq(ct.uc[ctd], 0);
	cr_assert_eq(ct.err[0] + ct.err[1], 0);
	for (int i = 0; i < 2; i++) {
		st = ice_stats(&n->nt_s[i].sd_ag);
		cr_assert_eq(st->st_err_out, 0);
		cr_assert_eq(st->st_drop[ICE_DROP_BAD_INTEGRITY], 0);
		cr_assert_eq(st->st_drop[ICE_DROP_MALFORMED], 0);
		cr_assert_eq(st->st_drop[ICE_DROP_NO_FINGERPRINT], 0);
		if (mc->dialect == ICE_DIALECT_MSICE2)
			cr_assert_gt(st->st_dup_in, 0, "duplicates answered");
		else
			cr_assert_eq(st->st_dup_in, 0);
	}
	/* After the grace period only the selected connection is left. */
	ih_run(n, 2000 + 5000 + 100);
	assert_paired(n);
	for (int i = 0; i < 2; i++)
		for (int c = 0; c < ICE_MAX_CONNS; c++)
			if (c != n->nt_s[i].sd_selected)
				cr_assert_eq(n->nt_s[i].sd_link[c], -1);
	free(n);
}

/* Role conflicts resolve by tie-breaker, with a 487 on the wire. */
static void
conflict_case(enum ice_dialect d, enum ice_role both, uint64_t tba, uint64_t tbb,
    int expect_controlling)
{
	struct mcase mc = { d, 0, T_A_ACT_B_PASS, ICE_NOM_REGULAR };
	struct counts ct;
	struct ih_net *n = setup_case(&mc, &ct);

	for (int i = 0; i < 2; i++) {
		n->nt_s[i].sd_p.ip_role = both;
		n->nt_s[i].sd_p.ip_tiebreaker = i == 0 ? tba : tbb;
	}
	ih_init(n);
	ih_set_remote(n, 0);
	ih_set_remote(n, 1);
	ih_run(n, 2000);
	assert_paired(n);
	cr_assert_eq(ice_role(&n->nt_s[expect_controlling].sd_ag), ICE_CONTROLLING);
	cr_assert_eq(ice_role(&n->nt_s[1 - expect_controlling].sd_ag), ICE_CONTROLLED);
	cr_assert_eq(ice_stats(&n->nt_s[1].sd_ag)->st_err_out, 1, "one 487 from B");
	/* With MS duplicates the 487 goes out twice, built once. */
	cr_assert_eq(ct.err[1], d == ICE_DIALECT_MSICE2 ? 2 : 1);
	cr_assert_eq(ice_stats(&n->nt_s[0].sd_ag)->st_role_switch, 1);
	cr_assert_eq(ice_stats(&n->nt_s[1].sd_ag)->st_role_switch, 0);
	free(n);
}

Test(ice, role_conflict_both_controlling)
{
	/* B receives first; B's tie-breaker is larger: 487, A becomes controlled. */
	conflict_case(ICE_DIALECT_MSICE2, ICE_CONTROLLING, 5, 10, 1);
	conflict_case(ICE_DIALECT_RFC, ICE_CONTROLLING, 5, 10, 1);
}

Test(ice, role_conflict_both_controlled)
{
	/* B's tie-breaker is smaller: 487, A becomes controlling. */
	conflict_case(ICE_DIALECT_MSICE2, ICE_CONTROLLED, 10, 5, 0);
	conflict_case(ICE_DIALECT_RFC, ICE_CONTROLLED, 10, 5, 0);
}

Test(ice, role_conflict_switch_without_487)
{
	struct mcase mc = { ICE_DIALECT_RFC, 0, T_A_ACT_B_PASS, ICE_NOM_AGGRESSIVE };
	struct counts ct;
	struct ih_net *n = setup_case(&mc, &ct);

	/* Both controlling, receiver B has the smaller tie-breaker: it just switches. */
	n->nt_s[1].sd_p.ip_role = ICE_CONTROLLING;
	n->nt_s[1].sd_p.ip_tiebreaker = 1;
	ih_init(n);
	ih_set_remote(n, 0);
	ih_set_remote(n, 1);
	ih_run(n, 2000);
	assert_paired(n);
	cr_assert_eq(ice_role(&n->nt_s[1].sd_ag), ICE_CONTROLLED);
	cr_assert_eq(ct.err[0] + ct.err[1], 0);
	free(n);
}

/* Peer connects before its SDP reaches us. */
Test(ice, request_before_remote_creds)
{
	struct mcase mc = { ICE_DIALECT_MSICE2, 0, T_A_ACT_B_PASS, ICE_NOM_REGULAR };
	struct counts ct;
	struct ih_net *n = setup_case(&mc, &ct);

	ih_set_remote(n, 0);
	ih_run(n, 1000);
	cr_assert_eq(ice_state(&n->nt_s[1].sd_ag), ICE_ST_CHECKING);
	cr_assert_gt(ct.resp[1], 0, "B answers without knowing A's password");
	cr_assert_eq(ct.req[1], 0, "but cannot check back yet");
	ih_set_remote(n, 1);
	cr_assert_eq(ct.req[1], 1, "triggered check goes out with the SDP");
	ih_run(n, 3000);
	assert_paired(n);
	free(n);
}

/* Single-agent cases: the test is the peer. */

struct rq {
	const char	*user;
	const char	*pwd;
	enum stun_mi_rule rule;
	bool		 no_fp, no_mi, no_user, ms_pad, uc;
	uint16_t	 role_attr;
	uint64_t	 tb;
	uint32_t	 prio;
	uint8_t		 tid0;
};

static size_t
mkreq(uint8_t *buf, size_t cap, const struct rq *r)
{
	struct stun_builder b;
	uint8_t tid[STUN_TID_LEN];
	size_t len;

	memset(tid, r->tid0, sizeof(tid));
	stun_build_init(&b, buf, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), tid);
	stun_build_u32(&b, STUN_A_PRIORITY, r->prio ? r->prio : ms_prio(5));
	stun_build_u64(&b, r->role_attr ? r->role_attr : STUN_A_ICE_CONTROLLING,
	    r->tb ? r->tb : 7);
	if (r->uc)
		stun_build_flag(&b, STUN_A_USE_CANDIDATE);
	if (!r->no_user)
		stun_build_padded(&b, STUN_A_USERNAME, r->user, strlen(r->user), r->ms_pad);
	cr_assert_eq(stun_build_finish(&b, (const uint8_t *)r->pwd, strlen(r->pwd),
	    r->no_mi ? STUN_MI_NONE : r->rule, r->no_fp ? STUN_FP_NONE : STUN_FP_STD, &len),
	    STUN_OK);
	return len;
}

struct solo {
	struct ice_agent	ag;
	struct ice_params	p;
	struct tu_rng		rng;
	struct ice_out		out;
	int			conn;
	struct sockaddr_storage	peer, local;
};

static struct solo *
solo_new(enum ice_dialect d, bool creds)
{
	struct solo *s = calloc(1, sizeof(*s));
	struct ice_creds cr;

	cr_assert_not_null(s);
	ice_params_default(&s->p);
	s->p.ip_dialect = d;
	s->p.ip_tiebreaker = 3;
	strcpy(s->p.ip_local.cr_ufrag, B_UFRAG);
	strcpy(s->p.ip_local.cr_pwd, B_PWD);
	s->p.ip_cand_passive.lc_priority = ms_prio(2);
	strcpy(s->p.ip_cand_passive.lc_foundation, "1");
	tu_rng_seed(&s->rng, 42);
	s->p.ip_rand = tu_rng_fill;
	s->p.ip_rand_ctx = &s->rng;
	cr_assert_eq(ice_init(&s->ag, &s->p, 0), ICE_OK);
	if (creds) {
		memset(&cr, 0, sizeof(cr));
		strcpy(cr.cr_ufrag, A_UFRAG);
		strcpy(cr.cr_pwd, A_PWD);
		cr_assert_eq(ice_set_remote(&s->ag, 0, &cr, NULL, 0, &s->out), ICE_OK);
		cr_assert_eq(s->out.io_n, 0);
	}
	ih_addr(&s->peer, "192.0.2.7", 51000);
	ih_addr(&s->local, "198.51.100.2", 6000);
	s->conn = ice_on_accept(&s->ag, 10, &s->peer, &s->local, &s->out);
	cr_assert_eq(s->conn, 0);
	return s;
}

static struct rq
good_rq(enum ice_dialect d)
{
	struct rq r = { B_UFRAG ":" A_UFRAG, B_PWD,
	    d == ICE_DIALECT_MSICE2 ? STUN_MI_MSICE2 : STUN_MI_RFC5389,
	    false, false, false, d == ICE_DIALECT_MSICE2, false, 0, 0, 0, 0x11 };

	return r;
}

/* The one action must be an error response with code; returns its decoded form. */
static void
assert_error(const struct ice_out *o, int code, bool with_mi)
{
	struct stun_msg m;
	const struct stun_attr *a;
	const uint8_t *reason;
	size_t rl;
	int got;

	cr_assert_eq(o->io_n, 1);
	cr_assert_eq(o->io_act[0].ac_type, ICE_ACT_SEND);
	cr_assert_eq(stun_decode(o->io_act[0].ac_data, o->io_act[0].ac_len, &m), STUN_OK);
	cr_assert_eq(m.cls, STUN_CLASS_ERROR);
	cr_assert(m.flags & STUN_F_FINGERPRINT);
	cr_assert_eq(m.mi_idx >= 0, with_mi);
	a = stun_attr_find(&m, STUN_A_ERROR_CODE);
	cr_assert_not_null(a);
	cr_assert_eq(stun_attr_error_code(a, &got, &reason, &rl), STUN_OK);
	cr_assert_eq(got, code);
}

Test(ice, credentials_outcomes)
{
	uint8_t buf[512];
	size_t len;

	for (int d = 0; d < ICE_DIALECT_MAX; d++) {
		struct solo *s = solo_new((enum ice_dialect)d, true);
		struct rq r;

		r = good_rq((enum ice_dialect)d);
		r.pwd = "wrong-password-000000";
		len = mkreq(buf, sizeof(buf), &r);
		cr_assert_eq(ice_on_stun(&s->ag, 20, s->conn, buf, len, &s->out), ICE_OK);
		assert_error(&s->out, 401, false);

		r = good_rq((enum ice_dialect)d);
		r.user = "nope:" A_UFRAG;
		r.tid0 = 0x12;
		len = mkreq(buf, sizeof(buf), &r);
		cr_assert_eq(ice_on_stun(&s->ag, 20, s->conn, buf, len, &s->out), ICE_OK);
		assert_error(&s->out, 401, false);

		/* A prefix of our ufrag is not our ufrag. */
		r = good_rq((enum ice_dialect)d);
		r.user = "bU:" A_UFRAG;
		r.tid0 = 0x13;
		len = mkreq(buf, sizeof(buf), &r);
		cr_assert_eq(ice_on_stun(&s->ag, 20, s->conn, buf, len, &s->out), ICE_OK);
		assert_error(&s->out, 401, false);

		r = good_rq((enum ice_dialect)d);
		r.no_mi = true;
		r.tid0 = 0x14;
		len = mkreq(buf, sizeof(buf), &r);
		cr_assert_eq(ice_on_stun(&s->ag, 20, s->conn, buf, len, &s->out), ICE_OK);
		assert_error(&s->out, 401, false);

		r = good_rq((enum ice_dialect)d);
		r.no_fp = true;
		r.tid0 = 0x15;
		len = mkreq(buf, sizeof(buf), &r);
		cr_assert_eq(ice_on_stun(&s->ag, 20, s->conn, buf, len, &s->out),
		    ICE_E_DROPPED);
		cr_assert_eq(s->out.io_n, 0, "no FINGERPRINT: no response at all");
		cr_assert_eq(ice_last_drop(&s->ag), ICE_DROP_NO_FINGERPRINT);

		r = good_rq((enum ice_dialect)d);
		r.no_user = true;
		r.tid0 = 0x16;
		len = mkreq(buf, sizeof(buf), &r);
		cr_assert_eq(ice_on_stun(&s->ag, 20, s->conn, buf, len, &s->out),
		    ICE_E_DROPPED);
		cr_assert_eq(s->out.io_n, 0);
		cr_assert_eq(ice_last_drop(&s->ag), ICE_DROP_NO_USERNAME);

		cr_assert_eq(ice_stats(&s->ag)->st_err_out, 4);
		cr_assert_eq(ice_stats(&s->ag)->st_req_out, 0, "no triggered check");
		cr_assert_eq(ice_state(&s->ag), ICE_ST_CHECKING);
		cr_assert_eq(ice_selected_conn(&s->ag), -1);
		free(s);
	}
}

Test(ice, accepts_both_username_paddings_and_mirrors_mi_rule)
{
	uint8_t buf[512];
	struct stun_msg m;
	enum stun_mi_rule got;
	size_t len;

	for (int d = 0; d < ICE_DIALECT_MAX; d++)
		for (int pad = 0; pad < 2; pad++)
			for (int rl = 0; rl < 2; rl++) {
				struct solo *s = solo_new((enum ice_dialect)d, true);
				struct rq r = good_rq((enum ice_dialect)d);

				r.ms_pad = pad;
				r.rule = rl ? STUN_MI_MSICE2 : STUN_MI_RFC5389;
				len = mkreq(buf, sizeof(buf), &r);
				cr_assert_eq(ice_on_stun(&s->ag, 20, s->conn, buf, len, &s->out),
				    ICE_OK);
				cr_assert_eq(s->out.io_n, 2, "response + triggered check");
				for (int k = 0; k < 2; k++) {
					const struct ice_action *a = &s->out.io_act[k];
					const char *key = k == 0 ? B_PWD : A_PWD;

					cr_assert_eq(stun_decode(a->ac_data, a->ac_len, &m),
					    STUN_OK);
					cr_assert_eq(m.cls, k == 0 ? STUN_CLASS_SUCCESS :
					    STUN_CLASS_REQUEST);
					cr_assert_eq(stun_check_integrity(&m,
					    (const uint8_t *)key, strlen(key), STUN_MI_ANY,
					    &got), STUN_OK);
					cr_assert_eq(got, r.rule, "mirrors the peer's rule");
				}
				free(s);
			}
}

Test(ice, request_answered_before_creds_then_triggered)
{
	struct solo *s = solo_new(ICE_DIALECT_MSICE2, false);
	struct rq r = good_rq(ICE_DIALECT_MSICE2);
	struct ice_creds cr;
	struct stun_msg m;
	uint8_t buf[512];
	size_t len;

	r.uc = true;
	len = mkreq(buf, sizeof(buf), &r);
	cr_assert_eq(ice_on_stun(&s->ag, 20, s->conn, buf, len, &s->out), ICE_OK);
	cr_assert_eq(s->out.io_n, 1);
	cr_assert_eq(stun_decode(s->out.io_act[0].ac_data, s->out.io_act[0].ac_len, &m),
	    STUN_OK);
	cr_assert_eq(m.cls, STUN_CLASS_SUCCESS);

	memset(&cr, 0, sizeof(cr));
	strcpy(cr.cr_ufrag, A_UFRAG);
	strcpy(cr.cr_pwd, A_PWD);
	cr_assert_eq(ice_set_remote(&s->ag, 30, &cr, NULL, 0, &s->out), ICE_OK);
	cr_assert_eq(s->out.io_n, 1);
	cr_assert_eq(s->out.io_act[0].ac_type, ICE_ACT_SEND);
	cr_assert_eq(s->out.io_act[0].ac_conn, s->conn);
	cr_assert_eq(stun_decode(s->out.io_act[0].ac_data, s->out.io_act[0].ac_len, &m),
	    STUN_OK);
	cr_assert_eq(m.cls, STUN_CLASS_REQUEST);
	cr_assert_eq(stun_check_integrity(&m, (const uint8_t *)A_PWD, strlen(A_PWD),
	    STUN_MI_MSICE2, NULL), STUN_OK);
	free(s);
}

Test(ice, duplicate_request_answered_identically)
{
	struct solo *s = solo_new(ICE_DIALECT_MSICE2, true);
	struct rq r = good_rq(ICE_DIALECT_MSICE2);
	uint8_t buf[512], first[ICE_MSG_MAX];
	size_t len, flen;

	len = mkreq(buf, sizeof(buf), &r);
	cr_assert_eq(ice_on_stun(&s->ag, 20, s->conn, buf, len, &s->out), ICE_OK);
	cr_assert_eq(s->out.io_n, 2);
	flen = s->out.io_act[0].ac_len;
	memcpy(first, s->out.io_act[0].ac_data, flen);
	cr_assert_eq(ice_on_stun(&s->ag, 21, s->conn, buf, len, &s->out), ICE_OK);
	cr_assert_eq(s->out.io_n, 1, "no second triggered check");
	cr_assert_eq(s->out.io_act[0].ac_len, flen);
	cr_assert_eq(memcmp(s->out.io_act[0].ac_data, first, flen), 0);
	cr_assert_eq(ice_stats(&s->ag)->st_dup_in, 1);
	cr_assert_eq(ice_stats(&s->ag)->st_err_out, 0);
	cr_assert_eq(ice_stats(&s->ag)->st_req_out, 1);
	free(s);
}

/* Response cache (ice.h): one ring for the agent, entries tagged with conn and tid. */

static bool
sa_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

	if (a->ss_family == AF_INET6 && b->ss_family == AF_INET6)
		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	return ih_addr_eq(a, b);
}

static void
ih_addr6(struct sockaddr_storage *ss, const char *ip, uint16_t port, uint32_t scope)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_flowinfo = htonl(0x12345);
	sin6->sin6_scope_id = scope;
	cr_assert_eq(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
}

/* Send r on conn; the first action must be a success answer mapping to peer. */
static void
ask(struct solo *s, uint64_t now, int conn, const struct rq *r,
    const struct sockaddr_storage *peer, uint8_t *ans, size_t *anslen)
{
	const struct stun_attr *a;
	struct sockaddr_storage xa;
	struct stun_msg m;
	uint8_t buf[1024];
	size_t len;

	len = mkreq(buf, sizeof(buf), r);
	cr_assert_eq(ice_on_stun(&s->ag, now, conn, buf, len, &s->out), ICE_OK);
	cr_assert_geq(s->out.io_n, 1);
	cr_assert_eq(s->out.io_act[0].ac_type, ICE_ACT_SEND);
	cr_assert_eq(s->out.io_act[0].ac_conn, conn);
	cr_assert_eq(stun_decode(s->out.io_act[0].ac_data, s->out.io_act[0].ac_len, &m),
	    STUN_OK);
	cr_assert_eq(m.cls, STUN_CLASS_SUCCESS);
	cr_assert_eq(stun_check_integrity(&m, (const uint8_t *)s->p.ip_local.cr_pwd,
	    strlen(s->p.ip_local.cr_pwd), STUN_MI_ANY, NULL), STUN_OK);
	a = stun_attr_find(&m, STUN_A_XOR_MAPPED_ADDRESS);
	cr_assert_not_null(a);
	cr_assert_eq(stun_attr_xor_addr(&m, a, &xa), STUN_OK);
	cr_assert(sa_same(&xa, peer), "XOR-MAPPED-ADDRESS is this connection's peer");
	if (ans != NULL) {
		*anslen = s->out.io_act[0].ac_len;
		memcpy(ans, s->out.io_act[0].ac_data, *anslen);
	}
}

Test(ice, duplicates_on_two_connections)
{
	struct solo *s = solo_new(ICE_DIALECT_MSICE2, true);
	struct rq r = good_rq(ICE_DIALECT_MSICE2);
	struct sockaddr_storage peer1;
	uint8_t a0[ICE_MSG_MAX], a1[ICE_MSG_MAX], d[ICE_MSG_MAX];
	size_t l0, l1, dl;
	int c1;

	ih_addr(&peer1, "203.0.113.9", 52000);
	c1 = ice_on_accept(&s->ag, 11, &peer1, &s->local, &s->out);
	cr_assert_eq(c1, 1);
	/* The same transaction id on both: only the connection tells them apart. */
	ask(s, 20, s->conn, &r, &s->peer, a0, &l0);
	ask(s, 21, c1, &r, &peer1, a1, &l1);
	cr_assert(l0 != l1 || memcmp(a0, a1, l0) != 0);
	cr_assert_eq(ice_stats(&s->ag)->st_dup_in, 0);
	ask(s, 22, s->conn, &r, &s->peer, d, &dl);
	cr_assert_eq(s->out.io_n, 1);
	cr_assert(dl == l0 && memcmp(d, a0, l0) == 0, "conn 0's own answer");
	ask(s, 23, c1, &r, &peer1, d, &dl);
	cr_assert_eq(s->out.io_n, 1);
	cr_assert(dl == l1 && memcmp(d, a1, l1) == 0, "conn 1's own answer");
	cr_assert_eq(ice_stats(&s->ag)->st_dup_in, 2);
	cr_assert_eq(ice_stats(&s->ag)->st_resp_out, 2);
	free(s);
}

Test(ice, reused_conn_id_does_not_get_old_answer)
{
	struct solo *s = solo_new(ICE_DIALECT_MSICE2, true);
	struct rq r = good_rq(ICE_DIALECT_MSICE2);
	struct sockaddr_storage peer2;
	uint8_t a0[ICE_MSG_MAX], a1[ICE_MSG_MAX];
	size_t l0, l1;
	int c;

	ask(s, 20, s->conn, &r, &s->peer, a0, &l0);
	cr_assert_eq(ice_on_closed(&s->ag, 30, s->conn, &s->out), ICE_OK);
	ih_addr(&peer2, "203.0.113.77", 53000);
	c = ice_on_accept(&s->ag, 40, &peer2, &s->local, &s->out);
	cr_assert_eq(c, s->conn, "the id comes back");
	ask(s, 50, c, &r, &peer2, a1, &l1);
	cr_assert_eq(s->out.io_n, 2, "processed afresh: answer and triggered check");
	cr_assert(l0 != l1 || memcmp(a0, a1, l0) != 0);
	cr_assert_eq(ice_stats(&s->ag)->st_dup_in, 0);
	cr_assert_eq(ice_stats(&s->ag)->st_resp_out, 2);
	free(s);
}

/*
 * More answers than the cache holds, of mixed sizes so that the ring wraps: every
 * request is still answered, from the cache or afresh, and with the same bytes.
 */
Test(ice, cache_overflow_still_answers)
{
	enum { N = ICE_RESP_CACHE + 5 };
	struct solo *s = solo_new(ICE_DIALECT_MSICE2, true);
	static uint8_t first[N][ICE_MSG_MAX];
	size_t flen[N], dl, k;
	char users[N][400];
	uint8_t d[ICE_MSG_MAX];
	struct rq r;
	uint64_t dup0, resp0;
	int pass, i;

	for (k = 0; k < N; k++) {
		r = good_rq(ICE_DIALECT_MSICE2);
		snprintf(users[k], sizeof(users[k]), "%s:%s", B_UFRAG, A_UFRAG);
		/* Every third answer is large: a long (but valid) USERNAME is echoed. */
		if (k % 3 == 2)
			for (i = 0; i < 300; i++)
				strcat(users[k], "x");
		r.user = users[k];
		r.tid0 = (uint8_t)(0x40 + k);
		ask(s, 20 + k, s->conn, &r, &s->peer, first[k], &flen[k]);
		cr_assert_leq(flen[k], ICE_RESP_MAX);
	}
	cr_assert_gt(flen[2], 300);
	cr_assert_eq(ice_stats(&s->ag)->st_dup_in, 0);
	for (pass = 0; pass < 2; pass++) {
		dup0 = ice_stats(&s->ag)->st_dup_in;
		resp0 = ice_stats(&s->ag)->st_resp_out;
		/* Newest first, then oldest first (every entry evicted before it is asked). */
		for (k = 0; k < N; k++) {
			size_t j = pass == 0 ? N - 1 - k : k;

			r = good_rq(ICE_DIALECT_MSICE2);
			r.user = users[j];
			r.tid0 = (uint8_t)(0x40 + j);
			ask(s, 100 + k, s->conn, &r, &s->peer, d, &dl);
			cr_assert_eq(s->out.io_n, 1);
			cr_assert(dl == flen[j] && memcmp(d, first[j], dl) == 0,
			    "request %zu: same answer", j);
		}
		cr_assert_eq(ice_stats(&s->ag)->st_dup_in - dup0 +
		    ice_stats(&s->ag)->st_resp_out - resp0, N);
		if (pass == 0) {
			cr_assert_gt(ice_stats(&s->ag)->st_dup_in - dup0, 0, "newest cached");
			cr_assert_gt(ice_stats(&s->ag)->st_resp_out - resp0, 0,
			    "oldest evicted");
		}
	}
	free(s);
}

/* The largest answer of ice.h's arithmetic (604 bytes) is cached, and so is 700. */
Test(ice, largest_answers_cached)
{
	struct solo *s = solo_new(ICE_DIALECT_MSICE2, true);
	struct sockaddr_storage peer6;
	struct ice_creds cr;
	static char user[ICE_MSG_MAX];
	uint8_t a[ICE_MSG_MAX], d[ICE_MSG_MAX];
	size_t al, dl;
	struct rq r;
	int c;

	memset(s->p.ip_local.cr_ufrag, 'L', ICE_UFRAG_MAX);
	s->p.ip_local.cr_ufrag[ICE_UFRAG_MAX] = '\0';
	cr_assert_eq(ice_init(&s->ag, &s->p, 0), ICE_OK);
	memset(&cr, 0, sizeof(cr));
	memset(cr.cr_ufrag, 'R', ICE_UFRAG_MAX);
	strcpy(cr.cr_pwd, A_PWD);
	cr_assert_eq(ice_set_remote(&s->ag, 0, &cr, NULL, 0, &s->out), ICE_OK);
	ih_addr6(&peer6, "2001:db8::7", 51000, 0);
	c = ice_on_accept(&s->ag, 10, &peer6, NULL, &s->out);
	cr_assert_geq(c, 0);

	r = good_rq(ICE_DIALECT_MSICE2);
	snprintf(user, sizeof(user), "%s:%s", s->p.ip_local.cr_ufrag, cr.cr_ufrag);
	r.user = user;
	ask(s, 20, c, &r, &peer6, a, &al);
	cr_assert_eq(al, 604);
	ask(s, 21, c, &r, &peer6, d, &dl);
	cr_assert(dl == al && memcmp(d, a, al) == 0);
	cr_assert_eq(ice_stats(&s->ag)->st_dup_in, 1);

	/* A peer padding USERNAME up to what the builder takes: 700 bytes, cached too. */
	memset(user + strlen(user), 'p', 612 - strlen(user));
	user[612] = '\0';
	r.tid0 = 0x22;
	ask(s, 30, c, &r, &peer6, a, &al);
	cr_assert_eq(al, ICE_MSG_MAX);
	ask(s, 31, c, &r, &peer6, d, &dl);
	cr_assert(dl == al && memcmp(d, a, al) == 0);
	cr_assert_eq(ice_stats(&s->ag)->st_dup_in, 2);
	free(s);
}

/* IPv6 through the agent's compact addresses: answers, CONNECT, re-offer. */
Test(ice, ipv6_round_trip)
{
	struct solo *s = calloc(1, sizeof(*s));
	struct sockaddr_storage local6, acc6;
	struct ice_creds cr;
	struct ice_cand cand;
	struct rq r;
	int c;

	cr_assert_not_null(s);
	ice_params_default(&s->p);
	s->p.ip_dialect = ICE_DIALECT_MSICE2;
	s->p.ip_active = true;
	strcpy(s->p.ip_local.cr_ufrag, B_UFRAG);
	strcpy(s->p.ip_local.cr_pwd, B_PWD);
	tu_rng_seed(&s->rng, 7);
	s->p.ip_rand = tu_rng_fill;
	s->p.ip_rand_ctx = &s->rng;
	cr_assert_eq(ice_init(&s->ag, &s->p, 0), ICE_OK);

	memset(&cand, 0, sizeof(cand));
	ih_addr6(&cand.ca_addr, "fe80::1:2", 50123, 3);
	cand.ca_component = 1;
	cand.ca_priority = ms_prio(2);
	cand.ca_tcptype = ICE_TCP_PASSIVE;
	memset(&cr, 0, sizeof(cr));
	strcpy(cr.cr_ufrag, A_UFRAG);
	strcpy(cr.cr_pwd, A_PWD);
	cr_assert_eq(ice_set_remote(&s->ag, 0, &cr, &cand, 1, &s->out), ICE_OK);
	cr_assert_eq(s->out.io_n, 1);
	cr_assert_eq(s->out.io_act[0].ac_type, ICE_ACT_CONNECT);
	c = s->out.io_act[0].ac_conn;
	cr_assert_eq(memcmp(&s->out.io_act[0].ac_addr, &cand.ca_addr,
	    sizeof(cand.ca_addr)), 0, "address, port, flowinfo and scope id kept");

	/* A re-offer of the same candidate opens nothing new. */
	cr_assert_eq(ice_set_remote(&s->ag, 5, &cr, &cand, 1, &s->out), ICE_OK);
	cr_assert_eq(s->out.io_n, 0);

	ih_addr6(&local6, "fe80::99", 40000, 3);
	cr_assert_eq(ice_on_connected(&s->ag, 10, c, &local6, &s->out), ICE_OK);
	cr_assert_eq(s->out.io_n, 1);
	r = good_rq(ICE_DIALECT_MSICE2);
	ask(s, 20, c, &r, &cand.ca_addr, NULL, NULL);

	/* And an accepted IPv6 connection. */
	ih_addr6(&acc6, "2001:db8:1::42", 61000, 0);
	c = ice_on_accept(&s->ag, 30, &acc6, &local6, &s->out);
	cr_assert_geq(c, 0);
	r.tid0 = 0x33;
	ask(s, 40, c, &r, &acc6, NULL, NULL);
	free(s);
}

/* The worker keeps two agents per session (memory target: a few KiB idle). */
Test(ice, agent_size)
{
	cr_log_info("sizeof(struct ice_agent) = %zu", sizeof(struct ice_agent));
	cr_assert_leq(sizeof(struct ice_agent), 4096);
}

Test(ice, component2_check_answered_but_ignored)
{
	struct solo *s = solo_new(ICE_DIALECT_MSICE2, true);
	struct rq r = good_rq(ICE_DIALECT_MSICE2);
	uint8_t buf[512];
	size_t len;

	r.prio = ms_prio(5) - 1;	/* low byte 254: component 2 */
	r.uc = true;
	len = mkreq(buf, sizeof(buf), &r);
	cr_assert_eq(ice_on_stun(&s->ag, 20, s->conn, buf, len, &s->out), ICE_OK);
	cr_assert_eq(s->out.io_n, 1, "answered, no triggered check");
	cr_assert_eq(ice_state(&s->ag), ICE_ST_CHECKING);
	free(s);
}

/* Timers (D12, D13). */

static struct ih_net *
completed_pair(enum ice_dialect d, struct counts *ct)
{
	struct mcase mc = { d, 1, T_A_ACT_B_PASS, ICE_NOM_REGULAR };
	struct ih_net *n = setup_case(&mc, ct);

	n->nt_dup_requests = false;
	ih_set_remote(n, 0);
	ih_set_remote(n, 1);
	ih_run(n, 100);
	assert_paired(n);
	return n;
}

Test(ice, keepalive_at_exactly_idle)
{
	for (int d = 0; d < ICE_DIALECT_MAX; d++) {
		struct counts ct;
		struct ih_net *n = completed_pair((enum ice_dialect)d, &ct);
		uint64_t t0 = ct.last_send[0][0];

		ih_run(n, t0 + 15000 - 1);
		cr_assert_eq(ct.ka[0], 0, "not before 15 s");
		ih_run(n, t0 + 15000);
		cr_assert_eq(ct.ka[0], 1, "at 15 s idle");
		if (d == ICE_DIALECT_MSICE2)
			cr_assert_eq(ct.ind[0] + ct.ind[1], 0);
		else
			cr_assert_gt(ct.ind[0], 0);
		ih_run(n, 100000);
		cr_assert(ct.keepalive_exact);
		cr_assert_gt(ct.ka[0] + ct.ka[1], 8);
		/* Keepalives are traffic both ways: nobody declared dead. */
		cr_assert(!n->nt_s[0].sd_failed && !n->nt_s[1].sd_failed);
		free(n);
	}
}

Test(ice, media_postpones_keepalive)
{
	struct counts ct;
	struct ih_net *n = completed_pair(ICE_DIALECT_MSICE2, &ct);
	uint64_t t0 = ct.last_send[0][0];

	/* A silent peer: B's own keepalives would make A answer, which is sending too. */
	n->nt_s[1].sd_failed = true;
	ih_run(n, t0 + 10000);
	ice_on_sent(&n->nt_s[0].sd_ag, n->nt_now, n->nt_s[0].sd_selected);
	ct.last_send[0][0] = n->nt_now;
	ih_run(n, t0 + 15000);
	cr_assert_eq(ct.ka[0], 0);
	ih_run(n, t0 + 25000);
	cr_assert_eq(ct.ka[0], 1);
	cr_assert(ct.keepalive_exact);
	free(n);
}

Test(ice, dead_after_receive_idle)
{
	for (int d = 0; d < ICE_DIALECT_MAX; d++) {
		struct counts ct;
		struct ih_net *n = completed_pair((enum ice_dialect)d, &ct);
		uint64_t last;

		n->nt_s[0].sd_blackhole = true;
		last = n->nt_s[0].sd_last_rx;
		ih_run(n, last + 30000 - 1);
		cr_assert(!n->nt_s[0].sd_failed);
		ih_run(n, last + 30000);
		cr_assert(n->nt_s[0].sd_failed);
		cr_assert_eq(n->nt_s[0].sd_freason, ICE_R_DEAD);
		cr_assert_eq(n->nt_s[0].sd_failed_at, last + 30000);
		cr_assert_eq(ice_state(&n->nt_s[0].sd_ag), ICE_ST_FAILED);
		cr_assert_eq(ice_next_deadline(&n->nt_s[0].sd_ag), UINT64_MAX);
		free(n);
	}
}

Test(ice, media_keeps_alive)
{
	struct counts ct;
	struct ih_net *n = completed_pair(ICE_DIALECT_RFC, &ct);
	uint64_t last;

	n->nt_s[0].sd_blackhole = true;
	last = n->nt_s[0].sd_last_rx;
	ih_run(n, last + 20000);
	ice_on_received(&n->nt_s[0].sd_ag, n->nt_now, n->nt_s[0].sd_selected);
	ih_run(n, last + 49999);
	cr_assert(!n->nt_s[0].sd_failed);
	ih_run(n, last + 50000);
	cr_assert(n->nt_s[0].sd_failed);
	free(n);
}

Test(ice, completion_timeout_without_peer)
{
	struct solo *s = solo_new(ICE_DIALECT_MSICE2, false);

	cr_assert_eq(ice_next_deadline(&s->ag), 120000);
	cr_assert_eq(ice_on_tick(&s->ag, 119999, &s->out), ICE_OK);
	cr_assert_eq(s->out.io_n, 0);
	cr_assert_eq(ice_state(&s->ag), ICE_ST_CHECKING);
	cr_assert_eq(ice_on_tick(&s->ag, 120000, &s->out), ICE_OK);
	cr_assert_eq(s->out.io_n, 1);
	cr_assert_eq(s->out.io_act[0].ac_type, ICE_ACT_FAILED);
	cr_assert_eq(s->out.io_act[0].ac_reason, ICE_R_COMPLETION_TIMEOUT);
	cr_assert_eq(ice_failure(&s->ag), ICE_R_COMPLETION_TIMEOUT);
	cr_assert_eq(ice_on_tick(&s->ag, 130000, &s->out), ICE_OK);
	cr_assert_eq(s->out.io_n, 0, "inert after FAILED");
	free(s);
}

Test(ice, check_timeout_closes_connection)
{
	struct mcase mc = { ICE_DIALECT_RFC, 0, T_A_ACT_B_PASS, ICE_NOM_REGULAR };
	struct counts ct;
	struct ih_net *n = setup_case(&mc, &ct);

	n->nt_s[1].sd_blackhole = true;
	ih_set_remote(n, 0);
	ih_run(n, 8000 - 1);
	cr_assert_eq(n->nt_s[0].sd_ncloses, 0);
	ih_run(n, 8000);
	cr_assert_eq(n->nt_s[0].sd_ncloses, 1);
	cr_assert_eq(n->nt_s[0].sd_close_reason, ICE_R_CHECK_TIMEOUT);
	ih_run(n, 200000);
	cr_assert_eq(n->nt_s[0].sd_freason, ICE_R_COMPLETION_TIMEOUT);
	cr_assert_eq(n->nt_s[0].sd_failed_at, 120000);
	free(n);
}

Test(ice, grace_closes_non_selected)
{
	struct mcase mc = { ICE_DIALECT_MSICE2, 0, T_BOTH, ICE_NOM_REGULAR };
	struct counts ct;
	struct ih_net *n = setup_case(&mc, &ct);
	uint64_t ts;

	ih_set_remote(n, 0);
	ih_set_remote(n, 1);
	ih_run(n, 100);
	assert_paired(n);
	ts = n->nt_s[0].sd_selected_at < n->nt_s[1].sd_selected_at ?
	    n->nt_s[0].sd_selected_at : n->nt_s[1].sd_selected_at;
	ih_run(n, ts + 5000 - 1);
	cr_assert_eq(n->nt_s[0].sd_ncloses + n->nt_s[1].sd_ncloses, 0);
	ih_run(n, ts + 5000);
	cr_assert_eq(n->nt_s[0].sd_ncloses + n->nt_s[1].sd_ncloses, 1);
	cr_assert_eq(n->nt_link[1].lk_alive, false);
	cr_assert_eq(n->nt_link[0].lk_alive, true);
	cr_assert(n->nt_s[0].sd_ncloses ? n->nt_s[0].sd_close_reason == ICE_R_NOT_SELECTED :
	    n->nt_s[1].sd_close_reason == ICE_R_NOT_SELECTED);
	free(n);
}

Test(ice, selected_closed_fails)
{
	struct counts ct;
	struct ih_net *n = completed_pair(ICE_DIALECT_RFC, &ct);

	cr_assert_eq(ice_on_closed(&n->nt_s[0].sd_ag, n->nt_now, n->nt_s[0].sd_selected,
	    &(struct ice_out){0}), ICE_OK);
	cr_assert_eq(ice_state(&n->nt_s[0].sd_ag), ICE_ST_FAILED);
	cr_assert_eq(ice_failure(&n->nt_s[0].sd_ag), ICE_R_SELECTED_CLOSED);
	free(n);
}

Test(ice, names_and_limits)
{
	struct solo *s = solo_new(ICE_DIALECT_RFC, true);
	struct sockaddr_storage a;
	int c, k;

	ih_addr(&a, "192.0.2.9", 1);
	for (k = 1; k < ICE_MAX_CONNS; k++)
		cr_assert_geq(ice_on_accept(&s->ag, 20, &a, NULL, &s->out), 0);
	c = ice_on_accept(&s->ag, 20, &a, NULL, &s->out);
	cr_assert_eq(c, ICE_E_FULL);
	cr_assert_str_eq(ice_strerror(ICE_E_FULL), "no free slot");
	cr_assert_str_eq(ice_reason_str(ICE_R_DEAD), "nothing received");
	cr_assert_str_eq(ice_drop_str(ICE_DROP_NO_FINGERPRINT), "no fingerprint");
	cr_assert_str_eq(ice_state_str(ICE_ST_COMPLETED), "completed");
	cr_assert_str_eq(ice_action_str(ICE_ACT_CONNECT), "connect");
	cr_assert_str_eq(ice_reason_str(ICE_R_MAX), "unknown reason");
	cr_assert_eq(ice_on_stun(&s->ag, 20, ICE_MAX_CONNS, NULL, 0, &s->out), ICE_E_ARG);
	free(s);
}
