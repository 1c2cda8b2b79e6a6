/*
 * Worker internals: the worker's state, sessions, legs and connections
 * (architecture.md B3 worker/).  One session = two legs (A offerer, B answerer); a leg
 * has a listener, up to ICE_MAX_CONNS TCP connections, an ICE agent (not for RFC 4145)
 * and the source-address policy of its peer.
 *
 * Memory (docs/performance.md): an idle established session holds no buffer.  A
 * connection borrows a receive buffer of one maximal RFC 4571 frame for a read and
 * gives it back once every complete frame is handled; it keeps it only while a frame
 * is incomplete.  Relayed frames are written straight from that buffer; only what the
 * socket does not take is queued in an output buffer, which grows by doubling up to
 * WK_OUT_MAX and is freed once drained.  Connection slots and the ICE agent are
 * allocated when first used; the agent's action list is one per worker (leg.c).
 */
#ifndef APPSHARE_WORKER_SESS_H
#define APPSHARE_WORKER_SESS_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr_policy.h"
#include "frame.h"
#include "ice.h"
#include "ipc_msg.h"
#include "ring.h"
#include "shm_layout.h"
#include "snapshot.h"

struct event;
struct event_base;
struct ipc_chan;
struct tap;

#define WK_RXBUF	(FRAME_HDR_LEN + FRAME_MAX)	/* one maximal frame */
#define WK_OUT_INIT	(16 * 1024)
#define WK_OUT_HIGH	(256 * 1024)	/* above: stop reading the other leg */
#define WK_OUT_LOW	(64 * 1024)	/* below: read it again */
#define WK_OUT_MAX	(4 * 1024 * 1024)	/* above: close with reason overflow */
#define WK_HOLD_MAX	(256 * 1024)	/* media held until the other leg is up */
#define WK_NCONN	ICE_MAX_CONNS
#define WK_ACCEPT_BURST	16

/* Output (and hold) buffer: bytes [ob_off, ob_off + ob_len) of ob_buf. */
struct obuf {
	uint8_t		*ob_buf;
	size_t		 ob_cap;
	size_t		 ob_off;
	size_t		 ob_len;
};

enum conn_state {
	CONN_FREE = 0,
	CONN_WAIT_SOCK,		/* IPC_SOCK_REQ sent, waiting for the master's socket */
	CONN_CONNECTING,	/* non-blocking connect() in progress */
	CONN_OPEN,
	CONN_STATE_MAX
};

/* Why a connection does not read (bits). */
#define CONN_P_THROTTLE	0x1	/* the other leg's output is above the high-water mark */
#define CONN_P_HOLD	0x2	/* its hold buffer is full: the other leg is not up */

struct leg;

struct conn {
	struct leg		*cn_leg;
	int			 cn_id;		/* ICE conn id (slot index) */
	enum conn_state		 cn_state;
	int			 cn_fd;
	uint32_t		 cn_serial;	/* bumped on every open/close */
	uint32_t		 cn_tag;	/* IPC_SOCK_REQ tag while WAIT_SOCK */
	bool			 cn_active;	/* we connected */
	unsigned		 cn_pause;	/* CONN_P_* */
	bool			 cn_rd_on;	/* read event added */
	bool			 cn_wr_on;	/* write event added */
	struct event		*cn_rev;
	struct event		*cn_wev;
	uint8_t			*cn_rxbuf;	/* WK_RXBUF while borrowed, else NULL */
	struct frame_rx		 cn_rx;
	struct obuf		 cn_out;
	struct sockaddr_storage	 cn_peer;
	struct sockaddr_storage	 cn_local;
};

struct sess;

struct leg {
	struct sess		*lg_sess;
	int			 lg_idx;	/* SHM_LEG_A or SHM_LEG_B */
	char			 lg_name;	/* 'A' or 'B' */
	uint32_t		 lg_dialect;	/* enum ipc_dialect */
	bool			 lg_active;	/* we connect (initiate-tcp) */
	bool			 lg_plain;	/* RFC 4145: no agent */
	bool			 lg_remote;	/* IPC_SESS_REMOTE seen */
	bool			 lg_plain_req;	/* RFC 4145 active: socket asked for */
	struct ipc_addr		 lg_plain_peer;
	struct pol_leg		*lg_pol;	/* until the leg is up (leg_unlisten()) */
	int			 lg_lfd;
	struct event		*lg_lev;
	int			 lg_sel;	/* selected conn, -1 until up */
	bool			 lg_up;
	uint64_t		 lg_last_rx;	/* monotonic ms, selected conn */
	struct obuf		 lg_hold;
	uint64_t		 lg_frames[SHM_NDIRS];
	uint64_t		 lg_octets[SHM_NDIRS];
	uint64_t		 lg_stun[SHM_NDIRS];
	uint64_t		 lg_dropped;	/* media from a non-selected conn */
	uint64_t		 lg_stun_dropped;	/* STUN the agent refused */
	struct ice_agent	*lg_ice;	/* NULL on a plain leg */
	struct conn		*lg_conn[WK_NCONN];	/* by ICE conn id, NULL until used */
};

