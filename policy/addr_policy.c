/*
 * Source-address policy: see addr_policy.h for the rule and the choices.
 */
#include <arpa/inet.h>
#include <string.h>

#include "addr_policy.h"

static const uint8_t pol_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static const char *const pol_reason_tokens[POL_R_MAX] = {
	[POL_R_FILTER_OFF]	= "filter-off",
	[POL_R_NO_SDP_YET]	= "no-sdp-yet",
	[POL_R_MATCH]		= "match",
	[POL_R_NO_MATCH]	= "no-match",
	[POL_R_NO_CANDIDATES]	= "no-candidates",
	[POL_R_BAD_FAMILY]	= "bad-family",
};

static const char *const pol_reason_texts[POL_R_MAX] = {
	[POL_R_FILTER_OFF]	= "source-address filtering is off for this leg",
	[POL_R_NO_SDP_YET]	= "no SDP received from the peer yet, filtering skipped",
	[POL_R_MATCH]		= "source address is a candidate address of the peer's SDP",
	[POL_R_NO_MATCH]	=
	    "source address is not among the candidate addresses of the peer's SDP",
	[POL_R_NO_CANDIDATES]	=
	    "the peer's SDP gave no candidate address, every connection is denied",
	[POL_R_BAD_FAMILY]	= "source address is neither IPv4 nor IPv6",
};

const char *
pol_strerror(int rc)
{
	switch (rc) {
	case POL_OK:
		return "success";
	case POL_E_EMPTY:
		return "empty address";
	case POL_E_TOOLONG:
		return "address text too long";
	case POL_E_NUL:
		return "NUL byte inside address text";
	case POL_E_SYNTAX:
		return "not an IPv4 or IPv6 address";
	case POL_E_LEADZERO:
		return "IPv4 octet with a leading zero (octal ambiguity)";
	case POL_E_RANGE:
		return "IPv4 octet above 255";
	case POL_E_ZONE:
		return "IPv6 zone id not accepted";
	case POL_E_BRACKET:
		return "bad brackets (only around an IPv6 address)";
	case POL_E_FAMILY:
		return "address family neither IPv4 nor IPv6";
	case POL_E_FULL:
		return "too many distinct candidate addresses for one peer";
	case POL_E_SPACE:
		return "output buffer too small";
	case POL_E_ARG:
		return "invalid argument";
	}
	return "unknown error";
}

const char *
pol_reason_str(enum pol_reason r)
{
	if ((unsigned)r >= POL_R_MAX)
		return "invalid";
	return pol_reason_tokens[r];
}

const char *
pol_reason_text(enum pol_reason r)
{
	if ((unsigned)r >= POL_R_MAX)
		return "invalid reason";
	return pol_reason_texts[r];
}

const char *
pol_verdict_str(enum pol_verdict v)
{
	return v == POL_ACCEPT ? "accept" : "deny";
}

/*
 * Our own dotted-quad reader rather than inet_pton(): it gives specific errors, and its
 * behaviour (no leading zeros, exactly four parts) does not depend on the libc.
 */
static int
pol_parse_v4(const char *s, size_t len, uint8_t out[4])
{
	size_t	 i = 0;
	int	 part;

	for (part = 0; part < 4; part++) {
		size_t		start = i;
		unsigned	v = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return POL_E_SYNTAX;
			start = ++i;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			/* Saturate: any value past 255 is an error anyway. */
			if (v <= 255)
				v = v * 10 + (unsigned)(s[i] - '0');
			i++;
		}
		if (i == start)
			return POL_E_SYNTAX;
		if (i - start > 1 && s[start] == '0')
			return POL_E_LEADZERO;
		if (v > 255)
			return POL_E_RANGE;
		out[part] = (uint8_t)v;
	}
	return i == len ? POL_OK : POL_E_SYNTAX;
}

static int
pol_parse_v6(const char *s, size_t len, uint8_t out[16])
{
	char		 buf[POL_ADDR_MAXTEXT + 1];
	const char	*tail;
	size_t		 i;
	int		 rc;

	if (memchr(s, '%', len) != NULL)
		return POL_E_ZONE;
	/*
	 * Check an embedded IPv4 part ourselves so that "::ffff:1.2.3.04" gets the same
	 * answer, and the same error, as "1.2.3.04" whatever inet_pton() thinks.
	 */
	if (memchr(s, '.', len) != NULL) {
		uint8_t	v4[4];

		for (i = len; i > 0 && s[i - 1] != ':'; i--)
			;
		tail = s + i;
		if ((rc = pol_parse_v4(tail, len - i, v4)) != POL_OK)
			return rc;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, out) != 1)
		return POL_E_SYNTAX;
	return POL_OK;
}

