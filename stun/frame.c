/*
 * RFC 4571 framer and reassembler, and the RFC 7983 demultiplexer for frame payloads.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"

static size_t
frame_rd16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

const char *
frame_strerror(int rc)
{
	switch (rc) {
	case FRAME_OK:
		return "success";
	case FRAME_AGAIN:
		return "incomplete frame";
	case FRAME_TOOBIG:
		return "frame too big";
	case FRAME_E_SPACE:
		return "output buffer too small";
	case FRAME_E_ARG:
		return "invalid argument";
	}
	return "unknown frame error";
}

enum frame_rc
frame_next(const uint8_t *buf, size_t len, size_t max, size_t *payload_len)
{
	size_t n;

	*payload_len = 0;
	if (len < FRAME_HDR_LEN)
		return FRAME_AGAIN;
	n = frame_rd16(buf);
	*payload_len = n;
	/* Judge the length before the payload arrives: no point buffering 64 KiB to refuse it. */
	if (n > max)
		return FRAME_TOOBIG;
	if (len - FRAME_HDR_LEN < n)
		return FRAME_AGAIN;
	return FRAME_OK;
}

enum frame_rc
frame_write_prefix(uint8_t out[FRAME_HDR_LEN], size_t len)
{
	if (len > FRAME_MAX)
		return FRAME_TOOBIG;
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	return FRAME_OK;
}

enum frame_rc
frame_encode(uint8_t *out, size_t cap, const uint8_t *payload, size_t len,
    size_t *written)
{
	if (written != NULL)
		*written = 0;
	if (out == NULL || (payload == NULL && len != 0))
		return FRAME_E_ARG;
	if (len > FRAME_MAX)
		return FRAME_TOOBIG;
	if (cap < FRAME_HDR_LEN || cap - FRAME_HDR_LEN < len)
		return FRAME_E_SPACE;
	if (len != 0)
		memmove(out + FRAME_HDR_LEN, payload, len);
	(void)frame_write_prefix(out, len);
	if (written != NULL)
		*written = FRAME_HDR_LEN + len;
	return FRAME_OK;
}

enum frame_rc
frame_rx_init(struct frame_rx *rx, uint8_t *buf, size_t cap, size_t max)
{
	memset(rx, 0, sizeof(*rx));
	/* A buffer that cannot hold the largest frame would deadlock the reader. */
	if (buf == NULL || max > FRAME_MAX || cap < FRAME_HDR_LEN + max) {
		rx->fr_err = FRAME_E_ARG;
		return FRAME_E_ARG;
	}
	rx->fr_buf = buf;
	rx->fr_cap = cap;
	rx->fr_max = max;
	rx->fr_err = FRAME_OK;
	return FRAME_OK;
}

uint8_t *
frame_rx_space(struct frame_rx *rx, size_t *avail)
{
	size_t have, need;

	*avail = 0;
	if (rx->fr_err != FRAME_OK)
		return NULL;
	/* Everything popped: payload pointers are now void, start over at the front. */
	if (rx->fr_start == rx->fr_end)
		rx->fr_start = rx->fr_end = 0;
	have = rx->fr_end - rx->fr_start;
	if (have < FRAME_HDR_LEN)
		need = FRAME_HDR_LEN - have;
	else {
		size_t n = frame_rd16(rx->fr_buf + rx->fr_start);

		if (n > rx->fr_max) {
			rx->fr_err = FRAME_TOOBIG;
			return NULL;
		}
		need = FRAME_HDR_LEN + n > have ? FRAME_HDR_LEN + n - have : 0;
	}
	/*
	 * Move the partial frame to the front only when the tail cannot take the rest of
	 * it; cap >= 2 + max guarantees it fits after the move.
	 */
	if (rx->fr_start > 0 && rx->fr_cap - rx->fr_end < need) {
		memmove(rx->fr_buf, rx->fr_buf + rx->fr_start, have);
		rx->fr_start = 0;
		rx->fr_end = have;
	}
	*avail = rx->fr_cap - rx->fr_end;
	return rx->fr_buf + rx->fr_end;
}

void
frame_rx_commit(struct frame_rx *rx, size_t n)
{
	if (rx->fr_err != FRAME_OK)
		return;
	if (n > rx->fr_cap - rx->fr_end)
		n = rx->fr_cap - rx->fr_end;
	rx->fr_end += n;
}

size_t
frame_rx_feed(struct frame_rx *rx, const uint8_t *data, size_t len)
{
	size_t avail;
	uint8_t *p;

	if ((p = frame_rx_space(rx, &avail)) == NULL)
		return 0;
	if (len > avail)
		len = avail;
	if (len != 0)
		memcpy(p, data, len);
	frame_rx_commit(rx, len);
	return len;
}

enum frame_rc
frame_rx_pop(struct frame_rx *rx, const uint8_t **payload, size_t *len)
{
	size_t n;
	enum frame_rc rc;

	*payload = NULL;
	*len = 0;
	if (rx->fr_err != FRAME_OK)
		return (enum frame_rc)rx->fr_err;
	rc = frame_next(rx->fr_buf + rx->fr_start, rx->fr_end - rx->fr_start, rx->fr_max,
	    &n);
	if (rc == FRAME_TOOBIG)
		rx->fr_err = FRAME_TOOBIG;
	if (rc != FRAME_OK)
		return rc;
	*payload = rx->fr_buf + rx->fr_start + FRAME_HDR_LEN;
	*len = n;
	rx->fr_start += FRAME_HDR_LEN + n;
	return FRAME_OK;
}

size_t
frame_rx_pending(const struct frame_rx *rx)
{
	return rx->fr_end - rx->fr_start;
}

enum frame_kind
frame_classify(const uint8_t *p, size_t len)
{
	if (p == NULL || len == 0)
		return FRAME_KIND_OTHER;
	/* STUN: first two bits 00, restricted to the Binding/TURN range 0x00-0x01. */
	if (p[0] <= 0x01) {
		if (len >= 20 && p[4] == 0x21 && p[5] == 0x12 && p[6] == 0xA4 &&
		    p[7] == 0x42)
			return FRAME_KIND_STUN;
		return FRAME_KIND_OTHER;
	}
	if (p[0] >= 0x80 && p[0] <= 0xBF) {
		/* rtcp-mux (RFC 5761 4): RTCP packet types 192..223 sit where M+PT would. */
		if (len >= 2 && p[1] >= 192 && p[1] <= 223)
			return len >= FRAME_RTCP_MIN ? FRAME_KIND_RTCP : FRAME_KIND_OTHER;
		return len >= FRAME_RTP_MIN ? FRAME_KIND_RTP : FRAME_KIND_OTHER;
	}
	return FRAME_KIND_OTHER;
}

const char *
frame_kind_name(enum frame_kind k)
{
	switch (k) {
	case FRAME_KIND_STUN:
		return "stun";
	case FRAME_KIND_RTP:
		return "rtp";
	case FRAME_KIND_RTCP:
		return "rtcp";
	case FRAME_KIND_OTHER:
		return "other";
	}
	return "other";
}
