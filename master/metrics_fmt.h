/*
 * Prometheus text exposition (format 0.0.4) of the master's counters: plain numbers in,
 * text out (docs/operations.md "Metrics" lists every metric).  metrics.c gathers the
 * numbers from the registry, the control port and the workers' shared memory and serves
 * the text over HTTP.
 *
 * Pure: no I/O, no clock; the caller passes every value, the buffer and its size.
 */
#ifndef APPSHARE_METRICS_FMT_H
#define APPSHARE_METRICS_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bounds of the control latency histogram, microseconds (le="…" in seconds). */
#define MET_NBUCKETS	12
extern const uint64_t	met_bucket_us[MET_NBUCKETS];

/* Index of the histogram bucket for a duration (MET_NBUCKETS: above the last bound). */
unsigned	met_bucket_of(uint64_t us);

/* One worker: its restarts, labelled by index. */
struct met_worker {
	unsigned	mw_index;
	bool		mw_up;		/* ready to take sessions */
	uint64_t	mw_restarts;
};

/* Requests of one control command. */
struct met_cmd {
	const char	*mc_name;	/* label value: "offer", "delete", ... */
	uint64_t	 mc_count;
};

struct met_in {
	const char		*mi_version;	/* build_info label */
	uint64_t		 mi_start_s;	/* wall clock of the start, s since 1970 */
	/* Sessions by state (gauges) and since the start (counters). */
	uint64_t		 mi_sess_connecting;
	uint64_t		 mi_sess_relaying;
	uint64_t		 mi_sess_ending;
	uint64_t		 mi_calls;
	uint64_t		 mi_sess_total;
	uint64_t		 mi_sess_worker_lost;
	uint64_t		 mi_load_limit;
	/* Summed over the workers, every incarnation included. */
	uint64_t		 mi_accepted;
	uint64_t		 mi_refused_filter;
	uint64_t		 mi_ice_failed;
	uint64_t		 mi_stun_bad;
	uint64_t		 mi_frames_in;		/* received on a selected connection */
	uint64_t		 mi_frames_out;		/* forwarded to the other leg */
	uint64_t		 mi_octets_in;
	uint64_t		 mi_octets_out;
	uint64_t		 mi_cdr_backlog;	/* ended sessions waiting for ring space */
	uint64_t		 mi_cdr_pending;	/* records in the rings, not yet on disk */
	uint64_t		 mi_cdrd_restarts;
	const struct met_worker	*mi_workers;
	unsigned		 mi_nworkers;
	/* Control port. */
	const struct met_cmd	*mi_cmds;
	unsigned		 mi_ncmds;
	uint64_t		 mi_ctl_requests;
	uint64_t		 mi_ctl_errors;
	uint64_t		 mi_ctl_cached;
	uint64_t		 mi_ctl_refused;
	uint64_t		 mi_ctl_dropped;
	uint64_t		 mi_lat_bucket[MET_NBUCKETS + 1];	/* per bucket, not cumulative */
	uint64_t		 mi_lat_sum_us;
	/* Ports. */
	uint64_t		 mi_ports_total;
	uint64_t		 mi_ports_in_use;
	uint64_t		 mi_ports_quarantined;
};

/*
 * The whole exposition into buf (cap bytes, NUL-terminated).  Returns the length the
 * text needs without the NUL, like snprintf: complete when the result is < cap.
 */
size_t	met_format(const struct met_in *, char *buf, size_t cap);

/*
 * A label value escaped for the exposition format (\ -> \\, " -> \", newline -> \n)
 * into out (cap bytes, NUL-terminated); returns the length needed, like snprintf.
 */
size_t	met_escape(const char *s, char *out, size_t cap);

#endif
