/*
 * master/ipc.c on a real SOCK_SEQPACKET socketpair and a libevent loop: round trips,
 * descriptor passing, the receiver's refusals (truncated, wrong size, descriptors that
 * do not match), the bounded send queue, EOF, and freeing a channel from its callback.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "ipc_msg.h"

#define TC_MAXMSG	8192

struct tc_side {
	struct ipc_chan	*ts_chan;
	int		 ts_nmsg;
	uint16_t	 ts_type[TC_MAXMSG];
	uint32_t	 ts_handle[TC_MAXMSG];
	uint32_t	 ts_len[TC_MAXMSG];
	int		 ts_fd[TC_MAXMSG];
	int		 ts_nerr;
	char		 ts_why[256];
	int		 ts_free_on_error;
	int		 ts_want;	/* break the loop after this many messages */
};

static struct event_base *tc_base;
static int tc_sv[2];

static void
tc_setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	tc_base = event_base_new();
	cr_assert_not_null(tc_base);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    tc_sv), 0);
}

static void
tc_teardown(void)
{
	event_base_free(tc_base);
}

TestSuite(ipc_channel, .init = tc_setup, .fini = tc_teardown, .timeout = 20);

static void
tc_dispatch(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct tc_side *s = arg;

	if (s->ts_nmsg < TC_MAXMSG) {
		s->ts_type[s->ts_nmsg] = m->im_hdr.ih_type;
		s->ts_handle[s->ts_nmsg] = m->im_hdr.ih_handle;
		s->ts_len[s->ts_nmsg] = m->im_hdr.ih_len;
		s->ts_fd[s->ts_nmsg] = m->im_fd;
		/* The payload is aligned for any struct. */
		cr_expect_eq((uintptr_t)m->im_data % _Alignof(max_align_t), 0);
	} else if (m->im_fd >= 0)
		close(m->im_fd);
	s->ts_nmsg++;
	if (s->ts_want > 0 && s->ts_nmsg >= s->ts_want)
		event_base_loopbreak(tc_base);
}

static void
tc_error(struct ipc_chan *c, const char *why, void *arg)
{
	struct tc_side *s = arg;

	s->ts_nerr++;
	snprintf(s->ts_why, sizeof(s->ts_why), "%s", why);
	if (s->ts_free_on_error) {
		ipc_chan_free(c);
		s->ts_chan = NULL;
	}
	event_base_loopbreak(tc_base);
}

/* Run the loop until a callback breaks it, or 2 s. */
static void
tc_run(void)
{
	struct timeval tv = { 2, 0 };

	event_base_loopexit(tc_base, &tv);
	event_base_dispatch(tc_base);
}

static int
tc_nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
tc_fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* Send raw bytes (header + payload) with optional descriptors, bypassing ipc_send(). */
static void
tc_raw(int sock, const void *buf, size_t len, const int *fds, int nfd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(4 * sizeof(int))];
	} cm;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr msg;
	struct cmsghdr *cmsg;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfd > 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, (size_t)nfd * sizeof(int));
	}
	cr_assert_eq(sendmsg(sock, &msg, 0), (ssize_t)len, "raw sendmsg: %s", strerror(errno));
}

static void
tc_raw_msg(int sock, uint16_t type, uint16_t flags, uint32_t ih_len, const void *payload,
    size_t len, const int *fds, int nfd)
{
	unsigned char buf[IPC_MAX_MSG + 256];
	struct ipc_hdr h;

	memset(&h, 0, sizeof(h));
	h.ih_type = type;
	h.ih_flags = flags;
	h.ih_len = ih_len;
	memcpy(buf, &h, sizeof(h));
	if (len > 0)
		memcpy(buf + sizeof(h), payload, len);
	tc_raw(sock, buf, sizeof(h) + len, fds, nfd);
}

