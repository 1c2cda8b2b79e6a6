/*
 * Candidate dialects (protocol.md 1.4), MS-ICE v6 detection, priorities (D6,
 * RFC 6544 4.2) and the address list used by source-address policy (D11).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "sdp.h"

static struct sdp	s;

static int
span_is(struct sdp_str a, const char *lit)
{
	return a.s_len == strlen(lit) && memcmp(a.s_p, lit, a.s_len) == 0;
}

static int
parse(const char *v, struct cand *c)
{
	return cand_parse(v, strlen(v), c, NULL);
}

static struct sdp_addr
addr(const char *text)
{
	struct sdp_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, a.a_bytes) == 1)
		a.a_family = AF_INET;
	else if (inet_pton(AF_INET6, text, a.a_bytes) == 1)
		a.a_family = AF_INET6;
	else
		cr_assert_fail("bad test address %s", text);
	return a;
}

static int
addr_is(const struct sdp_addr *a, const char *text)
{
	struct sdp_addr b = addr(text);

	return a->a_family == b.a_family && memcmp(a->a_bytes, b.a_bytes, 16) == 0;
}

Test(sdp_cand, ms_tcp_pass_host)
{
	struct cand c;

	cr_assert_eq(parse("2 1 TCP-PASS 2120613887 192.0.2.10 50040 typ host", &c), 0);
	cr_assert(span_is(c.c_foundation, "2"));
	cr_assert_eq(c.c_component, 1);
	cr_assert_eq(c.c_transport, CAND_TR_TCP);
	cr_assert_eq(c.c_tcptype, CAND_TCP_PASSIVE);
	cr_assert_eq(c.c_priority, 2120613887u);
	cr_assert(addr_is(&c.c_addr, "192.0.2.10"));
	cr_assert(span_is(c.c_addr_text, "192.0.2.10"));
	cr_assert_eq(c.c_port, 50040);
	cr_assert_eq(c.c_type, CAND_HOST);
	cr_assert(!c.c_has_raddr);
	cr_assert_eq(c.c_dialect, CAND_DIALECT_MS);
}

Test(sdp_cand, ms_tcp_act_srflx_with_raddr)
{
	struct cand c;

	cr_assert_eq(parse("7 1 TCP-ACT 1684796415 192.168.56.1 27100 typ srflx "
	    "raddr 192.168.56.1 rport 27100", &c), 0);
	cr_assert_eq(c.c_tcptype, CAND_TCP_ACTIVE);
	cr_assert_eq(c.c_type, CAND_SRFLX);
	cr_assert(c.c_has_raddr);
	cr_assert(addr_is(&c.c_raddr, "192.168.56.1"));
	cr_assert_eq(c.c_rport, 27100);
	cr_assert_eq(c.c_port, 27100);
}

Test(sdp_cand, ms_relay_priority_decodes)
{
	struct cand c;

	cr_assert_eq(parse("3 1 TCP-PASS 174456319 203.0.113.5 56148 typ relay "
	    "raddr 192.0.2.10 rport 50040", &c), 0);
	cr_assert_eq(c.c_type, CAND_RELAY);
	/* 0x0A65FDFF: type 10, TCP (6), passive (2), relay bits 7, other 61. */
	cr_assert_eq(c.c_priority >> 24, 10);
	cr_assert_eq(((c.c_priority >> 8) & 0xffff) >> 12, 6);
	cr_assert_eq(((c.c_priority >> 8) >> 9) & 7, 2);
	cr_assert_eq(((c.c_priority >> 8) >> 6) & 7, 7);
}

