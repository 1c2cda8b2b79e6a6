/*
 * libFuzzer target for the RFC 4571 reassembler.  Input layout:
 *	byte 0	limit selector (max payload; 0xFF = 65535)
 *	byte 1	buffer slack and chunking seed
 *	rest	the TCP byte stream, fed in chunks whose sizes come from the stream
 * Invariant: the popped frames, each with its prefix put back, are exactly the
 * consumed prefix of the stream; what is left is pending, or the sticky TOOBIG.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "stun.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_rx rx;
	const uint8_t *s, *p;
	uint8_t *buf, *out;
	size_t max, cap, slen, fed = 0, outlen = 0, plen, w;
	enum frame_rc rc = FRAME_AGAIN;
	uint8_t seed;

	if (size < 2)
		return 0;
	max = data[0] == 0xFF ? FRAME_MAX : (size_t)data[0] * 8;
	seed = data[1];
	cap = FRAME_HDR_LEN + max + (seed & 0x0F);
	s = data + 2;
	slen = size - 2;
	/* Exact-size heap buffers so ASan sees any overrun. */
	if ((buf = malloc(cap)) == NULL || (out = malloc(slen + 1)) == NULL) {
		free(buf);
		return 0;
	}
	CHECK(frame_rx_init(&rx, buf, cap, max) == FRAME_OK);

	while (fed < slen) {
		size_t chunk = 1 + ((s[fed] ^ seed) % 97), took;

		if (chunk > slen - fed)
			chunk = slen - fed;
		took = frame_rx_feed(&rx, s + fed, chunk);
		fed += took;
		while ((rc = frame_rx_pop(&rx, &p, &plen)) == FRAME_OK) {
			enum frame_kind k = frame_classify(p, plen);

			CHECK(plen <= max);
			CHECK(p >= buf && p + plen <= buf + cap);
			CHECK(outlen + FRAME_HDR_LEN + plen <= slen);
			CHECK(frame_encode(out + outlen, slen - outlen, p, plen, &w) ==
			    FRAME_OK);
			CHECK(memcmp(out + outlen, s + outlen, w) == 0);
			outlen += w;
			CHECK(strcmp(frame_kind_name(k), "") != 0);
			if (k == FRAME_KIND_STUN) {
				struct stun_msg m;

				CHECK(stun_is_stun(p, plen));
				(void)stun_decode(p, plen, &m);
			}
		}
		if (rc == FRAME_TOOBIG)
			break;
		CHECK(rc == FRAME_AGAIN);
		/* Nothing taken and no frame popped would loop for ever. */
		CHECK(took > 0 || chunk == 0);
	}
	CHECK(outlen + frame_rx_pending(&rx) == fed);
	if (rc == FRAME_TOOBIG) {
		size_t n;

		CHECK(frame_next(s + outlen, fed - outlen, max, &n) == FRAME_TOOBIG);
		CHECK(n > max);
	} else {
		CHECK(fed == slen);
		CHECK(frame_next(s + outlen, slen - outlen, max, &plen) == FRAME_AGAIN);
	}
	free(out);
	free(buf);
	return 0;
}