Test(ipc_channel, round_trip_both_ways)
{
	static struct tc_side m, w;
	struct ipc_sess_end se = { .se_reason = 1 };
	struct ipc_hello he = { IPC_VERSION, IPC_ROLE_WORKER, 3, 1234 };

	m.ts_chan = ipc_chan_new(tc_base, tc_sv[0], IPC_ROLE_MASTER, IPC_ROLE_WORKER,
	    tc_dispatch, tc_error, &m);
	w.ts_chan = ipc_chan_new(tc_base, tc_sv[1], IPC_ROLE_WORKER, IPC_ROLE_MASTER,
	    tc_dispatch, tc_error, &w);
	cr_assert(m.ts_chan != NULL && w.ts_chan != NULL);
	cr_assert_eq(ipc_chan_fd(m.ts_chan), tc_sv[0]);
	cr_assert(fcntl(tc_sv[0], F_GETFL) & O_NONBLOCK);

	cr_assert_eq(ipc_send(m.ts_chan, IPC_SESS_END, 7, 2, &se, sizeof(se), -1), 0);
	cr_assert_eq(ipc_send(m.ts_chan, IPC_SHUTDOWN, 0, 0, NULL, 0, -1), 0);
	cr_assert_eq(ipc_send(w.ts_chan, IPC_HELLO, 0, 0, &he, sizeof(he), -1), 0);
	w.ts_want = 2;
	tc_run();
	m.ts_want = 1;
	if (m.ts_nmsg < 1)
		tc_run();
	cr_assert_eq(w.ts_nmsg, 2);
	cr_expect_eq(w.ts_type[0], IPC_SESS_END);
	cr_expect_eq(w.ts_handle[0], 7);
	cr_expect_eq(w.ts_len[0], sizeof(se));
	cr_expect_eq(w.ts_fd[0], -1);
	cr_expect_eq(w.ts_type[1], IPC_SHUTDOWN);
	cr_expect_eq(w.ts_len[1], 0);
	cr_assert_eq(m.ts_nmsg, 1);
	cr_expect_eq(m.ts_type[0], IPC_HELLO);
	cr_expect_eq(m.ts_nerr + w.ts_nerr, 0);

	/* The sender refuses what the receiver would refuse. */
	errno = 0;
	cr_expect_eq(ipc_send(m.ts_chan, IPC_SESS_END, 0, 0, &se, sizeof(se) - 1, -1), -1);
	cr_expect_eq(errno, EINVAL);
	cr_expect_eq(ipc_send(m.ts_chan, IPC_HELLO, 0, 0, &he, sizeof(he), -1), -1);
	cr_expect_eq(errno, EINVAL);
	ipc_chan_free(m.ts_chan);
	ipc_chan_free(w.ts_chan);
}

Test(ipc_channel, many_messages_in_order_across_read_batches)
{
	static struct tc_side m, w;
	struct ipc_sess_end se = { .se_reason = 2 };
	uint32_t i;

	m.ts_chan = ipc_chan_new(tc_base, tc_sv[0], IPC_ROLE_MASTER, IPC_ROLE_WORKER,
	    tc_dispatch, tc_error, &m);
	w.ts_chan = ipc_chan_new(tc_base, tc_sv[1], IPC_ROLE_WORKER, IPC_ROLE_MASTER,
	    tc_dispatch, tc_error, &w);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(ipc_send(m.ts_chan, IPC_SESS_END, i + 1, 1, &se, sizeof(se), -1),
		    0, "send %u: %s", i, strerror(errno));
	w.ts_want = 1000;
	while (w.ts_nmsg < 1000 && w.ts_nerr == 0)
		tc_run();
	cr_assert_eq(w.ts_nmsg, 1000);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(w.ts_handle[i], i + 1);
	cr_expect_eq(ipc_queued(m.ts_chan), 0);
	ipc_chan_free(m.ts_chan);
	ipc_chan_free(w.ts_chan);
}

