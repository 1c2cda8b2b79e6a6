/*
 * The worker, driven in a child process through its channel: the test plays the master
 * (raw SOCK_SEQPACKET, so the wire format is checked independently of ipc.c), creates
 * the listening sockets and the shared memory, and runs two endpoints on loopback
 * (127.0.0.2 for leg A, 127.0.0.3 for leg B) with their own ICE agents.
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "ice.h"
#include "ipc_msg.h"
#include "ring.h"
#include "shm.h"
#include "shm_layout.h"
#include "test_util.h"
#include "worker.h"

#define BOOT_ID		0x5eed0000cafe0001ull
#define EPOCH		1
#define NSLOTS		8
#define RINGLEN		8
#define HANDLE		7
#define GEN		3
#define MEDIA_MAX	(1024 * 1024)

static const char *const relay_ufrag[2] = { "RelayA", "RelayB" };
static const char *const relay_pwd[2] = { "relay-pwd-leg-a-0123456789", "relay-pwd-leg-b-0123456789" };
static const char *const ep_ufrag[2] = { "EpA1", "EpB1" };
static const char *const ep_pwd[2] = { "endpoint-a-password-xyz01", "endpoint-b-password-xyz02" };
static const char *const ep_ip[2] = { "127.0.0.2", "127.0.0.3" };

/* ---- an endpoint: framer + agent + sockets ------------------------------------- */

struct ep {
	int			 e_leg;
	bool			 e_plain;
	struct ice_agent	 e_ag;
	struct tu_rng		 e_rng;
	int			 e_fd[ICE_MAX_CONNS];
	uint8_t			*e_buf[ICE_MAX_CONNS];
	struct frame_rx		 e_rx[ICE_MAX_CONNS];
	int			 e_sel;
	bool			 e_failed;
	uint8_t			*e_media;	/* non-STUN frames received, prefix included */
	size_t			 e_nmedia;
	size_t			 e_stun_ok;	/* success responses received */
	bool			 e_noread;	/* stop reading (back-pressure test) */
	uint8_t			*e_tx;		/* queued for the selected conn, sent by pump() */
	size_t			 e_txoff;
	size_t			 e_txlen;
	size_t			 e_mediacap;	/* 0: MEDIA_MAX */
};

struct tctx {
	int		 t_chan;
	pid_t		 t_pid;
	bool		 t_ready;
	bool		 t_eof;
	int		 t_ndone;
	struct ipc_sess_done t_done;
	uint32_t	 t_state;
	int		 t_lfd[2];	/* listeners handed to the worker (our copies closed) */
	uint16_t	 t_port[2];
	int		 t_plain_lfd;	/* the RFC 4145 peer's listener (active case) */
	uint16_t	 t_plain_port;
	int		 t_nsockreq;
	struct ep	 t_ep[2];
	/* shm */
	int		 t_segfd;
	size_t		 t_seglen;
	const void	*t_seg;
	void		*t_ack;
	size_t		 t_acklen;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
mkaddr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

static void
ipcaddr(struct ipc_addr *ia, const char *ip, uint16_t port)
{
	memset(ia, 0, sizeof(*ia));
	ia->ia_family = AF_INET;
	ia->ia_port = port;
	cr_assert_eq(inet_pton(AF_INET, ip, ia->ia_addr), 1);
}

/* ---- raw channel ------------------------------------------------------------------ */

static void
tm_send(struct tctx *t, uint16_t type, uint32_t handle, uint32_t gen, const void *p,
    size_t len, int fd)
{
	static uint8_t buf[IPC_MAX_MSG];
	struct ipc_hdr h;
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;

	memset(&h, 0, sizeof(h));
	h.ih_type = type;
	h.ih_flags = fd != -1 ? IPC_F_FD : 0;
	h.ih_len = (uint32_t)len;
	h.ih_handle = handle;
	h.ih_gen = gen;
	memcpy(buf, &h, sizeof(h));
	if (len > 0)
		memcpy(buf + sizeof(h), p, len);
	iov.iov_base = buf;
	iov.iov_len = sizeof(h) + len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &fd, sizeof(int));
	}
	cr_assert_eq(sendmsg(t->t_chan, &mh, MSG_NOSIGNAL), (ssize_t)iov.iov_len,
	    "sendmsg: %s", strerror(errno));
	if (fd != -1)
		close(fd);
}

