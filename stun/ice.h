/*
 * ICE agent for one leg over TCP (RFC 8445 + RFC 6544, or MS-ICE2 as spoken by
 * Lync/SfB; protocol.md sections 2 and 3, decisions D2, D5, D7, D8, D12, D13).
 *
 * Sans-I/O: the caller feeds events (accepted/connected/closed connections, bare STUN
 * messages, ticks) with the current time in milliseconds, and performs the actions the
 * agent writes into a struct ice_out.  The agent never reads a clock, never owns a
 * socket or a timer, never logs and never allocates: struct ice_agent is provided by the
 * caller and every table in it has a fixed size (limits below).
 *
 * Every entry point that takes a struct ice_out clears it first and fills it with the
 * actions to perform, in order.  What the adapter does with each action:
 *
 *   ICE_ACT_SEND      write ac_data/ac_len (one bare STUN message) on connection ac_conn,
 *                     with the RFC 4571 length prefix in front.
 *   ICE_ACT_CONNECT   open a TCP connection to ac_addr and call ice_on_connected() when
 *                     it is up, ice_on_closed() if it fails.  ac_conn names it from now on.
 *   ICE_ACT_CLOSE     close connection ac_conn (ac_reason says why).  No event for this
 *                     id must be reported afterwards; the id may be reused later.
 *   ICE_ACT_SELECTED  ICE is complete: ac_conn carries media from now on (RTP/RTCP frames
 *                     go there; keep passing its STUN frames to ice_on_stun()).
 *   ICE_ACT_FAILED    the leg is dead (ac_reason).  The agent is inert from now on; the
 *                     adapter closes every connection of the leg.
 *
 * After every call, re-arm the leg's single timer at ice_next_deadline() and call
 * ice_on_tick() when it fires.  Tell the agent about media with ice_on_sent() and
 * ice_on_received() so that keepalive and dead timers see it.
 */
#ifndef APPSHARE_ICE_H
#define APPSHARE_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "stun.h"

/*
 * Limits.  Connections: TCP connections of the leg at one time (accepted and ours), D12
 * expects a handful (Edge relay + direct + component 2).  Remote candidates: more are
 * ignored (counted).  Ufrag and password: RFC 8445 allows up to 256 characters.
 */
#define ICE_MAX_CONNS		8
#define ICE_MAX_REMOTE		16
#define ICE_MAX_TX		(2 * ICE_MAX_CONNS)	/* one check + one keepalive per conn */
#define ICE_UFRAG_MAX		256
#define ICE_PWD_MAX		256
#define ICE_FOUNDATION_MAX	32
/* Largest message the agent builds: USERNAME of two maximal ufrags plus the rest. */
#define ICE_MSG_MAX		700
/* Most actions one call can produce: a CLOSE per connection plus a few others. */
#define ICE_OUT_MAX		(ICE_MAX_CONNS + 8)

/*
 * Response cache.  libnice's MS mode sends each check twice with one transaction id
 * (protocol.md 2.5, D7); the duplicate gets the bytes of the first answer back instead
 * of being processed again.  One cache serves the whole agent: the answers sit one after
 * the other in a ring of ICE_RESP_POOL bytes, at most ICE_RESP_CACHE of them, each tagged
 * with its connection and transaction id; a new answer replaces the oldest ones it
 * needs room from, and a closed connection's answers are forgotten, so that a reused
 * conn id never gets another connection's bytes.
 *
 * The largest answer: header 20, XOR-MAPPED-ADDRESS 24 (IPv6), USERNAME 4 + 516 (MS
 * echoes the peer's as received: our ufrag, ':', its ufrag, NUL padded),
 * IMPLEMENTATION-VERSION 8, MESSAGE-INTEGRITY 24, FINGERPRINT 8: 604.  Error responses
 * are at most 84 (487 "Role Conflict").  Nothing stops a peer from padding USERNAME
 * further, so answers are bounded only by ICE_MSG_MAX, and ICE_RESP_MAX says so: every
 * answer the agent builds can be cached; a longer one would not be (never truncated).
 * Typical answers (short ufrags) are 56 to 100 bytes: the pool holds one answer of any
 * size or ICE_RESP_CACHE typical ones.
 */
#define ICE_RESP_MAX		ICE_MSG_MAX
#define ICE_RESP_CACHE		8
#define ICE_RESP_POOL		800

