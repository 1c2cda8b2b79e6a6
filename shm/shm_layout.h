/*
 * Layout of the shared-memory statistics segments (architecture.md B6).
 *
 *   worker segment (one memfd per worker, written only by that worker):
 *	struct shm_hdr | struct shm_totals | struct shm_slot[n_slots] | struct shm_ring
 *	(the ring is a head line followed by ring_len struct cdr_rec)
 *   ack segment (one memfd, written only by cdrd):
 *	struct shm_hdr | struct shm_ack[n_workers]
 *
 * Every shared field names its one writer and its readers.  Nothing in here is
 * locked: single-writer fields, seqlocked slots (seqlock.h) and an SPSC ring (ring.h).
 * Sizes and offsets are frozen below; changing any of them means bumping
 * SHM_LAYOUT_VERSION, and readers refuse a header whose version or sizes differ
 * (shm_hdr_check()), so a half-upgraded install fails loudly instead of misreading.
 *
 * Direction naming, used everywhere including the CDR: counters are kept per leg
 * (SHM_LEG_A = the leg of the offerer's side as the master names it, SHM_LEG_B = the
 * other) and per direction as seen from the relay on that leg: SHM_DIR_IN is what the
 * relay received from that leg's peer, SHM_DIR_OUT what it sent to that peer.
 *
 * Pure: types, constants and small inline helpers; no I/O.
 */
#ifndef APPSHARE_SHM_LAYOUT_H
#define APPSHARE_SHM_LAYOUT_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Cross-process atomics must be lock-free (and hence address-free with GCC/Clang). */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free");
_Static_assert(sizeof(_Atomic uint64_t) == 8, "_Atomic uint64_t must be a plain word");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "_Atomic uint32_t must be a plain word");

#define SHM_MAGIC		0x41534d31u	/* "ASM1" */
#define SHM_LAYOUT_VERSION	1u
#define SHM_LINE		64		/* cache line: one writer per line */

#define SHM_KIND_WORKER		1u
#define SHM_KIND_ACK		2u

/* Upper bounds a reader accepts; they keep size arithmetic far from overflow. */
#define SHM_MAX_SLOTS		(1u << 20)
#define SHM_MAX_RING		(1u << 20)
#define SHM_MAX_WORKERS		1024u

#define SHM_LEG_A		0
#define SHM_LEG_B		1
#define SHM_NLEGS		2
#define SHM_DIR_IN		0	/* received by the relay from this leg's peer */
#define SHM_DIR_OUT		1	/* sent by the relay to this leg's peer */
#define SHM_NDIRS		2
#define SHM_EP_LOCAL		0
#define SHM_EP_REMOTE		1

/* Fixed-size identifier fields (bytes, NUL-padded, not necessarily NUL-terminated). */
#define SHM_SESSID_LEN		64
#define SHM_CALLID_LEN		128
#define SHM_TAG_LEN		64

#define SHM_W(bytes)		((bytes) / 8)		/* words holding a text field */
#define SHM_ADDR_WORDS		3			/* family+port, 16 address bytes */

/* Return codes of shm_geom_worker() and shm_hdr_check(). */
enum shm_rc {
	SHM_OK		= 0,
	SHM_E_MAGIC	= -1,	/* not one of our segments */
	SHM_E_VERSION	= -2,	/* another layout version */
	SHM_E_SIZES	= -3,	/* header/slot/record size differs from this build */
	SHM_E_GEOM	= -4,	/* ring_len not a power of two, counts out of bounds */
	SHM_E_SHORT	= -5,	/* mapping shorter than the geometry says */
	SHM_E_KIND	= -6,	/* a worker segment where an ack segment was expected, ... */
};

/* Address family codes stored in shm and CDRs: ours, not AF_*, so the layout is ABI-free. */
enum shm_af {
	SHM_AF_NONE	= 0,
	SHM_AF_INET	= 4,
	SHM_AF_INET6	= 6,
};

/* An endpoint as plain data (CDR records, snapshots). */
struct shm_addr {
	uint8_t		sa_family;	/* enum shm_af */
	uint8_t		sa_pad;
	uint16_t	sa_port;	/* host order */
	uint8_t		sa_addr[16];	/* IPv4 in the first 4 bytes */
};
_Static_assert(sizeof(struct shm_addr) == 20, "shm_addr size");

/* Slot states. */
enum shm_state {
	SHM_ST_FREE	= 0,
	SHM_ST_ICE	= 1,	/* legs connecting / ICE in progress */
	SHM_ST_RELAYING	= 2,
	SHM_ST_ENDED	= 3,	/* ended; final record not yet in the ring */
	SHM_ST_MAX
};

