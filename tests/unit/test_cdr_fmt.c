/*
 * cdr_fmt.c: golden lines, header, quoting of hostile text, bounded output, UTC time
 * conversion, tokens.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdr_fmt.h"
#include "test_util.h"

/* ---- a strict RFC 4180 reader for one line, used to judge the formatter ------------ */

#define MAXF	64

struct csv {
	int	n;
	char	f[MAXF][1024];
	int	quoted[MAXF];
};

/*
 * Parse one record ending in exactly one CRLF at the very end.  Returns 0, or -1 on a
 * bare CR/LF, a non-printable byte, a stray quote, or anything after a closing quote.
 */
static int
csv_parse(const char *line, size_t len, struct csv *c)
{
	size_t i = 0, o;

	if (len < 2 || line[len - 2] != '\r' || line[len - 1] != '\n')
		return -1;
	len -= 2;
	for (size_t k = 0; k < len; k++)
		if ((unsigned char)line[k] < 0x20 || (unsigned char)line[k] >= 0x7f)
			return -1;
	c->n = 0;
	for (;;) {
		if (c->n == MAXF)
			return -1;
		o = 0;
		c->quoted[c->n] = 0;
		if (i < len && line[i] == '"') {
			c->quoted[c->n] = 1;
			for (i++;; i++) {
				if (i >= len)
					return -1;	/* unterminated */
				if (line[i] == '"') {
					if (i + 1 < len && line[i + 1] == '"') {
						c->f[c->n][o++] = '"';
						i++;
						continue;
					}
					i++;
					break;
				}
				c->f[c->n][o++] = line[i];
			}
			if (i < len && line[i] != ',')
				return -1;
		} else {
			while (i < len && line[i] != ',') {
				if (line[i] == '"')
					return -1;
				c->f[c->n][o++] = line[i++];
			}
		}
		c->f[c->n][o] = '\0';
		c->n++;
		if (i >= len)
			return 0;
		i++;	/* the comma */
	}
}

/* ---- records ------------------------------------------------------------------------ */

static void
ep4(struct shm_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->sa_family = SHM_AF_INET;
	a->sa_port = port;
	cr_assert_eq(inet_pton(AF_INET, ip, a->sa_addr), 1);
}

static void
ep6(struct shm_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->sa_family = SHM_AF_INET6;
	a->sa_port = port;
	cr_assert_eq(inet_pton(AF_INET6, ip, a->sa_addr), 1);
}

static void
leg_counts(struct cdr_leg *l, uint64_t fi, uint64_t fo, uint64_t oi, uint64_t oo,
    uint64_t si, uint64_t so)
{
	l->cl_frames[SHM_DIR_IN] = fi;
	l->cl_frames[SHM_DIR_OUT] = fo;
	l->cl_octets[SHM_DIR_IN] = oi;
	l->cl_octets[SHM_DIR_OUT] = oo;
	l->cl_stun[SHM_DIR_IN] = si;
	l->cl_stun[SHM_DIR_OUT] = so;
}

