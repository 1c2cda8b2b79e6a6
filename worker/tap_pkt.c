/*
 * Synthesised IPv4/IPv6 + TCP packets for the pcap tap (tap_pkt.h) [pure].
 */
#include <string.h>

#include "tap_pkt.h"

#define TAPP_PROTO_TCP	6
#define TAPP_TTL	64
#define TAPP_WINDOW	65535

static void
tapp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
tapp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint16_t
tapp_sum(const uint8_t *p, size_t len, uint32_t start)
{
	uint64_t sum = start;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int
tapp_flow_init(struct tapp_flow *f, int family, const uint8_t *peer_addr,
    uint16_t peer_port, const uint8_t *relay_addr, uint16_t relay_port,
    uint32_t isn_peer, uint32_t isn_relay)
{
	size_t alen;

	memset(f, 0, sizeof(*f));
	if (family != TAPP_V4 && family != TAPP_V6)
		return TAPP_E_ARG;
	alen = family == TAPP_V4 ? 4 : 16;
	f->tf_family = family;
	memcpy(f->tf_addr[TAPP_PEER], peer_addr, alen);
	memcpy(f->tf_addr[TAPP_RELAY], relay_addr, alen);
	f->tf_port[TAPP_PEER] = peer_port;
	f->tf_port[TAPP_RELAY] = relay_port;
	f->tf_seq[TAPP_PEER] = isn_peer;
	f->tf_seq[TAPP_RELAY] = isn_relay;
	return TAPP_OK;
}

size_t
tapp_segment(size_t len)
{
	return len > TAPP_SEG_MAX ? TAPP_SEG_MAX : len;
}

int
tapp_packet(struct tapp_flow *f, enum tapp_side from, uint8_t flags,
    const uint8_t *data, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	enum tapp_side to;
	size_t iph, tcplen, total, alen;
	uint32_t pseudo;
	uint8_t *tcp;
	uint16_t ck;

	if ((from != TAPP_PEER && from != TAPP_RELAY) ||
	    (f->tf_family != TAPP_V4 && f->tf_family != TAPP_V6) ||
	    (flags & ~(TAPP_FIN | TAPP_SYN | TAPP_RST | TAPP_PSH | TAPP_ACK)) != 0 ||
	    (len > 0 && data == NULL))
		return TAPP_E_ARG;
	if (len > TAPP_SEG_MAX)
		return TAPP_E_TOOBIG;
	to = from == TAPP_PEER ? TAPP_RELAY : TAPP_PEER;
	iph = f->tf_family == TAPP_V4 ? TAPP_IP4_HDR : TAPP_IP6_HDR;
	alen = f->tf_family == TAPP_V4 ? 4 : 16;
	tcplen = TAPP_TCP_HDR + len;
	total = iph + tcplen;
	if (total > cap)
		return TAPP_E_SPACE;

	memset(out, 0, iph + TAPP_TCP_HDR);
	if (f->tf_family == TAPP_V4) {
		out[0] = 0x45;
		tapp_put16(out + 2, (uint16_t)total);
		tapp_put16(out + 4, f->tf_ipid++);
		out[6] = 0x40;		/* DF */
		out[8] = TAPP_TTL;
		out[9] = TAPP_PROTO_TCP;
		memcpy(out + 12, f->tf_addr[from], 4);
		memcpy(out + 16, f->tf_addr[to], 4);
		tapp_put16(out + 10, (uint16_t)~tapp_sum(out, TAPP_IP4_HDR, 0));
	} else {
		out[0] = 0x60;
		tapp_put16(out + 4, (uint16_t)tcplen);
		out[6] = TAPP_PROTO_TCP;
		out[7] = TAPP_TTL;
		memcpy(out + 8, f->tf_addr[from], 16);
		memcpy(out + 24, f->tf_addr[to], 16);
	}

	tcp = out + iph;
	tapp_put16(tcp, f->tf_port[from]);
	tapp_put16(tcp + 2, f->tf_port[to]);
	tapp_put32(tcp + 4, f->tf_seq[from]);
	if (flags & TAPP_ACK)
		tapp_put32(tcp + 8, f->tf_seq[to]);
	tcp[12] = (TAPP_TCP_HDR / 4) << 4;
	tcp[13] = flags;
	tapp_put16(tcp + 14, TAPP_WINDOW);
	if (len > 0)
		memcpy(tcp + TAPP_TCP_HDR, data, len);

	/* Pseudo-header: both addresses, protocol and TCP length (RFC 793, RFC 8200 8.1). */
	pseudo = tapp_sum(f->tf_addr[from], alen, 0);
	pseudo = tapp_sum(f->tf_addr[to], alen, pseudo);
	pseudo += TAPP_PROTO_TCP + (uint32_t)(tcplen & 0xffff) + (uint32_t)(tcplen >> 16);
	ck = (uint16_t)~tapp_sum(tcp, tcplen, pseudo);
	tapp_put16(tcp + 16, ck);

	f->tf_seq[from] += (uint32_t)len;
	if (flags & TAPP_SYN)
		f->tf_seq[from]++;
	if (flags & TAPP_FIN)
		f->tf_seq[from]++;
	*outlen = total;
	return TAPP_OK;
}

int
tapp_handshake(struct tapp_flow *f, enum tapp_side opener, uint8_t out[3][TAPP_HDR_MAX],
    size_t outlen[3])
{
	enum tapp_side other;
	int rc;

	if (opener != TAPP_PEER && opener != TAPP_RELAY)
		return TAPP_E_ARG;
	other = opener == TAPP_PEER ? TAPP_RELAY : TAPP_PEER;
	if ((rc = tapp_packet(f, opener, TAPP_SYN, NULL, 0, out[0], TAPP_HDR_MAX,
	    &outlen[0])) != TAPP_OK ||
	    (rc = tapp_packet(f, other, TAPP_SYN | TAPP_ACK, NULL, 0, out[1], TAPP_HDR_MAX,
	    &outlen[1])) != TAPP_OK ||
	    (rc = tapp_packet(f, opener, TAPP_ACK, NULL, 0, out[2], TAPP_HDR_MAX,
	    &outlen[2])) != TAPP_OK)
		return rc;
	f->tf_open = true;
	return TAPP_OK;
}