Test(sdp_cand, rfc6544_tcptypes)
{
	struct cand c;

	cr_assert_eq(parse("1 1 TCP 2128609279 10.0.0.5 9 typ host tcptype active", &c), 0);
	cr_assert_eq(c.c_transport, CAND_TR_TCP);
	cr_assert_eq(c.c_tcptype, CAND_TCP_ACTIVE);
	cr_assert_eq(c.c_dialect, CAND_DIALECT_RFC);
	cr_assert_eq(c.c_port, 9);
	cr_assert_eq(parse("1 1 tcp 1 10.0.0.5 5 typ host TCPTYPE Passive", &c), 0);
	cr_assert_eq(c.c_tcptype, CAND_TCP_PASSIVE);
	cr_assert_eq(parse("1 1 TCP 1 10.0.0.5 5 typ srflx raddr 0.0.0.0 rport 0 tcptype so",
	    &c), 0);
	cr_assert_eq(c.c_tcptype, CAND_TCP_SO);
	cr_assert_eq(c.c_type, CAND_SRFLX);
	/* tcptype may come before raddr too. */
	cr_assert_eq(parse("1 1 TCP 1 10.0.0.5 5 typ relay tcptype passive raddr 1.2.3.4 "
	    "rport 7", &c), 0);
	cr_assert_eq(c.c_rport, 7);
}

Test(sdp_cand, udp_is_dialect_neutral)
{
	struct cand c;

	cr_assert_eq(parse("1 2 UDP 2130705918 192.0.2.10 27101 typ host", &c), 0);
	cr_assert_eq(c.c_transport, CAND_TR_UDP);
	cr_assert_eq(c.c_tcptype, CAND_TCP_NONE);
	cr_assert_eq(c.c_dialect, CAND_DIALECT_ANY);
	cr_assert_eq(c.c_component, 2);
}

Test(sdp_cand, extensions_and_odd_but_legal)
{
	struct cand c;

	cr_assert_eq(parse("842163049 1 udp 1677729535 198.51.100.3 62001 typ srflx raddr "
	    "0.0.0.0 rport 0 generation 0 network-id 1 network-cost 10", &c), 0);
	cr_assert_eq(c.c_type, CAND_SRFLX);
	/* RFC 8839: unknown transport is ignored by the caller, not an error here. */
	cr_assert_eq(parse("1 1 SCTP 1 192.0.2.1 5000 typ host", &c), 0);
	cr_assert_eq(c.c_transport, CAND_TR_OTHER);
	/* mDNS / FQDN address: no binary address. */
	cr_assert_eq(parse("1 1 UDP 1 0b1e6c1a-2bd4-4f6b.local 5000 typ host", &c), 0);
	cr_assert_eq(c.c_addr.a_family, 0);
	cr_assert(span_is(c.c_addr_text, "0b1e6c1a-2bd4-4f6b.local"));
	/* Tabs and runs of blanks. */
	cr_assert_eq(parse("1  1\tTCP-PASS 5 192.0.2.1   5000 typ   host  ", &c), 0);
	cr_assert_eq(c.c_port, 5000);
	/* Port 0 is tolerated (old RFC 6544 drafts, Lync's own broken offers). */
	cr_assert_eq(parse("1 1 TCP-ACT 5 192.0.2.1 0 typ host", &c), 0);
	/* IPv6 in a=candidate (RFC) is fine. */
	cr_assert_eq(parse("1 1 TCP 5 2001:db8::1 5000 typ host tcptype passive", &c), 0);
	cr_assert_eq(c.c_addr.a_family, AF_INET6);
	/* The largest values. */
	cr_assert_eq(parse("abcdefghijklmnopqrstuvwxyz+/0123 256 UDP 4294967295 "
	    "192.0.2.1 65535 typ prflx", &c), 0);
	cr_assert_eq(c.c_priority, 4294967295u);
	cr_assert_eq(c.c_component, 256);
	cr_assert_eq(c.c_type, CAND_PRFLX);
}

struct bad_cand {
	/* Inline, not a pointer: Criterion may run the test in a fresh PIE image. */
	char		 v[120];
	int		 rc;
};

