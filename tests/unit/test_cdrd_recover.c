/*
 * cdrd_recover.c: identities at the end of a CDR file, from golden tails (complete
 * lines, a cut last line, header only, garbage, LF/CRLF, hostile quoted text) and as a
 * round trip through cdr_format() for random records.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdr_fmt.h"
#include "cdrd_recover.h"
#include "test_util.h"

/* The golden lines of docs/cdr.md. */
static const char gold1[] =
    "STOP,5eed0000cafe0001,2,1,000000010000002a,\"7.42\","
    "\"a84b4c76e66710@pc33.example.com\",\"1928301774\",\"a6c85cf\","
    "2026-11-24T13:44:49.123Z,2026-11-24T13:44:51.000Z,2026-11-24T13:57:23.444Z,754321,"
    "deleted,,,applicationsharing,TCP/RTP/AVP,ms-ice2,passive,rfc6544,active,"
    "\"1:applicationsharing:TCP/LYNC/APPSHARE:192.0.2.10:50000:198.51.100.7:53211;"
    "2:applicationsharing:TCP/LYNC/APPSHARE:192.0.2.10:50002:203.0.113.9:61000\","
    "\"15230,14877,18342211,1210044,12,11;14877,15230,1209656,18341823,9,10\"\r\n";
static const char gold2[] =
    "STOP,5eed0000cafe0001,0,3,0000000300000007,\"as-v6\","
    "\"3848276298220188511@atlanta.example.com\",\"9fxced76sl\",\"314159\","
    "2038-01-19T03:14:08.000Z,,2038-01-19T03:16:08.000Z,120000,worker-lost,,partial,"
    "applicationsharing,TCP/RTP/SAVP,ms-ice2,passive,,,"
    "\"1:applicationsharing:TCP/LYNC/APPSHARE:[2001:db8::10]:40000:[2001:db8:0:1::7]:52000;"
    "2:applicationsharing:TCP/LYNC/APPSHARE:[2001:db8::10]:40002::\","
    "\"0,0,1500,1200,8,7;0,0,0,0,0,0\"\r\n";
/* Hostile text as cdr_format() writes it: commas, doubled quotes, escaped CR LF. */
static const char hostile[] =
    "STOP,00000000000000ff,7,4294967295,ffffffff00000001,\"a,b\",\"x\"\"%0D%0ASTOP,"
    "1111111111111111,1,1,0000000100000001,\",\"\",\"\",,,,,unknown,,,unknown,unknown,,"
    ",,,\"\",\"\"\r\n";

static char *
hdr(void)
{
	static char buf[CDR_LINE_MAX];
	size_t n;

	cr_assert_eq(cdr_header(buf, sizeof(buf), &n), CDR_OK);
	return buf;
}

static size_t
run(const char *s, size_t len, bool at_start, struct cdrd_ident *ids, size_t max,
    struct cdrd_tail *t)
{
	return cdrd_recover(s, len, at_start, ids, max, t);
}

static void
expect_gold(const struct cdrd_ident *a, const struct cdrd_ident *b)
{
	cr_expect_eq(a->ci_boot_id, 0x5eed0000cafe0001ull);
	cr_expect_eq(a->ci_worker, 2);
	cr_expect_eq(a->ci_epoch, 1);
	cr_expect_eq(a->ci_gen, 0x000000010000002aull);
	cr_expect_eq(b->ci_boot_id, 0x5eed0000cafe0001ull);
	cr_expect_eq(b->ci_worker, 0);
	cr_expect_eq(b->ci_epoch, 3);
	cr_expect_eq(b->ci_gen, 0x0000000300000007ull);
}

Test(cdrd_recover, whole_file_complete_lines)
{
	struct cdrd_ident ids[8];
	struct cdrd_tail t;
	char buf[16384];

	snprintf(buf, sizeof(buf), "%s%s%s", hdr(), gold1, gold2);
	cr_assert_eq(run(buf, strlen(buf), true, ids, 8, &t), 2);
	cr_expect(t.ct_header);
	cr_expect(!t.ct_foreign);
	cr_expect_eq(t.ct_partial, 0);
	cr_expect_eq(t.ct_lines, 3);
	cr_expect_eq(t.ct_records, 2);
	cr_expect_eq(t.ct_malformed, 0);
	expect_gold(&ids[0], &ids[1]);
}

