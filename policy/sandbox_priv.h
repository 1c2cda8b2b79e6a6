/* Shared between sandbox.c (the loader) and sandbox_tables.c (the reviewed data). */
#ifndef APPSHARE_SANDBOX_PRIV_H
#define APPSHARE_SANDBOX_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

/* How an argument is compared (libseccomp's SCMP_CMP_EQ and SCMP_CMP_MASKED_EQ). */
enum sbx_cmp {
	SBX_EQ = 0,		/* arg == val */
	SBX_MASKED_EQ,		/* (arg & mask) == val */
	SBX_SELF_PID,		/* arg == getpid() when the filter is built */
};

struct sbx_arg {
	unsigned	sa_index;	/* argument 0..5 */
	enum sbx_cmp	sa_cmp;
	uint64_t	sa_mask;	/* SBX_MASKED_EQ only */
	uint64_t	sa_val;
};

/*
 * One allowed call: the syscall, by name (resolved for the native architecture, so a
 * name that does not exist there is skipped), and up to 3 argument conditions, all of
 * which must hold.  Several rules for one syscall are alternatives.
 */
struct sbx_rule {
	const char	*sr_name;
	unsigned	 sr_nargs;
	struct sbx_arg	 sr_args[3];
};

struct sbx_list {
	const struct sbx_rule	*sl_rules;
	size_t			 sl_n;
};

#define SBX_MAX_PARTS	4

/* A role's filter is the union of its parts (the master's includes its children's). */
struct sbx_table {
	struct sbx_list	st_parts[SBX_MAX_PARTS];
};

extern const struct sbx_table	sbx_tables[SBX_ROLE_MAX];

#endif
