/*
 * Control port (ctl.h): sockets, framing, allow list, cookie cache, limits.  What a
 * command does is the handler's business (sessions.c).
 */
#include "ctl.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "addr_policy.h"
#include "cidr.h"
#include "log.h"

#define CTL_HASH	256
#define CTL_UDP_BURST	64

/* A cached reply: cookie bytes, then the encoded reply (cookie included). */
struct ctl_cent {
	struct ctl_cent	*ce_next;
	size_t		 ce_clen;
	size_t		 ce_rlen;
	uint8_t		 ce_data[];
};

struct ctl_gen {
	struct ctl_cent	*cg_b[CTL_HASH];
	size_t		 cg_n;
	size_t		 cg_bytes;
};

struct ctl_client {
	struct ctl		*cc_ctl;
	struct bufferevent	*cc_bev;
	char			 cc_peer[64];
	TAILQ_ENTRY(ctl_client)	 cc_entry;
};

struct ctl {
	struct event_base	*ct_base;
	ctl_handler		 ct_handler;
	void			*ct_arg;
	struct cidr_list	 ct_allow;
	int			 ct_udp;
	int			 ct_tcp;
	struct event		*ct_udp_ev;
	struct event		*ct_tcp_ev;
	struct event		*ct_gen_ev;
	struct ctl_gen		 ct_gen[2];	/* [0] current, [1] previous */
	TAILQ_HEAD(, ctl_client) ct_clients;
	unsigned		 ct_nclients;
	uint8_t			*ct_in;		/* one datagram */
	uint8_t			*ct_out;	/* one encoded reply */
	struct ctl_stats	 ct_stats;
};

static void	ctl_client_close(struct ctl_client *, const char *why);

static uint64_t
ctl_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- cookie cache ------------------------------------------------------------- */

static unsigned
ctl_chash(const uint8_t *c, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0) {
		h ^= *c++;
		h *= 16777619u;
	}
	return h % CTL_HASH;
}

static void
ctl_gen_clear(struct ctl_gen *g)
{
	struct ctl_cent *e, *n;
	unsigned i;

	for (i = 0; i < CTL_HASH; i++)
		for (e = g->cg_b[i]; e != NULL; e = n) {
			n = e->ce_next;
			free(e);
		}
	memset(g, 0, sizeof(*g));
}

static const struct ctl_cent *
ctl_cache_get(struct ctl *ct, const uint8_t *cookie, size_t clen)
{
	const struct ctl_cent *e;
	unsigned h = ctl_chash(cookie, clen), g;

	for (g = 0; g < 2; g++)
		for (e = ct->ct_gen[g].cg_b[h]; e != NULL; e = e->ce_next)
			if (e->ce_clen == clen && memcmp(e->ce_data, cookie, clen) == 0)
				return e;
	return NULL;
}

static void
ctl_cache_put(struct ctl *ct, const uint8_t *cookie, size_t clen, const uint8_t *reply,
    size_t rlen)
{
	struct ctl_gen *g = &ct->ct_gen[0];
	struct ctl_cent *e;
	unsigned h = ctl_chash(cookie, clen);

	/* Large replies (big query stats) are cheap to recompute and costly to keep. */
	if (rlen > CTLJ_MAX_UDP_REPLY)
		return;
	if ((e = malloc(sizeof(*e) + clen + rlen)) == NULL)
		return;
	e->ce_clen = clen;
	e->ce_rlen = rlen;
	memcpy(e->ce_data, cookie, clen);
	memcpy(e->ce_data + clen, reply, rlen);
	e->ce_next = g->cg_b[h];
	g->cg_b[h] = e;
	g->cg_n++;
	g->cg_bytes += rlen;
}

static void
ctl_gen_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl *ct = arg;

	ctl_gen_clear(&ct->ct_gen[1]);
	ct->ct_gen[1] = ct->ct_gen[0];
	memset(&ct->ct_gen[0], 0, sizeof(ct->ct_gen[0]));
}

/* ---- one message ------------------------------------------------------------------ */

static bool
ctl_allowed(const struct ctl *ct, const struct sockaddr_storage *ss)
{
	struct pol_addr pa;

	if (pol_addr_from_sockaddr(ss, &pa) != 0)
		return false;
	return cidr_list_match(&ct->ct_allow, &pa, NULL) == CIDR_ALLOW;
}

