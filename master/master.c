/*
 * The master process: start-up, children and their handshake, respawn, signals
 * (docs/internals.md "Processes", "Privileges", "Shared memory", "CDR writer").
 */
#include "master.h"

#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "log.h"
#include "metrics.h"
#include "sandbox.h"
#include "shm.h"

_Static_assert((int)CONF_SANDBOX_ON == (int)SBX_ON && (int)CONF_SANDBOX_TRAP == (int)SBX_TRAP &&
    (int)CONF_SANDBOX_OFF == (int)SBX_OFF, "conf_sandbox mirrors sbx_mode");

#define MASTER_CONF_MAX	(1024 * 1024)

/* The one master of this process: callbacks of libevent and ipc reach it here. */
static struct master	*master_env;

static void	master_dispatch_worker(struct ipc_chan *, struct ipc_msg *, void *);
static void	master_dispatch_cdrd(struct ipc_chan *, struct ipc_msg *, void *);
static void	master_chan_error(struct ipc_chan *, const char *, void *);
static void	master_proc_timer(evutil_socket_t, short, void *);
static void	master_check_exit(struct master *);

uint64_t
master_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
master_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct master_worker *
master_worker_of(struct master *m, const struct proc *p)
{
	unsigned i;

	for (i = 0; i < m->m_nworkers; i++)
		if (&m->m_w[i].mw_proc == p)
			return &m->m_w[i];
	return NULL;
}

static void
master_arm(struct proc *p, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(p->pr_timer, &tv);
}

static void
master_spawn(struct master *m, struct proc *p)
{
	struct master_worker *mw = master_worker_of(m, p);

	if (m->m_shutting_down)
		return;
	if (proc_spawn(p, m->m_base, mw != NULL ? master_dispatch_worker :
	    master_dispatch_cdrd, master_chan_error, mw != NULL ? (void *)mw : (void *)p,
	    master_mono_ms()) == -1) {
		master_arm(p, p->pr_backoff_ms);
		return;
	}
	master_arm(p, PROC_HANDSHAKE_MS);
}

/* ---- sending -------------------------------------------------------------------------- */

static int
master_send(struct proc *p, uint16_t type, uint32_t handle, uint32_t gen,
    const void *payload, size_t len, int fd)
{
	if (p->pr_chan == NULL) {
		if (fd != -1)
			close(fd);
		errno = EPIPE;
		return -1;
	}
	if (ipc_send(p->pr_chan, type, handle, gen, payload, len, fd) == -1) {
		char why[96];

		snprintf(why, sizeof(why), "cannot send %s: %s", ipc_type_str(type),
		    strerror(errno));
		proc_kill(p, why);
		return -1;
	}
	return 0;
}

int
master_send_worker(struct master *m, unsigned wi, uint16_t type, uint32_t handle,
    uint32_t gen, const void *payload, size_t len, int fd)
{
	if (wi >= m->m_nworkers) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return master_send(&m->m_w[wi].mw_proc, type, handle, gen, payload, len, fd);
}

void
master_kill_worker(struct master *m, unsigned wi, const char *why)
{
	if (wi < m->m_nworkers)
		proc_kill(&m->m_w[wi].mw_proc, why);
}

void
master_kick_cdrd(struct master *m)
{
	if (m->m_cdrd.pr_state == PROC_READY)
		(void)master_send(&m->m_cdrd, IPC_CDR_KICK, 0, 0, NULL, 0, -1);
}

static void
master_send_cdr_file(struct master *m)
{
	struct ipc_cdr_fd cf;
	int fd;

	if (m->m_cdrd.pr_state != PROC_READY || (fd = files_cdr_msg(&m->m_cdr, &cf)) == -1)
		return;
	(void)master_send(&m->m_cdrd, IPC_CDR_FD, 0, 0, &cf, sizeof(cf), fd);
}

