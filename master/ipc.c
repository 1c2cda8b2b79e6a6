/*
 * IPC channel on a SOCK_SEQPACKET socket and libevent (master/ipc.h, architecture.md B5).
 *
 * One datagram is one message: the header and payload are received with one
 * recvmsg() into a header and a separate payload buffer (malloc'd, so aligned for any
 * struct), descriptors with MSG_CMSG_CLOEXEC.  Everything the receiver gets is checked
 * by ipc_msg_check() before the dispatch callback sees it.
 *
 * Callbacks may free the channel (the master frees a child's channel from its error
 * callback): ipc_chan_free() inside a callback releases everything but the struct,
 * which the event handler frees once the callback has returned.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "ipc_msg.h"

#define IPC_PAYLOAD_MAX		(IPC_MAX_MSG - sizeof(struct ipc_hdr))
#define IPC_QUEUE_MAX_MSGS	4096
#define IPC_QUEUE_MAX_BYTES	(8u * 1024 * 1024)
/* Messages handled per read event before returning to the loop (callbacks stay short). */
#define IPC_READ_BATCH		64
/* Room for a few descriptors, so that a peer sending two is seen (and refused). */
#define IPC_CMSG_FDS		4

struct ipc_qmsg {
	TAILQ_ENTRY(ipc_qmsg)	 qm_entry;
	int			 qm_fd;
	size_t			 qm_len;	/* header + payload */
	struct ipc_hdr		 qm_hdr;
	unsigned char		 qm_payload[];
};
TAILQ_HEAD(ipc_queue, ipc_qmsg);

struct ipc_chan {
	struct event_base	*ic_base;
	struct event		*ic_rev;
	struct event		*ic_wev;
	int			 ic_sock;
	enum ipc_role		 ic_self;
	enum ipc_role		 ic_peer;
	ipc_dispatch_cb		 ic_dispatch;
	ipc_error_cb		 ic_error;
	void			*ic_arg;
	struct ipc_queue	 ic_queue;
	size_t			 ic_nqueued;
	size_t			 ic_qbytes;
	int			 ic_rstop;	/* reading stopped after an error */
	int			 ic_wfail;	/* writing failed: sends are refused */
	int			 ic_reported;	/* the error callback has run */
	int			 ic_busy;	/* inside a callback */
	int			 ic_freed;	/* ipc_chan_free() called inside a callback */
	void			*ic_rbuf;	/* IPC_PAYLOAD_MAX bytes */
	char			 ic_why[160];
};

static void	ipc_read_cb(evutil_socket_t, short, void *);
static void	ipc_write_cb(evutil_socket_t, short, void *);