/*
 * Handle msg (COOKIE SP DICT).  Returns the reply bytes (in ct_out or the cache) and
 * their length, or NULL when nothing is to be sent (no cookie).
 */
static const uint8_t *
ctl_process(struct ctl *ct, const uint8_t *msg, size_t len, bool truncated, size_t cap,
    const char *peer, size_t *outlen)
{
	const uint8_t *cookie, *body;
	size_t clen, blen;
	const struct ctl_cent *ce;
	struct ctl_req req;
	json_t *reply;
	uint64_t t0, us;
	int rc;

	if (ctlj_split(msg, len, &cookie, &clen, &body, &blen) != CTLJ_OK) {
		ct->ct_stats.cs_dropped++;
		log_debug("control %s: message without a cookie dropped", peer);
		return NULL;
	}
	ct->ct_stats.cs_requests++;
	if ((ce = ctl_cache_get(ct, cookie, clen)) != NULL) {
		ct->ct_stats.cs_cached++;
		log_debug("control %s: cookie %.*s: answered from the cache", peer,
		    (int)clen, cookie);
		*outlen = ce->ce_rlen;
		return ce->ce_data + ce->ce_clen;
	}
	t0 = ctl_mono_us();
	if (truncated) {
		log_warnx("control %s: datagram over %d bytes refused", peer, CTL_UDP_MAX);
		memset(&req, 0, sizeof(req));
		req.cr_enc = blen > 0 && body[0] == '{' ? CTLJ_ENC_JSON : CTLJ_ENC_BENCODE;
		reply = ctlj_reply_error(CTLJ_ERR_FORMAT);
	} else {
		rc = ctlj_decode(body, blen, &req);
		if (rc != CTLJ_OK && req.cr_detail[0] != '\0')
			log_info("control %s: %s (%s)", peer, req.cr_error != NULL ?
			    req.cr_error : ctlj_strerror(rc), req.cr_detail);
		reply = ct->ct_handler(&req, rc, peer, ct->ct_arg);
	}
	if (reply == NULL)
		reply = ctlj_reply_error("Out of memory");
	if (reply != NULL && json_is_string(json_object_get(reply, "error-reason")))
		ct->ct_stats.cs_errors++;
	rc = reply == NULL ? CTLJ_E_NOMEM : ctlj_encode_reply(cookie, clen, reply,
	    req.cr_enc, ct->ct_out, cap, outlen);
	if (rc == CTLJ_E_TOOBIG) {
		json_decref(reply);
		reply = ctlj_reply_error(CTLJ_ERR_REPLY_TOOBIG);
		rc = reply == NULL ? CTLJ_E_NOMEM : ctlj_encode_reply(cookie, clen, reply,
		    req.cr_enc, ct->ct_out, cap, outlen);
	}
	json_decref(reply);
	if (!truncated)
		ctlj_req_free(&req);
	us = ctl_mono_us() - t0;
	ct->ct_stats.cs_lat[met_bucket_of(us)]++;
	ct->ct_stats.cs_lat_sum_us += us;
	if (rc != CTLJ_OK) {
		log_warnx("control %s: cannot encode the reply: %s", peer, ctlj_strerror(rc));
		return NULL;
	}
	ctl_cache_put(ct, cookie, clen, ct->ct_out, *outlen);
	return ct->ct_out;
}

/* ---- UDP ---------------------------------------------------------------------------- */

static void
ctl_udp_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl *ct = arg;
	struct sockaddr_storage ss;
	socklen_t sl;
	const uint8_t *out;
	size_t outlen;
	char peer[64];
	ssize_t n;
	int i;

	for (i = 0; i < CTL_UDP_BURST; i++) {
		sl = sizeof(ss);
		n = recvfrom(fd, ct->ct_in, CTL_UDP_MAX, MSG_TRUNC | MSG_DONTWAIT,
		    (struct sockaddr *)&ss, &sl);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("control udp: recvfrom");
			return;
		}
		log_sockaddr(&ss, peer, sizeof(peer));
		if (!ctl_allowed(ct, &ss)) {
			ct->ct_stats.cs_refused++;
			log_debug("control %s: not in control-allow, ignored", peer);
			continue;
		}
		out = ctl_process(ct, ct->ct_in, (size_t)n > CTL_UDP_MAX ? CTL_UDP_MAX :
		    (size_t)n, (size_t)n > CTL_UDP_MAX, CTLJ_MAX_UDP_REPLY, peer, &outlen);
		if (out == NULL)
			continue;
		if (sendto(fd, out, outlen, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) == -1)
			log_warn("control %s: sendto", peer);
	}
}