static void
rec_v4(struct cdr_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->cr_boot_id = 0x5eed0000cafe0001ull;
	r->cr_worker = 2;
	r->cr_epoch = 1;
	r->cr_gen = (1ull << 32) | 42;
	strcpy(r->cr_sessid, "7.42");
	strcpy(r->cr_callid, "a84b4c76e66710@pc33.example.com");
	strcpy(r->cr_from_tag, "1928301774");
	strcpy(r->cr_to_tag, "a6c85cf");
	r->cr_t_start_ms = 1795527889123ull;	/* 2026-11-24T13:44:49.123Z */
	r->cr_t_ice_ms = r->cr_t_start_ms + 1877;
	r->cr_t_end_ms = r->cr_t_start_ms + 754321;
	r->cr_reason = CDR_R_DELETED;
	r->cr_media = CDR_MEDIA_APPSHARING;
	r->cr_proto = CDR_PROTO_TCP_RTP_AVP;
	r->cr_leg[SHM_LEG_A].cl_dialect = CDR_DIALECT_MS_ICE2;
	r->cr_leg[SHM_LEG_A].cl_role = CDR_ROLE_PASSIVE;
	r->cr_leg[SHM_LEG_B].cl_dialect = CDR_DIALECT_RFC6544;
	r->cr_leg[SHM_LEG_B].cl_role = CDR_ROLE_ACTIVE;
	ep4(&r->cr_leg[SHM_LEG_A].cl_local, "192.0.2.10", 50000);
	ep4(&r->cr_leg[SHM_LEG_A].cl_remote, "198.51.100.7", 53211);
	ep4(&r->cr_leg[SHM_LEG_B].cl_local, "192.0.2.10", 50002);
	ep4(&r->cr_leg[SHM_LEG_B].cl_remote, "203.0.113.9", 61000);
	leg_counts(&r->cr_leg[SHM_LEG_A], 15230, 14877, 18342211, 1210044, 12, 11);
	leg_counts(&r->cr_leg[SHM_LEG_B], 14877, 15230, 1209656, 18341823, 9, 10);
}

static const char golden_v4[] =
    "STOP,5eed0000cafe0001,2,1,000000010000002a,\"7.42\","
    "\"a84b4c76e66710@pc33.example.com\",\"1928301774\",\"a6c85cf\","
    "2026-11-24T13:44:49.123Z,2026-11-24T13:44:51.000Z,2026-11-24T13:57:23.444Z,"
    "754321,deleted,,,applicationsharing,TCP/RTP/AVP,ms-ice2,passive,rfc6544,active,"
    "\"1:applicationsharing:TCP/LYNC/APPSHARE:192.0.2.10:50000:198.51.100.7:53211;"
    "2:applicationsharing:TCP/LYNC/APPSHARE:192.0.2.10:50002:203.0.113.9:61000\","
    "\"15230,14877,18342211,1210044,12,11;14877,15230,1209656,18341823,9,10\"\r\n";

static void
rec_v6(struct cdr_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->cr_boot_id = 0x5eed0000cafe0001ull;
	r->cr_worker = 0;
	r->cr_epoch = 3;
	r->cr_gen = (3ull << 32) | 7;
	strcpy(r->cr_sessid, "as-v6");
	strcpy(r->cr_callid, "3848276298220188511@atlanta.example.com");
	strcpy(r->cr_from_tag, "9fxced76sl");
	strcpy(r->cr_to_tag, "314159");
	r->cr_t_start_ms = 2147483648000ull;	/* 2038-01-19T03:14:08Z */
	r->cr_t_ice_ms = 0;
	r->cr_t_end_ms = r->cr_t_start_ms + 120000;
	r->cr_reason = CDR_R_WORKER_LOST;
	r->cr_closed_by = CDR_CLOSED_NONE;
	r->cr_flags = CDR_F_PARTIAL;
	r->cr_media = CDR_MEDIA_APPSHARING;
	r->cr_proto = CDR_PROTO_TCP_RTP_SAVP;
	r->cr_leg[SHM_LEG_A].cl_dialect = CDR_DIALECT_MS_ICE2;
	r->cr_leg[SHM_LEG_A].cl_role = CDR_ROLE_PASSIVE;
	ep6(&r->cr_leg[SHM_LEG_A].cl_local, "2001:db8::10", 40000);
	ep6(&r->cr_leg[SHM_LEG_A].cl_remote, "2001:db8:0:1:0:0:0:7", 52000);
	ep6(&r->cr_leg[SHM_LEG_B].cl_local, "2001:db8::10", 40002);
	leg_counts(&r->cr_leg[SHM_LEG_A], 0, 0, 1500, 1200, 8, 7);
}