static void
ipc_close_fd(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

static void
ipc_queue_drop(struct ipc_chan *c)
{
	struct ipc_qmsg *qm;

	while ((qm = TAILQ_FIRST(&c->ic_queue)) != NULL) {
		TAILQ_REMOVE(&c->ic_queue, qm, qm_entry);
		ipc_close_fd(qm->qm_fd);
		free(qm);
	}
	c->ic_nqueued = 0;
	c->ic_qbytes = 0;
}

struct ipc_chan *
ipc_chan_new(struct event_base *base, int sock, enum ipc_role self, enum ipc_role peer,
    ipc_dispatch_cb dispatch, ipc_error_cb error, void *arg)
{
	struct ipc_chan *c;
	int fl;

	if ((fl = fcntl(sock, F_GETFL)) == -1 ||
	    fcntl(sock, F_SETFL, fl | O_NONBLOCK) == -1)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->ic_base = base;
	c->ic_sock = sock;
	c->ic_self = self;
	c->ic_peer = peer;
	c->ic_dispatch = dispatch;
	c->ic_error = error;
	c->ic_arg = arg;
	TAILQ_INIT(&c->ic_queue);
	if ((c->ic_rbuf = malloc(IPC_PAYLOAD_MAX)) == NULL)
		goto fail;
	c->ic_rev = event_new(base, sock, EV_READ | EV_PERSIST, ipc_read_cb, c);
	c->ic_wev = event_new(base, sock, EV_WRITE | EV_PERSIST, ipc_write_cb, c);
	if (c->ic_rev == NULL || c->ic_wev == NULL || event_add(c->ic_rev, NULL) == -1)
		goto fail;
	return c;
fail:
	if (c->ic_rev != NULL)
		event_free(c->ic_rev);
	if (c->ic_wev != NULL)
		event_free(c->ic_wev);
	free(c->ic_rbuf);
	free(c);
	errno = ENOMEM;
	return NULL;
}

void
ipc_chan_free(struct ipc_chan *c)
{
	if (c == NULL || c->ic_freed)
		return;
	if (c->ic_rev != NULL)
		event_free(c->ic_rev);
	if (c->ic_wev != NULL)
		event_free(c->ic_wev);
	c->ic_rev = c->ic_wev = NULL;
	ipc_queue_drop(c);
	ipc_close_fd(c->ic_sock);
	c->ic_sock = -1;
	free(c->ic_rbuf);
	c->ic_rbuf = NULL;
	c->ic_rstop = c->ic_wfail = c->ic_reported = 1;
	if (c->ic_busy) {
		c->ic_freed = 1;
		return;
	}
	free(c);
}

/*
 * Stop reading (and writing, after a send error), and report once: the owner kills
 * the child or exits.  After a receive error sends still work, for last words.
 */
static void
ipc_fail(struct ipc_chan *c, int writing)
{
	c->ic_rstop = 1;
	if (c->ic_rev != NULL)
		event_del(c->ic_rev);
	if (writing) {
		c->ic_wfail = 1;
		if (c->ic_wev != NULL)
			event_del(c->ic_wev);
	}
	if (c->ic_reported)
		return;
	c->ic_reported = 1;
	if (c->ic_error != NULL)
		c->ic_error(c, c->ic_why, c->ic_arg);
}

/* One sendmsg() of a whole message; returns 0, or -1 with errno (EAGAIN: try later). */
static int
ipc_sendmsg(int sock, const struct ipc_hdr *h, const void *payload, size_t len, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov[2];
	struct msghdr msg;
	struct cmsghdr *cmsg;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = (void *)(uintptr_t)h;
	iov[0].iov_len = sizeof(*h);
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	msg.msg_iov = iov;
	msg.msg_iovlen = len > 0 ? 2 : 1;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != sizeof(*h) + len) {
		/* Cannot happen on SOCK_SEQPACKET: all or nothing. */
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int
ipc_send(struct ipc_chan *c, uint16_t type, uint32_t handle, uint32_t gen,
    const void *payload, size_t len, int fd)
{
	struct ipc_qmsg *qm;
	struct ipc_hdr h;
	int rc;

	if (c->ic_wfail || c->ic_sock == -1) {
		ipc_close_fd(fd);
		errno = EPIPE;
		return -1;
	}
	if (len > IPC_PAYLOAD_MAX) {
		ipc_close_fd(fd);
		errno = EMSGSIZE;
		return -1;
	}
	memset(&h, 0, sizeof(h));
	h.ih_type = type;
	h.ih_flags = fd >= 0 ? IPC_F_FD : 0;
	h.ih_len = (uint32_t)len;
	h.ih_handle = handle;
	h.ih_gen = gen;
	/* A message the peer would refuse is our bug: say so here, not in the peer's log. */
	if ((rc = ipc_msg_check(c->ic_self, c->ic_peer, &h, payload, len, fd >= 0)) != 0) {
		ipc_close_fd(fd);
		errno = EINVAL;
		return -1;
	}
	if (TAILQ_EMPTY(&c->ic_queue)) {
		if (ipc_sendmsg(c->ic_sock, &h, payload, len, fd) == 0) {
			ipc_close_fd(fd);
			return 0;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			ipc_close_fd(fd);
			return -1;
		}
	}
	if (c->ic_nqueued >= IPC_QUEUE_MAX_MSGS ||
	    c->ic_qbytes + sizeof(h) + len > IPC_QUEUE_MAX_BYTES) {
		ipc_close_fd(fd);
		errno = ENOBUFS;
		return -1;
	}
	if ((qm = malloc(sizeof(*qm) + len)) == NULL) {
		ipc_close_fd(fd);
		errno = ENOMEM;
		return -1;
	}
	qm->qm_fd = fd;
	qm->qm_len = sizeof(h) + len;
	qm->qm_hdr = h;
	if (len > 0)
		memcpy(qm->qm_payload, payload, len);
	TAILQ_INSERT_TAIL(&c->ic_queue, qm, qm_entry);
	c->ic_nqueued++;
	c->ic_qbytes += qm->qm_len;
	/* Should event_add() fail, the message stays queued for ipc_flush(). */
	if (c->ic_nqueued == 1)
		(void)event_add(c->ic_wev, NULL);
	return 0;
}

/* Send what the socket takes; 0 when the queue is empty or the socket is full, -1 on error. */
static int
ipc_queue_push(struct ipc_chan *c)
{
	struct ipc_qmsg *qm;

	while ((qm = TAILQ_FIRST(&c->ic_queue)) != NULL) {
		if (ipc_sendmsg(c->ic_sock, &qm->qm_hdr, qm->qm_payload,
		    qm->qm_len - sizeof(qm->qm_hdr), qm->qm_fd) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		TAILQ_REMOVE(&c->ic_queue, qm, qm_entry);
		c->ic_nqueued--;
		c->ic_qbytes -= qm->qm_len;
		ipc_close_fd(qm->qm_fd);
		free(qm);
	}
	return 0;
}

static void
ipc_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_chan *c = arg;

	if (ipc_queue_push(c) == -1) {
		snprintf(c->ic_why, sizeof(c->ic_why), "send: %s", strerror(errno));
		c->ic_busy = 1;
		ipc_fail(c, 1);
		c->ic_busy = 0;
		if (c->ic_freed)
			free(c);
		return;
	}
	if (TAILQ_EMPTY(&c->ic_queue))
		event_del(c->ic_wev);
}

size_t
ipc_queued(const struct ipc_chan *c)
{
	return c->ic_nqueued;
}

int
ipc_chan_fd(const struct ipc_chan *c)
{
	return c->ic_sock;
}

static long long
ipc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ipc_flush(struct ipc_chan *c, int timeout_ms)
{
	struct pollfd pfd;
	long long deadline, left;
	int n;

	if (c->ic_sock == -1) {
		errno = EPIPE;
		return -1;
	}
	deadline = ipc_now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	for (;;) {
		if (ipc_queue_push(c) == -1)
			return -1;
		if (TAILQ_EMPTY(&c->ic_queue))
			break;
		left = deadline - ipc_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = c->ic_sock;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		if (n == -1 && errno != EINTR)
			return -1;
		if (n == 1 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))) {
			errno = EPIPE;
			return -1;
		}
	}
	if (c->ic_wev != NULL)
		event_del(c->ic_wev);
	return 0;
}

