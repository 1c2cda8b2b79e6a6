/*
 * Tests of master/conf.c: defaults, the shipped example, every key's bad values,
 * file syntax, hostile bytes, cross-key checks and the print/parse round trip.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "test_util.h"

static int
parse_str(const char *text, struct as_conf *cf, struct conf_err *err)
{
	return conf_parse(text, strlen(text), cf, err);
}

static void
assert_ip4(const uint8_t *ip, const char *want)
{
	uint8_t w[4];

	cr_assert_eq(inet_pton(AF_INET, want, w), 1);
	cr_assert(memcmp(ip, w, 4) == 0, "IPv4 is not %s", want);
}

static void
assert_ip6(const uint8_t *ip, const char *want)
{
	uint8_t w[16];

	cr_assert_eq(inet_pton(AF_INET6, want, w), 1);
	cr_assert(memcmp(ip, w, 16) == 0, "IPv6 is not %s", want);
}

/* Parses, prints, re-parses: the printed text must give an equal configuration. */
static void
assert_round_trip(const struct as_conf *cf)
{
	char buf[8192];
	struct as_conf again;
	struct conf_err err;
	size_t n = conf_print(cf, buf, sizeof(buf));

	cr_assert_lt(n, sizeof(buf));
	cr_assert_eq(strlen(buf), n);
	cr_assert_eq(conf_parse(buf, n, &again, &err), 0, "printed text fails: %u: %s\n%s",
	    err.ce_line, err.ce_msg, buf);
	cr_assert(conf_equal(cf, &again), "round trip differs:\n%s", buf);
}

Test(conf, defaults)
{
	struct as_conf cf;
	struct conf_err err;

	conf_defaults(&cf);
	cr_assert_eq(cf.cf_control_udp.ca_family, AF_INET);
	cr_assert_eq(cf.cf_control_udp.ca_port, 2226);
	assert_ip4(cf.cf_control_udp.ca_ip, "127.0.0.1");
	cr_assert_eq(cf.cf_control_tcp.ca_family, AF_INET);
	cr_assert_eq(cf.cf_control_tcp.ca_port, 2226);
	cr_assert_eq(cf.cf_control_allow.cl_n, 2);
	cr_assert_eq(cf.cf_control_allow.cl_default, CIDR_DENY);
	cr_assert(cf.cf_media.ci_has4);
	cr_assert_not(cf.cf_media.ci_has6);
	assert_ip4(cf.cf_media.ci_ip4, "127.0.0.1");
	cr_assert_not(cf.cf_advertised.ci_has4);
	cr_assert_not(cf.cf_advertised.ci_has6);
	cr_assert_eq(cf.cf_port_min, 20000);
	cr_assert_eq(cf.cf_port_max, 29999);
	cr_assert_eq(cf.cf_port_quarantine_ms, 60000);
	cr_assert_eq(cf.cf_workers, 0);
	cr_assert_eq(cf.cf_max_sessions, 1000);
	cr_assert_str_eq(cf.cf_user, "appshare");
	cr_assert_str_eq(cf.cf_cdr_dir, "");
	cr_assert_eq(cf.cf_cdr_rotate_size, 64 * 1024 * 1024);
	cr_assert_eq(cf.cf_cdr_rotate_age_ms, 3600 * 1000);
	cr_assert_str_eq(cf.cf_capture_dir, "");
	cr_assert_not(cf.cf_capture_all);
	cr_assert_eq(cf.cf_capture_max_size, 64 * 1024 * 1024);
	cr_assert(cf.cf_source_filtering);
	cr_assert_not(cf.cf_initiate_tcp);
	cr_assert_eq(cf.cf_other_media, CONF_OTHER_PASS);
	cr_assert_eq(cf.cf_ice_timeout_ms, 120000);
	cr_assert_eq(cf.cf_idle_timeout_ms, 30000);
	cr_assert_eq(cf.cf_log_level, CONF_LOG_INFO);
	cr_assert_eq(cf.cf_sandbox, CONF_SANDBOX_ON);
	cr_assert_not(cf.cf_debug_hooks);
	for (int k = 0; k < CONF_K_MAX; k++)
		cr_assert_eq(cf.cf_line[k], 0);
	cr_assert_eq(conf_check_semantics(&cf, &err), 0, "%s", err.ce_msg);
	assert_round_trip(&cf);
}

Test(conf, empty_and_comment_only_files_give_defaults)
{
	static const char *texts[] = {
		"", "\n", "# nothing\n", "   \t\n\n# a\n\t# b", "\r\n", "\xef\xbb\xbf",
		"# caf\xc3\xa9 comment may hold UTF-8\n",
	};
	struct as_conf cf, def;
	struct conf_err err;

	conf_defaults(&def);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		cr_assert_eq(parse_str(texts[i], &cf, &err), 0, "case %zu: %s", i, err.ce_msg);
		cr_assert(conf_equal(&cf, &def), "case %zu", i);
	}
	cr_assert_eq(conf_parse(NULL, 0, &cf, NULL), 0);
}

static const char full_text[] =
    "# every key\n"
    "control-udp = [::1]:3000\n"
    "control-tcp=10.1.2.3:3001\n"
    "control-allow = 10.0.0.0/8, !10.9.0.0/16 ::1\n"
    "media-address = 192.0.2.10, 2001:db8::10\n"
    "advertised-address = 203.0.113.5 2001:db8::5\n"
    "port-min = 40000\n"
    "port-max = 40099\n"
    "port-quarantine = 90s\n"
    "workers = 4\n"
    "max-sessions = 40\n"
    "user = _appshare-1.x\n"
    "cdr-dir = \"/var/lib/app share/cdr\"   # quoted: a space\n"
    "cdr-rotate-size = 10M\n"
    "cdr-rotate-age = 15m\n"
    "capture-dir = /var/lib/appshare/pcap\n"
    "source-address-filtering = off\n"
    "initiate-tcp = TRUE\n"
    "other-media = Refuse\n"
    "ice-timeout = 1500ms\n"
    "idle-timeout = 2h\n"
    "log-level = debug\n"
    "metrics-address = [::1]:9226\n"
    "sandbox = trap\n"
    "debug-hooks = yes\n";

