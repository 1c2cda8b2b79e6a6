/*
 * appshare-worker: start-up handshake with the master, shared memory, sandbox, and
 * the dispatch of the master's messages (docs/internals.md) [io].
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "leg.h"
#include "log.h"
#include "sandbox.h"
#include "sess.h"
#include "shm.h"
#include "stun.h"
#include "tap.h"
#include "worker.h"

#define WK_ACK_WAIT_MS	1000	/* then run without the ack segment (warned) */
#define WK_LOG_QUEUE_MAX	1024	/* queued messages above which log lines are dropped */

static struct worker	 wk_state;
struct worker		*wk = &wk_state;

static void	worker_dispatch_master(struct ipc_chan *, struct ipc_msg *, void *);

uint64_t
wk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
wk_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
wk_count(_Atomic uint64_t *ctr, uint64_t n)
{
	/* Single writer: a relaxed add is enough for readers summing rows. */
	atomic_fetch_add_explicit(ctr, n, memory_order_relaxed);
}

static void
worker_gone(const char *why)
{
	log_sethook(NULL, NULL);
	log_warnx("channel to the master: %s: exiting", why);
	event_base_loopbreak(wk->wk_base);
}

void
wk_send_raw(uint16_t type, uint32_t handle, uint32_t gen, const void *p, size_t len)
{
	if (wk->wk_chan == NULL)
		return;
	if (ipc_send(wk->wk_chan, type, handle, gen, p, len, -1) == -1)
		worker_gone(strerror(errno));
}

