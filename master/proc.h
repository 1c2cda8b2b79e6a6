/*
 * Children of the master (docs/internals.md "Processes"): fork and re-exec
 * /proc/self/exe with argv[0] naming the role and the channel on fd 3, kill, the
 * restart backoff, and the words for how a child ended.  The master (master.c) owns
 * the state machine; this file only does the process work.
 */
#ifndef APPSHARE_PROC_H
#define APPSHARE_PROC_H

#include <sys/types.h>
#include <stdint.h>

#include "ipc.h"

#define PROC_CHAN_FD		3
#define PROC_BACKOFF_MIN_MS	100
#define PROC_BACKOFF_MAX_MS	10000
#define PROC_GOOD_LIFE_MS	60000	/* lived this long: the backoff starts again */
#define PROC_HANDSHAKE_MS	10000	/* HELLO .. READY */

enum proc_state {
	PROC_DOWN = 0,		/* not running; a restart may be scheduled */
	PROC_HELLO,		/* forked, waiting for IPC_HELLO */
	PROC_STARTING,		/* HELLO_ACK and segments sent, waiting for IPC_READY */
	PROC_READY,
	PROC_STATE_MAX
};

struct event;

struct proc {
	enum ipc_role	 pr_role;
	unsigned	 pr_index;
	char		 pr_name[32];	/* "worker 2", "cdr" */
	pid_t		 pr_pid;	/* 0 when down */
	struct ipc_chan	*pr_chan;
	enum proc_state	 pr_state;
	uint64_t	 pr_started_ms;	/* monotonic */
	unsigned	 pr_backoff_ms;
	unsigned	 pr_restarts;
	struct event	*pr_timer;	/* handshake deadline or restart */
};

void		 proc_init(struct proc *, enum ipc_role, unsigned index);
/*
 * socketpair + fork + exec.  In the child the channel becomes fd 3 and every other
 * descriptor above 2 is closed.  Returns 0 with pr_pid and pr_chan set (state HELLO),
 * or -1 (logged).
 */
int		 proc_spawn(struct proc *, struct event_base *, ipc_dispatch_cb,
		    ipc_error_cb, void *arg, uint64_t now_ms);
/* SIGKILL the child (if running) and log why; reaping happens on SIGCHLD. */
void		 proc_kill(struct proc *, const char *why);
/* After the child was reaped: free the channel, state DOWN, next backoff (ms). */
unsigned	 proc_reaped(struct proc *, uint64_t now_ms);
/* "exited with status 1", "killed by signal 31 (SIGSYS)" */
const char	*proc_status_str(int status, char *buf, size_t len);

#endif