/* Tell cdrd about dead workers it has not drained yet. */
static void
master_send_gone(struct master *m)
{
	struct ipc_worker wk;
	unsigned i;

	if (m->m_cdrd.pr_state != PROC_READY)
		return;
	for (i = 0; i < m->m_nworkers; i++) {
		struct master_worker *mw = &m->m_w[i];

		if (!mw->mw_gone_pending)
			continue;
		memset(&wk, 0, sizeof(wk));
		wk.wk_index = i;
		wk.wk_epoch = mw->mw_epoch;
		if (master_send(&m->m_cdrd, IPC_WORKER_GONE, 0, 0, &wk, sizeof(wk), -1) == -1)
			return;
		mw->mw_gone_pending = false;
		mw->mw_draining = true;
	}
}

/* A worker's segment, read-only, to cdrd (start-up, and each new epoch). */
static int
master_send_seg_ro(struct master *m, unsigned i)
{
	struct ipc_shm_fd sf;
	int fd;

	/* A cdrd before its HELLO_ACK gets every segment in its handshake. */
	if (m->m_cdrd.pr_state != PROC_STARTING && m->m_cdrd.pr_state != PROC_READY)
		return 0;
	memset(&sf, 0, sizeof(sf));
	sf.sf_kind = IPC_SHM_WORKER_RO;
	sf.sf_index = i;
	sf.sf_epoch = m->m_w[i].mw_epoch;
	sf.sf_size = m->m_w[i].mw_shm_size;
	if ((fd = shm_reopen_ro(m->m_w[i].mw_shm_fd)) == -1) {
		log_warn("worker %u: read-only segment", i);
		proc_kill(&m->m_cdrd, "cannot reopen a worker segment for it");
		return -1;
	}
	return master_send(&m->m_cdrd, IPC_SHM_FD, 0, 0, &sf, sizeof(sf), fd);
}

/* ---- handshake -------------------------------------------------------------------------- */

static void
master_child_conf(const struct master *m, struct ipc_child_conf *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->cc_verbose = (uint32_t)log_getverbose();
	cc->cc_n_workers = m->m_nworkers;
	cc->cc_n_slots = m->m_nslots;
	cc->cc_ring_len = m->m_ring_len;
	cc->cc_cdr_rotate_size = m->m_conf.cf_cdr_rotate_size;
	cc->cc_cdr_rotate_age_ms = m->m_conf.cf_cdr_rotate_age_ms;
	cc->cc_debug_hooks = m->m_conf.cf_debug_hooks;
	cc->cc_sandbox = (uint32_t)m->m_conf.cf_sandbox;
}