void
wk_send(uint16_t type, const struct sess *s, const void *p, size_t len, int fd)
{
	if (wk->wk_chan == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (ipc_send(wk->wk_chan, type, s->s_handle, s->s_gen, p, len, fd) == -1)
		worker_gone(strerror(errno));
}

/* Sandboxed: every log line goes to the master (conventions.md 14). */
static void
worker_log_hook(int level, const char *line, void *arg)
{
	static uint64_t dropped;
	struct ipc_log lg;
	const char *name;

	if (wk->wk_in_hook || wk->wk_chan == NULL)
		return;
	/*
	 * Log lines give way to the protocol: with WK_LOG_QUEUE_MAX messages queued they
	 * are dropped, so that a peer that makes us log per packet (debug level) cannot
	 * fill the channel and make a session message fail (worker_gone()).
	 */
	if (ipc_queued(wk->wk_chan) >= WK_LOG_QUEUE_MAX) {
		dropped++;
		return;
	}
	wk->wk_in_hook = true;
	memset(&lg, 0, sizeof(lg));
	if (dropped != 0) {
		/* "<name>: warning: ...", the name taken from this line */
		name = strchr(line, ':');
		lg.lo_level = (uint32_t)LOG_WARNING;
		snprintf(lg.lo_text, sizeof(lg.lo_text),
		    "%.*s: warning: %llu log lines dropped: channel to the master busy",
		    name != NULL ? (int)(name - line) : 0, line,
		    (unsigned long long)dropped);
		(void)ipc_send(wk->wk_chan, IPC_LOG, 0, 0, &lg, sizeof(lg), -1);
		dropped = 0;
	}
	lg.lo_level = (uint32_t)level;
	snprintf(lg.lo_text, sizeof(lg.lo_text), "%s", line);
	(void)ipc_send(wk->wk_chan, IPC_LOG, 0, 0, &lg, sizeof(lg), -1);
	wk->wk_in_hook = false;
}

static void
worker_error(struct ipc_chan *ch, const char *why, void *arg)
{
	worker_gone(why);
}

static void
worker_tick_cb(int fd, short ev, void *arg)
{
	pub_tick();
}

/*
 * libcrypto loads its configuration (openat) on the first HMAC: do one now, while the
 * filter still allows it, through the very path the ICE agent uses.
 */
static void
worker_warmup(void)
{
	static const uint8_t tid[STUN_TID_LEN];
	static const uint8_t key[] = "warm-up";
	struct stun_builder b;
	uint8_t buf[128];
	size_t n;

	stun_build_init(&b, buf, sizeof(buf), stun_type(STUN_METHOD_BINDING,
	    STUN_CLASS_REQUEST), tid);
	if (stun_build_finish(&b, key, sizeof(key) - 1, STUN_MI_RFC5389, STUN_FP_STD,
	    &n) != STUN_OK)
		log_warnx("STUN warm-up failed");
}

/* Everything the filter forbids is done: enter the sandbox and tell the master. */
static void
worker_ready(void)
{
	const _Atomic uint64_t *tail = &wk->wk_tail_none;
	char err[256];

	if (wk->wk_ready)
		return;
	if (wk->wk_ackwait != NULL) {
		event_free(wk->wk_ackwait);
		wk->wk_ackwait = NULL;
	}
	if (wk->wk_ack != NULL)
		tail = &shm_seg_acks((void *)(uintptr_t)wk->wk_ack)[wk->wk_index].ak_tail;
	else
		log_warnx("no ack segment: final records stay in the ring");
	ring_prod_init(&wk->wk_ring, shm_seg_ring(wk->wk_seg, &wk->wk_geom),
	    wk->wk_hdr->sh_ring_len, tail);
	atomic_store_explicit(&wk->wk_tot->wt_heartbeat_ms, wk_now(), memory_order_relaxed);
	worker_warmup();
	if (sbx_enter(SBX_WORKER, (enum sbx_mode)wk->wk_conf.cc_sandbox, err,
	    sizeof(err)) == -1)
		fatalx("sandbox: %s", err);
	wk->wk_ready = true;
	wk_send_raw(IPC_READY, 0, 0, NULL, 0);
	log_debug("ready: %u slots, ring %u, sandbox %s", wk->wk_hdr->sh_n_slots,
	    wk->wk_hdr->sh_ring_len, sbx_mode_str((enum sbx_mode)wk->wk_conf.cc_sandbox));
}

static void
worker_ackwait_cb(int fd, short ev, void *arg)
{
	worker_ready();
}

static void
worker_shm(const struct ipc_shm_fd *sf, int fd)
{
	struct timeval tv = { WK_ACK_WAIT_MS / 1000, (WK_ACK_WAIT_MS % 1000) * 1000 };
	void *p;
	const void *ro;
	int rc;

	if (sf->sf_size == 0 || sf->sf_size > SIZE_MAX) {
		close(fd);
		fatalx("shm: bad size %llu", (unsigned long long)sf->sf_size);
	}
	switch (sf->sf_kind) {
	case IPC_SHM_WORKER_RW:
		if (wk->wk_seg != NULL || sf->sf_index != wk->wk_index)
			fatalx("shm: unexpected worker segment %u", sf->sf_index);
		if ((p = shm_map_rw(fd, (size_t)sf->sf_size)) == NULL)
			fatal("shm: map");
		close(fd);
		if ((rc = shm_hdr_check(p, (size_t)sf->sf_size, SHM_KIND_WORKER,
		    &wk->wk_geom)) != SHM_OK)
			fatalx("shm: worker segment refused (%d)", rc);
		wk->wk_seg = p;
		wk->wk_seg_len = (size_t)sf->sf_size;
		wk->wk_hdr = p;
		if (wk->wk_hdr->sh_worker_index != wk->wk_index ||
		    wk->wk_hdr->sh_epoch != wk->wk_epoch)
			fatalx("shm: segment of worker %u epoch %u, we are %u epoch %u",
			    wk->wk_hdr->sh_worker_index, wk->wk_hdr->sh_epoch, wk->wk_index,
			    wk->wk_epoch);
		wk->wk_tot = shm_seg_totals(p, &wk->wk_geom);
		wk->wk_slots = shm_seg_slots(p, &wk->wk_geom);
		if ((wk->wk_slot_used = calloc(wk->wk_hdr->sh_n_slots, sizeof(bool))) == NULL)
			fatal("shm: slots");
		break;
	case IPC_SHM_ACK_RO:
		if (wk->wk_ack != NULL)
			fatalx("shm: second ack segment");
		if ((ro = shm_map_ro(fd, (size_t)sf->sf_size)) == NULL)
			fatal("shm: map ack");
		close(fd);
		if ((rc = shm_hdr_check(ro, (size_t)sf->sf_size, SHM_KIND_ACK, NULL)) != SHM_OK
		    || ((const struct shm_hdr *)ro)->sh_n_slots <= wk->wk_index)
			fatalx("shm: ack segment refused (%d)", rc);
		wk->wk_ack = ro;
		wk->wk_ack_len = (size_t)sf->sf_size;
		if (wk->wk_ready) {
			/* Late: the ring starts reading the real tail from now on. */
			wk->wk_ring.rp_tail =
			    &shm_seg_acks((void *)(uintptr_t)ro)[wk->wk_index].ak_tail;
		}
		break;
	default:
		close(fd);
		fatalx("shm: unexpected kind %u", sf->sf_kind);
	}
	if (wk->wk_ready || wk->wk_seg == NULL)
		return;
	if (wk->wk_ack != NULL) {
		worker_ready();
		return;
	}
	if (wk->wk_ackwait == NULL &&
	    (wk->wk_ackwait = evtimer_new(wk->wk_base, worker_ackwait_cb, NULL)) != NULL)
		evtimer_add(wk->wk_ackwait, &tv);
}

/* The test hook of the sandbox test: a syscall the filter forbids. */
static void
worker_fault(void)
{
	int fd;

	if (!wk->wk_conf.cc_debug_hooks) {
		log_warnx("debug fault refused: debug hooks are off");
		return;
	}
	log_info("debug fault: calling socket()");
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1) {
		log_warnx("debug fault: socket() allowed (sandbox %s)",
		    sbx_mode_str((enum sbx_mode)wk->wk_conf.cc_sandbox));
		close(fd);
	}
}