/* ---- TCP ---------------------------------------------------------------------------- */

static void
ctl_client_close(struct ctl_client *cc, const char *why)
{
	struct ctl *ct = cc->cc_ctl;

	log_debug("control %s: closed: %s", cc->cc_peer, why);
	TAILQ_REMOVE(&ct->ct_clients, cc, cc_entry);
	ct->ct_nclients--;
	bufferevent_free(cc->cc_bev);
	free(cc);
}

static void
ctl_client_read(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cc = arg;
	struct ctl *ct = cc->cc_ctl;
	struct evbuffer *in = bufferevent_get_input(bev);
	const uint8_t *data, *out;
	size_t len, start, mlen, outlen;
	int rc;

	while ((len = evbuffer_get_length(in)) > 0) {
		if ((data = evbuffer_pullup(in, -1)) == NULL) {
			ctl_client_close(cc, "out of memory");
			return;
		}
		rc = ctlj_frame(data, len, &start, &mlen);
		if (rc == CTLJ_E_AGAIN) {
			if (len > CTL_TCP_MAX_BUFFERED) {
				ct->ct_stats.cs_dropped++;
				ctl_client_close(cc, "message too large");
				return;
			}
			break;
		}
		if (rc != CTLJ_OK) {
			ct->ct_stats.cs_dropped++;
			log_info("control %s: cannot frame the stream: %s", cc->cc_peer,
			    ctlj_strerror(rc));
			ctl_client_close(cc, "unframeable input");
			return;
		}
		out = ctl_process(ct, data + start, mlen, false, CTL_TCP_MAX_REPLY,
		    cc->cc_peer, &outlen);
		if (out != NULL && bufferevent_write(bev, out, outlen) == -1) {
			ctl_client_close(cc, "cannot queue the reply");
			return;
		}
		evbuffer_drain(in, start + mlen);
	}
}

static void
ctl_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *cc = arg;

	if (what & BEV_EVENT_EOF)
		ctl_client_close(cc, "end of stream");
	else if (what & BEV_EVENT_TIMEOUT)
		ctl_client_close(cc, "idle");
	else if (what & BEV_EVENT_ERROR)
		ctl_client_close(cc, strerror(EVUTIL_SOCKET_ERROR()));
}