Test(cdrd_recover, partial_last_line)
{
	struct cdrd_ident ids[8];
	struct cdrd_tail t;
	char buf[16384];
	size_t cut, full;

	snprintf(buf, sizeof(buf), "%s%s%s", hdr(), gold1, gold2);
	full = strlen(buf);
	/* Every cut inside the last line: one record, the rest is the partial line. */
	for (cut = full - strlen(gold2) + 1; cut < full; cut++) {
		cr_assert_eq(run(buf, cut, true, ids, 8, &t), 1, "cut %zu", cut);
		cr_expect_eq(t.ct_partial, cut - (full - strlen(gold2)));
		cr_expect(!t.ct_partial_cut);
		cr_expect_eq(ids[0].ci_gen, 0x000000010000002aull);
	}
	/* Cut between CR and LF: the line is not complete either. */
	cr_assert_eq(run(buf, full - 1, true, ids, 8, &t), 1);
	cr_expect_eq(t.ct_partial, strlen(gold2) - 1);
}

Test(cdrd_recover, header_only_and_empty)
{
	struct cdrd_ident ids[2];
	struct cdrd_tail t;
	const char *h = hdr();

	cr_expect_eq(run(h, strlen(h), true, ids, 2, &t), 0);
	cr_expect(t.ct_header);
	cr_expect_eq(t.ct_lines, 1);
	cr_expect_eq(t.ct_partial, 0);
	/* A header cut by a crash: not yet a header, all partial. */
	cr_expect_eq(run(h, 10, true, ids, 2, &t), 0);
	cr_expect(!t.ct_header);
	cr_expect_eq(t.ct_partial, 10);
	cr_expect_eq(run("", 0, true, ids, 2, &t), 0);
	cr_expect_eq(t.ct_partial, 0);
	cr_expect_eq(t.ct_lines, 0);
}

Test(cdrd_recover, window_starts_mid_line)
{
	struct cdrd_ident ids[8];
	struct cdrd_tail t;
	char buf[16384];
	size_t off;

	snprintf(buf, sizeof(buf), "%s%s%s", hdr(), gold1, gold2);
	/* Windows starting inside gold1: its remains are not a line, gold2 is. */
	off = strlen(hdr()) + 1;
	cr_assert_eq(run(buf + off, strlen(buf + off), false, ids, 8, &t), 1);
	cr_expect_eq(ids[0].ci_gen, 0x0000000300000007ull);
	cr_expect(!t.ct_header);
	cr_expect_eq(t.ct_lines, 1);
	/* A window starting exactly at a line start still drops the first line: it cannot
	 * know that the byte before it was a '\n'. */
	off = strlen(hdr());
	cr_assert_eq(run(buf + off, strlen(buf + off), false, ids, 8, &t), 1);
	/* No '\n' at all in a window that is not at the start: nothing usable. */
	cr_assert_eq(run(gold1, 100, false, ids, 8, &t), 0);
	cr_expect(t.ct_partial_cut);
	cr_expect_eq(t.ct_partial, 100);
}

Test(cdrd_recover, lf_only_and_crlf)
{
	struct cdrd_ident ids[4];
	struct cdrd_tail t;
	char buf[16384], l1[4096], l2[4096];

	snprintf(l1, sizeof(l1), "%s", gold1);
	snprintf(l2, sizeof(l2), "%s", gold2);
	l1[strlen(l1) - 2] = '\n';
	l1[strlen(l1) - 1] = '\0';
	snprintf(buf, sizeof(buf), "%s%s", l1, l2);
	cr_assert_eq(run(buf, strlen(buf), true, ids, 4, &t), 2);
	expect_gold(&ids[0], &ids[1]);
	cr_expect(t.ct_foreign);	/* a file starting with a record has no header */
}

Test(cdrd_recover, hostile_quoted_text)
{
	struct cdrd_ident ids[4];
	struct cdrd_tail t;
	char buf[8192];

	snprintf(buf, sizeof(buf), "%s%s", gold1, hostile);
	cr_assert_eq(run(buf, strlen(buf), false, ids, 4, &t), 1);
	cr_expect_eq(ids[0].ci_boot_id, 0xff);
	cr_expect_eq(ids[0].ci_worker, 7);
	cr_expect_eq(ids[0].ci_epoch, 4294967295u);
	cr_expect_eq(ids[0].ci_gen, 0xffffffff00000001ull);
	cr_expect_eq(t.ct_malformed, 0);
}