static const char golden_v6[] =
    "STOP,5eed0000cafe0001,0,3,0000000300000007,\"as-v6\","
    "\"3848276298220188511@atlanta.example.com\",\"9fxced76sl\",\"314159\","
    "2038-01-19T03:14:08.000Z,,2038-01-19T03:16:08.000Z,120000,worker-lost,,partial,"
    "applicationsharing,TCP/RTP/SAVP,ms-ice2,passive,,,"
    "\"1:applicationsharing:TCP/LYNC/APPSHARE:[2001:db8::10]:40000:[2001:db8:0:1::7]:52000;"
    "2:applicationsharing:TCP/LYNC/APPSHARE:[2001:db8::10]:40002::\","
    "\"0,0,1500,1200,8,7;0,0,0,0,0,0\"\r\n";

static const char golden_header[] =
    "appshare-cdr-1,Boot ID,Worker,Epoch,Gen,Session ID,Call-ID,From Tag,To Tag,"
    "Start Time,ICE Completed Time,End Time,Duration ms,Termination Reason,Closing Leg,"
    "Flags,Media Type,Media Protocol,Leg A Dialect,Leg A TCP Role,Leg B Dialect,"
    "Leg B TCP Role,Media Stream Data,Media Stream Stats\r\n";

static void
format_ok(const struct cdr_rec *r, char *buf, size_t len, size_t *n)
{
	cr_assert_eq(cdr_format(r, buf, len, n), CDR_OK);
	cr_assert_eq(strlen(buf), *n);
}

/* ---- golden lines ----------------------------------------------------------------- */

Test(cdr_fmt, golden_v4)
{
	struct cdr_rec r;
	struct csv c;
	char buf[CDR_LINE_MAX];
	size_t n;

	rec_v4(&r);
	format_ok(&r, buf, sizeof(buf), &n);
	cr_assert_str_eq(buf, golden_v4);
	cr_assert_eq(csv_parse(buf, n, &c), 0);
	cr_assert_eq(c.n, CDR_NFIELDS);
	cr_assert_str_eq(c.f[CDR_FIELD_STREAM_DATA - 1],
	    "1:applicationsharing:TCP/LYNC/APPSHARE:192.0.2.10:50000:198.51.100.7:53211;"
	    "2:applicationsharing:TCP/LYNC/APPSHARE:192.0.2.10:50002:203.0.113.9:61000");
	cr_assert_str_eq(c.f[CDR_FIELD_STREAM_STATS - 1],
	    "15230,14877,18342211,1210044,12,11;14877,15230,1209656,18341823,9,10");
}

Test(cdr_fmt, golden_v6)
{
	struct cdr_rec r;
	struct csv c;
	char buf[CDR_LINE_MAX];
	size_t n;

	rec_v6(&r);
	format_ok(&r, buf, sizeof(buf), &n);
	cr_assert_str_eq(buf, golden_v6);
	cr_assert_eq(csv_parse(buf, n, &c), 0);
	cr_assert_eq(c.n, CDR_NFIELDS);
}

Test(cdr_fmt, header)
{
	char buf[1024];
	struct csv c;
	size_t n;

	cr_assert_eq(cdr_header(buf, sizeof(buf), &n), CDR_OK);
	cr_assert_str_eq(buf, golden_header);
	cr_assert_eq(csv_parse(buf, n, &c), 0);
	cr_assert_eq(c.n, CDR_NFIELDS);
	cr_assert_str_eq(c.f[0], CDR_SCHEMA_TAG);
	cr_assert_str_eq(c.f[CDR_FIELD_STREAM_DATA - 1], "Media Stream Data");
	cr_assert_str_eq(c.f[CDR_FIELD_STREAM_STATS - 1], "Media Stream Stats");
	/* Machine detection: the first bytes of a file name the schema and version. */
	cr_assert_eq(strncmp(buf, "appshare-cdr-", 13), 0);
	cr_assert_eq(atoi(buf + 13), CDR_SCHEMA_VERSION);
}

/* ---- transport tokens (D17) ------------------------------------------------------------ */

