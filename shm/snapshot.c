/*
 * Slot snapshots: the bounded-retry seqlock reader of architecture.md B6 and the
 * matching whole-slot writer.
 */
#include "snapshot.h"

#include <string.h>

#include "seqlock.h"

/* Every load relaxed: seq_read_retry()'s fence is what orders them. */
static void
snap_copy(const struct shm_slot *s, struct snap *sn)
{
	int l, d;

	sn->sn_state = atomic_load_explicit(&s->sl_state, memory_order_relaxed);
	sn->sn_gen = atomic_load_explicit(&s->sl_gen, memory_order_relaxed);
	shm_info_unpack(atomic_load_explicit(&s->sl_info, memory_order_relaxed),
	    &sn->sn_info);
	sn->sn_t_start_ms = atomic_load_explicit(&s->sl_t_start_ms, memory_order_relaxed);
	sn->sn_t_ice_ms = atomic_load_explicit(&s->sl_t_ice_ms, memory_order_relaxed);
	sn->sn_t_last_ms = atomic_load_explicit(&s->sl_t_last_ms, memory_order_relaxed);
	for (l = 0; l < SHM_NLEGS; l++) {
		for (d = 0; d < SHM_NDIRS; d++) {
			sn->sn_frames[l][d] = atomic_load_explicit(&s->sl_frames[l][d],
			    memory_order_relaxed);
			sn->sn_octets[l][d] = atomic_load_explicit(&s->sl_octets[l][d],
			    memory_order_relaxed);
			sn->sn_stun[l][d] = atomic_load_explicit(&s->sl_stun[l][d],
			    memory_order_relaxed);
		}
		shm_unpack_addr(s->sl_ep[l][SHM_EP_LOCAL], &sn->sn_ep[l][SHM_EP_LOCAL]);
		shm_unpack_addr(s->sl_ep[l][SHM_EP_REMOTE], &sn->sn_ep[l][SHM_EP_REMOTE]);
	}
	shm_unpack_str(s->sl_sessid, SHM_W(SHM_SESSID_LEN), sn->sn_sessid);
	shm_unpack_str(s->sl_callid, SHM_W(SHM_CALLID_LEN), sn->sn_callid);
	shm_unpack_str(s->sl_from_tag, SHM_W(SHM_TAG_LEN), sn->sn_from_tag);
	shm_unpack_str(s->sl_to_tag, SHM_W(SHM_TAG_LEN), sn->sn_to_tag);
}

int
snap_slot(const struct shm_slot *s, struct snap *sn, enum snap_mode mode)
{
	uint32_t b;
	int tries;

	for (tries = 0; tries < SNAP_TRIES; tries++) {
		b = seq_read_begin(&s->sl_seq);
		if (seq_read_odd(b)) {
			/* A dead writer's odd seq never turns even: waiting is pointless. */
			if (mode == SNAP_WRITER_DEAD)
				break;
			continue;
		}
		snap_copy(s, sn);
		if (!seq_read_retry(&s->sl_seq, b)) {
			sn->sn_seq = b;
			return SNAP_OK;
		}
	}
	if (mode != SNAP_WRITER_DEAD)
		return SNAP_BUSY;
	b = seq_read_begin(&s->sl_seq);
	snap_copy(s, sn);
	sn->sn_seq = b;
	return SNAP_PARTIAL;
}

int
snap_next(const struct shm_slot *slots, uint32_t n, uint32_t *pos, enum snap_mode mode,
    struct snap *sn, uint32_t *idx)
{
	uint32_t i;
	int rc;

	for (i = *pos; i < n; i++) {
		/* Cheap pre-filter; the consistent copy below has the final word. */
		if (atomic_load_explicit(&slots[i].sl_state, memory_order_relaxed) ==
		    SHM_ST_FREE &&
		    (atomic_load_explicit(&slots[i].sl_seq, memory_order_relaxed) & 1) == 0)
			continue;
		rc = snap_slot(&slots[i], sn, mode);
		if (rc == SNAP_OK && sn->sn_state == SHM_ST_FREE)
			continue;
		*pos = i + 1;
		*idx = i;
		return rc;
	}
	*pos = n;
	return SNAP_END;
}

