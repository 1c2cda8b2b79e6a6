/*
 * Single-producer single-consumer ring of final CDR records (architecture.md B6).
 *
 * Producer: the worker; it owns rg_head in its segment and keeps the authoritative head
 * in private memory (shm is output only for it).  Consumer: cdrd; it owns ak_tail in
 * the ack segment.  Each side reads the other's index and distrusts it: the worker
 * clamps the tail it reads back, cdrd checks the head it reads, and a bogus index is
 * reported as RING_ANOMALY instead of being followed.  Nobody ever waits: a full ring is
 * the producer's signal to keep the session ENDED and retry on its timer.
 *
 * Indices are free-running 64-bit counters; a record lives at index % ring_len, and
 * ring_len is a power of two so that the modulo is a mask and survives wrap-around.
 *
 * Pure and header-only.
 */
#ifndef APPSHARE_RING_H
#define APPSHARE_RING_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "shm_layout.h"

enum ring_rc {
	RING_OK		= 0,
	RING_FULL	= 1,	/* producer: no room; retry later */
	RING_EMPTY	= 2,	/* consumer: nothing to read */
	RING_ANOMALY	= -1,	/* the other side's index is impossible */
};

struct ring_prod {			/* private to the worker */
	struct shm_ring		*rp_ring;	/* own segment, RW */
	const _Atomic uint64_t	*rp_tail;	/* ack segment, mapped read-only */
	uint64_t		 rp_head;	/* authoritative head */
	uint32_t		 rp_len;	/* power of two */
	uint64_t		 rp_anomalies;	/* bogus tails seen */
};

struct ring_cons {			/* private to cdrd */
	const struct shm_ring	*rc_ring;	/* worker segment, mapped read-only */
	_Atomic uint64_t	*rc_tail;	/* ack segment, RW */
	uint64_t		 rc_tail_priv;	/* authoritative tail */
	uint32_t		 rc_len;
	uint64_t		 rc_anomalies;	/* bogus heads seen */
};

/* head starts at what the segment says: 0 in a fresh segment (new epoch). */
static inline void
ring_prod_init(struct ring_prod *p, struct shm_ring *r, uint32_t len,
    const _Atomic uint64_t *tail)
{
	p->rp_ring = r;
	p->rp_tail = tail;
	p->rp_len = len;
	p->rp_head = 0;
	p->rp_anomalies = 0;
	atomic_store_explicit(&r->rg_head, 0, memory_order_release);
}

/* cdrd's tail is its own; it resumes from the value it last published. */
static inline void
ring_cons_init(struct ring_cons *c, const struct shm_ring *r, uint32_t len,
    _Atomic uint64_t *tail)
{
	c->rc_ring = r;
	c->rc_tail = tail;
	c->rc_len = len;
	c->rc_tail_priv = atomic_load_explicit(tail, memory_order_relaxed);
	c->rc_anomalies = 0;
}

/* Records the producer may still push, by its clamped view of the tail. */
static inline int
ring_prod_space(struct ring_prod *p, uint64_t *space)
{
	/* Acquire pairs with cdrd's release of the tail: its copy of a slot is done
	 * before we may overwrite that slot. */
	uint64_t t = atomic_load_explicit(p->rp_tail, memory_order_acquire);

	if (t > p->rp_head || p->rp_head - t > p->rp_len) {
		p->rp_anomalies++;
		*space = 0;
		return RING_ANOMALY;
	}
	*space = p->rp_len - (p->rp_head - t);
	return RING_OK;
}

/* RING_OK, RING_FULL, or RING_ANOMALY (treat as full; counted in rp_anomalies). */
static inline int
ring_push(struct ring_prod *p, const struct cdr_rec *rec)
{
	uint64_t space;
	int rc;

	if ((rc = ring_prod_space(p, &space)) != RING_OK)
		return rc;
	if (space == 0)
		return RING_FULL;
	memcpy(&p->rp_ring->rg_rec[p->rp_head & (p->rp_len - 1)], rec, sizeof(*rec));
	p->rp_head++;
	/* Release: the record's bytes are visible before the head that covers them. */
	atomic_store_explicit(&p->rp_ring->rg_head, p->rp_head, memory_order_release);
	return RING_OK;
}

/* RING_OK with *rec filled, RING_EMPTY, or RING_ANOMALY (head behind tail or too far). */
static inline int
ring_pop(struct ring_cons *c, struct cdr_rec *rec)
{
	/* Acquire pairs with ring_push()'s release: the record is complete. */
	uint64_t h = atomic_load_explicit(&c->rc_ring->rg_head, memory_order_acquire);

	if (h == c->rc_tail_priv)
		return RING_EMPTY;
	if (h < c->rc_tail_priv || h - c->rc_tail_priv > c->rc_len) {
		c->rc_anomalies++;
		return RING_ANOMALY;
	}
	memcpy(rec, &c->rc_ring->rg_rec[c->rc_tail_priv & (c->rc_len - 1)], sizeof(*rec));
	c->rc_tail_priv++;
	/* Release: our copy is done before the producer may reuse the record. */
	atomic_store_explicit(c->rc_tail, c->rc_tail_priv, memory_order_release);
	return RING_OK;
}

#endif
