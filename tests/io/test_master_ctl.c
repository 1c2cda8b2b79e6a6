/*
 * appshare-master as a whole, on loopback: configuration check (-n), the control port
 * over UDP and TCP (JSON and bencode), error replies, the cookie cache, and one
 * offer/answer/query/delete.  Starts the built binary (APPSHARE_MASTER_BIN) with a
 * temporary configuration and stops it by PID.
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#ifndef APPSHARE_MASTER_BIN
#error "APPSHARE_MASTER_BIN must name the built appshare-master"
#endif

static char	*tm_dir;
static char	 tm_conf[512];
static char	 tm_log[512];
static pid_t	 tm_pid = -1;
static uint16_t	 tm_port;

/* A port free for both UDP and TCP on 127.0.0.1 right now. */
static uint16_t
tm_free_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int u, t, i;

	for (i = 0; i < 50; i++) {
		u = socket(AF_INET, SOCK_DGRAM, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		cr_assert_eq(bind(u, (struct sockaddr *)&sin, sizeof(sin)), 0);
		cr_assert_eq(getsockname(u, (struct sockaddr *)&sin, &sl), 0);
		t = socket(AF_INET, SOCK_STREAM, 0);
		if (bind(t, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			close(t);
			close(u);
			return ntohs(sin.sin_port);
		}
		close(t);
		close(u);
	}
	cr_assert_fail("no free port");
	return 0;
}

static void
tm_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static ssize_t
tm_udp(const char *msg, size_t len, char *out, size_t cap, int timeout_ms)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	ssize_t n;
	int s;

	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(tm_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(sendto(s, msg, len, 0, (struct sockaddr *)&sin, sizeof(sin)),
	    (ssize_t)len);
	pfd.fd = s;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) != 1) {
		close(s);
		return -1;
	}
	n = recv(s, out, cap - 1, 0);
	close(s);
	if (n >= 0)
		out[n] = '\0';
	return n;
}

static char *
tm_udp_str(const char *msg)
{
	static char buf[70000];

	if (tm_udp(msg, strlen(msg), buf, sizeof(buf), 3000) < 0)
		return NULL;
	return buf;
}

