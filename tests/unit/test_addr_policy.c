/*
 * Source-address policy (policy/addr_policy.c): protocol.md 5.1, 2.8 and decision D11.
 * Candidate lists are what the SDP module would hand over for a Lync/SfB appsharing
 * m-line; the policy does not parse SDP itself.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <stdlib.h>

#include "addr_policy.h"

#define NCAND	8
#define TXT	64

/* Build a source sockaddr from text; "::ffff:..." stays AF_INET6 (dual-stack listener). */
static struct sockaddr_storage
src_of(const char *text, uint16_t port)
{
	struct sockaddr_storage	ss;
	struct pol_addr		a;

	cr_assert_eq(pol_addr_parse_raw(text, strlen(text), &a), POL_OK, "parse %s", text);
	cr_assert_eq(pol_addr_to_sockaddr(&a, port, &ss), POL_OK);
	return ss;
}

static void
leg_with(struct pol_leg *leg, bool filter, bool sdp, const char (*cands)[TXT], size_t n)
{
	size_t	i;

	pol_leg_init(leg);
	pol_leg_set_filter(leg, filter);
	for (i = 0; i < n && cands[i][0] != '\0'; i++)
		cr_assert_eq(pol_peer_add_text(leg, cands[i], strlen(cands[i])), POL_OK,
		    "add %s", cands[i]);
	if (sdp)
		pol_peer_sdp_received(leg);
}

/*
 * The verdict table.  Candidate sets, by name:
 *   lync: host 192.168.56.1, srflx 203.0.113.7 (raddr 192.168.56.1), relay 198.51.100.30
 *         (raddr 203.0.113.7), x-candidate-ipv6 host 2001:db8:56::1 — each as the SDP
 *         module lists it, duplicates of component 2 included.
 */
struct vcase {
	char			name[40];
	bool			filter;
	bool			sdp;
	char			cands[NCAND][TXT];
	char			src[TXT];
	enum pol_verdict	want;
	enum pol_reason		why;
};

#define LYNC { "192.168.56.1", "192.168.56.1", "203.0.113.7", "192.168.56.1", \
	"198.51.100.30", "203.0.113.7", "2001:db8:56::1", "2001:db8:56::1" }