Test(ipc_channel, descriptor_arrives_working)
{
	static struct tc_side m, w;
	struct ipc_sess_fd sf;
	int p[2], fd;
	char buf[16];

	m.ts_chan = ipc_chan_new(tc_base, tc_sv[0], IPC_ROLE_MASTER, IPC_ROLE_WORKER,
	    tc_dispatch, tc_error, &m);
	w.ts_chan = ipc_chan_new(tc_base, tc_sv[1], IPC_ROLE_WORKER, IPC_ROLE_MASTER,
	    tc_dispatch, tc_error, &w);
	cr_assert_eq(pipe(p), 0);
	memset(&sf, 0, sizeof(sf));
	sf.sd_leg = 1;
	sf.sd_kind = IPC_SOCK_LISTEN;
	cr_assert_eq(ipc_send(m.ts_chan, IPC_SESS_FD, 5, 1, &sf, sizeof(sf), p[0]), 0);
	/* ipc_send() owns the descriptor: it is closed once sent. */
	cr_expect(!tc_fd_open(p[0]));
	w.ts_want = 1;
	tc_run();
	cr_assert_eq(w.ts_nmsg, 1);
	fd = w.ts_fd[0];
	cr_assert_geq(fd, 0);
	cr_expect(fcntl(fd, F_GETFD) & FD_CLOEXEC, "received with MSG_CMSG_CLOEXEC");
	cr_assert_eq(write(p[1], "relay", 5), 5);
	cr_assert_eq(read(fd, buf, sizeof(buf)), 5);
	cr_expect_eq(memcmp(buf, "relay", 5), 0);
	close(fd);
	close(p[1]);
	ipc_chan_free(m.ts_chan);
	ipc_chan_free(w.ts_chan);
}

Test(ipc_channel, oversize_send_refused_and_fd_closed)
{
	static struct tc_side m;
	static unsigned char big[IPC_MAX_MSG];
	int p[2];

	m.ts_chan = ipc_chan_new(tc_base, tc_sv[0], IPC_ROLE_MASTER, IPC_ROLE_WORKER,
	    tc_dispatch, tc_error, &m);
	cr_assert_eq(pipe(p), 0);
	errno = 0;
	cr_expect_eq(ipc_send(m.ts_chan, IPC_SESS_FD, 0, 0, big,
	    IPC_MAX_MSG - sizeof(struct ipc_hdr) + 1, p[0]), -1);
	cr_expect_eq(errno, EMSGSIZE);
	cr_expect(!tc_fd_open(p[0]));
	close(p[1]);
	ipc_chan_free(m.ts_chan);
	close(tc_sv[1]);
}

/* The receiver refuses: each case sends one raw datagram to a fresh worker channel. */
static void
tc_expect_refused(const char *what, void (*send_it)(int sock), const char *needle)
{
	static struct tc_side w;
	int before;

	memset(&w, 0, sizeof(w));
	before = tc_nfds();
	w.ts_chan = ipc_chan_new(tc_base, tc_sv[1], IPC_ROLE_WORKER, IPC_ROLE_MASTER,
	    tc_dispatch, tc_error, &w);
	send_it(tc_sv[0]);
	tc_run();
	cr_expect_eq(w.ts_nmsg, 0, "%s: dispatched", what);
	cr_assert_eq(w.ts_nerr, 1, "%s: no error", what);
	cr_expect(strstr(w.ts_why, needle) != NULL, "%s: why \"%s\", wanted \"%s\"", what,
	    w.ts_why, needle);
	/* Descriptors that came with a refused message are closed. */
	cr_expect_eq(tc_nfds(), before, "%s: descriptor leak", what);
	ipc_chan_free(w.ts_chan);
	close(tc_sv[0]);
}

static void
send_truncated(int sock)
{
	static unsigned char buf[IPC_MAX_MSG + 100];
	struct ipc_hdr h = { .ih_type = IPC_SESS_NEW, .ih_len = sizeof(buf) - 16 };

	memcpy(buf, &h, sizeof(h));
	tc_raw(sock, buf, sizeof(buf), NULL, 0);
}