static int
master_hello(struct master *m, struct proc *p, const struct ipc_msg *im)
{
	const struct ipc_hello *he = im->im_data;
	struct master_worker *mw = master_worker_of(m, p);
	struct ipc_hello_ack ack;
	struct ipc_shm_fd sf;
	char why[128];
	unsigned i;
	int fd;

	if (im->im_hdr.ih_type != IPC_HELLO) {
		snprintf(why, sizeof(why), "%s before IPC_HELLO",
		    ipc_type_str(im->im_hdr.ih_type));
		proc_kill(p, why);
		return -1;
	}
	if (he->he_version != IPC_VERSION) {
		snprintf(why, sizeof(why), "IPC version %u, expected %u", he->he_version,
		    IPC_VERSION);
		proc_kill(p, why);
		return -1;
	}
	if (he->he_role != (uint32_t)p->pr_role || he->he_instance != p->pr_index ||
	    he->he_pid != (uint32_t)p->pr_pid) {
		snprintf(why, sizeof(why), "HELLO says role %u index %u pid %u",
		    he->he_role, he->he_instance, he->he_pid);
		proc_kill(p, why);
		return -1;
	}
	memset(&ack, 0, sizeof(ack));
	ack.ha_version = IPC_VERSION;
	ack.ha_epoch = mw != NULL ? mw->mw_epoch : 0;
	ack.ha_boot_id = m->m_boot_id;
	master_child_conf(m, &ack.ha_conf);
	if (master_send(p, IPC_HELLO_ACK, 0, 0, &ack, sizeof(ack), -1) == -1)
		return -1;
	p->pr_state = PROC_STARTING;
	if (mw != NULL) {
		memset(&sf, 0, sizeof(sf));
		sf.sf_kind = IPC_SHM_WORKER_RW;
		sf.sf_index = p->pr_index;
		sf.sf_epoch = mw->mw_epoch;
		sf.sf_size = mw->mw_shm_size;
		if ((fd = fcntl(mw->mw_shm_fd, F_DUPFD_CLOEXEC, 0)) == -1) {
			proc_kill(p, "cannot duplicate its segment");
			return -1;
		}
		if (master_send(p, IPC_SHM_FD, 0, 0, &sf, sizeof(sf), fd) == -1)
			return -1;
		/* Read-only: the worker reads back its ring tail, cdrd writes it. */
		memset(&sf, 0, sizeof(sf));
		sf.sf_kind = IPC_SHM_ACK_RO;
		sf.sf_index = p->pr_index;
		sf.sf_epoch = mw->mw_epoch;
		sf.sf_size = m->m_ack_size;
		if ((fd = shm_reopen_ro(m->m_ack_fd)) == -1) {
			log_warn("%s: read-only ack segment", p->pr_name);
			proc_kill(p, "cannot reopen the ack segment");
			return -1;
		}
		return master_send(p, IPC_SHM_FD, 0, 0, &sf, sizeof(sf), fd);
	}
	for (i = 0; i < m->m_nworkers; i++)
		if (master_send_seg_ro(m, i) == -1)
			return -1;
	memset(&sf, 0, sizeof(sf));
	sf.sf_kind = IPC_SHM_ACK_RW;
	sf.sf_size = m->m_ack_size;
	if ((fd = fcntl(m->m_ack_fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		proc_kill(p, "cannot duplicate the ack segment");
		return -1;
	}
	return master_send(p, IPC_SHM_FD, 0, 0, &sf, sizeof(sf), fd);
}

static void
master_log_line(const struct ipc_msg *im)
{
	const struct ipc_log *lo = im->im_data;
	int level = (int)lo->lo_level;

	if (level < LOG_ERR || level > LOG_DEBUG)
		level = LOG_WARNING;
	log_line(level, lo->lo_text);
}

/* Common part of both dispatchers; true when the message was consumed. */
static bool
master_dispatch_common(struct master *m, struct proc *p, struct ipc_chan *ch,
    struct ipc_msg *im)
{
	char why[96];

	if (ch != p->pr_chan) {
		/* A dead incarnation's last words. */
		if (im->im_fd != -1)
			close(im->im_fd);
		return true;
	}
	if (im->im_hdr.ih_type == IPC_LOG) {
		master_log_line(im);
		return true;
	}
	switch (p->pr_state) {
	case PROC_HELLO:
		if (master_hello(m, p, im) == 0)
			p->pr_state = PROC_STARTING;
		break;
	case PROC_STARTING:
		if (im->im_hdr.ih_type != IPC_READY) {
			snprintf(why, sizeof(why), "%s before IPC_READY",
			    ipc_type_str(im->im_hdr.ih_type));
			proc_kill(p, why);
			break;
		}
		p->pr_state = PROC_READY;
		evtimer_del(p->pr_timer);
		log_info("%s: pid %ld ready", p->pr_name, (long)p->pr_pid);
		return false;	/* the role's dispatcher finishes it */
	case PROC_READY:
		if (im->im_hdr.ih_type == IPC_HELLO || im->im_hdr.ih_type == IPC_READY) {
			snprintf(why, sizeof(why), "%s again", ipc_type_str(im->im_hdr.ih_type));
			proc_kill(p, why);
			break;
		}
		return false;
	default:
		break;
	}
	if (im->im_fd != -1)
		close(im->im_fd);
	return true;
}

static void
master_dispatch_worker(struct ipc_chan *ch, struct ipc_msg *im, void *arg)
{
	struct master *m = master_env;
	struct master_worker *mw = arg;
	unsigned wi = (unsigned)(mw - m->m_w);

	if (master_dispatch_common(m, &mw->mw_proc, ch, im))
		return;
	if (im->im_hdr.ih_type == IPC_READY) {
		reg_worker_set_up(&m->m_reg, wi, !m->m_shutting_down);
		return;
	}
	sessions_dispatch_worker(m, wi, im);
}

static void
master_drained(struct master *m, const struct ipc_msg *im)
{
	const struct ipc_worker *wk = im->im_data;
	struct master_worker *mw;
	void *seg;

	if (wk->wk_index >= m->m_nworkers) {
		proc_kill(&m->m_cdrd, "WORKER_DRAINED for a worker that does not exist");
		return;
	}
	mw = &m->m_w[wk->wk_index];
	if (!mw->mw_draining || wk->wk_epoch != mw->mw_epoch) {
		log_debug("cdr: WORKER_DRAINED %u epoch %u: expired", wk->wk_index,
		    wk->wk_epoch);
		return;
	}
	mw->mw_draining = false;
	sessions_worker_drained(m, wk->wk_index);
	/* The counters start again at zero in the new epoch: keep what they reached. */
	master_totals(m, (int)wk->wk_index, &mw->mw_prev);
	mw->mw_prev.mt_cdr_backlog = 0;
	/* Re-initialise in place: cdrd keeps its read-only mapping of the same memfd. */
	if ((seg = shm_map_rw(mw->mw_shm_fd, mw->mw_shm_size)) == NULL)
		fatal("worker %u: map segment to re-initialise it", wk->wk_index);
	memset(seg, 0, mw->mw_geom.sg_size);
	mw->mw_epoch++;
	if (shm_hdr_init(seg, SHM_KIND_WORKER, m->m_nslots, m->m_ring_len, wk->wk_index,
	    mw->mw_epoch, m->m_boot_id) != SHM_OK)
		fatalx("worker %u: cannot stamp its segment", wk->wk_index);
	shm_unmap(seg, mw->mw_shm_size);
	log_info("worker %u: drained; segment epoch %u; restart in %u ms", wk->wk_index,
	    mw->mw_epoch, mw->mw_proc.pr_backoff_ms);
	/* cdrd unmapped the old incarnation: the new one is a new segment to it. */
	(void)master_send_seg_ro(m, wk->wk_index);
	master_arm(&mw->mw_proc, mw->mw_proc.pr_backoff_ms);
}

static void
master_dispatch_cdrd(struct ipc_chan *ch, struct ipc_msg *im, void *arg)
{
	struct master *m = master_env;
	struct proc *p = arg;
	const struct ipc_cdr_rotate *cr;

	if (master_dispatch_common(m, p, ch, im))
		return;
	switch (im->im_hdr.ih_type) {
	case IPC_READY:
		master_send_cdr_file(m);
		master_send_gone(m);
		break;
	case IPC_CDR_ROTATE:
		cr = im->im_data;
		if (cr->cr_seq != m->m_cdr.fc_seq) {
			log_debug("cdr: rotate of file %u: expired", cr->cr_seq);
			break;
		}
		log_info("cdr: rotating %s (%s)", m->m_cdr.fc_name,
		    cr->cr_why == IPC_ROTATE_SIZE ? "size" : cr->cr_why == IPC_ROTATE_AGE ?
		    "age" : "write error");
		if (files_cdr_rotate(&m->m_cdr, master_now_ms()) == 0)
			master_send_cdr_file(m);
		break;
	case IPC_WORKER_DRAINED:
		master_drained(m, im);
		break;
	default:
		if (im->im_fd != -1)
			close(im->im_fd);
		proc_kill(p, "unexpected message");
		break;
	}
}

static void
master_chan_error(struct ipc_chan *ch, const char *why, void *arg)
{
	struct master *m = master_env;
	struct proc *p = NULL;
	unsigned i;

	for (i = 0; i < m->m_nworkers; i++)
		if (m->m_w[i].mw_proc.pr_chan == ch)
			p = &m->m_w[i].mw_proc;
	if (m->m_cdrd.pr_chan == ch)
		p = &m->m_cdrd;
	if (p == NULL)
		return;
	/* EOF: the child is dying and SIGCHLD follows; anything else is its fault. */
	if (strcmp(why, "peer closed") == 0 || strstr(why, strerror(ECONNRESET)) != NULL)
		log_debug("%s: channel closed", p->pr_name);
	else
		proc_kill(p, why);
}

static void
master_proc_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct master *m = master_env;
	struct proc *p = arg;

	if (p->pr_state == PROC_DOWN) {
		master_spawn(m, p);
		return;
	}
	if (p->pr_state != PROC_READY)
		proc_kill(p, "no IPC_READY within the handshake time");
}

/* ---- children ending --------------------------------------------------------------------- */

static struct proc *
master_proc_by_pid(struct master *m, pid_t pid)
{
	unsigned i;

	for (i = 0; i < m->m_nworkers; i++)
		if (m->m_w[i].mw_proc.pr_pid == pid)
			return &m->m_w[i].mw_proc;
	if (m->m_cdrd.pr_pid == pid)
		return &m->m_cdrd;
	return NULL;
}

static void
master_reap(struct master *m)
{
	struct master_worker *mw;
	struct proc *p;
	char st[96];
	unsigned backoff;
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((p = master_proc_by_pid(m, pid)) == NULL)
			continue;
		proc_status_str(status, st, sizeof(st));
		if (m->m_shutting_down)
			log_info("%s pid %ld: %s", p->pr_name, (long)pid, st);
		else
			log_warnx("lost child: %s pid %ld: %s", p->pr_name, (long)pid, st);
		evtimer_del(p->pr_timer);
		backoff = proc_reaped(p, master_mono_ms());
		if ((mw = master_worker_of(m, p)) != NULL) {
			reg_worker_set_up(&m->m_reg, p->pr_index, false);
			sessions_worker_died(m, p->pr_index);
			if (m->m_shutting_down)
				continue;
			/* Restarted once cdrd has written its sessions' records. */
			mw->mw_gone_pending = true;
			mw->mw_draining = false;
			master_send_gone(m);
		} else {
			if (m->m_shutting_down)
				continue;
			/* The new cdrd drains what the old one had not finished. */
			for (i = 0; i < (int)m->m_nworkers; i++)
				if (m->m_w[i].mw_draining) {
					m->m_w[i].mw_draining = false;
					m->m_w[i].mw_gone_pending = true;
				}
			log_info("cdr: restart in %u ms", backoff);
			master_arm(p, backoff);
		}
	}
	master_check_exit(m);
}