ParameterizedTestParameters(sdp_cand, rejects)
{
	static struct bad_cand cases[] = {
		{ "", SDP_E_CAND },
		{ "1 1 TCP-PASS 2120613887 192.0.2.10 50040", SDP_E_CAND },
		{ "1 1 TCP-PASS 2120613887 192.0.2.10 50040 typ", SDP_E_CAND },
		{ "1 1 TCP-PASS 2120613887 192.0.2.10 50040 host typ", SDP_E_CAND },
		{ "1 0 UDP 1 192.0.2.1 5 typ host", SDP_E_CAND },
		{ "1 257 UDP 1 192.0.2.1 5 typ host", SDP_E_CAND },
		{ "1 x UDP 1 192.0.2.1 5 typ host", SDP_E_CAND },
		{ "1 1 UDP 4294967296 192.0.2.1 5 typ host", SDP_E_CAND },
		{ "1 1 UDP -1 192.0.2.1 5 typ host", SDP_E_CAND },
		{ "1 1 UDP 1 192.0.2.1 65536 typ host", SDP_E_CAND },
		{ "1 1 UDP 1 192.0.2.1 5x typ host", SDP_E_CAND },
		{ "1 1 UDP 1 192.0.2.1:5 5 typ host", SDP_E_CAND },
		{ "1 1 UDP 1 192.0.2.1 5 typ hots", SDP_E_CAND },
		{ "1 1 UDP 1 192.0.2.1 5 typ host raddr", SDP_E_CAND },
		{ "1 1 UDP 1 192.0.2.1 5 typ srflx raddr 1.2.3.4 rport 70000", SDP_E_CAND },
		{ "1 1 UDP 1 192.0.2.1 5 typ srflx raddr a_b rport 1", SDP_E_CAND },
		{ "1 1 UDP 1 192.0.2.1 5 typ srflx rport 1", SDP_E_CAND },
		{ "1 1 TCP 1 192.0.2.1 5 typ host", SDP_E_CAND },
		{ "1 1 TCP 1 192.0.2.1 5 typ host tcptype both", SDP_E_CAND },
		{ "1 1 TCP-PASS 1 192.0.2.1 5 typ host tcptype active", SDP_E_CAND },
		{ "abcdefghijklmnopqrstuvwxyz+/01234 1 UDP 1 192.0.2.1 5 typ host", SDP_E_CAND },
		/* MS-ICE v6: user, component, password, transport, 0.prio, ip, port. */
		{ "qWxYzAbCdEfGhIjKlMnOpQ 1 aBcDeFgHiJkLmNoPqRsTuV UDP 0.830 192.0.2.10 50040",
		  SDP_E_CAND_V6 },
		{ "qWxYzAbCdEfGhIjKlMnOpQ 2 aBcDeFgHiJkLmNoPqRsTuV tcp 0.190 192.0.2.10 50041",
		  SDP_E_CAND_V6 },
	};

	return cr_make_param_array(struct bad_cand, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_cand *bc, sdp_cand, rejects)
{
	struct cand c;
	const char *why = NULL;
	int rc = cand_parse(bc->v, strlen(bc->v), &c, &why);

	cr_assert_eq(rc, bc->rc, "'%s': got %s", bc->v, sdp_errname(rc));
	cr_assert_not_null(why, "'%s': no reason", bc->v);
}

Test(sdp_cand, priorities_ms_layout_match_example_d)
{
	cr_assert_eq(cand_prio_ms(CAND_TCP_PASSIVE, 1, 0), 2120613887u);
	cr_assert_eq(cand_prio_ms(CAND_TCP_PASSIVE, 2, 0), 2120613374u);
	cr_assert_eq(cand_prio_ms(CAND_TCP_ACTIVE, 1, 0), 2121007103u);
	cr_assert_eq(cand_prio_ms(CAND_TCP_ACTIVE, 2, 0), 2121006590u);
	cr_assert_eq(cand_prio_ms(CAND_TCP_PASSIVE, 1, 1), 2120613631u);
	cr_assert_eq(cand_prio_ms(CAND_TCP_PASSIVE, 2, 1), 2120613118u);
	cr_assert_eq(cand_prio_ms(CAND_TCP_ACTIVE, 1, 1), 2121006847u);
	cr_assert_eq(cand_prio_ms(CAND_TCP_ACTIVE, 2, 1), 2121006334u);
}

Test(sdp_cand, priorities_rfc6544)
{
	uint32_t p = cand_prio_rfc(CAND_TCP_PASSIVE, 1, 0);

	cr_assert_eq(p >> 24, 126);
	cr_assert_eq(((p >> 8) & 0xffff) >> 13, 4);
	cr_assert_eq((p >> 8) & 0x1fff, 8191);
	cr_assert_eq(p, 2124414975u);
	cr_assert_eq(cand_prio_rfc(CAND_TCP_PASSIVE, 2, 0), 2124414974u);
	cr_assert_eq(cand_prio_rfc(CAND_TCP_ACTIVE, 1, 0), 2128609279u);
	cr_assert_eq(cand_prio_rfc(CAND_TCP_ACTIVE, 2, 1), 2128609022u);
	cr_assert_eq(cand_prio_rfc(CAND_TCP_PASSIVE, 1, 1), 2124414719u);
	cr_assert_eq(((cand_prio_rfc(CAND_TCP_SO, 1, 0) >> 8) & 0xffff) >> 13, 2);
	/* Host active > passive > so, as RFC 6544 4.2 recommends. */
	cr_assert_gt(cand_prio_rfc(CAND_TCP_ACTIVE, 1, 0), cand_prio_rfc(CAND_TCP_PASSIVE, 1, 0));
	cr_assert_gt(cand_prio_rfc(CAND_TCP_PASSIVE, 1, 0), cand_prio_rfc(CAND_TCP_SO, 1, 0));
}

static const char example_c_as[] =
    "v=0\r\n"
    "o=- 0 1 IN IP4 192.0.2.10\r\n"
    "s=session\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=applicationsharing 50040 TCP/RTP/SAVP 127\r\n"
    "a=ice-ufrag:Kq7w\r\n"
    "a=ice-pwd:9fT2mZpQx8LbR4sVn1YcW6hD\r\n"
    "a=candidate:1 1 TCP-ACT 1684797439 192.0.2.10 50040 typ srflx raddr 192.0.2.10 rport 50040\r\n"
    "a=candidate:1 2 TCP-ACT 1684796926 192.0.2.10 50040 typ srflx raddr 192.0.2.10 rport 50040\r\n"
    "a=candidate:2 1 TCP-PASS 2120613887 192.0.2.10 50040 typ host\r\n"
    "a=candidate:2 2 TCP-PASS 2120613374 192.0.2.10 50040 typ host\r\n"
    "a=candidate:3 1 TCP-PASS 174456319 203.0.113.5 56148 typ relay raddr 192.0.2.11 rport 50040\r\n"
    "a=x-candidate-ipv6:5 1 TCP-PASS 2120613631 2001:db8::10 50040 typ host\r\n"
    "a=x-candidate-ipv6:6 1 TCP-ACT 2121006847 2001:db8::11 50040 typ srflx raddr 2001:db8::12 rport 1\r\n"
    "a=candidate:7 1 SCTP 1 198.18.0.1 5 typ host\r\n"
    "a=candidate:8 1 UDP 1 198.18.0.2 5 typ srflx raddr 0.0.0.0 rport 0\r\n"
    "a=rtcp:50040\r\n";

Test(sdp_cand, list_all_dialects)
{
	struct cand c[SDP_MAX_CANDS];
	size_t n, el = 0;

	cr_assert_eq(sdp_parse(example_c_as, sizeof(example_c_as) - 1, &s), 0);
	cr_assert_eq(cand_list(&s, 0, c, SDP_MAX_CANDS, &n, &el), 0);
	cr_assert_eq(n, 9);
	cr_assert_eq(c[0].c_line, 8);
	cr_assert(!c[4].c_x_ipv6);
	cr_assert(c[5].c_x_ipv6);
	cr_assert(c[6].c_x_ipv6);
	cr_assert_eq(c[6].c_tcptype, CAND_TCP_ACTIVE);
	cr_assert(addr_is(&c[6].c_raddr, "2001:db8::12"));
	cr_assert_eq(c[7].c_transport, CAND_TR_OTHER);
	cr_assert_eq(cand_list(&s, 0, c, 3, &n, &el), SDP_E_CANDS);
	cr_assert_eq(cand_list(&s, 1, c, 3, &n, &el), SDP_E_ARG);
	cr_assert_eq(cand_list(&s, 0, NULL, 0, &n, &el), SDP_E_CANDS);
}

Test(sdp_cand, addresses_for_source_policy)
{
	struct sdp_addr a[SDP_MAX_ADDRS];
	size_t n;

	cr_assert_eq(sdp_parse(example_c_as, sizeof(example_c_as) - 1, &s), 0);
	cr_assert_eq(cand_addrs(&s, 0, a, SDP_MAX_ADDRS, &n), 0);
	/* First-seen order, no duplicates, no SCTP, no 0.0.0.0; session c= is a dup. */
	cr_assert_eq(n, 7, "got %zu", n);
	cr_assert(addr_is(&a[0], "192.0.2.10"));
	cr_assert(addr_is(&a[1], "203.0.113.5"));
	cr_assert(addr_is(&a[2], "192.0.2.11"));
	cr_assert(addr_is(&a[3], "2001:db8::10"));
	cr_assert(addr_is(&a[4], "2001:db8::11"));
	cr_assert(addr_is(&a[5], "2001:db8::12"));
	cr_assert(addr_is(&a[6], "198.18.0.2"));
	cr_assert_eq(cand_addrs(&s, 0, a, 6, &n), SDP_E_CANDS);
	cr_assert_eq(cand_addrs(&s, 1, a, 6, &n), SDP_E_ARG);
}

Test(sdp_cand, addresses_of_a_plain_rfc4145_peer_come_from_c)
{
	static const char t[] =
	    "v=0\nc=IN IP4 192.0.2.99\nm=applicationsharing 9 TCP/RTP/AVP 127\n"
	    "a=setup:active\nm=applicationsharing 9 TCP/RTP/AVP 127\nc=IN IP6 2001:db8::99\n";
	struct sdp_addr a[4];
	size_t n;

	cr_assert_eq(sdp_parse(t, sizeof(t) - 1, &s), 0);
	cr_assert_eq(cand_addrs(&s, 0, a, 4, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert(addr_is(&a[0], "192.0.2.99"));
	cr_assert_eq(cand_addrs(&s, 1, a, 4, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert(addr_is(&a[0], "2001:db8::99"));
}

Test(sdp_cand, remote_candidates)
{
	struct cand_remote r[CAND_MAX_REMOTE];
	size_t n;
	const char *v = "1 192.0.2.10 50040 2 2001:db8::1 50041";

	cr_assert_eq(cand_remote_parse(v, strlen(v), r, CAND_MAX_REMOTE, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(r[0].r_component, 1);
	cr_assert(addr_is(&r[0].r_addr, "192.0.2.10"));
	cr_assert_eq(r[0].r_port, 50040);
	cr_assert_eq(r[1].r_component, 2);
	cr_assert(addr_is(&r[1].r_addr, "2001:db8::1"));
	cr_assert_eq(cand_remote_parse(v, strlen(v), r, 1, &n), SDP_E_CANDS);
	cr_assert_eq(cand_remote_parse("", 0, r, 1, &n), SDP_E_REMOTE);
	cr_assert_eq(cand_remote_parse("1 192.0.2.1", 11, r, 1, &n), SDP_E_REMOTE);
	cr_assert_eq(cand_remote_parse("1 192.0.2.1 x", 13, r, 1, &n), SDP_E_REMOTE);
}

Test(sdp_cand, ntop)
{
	struct sdp_addr a = addr("2001:db8::20");
	char buf[64];

	cr_assert_str_eq(cand_addr_ntop(&a, buf, sizeof(buf)), "2001:db8::20");
	a = addr("198.51.100.20");
	cr_assert_str_eq(cand_addr_ntop(&a, buf, sizeof(buf)), "198.51.100.20");
	a.a_family = 0;
	cr_assert_null(cand_addr_ntop(&a, buf, sizeof(buf)));
}