Test(cdr_fmt, transport_tokens)
{
	cr_assert_str_eq(cdr_transport_token(CDR_MEDIA_APPSHARING, CDR_PROTO_TCP_RTP_AVP),
	    "TCP/LYNC/APPSHARE");
	cr_assert_str_eq(cdr_transport_token(CDR_MEDIA_APPSHARING, CDR_PROTO_TCP_RTP_SAVP),
	    "TCP/LYNC/APPSHARE");
	cr_assert_str_eq(cdr_transport_token(CDR_MEDIA_AUDIO, CDR_PROTO_RTP_AVP), "RTP/UDP");
	cr_assert_str_eq(cdr_transport_token(CDR_MEDIA_VIDEO, CDR_PROTO_RTP_SAVP), "SRTP/UDP");
	cr_assert_str_eq(cdr_transport_token(CDR_MEDIA_AUDIO, CDR_PROTO_TCP_RTP_AVP), "RTP/TCP");
	cr_assert_str_eq(cdr_transport_token(CDR_MEDIA_VIDEO, CDR_PROTO_TCP_RTP_SAVP),
	    "SRTP/TCP");
	cr_assert_null(cdr_transport_token(CDR_MEDIA_MAX, CDR_PROTO_TCP_RTP_AVP));
	cr_assert_null(cdr_transport_token(CDR_MEDIA_APPSHARING, CDR_PROTO_MAX));
}

Test(cdr_fmt, savp_line_says_lync_appshare)
{
	struct cdr_rec r;
	struct csv c;
	char buf[CDR_LINE_MAX];
	size_t n;

	rec_v4(&r);
	r.cr_proto = CDR_PROTO_TCP_RTP_SAVP;
	format_ok(&r, buf, sizeof(buf), &n);
	cr_assert_eq(csv_parse(buf, n, &c), 0);
	cr_assert_str_eq(c.f[17], "TCP/RTP/SAVP");
	cr_assert_eq(strncmp(c.f[CDR_FIELD_STREAM_DATA - 1],
	    "1:applicationsharing:TCP/LYNC/APPSHARE:", 39), 0);
}

/* ---- termination reasons and other tokens ------------------------------------------- */

Test(cdr_fmt, every_reason_has_a_unique_token)
{
	unsigned i, j;

	for (i = 0; i < CDR_R_MAX; i++) {
		const char *t = cdr_reason_token(i);

		cr_assert_not_null(t, "reason %u", i);
		cr_assert_gt(strlen(t), 0);
		for (const char *p = t; *p; p++)
			cr_assert((*p >= 'a' && *p <= 'z') || *p == '-', "token %s", t);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(t, cdr_reason_token(j));
	}
	cr_assert_null(cdr_reason_token(CDR_R_MAX));
	cr_assert_str_eq(cdr_reason_token(CDR_R_WORKER_LOST), "worker-lost");
	cr_assert_str_eq(cdr_reason_token(CDR_R_ICE_TIMEOUT), "ice-timeout");
	cr_assert_null(cdr_media_token(CDR_MEDIA_MAX));
	cr_assert_null(cdr_proto_token(CDR_PROTO_MAX));
	cr_assert_null(cdr_dialect_token(CDR_DIALECT_MAX));
	cr_assert_null(cdr_role_token(CDR_ROLE_MAX));
	cr_assert_str_eq(cdr_dialect_token(CDR_DIALECT_RFC4145), "rfc4145");
}

Test(cdr_fmt, out_of_range_values_print_unknown)
{
	struct cdr_rec r;
	struct csv c;
	char buf[CDR_LINE_MAX];
	size_t n;

	rec_v4(&r);
	r.cr_reason = 0xffff;
	r.cr_media = 200;
	r.cr_proto = 201;
	r.cr_closed_by = 9;
	r.cr_flags = 0xfffffff0u;	/* unknown bits only: empty */
	r.cr_leg[0].cl_dialect = 77;
	r.cr_leg[1].cl_role = 78;
	r.cr_leg[1].cl_local.sa_family = 5;	/* unknown family: empty endpoint */
	format_ok(&r, buf, sizeof(buf), &n);
	cr_assert_eq(csv_parse(buf, n, &c), 0);
	cr_assert_eq(c.n, CDR_NFIELDS);
	cr_assert_str_eq(c.f[13], "unknown");
	cr_assert_str_eq(c.f[14], "unknown");
	cr_assert_str_eq(c.f[15], "");
	cr_assert_str_eq(c.f[16], "unknown");
	cr_assert_str_eq(c.f[17], "unknown");
	cr_assert_str_eq(c.f[18], "unknown");
	cr_assert_str_eq(c.f[21], "unknown");
	cr_assert_str_eq(c.f[CDR_FIELD_STREAM_DATA - 1],
	    "1:unknown:unknown:192.0.2.10:50000:198.51.100.7:53211;"
	    "2:unknown:unknown:::203.0.113.9:61000");
}

