/*
 * tools/: appshare-peer against itself on loopback (no relay), in every dialect and TCP
 * direction, so that the relay's integration tests can trust it; appshare-ctl against a
 * fake control port (cookie handling, retransmission, exit codes).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#ifndef APPSHARE_PEER_BIN
#error APPSHARE_PEER_BIN not defined
#endif

static char	*tt_dir;

static void
tt_setup(void)
{
	tt_dir = tu_tmpdir();
}

static void
tt_teardown(void)
{
	tu_tmpdir_remove(tt_dir);
}

static const char *
tt_path(const char *name)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tt_dir, name);
	return buf[i];
}

/* Start argv with stdout and stderr in the file out. */
static pid_t
tt_spawn(const char *const argv[], const char *out)
{
	char *v[64];
	pid_t pid;
	int fd, i;

	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		for (i = 0; i < 63 && argv[i] != NULL; i++)
			v[i] = strdup(argv[i]);
		v[i] = NULL;
		execv(v[0], v);
		_exit(127);
	}
	return pid;
}

/* Exit status, or -1 after killing it (by its pid) when it overran. */
static int
tt_wait(pid_t pid, int timeout_ms)
{
	int st, waited = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (waited >= timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		poll(NULL, 0, 20);
		waited += 20;
	}
}

static char *
tt_slurp(const char *path)
{
	return tu_read_file(path, NULL);
}

/* ---- appshare-peer against itself ------------------------------------------ */

/* Offerer and answerer with extra options; both must finish and verify everything. */
static void
tt_pair(const char *const *offer_extra, const char *const *answer_extra)
{
	const char *argv_o[40], *argv_a[40];
	char *out_o, *out_a;
	int n, i, rc_o, rc_a;
	pid_t po, pa;

	n = 0;
	argv_o[n++] = APPSHARE_PEER_BIN;
	argv_o[n++] = "offer";
	argv_o[n++] = "--sdp-out";
	argv_o[n++] = tt_path("a.sdp");
	argv_o[n++] = "--remote-sdp";
	argv_o[n++] = tt_path("b.sdp");
	argv_o[n++] = "--frames=300";
	argv_o[n++] = "--size=1200";
	argv_o[n++] = "--expect=200";
	argv_o[n++] = "--timeout=15";
	argv_o[n++] = "-v";
	for (i = 0; offer_extra[i] != NULL; i++)
		argv_o[n++] = offer_extra[i];
	argv_o[n] = NULL;

	n = 0;
	argv_a[n++] = APPSHARE_PEER_BIN;
	argv_a[n++] = "answer";
	argv_a[n++] = "--remote-sdp";
	argv_a[n++] = tt_path("a.sdp");
	argv_a[n++] = "--sdp-out";
	argv_a[n++] = tt_path("b.sdp");
	argv_a[n++] = "--frames=200";
	argv_a[n++] = "--size=700";
	argv_a[n++] = "--expect=300";
	argv_a[n++] = "--timeout=15";
	argv_a[n++] = "--bind=127.0.0.2";
	argv_a[n++] = "-v";
	for (i = 0; answer_extra[i] != NULL; i++)
		argv_a[n++] = answer_extra[i];
	argv_a[n] = NULL;

	/* The answerer polls for the offer: starting it first is part of the test. */
	pa = tt_spawn(argv_a, tt_path("answer.out"));
	poll(NULL, 0, 50);
	po = tt_spawn(argv_o, tt_path("offer.out"));
	rc_o = tt_wait(po, 25000);
	rc_a = tt_wait(pa, 25000);
	out_o = tt_slurp(tt_path("offer.out"));
	out_a = tt_slurp(tt_path("answer.out"));
	cr_expect_eq(rc_o, 0, "offerer exit %d:\n%s", rc_o, out_o);
	cr_expect_eq(rc_a, 0, "answerer exit %d:\n%s", rc_a, out_a);
	cr_expect(strstr(out_o, "sent 300 frames 360000 octets, received 200 frames 140000 "
	    "octets, verified OK") != NULL, "offerer:\n%s", out_o);
	cr_expect(strstr(out_a, "sent 200 frames 140000 octets, received 300 frames 360000 "
	    "octets, verified OK") != NULL, "answerer:\n%s", out_a);
	free(out_o);
	free(out_a);
}

