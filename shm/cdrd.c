/*
 * appshare-cdr: the CDR writer (docs/internals.md "CDR writer", architecture.md B6).
 *
 * Every record goes through the same steps: copied out of a worker's ring (ring_pop()
 * moves only a private tail), stamped with the identity the master vouches for,
 * checked against the identities already at the end of the file (crash recovery,
 * cdrd_recover.c), formatted into a batch, written, fdatasync()ed, and only then is the
 * ring tail published in the ack segment.  A failed write or sync rewinds the private
 * tails and cuts the file back to its last synced size, so the next attempt starts
 * from the same records and the file never holds half a batch.
 *
 * A batch is at most CDRD_BATCH_BYTES + one line, well inside the CDRD_TAIL_WINDOW a
 * restarted cdrd reads back, so every written-but-unacknowledged record is found.
 * Worker-lost records are one batch per dead worker of any size; before writing them
 * cdrd reads back a window as large as that batch could be (cdrd_gone_try()).
 */
#include "cdrd.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cdr_fmt.h"
#include "cdrd_recover.h"
#include "ipc.h"
#include "log.h"
#include "ring.h"
#include "sandbox.h"
#include "shm.h"
#include "shm_layout.h"
#include "snapshot.h"

#define CDRD_TICK_MS		200
#define CDRD_TAIL_WINDOW	(64 * 1024)	/* read back after a start or a new file */
#define CDRD_BATCH_BYTES	(32 * 1024)	/* < CDRD_TAIL_WINDOW - CDR_LINE_MAX */
#define CDRD_BATCH_CAP		(CDRD_BATCH_BYTES + 2 * CDR_LINE_MAX)
#define CDRD_MAX_IDS		1024		/* > lines in CDRD_TAIL_WINDOW */
#define CDRD_RECENT		256		/* gens written per worker, for WORKER_GONE */
#define CDRD_TICK_RECORDS	4096		/* per tick, so the channel is served */
#define CDRD_ERR_ROTATE_MS	5000		/* least interval of ROTATE{ERROR} */
#define CDRD_GONE_WINDOW_MAX	(64u * 1024 * 1024)

_Static_assert(CDRD_BATCH_BYTES + CDR_LINE_MAX * 2 < CDRD_TAIL_WINDOW,
    "a batch must fit the window read back after a crash");

enum cdrd_state {
	CDRD_ST_HELLO = 0,	/* HELLO sent, waiting for HELLO_ACK */
	CDRD_ST_SHM,		/* waiting for the segments */
	CDRD_ST_RUN,		/* sandboxed, READY sent */
	CDRD_ST_MAX
};

struct cdrd_worker {
	const void		*wk_seg;	/* read-only mapping, NULL if none */
	size_t			 wk_maplen;
	uint32_t		 wk_epoch;	/* from IPC_SHM_FD: the master's word */
	bool			 wk_attached;	/* ring consumer set up (needs the ack) */
	bool			 wk_dead;	/* drained already (ack says epoch + 1) */
	bool			 wk_gone;	/* WORKER_GONE waiting to complete */
	uint32_t		 wk_gone_epoch;
	bool			 wk_anomaly;	/* in an anomaly episode (logged) */
	struct shm_hdr		 wk_hdr;	/* trusted values for snap_to_cdr() */
	struct shm_geom		 wk_geom;
	struct ring_cons	 wk_cons;
	_Atomic uint64_t	 wk_shadow;	/* ring_pop()'s tail: private until synced */
	uint64_t		 wk_acked;	/* tail published in the ack segment */
	uint64_t		 wk_recent[CDRD_RECENT];
	uint32_t		 wk_nrecent;
	uint32_t		 wk_recent_pos;
};

struct cdrd {
	struct event_base	*cd_base;
	struct ipc_chan		*cd_chan;
	struct event		*cd_tick;
	enum cdrd_state		 cd_state;
	int			 cd_exit;
	struct ipc_child_conf	 cd_conf;
	uint64_t		 cd_boot_id;
	struct cdrd_worker	*cd_w;
	uint32_t		 cd_nw;
	uint32_t		 cd_rr;		/* worker drained first, round robin */
	void			*cd_ackseg;
	size_t			 cd_acklen;
	struct shm_ack		*cd_acks;

	/* The current file. */
	int			 cd_fd;		/* -1: none yet (records wait) */
	bool			 cd_discard;	/* cdr-dir none: records are dropped */
	bool			 cd_discard_warned;
	bool			 cd_regular;
	bool			 cd_readable;
	uint32_t		 cd_seq;
	uint64_t		 cd_opened_ms;
	char			 cd_name[IPC_NAME_MAX];
	uint64_t		 cd_size;	/* synced size; where a failed batch is cut */
	bool			 cd_need_recover;
	bool			 cd_rotate_asked;
	size_t			 cd_hdr_len;
	struct cdrd_ident	 cd_ids[CDRD_MAX_IDS];
	size_t			 cd_nids;

	/* Write errors. */
	bool			 cd_err;	/* in an error episode (logged once) */
	uint64_t		 cd_err_rotate_ms;

	/* Counters, logged at exit. */
	uint64_t		 cd_written;
	uint64_t		 cd_dups;
	uint64_t		 cd_discarded;
	uint64_t		 cd_lost;

