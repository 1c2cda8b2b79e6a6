/*
 * Session -> shm slot (seqlock writer, on state changes and every second) and final
 * record -> SPSC ring, with a backlog when the ring is full (architecture.md B6) [io].
 *
 * Shared memory is output only: the counters live in the session and are copied here.
 * The slot goes FREE, and IPC_SESS_DONE goes out, only once the record is in the ring.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sess.h"

static void
pub_fill(struct sess *s)
{
	struct snap *sn = &s->s_snap;
	const struct leg *l;
	int i, d;

	for (i = 0; i < SHM_NLEGS; i++) {
		l = &s->s_leg[i];
		for (d = 0; d < SHM_NDIRS; d++) {
			sn->sn_frames[i][d] = l->lg_frames[d];
			sn->sn_octets[i][d] = l->lg_octets[d];
			sn->sn_stun[i][d] = l->lg_stun[d];
		}
	}
	sn->sn_t_last_ms = wk_realtime();
}

void
pub_slot(struct sess *s)
{
	pub_fill(s);
	snap_publish(&wk->wk_slots[s->s_slot], &s->s_snap);
}

/* Shared totals from private state: on session start and end and every second. */
void
pub_totals(void)
{
	struct shm_totals *t = wk->wk_tot;
	uint64_t n = 0;
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 0; i < wk->wk_hdr->sh_n_slots; i++)
		n += wk->wk_slot_used[i];
	atomic_store_explicit(&t->wt_sessions, n, memory_order_relaxed);
	atomic_store_explicit(&t->wt_frames_in, wk->wk_frames_in, memory_order_relaxed);
	atomic_store_explicit(&t->wt_frames_out, wk->wk_frames_out, memory_order_relaxed);
	atomic_store_explicit(&t->wt_bytes_in, wk->wk_bytes_in, memory_order_relaxed);
	atomic_store_explicit(&t->wt_bytes_out, wk->wk_bytes_out, memory_order_relaxed);
}

static void
pub_slot_free(uint32_t handle, uint32_t gen, uint32_t slot, uint16_t reason)
{
	struct snap sn;
	struct ipc_sess_done d;

	memset(&sn, 0, sizeof(sn));
	sn.sn_state = SHM_ST_FREE;
	snap_publish(&wk->wk_slots[slot], &sn);
	wk->wk_slot_used[slot] = false;
	pub_totals();
	memset(&d, 0, sizeof(d));
	d.sd_reason = reason;
	d.sd_slot = slot;
	if (wk->wk_chan != NULL)
		wk_send_raw(IPC_SESS_DONE, handle, gen, &d, sizeof(d));
}

static int
pub_push(const struct cdr_rec *rec)
{
	int rc = ring_push(&wk->wk_ring, rec);

	atomic_store_explicit(&wk->wk_tot->wt_ring_anomaly, wk->wk_ring.rp_anomalies,
	    memory_order_relaxed);
	return rc;
}

void
pub_final(struct sess *s, enum cdr_reason reason)
{
	struct pub_pending *pp;
	struct cdr_rec rec;
	uint64_t now = wk_realtime();

	s->s_snap.sn_state = SHM_ST_ENDED;
	pub_slot(s);
	snap_to_cdr(&s->s_snap, wk->wk_hdr, reason, now, false, &rec);
	/* The header is the master's, the epoch the one we were told: they agree. */
	rec.cr_worker = wk->wk_index;
	rec.cr_epoch = wk->wk_epoch;
	if (TAILQ_EMPTY(&wk->wk_backlog) && pub_push(&rec) == RING_OK) {
		pub_slot_free(s->s_handle, s->s_gen, s->s_slot, (uint16_t)reason);
		return;
	}
	if ((pp = calloc(1, sizeof(*pp))) == NULL) {
		/* Leave the slot ENDED: cdrd reads it as worker-lost if we die. */
		log_warn("session %s: final record lost", s->s_callid);
		return;
	}
	pp->pp_handle = s->s_handle;
	pp->pp_gen = s->s_gen;
	pp->pp_slot = s->s_slot;
	pp->pp_rec = rec;
	TAILQ_INSERT_TAIL(&wk->wk_backlog, pp, pp_entry);
	wk->wk_nbacklog++;
	atomic_store_explicit(&wk->wk_tot->wt_cdr_backlog, wk->wk_nbacklog,
	    memory_order_relaxed);
	log_debug("session %s: CDR ring full, %llu waiting", s->s_callid,
	    (unsigned long long)wk->wk_nbacklog);
}

void
pub_retry(void)
{
	struct pub_pending *pp;

	while ((pp = TAILQ_FIRST(&wk->wk_backlog)) != NULL) {
		if (pub_push(&pp->pp_rec) != RING_OK)
			break;
		TAILQ_REMOVE(&wk->wk_backlog, pp, pp_entry);
		wk->wk_nbacklog--;
		pub_slot_free(pp->pp_handle, pp->pp_gen, pp->pp_slot, pp->pp_rec.cr_reason);
		free(pp);
	}
	atomic_store_explicit(&wk->wk_tot->wt_cdr_backlog, wk->wk_nbacklog,
	    memory_order_relaxed);
}

/* The 1 s timer: heartbeat, live slots, backlog. */
void
pub_tick(void)
{
	struct sess *s;

	if (wk->wk_tot == NULL)
		return;
	atomic_store_explicit(&wk->wk_tot->wt_heartbeat_ms, wk_now(), memory_order_relaxed);
	pub_totals();
	TAILQ_FOREACH(s, &wk->wk_sessions, s_entry)
		pub_slot(s);
	pub_retry();
}