/* Enumerations carried by slots and CDR records; values are frozen (appended only). */
enum cdr_media {
	CDR_MEDIA_APPSHARING	= 0,
	CDR_MEDIA_AUDIO		= 1,
	CDR_MEDIA_VIDEO		= 2,
	CDR_MEDIA_MAX
};
enum cdr_proto {
	CDR_PROTO_TCP_RTP_AVP	= 0,
	CDR_PROTO_TCP_RTP_SAVP	= 1,
	CDR_PROTO_RTP_AVP	= 2,	/* UDP */
	CDR_PROTO_RTP_SAVP	= 3,	/* UDP */
	CDR_PROTO_MAX
};
enum cdr_dialect {
	CDR_DIALECT_NONE	= 0,	/* leg never got that far */
	CDR_DIALECT_MS_ICE2	= 1,
	CDR_DIALECT_RFC6544	= 2,
	CDR_DIALECT_RFC4145	= 3,	/* plain TCP media, no ICE */
	CDR_DIALECT_MAX
};
enum cdr_role {
	CDR_ROLE_NONE		= 0,
	CDR_ROLE_PASSIVE	= 1,	/* the relay accepted the TCP connection */
	CDR_ROLE_ACTIVE		= 2,	/* the relay connected */
	CDR_ROLE_MAX
};
enum cdr_reason {
	CDR_R_UNKNOWN		= 0,
	CDR_R_DELETED		= 1,	/* control command deleted the session */
	CDR_R_ICE_TIMEOUT	= 2,
	CDR_R_IDLE_TIMEOUT	= 3,
	CDR_R_ICE_FAILED	= 4,
	CDR_R_PEER_CLOSED	= 5,
	CDR_R_WORKER_LOST	= 6,	/* written by cdrd from the slot of a dead worker */
	CDR_R_OVERFLOW		= 7,	/* a leg's buffer passed its bound */
	CDR_R_POLICY		= 8,	/* source address policy denied the connection */
	CDR_R_CONNECT_FAILED	= 9,	/* active leg could not connect */
	CDR_R_PROTOCOL		= 10,	/* bad framing or STUN on a leg */
	CDR_R_SHUTDOWN		= 11,	/* relay stopping */
	CDR_R_INTERNAL		= 12,	/* resource exhaustion, bug */
	CDR_R_MAX
};
/* Which leg's event ended the session (CDR "Closing Leg"). */
enum cdr_closed_by {
	CDR_CLOSED_NONE		= 0,
	CDR_CLOSED_A		= 1,
	CDR_CLOSED_B		= 2,
	CDR_CLOSED_MAX
};
/* cr_flags bits. */
#define CDR_F_PARTIAL		0x1u	/* built from a slot whose writer died mid-update */
#define CDR_F_TRUNCATED		0x2u	/* an identifier was longer than its field */
#define CDR_F_ALL		(CDR_F_PARTIAL | CDR_F_TRUNCATED)

/* ---- worker segment ---------------------------------------------------------------- */

struct shm_hdr {			/* W: master once, before the owner maps it  R: all */
	_Alignas(SHM_LINE) uint32_t sh_magic;
	uint32_t	sh_layout_version;
	uint32_t	sh_kind;		/* SHM_KIND_* */
	uint32_t	sh_hdr_size;		/* sizeof(struct shm_hdr): readers refuse skew */
	uint32_t	sh_slot_size;		/* sizeof(struct shm_slot) */
	uint32_t	sh_rec_size;		/* sizeof(struct cdr_rec) */
	uint32_t	sh_n_slots;		/* worker: slots; ack: number of workers */
	uint32_t	sh_ring_len;		/* worker: power of two; ack: 0 */
	uint32_t	sh_worker_index;	/* ack: 0 */
	uint32_t	sh_epoch;		/* += 1 on every respawn of that worker */
	uint64_t	sh_boot_id;		/* random per master start */
	uint64_t	sh_seg_size;		/* bytes the geometry needs (<= memfd size) */
};

/*
 * Event counters (accepted, denied, ...) are written as they happen; the byte, frame and
 * session counts are copied from the worker's private memory at session start and end
 * and every second, so they lag by up to a second and a dead worker's last second of
 * traffic is not in them.
 */
