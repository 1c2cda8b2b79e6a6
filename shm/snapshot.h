/*
 * Consistent copies of session slots (reader side of seqlock.h) and the writer's
 * whole-slot publication, both between a shm_slot and the plain struct snap.
 *
 * Readers: cdrd (interim scans, dead workers) and the master ("show").  Writer: the
 * owning worker's publish.c.  Pure: memory only.
 */
#ifndef APPSHARE_SNAPSHOT_H
#define APPSHARE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm_layout.h"

/* Attempts before a live slot is reported busy (and retried on the next tick). */
#define SNAP_TRIES	16

enum snap_rc {
	SNAP_OK		= 0,	/* consistent copy */
	SNAP_BUSY	= 1,	/* the writer was inside on every attempt */
	SNAP_PARTIAL	= 2,	/* SNAP_WRITER_DEAD only: copied although seq was odd/moving */
	SNAP_END	= 3,	/* snap_next(): no further live slot */
};

enum snap_mode {
	SNAP_LIVE	= 0,	/* the writer is running: bounded retry, never a torn copy */
	SNAP_WRITER_DEAD = 1,	/* nobody will ever finish the write: read anyway, flag it */
};

/* A slot as plain data.  Text fields are NUL-padded, not necessarily NUL-terminated. */
struct snap {
	uint32_t	sn_seq;			/* even value the copy was taken under */
	uint32_t	sn_state;		/* enum shm_state (unchecked) */
	uint64_t	sn_gen;
	struct shm_info	sn_info;
	uint64_t	sn_t_start_ms;
	uint64_t	sn_t_ice_ms;
	uint64_t	sn_t_last_ms;
	uint64_t	sn_frames[SHM_NLEGS][SHM_NDIRS];
	uint64_t	sn_octets[SHM_NLEGS][SHM_NDIRS];
	uint64_t	sn_stun[SHM_NLEGS][SHM_NDIRS];
	struct shm_addr	sn_ep[SHM_NLEGS][2];	/* [leg][SHM_EP_LOCAL/REMOTE] */
	char		sn_sessid[SHM_SESSID_LEN];
	char		sn_callid[SHM_CALLID_LEN];
	char		sn_from_tag[SHM_TAG_LEN];
	char		sn_to_tag[SHM_TAG_LEN];
};

/* Reader: copy one slot.  SNAP_OK, SNAP_BUSY, or (dead mode) SNAP_PARTIAL. */
int	snap_slot(const struct shm_slot *, struct snap *, enum snap_mode);

/*
 * Reader: the next non-FREE slot at index >= *pos among n slots.  Returns snap_slot()'s
 * code with *idx set and *pos moved past it, or SNAP_END.  A slot seen FREE in a
 * consistent copy is skipped; a busy or partial one is returned, since its state word
 * cannot be trusted and callers count or flag it.
 */
int	snap_next(const struct shm_slot *, uint32_t n, uint32_t *pos, enum snap_mode,
	    struct snap *, uint32_t *idx);

/* Writer: publish every field of *sn except sn_seq under the slot's seqlock. */
void	snap_publish(struct shm_slot *, const struct snap *);

/*
 * Copy a C string into a fixed text field, NUL-padded.  Returns true if it did not fit
 * (the caller then sets CDR_F_TRUNCATED in sn_info.si_flags).
 */
bool	snap_set_text(char *field, size_t cap, const char *s);

/*
 * Build a final record from a snapshot and the segment header it came from.  partial
 * sets CDR_F_PARTIAL (the copy was SNAP_PARTIAL).
 */
void	snap_to_cdr(const struct snap *, const struct shm_hdr *, enum cdr_reason,
	    uint64_t t_end_ms, bool partial, struct cdr_rec *);

#endif
