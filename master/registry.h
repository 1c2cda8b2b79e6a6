/*
 * The master's session registry: calls by call-id, one session per application-sharing
 * m-line, sessions by (handle, gen), and the worker/slot bookkeeping (docs/internals.md
 * "A session").  Also the pure helpers of the command handlers: dialect detection,
 * ICE credentials from random bytes, the rtpengine-shaped statistics of a session.
 *
 * Pure: no I/O, no clock, no randomness of its own (callers pass them in), no logging.
 * Allocation happens when a call or a session is created, never per message.
 */
#ifndef APPSHARE_REGISTRY_H
#define APPSHARE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <jansson.h>

#include "ipc_msg.h"
#include "sdp.h"
#include "shm_layout.h"

#define REG_UFRAG_LEN		8	/* relay ICE ufrag, characters */
#define REG_PWD_LEN		24	/* relay ICE password, characters */
#define REG_MAX_STREAMS		SDP_MAX_MEDIA	/* appsharing m-lines per call */
#define REG_REMOTE_MAX		IPC_MAX_ALLOWED	/* addresses a leg may connect to */

enum reg_sess_state {
	REG_SS_LIVE = 0,	/* in its call; the worker runs it */
	REG_SS_ENDING,		/* deleted or its worker died: waiting for IPC_SESS_DONE */
	REG_SS_STATE_MAX
};

struct reg_call;

struct reg_sess {
	uint32_t		 rs_handle;
	uint32_t		 rs_gen;
	enum reg_sess_state	 rs_state;
	struct reg_call		*rs_call;	/* NULL once detached (ENDING) */
	unsigned		 rs_ordinal;	/* n-th appsharing m-line of the call */
	unsigned		 rs_mline;	/* index of that m-line among all m-lines */
	unsigned		 rs_worker;
	uint32_t		 rs_slot;
	uint16_t		 rs_port[2];	/* leg A, leg B */
	uint8_t			 rs_dialect[2];	/* enum ipc_dialect we speak on each leg */
	uint8_t			 rs_active[2];	/* we connect on that leg */
	uint8_t			 rs_proto;	/* enum ipc_proto */
	uint8_t			 rs_worker_state;	/* enum ipc_sess_state */
	bool			 rs_tap;	/* IPC_TAP_FD sent, no IPC_TAP_STOP since */
	char			 rs_ufrag[2][REG_UFRAG_LEN + 1];
	char			 rs_pwd[2][REG_PWD_LEN + 1];
	uint64_t		 rs_tiebreaker[2];
	uint64_t		 rs_created_ms;	/* wall clock */
	/*
	 * Where a worker may ask us to connect on each leg (union of every SDP seen, at
	 * most REG_REMOTE_MAX): grown as needed, a handful in practice.
	 */
	struct ipc_addr		*rs_remote[2];
	unsigned		 rs_nremote[2];
	unsigned		 rs_capremote[2];
	TAILQ_ENTRY(reg_sess)	 rs_wentry;	/* its worker's list */
};
TAILQ_HEAD(reg_sess_list, reg_sess);

struct reg_call {
	char			 rc_call_id[IPC_CALLID_MAX + 1];
	char			 rc_from_tag[IPC_TAG_MAX + 1];
	char			 rc_to_tag[IPC_TAG_MAX + 1];	/* "" until the answer */
	uint64_t		 rc_created_ms;
	uint64_t		 rc_last_signal_ms;
	struct reg_sess		*rc_sess[REG_MAX_STREAMS];	/* by ordinal */
	unsigned		 rc_nsess;	/* highest ordinal + 1 */
	unsigned		 rc_live;	/* non-NULL entries */
	struct reg_call		*rc_hnext;	/* hash chain */
	TAILQ_ENTRY(reg_call)	 rc_entry;	/* creation order, for "list" */
};
TAILQ_HEAD(reg_call_list, reg_call);

struct reg_worker {
	bool			 rw_up;		/* may take new sessions */
	unsigned		 rw_nsess;	/* sessions holding a slot */
	uint32_t		*rw_free;	/* stack of free slots */
	uint32_t		 rw_nfree;
	struct reg_sess_list	 rw_sessions;
};

