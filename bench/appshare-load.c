/*
 * appshare-load: the load generator of bench/ (docs/performance.md).
 *
 *   appshare-load relay -c HOST:PORT [options]   N sessions through appshare: offer and
 *       answer over the UDP control port (JSON), ICE on both legs (A: MS-ICE2, offerer,
 *       controlling; B: RFC 6544, answerer, controlled; both connect to the relay), then
 *       frames both ways.
 *   appshare-load tcp -t HOST:PORT [options]     N TCP connections to HOST:PORT, which
 *       must lead back to our own listener (-l): directly (the loopback anchor) or through
 *       a TCP proxy (haproxy in mode tcp).  No ICE.
 *
 * Data phase: every endpoint sends frames of -s bytes (RFC 4571 framed, RTP header, then
 * the CLOCK_MONOTONIC send time in ns) at -r frames/s, for -d seconds; the receiver
 * records the one-way latency.  With -r 0 a single stream is sent as fast as possible
 * (A to B only).  With -I (idle) no frame is sent: the sessions are set up and held for
 * -d seconds.  Figures go to stdout as KEY=VALUE lines; a progress line goes to stderr.
 * -p PID (repeatable) names processes whose CPU time (utime+stime) and RSS are read from
 * /proc before and after.
 *
 * Single-threaded, epoll.  Linked against the tree's ICE agent, STUN codec and the SDP
 * helpers of appshare-peer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ice.h"
#include "peer.h"
#include "stun.h"

#define LD_MAXPIDS	16
#define LD_HIST_US	200000		/* 1 us buckets up to 200 ms, then one overflow */
#define LD_HDR		(2 + 12 + 8 + 4)	/* RFC 4571 + RTP + send time + session */
#define LD_BLAST_BUF	(256 * 1024)

struct ld_ep;

struct ld_conn {
	int		 lc_fd;
	struct ld_ep	*lc_ep;
	int		 lc_cid;	/* ICE conn id */
	bool		 lc_connecting;
	uint8_t		*lc_rbuf;
	size_t		 lc_rlen;
	uint8_t		*lc_wbuf;
	size_t		 lc_wlen;
	size_t		 lc_woff;
	size_t		 lc_wcap;
};

struct ld_ep {
	int			 le_sess;
	bool			 le_b;
	struct ice_agent	*le_ag;
	struct ld_conn		*le_conn[ICE_MAX_CONNS];
	struct ld_conn		*le_sel;	/* data connection */
	struct sockaddr_storage	 le_bind;
	char			 le_ufrag[8];
	char			 le_pwd[32];
	uint64_t		 le_next_tx;	/* ns */
	uint32_t		 le_seq;
};

enum ld_sstate { SS_IDLE, SS_OFFER, SS_ANSWER, SS_ICE, SS_UP, SS_FAILED };

struct ld_sess {
	enum ld_sstate	 ls_state;
	struct ld_ep	 ls_a, ls_b;
	char		 ls_bsdp[4096];	/* B's answer SDP, until sent */
	char		*ls_ra, *ls_rb;	/* the relay's SDP for A and for B */
	uint64_t	 ls_req_at;	/* ms, for retransmission */
	int		 ls_tries;
};

static struct {
	bool		 relay;
	struct sockaddr_storage ctl, target, listen;
	int		 n;
	size_t		 size;
	double		 rate;
	double		 dur;
	bool		 idle;
	int		 window;
	int		 pids[LD_MAXPIDS];
	int		 npids;
	const char	*run;
	int		 naddr;
} o = { .n = 10, .size = 1200, .rate = 208, .dur = 10, .window = 64, .run = "b",
	.naddr = 8 };

static int		 g_ep = -1, g_ctl = -1, g_lfd = -1;
static struct ld_sess	*g_s;
static struct ice_out	 g_out;
static uint32_t		*g_hist;
static uint64_t		 g_hist_over, g_rx_frames, g_rx_bytes, g_tx_frames, g_tx_bytes;
static uint64_t		 g_tx_skipped, g_ice_failed, g_conn_failed;
static int		 g_up, g_ctl_done, g_ctl_failed, g_ctl_sent;
static bool		 g_measure;
static struct ld_conn	**g_tcp;	/* tcp mode: every endpoint's connection */
static struct ld_ep	*g_tcp_ep;
static int		 g_ntcp;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
now_ms(void)
{
	return now_ns() / 1000000u;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "appshare-load: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void
ld_rand(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	if (getrandom(buf, len, 0) != (ssize_t)len)
		die("getrandom failed");
}

static void
ld_token(char *out, size_t len)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t r[64];
	size_t i;

	ld_rand(NULL, r, len - 1);
	for (i = 0; i + 1 < len; i++)
		out[i] = set[r[i] % (sizeof(set) - 1)];
	out[len - 1] = '\0';
}

static void
parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[64];
	const char *c = strrchr(s, ':');

	memset(ss, 0, sizeof(*ss));
	if (c == NULL || (size_t)(c - s) >= sizeof(host))
		die("bad address %s (want A.B.C.D:PORT)", s);
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = '\0';
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)atoi(c + 1));
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		die("bad address %s", s);
}