void
snap_publish(struct shm_slot *s, const struct snap *sn)
{
	int l, d;

	seq_write_begin(&s->sl_seq);
	atomic_store_explicit(&s->sl_state, sn->sn_state, memory_order_relaxed);
	atomic_store_explicit(&s->sl_gen, sn->sn_gen, memory_order_relaxed);
	atomic_store_explicit(&s->sl_info, shm_info_pack(&sn->sn_info), memory_order_relaxed);
	atomic_store_explicit(&s->sl_t_start_ms, sn->sn_t_start_ms, memory_order_relaxed);
	atomic_store_explicit(&s->sl_t_ice_ms, sn->sn_t_ice_ms, memory_order_relaxed);
	atomic_store_explicit(&s->sl_t_last_ms, sn->sn_t_last_ms, memory_order_relaxed);
	for (l = 0; l < SHM_NLEGS; l++) {
		for (d = 0; d < SHM_NDIRS; d++) {
			atomic_store_explicit(&s->sl_frames[l][d], sn->sn_frames[l][d],
			    memory_order_relaxed);
			atomic_store_explicit(&s->sl_octets[l][d], sn->sn_octets[l][d],
			    memory_order_relaxed);
			atomic_store_explicit(&s->sl_stun[l][d], sn->sn_stun[l][d],
			    memory_order_relaxed);
		}
		shm_pack_addr(s->sl_ep[l][SHM_EP_LOCAL], &sn->sn_ep[l][SHM_EP_LOCAL]);
		shm_pack_addr(s->sl_ep[l][SHM_EP_REMOTE], &sn->sn_ep[l][SHM_EP_REMOTE]);
	}
	shm_pack_str(s->sl_sessid, SHM_W(SHM_SESSID_LEN), sn->sn_sessid, SHM_SESSID_LEN);
	shm_pack_str(s->sl_callid, SHM_W(SHM_CALLID_LEN), sn->sn_callid, SHM_CALLID_LEN);
	shm_pack_str(s->sl_from_tag, SHM_W(SHM_TAG_LEN), sn->sn_from_tag, SHM_TAG_LEN);
	shm_pack_str(s->sl_to_tag, SHM_W(SHM_TAG_LEN), sn->sn_to_tag, SHM_TAG_LEN);
	seq_write_end(&s->sl_seq);
}

bool
snap_set_text(char *field, size_t cap, const char *s)
{
	size_t n = 0;

	while (n < cap && s[n] != '\0')
		n++;
	memset(field, 0, cap);
	memcpy(field, s, n);
	/* s is NUL-terminated, so s[cap] exists whenever n reached cap. */
	return n == cap && s[n] != '\0';
}

void
snap_to_cdr(const struct snap *sn, const struct shm_hdr *h, enum cdr_reason reason,
    uint64_t t_end_ms, bool partial, struct cdr_rec *r)
{
	int l, d;

	memset(r, 0, sizeof(*r));
	r->cr_boot_id = h->sh_boot_id;
	r->cr_worker = h->sh_worker_index;
	r->cr_epoch = h->sh_epoch;
	r->cr_gen = sn->sn_gen;
	r->cr_t_start_ms = sn->sn_t_start_ms;
	r->cr_t_ice_ms = sn->sn_t_ice_ms;
	r->cr_t_end_ms = t_end_ms;
	r->cr_reason = (uint16_t)reason;
	r->cr_media = sn->sn_info.si_media;
	r->cr_proto = sn->sn_info.si_proto;
	r->cr_closed_by = sn->sn_info.si_closed_by;
	r->cr_flags = (sn->sn_info.si_flags & CDR_F_TRUNCATED) |
	    (partial ? CDR_F_PARTIAL : 0);
	for (l = 0; l < SHM_NLEGS; l++) {
		struct cdr_leg *cl = &r->cr_leg[l];

		cl->cl_local = sn->sn_ep[l][SHM_EP_LOCAL];
		cl->cl_remote = sn->sn_ep[l][SHM_EP_REMOTE];
		cl->cl_dialect = sn->sn_info.si_dialect[l];
		cl->cl_role = sn->sn_info.si_role[l];
		for (d = 0; d < SHM_NDIRS; d++) {
			cl->cl_frames[d] = sn->sn_frames[l][d];
			cl->cl_octets[d] = sn->sn_octets[l][d];
			cl->cl_stun[d] = sn->sn_stun[l][d];
		}
	}
	memcpy(r->cr_sessid, sn->sn_sessid, sizeof(r->cr_sessid));
	memcpy(r->cr_callid, sn->sn_callid, sizeof(r->cr_callid));
	memcpy(r->cr_from_tag, sn->sn_from_tag, sizeof(r->cr_from_tag));
	memcpy(r->cr_to_tag, sn->sn_to_tag, sizeof(r->cr_to_tag));
}
