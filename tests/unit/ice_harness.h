/*
 * In-memory network for ICE agent tests: two agents, a fake clock, simulated TCP
 * connections with zero latency and FIFO delivery.  A CONNECT from one side to the
 * other's passive address becomes ice_on_accept() there and ice_on_connected() here;
 * SEND actions are queued and delivered to the other end's ice_on_stun(); CLOSE tells
 * the other end with ice_on_closed().  Every message sent goes through a checker hook.
 */
#ifndef APPSHARE_ICE_HARNESS_H
#define APPSHARE_ICE_HARNESS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ice.h"
#include "test_util.h"

#define IH_QMAX		256
#define IH_LINKS	64

struct ih_side {
	struct ice_agent	 sd_ag;
	struct ice_params	 sd_p;
	struct sockaddr_storage	 sd_passive;	/* where we listen */
	int			 sd_link[ICE_MAX_CONNS];	/* conn -> link, or -1 */
	int			 sd_selected;	/* conn from SELECTED, or -1 */
	int			 sd_nselected;
	uint64_t		 sd_selected_at;
	bool			 sd_failed;
	enum ice_reason		 sd_freason;
	uint64_t		 sd_failed_at;
	int			 sd_ncloses;
	enum ice_reason		 sd_close_reason;
	uint64_t		 sd_close_at;
	uint64_t		 sd_last_rx;	/* last delivery to us */
	bool			 sd_blackhole;	/* drop what is sent to us */
};

struct ih_link {
	bool	lk_alive;
	int	lk_conn[2];		/* conn id on side 0 and on side 1 */
	struct sockaddr_storage lk_addr[2];	/* each side's address on it */
};

struct ih_msg {
	int	qm_to;
	int	qm_link;
	size_t	qm_len;
	uint8_t	qm_buf[ICE_MSG_MAX];
};

struct ih_net;
typedef void	(*ih_check_fn)(struct ih_net *, int from, int conn, const uint8_t *,
		    size_t);

struct ih_net {
	struct ih_side	 nt_s[2];
	uint64_t	 nt_now;
	struct tu_rng	 nt_rng[2];
	struct ih_link	 nt_link[IH_LINKS];
	int		 nt_nlinks;
	struct ih_msg	 nt_q[IH_QMAX];
	size_t		 nt_qhead, nt_qlen;
	bool		 nt_dup_requests;	/* deliver requests twice, like libnice MS */
	ih_check_fn	 nt_check;
	void		*nt_ctx;
	int		 nt_next_port;
};

static inline void
ih_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
}

static inline bool
ih_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *x = (const struct sockaddr_in *)a;
	const struct sockaddr_in *y = (const struct sockaddr_in *)b;

	return a->ss_family == AF_INET && b->ss_family == AF_INET &&
	    x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

static inline void
ih_push(struct ih_net *n, int to, int link, const uint8_t *buf, size_t len)
{
	struct ih_msg *m;

	if (n->nt_qlen >= IH_QMAX || len > ICE_MSG_MAX)
		abort();
	m = &n->nt_q[(n->nt_qhead + n->nt_qlen++) % IH_QMAX];
	m->qm_to = to;
	m->qm_link = link;
	m->qm_len = len;
	memcpy(m->qm_buf, buf, len);
}

static void	ih_apply(struct ih_net *, int side, struct ice_out *);

static inline struct ice_out *
ih_out(void)
{
	struct ice_out *o = calloc(1, sizeof(*o));

	if (o == NULL)
		abort();
	return o;
}

