/*
 * Synthesised IPv4/IPv6 + TCP packets for the pcap tap (architecture.md decision 4)
 * [pure].
 *
 * The tap does not capture from the wire: the worker hands over the bytes it read
 * from and wrote to one TCP connection, and this module wraps them in the headers a
 * packet of that connection would have had, with sequence and acknowledgement
 * numbers that follow the byte stream in each direction.  Wireshark and tshark then
 * reassemble the stream as if it had been captured and decode the RFC 4571 frames in
 * it.  No clock, no I/O: the caller writes the packets (libpcap, LINKTYPE_RAW, where
 * IPv4 and IPv6 packets may follow one another in one file).
 *
 * Both checksums are computed, so that a capture with checksum validation turned on
 * shows no false errors.  Window 65535, no options, DF set on IPv4, TTL/hop limit 64.
 */
#ifndef APPSHARE_TAP_PKT_H
#define APPSHARE_TAP_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAPP_V4			4
#define TAPP_V6			6

#define TAPP_IP4_HDR		20
#define TAPP_IP6_HDR		40
#define TAPP_TCP_HDR		20
#define TAPP_HDR_MAX		(TAPP_IP6_HDR + TAPP_TCP_HDR)
/* Largest payload of one packet; longer chunks are cut (tapp_segment()). */
#define TAPP_SEG_MAX		16384
#define TAPP_PKT_MAX		(TAPP_HDR_MAX + TAPP_SEG_MAX)

/* TCP flags */
#define TAPP_FIN		0x01
#define TAPP_SYN		0x02
#define TAPP_RST		0x04
#define TAPP_PSH		0x08
#define TAPP_ACK		0x10

/* Sides of a connection: who sends the packet. */
enum tapp_side {
	TAPP_PEER = 0,		/* the endpoint: bytes the relay read */
	TAPP_RELAY = 1,		/* the relay: bytes it wrote */
	TAPP_NSIDES
};

enum tapp_rc {
	TAPP_OK = 0,
	TAPP_E_ARG = -1,	/* bad family, side or flags */
	TAPP_E_SPACE = -2,	/* output buffer too small */
	TAPP_E_TOOBIG = -3	/* payload above TAPP_SEG_MAX */
};

/* One TCP connection as the capture shows it. */
struct tapp_flow {
	int		tf_family;		/* TAPP_V4 or TAPP_V6 */
	uint8_t		tf_addr[TAPP_NSIDES][16];	/* network order; IPv4 in 4 bytes */
	uint16_t	tf_port[TAPP_NSIDES];	/* host order */
	uint32_t	tf_seq[TAPP_NSIDES];	/* next sequence number each side sends */
	bool		tf_open;		/* handshake written */
	uint16_t	tf_ipid;		/* IPv4 identification, per flow */
};

/*
 * A flow between peer and relay with initial sequence numbers isn (one per side,
 * the caller's choice: random or fixed).
 */
int	tapp_flow_init(struct tapp_flow *, int family, const uint8_t *peer_addr,
	    uint16_t peer_port, const uint8_t *relay_addr, uint16_t relay_port,
	    uint32_t isn_peer, uint32_t isn_relay);

/*
 * One packet from side `from`: IP and TCP headers, then len bytes of data, into out.
 * ACK (if in flags) acknowledges everything the other side sent so far.  The
 * sender's sequence number advances by len, plus one for SYN and one for FIN.
 * *outlen is the packet length.
 */
int	tapp_packet(struct tapp_flow *, enum tapp_side from, uint8_t flags,
	    const uint8_t *data, size_t len, uint8_t *out, size_t cap, size_t *outlen);

/*
 * The three packets of the handshake, `opener` connecting (SYN, SYN|ACK, ACK), in
 * out[0..2]; each out[i] needs TAPP_HDR_MAX bytes.  Marks the flow open.
 */
int	tapp_handshake(struct tapp_flow *, enum tapp_side opener,
	    uint8_t out[3][TAPP_HDR_MAX], size_t outlen[3]);

/* How much of a chunk of len bytes the next packet carries. */
size_t	tapp_segment(size_t len);

/* Internet checksum (RFC 1071) of len bytes, folded, not complemented; for tests. */
uint16_t	tapp_sum(const uint8_t *, size_t, uint32_t start);

#endif