/*
 * Receive one datagram.  Returns 1 with *m filled, 0 when nothing is waiting, -1 with
 * c->ic_why set.  Every descriptor that arrived is closed on the error paths.
 */
static int
ipc_recv_one(struct ipc_chan *c, struct ipc_msg *m)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(IPC_CMSG_FDS * sizeof(int))];
	} cm;
	int fds[IPC_CMSG_FDS + 1];
	struct iovec iov[2];
	struct msghdr msg;
	struct cmsghdr *cmsg;
	size_t len, nfd = 0, i, k;
	ssize_t n;
	int rc, other = 0;

	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = &m->im_hdr;
	iov[0].iov_len = sizeof(m->im_hdr);
	iov[1].iov_base = c->ic_rbuf;
	iov[1].iov_len = IPC_PAYLOAD_MAX;
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	do {
		n = recvmsg(c->ic_sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		snprintf(c->ic_why, sizeof(c->ic_why), "receive: %s", strerror(errno));
		return -1;
	}
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) {
			other = 1;
			continue;
		}
		k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k && nfd < IPC_CMSG_FDS + 1; i++, nfd++)
			memcpy(&fds[nfd], CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
	}
	if (n == 0) {
		snprintf(c->ic_why, sizeof(c->ic_why), "peer closed");
		goto bad;
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		snprintf(c->ic_why, sizeof(c->ic_why), "truncated message (%s)",
		    msg.msg_flags & MSG_TRUNC ? "data" : "descriptors");
		goto bad;
	}
	if (other || nfd > 1) {
		snprintf(c->ic_why, sizeof(c->ic_why),
		    "bad message: unexpected control data (%zu descriptors)", nfd);
		goto bad;
	}
	if ((size_t)n < sizeof(m->im_hdr)) {
		snprintf(c->ic_why, sizeof(c->ic_why), "bad message: short (%zd bytes)", n);
		goto bad;
	}
	len = (size_t)n - sizeof(m->im_hdr);
	if (m->im_hdr.ih_len != len) {
		snprintf(c->ic_why, sizeof(c->ic_why),
		    "bad message 0x%04x (%s): length %u in header, %zu received",
		    m->im_hdr.ih_type, ipc_type_str(m->im_hdr.ih_type),
		    m->im_hdr.ih_len, len);
		goto bad;
	}
	rc = ipc_msg_check(c->ic_peer, c->ic_self, &m->im_hdr, c->ic_rbuf, len, nfd == 1);
	if (rc != IPC_CHK_OK) {
		snprintf(c->ic_why, sizeof(c->ic_why), "bad message 0x%04x (%s): %s",
		    m->im_hdr.ih_type, ipc_type_str(m->im_hdr.ih_type), ipc_check_str(rc));
		goto bad;
	}
	m->im_data = c->ic_rbuf;
	m->im_fd = nfd == 1 ? fds[0] : -1;
	return 1;
bad:
	for (i = 0; i < nfd; i++)
		ipc_close_fd(fds[i]);
	return -1;
}

static void
ipc_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_chan *c = arg;
	struct ipc_msg m;
	int i, rc;

	c->ic_busy = 1;
	for (i = 0; i < IPC_READ_BATCH && !c->ic_rstop; i++) {
		memset(&m, 0, sizeof(m));
		m.im_fd = -1;
		rc = ipc_recv_one(c, &m);
		if (rc == 0)
			break;
		if (rc == -1) {
			ipc_fail(c, 0);
			break;
		}
		c->ic_dispatch(c, &m, c->ic_arg);
		if (c->ic_freed)
			break;
	}
	c->ic_busy = 0;
	if (c->ic_freed)
		free(c);
}