Test(cdr_fmt, flags_and_durations)
{
	struct cdr_rec r;
	struct csv c;
	char buf[CDR_LINE_MAX];
	size_t n;

	rec_v4(&r);
	r.cr_flags = CDR_F_PARTIAL | CDR_F_TRUNCATED;
	r.cr_t_end_ms = r.cr_t_start_ms - 1;	/* clock stepped back: no duration */
	format_ok(&r, buf, sizeof(buf), &n);
	cr_assert_eq(csv_parse(buf, n, &c), 0);
	cr_assert_str_eq(c.f[15], "partial|truncated");
	cr_assert_str_eq(c.f[12], "");
	r.cr_t_start_ms = 0;
	r.cr_t_end_ms = 5;
	format_ok(&r, buf, sizeof(buf), &n);
	cr_assert_eq(csv_parse(buf, n, &c), 0);
	cr_assert_str_eq(c.f[9], "");
	cr_assert_str_eq(c.f[11], "1970-01-01T00:00:00.005Z");
	cr_assert_str_eq(c.f[12], "");
}

/* ---- hostile text -------------------------------------------------------------------- */

Test(cdr_fmt, hostile_strings_stay_one_line)
{
	struct cdr_rec r;
	struct csv c;
	char buf[CDR_LINE_MAX];
	size_t n;

	rec_v4(&r);
	strcpy(r.cr_callid, "a,b\"c\r\nd\x01\x7f\xc3\xa9%41 e;f:g");
	strcpy(r.cr_from_tag, "\"");
	strcpy(r.cr_to_tag, ",,,\n");
	strcpy(r.cr_sessid, "\"\"\"\"");
	format_ok(&r, buf, sizeof(buf), &n);
	cr_assert_eq(csv_parse(buf, n, &c), 0, "line: %s", buf);
	cr_assert_eq(c.n, CDR_NFIELDS);
	cr_assert(c.quoted[6]);
	cr_assert_str_eq(c.f[6], "a,b\"c%0D%0Ad%01%7F%C3%A9%41 e;f:g");
	cr_assert_str_eq(c.f[7], "\"");
	cr_assert_str_eq(c.f[8], ",,,%0A");
	cr_assert_str_eq(c.f[5], "\"\"\"\"");
	cr_assert_not_null(strstr(buf, "\"a,b\"\"c%0D%0Ad"));
	/* Nothing but the final CRLF breaks the line. */
	cr_assert_eq(strchr(buf, '\n'), buf + n - 1);
	cr_assert_eq(strchr(buf, '\r'), buf + n - 2);
}

/* Text that fills its whole field has no NUL: the formatter must stop at the field end. */
Test(cdr_fmt, full_fields_without_nul)
{
	struct cdr_rec r;
	struct csv c;
	char buf[CDR_LINE_MAX];
	size_t n;

	rec_v4(&r);
	memset(r.cr_callid, 'x', sizeof(r.cr_callid));
	memset(r.cr_from_tag, 'y', sizeof(r.cr_from_tag));
	memset(r.cr_to_tag, 'z', sizeof(r.cr_to_tag));
	memset(r.cr_sessid, 's', sizeof(r.cr_sessid));
	format_ok(&r, buf, sizeof(buf), &n);
	cr_assert_eq(csv_parse(buf, n, &c), 0);
	cr_assert_eq(strlen(c.f[6]), SHM_CALLID_LEN);
	cr_assert_eq(strlen(c.f[7]), SHM_TAG_LEN);
	cr_assert_eq(strlen(c.f[8]), SHM_TAG_LEN);
	cr_assert_eq(strlen(c.f[5]), SHM_SESSID_LEN);
	cr_assert_eq(c.f[8][0], 'z');
}

