/*
 * Messages between appshare-master, its workers and the CDR writer (architecture.md B5).
 *
 * Every message is one SOCK_SEQPACKET datagram: struct ipc_hdr, then a fixed-size
 * payload struct (exact size checked by the receiver, ipc_check.c), with at most one
 * descriptor attached where the table says so.  Types live in numbered ranges that are
 * never renumbered; the child's first message is IPC_HELLO carrying IPC_VERSION.
 *
 * Strings are fixed-size arrays that must contain a NUL (checked by the receiver).
 * Sessions are named by (hdr.handle, hdr.gen); a message for a handle that no longer
 * exists is "expired", logged at debug and dropped (conventions.md 5).
 */
#ifndef APPSHARE_IPC_MSG_H
#define APPSHARE_IPC_MSG_H

#include <stddef.h>
#include <stdint.h>

#define IPC_VERSION		1u
#define IPC_MAX_MSG		16384	/* header + payload */

#define IPC_F_FD		0x0001	/* a descriptor is attached */

struct ipc_hdr {
	uint16_t	ih_type;
	uint16_t	ih_flags;
	uint32_t	ih_len;		/* payload length, header excluded */
	uint32_t	ih_handle;	/* session handle, or 0 */
	uint32_t	ih_gen;		/* session generation, or 0 */
};
_Static_assert(sizeof(struct ipc_hdr) == 16, "ipc_hdr is part of the wire format");

enum ipc_role {
	IPC_ROLE_MASTER = 0,
	IPC_ROLE_WORKER,
	IPC_ROLE_CDRD,
	IPC_ROLE_MAX
};

enum ipc_type {
	/* 0x01xx control */
	IPC_HELLO		= 0x0101,	/* child -> master */
	IPC_HELLO_ACK		= 0x0102,	/* master -> child */
	IPC_SHM_FD		= 0x0103,	/* master -> child, + fd */
	IPC_LOG			= 0x0104,	/* child -> master */
	IPC_VERBOSE		= 0x0105,	/* master -> child */
	IPC_SHUTDOWN		= 0x0106,	/* master -> child, empty */
	IPC_READY		= 0x0107,	/* child -> master, empty: sandbox is on */
	IPC_DEBUG_FAULT		= 0x0108,	/* master -> worker, empty: test hook */

	/* 0x02xx session, master -> worker */
	IPC_SESS_NEW		= 0x0201,
	IPC_SESS_FD		= 0x0202,	/* + fd */
	IPC_SESS_REMOTE		= 0x0203,
	IPC_SESS_END		= 0x0204,
	IPC_SOCK_FAIL		= 0x0205,

	/* 0x03xx session, worker -> master */
	IPC_SESS_STATE		= 0x0301,
	IPC_SESS_DONE		= 0x0302,
	IPC_SOCK_REQ		= 0x0303,

	/* 0x04xx files */
	IPC_CDR_FD		= 0x0401,	/* master -> cdrd, + fd */
	IPC_CDR_ROTATE		= 0x0402,	/* cdrd -> master */
	IPC_TAP_FD		= 0x0403,	/* master -> worker, + fd: tap a session */
	IPC_TAP_STOP		= 0x0404,	/* master -> worker, empty: stop tapping */

	/* 0x05xx lifecycle */
	IPC_WORKER_GONE		= 0x0501,	/* master -> cdrd */
	IPC_WORKER_DRAINED	= 0x0502,	/* cdrd -> master */
	IPC_CDR_KICK		= 0x0503,	/* master -> cdrd, empty: records may be waiting */
};

/* Limits shared with the pure libraries (asserted where both are visible). */
#define IPC_CALLID_MAX		128
#define IPC_TAG_MAX		64
#define IPC_UFRAG_MAX		256
#define IPC_PWD_MAX		256
#define IPC_FOUNDATION_MAX	32
#define IPC_MAX_CANDS		16	/* = ICE_MAX_REMOTE */
#define IPC_MAX_ALLOWED		64	/* = POL_PEER_MAX */
#define IPC_LOG_MAX		512
#define IPC_NAME_MAX		256

/* An IP address and port; family is AF_INET, AF_INET6, or 0 for "none". */
struct ipc_addr {
	uint16_t	ia_family;
	uint16_t	ia_port;	/* host byte order */
	uint8_t		ia_addr[16];	/* IPv4 in the first 4 bytes */
};

