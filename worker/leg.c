/*
 * One TCP leg: accept with the source policy first, connect through the master's
 * sockets, RFC 4571 reassembly, STUN to the ICE agent, its actions back out [io].
 */
#include <sys/socket.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cdr_fmt.h"
#include "leg.h"
#include "log.h"
#include "sess.h"
#include "tap.h"

/*
 * One action list for the whole worker: every entry point of the agent fills it and
 * leg_apply() performs it before any other agent call can happen (no action calls
 * back into an agent), which spares 13.8 KB per leg.
 */
static struct ice_out	 leg_out;
/* The receive buffer no connection has borrowed (see leg_rx_borrow()). */
static uint8_t		*leg_rx_spare;

static void	leg_accept_cb(int, short, void *);
static void	leg_read_cb(int, short, void *);
static void	leg_write_cb(int, short, void *);

void
leg_shm_addr(const struct sockaddr_storage *ss, struct shm_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		a->sa_family = SHM_AF_INET;
		a->sa_port = ntohs(sin->sin_port);
		memcpy(a->sa_addr, &sin->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		a->sa_family = SHM_AF_INET6;
		a->sa_port = ntohs(sin6->sin6_port);
		memcpy(a->sa_addr, &sin6->sin6_addr, 16);
	}
}

static int
leg_ipc_to_ss(const struct ipc_addr *ia, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ia->ia_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(ia->ia_port);
		memcpy(&sin->sin_addr, ia->ia_addr, 4);
		return 0;
	}
	if (ia->ia_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ia->ia_port);
		memcpy(&sin6->sin6_addr, ia->ia_addr, 16);
		return 0;
	}
	return -1;
}

static void
leg_ss_to_ipc(const struct sockaddr_storage *ss, struct ipc_addr *ia)
{
	memset(ia, 0, sizeof(*ia));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		ia->ia_family = AF_INET;
		ia->ia_port = ntohs(sin->sin_port);
		memcpy(ia->ia_addr, &sin->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		ia->ia_family = AF_INET6;
		ia->ia_port = ntohs(sin6->sin6_port);
		memcpy(ia->ia_addr, &sin6->sin6_addr, 16);
	}
}