static void
tm_sock_req(struct tctx *t, const struct ipc_hdr *h, const struct ipc_sock_req *rq)
{
	struct sockaddr_storage ss;
	struct ipc_sess_fd sd;
	int fd;

	t->t_nsockreq++;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	mkaddr(&ss, "127.0.0.1", 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	memset(&sd, 0, sizeof(sd));
	sd.sd_leg = rq->sq_leg;
	sd.sd_kind = IPC_SOCK_CONNECT;
	sd.sd_tag = rq->sq_tag;
	sd.sd_peer = rq->sq_peer;
	tm_send(t, IPC_SESS_FD, h->ih_handle, h->ih_gen, &sd, sizeof(sd), fd);
}

static void
tm_recv(struct tctx *t)
{
	static uint8_t buf[IPC_MAX_MSG];
	struct ipc_hdr h;
	ssize_t n;

	n = recv(t->t_chan, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0) {
		t->t_eof = true;
		return;
	}
	if (n < 0)
		return;
	cr_assert_geq((size_t)n, sizeof(h));
	memcpy(&h, buf, sizeof(h));
	cr_assert_eq(h.ih_len, (size_t)n - sizeof(h));
	switch (h.ih_type) {
	case IPC_HELLO: {
		struct ipc_hello he;

		cr_assert_eq(h.ih_len, sizeof(he));
		memcpy(&he, buf + sizeof(h), sizeof(he));
		cr_assert_eq(he.he_version, IPC_VERSION);
		cr_assert_eq(he.he_role, IPC_ROLE_WORKER);
		break;
	}
	case IPC_LOG: {
		struct ipc_log lg;

		cr_assert_eq(h.ih_len, sizeof(lg));
		memcpy(&lg, buf + sizeof(h), sizeof(lg));
		fprintf(stderr, "[worker] %s\n", lg.lo_text);
		break;
	}
	case IPC_READY:
		t->t_ready = true;
		break;
	case IPC_SESS_STATE: {
		struct ipc_sess_state_msg ss;

		cr_assert_eq(h.ih_len, sizeof(ss));
		memcpy(&ss, buf + sizeof(h), sizeof(ss));
		t->t_state = ss.ss_state;
		break;
	}
	case IPC_SESS_DONE:
		cr_assert_eq(h.ih_len, sizeof(t->t_done));
		cr_assert_eq(h.ih_handle, HANDLE);
		cr_assert_eq(h.ih_gen, GEN);
		memcpy(&t->t_done, buf + sizeof(h), sizeof(t->t_done));
		t->t_ndone++;
		break;
	case IPC_SOCK_REQ: {
		struct ipc_sock_req rq;

		cr_assert_eq(h.ih_len, sizeof(rq));
		memcpy(&rq, buf + sizeof(h), sizeof(rq));
		tm_sock_req(t, &h, &rq);
		break;
	}
	default:
		cr_assert_fail("unexpected message 0x%04x from the worker", h.ih_type);
	}
}

/* ---- endpoints ------------------------------------------------------------------- */

static void	ep_apply(struct tctx *, struct ep *, struct ice_out *);

static void
ep_open(struct ep *e, int id, int fd)
{
	e->e_fd[id] = fd;
	if (e->e_buf[id] == NULL)
		e->e_buf[id] = malloc(FRAME_HDR_LEN + FRAME_MAX);
	frame_rx_init(&e->e_rx[id], e->e_buf[id], FRAME_HDR_LEN + FRAME_MAX, FRAME_MAX);
}

static int
ep_connect(int leg, const struct sockaddr_storage *to)
{
	struct sockaddr_storage ss;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	mkaddr(&ss, ep_ip[leg], 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0,
	    "bind %s: %s", ep_ip[leg], strerror(errno));
	cr_assert_eq(connect(fd, (const struct sockaddr *)to, sizeof(struct sockaddr_in)), 0,
	    "connect: %s", strerror(errno));
	return fd;
}

static void
ep_write(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;
	ssize_t n;

	while (len > 0) {
		n = send(fd, b, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;		/* the relay closed it: the test checks elsewhere */
		b += n;
		len -= (size_t)n;
	}
}

static void
ep_apply(struct tctx *t, struct ep *e, struct ice_out *o)
{
	struct sockaddr_storage local;
	socklen_t len;
	uint8_t pfx[FRAME_HDR_LEN];
	struct ice_out *o2;
	size_t i;
	int fd;

	for (i = 0; i < o->io_n; i++) {
		struct ice_action *a = &o->io_act[i];

		switch (a->ac_type) {
		case ICE_ACT_SEND:
			if (e->e_fd[a->ac_conn] < 0)
				break;
			frame_write_prefix(pfx, a->ac_len);
			ep_write(e->e_fd[a->ac_conn], pfx, sizeof(pfx));
			ep_write(e->e_fd[a->ac_conn], a->ac_data, a->ac_len);
			break;
		case ICE_ACT_CONNECT:
			fd = ep_connect(e->e_leg, &a->ac_addr);
			ep_open(e, a->ac_conn, fd);
			len = sizeof(local);
			getsockname(fd, (struct sockaddr *)&local, &len);
			o2 = calloc(1, sizeof(*o2));
			ice_on_connected(&e->e_ag, now_ms(), a->ac_conn, &local, o2);
			ep_apply(t, e, o2);
			free(o2);
			break;
		case ICE_ACT_CLOSE:
			if (e->e_fd[a->ac_conn] >= 0)
				close(e->e_fd[a->ac_conn]);
			e->e_fd[a->ac_conn] = -1;
			break;
		case ICE_ACT_SELECTED:
			e->e_sel = a->ac_conn;
			break;
		case ICE_ACT_FAILED:
			e->e_failed = true;
			break;
		default:
			break;
		}
	}
}

/* ICE endpoint on leg `leg`, opposite role to the relay's, connecting to its port. */
static void
ep_init_ice(struct tctx *t, int leg, bool msice2, const char *relay_pw)
{
	struct ep *e = &t->t_ep[leg];
	struct ice_params p;
	struct ice_creds cr;
	struct ice_cand c;
	struct ice_out *o;

	memset(e, 0, sizeof(*e));
	e->e_leg = leg;
	e->e_sel = -1;
	for (int i = 0; i < ICE_MAX_CONNS; i++)
		e->e_fd[i] = -1;
	e->e_media = malloc(MEDIA_MAX);
	tu_rng_seed(&e->e_rng, 77 + (uint64_t)leg);
	ice_params_default(&p);
	p.ip_role = leg == 0 ? ICE_CONTROLLING : ICE_CONTROLLED;
	p.ip_dialect = msice2 ? ICE_DIALECT_MSICE2 : ICE_DIALECT_RFC;
	p.ip_tiebreaker = 0x1111 + (uint64_t)leg;
	strcpy(p.ip_local.cr_ufrag, ep_ufrag[leg]);
	strcpy(p.ip_local.cr_pwd, ep_pwd[leg]);
	p.ip_passive = false;
	p.ip_active = true;
	p.ip_cand_passive.lc_priority = 1000;
	strcpy(p.ip_cand_passive.lc_foundation, "1");
	p.ip_cand_active.lc_priority = 900;
	strcpy(p.ip_cand_active.lc_foundation, "2");
	p.ip_rand = tu_rng_fill;
	p.ip_rand_ctx = &e->e_rng;
	cr_assert_eq(ice_init(&e->e_ag, &p, now_ms()), ICE_OK);

	memset(&cr, 0, sizeof(cr));
	strcpy(cr.cr_ufrag, relay_ufrag[leg]);
	strcpy(cr.cr_pwd, relay_pw != NULL ? relay_pw : relay_pwd[leg]);
	memset(&c, 0, sizeof(c));
	mkaddr(&c.ca_addr, "127.0.0.1", t->t_port[leg]);
	c.ca_component = 1;
	c.ca_priority = 2000;
	c.ca_tcptype = ICE_TCP_PASSIVE;
	strcpy(c.ca_foundation, "9");
	o = calloc(1, sizeof(*o));
	cr_assert_eq(ice_set_remote(&e->e_ag, now_ms(), &cr, &c, 1, o), ICE_OK);
	ep_apply(t, e, o);
	free(o);
}

static void
ep_init_plain(struct ep *e, int leg, int fd)
{
	memset(e, 0, sizeof(*e));
	e->e_leg = leg;
	e->e_plain = true;
	for (int i = 0; i < ICE_MAX_CONNS; i++)
		e->e_fd[i] = -1;
	e->e_media = malloc(MEDIA_MAX);
	if (fd >= 0) {
		ep_open(e, 0, fd);
		e->e_sel = 0;
	} else
		e->e_sel = -1;
}

static void
ep_readable(struct tctx *t, struct ep *e, int id)
{
	struct stun_msg m;
	struct ice_out *o;
	const uint8_t *pl;
	size_t avail, plen;
	uint8_t *p;
	ssize_t n;

	p = frame_rx_space(&e->e_rx[id], &avail);
	n = read(e->e_fd[id], p, avail);
	if (n <= 0) {
		close(e->e_fd[id]);
		e->e_fd[id] = -1;
		if (!e->e_plain) {
			o = calloc(1, sizeof(*o));
			ice_on_closed(&e->e_ag, now_ms(), id, o);
			ep_apply(t, e, o);
			free(o);
		}
		return;
	}
	frame_rx_commit(&e->e_rx[id], (size_t)n);
	while (e->e_fd[id] >= 0 && frame_rx_pop(&e->e_rx[id], &pl, &plen) == FRAME_OK) {
		if (!e->e_plain && frame_classify(pl, plen) == FRAME_KIND_STUN) {
			if (stun_decode(pl, plen, &m) == STUN_OK && m.cls == STUN_CLASS_SUCCESS)
				e->e_stun_ok++;
			o = calloc(1, sizeof(*o));
			ice_on_stun(&e->e_ag, now_ms(), id, pl, plen, o);
			ep_apply(t, e, o);
			free(o);
			continue;
		}
		cr_assert_leq(e->e_nmedia + plen + 2, e->e_mediacap ? e->e_mediacap : MEDIA_MAX);
		memcpy(e->e_media + e->e_nmedia, pl - 2, plen + 2);
		e->e_nmedia += plen + 2;
	}
}

/* ---- the loop ---------------------------------------------------------------------- */

typedef bool	(*pump_done)(struct tctx *);

static bool
pump(struct tctx *t, int ms, pump_done done)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	struct pollfd pfd[2 + 2 * ICE_MAX_CONNS];
	int who[2 + 2 * ICE_MAX_CONNS];
	struct ice_out *o;
	int n, i, k, fd;

	for (;;) {
		if (done != NULL && done(t))
			return true;
		if (now_ms() >= end)
			return done == NULL;
		n = 0;
		pfd[n].fd = t->t_chan;
		pfd[n].events = POLLIN;
		who[n++] = -1;
		if (t->t_plain_lfd >= 0) {
			pfd[n].fd = t->t_plain_lfd;
			pfd[n].events = POLLIN;
			who[n++] = -2;
		}
		for (i = 0; i < 2; i++)
			for (k = 0; k < ICE_MAX_CONNS; k++)
				if (t->t_ep[i].e_fd[k] >= 0) {
					pfd[n].fd = t->t_ep[i].e_fd[k];
					pfd[n].events = t->t_ep[i].e_noread ? 0 : POLLIN;
					if (t->t_ep[i].e_txlen > 0 && k == t->t_ep[i].e_sel)
						pfd[n].events |= POLLOUT;
					who[n++] = i * ICE_MAX_CONNS + k;
				}
		poll(pfd, (nfds_t)n, 20);
		for (i = 0; i < n; i++) {
			if ((pfd[i].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) == 0)
				continue;
			if (who[i] == -1) {
				tm_recv(t);
				if (t->t_eof)
					return done == NULL ? true : done(t);
			} else if (who[i] == -2) {
				fd = accept4(t->t_plain_lfd, NULL, NULL, SOCK_CLOEXEC);
				cr_assert(fd >= 0);
				ep_open(&t->t_ep[1], 0, fd);
				t->t_ep[1].e_sel = 0;
			} else {
				struct ep *e = &t->t_ep[who[i] / ICE_MAX_CONNS];
				ssize_t w;

				if ((pfd[i].revents & POLLOUT) && e->e_txlen > 0) {
					w = send(pfd[i].fd, e->e_tx + e->e_txoff, e->e_txlen,
					    MSG_NOSIGNAL | MSG_DONTWAIT);
					if (w > 0) {
						e->e_txoff += (size_t)w;
						e->e_txlen -= (size_t)w;
					}
				}
				if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
				    !e->e_noread &&
				    e->e_fd[who[i] % ICE_MAX_CONNS] == pfd[i].fd)
					ep_readable(t, e, who[i] % ICE_MAX_CONNS);
			}
		}
		for (i = 0; i < 2; i++) {
			struct ep *e = &t->t_ep[i];

			if (e->e_plain || e->e_media == NULL ||
			    ice_next_deadline(&e->e_ag) > now_ms())
				continue;
			o = calloc(1, sizeof(*o));
			ice_on_tick(&e->e_ag, now_ms(), o);
			ep_apply(t, e, o);
			free(o);
		}
	}
}