static void
send_wrong_size(int sock)
{
	unsigned char p[5] = { 0 };

	tc_raw_msg(sock, IPC_SESS_END, 0, sizeof(p), p, sizeof(p), NULL, 0);
}

static void
send_len_mismatch(int sock)
{
	struct ipc_sess_end se = { 1 };

	tc_raw_msg(sock, IPC_SESS_END, 0, sizeof(se) + 4, &se, sizeof(se), NULL, 0);
}

static void
send_short(int sock)
{
	tc_raw(sock, "abc", 3, NULL, 0);
}

static void
send_missing_fd(int sock)
{
	struct ipc_sess_fd sf;

	memset(&sf, 0, sizeof(sf));
	tc_raw_msg(sock, IPC_SESS_FD, 0, sizeof(sf), &sf, sizeof(sf), NULL, 0);
}

static void
send_flag_without_fd(int sock)
{
	struct ipc_sess_fd sf;

	memset(&sf, 0, sizeof(sf));
	tc_raw_msg(sock, IPC_SESS_FD, IPC_F_FD, sizeof(sf), &sf, sizeof(sf), NULL, 0);
}

static void
send_unexpected_fd(int sock)
{
	struct ipc_sess_end se = { 1 };
	int p[2];

	cr_assert_eq(pipe(p), 0);
	tc_raw_msg(sock, IPC_SESS_END, IPC_F_FD, sizeof(se), &se, sizeof(se), p, 1);
	close(p[0]);
	close(p[1]);
}

static void
send_two_fds(int sock)
{
	struct ipc_sess_fd sf;
	int p[2];

	memset(&sf, 0, sizeof(sf));
	cr_assert_eq(pipe(p), 0);
	tc_raw_msg(sock, IPC_SESS_FD, IPC_F_FD, sizeof(sf), &sf, sizeof(sf), p, 2);
	close(p[0]);
	close(p[1]);
}

static void
send_wrong_direction(int sock)
{
	struct ipc_sess_done sd = { 1, 0 };

	tc_raw_msg(sock, IPC_SESS_DONE, 0, sizeof(sd), &sd, sizeof(sd), NULL, 0);
}

static void
send_bad_string(int sock)
{
	struct ipc_cdr_fd cf;
	int p[2];

	memset(&cf, 'x', sizeof(cf));
	cr_assert_eq(pipe(p), 0);
	tc_raw_msg(sock, IPC_CDR_FD, IPC_F_FD, sizeof(cf), &cf, sizeof(cf), p, 1);
	close(p[0]);
	close(p[1]);
}

static void
send_eof(int sock)
{
	shutdown(sock, SHUT_RDWR);
}

Test(ipc_channel, truncated_refused)
{
	tc_expect_refused("truncated", send_truncated, "truncated");
}

Test(ipc_channel, wrong_size_refused)
{
	tc_expect_refused("wrong size", send_wrong_size, "payload size");
}

Test(ipc_channel, last_words_after_a_refused_message)
{
	static struct tc_side w;
	unsigned char buf[64];

	w.ts_chan = ipc_chan_new(tc_base, tc_sv[1], IPC_ROLE_WORKER, IPC_ROLE_MASTER,
	    tc_dispatch, tc_error, &w);
	send_wrong_size(tc_sv[0]);
	tc_run();
	cr_assert_eq(w.ts_nerr, 1);
	/* Reading stopped, sending did not: the child can still say why it exits. */
	cr_expect_eq(ipc_send(w.ts_chan, IPC_READY, 0, 0, NULL, 0, -1), 0);
	cr_expect_eq(ipc_flush(w.ts_chan, 1000), 0);
	cr_expect_eq(recv(tc_sv[0], buf, sizeof(buf), MSG_DONTWAIT), 16);
	ipc_chan_free(w.ts_chan);
	close(tc_sv[0]);
}

Test(ipc_channel, header_length_mismatch_refused)
{
	tc_expect_refused("ih_len", send_len_mismatch, "length");
}

