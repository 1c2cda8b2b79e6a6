/*
 * sdpw_rewrite: the golden suite under tests/data/sdp/<NN-name>/ plus a few
 * cases that are easier to say in code (buffer sizes, plan mismatches).
 *
 * A golden case is a directory with
 *   input.sdp        the SDP as received
 *   plan             key=value lines (format below); test-only
 *   expected.sdp     the rewritten SDP, byte for byte, or
 *   expected-error   "SDP_E_NAME [line=N]" for parse or rewrite errors
 *
 * plan format: '#' comments; keys before the first "[media]" are global
 * (outcap=N: output buffer size; refuse-other=yes|no: refuse the other m-lines,
 * default no); each "[media]" starts the plan of the next
 * m=applicationsharing section, with keys dialect=msice2|rfc6544|rfc4145,
 * role=passive|active, ip4=, ip6=, port=, ufrag=, pwd=, active-cand=0|1,
 * remote=<ip> <port>.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "sdp.h"

#define GOLDEN_DIR	APPSHARE_TEST_DATA "/sdp"
#define MAX_PLANS	8

struct golden_case {
	char	name[256];
};

struct golden_plan {
	struct sdpw_media_plan	 mp[MAX_PLANS];
	char			 ufrag[MAX_PLANS][300];
	char			 pwd[MAX_PLANS][300];
	size_t			 n;
	size_t			 outcap;
	uint8_t			 refuse_other;
};

static char *
read_all(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	long sz;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)sz + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	buf[sz] = '\0';
	*len = (size_t)sz;
	return buf;
}

static int
golden_cmp(const void *a, const void *b)
{
	return strcmp(((const struct golden_case *)a)->name,
	    ((const struct golden_case *)b)->name);
}

static void
free_cases(struct criterion_test_params *crp)
{
	cr_free(crp->params);
}

static void
plan_parse(const char *text, struct golden_plan *gp, const char *cname)
{
	char line[512];
	const char *p = text, *nl;
	struct sdpw_media_plan *mp = NULL;

	memset(gp, 0, sizeof(*gp));
	gp->outcap = 65536;
	while (*p != '\0') {
		char *eq, *key, *val;
		size_t len;

		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		cr_assert_lt(len, sizeof(line), "%s: plan line too long", cname);
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl != NULL);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strcmp(line, "[media]") == 0) {
			cr_assert_lt(gp->n, MAX_PLANS);
			mp = &gp->mp[gp->n++];
			continue;
		}
		eq = strchr(line, '=');
		cr_assert_not_null(eq, "%s: plan line without '=': %s", cname, line);
		*eq = '\0';
		key = line;
		val = eq + 1;
		if (strcmp(key, "outcap") == 0) {
			cr_assert_null(mp, "%s: outcap after [media]", cname);
			gp->outcap = (size_t)strtoul(val, NULL, 10);
			continue;
		}
		if (strcmp(key, "refuse-other") == 0) {
			cr_assert_null(mp, "%s: refuse-other after [media]", cname);
			cr_assert(strcmp(val, "yes") == 0 || strcmp(val, "no") == 0,
			    "%s: refuse-other=%s (yes or no)", cname, val);
			gp->refuse_other = strcmp(val, "yes") == 0;
			continue;
		}
		cr_assert_not_null(mp, "%s: key %s before [media]", cname, key);
		if (strcmp(key, "dialect") == 0) {
			if (strcmp(val, "msice2") == 0)
				mp->mp_dialect = SDPW_MSICE2;
			else if (strcmp(val, "rfc6544") == 0)
				mp->mp_dialect = SDPW_RFC6544;
			else if (strcmp(val, "rfc4145") == 0)
				mp->mp_dialect = SDPW_RFC4145;
			else
				mp->mp_dialect = 99;
		} else if (strcmp(key, "role") == 0) {
			mp->mp_role = strcmp(val, "active") == 0 ? SDPW_ACTIVE :
			    strcmp(val, "passive") == 0 ? SDPW_PASSIVE : 99;
		} else if (strcmp(key, "ip4") == 0) {
			cr_assert_eq(inet_pton(AF_INET, val, mp->mp_ip4), 1, "%s: ip4", cname);
			mp->mp_has_ip4 = 1;
		} else if (strcmp(key, "ip6") == 0) {
			cr_assert_eq(inet_pton(AF_INET6, val, mp->mp_ip6), 1, "%s: ip6", cname);
			mp->mp_has_ip6 = 1;
		} else if (strcmp(key, "port") == 0) {
			mp->mp_port = (uint16_t)strtoul(val, NULL, 10);
		} else if (strcmp(key, "ufrag") == 0) {
			snprintf(gp->ufrag[mp - gp->mp], sizeof(gp->ufrag[0]), "%s", val);
			mp->mp_ufrag = gp->ufrag[mp - gp->mp];
		} else if (strcmp(key, "pwd") == 0) {
			snprintf(gp->pwd[mp - gp->mp], sizeof(gp->pwd[0]), "%s", val);
			mp->mp_pwd = gp->pwd[mp - gp->mp];
		} else if (strcmp(key, "active-cand") == 0) {
			mp->mp_active_cand = (uint8_t)atoi(val);
		} else if (strcmp(key, "remote") == 0) {
			char ip[64];
			unsigned port;

			cr_assert_eq(sscanf(val, "%63s %u", ip, &port), 2, "%s: remote", cname);
			mp->mp_has_remote = 1;
			mp->mp_remote_port = (uint16_t)port;
			if (inet_pton(AF_INET, ip, mp->mp_remote.a_bytes) == 1)
				mp->mp_remote.a_family = AF_INET;
			else if (inet_pton(AF_INET6, ip, mp->mp_remote.a_bytes) == 1)
				mp->mp_remote.a_family = AF_INET6;
		} else {
			cr_assert_fail("%s: unknown plan key %s", cname, key);
		}
	}
}

/* Names the directory entries once, in the runner, for the parameterized test. */
ParameterizedTestParameters(sdp_golden, cases)
{
	struct golden_case *cs;
	DIR *d;
	struct dirent *e;
	size_t n = 0, cap = 64;

	cs = cr_calloc(cap, sizeof(*cs));
	if ((d = opendir(GOLDEN_DIR)) == NULL)
		return cr_make_param_array(struct golden_case, cs, 0, free_cases);
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/input.sdp", GOLDEN_DIR, e->d_name);
		if (stat(path, &st) != 0 || n == cap)
			continue;
		snprintf(cs[n].name, sizeof(cs[n].name), "%s", e->d_name);
		n++;
	}
	closedir(d);
	qsort(cs, n, sizeof(*cs), golden_cmp);
	return cr_make_param_array(struct golden_case, cs, n, free_cases);
}

