/*
 * The seccomp allowlists, one per role (conventions.md 13).  This file is data to be
 * reviewed: every line is a syscall a role may make after sbx_enter(), with the
 * argument conditions that narrow it.  Anything not listed kills the process.
 *
 * How the lists were found: a libevent epoll loop with an IPC socketpair, a loopback
 * TCP accept4/connect, timers and stderr logging, run under `strace -f` from the point
 * where the filter would be loaded (tests/io/test_sandbox.c runs the same shape under
 * the filter).  Process start-up (execve, ld.so, rseq, set_robust_list, prlimit64),
 * creating the event base (epoll_create1, the signal socketpair, sigaction), mapping
 * shm and dropping privileges all happen before the filter and are absent here.
 *
 * Deliberately absent from worker and cdrd: socket, socketpair, bind, listen, open,
 * openat, execve, fork/clone, kill of others, ptrace, prctl, seccomp.  They receive
 * every descriptor from the master (architecture.md B1, B2).
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <termios.h>

#include "sandbox_priv.h"

#define ALLOW(n)		{ .sr_name = (n) }
#define ALLOW1(n, a)		{ .sr_name = (n), .sr_nargs = 1, .sr_args = { a } }
#define ALLOW2(n, a, b)		{ .sr_name = (n), .sr_nargs = 2, .sr_args = { a, b } }
#define ARG_EQ(i, v)		{ .sa_index = (i), .sa_cmp = SBX_EQ, .sa_val = (v) }
#define ARG_HAS(i, m)		{ .sa_index = (i), .sa_cmp = SBX_MASKED_EQ, \
				    .sa_mask = (m), .sa_val = (m) }
#define ARG_LACKS(i, m)		{ .sa_index = (i), .sa_cmp = SBX_MASKED_EQ, \
				    .sa_mask = (m), .sa_val = 0 }
#define ARG_SELF(i)		{ .sa_index = (i), .sa_cmp = SBX_SELF_PID }
#define LIST(a)			{ (a), sizeof(a) / sizeof((a)[0]) }

/* Every sandboxed child: the event loop, IPC, memory, time, signals, exit. */
static const struct sbx_rule sbx_common[] = {
	/* I/O on descriptors it holds: sockets, the IPC channel, stderr, the CDR file. */
	ALLOW("read"),
	ALLOW("readv"),
	ALLOW("write"),
	ALLOW("writev"),
	ALLOW("close"),
	ALLOW("recvmsg"),
	ALLOW("sendmsg"),
	/* libevent's signal socketpair: send(fd, b, 1, 0) and recv(); no address allowed. */
	ALLOW1("sendto", ARG_EQ(4, 0)),
	ALLOW("recvfrom"),
	/* The event loop (epoll_create1 happened before the filter). */
	ALLOW("epoll_wait"),
	ALLOW("epoll_pwait"),
	ALLOW("epoll_pwait2"),
	ALLOW("epoll_ctl"),
	/* ipc_flush() before exiting. */
	ALLOW("poll"),
	ALLOW("ppoll"),
	/* Time (normally the vDSO, the syscall when the clock source has none). */
	ALLOW("clock_gettime"),
	ALLOW("clock_getres"),
	ALLOW("gettimeofday"),
	ALLOW("time"),
	ALLOW("nanosleep"),
	ALLOW("clock_nanosleep"),
	/* ICE transaction ids and tie-breakers. */
	ALLOW("getrandom"),
	/* malloc; never executable memory. */
	ALLOW("brk"),
	ALLOW1("mmap", ARG_LACKS(2, PROT_EXEC)),
	ALLOW1("mprotect", ARG_LACKS(2, PROT_EXEC)),
	ALLOW("munmap"),
	ALLOW("mremap"),
	ALLOW("madvise"),
	ALLOW("futex"),
	ALLOW("sched_yield"),
	ALLOW("restart_syscall"),
	/* Signals: libevent's handlers, sigaction restored when the base is freed. */
	ALLOW("rt_sigreturn"),
	ALLOW("rt_sigprocmask"),
	ALLOW("rt_sigaction"),
	ALLOW("sigaltstack"),
	/* abort() and the trap-mode reporter signal only this process. */
	ALLOW("getpid"),
	ALLOW("gettid"),
	ALLOW1("tgkill", ARG_SELF(0)),
	/* stdio and glibc's fstat() (newfstatat(fd, "", st, AT_EMPTY_PATH)). */
	ALLOW("fstat"),
	ALLOW1("newfstatat", ARG_HAS(3, AT_EMPTY_PATH)),
	ALLOW("lseek"),
	/* Non-blocking and close-on-exec flags of received descriptors, nothing else. */
	ALLOW1("fcntl", ARG_EQ(1, F_GETFL)),
	ALLOW1("fcntl", ARG_EQ(1, F_SETFL)),
	ALLOW1("fcntl", ARG_EQ(1, F_GETFD)),
	ALLOW1("fcntl", ARG_EQ(1, F_SETFD)),
	/* evbuffer_read() sizes its read with FIONREAD; stdio asks whether it is a tty. */
	ALLOW1("ioctl", ARG_EQ(1, FIONREAD)),
	ALLOW1("ioctl", ARG_EQ(1, TCGETS)),
	ALLOW("exit"),
	ALLOW("exit_group"),
};