Test(ipc_channel, short_datagram_refused)
{
	tc_expect_refused("short", send_short, "short");
}

Test(ipc_channel, missing_fd_refused)
{
	tc_expect_refused("missing fd", send_missing_fd, "descriptor");
	/* sanity: the same message with a flag but no descriptor is refused too */
}

Test(ipc_channel, flag_without_fd_refused)
{
	tc_expect_refused("flag without fd", send_flag_without_fd, "descriptor");
}

Test(ipc_channel, unexpected_fd_refused_and_closed)
{
	tc_expect_refused("unexpected fd", send_unexpected_fd, "descriptor");
}

Test(ipc_channel, two_fds_refused_and_closed)
{
	tc_expect_refused("two fds", send_two_fds, "2 descriptors");
}

Test(ipc_channel, wrong_direction_refused)
{
	tc_expect_refused("direction", send_wrong_direction, "wrong direction");
}

Test(ipc_channel, unterminated_string_refused)
{
	/* CDR_FD to a worker is a direction error first; use the cdrd role. */
	static struct tc_side c;

	c.ts_chan = ipc_chan_new(tc_base, tc_sv[1], IPC_ROLE_CDRD, IPC_ROLE_MASTER,
	    tc_dispatch, tc_error, &c);
	send_bad_string(tc_sv[0]);
	/* The descriptor that came with it is closed by the channel. */
	tc_run();
	cr_assert_eq(c.ts_nerr, 1);
	cr_expect(strstr(c.ts_why, "NUL") != NULL, "why: %s", c.ts_why);
	ipc_chan_free(c.ts_chan);
}

Test(ipc_channel, eof_is_peer_closed)
{
	tc_expect_refused("eof", send_eof, "peer closed");
}

Test(ipc_channel, error_stops_reading_and_free_in_callback_is_safe)
{
	static struct tc_side w;
	struct ipc_sess_end se = { 1 };
	unsigned char p[5] = { 0 };

	w.ts_chan = ipc_chan_new(tc_base, tc_sv[1], IPC_ROLE_WORKER, IPC_ROLE_MASTER,
	    tc_dispatch, tc_error, &w);
	w.ts_free_on_error = 1;
	/* A good message, a bad one, then a good one that must not be dispatched. */
	tc_raw_msg(tc_sv[0], IPC_SESS_END, 0, sizeof(se), &se, sizeof(se), NULL, 0);
	tc_raw_msg(tc_sv[0], IPC_SESS_END, 0, sizeof(p), p, sizeof(p), NULL, 0);
	tc_raw_msg(tc_sv[0], IPC_SESS_END, 0, sizeof(se), &se, sizeof(se), NULL, 0);
	tc_run();
	cr_expect_eq(w.ts_nmsg, 1);
	cr_expect_eq(w.ts_nerr, 1);
	cr_expect_null(w.ts_chan);
	/* The socket was closed with the channel: the peer sees it. */
	cr_expect_eq(send(tc_sv[0], "x", 1, MSG_NOSIGNAL), -1);
	close(tc_sv[0]);
}