enum ice_role {
	ICE_CONTROLLED = 0,
	ICE_CONTROLLING,
	ICE_ROLE_MAX
};

enum ice_dialect {
	ICE_DIALECT_RFC = 0,	/* RFC 8445/6544: RFC MI rule, indications as keepalives */
	ICE_DIALECT_MSICE2,	/* Lync/SfB: padded USERNAME, 0x8054, 0x8070, MS MI rule */
	ICE_DIALECT_MAX
};

enum ice_nomination {
	ICE_NOM_REGULAR = 0,	/* nominate a pair once it is valid */
	/*
	 * Checks carry USE-CANDIDATE and the first valid pair wins, but only one
	 * nomination is in flight at a time, or the controlled side could pick another.
	 */
	ICE_NOM_AGGRESSIVE,
	ICE_NOM_MAX
};

enum ice_tcptype {
	ICE_TCP_ACTIVE = 0,
	ICE_TCP_PASSIVE,
	ICE_TCP_SO,
	ICE_TCP_MAX
};

enum ice_state {
	ICE_ST_CHECKING = 0,
	ICE_ST_COMPLETED,
	ICE_ST_FAILED,
	ICE_ST_MAX
};

/* Why a connection was closed or the leg failed. */
enum ice_reason {
	ICE_R_NONE = 0,
	ICE_R_COMPLETION_TIMEOUT,	/* no pair selected within ip_complete_ms */
	ICE_R_DEAD,			/* selected conn: nothing received for ip_dead_ms */
	ICE_R_CHECK_FAILED,		/* our check got an error response */
	ICE_R_CHECK_TIMEOUT,		/* our check got no response in ip_check_timeout_ms */
	ICE_R_NOT_SELECTED,		/* another conn was selected; grace period over */
	ICE_R_SELECTED_CLOSED,		/* the selected connection went away */
	ICE_R_MAX
};

/* Why an incoming message was dropped without an answer (counters, debug logs). */
enum ice_drop {
	ICE_DROP_MALFORMED = 0,		/* stun_decode() failed (incl. bad FINGERPRINT) */
	ICE_DROP_METHOD,		/* not a Binding message */
	ICE_DROP_NO_FINGERPRINT,	/* request without FINGERPRINT (2.5) */
	ICE_DROP_NO_USERNAME,		/* request without USERNAME (MS-ICE2, 2.4) */
	ICE_DROP_UNMATCHED,		/* response to no pending check of ours */
	ICE_DROP_BAD_INTEGRITY,		/* response whose MESSAGE-INTEGRITY fails */
	ICE_DROP_STATE,			/* conn not open, or agent failed */
	ICE_DROP_NO_ROOM,		/* no transaction slot / output full */
	ICE_DROP_MAX
};

enum ice_rc {
	ICE_OK = 0,
	ICE_E_ARG = -1,		/* bad argument (sizes, NULL, unknown conn id) */
	ICE_E_FULL = -2,	/* no free connection slot */
	ICE_E_STATE = -3,	/* not possible in this state (agent failed, conn not open) */
	ICE_E_DROPPED = -4,	/* message dropped; reason in ice_last_drop() and counters */
};

struct ice_creds {
	char		cr_ufrag[ICE_UFRAG_MAX + 1];
	char		cr_pwd[ICE_PWD_MAX + 1];
};

/* What we put in PRIORITY and CANDIDATE-IDENTIFIER for one TCP direction. */
struct ice_local_cand {
	uint32_t	lc_priority;
	char		lc_foundation[ICE_FOUNDATION_MAX + 1];
};

struct ice_params {
	enum ice_role		ip_role;
	enum ice_dialect	ip_dialect;
	enum ice_nomination	ip_nomination;
	uint64_t		ip_tiebreaker;
	struct ice_creds	ip_local;
	bool			ip_passive;	/* we accept connections (TCP-PASS) */
	bool			ip_active;	/* we connect to the peer's passive candidates */
	struct ice_local_cand	ip_cand_passive;	/* used on accepted conns */
	struct ice_local_cand	ip_cand_active;		/* used on conns we opened */
	uint32_t		ip_ta_ms;		/* pacing of new connections */
	uint32_t		ip_check_timeout_ms;	/* no retransmits over TCP */
	uint32_t		ip_complete_ms;		/* D13: 120000 */
	uint32_t		ip_keepalive_ms;	/* D13: send-idle 15000 */
	uint32_t		ip_dead_ms;		/* D13: receive-idle 30000 */
	uint32_t		ip_grace_ms;		/* D12: 5000 */
	void			(*ip_rand)(void *ctx, void *buf, size_t len);
	void			*ip_rand_ctx;
};

