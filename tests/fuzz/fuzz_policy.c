/*
 * Fuzz target for policy/: address parsing, the source-address verdict and CIDR lists.
 *
 * Input is text, lines separated by '\n':
 *   line 1         the connection's source address
 *   middle lines   candidate addresses of the peer's SDP, or the words
 *                  "nosdp" (no SDP received: do not mark it) and "off" (filtering off)
 *   last line      a CIDR list as for `control-allow` (only when there are 2+ lines)
 * Lines are handed to the parsers as byte spans, never NUL-terminated, and may hold
 * any byte.  Invariants are checked against small reference computations here; a
 * violation calls __builtin_trap() so libFuzzer reports it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr_policy.h"
#include "cidr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FP_MAXCAND	(POL_PEER_MAX + 8)

#define CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

static bool
fp_line_is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(s, word, len) == 0;
}

/* Every parsed address formats, and the text parses back to the same address. */
static void
fp_roundtrip_addr(const struct pol_addr *a)
{
	char		buf[POL_ADDR_STRLEN];
	struct pol_addr	b;

	CHECK(pol_addr_format(a, buf, sizeof(buf)) == POL_OK);
	CHECK(pol_addr_parse(buf, strlen(buf), &b) == POL_OK);
	CHECK(pol_addr_equal(a, &b));
	CHECK(b.pa_family == a->pa_family);
}

static void
fp_check_reason(enum pol_verdict v, enum pol_reason why)
{
	CHECK((unsigned)why < POL_R_MAX);
	CHECK(strcmp(pol_reason_str(why), "invalid") != 0);
	switch (why) {
	case POL_R_FILTER_OFF:
	case POL_R_NO_SDP_YET:
	case POL_R_MATCH:
		CHECK(v == POL_ACCEPT);
		break;
	default:
		CHECK(v == POL_DENY);
		break;
	}
}

/* The verdict for a, through a sockaddr, on two ports and in the mapped spelling. */
static enum pol_verdict
fp_check_all_ways(const struct pol_leg *leg, const struct pol_addr *a,
    enum pol_reason *why)
{
	struct sockaddr_storage	ss;
	struct pol_addr		m;
	enum pol_reason		w1, w2, w3;
	enum pol_verdict	v1, v2, v3;

	v1 = pol_check_addr(leg, a, &w1);
	fp_check_reason(v1, w1);
	CHECK(pol_addr_to_sockaddr(a, 1, &ss) == POL_OK);
	v2 = pol_check(leg, &ss, &w2);
	CHECK(pol_addr_to_sockaddr(a, 65535, &ss) == POL_OK);
	v3 = pol_check(leg, &ss, &w3);
	CHECK(v1 == v2 && w1 == w2 && v1 == v3 && w1 == w3);
	if (a->pa_family == AF_INET) {
		/* As a dual-stack listener presents it: ::ffff:a.b.c.d. */
		memset(&m, 0, sizeof(m));
		m.pa_family = AF_INET6;
		m.pa_bytes[10] = m.pa_bytes[11] = 0xff;
		memcpy(m.pa_bytes + 12, a->pa_bytes, 4);
		CHECK(pol_addr_to_sockaddr(&m, 7, &ss) == POL_OK);
		v2 = pol_check(leg, &ss, &w2);
		CHECK(v1 == v2 && w1 == w2);
	}
	*why = w1;
	return v1;
}

/* Reference prefix match in one 128-bit space where IPv4 is ::ffff:a.b.c.d. */
static void
fp_to_v6space(const struct pol_addr *a, uint8_t out[16])
{
	if (a->pa_family == AF_INET) {
		memset(out, 0, 16);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a->pa_bytes, 4);
	} else
		memcpy(out, a->pa_bytes, 16);
}

static bool
fp_ref_contains(const struct cidr *c, const struct pol_addr *a)
{
	uint8_t		n[16], x[16];
	unsigned	plen = c->ci_plen, i;

	fp_to_v6space(&c->ci_net, n);
	fp_to_v6space(a, x);
	if (c->ci_net.pa_family == AF_INET)
		plen += 96;
	for (i = 0; i < plen; i++) {
		unsigned	bit = 0x80u >> (i % 8);

		if ((n[i / 8] & bit) != (x[i / 8] & bit))
			return false;
	}
	return true;
}

