/*
 * RFC 4571 framer: stateless frame_next(), the reassembler under every read split,
 * limits, and the RFC 7983 classification of payloads.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "test_util.h"

/* Frames of varied sizes, zero-length ones included, with distinct contents. */
static const size_t sizes[] = { 0, 1, 20, 3, 0, 0, 300, 2, 65, 1 };
#define NFRAMES		(sizeof(sizes) / sizeof(sizes[0]))
#define TEST_MAX	300

struct stream {
	uint8_t	bytes[4096];
	size_t	len;
	size_t	off[NFRAMES];	/* payload offsets in bytes[] */
};

static void
make_stream(struct stream *s)
{
	size_t w;

	s->len = 0;
	for (size_t i = 0; i < NFRAMES; i++) {
		uint8_t payload[TEST_MAX];

		for (size_t k = 0; k < sizes[i]; k++)
			payload[k] = (uint8_t)(i * 31 + k);
		cr_assert_eq(frame_encode(s->bytes + s->len, sizeof(s->bytes) - s->len,
		    payload, sizes[i], &w), FRAME_OK);
		cr_assert_eq(w, FRAME_HDR_LEN + sizes[i]);
		s->off[i] = s->len + FRAME_HDR_LEN;
		s->len += w;
	}
}

struct sink {
	size_t	n;		/* frames popped so far */
	const struct stream *s;
};

static void
pop_all(struct frame_rx *rx, struct sink *k)
{
	const uint8_t *p;
	size_t len;
	enum frame_rc rc;

	while ((rc = frame_rx_pop(rx, &p, &len)) == FRAME_OK) {
		cr_assert_lt(k->n, NFRAMES, "more frames than sent");
		cr_assert_eq(len, sizes[k->n], "frame %zu: len %zu", k->n, len);
		if (len != 0)
			cr_assert_eq(memcmp(p, k->s->bytes + k->s->off[k->n], len), 0,
			    "frame %zu: content", k->n);
		/* Zero-copy: the payload lies inside the reassembler's buffer. */
		cr_assert(p >= rx->fr_buf && p + len <= rx->fr_buf + rx->fr_cap);
		k->n++;
	}
	cr_assert_eq(rc, FRAME_AGAIN);
	cr_assert_null(p);
}

/* Feed a chunk the way the worker does: space, copy ("read"), commit, pop; repeat. */
static void
feed_chunk(struct frame_rx *rx, struct sink *k, const uint8_t *d, size_t n)
{
	while (n > 0) {
		size_t avail, take;
		uint8_t *p = frame_rx_space(rx, &avail);

		cr_assert_not_null(p);
		cr_assert_gt(avail, 0, "no space with %zu bytes to go", n);
		take = n < avail ? n : avail;
		memcpy(p, d, take);
		frame_rx_commit(rx, take);
		d += take;
		n -= take;
		pop_all(rx, k);
	}
	pop_all(rx, k);
}

static void
run_splits(size_t cap)
{
	struct stream s;
	uint8_t *buf = malloc(cap);

	make_stream(&s);
	for (size_t cut = 0; cut <= s.len; cut++) {
		struct frame_rx rx;
		struct sink k = { 0, &s };

		cr_assert_eq(frame_rx_init(&rx, buf, cap, TEST_MAX), FRAME_OK);
		feed_chunk(&rx, &k, s.bytes, cut);
		feed_chunk(&rx, &k, s.bytes + cut, s.len - cut);
		cr_assert_eq(k.n, NFRAMES, "cut %zu: %zu frames", cut, k.n);
		cr_assert_eq(frame_rx_pending(&rx), 0);
	}
	free(buf);
}

Test(frame, every_split_tight_buffer)
{
	/* cap = 2 + max: the worst case for compaction. */
	run_splits(FRAME_HDR_LEN + TEST_MAX);
}

Test(frame, every_split_roomy_buffer)
{
	run_splits(4096);
}

Test(frame, every_pair_of_splits)
{
	struct stream s;
	uint8_t buf[FRAME_HDR_LEN + TEST_MAX + 7];

	make_stream(&s);
	for (size_t a = 0; a <= s.len; a += 3)
		for (size_t b = a; b <= s.len; b += 5) {
			struct frame_rx rx;
			struct sink k = { 0, &s };

			cr_assert_eq(frame_rx_init(&rx, buf, sizeof(buf), TEST_MAX), FRAME_OK);
			feed_chunk(&rx, &k, s.bytes, a);
			feed_chunk(&rx, &k, s.bytes + a, b - a);
			feed_chunk(&rx, &k, s.bytes + b, s.len - b);
			cr_assert_eq(k.n, NFRAMES);
		}
}

