/*
 * Test frames of appshare-peer: self-describing RTP packets, so that the receiver
 * can tell loss, reordering, truncation and corruption apart without knowing what
 * the sender was told (size may differ per direction).
 */
#include <stdint.h>
#include <string.h>

#include "peer.h"
#include "stun.h"

#define PD_RTP_HDR	12
#define PD_PT		127

static void
pd_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
pd_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Depends on the index so that a frame repeated or skipped is caught by the pattern too. */
static uint8_t
pd_pattern(uint32_t index, size_t i)
{
	return (uint8_t)(index * 131u + (uint32_t)i * 7u + 1u);
}

void
peer_data_build(uint8_t *buf, size_t size, uint32_t index, uint32_t ssrc)
{
	size_t i, end = size - 4;

	buf[0] = 0x80;		/* V=2, no padding, no extension, CC 0 */
	buf[1] = PD_PT;		/* M=0 */
	buf[2] = (uint8_t)(index >> 8);
	buf[3] = (uint8_t)index;
	pd_put32(buf + 4, index * 3000u);	/* 90 kHz clock, 30 frames/s */
	pd_put32(buf + 8, ssrc);
	pd_put32(buf + PD_RTP_HDR, index);
	pd_put32(buf + PD_RTP_HDR + 4, (uint32_t)size);
	for (i = PD_RTP_HDR + 8; i < end; i++)
		buf[i] = pd_pattern(index, i);
	pd_put32(buf + end, crc32_stun(buf, end, false));
}

int
peer_data_verify(const uint8_t *buf, size_t len, uint32_t index, const char **why)
{
	size_t i, end;

	if (len < PEER_DATA_MIN) {
		*why = "frame too short for a test frame";
		return -1;
	}
	if (buf[0] != 0x80 || buf[1] != PD_PT) {
		*why = "not an RTP packet with V=2, PT 127, M=0";
		return -1;
	}
	end = len - 4;
	if (pd_get32(buf + end) != crc32_stun(buf, end, false)) {
		*why = "checksum mismatch";
		return -1;
	}
	if (pd_get32(buf + PD_RTP_HDR + 4) != len) {
		*why = "length does not match the frame";
		return -1;
	}
	if (pd_get32(buf + PD_RTP_HDR) != index ||
	    (((uint32_t)buf[2] << 8) | buf[3]) != (index & 0xffffu)) {
		*why = pd_get32(buf + PD_RTP_HDR) < index ? "frame repeated or out of order" :
		    "frame lost or out of order";
		return -1;
	}
	for (i = PD_RTP_HDR + 8; i < end; i++)
		if (buf[i] != pd_pattern(index, i)) {
			*why = "pattern mismatch";
			return -1;
		}
	return 0;
}

void
peer_data_bye(uint8_t *buf, uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = PD_PT;
	buf[2] = buf[3] = 0xff;
	pd_put32(buf + 4, 0);
	pd_put32(buf + 8, ssrc);
	pd_put32(buf + PD_RTP_HDR, UINT32_MAX);
	memcpy(buf + PD_RTP_HDR + 4, "BYE", 4);
}

bool
peer_data_is_bye(const uint8_t *buf, size_t len)
{
	return len == PEER_DATA_BYE_LEN && buf[0] == 0x80 && buf[1] == PD_PT &&
	    pd_get32(buf + PD_RTP_HDR) == UINT32_MAX &&
	    memcmp(buf + PD_RTP_HDR + 4, "BYE", 4) == 0;
}