	char			*cd_buf;	/* CDRD_BATCH_CAP bytes */
	size_t			 cd_len;
};

static void	cdrd_drain(struct cdrd *);

static uint64_t
cdrd_clock_ms(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
cdrd_log_hook(int level, const char *line, void *arg)
{
	struct cdrd *cd = arg;
	struct ipc_log lo;

	memset(&lo, 0, sizeof(lo));
	lo.lo_level = (uint32_t)level;
	snprintf(lo.lo_text, sizeof(lo.lo_text), "%s", line);
	/* A failed send has nowhere to be reported: the channel's error callback ends us. */
	(void)ipc_send(cd->cd_chan, IPC_LOG, 0, 0, &lo, sizeof(lo), -1);
}

static void
cdrd_stop(struct cdrd *cd, int status)
{
	if (cd->cd_exit < status)
		cd->cd_exit = status;
	event_base_loopbreak(cd->cd_base);
}

/* ---- the file -------------------------------------------------------------------- */

static int
cdrd_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
cdrd_sync(struct cdrd *cd)
{
	if (fdatasync(cd->cd_fd) == 0)
		return 0;
	/* Pipes and devices cannot be synced; nothing more durable is possible there. */
	if (!cd->cd_regular && (errno == EINVAL || errno == EROFS))
		return 0;
	return -1;
}

/*
 * A write or sync failed: cut the file back to its synced size, so that neither a
 * half line nor records that are about to be written again stay in it.  If even that
 * fails, the next attempt first reads the end back (cdrd_recover_file()).
 */
static void
cdrd_write_failed(struct cdrd *cd, int err, const char *what)
{
	uint64_t now = cdrd_clock_ms(CLOCK_MONOTONIC);
	struct ipc_cdr_rotate cr;

	if (cd->cd_regular && ftruncate(cd->cd_fd, (off_t)cd->cd_size) == -1)
		cd->cd_need_recover = true;
	if (!cd->cd_err) {
		log_warnx("cdr file %s: %s failed: %s; records stay in the rings, retrying",
		    cd->cd_name, what, strerror(err));
		cd->cd_err = true;
		cd->cd_err_rotate_ms = 0;
	}
	if (cd->cd_err_rotate_ms == 0 || now - cd->cd_err_rotate_ms >= CDRD_ERR_ROTATE_MS) {
		cd->cd_err_rotate_ms = now != 0 ? now : 1;
		memset(&cr, 0, sizeof(cr));
		cr.cr_seq = cd->cd_seq;
		cr.cr_why = IPC_ROTATE_ERROR;
		(void)ipc_send(cd->cd_chan, IPC_CDR_ROTATE, 0, 0, &cr, sizeof(cr), -1);
	}
}

/* Write buf (appended to the file) and sync it.  0, or -1 with the file cut back. */
static int
cdrd_commit(struct cdrd *cd, const char *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (cdrd_write_all(cd->cd_fd, buf, len) == -1) {
		cdrd_write_failed(cd, errno, "write");
		return -1;
	}
	if (cdrd_sync(cd) == -1) {
		cdrd_write_failed(cd, errno, "fdatasync");
		return -1;
	}
	cd->cd_size += len;
	if (cd->cd_err) {
		log_info("cdr file %s: writing again", cd->cd_name);
		cd->cd_err = false;
	}
	return 0;
}

/* Read the last window bytes of the file into a new buffer; NULL if it cannot. */
static char *
cdrd_read_tail(struct cdrd *cd, uint64_t size, size_t window, size_t *got, bool *at_start)
{
	uint64_t off;
	size_t want, n = 0;
	ssize_t r;
	char *buf;

	want = size < window ? (size_t)size : window;
	off = size - want;
	if ((buf = malloc(want > 0 ? want : 1)) == NULL)
		return NULL;
	while (n < want) {
		r = pread(cd->cd_fd, buf + n, want - n, (off_t)(off + n));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			free(buf);
			return NULL;
		}
		n += (size_t)r;
	}
	*got = n;
	*at_start = off == 0;
	return buf;
}

/*
 * A new file (or the same one after a failed cut): learn its size, the identities of
 * the records at its end, and remove a line a crash left half-written.
 */