Test(cdrd_recover, garbage)
{
	static const char *bad[] = {
		"STOP\r\n",
		"STOP,\r\n",
		"STOP,5eed,1,1\r\n",			/* too few fields */
		"STOP,5eed0000cafe0001f,1,1,2,\r\n",	/* 17 hex digits */
		"STOP,xyz,1,1,2,\r\n",
		"STOP,1,4294967296,1,2,\r\n",		/* worker past 32 bits */
		"STOP,1,-1,1,2,\r\n",
		"STOP,1,1,1,,\r\n",			/* empty gen */
		"STOP,1,1,1,2\r\n",			/* gen not followed by a comma */
		"stop,1,1,1,2,\r\n",
		" STOP,1,1,1,2,\r\n",
		"\r\n",
		"\x00\xff\x01garbage\n",
	};
	struct cdrd_ident ids[4], id;
	struct cdrd_tail t;
	char buf[64];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = i == sizeof(bad) / sizeof(bad[0]) - 1 ? 11 : strlen(bad[i]);
		memcpy(buf, bad[i], n);
		cr_expect_eq(run(buf, n, true, ids, 4, &t), 0, "case %zu", i);
		cr_expect(!cdrd_ident_parse(buf, n - 1, &id), "case %zu", i);
	}
	/* One good line among garbage: only it counts. */
	cr_assert(cdrd_ident_parse("STOP,1,1,1,2,", 13, &id));
	cr_expect_eq(id.ci_boot_id, 1);
	cr_expect_eq(id.ci_gen, 2);
	cr_assert(cdrd_ident_parse("STOP,ABCDEF,0,0,0,", 18, &id));
	cr_expect_eq(id.ci_boot_id, 0xabcdef);
}

Test(cdrd_recover, keeps_the_last_max)
{
	struct cdrd_ident ids[3];
	struct cdrd_tail t;
	char buf[4096];
	size_t o = 0;
	int i;

	for (i = 0; i < 10; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "STOP,1,0,1,%x,x\r\n", i);
	cr_assert_eq(run(buf, o, true, ids, 3, &t), 3);
	cr_expect_eq(t.ct_records, 10);
	cr_expect_eq(ids[0].ci_gen, 7);
	cr_expect_eq(ids[1].ci_gen, 8);
	cr_expect_eq(ids[2].ci_gen, 9);
	cr_expect(cdrd_ident_find(ids, 3, &ids[1]));
	cr_expect_eq(run(buf, o, true, NULL, 0, &t), 0);
}

/* Random records through cdr_format(): the identity read back is the one formatted. */
Test(cdrd_recover, round_trip_random)
{
	static char buf[200 * CDR_LINE_MAX];
	static struct cdr_rec recs[200];
	struct cdrd_ident ids[200], want;
	struct cdrd_tail t;
	struct tu_rng rng;
	size_t o, n, i, start;
	int round;

	tu_rng_seed(&rng, 0xcd7d);
	for (round = 0; round < 50; round++) {
		size_t nrec = 1 + tu_rng_next(&rng) % 200;

		o = 0;
		cr_assert_eq(cdr_header(buf, sizeof(buf), &n), CDR_OK);
		o += n;
		start = o;
		for (i = 0; i < nrec; i++) {
			/* Any bytes: a compromised worker controls the whole record. */
			tu_rng_bytes(&rng, &recs[i], sizeof(recs[i]));
			cr_assert_eq(cdr_format(&recs[i], buf + o, sizeof(buf) - o, &n), CDR_OK);
			o += n;
		}
		/* A whole file, and a window that starts somewhere in the first record. */
		cr_assert_eq(run(buf, o, true, ids, 200, &t), nrec);
		cr_expect_eq(t.ct_partial, 0);
		cr_expect(t.ct_header);
		for (i = 0; i < nrec; i++) {
			cdrd_ident_of(&recs[i], &want);
			cr_assert(cdrd_ident_eq(&ids[i], &want), "round %d record %zu", round, i);
		}
		if (nrec > 1) {
			size_t off = start + 1 + tu_rng_next(&rng) % 40;

			cr_assert_eq(run(buf + off, o - off, false, ids, 200, &t), nrec - 1);
			cdrd_ident_of(&recs[nrec - 1], &want);
			cr_expect(cdrd_ident_eq(&ids[nrec - 2], &want));
		}
	}
}