ParameterizedTestParameters(addr_policy, verdicts)
{
	static struct vcase cases[] = {
	{ "off: foreign v4", false, true, { "127.0.0.2" }, "127.0.0.3",
	    POL_ACCEPT, POL_R_FILTER_OFF },
	{ "off: no sdp", false, false, { "" }, "198.51.100.99", POL_ACCEPT, POL_R_FILTER_OFF },
	{ "off: v6", false, true, { "2001:db8::1" }, "2001:db8::bad", POL_ACCEPT,
	    POL_R_FILTER_OFF },
	{ "off: empty sdp", false, true, { "" }, "10.0.0.1", POL_ACCEPT, POL_R_FILTER_OFF },
	{ "no sdp yet v4", true, false, { "" }, "127.0.0.3", POL_ACCEPT, POL_R_NO_SDP_YET },
	{ "no sdp yet v6", true, false, { "" }, "2001:db8::9", POL_ACCEPT, POL_R_NO_SDP_YET },
	{ "no sdp yet, adds pending", true, false, { "127.0.0.2" }, "127.0.0.3", POL_ACCEPT,
	    POL_R_NO_SDP_YET },
	{ "host", true, true, LYNC, "192.168.56.1", POL_ACCEPT, POL_R_MATCH },
	{ "srflx", true, true, LYNC, "203.0.113.7", POL_ACCEPT, POL_R_MATCH },
	{ "relay (A/V Edge)", true, true, LYNC, "198.51.100.30", POL_ACCEPT, POL_R_MATCH },
	{ "raddr only", true, true, { "198.51.100.30", "10.1.2.3" }, "10.1.2.3",
	    POL_ACCEPT, POL_R_MATCH },
	{ "x-candidate-ipv6", true, true, LYNC, "2001:db8:56::1", POL_ACCEPT, POL_R_MATCH },
	{ "lync: stranger v4", true, true, LYNC, "192.168.56.2", POL_DENY, POL_R_NO_MATCH },
	{ "lync: stranger v6", true, true, LYNC, "2001:db8:56::2", POL_DENY, POL_R_NO_MATCH },
	{ "integ 127.0.0.2 allowed", true, true, { "127.0.0.2" }, "127.0.0.2", POL_ACCEPT,
	    POL_R_MATCH },
	{ "integ 127.0.0.3 denied", true, true, { "127.0.0.2" }, "127.0.0.3", POL_DENY,
	    POL_R_NO_MATCH },
	{ "v6 exact", true, true, { "2001:db8::1" }, "2001:db8::1", POL_ACCEPT, POL_R_MATCH },
	{ "v6 other spelling", true, true, { "2001:0DB8:0:0::1" }, "2001:db8::1",
	    POL_ACCEPT, POL_R_MATCH },
	{ "v6 bracketed cand", true, true, { "[2001:db8::1]" }, "2001:db8::1",
	    POL_ACCEPT, POL_R_MATCH },
	{ "v6 non-matching", true, true, { "2001:db8::1" }, "2001:db8::2", POL_DENY,
	    POL_R_NO_MATCH },
	{ "v6 same /64 still denied", true, true, { "2001:db8::1" }, "2001:db8::1:0",
	    POL_DENY, POL_R_NO_MATCH },
	{ "mapped src vs v4 cand", true, true, { "127.0.0.2" }, "::ffff:127.0.0.2",
	    POL_ACCEPT, POL_R_MATCH },
	{ "mapped src vs v4 cand, other", true, true, { "127.0.0.2" }, "::ffff:127.0.0.3",
	    POL_DENY, POL_R_NO_MATCH },
	{ "v4 src vs mapped cand", true, true, { "::ffff:127.0.0.2" }, "127.0.0.2",
	    POL_ACCEPT, POL_R_MATCH },
	{ "mapped src vs mapped cand", true, true, { "::ffff:7f00:2" }, "::ffff:127.0.0.2",
	    POL_ACCEPT, POL_R_MATCH },
	{ "v4 src vs v6-only cands", true, true, { "2001:db8::1", "::1" }, "127.0.0.1",
	    POL_DENY, POL_R_NO_MATCH },
	{ "v6 src vs v4-only cands", true, true, { "127.0.0.1" }, "::1", POL_DENY,
	    POL_R_NO_MATCH },
	{ "compat ::a.b.c.d is not v4", true, true, { "127.0.0.2" }, "::127.0.0.2",
	    POL_DENY, POL_R_NO_MATCH },
	{ "nat64 is not v4", true, true, { "127.0.0.2" }, "64:ff9b::127.0.0.2",
	    POL_DENY, POL_R_NO_MATCH },
	{ "0.0.0.0 is no wildcard", true, true, { "0.0.0.0" }, "127.0.0.2", POL_DENY,
	    POL_R_NO_MATCH },
	{ ":: is no wildcard", true, true, { "::" }, "2001:db8::1", POL_DENY, POL_R_NO_MATCH },
	{ "zero candidates v4", true, true, { "" }, "127.0.0.2", POL_DENY,
	    POL_R_NO_CANDIDATES },
	{ "zero candidates v6", true, true, { "" }, "::1", POL_DENY, POL_R_NO_CANDIDATES },
	};

	return cr_make_param_array(struct vcase, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct vcase *c, addr_policy, verdicts)
{
	static const uint16_t	ports[] = { 0, 1, 9, 50000, 65535 };
	struct pol_leg		leg;
	enum pol_reason		why;
	size_t			i;

	leg_with(&leg, c->filter, c->sdp, (const char (*)[TXT])c->cands, NCAND);
	/* The port never matters: every source port gives the same answer. */
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct sockaddr_storage	ss = src_of(c->src, ports[i]);

		why = POL_R_MAX;
		cr_expect_eq(pol_check(&leg, &ss, &why), c->want, "%s: port %u verdict",
		    c->name, ports[i]);
		cr_expect_eq(why, c->why, "%s: port %u reason %s", c->name, ports[i],
		    pol_reason_str(why));
	}
	/* NULL why is allowed and changes nothing. */
	{
		struct sockaddr_storage	ss = src_of(c->src, 4242);

		cr_expect_eq(pol_check(&leg, &ss, NULL), c->want, "%s: NULL why", c->name);
	}
}

