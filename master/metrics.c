/*
 * Prometheus metrics over HTTP (metrics.h): gathers the numbers, metrics_fmt.c writes
 * the text, libevent's evhttp serves it.
 */
#include "metrics.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "addr_policy.h"
#include "cidr.h"
#include "log.h"
#include "master.h"
#include "metrics_fmt.h"

#ifndef APPSHARE_VERSION
#define APPSHARE_VERSION	"unknown"
#endif

#define METRICS_TIMEOUT_S	10
#define METRICS_TEXT_MIN	8192

struct metrics {
	struct master	*mt_master;
	struct evhttp	*mt_http;
	int		 mt_fd;
};

static const struct {
	enum ctl_cmd	 cmd;
	const char	*name;
} metrics_cmds[] = {
	{ CTL_CMD_PING, "ping" },
	{ CTL_CMD_OFFER, "offer" },
	{ CTL_CMD_ANSWER, "answer" },
	{ CTL_CMD_DELETE, "delete" },
	{ CTL_CMD_QUERY, "query" },
	{ CTL_CMD_LIST, "list" },
	{ CTL_CMD_STATISTICS, "statistics" },
};
#define METRICS_NCMDS	(sizeof(metrics_cmds) / sizeof(metrics_cmds[0]))

static const struct shm_totals *
metrics_seg_totals(const struct master_worker *mw)
{
	return (const struct shm_totals *)((const char *)mw->mw_seg +
	    mw->mw_geom.sg_totals_off);
}

void
master_totals(const struct master *m, int wi, struct master_totals *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < m->m_nworkers; i++) {
		const struct master_worker *mw = &m->m_w[i];
		const struct shm_totals *t;

		if (wi >= 0 && (unsigned)wi != i)
			continue;
		out->mt_accepted += mw->mw_prev.mt_accepted;
		out->mt_policy_denied += mw->mw_prev.mt_policy_denied;
		out->mt_stun_bad += mw->mw_prev.mt_stun_bad;
		out->mt_ice_failed += mw->mw_prev.mt_ice_failed;
		out->mt_frames_in += mw->mw_prev.mt_frames_in;
		out->mt_frames_out += mw->mw_prev.mt_frames_out;
		out->mt_bytes_in += mw->mw_prev.mt_bytes_in;
		out->mt_bytes_out += mw->mw_prev.mt_bytes_out;
		if (mw->mw_seg == NULL)
			continue;
		t = metrics_seg_totals(mw);
		out->mt_accepted += atomic_load_explicit(&t->wt_accepted,
		    memory_order_relaxed);
		out->mt_policy_denied += atomic_load_explicit(&t->wt_policy_denied,
		    memory_order_relaxed);
		out->mt_stun_bad += atomic_load_explicit(&t->wt_stun_bad,
		    memory_order_relaxed);
		out->mt_ice_failed += atomic_load_explicit(&t->wt_ice_failed,
		    memory_order_relaxed);
		out->mt_frames_in += atomic_load_explicit(&t->wt_frames_in,
		    memory_order_relaxed);
		out->mt_frames_out += atomic_load_explicit(&t->wt_frames_out,
		    memory_order_relaxed);
		out->mt_bytes_in += atomic_load_explicit(&t->wt_bytes_in,
		    memory_order_relaxed);
		out->mt_bytes_out += atomic_load_explicit(&t->wt_bytes_out,
		    memory_order_relaxed);
		out->mt_cdr_backlog += atomic_load_explicit(&t->wt_cdr_backlog,
		    memory_order_relaxed);
	}
}