enum sess_state {
	SESS_ICE = 0,
	SESS_RELAYING,
	SESS_ENDED,
	SESS_STATE_MAX
};

struct sess {
	TAILQ_ENTRY(sess)	 s_entry;
	uint32_t		 s_handle;
	uint32_t		 s_gen;
	uint32_t		 s_slot;
	enum sess_state		 s_state;
	uint64_t		 s_start;	/* monotonic ms */
	uint32_t		 s_ice_ms;
	uint32_t		 s_idle_ms;
	uint32_t		 s_next_tag;
	enum cdr_reason		 s_reason;
	char			 s_callid[IPC_CALLID_MAX + 1];
	struct snap		 s_snap;	/* what publish.c writes to the slot */
	struct event		*s_timer;
	uint64_t		 s_timer_at;	/* deadline armed (monotonic ms), 0: none */
	struct tap		*s_tap;		/* pcap tap, NULL when not recording */
	struct leg		 s_leg[SHM_NLEGS];
};
TAILQ_HEAD(sess_list, sess);

/* A final record that found the ring full. */
struct pub_pending {
	TAILQ_ENTRY(pub_pending) pp_entry;
	uint32_t		 pp_handle;
	uint32_t		 pp_gen;
	uint32_t		 pp_slot;
	struct cdr_rec		 pp_rec;
};
TAILQ_HEAD(pub_list, pub_pending);

struct worker {
	struct event_base	*wk_base;
	struct ipc_chan		*wk_chan;
	unsigned		 wk_index;
	bool			 wk_have_conf;
	bool			 wk_ready;
	uint32_t		 wk_epoch;
	uint64_t		 wk_boot_id;
	struct ipc_child_conf	 wk_conf;
	/* own segment, RW */
	void			*wk_seg;
	size_t			 wk_seg_len;
	struct shm_geom		 wk_geom;
	struct shm_hdr		*wk_hdr;
	struct shm_totals	*wk_tot;
	struct shm_slot		*wk_slots;
	bool			*wk_slot_used;
	/* ack segment, RO: our ring tail */
	const void		*wk_ack;
	size_t			 wk_ack_len;
	_Atomic uint64_t	 wk_tail_none;	/* stands in until the ack segment comes */
	struct ring_prod	 wk_ring;
	struct event		*wk_tick;
	struct event		*wk_ackwait;
	void			*wk_tree;	/* tsearch() by handle */
	struct sess_list	 wk_sessions;
	struct pub_list		 wk_backlog;
	uint64_t		 wk_nbacklog;
	bool			 wk_in_hook;
	/*
	 * Per-frame and per-read counters stay in private memory; pub_totals() copies them
	 * to the shared totals, so the relay loop never touches a line the master reads.
	 */
	uint64_t		 wk_frames_in;
	uint64_t		 wk_frames_out;
	uint64_t		 wk_bytes_in;
	uint64_t		 wk_bytes_out;
};

extern struct worker	*wk;

uint64_t	 wk_now(void);		/* monotonic ms */
uint64_t	 wk_realtime(void);	/* realtime ms */
void		 wk_count(_Atomic uint64_t *, uint64_t);	/* rare events only */
void		 wk_send(uint16_t type, const struct sess *, const void *, size_t, int fd);
void		 wk_send_raw(uint16_t type, uint32_t handle, uint32_t gen, const void *,
		    size_t);

/* sess.c */
struct sess	*sess_find(uint32_t handle, uint32_t gen, const char *what);
void		 sess_new(uint32_t handle, uint32_t gen, const struct ipc_sess_new *);
void		 sess_close(struct sess *, enum cdr_reason, int closed_by);
void		 sess_timer_arm(struct sess *);
void		 sess_leg_up(struct leg *, int conn);
void		 sess_end_all(enum cdr_reason);
const char	*sess_state_str(enum sess_state);

/* obuf helpers (relay.c) */
int		 obuf_append(struct obuf *, const void *, size_t, const void *, size_t,
		    size_t max);
void		 obuf_consume(struct obuf *, size_t);
void		 obuf_free(struct obuf *);

/* relay.c */
/* nframes whole frames (prefixes included, contiguous) from l's selected conn c. */
void		 relay_media(struct leg *, struct conn *, const uint8_t *frames, size_t len,
		    unsigned nframes, uint64_t now);
void		 relay_hold_flush(struct sess *);
int		 relay_queue_stun(struct conn *, const uint8_t *msg, size_t len);
void		 relay_flush(struct conn *);
void		 relay_flush_sess(struct sess *);
void		 relay_pause(struct conn *, unsigned why);
void		 relay_resume(struct conn *, unsigned why);

/* publish.c */
void		 pub_slot(struct sess *);
void		 pub_final(struct sess *, enum cdr_reason);
void		 pub_retry(void);
void		 pub_tick(void);
void		 pub_totals(void);

#endif