static const char *const tt_none[] = { NULL };

TestSuite(peer, .init = tt_setup, .fini = tt_teardown, .timeout = 40);

Test(peer, msice2_passive_offer_active_answer_duplicate_checks)
{
	const char *const o[] = { "--tcp=passive", NULL };
	const char *const a[] = { "--tcp=active", "--duplicate-checks", NULL };
	char *sdp;

	tt_pair(o, a);
	sdp = tt_slurp(tt_path("a.sdp"));
	cr_expect(strstr(sdp, " 1 TCP-PASS ") != NULL && strstr(sdp, " 2 TCP-PASS ") != NULL,
	    "%s", sdp);
	cr_expect(strstr(sdp, "m=applicationsharing ") != NULL &&
	    strstr(sdp, " TCP/RTP/AVP 127\r\n") != NULL, "%s", sdp);
	free(sdp);
	sdp = tt_slurp(tt_path("b.sdp"));
	cr_expect(strstr(sdp, " TCP-ACT ") != NULL && strstr(sdp, "127.0.0.2") != NULL,
	    "%s", sdp);
	free(sdp);
}

Test(peer, msice2_active_offer_passive_answer)
{
	const char *const o[] = { "--tcp=active", "--duplicate-checks", NULL };
	const char *const a[] = { "--tcp=passive", NULL };

	tt_pair(o, a);
}

Test(peer, msice2_both_sides_both_directions)
{
	tt_pair(tt_none, tt_none);
}

Test(peer, msice2_aggressive_nomination_and_swapped_roles)
{
	const char *const o[] = { "--role=controlled", NULL };
	const char *const a[] = { "--role=controlling", "--aggressive", NULL };

	tt_pair(o, a);
}

Test(peer, rfc6544_passive_offer_active_answer)
{
	const char *const o[] = { "--dialect=rfc6544", "--tcp=passive", NULL };
	const char *const a[] = { "--dialect=rfc6544", "--tcp=active", NULL };
	char *sdp;

	tt_pair(o, a);
	sdp = tt_slurp(tt_path("b.sdp"));
	cr_expect(strstr(sdp, " TCP ") != NULL && strstr(sdp, " 9 typ host tcptype active") !=
	    NULL, "%s", sdp);
	free(sdp);
}

Test(peer, rfc6544_active_offer_passive_answer)
{
	const char *const o[] = { "--dialect=rfc6544", "--tcp=active", NULL };
	const char *const a[] = { "--dialect=rfc6544", "--tcp=passive", NULL };

	tt_pair(o, a);
}

Test(peer, rfc4145_actpass_offer)
{
	const char *const o[] = { "--dialect=rfc4145", NULL };
	const char *const a[] = { "--dialect=rfc4145", NULL };
	char *sdp;

	tt_pair(o, a);
	sdp = tt_slurp(tt_path("a.sdp"));
	cr_expect(strstr(sdp, "a=setup:actpass") != NULL && strstr(sdp, "candidate") == NULL &&
	    strstr(sdp, "ice-ufrag") == NULL, "%s", sdp);
	free(sdp);
	sdp = tt_slurp(tt_path("b.sdp"));
	cr_expect(strstr(sdp, "a=setup:active") != NULL &&
	    strstr(sdp, "m=applicationsharing 9 ") != NULL, "%s", sdp);
	free(sdp);
}

Test(peer, rfc4145_active_offer)
{
	const char *const o[] = { "--dialect=rfc4145", "--tcp=active", NULL };
	const char *const a[] = { "--dialect=rfc4145", NULL };

	tt_pair(o, a);
}

Test(peer, rfc4145_passive_offer)
{
	const char *const o[] = { "--dialect=rfc4145", "--tcp=passive", NULL };
	const char *const a[] = { "--dialect=rfc4145", NULL };

	tt_pair(o, a);
}