struct shm_totals {			/* W: worker  R: cdrd, master.  Independent counters */
	_Alignas(SHM_LINE) _Atomic uint64_t wt_heartbeat_ms;	/* monotonic ms of last tick */
	_Atomic uint64_t wt_accepted;		/* TCP connections accepted */
	_Atomic uint64_t wt_policy_denied;	/* connections refused by address policy */
	_Atomic uint64_t wt_stun_bad;		/* STUN messages that failed to decode/verify */
	_Atomic uint64_t wt_ice_failed;		/* legs whose ICE failed or timed out */
	_Atomic uint64_t wt_bytes_in;		/* all legs, received */
	_Atomic uint64_t wt_bytes_out;		/* all legs, sent */
	_Atomic uint64_t wt_cdr_backlog;	/* ended sessions waiting for ring space */
	_Alignas(SHM_LINE) _Atomic uint64_t wt_ring_anomaly;	/* bogus tail read back */
	_Atomic uint64_t wt_sessions;		/* live sessions (non-FREE slots) */
	_Atomic uint64_t wt_frames_in;		/* media frames received on selected conns */
	_Atomic uint64_t wt_frames_out;		/* media frames queued to the other leg */
	_Atomic uint64_t wt_reserved[4];
};

/*
 * One session.  W: owning worker, under sl_seq (seqlock.h)  R: cdrd, master via
 * snapshot.c.  Every field is an _Atomic integer so the reader's relaxed loads are
 * race-free by the letter of C11; text and addresses are packed into words by the
 * shm_pack_* helpers below.
 */
struct shm_slot {
	_Alignas(SHM_LINE) _Atomic uint32_t sl_seq;	/* odd while being written */
	_Atomic uint32_t sl_state;		/* enum shm_state */
	_Atomic uint64_t sl_gen;		/* (epoch << 32) | per-worker counter */
	_Atomic uint64_t sl_info;		/* media, proto, dialects, roles: shm_info_*() */
	_Atomic uint64_t sl_t_start_ms;		/* realtime ms: session created */
	_Atomic uint64_t sl_t_ice_ms;		/* realtime ms: both legs' ICE done; 0 = not yet */
	_Atomic uint64_t sl_t_last_ms;		/* realtime ms of this publication */
	_Atomic uint64_t sl_frames[SHM_NLEGS][SHM_NDIRS];	/* non-STUN RFC 4571 frames */
	_Atomic uint64_t sl_octets[SHM_NLEGS][SHM_NDIRS];	/* TCP payload bytes */
	_Atomic uint64_t sl_stun[SHM_NLEGS][SHM_NDIRS];		/* STUN messages */
	_Atomic uint64_t sl_ep[SHM_NLEGS][2][SHM_ADDR_WORDS];	/* [leg][LOCAL/REMOTE] */
	_Atomic uint64_t sl_sessid[SHM_W(SHM_SESSID_LEN)];
	_Atomic uint64_t sl_callid[SHM_W(SHM_CALLID_LEN)];
	_Atomic uint64_t sl_from_tag[SHM_W(SHM_TAG_LEN)];
	_Atomic uint64_t sl_to_tag[SHM_W(SHM_TAG_LEN)];
};

/* ---- final records and the ring ------------------------------------------------- */

struct cdr_leg {
	struct shm_addr	cl_local;	/* relay side of the TCP connection */
	struct shm_addr	cl_remote;	/* the peer */
	uint8_t		cl_dialect;	/* enum cdr_dialect */
	uint8_t		cl_role;	/* enum cdr_role */
	uint8_t		cl_pad[6];
	uint64_t	cl_frames[SHM_NDIRS];	/* [SHM_DIR_IN], [SHM_DIR_OUT] */
	uint64_t	cl_octets[SHM_NDIRS];
	uint64_t	cl_stun[SHM_NDIRS];
};

/*
 * One final record, plain data copied through the ring.  Text fields are NUL-padded
 * and may fill the whole array without a NUL.  Readers must treat every field as
 * untrusted (a compromised worker writes them): cdr_format() accepts any bytes.
 */