static void
leg_rand(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = getrandom(p, len, 0)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
leg_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_NONBLOCK) == 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void
leg_nodelay(int fd)
{
	int one = 1;

	/* RDP frames are latency-bound: never wait for Nagle. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int
leg_init(struct leg *l, struct sess *s, int idx, const struct ipc_leg_params *p)
{
	struct ice_params ip;

	l->lg_sess = s;
	l->lg_idx = idx;
	l->lg_name = idx == SHM_LEG_A ? 'A' : 'B';
	l->lg_dialect = p->lp_dialect;
	l->lg_active = p->lp_active != 0;
	l->lg_lfd = -1;
	l->lg_sel = -1;
	if ((l->lg_pol = malloc(sizeof(*l->lg_pol))) == NULL)
		return -1;
	pol_leg_init(l->lg_pol);
	pol_leg_set_filter(l->lg_pol, p->lp_filtering != 0);
	if (p->lp_dialect >= IPC_DIALECT_MAX)
		return -1;
	l->lg_plain = p->lp_dialect == IPC_DIALECT_RFC4145;
	if (l->lg_plain)
		return 0;

	ice_params_default(&ip);
	ip.ip_role = p->lp_controlling ? ICE_CONTROLLING : ICE_CONTROLLED;
	ip.ip_dialect = p->lp_dialect == IPC_DIALECT_MSICE2 ? ICE_DIALECT_MSICE2 :
	    ICE_DIALECT_RFC;
	ip.ip_tiebreaker = p->lp_tiebreaker;
	snprintf(ip.ip_local.cr_ufrag, sizeof(ip.ip_local.cr_ufrag), "%s", p->lp_ufrag);
	snprintf(ip.ip_local.cr_pwd, sizeof(ip.ip_local.cr_pwd), "%s", p->lp_pwd);
	ip.ip_passive = p->lp_passive != 0;
	ip.ip_active = p->lp_active != 0;
	ip.ip_cand_passive.lc_priority = p->lp_prio_passive;
	ip.ip_cand_active.lc_priority = p->lp_prio_active;
	snprintf(ip.ip_cand_passive.lc_foundation, sizeof(ip.ip_cand_passive.lc_foundation),
	    "%s", p->lp_foundation);
	snprintf(ip.ip_cand_active.lc_foundation, sizeof(ip.ip_cand_active.lc_foundation),
	    "%s", p->lp_foundation);
	if (s->s_ice_ms != 0)
		ip.ip_complete_ms = s->s_ice_ms;
	if (s->s_idle_ms != 0)
		ip.ip_dead_ms = s->s_idle_ms;
	ip.ip_rand = leg_rand;
	ip.ip_rand_ctx = NULL;
	if ((l->lg_ice = malloc(sizeof(*l->lg_ice))) == NULL ||
	    ice_init(l->lg_ice, &ip, wk_now()) != ICE_OK)
		return -1;
	return 0;
}

/*
 * Connection slot id of l, allocated when first used and kept until the session is
 * freed, so that a struct conn outlives every callback that may still look at it.
 */
static struct conn *
leg_conn_slot(struct leg *l, int id)
{
	struct conn *c;

	if (id < 0 || id >= WK_NCONN)
		return NULL;
	if ((c = l->lg_conn[id]) != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->cn_leg = l;
	c->cn_id = id;
	c->cn_fd = -1;
	l->lg_conn[id] = c;
	return c;
}

/*
 * Receive buffers are lent for a read: a connection keeps one only while it holds an
 * incomplete frame, so idle connections cost no buffer and a worker keeps one spare.
 */
static int
leg_rx_borrow(struct conn *c)
{
	if (c->cn_rxbuf != NULL)
		return 0;
	if (leg_rx_spare != NULL) {
		c->cn_rxbuf = leg_rx_spare;
		leg_rx_spare = NULL;
	} else if ((c->cn_rxbuf = malloc(WK_RXBUF)) == NULL)
		return -1;
	frame_rx_init(&c->cn_rx, c->cn_rxbuf, WK_RXBUF, FRAME_MAX);
	return 0;
}

/* Give c's buffer back (its content, if any, is dropped). */
static void
leg_rx_return(struct conn *c)
{
	if (c->cn_rxbuf == NULL)
		return;
	if (leg_rx_spare == NULL)
		leg_rx_spare = c->cn_rxbuf;
	else
		free(c->cn_rxbuf);
	c->cn_rxbuf = NULL;
	memset(&c->cn_rx, 0, sizeof(c->cn_rx));
}

/* Give c a descriptor: events made, nothing received or queued. */
static int
leg_conn_attach(struct conn *c, int fd)
{
	leg_rx_return(c);
	c->cn_rev = event_new(wk->wk_base, fd, EV_READ | EV_PERSIST, leg_read_cb, c);
	c->cn_wev = event_new(wk->wk_base, fd, EV_WRITE | EV_PERSIST, leg_write_cb, c);
	if (c->cn_rev == NULL || c->cn_wev == NULL) {
		if (c->cn_rev != NULL)
			event_free(c->cn_rev);
		if (c->cn_wev != NULL)
			event_free(c->cn_wev);
		c->cn_rev = c->cn_wev = NULL;
		return -1;
	}
	c->cn_fd = fd;
	c->cn_serial++;
	c->cn_pause = 0;
	c->cn_rd_on = c->cn_wr_on = false;
	obuf_free(&c->cn_out);
	return 0;
}

void
leg_conn_close(struct conn *c)
{
	if (c->cn_fd != -1) {
		event_free(c->cn_rev);
		event_free(c->cn_wev);
		c->cn_rev = c->cn_wev = NULL;
		close(c->cn_fd);
		c->cn_fd = -1;
	}
	c->cn_state = CONN_FREE;
	c->cn_serial++;
	c->cn_pause = 0;
	c->cn_rd_on = c->cn_wr_on = false;
	obuf_free(&c->cn_out);
	leg_rx_return(c);
}

static void
leg_conn_start_reading(struct conn *c)
{
	c->cn_state = CONN_OPEN;
	if (c->cn_wr_on) {
		event_del(c->cn_wev);
		c->cn_wr_on = false;
	}
	if (c->cn_pause == 0 && !c->cn_rd_on) {
		event_add(c->cn_rev, NULL);
		c->cn_rd_on = true;
	}
}

void
leg_apply(struct leg *l)
{
	struct sess *s = l->lg_sess;
	struct ice_out *o = &leg_out;
	struct ice_action *a;
	struct conn *c;
	enum cdr_reason why;
	struct ipc_sock_req rq;
	char as[LEG_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < o->io_n; i++) {
		if (s->s_state == SESS_ENDED)
			return;
		a = &o->io_act[i];
		c = (a->ac_conn >= 0 && a->ac_conn < WK_NCONN) ? l->lg_conn[a->ac_conn] :
		    NULL;
		switch (a->ac_type) {
		case ICE_ACT_SEND:
			if (c == NULL || c->cn_state != CONN_OPEN) {
				log_debug("session %s leg %c: send on conn %d: not open",
				    s->s_callid, l->lg_name, a->ac_conn);
				break;
			}
			if (relay_queue_stun(c, a->ac_data, a->ac_len) == -1) {
				sess_close(s, CDR_R_OVERFLOW, l->lg_idx + 1);
				return;
			}
			l->lg_stun[SHM_DIR_OUT]++;
			break;
		case ICE_ACT_CONNECT:
			/* No agent call here: it would overwrite leg_out mid-loop. */
			if ((c = leg_conn_slot(l, a->ac_conn)) == NULL) {
				log_warnx("session %s leg %c: conn %d: out of memory",
				    s->s_callid, l->lg_name, a->ac_conn);
				break;
			}
			if (c->cn_state != CONN_FREE) {
				log_warnx("session %s leg %c: connect on busy conn %d",
				    s->s_callid, l->lg_name, a->ac_conn);
				break;
			}
			c->cn_state = CONN_WAIT_SOCK;
			c->cn_active = true;
			c->cn_tag = ++s->s_next_tag;
			c->cn_peer = a->ac_addr;
			memset(&rq, 0, sizeof(rq));
			rq.sq_leg = (uint32_t)l->lg_idx;
			rq.sq_tag = c->cn_tag;
			leg_ss_to_ipc(&a->ac_addr, &rq.sq_peer);
			log_debug("session %s leg %c: conn %d: connecting to %s", s->s_callid,
			    l->lg_name, c->cn_id, log_sockaddr(&a->ac_addr, as, sizeof(as)));
			wk_send(IPC_SOCK_REQ, s, &rq, sizeof(rq), -1);
			break;
		case ICE_ACT_CLOSE:
			if (c == NULL)
				break;
			log_debug("session %s leg %c: conn %d closed: %s", s->s_callid,
			    l->lg_name, c->cn_id, ice_reason_str(a->ac_reason));
			leg_conn_close(c);
			break;
		case ICE_ACT_SELECTED:
			if (c == NULL || c->cn_state != CONN_OPEN)
				break;
			log_info("session %s leg %c: ICE completed on conn %d", s->s_callid,
			    l->lg_name, c->cn_id);
			sess_leg_up(l, c->cn_id);
			break;
		case ICE_ACT_FAILED:
			switch (a->ac_reason) {
			case ICE_R_COMPLETION_TIMEOUT:
				why = CDR_R_ICE_TIMEOUT;
				break;
			case ICE_R_DEAD:
				why = CDR_R_IDLE_TIMEOUT;
				break;
			case ICE_R_SELECTED_CLOSED:
				why = CDR_R_PEER_CLOSED;
				break;
			default:
				why = CDR_R_ICE_FAILED;
				break;
			}
			if (wk->wk_tot != NULL)
				wk_count(&wk->wk_tot->wt_ice_failed, 1);
			log_info("session %s leg %c: ICE failed: %s", s->s_callid, l->lg_name,
			    ice_reason_str(a->ac_reason));
			sess_close(s, why, l->lg_idx + 1);
			return;
		default:
			break;
		}
	}
	relay_flush_sess(s);
}

/* The peer closed c, reset it, or sent garbage. */
static void
leg_conn_lost(struct conn *c, enum cdr_reason reason, const char *why)
{
	struct leg *l = c->cn_leg;
	struct sess *s = l->lg_sess;

	if (l->lg_up && l->lg_sel == c->cn_id) {
		log_info("session %s leg %c: conn %d: %s", s->s_callid, l->lg_name, c->cn_id,
		    why);
		sess_close(s, reason, l->lg_idx + 1);
		return;
	}
	log_debug("session %s leg %c: conn %d: %s", s->s_callid, l->lg_name, c->cn_id, why);
	leg_conn_close(c);
	if (l->lg_plain) {
		if (c->cn_active)
			sess_close(s, CDR_R_CONNECT_FAILED, l->lg_idx + 1);
		return;
	}
	ice_on_closed(l->lg_ice, wk_now(), c->cn_id, &leg_out);
	leg_apply(l);
}

/* Is this frame media to relay?  Only from the selected conn of a leg that is up. */
static bool
leg_frame_is_media(const struct conn *c, const uint8_t *pl, size_t plen)
{
	const struct leg *l = c->cn_leg;

	/* No ICE on a plain leg: every frame is media. */
	if (l->lg_plain)
		return true;
	return frame_classify(pl, plen) != FRAME_KIND_STUN && l->lg_up &&
	    l->lg_sel == c->cn_id;
}

/* A frame that is not media to relay: STUN for the agent, or media to drop. */
static void
leg_frame_other(struct conn *c, const uint8_t *pl, size_t plen, uint64_t now)
{
	struct leg *l = c->cn_leg;
	struct sess *s = l->lg_sess;
	enum ice_drop d;
	int rc;

	if (frame_classify(pl, plen) == FRAME_KIND_STUN) {
		l->lg_stun[SHM_DIR_IN]++;
		rc = ice_on_stun(l->lg_ice, now, c->cn_id, pl, plen, &leg_out);
		if (rc == ICE_E_DROPPED) {
			d = ice_last_drop(l->lg_ice);
			if ((d == ICE_DROP_MALFORMED || d == ICE_DROP_BAD_INTEGRITY ||
			    d == ICE_DROP_NO_FINGERPRINT) && wk->wk_tot != NULL)
				wk_count(&wk->wk_tot->wt_stun_bad, 1);
			/* The 1st, 2nd, 4th, 8th...: a flood must not become a log flood. */
			l->lg_stun_dropped++;
			if ((l->lg_stun_dropped & (l->lg_stun_dropped - 1)) == 0)
				log_debug("session %s leg %c: conn %d: STUN dropped: %s "
				    "(%" PRIu64 " on this leg)", s->s_callid, l->lg_name,
				    c->cn_id, ice_drop_str(d), l->lg_stun_dropped);
		} else if (rc < 0)
			log_debug("session %s leg %c: conn %d: STUN: %s", s->s_callid,
			    l->lg_name, c->cn_id, ice_strerror(rc));
		leg_apply(l);
		return;
	}
	/* Never forward from an unauthenticated or unselected connection. */
	if (l->lg_dropped++ == 0)
		log_debug("session %s leg %c: conn %d: media before selection dropped",
		    s->s_callid, l->lg_name, c->cn_id);
}

/*
 * Media frames popped one after the other lie back to back in the receive buffer:
 * they are relayed as one run, with one write (relay_media()).
 */
struct leg_run {
	const uint8_t	*lr_p;
	size_t		 lr_len;
	unsigned	 lr_n;
};

static void
leg_run_add(struct leg_run *r, const uint8_t *pl, size_t plen)
{
	if (r->lr_n == 0)
		r->lr_p = pl - FRAME_HDR_LEN;
	r->lr_len += FRAME_HDR_LEN + plen;
	r->lr_n++;
}

static void
leg_run_flush(struct conn *c, struct leg_run *r, uint64_t now)
{
	struct leg *l = c->cn_leg;

	if (r->lr_n == 0)
		return;
	if (l->lg_ice != NULL)
		ice_on_received(l->lg_ice, now, c->cn_id);
	relay_media(l, c, r->lr_p, r->lr_len, r->lr_n, now);
	r->lr_p = NULL;
	r->lr_len = 0;
	r->lr_n = 0;
}

static void
leg_read_cb(int fd, short ev, void *arg)
{
	struct conn *c = arg;
	struct leg *l = c->cn_leg;
	struct sess *s = l->lg_sess;
	uint32_t serial = c->cn_serial;
	struct leg_run run = { NULL, 0, 0 };
	bool other = false;
	const uint8_t *pl;
	size_t avail, plen;
	uint8_t *p;
	uint64_t now;
	ssize_t n;
	int rc;

	if (leg_rx_borrow(c) == -1) {
		leg_conn_lost(c, CDR_R_INTERNAL, "no receive buffer");
		return;
	}
	if ((p = frame_rx_space(&c->cn_rx, &avail)) == NULL || avail == 0) {
		leg_conn_lost(c, CDR_R_PROTOCOL, "receive buffer stuck");
		return;
	}
	n = read(fd, p, avail);
	if (n == 0) {
		leg_conn_lost(c, CDR_R_PEER_CLOSED, "closed by peer");
		return;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			if (frame_rx_pending(&c->cn_rx) == 0)
				leg_rx_return(c);
			return;
		}
		leg_conn_lost(c, CDR_R_PEER_CLOSED, strerror(errno));
		return;
	}
	if (s->s_tap != NULL)
		tap_data(c, TAPP_PEER, p, (size_t)n);
	frame_rx_commit(&c->cn_rx, (size_t)n);
	l->lg_octets[SHM_DIR_IN] += (uint64_t)n;
	wk->wk_bytes_in += (uint64_t)n;
	now = wk_now();
	if (l->lg_up && l->lg_sel == c->cn_id)
		l->lg_last_rx = now;
	while ((rc = frame_rx_pop(&c->cn_rx, &pl, &plen)) == FRAME_OK) {
		if (leg_frame_is_media(c, pl, plen)) {
			leg_run_add(&run, pl, plen);
			continue;
		}
		/* In order: what came before may be relayed, then this frame. */
		leg_run_flush(c, &run, now);
		if (s->s_state == SESS_ENDED || c->cn_serial != serial)
			return;
		leg_frame_other(c, pl, plen, now);
		other = true;
		if (s->s_state == SESS_ENDED || c->cn_serial != serial)
			return;
	}
	leg_run_flush(c, &run, now);
	if (s->s_state == SESS_ENDED || c->cn_serial != serial)
		return;
	if (rc == FRAME_TOOBIG) {
		leg_conn_lost(c, CDR_R_PROTOCOL, "frame too big");
		return;
	}
	if (frame_rx_pending(&c->cn_rx) == 0)
		leg_rx_return(c);
	relay_flush_sess(s);
	/* Media only moves deadlines later (keepalive, dead, idle): the timer can wait. */
	if (other && s->s_state != SESS_ENDED)
		sess_timer_arm(s);
}

static void
leg_connected(struct conn *c)
{
	struct leg *l = c->cn_leg;
	struct sess *s = l->lg_sess;
	socklen_t len = sizeof(c->cn_local);
	char as[LEG_ADDRSTRLEN];

	memset(&c->cn_local, 0, sizeof(c->cn_local));
	(void)getsockname(c->cn_fd, (struct sockaddr *)&c->cn_local, &len);
	leg_nodelay(c->cn_fd);
	leg_conn_start_reading(c);
	log_info("session %s leg %c: connected to %s (conn %d)", s->s_callid, l->lg_name,
	    log_sockaddr(&c->cn_peer, as, sizeof(as)), c->cn_id);
	if (l->lg_plain) {
		sess_leg_up(l, c->cn_id);
	} else {
		ice_on_connected(l->lg_ice, wk_now(), c->cn_id, &c->cn_local, &leg_out);
		leg_apply(l);
	}
	if (s->s_state != SESS_ENDED)
		sess_timer_arm(s);
}

static void
leg_connect_failed(struct conn *c, int err)
{
	struct leg *l = c->cn_leg;
	struct sess *s = l->lg_sess;
	char as[LEG_ADDRSTRLEN];

	log_info("session %s leg %c: connect to %s failed: %s", s->s_callid, l->lg_name,
	    log_sockaddr(&c->cn_peer, as, sizeof(as)), strerror(err));
	leg_conn_close(c);
	if (l->lg_plain) {
		sess_close(s, CDR_R_CONNECT_FAILED, l->lg_idx + 1);
		return;
	}
	ice_on_closed(l->lg_ice, wk_now(), c->cn_id, &leg_out);
	leg_apply(l);
	if (s->s_state != SESS_ENDED)
		sess_timer_arm(s);
}

static void
leg_write_cb(int fd, short ev, void *arg)
{
	struct conn *c = arg;
	socklen_t len;
	int err;

	if (c->cn_state == CONN_CONNECTING) {
		err = 0;
		len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err == EINPROGRESS || err == EALREADY)
			return;
		if (err != 0)
			leg_connect_failed(c, err);
		else
			leg_connected(c);
		return;
	}
	relay_flush(c);
}

