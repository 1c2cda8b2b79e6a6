/*
 * Prometheus text exposition of the master's counters (metrics_fmt.h).  Pure.
 */
#include "metrics_fmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const uint64_t met_bucket_us[MET_NBUCKETS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000
};

/* le="…": the same bounds in seconds, written once so the text never depends on %g. */
static const char *const met_bucket_le[MET_NBUCKETS] = {
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
	"0.05", "0.1", "0.25", "1"
};

/* An output buffer that counts what did not fit, so the caller can size it. */
struct met_w {
	char	*w_buf;
	size_t	 w_cap;
	size_t	 w_len;
};

unsigned
met_bucket_of(uint64_t us)
{
	unsigned i;

	for (i = 0; i < MET_NBUCKETS; i++)
		if (us <= met_bucket_us[i])
			return i;
	return MET_NBUCKETS;
}

static void __attribute__((format(printf, 2, 3)))
met_put(struct met_w *w, const char *fmt, ...)
{
	va_list ap;
	size_t room = w->w_len < w->w_cap ? w->w_cap - w->w_len : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room > 0 ? w->w_buf + w->w_len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->w_len += (size_t)n;
}

size_t
met_escape(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	const char *rep;
	char one[2];

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			rep = "\\\\";
			break;
		case '"':
			rep = "\\\"";
			break;
		case '\n':
			rep = "\\n";
			break;
		default:
			one[0] = *s;
			one[1] = '\0';
			rep = one;
			break;
		}
		for (; *rep != '\0'; rep++, n++)
			if (n + 1 < cap)
				out[n] = *rep;
	}
	if (cap > 0)
		out[n < cap ? n : cap - 1] = '\0';
	return n;
}