Test(frame, byte_by_byte)
{
	struct stream s;
	uint8_t buf[FRAME_HDR_LEN + TEST_MAX];
	struct frame_rx rx;
	struct sink k = { 0, &s };

	make_stream(&s);
	cr_assert_eq(frame_rx_init(&rx, buf, sizeof(buf), TEST_MAX), FRAME_OK);
	for (size_t i = 0; i < s.len; i++) {
		cr_assert_eq(frame_rx_feed(&rx, s.bytes + i, 1), 1, "byte %zu", i);
		pop_all(&rx, &k);
	}
	cr_assert_eq(k.n, NFRAMES);
}

Test(frame, whole_stream_one_feed)
{
	struct stream s;
	uint8_t buf[4096];
	struct frame_rx rx;
	struct sink k = { 0, &s };

	make_stream(&s);
	cr_assert_eq(frame_rx_init(&rx, buf, sizeof(buf), TEST_MAX), FRAME_OK);
	cr_assert_eq(frame_rx_feed(&rx, s.bytes, s.len), s.len);
	/* All frames come out of a single read, without any copy. */
	pop_all(&rx, &k);
	cr_assert_eq(k.n, NFRAMES);
	cr_assert_eq(k.s->off[0], 2);
}

Test(frame, feed_stops_when_full)
{
	uint8_t buf[8], in[12] = { 0, 2, 'a', 'b', 0, 2, 'c', 'd', 0, 2, 'e', 'f' };
	struct frame_rx rx;
	const uint8_t *p;
	size_t len, avail;

	cr_assert_eq(frame_rx_init(&rx, buf, sizeof(buf), 6), FRAME_OK);
	cr_assert_eq(frame_rx_feed(&rx, in, sizeof(in)), 8);
	/* Two whole frames waiting: no room until they are popped. */
	cr_assert_not_null(frame_rx_space(&rx, &avail));
	cr_assert_eq(avail, 0);
	cr_assert_eq(frame_rx_feed(&rx, in + 8, 4), 0);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_OK);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_OK);
	cr_assert_eq(memcmp(p, "cd", 2), 0);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_AGAIN);
	cr_assert_eq(frame_rx_feed(&rx, in + 8, 4), 4);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_OK);
	cr_assert_eq(memcmp(p, "ef", 2), 0);
	/* Everything was popped, so the next read starts at the front again. */
	cr_assert_eq(frame_rx_space(&rx, &avail), buf);
	cr_assert_eq(avail, sizeof(buf));
}

Test(frame, compaction_keeps_partial_frame)
{
	/* max 6, cap 8: a 4-byte frame then the first 3 bytes of a 6-byte frame. */
	uint8_t buf[8], in[] = { 0, 2, 'a', 'b', 0, 6, '1', '2', '3', '4', '5', '6' };
	struct frame_rx rx;
	const uint8_t *p;
	size_t len, avail;
	uint8_t *sp;

	cr_assert_eq(frame_rx_init(&rx, buf, sizeof(buf), 6), FRAME_OK);
	cr_assert_eq(frame_rx_feed(&rx, in, 7), 7);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_OK);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_AGAIN);
	cr_assert_eq(frame_rx_pending(&rx), 3);
	sp = frame_rx_space(&rx, &avail);
	cr_assert_eq(sp, buf + 3, "partial frame moved to the front");
	cr_assert_eq(avail, 5);
	cr_assert_eq(frame_rx_feed(&rx, in + 7, 5), 5);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_OK);
	cr_assert_eq(len, 6);
	cr_assert_eq(memcmp(p, "123456", 6), 0);
	cr_assert_eq(p, buf + 2);
}

Test(frame, toobig_is_sticky)
{
	uint8_t buf[FRAME_HDR_LEN + 100], in[] = { 0, 3, 'a', 'b', 'c', 0, 101 };
	struct frame_rx rx;
	const uint8_t *p;
	size_t len, avail;

	cr_assert_eq(frame_rx_init(&rx, buf, sizeof(buf), 100), FRAME_OK);
	cr_assert_eq(frame_rx_feed(&rx, in, sizeof(in)), sizeof(in));
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_OK);
	/* Refused on the length field alone, before any payload byte. */
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_TOOBIG);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_TOOBIG);
	cr_assert_null(frame_rx_space(&rx, &avail));
	cr_assert_eq(avail, 0);
	cr_assert_eq(frame_rx_feed(&rx, in, 2), 0);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_TOOBIG);
}

Test(frame, toobig_seen_by_space)
{
	uint8_t buf[FRAME_HDR_LEN + 10], in[] = { 0xff, 0xff };
	struct frame_rx rx;
	const uint8_t *p;
	size_t len, avail;

	cr_assert_eq(frame_rx_init(&rx, buf, sizeof(buf), 10), FRAME_OK);
	cr_assert_eq(frame_rx_feed(&rx, in, 2), 2);
	cr_assert_null(frame_rx_space(&rx, &avail));
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_TOOBIG);
}

