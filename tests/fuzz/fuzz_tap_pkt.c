/*
 * Fuzz target of worker/tap_pkt.c.  The input chooses the family, addresses, ports,
 * ISNs and then a list of (side, flags, length) packets; every packet must carry
 * consistent lengths, verifying checksums, the sender's sequence number and the
 * other side's as acknowledgement, and the sequence numbers must advance by the data
 * (plus SYN/FIN).  The payload bytes of one input are capped (PAYLOAD_BUDGET): an
 * 8 KiB input could otherwise ask for 2,730 packets of 16 KiB, checksummed three times
 * each, and the campaign ran at 941 inputs/s with nothing new to find past the first few.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap_pkt.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define PAYLOAD_BUDGET	(4 * TAPP_SEG_MAX)

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static uint8_t out[TAPP_PKT_MAX], payload[TAPP_SEG_MAX + 16];
	struct tapp_flow f;
	int fam, v6;
	size_t iph, alen, len, plen, tcplen, budget = PAYLOAD_BUDGET;
	uint32_t seq[2], ps;
	unsigned side, flags;
	int rc;

	if (n < 1 + 32 + 4 + 8)
		return 0;
	fam = (d[0] & 1) ? TAPP_V6 : TAPP_V4;
	v6 = fam == TAPP_V6;
	if (tapp_flow_init(&f, fam, d + 1, get16(d + 33), d + 17, get16(d + 35),
	    get32(d + 37), get32(d + 41)) != TAPP_OK)
		abort();
	d += 45;
	n -= 45;
	iph = v6 ? 40 : 20;
	alen = v6 ? 16 : 4;
	if (payload[0] != 0x5a)
		memset(payload, 0x5a, sizeof(payload));
	while (n >= 3) {
		side = d[0] & 3;
		flags = d[1];
		len = (size_t)get16(d + 1) % (TAPP_SEG_MAX + 8);
		d += 3;
		n -= 3;
		if (len > budget)
			break;
		budget -= len;
		seq[0] = f.tf_seq[0];
		seq[1] = f.tf_seq[1];
		rc = tapp_packet(&f, (enum tapp_side)side, (uint8_t)flags, payload, len, out,
		    sizeof(out), &plen);
		if (side > 1 || (flags & ~0x1fu) != 0) {
			CHECK(rc == TAPP_E_ARG);
			continue;
		}
		if (len > TAPP_SEG_MAX) {
			CHECK(rc == TAPP_E_TOOBIG);
			continue;
		}
		CHECK(rc == TAPP_OK);
		CHECK(plen == iph + 20 + len);
		tcplen = 20 + len;
		if (v6)
			CHECK(get16(out + 4) == tcplen && out[6] == 6);
		else
			CHECK(get16(out + 2) == plen && out[9] == 6 &&
			    tapp_sum(out, 20, 0) == 0xffff);
		ps = tapp_sum(out + (v6 ? 8 : 12), 2 * alen, 0) + 6 + (uint32_t)tcplen;
		CHECK(tapp_sum(out + iph, tcplen, ps) == 0xffff);
		CHECK(get32(out + iph + 4) == seq[side]);
		if (flags & TAPP_ACK)
			CHECK(get32(out + iph + 8) == seq[1 - side]);
		CHECK(f.tf_seq[side] == seq[side] + (uint32_t)len +
		    ((flags & TAPP_SYN) ? 1 : 0) + ((flags & TAPP_FIN) ? 1 : 0));
		CHECK(f.tf_seq[1 - side] == seq[1 - side]);
		CHECK(memcmp(out + iph + 20, payload, len) == 0);
	}
	return 0;
}