static void
cdrd_recover_file(struct cdrd *cd)
{
	struct cdrd_tail t;
	struct stat st;
	bool at_start;
	size_t got;
	char *buf;

	cd->cd_nids = 0;
	cd->cd_need_recover = false;
	if (fstat(cd->cd_fd, &st) == -1) {
		log_warn("cdr file %s: fstat", cd->cd_name);
		cd->cd_regular = false;
		cd->cd_size = 0;
		return;
	}
	cd->cd_regular = S_ISREG(st.st_mode);
	cd->cd_size = cd->cd_regular ? (uint64_t)st.st_size : 0;
	if (!cd->cd_regular || cd->cd_size == 0)
		return;
	if ((buf = cdrd_read_tail(cd, cd->cd_size, CDRD_TAIL_WINDOW, &got, &at_start)) ==
	    NULL) {
		cd->cd_readable = false;
		log_warn("cdr file %s: cannot read its end back (the master must open it "
		    "O_RDWR); a crash before acknowledging may duplicate records",
		    cd->cd_name);
		return;
	}
	cd->cd_readable = true;
	cdrd_recover(buf, got, at_start, cd->cd_ids, CDRD_MAX_IDS, &t);
	free(buf);
	cd->cd_nids = t.ct_nids;
	if (at_start && t.ct_foreign)
		log_warnx("cdr file %s: does not start with the %s header", cd->cd_name,
		    CDR_SCHEMA_TAG);
	if (t.ct_partial > 0) {
		/* A write cut by a crash or a full disk: its record was never acknowledged
		 * and is written again whole, so the fragment goes (docs/cdr.md). */
		if (!t.ct_partial_cut && ftruncate(cd->cd_fd,
		    (off_t)(cd->cd_size - t.ct_partial)) == 0) {
			log_warnx("cdr file %s: removed an incomplete last line (%zu bytes)",
			    cd->cd_name, t.ct_partial);
			cd->cd_size -= t.ct_partial;
		} else if (cdrd_write_all(cd->cd_fd, "\r\n", 2) == 0) {
			log_warnx("cdr file %s: ended an incomplete last line (%zu bytes)",
			    cd->cd_name, t.ct_partial);
			cd->cd_size += 2;
		} else {
			log_warn("cdr file %s: cannot repair its incomplete last line",
			    cd->cd_name);
			cd->cd_need_recover = true;
		}
	}
	log_debug("cdr file %s: %llu bytes, %zu records at its end", cd->cd_name,
	    (unsigned long long)cd->cd_size, cd->cd_nids);
}

/* ---- batches --------------------------------------------------------------------- */

static bool
cdrd_recent_has(const struct cdrd_worker *w, uint64_t gen)
{
	uint32_t i;

	for (i = 0; i < w->wk_nrecent; i++)
		if (w->wk_recent[i] == gen)
			return true;
	return false;
}

static void
cdrd_recent_add(struct cdrd_worker *w, uint64_t gen)
{
	w->wk_recent[w->wk_recent_pos] = gen;
	w->wk_recent_pos = (w->wk_recent_pos + 1) % CDRD_RECENT;
	if (w->wk_nrecent < CDRD_RECENT)
		w->wk_nrecent++;
}

/*
 * Stamp what the master vouches for: a worker may write anything in its ring, and
 * must not make cdrd skip (or forge) another worker's records.
 */
static void
cdrd_stamp(const struct cdrd *cd, uint32_t idx, const struct cdrd_worker *w,
    struct cdr_rec *r)
{
	r->cr_boot_id = cd->cd_boot_id;
	r->cr_worker = idx;
	r->cr_epoch = w->wk_epoch;
}

static bool
cdrd_is_dup(const struct cdrd *cd, const struct cdr_rec *r)
{
	struct cdrd_ident id;

	cdrd_ident_of(r, &id);
	return cdrd_ident_find(cd->cd_ids, cd->cd_nids, &id);
}

/* Append a record's line (after the header if the file is still empty). */
static void
cdrd_batch_add(struct cdrd *cd, const struct cdr_rec *r)
{
	size_t n;

	if (cd->cd_size == 0 && cd->cd_len == 0 &&
	    cdr_header(cd->cd_buf, CDRD_BATCH_CAP, &n) == CDR_OK)
		cd->cd_len = n;
	if (cdr_format(r, cd->cd_buf + cd->cd_len, CDRD_BATCH_CAP - cd->cd_len, &n) ==
	    CDR_OK)
		cd->cd_len += n;
}

static bool
cdrd_can_write(const struct cdrd *cd)
{
	return cd->cd_discard || cd->cd_fd != -1;
}

/*
 * Take records from every attached ring into one batch, write and sync it, then
 * publish the tails.  Returns the records taken (written, duplicates or discarded),
 * 0 when the rings are empty, -1 on a write error (rings rewound).
 */
static int
cdrd_batch(struct cdrd *cd, int budget)
{
	struct cdrd_worker *w;
	struct cdr_rec r;
	uint32_t k, i;
	int taken = 0, lines = 0, rc;

	cd->cd_len = 0;
	for (k = 0; k < cd->cd_nw && taken < budget; k++) {
		i = (cd->cd_rr + k) % cd->cd_nw;
		w = &cd->cd_w[i];
		if (!w->wk_attached)
			continue;
		while (taken < budget && cd->cd_len < CDRD_BATCH_BYTES) {
			if ((rc = ring_pop(&w->wk_cons, &r)) == RING_EMPTY)
				break;
			if (rc == RING_ANOMALY) {
				if (!w->wk_anomaly)
					log_warnx("worker %u: impossible ring head (tail %llu): "
					    "ring skipped until it is sane", i,
					    (unsigned long long)w->wk_cons.rc_tail_priv);
				w->wk_anomaly = true;
				break;
			}
			w->wk_anomaly = false;
			taken++;
			cdrd_stamp(cd, i, w, &r);
			if (cd->cd_discard)
				continue;
			if (cdrd_is_dup(cd, &r)) {
				cd->cd_dups++;
				log_debug("worker %u: gen %016llx already in %s, skipped", i,
				    (unsigned long long)r.cr_gen, cd->cd_name);
				continue;
			}
			cdrd_batch_add(cd, &r);
			lines++;
		}
	}
	cd->cd_rr = cd->cd_nw > 0 ? (cd->cd_rr + 1) % cd->cd_nw : 0;
	if (taken == 0)
		return 0;
	if (!cd->cd_discard && cdrd_commit(cd, cd->cd_buf, cd->cd_len) == -1) {
		for (i = 0; i < cd->cd_nw; i++)
			if (cd->cd_w[i].wk_attached)
				cd->cd_w[i].wk_cons.rc_tail_priv = cd->cd_w[i].wk_acked;
		return -1;
	}
	if (cd->cd_discard)
		cd->cd_discarded += (uint64_t)taken;
	cd->cd_written += (uint64_t)lines;
	for (i = 0; i < cd->cd_nw; i++) {
		w = &cd->cd_w[i];
		if (!w->wk_attached || w->wk_cons.rc_tail_priv == w->wk_acked)
			continue;
		/* The gens just written, for WORKER_GONE (their slots may still be ENDED). */
		for (; w->wk_acked < w->wk_cons.rc_tail_priv; w->wk_acked++) {
			const struct cdr_rec *rr = &w->wk_cons.rc_ring->rg_rec[w->wk_acked &
			    (w->wk_cons.rc_len - 1)];

			cdrd_recent_add(w, rr->cr_gen);
		}
		/* Release: our copies and the synced write come before the worker's reuse. */
		atomic_store_explicit(&cd->cd_acks[i].ak_tail, w->wk_acked,
		    memory_order_release);
	}
	return taken;
}