static bool
is_ready(struct tctx *t)
{
	return t->t_ready;
}

static bool
is_relaying(struct tctx *t)
{
	return t->t_state == IPC_SESS_RELAYING && t->t_ep[0].e_sel >= 0 &&
	    t->t_ep[1].e_sel >= 0;
}

static bool
is_done(struct tctx *t)
{
	return t->t_ndone > 0;
}

/* ---- set-up ---------------------------------------------------------------------- */

static int
listen_on(const char *ip, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	mkaddr(&ss, ip, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	cr_assert_eq(listen(fd, 16), 0);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static uint32_t g_sandbox = 2;	/* SBX_OFF unless a test asks */

static struct tctx *
start_worker(void)
{
	struct tctx *t = calloc(1, sizeof(*t));
	struct ipc_hello_ack ha;
	struct ipc_shm_fd sf;
	int sv[2], ackfd, rofd;

	cr_assert_not_null(t);
	t->t_plain_lfd = -1;
	t->t_ep[0].e_fd[0] = t->t_ep[1].e_fd[0] = -1;
	for (int i = 0; i < ICE_MAX_CONNS; i++)
		t->t_ep[0].e_fd[i] = t->t_ep[1].e_fd[i] = -1;
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	t->t_pid = fork();
	cr_assert(t->t_pid >= 0);
	if (t->t_pid == 0) {
		close(sv[0]);
		_exit(worker_main(sv[1], 0));
	}
	close(sv[1]);
	t->t_chan = sv[0];

	memset(&ha, 0, sizeof(ha));
	ha.ha_version = IPC_VERSION;
	ha.ha_epoch = EPOCH;
	ha.ha_boot_id = BOOT_ID;
	ha.ha_conf.cc_verbose = 1;
	ha.ha_conf.cc_n_workers = 1;
	ha.ha_conf.cc_n_slots = NSLOTS;
	ha.ha_conf.cc_ring_len = RINGLEN;
	ha.ha_conf.cc_debug_hooks = 1;
	ha.ha_conf.cc_sandbox = g_sandbox;
	tm_send(t, IPC_HELLO_ACK, 0, 0, &ha, sizeof(ha), -1);

	t->t_segfd = shm_worker_create(0, EPOCH, BOOT_ID, NSLOTS, RINGLEN, &t->t_seglen);
	cr_assert(t->t_segfd >= 0);
	t->t_seg = shm_map_ro(t->t_segfd, t->t_seglen);
	cr_assert_not_null(t->t_seg);
	memset(&sf, 0, sizeof(sf));
	sf.sf_kind = IPC_SHM_WORKER_RW;
	sf.sf_epoch = EPOCH;
	sf.sf_size = t->t_seglen;
	tm_send(t, IPC_SHM_FD, 0, 0, &sf, sizeof(sf), dup(t->t_segfd));

	ackfd = shm_ack_create(1, BOOT_ID, &t->t_acklen);
	cr_assert(ackfd >= 0);
	t->t_ack = shm_map_rw(ackfd, t->t_acklen);
	cr_assert_not_null(t->t_ack);
	rofd = shm_reopen_ro(ackfd);
	cr_assert(rofd >= 0);
	close(ackfd);
	sf.sf_kind = IPC_SHM_ACK_RO;
	sf.sf_size = t->t_acklen;
	tm_send(t, IPC_SHM_FD, 0, 0, &sf, sizeof(sf), rofd);

	cr_assert(pump(t, 5000, is_ready), "worker sent READY");
	return t;
}

static void
leg_params(struct ipc_leg_params *lp, int leg, uint32_t dialect, bool active)
{
	memset(lp, 0, sizeof(*lp));
	lp->lp_dialect = dialect;
	lp->lp_controlling = leg == 1;
	lp->lp_passive = !active;
	lp->lp_active = active;
	lp->lp_filtering = 1;
	lp->lp_tiebreaker = 0xabcdef00ull + (uint64_t)leg;
	ipcaddr(&lp->lp_local, "127.0.0.1", 0);
	strcpy(lp->lp_ufrag, relay_ufrag[leg]);
	strcpy(lp->lp_pwd, relay_pwd[leg]);
	strcpy(lp->lp_foundation, "1");
	lp->lp_prio_passive = 2000;
	lp->lp_prio_active = 1500;
}

static void
new_session(struct tctx *t, uint32_t dialect_b, bool b_active, uint32_t idle_ms)
{
	struct ipc_sess_new sn;
	struct ipc_sess_fd sd;
	int i;

	memset(&sn, 0, sizeof(sn));
	sn.sn_slot = 2;
	sn.sn_proto = IPC_PROTO_TCP_RTP_SAVP;
	sn.sn_start_rt_ms = 1700000000000ull;
	sn.sn_ice_timeout_ms = 20000;
	sn.sn_idle_timeout_ms = idle_ms;
	strcpy(sn.sn_call_id, "call-1@test");
	strcpy(sn.sn_from_tag, "from1");
	strcpy(sn.sn_to_tag, "to1");
	leg_params(&sn.sn_leg[0], 0, IPC_DIALECT_MSICE2, false);
	leg_params(&sn.sn_leg[1], 1, dialect_b, b_active);
	tm_send(t, IPC_SESS_NEW, HANDLE, GEN, &sn, sizeof(sn), -1);
	for (i = 0; i < 2; i++) {
		t->t_lfd[i] = listen_on("127.0.0.1", &t->t_port[i]);
		memset(&sd, 0, sizeof(sd));
		sd.sd_leg = (uint32_t)i;
		sd.sd_kind = IPC_SOCK_LISTEN;
		tm_send(t, IPC_SESS_FD, HANDLE, GEN, &sd, sizeof(sd), t->t_lfd[i]);
	}
}

static void
send_remote(struct tctx *t, int leg, bool plain)
{
	struct ipc_sess_remote *sr = calloc(1, sizeof(*sr));

	sr->sr_leg = (uint32_t)leg;
	if (plain) {
		ipcaddr(&sr->sr_plain_peer, ep_ip[leg], t->t_plain_port);
	} else {
		strcpy(sr->sr_ufrag, ep_ufrag[leg]);
		strcpy(sr->sr_pwd, ep_pwd[leg]);
		sr->sr_ncand = 1;
		ipcaddr(&sr->sr_cand[0].ca_addr, ep_ip[leg], 9);
		sr->sr_cand[0].ca_component = 1;
		sr->sr_cand[0].ca_priority = 900;
		sr->sr_cand[0].ca_tcptype = IPC_TCP_ACTIVE;
		strcpy(sr->sr_cand[0].ca_foundation, "2");
	}
	sr->sr_nallowed = 1;
	ipcaddr(&sr->sr_allowed[0], ep_ip[leg], 0);
	tm_send(t, IPC_SESS_REMOTE, HANDLE, GEN, sr, sizeof(*sr), -1);
	free(sr);
}

static void
end_session(struct tctx *t, uint32_t reason)
{
	struct ipc_sess_end se = { reason };

	tm_send(t, IPC_SESS_END, HANDLE, GEN, &se, sizeof(se), -1);
	cr_assert(pump(t, 5000, is_done), "SESS_DONE after SESS_END");
}

static const struct shm_totals *
totals(struct tctx *t)
{
	struct shm_geom g;

	cr_assert_eq(shm_hdr_check(t->t_seg, t->t_seglen, SHM_KIND_WORKER, &g), SHM_OK);
	return (const struct shm_totals *)((const char *)t->t_seg + g.sg_totals_off);
}

/* Pop the one record the worker wrote, as cdrd would. */
static void
pop_record(struct tctx *t, struct cdr_rec *rec)
{
	struct shm_geom g;
	struct ring_cons rc;
	struct cdr_rec extra;

	cr_assert_eq(shm_hdr_check(t->t_seg, t->t_seglen, SHM_KIND_WORKER, &g), SHM_OK);
	ring_cons_init(&rc, (const struct shm_ring *)((const char *)t->t_seg + g.sg_ring_off),
	    RINGLEN, &shm_seg_acks(t->t_ack)[0].ak_tail);
	cr_assert_eq(ring_pop(&rc, rec), RING_OK, "one record in the ring");
	cr_assert_eq(ring_pop(&rc, &extra), RING_EMPTY, "only one record");
	cr_assert_eq(rec->cr_boot_id, BOOT_ID);
	cr_assert_eq(rec->cr_epoch, EPOCH);
	cr_assert_eq(rec->cr_worker, 0);
	cr_assert_eq(rec->cr_gen, (uint64_t)EPOCH << 32 | GEN);
	cr_assert_str_eq(rec->cr_callid, "call-1@test");
}

static void
stop_worker(struct tctx *t)
{
	int st, i;

	close(t->t_chan);
	for (i = 0; i < 50; i++) {
		if (waitpid(t->t_pid, &st, WNOHANG) == t->t_pid)
			break;
		usleep(100 * 1000);
	}
	cr_assert_lt(i, 50, "worker exits when the channel closes");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker status %d", st);
	for (i = 0; i < 2; i++) {
		for (int k = 0; k < ICE_MAX_CONNS; k++) {
			if (t->t_ep[i].e_fd[k] >= 0)
				close(t->t_ep[i].e_fd[k]);
			free(t->t_ep[i].e_buf[k]);
		}
		free(t->t_ep[i].e_media);
	}
	if (t->t_plain_lfd >= 0)
		close(t->t_plain_lfd);
	shm_unmap(t->t_seg, t->t_seglen);
	shm_unmap(t->t_ack, t->t_acklen);
	close(t->t_segfd);
	free(t);
}

/* count frames of n payload bytes each, RTP-looking (0x80, PT 97). */
static size_t
send_media(struct ep *e, int count, int seed, uint8_t *sent)
{
	uint8_t frame[2 + 1500];
	size_t total = 0, len;
	int i, k;

	for (i = 0; i < count; i++) {
		len = 12 + (size_t)((i * 37 + seed) % 1400);
		frame[0] = (uint8_t)(len >> 8);
		frame[1] = (uint8_t)len;
		frame[2] = 0x80;
		frame[3] = 97;
		for (k = 2; k < (int)len; k++)
			frame[2 + k] = (uint8_t)(i + k + seed);
		ep_write(e->e_fd[e->e_sel], frame, len + 2);
		memcpy(sent + total, frame, len + 2);
		total += len + 2;
	}
	return total;
}

static struct ep *g_want_ep;
static size_t g_want_len;

static bool
got_media(struct tctx *t)
{
	return g_want_ep->e_nmedia >= g_want_len;
}

static void
exchange(struct tctx *t, int n_ab, int n_ba)
{
	uint8_t *sent = malloc(MEDIA_MAX);
	size_t len;

	len = send_media(&t->t_ep[0], n_ab, 1, sent);
	g_want_ep = &t->t_ep[1];
	g_want_len = len;
	cr_assert(pump(t, 5000, got_media), "B got %zu of %zu bytes", t->t_ep[1].e_nmedia, len);
	cr_assert_eq(t->t_ep[1].e_nmedia, len);
	cr_assert_eq(memcmp(t->t_ep[1].e_media, sent, len), 0, "A->B byte for byte");

	len = send_media(&t->t_ep[1], n_ba, 5, sent);
	g_want_ep = &t->t_ep[0];
	g_want_len = len;
	cr_assert(pump(t, 5000, got_media), "A got %zu of %zu bytes", t->t_ep[0].e_nmedia, len);
	cr_assert_eq(t->t_ep[0].e_nmedia, len);
	cr_assert_eq(memcmp(t->t_ep[0].e_media, sent, len), 0, "B->A byte for byte");
	free(sent);
}

/* A session with MS-ICE2 on both legs, ICE done, relaying. */
static void
start_relaying(struct tctx *t)
{
	new_session(t, IPC_DIALECT_MSICE2, false, 30000);
	send_remote(t, 0, false);
	send_remote(t, 1, false);
	ep_init_ice(t, 0, true, NULL);
	ep_init_ice(t, 1, true, NULL);
	cr_assert(pump(t, 10000, is_relaying), "ICE completes on both legs");
}

static void
relay_case(uint32_t dialect_b)
{
	struct tctx *t = start_worker();
	struct cdr_rec rec;

	new_session(t, dialect_b, false, 30000);
	send_remote(t, 0, false);
	send_remote(t, 1, false);
	ep_init_ice(t, 0, true, NULL);
	ep_init_ice(t, 1, dialect_b == IPC_DIALECT_MSICE2, NULL);
	cr_assert(pump(t, 10000, is_relaying), "ICE completes on both legs");
	exchange(t, 50, 30);
	end_session(t, 1);
	cr_assert_eq(t->t_done.sd_reason, CDR_R_DELETED);
	cr_assert_eq(t->t_done.sd_slot, 2);
	pop_record(t, &rec);
	cr_assert_eq(rec.cr_reason, CDR_R_DELETED);
	cr_assert_eq(rec.cr_proto, CDR_PROTO_TCP_RTP_SAVP);
	cr_assert_eq(rec.cr_leg[0].cl_frames[SHM_DIR_IN], 50);
	cr_assert_eq(rec.cr_leg[1].cl_frames[SHM_DIR_OUT], 50);
	cr_assert_eq(rec.cr_leg[1].cl_frames[SHM_DIR_IN], 30);
	cr_assert_eq(rec.cr_leg[0].cl_frames[SHM_DIR_OUT], 30);
	cr_assert_gt(rec.cr_leg[0].cl_stun[SHM_DIR_IN], 0);
	cr_assert_gt(rec.cr_leg[0].cl_stun[SHM_DIR_OUT], 0);
	cr_assert_gt(rec.cr_leg[1].cl_stun[SHM_DIR_IN], 0);
	cr_assert_geq(rec.cr_leg[1].cl_octets[SHM_DIR_OUT], t->t_ep[1].e_nmedia);
	cr_assert_eq(rec.cr_leg[0].cl_dialect, CDR_DIALECT_MS_ICE2);
	cr_assert_eq(rec.cr_leg[1].cl_dialect, dialect_b == IPC_DIALECT_MSICE2 ?
	    CDR_DIALECT_MS_ICE2 : CDR_DIALECT_RFC6544);
	cr_assert_eq(rec.cr_leg[0].cl_role, CDR_ROLE_PASSIVE);
	cr_assert_eq(rec.cr_leg[0].cl_remote.sa_family, SHM_AF_INET);
	cr_assert_eq(rec.cr_leg[0].cl_remote.sa_addr[3], 2, "leg A peer is 127.0.0.2");
	cr_assert_eq(rec.cr_leg[1].cl_remote.sa_addr[3], 3, "leg B peer is 127.0.0.3");
	cr_assert_eq(rec.cr_leg[0].cl_local.sa_port, t->t_port[0]);
	cr_assert_neq(rec.cr_t_ice_ms, 0);
	cr_assert_eq(atomic_load(&totals(t)->wt_sessions), 0);
	cr_assert_geq(atomic_load(&totals(t)->wt_accepted), 2);
	stop_worker(t);
}

Test(worker_relay, msice2_both_legs, .timeout = 30)
{
	relay_case(IPC_DIALECT_MSICE2);
}

/* The whole relay path under the worker's seccomp filter (SBX_ON). */
Test(worker_relay, msice2_sandboxed, .timeout = 30)
{
#ifdef APPSHARE_SANITIZED
	cr_skip_test("seccomp and sanitizers do not mix");
#else
	g_sandbox = 0;
	relay_case(IPC_DIALECT_MSICE2);
#endif
}

Test(worker_relay, rfc6544_leg_b, .timeout = 30)
{
	relay_case(IPC_DIALECT_RFC6544);
}

Test(worker_relay, rfc4145_leg_b_active, .timeout = 30)
{
	struct tctx *t = start_worker();
	struct cdr_rec rec;

	new_session(t, IPC_DIALECT_RFC4145, true, 30000);
	t->t_plain_lfd = listen_on(ep_ip[1], &t->t_plain_port);
	ep_init_plain(&t->t_ep[1], 1, -1);
	send_remote(t, 0, false);
	send_remote(t, 1, true);
	ep_init_ice(t, 0, true, NULL);
	cr_assert(pump(t, 10000, is_relaying), "leg A ICE + leg B connected");
	cr_assert_eq(t->t_nsockreq, 1, "one socket asked for");
	exchange(t, 20, 20);
	end_session(t, 1);
	pop_record(t, &rec);
	cr_assert_eq(rec.cr_leg[1].cl_dialect, CDR_DIALECT_RFC4145);
	cr_assert_eq(rec.cr_leg[1].cl_role, CDR_ROLE_ACTIVE);
	cr_assert_eq(rec.cr_leg[1].cl_remote.sa_port, t->t_plain_port);
	cr_assert_eq(rec.cr_leg[1].cl_stun[SHM_DIR_IN], 0);
	cr_assert_eq(rec.cr_leg[0].cl_frames[SHM_DIR_IN], 20);
	cr_assert_eq(rec.cr_leg[1].cl_frames[SHM_DIR_IN], 20);
	stop_worker(t);
}

static bool
is_closed_fd(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) <= 0)
		return false;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

Test(worker_relay, source_filtering, .timeout = 30)
{
	struct tctx *t = start_worker();
	struct sockaddr_storage to;
	int bad, early;

	new_session(t, IPC_DIALECT_MSICE2, false, 30000);
	send_remote(t, 0, false);	/* leg A allows 127.0.0.2 only */
	pump(t, 200, NULL);

	mkaddr(&to, "127.0.0.1", t->t_port[0]);
	bad = ep_connect(1, &to);	/* from 127.0.0.3 */
	pump(t, 300, NULL);
	cr_assert(is_closed_fd(bad, 2000), "leg A refuses 127.0.0.3");
	cr_assert_eq(atomic_load(&totals(t)->wt_policy_denied), 1);
	close(bad);

	mkaddr(&to, "127.0.0.1", t->t_port[1]);
	early = ep_connect(0, &to);	/* leg B has no SDP yet: anyone is accepted */
	pump(t, 300, NULL);
	cr_assert(!is_closed_fd(early, 300), "accepted before SESS_REMOTE");
	cr_assert_eq(atomic_load(&totals(t)->wt_policy_denied), 1);
	cr_assert_eq(atomic_load(&totals(t)->wt_accepted), 1);
	close(early);
	end_session(t, 1);
	stop_worker(t);
}

/* connect() from leg's address to the relay's port: 0 (*fd set) or the errno. */
static int
try_connect(int leg, uint16_t port, int *fd)
{
	struct sockaddr_storage ss, to;
	int err;

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(*fd >= 0);
	mkaddr(&ss, ep_ip[leg], 0);
	mkaddr(&to, "127.0.0.1", port);
	cr_assert_eq(bind(*fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	if (connect(*fd, (struct sockaddr *)&to, sizeof(struct sockaddr_in)) == 0)
		return 0;
	err = errno;
	close(*fd);
	*fd = -1;
	return err;
}

/*
 * Once a leg is up no later connection can become its media path, so the worker
 * closes the leg's listener: a plain RFC 4145 leg keeps the first connection and drops
 * one queued behind it, and both ports then refuse connections.
 */
Test(worker_relay, listener_closed_once_up, .timeout = 30)
{
	struct tctx *t = start_worker();
	struct sockaddr_storage to;
	int first, second, late, rc;

	new_session(t, IPC_DIALECT_RFC4145, false, 30000);
	send_remote(t, 0, false);
	send_remote(t, 1, true);
	mkaddr(&to, "127.0.0.1", t->t_port[1]);
	first = ep_connect(1, &to);
	/* Queued behind the first, or refused if the worker was quicker: both are right. */
	rc = try_connect(1, t->t_port[1], &second);
	cr_assert(rc == 0 || rc == ECONNREFUSED, "second connect: %s", strerror(rc));
	ep_init_plain(&t->t_ep[1], 1, first);
	ep_init_ice(t, 0, true, NULL);
	cr_assert(pump(t, 10000, is_relaying), "leg A ICE + leg B's first connection");
	if (second != -1) {
		cr_assert(is_closed_fd(second, 2000), "the second connection is closed");
		close(second);
	}
	cr_assert_eq(try_connect(1, t->t_port[1], &late), ECONNREFUSED,
	    "leg B still listens");
	cr_assert_eq(try_connect(0, t->t_port[0], &late), ECONNREFUSED,
	    "leg A still listens");
	exchange(t, 10, 10);
	end_session(t, 1);
	stop_worker(t);
}

Test(worker_relay, bad_integrity, .timeout = 30)
{
	struct tctx *t = start_worker();
	uint8_t *sent = malloc(MEDIA_MAX);
	struct cdr_rec rec;

	new_session(t, IPC_DIALECT_MSICE2, false, 30000);
	send_remote(t, 0, false);
	send_remote(t, 1, false);
	ep_init_ice(t, 0, true, "not-the-relay-password-0000");
	ep_init_ice(t, 1, true, NULL);
	/* B completes; A's checks fail MESSAGE-INTEGRITY at the relay. */
	pump(t, 1500, NULL);
	cr_assert_geq(t->t_ep[1].e_sel, 0, "leg B completes");
	cr_assert_lt(t->t_ep[0].e_sel, 0, "leg A never completes");
	cr_assert_eq(t->t_ep[0].e_stun_ok, 0, "no success response to bad integrity");
	cr_assert_neq(t->t_state, IPC_SESS_RELAYING);
	/* A pushes media on its unauthenticated connection anyway. */
	for (int k = 0; k < ICE_MAX_CONNS; k++)
		if (t->t_ep[0].e_fd[k] >= 0) {
			t->t_ep[0].e_sel = k;
			send_media(&t->t_ep[0], 10, 3, sent);
			break;
		}
	pump(t, 500, NULL);
	cr_assert_eq(t->t_ep[1].e_nmedia, 0, "nothing relayed from an unauthenticated conn");
	end_session(t, 1);
	pop_record(t, &rec);
	cr_assert_eq(rec.cr_leg[1].cl_frames[SHM_DIR_OUT], 0);
	cr_assert_eq(rec.cr_leg[0].cl_frames[SHM_DIR_IN], 0);
	cr_assert_eq(rec.cr_t_ice_ms, 0);
	free(sent);
	stop_worker(t);
}

Test(worker_relay, idle_timeout, .timeout = 30)
{
	struct tctx *t = start_worker();
	struct cdr_rec rec;

	new_session(t, IPC_DIALECT_MSICE2, false, 1000);
	send_remote(t, 0, false);
	send_remote(t, 1, false);
	ep_init_ice(t, 0, true, NULL);
	ep_init_ice(t, 1, true, NULL);
	cr_assert(pump(t, 10000, is_relaying));
	exchange(t, 3, 3);
	cr_assert(pump(t, 5000, is_done), "idle timeout ends the session");
	cr_assert_eq(t->t_done.sd_reason, CDR_R_IDLE_TIMEOUT);
	pop_record(t, &rec);
	cr_assert_eq(rec.cr_reason, CDR_R_IDLE_TIMEOUT);
	stop_worker(t);
}

Test(worker_relay, peer_closed, .timeout = 30)
{
	struct tctx *t = start_worker();
	struct cdr_rec rec;

	start_relaying(t);
	exchange(t, 5, 5);
	close(t->t_ep[1].e_fd[t->t_ep[1].e_sel]);
	t->t_ep[1].e_fd[t->t_ep[1].e_sel] = -1;
	cr_assert(pump(t, 5000, is_done), "peer close ends the session");
	cr_assert_eq(t->t_done.sd_reason, CDR_R_PEER_CLOSED);
	pop_record(t, &rec);
	cr_assert_eq(rec.cr_reason, CDR_R_PEER_CLOSED);
	cr_assert_eq(rec.cr_closed_by, CDR_CLOSED_B);
	cr_assert_eq(rec.cr_leg[0].cl_frames[SHM_DIR_IN], 5);
	stop_worker(t);
}

Test(worker_relay, exits_when_channel_closes, .timeout = 30)
{
	struct tctx *t = start_worker();

	new_session(t, IPC_DIALECT_MSICE2, false, 30000);
	pump(t, 200, NULL);
	stop_worker(t);
}

Test(worker_relay, expired_messages_are_dropped, .timeout = 30)
{
	struct tctx *t = start_worker();
	struct ipc_sess_end se = { 1 };
	struct ipc_sess_fd sd;
	uint16_t port;

	/* Unknown handle: logged at debug, the descriptor closed, the worker lives on. */
	memset(&sd, 0, sizeof(sd));
	sd.sd_kind = IPC_SOCK_LISTEN;
	tm_send(t, IPC_SESS_FD, 99, 1, &sd, sizeof(sd), listen_on("127.0.0.1", &port));
	tm_send(t, IPC_SESS_END, 99, 1, &se, sizeof(se), -1);
	new_session(t, IPC_DIALECT_MSICE2, false, 30000);
	tm_send(t, IPC_SESS_END, HANDLE, GEN + 1, &se, sizeof(se), -1);	/* stale gen */
	pump(t, 300, NULL);
	cr_assert_eq(t->t_ndone, 0);
	cr_assert(!t->t_eof);
	end_session(t, 1);
	stop_worker(t);
}

static bool
a_selected(struct tctx *t)
{
	return t->t_ep[0].e_sel >= 0;
}

Test(worker_relay, media_held_until_other_leg_up, .timeout = 30)
{
	struct tctx *t = start_worker();
	uint8_t *sent = malloc(MEDIA_MAX);
	struct cdr_rec rec;
	size_t len;

	new_session(t, IPC_DIALECT_MSICE2, false, 30000);
	send_remote(t, 0, false);
	send_remote(t, 1, false);
	ep_init_ice(t, 0, true, NULL);
	cr_assert(pump(t, 10000, a_selected), "leg A completes alone");
	/* Media from A while B is not there yet waits in the relay, in order. */
	len = send_media(&t->t_ep[0], 40, 9, sent);
	pump(t, 300, NULL);
	ep_init_ice(t, 1, true, NULL);
	g_want_ep = &t->t_ep[1];
	g_want_len = len;
	cr_assert(pump(t, 10000, got_media), "B got %zu of %zu held bytes",
	    t->t_ep[1].e_nmedia, len);
	cr_assert_eq(t->t_ep[1].e_nmedia, len);
	cr_assert_eq(memcmp(t->t_ep[1].e_media, sent, len), 0, "held frames byte for byte");
	end_session(t, 1);
	pop_record(t, &rec);
	cr_assert_eq(rec.cr_leg[0].cl_frames[SHM_DIR_IN], 40);
	cr_assert_eq(rec.cr_leg[1].cl_frames[SHM_DIR_OUT], 40);
	free(sent);
	stop_worker(t);
}

#define BP_BYTES	(24 * 1024 * 1024)

Test(worker_relay, backpressure_throttles_without_loss, .timeout = 30)
{
	struct tctx *t = start_worker();
	struct ep *a, *b;
	struct cdr_rec rec;
	size_t len = 0, fl;
	int i, k, nframes = 0;

	start_relaying(t);
	a = &t->t_ep[0];
	b = &t->t_ep[1];
	a->e_tx = malloc(BP_BYTES + 2000);
	free(b->e_media);
	b->e_media = malloc(BP_BYTES + 2000);
	b->e_mediacap = BP_BYTES + 2000;
	for (i = 0; len < BP_BYTES; i++) {
		fl = 1000 + (size_t)(i % 400);
		a->e_tx[len] = (uint8_t)(fl >> 8);
		a->e_tx[len + 1] = (uint8_t)fl;
		a->e_tx[len + 2] = 0x80;
		a->e_tx[len + 3] = 97;
		for (k = 2; k < (int)fl; k++)
			a->e_tx[len + 2 + k] = (uint8_t)(i * 7 + k);
		len += fl + 2;
		nframes++;
	}
	a->e_txlen = len;
	/* B does not read: the relay must stop reading A instead of buffering it all. */
	b->e_noread = true;
	pump(t, 1500, NULL);
	cr_assert_eq(t->t_ndone, 0, "no overflow while throttled");
	cr_assert_gt(a->e_txlen, 0, "A is held back (%zu of %zu left)", a->e_txlen, len);
	b->e_noread = false;
	g_want_ep = b;
	g_want_len = len;
	cr_assert(pump(t, 20000, got_media), "B got %zu of %zu", b->e_nmedia, len);
	cr_assert_eq(memcmp(b->e_media, a->e_tx, len), 0, "every byte, in order");
	end_session(t, 1);
	cr_assert_eq(t->t_done.sd_reason, CDR_R_DELETED);
	pop_record(t, &rec);
	cr_assert_eq(rec.cr_leg[0].cl_frames[SHM_DIR_IN], (uint64_t)nframes);
	cr_assert_eq(rec.cr_leg[1].cl_frames[SHM_DIR_OUT], (uint64_t)nframes);
	free(a->e_tx);
	stop_worker(t);
}

/*
 * The relay writes a run of frames read in one go straight from its receive buffer,
 * and keeps a buffer only for an incomplete frame: a stream cut at every awkward
 * place (inside the prefix, inside a maximal frame, several frames in one write) with
 * STUN frames in the middle of media must come out as exactly the media, in order.
 */
Test(worker_relay, split_and_coalesced_frames, .timeout = 30)
{
	static const size_t cuts[] = { 1, 1, 3, 2, 7, 1000, 65537, 4, 5000, 300000 };
	static const uint8_t junk_stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4,
	    0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct tctx *t = start_worker();
	uint8_t *stream = malloc(MEDIA_MAX), *media = malloc(MEDIA_MAX);
	size_t slen = 0, mlen = 0, fl, off, n;
	struct cdr_rec rec;
	struct ep *a, *b;
	int i, k, nmedia = 0, nstun = 0;

	start_relaying(t);
	a = &t->t_ep[0];
	b = &t->t_ep[1];
	for (i = 0; i < 120; i++) {
		if (i % 17 == 5) {
			/* A request without FINGERPRINT: the agent drops it, nothing relayed. */
			stream[slen] = 0;
			stream[slen + 1] = sizeof(junk_stun);
			memcpy(stream + slen + 2, junk_stun, sizeof(junk_stun));
			slen += 2 + sizeof(junk_stun);
			nstun++;
			continue;
		}
		fl = (i == 40 || i == 41) ? FRAME_MAX : 12 + (size_t)((i * 131) % 3000);
		stream[slen] = (uint8_t)(fl >> 8);
		stream[slen + 1] = (uint8_t)fl;
		stream[slen + 2] = 0x80;
		stream[slen + 3] = 97;
		for (k = 2; k < (int)fl; k++)
			stream[slen + 2 + k] = (uint8_t)(i * 13 + k);
		memcpy(media + mlen, stream + slen, fl + 2);
		mlen += fl + 2;
		slen += fl + 2;
		nmedia++;
	}
	cr_assert_lt(slen, MEDIA_MAX);
	/* Pause between pieces so that the relay reads each one on its own. */
	for (off = 0, i = 0; off < slen; off += n, i++) {
		n = cuts[i % (sizeof(cuts) / sizeof(cuts[0]))];
		if (n > slen - off)
			n = slen - off;
		ep_write(a->e_fd[a->e_sel], stream + off, n);
		pump(t, 3, NULL);
	}
	g_want_ep = b;
	g_want_len = mlen;
	cr_assert(pump(t, 10000, got_media), "B got %zu of %zu", b->e_nmedia, mlen);
	pump(t, 100, NULL);
	cr_assert_eq(b->e_nmedia, mlen, "media only, no STUN frame relayed");
	cr_assert_eq(memcmp(b->e_media, media, mlen), 0, "every media byte, in order");
	end_session(t, 1);
	pop_record(t, &rec);
	cr_assert_eq(rec.cr_leg[0].cl_frames[SHM_DIR_IN], (uint64_t)nmedia);
	cr_assert_eq(rec.cr_leg[1].cl_frames[SHM_DIR_OUT], (uint64_t)nmedia);
	cr_assert_geq(rec.cr_leg[0].cl_stun[SHM_DIR_IN], (uint64_t)nstun);
	free(stream);
	free(media);
	stop_worker(t);
}

/* IPC_DEBUG_FAULT makes a sandboxed worker call socket(): the filter kills it. */
Test(worker_relay, debug_fault_dies_of_sigsys, .timeout = 30)
{
#ifdef APPSHARE_SANITIZED
	cr_skip_test("seccomp and sanitizers do not mix");
#else
	struct tctx *t;
	int st = 0, i;

	g_sandbox = 0;
	t = start_worker();
	tm_send(t, IPC_DEBUG_FAULT, 0, 0, NULL, 0, -1);
	for (i = 0; i < 50; i++) {
		if (waitpid(t->t_pid, &st, WNOHANG) == t->t_pid)
			break;
		usleep(100 * 1000);
	}
	cr_assert_lt(i, 50, "the worker died");
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "status %#x", st);
	close(t->t_chan);
#endif
}
