/*
 * OpenBSD-style logging for every appshare process (conventions.md 14).
 *
 * Sinks: stderr (foreground, or under systemd/journald), syslog (the master when it
 * runs in the background), or a hook: sandboxed children install one that sends each
 * line to the master as IPC_LOG, because glibc's syslog() may call socket()/connect()
 * again, which their seccomp filter forbids (architecture.md B2).
 */
#ifndef APPSHARE_LOG_H
#define APPSHARE_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* Levels are syslog's: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
typedef void	(*log_hook)(int level, const char *line, void *arg);

/* foreground: stderr; else syslog(LOG_DAEMON).  verbose: 0 info, 1 debug, 2 more. */
void	log_init(int foreground, int verbose);
/* "worker 3", "cdr", "master": prefixed to every line. */
void	log_procinit(const char *name);
void	log_setverbose(int verbose);
int	log_getverbose(void);
/* Route lines to fn instead of stderr/syslog (NULL restores the default sink). */
void	log_sethook(log_hook fn, void *arg);

/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Level-2 detail (-vv): per-message traces. */
void	log_trace(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * Broken invariants and start-up failures only: log and exit(1).  With a hook set,
 * the line reaches the hook at LOG_CRIT just before exit(1): a hook that queues
 * (IPC_LOG) should ipc_flush() for LOG_CRIT, or the line is lost.
 */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Write a line as-is at a level (the master writing a child's IPC_LOG line). */
void	log_line(int level, const char *line);

struct sockaddr_storage;
/* "192.0.2.1:5000", "[2001:db8::1]:5000" or "(family N)" into buf, for log lines. */
const char *log_sockaddr(const struct sockaddr_storage *, char *buf, size_t len);

#endif