/* The worker: TCP on descriptors from the master (listeners and unconnected sockets). */
static const struct sbx_rule sbx_worker[] = {
	ALLOW("accept4"),
	ALLOW("accept"),
	/* initiate-tcp: connect() a socket the master created and bound (IPC_SESS_FD). */
	ALLOW("connect"),
	ALLOW("shutdown"),
	ALLOW("getpeername"),
	ALLOW("getsockname"),
	/* Reading options is harmless (SO_ERROR after connect, SO_SNDBUF for the HWM). */
	ALLOW1("getsockopt", ARG_EQ(1, SOL_SOCKET)),
	ALLOW1("getsockopt", ARG_EQ(1, IPPROTO_TCP)),
	/* Setting them: only these levels and names. */
	ALLOW2("setsockopt", ARG_EQ(1, IPPROTO_TCP), ARG_EQ(2, TCP_NODELAY)),
	ALLOW2("setsockopt", ARG_EQ(1, IPPROTO_TCP), ARG_EQ(2, TCP_KEEPIDLE)),
	ALLOW2("setsockopt", ARG_EQ(1, IPPROTO_TCP), ARG_EQ(2, TCP_KEEPINTVL)),
	ALLOW2("setsockopt", ARG_EQ(1, IPPROTO_TCP), ARG_EQ(2, TCP_KEEPCNT)),
	ALLOW2("setsockopt", ARG_EQ(1, IPPROTO_TCP), ARG_EQ(2, TCP_USER_TIMEOUT)),
	ALLOW2("setsockopt", ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_KEEPALIVE)),
	ALLOW2("setsockopt", ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_LINGER)),
	ALLOW2("setsockopt", ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_SNDBUF)),
	ALLOW2("setsockopt", ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_RCVBUF)),
};

/* The CDR writer: files it was given, synced before the ring tail moves. */
static const struct sbx_rule sbx_cdrd[] = {
	/* The end of the current file after a restart (duplicate detection). */
	ALLOW("pread64"),
	ALLOW("fdatasync"),
	ALLOW("fsync"),
	/* Cutting a half-written last line, or a failed write, back to the synced size. */
	ALLOW("ftruncate"),
};

/*
 * The master.  Not loaded by appshare-master yet: a filter is inherited across fork
 * and exec and filters stack, so this one must also allow everything a child does
 * before its own filter is on (execve, ld.so mapping libraries PROT_EXEC, start-up,
 * epoll_create1, prctl, seccomp).  sbx_enter(SBX_MASTER) loads it for whoever wants
 * to try; tests/io/test_sandbox.c checks a child can still be exec'd under it.
 */
static const struct sbx_rule sbx_master[] = {
	/* Sockets, listeners, the control port. */
	ALLOW("socket"),
	ALLOW("socketpair"),
	ALLOW("bind"),
	ALLOW("listen"),
	ALLOW("setsockopt"),
	ALLOW("getsockopt"),
	ALLOW("sendto"),
	ALLOW("sendmmsg"),
	ALLOW("recvmmsg"),
	/* Files: config, CDR directory, /proc. */
	ALLOW("open"),
	ALLOW("openat"),
	ALLOW("creat"),
	ALLOW("rename"),
	ALLOW("renameat"),
	ALLOW("renameat2"),
	ALLOW("unlink"),
	ALLOW("unlinkat"),
	ALLOW("mkdir"),
	ALLOW("mkdirat"),
	ALLOW("newfstatat"),
	ALLOW("statx"),
	ALLOW("stat"),
	ALLOW("lstat"),
	ALLOW("access"),
	ALLOW("faccessat"),
	ALLOW("faccessat2"),
	ALLOW("readlink"),
	ALLOW("readlinkat"),
	ALLOW("getdents64"),
	ALLOW("pread64"),
	ALLOW("pwrite64"),
	ALLOW("ftruncate"),
	ALLOW("fdatasync"),
	ALLOW("fsync"),
	ALLOW("fchmod"),
	ALLOW("umask"),
	ALLOW("chdir"),
	ALLOW("fcntl"),
	ALLOW("ioctl"),
	ALLOW("dup"),
	ALLOW("dup2"),
	ALLOW("dup3"),
	ALLOW("pipe2"),
	ALLOW("eventfd2"),
	ALLOW("close_range"),
	/* Shared memory segments. */
	ALLOW("memfd_create"),
	ALLOW("mmap"),
	ALLOW("mprotect"),
	/* Children: fork, exec, reap, signal, and what they do before their filter. */
	ALLOW("clone"),
	ALLOW("clone3"),
	ALLOW("fork"),
	ALLOW("vfork"),
	ALLOW("execve"),
	ALLOW("wait4"),
	ALLOW("waitid"),
	ALLOW("kill"),
	ALLOW("tgkill"),
	ALLOW("getppid"),
	ALLOW("setsid"),
	ALLOW("setpgid"),
	ALLOW("prctl"),
	ALLOW("seccomp"),
	ALLOW("arch_prctl"),
	ALLOW("set_tid_address"),
	ALLOW("set_robust_list"),
	ALLOW("rseq"),
	ALLOW("prlimit64"),
	ALLOW("getrlimit"),
	ALLOW("epoll_create1"),
	ALLOW("sched_getaffinity"),
	ALLOW("sched_setaffinity"),
	ALLOW("uname"),
	ALLOW("sysinfo"),
	ALLOW("getuid"),
	ALLOW("geteuid"),
	ALLOW("getgid"),
	ALLOW("getegid"),
	ALLOW("getresuid"),
	ALLOW("getresgid"),
	ALLOW("capget"),
};

const struct sbx_table sbx_tables[SBX_ROLE_MAX] = {
	[SBX_MASTER] = { { LIST(sbx_common), LIST(sbx_worker), LIST(sbx_cdrd),
	    LIST(sbx_master) } },
	[SBX_WORKER] = { { LIST(sbx_common), LIST(sbx_worker) } },
	[SBX_CDRD] = { { LIST(sbx_common), LIST(sbx_cdrd) } },
};