/* ---- rotation -------------------------------------------------------------------- */

static void
cdrd_check_rotate(struct cdrd *cd)
{
	struct ipc_cdr_rotate cr;
	uint64_t now;
	uint32_t why;

	if (cd->cd_fd == -1 || cd->cd_discard || cd->cd_rotate_asked)
		return;
	if (cd->cd_conf.cc_cdr_rotate_size != 0 && cd->cd_size >= cd->cd_conf.cc_cdr_rotate_size)
		why = IPC_ROTATE_SIZE;
	else if (cd->cd_conf.cc_cdr_rotate_age_ms != 0 && cd->cd_size > cd->cd_hdr_len &&
	    (now = cdrd_clock_ms(CLOCK_REALTIME)) >= cd->cd_opened_ms &&
	    now - cd->cd_opened_ms >= cd->cd_conf.cc_cdr_rotate_age_ms)
		why = IPC_ROTATE_AGE;	/* an empty file is not worth a rename */
	else
		return;
	memset(&cr, 0, sizeof(cr));
	cr.cr_seq = cd->cd_seq;
	cr.cr_why = why;
	log_debug("cdr file %s: asking for rotation (%s)", cd->cd_name,
	    why == IPC_ROTATE_SIZE ? "size" : "age");
	if (ipc_send(cd->cd_chan, IPC_CDR_ROTATE, 0, 0, &cr, sizeof(cr), -1) == 0)
		cd->cd_rotate_asked = true;
}

/* ---- worker segments ------------------------------------------------------------- */

static void
cdrd_worker_unmap(struct cdrd_worker *w)
{
	if (w->wk_seg != NULL)
		shm_unmap(w->wk_seg, w->wk_maplen);
	w->wk_seg = NULL;
	w->wk_attached = false;
	w->wk_dead = false;
	w->wk_anomaly = false;
}

/* Set up the ring consumer once both the worker's segment and the ack are mapped. */
static void
cdrd_worker_attach(struct cdrd *cd, uint32_t idx)
{
	struct cdrd_worker *w = &cd->cd_w[idx];
	struct shm_ack *ak;
	uint32_t seen;

	if (w->wk_seg == NULL || cd->cd_acks == NULL || w->wk_attached || w->wk_dead)
		return;
	ak = &cd->cd_acks[idx];
	seen = atomic_load_explicit(&ak->ak_epoch_seen, memory_order_relaxed);
	if (seen == w->wk_epoch + 1) {
		/* A previous cdrd drained this incarnation and acknowledged its death. */
		log_debug("worker %u: epoch %u already drained", idx, w->wk_epoch);
		w->wk_dead = true;
		return;
	}
	if (seen != w->wk_epoch) {
		/* The tail belongs to another incarnation; this one's ring starts at 0. */
		atomic_store_explicit(&ak->ak_tail, 0, memory_order_release);
		atomic_store_explicit(&ak->ak_epoch_seen, w->wk_epoch, memory_order_release);
	}
	atomic_store_explicit(&w->wk_shadow,
	    atomic_load_explicit(&ak->ak_tail, memory_order_relaxed), memory_order_relaxed);
	ring_cons_init(&w->wk_cons, shm_seg_ring((void *)(uintptr_t)w->wk_seg, &w->wk_geom),
	    cd->cd_conf.cc_ring_len, &w->wk_shadow);
	w->wk_acked = w->wk_cons.rc_tail_priv;
	w->wk_nrecent = 0;
	w->wk_recent_pos = 0;
	w->wk_attached = true;
	log_debug("worker %u: epoch %u attached at tail %llu", idx, w->wk_epoch,
	    (unsigned long long)w->wk_acked);
}

