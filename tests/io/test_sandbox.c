/*
 * policy/sandbox.c: each test forks a child that loads a role's filter and then does
 * something allowed or forbidden; the parent judges by the child's exit status
 * (WIFSIGNALED && WTERMSIG == SIGSYS for a forbidden call).  The child never returns
 * into Criterion: it ends with _exit().
 *
 * Skipped under sanitizers: ASan and UBSan make syscalls of their own (and the
 * filter is meant to be off in those builds).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "log.h"
#include "sandbox.h"

static void
skip_if_sanitized(void)
{
#ifdef APPSHARE_SANITIZED
	cr_skip_test("seccomp filters are not loaded under sanitizers");
#endif
}

/* In the child: no core files from the deaths we cause on purpose. */
static void
child_prepare(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
}

static void
child_enter(enum sbx_role role, enum sbx_mode mode)
{
	char err[256];

	if (sbx_enter(role, mode, err, sizeof(err)) == -1) {
		dprintf(2, "sbx_enter: %s\n", err);
		_exit(90);
	}
}

static int
wait_child(pid_t pid)
{
	int status;

	pid_t r;

	do {
		r = waitpid(pid, &status, 0);
	} while (r == -1 && errno == EINTR);
	cr_assert_eq(r, pid, "waitpid: %s", strerror(errno));
	return status;
}

/* Macros evaluate the status once: it may be a wait_child() call. */
#define cr_expect_sigsys(st, what) do {						\
	int st_ = (st);								\
	cr_expect(WIFSIGNALED(st_) && WTERMSIG(st_) == SIGSYS,			\
	    "%s: status 0x%x (exited %d, signal %d)", (what), st_,		\
	    WIFEXITED(st_) ? WEXITSTATUS(st_) : -1,				\
	    WIFSIGNALED(st_) ? WTERMSIG(st_) : -1);				\
} while (0)
#define cr_expect_exit0(st, what) do {						\
	int st_ = (st);								\
	cr_expect(WIFEXITED(st_) && WEXITSTATUS(st_) == 0,			\
	    "%s: status 0x%x (exited %d, signal %d)", (what), st_,		\
	    WIFEXITED(st_) ? WEXITSTATUS(st_) : -1,				\
	    WIFSIGNALED(st_) ? WTERMSIG(st_) : -1);				\
} while (0)

Test(sandbox, mode_and_role_names)
{
	cr_expect_eq(sbx_mode_parse("on"), SBX_ON);
	cr_expect_eq(sbx_mode_parse("trap"), SBX_TRAP);
	cr_expect_eq(sbx_mode_parse("off"), SBX_OFF);
	cr_expect_eq(sbx_mode_parse("ON"), -1);
	cr_expect_eq(sbx_mode_parse(""), -1);
	cr_expect_eq(sbx_mode_parse(NULL), -1);
	cr_expect_str_eq(sbx_mode_str(SBX_TRAP), "trap");
	cr_expect_str_eq(sbx_role_str(SBX_CDRD), "cdrd");
	cr_expect_str_eq(sbx_role_str(SBX_WORKER), "worker");
}

Test(sandbox, bad_arguments_refused)
{
	char err[128] = "";

	cr_expect_eq(sbx_enter(SBX_ROLE_MAX, SBX_ON, err, sizeof(err)), -1);
	cr_expect_neq(err[0], '\0');
	cr_expect_eq(sbx_enter(SBX_WORKER, SBX_MODE_MAX, err, sizeof(err)), -1);
}

/* A forbidden call in a child under `role`/`mode`; returns its wait status. */
enum tc_forbidden {
	TF_SOCKET,
	TF_OPENAT,
	TF_BIND,
	TF_LISTEN,
	TF_EXECVE,
	TF_FORK,
	TF_MMAP_EXEC,
	TF_MPROTECT_EXEC,
	TF_SETSOCKOPT_REUSEADDR,
	TF_KILL_PARENT,
	TF_SOCKETPAIR,
};