static int
line_eq(const struct sdp_line *x, const struct sdp_line *y)
{
	return x->ln_text.s_len == y->ln_text.s_len &&
	    memcmp(x->ln_text.s_p, y->ln_text.s_p, x->ln_text.s_len) == 0;
}

/* A refused m-line: the input's, with the port token (and any /count) replaced by 0. */
static int
mline_refused(const struct sdp_media *a, const struct sdp_line *x,
    const struct sdp_media *b, const struct sdp_line *y)
{
	size_t pre = (size_t)(a->m_port_text.s_p - x->ln_text.s_p);
	size_t post = x->ln_text.s_len - pre - a->m_port_text.s_len;

	return b->m_port == 0 && y->ln_text.s_len == pre + 1 + post &&
	    memcmp(x->ln_text.s_p, y->ln_text.s_p, pre) == 0 &&
	    y->ln_text.s_p[pre] == '0' &&
	    memcmp(x->ln_text.s_p + pre + a->m_port_text.s_len,
	    y->ln_text.s_p + pre + 1, post) == 0;
}

/* Other sections byte-exact; when refusing, their m-lines differ only in the port. */
static void
check_sections_kept(const struct sdp *in, const struct sdp *out, int refuse,
    const char *cname)
{
	size_t i, j;

	cr_assert_eq(in->s_nmedia, out->s_nmedia, "%s: media count", cname);
	cr_assert_eq(in->s_nsession, out->s_nsession, "%s: session lines", cname);
	for (i = 0; i < in->s_nsession; i++)
		cr_assert(in->s_lines[i].ln_text.s_len == out->s_lines[i].ln_text.s_len &&
		    memcmp(in->s_lines[i].ln_text.s_p, out->s_lines[i].ln_text.s_p,
		    in->s_lines[i].ln_text.s_len) == 0, "%s: session line %zu", cname, i + 1);
	for (i = 0; i < in->s_nmedia; i++) {
		const struct sdp_media *a = &in->s_media[i], *b = &out->s_media[i];

		if (a->m_appshare)
			continue;
		cr_assert_eq(a->m_nlines, b->m_nlines, "%s: section %zu", cname, i);
		for (j = 0; j < a->m_nlines; j++) {
			const struct sdp_line *x = &in->s_lines[a->m_line + j];
			const struct sdp_line *y = &out->s_lines[b->m_line + j];

			if (j == 0 && refuse && a->m_port != 0) {
				cr_assert(mline_refused(a, x, b, y),
				    "%s: section %zu: m-line not refused as expected",
				    cname, i);
				continue;
			}
			cr_assert(line_eq(x, y), "%s: section %zu line %zu changed",
			    cname, i, j);
		}
	}
}

