/*
 * Tests of master/metrics_fmt.c: the exact exposition text for a fixed input, label
 * escaping, histogram buckets, and the snprintf-like size contract.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "metrics_fmt.h"

static const char expected[] =
"# HELP appshare_up 1 while the master serves metrics.\n"
"# TYPE appshare_up gauge\n"
"appshare_up 1\n"
"# HELP appshare_build_info Version of the running appshare.\n"
"# TYPE appshare_build_info gauge\n"
"appshare_build_info{version=\"1.2\\\"x\\\\y\\nz\"} 1\n"
"# HELP appshare_start_time_seconds When the master started, seconds since 1970.\n"
"# TYPE appshare_start_time_seconds gauge\n"
"appshare_start_time_seconds 1700000000\n"
"# HELP appshare_sessions Application-sharing sessions by state.\n"
"# TYPE appshare_sessions gauge\n"
"appshare_sessions{state=\"connecting\"} 1\n"
"appshare_sessions{state=\"relaying\"} 2\n"
"appshare_sessions{state=\"ending\"} 3\n"
"# HELP appshare_calls Calls with at least one live session.\n"
"# TYPE appshare_calls gauge\n"
"appshare_calls 4\n"
"# HELP appshare_sessions_total Sessions created.\n"
"# TYPE appshare_sessions_total counter\n"
"appshare_sessions_total 5\n"
"# HELP appshare_sessions_worker_lost_total Sessions lost with a worker that died.\n"
"# TYPE appshare_sessions_worker_lost_total counter\n"
"appshare_sessions_worker_lost_total 6\n"
"# HELP appshare_load_limit_total Offers refused by max-sessions.\n"
"# TYPE appshare_load_limit_total counter\n"
"appshare_load_limit_total 7\n"
"# HELP appshare_connections_accepted_total TCP connections accepted on media ports.\n"
"# TYPE appshare_connections_accepted_total counter\n"
"appshare_connections_accepted_total 8\n"
"# HELP appshare_connections_refused_total TCP connections refused on media ports.\n"
"# TYPE appshare_connections_refused_total counter\n"
"appshare_connections_refused_total{reason=\"source-filter\"} 9\n"
"# HELP appshare_ice_failures_total Legs whose ICE failed or timed out.\n"
"# TYPE appshare_ice_failures_total counter\n"
"appshare_ice_failures_total 10\n"
"# HELP appshare_stun_bad_total STUN messages that failed to decode or verify.\n"
"# TYPE appshare_stun_bad_total counter\n"
"appshare_stun_bad_total 11\n"
"# HELP appshare_frames_relayed_total Media frames (RFC 4571, STUN excluded): received "
"from a leg, sent to a leg.\n"
"# TYPE appshare_frames_relayed_total counter\n"
"appshare_frames_relayed_total{direction=\"received\"} 12\n"
"appshare_frames_relayed_total{direction=\"sent\"} 13\n"
"# HELP appshare_octets_relayed_total TCP payload bytes on media connections: received, "
"sent.\n"
"# TYPE appshare_octets_relayed_total counter\n"
"appshare_octets_relayed_total{direction=\"received\"} 18446744073709551615\n"
"appshare_octets_relayed_total{direction=\"sent\"} 15\n"
"# HELP appshare_cdr_backlog CDR records not yet on disk (in the rings or waiting for "
"ring space).\n"
"# TYPE appshare_cdr_backlog gauge\n"
"appshare_cdr_backlog 33\n"
"# HELP appshare_cdr_writer_restarts_total Restarts of the CDR writer.\n"
"# TYPE appshare_cdr_writer_restarts_total counter\n"
"appshare_cdr_writer_restarts_total 18\n"
"# HELP appshare_worker_restarts_total Restarts of each worker.\n"
"# TYPE appshare_worker_restarts_total counter\n"
"appshare_worker_restarts_total{worker=\"0\"} 0\n"
"appshare_worker_restarts_total{worker=\"1\"} 2\n"
"# HELP appshare_worker_up 1 while the worker takes sessions.\n"
"# TYPE appshare_worker_up gauge\n"
"appshare_worker_up{worker=\"0\"} 1\n"
"appshare_worker_up{worker=\"1\"} 0\n"
"# HELP appshare_control_commands_total Control commands run, by command.\n"
"# TYPE appshare_control_commands_total counter\n"
"appshare_control_commands_total{command=\"offer\"} 19\n"
"appshare_control_commands_total{command=\"delete\"} 20\n"
"# HELP appshare_control_requests_total Control messages with a cookie, cache hits "
"included.\n"
"# TYPE appshare_control_requests_total counter\n"
"appshare_control_requests_total 21\n"
"# HELP appshare_control_errors_total Control replies with result error.\n"
"# TYPE appshare_control_errors_total counter\n"
"appshare_control_errors_total 22\n"
"# HELP appshare_control_cached_total Control requests answered from the cookie cache.\n"
"# TYPE appshare_control_cached_total counter\n"
"appshare_control_cached_total 23\n"
"# HELP appshare_control_refused_total Control clients outside control-allow (datagrams "
"and connections).\n"
"# TYPE appshare_control_refused_total counter\n"
"appshare_control_refused_total 24\n"
"# HELP appshare_control_dropped_total Control messages dropped: no cookie, too large, "
"unframeable.\n"
"# TYPE appshare_control_dropped_total counter\n"
"appshare_control_dropped_total 25\n"
"# HELP appshare_control_command_duration_seconds Time to run a control command (cache "
"hits excluded).\n"
"# TYPE appshare_control_command_duration_seconds histogram\n"
"appshare_control_command_duration_seconds_bucket{le=\"0.0001\"} 1\n"
"appshare_control_command_duration_seconds_bucket{le=\"0.00025\"} 1\n"
"appshare_control_command_duration_seconds_bucket{le=\"0.0005\"} 3\n"
"appshare_control_command_duration_seconds_bucket{le=\"0.001\"} 3\n"
"appshare_control_command_duration_seconds_bucket{le=\"0.0025\"} 3\n"
"appshare_control_command_duration_seconds_bucket{le=\"0.005\"} 3\n"
"appshare_control_command_duration_seconds_bucket{le=\"0.01\"} 3\n"
"appshare_control_command_duration_seconds_bucket{le=\"0.025\"} 3\n"
"appshare_control_command_duration_seconds_bucket{le=\"0.05\"} 3\n"
"appshare_control_command_duration_seconds_bucket{le=\"0.1\"} 3\n"
"appshare_control_command_duration_seconds_bucket{le=\"0.25\"} 3\n"
"appshare_control_command_duration_seconds_bucket{le=\"1\"} 7\n"
"appshare_control_command_duration_seconds_bucket{le=\"+Inf\"} 8\n"
"appshare_control_command_duration_seconds_sum 2.000450\n"
"appshare_control_command_duration_seconds_count 8\n"
"# HELP appshare_ports Media ports in the configured range.\n"
"# TYPE appshare_ports gauge\n"
"appshare_ports 26\n"
"# HELP appshare_ports_in_use Media ports held by sessions.\n"
"# TYPE appshare_ports_in_use gauge\n"
"appshare_ports_in_use 27\n"
"# HELP appshare_ports_quarantined Media ports resting after use.\n"
"# TYPE appshare_ports_quarantined gauge\n"
"appshare_ports_quarantined 28\n";

static const struct met_worker workers[2] = {
	{ 0, true, 0 },
	{ 1, false, 2 },
};

static const struct met_cmd cmds[2] = {
	{ "offer", 19 },
	{ "delete", 20 },
};

static void
fill(struct met_in *in)
{
	memset(in, 0, sizeof(*in));
	in->mi_version = "1.2\"x\\y\nz";
	in->mi_start_s = 1700000000;
	in->mi_sess_connecting = 1;
	in->mi_sess_relaying = 2;
	in->mi_sess_ending = 3;
	in->mi_calls = 4;
	in->mi_sess_total = 5;
	in->mi_sess_worker_lost = 6;
	in->mi_load_limit = 7;
	in->mi_accepted = 8;
	in->mi_refused_filter = 9;
	in->mi_ice_failed = 10;
	in->mi_stun_bad = 11;
	in->mi_frames_in = 12;
	in->mi_frames_out = 13;
	in->mi_octets_in = UINT64_MAX;
	in->mi_octets_out = 15;
	in->mi_cdr_backlog = 16;
	in->mi_cdr_pending = 17;
	in->mi_cdrd_restarts = 18;
	in->mi_workers = workers;
	in->mi_nworkers = 2;
	in->mi_cmds = cmds;
	in->mi_ncmds = 2;
	in->mi_ctl_requests = 21;
	in->mi_ctl_errors = 22;
	in->mi_ctl_cached = 23;
	in->mi_ctl_refused = 24;
	in->mi_ctl_dropped = 25;
	in->mi_lat_bucket[0] = 1;
	in->mi_lat_bucket[2] = 2;
	in->mi_lat_bucket[MET_NBUCKETS - 1] = 4;
	in->mi_lat_bucket[MET_NBUCKETS] = 1;
	in->mi_lat_sum_us = 2000450;
	in->mi_ports_total = 26;
	in->mi_ports_in_use = 27;
	in->mi_ports_quarantined = 28;
}

Test(metrics_fmt, exact_text)
{
	struct met_in in;
	char buf[16384];
	size_t n;

	fill(&in);
	n = met_format(&in, buf, sizeof(buf));
	cr_assert_eq(n, strlen(expected), "length %zu, want %zu", n, strlen(expected));
	cr_assert_str_eq(buf, expected);
}

Test(metrics_fmt, size_contract)
{
	struct met_in in;
	char small[100], *big;
	size_t need, n;

	fill(&in);
	need = met_format(&in, NULL, 0);
	cr_assert_eq(need, strlen(expected));
	n = met_format(&in, small, sizeof(small));
	cr_assert_eq(n, need);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
	cr_assert(strncmp(small, expected, sizeof(small) - 1) == 0);
	big = malloc(need + 1);
	cr_assert_not_null(big);
	cr_assert_eq(met_format(&in, big, need + 1), need);
	cr_assert_str_eq(big, expected);
	/* One byte short: still the full length reported, text cut. */
	cr_assert_eq(met_format(&in, big, need), need);
	cr_assert_eq(strlen(big), need - 1);
	free(big);
}

Test(metrics_fmt, escape)
{
	char out[64];

	cr_assert_eq(met_escape("plain", out, sizeof(out)), 5);
	cr_assert_str_eq(out, "plain");
	cr_assert_eq(met_escape("a\"b\\c\nd", out, sizeof(out)), 10);
	cr_assert_str_eq(out, "a\\\"b\\\\c\\nd");
	cr_assert_eq(met_escape("\"\"\"", out, 4), 6);
	cr_assert_str_eq(out, "\\\"\\");
	cr_assert_eq(met_escape("", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "");
}

Test(metrics_fmt, buckets)
{
	cr_assert_eq(met_bucket_of(0), 0);
	cr_assert_eq(met_bucket_of(100), 0);
	cr_assert_eq(met_bucket_of(101), 1);
	cr_assert_eq(met_bucket_of(1000000), MET_NBUCKETS - 1);
	cr_assert_eq(met_bucket_of(1000001), MET_NBUCKETS);
	for (unsigned i = 1; i < MET_NBUCKETS; i++)
		cr_assert_gt(met_bucket_us[i], met_bucket_us[i - 1]);
}
