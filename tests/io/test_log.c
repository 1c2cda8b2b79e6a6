/*
 * master/log.c: line format, truncation to IPC_LOG_MAX - 1 with "...", errno kept,
 * verbosity, the hook (what a sandboxed child sends as IPC_LOG) and stderr output.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "ipc_msg.h"
#include "log.h"

static char	tl_line[2 * IPC_LOG_MAX];
static int	tl_level, tl_count;

static void
tl_hook(int level, const char *line, void *arg)
{
	snprintf(tl_line, sizeof(tl_line), "%s", line);
	tl_level = level;
	tl_count++;
	/* A hook that logs does not recurse (the line goes to stderr instead). */
	if (arg != NULL)
		log_warnx("from the hook");
}

static void
tl_setup(void)
{
	log_init(1, 0);
	log_procinit("worker 3");
	log_sethook(tl_hook, NULL);
	tl_count = 0;
}

TestSuite(log, .init = tl_setup);

Test(log, format_levels_and_errno)
{
	errno = ENOENT;
	log_warn("open %s", "x");
	cr_expect_str_eq(tl_line, "worker 3: warning: open x: No such file or directory");
	cr_expect_eq(tl_level, LOG_WARNING);
	cr_expect_eq(errno, ENOENT, "errno preserved");
	log_warnx("plain");
	cr_expect_str_eq(tl_line, "worker 3: warning: plain");
	log_info("hello %d", 5);
	cr_expect_str_eq(tl_line, "worker 3: hello 5");
	cr_expect_eq(tl_level, LOG_INFO);
	cr_expect_eq(errno, ENOENT);
}

Test(log, verbosity)
{
	log_debug("hidden");
	log_trace("hidden");
	cr_expect_eq(tl_count, 0);
	log_setverbose(1);
	cr_expect_eq(log_getverbose(), 1);
	log_debug("dbg");
	cr_expect_str_eq(tl_line, "worker 3: debug: dbg");
	log_trace("hidden");
	cr_expect_eq(tl_count, 1);
	log_setverbose(2);
	log_trace("tr");
	cr_expect_eq(tl_count, 2);
}

Test(log, long_lines_truncated_with_dots)
{
	static char big[3 * IPC_LOG_MAX];

	memset(big, 'a', sizeof(big) - 1);
	log_info("%s", big);
	cr_expect_eq(strlen(tl_line), IPC_LOG_MAX - 1);
	cr_expect_eq(strcmp(tl_line + IPC_LOG_MAX - 4, "..."), 0);
	cr_expect_eq(strncmp(tl_line, "worker 3: aaa", 13), 0);
}

Test(log, hook_does_not_recurse)
{
	log_sethook(tl_hook, &tl_count);
	log_info("outer");
	cr_expect_eq(tl_count, 1);
	cr_expect_str_eq(tl_line, "worker 3: outer");
}

Test(log, stderr_sink_and_fatal_exit)
{
	const char *want = "worker 3: one\nworker 1: as is\nworker 3: fatal: bad thing\n";
	char buf[512];
	ssize_t n;
	pid_t pid;
	int p[2], st;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		dup2(p[1], 2);
		log_sethook(NULL, NULL);
		log_info("one");
		log_line(LOG_INFO, "worker 1: as is");
		fatalx("bad %s", "thing");
	}
	close(p[1]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	n = read(p[0], buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	/* A prefix: LeakSanitizer may add its own words after exit(1) in a forked child. */
	cr_expect_eq(strncmp(buf, want, strlen(want)), 0, "stderr: %s", buf);
	close(p[0]);
}