/* IPC_HELLO: the child's first message. */
struct ipc_hello {
	uint32_t	he_version;	/* IPC_VERSION */
	uint32_t	he_role;	/* enum ipc_role */
	uint32_t	he_instance;	/* worker index, 0 for cdrd */
	uint32_t	he_pid;
};

/* Settings a child needs, sent once in IPC_HELLO_ACK (live sessions keep their own). */
struct ipc_child_conf {
	uint32_t	cc_verbose;
	uint32_t	cc_n_workers;
	uint32_t	cc_n_slots;		/* slots per worker segment */
	uint32_t	cc_ring_len;		/* final records per worker ring */
	uint64_t	cc_cdr_rotate_size;	/* bytes, 0 = never */
	uint64_t	cc_cdr_rotate_age_ms;	/* 0 = never */
	uint32_t	cc_debug_hooks;		/* IPC_DEBUG_FAULT allowed */
	uint32_t	cc_sandbox;		/* enum sbx_mode (policy/sandbox.h) */
};

/* IPC_HELLO_ACK */
struct ipc_hello_ack {
	uint32_t		ha_version;
	uint32_t		ha_epoch;	/* this worker incarnation (shm_hdr.epoch) */
	uint64_t		ha_boot_id;
	struct ipc_child_conf	ha_conf;
};

/* IPC_SHM_FD: which segment the attached memfd is. */
enum ipc_shm_kind {
	IPC_SHM_WORKER_RW = 0,	/* to a worker: its own segment */
	IPC_SHM_WORKER_RO,	/* to cdrd: a worker's segment, read-only */
	IPC_SHM_ACK_RW,		/* to cdrd: the ack segment */
	IPC_SHM_ACK_RO,		/* to a worker: the ack segment read-only (its ring tail) */
	IPC_SHM_KIND_MAX
};
struct ipc_shm_fd {
	uint32_t	sf_kind;	/* enum ipc_shm_kind */
	uint32_t	sf_index;	/* worker index */
	uint32_t	sf_epoch;
	uint32_t	sf_pad;
	uint64_t	sf_size;	/* bytes to map */
};

/* IPC_LOG: a sandboxed child's log line, written by the master (conventions.md 14). */
struct ipc_log {
	uint32_t	lo_level;	/* LOG_ERR .. LOG_DEBUG */
	char		lo_text[IPC_LOG_MAX];
};

/* IPC_VERBOSE */
struct ipc_verbose {
	uint32_t	ve_level;
};

/* Dialect the relay speaks on a leg (towards that leg's endpoint). */
enum ipc_dialect {
	IPC_DIALECT_MSICE2 = 0,
	IPC_DIALECT_RFC6544,
	IPC_DIALECT_RFC4145,	/* plain TCP, no ICE: the leg is up once TCP is */
	IPC_DIALECT_MAX
};

/* Media protocol of the stream, for the CDR. */
enum ipc_proto {
	IPC_PROTO_TCP_RTP_AVP = 0,
	IPC_PROTO_TCP_RTP_SAVP,
	IPC_PROTO_MAX
};

/* Per-leg parameters of a new session.  Leg 0 = A (offerer), leg 1 = B (answerer). */
struct ipc_leg_params {
	uint32_t	lp_dialect;		/* enum ipc_dialect */
	uint32_t	lp_controlling;		/* our ICE role on this leg */
	uint32_t	lp_passive;		/* we accept on the listener passed for this leg */
	uint32_t	lp_active;		/* we connect, initiate-tcp, via IPC_SOCK_REQ */
	uint32_t	lp_filtering;		/* source-address filtering on this leg */
	uint32_t	lp_pad;
	uint64_t	lp_tiebreaker;
	struct ipc_addr	lp_local;		/* our advertised address and port (CDR, prflx) */
	char		lp_ufrag[IPC_UFRAG_MAX + 1];	/* our ICE credentials on this leg */
	char		lp_pwd[IPC_PWD_MAX + 1];
	char		lp_foundation[IPC_FOUNDATION_MAX + 1];
	uint8_t		lp_pad2[1];
	uint32_t	lp_prio_passive;	/* PRIORITY we signalled (D6) */
	uint32_t	lp_prio_active;
};

