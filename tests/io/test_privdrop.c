/*
 * policy/privdrop.c: as root, a forked child drops to `nobody` and proves root is gone
 * (ids, capabilities, setuid(0)).  Not root: skipped (CI runs as root).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"

static void
skip_unless_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
}

/* The hex value of a "Cap...:" line of /proc/self/status, or -1. */
static long long
cap_line(const char *name)
{
	char line[256];
	size_t len = strlen(name);
	long long v = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			v = strtoll(line + len + 1, NULL, 16);
			break;
		}
	fclose(f);
	return v;
}

Test(privdrop, resolve)
{
	struct priv_user pu;
	char err[128] = "";

	cr_assert_eq(priv_resolve("nobody", &pu, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(pu.pu_name, "nobody");
	cr_expect_neq(pu.pu_uid, 0);
	cr_assert_eq(priv_resolve("root", &pu, err, sizeof(err)), 0);
	cr_expect_eq(pu.pu_uid, 0);
	cr_expect_eq(priv_resolve("no-such-user-appshare-test", &pu, err, sizeof(err)), -1);
	cr_expect(strstr(err, "unknown user") != NULL, "%s", err);
	/* Default: appshare if it exists, else nobody. */
	cr_assert_eq(priv_resolve(NULL, &pu, err, sizeof(err)), 0, "%s", err);
	cr_expect(strcmp(pu.pu_name, "appshare") == 0 || strcmp(pu.pu_name, "nobody") == 0);
	cr_assert_eq(priv_resolve("", &pu, err, sizeof(err)), 0, "%s", err);
}

Test(privdrop, refuses_to_drop_to_root, .init = skip_unless_root)
{
	struct priv_user pu;
	char err[128] = "";

	cr_assert_eq(priv_resolve("root", &pu, err, sizeof(err)), 0);
	cr_expect_eq(priv_drop(&pu, err, sizeof(err)), -1);
	cr_expect_eq(geteuid(), 0);
}

Test(privdrop, drop_to_nobody, .init = skip_unless_root)
{
	pid_t pid;
	int status;

	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct priv_user pu;
		char err[256];
		uid_t r, e, s;
		gid_t rg, eg, sg, groups[8];
		int n;

		if (priv_resolve("nobody", &pu, err, sizeof(err)) == -1) {
			dprintf(2, "%s\n", err);
			_exit(1);
		}
		if (priv_drop(&pu, err, sizeof(err)) == -1) {
			dprintf(2, "priv_drop: %s\n", err);
			_exit(2);
		}
		if (getresuid(&r, &e, &s) == -1 || r == 0 || e == 0 || s == 0 ||
		    r != pu.pu_uid || e != pu.pu_uid || s != pu.pu_uid)
			_exit(3);
		if (getresgid(&rg, &eg, &sg) == -1 || rg == 0 || eg == 0 || sg == 0)
			_exit(4);
		n = getgroups(8, groups);
		if (n != 1 || groups[0] != pu.pu_gid)
			_exit(5);
		if (cap_line("CapEff") != 0 || cap_line("CapPrm") != 0 ||
		    cap_line("CapInh") != 0 || cap_line("CapAmb") > 0)
			_exit(6);
		if (setuid(0) != -1 || errno != EPERM)
			_exit(7);
		if (setgid(0) != -1 || setgroups(0, NULL) != -1)
			_exit(8);
		/* Not root any more: a second drop is a no-op. */
		if (priv_drop(&pu, err, sizeof(err)) != 0)
			_exit(9);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x (exit %d)",
	    status, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
