/*
 * sdp_parse: lossless line split, typed view of v= o= c= m= a=, limits and
 * hostile input.  Golden rewrite cases live in test_sdp_rewrite.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "sdp.h"

static struct sdp	s;

static char *
load(const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long sz;

	snprintf(path, sizeof(path), "%s/%s", APPSHARE_TEST_DATA, rel);
	cr_assert_not_null(f = fopen(path, "rb"), "cannot open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	cr_assert_eq(fseek(f, 0, SEEK_SET), 0);
	cr_assert_not_null(buf = malloc((size_t)sz + 1));
	cr_assert_eq(fread(buf, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	buf[sz] = '\0';
	*len = (size_t)sz;
	return buf;
}

static int
span_is(struct sdp_str a, const char *lit)
{
	return a.s_len == strlen(lit) && memcmp(a.s_p, lit, a.s_len) == 0;
}

/* Concatenating every line with its own ending, plus the trailer, gives the input. */
static void
assert_lossless(const char *text, size_t len)
{
	const char *p = text;
	size_t i;

	for (i = 0; i < s.s_nlines; i++) {
		const struct sdp_line *ln = &s.s_lines[i];

		cr_assert_eq(ln->ln_text.s_p, p, "line %zu does not start where expected", i + 1);
		p += ln->ln_text.s_len;
		if (ln->ln_eol == 2)
			cr_assert(p[0] == '\r' && p[1] == '\n');
		else if (ln->ln_eol == 1)
			cr_assert(p[0] == '\n');
		p += ln->ln_eol;
	}
	if (s.s_trailer.s_len > 0)
		cr_assert_eq(s.s_trailer.s_p, p);
	p += s.s_trailer.s_len;
	cr_assert_eq(p, text + len);
}

Test(sdp_parse, example_c_typed_view)
{
	size_t len, first, count;
	char *t = load("sdp/01-example-c-msice2/input.sdp", &len);
	const struct sdp_media *m;
	const struct sdp_line *ln;

	cr_assert_eq(sdp_parse(t, len, &s), 0);
	assert_lossless(t, len);
	cr_assert_eq(s.s_eol, 2);
	cr_assert_eq(s.s_nlines, 47);
	cr_assert_eq(s.s_nsession, 6);
	cr_assert_eq(s.s_nmedia, 3);
	cr_assert(span_is(s.s_origin_addr, "192.0.2.10"));
	cr_assert(s.s_conn.c_present);
	cr_assert_eq(s.s_conn.c_addr.a_family, AF_INET);
	cr_assert_eq(s.s_conn.c_addr.a_bytes[3], 10);
	cr_assert_eq(sdp_appshare_count(&s), 1);
	cr_assert_eq(sdp_appshare_index(&s, 0), 2);
	cr_assert_eq(sdp_appshare_index(&s, 1), -1);

	m = &s.s_media[0];
	cr_assert(span_is(m->m_media, "audio"));
	cr_assert_eq(m->m_port, 27100);
	cr_assert(span_is(m->m_fmts, "117 104 9 0 8 101"));
	cr_assert(!m->m_appshare);
	cr_assert(!m->m_conn.c_present);

	m = &s.s_media[2];
	cr_assert(m->m_appshare);
	cr_assert_eq(m->m_port, 50040);
	cr_assert_eq(m->m_port_count, 0);
	cr_assert(span_is(m->m_proto, "TCP/RTP/SAVP"));
	cr_assert(span_is(m->m_fmts, "127"));
	cr_assert_eq(m->m_nlines, 21);
	sdp_section_lines(&s, 2, &first, &count);
	cr_assert_eq(first, m->m_line);
	cr_assert_eq(count, 21);
	sdp_section_lines(&s, -1, &first, &count);
	cr_assert_eq(first, 0);
	cr_assert_eq(count, 6);

	ln = &s.s_lines[m->m_line + 13];
	cr_assert_eq(ln->ln_type, 'a');
	cr_assert(span_is(ln->ln_name, "rtpmap"));
	cr_assert(span_is(ln->ln_value, "127 x-data/90000"));
	cr_assert(ln->ln_has_colon);
	free(t);
}