/* The longest possible line fits CDR_LINE_MAX. */
Test(cdr_fmt, worst_case_fits_line_max)
{
	struct cdr_rec r;
	struct csv c;
	static char buf[CDR_LINE_MAX];
	size_t n;
	int l;

	memset(&r, 0xff, sizeof(r));
	memset(r.cr_callid, 0x01, sizeof(r.cr_callid));
	memset(r.cr_from_tag, 0x01, sizeof(r.cr_from_tag));
	memset(r.cr_to_tag, 0x01, sizeof(r.cr_to_tag));
	memset(r.cr_sessid, 0x01, sizeof(r.cr_sessid));
	r.cr_flags = CDR_F_ALL;
	r.cr_t_start_ms = 1;
	r.cr_media = CDR_MEDIA_APPSHARING;
	r.cr_proto = CDR_PROTO_TCP_RTP_SAVP;
	for (l = 0; l < SHM_NLEGS; l++) {
		r.cr_leg[l].cl_local.sa_family = SHM_AF_INET6;
		r.cr_leg[l].cl_remote.sa_family = SHM_AF_INET6;
		r.cr_leg[l].cl_dialect = CDR_DIALECT_RFC6544;
		r.cr_leg[l].cl_role = CDR_ROLE_PASSIVE;
	}
	r.cr_reason = CDR_R_CONNECT_FAILED;
	format_ok(&r, buf, sizeof(buf), &n);
	cr_assert_eq(csv_parse(buf, n, &c), 0);
	cr_assert_eq(c.n, CDR_NFIELDS);
	cr_log_info("worst-case line: %zu bytes", n);
}

/* ---- bounded output ------------------------------------------------------------------ */

static void
every_size(const struct cdr_rec *r, int header)
{
	char want[CDR_LINE_MAX], *buf;
	size_t need, n, len, i;

	if (header)
		cr_assert_eq(cdr_header(want, sizeof(want), &need), CDR_OK);
	else
		cr_assert_eq(cdr_format(r, want, sizeof(want), &need), CDR_OK);
	for (len = 0; len <= need + 1; len++) {
		/* Exact-size heap buffer plus a canary region ASan and we both watch. */
		buf = malloc(len + 16);
		memset(buf, 0xa5, len + 16);
		n = 12345;
		int rc = header ? cdr_header(buf, len, &n) : cdr_format(r, buf, len, &n);
		for (i = len; i < len + 16; i++)
			cr_assert_eq((unsigned char)buf[i], 0xa5, "len %zu: wrote at %zu", len, i);
		if (len <= need) {
			cr_assert_eq(rc, CDR_E_SPACE, "len %zu", len);
			cr_assert_eq(n, 12345, "written set on failure");
			if (len > 0)
				cr_assert_eq(buf[0], '\0');
		} else {
			cr_assert_eq(rc, CDR_OK);
			cr_assert_eq(n, need);
			cr_assert_str_eq(buf, want);
		}
		free(buf);
	}
	cr_assert_eq(header ? cdr_header(NULL, 0, &n) : cdr_format(r, NULL, 0, &n),
	    CDR_E_SPACE);
}

Test(cdr_fmt, buffer_too_small_at_every_size)
{
	struct cdr_rec r;

	rec_v4(&r);
	every_size(&r, 0);
	rec_v6(&r);
	every_size(&r, 0);
	every_size(NULL, 1);
}

