/*
 * CIDR prefixes and allow/deny lists (policy/cidr.c).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

#define TXT	80

static struct pol_addr
addr_of(const char *text)
{
	struct pol_addr	a;

	/* Raw: "::ffff:..." stays IPv6, as a dual-stack listener would hand it over. */
	cr_assert_eq(pol_addr_parse_raw(text, strlen(text), &a), POL_OK, "addr %s", text);
	return a;
}

static struct cidr
cidr_of(const char *text)
{
	struct cidr	c;
	int		rc = cidr_parse(text, strlen(text), &c);

	cr_assert_eq(rc, CIDR_OK, "cidr %s: %s", text, cidr_strerror(rc));
	return c;
}

/* Parsing: text, code, canonical text on success. */
struct ccase {
	char	in[TXT];
	int	rc;
	char	out[TXT];
};

ParameterizedTestParameters(cidr, parse)
{
	static struct ccase cases[] = {
	{ "127.0.0.0/8", CIDR_OK, "127.0.0.0/8" },
	{ "0.0.0.0/0", CIDR_OK, "0.0.0.0/0" },
	{ "10.0.0.1", CIDR_OK, "10.0.0.1/32" },
	{ "10.0.0.0/8", CIDR_OK, "10.0.0.0/8" },
	{ "192.168.1.2/31", CIDR_OK, "192.168.1.2/31" },
	{ "1.2.3.4/32", CIDR_OK, "1.2.3.4/32" },
	{ "::1", CIDR_OK, "::1/128" },
	{ "::1/128", CIDR_OK, "::1/128" },
	{ "::/0", CIDR_OK, "::/0" },
	{ "::2/127", CIDR_OK, "::2/127" },
	{ "::/128", CIDR_OK, "::/128" },
	{ "2001:db8::/32", CIDR_OK, "2001:db8::/32" },
	{ "2001:DB8::/32", CIDR_OK, "2001:db8::/32" },
	{ "[2001:db8::]/32", CIDR_OK, "2001:db8::/32" },
	{ "[::1]", CIDR_OK, "::1/128" },
	{ "::ffff:127.0.0.0/104", CIDR_OK, "127.0.0.0/8" },
	{ "::ffff:1.2.3.4", CIDR_OK, "1.2.3.4/32" },
	{ "::ffff:1.2.3.4/128", CIDR_OK, "1.2.3.4/32" },
	{ "::ffff:0:0/96", CIDR_OK, "0.0.0.0/0" },
	{ "::/80", CIDR_OK, "::/80" },
	{ "::/96", CIDR_OK, "::/96" },
	/* Host bits: refused, never masked. */
	{ "10.0.0.1/8", CIDR_E_HOSTBITS, "" },
	{ "1.2.3.4/0", CIDR_E_HOSTBITS, "" },
	{ "192.168.1.3/31", CIDR_E_HOSTBITS, "" },
	{ "::1/127", CIDR_E_HOSTBITS, "" },
	{ "2001:db8::1/64", CIDR_E_HOSTBITS, "" },
	{ "::ffff:127.0.0.1/104", CIDR_E_HOSTBITS, "" },
	{ "::ffff:0:0/95", CIDR_E_HOSTBITS, "" },
	/* Lengths. */
	{ "1.2.3.4/33", CIDR_E_PLEN, "" },
	{ "0.0.0.0/999", CIDR_E_PLEN, "" },
	{ "::/129", CIDR_E_PLEN, "" },
	{ "::ffff:0.0.0.0/129", CIDR_E_PLEN, "" },
	{ "1.2.3.4/", CIDR_E_PREFIX, "" },
	{ "1.2.3.4/8/9", CIDR_E_PREFIX, "" },
	{ "1.2.3.4//8", CIDR_E_PREFIX, "" },
	{ "1.0.0.0/08", CIDR_E_PREFIX, "" },
	{ "0.0.0.0/00", CIDR_E_PREFIX, "" },
	{ "1.2.3.4/-1", CIDR_E_PREFIX, "" },
	{ "1.2.3.4/+8", CIDR_E_PREFIX, "" },
	{ "1.2.3.4/ 8", CIDR_E_PREFIX, "" },
	{ "1.2.3.4/8 ", CIDR_E_PREFIX, "" },
	{ "1.2.3.4/0x8", CIDR_E_PREFIX, "" },
	{ "1.2.3.4/1000", CIDR_E_PREFIX, "" },
	{ "1.2.3.4/4294967328", CIDR_E_PREFIX, "" },
	{ "fe80::/10%x", CIDR_E_PREFIX, "" },
	/* Address part. */
	{ "", CIDR_E_EMPTY, "" },
	{ "/8", POL_E_EMPTY, "" },
	{ "/", POL_E_EMPTY, "" },
	{ "::ffff:1.2.3.4.5", POL_E_SYNTAX, "" },
	{ "1.2.3.04", POL_E_LEADZERO, "" },
	{ "1.2.3.04/32", POL_E_LEADZERO, "" },
	{ "256.0.0.0/8", POL_E_RANGE, "" },
	{ "fe80::%1/64", POL_E_ZONE, "" },
	{ "[1.2.3.4]/32", POL_E_BRACKET, "" },
	{ "[::1/128]", POL_E_BRACKET, "" },
	{ "10.0.0.0/8,", CIDR_E_PREFIX, "" },
	{ "any", POL_E_SYNTAX, "" },
	{ "*", POL_E_SYNTAX, "" },
	{ " 10.0.0.0/8", POL_E_SYNTAX, "" },
	{ "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:00/128",
	    CIDR_E_TOOLONG, "" },
	};

	return cr_make_param_array(struct ccase, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct ccase *c, cidr, parse)
{
	struct cidr	x, y;
	char		buf[CIDR_STRLEN];
	size_t		len = strlen(c->in);
	char		*copy = malloc(len > 0 ? len : 1);
	int		rc;

	/* Exact-size heap copy, no NUL: ASan catches a read past len. */
	cr_assert_not_null(copy);
	memcpy(copy, c->in, len);
	rc = cidr_parse(copy, len, &x);
	free(copy);
	cr_assert_eq(rc, c->rc, "'%s': got %d (%s), want %d (%s)", c->in, rc,
	    cidr_strerror(rc), c->rc, cidr_strerror(c->rc));
	if (rc != CIDR_OK)
		return;
	cr_assert_eq(cidr_format(&x, buf, sizeof(buf)), CIDR_OK);
	cr_assert_str_eq(buf, c->out, "'%s'", c->in);
	cr_assert_eq(cidr_parse(buf, strlen(buf), &y), CIDR_OK);
	cr_assert(cidr_equal(&x, &y), "'%s' round trip", c->in);
}

/* Containment at the boundaries: prefix, address, expected. */
struct mcase {
	char	net[TXT];
	char	addr[TXT];
	bool	in;
};

ParameterizedTestParameters(cidr, contains)
{
	static struct mcase cases[] = {
	{ "0.0.0.0/0", "0.0.0.0", true },
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "::ffff:9.9.9.9", true },
	{ "0.0.0.0/0", "::1", false },
	{ "10.0.0.0/8", "10.0.0.0", true },
	{ "10.0.0.0/8", "10.255.255.255", true },
	{ "10.0.0.0/8", "11.0.0.0", false },
	{ "10.0.0.0/8", "9.255.255.255", false },
	{ "192.168.1.2/31", "192.168.1.2", true },
	{ "192.168.1.2/31", "192.168.1.3", true },
	{ "192.168.1.2/31", "192.168.1.1", false },
	{ "192.168.1.2/31", "192.168.1.4", false },
	{ "1.2.3.4/32", "1.2.3.4", true },
	{ "1.2.3.4/32", "1.2.3.5", false },
	{ "1.2.3.4/32", "::ffff:1.2.3.4", true },
	{ "1.2.3.4/32", "::1.2.3.4", false },
	{ "127.0.0.0/8", "::ffff:127.0.0.9", true },
	{ "127.0.0.0/8", "::ffff:128.0.0.1", false },
	{ "::/0", "2001:db8::1", true },
	{ "::/0", "1.2.3.4", true },
	{ "::/0", "::ffff:1.2.3.4", true },
	{ "2001:db8::/127", "2001:db8::", true },
	{ "2001:db8::/127", "2001:db8::1", true },
	{ "2001:db8::/127", "2001:db8::2", false },
	{ "2001:db8::1/128", "2001:db8::1", true },
	{ "2001:db8::1/128", "2001:db8::2", false },
	{ "2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true },
	{ "2001:db8::/32", "2001:db9::", false },
	{ "2001:db8::/32", "1.2.3.4", false },
	{ "::1/128", "::1", true },
	{ "::1/128", "127.0.0.1", false },
	{ "::ffff:127.0.0.0/104", "127.0.0.1", true },
	{ "::ffff:127.0.0.0/104", "::ffff:127.0.0.1", true },
	{ "::ffff:127.0.0.0/104", "128.0.0.1", false },
	{ "::ffff:0:0/96", "203.0.113.7", true },
	{ "::ffff:0:0/96", "::1", false },
	/* ::/96 is the old IPv4-compatible range, not the mapped one. */
	{ "::/96", "1.2.3.4", false },
	{ "::/96", "::1.2.3.4", true },
	{ "::/80", "1.2.3.4", true },
	{ "::/81", "1.2.3.4", false },
	};

	return cr_make_param_array(struct mcase, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct mcase *c, cidr, contains)
{
	struct cidr	net = cidr_of(c->net);
	struct pol_addr	a = addr_of(c->addr);

	cr_assert_eq(cidr_contains(&net, &a), c->in, "%s in %s", c->addr, c->net);
}

static struct cidr_list
list_of(const char *text, enum cidr_action def)
{
	struct cidr_list	l;
	size_t			off = 9999;
	int			rc;

	cidr_list_init(&l, def);
	rc = cidr_list_parse(&l, text, strlen(text), &off);
	cr_assert_eq(rc, CIDR_OK, "'%s': %s at %zu", text, cidr_strerror(rc), off);
	return l;
}

static void
expect_match(const struct cidr_list *l, const char *addr, enum cidr_action want,
    int want_rule)
{
	struct pol_addr	a = addr_of(addr);
	int		rule = 1234;

	cr_expect_eq(cidr_list_match(l, &a, &rule), want, "%s action", addr);
	cr_expect_eq(rule, want_rule, "%s rule", addr);
}

Test(cidr, first_match_wins)
{
	struct cidr_list	l = list_of("!127.0.0.2, 127.0.0.0/8", CIDR_DENY);

	cr_assert_eq(l.cl_n, 2);
	expect_match(&l, "127.0.0.2", CIDR_DENY, 0);
	expect_match(&l, "::ffff:127.0.0.2", CIDR_DENY, 0);
	expect_match(&l, "127.0.0.3", CIDR_ALLOW, 1);
	expect_match(&l, "10.0.0.1", CIDR_DENY, -1);

	l = list_of("127.0.0.0/8 !127.0.0.2", CIDR_DENY);
	expect_match(&l, "127.0.0.2", CIDR_ALLOW, 0);
}

Test(cidr, default_verdict)
{
	struct cidr_list	l;
	struct pol_addr		a = addr_of("198.51.100.1");

	cidr_list_init(&l, CIDR_ALLOW);
	expect_match(&l, "198.51.100.1", CIDR_ALLOW, -1);
	expect_match(&l, "2001:db8::1", CIDR_ALLOW, -1);
	cidr_list_init(&l, CIDR_DENY);
	expect_match(&l, "198.51.100.1", CIDR_DENY, -1);
	l = list_of("!10.0.0.0/8", CIDR_ALLOW);
	expect_match(&l, "10.9.9.9", CIDR_DENY, 0);
	expect_match(&l, "11.0.0.1", CIDR_ALLOW, -1);
	cr_assert_eq(cidr_list_match(&l, &a, NULL), CIDR_ALLOW, "NULL rule is fine");
}

Test(cidr, unknown_family_denied_whatever_the_default)
{
	struct cidr_list	l = list_of("::/0, 0.0.0.0/0", CIDR_ALLOW);
	struct pol_addr		a;
	int			rule = 5;

	memset(&a, 0, sizeof(a));
	a.pa_family = AF_UNIX;
	cr_assert_eq(cidr_list_match(&l, &a, &rule), CIDR_DENY);
	cr_assert_eq(rule, -1);
	cr_assert_eq(cidr_list_match(&l, NULL, &rule), CIDR_DENY);
}

Test(cidr, control_allow_example)
{
	struct cidr_list	l = list_of("127.0.0.0/8, ::1", CIDR_DENY);

	expect_match(&l, "127.0.0.1", CIDR_ALLOW, 0);
	expect_match(&l, "127.255.0.1", CIDR_ALLOW, 0);
	expect_match(&l, "::ffff:127.0.0.1", CIDR_ALLOW, 0);
	expect_match(&l, "::1", CIDR_ALLOW, 1);
	expect_match(&l, "::2", CIDR_DENY, -1);
	expect_match(&l, "192.0.2.1", CIDR_DENY, -1);
}

Test(cidr, allow_everything)
{
	static const char	*addrs[] = { "0.0.0.0", "255.255.255.255", "::", "::1",
				    "::ffff:10.1.2.3", "2001:db8::1", "fe80::1",
				    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" };
	struct cidr_list	l = list_of("::/0,0.0.0.0/0", CIDR_DENY);
	size_t			i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		struct pol_addr	a = addr_of(addrs[i]);

		cr_assert_eq(cidr_list_match(&l, &a, NULL), CIDR_ALLOW, "%s", addrs[i]);
	}
	/* "::/0" alone already does: IPv4 sources match through their mapped form. */
	l = list_of("::/0", CIDR_DENY);
	expect_match(&l, "192.0.2.1", CIDR_ALLOW, 0);
}

/* List syntax: text, code, rules on success or error offset on failure. */
struct lcase {
	char	in[TXT];
	int	rc;
	size_t	n_or_off;
};

ParameterizedTestParameters(cidr, list_syntax)
{
	static struct lcase cases[] = {
	{ "10.0.0.0/8", CIDR_OK, 1 },
	{ "10.0.0.0/8,::1", CIDR_OK, 2 },
	{ "10.0.0.0/8 ::1", CIDR_OK, 2 },
	{ "  10.0.0.0/8 ,\t::1\t", CIDR_OK, 2 },
	{ "a", POL_E_SYNTAX, 0 },
	{ "!", CIDR_E_EMPTY, 0 },
	{ "!!1.2.3.4", POL_E_SYNTAX, 0 },
	{ "1.2.3.4, !2.3.4.5 ,3.4.5.6", CIDR_OK, 3 },
	{ "", CIDR_E_EMPTY, 0 },
	{ "   ", CIDR_E_EMPTY, 3 },
	{ ",10.0.0.0/8", CIDR_E_EMPTY, 0 },
	{ "10.0.0.0/8,,::1", CIDR_E_EMPTY, 11 },
	{ "10.0.0.0/8, ,::1", CIDR_E_EMPTY, 12 },
	{ "10.0.0.0/8,", CIDR_E_EMPTY, 11 },
	{ "10.0.0.0/8, bogus", POL_E_SYNTAX, 12 },
	{ "10.0.0.0/8;::1", CIDR_E_PREFIX, 0 },
	{ "10.0.0.0/8\n::1", CIDR_E_PREFIX, 0 },
	{ "::1, 10.0.0.1/8", CIDR_E_HOSTBITS, 5 },
	{ "::1, 1.2.3.4/", CIDR_E_PREFIX, 5 },
	{ "::1, /8", POL_E_EMPTY, 5 },
	{ "::1, 1.2.3.4/8/9", CIDR_E_PREFIX, 5 },
	{ "::1, ::ffff:1.2.3.4.5", POL_E_SYNTAX, 5 },
	{ "::1, 1.2.3.04", POL_E_LEADZERO, 5 },
	};

	return cr_make_param_array(struct lcase, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct lcase *c, cidr, list_syntax)
{
	struct cidr_list	l;
	struct cidr		pre = cidr_of("192.0.2.0/24");
	size_t			off = 9999, len = strlen(c->in);
	char			*copy = malloc(len > 0 ? len : 1);
	int			rc;

	cr_assert_not_null(copy);
	memcpy(copy, c->in, len);
	cidr_list_init(&l, CIDR_DENY);
	cr_assert_eq(cidr_list_add(&l, CIDR_ALLOW, &pre), CIDR_OK);
	rc = cidr_list_parse(&l, copy, len, &off);
	free(copy);
	cr_assert_eq(rc, c->rc, "'%s': got %d (%s)", c->in, rc, cidr_strerror(rc));
	if (rc == CIDR_OK) {
		cr_assert_eq(l.cl_n, 1 + c->n_or_off, "'%s' rules", c->in);
		cr_assert_eq(off, 9999, "offset untouched on success");
	} else {
		cr_assert_eq(l.cl_n, 1, "'%s': all or nothing", c->in);
		cr_assert_eq(off, c->n_or_off, "'%s' offset", c->in);
	}
}

Test(cidr, list_embedded_nul)
{
	static const char	s1[] = "127.0.0.1\0,::1";
	static const char	s2[] = "127.0.0.1,\0";
	struct cidr_list	l;
	size_t			off;

	cidr_list_init(&l, CIDR_DENY);
	cr_assert_eq(cidr_list_parse(&l, s1, sizeof(s1) - 1, &off), POL_E_NUL);
	cr_assert_eq(off, 0);
	cr_assert_eq(cidr_list_parse(&l, s2, sizeof(s2) - 1, &off), POL_E_NUL);
	cr_assert_eq(off, 10);
	cr_assert_eq(l.cl_n, 0);
	/* Only len bytes are read: the NUL past the end is not seen. */
	cr_assert_eq(cidr_list_parse(&l, s1, 9, &off), CIDR_OK);
	cr_assert_eq(l.cl_n, 1);
}

Test(cidr, list_full)
{
	struct cidr_list	l;
	struct cidr		c;
	char			text[CIDR_LIST_MAX * 16 + 16];
	size_t			i, n = 0, off, last = 0;

	cidr_list_init(&l, CIDR_DENY);
	for (i = 0; i < CIDR_LIST_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "10.0.0.%zu,", i);
	text[n - 1] = '\0';
	cr_assert_eq(cidr_list_parse(&l, text, n - 1, &off), CIDR_OK);
	cr_assert_eq(l.cl_n, CIDR_LIST_MAX);
	c = cidr_of("::1");
	cr_assert_eq(cidr_list_add(&l, CIDR_ALLOW, &c), CIDR_E_FULL);
	cr_assert_eq(cidr_list_parse(&l, "::1", 3, &off), CIDR_E_FULL);
	cr_assert_eq(l.cl_n, CIDR_LIST_MAX);

	/* One too many in a single string: nothing is added. */
	cidr_list_init(&l, CIDR_DENY);
	n = 0;
	for (i = 0; i <= CIDR_LIST_MAX; i++) {
		if (i == CIDR_LIST_MAX)
			last = n;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "10.0.0.%zu ", i);
	}
	cr_assert_eq(cidr_list_parse(&l, text, n, &off), CIDR_E_FULL);
	cr_assert_eq(l.cl_n, 0);
	cr_assert_eq(off, last, "the item that did not fit");
}

Test(cidr, add_arguments)
{
	struct cidr_list	l;
	struct cidr		c = cidr_of("10.0.0.0/8");

	cidr_list_init(&l, CIDR_DENY);
	cr_assert_eq(cidr_list_add(&l, (enum cidr_action)7, &c), CIDR_E_ARG);
	cr_assert_eq(cidr_list_add(&l, CIDR_ALLOW, NULL), CIDR_E_ARG);
	cr_assert_eq(cidr_list_parse(&l, NULL, 0, NULL), CIDR_E_ARG);
	cr_assert_eq(cidr_parse(NULL, 1, &c), CIDR_E_ARG);
	cr_assert_eq(l.cl_n, 0);
}

Test(cidr, format_bounds)
{
	struct cidr	c = cidr_of("255.255.255.255/32");
	char		buf[CIDR_STRLEN];

	cr_assert_eq(cidr_format(&c, buf, 18), CIDR_E_SPACE);
	cr_assert_eq(cidr_format(&c, buf, 19), CIDR_OK);
	cr_assert_str_eq(buf, "255.255.255.255/32");
	c = cidr_of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	cr_assert_eq(cidr_format(&c, buf, sizeof(buf)), CIDR_OK);
	cr_assert_str_eq(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	c = cidr_of("0.0.0.0/0");
	cr_assert_eq(cidr_format(&c, buf, 10), CIDR_OK);
	cr_assert_str_eq(buf, "0.0.0.0/0");
}

Test(cidr, strerror_names_every_code)
{
	int	rc;

	for (rc = CIDR_E_EMPTY; rc >= CIDR_E_ARG; rc--)
		cr_assert_str_neq(cidr_strerror(rc), "unknown error", "code %d", rc);
	for (rc = POL_E_EMPTY; rc >= POL_E_ARG; rc--)
		cr_assert_str_eq(cidr_strerror(rc), pol_strerror(rc), "code %d", rc);
	cr_assert_str_eq(cidr_strerror(CIDR_OK), "success");
	cr_assert_str_eq(cidr_strerror(-100), "unknown error");
	cr_assert_str_eq(cidr_strerror(3), "unknown error");
}