static void
leg_accepted(struct leg *l, int fd, const struct sockaddr_storage *peer)
{
	struct sess *s = l->lg_sess;
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	enum pol_reason why;
	char as[LEG_ADDRSTRLEN];
	struct conn *c;
	int id;

	log_sockaddr(peer, as, sizeof(as));
	if (l->lg_pol == NULL) {
		/* Not reached: the listener goes with the policy (leg_unlisten()). */
		close(fd);
		log_debug("session %s leg %c: %s closed: the leg is up", s->s_callid,
		    l->lg_name, as);
		return;
	}
	if (pol_check(l->lg_pol, peer, &why) != POL_ACCEPT) {
		close(fd);
		if (wk->wk_tot != NULL)
			wk_count(&wk->wk_tot->wt_policy_denied, 1);
		log_debug("session %s leg %c: refused %s: %s", s->s_callid, l->lg_name, as,
		    pol_reason_str(why));
		return;
	}
	if (wk->wk_tot != NULL)
		wk_count(&wk->wk_tot->wt_accepted, 1);
	memset(&local, 0, sizeof(local));
	(void)getsockname(fd, (struct sockaddr *)&local, &len);
	if (l->lg_plain) {
		/* RFC 4145: the first allowed connection is the one. */
		if (l->lg_conn[0] != NULL && l->lg_conn[0]->cn_state != CONN_FREE) {
			close(fd);
			log_debug("session %s leg %c: extra connection from %s closed",
			    s->s_callid, l->lg_name, as);
			return;
		}
		id = 0;
	} else {
		id = ice_on_accept(l->lg_ice, wk_now(), peer, &local, &leg_out);
		if (id < 0 || id >= WK_NCONN) {
			close(fd);
			log_debug("session %s leg %c: connection from %s closed: %s",
			    s->s_callid, l->lg_name, as, ice_strerror(id));
			return;
		}
	}
	c = leg_conn_slot(l, id);
	if (c == NULL || c->cn_state != CONN_FREE || leg_conn_attach(c, fd) == -1) {
		close(fd);
		log_warnx("session %s leg %c: no room for conn %d", s->s_callid, l->lg_name,
		    id);
		if (!l->lg_plain) {
			ice_on_closed(l->lg_ice, wk_now(), id, &leg_out);
			leg_apply(l);
		}
		return;
	}
	c->cn_active = false;
	c->cn_peer = *peer;
	c->cn_local = local;
	leg_nodelay(fd);
	leg_conn_start_reading(c);
	log_info("session %s leg %c: accepted %s (%s)", s->s_callid, l->lg_name, as,
	    pol_reason_str(why));
	if (l->lg_plain)
		sess_leg_up(l, id);
	else
		leg_apply(l);
}