Test(cdr_fmt, time_format_bounded)
{
	char buf[CDR_TIME_LEN];
	size_t n;

	cr_assert_eq(cdr_time_format(1795527889123ull, buf, sizeof(buf), &n), CDR_OK);
	cr_assert_eq(n, CDR_TIME_LEN - 1);
	cr_assert_str_eq(buf, "2026-11-24T13:44:49.123Z");
	cr_assert_eq(cdr_time_format(0, buf, CDR_TIME_LEN - 1, &n), CDR_E_SPACE);
	cr_assert_eq(buf[0], '\0');
	cr_assert_eq(cdr_time_format(0, buf, 0, &n), CDR_E_SPACE);
}

/* ---- time ------------------------------------------------------------------------------ */

struct tcase {
	uint64_t	ms;
	const char	*text;
};

static const struct tcase times[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ 999, "1970-01-01T00:00:00.999Z" },
	{ 86399999, "1970-01-01T23:59:59.999Z" },
	{ 946684799000ull, "1999-12-31T23:59:59.000Z" },
	{ 951782400000ull, "2000-02-29T00:00:00.000Z" },
	{ 951868800000ull, "2000-03-01T00:00:00.000Z" },
	{ 1709208000001ull, "2024-02-29T12:00:00.001Z" },
	{ 1795527889123ull, "2026-11-24T13:44:49.123Z" },
	{ 2147483647999ull, "2038-01-19T03:14:07.999Z" },
	{ 2147483648000ull, "2038-01-19T03:14:08.000Z" },
	{ 4107456000000ull, "2100-02-28T00:00:00.000Z" },
	{ 4107542400000ull, "2100-03-01T00:00:00.000Z" },	/* 2100 is not leap */
	{ 13574563200000ull, "2400-02-29T00:00:00.000Z" },	/* 2400 is */
	{ 253402300799999ull, "9999-12-31T23:59:59.999Z" },
	{ 253402300800000ull, "10000-01-01T00:00:00.000Z" },
};

Test(cdr_fmt, time_table)
{
	char buf[64];
	size_t i, n;

	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		cr_assert_eq(cdr_time_format(times[i].ms, buf, sizeof(buf), &n), CDR_OK);
		cr_assert_str_eq(buf, times[i].text, "ms %llu",
		    (unsigned long long)times[i].ms);
		cr_assert_eq(n, strlen(times[i].text));
	}
}

/* Every day from 1970 to 2200, and a spread beyond, against the C library. */
Test(cdr_fmt, civil_from_days_matches_gmtime)
{
	uint64_t d, year;
	unsigned month, day;
	struct tm tm;
	time_t t;

	for (d = 0; d < 84000; d++) {
		t = (time_t)(d * 86400 + 43210);
		cr_assert_not_null(gmtime_r(&t, &tm));
		cdr_civil_from_days(d, &year, &month, &day);
		cr_assert(year == (uint64_t)tm.tm_year + 1900 && month == (unsigned)tm.tm_mon + 1 &&
		    day == (unsigned)tm.tm_mday, "day %llu: %llu-%u-%u vs %d-%d-%d",
		    (unsigned long long)d, (unsigned long long)year, month, day,
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	}
	for (d = 84000; d < 2932897; d += 997) {	/* up to 9999-12-31 */
		t = (time_t)(d * 86400);
		cr_assert_not_null(gmtime_r(&t, &tm));
		cdr_civil_from_days(d, &year, &month, &day);
		cr_assert(year == (uint64_t)tm.tm_year + 1900 && month == (unsigned)tm.tm_mon + 1 &&
		    day == (unsigned)tm.tm_mday, "day %llu", (unsigned long long)d);
	}
}

Test(cdr_fmt, time_format_matches_gmtime_random)
{
	struct tu_rng rng;
	char buf[64], want[64];
	struct tm tm;
	time_t t;
	uint64_t ms;
	size_t n;
	int i;

	tu_rng_seed(&rng, 20261124);
	for (i = 0; i < 20000; i++) {
		ms = tu_rng_next(&rng) % 253402300800000ull;
		t = (time_t)(ms / 1000);
		cr_assert_not_null(gmtime_r(&t, &tm));
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, (unsigned)(ms % 1000));
		cr_assert_eq(cdr_time_format(ms, buf, sizeof(buf), &n), CDR_OK);
		cr_assert_str_eq(buf, want);
	}
	/* The far end of the range does not overflow. */
	cr_assert_eq(cdr_time_format(UINT64_MAX, buf, sizeof(buf), &n), CDR_OK);
	cr_assert_eq(buf[n - 1], 'Z');
}