struct ice_cand {
	struct sockaddr_storage	ca_addr;	/* address and port */
	unsigned		ca_component;	/* 1 RTP, 2 RTCP (recorded, never used: D5) */
	uint32_t		ca_priority;
	enum ice_tcptype	ca_tcptype;
	char			ca_foundation[ICE_FOUNDATION_MAX + 1];
};

enum ice_act_type {
	ICE_ACT_SEND = 0,
	ICE_ACT_CONNECT,
	ICE_ACT_CLOSE,
	ICE_ACT_SELECTED,
	ICE_ACT_FAILED,
	ICE_ACT_MAX
};

struct ice_action {
	enum ice_act_type	ac_type;
	int			ac_conn;	/* -1 for FAILED */
	enum ice_reason		ac_reason;	/* CLOSE, FAILED */
	struct sockaddr_storage	ac_addr;	/* CONNECT */
	const uint8_t		*ac_data;	/* SEND: points into the ice_out */
	size_t			ac_len;
};

struct ice_out {
	size_t			io_n;
	struct ice_action	io_act[ICE_OUT_MAX];
	size_t			io_used;
	uint8_t			io_buf[ICE_OUT_MAX * ICE_MSG_MAX];
};

/* Counters for the CDR ("STUN messages per direction") and debugging. */
struct ice_stats {
	uint64_t	st_req_in;
	uint64_t	st_req_out;
	uint64_t	st_resp_in;	/* success responses */
	uint64_t	st_resp_out;
	uint64_t	st_err_in;	/* error responses */
	uint64_t	st_err_out;
	uint64_t	st_ind_in;
	uint64_t	st_ind_out;
	uint64_t	st_dup_in;	/* duplicate requests answered from the cache */
	uint64_t	st_role_switch;
	uint64_t	st_remote_ignored;	/* candidates beyond ICE_MAX_REMOTE */
	uint64_t	st_drop[ICE_DROP_MAX];
};

/* Internal tables; callers only provide the storage. */

/* A stored address: only IPv4 and IPv6 ever need answering or connecting to. */
union ice_sa {
	struct sockaddr		sa;
	struct sockaddr_in	in4;
	struct sockaddr_in6	in6;
};

/* One cached answer: ag_resp_buf[rs_off .. rs_off + rs_len). */
struct ice_resp {
	uint16_t	rs_off;
	uint16_t	rs_len;		/* 0: entry unused */
	uint8_t		rs_conn;
	uint8_t		rs_tid[STUN_TID_LEN];
};

enum ice_chk {
	ICE_CHK_NONE = 0,	/* no check of ours on this conn yet */
	ICE_CHK_WAIT,		/* due, waiting for remote credentials */
	ICE_CHK_INFLIGHT,
	ICE_CHK_OK,		/* our check succeeded: the pair is valid */
	ICE_CHK_MAX
};

enum ice_conn_state {
	ICE_CONN_FREE = 0,
	ICE_CONN_CONNECTING,	/* CONNECT emitted, waiting for ice_on_connected() */
	ICE_CONN_OPEN,
	ICE_CONN_STATE_MAX
};

struct ice_conn {
	uint64_t		cn_last_sent;
	uint64_t		cn_last_recv;
	uint64_t		cn_close_at;	/* grace end after selection, or 0 */
	union ice_sa		cn_peer;
	union ice_sa		cn_local;
	uint32_t		cn_peer_prio;	/* PRIORITY from the peer's checks */
	uint8_t			cn_state;	/* enum ice_conn_state */
	uint8_t			cn_chk;		/* enum ice_chk */
	uint8_t			cn_peer_rule;	/* enum stun_mi_rule the peer's MI used */
	int8_t			cn_remote;	/* remote cand index (active), else -1 */
	bool			cn_active;	/* we opened it */
	bool			cn_in_ok;	/* answered a valid check from the peer */
	bool			cn_nominated;
	bool			cn_peer_impl;	/* peer sends IMPLEMENTATION-VERSION */
};

struct ice_tx {
	uint64_t	tx_deadline;
	uint8_t		tx_tid[STUN_TID_LEN];
	int8_t		tx_conn;
	uint8_t		tx_role;	/* role when sent, for 487 (RFC 8445 7.2.5.1) */
	bool		tx_used : 1;
	bool		tx_use_cand : 1;
	bool		tx_keepalive : 1;
};