Test(peer, missing_frames_fail_after_timeout)
{
	const char *argv_o[] = { APPSHARE_PEER_BIN, "offer", "-o",
	    tt_path("a.sdp"), "-i", tt_path("b.sdp"), "-e",
	    "10", "-t", "2", NULL };
	const char *argv_a[] = { APPSHARE_PEER_BIN, "answer", "-i",
	    tt_path("a.sdp"), "-o", tt_path("b.sdp"), "-n",
	    "5", "-t", "2", NULL };
	pid_t po, pa;
	char *out;
	int rc;

	po = tt_spawn(argv_o, tt_path("offer.out"));
	pa = tt_spawn(argv_a, tt_path("answer.out"));
	rc = tt_wait(po, 10000);
	(void)tt_wait(pa, 10000);
	out = tt_slurp(tt_path("offer.out"));
	cr_expect_eq(rc, 1, "exit %d:\n%s", rc, out);
	cr_expect(strstr(out, "received 5 frames") != NULL &&
	    strstr(out, "FAILED") != NULL, "%s", out);
	free(out);
}

/*
 * --sdp-first: the answer exists before the offer does (a SIP callee that answers at
 * once, tests/kamailio).  --hold: after both end markers the offerer keeps its
 * connection until the other side closes it, and that close is a success.
 */
Test(peer, sdp_first_answer_and_hold)
{
	const char *argv_a[] = { APPSHARE_PEER_BIN, "answer", "--sdp-first", "-i",
	    tt_path("a.sdp"), "-o", tt_path("b.sdp"), "-n", "50", "-e", "60",
	    "-b", "127.0.0.2", "-t", "15", "-v", NULL };
	const char *argv_o[] = { APPSHARE_PEER_BIN, "offer", "-o", tt_path("a.sdp"),
	    "-i", tt_path("b2.sdp"), "-n", "60", "-e", "50", "--hold", "10", "-t",
	    "15", "-v", NULL };
	struct stat st;
	char *out_o, *out_a;
	int i, rc_o, rc_a;
	pid_t po, pa;

	pa = tt_spawn(argv_a, tt_path("answer.out"));
	for (i = 0; i < 250 && stat(tt_path("b.sdp"), &st) != 0; i++)
		poll(NULL, 0, 20);
	cr_assert_eq(stat(tt_path("b.sdp"), &st), 0, "--sdp-first wrote no answer");
	cr_expect_neq(stat(tt_path("a.sdp"), &st), 0, "the offer exists already");
	po = tt_spawn(argv_o, tt_path("offer.out"));
	/* An offerer ignores an answer that was there before it: hand it over after. */
	for (i = 0; i < 250 && stat(tt_path("a.sdp"), &st) != 0; i++)
		poll(NULL, 0, 20);
	cr_assert_eq(link(tt_path("b.sdp"), tt_path("b2.sdp")), 0);
	rc_o = tt_wait(po, 25000);
	rc_a = tt_wait(pa, 25000);
	out_o = tt_slurp(tt_path("offer.out"));
	out_a = tt_slurp(tt_path("answer.out"));
	cr_expect_eq(rc_o, 0, "offerer exit %d:\n%s", rc_o, out_o);
	cr_expect_eq(rc_a, 0, "answerer exit %d:\n%s", rc_a, out_a);
	cr_expect(strstr(out_o, "exchange complete: holding the connection for up to 10 s") !=
	    NULL && strstr(out_o, "closed by the other side: finished") != NULL &&
	    strstr(out_o, "sent 60 frames") != NULL && strstr(out_o, "verified OK") != NULL,
	    "offerer:\n%s", out_o);
	cr_expect(strstr(out_a, "received 60 frames") != NULL &&
	    strstr(out_a, "verified OK") != NULL, "answerer:\n%s", out_a);
	free(out_o);
	free(out_a);
}

