/*
 * Logging for every appshare process (conventions.md 14).
 *
 * A line is "<name>: [level: ]text", at most IPC_LOG_MAX - 1 bytes (longer ones end in
 * "..."), so a child's line fits IPC_LOG as it is and the master writes it unchanged
 * with log_line().  stderr gets each line with one write(2), so that lines of several
 * processes sharing the descriptor do not interleave; stdio is not used because its
 * buffer would need locking we do not want near a sandbox.
 *
 * Not async-signal-safe (vsnprintf, syslog): never call these from a signal handler;
 * the sandbox's SIGSYS reporter writes its own bytes.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ipc_msg.h"
#include "log.h"

static int	 log_foreground = 1;
static int	 log_verbose;
static char	 log_name[32] = "appshare";
static log_hook	 log_hookfn;
static void	*log_hookarg;
static int	 log_in_hook;

static void	log_emit(int, const char *);
static void	log_vformat(int, const char *, va_list, int)
		    __attribute__((format(printf, 2, 0)));

void
log_init(int foreground, int verbose)
{
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog("appshare", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		snprintf(log_name, sizeof(log_name), "%s", name);
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_sethook(log_hook fn, void *arg)
{
	log_hookfn = fn;
	log_hookarg = arg;
}

static const char *
log_tag(int level)
{
	switch (level) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
		return "fatal: ";
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

/* One line to stderr in one write(2); a short write is retried, an error dropped. */
static void
log_stderr(const char *line)
{
	char buf[IPC_LOG_MAX + 1];
	size_t len, off;
	ssize_t n;

	len = strnlen(line, IPC_LOG_MAX - 1);
	memcpy(buf, line, len);
	buf[len++] = '\n';
	for (off = 0; off < len; off += (size_t)n) {
		n = write(STDERR_FILENO, buf + off, len - off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
}

static void
log_emit(int level, const char *line)
{
	/* A hook that logs (its send failed) must not recurse: such lines go to stderr. */
	if (log_hookfn != NULL && !log_in_hook) {
		log_in_hook = 1;
		log_hookfn(level, line, log_hookarg);
		log_in_hook = 0;
	} else if (log_foreground || log_hookfn != NULL)
		log_stderr(line);
	else
		syslog(level, "%s", line);
}

/* Format "<name>: <tag><text>[: strerror]" into one line and emit it. */
static void
log_vformat(int level, const char *fmt, va_list ap, int with_errno)
{
	char line[IPC_LOG_MAX];
	size_t off;
	int saved = errno, n;

	n = snprintf(line, sizeof(line), "%s: %s", log_name, log_tag(level));
	off = n < 0 ? 0 : (size_t)n;
	if (off < sizeof(line)) {
		n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
		off = n < 0 ? off : off + (size_t)n;
	}
	if (with_errno && off < sizeof(line)) {
		n = snprintf(line + off, sizeof(line) - off, ": %s", strerror(saved));
		off = n < 0 ? off : off + (size_t)n;
	}
	if (off >= sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);
	log_emit(level, line);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vformat(LOG_WARNING, fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vformat(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vformat(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_vformat(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
log_trace(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	log_vformat(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vformat(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vformat(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void
log_line(int level, const char *line)
{
	int saved = errno;

	if (level == LOG_DEBUG && log_verbose < 1) {
		errno = saved;
		return;
	}
	log_emit(level, line);
	errno = saved;
}

const char *
log_sockaddr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else
		snprintf(buf, len, "(family %u)", (unsigned)ss->ss_family);
	return buf;
}