static struct leg *
worker_leg(struct sess *s, uint32_t leg)
{
	if (leg >= SHM_NLEGS) {
		log_warnx("session %s: bad leg %u", s->s_callid, leg);
		return NULL;
	}
	return &s->s_leg[leg];
}

static void
worker_dispatch_master(struct ipc_chan *ch, struct ipc_msg *m, void *arg)
{
	const struct ipc_hdr *h = &m->im_hdr;
	const void *d = m->im_data;
	struct sess *s;
	struct leg *l;
	int fd = m->im_fd;

	switch (h->ih_type) {
	case IPC_HELLO_ACK: {
		const struct ipc_hello_ack *ha = d;

		if (ha->ha_version != IPC_VERSION)
			fatalx("master speaks version %u, we speak %u", ha->ha_version,
			    IPC_VERSION);
		if (wk->wk_have_conf)
			break;
		wk->wk_have_conf = true;
		wk->wk_epoch = ha->ha_epoch;
		wk->wk_boot_id = ha->ha_boot_id;
		wk->wk_conf = ha->ha_conf;
		log_setverbose((int)ha->ha_conf.cc_verbose);
		log_sethook(worker_log_hook, NULL);
		break;
	}
	case IPC_SHM_FD:
		if (!wk->wk_have_conf || fd == -1)
			fatalx("shm segment before HELLO_ACK");
		worker_shm(d, fd);
		fd = -1;
		break;
	case IPC_VERBOSE:
		log_setverbose((int)((const struct ipc_verbose *)d)->ve_level);
		break;
	case IPC_SHUTDOWN:
		sess_end_all(CDR_R_SHUTDOWN);
		(void)ipc_flush(wk->wk_chan, 1000);
		event_base_loopbreak(wk->wk_base);
		break;
	case IPC_DEBUG_FAULT:
		worker_fault();
		break;
	case IPC_SESS_NEW:
		if (!wk->wk_ready) {
			log_warnx("session before READY: ignored");
			break;
		}
		sess_new(h->ih_handle, h->ih_gen, d);
		break;
	case IPC_SESS_FD: {
		const struct ipc_sess_fd *sd = d;

		if ((s = sess_find(h->ih_handle, h->ih_gen, "socket")) == NULL ||
		    (l = worker_leg(s, sd->sd_leg)) == NULL)
			break;
		if (sd->sd_kind == IPC_SOCK_LISTEN)
			leg_listen(l, fd);
		else
			leg_sock(l, sd, fd);
		fd = -1;
		break;
	}
	case IPC_SESS_REMOTE: {
		const struct ipc_sess_remote *sr = d;

		if ((s = sess_find(h->ih_handle, h->ih_gen, "remote")) == NULL ||
		    (l = worker_leg(s, sr->sr_leg)) == NULL)
			break;
		leg_remote(l, sr);
		break;
	}
	case IPC_SESS_END: {
		const struct ipc_sess_end *se = d;

		if ((s = sess_find(h->ih_handle, h->ih_gen, "end")) == NULL)
			break;
		sess_close(s, se->se_reason != 0 && se->se_reason < CDR_R_MAX ?
		    (enum cdr_reason)se->se_reason : CDR_R_DELETED, CDR_CLOSED_NONE);
		break;
	}
	case IPC_SOCK_FAIL: {
		const struct ipc_sock_fail *sx = d;

		if ((s = sess_find(h->ih_handle, h->ih_gen, "socket failure")) == NULL ||
		    (l = worker_leg(s, sx->sx_leg)) == NULL)
			break;
		leg_sock_fail(l, sx);
		break;
	}
	case IPC_TAP_FD:
		if ((s = sess_find(h->ih_handle, h->ih_gen, "tap")) == NULL)
			break;
		tap_start(s, fd, d);
		fd = -1;
		break;
	case IPC_TAP_STOP:
		if ((s = sess_find(h->ih_handle, h->ih_gen, "tap stop")) == NULL)
			break;
		tap_stop(s, "stop recording");
		break;
	default:
		/* ipc_msg_check() lets through only what the master may send us. */
		log_warnx("unexpected message %s from the master",
		    ipc_type_str(h->ih_type));
		break;
	}
	if (fd != -1)
		close(fd);
}

