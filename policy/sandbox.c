/*
 * Loading the per-role seccomp filter (conventions.md 13, architecture.md B2).
 *
 * Default deny; the filter is built with libseccomp from sandbox_tables.c and only for
 * the architecture the tables were reviewed on (x86_64): anything else refuses to
 * load rather than run unfiltered.  Calls made through another ABI (i386, x32) are
 * killed.  In trap mode a forbidden call raises SIGSYS, a handler writes the syscall's
 * name with write(2) and the process dies of SIGSYS all the same.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "log.h"
#include "sandbox.h"
#include "sandbox_priv.h"

/* Names for the trap reporter, filled before the filter is loaded (x86_64 has < 512). */
#define SBX_NAMES_NR	512
#define SBX_NAME_LEN	24
static char	sbx_names[SBX_NAMES_NR][SBX_NAME_LEN];

static void __attribute__((format(printf, 3, 4)))
sbx_err(char *errbuf, unsigned errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

int
sbx_mode_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "on") == 0)
		return SBX_ON;
	if (strcmp(s, "trap") == 0)
		return SBX_TRAP;
	if (strcmp(s, "off") == 0)
		return SBX_OFF;
	return -1;
}

const char *
sbx_mode_str(enum sbx_mode m)
{
	switch (m) {
	case SBX_ON:
		return "on";
	case SBX_TRAP:
		return "trap";
	case SBX_OFF:
		return "off";
	default:
		return "unknown";
	}
}

const char *
sbx_role_str(enum sbx_role r)
{
	switch (r) {
	case SBX_MASTER:
		return "master";
	case SBX_WORKER:
		return "worker";
	case SBX_CDRD:
		return "cdrd";
	default:
		return "unknown";
	}
}

/* Async-signal-safe from here to sbx_sigsys(): no stdio, no malloc, no locks. */
static size_t
sbx_put(char *buf, size_t off, size_t cap, const char *s)
{
	while (*s != '\0' && off < cap)
		buf[off++] = *s++;
	return off;
}

static size_t
sbx_put_num(char *buf, size_t off, size_t cap, long v)
{
	char tmp[24];
	size_t n = 0;
	unsigned long u;

	if (v < 0 && off < cap)
		buf[off++] = '-';
	u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0 && n < sizeof(tmp));
	while (n > 0 && off < cap)
		buf[off++] = tmp[--n];
	return off;
}

static void
sbx_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char buf[128];
	size_t off = 0;
	int nr = si->si_syscall;
	int saved = errno;

	off = sbx_put(buf, off, sizeof(buf), "sandbox: forbidden syscall ");
	off = sbx_put_num(buf, off, sizeof(buf), nr);
	if (nr >= 0 && nr < SBX_NAMES_NR && sbx_names[nr][0] != '\0') {
		off = sbx_put(buf, off, sizeof(buf), " (");
		off = sbx_put(buf, off, sizeof(buf), sbx_names[nr]);
		off = sbx_put(buf, off, sizeof(buf), ")");
	}
	off = sbx_put(buf, off, sizeof(buf) - 1, "");
	buf[off++] = '\n';
	(void)!write(STDERR_FILENO, buf, off);
	/*
	 * SA_RESETHAND made the disposition the default again and SIGSYS is blocked
	 * while we run: the signal sent now is delivered as we return, and kills.
	 */
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGSYS);
	errno = saved;
}