/* ---- /proc ------------------------------------------------------------------- */

static uint64_t
proc_cpu_ticks(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	/* fields 14 and 15 (utime, stime); p points at field 2's end */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
	    &st) != 2)
		return 0;
	return ut + st;
}

static long
proc_rss_kib(int pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static const char *
proc_name(int pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;
	size_t n, i;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	buf[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return buf;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (i = 0; i + 1 < n; i++)
		if (buf[i] == '\0' || buf[i] == ' ')
			buf[i] = '_';
	return buf;
}

/* ---- connections ---------------------------------------------------------- */

static struct ld_conn *
conn_new(int fd, struct ld_ep *ep, int cid)
{
	struct ld_conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	size_t cap = o.size > ICE_MSG_MAX ? o.size : ICE_MSG_MAX;

	if (o.rate == 0)
		cap = LD_BLAST_BUF;
	if (c == NULL || (c->lc_rbuf = malloc(cap + 2)) == NULL)
		die("out of memory");
	c->lc_fd = fd;
	c->lc_ep = ep;
	c->lc_cid = cid;
	ev.data.ptr = c;
	if (epoll_ctl(g_ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
	return c;
}

static void
conn_free(struct ld_conn *c)
{
	if (c == NULL)
		return;
	epoll_ctl(g_ep, EPOLL_CTL_DEL, c->lc_fd, NULL);
	close(c->lc_fd);
	free(c->lc_rbuf);
	free(c->lc_wbuf);
	free(c);
}

static void
conn_want_out(struct ld_conn *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0) };

	ev.data.ptr = c;
	epoll_ctl(g_ep, EPOLL_CTL_MOD, c->lc_fd, &ev);
}

/* Write what is buffered; true when the buffer is empty. */
static bool
conn_flush(struct ld_conn *c)
{
	ssize_t n;

	while (c->lc_woff < c->lc_wlen) {
		n = send(c->lc_fd, c->lc_wbuf + c->lc_woff, c->lc_wlen - c->lc_woff,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->lc_wlen = c->lc_woff = 0;
			break;
		}
		c->lc_woff += (size_t)n;
	}
	if (c->lc_woff == c->lc_wlen) {
		c->lc_woff = c->lc_wlen = 0;
		return true;
	}
	return false;
}

/* Send (or buffer the rest of) one frame; framed already when hdr is false. */
static void
conn_send(struct ld_conn *c, const uint8_t *p, size_t len, bool prefix)
{
	size_t need = c->lc_wlen + len + 2;
	bool was_empty = c->lc_wlen == 0;
	ssize_t n = 0;
	uint8_t h[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	struct iovec iov[2] = { { h, 2 }, { (void *)(uintptr_t)p, len } };
	struct msghdr mh = { .msg_iov = prefix ? iov : iov + 1, .msg_iovlen = prefix ? 2 : 1 };
	size_t tot = len + (prefix ? 2 : 0);

	if (was_empty) {
		n = sendmsg(c->lc_fd, &mh, MSG_NOSIGNAL);
		if (n < 0)
			n = 0;
		if ((size_t)n == tot)
			return;
	}
	if (need > c->lc_wcap) {
		c->lc_wcap = need * 2;
		if ((c->lc_wbuf = realloc(c->lc_wbuf, c->lc_wcap)) == NULL)
			die("out of memory");
	}
	/* Buffer the unsent part: n bytes of prefix + payload went out already. */
	if (prefix && n < 2) {
		memcpy(c->lc_wbuf + c->lc_wlen, h + n, 2 - (size_t)n);
		c->lc_wlen += 2 - (size_t)n;
		n = 2;
	}
	if (prefix)
		n -= 2;
	memcpy(c->lc_wbuf + c->lc_wlen, p + n, len - (size_t)n);
	c->lc_wlen += len - (size_t)n;
	if (was_empty)
		conn_want_out(c, true);
}

/* ---- ICE glue --------------------------------------------------------------- */

static void ep_apply(struct ld_ep *);
static void sess_check_up(struct ld_sess *);

static void
ep_connect(struct ld_ep *ep, int cid, const struct sockaddr_storage *to)
{
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s (raise ulimit -n)", strerror(errno));
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&ep->le_bind, sizeof(struct sockaddr_in)) != 0)
		die("bind: %s", strerror(errno));
	ep->le_conn[cid] = conn_new(fd, ep, cid);
	if (connect(fd, (const struct sockaddr *)to, sizeof(struct sockaddr_in)) != 0 &&
	    errno != EINPROGRESS) {
		g_conn_failed++;
		conn_free(ep->le_conn[cid]);
		ep->le_conn[cid] = NULL;
		ice_on_closed(ep->le_ag, now_ms(), cid, &g_out);
		ep_apply(ep);
		return;
	}
	ep->le_conn[cid]->lc_connecting = true;
	conn_want_out(ep->le_conn[cid], true);
}

static void
ep_apply(struct ld_ep *ep)
{
	struct ice_out *copy = malloc(sizeof(*copy));
	const struct ice_action *a;
	struct ld_sess *s = &g_s[ep->le_sess];
	size_t i;

	if (copy == NULL)
		die("out of memory");
	memcpy(copy, &g_out, sizeof(*copy));
	for (i = 0; i < copy->io_n; i++) {
		a = &copy->io_act[i];
		switch (a->ac_type) {
		case ICE_ACT_SEND:
			if (ep->le_conn[a->ac_conn] != NULL)
				conn_send(ep->le_conn[a->ac_conn],
				    copy->io_buf + (a->ac_data - g_out.io_buf), a->ac_len, true);
			break;
		case ICE_ACT_CONNECT:
			ep_connect(ep, a->ac_conn, &a->ac_addr);
			break;
		case ICE_ACT_CLOSE:
			if (ep->le_conn[a->ac_conn] == ep->le_sel)
				ep->le_sel = NULL;
			conn_free(ep->le_conn[a->ac_conn]);
			ep->le_conn[a->ac_conn] = NULL;
			break;
		case ICE_ACT_SELECTED:
			ep->le_sel = ep->le_conn[a->ac_conn];
			sess_check_up(s);
			break;
		case ICE_ACT_FAILED:
			if (s->ls_state != SS_FAILED) {
				g_ice_failed++;
				if (s->ls_state == SS_UP)
					g_up--;
				s->ls_state = SS_FAILED;
			}
			break;
		default:
			break;
		}
	}
	free(copy);
}

static void
ep_init(struct ld_ep *ep, int sess, bool b)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ep->le_bind;

	memset(ep, 0, sizeof(*ep));
	ep->le_sess = sess;
	ep->le_b = b;
	s4->sin_family = AF_INET;
	/* A from 127.0.1.x, B from 127.0.2.x: a handful of source addresses each. */
	s4->sin_addr.s_addr = htonl(0x7f000000u | (b ? 2u : 1u) << 8 |
	    (uint32_t)(1 + sess % o.naddr));
	ld_token(ep->le_ufrag, 5);
	ld_token(ep->le_pwd, 25);
}