Test(frame, max_size_frame)
{
	static uint8_t buf[FRAME_HDR_LEN + FRAME_MAX], in[FRAME_HDR_LEN + FRAME_MAX];
	struct frame_rx rx;
	const uint8_t *p;
	size_t len, w;

	memset(in + 2, 0x5A, FRAME_MAX);
	cr_assert_eq(frame_encode(in, sizeof(in), in + 2, FRAME_MAX, &w), FRAME_OK);
	cr_assert_eq(in[0], 0xff);
	cr_assert_eq(in[1], 0xff);
	cr_assert_eq(frame_rx_init(&rx, buf, sizeof(buf), FRAME_MAX), FRAME_OK);
	cr_assert_eq(frame_rx_feed(&rx, in, 1000), 1000);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_AGAIN);
	cr_assert_eq(frame_rx_feed(&rx, in + 1000, w - 1000), w - 1000);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_OK);
	cr_assert_eq(len, FRAME_MAX);
}

Test(frame, zero_length_frames)
{
	uint8_t buf[16], in[] = { 0, 0, 0, 0, 0, 1, 'x', 0, 0 };
	struct frame_rx rx;
	const uint8_t *p;
	size_t len;

	cr_assert_eq(frame_rx_init(&rx, buf, sizeof(buf), 0 + 1), FRAME_OK);
	cr_assert_eq(frame_rx_feed(&rx, in, sizeof(in)), sizeof(in));
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_OK);
		cr_assert_eq(len, i == 2 ? 1 : 0);
		cr_assert_not_null(p);
	}
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_AGAIN);
	/* max 0: only empty frames are legal. */
	cr_assert_eq(frame_rx_init(&rx, buf, 2, 0), FRAME_OK);
	cr_assert_eq(frame_rx_feed(&rx, in, 2), 2);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_OK);
	cr_assert_eq(frame_rx_feed(&rx, in + 4, 2), 2);
	cr_assert_eq(frame_rx_pop(&rx, &p, &len), FRAME_TOOBIG);
}

Test(frame, init_args)
{
	uint8_t buf[16];
	struct frame_rx rx;
	size_t avail;

	cr_assert_eq(frame_rx_init(&rx, buf, 11, 10), FRAME_E_ARG);
	cr_assert_null(frame_rx_space(&rx, &avail));
	cr_assert_eq(frame_rx_init(&rx, NULL, 16, 10), FRAME_E_ARG);
	cr_assert_eq(frame_rx_init(&rx, buf, 16, 65536), FRAME_E_ARG);
	cr_assert_eq(frame_rx_init(&rx, buf, 12, 10), FRAME_OK);
}

Test(frame, next_stateless)
{
	uint8_t b[] = { 0x00, 0x03, 'a', 'b', 'c', 0xff };
	size_t n = 99;

	cr_assert_eq(frame_next(b, 0, 100, &n), FRAME_AGAIN);
	cr_assert_eq(n, 0);
	cr_assert_eq(frame_next(b, 1, 100, &n), FRAME_AGAIN);
	cr_assert_eq(n, 0);
	for (size_t len = 2; len < 5; len++) {
		cr_assert_eq(frame_next(b, len, 100, &n), FRAME_AGAIN);
		cr_assert_eq(n, 3);
	}
	cr_assert_eq(frame_next(b, 5, 100, &n), FRAME_OK);
	cr_assert_eq(n, 3);
	cr_assert_eq(frame_next(b, 6, 100, &n), FRAME_OK);
	cr_assert_eq(frame_next(b, 6, 3, &n), FRAME_OK);
	cr_assert_eq(frame_next(b, 2, 2, &n), FRAME_TOOBIG);
	cr_assert_eq(n, 3);
}

Test(frame, encode_limits)
{
	uint8_t out[8], p[4] = { 1, 2, 3, 4 };
	size_t w = 99;

	cr_assert_eq(frame_write_prefix(out, 0), FRAME_OK);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(out[1], 0);
	cr_assert_eq(frame_write_prefix(out, 0x1234), FRAME_OK);
	cr_assert_eq(out[0], 0x12);
	cr_assert_eq(out[1], 0x34);
	cr_assert_eq(frame_write_prefix(out, 65535), FRAME_OK);
	cr_assert_eq(frame_write_prefix(out, 65536), FRAME_TOOBIG);
	for (size_t cap = 0; cap < 6; cap++) {
		memset(out, 0xEE, sizeof(out));
		cr_assert_eq(frame_encode(out, cap, p, 4, &w), FRAME_E_SPACE);
		cr_assert_eq(w, 0);
		for (size_t k = 0; k < sizeof(out); k++)
			cr_assert_eq(out[k], 0xEE);
	}
	cr_assert_eq(frame_encode(out, 6, p, 4, &w), FRAME_OK);
	cr_assert_eq(w, 6);
	cr_assert_eq(memcmp(out, "\x00\x04\x01\x02\x03\x04", 6), 0);
	cr_assert_eq(frame_encode(out, 8, p, 65536, &w), FRAME_TOOBIG);
	cr_assert_eq(frame_encode(out, 8, NULL, 0, &w), FRAME_OK);
	cr_assert_eq(w, 2);
}

