/*
 * fault-flood: the abusive peer of the fault tests (the scripts in tests/fault).  Loopback only.
 *
 *   fault-flood connect HOST PORT COUNT SECONDS
 *	COUNT non-blocking connects to HOST:PORT from 127.0.0.10 .. 127.0.0.250 in turn,
 *	FLOOD_FLIGHT (default 16, the relay's listen backlog) in flight; each connection
 *	waits up to 30 s for the relay to close it.
 *   fault-flood slow MODE HOST PORT SRC COUNT SECONDS
 *	COUNT connections from SRC, each doing MODE, held for SECONDS:
 *	half (one byte of an RFC 4571 header), partial (a header claiming 1000 bytes and
 *	10 of them), big (maximal 65535-byte frames of junk, as fast as taken), stun
 *	(framed STUN binding requests with bad integrity and malformed STUN), stall
 *	(send nothing, read nothing).
 *   fault-flood ctl-udp HOST PORT COUNT
 *	COUNT datagrams to a control port: pings, junk, no cookie, oversized; reads replies.
 *   fault-flood ctl-tcp HOST PORT COUNT SECONDS
 *	COUNT TCP control clients: junk, half messages, idle; held for SECONDS.
 *
 * Prints one line of counts on standard output.  Exit 0 unless a usage or setup error.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXFLIGHT	256
#define CONN_WAIT_MS	30000

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
usage(void)
{
	fprintf(stderr, "usage: fault-flood connect HOST PORT COUNT SECONDS\n"
	    "       fault-flood slow half|partial|big|stun|stall HOST PORT SRC COUNT SECONDS\n"
	    "       fault-flood ctl-udp HOST PORT COUNT\n"
	    "       fault-flood ctl-tcp HOST PORT COUNT SECONDS\n");
	exit(2);
}

static long
num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

static void
addr(struct sockaddr_in *sin, const char *host, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		usage();
}

/* A non-blocking TCP socket bound to src, connecting to dst.  -1 on a local error. */
static int
tcp_start(const struct sockaddr_in *src, const struct sockaddr_in *dst)
{
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (src != NULL && bind(fd, (const struct sockaddr *)src, sizeof(*src)) == -1) {
		close(fd);
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

struct slot {
	int		fd;
	int		open;	/* connect completed */
	uint64_t	deadline;
};

/* Connect flood: each attempt ends with the relay's close, a refusal or a timeout. */
/* The outcome of a non-blocking connect() once poll() reports the socket. */
static int
sock_error(int fd)
{
	socklen_t len;
	int err = 0;

	len = sizeof(err);
	(void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return err;
}

static int
do_connect(const char *host, int port, long count, long secs)
{
	struct slot sl[MAXFLIGHT];
	struct pollfd pfd[MAXFLIGHT];
	struct sockaddr_in dst, src;
	long started = 0, closed = 0, refused = 0, timedout = 0, localerr = 0;
	long connected = 0;
	uint64_t end = now_ms() + (uint64_t)secs * 1000, t;
	char buf[256];
	int i, n, live = 0, flight = 16;
	const char *e;
	ssize_t r;

	addr(&dst, host, port);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	for (i = 0; i < MAXFLIGHT; i++)
		sl[i].fd = -1;
	if ((e = getenv("FLOOD_FLIGHT")) != NULL)
		flight = (int)num(e, 1, MAXFLIGHT);
	while ((started < count || live > 0) && now_ms() < end) {
		t = now_ms();
		for (i = 0; i < flight && started < count; i++) {
			if (sl[i].fd != -1)
				continue;
			src.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)(10 + started % 241));
			started++;
			if ((sl[i].fd = tcp_start(&src, &dst)) == -1) {
				localerr++;
				continue;
			}
			sl[i].open = 0;
			sl[i].deadline = t + CONN_WAIT_MS;
			live++;
		}
		for (i = 0; i < MAXFLIGHT; i++) {
			pfd[i].fd = sl[i].fd;
			pfd[i].events = sl[i].open ? POLLIN : POLLOUT;
			pfd[i].revents = 0;
		}
		n = poll(pfd, MAXFLIGHT, 50);
		if (n == -1 && errno != EINTR)
			return 1;
		t = now_ms();
		for (i = 0; i < MAXFLIGHT; i++) {
			if (sl[i].fd == -1)
				continue;
			if (pfd[i].revents != 0 && !sl[i].open) {
				if (sock_error(sl[i].fd) == 0) {
					sl[i].open = 1;
					connected++;
					continue;
				}
				refused++;
			} else if (pfd[i].revents != 0) {
				r = read(sl[i].fd, buf, sizeof(buf));
				if (r > 0 || (r == -1 && errno == EAGAIN))
					continue;
				closed++;	/* EOF or reset: the relay closed it */
			} else if (t < sl[i].deadline)
				continue;
			else
				timedout++;
			close(sl[i].fd);
			sl[i].fd = -1;
			live--;
		}
	}
	for (i = 0; i < MAXFLIGHT; i++)
		if (sl[i].fd != -1) {
			close(sl[i].fd);
			timedout++;
		}
	printf("attempts %ld connected %ld closed-by-relay %ld refused %ld timeout %ld "
	    "local-errors %ld\n", started, connected, closed, refused, timedout, localerr);
	return 0;
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One framed STUN message of kind k into out; returns its length. */
static size_t
stun_junk(uint8_t *out, unsigned k, uint32_t seq)
{
	uint8_t *m = out + 2;
	size_t len;
	int i;

	switch (k % 4) {
	case 0:	/* binding request, USERNAME + MESSAGE-INTEGRITY of zeros */
		put16(m, 0x0001);
		put16(m + 2, 8 + 24 + 8);
		memcpy(m + 4, "\x21\x12\xa4\x42", 4);
		for (i = 0; i < 12; i++)
			m[8 + i] = (uint8_t)(seq >> (i % 4 * 8)) ^ (uint8_t)i;
		put16(m + 20, 0x0006);
		put16(m + 22, 4);
		memcpy(m + 24, "ab:c", 4);
		put16(m + 28, 0x0008);
		put16(m + 30, 20);
		memset(m + 32, 0, 20);
		put16(m + 52, 0x8028);	/* FINGERPRINT, wrong */
		put16(m + 54, 4);
		memset(m + 56, 0xee, 4);
		len = 60;
		break;
	case 1:	/* attribute length running past the message */
		put16(m, 0x0001);
		put16(m + 2, 8);
		memcpy(m + 4, "\x21\x12\xa4\x42", 4);
		memset(m + 8, (int)(seq & 0xff), 12);
		put16(m + 20, 0x0006);
		put16(m + 22, 4000);
		memset(m + 24, 'x', 4);
		len = 28;
		break;
	case 2:	/* a STUN header only, odd type, length not a multiple of 4 */
		put16(m, 0x0111);
		put16(m + 2, 3);
		memcpy(m + 4, "\x21\x12\xa4\x42", 4);
		memset(m + 8, 0x5a, 12);
		memset(m + 20, 0, 3);
		len = 23;
		break;
	default:	/* a binding success response nobody asked for */
		put16(m, 0x0101);
		put16(m + 2, 12);
		memcpy(m + 4, "\x21\x12\xa4\x42", 4);
		memset(m + 8, 0x33, 12);
		put16(m + 20, 0x0020);
		put16(m + 22, 8);
		memset(m + 24, 0x11, 8);
		len = 32;
		break;
	}
	put16(out, (unsigned)len);
	return len + 2;
}

enum slow_mode { SLOW_HALF, SLOW_PARTIAL, SLOW_BIG, SLOW_STUN, SLOW_STALL };

static int
do_slow(const char *mode, const char *host, int port, const char *srcs, long count,
    long secs)
{
	static uint8_t big[2 + 65535];
	uint8_t stun[128], part[12];
	struct pollfd *pfd;
	struct sockaddr_in dst, src;
	enum slow_mode m;
	long i, opened = 0, failed = 0, closed = 0, stuns = 0;
	uint64_t end, sent = 0;
	unsigned k = 0;
	size_t *off, l;
	char buf[4096];
	ssize_t r;

	if (strcmp(mode, "half") == 0)
		m = SLOW_HALF;
	else if (strcmp(mode, "partial") == 0)
		m = SLOW_PARTIAL;
	else if (strcmp(mode, "big") == 0)
		m = SLOW_BIG;
	else if (strcmp(mode, "stun") == 0)
		m = SLOW_STUN;
	else if (strcmp(mode, "stall") == 0)
		m = SLOW_STALL;
	else
		usage();
	addr(&dst, host, port);
	addr(&src, srcs, 0);
	if ((pfd = calloc((size_t)count, sizeof(*pfd))) == NULL ||
	    (off = calloc((size_t)count, sizeof(*off))) == NULL)
		return 1;
	put16(big, 65535);
	for (l = 2; l < sizeof(big); l++)
		big[l] = (uint8_t)(l * 7);
	put16(part, 1000);
	memset(part + 2, 0x80, 10);
	end = now_ms() + (uint64_t)secs * 1000;
	for (i = 0; i < count; i++) {
		pfd[i].fd = tcp_start(&src, &dst);
		pfd[i].events = POLLOUT;
		if (pfd[i].fd == -1)
			failed++;
	}
	while (now_ms() < end) {
		if (poll(pfd, (nfds_t)count, 100) == -1 && errno != EINTR)
			return 1;
		for (i = 0; i < count; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if (pfd[i].events & POLLOUT && off[i] == 0) {
				if (sock_error(pfd[i].fd) != 0) {
					close(pfd[i].fd);
					pfd[i].fd = -1;
					failed++;
					continue;
				}
				opened++;
				off[i] = 1;
				pfd[i].events = m == SLOW_STALL ? 0 : POLLIN;
				if (m == SLOW_HALF)
					(void)send(pfd[i].fd, part, 1, MSG_NOSIGNAL);
				else if (m == SLOW_PARTIAL)
					(void)send(pfd[i].fd, part, sizeof(part), MSG_NOSIGNAL);
				else if (m == SLOW_BIG || m == SLOW_STUN)
					pfd[i].events |= POLLOUT;
				continue;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				r = read(pfd[i].fd, buf, sizeof(buf));
				if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR)) {
					close(pfd[i].fd);
					pfd[i].fd = -1;
					closed++;
					continue;
				}
			}
			if (pfd[i].revents & POLLOUT && m == SLOW_BIG) {
				/* off[i] - 1: where we are in the current frame */
				r = send(pfd[i].fd, big + (off[i] - 1), sizeof(big) - (off[i] - 1),
				    MSG_NOSIGNAL);
				if (r > 0) {
					sent += (uint64_t)r;
					off[i] += (size_t)r;
					if (off[i] - 1 == sizeof(big))
						off[i] = 1;
				}
			} else if (pfd[i].revents & POLLOUT && m == SLOW_STUN) {
				l = stun_junk(stun, k, (uint32_t)k);
				r = send(pfd[i].fd, stun, l, MSG_NOSIGNAL);
				if (r == (ssize_t)l) {
					k++;
					stuns++;
					sent += l;
				} else if (r > 0) {
					/* a cut frame would desynchronise us: stop sending */
					pfd[i].events &= ~POLLOUT;
				}
			}
		}
	}
	for (i = 0; i < count; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	printf("mode %s connections %ld opened %ld failed %ld closed-by-relay %ld "
	    "stun-sent %ld bytes-sent %llu\n", mode, count, opened, failed, closed, stuns,
	    (unsigned long long)sent);
	free(pfd);
	free(off);
	return 0;
}

static int
do_ctl_udp(const char *host, int port, long count)
{
	static char huge[70000];
	struct sockaddr_in dst;
	long i, sent = 0, replies = 0, sendfail = 0;
	char msg[512], buf[65536];
	uint64_t end;
	size_t l;
	int fd;

	addr(&dst, host, port);
	memset(huge, 'x', sizeof(huge));
	memcpy(huge, "c1 d7:command4:ping", 19);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == -1)
		return 1;
	for (i = 0; i < count; i++) {
		switch (i % 8) {
		case 0:
			l = (size_t)snprintf(msg, sizeof(msg), "f%ld d7:command4:pinge", i);
			break;
		case 1:
			l = (size_t)snprintf(msg, sizeof(msg),
			    "f%ld {\"command\":\"ping\"}", i);
			break;
		case 2:
			l = (size_t)snprintf(msg, sizeof(msg), "noCookieAtAll");
			break;
		case 3:
			l = (size_t)snprintf(msg, sizeof(msg), "f%ld d7:command", i);
			break;
		case 4:
			l = (size_t)snprintf(msg, sizeof(msg), "f%ld {\"command\":\"offer\","
			    "\"call-id\":\"x\",\"from-tag\":\"y\",\"sdp\":\"v=0 junk\"}", i);
			break;
		case 5:
			l = (size_t)snprintf(msg, sizeof(msg), " leading-space");
			break;
		case 6:
			l = (size_t)snprintf(msg, sizeof(msg),
			    "f%ld d7:command6:deletee", i);
			break;
		default:
			l = 0;
			break;
		}
		if ((i % 8 == 7 ? send(fd, huge, 65000, 0) : send(fd, msg, l, 0)) == -1) {
			sendfail++;
			if (errno == EAGAIN || errno == ENOBUFS)
				usleep(1000);
		} else
			sent++;
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			replies++;
	}
	end = now_ms() + 2000;
	while (now_ms() < end) {
		if (recv(fd, buf, sizeof(buf), 0) > 0)
			replies++;
		else
			usleep(10000);
	}
	close(fd);
	printf("datagrams %ld sent %ld send-failed %ld replies %ld\n", count, sent, sendfail,
	    replies);
	return 0;
}