static int
cdrd_map_worker(struct cdrd *cd, const struct ipc_shm_fd *sf, int fd)
{
	struct cdrd_worker *w;
	const struct shm_hdr *h;
	struct shm_geom g;
	const void *seg;
	int rc;

	if (sf->sf_index >= cd->cd_nw) {
		log_warnx("SHM_FD for worker %u of %u", sf->sf_index, cd->cd_nw);
		return -1;
	}
	w = &cd->cd_w[sf->sf_index];
	if ((size_t)sf->sf_size != sf->sf_size ||
	    (seg = shm_map_ro(fd, (size_t)sf->sf_size)) == NULL) {
		log_warn("worker %u: map segment", sf->sf_index);
		return -1;
	}
	h = seg;
	rc = shm_hdr_check(h, (size_t)sf->sf_size, SHM_KIND_WORKER, &g);
	if (rc == SHM_OK && (h->sh_n_slots != cd->cd_conf.cc_n_slots ||
	    h->sh_ring_len != cd->cd_conf.cc_ring_len ||
	    h->sh_worker_index != sf->sf_index || h->sh_epoch != sf->sf_epoch ||
	    h->sh_boot_id != cd->cd_boot_id))
		rc = SHM_E_GEOM;
	if (rc != SHM_OK) {
		log_warnx("worker %u: segment refused (%d)", sf->sf_index, rc);
		shm_unmap(seg, (size_t)sf->sf_size);
		return -1;
	}
	if (w->wk_seg != NULL) {
		/* Normally WORKER_GONE unmapped it; whatever is left is written first. */
		if (w->wk_attached && w->wk_epoch != sf->sf_epoch)
			cdrd_drain(cd);
		cdrd_worker_unmap(w);
	}
	w->wk_seg = seg;
	w->wk_maplen = (size_t)sf->sf_size;
	w->wk_epoch = sf->sf_epoch;
	w->wk_geom = g;
	/* Our own copy: the worker can write its header, snap_to_cdr() must not trust it. */
	if (shm_hdr_init(&w->wk_hdr, SHM_KIND_WORKER, cd->cd_conf.cc_n_slots,
	    cd->cd_conf.cc_ring_len, sf->sf_index, sf->sf_epoch, cd->cd_boot_id) != SHM_OK)
		return -1;
	cdrd_worker_attach(cd, sf->sf_index);
	return 0;
}

static int
cdrd_map_ack(struct cdrd *cd, const struct ipc_shm_fd *sf, int fd)
{
	uint32_t i;
	void *seg;
	int rc;

	if (cd->cd_ackseg != NULL) {
		log_warnx("ack segment sent twice");
		return -1;
	}
	if ((size_t)sf->sf_size != sf->sf_size ||
	    (seg = shm_map_rw(fd, (size_t)sf->sf_size)) == NULL) {
		log_warn("map ack segment");
		return -1;
	}
	rc = shm_hdr_check(seg, (size_t)sf->sf_size, SHM_KIND_ACK, NULL);
	if (rc == SHM_OK && ((struct shm_hdr *)seg)->sh_n_slots != cd->cd_nw)
		rc = SHM_E_GEOM;
	if (rc != SHM_OK) {
		log_warnx("ack segment refused (%d)", rc);
		shm_unmap(seg, (size_t)sf->sf_size);
		return -1;
	}
	cd->cd_ackseg = seg;
	cd->cd_acklen = (size_t)sf->sf_size;
	cd->cd_acks = shm_seg_acks(seg);
	for (i = 0; i < cd->cd_nw; i++)
		cdrd_worker_attach(cd, i);
	return 0;
}

/* ---- worker death ---------------------------------------------------------------- */

static void
cdrd_gone_reply(struct cdrd *cd, uint32_t idx, uint32_t epoch)
{
	struct ipc_worker wk;

	memset(&wk, 0, sizeof(wk));
	wk.wk_index = idx;
	wk.wk_epoch = epoch;
	(void)ipc_send(cd->cd_chan, IPC_WORKER_DRAINED, 0, 0, &wk, sizeof(wk), -1);
}

/*
 * Drop identities the file already holds (a previous cdrd wrote part of this batch and
 * died before acknowledging): read back as much as the batch could have been.
 */
static size_t
cdrd_gone_dedup(struct cdrd *cd, struct cdr_rec *recs, size_t n)
{
	struct cdrd_ident *ids, id;
	struct cdrd_tail t;
	size_t window, got, max, i, kept;
	bool at_start;
	char *buf;

	if (!cd->cd_regular || cd->cd_size == 0)
		return n;
	window = CDRD_TAIL_WINDOW + n * CDR_LINE_MAX;
	if (window > CDRD_GONE_WINDOW_MAX)
		window = CDRD_GONE_WINDOW_MAX;
	max = window / 64;	/* no line is shorter than 64 bytes */
	if ((ids = calloc(max, sizeof(*ids))) == NULL)
		return n;
	if ((buf = cdrd_read_tail(cd, cd->cd_size, window, &got, &at_start)) == NULL) {
		free(ids);
		return n;
	}
	cdrd_recover(buf, got, at_start, ids, max, &t);
	free(buf);
	for (i = 0, kept = 0; i < n; i++) {
		cdrd_ident_of(&recs[i], &id);
		if (cdrd_ident_find(ids, t.ct_nids, &id)) {
			cd->cd_dups++;
			continue;
		}
		recs[kept++] = recs[i];
	}
	free(ids);
	return kept;
}

/*
 * WORKER_GONE, once the ring is empty: a worker-lost record for every slot of that
 * epoch that is still in use, all in one synced batch, then the ack reset the new
 * incarnation needs.  0 when done, -1 to retry on the next tick.
 */