int
pol_addr_parse_raw(const char *s, size_t len, struct pol_addr *out)
{
	struct pol_addr	a;
	int		rc;

	if (s == NULL || out == NULL)
		return POL_E_ARG;
	if (len == 0)
		return POL_E_EMPTY;
	if (len > POL_ADDR_MAXTEXT)
		return POL_E_TOOLONG;
	if (memchr(s, '\0', len) != NULL)
		return POL_E_NUL;
	memset(&a, 0, sizeof(a));
	if (s[0] == '[' || s[len - 1] == ']') {
		if (len < 2 || s[0] != '[' || s[len - 1] != ']')
			return POL_E_BRACKET;
		s++;
		len -= 2;
		if (len == 0)
			return POL_E_SYNTAX;
		if (memchr(s, ':', len) == NULL)
			return POL_E_BRACKET;
		if (memchr(s, '[', len) != NULL || memchr(s, ']', len) != NULL)
			return POL_E_BRACKET;
	}
	if (memchr(s, ':', len) != NULL) {
		a.pa_family = AF_INET6;
		rc = pol_parse_v6(s, len, a.pa_bytes);
	} else {
		a.pa_family = AF_INET;
		rc = pol_parse_v4(s, len, a.pa_bytes);
	}
	if (rc != POL_OK)
		return rc;
	*out = a;
	return POL_OK;
}

int
pol_addr_parse(const char *s, size_t len, struct pol_addr *out)
{
	int	rc;

	if ((rc = pol_addr_parse_raw(s, len, out)) == POL_OK)
		pol_addr_normalise(out);
	return rc;
}

void
pol_addr_normalise(struct pol_addr *a)
{
	if (a->pa_family != AF_INET6 ||
	    memcmp(a->pa_bytes, pol_mapped_prefix, sizeof(pol_mapped_prefix)) != 0)
		return;
	memmove(a->pa_bytes, a->pa_bytes + 12, 4);
	memset(a->pa_bytes + 4, 0, 12);
	a->pa_family = AF_INET;
}

int
pol_addr_format(const struct pol_addr *a, char *buf, size_t len)
{
	char	tmp[POL_ADDR_STRLEN];
	size_t	n;

	if (a == NULL || buf == NULL)
		return POL_E_ARG;
	if (a->pa_family != AF_INET && a->pa_family != AF_INET6)
		return POL_E_FAMILY;
	/* Format into our own buffer first: inet_ntop() leaves buf undefined on ENOSPC. */
	if (inet_ntop(a->pa_family, a->pa_bytes, tmp, sizeof(tmp)) == NULL)
		return POL_E_FAMILY;
	n = strlen(tmp);
	if (n >= len)
		return POL_E_SPACE;
	memcpy(buf, tmp, n + 1);
	return POL_OK;
}

int
pol_addr_from_sockaddr(const struct sockaddr_storage *ss, struct pol_addr *out)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;

	if (ss == NULL || out == NULL)
		return POL_E_ARG;
	memset(out, 0, sizeof(*out));
	/* memcpy, not a cast: the storage is the caller's and alignment is not ours. */
	switch (ss->ss_family) {
	case AF_INET:
		memcpy(&sin, ss, sizeof(sin));
		out->pa_family = AF_INET;
		memcpy(out->pa_bytes, &sin.sin_addr, 4);
		return POL_OK;
	case AF_INET6:
		memcpy(&sin6, ss, sizeof(sin6));
		out->pa_family = AF_INET6;
		memcpy(out->pa_bytes, &sin6.sin6_addr, 16);
		pol_addr_normalise(out);
		return POL_OK;
	}
	out->pa_family = AF_UNSPEC;
	return POL_E_FAMILY;
}

int
pol_addr_to_sockaddr(const struct pol_addr *a, uint16_t port,
    struct sockaddr_storage *out)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;

	if (a == NULL || out == NULL)
		return POL_E_ARG;
	memset(out, 0, sizeof(*out));
	switch (a->pa_family) {
	case AF_INET:
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		memcpy(&sin.sin_addr, a->pa_bytes, 4);
		memcpy(out, &sin, sizeof(sin));
		return POL_OK;
	case AF_INET6:
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		memcpy(&sin6.sin6_addr, a->pa_bytes, 16);
		memcpy(out, &sin6, sizeof(sin6));
		return POL_OK;
	}
	return POL_E_FAMILY;
}