Test(addr_policy, defaults)
{
	struct pol_leg	leg;

	memset(&leg, 0xa5, sizeof(leg));
	pol_leg_init(&leg);
	cr_assert(leg.pl_filter, "filtering is on by default");
	cr_assert(!leg.pl_sdp);
	cr_assert_eq(leg.pl_naddr, 0);
}

Test(addr_policy, unsupported_family_denied)
{
	struct sockaddr_storage	ss;
	struct sockaddr_un	sun;
	struct pol_leg		leg;
	enum pol_reason		why;
	struct pol_addr		a;
	int			filter, sdp;

	memset(&ss, 0, sizeof(ss));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/tmp/x");
	memcpy(&ss, &sun, sizeof(sun));
	cr_assert_eq(pol_addr_from_sockaddr(&ss, &a), POL_E_FAMILY);
	/* Fails closed in every state, filtering off and no-SDP included. */
	for (filter = 0; filter < 2; filter++) {
		for (sdp = 0; sdp < 2; sdp++) {
			pol_leg_init(&leg);
			pol_leg_set_filter(&leg, filter);
			if (sdp)
				pol_peer_sdp_received(&leg);
			cr_assert_eq(pol_check(&leg, &ss, &why), POL_DENY);
			cr_assert_eq(why, POL_R_BAD_FAMILY);
		}
	}
	ss.ss_family = AF_UNSPEC;
	cr_assert_eq(pol_check(&leg, &ss, &why), POL_DENY);
	cr_assert_eq(why, POL_R_BAD_FAMILY);
	cr_assert_eq(pol_check(&leg, NULL, &why), POL_DENY);
	cr_assert_eq(why, POL_R_BAD_FAMILY);
	memset(&a, 0, sizeof(a));
	a.pa_family = AF_UNIX;
	cr_assert_eq(pol_check_addr(&leg, &a, &why), POL_DENY);
	cr_assert_eq(why, POL_R_BAD_FAMILY);
	cr_assert_eq(pol_peer_add(&leg, &a), POL_E_FAMILY);
}

Test(addr_policy, set_full_is_an_error)
{
	struct pol_leg	leg;
	struct pol_addr	a;
	uint32_t	i;
	enum pol_reason	why;

	pol_leg_init(&leg);
	memset(&a, 0, sizeof(a));
	a.pa_family = AF_INET;
	for (i = 0; i < POL_PEER_MAX; i++) {
		a.pa_bytes[0] = 10;
		a.pa_bytes[3] = (uint8_t)i;
		cr_assert_eq(pol_peer_add(&leg, &a), POL_OK, "add %u", i);
	}
	cr_assert_eq(leg.pl_naddr, POL_PEER_MAX);
	a.pa_bytes[3] = 200;
	cr_assert_eq(pol_peer_add(&leg, &a), POL_E_FULL);
	cr_assert_eq(pol_peer_add_text(&leg, "::1", 3), POL_E_FULL);
	cr_assert_eq(leg.pl_naddr, POL_PEER_MAX, "nothing dropped, nothing overwritten");
	/* A duplicate of what is held is not "more": still fine when full. */
	a.pa_bytes[3] = 7;
	cr_assert_eq(pol_peer_add(&leg, &a), POL_OK);
	cr_assert_eq(pol_peer_add_text(&leg, "::ffff:10.0.0.7", 15), POL_OK);
	pol_peer_sdp_received(&leg);
	a.pa_bytes[3] = POL_PEER_MAX - 1;
	cr_assert_eq(pol_check_addr(&leg, &a, &why), POL_ACCEPT);
	cr_assert_eq(why, POL_R_MATCH);
}

Test(addr_policy, duplicates_fold)
{
	struct pol_leg	leg;
	int		i;

	pol_leg_init(&leg);
	/* Components 1 and 2 of every TCP candidate, and srflx == raddr (protocol.md 1.4). */
	for (i = 0; i < 200; i++) {
		cr_assert_eq(pol_peer_add_text(&leg, "192.168.56.1", 12), POL_OK);
		cr_assert_eq(pol_peer_add_text(&leg, "::ffff:192.168.56.1", 19), POL_OK);
		cr_assert_eq(pol_peer_add_text(&leg, "2001:db8::1", 11), POL_OK);
		cr_assert_eq(pol_peer_add_text(&leg, "2001:DB8:0::1", 13), POL_OK);
	}
	cr_assert_eq(leg.pl_naddr, 2);
}

