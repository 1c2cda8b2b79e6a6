/*
 * Child processes of the master (proc.h).
 */
#include "proc.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"

void
proc_init(struct proc *p, enum ipc_role role, unsigned index)
{
	memset(p, 0, sizeof(*p));
	p->pr_role = role;
	p->pr_index = index;
	p->pr_backoff_ms = PROC_BACKOFF_MIN_MS;
	if (role == IPC_ROLE_WORKER)
		snprintf(p->pr_name, sizeof(p->pr_name), "worker %u", index);
	else
		snprintf(p->pr_name, sizeof(p->pr_name), "cdr");
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
proc_exec(const struct proc *p, int chan)
{
	char idx[16], *argv[3];
	int fl;

	if (chan == PROC_CHAN_FD) {
		if ((fl = fcntl(chan, F_GETFD)) == -1 ||
		    fcntl(chan, F_SETFD, fl & ~FD_CLOEXEC) == -1)
			_exit(127);
	} else if (dup2(chan, PROC_CHAN_FD) == -1)
		_exit(127);
	/* Descriptors without CLOEXEC (a library's) must not reach a sandboxed child. */
	(void)close_range(PROC_CHAN_FD + 1, ~0U, 0);
	if (p->pr_role == IPC_ROLE_WORKER) {
		/* Hand-rolled: snprintf is not async-signal-safe. */
		unsigned v = p->pr_index, n = 0;
		char rev[16];

		do {
			rev[n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0 && n < sizeof(rev));
		for (fl = 0; fl < (int)n; fl++)
			idx[fl] = rev[n - 1 - (unsigned)fl];
		idx[n] = '\0';
		argv[0] = (char *)(uintptr_t)"appshare-worker";
		argv[1] = idx;
		argv[2] = NULL;
	} else {
		argv[0] = (char *)(uintptr_t)"appshare-cdr";
		argv[1] = NULL;
	}
	execv("/proc/self/exe", argv);
	_exit(127);
}

int
proc_spawn(struct proc *p, struct event_base *base, ipc_dispatch_cb dispatch,
    ipc_error_cb error, void *arg, uint64_t now_ms)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("%s: socketpair", p->pr_name);
		return -1;
	}
	switch ((pid = fork())) {
	case -1:
		log_warn("%s: fork", p->pr_name);
		close(sv[0]);
		close(sv[1]);
		return -1;
	case 0:
		close(sv[0]);
		proc_exec(p, sv[1]);
	default:
		break;
	}
	close(sv[1]);
	p->pr_chan = ipc_chan_new(base, sv[0], IPC_ROLE_MASTER, p->pr_role, dispatch,
	    error, arg);
	p->pr_pid = pid;
	p->pr_started_ms = now_ms;
	p->pr_state = PROC_HELLO;
	if (p->pr_chan == NULL) {
		close(sv[0]);
		proc_kill(p, "cannot set up its channel");
		return 0;	/* reaped and restarted like any other death */
	}
	log_debug("%s: pid %ld started", p->pr_name, (long)pid);
	return 0;
}

void
proc_kill(struct proc *p, const char *why)
{
	if (p->pr_pid <= 0)
		return;
	log_warnx("%s pid %ld: killing it: %s", p->pr_name, (long)p->pr_pid, why);
	if (kill(p->pr_pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("%s: kill", p->pr_name);
}

unsigned
proc_reaped(struct proc *p, uint64_t now_ms)
{
	if (p->pr_chan != NULL) {
		ipc_chan_free(p->pr_chan);
		p->pr_chan = NULL;
	}
	p->pr_pid = 0;
	p->pr_state = PROC_DOWN;
	p->pr_restarts++;
	if (now_ms - p->pr_started_ms >= PROC_GOOD_LIFE_MS)
		p->pr_backoff_ms = PROC_BACKOFF_MIN_MS;
	else if (p->pr_restarts > 1) {
		p->pr_backoff_ms *= 2;
		if (p->pr_backoff_ms > PROC_BACKOFF_MAX_MS)
			p->pr_backoff_ms = PROC_BACKOFF_MAX_MS;
	}
	return p->pr_backoff_ms;
}

const char *
proc_status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		const char *abbr = sigabbrev_np(WTERMSIG(status));

		snprintf(buf, len, "killed by signal %d (SIG%s)%s", WTERMSIG(status),
		    abbr != NULL ? abbr : "?", WCOREDUMP(status) ? ", core dumped" : "");
	} else
		snprintf(buf, len, "status 0x%x", (unsigned)status);
	return buf;
}