static int
cdrd_gone_try(struct cdrd *cd, uint32_t idx)
{
	struct cdrd_worker *w = &cd->cd_w[idx];
	const struct shm_slot *slots;
	struct cdr_rec *recs;
	struct snap sn;
	uint64_t now = cdrd_clock_ms(CLOCK_REALTIME), before;
	uint32_t pos = 0, si, epoch = w->wk_gone_epoch;
	size_t n = 0, i, len;
	int rc;

	if (w->wk_attached) {
		uint64_t head = atomic_load_explicit(&w->wk_cons.rc_ring->rg_head,
		    memory_order_acquire);

		/* Records still in the ring (a write error, or an insane head). */
		if (head != w->wk_acked && !w->wk_anomaly)
			return -1;
	}
	if (w->wk_seg != NULL && !w->wk_dead && w->wk_epoch == epoch) {
		slots = shm_seg_slots((void *)(uintptr_t)w->wk_seg, &w->wk_geom);
		if ((recs = calloc(cd->cd_conf.cc_n_slots, sizeof(*recs))) == NULL)
			return -1;
		while ((rc = snap_next(slots, cd->cd_conf.cc_n_slots, &pos,
		    SNAP_WRITER_DEAD, &sn, &si)) != SNAP_END) {
			if (rc == SNAP_OK && sn.sn_state == SHM_ST_FREE)
				continue;
			/* A slot of an older incarnation (or never used) has no session. */
			if ((sn.sn_gen >> 32) != epoch || sn.sn_gen == 0)
				continue;
			/* Its record reached the ring before the worker could free the slot. */
			if (cdrd_recent_has(w, sn.sn_gen))
				continue;
			snap_to_cdr(&sn, &w->wk_hdr, CDR_R_WORKER_LOST, now,
			    rc == SNAP_PARTIAL, &recs[n]);
			cdrd_stamp(cd, idx, w, &recs[n]);
			n++;
		}
		if (!cd->cd_discard)
			n = cdrd_gone_dedup(cd, recs, n);
		if (cd->cd_discard)
			cd->cd_discarded += n;
		else if (n > 0) {
			/* One batch of any size: written in pieces, synced once, cut back
			 * whole on failure. */
			before = cd->cd_size;
			for (i = 0; i < n; ) {
				cd->cd_len = 0;
				while (i < n && cd->cd_len < CDRD_BATCH_BYTES)
					cdrd_batch_add(cd, &recs[i++]);
				len = cd->cd_len;
				if (cdrd_write_all(cd->cd_fd, cd->cd_buf, len) == -1) {
					cd->cd_size = before;
					cdrd_write_failed(cd, errno, "write");
					free(recs);
					return -1;
				}
				cd->cd_size += len;
			}
			if (cdrd_sync(cd) == -1) {
				cd->cd_size = before;
				cdrd_write_failed(cd, errno, "fdatasync");
				free(recs);
				return -1;
			}
			if (cd->cd_err) {
				log_info("cdr file %s: writing again", cd->cd_name);
				cd->cd_err = false;
			}
			cd->cd_written += n;
		}
		cd->cd_lost += n;
		free(recs);
		log_info("worker %u: epoch %u gone, %zu worker-lost record%s", idx, epoch, n,
		    n == 1 ? "" : "s");
	} else
		log_info("worker %u: epoch %u gone, no segment of it to read", idx, epoch);

	/* shm_layout.h: tail 0 and the new epoch before acknowledging, so the respawned
	 * worker (head 0) never reads a stale tail. */
	if (cd->cd_acks != NULL) {
		atomic_store_explicit(&cd->cd_acks[idx].ak_tail, 0, memory_order_release);
		atomic_store_explicit(&cd->cd_acks[idx].ak_epoch_seen, epoch + 1,
		    memory_order_release);
	}
	if (w->wk_seg != NULL && w->wk_epoch == epoch)
		cdrd_worker_unmap(w);
	w->wk_gone = false;
	cdrd_gone_reply(cd, idx, epoch);
	return 0;
}

static void
cdrd_worker_gone(struct cdrd *cd, const struct ipc_worker *wk)
{
	struct cdrd_worker *w;

	if (wk->wk_index >= cd->cd_nw) {
		log_warnx("WORKER_GONE for worker %u of %u", wk->wk_index, cd->cd_nw);
		return;
	}
	w = &cd->cd_w[wk->wk_index];
	if (w->wk_seg != NULL && w->wk_epoch != wk->wk_epoch)
		log_warnx("worker %u: gone with epoch %u, segment has epoch %u",
		    wk->wk_index, wk->wk_epoch, w->wk_epoch);
	w->wk_gone = true;
	w->wk_gone_epoch = wk->wk_epoch;
	cdrd_drain(cd);
}

/* ---- the drain ------------------------------------------------------------------- */