struct cdr_rec {
	uint64_t	cr_boot_id;
	uint64_t	cr_gen;
	uint32_t	cr_worker;
	uint32_t	cr_epoch;
	uint64_t	cr_t_start_ms;	/* realtime ms since 1970; 0 = unknown */
	uint64_t	cr_t_ice_ms;	/* 0 = ICE never completed */
	uint64_t	cr_t_end_ms;
	uint16_t	cr_reason;	/* enum cdr_reason */
	uint8_t		cr_media;	/* enum cdr_media */
	uint8_t		cr_proto;	/* enum cdr_proto */
	uint8_t		cr_closed_by;	/* enum cdr_closed_by */
	uint8_t		cr_pad[3];
	uint32_t	cr_flags;	/* CDR_F_* */
	uint32_t	cr_pad2;
	struct cdr_leg	cr_leg[SHM_NLEGS];
	char		cr_sessid[SHM_SESSID_LEN];
	char		cr_callid[SHM_CALLID_LEN];
	char		cr_from_tag[SHM_TAG_LEN];
	char		cr_to_tag[SHM_TAG_LEN];
};

struct shm_ring {
	_Alignas(SHM_LINE) _Atomic uint64_t rg_head;	/* W: worker  R: cdrd (acquire) */
	/* rg_rec[i]: W: worker while i is outside [tail, head)  R: cdrd inside it */
	_Alignas(SHM_LINE) struct cdr_rec rg_rec[];
};

/* ---- ack segment ------------------------------------------------------------------- */

/*
 * W: cdrd  R: worker i (ak_tail, clamped), master.  cdrd sets ak_tail = 0 and
 * ak_epoch_seen = the new epoch after draining a dead worker and before it acknowledges
 * WORKER_GONE, so the respawned worker (head 0) never reads a stale tail.
 */
struct shm_ack {
	_Alignas(SHM_LINE) _Atomic uint64_t ak_tail;
	_Atomic uint32_t ak_epoch_seen;
};

/* ---- frozen sizes and offsets ------------------------------------------------------ */

_Static_assert(sizeof(struct shm_hdr) == 64, "shm_hdr size");
_Static_assert(offsetof(struct shm_hdr, sh_boot_id) == 40, "shm_hdr layout");
_Static_assert(offsetof(struct shm_hdr, sh_seg_size) == 48, "shm_hdr layout");
_Static_assert(sizeof(struct shm_totals) == 128, "shm_totals size");
_Static_assert(offsetof(struct shm_totals, wt_ring_anomaly) == 64, "shm_totals layout");
_Static_assert(offsetof(struct shm_slot, sl_gen) == 8, "shm_slot layout");
_Static_assert(offsetof(struct shm_slot, sl_frames) == 48, "shm_slot layout");
_Static_assert(offsetof(struct shm_slot, sl_ep) == 144, "shm_slot layout");
_Static_assert(offsetof(struct shm_slot, sl_sessid) == 240, "shm_slot layout");
_Static_assert(offsetof(struct shm_slot, sl_to_tag) == 496, "shm_slot layout");
_Static_assert(sizeof(struct shm_slot) == 576, "shm_slot size");
_Static_assert(sizeof(struct shm_slot) % SHM_LINE == 0, "slots must not share lines");
_Static_assert(sizeof(struct cdr_leg) == 96, "cdr_leg size");
_Static_assert(offsetof(struct cdr_rec, cr_reason) == 48, "cdr_rec layout");
_Static_assert(offsetof(struct cdr_rec, cr_leg) == 64, "cdr_rec layout");
_Static_assert(offsetof(struct cdr_rec, cr_sessid) == 256, "cdr_rec layout");
_Static_assert(sizeof(struct cdr_rec) == 576, "cdr_rec size");
_Static_assert(sizeof(struct cdr_rec) % SHM_LINE == 0, "records must not share lines");
_Static_assert(offsetof(struct shm_ring, rg_rec) == 64, "shm_ring layout");
_Static_assert(sizeof(struct shm_ack) == 64, "shm_ack size");
_Static_assert(SHM_SESSID_LEN % 8 == 0 && SHM_CALLID_LEN % 8 == 0 && SHM_TAG_LEN % 8 == 0,
    "text fields are whole words");

/* ---- geometry ------------------------------------------------------------------------ */

struct shm_geom {
	size_t	sg_totals_off;
	size_t	sg_slots_off;
	size_t	sg_ring_off;
	size_t	sg_size;	/* bytes needed; the memfd may be rounded up to pages */
};

static inline bool
shm_is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Offsets of a worker segment's parts.  SHM_E_GEOM for out-of-bounds counts. */
static inline int
shm_geom_worker(uint32_t n_slots, uint32_t ring_len, struct shm_geom *g)
{
	if (n_slots == 0 || n_slots > SHM_MAX_SLOTS || !shm_is_pow2(ring_len) ||
	    ring_len > SHM_MAX_RING)
		return SHM_E_GEOM;
	g->sg_totals_off = sizeof(struct shm_hdr);
	g->sg_slots_off = g->sg_totals_off + sizeof(struct shm_totals);
	g->sg_ring_off = g->sg_slots_off + (size_t)n_slots * sizeof(struct shm_slot);
	g->sg_size = g->sg_ring_off + sizeof(struct shm_ring) +
	    (size_t)ring_len * sizeof(struct cdr_rec);
	return SHM_OK;
}

