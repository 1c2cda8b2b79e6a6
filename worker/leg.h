/*
 * One TCP leg of a session: listener, connections (accepted or ours), source-address
 * policy before the first byte, RFC 4571 reassembly, STUN to the leg's ICE agent and
 * the agent's actions back to sockets (architecture.md B3 worker/leg.c, B4).
 */
#ifndef APPSHARE_WORKER_LEG_H
#define APPSHARE_WORKER_LEG_H

#include <stdint.h>

#include "sess.h"

/* -1 if the leg's parameters are unusable (the session then ends as internal-error). */
int		 leg_init(struct leg *, struct sess *, int idx, const struct ipc_leg_params *);
/* The master's listening socket for this leg (ownership taken). */
void		 leg_listen(struct leg *, int fd);
void		 leg_remote(struct leg *, const struct ipc_sess_remote *);
/* The answer to an IPC_SOCK_REQ: a socket to connect (ownership taken). */
void		 leg_sock(struct leg *, const struct ipc_sess_fd *, int fd);
void		 leg_sock_fail(struct leg *, const struct ipc_sock_fail *);
/*
 * The leg is up: no later connection can become its media path (no ICE restart), so
 * stop listening and drop the source policy.
 */
void		 leg_unlisten(struct leg *);
/* Timer: feed the agent its tick and perform what it asks. */
void		 leg_tick(struct leg *, uint64_t now);
uint64_t	 leg_deadline(const struct leg *);
/* Close every descriptor of the leg (events freed); buffers stay until leg_free(). */
void		 leg_close(struct leg *);
void		 leg_free(struct leg *);
/* Close one connection (no event reported to the agent). */
void		 leg_conn_close(struct conn *);
/* Perform the actions in lg_out. */
void		 leg_apply(struct leg *);
/* "192.0.2.1:5000" or "[2001:db8::1]:5000" */
void		 leg_shm_addr(const struct sockaddr_storage *, struct shm_addr *);

#define LEG_ADDRSTRLEN	64

#endif