/* Records in worker i's ring that cdrd has not acknowledged (written and synced). */
static uint64_t
metrics_ring_pending(const struct master *m, unsigned i)
{
	const struct master_worker *mw = &m->m_w[i];
	const struct shm_ring *rg;
	const struct shm_ack *ak;
	uint64_t head, tail;

	if (mw->mw_seg == NULL || m->m_ack_seg == NULL)
		return 0;
	rg = (const struct shm_ring *)((const char *)mw->mw_seg + mw->mw_geom.sg_ring_off);
	ak = (const struct shm_ack *)((const char *)m->m_ack_seg +
	    sizeof(struct shm_hdr)) + i;
	head = atomic_load_explicit(&rg->rg_head, memory_order_acquire);
	tail = atomic_load_explicit(&ak->ak_tail, memory_order_acquire);
	/* Around a respawn the two belong to different epochs for a moment. */
	return head > tail ? head - tail : 0;
}

char *
metrics_text(struct master *m, size_t *lenp)
{
	struct met_worker *ws;
	struct met_cmd cmds[METRICS_NCMDS];
	struct met_in in;
	struct master_totals tot;
	struct ctl_stats cs;
	struct ports_stats ps;
	const struct reg_sess *s;
	char *buf = NULL, *nb;
	size_t cap, need;
	unsigned i;

	if ((ws = calloc(m->m_nworkers, sizeof(*ws))) == NULL)
		return NULL;
	memset(&in, 0, sizeof(in));
	memset(&cs, 0, sizeof(cs));
	if (m->m_ctl != NULL)
		ctl_get_stats(m->m_ctl, &cs);
	ports_stats(&m->m_ports, master_mono_ms(), &ps);
	master_totals(m, -1, &tot);
	in.mi_version = APPSHARE_VERSION;
	in.mi_start_s = m->m_started_ms / 1000;
	for (i = 0; i < m->m_nworkers; i++) {
		TAILQ_FOREACH(s, &m->m_reg.rg_w[i].rw_sessions, rs_wentry) {
			if (s->rs_state != REG_SS_LIVE)
				in.mi_sess_ending++;
			else if (s->rs_worker_state == IPC_SESS_RELAYING)
				in.mi_sess_relaying++;
			else
				in.mi_sess_connecting++;
		}
		ws[i].mw_index = i;
		ws[i].mw_up = m->m_w[i].mw_proc.pr_state == PROC_READY;
		ws[i].mw_restarts = m->m_w[i].mw_proc.pr_restarts;
		in.mi_cdr_pending += metrics_ring_pending(m, i);
	}
	in.mi_calls = m->m_reg.rg_ncalls;
	in.mi_sess_total = m->m_reg.rg_total;
	in.mi_sess_worker_lost = m->m_stats.mc_worker_lost_sessions;
	in.mi_load_limit = m->m_stats.mc_load_limit;
	in.mi_accepted = tot.mt_accepted;
	in.mi_refused_filter = tot.mt_policy_denied;
	in.mi_ice_failed = tot.mt_ice_failed;
	in.mi_stun_bad = tot.mt_stun_bad;
	in.mi_frames_in = tot.mt_frames_in;
	in.mi_frames_out = tot.mt_frames_out;
	in.mi_octets_in = tot.mt_bytes_in;
	in.mi_octets_out = tot.mt_bytes_out;
	in.mi_cdr_backlog = tot.mt_cdr_backlog;
	in.mi_cdrd_restarts = m->m_cdrd.pr_restarts;
	in.mi_workers = ws;
	in.mi_nworkers = m->m_nworkers;
	for (i = 0; i < METRICS_NCMDS; i++) {
		cmds[i].mc_name = metrics_cmds[i].name;
		cmds[i].mc_count = m->m_stats.mc_cmd[metrics_cmds[i].cmd];
	}
	in.mi_cmds = cmds;
	in.mi_ncmds = METRICS_NCMDS;
	in.mi_ctl_requests = cs.cs_requests;
	in.mi_ctl_errors = cs.cs_errors;
	in.mi_ctl_cached = cs.cs_cached;
	in.mi_ctl_refused = cs.cs_refused;
	in.mi_ctl_dropped = cs.cs_dropped;
	memcpy(in.mi_lat_bucket, cs.cs_lat, sizeof(in.mi_lat_bucket));
	in.mi_lat_sum_us = cs.cs_lat_sum_us;
	in.mi_ports_total = ps.ps_total;
	in.mi_ports_in_use = ps.ps_in_use;
	in.mi_ports_quarantined = ps.ps_quarantined;

	/* Twice at most: the first pass tells the size when the guess was short. */
	cap = METRICS_TEXT_MIN + (size_t)m->m_nworkers * 128;
	for (i = 0; i < 2; i++) {
		if ((nb = realloc(buf, cap)) == NULL)
			break;
		buf = nb;
		if ((need = met_format(&in, buf, cap)) < cap) {
			free(ws);
			*lenp = need;
			return buf;
		}
		cap = need + 1;
	}
	free(ws);
	free(buf);
	return NULL;
}