struct registry {
	unsigned		 rg_nworkers;
	uint32_t		 rg_nslots;	/* per worker */
	struct reg_worker	*rg_w;
	unsigned		 rg_rr;		/* round robin among equals */
	struct reg_call		**rg_hash;
	size_t			 rg_hsize;	/* power of two */
	struct reg_call_list	 rg_calls;
	size_t			 rg_ncalls;
	struct reg_sess		**rg_handles;	/* handle = index + 1 */
	uint32_t		 rg_hcap;
	uint32_t		*rg_hfree;	/* stack of free indexes */
	uint32_t		 rg_nhfree;
	uint32_t		 rg_gen;	/* last generation handed out */
	uint32_t		 rg_live;	/* sessions in state LIVE */
	uint32_t		 rg_total;	/* sessions ever created */
};

/* 0, or -1 if out of memory. */
int	reg_init(struct registry *, unsigned nworkers, uint32_t nslots);
void	reg_free(struct registry *);

struct reg_call	*reg_call_find(struct registry *, const char *call_id);
/* A new empty call; NULL if out of memory. */
struct reg_call	*reg_call_new(struct registry *, const char *call_id, const char *from_tag,
		    uint64_t now_ms);
/* Forget a call: its sessions must have been detached (reg_sess_end) first. */
void		 reg_call_free(struct registry *, struct reg_call *);

/*
 * A new session for ordinal n of call: a handle, a generation, a worker (fewest
 * sessions, round robin among equals) and a slot there.  NULL when no worker has a
 * free slot (or out of memory).
 */
struct reg_sess	*reg_sess_new(struct registry *, struct reg_call *, unsigned ordinal);
struct reg_sess	*reg_sess_find(struct registry *, uint32_t handle, uint32_t gen);
/* Detach from its call and mark ENDING (delete, worker lost); idempotent. */
void		 reg_sess_end(struct registry *, struct reg_sess *);
/* The worker is done with it: free slot and handle.  Ports are the caller's. */
void		 reg_sess_free(struct registry *, struct reg_sess *);
/* Record an address the worker may later ask to connect to on leg; false if full
 * (REG_REMOTE_MAX) or out of memory. */
bool		 reg_sess_add_remote(struct reg_sess *, unsigned leg, const struct ipc_addr *);
bool		 reg_sess_remote_ok(const struct reg_sess *, unsigned leg,
		    const struct ipc_addr *);

void		 reg_worker_set_up(struct registry *, unsigned worker, bool up);

/* ---- pure helpers of the command handlers ------------------------------------ */

/*
 * The dialect a party speaks, from its candidates: TCP-PASS/TCP-ACT -> MS-ICE2,
 * tcptype -> RFC 6544, no TCP candidate at all -> RFC 4145 (plain TCP).
 */
enum ipc_dialect	reg_dialect_detect(const struct cand *, size_t n);
const char		*reg_dialect_name(enum ipc_dialect);

/*
 * n characters of [A-Za-z0-9+/] into out (n + 1 bytes) from rnd (n bytes of random):
 * 64 symbols, so every byte gives 6 unbiased bits.
 */
void	reg_ice_chars(const uint8_t *rnd, size_t n, char *out);

/* What the statistics of one leg say (from a slot snapshot, or zeros). */
struct reg_leg_stats {
	const char	*ls_tag;	/* "" for a party without a tag yet */
	uint16_t	 ls_local_port;
	struct shm_addr	 ls_remote;	/* family SHM_AF_NONE if not connected */
	uint64_t	 ls_packets;	/* frames received from this party */
	uint64_t	 ls_bytes;
	uint64_t	 ls_stun;
};

/*
 * Add one stream to an rtpengine-shaped statistics reply (control-protocol.md 1.6):
 * totals.RTP += packets/bytes of both legs; tags[tag].medias gets
 * {index, type, protocol, streams: [{local port, endpoint, stats}]}.  reply must
 * already hold "totals" and "tags" (reg_stats_begin()).  0 or -1 (out of memory).
 */
int	reg_stats_begin(json_t *reply, uint64_t created_ms, uint64_t last_signal_ms);
int	reg_stats_add(json_t *reply, unsigned mline_index, enum ipc_proto,
	    const struct reg_leg_stats legs[2]);

#endif