static void
cdrd_drain(struct cdrd *cd)
{
	int budget = CDRD_TICK_RECORDS, n;
	uint32_t i;

	if (cd->cd_state != CDRD_ST_RUN || !cdrd_can_write(cd))
		return;	/* before the first file: records wait in the rings */
	if (cd->cd_discard && !cd->cd_discard_warned) {
		log_warnx("no CDR file (cdr-dir none): records are discarded");
		cd->cd_discard_warned = true;
	}
	if (!cd->cd_discard && cd->cd_need_recover)
		cdrd_recover_file(cd);
	while (budget > 0 && (n = cdrd_batch(cd, budget)) > 0)
		budget -= n;
	for (i = 0; i < cd->cd_nw; i++)
		if (cd->cd_w[i].wk_gone && cdrd_gone_try(cd, i) == -1 && cd->cd_err)
			break;
	cdrd_check_rotate(cd);
}

static void
cdrd_tick(evutil_socket_t fd, short what, void *arg)
{
	cdrd_drain(arg);
}

/* ---- the master ------------------------------------------------------------------ */

static void
cdrd_cdr_fd(struct cdrd *cd, const struct ipc_cdr_fd *cf, int fd)
{
	if (cd->cd_fd != -1)
		close(cd->cd_fd);	/* every batch in it is synced */
	cd->cd_fd = -1;
	cd->cd_seq = cf->cf_seq;
	cd->cd_opened_ms = cf->cf_opened_rt_ms;
	snprintf(cd->cd_name, sizeof(cd->cd_name), "%s", cf->cf_name);
	cd->cd_rotate_asked = false;
	/* cd_err_rotate_ms stays: a new file on a full disk must not be rotated at once,
	 * or each failed write asks for another file (ROTATE{ERROR} at most every 5 s). */
	cd->cd_nids = 0;
	if (fd == -1 || (cf->cf_flags & IPC_CDR_F_DISCARD) != 0) {
		if (fd != -1)
			close(fd);
		cd->cd_discard = true;
		cd->cd_size = 0;
		cdrd_drain(cd);
		return;
	}
	cd->cd_discard = false;
	cd->cd_fd = fd;
	log_debug("cdr file %s (seq %u)", cd->cd_name, cd->cd_seq);
	cdrd_recover_file(cd);
	cdrd_drain(cd);
}

static bool
cdrd_all_mapped(const struct cdrd *cd)
{
	uint32_t i;

	if (cd->cd_ackseg == NULL)
		return false;
	for (i = 0; i < cd->cd_nw; i++)
		if (cd->cd_w[i].wk_seg == NULL)
			return false;
	return true;
}

static int
cdrd_hello_ack(struct cdrd *cd, const struct ipc_hello_ack *ha)
{
	const struct ipc_child_conf *cc = &ha->ha_conf;
	struct shm_geom g;

	if (ha->ha_version != IPC_VERSION) {
		log_warnx("HELLO_ACK version %u, expected %u", ha->ha_version, IPC_VERSION);
		return -1;
	}
	if (cc->cc_n_workers == 0 || cc->cc_n_workers > SHM_MAX_WORKERS ||
	    shm_geom_worker(cc->cc_n_slots, cc->cc_ring_len, &g) != SHM_OK ||
	    cc->cc_sandbox >= SBX_MODE_MAX) {
		log_warnx("HELLO_ACK: bad configuration (%u workers, %u slots, ring %u)",
		    cc->cc_n_workers, cc->cc_n_slots, cc->cc_ring_len);
		return -1;
	}
	cd->cd_conf = *cc;
	cd->cd_boot_id = ha->ha_boot_id;
	cd->cd_nw = cc->cc_n_workers;
	if ((cd->cd_w = calloc(cd->cd_nw, sizeof(*cd->cd_w))) == NULL) {
		log_warn("calloc");
		return -1;
	}
	log_setverbose((int)cc->cc_verbose);
	cd->cd_state = CDRD_ST_SHM;
	return 0;
}

static int
cdrd_enter_run(struct cdrd *cd)
{
	char err[256];

	if (sbx_enter(SBX_CDRD, (enum sbx_mode)cd->cd_conf.cc_sandbox, err,
	    sizeof(err)) == -1) {
		log_warnx("sandbox: %s", err);
		return -1;
	}
	if (ipc_send(cd->cd_chan, IPC_READY, 0, 0, NULL, 0, -1) == -1) {
		log_warn("send READY");
		return -1;
	}
	cd->cd_state = CDRD_ST_RUN;
	log_debug("ready: %u workers, sandbox %s", cd->cd_nw,
	    sbx_mode_str((enum sbx_mode)cd->cd_conf.cc_sandbox));
	cdrd_drain(cd);
	return 0;
}