static void
leg_accept_cb(int lfd, short ev, void *arg)
{
	struct leg *l = arg;
	struct sess *s = l->lg_sess;
	struct sockaddr_storage ss;
	socklen_t len;
	int i, fd;

	for (i = 0; i < WK_ACCEPT_BURST; i++) {
		len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("session %s leg %c: accept", s->s_callid, l->lg_name);
			break;
		}
		leg_accepted(l, fd, &ss);
		if (s->s_state == SESS_ENDED)
			return;
		/* The leg came up (plain RFC 4145): its listener is closed. */
		if (l->lg_lfd != lfd)
			break;
	}
	sess_timer_arm(s);
}

void
leg_listen(struct leg *l, int fd)
{
	struct sess *s = l->lg_sess;

	if (l->lg_lfd != -1 || l->lg_pol == NULL) {
		log_warnx("session %s leg %c: %s listener ignored", s->s_callid, l->lg_name,
		    l->lg_pol == NULL ? "late" : "second");
		close(fd);
		return;
	}
	leg_nonblock(fd);
	if ((l->lg_lev = event_new(wk->wk_base, fd, EV_READ | EV_PERSIST, leg_accept_cb,
	    l)) == NULL) {
		close(fd);
		sess_close(s, CDR_R_INTERNAL, CDR_CLOSED_NONE);
		return;
	}
	l->lg_lfd = fd;
	event_add(l->lg_lev, NULL);
}