/* ---- signals and shutdown ------------------------------------------------------------------ */

static bool
master_workers_down(const struct master *m)
{
	unsigned i;

	for (i = 0; i < m->m_nworkers; i++)
		if (m->m_w[i].mw_proc.pr_pid != 0)
			return false;
	return true;
}

static void
master_check_exit(struct master *m)
{
	if (!m->m_shutting_down || !master_workers_down(m))
		return;
	if (m->m_cdrd.pr_pid == 0) {
		event_base_loopexit(m->m_base, NULL);
		return;
	}
	/* Workers first, so that cdrd writes their shutdown records before it goes. */
	if (!m->m_cdrd_bye && m->m_cdrd.pr_chan != NULL) {
		m->m_cdrd_bye = true;
		master_kick_cdrd(m);
		(void)master_send(&m->m_cdrd, IPC_SHUTDOWN, 0, 0, NULL, 0, -1);
	}
}

static void
master_shutdown_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct master *m = arg;
	struct timeval tv = { 1, 0 };
	unsigned i;

	if (m->m_shutdown_phase++ > 0) {
		log_warnx("children did not exit; leaving anyway");
		event_base_loopexit(m->m_base, NULL);
		return;
	}
	for (i = 0; i < m->m_nworkers; i++)
		proc_kill(&m->m_w[i].mw_proc, "still running at shutdown");
	proc_kill(&m->m_cdrd, "still running at shutdown");
	evtimer_add(m->m_ev_shutdown, &tv);
}