Test(peer, usage_errors)
{
	const char *a1[] = { APPSHARE_PEER_BIN, NULL };
	const char *a2[] = { APPSHARE_PEER_BIN, "offer", "-o", "x",
	    NULL };
	const char *a3[] = { APPSHARE_PEER_BIN, "offer", "-o", "x",
	    "-i", "y", "--dialect=ms-ice6", NULL };
	const char *a4[] = { APPSHARE_PEER_BIN, "-h", NULL };
	const char *a5[] = { APPSHARE_PEER_BIN, "offer", "-o", "x",
	    "-i", "y", "--sdp-first", NULL };
	const char *a6[] = { APPSHARE_PEER_BIN, "answer", "-o", "x",
	    "-i", "y", "--sdp-first", "-d", "rfc4145", NULL };
	char *out;

	cr_expect_eq(tt_wait(tt_spawn(a1, tt_path("o")), 5000), 2);
	cr_expect_eq(tt_wait(tt_spawn(a2, tt_path("o")), 5000), 2);
	cr_expect_eq(tt_wait(tt_spawn(a3, tt_path("o")), 5000), 2);
	out = tt_slurp(tt_path("o"));
	cr_expect(strstr(out, "ms-ice6") != NULL, "%s", out);
	free(out);
	cr_expect_eq(tt_wait(tt_spawn(a5, tt_path("o")), 5000), 2);
	cr_expect_eq(tt_wait(tt_spawn(a6, tt_path("o")), 5000), 2);
	out = tt_slurp(tt_path("o"));
	cr_expect(strstr(out, "--tcp active or passive") != NULL, "%s", out);
	free(out);
	cr_expect_eq(tt_wait(tt_spawn(a4, tt_path("o")), 5000), 0);
	out = tt_slurp(tt_path("o"));
	cr_expect(strstr(out, "usage: appshare-peer") != NULL, "%s", out);
	free(out);
}

/* ---- appshare-ctl against a fake control port ------------------------------ */