/* RFC 4145 active leg: ask the master for a socket towards the plain peer. */
static void
leg_plain_connect(struct leg *l)
{
	struct sess *s = l->lg_sess;
	struct conn *c;
	struct ipc_sock_req rq;

	if (l->lg_plain_req || l->lg_up)
		return;
	if ((c = leg_conn_slot(l, 0)) == NULL) {
		log_warnx("session %s leg %c: out of memory", s->s_callid, l->lg_name);
		return;
	}
	if (c->cn_state != CONN_FREE ||
	    leg_ipc_to_ss(&l->lg_plain_peer, &c->cn_peer) == -1)
		return;
	l->lg_plain_req = true;
	c->cn_state = CONN_WAIT_SOCK;
	c->cn_active = true;
	c->cn_tag = ++s->s_next_tag;
	memset(&rq, 0, sizeof(rq));
	rq.sq_leg = (uint32_t)l->lg_idx;
	rq.sq_tag = c->cn_tag;
	rq.sq_peer = l->lg_plain_peer;
	wk_send(IPC_SOCK_REQ, s, &rq, sizeof(rq), -1);
}

void
leg_remote(struct leg *l, const struct ipc_sess_remote *sr)
{
	struct sess *s = l->lg_sess;
	struct ice_cand cand[IPC_MAX_CANDS];
	struct ice_creds cr;
	struct pol_leg np;
	struct pol_addr pa;
	struct sockaddr_storage ss;
	size_t i, n, nallowed = 0;
	int rc;

	/* Build the new set aside so that a bad entry leaves the old one in place. */
	if (l->lg_pol != NULL) {
		np = *l->lg_pol;
		pol_peer_clear(&np);
		for (i = 0; i < sr->sr_nallowed && i < IPC_MAX_ALLOWED; i++) {
			if (leg_ipc_to_ss(&sr->sr_allowed[i], &ss) == -1 ||
			    pol_addr_from_sockaddr(&ss, &pa) != POL_OK)
				continue;
			if ((rc = pol_peer_add(&np, &pa)) != POL_OK)
				log_debug("session %s leg %c: allowed address %zu: %s",
				    s->s_callid, l->lg_name, i, pol_strerror(rc));
		}
		pol_peer_sdp_received(&np);
		*l->lg_pol = np;
		nallowed = np.pl_naddr;
	}
	l->lg_remote = true;
	/* The answer names the callee's tag, which the offer could not (CDR To Tag). */
	if (sr->sr_to_tag[0] != '\0' && snap_set_text(s->s_snap.sn_to_tag,
	    sizeof(s->s_snap.sn_to_tag), sr->sr_to_tag))
		s->s_snap.sn_info.si_flags |= CDR_F_TRUNCATED;
	log_debug("session %s leg %c: remote SDP: %zu candidates, %zu allowed addresses",
	    s->s_callid, l->lg_name, (size_t)sr->sr_ncand, nallowed);

	if (l->lg_plain) {
		l->lg_plain_peer = sr->sr_plain_peer;
		if (l->lg_active)
			leg_plain_connect(l);
		return;
	}
	memset(&cr, 0, sizeof(cr));
	snprintf(cr.cr_ufrag, sizeof(cr.cr_ufrag), "%s", sr->sr_ufrag);
	snprintf(cr.cr_pwd, sizeof(cr.cr_pwd), "%s", sr->sr_pwd);
	for (i = n = 0; i < sr->sr_ncand && i < IPC_MAX_CANDS; i++) {
		const struct ipc_cand *ic = &sr->sr_cand[i];

		memset(&cand[n], 0, sizeof(cand[n]));
		if (leg_ipc_to_ss(&ic->ca_addr, &cand[n].ca_addr) == -1)
			continue;
		cand[n].ca_component = ic->ca_component;
		cand[n].ca_priority = ic->ca_priority;
		cand[n].ca_tcptype = ic->ca_tcptype == IPC_TCP_ACTIVE ? ICE_TCP_ACTIVE :
		    ic->ca_tcptype == IPC_TCP_PASSIVE ? ICE_TCP_PASSIVE : ICE_TCP_SO;
		snprintf(cand[n].ca_foundation, sizeof(cand[n].ca_foundation), "%s",
		    ic->ca_foundation);
		n++;
	}
	rc = ice_set_remote(l->lg_ice, wk_now(), &cr, cand, n, &leg_out);
	if (rc != ICE_OK)
		log_warnx("session %s leg %c: remote candidates: %s", s->s_callid, l->lg_name,
		    ice_strerror(rc));
	leg_apply(l);
	if (s->s_state != SESS_ENDED)
		sess_timer_arm(s);
}

