/* Dropping root to the service user (architecture.md B2 notes, OpenSSH order). */
#ifndef APPSHARE_PRIVDROP_H
#define APPSHARE_PRIVDROP_H

#include <sys/types.h>

struct priv_user {
	uid_t	pu_uid;
	gid_t	pu_gid;
	char	pu_name[64];
};

/*
 * Resolve the service user: `name` if it exists; when name is NULL or "" the default
 * "appshare" if that user exists, else "nobody".  Call before any sandbox (NSS may
 * open files and sockets).  Returns 0, or -1 with a message in errbuf.
 */
int	priv_resolve(const char *name, struct priv_user *, char *errbuf, unsigned errlen);
/*
 * If running as root: setgroups(1, gid), setresgid, setresuid to the user, then verify
 * with getresuid/getresgid that root cannot be regained, and drop every capability.
 * Not root: nothing to do (returns 0).  Returns 0, or -1 with a message in errbuf.
 */
int	priv_drop(const struct priv_user *, char *errbuf, unsigned errlen);

#endif
