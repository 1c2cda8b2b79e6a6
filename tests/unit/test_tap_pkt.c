/*
 * worker/tap_pkt.c: the synthesised IPv4/IPv6 + TCP packets of the pcap tap.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tap_pkt.h"

static const uint8_t peer4[4] = { 127, 0, 0, 2 };
static const uint8_t relay4[4] = { 127, 0, 0, 1 };
static const uint8_t peer6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t relay6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

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

/* The TCP checksum over pseudo-header and segment verifies (sums to 0xffff). */
static void
check_tcp_sum(const uint8_t *pkt, int v6)
{
	size_t iph = v6 ? 40 : 20, alen = v6 ? 16 : 4, tcplen;
	uint32_t ps;

	tcplen = v6 ? get16(pkt + 4) : get16(pkt + 2) - iph;
	ps = tapp_sum(pkt + (v6 ? 8 : 12), 2 * alen, 0);
	ps += 6 + (uint32_t)tcplen;
	cr_expect_eq(tapp_sum(pkt + iph, tcplen, ps), 0xffff, "TCP checksum");
}

Test(tap_pkt, ipv4_data_packet)
{
	struct tapp_flow f;
	uint8_t out[TAPP_PKT_MAX], data[100];
	size_t n;

	memset(data, 0xab, sizeof(data));
	cr_assert_eq(tapp_flow_init(&f, TAPP_V4, peer4, 40000, relay4, 23001, 1000, 5000),
	    TAPP_OK);
	cr_assert_eq(tapp_packet(&f, TAPP_PEER, TAPP_ACK | TAPP_PSH, data, sizeof(data),
	    out, sizeof(out), &n), TAPP_OK);
	cr_assert_eq(n, 20 + 20 + 100);
	cr_expect_eq(out[0], 0x45);
	cr_expect_eq(get16(out + 2), 140);
	cr_expect_eq(out[9], 6);
	cr_expect_eq(tapp_sum(out, 20, 0), 0xffff, "IPv4 header checksum");
	cr_expect(memcmp(out + 12, peer4, 4) == 0 && memcmp(out + 16, relay4, 4) == 0);
	cr_expect_eq(get16(out + 20), 40000);
	cr_expect_eq(get16(out + 22), 23001);
	cr_expect_eq(get32(out + 24), 1000);
	cr_expect_eq(get32(out + 28), 5000);
	cr_expect_eq(out[32], 0x50);
	cr_expect_eq(out[33], TAPP_ACK | TAPP_PSH);
	cr_expect(memcmp(out + 40, data, sizeof(data)) == 0);
	check_tcp_sum(out, 0);
	cr_expect_eq(f.tf_seq[TAPP_PEER], 1100);
	cr_expect_eq(f.tf_seq[TAPP_RELAY], 5000);
	/* The relay's answer acknowledges what the peer sent. */
	cr_assert_eq(tapp_packet(&f, TAPP_RELAY, TAPP_ACK | TAPP_PSH, data, 7, out,
	    sizeof(out), &n), TAPP_OK);
	cr_expect(memcmp(out + 12, relay4, 4) == 0);
	cr_expect_eq(get32(out + 24), 5000);
	cr_expect_eq(get32(out + 28), 1100);
	check_tcp_sum(out, 0);
}

Test(tap_pkt, ipv6_handshake_then_data)
{
	struct tapp_flow f;
	uint8_t hs[3][TAPP_HDR_MAX], out[TAPP_PKT_MAX], data[3] = { 1, 2, 3 };
	size_t hl[3], n;

	cr_assert_eq(tapp_flow_init(&f, TAPP_V6, peer6, 5000, relay6, 6000, 0xfffffffe, 7),
	    TAPP_OK);
	cr_assert_eq(tapp_handshake(&f, TAPP_RELAY, hs, hl), TAPP_OK);
	cr_expect(f.tf_open);
	cr_expect_eq(hl[0], 60);
	cr_expect_eq(hs[0][0] >> 4, 6);
	cr_expect_eq(get16(hs[0] + 4), 20);
	cr_expect_eq(hs[0][6], 6);
	/* SYN from the relay, SYN|ACK from the peer, ACK from the relay. */
	cr_expect(memcmp(hs[0] + 8, relay6, 16) == 0);
	cr_expect_eq(hs[0][40 + 13], TAPP_SYN);
	cr_expect_eq(get32(hs[0] + 44), 7);
	cr_expect_eq(hs[1][40 + 13], TAPP_SYN | TAPP_ACK);
	cr_expect_eq(get32(hs[1] + 44), 0xfffffffe);
	cr_expect_eq(get32(hs[1] + 48), 8);
	cr_expect_eq(hs[2][40 + 13], TAPP_ACK);
	cr_expect_eq(get32(hs[2] + 48), 0xffffffff);
	check_tcp_sum(hs[1], 1);
	/* Data starts one past each ISN; the sequence number wraps. */
	cr_assert_eq(tapp_packet(&f, TAPP_PEER, TAPP_ACK, data, 3, out, sizeof(out), &n),
	    TAPP_OK);
	cr_expect_eq(get32(out + 44), 0xffffffff);
	cr_expect_eq(f.tf_seq[TAPP_PEER], 2);
	cr_expect_eq(get16(out + 4), 23);
	check_tcp_sum(out, 1);
}

Test(tap_pkt, errors_and_segments)
{
	struct tapp_flow f;
	uint8_t out[TAPP_PKT_MAX];
	static uint8_t big[TAPP_SEG_MAX + 1];
	size_t n;

	cr_expect_eq(tapp_flow_init(&f, 5, peer4, 1, relay4, 2, 0, 0), TAPP_E_ARG);
	cr_assert_eq(tapp_flow_init(&f, TAPP_V4, peer4, 1, relay4, 2, 0, 0), TAPP_OK);
	cr_expect_eq(tapp_packet(&f, TAPP_PEER, TAPP_ACK, big, sizeof(big), out,
	    sizeof(out), &n), TAPP_E_TOOBIG);
	cr_expect_eq(tapp_packet(&f, TAPP_PEER, TAPP_ACK, big, 100, out, 139, &n),
	    TAPP_E_SPACE);
	cr_expect_eq(tapp_packet(&f, (enum tapp_side)2, TAPP_ACK, NULL, 0, out, sizeof(out),
	    &n), TAPP_E_ARG);
	cr_expect_eq(tapp_packet(&f, TAPP_PEER, 0x40, NULL, 0, out, sizeof(out), &n),
	    TAPP_E_ARG);
	cr_expect_eq(f.tf_seq[TAPP_PEER], 0, "failed calls leave the flow alone");
	cr_expect_eq(tapp_segment(10), 10);
	cr_expect_eq(tapp_segment(TAPP_SEG_MAX + 5), TAPP_SEG_MAX);
}