static size_t
pol_family_len(sa_family_t af)
{
	return af == AF_INET ? 4 : 16;
}

bool
pol_addr_equal(const struct pol_addr *a, const struct pol_addr *b)
{
	struct pol_addr	x = *a, y = *b;

	pol_addr_normalise(&x);
	pol_addr_normalise(&y);
	if (x.pa_family != y.pa_family ||
	    (x.pa_family != AF_INET && x.pa_family != AF_INET6))
		return false;
	return memcmp(x.pa_bytes, y.pa_bytes, pol_family_len(x.pa_family)) == 0;
}

void
pol_leg_init(struct pol_leg *leg)
{
	memset(leg, 0, sizeof(*leg));
	leg->pl_filter = true;
}

void
pol_leg_set_filter(struct pol_leg *leg, bool on)
{
	leg->pl_filter = on;
}

int
pol_peer_add(struct pol_leg *leg, const struct pol_addr *a)
{
	struct pol_addr	n;
	size_t		i;

	if (leg == NULL || a == NULL)
		return POL_E_ARG;
	if (a->pa_family != AF_INET && a->pa_family != AF_INET6)
		return POL_E_FAMILY;
	/* Rebuild rather than copy, so the unused bytes are zero whatever the caller left. */
	memset(&n, 0, sizeof(n));
	n.pa_family = a->pa_family;
	memcpy(n.pa_bytes, a->pa_bytes, pol_family_len(a->pa_family));
	pol_addr_normalise(&n);
	/* Lync lists every TCP candidate twice (components 1 and 2): fold duplicates. */
	for (i = 0; i < leg->pl_naddr; i++)
		if (pol_addr_equal(&leg->pl_addr[i], &n))
			return POL_OK;
	if (leg->pl_naddr >= POL_PEER_MAX)
		return POL_E_FULL;
	leg->pl_addr[leg->pl_naddr++] = n;
	return POL_OK;
}

int
pol_peer_add_text(struct pol_leg *leg, const char *s, size_t len)
{
	struct pol_addr	a;
	int		rc;

	if ((rc = pol_addr_parse(s, len, &a)) != POL_OK)
		return rc;
	return pol_peer_add(leg, &a);
}

void
pol_peer_sdp_received(struct pol_leg *leg)
{
	leg->pl_sdp = true;
}

void
pol_peer_clear(struct pol_leg *leg)
{
	bool	filter = leg->pl_filter;

	pol_leg_init(leg);
	leg->pl_filter = filter;
}

static enum pol_verdict
pol_verdict_set(enum pol_verdict v, enum pol_reason r, enum pol_reason *why)
{
	if (why != NULL)
		*why = r;
	return v;
}

enum pol_verdict
pol_check_addr(const struct pol_leg *leg, const struct pol_addr *src,
    enum pol_reason *why)
{
	struct pol_addr	a;
	size_t		i;

	if (src == NULL || (src->pa_family != AF_INET && src->pa_family != AF_INET6))
		return pol_verdict_set(POL_DENY, POL_R_BAD_FAMILY, why);
	if (!leg->pl_filter)
		return pol_verdict_set(POL_ACCEPT, POL_R_FILTER_OFF, why);
	if (!leg->pl_sdp)
		return pol_verdict_set(POL_ACCEPT, POL_R_NO_SDP_YET, why);
	if (leg->pl_naddr == 0)
		return pol_verdict_set(POL_DENY, POL_R_NO_CANDIDATES, why);
	a = *src;
	pol_addr_normalise(&a);
	for (i = 0; i < leg->pl_naddr && i < POL_PEER_MAX; i++)
		if (pol_addr_equal(&leg->pl_addr[i], &a))
			return pol_verdict_set(POL_ACCEPT, POL_R_MATCH, why);
	return pol_verdict_set(POL_DENY, POL_R_NO_MATCH, why);
}

enum pol_verdict
pol_check(const struct pol_leg *leg, const struct sockaddr_storage *src,
    enum pol_reason *why)
{
	struct pol_addr	a;

	if (pol_addr_from_sockaddr(src, &a) != POL_OK)
		return pol_verdict_set(POL_DENY, POL_R_BAD_FAMILY, why);
	return pol_check_addr(leg, &a, why);
}