static inline void
ih_connect(struct ih_net *n, int i, int conn, const struct sockaddr_storage *to)
{
	struct ih_side *me = &n->nt_s[i], *peer = &n->nt_s[1 - i];
	struct ice_out *o = ih_out();
	struct ih_link *lk;
	struct sockaddr_storage src;
	int pc, l;

	if (!peer->sd_p.ip_passive || !ih_addr_eq(to, &peer->sd_passive) ||
	    n->nt_nlinks >= IH_LINKS) {
		ice_on_closed(&me->sd_ag, n->nt_now, conn, o);	/* refused */
		ih_apply(n, i, o);
		free(o);
		return;
	}
	ih_addr(&src, i == 0 ? "192.0.2.1" : "192.0.2.2", (uint16_t)n->nt_next_port++);
	pc = ice_on_accept(&peer->sd_ag, n->nt_now, &src, &peer->sd_passive, o);
	if (pc < 0) {
		ice_on_closed(&me->sd_ag, n->nt_now, conn, o);
		ih_apply(n, i, o);
		free(o);
		return;
	}
	l = n->nt_nlinks++;
	lk = &n->nt_link[l];
	lk->lk_alive = true;
	lk->lk_conn[i] = conn;
	lk->lk_conn[1 - i] = pc;
	lk->lk_addr[i] = src;
	lk->lk_addr[1 - i] = peer->sd_passive;
	me->sd_link[conn] = l;
	peer->sd_link[pc] = l;
	ih_apply(n, 1 - i, o);
	ice_on_connected(&me->sd_ag, n->nt_now, conn, &src, o);
	ih_apply(n, i, o);
	free(o);
}

static inline void
ih_apply(struct ih_net *n, int i, struct ice_out *out)
{
	struct ih_side *me = &n->nt_s[i];
	const struct ice_action *a;
	struct ice_out *o;
	size_t k;
	int l, pc;

	for (k = 0; k < out->io_n; k++) {
		a = &out->io_act[k];
		switch (a->ac_type) {
		case ICE_ACT_SEND:
			l = me->sd_link[a->ac_conn];
			if (l < 0 || !n->nt_link[l].lk_alive)
				abort();	/* SEND on a conn that is not open */
			if (n->nt_check != NULL)
				n->nt_check(n, i, a->ac_conn, a->ac_data, a->ac_len);
			ih_push(n, 1 - i, l, a->ac_data, a->ac_len);
			if (n->nt_dup_requests && a->ac_len > 1 && a->ac_data[0] == 0x00 &&
			    a->ac_data[1] == 0x01)
				ih_push(n, 1 - i, l, a->ac_data, a->ac_len);
			break;
		case ICE_ACT_CONNECT:
			me->sd_link[a->ac_conn] = -1;
			ih_connect(n, i, a->ac_conn, &a->ac_addr);
			break;
		case ICE_ACT_CLOSE:
			me->sd_ncloses++;
			me->sd_close_reason = a->ac_reason;
			me->sd_close_at = n->nt_now;
			l = me->sd_link[a->ac_conn];
			me->sd_link[a->ac_conn] = -1;
			if (l < 0 || !n->nt_link[l].lk_alive)
				break;
			n->nt_link[l].lk_alive = false;
			pc = n->nt_link[l].lk_conn[1 - i];
			n->nt_s[1 - i].sd_link[pc] = -1;
			if (!n->nt_s[1 - i].sd_failed) {
				o = ih_out();
				ice_on_closed(&n->nt_s[1 - i].sd_ag, n->nt_now, pc, o);
				ih_apply(n, 1 - i, o);
				free(o);
			}
			break;
		case ICE_ACT_SELECTED:
			me->sd_selected = a->ac_conn;
			me->sd_nselected++;
			me->sd_selected_at = n->nt_now;
			break;
		case ICE_ACT_FAILED:
			me->sd_failed = true;
			me->sd_freason = a->ac_reason;
			me->sd_failed_at = n->nt_now;
			break;
		case ICE_ACT_MAX:
			abort();
		}
	}
}

/* Set up side i; the test fills sd_p afterwards and calls ih_start(). */
static inline struct ih_net *
ih_new(void)
{
	struct ih_net *n = calloc(1, sizeof(*n));
	int i, c;

	if (n == NULL)
		abort();
	n->nt_next_port = 40000;
	for (i = 0; i < 2; i++) {
		struct ih_side *s = &n->nt_s[i];

		ice_params_default(&s->sd_p);
		s->sd_p.ip_rand = tu_rng_fill;
		s->sd_p.ip_rand_ctx = &n->nt_rng[i];
		tu_rng_seed(&n->nt_rng[i], 1000 + (uint64_t)i);
		s->sd_selected = -1;
		for (c = 0; c < ICE_MAX_CONNS; c++)
			s->sd_link[c] = -1;
	}
	ih_addr(&n->nt_s[0].sd_passive, "198.51.100.1", 5000);
	ih_addr(&n->nt_s[1].sd_passive, "198.51.100.2", 6000);
	return n;
}