Test(addr_policy, bad_candidate_text_is_reported_not_added)
{
	struct pol_leg	leg;

	pol_leg_init(&leg);
	cr_assert_eq(pol_peer_add_text(&leg, "host.example.com", 16), POL_E_SYNTAX);
	cr_assert_eq(pol_peer_add_text(&leg, "fe80::1%eth0", 12), POL_E_ZONE);
	cr_assert_eq(pol_peer_add_text(&leg, "", 0), POL_E_EMPTY);
	cr_assert_eq(leg.pl_naddr, 0);
}

/* Decision D11, our extension: once the SDP arrives, re-check connections accepted before. */
Test(addr_policy, recheck_when_sdp_arrives)
{
	static const char	*early[] = { "127.0.0.2", "127.0.0.3", "::ffff:127.0.0.2",
				    "::1" };
	static const bool	 keep[] = { true, false, true, false };
	struct pol_leg		 leg;
	enum pol_reason		 why;
	size_t			 i;

	pol_leg_init(&leg);
	for (i = 0; i < 4; i++) {
		struct sockaddr_storage	ss = src_of(early[i], (uint16_t)(40000 + i));

		cr_assert_eq(pol_check(&leg, &ss, &why), POL_ACCEPT);
		cr_assert_eq(why, POL_R_NO_SDP_YET);
	}
	cr_assert_eq(pol_peer_add_text(&leg, "127.0.0.2", 9), POL_OK);
	pol_peer_sdp_received(&leg);
	for (i = 0; i < 4; i++) {
		struct sockaddr_storage	ss = src_of(early[i], (uint16_t)(40000 + i));
		enum pol_verdict	v = pol_check(&leg, &ss, &why);

		cr_assert_eq(v == POL_ACCEPT, keep[i], "%s", early[i]);
		cr_assert_eq(why, keep[i] ? POL_R_MATCH : POL_R_NO_MATCH);
	}
}

Test(addr_policy, replace_set_by_assignment)
{
	struct pol_leg	leg, scratch;
	enum pol_reason	why;
	struct sockaddr_storage	old = src_of("127.0.0.2", 1), neu = src_of("127.0.0.5", 1);

	pol_leg_init(&leg);
	cr_assert_eq(pol_peer_add_text(&leg, "127.0.0.2", 9), POL_OK);
	pol_peer_sdp_received(&leg);

	/* A re-INVITE: build the new set aside, then swap it in. */
	scratch = leg;
	pol_peer_clear(&scratch);
	cr_assert(scratch.pl_filter, "clear keeps the filter switch");
	cr_assert(!scratch.pl_sdp);
	cr_assert_eq(pol_peer_add_text(&scratch, "127.0.0.5", 9), POL_OK);
	pol_peer_sdp_received(&scratch);
	cr_assert_eq(pol_check(&leg, &neu, &why), POL_DENY, "old state untouched");
	leg = scratch;
	cr_assert_eq(pol_check(&leg, &neu, &why), POL_ACCEPT);
	cr_assert_eq(pol_check(&leg, &old, &why), POL_DENY);
	cr_assert_eq(why, POL_R_NO_MATCH);

	pol_leg_set_filter(&leg, false);
	pol_peer_clear(&leg);
	cr_assert(!leg.pl_filter, "clear keeps filtering off too");
}

Test(addr_policy, reason_strings)
{
	int	i, j;

	for (i = 0; i < POL_R_MAX; i++) {
		const char	*t = pol_reason_str((enum pol_reason)i);
		const char	*p;

		cr_assert_not_null(t);
		cr_assert_gt(strlen(t), 0);
		cr_assert_str_neq(t, "invalid");
		/* Tokens go into counters and log keys: lowercase letters and '-'. */
		for (p = t; *p != '\0'; p++)
			cr_assert((*p >= 'a' && *p <= 'z') || *p == '-', "token %s", t);
		cr_assert_gt(strlen(pol_reason_text((enum pol_reason)i)), 10);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(t, pol_reason_str((enum pol_reason)j));
	}
	cr_assert_str_eq(pol_reason_str(POL_R_MAX), "invalid");
	cr_assert_str_eq(pol_reason_str((enum pol_reason)-1), "invalid");
	cr_assert_str_eq(pol_reason_text((enum pol_reason)99), "invalid reason");
	cr_assert_str_eq(pol_reason_str(POL_R_NO_SDP_YET), "no-sdp-yet");
	cr_assert_str_eq(pol_reason_str(POL_R_NO_CANDIDATES), "no-candidates");
	cr_assert_str_eq(pol_verdict_str(POL_ACCEPT), "accept");
	cr_assert_str_eq(pol_verdict_str(POL_DENY), "deny");
}

