/*
 * Dropping root to the service user (policy/privdrop.h; architecture.md B2 notes).
 *
 * The OpenSSH order: supplementary groups, then the gid, then the uid, then a check
 * that none of the real, effective or saved ids is still root and that setuid(0)
 * fails.  A setresuid() from uid 0 to non-zero ids clears the permitted and effective
 * capability sets (no SECBIT_KEEP_CAPS is set here); the ambient and inheritable sets
 * are cleared explicitly and the result read back with capget().
 */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "privdrop.h"

#define PRIV_DEFAULT_USER	"appshare"
#define PRIV_FALLBACK_USER	"nobody"

static void __attribute__((format(printf, 3, 4)))
priv_err(char *errbuf, unsigned errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/* 1 found, 0 no such user, -1 lookup error (errno). */
static int
priv_lookup(const char *name, struct priv_user *pu)
{
	struct passwd pw, *res = NULL;
	char *buf;
	long sz;
	int rc;

	sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	if (sz < 1024)
		sz = 16384;
	for (;;) {
		if ((buf = malloc((size_t)sz)) == NULL)
			return -1;
		rc = getpwnam_r(name, &pw, buf, (size_t)sz, &res);
		if (rc != ERANGE || sz > 1024 * 1024)
			break;
		free(buf);
		sz *= 2;
	}
	if (rc != 0) {
		free(buf);
		errno = rc;
		return -1;
	}
	if (res == NULL) {
		free(buf);
		return 0;
	}
	pu->pu_uid = pw.pw_uid;
	pu->pu_gid = pw.pw_gid;
	snprintf(pu->pu_name, sizeof(pu->pu_name), "%s", pw.pw_name);
	free(buf);
	return 1;
}

int
priv_resolve(const char *name, struct priv_user *pu, char *errbuf, unsigned errlen)
{
	int rc;

	memset(pu, 0, sizeof(*pu));
	if (name != NULL && name[0] != '\0') {
		if (strlen(name) >= sizeof(pu->pu_name)) {
			priv_err(errbuf, errlen, "user name too long: %.32s...", name);
			return -1;
		}
		rc = priv_lookup(name, pu);
		if (rc == 1)
			return 0;
		if (rc == 0)
			priv_err(errbuf, errlen, "unknown user %s", name);
		else
			priv_err(errbuf, errlen, "looking up user %s: %s", name,
			    strerror(errno));
		return -1;
	}
	/* Default: the packaged user, else nobody. */
	if ((rc = priv_lookup(PRIV_DEFAULT_USER, pu)) == 1)
		return 0;
	if ((rc = priv_lookup(PRIV_FALLBACK_USER, pu)) == 1)
		return 0;
	priv_err(errbuf, errlen, "neither user %s nor %s exists%s%s", PRIV_DEFAULT_USER,
	    PRIV_FALLBACK_USER, rc == -1 ? ": " : "", rc == -1 ? strerror(errno) : "");
	return -1;
}

static int
priv_caps_clear(char *errbuf, unsigned errlen)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	unsigned i;

	/* Ambient capabilities would survive exec(): clear them (EINVAL: kernel < 4.3). */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL) {
		priv_err(errbuf, errlen, "clearing ambient capabilities: %s", strerror(errno));
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capset, &hdr, data) == -1) {
		priv_err(errbuf, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1) {
		priv_err(errbuf, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (data[i].effective != 0 || data[i].permitted != 0 ||
		    data[i].inheritable != 0) {
			priv_err(errbuf, errlen, "capabilities remain after the drop");
			return -1;
		}
	}
	return 0;
}

int
priv_drop(const struct priv_user *pu, char *errbuf, unsigned errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (geteuid() != 0)
		return 0;
	if (pu->pu_uid == 0 || pu->pu_gid == 0) {
		priv_err(errbuf, errlen, "refusing to run as %s: uid or gid 0", pu->pu_name);
		return -1;
	}
	if (setgroups(1, &pu->pu_gid) == -1) {
		priv_err(errbuf, errlen, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(pu->pu_gid, pu->pu_gid, pu->pu_gid) == -1) {
		priv_err(errbuf, errlen, "setresgid(%u): %s", (unsigned)pu->pu_gid,
		    strerror(errno));
		return -1;
	}
	if (setresuid(pu->pu_uid, pu->pu_uid, pu->pu_uid) == -1) {
		priv_err(errbuf, errlen, "setresuid(%u): %s", (unsigned)pu->pu_uid,
		    strerror(errno));
		return -1;
	}
	if (getresgid(&rg, &eg, &sg) == -1 || getresuid(&ru, &eu, &su) == -1) {
		priv_err(errbuf, errlen, "getresuid: %s", strerror(errno));
		return -1;
	}
	if (rg != pu->pu_gid || eg != pu->pu_gid || sg != pu->pu_gid ||
	    ru != pu->pu_uid || eu != pu->pu_uid || su != pu->pu_uid) {
		priv_err(errbuf, errlen, "ids not switched to %s", pu->pu_name);
		return -1;
	}
	/* The proof that root is gone for good. */
	if (setuid(0) != -1 || setgid(0) != -1) {
		priv_err(errbuf, errlen, "root could be regained after the switch");
		return -1;
	}
	return priv_caps_clear(errbuf, errlen);
}
