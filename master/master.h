/*
 * The master process (docs/internals.md): owns the configuration, the control port,
 * the session registry, the port allocator, the shared-memory segments and the
 * children.  master.c runs the process; sessions.c handles the control commands and
 * the workers' session messages.
 */
#ifndef APPSHARE_MASTER_H
#define APPSHARE_MASTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "ctl.h"
#include "files.h"
#include "ports.h"
#include "privdrop.h"
#include "proc.h"
#include "registry.h"
#include "shm_layout.h"

struct event;
struct event_base;
struct metrics;

#define MASTER_SHUTDOWN_MS	3000	/* children get this long after IPC_SHUTDOWN */
#define MASTER_SLOT_MARGIN	16	/* slots beyond max-sessions/workers: sessions
					   deleted but not yet done */

struct master_worker {
	struct proc		 mw_proc;
	int			 mw_shm_fd;	/* the memfd, read-write */
	size_t			 mw_shm_size;	/* bytes mapped */
	const void		*mw_seg;	/* read-only mapping (query, statistics) */
	struct shm_geom		 mw_geom;
	uint32_t		 mw_epoch;
	bool			 mw_gone_pending;	/* WORKER_GONE not yet sent to cdrd */
	bool			 mw_draining;	/* WORKER_GONE sent, waiting for DRAINED */
	/* Totals of its earlier incarnations: a new epoch starts its segment at zero. */
	struct master_totals {
		uint64_t	 mt_accepted;
		uint64_t	 mt_policy_denied;
		uint64_t	 mt_stun_bad;
		uint64_t	 mt_ice_failed;
		uint64_t	 mt_frames_in;
		uint64_t	 mt_frames_out;
		uint64_t	 mt_bytes_in;
		uint64_t	 mt_bytes_out;
		uint64_t	 mt_cdr_backlog;	/* gauge: the current incarnation only */
	}			 mw_prev;
};

struct master_cmdstats {
	uint64_t	mc_cmd[CTL_CMD_MAX];
	uint64_t	mc_errors;
	uint64_t	mc_load_limit;
	uint64_t	mc_no_ports;
	uint64_t	mc_worker_lost_sessions;
};

struct master {
	struct event_base	*m_base;
	struct as_conf		 m_conf;
	const char		*m_conffile;	/* NULL: built-in defaults */
	int			 m_foreground;
	int			 m_verbose;
	bool			 m_root;
	struct priv_user	 m_user;
	uint64_t		 m_boot_id;
	uint64_t		 m_started_ms;
	unsigned		 m_nworkers;
	uint32_t		 m_nslots;
	uint32_t		 m_ring_len;
	struct master_worker	*m_w;
	struct proc		 m_cdrd;
	int			 m_ack_fd;
	size_t			 m_ack_size;
	struct files_cdr	 m_cdr;
	struct files_capture	 m_capture;	/* pcap tap directory */
	struct registry		 m_reg;
	struct ports		 m_ports;
	struct ctl		*m_ctl;
	struct metrics		*m_metrics;	/* NULL: metrics-address none */
	const void		*m_ack_seg;	/* ack segment, read-only (CDR backlog) */
	struct event		*m_ev_sig[4];
	struct event		*m_ev_shutdown;
	bool			 m_shutting_down;
	bool			 m_cdrd_bye;	/* IPC_SHUTDOWN sent to cdrd */
	unsigned		 m_shutdown_phase;
	struct master_cmdstats	 m_stats;
	struct sdp		*m_sdp;		/* scratch: a parsed SDP is ~40 KiB */
	char			*m_sdpbuf;	/* scratch: a rewritten SDP */
	size_t			 m_sdpbuf_len;
};

/* master.c */
int		 master_main(const struct as_conf *, const char *conffile, int foreground,
		    int verbose);
/* Read and parse a configuration file (NULL: the defaults); -1 with "FILE:LINE: msg". */
int		 master_load_conf(const char *path, struct as_conf *, char *err,
		    size_t errlen);
uint64_t	 master_now_ms(void);	/* wall clock */
uint64_t	 master_mono_ms(void);
/* Send to worker i; on failure the worker is killed (it is not reading). */
int		 master_send_worker(struct master *, unsigned wi, uint16_t type,
		    uint32_t handle, uint32_t gen, const void *payload, size_t len, int fd);
void		 master_kill_worker(struct master *, unsigned wi, const char *why);
void		 master_kick_cdrd(struct master *);

/* metrics.c: worker i's totals over all its incarnations (every worker: wi = -1). */
void		 master_totals(const struct master *, int wi, struct master_totals *);

/* sessions.c */
json_t		*sessions_command(struct ctl_req *, int rc, const char *peer, void *arg);
void		 sessions_dispatch_worker(struct master *, unsigned wi, struct ipc_msg *);
/* The worker died: detach its sessions from their calls (slots stay until drained). */
void		 sessions_worker_died(struct master *, unsigned wi);
/* cdrd drained it: free its sessions' slots, quarantine their ports. */
void		 sessions_worker_drained(struct master *, unsigned wi);

#endif
