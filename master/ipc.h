/*
 * Framed channel between two appshare processes on a SOCK_SEQPACKET socketpair
 * (architecture.md B5): one sendmsg() is one message, at most one descriptor rides
 * with it.  Imsg's API shape (compose, queue, flush, read, dispatch) without its code.
 *
 * Receiving checks every message with ipc_msg_check() before the dispatch callback
 * sees it; a message that fails, a truncated one (MSG_TRUNC/MSG_CTRUNC) or a read
 * error is reported through the error callback, and the channel stops reading.  The
 * owner decides: the master kills the child that sent it, a child exits.
 *
 * Descriptors: ipc_send() takes ownership of fd (closed once sent, or on failure);
 * the dispatch callback owns any fd it is given and must close or keep it.
 */
#ifndef APPSHARE_IPC_H
#define APPSHARE_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"

struct event_base;
struct ipc_chan;

struct ipc_msg {
	struct ipc_hdr	 im_hdr;
	const void	*im_data;	/* payload, im_hdr.ih_len bytes, aligned for any struct */
	int		 im_fd;		/* -1 if none; the callback owns it */
};

typedef void	(*ipc_dispatch_cb)(struct ipc_chan *, struct ipc_msg *, void *arg);
/* why: a short text ("peer closed", "bad message 0x0201: payload size ...", errno text) */
typedef void	(*ipc_error_cb)(struct ipc_chan *, const char *why, void *arg);

/*
 * Wrap a connected SOCK_SEQPACKET socket (made non-blocking here).  self/peer are the
 * roles used for the direction checks.
 */
struct ipc_chan	*ipc_chan_new(struct event_base *, int sock, enum ipc_role self,
		    enum ipc_role peer, ipc_dispatch_cb, ipc_error_cb, void *arg);
/* Stops reading, drops the queue, closes the socket and any queued descriptors. */
void		 ipc_chan_free(struct ipc_chan *);

/*
 * Queue one message and try to send it now; whatever the socket does not take is sent
 * when it becomes writable.  fd < 0 for none.  Returns 0, or -1 with errno (EMSGSIZE
 * for an oversized payload, ENOBUFS when the queue bound is reached: the peer is not
 * reading and is treated as dead by the caller).
 */
int		 ipc_send(struct ipc_chan *, uint16_t type, uint32_t handle, uint32_t gen,
		    const void *payload, size_t len, int fd);
/* Messages waiting in the queue (for tests and back-pressure decisions). */
size_t		 ipc_queued(const struct ipc_chan *);
/* Blocking flush with a timeout, for the last words before exit (e.g. SESS_DONE). */
int		 ipc_flush(struct ipc_chan *, int timeout_ms);
int		 ipc_chan_fd(const struct ipc_chan *);

#endif