struct kind_case {
	uint8_t		b0, b1;
	size_t		len;
	bool		cookie;
	enum frame_kind	want;
};

Test(frame, classify_table)
{
	static const struct kind_case cases[] = {
		/* STUN: byte0 0x00/0x01, cookie, at least a header. */
		{ 0x00, 0x01, 20, true, FRAME_KIND_STUN },
		{ 0x01, 0x01, 20, true, FRAME_KIND_STUN },
		{ 0x01, 0x11, 100, true, FRAME_KIND_STUN },
		{ 0x00, 0x01, 19, true, FRAME_KIND_OTHER },
		{ 0x00, 0x01, 20, false, FRAME_KIND_OTHER },
		{ 0x02, 0x01, 20, true, FRAME_KIND_OTHER },
		{ 0x3F, 0x01, 20, true, FRAME_KIND_OTHER },
		/* Outside 0x80..0xBF: neither RTP nor RTCP. */
		{ 0x7F, 0x7F, 100, false, FRAME_KIND_OTHER },
		{ 0x40, 0x7F, 100, false, FRAME_KIND_OTHER },
		{ 0xC0, 0x7F, 100, false, FRAME_KIND_OTHER },
		{ 0xFF, 0xC8, 100, false, FRAME_KIND_OTHER },
		/* RTP, PT 127 as appsharing uses, and both ends of the byte0 range. */
		{ 0x80, 0x7F, 12, false, FRAME_KIND_RTP },
		{ 0xBF, 0x7F, 100, false, FRAME_KIND_RTP },
		{ 0x80, 0xFF, 100, false, FRAME_KIND_RTP },	/* M=1 PT=127 */
		{ 0x80, 0x7F, 11, false, FRAME_KIND_OTHER },
		/* rtcp-mux boundaries on byte1: 191 RTP, 192..223 RTCP, 224 RTP. */
		{ 0x80, 191, 100, false, FRAME_KIND_RTP },
		{ 0x80, 192, 100, false, FRAME_KIND_RTCP },
		{ 0x80, 200, 8, false, FRAME_KIND_RTCP },
		{ 0x81, 206, 100, false, FRAME_KIND_RTCP },
		{ 0x80, 223, 100, false, FRAME_KIND_RTCP },
		{ 0x80, 224, 100, false, FRAME_KIND_RTP },
		{ 0x80, 200, 7, false, FRAME_KIND_OTHER },
		{ 0x80, 0, 1, false, FRAME_KIND_OTHER },
	};
	uint8_t p[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(p, 0, sizeof(p));
		p[0] = cases[i].b0;
		p[1] = cases[i].b1;
		if (cases[i].cookie)
			memcpy(p + 4, "\x21\x12\xa4\x42", 4);
		cr_assert_eq(frame_classify(p, cases[i].len), cases[i].want,
		    "case %zu: %02x %02x len %zu: %s", i, cases[i].b0, cases[i].b1,
		    cases[i].len, frame_kind_name(frame_classify(p, cases[i].len)));
	}
	cr_assert_eq(frame_classify(p, 0), FRAME_KIND_OTHER);
	cr_assert_eq(frame_classify(NULL, 0), FRAME_KIND_OTHER);
}

Test(frame, names)
{
	cr_assert_str_eq(frame_kind_name(FRAME_KIND_STUN), "stun");
	cr_assert_str_eq(frame_kind_name(FRAME_KIND_RTP), "rtp");
	cr_assert_str_eq(frame_kind_name(FRAME_KIND_RTCP), "rtcp");
	cr_assert_str_eq(frame_kind_name(FRAME_KIND_OTHER), "other");
	cr_assert_str_eq(frame_kind_name((enum frame_kind)42), "other");
	for (int rc = FRAME_AGAIN; rc >= FRAME_E_ARG; rc--)
		for (int k = rc - 1; k >= FRAME_E_ARG; k--)
			cr_assert_str_neq(frame_strerror(rc), frame_strerror(k));
	cr_assert_not_null(frame_strerror(-99));
}