Test(addr_policy, strerror_names_every_code)
{
	int	rc;

	for (rc = POL_E_EMPTY; rc >= POL_E_ARG; rc--)
		cr_assert_str_neq(pol_strerror(rc), "unknown error", "code %d", rc);
	cr_assert_str_eq(pol_strerror(POL_OK), "success");
	cr_assert_str_eq(pol_strerror(-31), "unknown error");
	cr_assert_str_eq(pol_strerror(5), "unknown error");
}

/* Parsing: text, expected code, expected family and canonical text on success. */
struct pcase {
	char	in[80];
	int	rc;
	int	family;
	char	out[TXT];
};

ParameterizedTestParameters(addr_policy, parse)
{
	static struct pcase cases[] = {
	{ "127.0.0.1", POL_OK, AF_INET, "127.0.0.1" },
	{ "0.0.0.0", POL_OK, AF_INET, "0.0.0.0" },
	{ "255.255.255.255", POL_OK, AF_INET, "255.255.255.255" },
	{ "10.0.0.10", POL_OK, AF_INET, "10.0.0.10" },
	{ "::1", POL_OK, AF_INET6, "::1" },
	{ "::", POL_OK, AF_INET6, "::" },
	{ "[::1]", POL_OK, AF_INET6, "::1" },
	{ "2001:DB8::1", POL_OK, AF_INET6, "2001:db8::1" },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001", POL_OK, AF_INET6, "2001:db8::1" },
	{ "fe80::1", POL_OK, AF_INET6, "fe80::1" },
	{ "::ffff:127.0.0.1", POL_OK, AF_INET, "127.0.0.1" },
	{ "::FFFF:7f00:1", POL_OK, AF_INET, "127.0.0.1" },
	{ "[::ffff:1.2.3.4]", POL_OK, AF_INET, "1.2.3.4" },
	{ "0:0:0:0:0:ffff:1.2.3.4", POL_OK, AF_INET, "1.2.3.4" },
	{ "64:ff9b::1.2.3.4", POL_OK, AF_INET6, "64:ff9b::102:304" },
	{ "", POL_E_EMPTY, 0, "" },
	{ "1.2.3", POL_E_SYNTAX, 0, "" },
	{ "1.2.3.4.5", POL_E_SYNTAX, 0, "" },
	{ "1..3.4", POL_E_SYNTAX, 0, "" },
	{ "1.2.3.4.", POL_E_SYNTAX, 0, "" },
	{ ".1.2.3.4", POL_E_SYNTAX, 0, "" },
	{ "127.1", POL_E_SYNTAX, 0, "" },
	{ "2130706433", POL_E_RANGE, 0, "" },
	{ "0x7f.0.0.1", POL_E_SYNTAX, 0, "" },
	{ "1.2.3.04", POL_E_LEADZERO, 0, "" },
	{ "01.2.3.4", POL_E_LEADZERO, 0, "" },
	{ "1.2.3.00", POL_E_LEADZERO, 0, "" },
	{ "1.2.3.256", POL_E_RANGE, 0, "" },
	{ "1.2.3.99999999999999999999", POL_E_RANGE, 0, "" },
	{ " 1.2.3.4", POL_E_SYNTAX, 0, "" },
	{ "1.2.3.4 ", POL_E_SYNTAX, 0, "" },
	{ "-1.2.3.4", POL_E_SYNTAX, 0, "" },
	{ "+1.2.3.4", POL_E_SYNTAX, 0, "" },
	{ "1.2.3.4/32", POL_E_SYNTAX, 0, "" },
	{ "localhost", POL_E_SYNTAX, 0, "" },
	{ "host.example.com", POL_E_SYNTAX, 0, "" },
	{ "fe80::1%eth0", POL_E_ZONE, 0, "" },
	{ "[fe80::1%1]", POL_E_ZONE, 0, "" },
	{ "[1.2.3.4]", POL_E_BRACKET, 0, "" },
	{ "[::1", POL_E_BRACKET, 0, "" },
	{ "::1]", POL_E_BRACKET, 0, "" },
	{ "[[::1]]", POL_E_BRACKET, 0, "" },
	{ "[", POL_E_BRACKET, 0, "" },
	{ "[]", POL_E_SYNTAX, 0, "" },
	{ "[::1]:5060", POL_E_BRACKET, 0, "" },
	{ "::ffff:1.2.3.4.5", POL_E_SYNTAX, 0, "" },
	{ "::ffff:1.2.3.04", POL_E_LEADZERO, 0, "" },
	{ "::ffff:1.2.3.256", POL_E_RANGE, 0, "" },
	{ "1.2.3.4::", POL_E_SYNTAX, 0, "" },
	{ "1:2:3:4:5:6:7:8:9", POL_E_SYNTAX, 0, "" },
	{ "12345::", POL_E_SYNTAX, 0, "" },
	{ "gggg::", POL_E_SYNTAX, 0, "" },
	{ ":::", POL_E_SYNTAX, 0, "" },
	{ "1::2::3", POL_E_SYNTAX, 0, "" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    POL_E_SYNTAX, 0, "" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    POL_E_TOOLONG, 0, "" },
	};

	return cr_make_param_array(struct pcase, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct pcase *c, addr_policy, parse)
{
	struct pol_addr	a, b;
	char		buf[POL_ADDR_STRLEN];
	size_t		len = strlen(c->in);
	char		*copy;
	int		rc;

	/* Exact-size heap copy with no NUL, so ASan sees any read past len. */
	copy = malloc(len > 0 ? len : 1);
	cr_assert_not_null(copy);
	memcpy(copy, c->in, len);
	memset(&a, 0x5a, sizeof(a));
	rc = pol_addr_parse(copy, len, &a);
	free(copy);
	cr_assert_eq(rc, c->rc, "'%s': got %d (%s), want %d", c->in, rc, pol_strerror(rc),
	    c->rc);
	if (rc != POL_OK)
		return;
	cr_assert_eq(a.pa_family, c->family, "'%s': family", c->in);
	cr_assert_eq(pol_addr_format(&a, buf, sizeof(buf)), POL_OK);
	cr_assert_str_eq(buf, c->out, "'%s'", c->in);
	/* Canonical text parses back to the same address. */
	cr_assert_eq(pol_addr_parse(buf, strlen(buf), &b), POL_OK);
	cr_assert(pol_addr_equal(&a, &b));
}

Test(addr_policy, parse_reads_only_len_bytes)
{
	static const char	text[] = "127.0.0.1garbage";
	static const char	nul1[] = "127.0.0.1\0";
	static const char	nul2[] = "::1\0x";
	struct pol_addr		a, keep;
	char			buf[POL_ADDR_STRLEN];

	cr_assert_eq(pol_addr_parse(text, 9, &a), POL_OK);
	cr_assert_eq(pol_addr_format(&a, buf, sizeof(buf)), POL_OK);
	cr_assert_str_eq(buf, "127.0.0.1");
	keep = a;
	cr_assert_eq(pol_addr_parse(text, 8, &a), POL_E_SYNTAX, "\"127.0.0.\"");
	cr_assert_eq(pol_addr_parse(text, 10, &a), POL_E_SYNTAX, "\"127.0.0.1g\"");
	cr_assert(pol_addr_equal(&a, &keep), "output untouched on error");
	/* Embedded NUL: a C-string reader would stop early and accept; we refuse. */
	cr_assert_eq(pol_addr_parse(nul1, sizeof(nul1) - 1, &a), POL_E_NUL);
	cr_assert_eq(pol_addr_parse(nul2, sizeof(nul2) - 1, &a), POL_E_NUL);
	cr_assert_eq(pol_addr_parse("\0", 1, &a), POL_E_NUL);
	cr_assert_eq(pol_addr_parse(NULL, 3, &a), POL_E_ARG);
	cr_assert_eq(pol_addr_parse("::1", 3, NULL), POL_E_ARG);
}

Test(addr_policy, format_buffer_bounds)
{
	struct pol_addr	a;
	char		buf[POL_ADDR_STRLEN];

	cr_assert_eq(pol_addr_parse("255.255.255.255", 15, &a), POL_OK);
	cr_assert_eq(pol_addr_format(&a, buf, 15), POL_E_SPACE);
	cr_assert_eq(pol_addr_format(&a, buf, 16), POL_OK);
	cr_assert_str_eq(buf, "255.255.255.255");
	cr_assert_eq(pol_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 39, &a),
	    POL_OK);
	cr_assert_eq(pol_addr_format(&a, buf, 39), POL_E_SPACE);
	cr_assert_eq(pol_addr_format(&a, buf, 40), POL_OK);
	cr_assert_eq(pol_addr_format(&a, buf, 0), POL_E_SPACE);
	a.pa_family = AF_UNIX;
	cr_assert_eq(pol_addr_format(&a, buf, sizeof(buf)), POL_E_FAMILY);
}