ParameterizedTest(struct golden_case *gc, sdp_golden, cases)
{
	static struct sdp in, out;
	struct golden_plan gp;
	struct sdpw_plan plan;
	char path[1024], *input, *ptext, *exp, *err, *buf;
	size_t ilen, plen, elen, wlen;
	int rc;

	snprintf(path, sizeof(path), "%s/%s/input.sdp", GOLDEN_DIR, gc->name);
	cr_assert_not_null(input = read_all(path, &ilen), "%s: no input.sdp", gc->name);
	snprintf(path, sizeof(path), "%s/%s/plan", GOLDEN_DIR, gc->name);
	ptext = read_all(path, &plen);
	plan_parse(ptext != NULL ? ptext : "", &gp, gc->name);
	snprintf(path, sizeof(path), "%s/%s/expected.sdp", GOLDEN_DIR, gc->name);
	exp = read_all(path, &elen);
	snprintf(path, sizeof(path), "%s/%s/expected-error", GOLDEN_DIR, gc->name);
	err = read_all(path, &plen);
	cr_assert((exp != NULL) != (err != NULL),
	    "%s: needs exactly one of expected.sdp and expected-error", gc->name);

	rc = sdp_parse(input, ilen, &in);
	if (rc == 0) {
		plan.p_media = gp.mp;
		plan.p_nmedia = gp.n;
		plan.p_refuse_other = gp.refuse_other;
		buf = malloc(gp.outcap > 0 ? gp.outcap : 1);
		cr_assert_not_null(buf);
		rc = sdpw_rewrite(&in, &plan, buf, gp.outcap, &wlen);
	} else
		buf = NULL;

	if (err != NULL) {
		char name[64];
		const char *lp;

		cr_assert_eq(sscanf(err, "%63s", name), 1, "%s: expected-error empty", gc->name);
		cr_assert_str_eq(sdp_errname(rc), name, "%s: got %s (%s, line %zu: %s)",
		    gc->name, sdp_errname(rc), sdp_strerror(rc), in.s_errline,
		    in.s_errwhy ? in.s_errwhy : "-");
		if ((lp = strstr(err, "line=")) != NULL)
			cr_assert_eq(in.s_errline, (size_t)strtoul(lp + 5, NULL, 10),
			    "%s: error line %zu", gc->name, in.s_errline);
		cr_assert_str_neq(sdp_strerror(rc), "unknown SDP error");
	} else {
		cr_assert_eq(rc, 0, "%s: %s (line %zu: %s)", gc->name, sdp_errname(rc),
		    in.s_errline, in.s_errwhy ? in.s_errwhy : "-");
		if (wlen != elen || memcmp(buf, exp, elen) != 0) {
			fprintf(stderr, "---- %s: got\n%.*s---- expected\n%.*s----\n",
			    gc->name, (int)wlen, buf, (int)elen, exp);
			cr_assert_fail("%s: output differs from expected.sdp", gc->name);
		}
		/* The output of a rewrite must parse, and keep other sections intact. */
		rc = sdp_parse(buf, wlen, &out);
		cr_assert_eq(rc, 0, "%s: output does not parse: %s line %zu", gc->name,
		    sdp_errname(rc), out.s_errline);
		check_sections_kept(&in, &out, gp.refuse_other, gc->name);
	}
	free(buf);
	free(input);
	free(ptext);
	free(exp);
	free(err);
}

Test(sdp_golden, at_least_28_cases)
{
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	cr_assert_not_null(d = opendir(GOLDEN_DIR));
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s/input.sdp", GOLDEN_DIR, e->d_name);
		if (e->d_name[0] != '.' && stat(path, &st) == 0)
			n++;
	}
	closedir(d);
	cr_assert_geq(n, 28, "only %zu golden cases", n);
}

/* ---- cases easier to state in code ---------------------------------------- */

static const char mini[] =
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "m=applicationsharing 5000 TCP/RTP/AVP 127\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "a=rtpmap:127 x-data/90000\r\n";