static int
run_forbidden(enum sbx_role role, enum sbx_mode mode, enum tc_forbidden what, int errfd)
{
	pid_t pid;
	int s = -1;

	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid != 0)
		return wait_child(pid);
	child_prepare();
	if (errfd >= 0)
		dup2(errfd, 2);
	s = socket(AF_INET, SOCK_STREAM, 0);
	child_enter(role, mode);
	switch (what) {
	case TF_SOCKET:
		socket(AF_INET, SOCK_STREAM, 0);
		break;
	case TF_OPENAT:
		open("/dev/null", O_RDONLY);
		break;
	case TF_BIND: {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		bind(s, (struct sockaddr *)&sin, sizeof(sin));
		break;
	}
	case TF_LISTEN:
		listen(s, 1);
		break;
	case TF_EXECVE: {
		static char arg0[] = "true";
		char *argv[] = { arg0, NULL };
		execve("/bin/true", argv, NULL);
		break;
	}
	case TF_FORK:
		if (fork() == 0)
			_exit(0);
		break;
	case TF_MMAP_EXEC:
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case TF_MPROTECT_EXEC: {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(91);
		mprotect(p, 4096, PROT_READ | PROT_EXEC);
		break;
	}
	case TF_SETSOCKOPT_REUSEADDR: {
		int one = 1;
		/* Allowed ones first: these must not kill. */
		if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
		    setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == -1)
			_exit(92);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		break;
	}
	case TF_KILL_PARENT:
		kill(getppid(), 0);
		break;
	case TF_SOCKETPAIR: {
		int sv[2];
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
		break;
	}
	}
	_exit(0);
}

Test(sandbox, worker_socket_dies_of_sigsys_on, .init = skip_if_sanitized)
{
	cr_expect_sigsys(run_forbidden(SBX_WORKER, SBX_ON, TF_SOCKET, -1), "socket");
}

Test(sandbox, worker_socket_trap_reports_name, .init = skip_if_sanitized)
{
	char buf[512];
	ssize_t n;
	int p[2], st;

	cr_assert_eq(pipe(p), 0);
	st = run_forbidden(SBX_WORKER, SBX_TRAP, TF_SOCKET, p[1]);
	close(p[1]);
	cr_expect_sigsys(st, "socket (trap)");
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	cr_assert_gt(n, 0, "no report on stderr");
	buf[n] = '\0';
	cr_expect(strstr(buf, "sandbox: forbidden syscall 41 (socket)") != NULL,
	    "report: %s", buf);
}