static void
met_head(struct met_w *w, const char *name, const char *type, const char *help)
{
	met_put(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric without labels. */
static void
met_one(struct met_w *w, const char *name, const char *type, const char *help,
    uint64_t v)
{
	met_head(w, name, type, help);
	met_put(w, "%s %llu\n", name, (unsigned long long)v);
}

/* One sample with one label; the value is escaped here. */
static void
met_lab(struct met_w *w, const char *name, const char *label, const char *value,
    uint64_t v)
{
	char esc[256];

	met_escape(value, esc, sizeof(esc));
	met_put(w, "%s{%s=\"%s\"} %llu\n", name, label, esc, (unsigned long long)v);
}

static void
met_histogram(struct met_w *w, const struct met_in *in)
{
	const char *name = "appshare_control_command_duration_seconds";
	uint64_t cum = 0;
	unsigned i;

	met_head(w, name, "histogram", "Time to run a control command (cache hits "
	    "excluded).");
	for (i = 0; i < MET_NBUCKETS; i++) {
		cum += in->mi_lat_bucket[i];
		met_put(w, "%s_bucket{le=\"%s\"} %llu\n", name, met_bucket_le[i],
		    (unsigned long long)cum);
	}
	cum += in->mi_lat_bucket[MET_NBUCKETS];
	met_put(w, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
	met_put(w, "%s_sum %llu.%06llu\n", name,
	    (unsigned long long)(in->mi_lat_sum_us / 1000000),
	    (unsigned long long)(in->mi_lat_sum_us % 1000000));
	met_put(w, "%s_count %llu\n", name, (unsigned long long)cum);
}

size_t
met_format(const struct met_in *in, char *buf, size_t cap)
{
	struct met_w w = { buf, cap, 0 };
	char idx[16];
	unsigned i;

	met_head(&w, "appshare_up", "gauge", "1 while the master serves metrics.");
	met_put(&w, "appshare_up 1\n");
	met_head(&w, "appshare_build_info", "gauge", "Version of the running appshare.");
	met_lab(&w, "appshare_build_info", "version", in->mi_version != NULL ?
	    in->mi_version : "", 1);
	met_one(&w, "appshare_start_time_seconds", "gauge",
	    "When the master started, seconds since 1970.", in->mi_start_s);

	met_head(&w, "appshare_sessions", "gauge", "Application-sharing sessions by state.");
	met_lab(&w, "appshare_sessions", "state", "connecting", in->mi_sess_connecting);
	met_lab(&w, "appshare_sessions", "state", "relaying", in->mi_sess_relaying);
	met_lab(&w, "appshare_sessions", "state", "ending", in->mi_sess_ending);
	met_one(&w, "appshare_calls", "gauge", "Calls with at least one live session.",
	    in->mi_calls);
	met_one(&w, "appshare_sessions_total", "counter", "Sessions created.",
	    in->mi_sess_total);
	met_one(&w, "appshare_sessions_worker_lost_total", "counter",
	    "Sessions lost with a worker that died.", in->mi_sess_worker_lost);
	met_one(&w, "appshare_load_limit_total", "counter",
	    "Offers refused by max-sessions.", in->mi_load_limit);

	met_one(&w, "appshare_connections_accepted_total", "counter",
	    "TCP connections accepted on media ports.", in->mi_accepted);
	met_head(&w, "appshare_connections_refused_total", "counter",
	    "TCP connections refused on media ports.");
	met_lab(&w, "appshare_connections_refused_total", "reason", "source-filter",
	    in->mi_refused_filter);
	met_one(&w, "appshare_ice_failures_total", "counter",
	    "Legs whose ICE failed or timed out.", in->mi_ice_failed);
	met_one(&w, "appshare_stun_bad_total", "counter",
	    "STUN messages that failed to decode or verify.", in->mi_stun_bad);
	met_head(&w, "appshare_frames_relayed_total", "counter",
	    "Media frames (RFC 4571, STUN excluded): received from a leg, sent to a leg.");
	met_lab(&w, "appshare_frames_relayed_total", "direction", "received",
	    in->mi_frames_in);
	met_lab(&w, "appshare_frames_relayed_total", "direction", "sent",
	    in->mi_frames_out);
	met_head(&w, "appshare_octets_relayed_total", "counter",
	    "TCP payload bytes on media connections: received, sent.");
	met_lab(&w, "appshare_octets_relayed_total", "direction", "received",
	    in->mi_octets_in);
	met_lab(&w, "appshare_octets_relayed_total", "direction", "sent",
	    in->mi_octets_out);

	met_one(&w, "appshare_cdr_backlog", "gauge",
	    "CDR records not yet on disk (in the rings or waiting for ring space).",
	    in->mi_cdr_pending + in->mi_cdr_backlog);
	met_one(&w, "appshare_cdr_writer_restarts_total", "counter",
	    "Restarts of the CDR writer.", in->mi_cdrd_restarts);
	met_head(&w, "appshare_worker_restarts_total", "counter", "Restarts of each worker.");
	for (i = 0; i < in->mi_nworkers; i++) {
		snprintf(idx, sizeof(idx), "%u", in->mi_workers[i].mw_index);
		met_lab(&w, "appshare_worker_restarts_total", "worker", idx,
		    in->mi_workers[i].mw_restarts);
	}
	met_head(&w, "appshare_worker_up", "gauge", "1 while the worker takes sessions.");
	for (i = 0; i < in->mi_nworkers; i++) {
		snprintf(idx, sizeof(idx), "%u", in->mi_workers[i].mw_index);
		met_lab(&w, "appshare_worker_up", "worker", idx, in->mi_workers[i].mw_up);
	}

	met_head(&w, "appshare_control_commands_total", "counter",
	    "Control commands run, by command.");
	for (i = 0; i < in->mi_ncmds; i++)
		met_lab(&w, "appshare_control_commands_total", "command",
		    in->mi_cmds[i].mc_name, in->mi_cmds[i].mc_count);
	met_one(&w, "appshare_control_requests_total", "counter",
	    "Control messages with a cookie, cache hits included.", in->mi_ctl_requests);
	met_one(&w, "appshare_control_errors_total", "counter",
	    "Control replies with result error.", in->mi_ctl_errors);
	met_one(&w, "appshare_control_cached_total", "counter",
	    "Control requests answered from the cookie cache.", in->mi_ctl_cached);
	met_one(&w, "appshare_control_refused_total", "counter",
	    "Control clients outside control-allow (datagrams and connections).",
	    in->mi_ctl_refused);
	met_one(&w, "appshare_control_dropped_total", "counter",
	    "Control messages dropped: no cookie, too large, unframeable.",
	    in->mi_ctl_dropped);
	met_histogram(&w, in);

	met_one(&w, "appshare_ports", "gauge", "Media ports in the configured range.",
	    in->mi_ports_total);
	met_one(&w, "appshare_ports_in_use", "gauge", "Media ports held by sessions.",
	    in->mi_ports_in_use);
	met_one(&w, "appshare_ports_quarantined", "gauge",
	    "Media ports resting after use.", in->mi_ports_quarantined);
	if (cap > 0 && w.w_len >= cap)
		buf[cap - 1] = '\0';
	return w.w_len;
}