/* IPC_SESS_NEW: handle/gen in the header. */
struct ipc_sess_new {
	uint32_t		sn_slot;	/* shm slot index the worker owns for this session */
	uint32_t		sn_proto;	/* enum ipc_proto */
	uint64_t		sn_start_rt_ms;	/* wall clock at creation, for the CDR */
	uint32_t		sn_ice_timeout_ms;
	uint32_t		sn_idle_timeout_ms;
	char			sn_call_id[IPC_CALLID_MAX + 1];
	char			sn_from_tag[IPC_TAG_MAX + 1];
	char			sn_to_tag[IPC_TAG_MAX + 1];	/* may be "" until the answer */
	uint8_t			sn_pad[5];
	struct ipc_leg_params	sn_leg[2];
};

/* IPC_SESS_FD: the attached descriptor is a listening socket or an unconnected one. */
enum ipc_sock_kind {
	IPC_SOCK_LISTEN = 0,	/* accept on it */
	IPC_SOCK_CONNECT,	/* to be connected to sd_peer (answer to IPC_SOCK_REQ) */
	IPC_SOCK_KIND_MAX
};
struct ipc_sess_fd {
	uint32_t	sd_leg;		/* 0 or 1 */
	uint32_t	sd_kind;	/* enum ipc_sock_kind */
	uint32_t	sd_tag;		/* CONNECT: the tag of the IPC_SOCK_REQ it answers */
	uint32_t	sd_pad;
	struct ipc_addr	sd_peer;	/* CONNECT: where to connect */
};

/* One remote candidate (from the peer's SDP), for the ICE agent. */
enum ipc_tcptype {
	IPC_TCP_ACTIVE = 0,
	IPC_TCP_PASSIVE,
	IPC_TCP_SO,
	IPC_TCPTYPE_MAX
};
struct ipc_cand {
	struct ipc_addr	ca_addr;
	uint32_t	ca_component;
	uint32_t	ca_priority;
	uint32_t	ca_tcptype;	/* enum ipc_tcptype */
	char		ca_foundation[IPC_FOUNDATION_MAX + 1];
	uint8_t		ca_pad[3];
};

/*
 * IPC_SESS_REMOTE: the peer's SDP for one leg has arrived (offer for leg A, answer for
 * leg B; again on a re-offer).  Replaces what the worker had for that leg.
 */
struct ipc_sess_remote {
	uint32_t	sr_leg;
	uint32_t	sr_ncand;		/* <= IPC_MAX_CANDS */
	uint32_t	sr_nallowed;		/* <= IPC_MAX_ALLOWED */
	uint32_t	sr_pad;
	/* Plain RFC 4145 peer (dialect rfc4145): where to connect when we are active. */
	struct ipc_addr	sr_plain_peer;
	char		sr_ufrag[IPC_UFRAG_MAX + 1];	/* the peer's ICE credentials, "" if none */
	char		sr_pwd[IPC_PWD_MAX + 1];
	/* Leg B (answer): the SIP to-tag, for the CDR; "" leaves what the worker has. */
	char		sr_to_tag[IPC_TAG_MAX + 1];
	uint8_t		sr_pad2[1];
	struct ipc_cand	sr_cand[IPC_MAX_CANDS];
	/* Source-address policy: every address in the peer's candidate lines (D11). */
	struct ipc_addr	sr_allowed[IPC_MAX_ALLOWED];
};

/* Why a session ended: the CDR termination reasons (shm/cdr_fmt.h enum cdr_reason). */
struct ipc_sess_end {
	uint32_t	se_reason;	/* enum cdr_reason */
};

/* IPC_SOCK_REQ: the worker wants a socket to connect to sq_peer on leg sq_leg. */
struct ipc_sock_req {
	uint32_t	sq_leg;
	uint32_t	sq_tag;		/* echoed in IPC_SESS_FD or IPC_SOCK_FAIL */
	struct ipc_addr	sq_peer;	/* must be one of that leg's remote addresses */
};

/* IPC_SOCK_FAIL: the master could not create the socket asked for. */
struct ipc_sock_fail {
	uint32_t	sx_leg;
	uint32_t	sx_tag;
	int32_t		sx_errno;
	uint32_t	sx_pad;
};