Test(sdp_parse, lf_and_missing_final_eol)
{
	static const char t[] = "v=0\ns=-\nm=audio 1 RTP/AVP 0\na=rtcp-mux";

	cr_assert_eq(sdp_parse(t, sizeof(t) - 1, &s), 0);
	assert_lossless(t, sizeof(t) - 1);
	cr_assert_eq(s.s_eol, 1);
	cr_assert_eq(s.s_nlines, 4);
	cr_assert_eq(s.s_lines[3].ln_eol, 0);
	cr_assert(span_is(s.s_lines[3].ln_name, "rtcp-mux"));
	cr_assert_eq(s.s_lines[3].ln_value.s_len, 0);
	cr_assert(!s.s_lines[3].ln_has_colon);
}

Test(sdp_parse, single_line_defaults_to_crlf)
{
	cr_assert_eq(sdp_parse("v=0", 3, &s), 0);
	cr_assert_eq(s.s_nlines, 1);
	cr_assert_eq(s.s_nmedia, 0);
	cr_assert_eq(s.s_nsession, 1);
	cr_assert_eq(s.s_eol, 2);
}

Test(sdp_parse, trailer_kept)
{
	static const char t[] = "v=0\r\ns=-\r\n\r\n\n\r\n";

	cr_assert_eq(sdp_parse(t, sizeof(t) - 1, &s), 0);
	cr_assert_eq(s.s_nlines, 2);
	cr_assert(span_is(s.s_trailer, "\r\n\n\r\n"));
	assert_lossless(t, sizeof(t) - 1);
}

Test(sdp_parse, conn_forms)
{
	static const char t[] =
	    "v=0\nc=IN IP6 2001:db8::1\n"
	    "m=video 5 RTP/AVP 96\nc=IN IP4 233.252.0.1/127/2\n"
	    "m=audio 6/2 RTP/AVP 0\nc=IN IP4 media.example.net\nc=IN IP4 192.0.2.7\n";

	cr_assert_eq(sdp_parse(t, sizeof(t) - 1, &s), 0);
	cr_assert(s.s_conn.c_ip6);
	cr_assert_eq(s.s_conn.c_addr.a_family, AF_INET6);
	cr_assert(span_is(s.s_media[0].m_conn.c_addr_text, "233.252.0.1"));
	cr_assert_eq(s.s_media[0].m_conn.c_addr.a_family, AF_INET);
	cr_assert_eq(s.s_media[1].m_port, 6);
	cr_assert_eq(s.s_media[1].m_port_count, 2);
	/* An FQDN is legal in c=; it has no binary address.  The first c= wins. */
	cr_assert(s.s_media[1].m_conn.c_present);
	cr_assert_eq(s.s_media[1].m_conn.c_addr.a_family, 0);
	cr_assert(span_is(s.s_media[1].m_conn.c_addr_text, "media.example.net"));
}

Test(sdp_parse, other_sections_candidates_not_checked)
{
	/* Audio may carry anything (even v6 candidates); appsharing may not. */
	static const char ok[] =
	    "v=0\nm=audio 5 RTP/AVP 0\na=candidate:garbage\n"
	    "m=applicationsharing 5 TCP/RTP/AVP 127\na=candidate:1 1 UDP 1 192.0.2.1 5 typ host\n";
	static const char bad[] =
	    "v=0\nm=audio 5 RTP/AVP 0\na=candidate:1 1 UDP 1 192.0.2.1 5 typ host\n"
	    "m=applicationsharing 5 TCP/RTP/AVP 127\na=candidate:garbage\n";

	cr_assert_eq(sdp_parse(ok, sizeof(ok) - 1, &s), 0);
	cr_assert_eq(sdp_parse(bad, sizeof(bad) - 1, &s), SDP_E_CAND);
	cr_assert_eq(s.s_errline, 5);
	cr_assert_not_null(s.s_errwhy);
}

Test(sdp_parse, attributes_before_m_are_session)
{
	static const char t[] = "v=0\na=ice-lite\na=group:BUNDLE 1\nm=audio 5 RTP/AVP 0\n";

	cr_assert_eq(sdp_parse(t, sizeof(t) - 1, &s), 0);
	cr_assert_eq(s.s_nsession, 3);
	cr_assert(span_is(s.s_lines[2].ln_value, "BUNDLE 1"));
}

struct bad_case {
	/* Inline, not a pointer: Criterion may run the test in a fresh PIE image. */
	char		 text[160];
	int		 rc;
	size_t		 line;
};