enum ice_rcand_state {
	ICE_RC_IGNORED = 0,	/* not ours to connect to (component 2, active, so) */
	ICE_RC_PENDING,		/* CONNECT still to be issued */
	ICE_RC_TRIED,
	ICE_RC_STATE_MAX
};

/* What the agent keeps of a remote candidate after ice_set_remote(). */
struct ice_rcand {
	union ice_sa		rc_addr;
	uint32_t		rc_priority;
	enum ice_rcand_state	rc_state;
};

struct ice_agent {
	struct ice_params	ag_p;
	uint64_t		ag_start;
	uint64_t		ag_now;		/* latest `now` seen */
	uint64_t		ag_next_connect;
	struct ice_stats	ag_stats;
	struct ice_conn		ag_conn[ICE_MAX_CONNS];
	struct ice_tx		ag_tx[ICE_MAX_TX];
	struct ice_rcand	ag_rcand[ICE_MAX_REMOTE];
	enum ice_role		ag_role;
	enum ice_state		ag_state;
	enum ice_reason		ag_reason;
	enum ice_drop		ag_last_drop;
	int			ag_selected;
	uint8_t			ag_nremote;
	bool			ag_have_remote;
	uint8_t			ag_resp_next;	/* entry to reuse next */
	uint16_t		ag_resp_head;	/* where the next answer goes */
	struct ice_resp		ag_resp[ICE_RESP_CACHE];
	struct ice_creds	ag_remote;
	uint8_t			ag_resp_buf[ICE_RESP_POOL];
};

/* Fill p with the defaults of D12/D13 (Ta 50, check 8000, 120000/15000/30000/5000). */
void		 ice_params_default(struct ice_params *p);
/* ICE_E_ARG if a credential or foundation is too long or empty, or ip_rand is NULL. */
int		 ice_init(struct ice_agent *, const struct ice_params *, uint64_t now);

/*
 * Remote credentials and candidates (from the peer's SDP).  May come after the peer's
 * first checks: those are answered at once, and our triggered checks go out here.
 * A second call replaces the candidate list (no ICE restart support).
 */
int		 ice_set_remote(struct ice_agent *, uint64_t now, const struct ice_creds *,
		    const struct ice_cand *, size_t ncand, struct ice_out *);

/* The adapter accepted a connection on our passive port: returns a conn id or ICE_E_*. */
/* (Nothing is sent before the peer's first check, so out comes back empty.) */
int		 ice_on_accept(struct ice_agent *, uint64_t now,
		    const struct sockaddr_storage *peer, const struct sockaddr_storage *local,
		    struct ice_out *);
int		 ice_on_connected(struct ice_agent *, uint64_t now, int conn,
		    const struct sockaddr_storage *local, struct ice_out *);
/* Connection failed to open, was reset or closed by the peer. */
int		 ice_on_closed(struct ice_agent *, uint64_t now, int conn, struct ice_out *);
/* One bare STUN message (RFC 4571 prefix removed) received on conn. */
int		 ice_on_stun(struct ice_agent *, uint64_t now, int conn, const uint8_t *msg,
		    size_t len, struct ice_out *);
/* Non-STUN frames sent / received on conn, for the keepalive and dead timers. */
void		 ice_on_sent(struct ice_agent *, uint64_t now, int conn);
void		 ice_on_received(struct ice_agent *, uint64_t now, int conn);
int		 ice_on_tick(struct ice_agent *, uint64_t now, struct ice_out *);
/* Absolute time of the next thing to do, or UINT64_MAX. */
uint64_t	 ice_next_deadline(const struct ice_agent *);

enum ice_state	 ice_state(const struct ice_agent *);
enum ice_role	 ice_role(const struct ice_agent *);
int		 ice_selected_conn(const struct ice_agent *);	/* -1 if none */
enum ice_reason	 ice_failure(const struct ice_agent *);
enum ice_drop	 ice_last_drop(const struct ice_agent *);
const struct ice_stats *ice_stats(const struct ice_agent *);

const char	*ice_strerror(int rc);
const char	*ice_reason_str(enum ice_reason);
const char	*ice_drop_str(enum ice_drop);
const char	*ice_state_str(enum ice_state);
const char	*ice_action_str(enum ice_act_type);

#endif