/* IPC_SESS_STATE: informational (logs, registry); numbers are in shm. */
enum ipc_sess_state {
	IPC_SESS_ICE = 0,	/* waiting for connections / ICE on at least one leg */
	IPC_SESS_RELAYING,	/* both legs selected, frames flow */
	IPC_SESS_ENDED,
	IPC_SESS_STATE_MAX
};
struct ipc_sess_state_msg {
	uint32_t	ss_state;	/* enum ipc_sess_state */
	uint32_t	ss_leg_up[2];	/* leg selected (ICE done or plain TCP connected) */
	uint32_t	ss_pad;
};

/*
 * IPC_SESS_DONE: the session is gone from the worker, its final record is in the ring
 * (or counted in the backlog), its slot is free: the master may reuse the slot and
 * quarantines the ports.
 */
struct ipc_sess_done {
	uint32_t	sd_reason;	/* enum cdr_reason */
	uint32_t	sd_slot;
};

/*
 * IPC_CDR_FD: the attached descriptor is the current CSV file, opened O_RDWR|O_APPEND:
 * cdrd appends, and reads the end back after a crash (duplicates, a cut last line).
 * With IPC_CDR_F_DISCARD (cdr-dir none) the descriptor is ignored (/dev/null will do)
 * and cdrd drains the rings without writing; without any IPC_CDR_FD, records wait.
 */
#define IPC_CDR_F_DISCARD	0x1
struct ipc_cdr_fd {
	uint32_t	cf_seq;		/* file sequence number; IPC_CDR_ROTATE names it */
	union {
		uint32_t	cf_pad;		/* old name, kept for source compatibility */
		uint32_t	cf_flags;	/* IPC_CDR_F_* */
	};
	uint64_t	cf_opened_rt_ms;
	char		cf_name[IPC_NAME_MAX];	/* for logs */
};

/* IPC_CDR_ROTATE: the current file is full or old: rename it and send a new one. */
enum ipc_rotate_why {
	IPC_ROTATE_SIZE = 0,
	IPC_ROTATE_AGE,
	IPC_ROTATE_ERROR,	/* writing failed (disk full...): try a fresh file */
	IPC_ROTATE_WHY_MAX
};
struct ipc_cdr_rotate {
	uint32_t	cr_seq;
	uint32_t	cr_why;
};

/*
 * IPC_TAP_FD: tap the session (hdr.handle/gen) into the attached descriptor, a new
 * empty file opened O_WRONLY by the master in capture-dir.  The worker writes a pcap
 * file (LINKTYPE_RAW, synthesised IPv4/IPv6 + TCP packets, worker/tap_pkt.h) of every
 * byte read from and written to the session's connections on both legs, until
 * IPC_TAP_STOP, the end of the session, or tf_max_size bytes (then it stops, logged).
 * A session already tapped keeps its file: the new descriptor is closed.
 */
struct ipc_tap_fd {
	uint64_t	tf_max_size;		/* bytes, 0 = no limit */
	char		tf_name[IPC_NAME_MAX];	/* the file name, for logs */
};

/* IPC_WORKER_GONE / IPC_WORKER_DRAINED */
struct ipc_worker {
	uint32_t	wk_index;
	uint32_t	wk_epoch;
};

/*
 * Receiver-side checks (ipc_check.c): direction, exact payload size, descriptor
 * required or forbidden, NUL inside every string, enums and counts in range.
 * Returns 0 or a negative IPC_E_* code; ipc_check_str() names it.
 */
enum ipc_check_rc {
	IPC_CHK_OK = 0,
	IPC_E_TYPE = -1,	/* unknown type */
	IPC_E_DIR = -2,		/* not allowed from this sender to this receiver */
	IPC_E_SIZE = -3,	/* payload size differs from the table */
	IPC_E_FD = -4,		/* descriptor missing or unexpected */
	IPC_E_STR = -5,		/* string without NUL */
	IPC_E_RANGE = -6,	/* enum or count out of range */
};
int		 ipc_msg_check(enum ipc_role from, enum ipc_role to, const struct ipc_hdr *,
		    const void *payload, size_t len, int has_fd);
const char	*ipc_check_str(int rc);
const char	*ipc_type_str(uint16_t type);

#endif