static void
fp_cidr_list(const char *s, size_t len, const struct pol_addr *addrs, size_t naddrs)
{
	struct cidr_list	l, all;
	size_t			off = (size_t)-1, i, r;
	int			rc, rule;

	cidr_list_init(&l, CIDR_DENY);
	rc = cidr_list_parse(&l, s, len, &off);
	if (rc != CIDR_OK) {
		CHECK(l.cl_n == 0);
		CHECK(off <= len);
		CHECK(strcmp(cidr_strerror(rc), "unknown error") != 0);
	} else
		CHECK(l.cl_n >= 1 && l.cl_n <= CIDR_LIST_MAX);

	for (r = 0; r < l.cl_n; r++) {
		char		buf[CIDR_STRLEN];
		struct cidr	back;
		const struct cidr *c = &l.cl_rules[r].cr_net;

		CHECK(c->ci_plen <= (c->ci_net.pa_family == AF_INET ? 32 : 128));
		CHECK(cidr_format(c, buf, sizeof(buf)) == CIDR_OK);
		CHECK(cidr_parse(buf, strlen(buf), &back) == CIDR_OK);
		CHECK(cidr_equal(c, &back));
		/* The network address itself is always inside its prefix. */
		CHECK(cidr_contains(c, &c->ci_net));
	}

	/* "::/0, 0.0.0.0/0" first: whatever follows, every source is allowed. */
	cidr_list_init(&all, CIDR_DENY);
	CHECK(cidr_list_parse(&all, "::/0,0.0.0.0/0", 14, NULL) == CIDR_OK);
	(void)cidr_list_parse(&all, s, len, NULL);

	for (i = 0; i < naddrs; i++) {
		enum cidr_action	want = l.cl_default, got;
		int			want_rule = -1;

		for (r = 0; r < l.cl_n; r++) {
			bool	in = fp_ref_contains(&l.cl_rules[r].cr_net, &addrs[i]);

			CHECK(in == cidr_contains(&l.cl_rules[r].cr_net, &addrs[i]));
			if (in && want_rule < 0) {
				want_rule = (int)r;
				want = l.cl_rules[r].cr_action;
			}
		}
		got = cidr_list_match(&l, &addrs[i], &rule);
		CHECK(got == want && rule == want_rule);
		CHECK(cidr_list_match(&all, &addrs[i], &rule) == CIDR_ALLOW);
		CHECK(rule == 0 || rule == 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*text = (const char *)data;
	const char	*lines[FP_MAXCAND + 2];
	size_t		 lens[FP_MAXCAND + 2];
	struct pol_addr	 added[FP_MAXCAND + 1];	/* [0] is the source when it parsed */
	struct pol_addr	 src;
	struct pol_leg	 leg;
	enum pol_reason	 why;
	enum pol_verdict v;
	size_t		 nlines = 0, pos = 0, nadded = 0, i, j;
	bool		 have_src, sdp = true;

	/* Split; the last line may lack its '\n'.  Extra lines beyond the cap are ignored. */
	while (pos <= size && nlines < FP_MAXCAND + 2) {
		const char	*nl = memchr(text + pos, '\n', size - pos);
		size_t		 end = nl != NULL ? (size_t)(nl - text) : size;

		lines[nlines] = text + pos;
		lens[nlines] = end - pos;
		nlines++;
		if (nl == NULL)
			break;
		pos = end + 1;
	}

	pol_leg_init(&leg);
	have_src = pol_addr_parse(lines[0], lens[0], &src) == POL_OK;
	if (have_src)
		fp_roundtrip_addr(&src);

	for (i = 1; i + 1 < nlines; i++) {
		struct pol_addr	a;
		int		rc, rc2;

		if (fp_line_is(lines[i], lens[i], "nosdp")) {
			sdp = false;
			continue;
		}
		if (fp_line_is(lines[i], lens[i], "off")) {
			pol_leg_set_filter(&leg, false);
			continue;
		}
		rc = pol_addr_parse(lines[i], lens[i], &a);
		rc2 = pol_peer_add_text(&leg, lines[i], lens[i]);
		if (rc != POL_OK) {
			CHECK(rc2 == rc);
			CHECK(rc < 0 && strcmp(pol_strerror(rc), "unknown error") != 0);
			continue;
		}
		CHECK(rc2 == POL_OK || rc2 == POL_E_FULL);
		fp_roundtrip_addr(&a);
		/* The raw spelling agrees with the normalised one. */
		{
			struct pol_addr	raw;

			CHECK(pol_addr_parse_raw(lines[i], lens[i], &raw) == POL_OK);
			CHECK(pol_addr_equal(&raw, &a));
		}
		for (j = 0; j < nadded; j++)
			if (pol_addr_equal(&added[j], &a))
				break;
		/* Full is an error only for a new address, and nothing is dropped. */
		CHECK((rc2 == POL_E_FULL) == (j == nadded && nadded == POL_PEER_MAX));
		if (j == nadded && nadded < POL_PEER_MAX)
			added[nadded++] = a;
	}
	CHECK(leg.pl_naddr == nadded);
	if (sdp)
		pol_peer_sdp_received(&leg);

	/* Every address in the set is accepted as a source, for the right reason. */
	for (i = 0; i < nadded; i++) {
		v = fp_check_all_ways(&leg, &added[i], &why);
		CHECK(v == POL_ACCEPT);
		if (leg.pl_filter)
			CHECK(why == (sdp ? POL_R_MATCH : POL_R_NO_SDP_YET));
		else
			CHECK(why == POL_R_FILTER_OFF);
	}

	if (have_src) {
		bool	in = false;

		for (i = 0; i < nadded; i++)
			in |= pol_addr_equal(&added[i], &src);
		v = fp_check_all_ways(&leg, &src, &why);
		if (!leg.pl_filter)
			CHECK(v == POL_ACCEPT && why == POL_R_FILTER_OFF);
		else if (!sdp)
			CHECK(v == POL_ACCEPT && why == POL_R_NO_SDP_YET);
		else if (nadded == 0)
			CHECK(v == POL_DENY && why == POL_R_NO_CANDIDATES);
		else
			CHECK((v == POL_ACCEPT) == in && why == (in ? POL_R_MATCH : POL_R_NO_MATCH));
		/* A host prefix built from the source contains it. */
		{
			char		buf[POL_ADDR_STRLEN];
			struct cidr	c;

			CHECK(pol_addr_format(&src, buf, sizeof(buf)) == POL_OK);
			CHECK(cidr_parse(buf, strlen(buf), &c) == CIDR_OK);
			CHECK(cidr_contains(&c, &src));
		}
		if (nadded < FP_MAXCAND)
			added[nadded++] = src;
	}

	if (nlines >= 2)
		fp_cidr_list(lines[nlines - 1], lens[nlines - 1], added, nadded);
	else {
		struct cidr	c;

		/* A single line is also tried as one prefix. */
		(void)cidr_parse(lines[0], lens[0], &c);
	}
	return 0;
}