static bool
metrics_allowed(const struct master *m, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct sockaddr *sa;
	struct sockaddr_storage ss;
	struct pol_addr pa;

	if (evcon == NULL || (sa = evhttp_connection_get_addr(evcon)) == NULL)
		return false;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in));
	if (pol_addr_from_sockaddr(&ss, &pa) != 0)
		return false;
	return cidr_list_match(&m->m_conf.cf_control_allow, &pa, NULL) == CIDR_ALLOW;
}

static void
metrics_request(struct evhttp_request *req, void *arg)
{
	struct metrics *mt = arg;
	struct evbuffer *out;
	const char *path;
	char *text;
	size_t len;

	if (!metrics_allowed(mt->mt_master, req)) {
		log_debug("metrics: a client outside control-allow refused");
		evhttp_send_error(req, 403, "Forbidden");
		return;
	}
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL || (strcmp(path, "/metrics") != 0 && strcmp(path, "/") != 0)) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	if ((text = metrics_text(mt->mt_master, &len)) == NULL ||
	    (out = evbuffer_new()) == NULL) {
		free(text);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(out, text, len);
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
}

struct metrics *
metrics_new(struct master *m, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct metrics *mt;
	int one = 1;

	if (conf_addr_to_sockaddr(&m->m_conf.cf_metrics, &ss, &sl) == -1) {
		snprintf(err, errlen, "metrics-address: no address");
		return NULL;
	}
	if ((mt = calloc(1, sizeof(*mt))) == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	mt->mt_master = m;
	if ((mt->mt_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 ||
	    setsockopt(mt->mt_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    (ss.ss_family == AF_INET6 && setsockopt(mt->mt_fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    &one, sizeof(one)) == -1) ||
	    bind(mt->mt_fd, (struct sockaddr *)&ss, sl) == -1 || listen(mt->mt_fd, 16) == -1) {
		char a[64];

		log_sockaddr(&ss, a, sizeof(a));
		snprintf(err, errlen, "metrics-address %s: %s", a, strerror(errno));
		metrics_free(mt);
		return NULL;
	}
	return mt;
}

int
metrics_start(struct metrics *mt)
{
	if ((mt->mt_http = evhttp_new(mt->mt_master->m_base)) == NULL)
		return -1;
	evhttp_set_allowed_methods(mt->mt_http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(mt->mt_http, METRICS_TIMEOUT_S);
	evhttp_set_max_headers_size(mt->mt_http, 8192);
	evhttp_set_max_body_size(mt->mt_http, 1024);
	evhttp_set_gencb(mt->mt_http, metrics_request, mt);
	if (evhttp_accept_socket(mt->mt_http, mt->mt_fd) == -1)
		return -1;
	mt->mt_fd = -1;		/* evhttp owns it now */
	return 0;
}

void
metrics_free(struct metrics *mt)
{
	if (mt == NULL)
		return;
	if (mt->mt_http != NULL)
		evhttp_free(mt->mt_http);
	if (mt->mt_fd >= 0)
		close(mt->mt_fd);
	free(mt);
}