static void
master_shutdown(struct master *m, const char *why)
{
	struct timeval tv = { MASTER_SHUTDOWN_MS / 1000, (MASTER_SHUTDOWN_MS % 1000) * 1000 };
	struct proc *p;
	unsigned i;

	if (m->m_shutting_down)
		return;
	log_info("%s: shutting down", why);
	m->m_shutting_down = true;
	ctl_free(m->m_ctl);
	m->m_ctl = NULL;
	metrics_free(m->m_metrics);
	m->m_metrics = NULL;
	for (i = 0; i <= m->m_nworkers; i++) {
		p = i < m->m_nworkers ? &m->m_w[i].mw_proc : &m->m_cdrd;
		if (p->pr_pid == 0) {
			evtimer_del(p->pr_timer);
			continue;
		}
		if (i == m->m_nworkers)
			continue;	/* cdrd: after the workers */
		reg_worker_set_up(&m->m_reg, i, false);
		if (p->pr_state == PROC_READY)
			(void)master_send(p, IPC_SHUTDOWN, 0, 0, NULL, 0, -1);
		else
			proc_kill(p, "shutdown during its start-up");
	}
	m->m_ev_shutdown = evtimer_new(m->m_base, master_shutdown_timer, m);
	if (m->m_ev_shutdown == NULL || evtimer_add(m->m_ev_shutdown, &tv) == -1)
		fatalx("shutdown timer");
	master_check_exit(m);
}