Test(conf, full_valid_file)
{
	struct as_conf cf;
	struct conf_err err;

	cr_assert_eq(parse_str(full_text, &cf, &err), 0, "line %u: %s", err.ce_line,
	    err.ce_msg);
	cr_assert_eq(cf.cf_control_udp.ca_family, AF_INET6);
	cr_assert_eq(cf.cf_control_udp.ca_port, 3000);
	assert_ip6(cf.cf_control_udp.ca_ip, "::1");
	cr_assert_eq(cf.cf_control_tcp.ca_family, AF_INET);
	cr_assert_eq(cf.cf_control_tcp.ca_port, 3001);
	assert_ip4(cf.cf_control_tcp.ca_ip, "10.1.2.3");
	cr_assert_eq(cf.cf_control_allow.cl_n, 3);
	cr_assert_eq(cf.cf_control_allow.cl_rules[1].cr_action, CIDR_DENY);
	cr_assert_eq(cf.cf_control_allow.cl_rules[1].cr_net.ci_plen, 16);
	cr_assert(cf.cf_media.ci_has4 && cf.cf_media.ci_has6);
	assert_ip4(cf.cf_media.ci_ip4, "192.0.2.10");
	assert_ip6(cf.cf_media.ci_ip6, "2001:db8::10");
	assert_ip4(cf.cf_advertised.ci_ip4, "203.0.113.5");
	assert_ip6(cf.cf_advertised.ci_ip6, "2001:db8::5");
	cr_assert_eq(cf.cf_port_min, 40000);
	cr_assert_eq(cf.cf_port_max, 40099);
	cr_assert_eq(cf.cf_port_quarantine_ms, 90000);
	cr_assert_eq(cf.cf_workers, 4);
	cr_assert_eq(cf.cf_max_sessions, 40);
	cr_assert_str_eq(cf.cf_user, "_appshare-1.x");
	cr_assert_str_eq(cf.cf_cdr_dir, "/var/lib/app share/cdr");
	cr_assert_eq(cf.cf_cdr_rotate_size, 10 * 1024 * 1024);
	cr_assert_eq(cf.cf_cdr_rotate_age_ms, 15 * 60 * 1000);
	cr_assert_str_eq(cf.cf_capture_dir, "/var/lib/appshare/pcap");
	cr_assert_not(cf.cf_source_filtering);
	cr_assert(cf.cf_initiate_tcp);
	cr_assert_eq(cf.cf_other_media, CONF_OTHER_REFUSE);
	cr_assert_eq(cf.cf_line[CONF_K_OTHER_MEDIA], 19);
	cr_assert_eq(cf.cf_ice_timeout_ms, 1500);
	cr_assert_eq(cf.cf_idle_timeout_ms, 2 * 3600 * 1000);
	cr_assert_eq(cf.cf_log_level, CONF_LOG_DEBUG);
	cr_assert_eq(cf.cf_line[CONF_K_CONTROL_UDP], 2);
	cr_assert_eq(cf.cf_line[CONF_K_LOG_LEVEL], 22);
	cr_assert_eq(cf.cf_sandbox, CONF_SANDBOX_TRAP);
	cr_assert(cf.cf_debug_hooks);
	cr_assert_eq(cf.cf_metrics.ca_family, AF_INET6);
	cr_assert_eq(cf.cf_metrics.ca_port, 9226);
	assert_ip6(cf.cf_metrics.ca_ip, "::1");
	cr_assert_eq(cf.cf_line[CONF_K_METRICS_ADDRESS], 23);
	cr_assert_eq(cf.cf_line[CONF_K_DEBUG_HOOKS], 25);
	assert_round_trip(&cf);
}

Test(conf, shipped_example_parses)
{
	char path[4096];
	struct as_conf cf;
	struct conf_err err;
	size_t len;
	char *text;

	snprintf(path, sizeof(path), "%s/../../packaging/appshare.conf.example",
	    APPSHARE_TEST_DATA);
	text = tu_read_file(path, &len);
	cr_assert_eq(conf_parse(text, len, &cf, &err), 0, "example line %u: %s",
	    err.ce_line, err.ce_msg);
	/* Loopback values: the example serves what the defaults serve, plus CDRs. */
	cr_assert_eq(cf.cf_control_tcp.ca_port, 2226);
	assert_ip4(cf.cf_control_tcp.ca_ip, "127.0.0.1");
	assert_ip4(cf.cf_media.ci_ip4, "127.0.0.1");
	cr_assert_str_eq(cf.cf_cdr_dir, "/var/lib/appshare/cdr");
	/*
	 * It sets every key, so that it documents every key; except `user`, which it
	 * leaves commented out so that a machine without an appshare user runs as nobody.
	 */
	for (int k = 0; k < CONF_K_MAX; k++) {
		if (k == CONF_K_USER) {
			cr_assert_eq(cf.cf_line[k], 0, "example sets user");
			cr_assert_not_null(strstr(text, "\n#user = appshare\n"),
			    "example does not document user");
			continue;
		}
		cr_assert_neq(cf.cf_line[k], 0, "example lacks %s", conf_key_name(k));
	}
	assert_round_trip(&cf);
	free(text);
}