static struct conn *
leg_find_tag(struct leg *l, uint32_t tag)
{
	int i;

	for (i = 0; i < WK_NCONN; i++)
		if (l->lg_conn[i] != NULL && l->lg_conn[i]->cn_state == CONN_WAIT_SOCK &&
		    l->lg_conn[i]->cn_tag == tag)
			return l->lg_conn[i];
	return NULL;
}

void
leg_sock(struct leg *l, const struct ipc_sess_fd *sd, int fd)
{
	struct sess *s = l->lg_sess;
	struct conn *c;

	if ((c = leg_find_tag(l, sd->sd_tag)) == NULL) {
		log_debug("session %s leg %c: socket for tag %u: expired", s->s_callid,
		    l->lg_name, sd->sd_tag);
		close(fd);
		return;
	}
	leg_nonblock(fd);
	if (leg_conn_attach(c, fd) == -1) {
		close(fd);
		leg_connect_failed(c, ENOMEM);
		return;
	}
	c->cn_state = CONN_CONNECTING;
	if (connect(fd, (struct sockaddr *)&c->cn_peer, c->cn_peer.ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) == 0) {
		leg_connected(c);
		return;
	}
	if (errno != EINPROGRESS && errno != EINTR) {
		leg_connect_failed(c, errno);
		return;
	}
	event_add(c->cn_wev, NULL);
	c->cn_wr_on = true;
}