int
master_load_conf(const char *path, struct as_conf *cf, char *err, size_t errlen)
{
	struct conf_err ce;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	if (path == NULL) {
		conf_defaults(cf);
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(MASTER_CONF_MAX + 1)) == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while ((n = read(fd, buf + len, MASTER_CONF_MAX + 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	if (len > MASTER_CONF_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, MASTER_CONF_MAX);
		free(buf);
		return -1;
	}
	if (conf_parse(buf, len, cf, &ce) == -1) {
		conf_err_format(&ce, path, err, errlen);
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

/*
 * SIGHUP: new sessions take their parameters from the re-read file; what was set up
 * at start-up (listeners, workers, segments, port range, user) needs a restart.
 */
static void
master_reload(struct master *m)
{
	struct as_conf nc, *c = &m->m_conf;
	char err[CONF_MSG_MAX + 300];

	log_info("SIGHUP: re-reading %s", m->m_conffile != NULL ? m->m_conffile :
	    "the built-in defaults");
	if (master_load_conf(m->m_conffile, &nc, err, sizeof(err)) == -1) {
		log_warnx("%s; keeping the running configuration", err);
		return;
	}
	if (memcmp(&nc.cf_control_udp, &c->cf_control_udp, sizeof(nc.cf_control_udp)) ||
	    memcmp(&nc.cf_control_tcp, &c->cf_control_tcp, sizeof(nc.cf_control_tcp)) ||
	    nc.cf_workers != c->cf_workers || nc.cf_max_sessions != c->cf_max_sessions ||
	    nc.cf_port_min != c->cf_port_min || nc.cf_port_max != c->cf_port_max ||
	    strcmp(nc.cf_user, c->cf_user) != 0 || strcmp(nc.cf_cdr_dir, c->cf_cdr_dir) ||
	    strcmp(nc.cf_capture_dir, c->cf_capture_dir) != 0 ||
	    nc.cf_sandbox != c->cf_sandbox ||
	    nc.cf_cdr_rotate_size != c->cf_cdr_rotate_size ||
	    nc.cf_cdr_rotate_age_ms != c->cf_cdr_rotate_age_ms ||
	    memcmp(&nc.cf_metrics, &c->cf_metrics, sizeof(nc.cf_metrics)) ||
	    memcmp(&nc.cf_media, &c->cf_media, sizeof(nc.cf_media)))
		log_warnx("SIGHUP: control ports, workers, max-sessions, port range, user, "
		    "cdr-*, capture-dir, sandbox, media-address and metrics-address changes "
		    "take effect at restart");
	c->cf_control_allow = nc.cf_control_allow;
	c->cf_advertised = nc.cf_advertised;
	c->cf_source_filtering = nc.cf_source_filtering;
	c->cf_initiate_tcp = nc.cf_initiate_tcp;
	c->cf_other_media = nc.cf_other_media;
	c->cf_ice_timeout_ms = nc.cf_ice_timeout_ms;
	c->cf_idle_timeout_ms = nc.cf_idle_timeout_ms;
	c->cf_debug_hooks = nc.cf_debug_hooks;
	c->cf_capture_all = nc.cf_capture_all;
	c->cf_capture_max_size = nc.cf_capture_max_size;
	c->cf_log_level = nc.cf_log_level;
	if (m->m_ctl != NULL)
		ctl_set_allow(m->m_ctl, &c->cf_control_allow);
	log_info("SIGHUP: configuration re-read; new sessions use it");
}

static void
master_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct master *m = arg;

	switch (sig) {
	case SIGCHLD:
		master_reap(m);
		break;
	case SIGTERM:
	case SIGINT:
		master_shutdown(m, sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	case SIGHUP:
		master_reload(m);
		break;
	default:
		break;
	}
}

/* ---- start-up ---------------------------------------------------------------------- */

static unsigned
master_ncpu(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) == -1 || (n = CPU_COUNT(&set)) < 1)
		return 1;
	return (unsigned)n > CONF_WORKERS_MAX ? CONF_WORKERS_MAX : (unsigned)n;
}

static uint32_t
master_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < SHM_MAX_RING)
		p <<= 1;
	return p;
}