/* Size of the ack segment for n_workers, 0 if out of bounds. */
static inline size_t
shm_ack_size(uint32_t n_workers)
{
	if (n_workers == 0 || n_workers > SHM_MAX_WORKERS)
		return 0;
	return sizeof(struct shm_hdr) + (size_t)n_workers * sizeof(struct shm_ack);
}

/*
 * Stamp a header (master, on a zeroed segment).  For SHM_KIND_ACK, n_slots is the
 * number of workers and ring_len, worker_index are 0.
 */
static inline int
shm_hdr_init(struct shm_hdr *h, uint32_t kind, uint32_t n_slots, uint32_t ring_len,
    uint32_t worker_index, uint32_t epoch, uint64_t boot_id)
{
	struct shm_geom g;
	size_t size;

	if (kind == SHM_KIND_WORKER) {
		if (shm_geom_worker(n_slots, ring_len, &g) != SHM_OK)
			return SHM_E_GEOM;
		size = g.sg_size;
	} else if (kind == SHM_KIND_ACK) {
		if (ring_len != 0 || (size = shm_ack_size(n_slots)) == 0)
			return SHM_E_GEOM;
		worker_index = 0;
	} else
		return SHM_E_KIND;
	memset(h, 0, sizeof(*h));
	h->sh_magic = SHM_MAGIC;
	h->sh_layout_version = SHM_LAYOUT_VERSION;
	h->sh_kind = kind;
	h->sh_hdr_size = sizeof(struct shm_hdr);
	h->sh_slot_size = sizeof(struct shm_slot);
	h->sh_rec_size = sizeof(struct cdr_rec);
	h->sh_n_slots = n_slots;
	h->sh_ring_len = ring_len;
	h->sh_worker_index = worker_index;
	h->sh_epoch = epoch;
	h->sh_boot_id = boot_id;
	h->sh_seg_size = size;
	return SHM_OK;
}

/*
 * Reader's check of a mapped segment of maplen bytes: refuse anything this build would
 * misread.  Fills *g for worker segments (g may be NULL).
 */
static inline int
shm_hdr_check(const struct shm_hdr *h, size_t maplen, uint32_t kind, struct shm_geom *g)
{
	struct shm_geom tmp;
	size_t size;

	if (maplen < sizeof(*h))
		return SHM_E_SHORT;
	if (h->sh_magic != SHM_MAGIC)
		return SHM_E_MAGIC;
	if (h->sh_layout_version != SHM_LAYOUT_VERSION)
		return SHM_E_VERSION;
	if (h->sh_hdr_size != sizeof(struct shm_hdr) ||
	    h->sh_slot_size != sizeof(struct shm_slot) ||
	    h->sh_rec_size != sizeof(struct cdr_rec))
		return SHM_E_SIZES;
	if (h->sh_kind != kind)
		return SHM_E_KIND;
	if (kind == SHM_KIND_WORKER) {
		if (shm_geom_worker(h->sh_n_slots, h->sh_ring_len, &tmp) != SHM_OK)
			return SHM_E_GEOM;
		size = tmp.sg_size;
		if (g != NULL)
			*g = tmp;
	} else {
		if (h->sh_ring_len != 0 || (size = shm_ack_size(h->sh_n_slots)) == 0)
			return SHM_E_GEOM;
	}
	if (h->sh_seg_size != size)
		return SHM_E_GEOM;
	if (maplen < size)
		return SHM_E_SHORT;
	return SHM_OK;
}

/* Parts of a checked worker segment. */
static inline struct shm_totals *
shm_seg_totals(void *seg, const struct shm_geom *g)
{
	return (struct shm_totals *)((char *)seg + g->sg_totals_off);
}

static inline struct shm_slot *
shm_seg_slots(void *seg, const struct shm_geom *g)
{
	return (struct shm_slot *)((char *)seg + g->sg_slots_off);
}

static inline struct shm_ring *
shm_seg_ring(void *seg, const struct shm_geom *g)
{
	return (struct shm_ring *)((char *)seg + g->sg_ring_off);
}

static inline struct shm_ack *
shm_seg_acks(void *seg)
{
	return (struct shm_ack *)((char *)seg + sizeof(struct shm_hdr));
}