Test(ipc_channel, queue_grows_then_enobufs_then_drains_in_order)
{
	static struct tc_side m, w;
	struct ipc_sess_end se = { 1 };
	uint32_t i, n;
	int rc, p[2];

	m.ts_chan = ipc_chan_new(tc_base, tc_sv[0], IPC_ROLE_MASTER, IPC_ROLE_WORKER,
	    tc_dispatch, tc_error, &m);
	/* Nobody reads tc_sv[1] yet: the socket fills, then the queue. */
	for (i = 0; ; i++) {
		rc = ipc_send(m.ts_chan, IPC_SESS_END, i + 1, 1, &se, sizeof(se), -1);
		if (rc == -1)
			break;
		cr_assert_lt(i, 100000, "queue never bounded");
	}
	cr_expect_eq(errno, ENOBUFS);
	n = i;
	cr_expect_eq(ipc_queued(m.ts_chan), 4096);
	cr_expect_gt(n, 4096);
	/* A descriptor offered while full is closed, not leaked. */
	cr_assert_eq(pipe(p), 0);
	struct ipc_sess_fd sf;
	memset(&sf, 0, sizeof(sf));
	cr_expect_eq(ipc_send(m.ts_chan, IPC_SESS_FD, 0, 0, &sf, sizeof(sf), p[0]), -1);
	cr_expect(!tc_fd_open(p[0]));
	close(p[1]);

	/* The peer starts reading: everything arrives, in order. */
	w.ts_chan = ipc_chan_new(tc_base, tc_sv[1], IPC_ROLE_WORKER, IPC_ROLE_MASTER,
	    tc_dispatch, tc_error, &w);
	w.ts_want = (int)n;
	while (w.ts_nmsg < (int)n && w.ts_nerr == 0 && m.ts_nerr == 0)
		tc_run();
	cr_assert_eq(w.ts_nmsg, (int)n);
	for (i = 0; i < n; i++)
		cr_assert_eq(w.ts_handle[i], i + 1, "message %u out of order", i);
	cr_expect_eq(ipc_queued(m.ts_chan), 0);
	ipc_chan_free(m.ts_chan);
	ipc_chan_free(w.ts_chan);
}

Test(ipc_channel, free_closes_queued_descriptors)
{
	static struct tc_side m;
	struct ipc_sess_end se = { 1 };
	struct ipc_sess_fd sf;
	int p[2], before;

	m.ts_chan = ipc_chan_new(tc_base, tc_sv[0], IPC_ROLE_MASTER, IPC_ROLE_WORKER,
	    tc_dispatch, tc_error, &m);
	while (ipc_queued(m.ts_chan) == 0)
		cr_assert_eq(ipc_send(m.ts_chan, IPC_SESS_END, 1, 1, &se, sizeof(se), -1), 0);
	before = tc_nfds();
	cr_assert_eq(pipe(p), 0);
	memset(&sf, 0, sizeof(sf));
	cr_assert_eq(ipc_send(m.ts_chan, IPC_SESS_FD, 1, 1, &sf, sizeof(sf), p[0]), 0);
	cr_expect(tc_fd_open(p[0]), "queued with its message");
	ipc_chan_free(m.ts_chan);
	close(p[1]);
	/* The channel's socket and the queued descriptor are both gone. */
	cr_expect_eq(tc_nfds(), before - 1);
	close(tc_sv[1]);
}

Test(ipc_channel, flush_times_out_then_succeeds_when_peer_reads)
{
	static struct tc_side m;
	struct ipc_sess_end se = { 1 };
	char buf[64];
	pid_t pid;
	int status, i;

	m.ts_chan = ipc_chan_new(tc_base, tc_sv[0], IPC_ROLE_MASTER, IPC_ROLE_WORKER,
	    tc_dispatch, tc_error, &m);
	while (ipc_queued(m.ts_chan) < 10)
		cr_assert_eq(ipc_send(m.ts_chan, IPC_SESS_END, 1, 1, &se, sizeof(se), -1), 0);
	errno = 0;
	cr_expect_eq(ipc_flush(m.ts_chan, 50), -1);
	cr_expect_eq(errno, ETIMEDOUT);

	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int fl = fcntl(tc_sv[1], F_GETFL);

		fcntl(tc_sv[1], F_SETFL, fl & ~O_NONBLOCK);
		close(tc_sv[0]);
		while (recv(tc_sv[1], buf, sizeof(buf), 0) > 0)
			;
		_exit(0);
	}
	close(tc_sv[1]);
	cr_expect_eq(ipc_flush(m.ts_chan, 5000), 0, "flush: %s", strerror(errno));
	cr_expect_eq(ipc_queued(m.ts_chan), 0);
	ipc_chan_free(m.ts_chan);
	for (i = 0; i < 1; i++)
		cr_expect_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