static int
do_ctl_tcp(const char *host, int port, long count, long secs)
{
	static const char *const junk[] = {
		"zzzz garbage that is neither bencode nor json",
		"c1 d7:command4:pi",		/* half a message */
		"",				/* idle */
		"c2 {\"command\":\"ping\"",	/* unfinished JSON */
	};
	struct sockaddr_in dst;
	struct pollfd *pfd;
	long i, opened = 0, failed = 0, closed = 0;
	uint64_t end;
	char buf[4096];
	ssize_t r;

	addr(&dst, host, port);
	if ((pfd = calloc((size_t)count, sizeof(*pfd))) == NULL)
		return 1;
	for (i = 0; i < count; i++) {
		pfd[i].fd = tcp_start(NULL, &dst);
		pfd[i].events = POLLOUT;
		if (pfd[i].fd == -1)
			failed++;
	}
	end = now_ms() + (uint64_t)secs * 1000;
	while (now_ms() < end) {
		if (poll(pfd, (nfds_t)count, 100) == -1 && errno != EINTR)
			return 1;
		for (i = 0; i < count; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if (pfd[i].events & POLLOUT) {
				if (sock_error(pfd[i].fd) != 0) {
					close(pfd[i].fd);
					pfd[i].fd = -1;
					failed++;
					continue;
				}
				opened++;
				(void)send(pfd[i].fd, junk[i % 4], strlen(junk[i % 4]), MSG_NOSIGNAL);
				pfd[i].events = POLLIN;
				continue;
			}
			r = read(pfd[i].fd, buf, sizeof(buf));
			if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR)) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				closed++;
			}
		}
	}
	for (i = 0; i < count; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	free(pfd);
	printf("tcp-clients %ld opened %ld failed %ld closed-by-master %ld\n", count, opened,
	    failed, closed);
	return 0;
}

int
main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && strcmp(argv[1], "connect") == 0)
		return do_connect(argv[2], (int)num(argv[3], 1, 65535),
		    num(argv[4], 1, 10000000), num(argv[5], 1, 3600));
	if (argc == 8 && strcmp(argv[1], "slow") == 0)
		return do_slow(argv[2], argv[3], (int)num(argv[4], 1, 65535), argv[5],
		    num(argv[6], 1, 100000), num(argv[7], 1, 3600));
	if (argc == 5 && strcmp(argv[1], "ctl-udp") == 0)
		return do_ctl_udp(argv[2], (int)num(argv[3], 1, 65535),
		    num(argv[4], 1, 10000000));
	if (argc == 6 && strcmp(argv[1], "ctl-tcp") == 0)
		return do_ctl_tcp(argv[2], (int)num(argv[3], 1, 65535),
		    num(argv[4], 1, 100000), num(argv[5], 1, 3600));
	usage();
	return 2;
}