Test(sandbox, worker_forbids_the_rest, .init = skip_if_sanitized)
{
	static const struct {
		enum tc_forbidden	what;
		const char		*name;
	} cases[] = {
		{ TF_OPENAT, "openat" },
		{ TF_BIND, "bind" },
		{ TF_LISTEN, "listen" },
		{ TF_EXECVE, "execve" },
		{ TF_FORK, "fork" },
		{ TF_MMAP_EXEC, "mmap PROT_EXEC" },
		{ TF_MPROTECT_EXEC, "mprotect PROT_EXEC" },
		{ TF_SETSOCKOPT_REUSEADDR, "setsockopt SO_REUSEADDR" },
		{ TF_KILL_PARENT, "kill" },
		{ TF_SOCKETPAIR, "socketpair" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_sigsys(run_forbidden(SBX_WORKER, SBX_ON, cases[i].what, -1),
		    cases[i].name);
}

Test(sandbox, cdrd_forbids_open_socket_connect, .init = skip_if_sanitized)
{
	cr_expect_sigsys(run_forbidden(SBX_CDRD, SBX_ON, TF_OPENAT, -1), "cdrd openat");
	cr_expect_sigsys(run_forbidden(SBX_CDRD, SBX_TRAP, TF_SOCKET, -1), "cdrd socket");
	cr_expect_sigsys(run_forbidden(SBX_CDRD, SBX_ON, TF_EXECVE, -1), "cdrd execve");
}

Test(sandbox, cdrd_can_write_and_sync_a_file_it_was_given, .init = skip_if_sanitized)
{
	char path[] = "/tmp/appshare-sbx-XXXXXX", buf[8];
	pid_t pid;
	int fd;

	fd = mkstemp(path);
	cr_assert_neq(fd, -1);
	unlink(path);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct stat st;

		child_prepare();
		child_enter(SBX_CDRD, SBX_ON);
		if (write(fd, "rec1\r\n", 6) != 6 || fdatasync(fd) == -1 || fsync(fd) == -1)
			_exit(1);
		if (pread(fd, buf, 4, 0) != 4 || memcmp(buf, "rec1", 4) != 0)
			_exit(2);
		if (fstat(fd, &st) == -1 || st.st_size != 6 || lseek(fd, 0, SEEK_END) != 6)
			_exit(3);
		log_procinit("cdr");
		log_info("written and synced");
		_exit(0);
	}
	cr_expect_exit0(wait_child(pid), "cdrd file");
	close(fd);
}

/*
 * The shape of a worker under its filter: a libevent loop, IPC on a socketpair, a
 * listener and an unconnected socket from before the filter, accept4 and connect
 * after it, TCP options, data both ways, a timer, logging to stderr.
 */
struct tw_state {
	struct event_base	*base;
	int			 lfd, cfd, afd;
	int			 got_ipc;
	int			 step;
	struct ipc_chan		*m, *w;
};

static void
tw_dispatch(struct ipc_chan *c, struct ipc_msg *msg, void *arg)
{
	struct tw_state *t = arg;

	if (msg->im_hdr.ih_type == IPC_SESS_END)
		t->got_ipc++;
	if (msg->im_fd >= 0)
		close(msg->im_fd);
}

static void
tw_error(struct ipc_chan *c, const char *why, void *arg)
{
	_exit(40);
}

static void
tw_accept(evutil_socket_t fd, short what, void *arg)
{
	struct tw_state *t = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int one = 1, err;

	t->afd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (t->afd == -1)
		_exit(41);
	if (setsockopt(t->afd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
	    setsockopt(t->afd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == -1)
		_exit(42);
	sl = sizeof(ss);
	if (getpeername(t->afd, (struct sockaddr *)&ss, &sl) == -1 ||
	    getsockname(t->afd, (struct sockaddr *)&ss, &sl) == -1)
		_exit(43);
	sl = sizeof(err);
	if (getsockopt(t->cfd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 || err != 0)
		_exit(44);
	t->step = 1;
}

static void
tw_tick(evutil_socket_t fd, short what, void *arg)
{
	struct tw_state *t = arg;
	struct ipc_sess_end se = { 1 };
	char buf[16];
	int avail = 0;

	switch (t->step) {
	case 1:
		if (write(t->cfd, "ping", 4) != 4)
			_exit(45);
		if (ipc_send(t->m, IPC_SESS_END, 1, 1, &se, sizeof(se), -1) == -1)
			_exit(46);
		t->step = 2;
		break;
	case 2:
		if (ioctl(t->afd, FIONREAD, &avail) == -1)
			_exit(47);
		if (avail < 4)
			break;
		if (read(t->afd, buf, sizeof(buf)) != 4 || memcmp(buf, "ping", 4) != 0)
			_exit(48);
		if (write(t->afd, "pong", 4) != 4 || shutdown(t->afd, SHUT_WR) == -1)
			_exit(49);
		t->step = 3;
		break;
	case 3:
		if (read(t->cfd, buf, sizeof(buf)) == 4 && t->got_ipc > 0) {
			log_info("worker loop ok under the filter");
			event_base_loopbreak(t->base);
		}
		break;
	}
}

static void
tw_child(void)
{
	static struct tw_state t;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct event *lev, *tev;
	struct timeval tv = { 0, 10000 }, limit = { 5, 0 };
	int sv[2];

	memset(&t, 0, sizeof(t));
	log_init(1, 0);
	log_procinit("worker 0");
	/* Before the filter: everything that creates. */
	if ((t.base = event_base_new()) == NULL ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1)
		_exit(30);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	t.cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t.lfd == -1 || t.cfd == -1 ||
	    bind(t.lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(t.lfd, 8) == -1 ||
	    getsockname(t.lfd, (struct sockaddr *)&sin, &sl) == -1)
		_exit(31);
	t.m = ipc_chan_new(t.base, sv[0], IPC_ROLE_MASTER, IPC_ROLE_WORKER, tw_dispatch,
	    tw_error, &t);
	t.w = ipc_chan_new(t.base, sv[1], IPC_ROLE_WORKER, IPC_ROLE_MASTER, tw_dispatch,
	    tw_error, &t);
	if (t.m == NULL || t.w == NULL)
		_exit(32);

	child_enter(SBX_WORKER, SBX_TRAP);

	/* After: only what a worker does. */
	if (connect(t.cfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS)
		_exit(33);
	lev = event_new(t.base, t.lfd, EV_READ | EV_PERSIST, tw_accept, &t);
	tev = event_new(t.base, -1, EV_PERSIST, tw_tick, &t);
	if (lev == NULL || tev == NULL || event_add(lev, NULL) == -1 ||
	    event_add(tev, &tv) == -1)
		_exit(34);
	event_base_loopexit(t.base, &limit);
	event_base_dispatch(t.base);
	if (t.step != 3 || t.got_ipc != 1)
		_exit(35);
	/* A clean shutdown frees everything (sigaction restored, epoll closed). */
	event_free(lev);
	event_free(tev);
	ipc_chan_free(t.m);
	ipc_chan_free(t.w);
	event_base_free(t.base);
	close(t.lfd);
	close(t.cfd);
	close(t.afd);
	exit(0);
}

Test(sandbox, worker_runs_a_libevent_loop_under_its_filter, .init = skip_if_sanitized)
{
	char buf[1024];
	ssize_t n;
	pid_t pid;
	int p[2], st;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		child_prepare();
		close(p[0]);
		dup2(p[1], 2);
		tw_child();
	}
	close(p[1]);
	st = wait_child(pid);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	cr_expect_exit0(st, buf);
	cr_expect(strstr(buf, "worker 0: worker loop ok under the filter") != NULL,
	    "stderr: %s", buf);
}

/* The parent reads the filtered child's /proc/PID/status while the child waits. */
static void
check_status(enum sbx_role role)
{
	char path[64], buf[4096];
	pid_t pid;
	FILE *f;
	size_t n;
	int go[2], ready[2];
	char c;

	cr_assert_eq(pipe(go), 0);
	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		child_prepare();
		child_enter(role, SBX_ON);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	cr_assert_eq(read(ready[0], &c, 1), 1);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	cr_assert_eq(write(go[1], "g", 1), 1);
	cr_expect_exit0(wait_child(pid), sbx_role_str(role));
	cr_expect(strstr(buf, "\nSeccomp:\t2\n") != NULL, "%s", buf);
	cr_expect(strstr(buf, "\nNoNewPrivs:\t1\n") != NULL, "%s", buf);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
}

Test(sandbox, proc_status_shows_filter_and_no_new_privs, .init = skip_if_sanitized)
{
	check_status(SBX_WORKER);
	check_status(SBX_CDRD);
}

/*
 * The master's table (not loaded by appshare-master yet) must let a child be
 * exec'd, and that child must still be able to load its own, stricter filter.
 */
Test(sandbox, master_filter_still_forks_and_execs, .init = skip_if_sanitized)
{
	pid_t pid;

	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		static char arg0[] = "true";
		char *argv[] = { arg0, NULL };
		pid_t c;
		int st, s;

		child_prepare();
		child_enter(SBX_MASTER, SBX_TRAP);
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			_exit(1);
		close(s);
		if ((c = fork()) == -1)
			_exit(2);
		if (c == 0) {
			execve("/bin/true", argv, NULL);
			_exit(3);
		}
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			_exit(4);
		/* A child stacks its own filter on the master's. */
		if ((c = fork()) == -1)
			_exit(5);
		if (c == 0) {
			child_enter(SBX_WORKER, SBX_ON);
			socket(AF_INET, SOCK_STREAM, 0);
			_exit(0);
		}
		if (waitpid(c, &st, 0) != c || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			_exit(6);
		_exit(0);
	}
	cr_expect_exit0(wait_child(pid), "master filter");
}

Test(sandbox, off_mode_sets_no_new_privs_only)
{
	pid_t pid;

	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		char err[128];
		int s;

		if (sbx_enter(SBX_WORKER, SBX_OFF, err, sizeof(err)) == -1)
			_exit(1);
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			_exit(2);
		_exit(0);
	}
	cr_expect_exit0(wait_child(pid), "off");
}
