/*
 * CIDR prefixes and ordered allow/deny lists (the control port's `control-allow` key,
 * and any later address list).
 *
 * Choices made here (and why):
 *  - Text: "10.0.0.0/8", "::1/128", "[2001:db8::]/32", or a bare address meaning a host
 *    (/32 or /128).  The address part follows pol_addr_parse() (no leading zeros in
 *    IPv4 octets, no zone ids, no NUL bytes); the prefix length is 1 to 3 decimal
 *    digits without sign or leading zero ("/08" is refused, "/0" is fine).
 *  - Host bits set ("10.0.0.1/8") are refused with CIDR_E_HOSTBITS rather than masked:
 *    the operator meant either 10.0.0.0/8 or 10.0.0.1/32, and guessing wrong in an
 *    allow list silently widens it.
 *  - IPv4-mapped prefixes are IPv4 prefixes: "::ffff:127.0.0.1/104" is stored as
 *    127.0.0.0/8 and "::ffff:1.2.3.4" as 1.2.3.4/32.  IPv6 prefixes that cover the
 *    mapped range without being inside it ("::/0", "::/80", "::ffff:0:0/96" is inside
 *    and becomes 0.0.0.0/0) match IPv4 sources through their mapped form, as a
 *    dual-stack socket would present them: "::/0" alone matches every source.
 *  - Lists are ordered, first match wins, and fall back to a default verdict.
 *
 * Pure: no I/O, no allocation, no logging.
 */
#ifndef APPSHARE_CIDR_H
#define APPSHARE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr_policy.h"

/* Longest text of one prefix: an address plus "/128". */
#define CIDR_MAXTEXT		(POL_ADDR_MAXTEXT + 4)
/* Room for cidr_format() output and its NUL. */
#define CIDR_STRLEN		(POL_ADDR_STRLEN + 4)
/* Rules in one list: a control-port allow list is a few lines of configuration. */
#define CIDR_LIST_MAX		32

/*
 * Return codes: 0, a POL_E_* code from the address part (-1 .. -31), or one of these.
 * cidr_strerror() names both ranges.
 */
enum cidr_rc {
	CIDR_OK		= 0,
	CIDR_E_EMPTY	= -32,	/* empty prefix text or empty list item */
	CIDR_E_TOOLONG	= -33,	/* prefix text longer than CIDR_MAXTEXT */
	CIDR_E_PREFIX	= -34,	/* prefix length missing, not decimal, or leading zero */
	CIDR_E_PLEN	= -35,	/* prefix length above 32 (IPv4) or 128 (IPv6) */
	CIDR_E_HOSTBITS	= -36,	/* bits set after the prefix length */
	CIDR_E_FULL	= -37,	/* list already holds CIDR_LIST_MAX rules */
	CIDR_E_SPACE	= -38,	/* output buffer too small */
	CIDR_E_ARG	= -39,	/* NULL pointer or bad argument */
};
const char	*cidr_strerror(int rc);

struct cidr {
	struct pol_addr	ci_net;		/* normalised, host bits zero */
	uint8_t		ci_plen;	/* 0..32 for AF_INET, 0..128 for AF_INET6 */
};

/* Parse len bytes of s (not NUL-terminated). */
int	cidr_parse(const char *s, size_t len, struct cidr *out);
/* "a.b.c.d/n" or "x:y::/n". */
int	cidr_format(const struct cidr *, char *buf, size_t len);
/* Does the prefix contain a?  a is normalised first; see the mapped rule above. */
bool	cidr_contains(const struct cidr *, const struct pol_addr *a);
bool	cidr_equal(const struct cidr *, const struct cidr *);

enum cidr_action {
	CIDR_DENY	= 0,
	CIDR_ALLOW	= 1,
};

struct cidr_rule {
	struct cidr		cr_net;
	enum cidr_action	cr_action;
};

struct cidr_list {
	size_t			cl_n;
	enum cidr_action	cl_default;
	struct cidr_rule	cl_rules[CIDR_LIST_MAX];
};

/* Empty list answering def for every address. */
void	cidr_list_init(struct cidr_list *, enum cidr_action def);
int	cidr_list_add(struct cidr_list *, enum cidr_action, const struct cidr *);

/*
 * Append the rules of a configuration string: items separated by commas and/or
 * blanks (space, tab), e.g. "127.0.0.0/8, ::1".  An item is an allow rule, or a deny
 * rule when prefixed by '!' ("!127.0.0.2, 127.0.0.0/8" allows 127/8 but 127.0.0.2).
 * Empty items (",,", leading or trailing comma) and an empty string are errors.
 * All or nothing: on error the list is left as it was and, if erroff is not NULL,
 * *erroff is the offset in s of the offending item.
 */
int	cidr_list_parse(struct cidr_list *, const char *s, size_t len, size_t *erroff);

/*
 * First matching rule's action, else the default.  *rule (may be NULL) gets the
 * index of the matching rule, or -1 when the default applied.  An address of no
 * known family gets CIDR_DENY whatever the default.
 */
enum cidr_action	cidr_list_match(const struct cidr_list *, const struct pol_addr *a,
			    int *rule);

#endif