static void
mini_plan(struct sdpw_media_plan *mp)
{
	memset(mp, 0, sizeof(*mp));
	mp->mp_dialect = SDPW_MSICE2;
	mp->mp_role = SDPW_PASSIVE;
	mp->mp_has_ip4 = 1;
	mp->mp_ip4[0] = 198;
	mp->mp_ip4[1] = 51;
	mp->mp_ip4[2] = 100;
	mp->mp_ip4[3] = 20;
	mp->mp_port = 40000;
	mp->mp_ufrag = "Sb7Q";
	mp->mp_pwd = "h3Kd9wQ2LmX8pVt5Rz1NcB6y";
}

Test(sdp_rewrite, nospace_is_sticky_and_reports_size)
{
	static struct sdp s;
	struct sdpw_media_plan mp;
	struct sdpw_plan plan = { &mp, 1, 0 };
	char big[4096], small[4096];
	size_t n, need, cap;

	cr_assert_eq(sdp_parse(mini, sizeof(mini) - 1, &s), 0);
	mini_plan(&mp);
	cr_assert_eq(sdpw_rewrite(&s, &plan, big, sizeof(big), &n), 0);
	for (cap = 0; cap < n; cap++) {
		memset(small, 'Z', sizeof(small));
		cr_assert_eq(sdpw_rewrite(&s, &plan, small, cap, &need), SDP_E_NOSPACE);
		cr_assert_eq(need, n);
		cr_assert_eq(small[cap], 'Z', "wrote past the buffer at cap %zu", cap);
	}
	cr_assert_eq(sdpw_rewrite(&s, &plan, small, n, &need), 0);
	cr_assert_eq(need, n);
	cr_assert_eq(memcmp(small, big, n), 0);
	cr_assert_eq(sdpw_rewrite(&s, &plan, NULL, 0, &need), SDP_E_NOSPACE);
}

Test(sdp_rewrite, plan_count_must_match)
{
	static struct sdp s;
	struct sdpw_media_plan mp[2];
	struct sdpw_plan plan = { mp, 0, 0 };
	char out[4096];
	size_t n;

	cr_assert_eq(sdp_parse(mini, sizeof(mini) - 1, &s), 0);
	mini_plan(&mp[0]);
	mini_plan(&mp[1]);
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
	plan.p_nmedia = 2;
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
	plan.p_nmedia = 1;
	plan.p_media = NULL;
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
}

Test(sdp_rewrite, bad_plans)
{
	static struct sdp s;
	struct sdpw_media_plan mp;
	struct sdpw_plan plan = { &mp, 1, 0 };
	char out[4096];
	size_t n;

	cr_assert_eq(sdp_parse(mini, sizeof(mini) - 1, &s), 0);
	mini_plan(&mp);
	mp.mp_ufrag = "ab";			/* too short */
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
	mini_plan(&mp);
	mp.mp_pwd = "h3Kd9wQ2LmX8pVt5Rz1Nc\r\nB6y";	/* line injection */
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
	mini_plan(&mp);
	mp.mp_ufrag = NULL;
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
	mini_plan(&mp);
	mp.mp_port = 0;
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
	mini_plan(&mp);
	mp.mp_has_ip4 = 0;
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
	mini_plan(&mp);
	mp.mp_role = 0;
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
	mini_plan(&mp);
	mp.mp_dialect = 7;
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
	mini_plan(&mp);
	mp.mp_has_remote = 1;			/* no address family */
	mp.mp_remote_port = 1;
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
	mini_plan(&mp);
	mp.mp_dialect = SDPW_RFC4145;		/* no ICE, so no credentials needed */
	mp.mp_ufrag = NULL;
	mp.mp_pwd = NULL;
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), 0);
	mp.mp_has_remote = 1;			/* but no remote-candidates either */
	mp.mp_remote.a_family = AF_INET;
	mp.mp_remote_port = 1;
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), SDP_E_PLAN);
}

Test(sdp_rewrite, null_arguments)
{
	static struct sdp s;
	struct sdpw_media_plan mp;
	struct sdpw_plan plan = { &mp, 1, 0 };
	char out[64];
	size_t n;

	cr_assert_eq(sdp_parse(mini, sizeof(mini) - 1, &s), 0);
	mini_plan(&mp);
	cr_assert_eq(sdpw_rewrite(NULL, &plan, out, sizeof(out), &n), SDP_E_ARG);
	cr_assert_eq(sdpw_rewrite(&s, NULL, out, sizeof(out), &n), SDP_E_ARG);
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), NULL), SDP_E_ARG);
	cr_assert_eq(sdpw_rewrite(&s, &plan, NULL, 10, &n), SDP_E_ARG);
}

