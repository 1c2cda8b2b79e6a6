/*
 * Per-role seccomp filters (conventions.md 13): default deny, architecture checked,
 * built from the reviewed tables in sandbox_tables.c.  Failure to build or load a
 * filter is fatal: a process never runs unsandboxed by accident.
 */
#ifndef APPSHARE_SANDBOX_H
#define APPSHARE_SANDBOX_H

enum sbx_role {
	SBX_MASTER = 0,
	SBX_WORKER,
	SBX_CDRD,
	SBX_ROLE_MAX
};

enum sbx_mode {
	SBX_ON = 0,	/* forbidden syscall: the process dies of SIGSYS (SCMP_ACT_KILL_PROCESS) */
	SBX_TRAP,	/* forbidden syscall: SIGSYS with a report naming the syscall, then death */
	SBX_OFF,	/* no filter (sanitizer builds, debugging); logged loudly */
	SBX_MODE_MAX
};

/* Parse "on", "trap", "off" (configuration key `sandbox`); -1 if unknown. */
int		 sbx_mode_parse(const char *);
const char	*sbx_mode_str(enum sbx_mode);
const char	*sbx_role_str(enum sbx_role);

/*
 * Set PR_SET_NO_NEW_PRIVS and load the role's filter.  Call after everything the
 * filter forbids is done (event base created, signal events added, shm mapped).
 * Returns 0, or -1 with a message in errbuf.
 */
int	sbx_enter(enum sbx_role, enum sbx_mode, char *errbuf, unsigned errlen);

#endif