Test(addr_policy, sockaddr_conversions)
{
	struct sockaddr_storage	ss;
	struct sockaddr_in6	sin6;
	struct sockaddr_in	sin;
	struct pol_addr		a, b;
	char			buf[POL_ADDR_STRLEN];

	/* A dual-stack listener reports an IPv4 peer as ::ffff:a.b.c.d. */
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(51234);
	cr_assert_eq(inet_pton(AF_INET6, "::ffff:198.51.100.30", &sin6.sin6_addr), 1);
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &sin6, sizeof(sin6));
	cr_assert_eq(pol_addr_from_sockaddr(&ss, &a), POL_OK);
	cr_assert_eq(a.pa_family, AF_INET);
	cr_assert_eq(pol_addr_format(&a, buf, sizeof(buf)), POL_OK);
	cr_assert_str_eq(buf, "198.51.100.30");

	/* The scope id never takes part: candidates cannot carry one. */
	cr_assert_eq(inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr), 1);
	sin6.sin6_scope_id = 3;
	memcpy(&ss, &sin6, sizeof(sin6));
	cr_assert_eq(pol_addr_from_sockaddr(&ss, &a), POL_OK);
	cr_assert_eq(pol_addr_parse("fe80::1", 7, &b), POL_OK);
	cr_assert(pol_addr_equal(&a, &b));

	/* Round trip through to_sockaddr keeps the address and sets the port. */
	cr_assert_eq(pol_addr_parse("203.0.113.7", 11, &a), POL_OK);
	cr_assert_eq(pol_addr_to_sockaddr(&a, 443, &ss), POL_OK);
	cr_assert_eq(ss.ss_family, AF_INET);
	memcpy(&sin, &ss, sizeof(sin));
	cr_assert_eq(ntohs(sin.sin_port), 443);
	cr_assert_eq(pol_addr_from_sockaddr(&ss, &b), POL_OK);
	cr_assert(pol_addr_equal(&a, &b));
	cr_assert_eq(pol_addr_from_sockaddr(NULL, &b), POL_E_ARG);
	a.pa_family = AF_UNSPEC;
	cr_assert_eq(pol_addr_to_sockaddr(&a, 1, &ss), POL_E_FAMILY);
}

Test(addr_policy, equality)
{
	struct pol_addr	v4, mapped, v6, junk;

	cr_assert_eq(pol_addr_parse("127.0.0.2", 9, &v4), POL_OK);
	cr_assert_eq(pol_addr_parse_raw("::ffff:127.0.0.2", 16, &mapped), POL_OK);
	cr_assert_eq(mapped.pa_family, AF_INET6, "raw keeps the IPv6 spelling");
	cr_assert_eq(pol_addr_parse("::127.0.0.2", 11, &v6), POL_OK);
	cr_assert(pol_addr_equal(&v4, &mapped));
	cr_assert(pol_addr_equal(&mapped, &v4));
	cr_assert(!pol_addr_equal(&v4, &v6));
	cr_assert(!pol_addr_equal(&mapped, &v6));
	memset(&junk, 0, sizeof(junk));
	cr_assert(!pol_addr_equal(&junk, &junk), "no family, never equal");
	pol_addr_normalise(&mapped);
	cr_assert_eq(mapped.pa_family, AF_INET);
	cr_assert_eq(memcmp(&mapped, &v4, sizeof(v4)), 0, "normalised form is exact");
}