static void
cdrd_dispatch_master(struct ipc_chan *chan, struct ipc_msg *m, void *arg)
{
	struct cdrd *cd = arg;
	const void *p = m->im_data;
	int fd = m->im_fd, rc = 0;

	if (cd->cd_state == CDRD_ST_HELLO && m->im_hdr.ih_type != IPC_HELLO_ACK) {
		log_warnx("%s before HELLO_ACK", ipc_type_str(m->im_hdr.ih_type));
		rc = -1;
		goto out;
	}
	switch (m->im_hdr.ih_type) {
	case IPC_HELLO_ACK:
		if (cd->cd_state != CDRD_ST_HELLO) {
			log_warnx("HELLO_ACK twice");
			rc = -1;
		} else
			rc = cdrd_hello_ack(cd, p);
		break;
	case IPC_SHM_FD: {
		const struct ipc_shm_fd *sf = p;

		if (sf->sf_kind == IPC_SHM_ACK_RW)
			rc = cdrd_map_ack(cd, sf, fd);
		else if (sf->sf_kind == IPC_SHM_WORKER_RO)
			rc = cdrd_map_worker(cd, sf, fd);
		else {
			log_warnx("SHM_FD of kind %u", sf->sf_kind);
			rc = -1;
		}
		if (rc == 0 && cd->cd_state == CDRD_ST_SHM && cdrd_all_mapped(cd))
			rc = cdrd_enter_run(cd);
		break;
	}
	case IPC_CDR_FD:
		cdrd_cdr_fd(cd, p, fd);
		fd = -1;
		break;
	case IPC_CDR_KICK:
		cdrd_drain(cd);
		break;
	case IPC_WORKER_GONE:
		cdrd_worker_gone(cd, p);
		break;
	case IPC_VERBOSE:
		log_setverbose((int)((const struct ipc_verbose *)p)->ve_level);
		break;
	case IPC_SHUTDOWN:
		cdrd_drain(cd);
		cdrd_stop(cd, 0);
		break;
	default:
		log_warnx("unexpected %s from the master", ipc_type_str(m->im_hdr.ih_type));
		rc = -1;
		break;
	}
 out:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		cdrd_stop(cd, 1);
}

static void
cdrd_chan_error(struct ipc_chan *chan, const char *why, void *arg)
{
	struct cdrd *cd = arg;

	/* Nobody is left to carry our log lines. */
	log_sethook(NULL, NULL);
	if (strcmp(why, "peer closed") == 0)
		cdrd_stop(cd, 0);
	else {
		log_warnx("master channel: %s", why);
		cdrd_stop(cd, 1);
	}
}

static void
cdrd_free(struct cdrd *cd)
{
	uint32_t i;

	log_sethook(NULL, NULL);
	if (cd->cd_tick != NULL)
		event_free(cd->cd_tick);
	if (cd->cd_chan != NULL)
		ipc_chan_free(cd->cd_chan);
	for (i = 0; i < cd->cd_nw; i++)
		cdrd_worker_unmap(&cd->cd_w[i]);
	free(cd->cd_w);
	if (cd->cd_ackseg != NULL)
		shm_unmap(cd->cd_ackseg, cd->cd_acklen);
	if (cd->cd_fd != -1)
		close(cd->cd_fd);
	free(cd->cd_buf);
	if (cd->cd_base != NULL)
		event_base_free(cd->cd_base);
	free(cd);
}

int
cdrd_main(int chan_fd)
{
	struct timeval tv = { 0, CDRD_TICK_MS * 1000 };
	struct ipc_hello he;
	struct cdrd *cd;
	size_t n;
	int status;

	if ((cd = calloc(1, sizeof(*cd))) == NULL ||
	    (cd->cd_buf = malloc(CDRD_BATCH_CAP)) == NULL) {
		log_warn("calloc");
		free(cd);
		close(chan_fd);
		return 1;
	}
	cd->cd_fd = -1;
	cd->cd_state = CDRD_ST_HELLO;
	snprintf(cd->cd_name, sizeof(cd->cd_name), "(none)");
	if (cdr_header(cd->cd_buf, CDRD_BATCH_CAP, &n) == CDR_OK)
		cd->cd_hdr_len = n;
	if ((cd->cd_base = event_base_new()) == NULL) {
		log_warnx("event_base_new failed");
		close(chan_fd);
		cdrd_free(cd);
		return 1;
	}
	if ((cd->cd_chan = ipc_chan_new(cd->cd_base, chan_fd, IPC_ROLE_CDRD, IPC_ROLE_MASTER,
	    cdrd_dispatch_master, cdrd_chan_error, cd)) == NULL) {
		log_warn("ipc_chan_new");
		close(chan_fd);
		cdrd_free(cd);
		return 1;
	}
	if ((cd->cd_tick = event_new(cd->cd_base, -1, EV_PERSIST, cdrd_tick, cd)) == NULL ||
	    event_add(cd->cd_tick, &tv) == -1) {
		log_warnx("timer");
		cdrd_free(cd);
		return 1;
	}
	log_sethook(cdrd_log_hook, cd);
	memset(&he, 0, sizeof(he));
	he.he_version = IPC_VERSION;
	he.he_role = IPC_ROLE_CDRD;
	he.he_instance = 0;
	he.he_pid = (uint32_t)getpid();
	if (ipc_send(cd->cd_chan, IPC_HELLO, 0, 0, &he, sizeof(he), -1) == -1) {
		log_sethook(NULL, NULL);
		log_warn("send HELLO");
		cdrd_free(cd);
		return 1;
	}
	event_base_dispatch(cd->cd_base);
	if (cd->cd_fd != -1 && cd->cd_exit == 0 && cd->cd_state == CDRD_ST_RUN)
		cdrd_drain(cd);
	log_debug("exiting: %llu records written, %llu worker-lost, %llu duplicates "
	    "skipped, %llu discarded", (unsigned long long)cd->cd_written,
	    (unsigned long long)cd->cd_lost, (unsigned long long)cd->cd_dups,
	    (unsigned long long)cd->cd_discarded);
	if (cd->cd_exit == 0 && cd->cd_chan != NULL)
		(void)ipc_flush(cd->cd_chan, 500);
	status = cd->cd_exit;
	cdrd_free(cd);
	return status;
}