static void
master_segments(struct master *m)
{
	uint32_t per;
	unsigned i;

	per = (m->m_conf.cf_max_sessions + m->m_nworkers - 1) / m->m_nworkers;
	m->m_nslots = per + per / 4 + MASTER_SLOT_MARGIN;
	if (m->m_nslots > SHM_MAX_SLOTS)
		m->m_nslots = SHM_MAX_SLOTS;
	m->m_ring_len = master_pow2(m->m_nslots < 64 ? 64 : m->m_nslots);
	for (i = 0; i < m->m_nworkers; i++) {
		struct master_worker *mw = &m->m_w[i];

		mw->mw_epoch = 1;
		mw->mw_shm_fd = shm_worker_create(i, mw->mw_epoch, m->m_boot_id, m->m_nslots,
		    m->m_ring_len, &mw->mw_shm_size);
		if (mw->mw_shm_fd == -1)
			fatal("worker %u: shared memory segment", i);
		if ((mw->mw_seg = shm_map_ro(mw->mw_shm_fd, mw->mw_shm_size)) == NULL)
			fatal("worker %u: map segment", i);
		if (shm_hdr_check(mw->mw_seg, mw->mw_shm_size, SHM_KIND_WORKER,
		    &mw->mw_geom) != SHM_OK)
			fatalx("worker %u: segment header", i);
	}
	if ((m->m_ack_fd = shm_ack_create(m->m_nworkers, m->m_boot_id,
	    &m->m_ack_size)) == -1)
		fatal("ack segment");
	if ((m->m_ack_seg = shm_map_ro(m->m_ack_fd, m->m_ack_size)) == NULL)
		fatal("map ack segment");
}