int
worker_main(int chan_fd, unsigned index)
{
	struct timeval sec = { 1, 0 };
	struct ipc_hello he;
	char name[32];

	/* Writes to a closed peer must fail with EPIPE, not kill the worker. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(name, sizeof(name), "worker %u", index);
	log_procinit(name);
	memset(wk, 0, sizeof(*wk));
	wk->wk_index = index;
	TAILQ_INIT(&wk->wk_sessions);
	TAILQ_INIT(&wk->wk_backlog);
	if ((wk->wk_base = event_base_new()) == NULL) {
		log_warnx("event_base_new failed");
		return 1;
	}
	if ((wk->wk_chan = ipc_chan_new(wk->wk_base, chan_fd, IPC_ROLE_WORKER,
	    IPC_ROLE_MASTER, worker_dispatch_master, worker_error, NULL)) == NULL) {
		log_warn("channel");
		return 1;
	}
	if ((wk->wk_tick = event_new(wk->wk_base, -1, EV_PERSIST, worker_tick_cb,
	    NULL)) == NULL || event_add(wk->wk_tick, &sec) == -1) {
		log_warnx("tick timer");
		return 1;
	}
	memset(&he, 0, sizeof(he));
	he.he_version = IPC_VERSION;
	he.he_role = IPC_ROLE_WORKER;
	he.he_instance = index;
	he.he_pid = (uint32_t)getpid();
	if (ipc_send(wk->wk_chan, IPC_HELLO, 0, 0, &he, sizeof(he), -1) == -1) {
		log_warn("hello");
		return 1;
	}
	event_base_dispatch(wk->wk_base);
	/* The master is gone: the descriptors die with us, cdrd reads the slots. */
	log_sethook(NULL, NULL);
	return 0;
}