void
leg_sock_fail(struct leg *l, const struct ipc_sock_fail *sx)
{
	struct sess *s = l->lg_sess;
	struct conn *c;

	if ((c = leg_find_tag(l, sx->sx_tag)) == NULL) {
		log_debug("session %s leg %c: socket failure for tag %u: expired",
		    s->s_callid, l->lg_name, sx->sx_tag);
		return;
	}
	leg_connect_failed(c, sx->sx_errno > 0 ? sx->sx_errno : EPERM);
}

void
leg_tick(struct leg *l, uint64_t now)
{
	if (l->lg_plain)
		return;
	ice_on_tick(l->lg_ice, now, &leg_out);
	leg_apply(l);
}

uint64_t
leg_deadline(const struct leg *l)
{
	if (l->lg_plain)
		return UINT64_MAX;
	return ice_next_deadline(l->lg_ice);
}

static void
leg_listener_close(struct leg *l)
{
	if (l->lg_lfd != -1) {
		event_free(l->lg_lev);
		l->lg_lev = NULL;
		close(l->lg_lfd);
		l->lg_lfd = -1;
	}
}

void
leg_unlisten(struct leg *l)
{
	leg_listener_close(l);
	free(l->lg_pol);
	l->lg_pol = NULL;
}

void
leg_close(struct leg *l)
{
	int i;

	leg_listener_close(l);
	for (i = 0; i < WK_NCONN; i++)
		if (l->lg_conn[i] != NULL)
			leg_conn_close(l->lg_conn[i]);
}

void
leg_free(struct leg *l)
{
	int i;

	leg_close(l);
	for (i = 0; i < WK_NCONN; i++) {
		free(l->lg_conn[i]);
		l->lg_conn[i] = NULL;
	}
	free(l->lg_ice);
	l->lg_ice = NULL;
	free(l->lg_pol);
	l->lg_pol = NULL;
	obuf_free(&l->lg_hold);
}