static int
tt_udp_server(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_neq(fd, -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* One datagram within ms, NUL-terminated; its sender in *from. */
static ssize_t
tt_recv(int fd, char *buf, size_t cap, struct sockaddr_in *from, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	socklen_t fl = sizeof(*from);
	ssize_t n;

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	n = recvfrom(fd, buf, cap - 1, 0, (struct sockaddr *)from, &fl);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static void
tt_reply(int fd, const struct sockaddr_in *to, const char *req, const char *body)
{
	char msg[4096];
	size_t cl = strcspn(req, " ");
	int n;

	n = snprintf(msg, sizeof(msg), "%.*s %s", (int)cl, req, body);
	cr_assert_eq(sendto(fd, msg, (size_t)n, 0, (const struct sockaddr *)to, sizeof(*to)),
	    n);
}

static pid_t
tt_ctl(const char *out, uint16_t port, const char *const *args)
{
	const char *argv[40];
	char server[32];
	int n = 0, i;

	snprintf(server, sizeof(server), "127.0.0.1:%u", port);
	argv[n++] = APPSHARE_CTL_BIN;
	argv[n++] = "-s";
	argv[n++] = server;
	for (i = 0; args[i] != NULL; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return tt_spawn(argv, out);
}

TestSuite(ctl, .init = tt_setup, .fini = tt_teardown, .timeout = 30);

Test(ctl, ping_retransmits_with_the_same_cookie)
{
	const char *const args[] = { "-w", "0.3", "ping", NULL };
	struct sockaddr_in from;
	char first[2048], second[2048], *out;
	uint16_t port;
	pid_t pid;
	int fd, rc;

	fd = tt_udp_server(&port);
	pid = tt_ctl(tt_path("out"), port, args);
	cr_assert_gt(tt_recv(fd, first, sizeof(first), &from, 5000), 0);
	cr_expect(strstr(first, " {\"command\":\"ping\"}") != NULL, "%s", first);
	/* No answer: the second try must carry the same cookie and body. */
	cr_assert_gt(tt_recv(fd, second, sizeof(second), &from, 5000), 0);
	cr_expect_str_eq(second, first);
	/* A reply to someone else's cookie is not ours. */
	tt_reply(fd, &from, "other_cookie x", "{\"result\":\"error\",\"error-reason\":\"no\"}");
	tt_reply(fd, &from, second, "{\"result\":\"pong\"}");
	rc = tt_wait(pid, 5000);
	out = tt_slurp(tt_path("out"));
	cr_expect_eq(rc, 0, "exit %d: %s", rc, out);
	cr_expect(strstr(out, "\"result\": \"pong\"") != NULL, "%s", out);
	free(out);
	close(fd);
}

Test(ctl, bencode_ping)
{
	const char *const args[] = { "-b", "ping", NULL };
	struct sockaddr_in from;
	char req[2048], *out;
	uint16_t port;
	pid_t pid;
	int fd, rc;

	fd = tt_udp_server(&port);
	pid = tt_ctl(tt_path("out"), port, args);
	cr_assert_gt(tt_recv(fd, req, sizeof(req), &from, 5000), 0);
	cr_expect(strstr(req, " d7:command4:pinge") != NULL, "%s", req);
	tt_reply(fd, &from, req, "d6:result4:ponge");
	rc = tt_wait(pid, 5000);
	out = tt_slurp(tt_path("out"));
	cr_expect_eq(rc, 0, "exit %d: %s", rc, out);
	cr_expect(strstr(out, "pong") != NULL, "%s", out);
	free(out);
	close(fd);
}

Test(ctl, offer_sends_sdp_and_keys_and_writes_the_reply_sdp)
{
	const char *const args[] = { "-o", tt_path("b-offer.sdp"), "offer", "call1", "tagA",
	    tt_path("a.sdp"), "dialect=rfc6544", "initiate-tcp=yes", "flags=[\"fast\"]", NULL };
	struct sockaddr_in from;
	char req[8192], *out;
	FILE *f;
	uint16_t port;
	pid_t pid;
	int fd, rc;

	f = fopen(tt_path("a.sdp"), "w");
	cr_assert_not_null(f);
	fputs("v=0\r\nm=applicationsharing 1 TCP/RTP/AVP 127\r\n", f);
	fclose(f);
	fd = tt_udp_server(&port);
	pid = tt_ctl(tt_path("out"), port, args);
	cr_assert_gt(tt_recv(fd, req, sizeof(req), &from, 5000), 0);
	cr_expect(strstr(req, "\"command\":\"offer\"") != NULL, "%s", req);
	cr_expect(strstr(req, "\"call-id\":\"call1\"") != NULL, "%s", req);
	cr_expect(strstr(req, "\"from-tag\":\"tagA\"") != NULL, "%s", req);
	cr_expect(strstr(req, "\"sdp\":\"v=0\\r\\nm=applicationsharing 1 TCP/RTP/AVP "
	    "127\\r\\n\"") != NULL, "%s", req);
	cr_expect(strstr(req, "\"dialect\":\"rfc6544\"") != NULL, "%s", req);
	cr_expect(strstr(req, "\"initiate-tcp\":\"yes\"") != NULL, "%s", req);
	cr_expect(strstr(req, "\"flags\":[\"fast\"]") != NULL, "%s", req);
	tt_reply(fd, &from, req, "{\"result\":\"ok\",\"sdp\":\"v=0\\r\\nm=x\\r\\n\"}");
	rc = tt_wait(pid, 5000);
	out = tt_slurp(tt_path("out"));
	cr_expect_eq(rc, 0, "exit %d: %s", rc, out);
	free(out);
	out = tt_slurp(tt_path("b-offer.sdp"));
	cr_expect_str_eq(out, "v=0\r\nm=x\r\n");
	free(out);
	close(fd);
}

Test(ctl, error_reply_exits_1)
{
	const char *const args[] = { "query", "nosuchcall", NULL };
	struct sockaddr_in from;
	char req[2048], *out;
	uint16_t port;
	pid_t pid;
	int fd, rc;

	fd = tt_udp_server(&port);
	pid = tt_ctl(tt_path("out"), port, args);
	cr_assert_gt(tt_recv(fd, req, sizeof(req), &from, 5000), 0);
	cr_expect(strstr(req, "\"call-id\":\"nosuchcall\"") != NULL, "%s", req);
	tt_reply(fd, &from, req, "{\"result\":\"error\",\"error-reason\":\"Unknown call-id\"}");
	rc = tt_wait(pid, 5000);
	out = tt_slurp(tt_path("out"));
	cr_expect_eq(rc, 1, "exit %d: %s", rc, out);
	cr_expect(strstr(out, "error: Unknown call-id") != NULL, "%s", out);
	free(out);
	close(fd);
}

Test(ctl, no_reply_exits_2_after_three_tries)
{
	const char *const args[] = { "-w", "0.2", "ping", NULL };
	struct sockaddr_in from;
	char req[2048], *out;
	uint16_t port;
	pid_t pid;
	int fd, rc, n = 0;

	fd = tt_udp_server(&port);
	pid = tt_ctl(tt_path("out"), port, args);
	while (tt_recv(fd, req, sizeof(req), &from, 1500) > 0)
		n++;
	rc = tt_wait(pid, 5000);
	out = tt_slurp(tt_path("out"));
	cr_expect_eq(n, 3);
	cr_expect_eq(rc, 2, "exit %d: %s", rc, out);
	cr_expect(strstr(out, "after 3 tries") != NULL, "%s", out);
	free(out);
	close(fd);
}

Test(ctl, tcp_ping)
{
	const char *const args[] = { "-t", "ping", NULL };
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char req[2048], *out;
	struct pollfd pfd;
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	int lfd, fd, rc;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(lfd, 1), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	pid = tt_ctl(tt_path("out"), ntohs(sin.sin_port), args);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	cr_assert_eq(poll(&pfd, 1, 5000), 1);
	fd = accept(lfd, NULL, NULL);
	cr_assert_neq(fd, -1);
	pfd.fd = fd;
	req[0] = '\0';
	while (strchr(req, '}') == NULL || got == 0) {
		cr_assert_eq(poll(&pfd, 1, 5000), 1);
		n = read(fd, req + got, sizeof(req) - 1 - got);
		cr_assert_gt(n, 0);
		got += (size_t)n;
		req[got] = '\0';
	}
	/* Split the reply in two writes: the client must reassemble it. */
	n = (ssize_t)strcspn(req, " ");
	cr_assert_eq(write(fd, req, (size_t)n), n);
	poll(NULL, 0, 50);
	cr_assert_eq(write(fd, " {\"result\":\"pong\"}", 18), 18);
	rc = tt_wait(pid, 5000);
	out = tt_slurp(tt_path("out"));
	cr_expect_eq(rc, 0, "exit %d: %s", rc, out);
	cr_expect(strstr(out, "pong") != NULL, "%s", out);
	free(out);
	close(fd);
	close(lfd);
}

Test(ctl, usage_errors)
{
	const char *const a1[] = { NULL };
	const char *const a2[] = { "frobnicate", NULL };
	const char *const a3[] = { "offer", "call1", "tagA", NULL };
	const char *const a4[] = { "offer", "call1", "tagA", "/nonexistent/a.sdp", NULL };
	const char *const a5[] = { "-w", "zero", "ping", NULL };
	const char *const a6[] = { "ping", "notakeyvalue", NULL };
	const char *const a7[] = { "-b", "raw", "[1,2]", NULL };
	char *out;

	cr_expect_eq(tt_wait(tt_ctl(tt_path("o"), 9, a1), 5000), 2);
	cr_expect_eq(tt_wait(tt_ctl(tt_path("o"), 9, a2), 5000), 2);
	out = tt_slurp(tt_path("o"));
	cr_expect(strstr(out, "unknown command \"frobnicate\"") != NULL, "%s", out);
	free(out);
	cr_expect_eq(tt_wait(tt_ctl(tt_path("o"), 9, a3), 5000), 2);
	out = tt_slurp(tt_path("o"));
	cr_expect(strstr(out, "offer needs CALL-ID FROM-TAG SDP-FILE") != NULL, "%s", out);
	free(out);
	cr_expect_eq(tt_wait(tt_ctl(tt_path("o"), 9, a4), 5000), 2);
	out = tt_slurp(tt_path("o"));
	cr_expect(strstr(out, "/nonexistent/a.sdp: No such file") != NULL, "%s", out);
	free(out);
	cr_expect_eq(tt_wait(tt_ctl(tt_path("o"), 9, a5), 5000), 2);
	cr_expect_eq(tt_wait(tt_ctl(tt_path("o"), 9, a6), 5000), 2);
	cr_expect_eq(tt_wait(tt_ctl(tt_path("o"), 9, a7), 5000), 2);
}