static int
ep_sdp(struct ld_ep *ep, char *out, size_t cap)
{
	struct peer_local pl;

	memset(&pl, 0, sizeof(pl));
	pl.pl_dialect = ep->le_b ? PEER_RFC6544 : PEER_MSICE2;
	pl.pl_offer = !ep->le_b;
	memcpy(&pl.pl_addr, &ep->le_bind, sizeof(pl.pl_addr));
	((struct sockaddr_in *)&pl.pl_addr)->sin_port = htons(9);
	pl.pl_setup = PEER_SETUP_ACTIVE;
	pl.pl_ufrag = ep->le_ufrag;
	pl.pl_pwd = ep->le_pwd;
	return peer_sdp_write(&pl, (uint64_t)ep->le_sess + 1, out, cap);
}

static void
ep_start_ice(struct ld_ep *ep, const char *sdp)
{
	struct peer_remote pr;
	struct ice_params p;
	enum peer_dialect d = ep->le_b ? PEER_RFC6544 : PEER_MSICE2;
	char err[128];

	memset(&pr, 0, sizeof(pr));
	if (peer_sdp_read(sdp, strlen(sdp), &pr, err, sizeof(err)) != 0 || !pr.pr_have_creds)
		die("session %d: bad SDP from the relay: %s", ep->le_sess, err);
	if ((ep->le_ag = malloc(sizeof(*ep->le_ag))) == NULL)
		die("out of memory");
	ice_params_default(&p);
	p.ip_role = ep->le_b ? ICE_CONTROLLED : ICE_CONTROLLING;
	p.ip_dialect = ep->le_b ? ICE_DIALECT_RFC : ICE_DIALECT_MSICE2;
	ld_rand(NULL, &p.ip_tiebreaker, sizeof(p.ip_tiebreaker));
	snprintf(p.ip_local.cr_ufrag, sizeof(p.ip_local.cr_ufrag), "%s", ep->le_ufrag);
	snprintf(p.ip_local.cr_pwd, sizeof(p.ip_local.cr_pwd), "%s", ep->le_pwd);
	p.ip_passive = false;
	p.ip_active = true;
	p.ip_cand_passive.lc_priority = peer_sdp_prio(d, false, 1, false);
	snprintf(p.ip_cand_passive.lc_foundation, sizeof(p.ip_cand_passive.lc_foundation), "1");
	p.ip_cand_active.lc_priority = peer_sdp_prio(d, true, 1, false);
	snprintf(p.ip_cand_active.lc_foundation, sizeof(p.ip_cand_active.lc_foundation), "2");
	p.ip_ta_ms = 5;
	p.ip_rand = ld_rand;
	if (ice_init(ep->le_ag, &p, now_ms()) != ICE_OK)
		die("ice_init failed");
	if (ice_set_remote(ep->le_ag, now_ms(), &pr.pr_creds, pr.pr_cand, pr.pr_ncand,
	    &g_out) != ICE_OK)
		die("ice_set_remote failed");
	ep_apply(ep);
}

/* ---- control ------------------------------------------------------------------ */