static int
sbx_trap_prepare(char *errbuf, unsigned errlen)
{
	struct sigaction sa;
	sigset_t set;
	char *name;
	int nr;

	for (nr = 0; nr < SBX_NAMES_NR; nr++) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (name == NULL)
			continue;
		snprintf(sbx_names[nr], SBX_NAME_LEN, "%s", name);
		free(name);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sbx_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		sbx_err(errbuf, errlen, "sigaction SIGSYS: %s", strerror(errno));
		return -1;
	}
	/* A blocked SIGSYS would still kill, but without the report. */
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) == -1) {
		sbx_err(errbuf, errlen, "sigprocmask: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
sbx_add_rule(scmp_filter_ctx ctx, const struct sbx_rule *r, char *errbuf, unsigned errlen)
{
	struct scmp_arg_cmp cmp[3];
	unsigned i;
	int nr, rc;

	nr = seccomp_syscall_resolve_name(r->sr_name);
	if (nr == __NR_SCMP_ERROR)
		return 0;	/* not a syscall of this architecture */
	if (r->sr_nargs > 3) {
		sbx_err(errbuf, errlen, "table: %s: too many conditions", r->sr_name);
		return -1;
	}
	for (i = 0; i < r->sr_nargs; i++) {
		cmp[i].arg = r->sr_args[i].sa_index;
		cmp[i].datum_b = 0;
		switch (r->sr_args[i].sa_cmp) {
		case SBX_EQ:
			cmp[i].op = SCMP_CMP_EQ;
			cmp[i].datum_a = r->sr_args[i].sa_val;
			break;
		case SBX_MASKED_EQ:
			cmp[i].op = SCMP_CMP_MASKED_EQ;
			cmp[i].datum_a = r->sr_args[i].sa_mask;
			cmp[i].datum_b = r->sr_args[i].sa_val;
			break;
		case SBX_SELF_PID:
			cmp[i].op = SCMP_CMP_EQ;
			cmp[i].datum_a = (uint64_t)getpid();
			break;
		default:
			sbx_err(errbuf, errlen, "table: %s: bad condition", r->sr_name);
			return -1;
		}
	}
	rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, r->sr_nargs, cmp);
	/* A conditional rule next to an unconditional one for the same call is redundant. */
	if (rc == -EEXIST)
		rc = 0;
	if (rc < 0) {
		sbx_err(errbuf, errlen, "seccomp rule %s: %s", r->sr_name, strerror(-rc));
		return -1;
	}
	return 0;
}

int
sbx_enter(enum sbx_role role, enum sbx_mode mode, char *errbuf, unsigned errlen)
{
	const struct sbx_table *t;
	scmp_filter_ctx ctx;
	uint32_t arch;
	size_t p, i;
	int rc;

	if ((unsigned)role >= SBX_ROLE_MAX || (unsigned)mode >= SBX_MODE_MAX) {
		sbx_err(errbuf, errlen, "sandbox: bad role %d or mode %d", role, mode);
		return -1;
	}
	/* no_new_privs in every mode: nothing exec'd from here may gain privileges. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		sbx_err(errbuf, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	if (mode == SBX_OFF) {
		log_warnx("SANDBOX OFF: %s runs without a seccomp filter", sbx_role_str(role));
		return 0;
	}
	arch = seccomp_arch_native();
	if (arch != SCMP_ARCH_X86_64) {
		sbx_err(errbuf, errlen, "sandbox: no reviewed syscall tables for architecture "
		    "0x%x (only x86_64); set `sandbox off` to run unfiltered", arch);
		return -1;
	}
	ctx = seccomp_init(mode == SBX_ON ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_TRAP);
	if (ctx == NULL && mode == SBX_ON)	/* kernel before 4.14: one thread anyway */
		ctx = seccomp_init(SCMP_ACT_KILL);
	if (ctx == NULL) {
		sbx_err(errbuf, errlen, "seccomp_init failed");
		return -1;
	}
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 &&
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL)) < 0) {
		sbx_err(errbuf, errlen, "seccomp bad-arch action: %s", strerror(-rc));
		goto fail;
	}
	t = &sbx_tables[role];
	for (p = 0; p < SBX_MAX_PARTS; p++)
		for (i = 0; i < t->st_parts[p].sl_n; i++)
			if (sbx_add_rule(ctx, &t->st_parts[p].sl_rules[i], errbuf, errlen) == -1)
				goto fail;
	if (mode == SBX_TRAP && sbx_trap_prepare(errbuf, errlen) == -1)
		goto fail;
	if ((rc = seccomp_load(ctx)) < 0) {
		sbx_err(errbuf, errlen, "seccomp_load: %s", strerror(-rc));
		goto fail;
	}
	seccomp_release(ctx);
	return 0;
fail:
	seccomp_release(ctx);
	return -1;
}