static inline void
ih_init(struct ih_net *n)
{
	int i;

	for (i = 0; i < 2; i++)
		if (ice_init(&n->nt_s[i].sd_ag, &n->nt_s[i].sd_p, n->nt_now) != ICE_OK)
			abort();
}

/* The candidates side i's SDP would list: passive comp 1 and 2, active port 9. */
static inline size_t
ih_cands(const struct ih_net *n, int i, struct ice_cand *c)
{
	const struct ih_side *s = &n->nt_s[i];
	size_t k = 0;

	if (s->sd_p.ip_passive) {
		memset(&c[k], 0, sizeof(c[k]));
		c[k].ca_addr = s->sd_passive;
		c[k].ca_component = 1;
		c[k].ca_priority = s->sd_p.ip_cand_passive.lc_priority;
		c[k].ca_tcptype = ICE_TCP_PASSIVE;
		strcpy(c[k].ca_foundation, s->sd_p.ip_cand_passive.lc_foundation);
		k++;
		c[k] = c[k - 1];
		c[k].ca_component = 2;
		c[k].ca_priority -= 1;
		k++;
	}
	if (s->sd_p.ip_active) {
		memset(&c[k], 0, sizeof(c[k]));
		ih_addr(&c[k].ca_addr, i == 0 ? "198.51.100.1" : "198.51.100.2", 9);
		c[k].ca_component = 1;
		c[k].ca_priority = s->sd_p.ip_cand_active.lc_priority;
		c[k].ca_tcptype = ICE_TCP_ACTIVE;
		strcpy(c[k].ca_foundation, s->sd_p.ip_cand_active.lc_foundation);
		k++;
	}
	return k;
}

/* Give side i the other side's SDP. */
static inline void
ih_set_remote(struct ih_net *n, int i)
{
	struct ice_cand c[4];
	struct ice_out *o = ih_out();
	size_t k;

	k = ih_cands(n, 1 - i, c);
	if (ice_set_remote(&n->nt_s[i].sd_ag, n->nt_now, &n->nt_s[1 - i].sd_p.ip_local, c, k,
	    o) != ICE_OK)
		abort();
	ih_apply(n, i, o);
	free(o);
}

static inline void
ih_deliver_all(struct ih_net *n)
{
	struct ice_out *o = ih_out();
	struct ih_msg m;
	struct ih_side *s;
	int conn;

	while (n->nt_qlen > 0) {
		m = n->nt_q[n->nt_qhead];
		n->nt_qhead = (n->nt_qhead + 1) % IH_QMAX;
		n->nt_qlen--;
		if (!n->nt_link[m.qm_link].lk_alive)
			continue;
		s = &n->nt_s[m.qm_to];
		if (s->sd_blackhole || s->sd_failed)
			continue;
		conn = n->nt_link[m.qm_link].lk_conn[m.qm_to];
		s->sd_last_rx = n->nt_now;
		ice_on_stun(&s->sd_ag, n->nt_now, conn, m.qm_buf, m.qm_len, o);
		ih_apply(n, m.qm_to, o);
	}
	free(o);
}

/* Deliver, then advance the clock deadline by deadline up to `until`. */
static inline void
ih_run(struct ih_net *n, uint64_t until)
{
	struct ice_out *o = ih_out();
	uint64_t d, d0, d1;
	long guard = 0;
	int i;

	for (;;) {
		if (++guard > 1000000)
			abort();	/* a deadline that never moves */
		ih_deliver_all(n);
		d0 = n->nt_s[0].sd_failed ? UINT64_MAX : ice_next_deadline(&n->nt_s[0].sd_ag);
		d1 = n->nt_s[1].sd_failed ? UINT64_MAX : ice_next_deadline(&n->nt_s[1].sd_ag);
		d = d0 < d1 ? d0 : d1;
		if (d > until)
			break;
		if (d > n->nt_now)
			n->nt_now = d;
		for (i = 0; i < 2; i++) {
			if (n->nt_s[i].sd_failed ||
			    ice_next_deadline(&n->nt_s[i].sd_ag) > n->nt_now)
				continue;
			ice_on_tick(&n->nt_s[i].sd_ag, n->nt_now, o);
			ih_apply(n, i, o);
		}
	}
	if (until > n->nt_now)
		n->nt_now = until;
	free(o);
}

#endif