static void
tm_start(const char *extra)
{
	char text[2048], *argv[5];
	uint16_t base;
	int i, fd;

	tm_dir = tu_tmpdir();
	tm_port = tm_free_port();
	base = (uint16_t)(31000 + (getpid() % 40) * 100);
	snprintf(tm_conf, sizeof(tm_conf), "%s/appshare.conf", tm_dir);
	snprintf(tm_log, sizeof(tm_log), "%s/master.log", tm_dir);
	snprintf(text, sizeof(text),
	    "control-udp = 127.0.0.1:%u\n"
	    "control-tcp = 127.0.0.1:%u\n"
	    "media-address = 127.0.0.1\n"
	    "port-min = %u\nport-max = %u\n"
	    "workers = 2\n"
#ifdef APPSHARE_SANITIZED
	    "sandbox = off\n"
#endif
	    "%s", tm_port, tm_port, base, base + 99, extra);
	tm_write(tm_conf, text);
	argv[0] = (char *)(uintptr_t)"appshare-master";
	argv[1] = (char *)(uintptr_t)"-d";
	argv[2] = (char *)(uintptr_t)"-f";
	argv[3] = tm_conf;
	argv[4] = NULL;
	if ((tm_pid = fork()) == 0) {
		fd = open(tm_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		dup2(fd, 1);
		execv(APPSHARE_MASTER_BIN, argv);
		_exit(127);
	}
	cr_assert_gt(tm_pid, 0);
	for (i = 0; i < 50; i++) {
		char buf[256];

		if (tm_udp("up {\"command\":\"ping\"}", 20, buf, sizeof(buf), 100) > 0)
			return;
		usleep(100000);
	}
	cr_assert_fail("appshare-master did not answer ping (log %s)", tm_log);
}

static void
tm_stop(void)
{
	int status, i;

	if (tm_pid > 0) {
		kill(tm_pid, SIGTERM);
		for (i = 0; i < 60; i++) {
			if (waitpid(tm_pid, &status, WNOHANG) == tm_pid) {
				tm_pid = -1;
				break;
			}
			usleep(100000);
		}
		if (tm_pid > 0) {
			kill(tm_pid, SIGKILL);
			waitpid(tm_pid, &status, 0);
			tm_pid = -1;
		}
	}
	if (tm_dir != NULL) {
		tu_tmpdir_remove(tm_dir);
		tm_dir = NULL;
	}
}

static void
tm_setup(void)
{
	tm_start("");
}

static int
tm_run(char *const argv[], char *err, size_t errlen)
{
	int p[2], status;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	cr_assert_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		dup2(p[1], 2);
		dup2(p[1], 1);
		close(p[0]);
		execv(APPSHARE_MASTER_BIN, argv);
		_exit(127);
	}
	close(p[1]);
	while (got + 1 < errlen && (n = read(p[0], err + got, errlen - 1 - got)) > 0)
		got += (size_t)n;
	err[got] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(master_ctl, configtest)
{
	char *dir = tu_tmpdir(), path[512], out[4096];
	char *argv[6] = { (char *)(uintptr_t)"appshare-master", (char *)(uintptr_t)"-n",
	    (char *)(uintptr_t)"-f", path, NULL, NULL };

	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	tm_write(path, "# a comment\nworkers = 2\n\nport-min = 70000\n");
	cr_assert_eq(tm_run(argv, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "bad.conf:4: port-min: \"70000\" is out of range") != NULL,
	    "%s", out);
	tm_write(path, "workers = 2\nsandbox = maybe\n");
	cr_assert_eq(tm_run(argv, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "bad.conf:2: sandbox:") != NULL, "%s", out);
	tm_write(path, "workers = 2\n");
	cr_assert_eq(tm_run(argv, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "configuration OK") != NULL, "%s", out);
	argv[4] = (char *)(uintptr_t)"-v";
	cr_assert_eq(tm_run(argv, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "workers = 2") != NULL, "%s", out);
	cr_assert(strstr(out, "sandbox = on") != NULL, "%s", out);
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	argv[4] = NULL;
	cr_assert_eq(tm_run(argv, out, sizeof(out)), 1, "%s", out);
	tu_tmpdir_remove(dir);
}

Test(master_ctl, ping_udp_json_and_bencode, .init = tm_setup, .fini = tm_stop,
    .timeout = 30)
{
	char *r;

	r = tm_udp_str("ck2 {\"command\":\"ping\"}");
	cr_assert_not_null(r);
	cr_assert_str_eq(r, "ck2 {\"result\":\"pong\"}");
	r = tm_udp_str("1_2345_1 d7:command4:pinge");
	cr_assert_not_null(r);
	cr_assert_str_eq(r, "1_2345_1 d6:result4:ponge");
}

Test(master_ctl, ping_tcp_back_to_back, .init = tm_setup, .fini = tm_stop, .timeout = 30)
{
	static const char msgs[] = "t1 {\"command\":\"ping\"}\nt2 d7:command4:pinge";
	static const char want[] = "t1 {\"result\":\"pong\"}t2 d6:result4:ponge";
	struct sockaddr_in sin;
	struct pollfd pfd;
	char buf[256];
	size_t got = 0;
	ssize_t n;
	int s;

	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(tm_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(s, (struct sockaddr *)&sin, sizeof(sin)), 0, "%s",
	    strerror(errno));
	/* Split in the middle of a message: the framer waits for the rest. */
	cr_assert_eq(write(s, msgs, 10), 10);
	usleep(50000);
	cr_assert_eq(write(s, msgs + 10, sizeof(msgs) - 11), (ssize_t)sizeof(msgs) - 11);
	pfd.fd = s;
	pfd.events = POLLIN;
	while (got < sizeof(want) - 1 && poll(&pfd, 1, 3000) == 1) {
		if ((n = read(s, buf + got, sizeof(buf) - 1 - got)) <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	cr_assert_str_eq(buf, want);
	close(s);
}

Test(master_ctl, bad_input_gets_error_and_daemon_keeps_serving, .init = tm_setup,
    .fini = tm_stop, .timeout = 30)
{
	char buf[512], big[70000];
	char *r;

	r = tm_udp_str("b1 {\"command\":");
	cr_assert_not_null(r);
	cr_assert_str_eq(r, "b1 {\"result\":\"error\",\"error-reason\":\"Invalid NG data format\"}");
	r = tm_udp_str("b2 d7:command4:pong");
	cr_assert_not_null(r);
	cr_assert(strstr(r, "Invalid NG data format") != NULL, "%s", r);
	r = tm_udp_str("b3 {\"command\":\"teleport\"}");
	cr_assert_not_null(r);
	cr_assert(strstr(r, "Unrecognized command") != NULL, "%s", r);
	r = tm_udp_str("b4 {\"command\":\"offer\",\"call-id\":\"x\",\"from-tag\":\"y\","
	    "\"sdp\":\"not an sdp\"}");
	cr_assert_not_null(r);
	cr_assert(strstr(r, "Failed to parse SDP") != NULL, "%s", r);
	r = tm_udp_str("b5 {\"command\":\"answer\",\"call-id\":\"nope\",\"from-tag\":\"y\","
	    "\"to-tag\":\"z\",\"sdp\":\"v=0\"}");
	cr_assert_not_null(r);
	cr_assert(strstr(r, "Unknown call-id") != NULL, "%s", r);
	/* no cookie: no reply at all */
	cr_assert_eq(tm_udp("nocookie", 8, buf, sizeof(buf), 300), -1);
	/* a datagram over 64 KiB is refused with an error reply */
	memset(big, 'x', sizeof(big));
	memcpy(big, "big {\"command\":\"ping\",\"x\":\"", 27);
	(void)tm_udp(big, 65507, buf, sizeof(buf), 1000);
	r = tm_udp_str("after {\"command\":\"ping\"}");
	cr_assert_not_null(r);
	cr_assert_str_eq(r, "after {\"result\":\"pong\"}");
}

Test(master_ctl, cookie_cache_answers_retransmissions, .init = tm_setup, .fini = tm_stop,
    .timeout = 30)
{
	char *first, *r;

	r = tm_udp_str("same {\"command\":\"list\"}");
	cr_assert_not_null(r);
	first = strdup(r);
	/* Same cookie, other body: the first reply again, the command is not run. */
	r = tm_udp_str("same {\"command\":\"ping\"}");
	cr_assert_not_null(r);
	cr_assert_str_eq(r, first);
	r = tm_udp_str("other {\"command\":\"ping\"}");
	cr_assert_str_eq(r, "other {\"result\":\"pong\"}");
	free(first);
}

static const char tm_sdp_a[] =
    "v=0\\r\\no=- 0 1 IN IP4 127.0.0.1\\r\\ns=session\\r\\nc=IN IP4 127.0.0.1\\r\\n"
    "t=0 0\\r\\nm=applicationsharing 5010 TCP/RTP/AVP 127\\r\\n"
    "a=ice-ufrag:Hs3m\\r\\na=ice-pwd:mxG0GH3AZkG2Dp5A6hJNjAEa\\r\\n"
    "a=candidate:1 1 TCP-PASS 2120613887 127.0.0.1 5010 typ host\\r\\n"
    "a=candidate:2 1 TCP-ACT 2121006591 127.0.0.1 5010 typ host\\r\\n"
    "a=setup:passive\\r\\na=connection:new\\r\\na=rtpmap:127 x-data/90000\\r\\n";
static const char tm_sdp_b[] =
    "v=0\\r\\no=- 0 1 IN IP4 127.0.0.2\\r\\ns=-\\r\\nc=IN IP4 127.0.0.2\\r\\n"
    "t=0 0\\r\\nm=applicationsharing 6000 TCP/RTP/AVP 127\\r\\n"
    "a=setup:active\\r\\na=connection:new\\r\\na=rtpmap:127 x-data/90000\\r\\n";

Test(master_ctl, offer_answer_query_delete, .init = tm_setup, .fini = tm_stop,
    .timeout = 30)
{
	static char msg[4096];
	char *r, *first;

	snprintf(msg, sizeof(msg), "o1 {\"command\":\"offer\",\"call-id\":\"c1\","
	    "\"from-tag\":\"ft\",\"dialect\":\"rfc6544\",\"sdp\":\"%s\"}", tm_sdp_a);
	r = tm_udp_str(msg);
	cr_assert_not_null(r);
	cr_assert(strstr(r, "\"result\":\"ok\"") != NULL, "%s", r);
	cr_assert(strstr(r, "tcptype passive") != NULL, "leg B in RFC 6544: %s", r);
	cr_assert(strstr(r, "a=setup:passive") != NULL, "%s", r);
	first = strdup(r + 3);
	/* A repeated offer (new cookie) is idempotent: the same ports, the same SDP. */
	msg[1] = '2';
	r = tm_udp_str(msg);
	cr_assert_not_null(r);
	cr_assert_str_eq(r + 3, first);
	free(first);

	snprintf(msg, sizeof(msg), "a1 {\"command\":\"answer\",\"call-id\":\"c1\","
	    "\"from-tag\":\"ft\",\"to-tag\":\"tt\",\"sdp\":\"%s\"}", tm_sdp_b);
	r = tm_udp_str(msg);
	cr_assert_not_null(r);
	cr_assert(strstr(r, "\"result\":\"ok\"") != NULL, "%s", r);
	cr_assert(strstr(r, "TCP-PASS") != NULL, "leg A back in MS-ICE2: %s", r);

	r = tm_udp_str("q1 {\"command\":\"query\",\"call-id\":\"c1\"}");
	cr_assert_not_null(r);
	cr_assert(strstr(r, "\"totals\"") != NULL && strstr(r, "\"tt\"") != NULL &&
	    strstr(r, "\"applicationsharing\"") != NULL, "%s", r);
	r = tm_udp_str("l1 {\"command\":\"list\"}");
	cr_assert_str_eq(r, "l1 {\"result\":\"ok\",\"calls\":[\"c1\"]}");
	r = tm_udp_str("s1 {\"command\":\"statistics\"}");
	cr_assert(strstr(r, "\"sessionsown\":1") != NULL, "%s", r);
	r = tm_udp_str("d1 {\"command\":\"delete\",\"call-id\":\"c1\",\"from-tag\":\"ft\"}");
	cr_assert(strstr(r, "\"result\":\"ok\"") != NULL && strstr(r, "\"tags\"") != NULL,
	    "%s", r);
	r = tm_udp_str("d2 {\"command\":\"delete\",\"call-id\":\"c1\"}");
	cr_assert_str_eq(r, "d2 {\"result\":\"ok\",\"warning\":"
	    "\"Call-ID not found or tags didn't match\"}");
	r = tm_udp_str("d3 {\"command\":\"delete\",\"call-id\":\"c1\",\"flags\":[\"fatal\"]}");
	cr_assert(strstr(r, "\"result\":\"error\"") != NULL, "%s", r);
	r = tm_udp_str("q2 {\"command\":\"query\",\"call-id\":\"c1\"}");
	cr_assert_str_eq(r, "q2 {\"result\":\"error\",\"error-reason\":\"Unknown call-id\"}");
}

Test(master_ctl, load_limit, .fini = tm_stop, .timeout = 30)
{
	static char msg[4096];
	char *r;

	tm_start("max-sessions = 1\n");
	snprintf(msg, sizeof(msg), "o1 {\"command\":\"offer\",\"call-id\":\"c1\","
	    "\"from-tag\":\"ft\",\"sdp\":\"%s\"}", tm_sdp_a);
	r = tm_udp_str(msg);
	cr_assert(r != NULL && strstr(r, "\"result\":\"ok\"") != NULL, "%s", r);
	snprintf(msg, sizeof(msg), "o2 {\"command\":\"offer\",\"call-id\":\"c2\","
	    "\"from-tag\":\"ft\",\"sdp\":\"%s\"}", tm_sdp_a);
	r = tm_udp_str(msg);
	cr_assert_str_eq(r, "o2 {\"result\":\"error\",\"error-reason\":"
	    "\"Parallel session limit reached\"}");
	snprintf(msg, sizeof(msg), "o3 {\"command\":\"offer\",\"call-id\":\"c3\","
	    "\"from-tag\":\"ft\",\"supports\":[\"load limit\"],\"sdp\":\"%s\"}", tm_sdp_a);
	r = tm_udp_str(msg);
	cr_assert(strstr(r, "\"result\":\"load limit\"") != NULL, "%s", r);
	tm_stop();
}