/* ---- IPv6 text ----------------------------------------------------------------------- */

static const char *
v6_sub(const char *ip)
{
	static char buf[CDR_LINE_MAX];
	static struct csv c;
	struct cdr_rec r;
	char *p, *q;
	size_t n;

	rec_v4(&r);
	ep6(&r.cr_leg[SHM_LEG_A].cl_local, ip, 1);
	format_ok(&r, buf, sizeof(buf), &n);
	cr_assert_eq(csv_parse(buf, n, &c), 0);
	/* "1:applicationsharing:TCP/LYNC/APPSHARE:[<ip>]:1:..." */
	p = strchr(c.f[CDR_FIELD_STREAM_DATA - 1], '[');
	q = strchr(p, ']');
	cr_assert(p != NULL && q != NULL && q[1] == ':' && q[2] == '1' && q[3] == ':');
	*q = '\0';
	return p + 1;
}

Test(cdr_fmt, ipv6_rfc5952)
{
	cr_assert_str_eq(v6_sub("::"), "::");
	cr_assert_str_eq(v6_sub("::1"), "::1");
	cr_assert_str_eq(v6_sub("1::"), "1::");
	cr_assert_str_eq(v6_sub("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
	cr_assert_str_eq(v6_sub("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
	cr_assert_str_eq(v6_sub("2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
	cr_assert_str_eq(v6_sub("fe80::abcd:ef01:2345:6789"), "fe80::abcd:ef01:2345:6789");
	cr_assert_str_eq(v6_sub("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
	cr_assert_str_eq(v6_sub("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* Random addresses with random zero groups, against inet_ntop (which follows RFC 5952
 * except for the deprecated IPv4-compatible forms, skipped here). */
Test(cdr_fmt, ipv6_matches_inet_ntop)
{
	struct tu_rng rng;
	uint8_t a[16];
	char want[INET6_ADDRSTRLEN];
	int i, g, checked = 0;

	tu_rng_seed(&rng, 6);
	for (i = 0; i < 3000; i++) {
		uint64_t zmask = tu_rng_next(&rng);

		tu_rng_bytes(&rng, a, sizeof(a));
		for (g = 0; g < 8; g++)
			if ((zmask >> g) & 1)
				a[2 * g] = a[2 * g + 1] = 0;
		if ((zmask >> 8) & 1)
			a[2 * (zmask % 8)] = 0;	/* short groups */
		/* glibc prints ::a.b.c.d for these deprecated forms; RFC 5952 does not. */
		if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) == 0)
			continue;
		if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 14) == 0)
			continue;
		cr_assert_not_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
		cr_assert_str_eq(v6_sub(want), want);
		checked++;
	}
	cr_assert_gt(checked, 2000);
}

/* ---- arbitrary records --------------------------------------------------------------- */

Test(cdr_fmt, random_records_are_valid_lines)
{
	struct tu_rng rng;
	struct cdr_rec r;
	struct csv c;
	char buf[CDR_LINE_MAX];
	size_t n;
	int i;

	tu_rng_seed(&rng, 231);
	for (i = 0; i < 5000; i++) {
		tu_rng_bytes(&rng, &r, sizeof(r));
		if (i % 2)	/* plausible enums half the time */
			r.cr_leg[0].cl_local.sa_family = SHM_AF_INET6;
		format_ok(&r, buf, sizeof(buf), &n);
		cr_assert_eq(csv_parse(buf, n, &c), 0, "record %d: %s", i, buf);
		cr_assert_eq(c.n, CDR_NFIELDS);
	}
}
