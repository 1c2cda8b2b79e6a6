/*
 * CIDR prefixes and first-match allow/deny lists: see cidr.h for the choices.
 */
#include <string.h>

#include "cidr.h"

static const uint8_t cidr_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

const char *
cidr_strerror(int rc)
{
	switch (rc) {
	case CIDR_OK:
		return "success";
	case CIDR_E_EMPTY:
		return "empty prefix";
	case CIDR_E_TOOLONG:
		return "prefix text too long";
	case CIDR_E_PREFIX:
		return "prefix length not a plain decimal number";
	case CIDR_E_PLEN:
		return "prefix length too large for the address family";
	case CIDR_E_HOSTBITS:
		return "address has bits set after the prefix length";
	case CIDR_E_FULL:
		return "too many rules in the list";
	case CIDR_E_SPACE:
		return "output buffer too small";
	case CIDR_E_ARG:
		return "invalid argument";
	}
	if (rc < 0 && rc > CIDR_E_EMPTY)
		return pol_strerror(rc);
	return "unknown error";
}

static unsigned
cidr_family_bits(sa_family_t af)
{
	return af == AF_INET ? 32 : 128;
}

/* Are the first plen bits of a and b equal? */
static bool
cidr_bits_equal(const uint8_t *a, const uint8_t *b, unsigned plen)
{
	unsigned	full = plen / 8, rest = plen % 8;
	uint8_t		mask;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* Are all bits from plen on zero? */
static bool
cidr_host_bits_zero(const uint8_t *a, unsigned plen, unsigned bits)
{
	unsigned	i;

	for (i = plen; i < bits; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* "/n": 1 to 3 digits, no sign, no leading zero; a stray '/' or junk is an error. */
static int
cidr_parse_plen(const char *s, size_t len, unsigned *plen)
{
	unsigned	v = 0;
	size_t		i;

	if (len == 0 || len > 3)
		return CIDR_E_PREFIX;
	if (len > 1 && s[0] == '0')
		return CIDR_E_PREFIX;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CIDR_E_PREFIX;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*plen = v;
	return CIDR_OK;
}

int
cidr_parse(const char *s, size_t len, struct cidr *out)
{
	struct pol_addr	 a;
	const char	*slash;
	size_t		 alen;
	unsigned	 plen, bits;
	int		 rc;

	if (s == NULL || out == NULL)
		return CIDR_E_ARG;
	if (len == 0)
		return CIDR_E_EMPTY;
	if (len > CIDR_MAXTEXT)
		return CIDR_E_TOOLONG;
	/* Before the split, so "1.2.3.4/\0" is called a NUL and not a bad length. */
	if (memchr(s, '\0', len) != NULL)
		return POL_E_NUL;
	slash = memchr(s, '/', len);
	alen = slash != NULL ? (size_t)(slash - s) : len;
	/* Raw: a mapped address keeps its IPv6 spelling until we know the length. */
	if ((rc = pol_addr_parse_raw(s, alen, &a)) != POL_OK)
		return rc;
	bits = cidr_family_bits(a.pa_family);
	if (slash == NULL)
		plen = bits;
	else if ((rc = cidr_parse_plen(slash + 1, len - alen - 1, &plen)) != CIDR_OK)
		return rc;
	if (plen > bits)
		return CIDR_E_PLEN;
	if (!cidr_host_bits_zero(a.pa_bytes, plen, bits))
		return CIDR_E_HOSTBITS;
	/*
	 * Inside ::ffff:0:0/96 it is an IPv4 prefix.  Shorter IPv6 prefixes with a mapped
	 * address cannot get here: the 0xffff bits would be host bits.
	 */
	if (a.pa_family == AF_INET6 && plen >= 96 &&
	    memcmp(a.pa_bytes, cidr_mapped_prefix, sizeof(cidr_mapped_prefix)) == 0) {
		pol_addr_normalise(&a);
		plen -= 96;
	}
	memset(out, 0, sizeof(*out));
	out->ci_net = a;
	out->ci_plen = (uint8_t)plen;
	return CIDR_OK;
}

int
cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char		addr[POL_ADDR_STRLEN], digits[4];
	size_t		n, nd = 0;
	unsigned	p;
	int		rc;

	if (c == NULL || buf == NULL)
		return CIDR_E_ARG;
	if ((rc = pol_addr_format(&c->ci_net, addr, sizeof(addr))) != POL_OK)
		return rc;
	p = c->ci_plen;
	do {
		digits[nd++] = (char)('0' + p % 10);
		p /= 10;
	} while (p > 0 && nd < sizeof(digits));
	n = strlen(addr);
	if (n + 1 + nd + 1 > len)
		return CIDR_E_SPACE;
	memcpy(buf, addr, n);
	buf[n++] = '/';
	while (nd > 0)
		buf[n++] = digits[--nd];
	buf[n] = '\0';
	return CIDR_OK;
}

bool
cidr_contains(const struct cidr *c, const struct pol_addr *addr)
{
	struct pol_addr	a = *addr;
	uint8_t		mapped[16];

	pol_addr_normalise(&a);
	if (c->ci_net.pa_family == AF_INET) {
		if (a.pa_family != AF_INET || c->ci_plen > 32)
			return false;
		return cidr_bits_equal(c->ci_net.pa_bytes, a.pa_bytes, c->ci_plen);
	}
	if (c->ci_net.pa_family != AF_INET6 || c->ci_plen > 128)
		return false;
	if (a.pa_family == AF_INET6)
		return cidr_bits_equal(c->ci_net.pa_bytes, a.pa_bytes, c->ci_plen);
	if (a.pa_family != AF_INET)
		return false;
	/* An IPv4 source as a dual-stack socket shows it, for "::/0" and the like. */
	memcpy(mapped, cidr_mapped_prefix, sizeof(cidr_mapped_prefix));
	memcpy(mapped + 12, a.pa_bytes, 4);
	return cidr_bits_equal(c->ci_net.pa_bytes, mapped, c->ci_plen);
}

bool
cidr_equal(const struct cidr *a, const struct cidr *b)
{
	return a->ci_plen == b->ci_plen && pol_addr_equal(&a->ci_net, &b->ci_net);
}

void
cidr_list_init(struct cidr_list *l, enum cidr_action def)
{
	memset(l, 0, sizeof(*l));
	l->cl_default = def;
}

int
cidr_list_add(struct cidr_list *l, enum cidr_action action, const struct cidr *c)
{
	if (l == NULL || c == NULL || (action != CIDR_ALLOW && action != CIDR_DENY))
		return CIDR_E_ARG;
	if (l->cl_n >= CIDR_LIST_MAX)
		return CIDR_E_FULL;
	l->cl_rules[l->cl_n].cr_net = *c;
	l->cl_rules[l->cl_n].cr_action = action;
	l->cl_n++;
	return CIDR_OK;
}

static bool
cidr_is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

int
cidr_list_parse(struct cidr_list *l, const char *s, size_t len, size_t *erroff)
{
	size_t			 i = 0, start, end, saved;
	enum cidr_action	 action;
	struct cidr		 c;
	bool			 any = false, comma = false;
	int			 rc = CIDR_OK;

	if (l == NULL || s == NULL)
		return CIDR_E_ARG;
	saved = l->cl_n;
	/* comma: a comma was seen since the last item, so another one would be ",,". */
	for (;;) {
		while (i < len && cidr_is_blank(s[i]))
			i++;
		if (i == len) {
			if (!any || comma)
				rc = CIDR_E_EMPTY;	/* empty string or trailing comma */
			break;
		}
		if (s[i] == ',') {
			if (!any || comma) {
				rc = CIDR_E_EMPTY;	/* leading comma or ",," */
				break;
			}
			comma = true;
			i++;
			continue;
		}
		start = i;
		action = CIDR_ALLOW;
		if (s[i] == '!') {
			action = CIDR_DENY;
			i++;
		}
		for (end = i; end < len && s[end] != ',' && !cidr_is_blank(s[end]); end++)
			;
		if ((rc = cidr_parse(s + i, end - i, &c)) != CIDR_OK ||
		    (rc = cidr_list_add(l, action, &c)) != CIDR_OK) {
			i = start;
			break;
		}
		any = true;
		comma = false;
		i = end;
	}
	if (rc != CIDR_OK) {
		l->cl_n = saved;
		if (erroff != NULL)
			*erroff = i;
	}
	return rc;
}

enum cidr_action
cidr_list_match(const struct cidr_list *l, const struct pol_addr *a, int *rule)
{
	size_t	i;

	if (rule != NULL)
		*rule = -1;
	if (a == NULL || (a->pa_family != AF_INET && a->pa_family != AF_INET6))
		return CIDR_DENY;
	for (i = 0; i < l->cl_n && i < CIDR_LIST_MAX; i++) {
		if (cidr_contains(&l->cl_rules[i].cr_net, a)) {
			if (rule != NULL)
				*rule = (int)i;
			return l->cl_rules[i].cr_action;
		}
	}
	return l->cl_default;
}