int
master_main(const struct as_conf *cf, const char *conffile, int foreground, int verbose)
{
	static const int sigs[4] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	struct master *m;
	char err[512];
	unsigned i;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	master_env = m;
	m->m_conf = *cf;
	m->m_conffile = conffile;
	m->m_foreground = foreground;
	if (cf->cf_log_level == CONF_LOG_DEBUG && verbose < 1)
		verbose = 1;
	m->m_verbose = verbose;
	log_init(foreground, verbose);
	log_procinit("master");
	signal(SIGPIPE, SIG_IGN);
	m->m_started_ms = master_now_ms();
	if (getrandom(&m->m_boot_id, sizeof(m->m_boot_id), 0) != sizeof(m->m_boot_id))
		fatal("getrandom");
	m->m_nworkers = cf->cf_workers != 0 ? cf->cf_workers : master_ncpu();
	if ((m->m_w = calloc(m->m_nworkers, sizeof(*m->m_w))) == NULL ||
	    (m->m_sdp = malloc(sizeof(*m->m_sdp))) == NULL ||
	    (m->m_sdpbuf = malloc(SDP_MAX_TEXT * 2)) == NULL)
		fatal("calloc");
	m->m_sdpbuf_len = SDP_MAX_TEXT * 2;
	if ((m->m_base = event_base_new()) == NULL)
		fatalx("event_base_new");

	m->m_root = geteuid() == 0;
	/* Not set in the file: "appshare" if that user exists, else "nobody". */
	if (m->m_root && priv_resolve(cf->cf_line[CONF_K_USER] != 0 ? cf->cf_user : NULL,
	    &m->m_user, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (files_cdr_init(&m->m_cdr, cf->cf_cdr_dir, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (files_capture_init(&m->m_capture, cf->cf_capture_dir, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((m->m_ctl = ctl_new(m->m_base, cf, sessions_command, m, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if (cf->cf_metrics.ca_family != AF_UNSPEC &&
	    (m->m_metrics = metrics_new(m, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (ports_init(&m->m_ports, cf->cf_port_min, cf->cf_port_max,
	    cf->cf_port_quarantine_ms) != PORTS_OK)
		fatalx("port range %u-%u: out of memory", cf->cf_port_min, cf->cf_port_max);
	master_segments(m);
	if (reg_init(&m->m_reg, m->m_nworkers, m->m_nslots) == -1)
		fatalx("registry: out of memory");

	if (m->m_root) {
		if (priv_drop(&m->m_user, err, sizeof(err)) == -1)
			fatalx("%s", err);
		log_info("running as user %s (uid %ld)", m->m_user.pu_name,
		    (long)m->m_user.pu_uid);
	}
	if (files_cdr_current(&m->m_cdr, master_now_ms()) == -1)
		fatalx("cdr-dir %s: cannot create a CDR file there as %s", cf->cf_cdr_dir,
		    m->m_root ? m->m_user.pu_name : "the current user");
	if (cf->cf_cdr_dir[0] == '\0')
		log_info("no cdr-dir: CDR records are counted and discarded");
	if (cf->cf_sandbox == CONF_SANDBOX_OFF)
		log_warnx("sandbox = off: workers and cdrd run WITHOUT a seccomp filter");

	for (i = 0; i < 4; i++) {
		m->m_ev_sig[i] = evsignal_new(m->m_base, sigs[i], master_signal, m);
		if (m->m_ev_sig[i] == NULL || evsignal_add(m->m_ev_sig[i], NULL) == -1)
			fatalx("signal events");
	}
	if (ctl_start(m->m_ctl) == -1)
		fatalx("control port events");
	if (m->m_metrics != NULL && metrics_start(m->m_metrics) == -1)
		fatalx("metrics listener events");

	proc_init(&m->m_cdrd, IPC_ROLE_CDRD, 0);
	if ((m->m_cdrd.pr_timer = evtimer_new(m->m_base, master_proc_timer,
	    &m->m_cdrd)) == NULL)
		fatalx("evtimer_new");
	for (i = 0; i < m->m_nworkers; i++) {
		struct proc *p = &m->m_w[i].mw_proc;

		proc_init(p, IPC_ROLE_WORKER, i);
		if ((p->pr_timer = evtimer_new(m->m_base, master_proc_timer, p)) == NULL)
			fatalx("evtimer_new");
	}
	master_spawn(m, &m->m_cdrd);
	for (i = 0; i < m->m_nworkers; i++)
		master_spawn(m, &m->m_w[i].mw_proc);
	log_info("started: %u workers, %u slots each, control udp %s tcp %s", m->m_nworkers,
	    m->m_nslots, cf->cf_control_udp.ca_family != AF_UNSPEC ? "on" : "off",
	    cf->cf_control_tcp.ca_family != AF_UNSPEC ? "on" : "off");

	event_base_dispatch(m->m_base);

	log_info("exiting");
	files_cdr_close(&m->m_cdr);
	files_capture_close(&m->m_capture);
	return 0;
}