Test(sdp_rewrite, no_appshare_is_a_byte_exact_copy)
{
	static struct sdp s;
	static const char txt[] =
	    "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
	    "m=audio 4000 RTP/AVP 0\na=candidate:1 1 UDP 1 192.0.2.1 4000 typ host\n"
	    "a=ice-ufrag:abcd";
	struct sdpw_plan plan = { NULL, 0, 0 };
	char out[512];
	size_t n;

	cr_assert_eq(sdp_parse(txt, sizeof(txt) - 1, &s), 0);
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), 0);
	cr_assert_eq(n, sizeof(txt) - 1);
	cr_assert_eq(memcmp(out, txt, n), 0);
}

/* ---- refusing the other m-lines ------------------------------------------- */

Test(sdp_rewrite, refuse_other_without_appshare)
{
	static struct sdp s;
	/* Odd spacing, a port count and no final line ending: only the port changes. */
	static const char txt[] =
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	    "m=audio  4000/2 RTP/AVP 0 8\na=rtcp:4001\r\n"
	    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
	    "m=text 4100 RTP/AVP 98";
	static const char want[] =
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	    "m=audio  0 RTP/AVP 0 8\na=rtcp:4001\r\n"
	    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
	    "m=text 0 RTP/AVP 98";
	struct sdpw_plan plan = { NULL, 0, 1 };
	char out[512], again[512];
	size_t n, m;

	cr_assert_eq(sdp_parse(txt, sizeof(txt) - 1, &s), 0);
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), 0);
	cr_assert_eq(n, sizeof(want) - 1, "got %.*s", (int)n, out);
	cr_assert_eq(memcmp(out, want, n), 0, "got %.*s", (int)n, out);
	/* Refusing what is refused changes nothing. */
	cr_assert_eq(sdp_parse(out, n, &s), 0);
	cr_assert_eq(sdpw_rewrite(&s, &plan, again, sizeof(again), &m), 0);
	cr_assert_eq(m, n);
	cr_assert_eq(memcmp(again, out, n), 0);
}

Test(sdp_rewrite, refuse_other_off_is_byte_exact)
{
	static struct sdp s;
	static const char txt[] =
	    "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 4000/2 RTP/AVP 0\n";
	struct sdpw_plan plan = { NULL, 0, 0 };
	char out[256];
	size_t n;

	cr_assert_eq(sdp_parse(txt, sizeof(txt) - 1, &s), 0);
	cr_assert_eq(sdpw_rewrite(&s, &plan, out, sizeof(out), &n), 0);
	cr_assert_eq(n, sizeof(txt) - 1);
	cr_assert_eq(memcmp(out, txt, n), 0);
}

Test(sdp_rewrite, refuse_other_nospace_is_sticky)
{
	static struct sdp s;
	static const char txt[] =
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
	    "m=audio 4000 RTP/AVP 0\r\n"
	    "m=applicationsharing 5000 TCP/RTP/AVP 127\r\n"
	    "c=IN IP4 192.0.2.1\r\n"
	    "a=rtpmap:127 x-data/90000\r\n"
	    "m=video 4002 RTP/AVP 96";
	struct sdpw_media_plan mp;
	struct sdpw_plan plan = { &mp, 1, 1 };
	char big[4096], small[4096];
	size_t n, need, cap;

	cr_assert_eq(sdp_parse(txt, sizeof(txt) - 1, &s), 0);
	mini_plan(&mp);
	cr_assert_eq(sdpw_rewrite(&s, &plan, big, sizeof(big), &n), 0);
	cr_assert_not_null(memmem(big, n, "m=audio 0 RTP/AVP 0\r\n", 21));
	cr_assert_not_null(memmem(big, n, "\r\nm=video 0 RTP/AVP 96", 22));
	cr_assert_not_null(memmem(big, n, "m=applicationsharing 40000 ", 27));
	for (cap = 0; cap < n; cap++) {
		memset(small, 'Z', sizeof(small));
		cr_assert_eq(sdpw_rewrite(&s, &plan, small, cap, &need), SDP_E_NOSPACE);
		cr_assert_eq(need, n);
		cr_assert_eq(small[cap], 'Z', "wrote past the buffer at cap %zu", cap);
	}
}