ParameterizedTestParameters(sdp_parse, rejects)
{
	static struct bad_case cases[] = {
		{ "", SDP_E_EMPTY, 0 },
		{ "\r\n", SDP_E_EMPTY, 0 },
		{ "v=1\r\n", SDP_E_VERSION, 1 },
		{ "v=0 \r\n", SDP_E_VERSION, 1 },
		{ "V=0\r\n", SDP_E_VERSION, 1 },
		{ "s=-\r\nv=0\r\n", SDP_E_VERSION, 1 },
		{ "v=0\r\nx\r\n", SDP_E_SYNTAX, 2 },
		{ "v=0\r\n=x\r\n", SDP_E_SYNTAX, 2 },
		{ "v=0\r\n s=x\r\n", SDP_E_SYNTAX, 2 },
		{ "v=0\r\n1=x\r\n", SDP_E_SYNTAX, 2 },
		{ "v=0\r\na=:x\r\n", SDP_E_SYNTAX, 2 },
		{ "v=0\r\n\r\ns=-\r\n", SDP_E_SYNTAX, 2 },
		{ "v=0\rs=-\r\n", SDP_E_SYNTAX, 1 },
		{ "v=0\r\ns=-\r", SDP_E_SYNTAX, 2 },
		{ "v=0\r\no=- 1 1 IN IP4\r\n", SDP_E_ORIGIN, 2 },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4 x\r\n", SDP_E_ORIGIN, 2 },
		{ "v=0\r\nc=IN IP4\r\n", SDP_E_CONN, 2 },
		{ "v=0\r\nc=XX IP4 1.2.3.4\r\n", SDP_E_CONN, 2 },
		{ "v=0\r\nc=IN IP5 1.2.3.4\r\n", SDP_E_CONN, 2 },
		{ "v=0\r\nc=IN IP6 1.2.3.4\r\n", SDP_E_CONN, 2 },
		{ "v=0\r\nc=IN IP4 1.2.3.4 5\r\n", SDP_E_CONN, 2 },
		{ "v=0\r\nc=IN IP4 a_b\r\n", SDP_E_CONN, 2 },
		{ "v=0\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.5\r\n", SDP_E_CONN, 3 },
		{ "v=0\r\nm=audio\r\n", SDP_E_MLINE, 2 },
		{ "v=0\r\nm=audio 5 RTP/AVP\r\n", SDP_E_MLINE, 2 },
		{ "v=0\r\nm=audio 5 RTP/AVP \r\n", SDP_E_MLINE, 2 },
		{ "v=0\r\nm=audio x RTP/AVP 0\r\n", SDP_E_PORT, 2 },
		{ "v=0\r\nm=audio -1 RTP/AVP 0\r\n", SDP_E_PORT, 2 },
		{ "v=0\r\nm=audio 65536 RTP/AVP 0\r\n", SDP_E_PORT, 2 },
		{ "v=0\r\nm=audio 99999999999 RTP/AVP 0\r\n", SDP_E_PORT, 2 },
		{ "v=0\r\nm=audio 5/0 RTP/AVP 0\r\n", SDP_E_PORT, 2 },
		{ "v=0\r\nm=audio 5/ RTP/AVP 0\r\n", SDP_E_PORT, 2 },
		{ "v=0\r\nm=audio /2 RTP/AVP 0\r\n", SDP_E_PORT, 2 },
		{ "v=0\r\nm=audio 5 RTP/AVP 0\r\nc=IN IP4 ::1\r\n", SDP_E_CONN, 3 },
		{ "v=0\r\nm=applicationsharing 5 TCP/RTP/AVP 127\r\n"
		  "a=candidate:1 1 TCP-PASS 1 192.0.2.1 5 typ bogus\r\n", SDP_E_CAND, 3 },
		{ "v=0\r\nm=applicationsharing 5 TCP/RTP/AVP 127\r\n"
		  "a=x-candidate-ipv6:1 1 TCP-PASS 1 2001:db8::1 5\r\n", SDP_E_CAND, 3 },
		{ "v=0\r\nm=applicationsharing 5 TCP/RTP/AVP 127\r\n"
		  "a=candidate:dXNlcg 1 cGFzcw UDP 0.9 192.0.2.1 5\r\n", SDP_E_CAND_V6, 3 },
		{ "v=0\r\nm=applicationsharing 5 TCP/RTP/AVP 127\r\n"
		  "a=remote-candidate:dXNlcg\r\n", SDP_E_CAND_V6, 3 },
		{ "v=0\r\nm=applicationsharing 5 TCP/RTP/AVP 127\r\n"
		  "a=remote-candidates:0 192.0.2.1 5\r\n", SDP_E_REMOTE, 3 },
		{ "v=0\r\nm=applicationsharing 5 TCP/RTP/AVP 127\r\n"
		  "a=remote-candidates:1 host.example 5\r\n", SDP_E_REMOTE, 3 },
	};

	return cr_make_param_array(struct bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, sdp_parse, rejects)
{
	int rc = sdp_parse(c->text, strlen(c->text), &s);

	cr_assert_eq(rc, c->rc, "%s: got %s, want %s", c->text, sdp_errname(rc),
	    sdp_errname(c->rc));
	cr_assert_eq(s.s_errline, c->line, "%s: line %zu, want %zu", c->text, s.s_errline,
	    c->line);
	cr_assert_not_null(s.s_errwhy);
}

Test(sdp_parse, nul_byte_reports_line)
{
	static const char t[] = "v=0\r\ns=-\r\na=x\0y\r\n";

	cr_assert_eq(sdp_parse(t, sizeof(t) - 1, &s), SDP_E_NUL);
	cr_assert_eq(s.s_errline, 3);
}

Test(sdp_parse, limits_are_errors)
{
	static char big[SDP_MAX_TEXT + 2];
	size_t i, n;

	/* Too many lines. */
	n = (size_t)snprintf(big, sizeof(big), "v=0\n");
	for (i = 1; i < SDP_MAX_LINES; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "a=x\n");
	cr_assert_eq(sdp_parse(big, n, &s), 0);
	cr_assert_eq(s.s_nlines, SDP_MAX_LINES);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "a=x\n");
	cr_assert_eq(sdp_parse(big, n, &s), SDP_E_LINES);
	cr_assert_eq(s.s_errline, SDP_MAX_LINES + 1);

	/* A line at and over the limit. */
	memcpy(big, "v=0\na=", 6);
	memset(big + 6, 'x', SDP_MAX_LINE_LEN - 2);
	cr_assert_eq(sdp_parse(big, 6 + SDP_MAX_LINE_LEN - 2, &s), 0);
	big[6 + SDP_MAX_LINE_LEN - 2] = 'x';
	cr_assert_eq(sdp_parse(big, 6 + SDP_MAX_LINE_LEN - 1, &s), SDP_E_LINE_LONG);
	cr_assert_eq(s.s_errline, 2);

	/* Too many m= sections. */
	n = (size_t)snprintf(big, sizeof(big), "v=0\n");
	for (i = 0; i < SDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "m=audio %zu RTP/AVP 0\n", i);
	cr_assert_eq(sdp_parse(big, n, &s), 0);
	cr_assert_eq(s.s_nmedia, SDP_MAX_MEDIA);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "m=audio 1 RTP/AVP 0\n");
	cr_assert_eq(sdp_parse(big, n, &s), SDP_E_MEDIA_COUNT);

	/* Too big, before anything else is looked at. */
	memset(big, 'x', sizeof(big));
	cr_assert_eq(sdp_parse(big, SDP_MAX_TEXT + 1, &s), SDP_E_TOOBIG);
}

Test(sdp_parse, null_arguments)
{
	cr_assert_eq(sdp_parse(NULL, 3, &s), SDP_E_ARG);
	cr_assert_eq(sdp_parse("v=0", 3, NULL), SDP_E_ARG);
}

Test(sdp_parse, every_code_has_a_name_and_message)
{
	int rc;

	for (rc = 0; rc >= SDP_E_MIN; rc--) {
		cr_assert_str_neq(sdp_errname(rc), "SDP_E_?", "code %d", rc);
		cr_assert_str_neq(sdp_strerror(rc), "unknown SDP error", "code %d", rc);
	}
	cr_assert_str_eq(sdp_errname(SDP_E_MIN - 1), "SDP_E_?");
	cr_assert_str_eq(sdp_strerror(SDP_E_CAND_V6),
	    "MS-ICE v6 (OCS 2007) candidates are not supported; offer ICE v19 (MS-ICE2)");
}

Test(sdp_parse, str_eq_is_case_insensitive)
{
	struct sdp_str a = { "TCP-Pass", 8 };

	cr_assert(sdp_str_eq(a, "tcp-pass"));
	cr_assert(!sdp_str_eq(a, "tcp-pas"));
	cr_assert(!sdp_str_eq(a, "tcp-passs"));
}