Test(conf, value_spellings)
{
	static const struct {
		const char	*text;
		enum conf_key	 key;
		uint64_t	 want;
	} cases[] = {
		{ "port-quarantine = 0", CONF_K_PORT_QUARANTINE, 0 },
		{ "port-quarantine = 5", CONF_K_PORT_QUARANTINE, 5000 },
		{ "port-quarantine = 2500ms", CONF_K_PORT_QUARANTINE, 2500 },
		{ "port-quarantine = 1h", CONF_K_PORT_QUARANTINE, 3600000 },
		{ "ice-timeout = 1s", CONF_K_ICE_TIMEOUT, 1000 },
		{ "ice-timeout = 1m", CONF_K_ICE_TIMEOUT, 60000 },
		{ "idle-timeout = 1d", CONF_K_IDLE_TIMEOUT, 86400000 },
		{ "cdr-dir = /x\ncdr-rotate-size = 0", CONF_K_CDR_ROTATE_SIZE, 0 },
		{ "cdr-dir = /x\ncdr-rotate-size = 65536", CONF_K_CDR_ROTATE_SIZE, 65536 },
		{ "cdr-dir = /x\ncdr-rotate-size = 64k", CONF_K_CDR_ROTATE_SIZE, 65536 },
		{ "cdr-dir = /x\ncdr-rotate-size = 64K", CONF_K_CDR_ROTATE_SIZE, 65536 },
		{ "cdr-dir = /x\ncdr-rotate-size = 2G", CONF_K_CDR_ROTATE_SIZE, 2ULL << 30 },
		{ "cdr-dir = /x\ncdr-rotate-age = 0", CONF_K_CDR_ROTATE_AGE, 0 },
		{ "cdr-dir = /x\ncdr-rotate-age = 30d", CONF_K_CDR_ROTATE_AGE, 30ULL * 86400000 },
		{ "capture-all = yes", CONF_K_CAPTURE_ALL, 1 },
		{ "capture-all = off", CONF_K_CAPTURE_ALL, 0 },
		{ "capture-max-size = 0", CONF_K_CAPTURE_MAX_SIZE, 0 },
		{ "capture-max-size = 4K", CONF_K_CAPTURE_MAX_SIZE, 4096 },
		{ "capture-max-size = 1G", CONF_K_CAPTURE_MAX_SIZE, 1ULL << 30 },
		{ "workers = AUTO", CONF_K_WORKERS, 0 },
		{ "workers = 256", CONF_K_WORKERS, 256 },
		{ "workers = 007", CONF_K_WORKERS, 7 },
		{ "max-sessions = 1", CONF_K_MAX_SESSIONS, 1 },
		{ "max-sessions = 1000000", CONF_K_MAX_SESSIONS, 1000000 },
		{ "source-address-filtering = No", CONF_K_SOURCE_ADDRESS_FILTERING, 0 },
		{ "source-address-filtering = on", CONF_K_SOURCE_ADDRESS_FILTERING, 1 },
		{ "initiate-tcp = yes", CONF_K_INITIATE_TCP, 1 },
		{ "initiate-tcp = false", CONF_K_INITIATE_TCP, 0 },
		{ "other-media = refuse", CONF_K_OTHER_MEDIA, CONF_OTHER_REFUSE },
		{ "other-media = PASS", CONF_K_OTHER_MEDIA, CONF_OTHER_PASS },
		{ "other-media = \"refuse\"  # quoted", CONF_K_OTHER_MEDIA, CONF_OTHER_REFUSE },
		{ "log-level = Warning", CONF_K_LOG_LEVEL, CONF_LOG_WARNING },
		{ "log-level = error", CONF_K_LOG_LEVEL, CONF_LOG_ERROR },
		{ "sandbox = OFF", CONF_K_SANDBOX, CONF_SANDBOX_OFF },
		{ "sandbox = on", CONF_K_SANDBOX, CONF_SANDBOX_ON },
		{ "debug-hooks = yes", CONF_K_DEBUG_HOOKS, 1 },
		{ "port-min = 1\nport-max=2\ncontrol-udp=none\ncontrol-tcp=[::]:65535",
		    CONF_K_PORT_MIN, 1 },
		{ "port-max = 65535", CONF_K_PORT_MAX, 65535 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct as_conf cf;
		struct conf_err err;
		uint64_t got = 0;

		cr_assert_eq(parse_str(cases[i].text, &cf, &err), 0, "%s: %s", cases[i].text,
		    err.ce_msg);
		switch (cases[i].key) {
		case CONF_K_PORT_QUARANTINE: got = cf.cf_port_quarantine_ms; break;
		case CONF_K_ICE_TIMEOUT: got = cf.cf_ice_timeout_ms; break;
		case CONF_K_IDLE_TIMEOUT: got = cf.cf_idle_timeout_ms; break;
		case CONF_K_CDR_ROTATE_SIZE: got = cf.cf_cdr_rotate_size; break;
		case CONF_K_CDR_ROTATE_AGE: got = cf.cf_cdr_rotate_age_ms; break;
		case CONF_K_CAPTURE_ALL: got = cf.cf_capture_all; break;
		case CONF_K_CAPTURE_MAX_SIZE: got = cf.cf_capture_max_size; break;
		case CONF_K_WORKERS: got = cf.cf_workers; break;
		case CONF_K_MAX_SESSIONS: got = cf.cf_max_sessions; break;
		case CONF_K_SOURCE_ADDRESS_FILTERING: got = cf.cf_source_filtering; break;
		case CONF_K_INITIATE_TCP: got = cf.cf_initiate_tcp; break;
		case CONF_K_OTHER_MEDIA: got = cf.cf_other_media; break;
		case CONF_K_LOG_LEVEL: got = cf.cf_log_level; break;
		case CONF_K_SANDBOX: got = cf.cf_sandbox; break;
		case CONF_K_DEBUG_HOOKS: got = cf.cf_debug_hooks; break;
		case CONF_K_PORT_MIN: got = cf.cf_port_min; break;
		case CONF_K_PORT_MAX: got = cf.cf_port_max; break;
		default: cr_assert_fail("untested key"); break;
		}
		cr_assert_eq(got, cases[i].want, "%s: got %llu", cases[i].text,
		    (unsigned long long)got);
		assert_round_trip(&cf);
	}
}

Test(conf, rotation_needs_cdr_dir_only_when_set)
{
	struct as_conf cf;
	struct conf_err err;

	/* rotation keys without cdr-dir are an error, but only when written. */
	cr_assert_eq(parse_str("cdr-rotate-size = 1M\n", &cf, &err), -1);
	cr_assert_eq(err.ce_line, 1);
	cr_assert_str_eq(err.ce_msg, "cdr-rotate-size is set but cdr-dir is none");
	cr_assert_eq(parse_str("cdr-dir = /x\ncdr-rotate-age = 2h\n", &cf, &err), 0);
	cr_assert_eq(parse_str("cdr-dir = none\n\ncdr-rotate-age = 2h\n", &cf, &err), -1);
	cr_assert_eq(err.ce_line, 3);
	cr_assert_str_eq(err.ce_msg, "cdr-rotate-age is set but cdr-dir is none");
}

/*
 * One line per case: the bad line, the line number reported and the exact message.
 * Arrays, not pointers: Criterion copies parameters into the test process.
 */
struct bad_case {
	char		text[96];
	unsigned	line;
	char		msg[160];
};

ParameterizedTestParameters(conf, bad_values)
{
	static struct bad_case cases[] = {
		/* control-udp / control-tcp */
		{ "control-udp = 127.0.0.1", 1,
		    "control-udp: \"127.0.0.1\" is not IP:PORT (a port is required)" },
		{ "control-udp = ::1:2226", 1, "control-udp: \"::1:2226\" is not IP:PORT "
		    "(write IPv6 in brackets: [::1]:2226)" },
		{ "control-tcp = [::1]2226", 1,
		    "control-tcp: \"[::1]2226\" is not [IPv6]:PORT" },
		{ "control-tcp = [::1]:", 1, "control-tcp: \"[::1]:\" has a bad port (1..65535)" },
		{ "control-tcp = [1.2.3.4]:5", 1, "control-tcp: \"[1.2.3.4]:5\" is not "
		    "[IPv6]:PORT (bad IPv6 address)" },
		{ "control-tcp = 1.2.3:5", 1,
		    "control-tcp: \"1.2.3:5\" is not IP:PORT (bad IPv4 address)" },
		{ "control-tcp = 01.2.3.4:5", 1,
		    "control-tcp: \"01.2.3.4:5\" is not IP:PORT (bad IPv4 address)" },
		{ "control-tcp = localhost:5", 1,
		    "control-tcp: \"localhost:5\" is not IP:PORT (bad IPv4 address)" },
		{ "control-tcp = [fe80::1%eth0]:5", 1, "control-tcp: \"[fe80::1%eth0]:5\" is "
		    "not [IPv6]:PORT (bad IPv6 address)" },
		{ "control-tcp = 127.0.0.1:0", 1,
		    "control-tcp: \"127.0.0.1:0\" has a bad port (1..65535)" },
		{ "control-tcp = 127.0.0.1:65536", 1,
		    "control-tcp: \"127.0.0.1:65536\" has a bad port (1..65535)" },
		{ "control-tcp = 127.0.0.1:22x", 1,
		    "control-tcp: \"127.0.0.1:22x\" has a bad port (1..65535)" },
		{ "control-tcp = 127.0.0.1: 22", 1,
		    "control-tcp: \"127.0.0.1: 22\" has a bad port (1..65535)" },
		{ "control-tcp = 224.0.0.1:5", 1,
		    "control-tcp: \"224.0.0.1:5\" is a multicast or broadcast address" },
		/* control-allow */
		{ "control-allow = 10.0.0.1/8", 1, "control-allow: \"10.0.0.1/8\": address "
		    "has bits set after the prefix length" },
		{ "control-allow = 10.0.0.0/33", 1, "control-allow: \"10.0.0.0/33\": prefix "
		    "length too large for the address family" },
		{ "control-allow = ::1, foo", 1, "control-allow: \"foo\": not an IPv4 or IPv6 "
		    "address" },
		{ "control-allow = ::1,,::2", 1,
		    "control-allow: empty prefix (an empty list item)" },
		{ "control-allow = ,", 1, "control-allow: empty prefix (an empty list item)" },
		/* media-address / advertised-address */
		{ "media-address = none", 1,
		    "media-address: \"none\" is not an IPv4 or IPv6 address" },
		{ "media-address = 1.2.3.4, 5.6.7.8", 1, "media-address: \"1.2.3.4, 5.6.7.8\" "
		    "has two addresses of one family (at most one IPv4 and one IPv6)" },
		{ "media-address = 1.2.3.4,", 1,
		    "media-address: \"1.2.3.4,\" has an empty list element" },
		{ "media-address = ,1.2.3.4", 1,
		    "media-address: \",1.2.3.4\" has an empty list element" },
		{ "media-address = [::1]", 1,
		    "media-address: \"[::1]\" is not an IPv4 or IPv6 address" },
		{ "media-address = 1.2.3.4:5", 1,
		    "media-address: \"1.2.3.4:5\" is not an IPv4 or IPv6 address" },
		{ "media-address = ff02::1", 1,
		    "media-address: \"ff02::1\" is a multicast or broadcast address" },
		{ "media-address = ::ffff:1.2.3.4", 1,
		    "media-address: \"::ffff:1.2.3.4\" is IPv4-mapped: write the IPv4 address" },
		{ "advertised-address = ::1, ::2", 1, "advertised-address: \"::1, ::2\" has "
		    "two addresses of one family (at most one IPv4 and one IPv6)" },
		{ "advertised-address = none, 1.2.3.4", 1,
		    "advertised-address: \"none\" is not an IPv4 or IPv6 address" },
		/* ports */
		{ "port-min = 0", 1, "port-min: \"0\" is out of range (1..65535)" },
		{ "port-min = 65536", 1, "port-min: \"65536\" is out of range (1..65535)" },
		{ "port-min = -1", 1, "port-min: \"-1\" is not a number" },
		{ "port-min = +5", 1, "port-min: \"+5\" is not a number" },
		{ "port-max = 100 200", 1, "port-max: \"100 200\" is not a number" },
		{ "port-max = 0x100", 1, "port-max: \"0x100\" is not a number" },
		{ "port-max = 99999999999999999999999", 1,
		    "port-max: \"99999999999999999999999\" is not a number" },
		/* durations */
		{ "port-quarantine = 500ms", 1,
		    "port-quarantine: \"500ms\" is out of range (0 or 1s..1h)" },
		{ "port-quarantine = 2h", 1,
		    "port-quarantine: \"2h\" is out of range (0 or 1s..1h)" },
		{ "ice-timeout = 0", 1, "ice-timeout: \"0\" is out of range (1s..1h)" },
		{ "ice-timeout = 10 s", 1, "ice-timeout: \"10 s\" is not a duration "
		    "(a number with ms, s, m, h or d)" },
		{ "ice-timeout = 1.5s", 1, "ice-timeout: \"1.5s\" is not a duration "
		    "(a number with ms, s, m, h or d)" },
		{ "ice-timeout = 10S", 1, "ice-timeout: \"10S\" is not a duration "
		    "(a number with ms, s, m, h or d)" },
		{ "ice-timeout = s", 1, "ice-timeout: \"s\" is not a duration "
		    "(a number with ms, s, m, h or d)" },
		{ "idle-timeout = 2d", 1, "idle-timeout: \"2d\" is out of range (1s..1d)" },
		{ "idle-timeout = 99999999999999999d", 1,
		    "idle-timeout: \"99999999999999999d\" is out of range (1s..1d)" },
		{ "cdr-rotate-age = 59s", 1,
		    "cdr-rotate-age: \"59s\" is out of range (0 or 1m..30d)" },
		/* sizes */
		{ "cdr-rotate-size = 1k", 1,
		    "cdr-rotate-size: \"1k\" is out of range (0 or 64K..1024G)" },
		{ "cdr-rotate-size = 2048G", 1,
		    "cdr-rotate-size: \"2048G\" is out of range (0 or 64K..1024G)" },
		{ "capture-max-size = 1023", 1,
		    "capture-max-size: \"1023\" is out of range (0 or 1K..1024G)" },
		{ "cdr-rotate-size = 10MB", 1, "cdr-rotate-size: \"10MB\" is not a size "
		    "(a number with K, M or G)" },
		{ "cdr-rotate-size = 10m", 1, "cdr-rotate-size: \"10m\" is not a size "
		    "(a number with K, M or G)" },
		{ "cdr-rotate-size = M", 1, "cdr-rotate-size: \"M\" is not a size "
		    "(a number with K, M or G)" },
		{ "cdr-rotate-size = 99999999999999999G", 1, "cdr-rotate-size: "
		    "\"99999999999999999G\" is out of range (0 or 64K..1024G)" },
		/* workers, max-sessions */
		{ "workers = 0", 1, "workers: \"0\" is out of range (1..256)" },
		{ "workers = 257", 1, "workers: \"257\" is out of range (1..256)" },
		{ "workers = many", 1, "workers: \"many\" is not a number" },
		{ "max-sessions = 0", 1, "max-sessions: \"0\" is out of range (1..1000000)" },
		{ "max-sessions = 1000001", 1,
		    "max-sessions: \"1000001\" is out of range (1..1000000)" },
		/* user */
		{ "user = -root", 1, "user: \"-root\" is not a user name "
		    "(letters, digits, '_', then also '-' and '.')" },
		{ "user = app share", 1, "user: \"app share\" is not a user name "
		    "(letters, digits, '_', then also '-' and '.')" },
		{ "user = 1000", 1, "user: \"1000\" is not a user name (a name, not a number)" },
		{ "user = abcdefghijabcdefghijabcdefghijabc", 1, "user: \"abcdefghijabcdefghij"
		    "abcdefghijabc\" is too long for a user name (at most 32 characters)" },
		{ "user = a/b", 1, "user: \"a/b\" is not a user name "
		    "(letters, digits, '_', then also '-' and '.')" },
		/* paths */
		{ "cdr-dir = var/lib", 1, "cdr-dir: \"var/lib\" is not an absolute path (or none)" },
		{ "capture-dir = ~/pcap", 1,
		    "capture-dir: \"~/pcap\" is not an absolute path (or none)" },
		{ "cdr-dir = \"/a\tb\"", 1, "cdr-dir: \"/a\tb\" contains a tab or a quote" },
		/* booleans, log level */
		{ "initiate-tcp = 1", 1,
		    "initiate-tcp: \"1\" is not a boolean (yes/no, on/off, true/false)" },
		{ "source-address-filtering = yess", 1, "source-address-filtering: \"yess\" is "
		    "not a boolean (yes/no, on/off, true/false)" },
		{ "log-level = verbose", 1, "log-level: \"verbose\" is not a log level "
		    "(error, warning, info, debug)" },
		{ "sandbox = strict", 1, "sandbox: \"strict\" is not a sandbox mode "
		    "(on, trap, off)" },
		{ "debug-hooks = maybe", 1, "debug-hooks: \"maybe\" is not a boolean "
		    "(yes/no, on/off, true/false)" },
		/* other-media */
		{ "other-media = drop", 1, "other-media: \"drop\" is not pass or refuse" },
		{ "workers = 2\n\nother-media = yes", 3,
		    "other-media: \"yes\" is not pass or refuse" },
		{ "other-media = pass refuse", 1,
		    "other-media: \"pass refuse\" is not pass or refuse" },
		/* the line number is the bad line's, after comments and blank lines */
		{ "# c\n\nport-min = 2\r\n\r\n  workers = x\n", 5,
		    "workers: \"x\" is not a number" },
	};

	return cr_make_param_array(struct bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, conf, bad_values)
{
	struct as_conf cf;
	struct conf_err err;

	cr_assert_eq(parse_str(c->text, &cf, &err), -1, "accepted: %s", c->text);
	cr_assert_eq(err.ce_line, c->line, "%s: line %u", c->text, err.ce_line);
	cr_assert_str_eq(err.ce_msg, c->msg);
	cr_assert_gt(err.ce_col, 0, "%s: no column", c->text);
	cr_assert_neq(err.ce_key[0], '\0', "%s: no key", c->text);
}

ParameterizedTestParameters(conf, bad_syntax)
{
	static struct bad_case cases[] = {
		{ "port-min 5", 1, "expected \"key = value\"" },
		{ "port-min", 1, "expected \"key = value\"" },
		{ "port min = 5", 1, "expected \"key = value\"" },
		{ "= 5", 1, "missing key before '='" },
		{ "port-min =", 1, "port-min: missing value" },
		{ "port-min =   # nothing", 1, "port-min: missing value" },
		{ "port-min = \"\"", 1, "port-min: missing value" },
		{ "frobnicate = 1", 1, "unknown key \"frobnicate\"" },
		{ "Port-Min = 1", 1, "unknown key \"Port-Min\"" },
		{ "port_min = 1", 1, "unknown key \"port_min\"" },
		{ "\n\nport-min = 1\nport-max = 3\n# x\nport-min = 2\n", 6,
		    "duplicate key \"port-min\" (first set on line 3)" },
		{ "user = \"abc", 1, "unterminated quote" },
		{ "user = \"abc\" def", 1, "user: characters after the quoted value" },
		{ "user = ab\"c\"", 1, "user: a quote inside an unquoted value" },
		{ "user = abc\x01", 1, "control character 0x01" },
		{ "user = abc\x7f", 1, "control character 0x7f" },
		{ "user = abc\rdef", 1, "control character 0x0d" },
		{ "user = caf\xc3\xa9", 1, "non-ASCII byte 0xc3 (allowed in comments only)" },
		{ "user = \"caf\xc3\xa9\"", 1, "non-ASCII byte 0xc3 (allowed in comments only)" },
		{ "\xef\xbb\xbfport-min = 5\n\xef\xbb\xbf", 2,
		    "non-ASCII byte 0xef (allowed in comments only)" },
		{ "\xff\xfe", 1, "non-ASCII byte 0xff (allowed in comments only)" },
	};

	return cr_make_param_array(struct bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, conf, bad_syntax)
{
	struct as_conf cf;
	struct conf_err err;

	cr_assert_eq(parse_str(c->text, &cf, &err), -1, "accepted: %s", c->text);
	cr_assert_eq(err.ce_line, c->line, "%s: line %u", c->text, err.ce_line);
	cr_assert_str_eq(err.ce_msg, c->msg);
	cr_assert_gt(err.ce_col, 0);
}

Test(conf, column_points_at_the_token)
{
	struct as_conf cf;
	struct conf_err err;

	cr_assert_eq(parse_str("  frob = 1", &cf, &err), -1);
	cr_assert_eq(err.ce_col, 3);
	cr_assert_str_eq(err.ce_key, "");
	cr_assert_eq(parse_str("port-min =\t77777", &cf, &err), -1);
	cr_assert_eq(err.ce_col, 12);
	cr_assert_str_eq(err.ce_key, "port-min");
	cr_assert_eq(parse_str("control-allow = ::1, 10.0.0.1/8", &cf, &err), -1);
	cr_assert_eq(err.ce_col, 22);
	cr_assert_eq(parse_str("user = ok\x01", &cf, &err), -1);
	cr_assert_eq(err.ce_col, 10);
	cr_assert_eq(parse_str("user = a\"b\"c\"d", &cf, &err), -1);
	cr_assert_str_eq(err.ce_msg, "unterminated quote");
	cr_assert_eq(err.ce_col, 13, "the quote left open, not the first one");
}

Test(conf, nul_byte_is_an_error)
{
	static const char text[] = "port-min = 5\n# a\0b\n";
	struct as_conf cf;
	struct conf_err err;

	cr_assert_eq(conf_parse(text, sizeof(text) - 1, &cf, &err), -1);
	cr_assert_eq(err.ce_line, 2);
	cr_assert_eq(err.ce_col, 4);
	cr_assert_str_eq(err.ce_msg, "NUL byte");
}

Test(conf, whitespace_crlf_quotes_and_comments)
{
	struct as_conf cf;
	struct conf_err err;

	cr_assert_eq(parse_str("\t port-min\t=\t30000 \t# c\r\nport-max=30001\r\n"
	    "log-level=\"info\"  # a quoted keyword\r\n"
	    "capture-dir = \" /not-absolute\"\n", &cf, &err), -1);
	/* Quotes keep leading spaces, so the path above is not absolute. */
	cr_assert_eq(err.ce_line, 4);
	cr_assert_eq(parse_str("\t port-min\t=\t30000 \t# c\r\nport-max=30001\r\n"
	    "cdr-dir=\"/x#y \"  # '#' inside quotes is literal\r\n"
	    "log-level = \"debug\"", &cf, &err), 0, "%s", err.ce_msg);
	cr_assert_eq(cf.cf_port_min, 30000);
	cr_assert_eq(cf.cf_port_max, 30001);
	cr_assert_str_eq(cf.cf_cdr_dir, "/x#y ");
	cr_assert_eq(cf.cf_log_level, CONF_LOG_DEBUG);
	assert_round_trip(&cf);
}

Test(conf, long_lines)
{
	size_t n = CONF_LINE_MAX + 64;
	char *text = malloc(n + 1);
	struct as_conf cf;
	struct conf_err err;

	/* A comment of exactly CONF_LINE_MAX bytes is fine, one more byte is not. */
	memset(text, ' ', n);
	text[0] = '#';
	memcpy(text + CONF_LINE_MAX, "\r\n", 2);
	cr_assert_eq(conf_parse(text, CONF_LINE_MAX + 2, &cf, &err), 0, "%s", err.ce_msg);
	text[CONF_LINE_MAX] = ' ';
	cr_assert_eq(conf_parse(text, CONF_LINE_MAX + 2, &cf, &err), -1);
	cr_assert_eq(err.ce_line, 1);
	cr_assert_str_eq(err.ce_msg, "line too long (more than 4096 bytes)");
	/* A long value is cut in the message, never overflowing it. */
	memset(text, 'a', n);
	memcpy(text, "user = ", 7);
	text[1000] = '\0';
	cr_assert_eq(parse_str(text, &cf, &err), -1);
	cr_assert(strstr(err.ce_msg, "...\" is too long for a user name") != NULL, "%s",
	    err.ce_msg);
	memset(text, 'k', 999);
	memcpy(text + 999, " = 1", 5);
	cr_assert_eq(parse_str(text, &cf, &err), -1);
	cr_assert(strncmp(err.ce_msg, "unknown key \"kkk", 16) == 0);
	cr_assert_lt(strlen(err.ce_msg), sizeof(err.ce_msg));
	free(text);
}

Test(conf, path_length_limit)
{
	char text[600];
	struct as_conf cf;
	struct conf_err err;

	memcpy(text, "cdr-dir = /", 11);
	memset(text + 11, 'p', 254);
	text[11 + 254] = '\0';
	cr_assert_eq(parse_str(text, &cf, &err), 0, "%s", err.ce_msg);
	cr_assert_eq(strlen(cf.cf_cdr_dir), 255);
	assert_round_trip(&cf);
	memcpy(text + 11 + 254, "p", 2);
	cr_assert_eq(parse_str(text, &cf, &err), -1);
	cr_assert(strstr(err.ce_msg, "is too long (at most 255 bytes)") != NULL);
}

Test(conf, control_allow_list_limits)
{
	char text[4096];
	size_t pos;
	struct as_conf cf;
	struct conf_err err;

	pos = (size_t)snprintf(text, sizeof(text), "control-allow =");
	for (int i = 0; i < CIDR_LIST_MAX; i++)
		pos += (size_t)snprintf(text + pos, sizeof(text) - pos, " 10.0.%d.0/24", i);
	cr_assert_eq(parse_str(text, &cf, &err), 0, "%s", err.ce_msg);
	cr_assert_eq(cf.cf_control_allow.cl_n, CIDR_LIST_MAX);
	assert_round_trip(&cf);
	snprintf(text + pos, sizeof(text) - pos, ", ::1");
	cr_assert_eq(parse_str(text, &cf, &err), -1);
	cr_assert_str_eq(err.ce_msg, "control-allow: \"::1\": too many rules in the list");
}

struct sem_case {
	char		text[96];
	unsigned	line;
	char		msg[160];
};

ParameterizedTestParameters(conf, semantics)
{
	static struct sem_case cases[] = {
		{ "port-min = 3000\nport-max = 2000\n", 2,
		    "port-max 2000 is below port-min 3000" },
		{ "port-max = 2000\nport-min = 3000\n", 2,
		    "port-max 2000 is below port-min 3000" },
		{ "port-max = 20000\n", 1, "port range 20000-20000 has one port; "
		    "a session needs at least 2" },
		{ "port-min = 2000\nport-max = 3000\n", 2,
		    "control-udp port 2226 lies inside the media port range 2000-3000" },
		{ "control-udp = none\nport-min = 2000\nport-max = 3000\n", 3,
		    "control-tcp port 2226 lies inside the media port range 2000-3000" },
		{ "control-udp = none\ncontrol-tcp = NONE\n", 2,
		    "control-udp and control-tcp are both none: nothing would accept commands" },
		{ "metrics-address = 127.0.0.1:20005\n", 1,
		    "metrics-address port 20005 lies inside the media port range 20000-29999" },
		{ "metrics-address = 127.0.0.1:2226\n", 1,
		    "metrics-address is the control-tcp address" },
		{ "advertised-address = ::1\n", 1,
		    "advertised-address has an IPv6 address but media-address has none" },
		{ "media-address = ::1\n\nadvertised-address = 192.0.2.1\n", 3,
		    "advertised-address has an IPv4 address but media-address has none" },
		{ "media-address = 0.0.0.0\n", 1, "media-address has the IPv4 wildcard: "
		    "advertised-address needs an IPv4 address" },
		{ "media-address = 0.0.0.0, ::\nadvertised-address = 192.0.2.1\n", 2,
		    "media-address has the IPv6 wildcard: advertised-address needs an IPv6 "
		    "address" },
		{ "advertised-address = 0.0.0.0\n", 1,
		    "advertised-address: the IPv4 wildcard cannot be advertised" },
		{ "cdr-dir = /a\ncapture-dir = /a\n", 2,
		    "capture-dir and cdr-dir are the same directory" },
	};

	return cr_make_param_array(struct sem_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct sem_case *c, conf, semantics)
{
	struct as_conf cf;
	struct conf_err err;

	cr_assert_eq(parse_str(c->text, &cf, &err), -1, "accepted: %s", c->text);
	cr_assert_eq(err.ce_line, c->line, "%s: line %u", c->text, err.ce_line);
	cr_assert_str_eq(err.ce_msg, c->msg);
}

Test(conf, semantics_on_a_built_struct)
{
	struct as_conf cf;
	struct conf_err err;

	conf_defaults(&cf);
	cf.cf_port_max = cf.cf_port_min;
	cr_assert_eq(conf_check_semantics(&cf, &err), -1);
	cr_assert_eq(err.ce_line, 0, "no line: nothing was read from a file");
	conf_defaults(&cf);
	cf.cf_workers = 257;
	cr_assert_eq(conf_check_semantics(&cf, NULL), -1);
	conf_defaults(&cf);
	cf.cf_control_allow.cl_n = 0;
	cr_assert_eq(conf_check_semantics(&cf, &err), -1);
	cr_assert_str_eq(err.ce_msg, "control-allow is empty");
	conf_defaults(&cf);
	cf.cf_ice_timeout_ms = 0;
	cr_assert_eq(conf_check_semantics(&cf, &err), -1);
}

Test(conf, wildcard_media_with_advertised)
{
	struct as_conf cf;
	struct conf_err err;

	cr_assert_eq(parse_str("media-address = 0.0.0.0 ::\n"
	    "advertised-address = 198.51.100.7,2001:db8::7\n", &cf, &err), 0, "%s",
	    err.ce_msg);
	cr_assert(cf.cf_media.ci_has4 && cf.cf_media.ci_has6);
	assert_ip6(cf.cf_advertised.ci_ip6, "2001:db8::7");
	assert_round_trip(&cf);
}

Test(conf, err_format)
{
	struct conf_err err;
	struct as_conf cf;
	char buf[256];
	size_t n;

	cr_assert_eq(parse_str("\nworkers = lots\n", &cf, &err), -1);
	n = conf_err_format(&err, "/etc/appshare.conf", buf, sizeof(buf));
	cr_assert_str_eq(buf, "/etc/appshare.conf:2: workers: \"lots\" is not a number");
	cr_assert_eq(n, strlen(buf));
	/* Truncation works like snprintf. */
	n = conf_err_format(&err, "f", buf, 5);
	cr_assert_str_eq(buf, "f:2:");
	cr_assert_eq(n, strlen("f:2: workers: \"lots\" is not a number"));
	err.ce_line = 0;
	conf_err_format(&err, "f", buf, sizeof(buf));
	cr_assert_str_eq(buf, "f: workers: \"lots\" is not a number");
}

Test(conf, print_truncates_like_snprintf)
{
	struct as_conf cf;
	char big[8192], small[40];
	size_t n, m;

	conf_defaults(&cf);
	n = conf_print(&cf, big, sizeof(big));
	m = conf_print(&cf, small, sizeof(small));
	cr_assert_eq(n, m);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
	cr_assert(strncmp(big, small, sizeof(small) - 1) == 0);
	cr_assert_eq(conf_print(&cf, NULL, 0), n);
	cr_assert(strstr(big, "\ncontrol-allow = 127.0.0.0/8, ::1/128\n") != NULL, "%s", big);
	cr_assert(strstr(big, "\nworkers = auto\n") != NULL);
	cr_assert(strstr(big, "\ncdr-dir = none\n") != NULL);
	cr_assert(strstr(big, "\n# (no cdr-dir) cdr-rotate-size = 64M\n") != NULL);
	cr_assert(strstr(big, "\nice-timeout = 2m\n") != NULL);
	cr_assert(strstr(big, "\ninitiate-tcp = no\nother-media = pass\n") != NULL, "%s", big);
}

Test(conf, names_and_sockaddr)
{
	struct as_conf cf;
	struct conf_err err;
	struct sockaddr_storage ss;
	socklen_t sl;

	cr_assert_str_eq(conf_key_name(CONF_K_CONTROL_UDP), "control-udp");
	cr_assert_str_eq(conf_key_name(CONF_K_LOG_LEVEL), "log-level");
	cr_assert_null(conf_key_name(CONF_K_MAX));
	cr_assert_str_eq(conf_log_level_name(CONF_LOG_WARNING), "warning");
	cr_assert_null(conf_log_level_name((enum conf_log_level)9));
	cr_assert_str_eq(conf_sandbox_name(CONF_SANDBOX_TRAP), "trap");
	cr_assert_null(conf_sandbox_name((enum conf_sandbox)3));
	cr_assert_str_eq(conf_key_name(CONF_K_OTHER_MEDIA), "other-media");
	cr_assert_str_eq(conf_other_media_name(CONF_OTHER_REFUSE), "refuse");
	cr_assert_str_eq(conf_other_media_name(CONF_OTHER_PASS), "pass");
	cr_assert_null(conf_other_media_name((enum conf_other_media)2));
	cr_assert_eq(parse_str("control-udp = [2001:db8::1]:4000\ncontrol-tcp = none\n",
	    &cf, &err), 0, "%s", err.ce_msg);
	cr_assert_eq(conf_addr_to_sockaddr(&cf.cf_control_udp, &ss, &sl), 0);
	cr_assert_eq(sl, sizeof(struct sockaddr_in6));
	cr_assert_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 4000);
	cr_assert_eq(conf_addr_to_sockaddr(&cf.cf_control_tcp, &ss, &sl), -1);
	conf_defaults(&cf);
	cr_assert_eq(conf_addr_to_sockaddr(&cf.cf_control_tcp, &ss, &sl), 0);
	cr_assert_eq(sl, sizeof(struct sockaddr_in));
	cr_assert_eq(((struct sockaddr_in *)&ss)->sin_addr.s_addr, htonl(0x7f000001));
}

Test(conf, equal_ignores_lines_only)
{
	struct as_conf a, b;

	conf_defaults(&a);
	conf_defaults(&b);
	b.cf_line[CONF_K_USER] = 7;
	cr_assert(conf_equal(&a, &b));
	b.cf_initiate_tcp = true;
	cr_assert_not(conf_equal(&a, &b));
	conf_defaults(&b);
	b.cf_other_media = CONF_OTHER_REFUSE;
	cr_assert_not(conf_equal(&a, &b));
	conf_defaults(&b);
	b.cf_control_allow.cl_rules[0].cr_action = CIDR_DENY;
	cr_assert_not(conf_equal(&a, &b));
}

/* Random bytes and random mutations of a valid file: never a crash, always an answer. */
Test(conf, hostile_random_input)
{
	struct tu_rng rng;
	char buf[2048];
	struct as_conf cf;
	struct conf_err err;

	tu_rng_seed(&rng, 20240611);
	for (int i = 0; i < 2000; i++) {
		size_t n = tu_rng_next(&rng) % sizeof(buf);
		int rc;

		if (i % 2 == 0) {
			tu_rng_bytes(&rng, buf, n);
		} else {
			n = sizeof(full_text) - 1;
			memcpy(buf, full_text, n);
			for (int k = 0; k < 4; k++)
				buf[tu_rng_next(&rng) % n] = (char)tu_rng_next(&rng);
		}
		rc = conf_parse(buf, n, &cf, &err);
		if (rc == 0)
			assert_round_trip(&cf);
		else
			cr_assert_neq(err.ce_msg[0], '\0');
	}
}

/* A configuration built in code: an enum out of range is refused, naming the key. */
Test(conf, other_media_out_of_range)
{
	struct as_conf cf;
	struct conf_err err;

	conf_defaults(&cf);
	cf.cf_other_media = (enum conf_other_media)7;
	cr_assert_eq(conf_check_semantics(&cf, &err), -1);
	cr_assert_str_eq(err.ce_key, "other-media");
	cr_assert_str_eq(err.ce_msg, "other-media is out of range");
}