/* ---- packing text and addresses into atomic words (writer: between seq begin/end) -- */

/*
 * Store len bytes of s (stopping early at a NUL) into nw words, NUL-padded.  Byte i goes
 * to bits 8*(i%8) of word i/8, so packing does not depend on host byte order.  Returns
 * true if s was longer than the field and got truncated.
 */
static inline bool
shm_pack_str(_Atomic uint64_t *w, size_t nw, const char *s, size_t len)
{
	size_t i, n = 0;
	uint64_t v;

	while (n < len && s[n] != '\0')
		n++;
	for (i = 0; i < nw * 8; i += 8) {
		size_t j;

		v = 0;
		for (j = 0; j < 8 && i + j < n; j++)
			v |= (uint64_t)(unsigned char)s[i + j] << (8 * j);
		atomic_store_explicit(&w[i / 8], v, memory_order_relaxed);
	}
	return n > nw * 8;
}

/* Inverse of shm_pack_str into out[nw * 8] (not NUL-terminated when full). */
static inline void
shm_unpack_str(const _Atomic uint64_t *w, size_t nw, char *out)
{
	size_t i, j;
	uint64_t v;

	for (i = 0; i < nw; i++) {
		v = atomic_load_explicit(&w[i], memory_order_relaxed);
		for (j = 0; j < 8; j++)
			out[i * 8 + j] = (char)(unsigned char)(v >> (8 * j));
	}
}

static inline void
shm_pack_addr(_Atomic uint64_t w[SHM_ADDR_WORDS], const struct shm_addr *a)
{
	uint64_t v[2] = { 0, 0 };
	int i;

	for (i = 0; i < 16; i++)
		v[i / 8] |= (uint64_t)a->sa_addr[i] << (8 * (i % 8));
	atomic_store_explicit(&w[0], (uint64_t)a->sa_family | (uint64_t)a->sa_port << 16,
	    memory_order_relaxed);
	atomic_store_explicit(&w[1], v[0], memory_order_relaxed);
	atomic_store_explicit(&w[2], v[1], memory_order_relaxed);
}

static inline void
shm_unpack_addr(const _Atomic uint64_t w[SHM_ADDR_WORDS], struct shm_addr *a)
{
	uint64_t w0, v[2];
	int i;

	w0 = atomic_load_explicit(&w[0], memory_order_relaxed);
	v[0] = atomic_load_explicit(&w[1], memory_order_relaxed);
	v[1] = atomic_load_explicit(&w[2], memory_order_relaxed);
	memset(a, 0, sizeof(*a));
	a->sa_family = (uint8_t)w0;
	a->sa_port = (uint16_t)(w0 >> 16);
	for (i = 0; i < 16; i++)
		a->sa_addr[i] = (uint8_t)(v[i / 8] >> (8 * (i % 8)));
}

/* sl_info: one byte each, so a new enumerator never moves its neighbours. */
struct shm_info {
	uint8_t		si_media;		/* enum cdr_media */
	uint8_t		si_proto;		/* enum cdr_proto */
	uint8_t		si_dialect[SHM_NLEGS];	/* enum cdr_dialect */
	uint8_t		si_role[SHM_NLEGS];	/* enum cdr_role */
	uint8_t		si_flags;		/* CDR_F_TRUNCATED set by the writer */
	uint8_t		si_closed_by;		/* enum cdr_closed_by, once known */
};

static inline uint64_t
shm_info_pack(const struct shm_info *i)
{
	return (uint64_t)i->si_media | (uint64_t)i->si_proto << 8 |
	    (uint64_t)i->si_dialect[0] << 16 | (uint64_t)i->si_dialect[1] << 24 |
	    (uint64_t)i->si_role[0] << 32 | (uint64_t)i->si_role[1] << 40 |
	    (uint64_t)i->si_flags << 48 | (uint64_t)i->si_closed_by << 56;
}

static inline void
shm_info_unpack(uint64_t v, struct shm_info *i)
{
	i->si_media = (uint8_t)v;
	i->si_proto = (uint8_t)(v >> 8);
	i->si_dialect[0] = (uint8_t)(v >> 16);
	i->si_dialect[1] = (uint8_t)(v >> 24);
	i->si_role[0] = (uint8_t)(v >> 32);
	i->si_role[1] = (uint8_t)(v >> 40);
	i->si_flags = (uint8_t)(v >> 48);
	i->si_closed_by = (uint8_t)(v >> 56);
}

#endif