static void
ctl_send(int i, const char *cmd)
{
	struct ld_sess *s = &g_s[i];
	json_t *j = json_object();
	char cid[64], ta[32], tb[32], *body, msg[16384];
	char sdp[4096];
	int n;

	snprintf(cid, sizeof(cid), "%s-%d", o.run, i);
	snprintf(ta, sizeof(ta), "a%d", i);
	snprintf(tb, sizeof(tb), "b%d", i);
	json_object_set_new(j, "command", json_string(cmd));
	json_object_set_new(j, "call-id", json_string(cid));
	json_object_set_new(j, "from-tag", json_string(ta));
	if (strcmp(cmd, "offer") == 0) {
		if (ep_sdp(&s->ls_a, sdp, sizeof(sdp)) < 0)
			die("SDP too long");
		json_object_set_new(j, "sdp", json_string(sdp));
		json_object_set_new(j, "dialect", json_string("rfc6544"));
	} else {
		json_object_set_new(j, "to-tag", json_string(tb));
		json_object_set_new(j, "sdp", json_string(s->ls_bsdp));
	}
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	/* The cookie names the run: retransmissions keep it, other runs cannot hit it. */
	n = snprintf(msg, sizeof(msg), "%c%d.%s %s", cmd[0], i, o.run, body);
	free(body);
	if (n < 0 || (size_t)n >= sizeof(msg))
		die("control message too long");
	if (send(g_ctl, msg, (size_t)n, 0) < 0 && errno != EAGAIN)
		die("control send: %s", strerror(errno));
	s->ls_req_at = now_ms();
	g_ctl_sent++;
}

static void
ctl_on_reply(const char *buf, size_t len)
{
	const char *sp = memchr(buf, ' ', len);
	char kind = buf[0];
	int i = atoi(buf + 1);
	struct ld_sess *s;
	json_error_t je;
	json_t *j, *r, *sdp;

	if (sp == NULL || i < 0 || i >= o.n)
		return;
	s = &g_s[i];
	if ((kind == 'o' && s->ls_state != SS_OFFER) || (kind == 'a' && s->ls_state != SS_ANSWER))
		return;	/* a duplicate */
	if ((j = json_loadb(sp + 1, len - (size_t)(sp + 1 - buf), 0, &je)) == NULL)
		die("bad control reply: %s", je.text);
	r = json_object_get(j, "result");
	sdp = json_object_get(j, "sdp");
	if (!json_is_string(r) || strcmp(json_string_value(r), "ok") != 0 ||
	    !json_is_string(sdp)) {
		json_t *e = json_object_get(j, "error-reason");

		fprintf(stderr, "appshare-load: session %d: %s refused: %s\n", i,
		    kind == 'o' ? "offer" : "answer", json_is_string(e) ?
		    json_string_value(e) : "?");
		s->ls_state = SS_FAILED;
		g_ctl_failed++;
		json_decref(j);
		return;
	}
	if (kind == 'o') {
		/* The relay's offer to B: B answers (its SDP does not depend on it). */
		if (ep_sdp(&s->ls_b, s->ls_bsdp, sizeof(s->ls_bsdp)) < 0)
			die("SDP too long");
		s->ls_state = SS_ANSWER;
		s->ls_tries = 0;
		if ((s->ls_rb = strdup(json_string_value(sdp))) == NULL)
			die("out of memory");
		ctl_send(i, "answer");
	} else {
		if ((s->ls_ra = strdup(json_string_value(sdp))) == NULL)
			die("out of memory");
		s->ls_state = SS_ICE;
		g_ctl_done++;
	}
	json_decref(j);
}