static void
ctl_tcp_cb(evutil_socket_t lfd, short ev, void *arg)
{
	struct ctl *ct = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct ctl_client *cc;
	struct timeval tv = { CTL_TCP_IDLE_S, 0 };
	char peer[64];
	int fd;

	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control tcp: accept");
		return;
	}
	log_sockaddr(&ss, peer, sizeof(peer));
	if (!ctl_allowed(ct, &ss)) {
		ct->ct_stats.cs_refused++;
		log_debug("control %s: not in control-allow, closed", peer);
		close(fd);
		return;
	}
	if (ct->ct_nclients >= CTL_TCP_MAX_CLIENTS) {
		ct->ct_stats.cs_dropped++;
		log_warnx("control %s: too many control connections, closed", peer);
		close(fd);
		return;
	}
	if ((cc = calloc(1, sizeof(*cc))) == NULL ||
	    (cc->cc_bev = bufferevent_socket_new(ct->ct_base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warnx("control %s: out of memory", peer);
		free(cc);
		close(fd);
		return;
	}
	cc->cc_ctl = ct;
	snprintf(cc->cc_peer, sizeof(cc->cc_peer), "%s", peer);
	TAILQ_INSERT_TAIL(&ct->ct_clients, cc, cc_entry);
	ct->ct_nclients++;
	ct->ct_stats.cs_tcp_clients++;
	bufferevent_setcb(cc->cc_bev, ctl_client_read, NULL, ctl_client_event, cc);
	bufferevent_set_timeouts(cc->cc_bev, &tv, NULL);
	bufferevent_enable(cc->cc_bev, EV_READ | EV_WRITE);
	log_debug("control %s: connected", peer);
}

/* ---- set-up ---------------------------------------------------------------------- */

static int
ctl_socket(const struct conf_addr *a, int type, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	if (conf_addr_to_sockaddr(a, &ss, &sl) == -1)
		return -1;
	if ((fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	if (type == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 64) == -1)
		goto fail;
	return fd;
 fail:
	{
		char peer[64];

		log_sockaddr(&ss, peer, sizeof(peer));
		snprintf(err, errlen, "control %s %s: %s", type == SOCK_STREAM ? "tcp" : "udp",
		    peer, strerror(errno));
	}
	if (fd != -1)
		close(fd);
	return -2;
}

struct ctl *
ctl_new(struct event_base *base, const struct as_conf *cf, ctl_handler handler,
    void *arg, char *err, size_t errlen)
{
	struct ctl *ct;

	if ((ct = calloc(1, sizeof(*ct))) == NULL ||
	    (ct->ct_in = malloc(CTL_UDP_MAX + 1)) == NULL ||
	    (ct->ct_out = malloc(CTL_TCP_MAX_REPLY)) == NULL) {
		snprintf(err, errlen, "control: out of memory");
		if (ct != NULL)
			free(ct->ct_in);
		free(ct);
		return NULL;
	}
	ct->ct_base = base;
	ct->ct_handler = handler;
	ct->ct_arg = arg;
	ct->ct_allow = cf->cf_control_allow;
	ct->ct_udp = ct->ct_tcp = -1;
	TAILQ_INIT(&ct->ct_clients);
	if ((ct->ct_udp = ctl_socket(&cf->cf_control_udp, SOCK_DGRAM, err, errlen)) == -2 ||
	    (ct->ct_tcp = ctl_socket(&cf->cf_control_tcp, SOCK_STREAM, err,
	    errlen)) == -2) {
		if (ct->ct_udp < -1)
			ct->ct_udp = -1;
		if (ct->ct_tcp < -1)
			ct->ct_tcp = -1;
		ctl_free(ct);
		return NULL;
	}
	return ct;
}

int
ctl_start(struct ctl *ct)
{
	struct timeval tv = { CTL_COOKIE_GEN_MS / 1000, 0 };

	if (ct->ct_udp >= 0) {
		ct->ct_udp_ev = event_new(ct->ct_base, ct->ct_udp, EV_READ | EV_PERSIST,
		    ctl_udp_cb, ct);
		if (ct->ct_udp_ev == NULL || event_add(ct->ct_udp_ev, NULL) == -1)
			return -1;
	}
	if (ct->ct_tcp >= 0) {
		ct->ct_tcp_ev = event_new(ct->ct_base, ct->ct_tcp, EV_READ | EV_PERSIST,
		    ctl_tcp_cb, ct);
		if (ct->ct_tcp_ev == NULL || event_add(ct->ct_tcp_ev, NULL) == -1)
			return -1;
	}
	ct->ct_gen_ev = event_new(ct->ct_base, -1, EV_PERSIST, ctl_gen_cb, ct);
	if (ct->ct_gen_ev == NULL || event_add(ct->ct_gen_ev, &tv) == -1)
		return -1;
	return 0;
}

void
ctl_set_allow(struct ctl *ct, const struct cidr_list *allow)
{
	ct->ct_allow = *allow;
}

void
ctl_get_stats(const struct ctl *ct, struct ctl_stats *st)
{
	*st = ct->ct_stats;
}

void
ctl_free(struct ctl *ct)
{
	struct ctl_client *cc;

	if (ct == NULL)
		return;
	while ((cc = TAILQ_FIRST(&ct->ct_clients)) != NULL)
		ctl_client_close(cc, "shutdown");
	if (ct->ct_udp_ev != NULL)
		event_free(ct->ct_udp_ev);
	if (ct->ct_tcp_ev != NULL)
		event_free(ct->ct_tcp_ev);
	if (ct->ct_gen_ev != NULL)
		event_free(ct->ct_gen_ev);
	if (ct->ct_udp >= 0)
		close(ct->ct_udp);
	if (ct->ct_tcp >= 0)
		close(ct->ct_tcp);
	ctl_gen_clear(&ct->ct_gen[0]);
	ctl_gen_clear(&ct->ct_gen[1]);
	free(ct->ct_in);
	free(ct->ct_out);
	free(ct);
}