static void
ctl_read(void)
{
	char buf[65536];
	ssize_t n;

	while ((n = recv(g_ctl, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		ctl_on_reply(buf, (size_t)n);
	}
}

/* ---- frames --------------------------------------------------------------------- */

static void
hist_add(uint64_t ns)
{
	uint64_t us = ns / 1000;

	if (!g_measure)
		return;
	if (us < LD_HIST_US)
		g_hist[us]++;
	else
		g_hist_over++;
}

static void
on_frame(struct ld_conn *c, const uint8_t *p, size_t len, uint64_t now)
{
	struct ld_ep *ep = c->lc_ep;
	uint64_t ts;

	if (stun_is_stun(p, len)) {
		if (ep != NULL && ep->le_ag != NULL && ep->le_conn[c->lc_cid] == c) {
			ice_on_stun(ep->le_ag, now_ms(), c->lc_cid, p, len, &g_out);
			ep_apply(ep);
		}
		return;
	}
	if (ep != NULL && ep->le_ag != NULL && (now & 0x3ff) == 0)
		ice_on_received(ep->le_ag, now / 1000000u, c->lc_cid);
	if (len < LD_HDR - 2)
		return;
	memcpy(&ts, p + 12, 8);
	if (g_measure) {
		g_rx_frames++;
		g_rx_bytes += len;
	}
	if (ts != 0 && ts <= now)
		hist_add(now - ts);
}

static void
conn_read(struct ld_conn *c)
{
	size_t cap = o.rate == 0 ? LD_BLAST_BUF : (o.size > ICE_MSG_MAX ? o.size : ICE_MSG_MAX) + 2;
	size_t off, fl;
	ssize_t n;
	uint64_t now;

	for (;;) {
		n = recv(c->lc_fd, c->lc_rbuf + c->lc_rlen, cap - c->lc_rlen, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			struct ld_ep *ep = c->lc_ep;

			if (o.relay && ep->le_ag != NULL && ep->le_conn[c->lc_cid] == c &&
			    g_s[ep->le_sess].ls_state != SS_UP) {
				int cid = c->lc_cid;

				ep->le_conn[cid] = NULL;
				conn_free(c);
				ice_on_closed(ep->le_ag, now_ms(), cid, &g_out);
				ep_apply(ep);
			} else {
				/* An established connection lost: stop listening to it. */
				epoll_ctl(g_ep, EPOLL_CTL_DEL, c->lc_fd, NULL);
				g_conn_failed++;
			}
			return;
		}
		if (n < 0)
			return;
		if (o.rate == 0 && o.relay == false) {
			if (g_measure)
				g_rx_bytes += (uint64_t)n;
			continue;
		}
		c->lc_rlen += (size_t)n;
		now = now_ns();
		off = 0;
		while (c->lc_rlen - off >= 2) {
			fl = (size_t)c->lc_rbuf[off] << 8 | c->lc_rbuf[off + 1];
			if (c->lc_rlen - off - 2 < fl)
				break;
			if (o.rate == 0 && !stun_is_stun(c->lc_rbuf + off + 2, fl)) {
				if (g_measure)
					g_rx_bytes += fl;
			} else
				on_frame(c, c->lc_rbuf + off + 2, fl, now);
			off += 2 + fl;
			if (c->lc_rbuf == NULL)
				return;
		}
		memmove(c->lc_rbuf, c->lc_rbuf + off, c->lc_rlen - off);
		c->lc_rlen -= off;
		if ((size_t)n < cap / 2)
			return;
	}
}

static void
conn_event(struct ld_conn *c, uint32_t ev)
{
	struct ld_ep *ep = c->lc_ep;

	if (c->lc_connecting && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t el = sizeof(err);
		struct sockaddr_storage local;
		socklen_t ll = sizeof(local);

		getsockopt(c->lc_fd, SOL_SOCKET, SO_ERROR, &err, &el);
		c->lc_connecting = false;
		if (err != 0) {
			int cid = c->lc_cid;

			g_conn_failed++;
			ep->le_conn[cid] = NULL;
			conn_free(c);
			ice_on_closed(ep->le_ag, now_ms(), cid, &g_out);
			ep_apply(ep);
			return;
		}
		conn_want_out(c, c->lc_wlen > 0);
		getsockname(c->lc_fd, (struct sockaddr *)&local, &ll);
		ice_on_connected(ep->le_ag, now_ms(), c->lc_cid, &local, &g_out);
		ep_apply(ep);
		return;
	}
	if (ev & EPOLLOUT) {
		if (conn_flush(c))
			conn_want_out(c, false);
	}
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		conn_read(c);
}

static void
sess_check_up(struct ld_sess *s)
{
	if (s->ls_state == SS_ICE && s->ls_a.le_sel != NULL && s->ls_b.le_sel != NULL) {
		s->ls_state = SS_UP;
		g_up++;
	}
}

/* Send the frames that are due on one endpoint. */
static void
ep_tx(struct ld_ep *ep, struct ld_conn *c, uint64_t now, uint64_t period, uint8_t *frame)
{
	while (ep->le_next_tx <= now) {
		ep->le_next_tx += period;
		if (c->lc_wlen > 0) {
			g_tx_skipped++;
			continue;
		}
		frame[2] = (uint8_t)(ep->le_seq >> 8);
		frame[3] = (uint8_t)ep->le_seq;
		ep->le_seq++;
		memcpy(frame + 12, &now, 8);
		memcpy(frame + 20, &ep->le_sess, 4);
		conn_send(c, frame, o.size, true);
		g_tx_frames++;
		g_tx_bytes += o.size;
	}
}

/* ---- main loop ----------------------------------------------------------------- */

static void
poll_once(int timeout_ms)
{
	struct epoll_event evs[256];
	int n, i;

	n = epoll_wait(g_ep, evs, 256, timeout_ms);
	for (i = 0; i < n; i++) {
		if (evs[i].data.ptr == NULL) {
			ctl_read();
			continue;
		}
		if (evs[i].data.ptr == (void *)&g_lfd) {
			int fd, one = 1;

			while (g_ntcp < 2 * o.n && (fd = accept4(g_lfd, NULL, NULL,
			    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				g_tcp[g_ntcp] = conn_new(fd, &g_tcp_ep[g_ntcp], 0);
				g_tcp_ep[g_ntcp].le_sess = g_ntcp;
				g_tcp_ep[g_ntcp].le_sel = g_tcp[g_ntcp];
				g_ntcp++;
			}
			continue;
		}
		conn_event(evs[i].data.ptr, evs[i].events);
	}
}

/*
 * The agents' timers of sessions [from, to): control retries during set-up, ICE checks
 * and keepalives.
 */
static void
ice_ticks_range(int from, int to)
{
	uint64_t now = now_ms();
	int i;

	for (i = from; i < to; i++) {
		struct ld_sess *s = &g_s[i];
		struct ld_ep *eps[2] = { &s->ls_a, &s->ls_b };
		int k;

		if (s->ls_state == SS_OFFER || s->ls_state == SS_ANSWER) {
			if (now - s->ls_req_at > 1000) {
				if (++s->ls_tries > 5) {
					s->ls_state = SS_FAILED;
					g_ctl_failed++;
				} else
					ctl_send(i, s->ls_state == SS_OFFER ? "offer" : "answer");
			}
			continue;
		}
		if (s->ls_state != SS_ICE && s->ls_state != SS_UP)
			continue;
		for (k = 0; k < 2; k++)
			if (eps[k]->le_ag != NULL && ice_next_deadline(eps[k]->le_ag) <= now) {
				ice_on_tick(eps[k]->le_ag, now, &g_out);
				ep_apply(eps[k]);
			}
	}
}

static void
ice_ticks(void)
{
	ice_ticks_range(0, o.n);
}

/*
 * During the data phase, one tenth of the sessions per call: a scan of every agent
 * (2,000 at N=1,000) takes long enough to delay the frames waiting behind it, which
 * only the relay path would pay (haproxy's path has no agents).
 */
#define LD_TICK_SLICES	10
static void
ice_ticks_slice(void)
{
	static int next;
	int n = (o.n + LD_TICK_SLICES - 1) / LD_TICK_SLICES;

	if (next >= o.n)
		next = 0;
	ice_ticks_range(next, next + n < o.n ? next + n : o.n);
	next += n;
}

struct pstat {
	uint64_t	ticks;
	long		rss;
};

static void
pids_read(struct pstat *ps)
{
	int i;

	for (i = 0; i < o.npids; i++) {
		ps[i].ticks = proc_cpu_ticks(o.pids[i]);
		ps[i].rss = proc_rss_kib(o.pids[i]);
	}
}

static double
cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static uint64_t
hist_pct(double q, uint64_t total)
{
	uint64_t want = (uint64_t)(q * (double)total), acc = 0;
	uint64_t i;

	if (want >= total && total > 0)
		want = total - 1;
	for (i = 0; i < LD_HIST_US; i++) {
		acc += g_hist[i];
		if (acc > want)
			return i;
	}
	return LD_HIST_US;
}

static void
setup_relay(void)
{
	uint64_t t0, t1, t2;
	int i, started = 0, next_ice = 0, inflight;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int rcv = 4 << 20;

	g_ctl = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(g_ctl, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (connect(g_ctl, (struct sockaddr *)&o.ctl, sizeof(struct sockaddr_in)) != 0)
		die("control connect: %s", strerror(errno));
	epoll_ctl(g_ep, EPOLL_CTL_ADD, g_ctl, &ev);
	if ((g_s = calloc((size_t)o.n, sizeof(*g_s))) == NULL)
		die("out of memory");
	for (i = 0; i < o.n; i++) {
		ep_init(&g_s[i].ls_a, i, false);
		ep_init(&g_s[i].ls_b, i, true);
	}
	/* Phase 1: offer + answer, o.window requests in flight. */
	t0 = now_ns();
	while (g_ctl_done + g_ctl_failed < o.n) {
		while (started < o.n && started - g_ctl_done - g_ctl_failed < o.window) {
			g_s[started].ls_state = SS_OFFER;
			ctl_send(started, "offer");
			started++;
		}
		poll_once(5);
		ice_ticks();
	}
	t1 = now_ns();
	printf("ctl_sessions=%d\nctl_failed=%d\nctl_seconds=%.3f\nctl_pairs_per_s=%.0f\n",
	    g_ctl_done, g_ctl_failed, (t1 - t0) / 1e9, g_ctl_done / ((t1 - t0) / 1e9));
	fprintf(stderr, "appshare-load: %d offer+answer pairs in %.2f s (%.0f/s)\n",
	    g_ctl_done, (t1 - t0) / 1e9, g_ctl_done / ((t1 - t0) / 1e9));
	/* Phase 2: ICE on both legs, o.window sessions connecting at a time. */
	for (;;) {
		inflight = next_ice - g_up - (int)g_ice_failed;
		while (next_ice < o.n && inflight < o.window) {
			struct ld_sess *s = &g_s[next_ice];

			if (s->ls_state == SS_ICE) {
				ep_start_ice(&s->ls_b, s->ls_rb);
				ep_start_ice(&s->ls_a, s->ls_ra);
				free(s->ls_ra);
				free(s->ls_rb);
				s->ls_ra = s->ls_rb = NULL;
				inflight++;
			}
			next_ice++;
		}
		if (next_ice >= o.n && g_up + (int)g_ice_failed >= g_ctl_done)
			break;
		if (now_ns() - t1 > (uint64_t)(60 + o.n / 50) * 1000000000u) {
			fprintf(stderr, "appshare-load: ICE phase timed out\n");
			break;
		}
		poll_once(5);
		ice_ticks();
		{
			static uint64_t last;
			uint64_t n = now_ns();

			if (n - last > 1000000000u) {
				last = n;
				fprintf(stderr, "appshare-load: set-up: %d/%d established, %" PRIu64
				    " ICE failed\n", g_up, o.n, g_ice_failed);
			}
		}
	}
	t2 = now_ns();
	printf("sessions_up=%d\nice_failed=%" PRIu64 "\nice_seconds=%.3f\n"
	    "setup_seconds=%.3f\nsetup_per_s=%.0f\n", g_up, g_ice_failed, (t2 - t1) / 1e9,
	    (t2 - t0) / 1e9, g_up / ((t2 - t0) / 1e9));
	fprintf(stderr, "appshare-load: %d sessions established in %.2f s (%.0f/s incl. ICE)\n",
	    g_up, (t2 - t0) / 1e9, g_up / ((t2 - t0) / 1e9));
}

static void
setup_tcp(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &g_lfd };
	int one = 1, i, fd;
	uint64_t t0;

	if ((g_tcp = calloc((size_t)o.n * 2, sizeof(*g_tcp))) == NULL ||
	    (g_tcp_ep = calloc((size_t)o.n * 2, sizeof(*g_tcp_ep))) == NULL)
		die("out of memory");
	g_lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(g_lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(g_lfd, (struct sockaddr *)&o.listen, sizeof(struct sockaddr_in)) != 0 ||
	    listen(g_lfd, 4096) != 0)
		die("listen: %s", strerror(errno));
	epoll_ctl(g_ep, EPOLL_CTL_ADD, g_lfd, &ev);
	t0 = now_ns();
	for (i = 0; i < o.n; i++) {
		struct ld_ep *ep;

		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&o.target, sizeof(struct sockaddr_in)) != 0)
			die("connect: %s", strerror(errno));
		fcntl(fd, F_SETFL, O_NONBLOCK);
		ep = &g_tcp_ep[g_ntcp];
		ep->le_sess = g_ntcp;
		g_tcp[g_ntcp] = conn_new(fd, ep, 0);
		ep->le_sel = g_tcp[g_ntcp];
		g_ntcp++;
		if (i % 64 == 63)
			poll_once(0);
	}
	while (g_ntcp < 2 * o.n && now_ns() - t0 < 30000000000u)
		poll_once(10);
	if (g_ntcp < 2 * o.n)
		die("only %d of %d connections came through", g_ntcp - o.n, o.n);
	g_up = o.n;
	printf("sessions_up=%d\n", g_up);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: appshare-load relay -c CTL-ADDR:PORT [options]\n"
	    "       appshare-load tcp -t TARGET:PORT -l LISTEN:PORT [options]\n"
	    "  -n N     sessions (default 10)\n"
	    "  -s SIZE  frame size in bytes incl. the 12-byte RTP header (default 1200)\n"
	    "  -r RATE  frames/s per direction per session (default 208); 0: one stream,\n"
	    "           A to B, as fast as possible (frames of SIZE)\n"
	    "  -d SECS  data phase (or idle hold with -I), default 10\n"
	    "  -I       idle: no frames\n"
	    "  -w N     requests / ICE set-ups in flight (default 64)\n"
	    "  -p PID   a process to measure (CPU, RSS); repeatable\n"
	    "  -R NAME  call-id prefix (default b)\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct pstat before[LD_MAXPIDS], after[LD_MAXPIDS];
	uint64_t t0, tend, period = 0, last_prog, lastrx = 0, total, rx0, last_tick = 0;
	double self0, wall;
	uint8_t *frame;
	long tck = sysconf(_SC_CLK_TCK);
	int ch, i;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "relay") == 0)
		o.relay = true;
	else if (strcmp(argv[1], "tcp") != 0)
		usage();
	optind = 2;
	while ((ch = getopt(argc, argv, "c:t:l:n:s:r:d:Iw:p:R:")) != -1) {
		switch (ch) {
		case 'c': parse_addr(optarg, &o.ctl); break;
		case 't': parse_addr(optarg, &o.target); break;
		case 'l': parse_addr(optarg, &o.listen); break;
		case 'n': o.n = atoi(optarg); break;
		case 's': o.size = (size_t)atol(optarg); break;
		case 'r': o.rate = atof(optarg); break;
		case 'd': o.dur = atof(optarg); break;
		case 'I': o.idle = true; break;
		case 'w': o.window = atoi(optarg); break;
		case 'p':
			if (o.npids < LD_MAXPIDS)
				o.pids[o.npids++] = atoi(optarg);
			break;
		case 'R': o.run = optarg; break;
		default: usage();
		}
	}
	if (o.n < 1 || o.size < LD_HDR - 2 || o.size > 65535 || o.rate < 0)
		usage();
	if (o.rate == 0)
		o.n = 1;
	signal(SIGPIPE, SIG_IGN);
	if ((g_hist = calloc(LD_HIST_US, sizeof(*g_hist))) == NULL ||
	    (frame = calloc(1, LD_BLAST_BUF)) == NULL)
		die("out of memory");
	if ((g_ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll: %s", strerror(errno));
	pids_read(before);
	for (i = 0; i < o.npids; i++) {
		char nm[128];

		printf("proc_%d_name=%s\nproc_%d_rss_before_kib=%ld\n", i,
		    proc_name(o.pids[i], nm, sizeof(nm)), i, before[i].rss);
	}
	if (o.relay)
		setup_relay();
	else
		setup_tcp();
	printf("self_rss_kib=%ld\n", proc_rss_kib(getpid()));
	fflush(stdout);		/* run.sh watches for this line */
	/* Let the set-up's stragglers settle, then measure. */
	t0 = now_ns();
	while (now_ns() - t0 < 300000000u) {
		poll_once(10);
		if (o.relay)
			ice_ticks();
	}
	pids_read(before);
	for (i = 0; i < o.npids; i++)
		printf("proc_%d_rss_established_kib=%ld\n", i, before[i].rss);
	self0 = cpu_self();
	g_measure = true;
	frame[0] = 0x80;
	frame[1] = 127;
	if (o.rate > 0)
		period = (uint64_t)(1e9 / o.rate);
	t0 = now_ns();
	tend = t0 + (uint64_t)(o.dur * 1e9);
	last_prog = t0;
	rx0 = 0;
	/* Stagger the first frames over one period. */
	for (i = 0; i < 2 * o.n && period > 0; i++) {
		struct ld_ep *ep = o.relay ? (i % 2 ? &g_s[i / 2].ls_b : &g_s[i / 2].ls_a) :
		    &g_tcp_ep[i];

		ep->le_next_tx = t0 + period * (uint64_t)i / (uint64_t)(2 * o.n);
	}
	for (;;) {
		uint64_t now = now_ns();

		if (now >= tend)
			break;
		if (!o.idle && period > 0) {
			for (i = 0; i < 2 * o.n; i++) {
				struct ld_ep *ep = o.relay ? (i % 2 ? &g_s[i / 2].ls_b :
				    &g_s[i / 2].ls_a) : &g_tcp_ep[i];

				if (ep->le_sel == NULL || (o.relay && g_s[i / 2].ls_state !=
				    SS_UP))
					continue;
				ep_tx(ep, ep->le_sel, now, period, frame);
			}
			poll_once(1);
		} else if (!o.idle) {
			/* one stream, A to B, as fast as it goes */
			struct ld_conn *c = o.relay ? g_s[0].ls_a.le_sel : g_tcp[0];

			if (c->lc_wlen == 0) {
				size_t k = 0;

				while (k + 2 + o.size <= LD_BLAST_BUF) {
					frame[k] = (uint8_t)(o.size >> 8);
					frame[k + 1] = (uint8_t)o.size;
					frame[k + 2] = 0x80;
					frame[k + 3] = 127;
					k += 2 + o.size;
				}
				conn_send(c, frame, k, false);
				g_tx_bytes += k;
			}
			poll_once(1);
		} else
			poll_once(100);
		/* The agents' timers (keepalives) need no better than 10 ms. */
		if (o.relay && now - last_tick >= 10000000u / LD_TICK_SLICES) {
			ice_ticks_slice();
			last_tick = now;
		}
		if (now - last_prog >= 1000000000u) {
			fprintf(stderr, "appshare-load: %.0f s: %d sessions up, rx %.1f Mbit/s, "
			    "%" PRIu64 " frames, %" PRIu64 " skipped\n", (now - t0) / 1e9, g_up,
			    (g_rx_bytes - lastrx) * 8 / ((now - last_prog) / 1e3) , g_rx_frames,
			    g_tx_skipped);
			lastrx = g_rx_bytes;
			last_prog = now;
		}
	}
	wall = (now_ns() - t0) / 1e9;
	g_measure = false;
	(void)rx0;
	pids_read(after);
	printf("seconds=%.3f\nsessions_end=%d\nice_failed_end=%" PRIu64 "\nconn_lost=%" PRIu64
	    "\n", wall, g_up, g_ice_failed, g_conn_failed);
	printf("tx_frames=%" PRIu64 "\ntx_skipped=%" PRIu64 "\nrx_frames=%" PRIu64
	    "\nrx_bytes=%" PRIu64 "\nrx_mbit_s=%.1f\n", g_tx_frames, g_tx_skipped, g_rx_frames,
	    g_rx_bytes, g_rx_bytes * 8 / wall / 1e6);
	total = g_hist_over;
	for (i = 0; i < LD_HIST_US; i++)
		total += g_hist[i];
	if (total > 0)
		printf("lat_samples=%" PRIu64 "\nlat_p50_us=%" PRIu64 "\nlat_p99_us=%" PRIu64
		    "\nlat_p999_us=%" PRIu64 "\nlat_over_200ms=%" PRIu64 "\n", total,
		    hist_pct(0.5, total), hist_pct(0.99, total), hist_pct(0.999, total),
		    g_hist_over);
	printf("self_cpu_s=%.3f\n", cpu_self() - self0);
	for (i = 0; i < o.npids; i++)
		printf("proc_%d_cpu_s=%.3f\nproc_%d_rss_end_kib=%ld\n", i,
		    (double)(after[i].ticks - before[i].ticks) / (double)tck, i, after[i].rss);
	fflush(stdout);
	return 0;
}
