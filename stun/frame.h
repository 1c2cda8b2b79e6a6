/*
 * RFC 4571 framing (2-byte big-endian length, then that many bytes) and the RFC 7983
 * style demultiplexing of a frame's payload (protocol.md 2.2, 3.1).
 *
 * Pure: no I/O, no allocation.  The worker read()s into a reassembler's free space
 * and pops complete frames; payloads are pointers into the caller's buffer.
 */
#ifndef APPSHARE_FRAME_H
#define APPSHARE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR_LEN	2
#define FRAME_MAX	65535	/* the length field is 16 bits */

enum frame_rc {
	FRAME_OK	= 0,
	FRAME_AGAIN	= 1,	/* not a whole frame yet: read more */
	FRAME_TOOBIG	= -1,	/* length field above the limit: close the connection */
	FRAME_E_SPACE	= -2,	/* output buffer too small */
	FRAME_E_ARG	= -3,	/* caller error (buffer smaller than 2 + max, ...) */
};
const char	*frame_strerror(int rc);

/*
 * Stateless: is there a whole frame at the start of buf?  FRAME_OK sets *payload_len
 * (the frame occupies 2 + *payload_len bytes).  FRAME_AGAIN also sets it once the
 * length field is in (0 before that).  FRAME_TOOBIG as soon as the length field
 * exceeds max, without waiting for the payload.
 */
enum frame_rc	frame_next(const uint8_t *buf, size_t len, size_t max, size_t *payload_len);

/* Write the 2-byte prefix for a payload of len bytes; FRAME_TOOBIG above 65535. */
enum frame_rc	frame_write_prefix(uint8_t out[FRAME_HDR_LEN], size_t len);
/*
 * Prefix + payload into out (cap bytes); *written = 2 + len.  payload may overlap out
 * (memmove), so a payload built at out + 2 can be framed in place.
 */
enum frame_rc	frame_encode(uint8_t *out, size_t cap, const uint8_t *payload, size_t len,
		    size_t *written);

/*
 * Reassembler over a caller buffer of cap >= 2 + max bytes.  Use:
 *
 *	p = frame_rx_space(&rx, &avail);	(NULL/0 after FRAME_TOOBIG)
 *	n = read(fd, p, avail);
 *	frame_rx_commit(&rx, n);
 *	while ((rc = frame_rx_pop(&rx, &pl, &plen)) == FRAME_OK)
 *		handle(pl, plen);
 *	if (rc == FRAME_TOOBIG) close;
 *
 * Popped payloads point into the buffer and stay valid until the next call to
 * frame_rx_space() or frame_rx_feed(), which may move unconsumed bytes to the front.
 * FRAME_TOOBIG is sticky.
 */
struct frame_rx {
	uint8_t	*fr_buf;
	size_t	 fr_cap;
	size_t	 fr_max;	/* largest payload accepted */
	size_t	 fr_start;	/* first byte not yet popped */
	size_t	 fr_end;	/* one past the last byte received */
	int	 fr_err;	/* FRAME_OK or sticky FRAME_TOOBIG */
};

enum frame_rc	frame_rx_init(struct frame_rx *, uint8_t *buf, size_t cap, size_t max);
/*
 * Free space to read into.  Compacts only when the tail cannot hold the rest of the
 * frame being received, so whole frames are popped without copying.  avail is 0 when
 * complete frames are still waiting to be popped and the tail is full.
 */
uint8_t		*frame_rx_space(struct frame_rx *, size_t *avail);
/* n bytes were written at frame_rx_space(); n must not exceed avail. */
void		 frame_rx_commit(struct frame_rx *, size_t n);
/* Copying convenience for tests and callers with their own buffer: returns bytes taken. */
size_t		 frame_rx_feed(struct frame_rx *, const uint8_t *data, size_t len);
enum frame_rc	 frame_rx_pop(struct frame_rx *, const uint8_t **payload, size_t *len);
/* Bytes received but not yet popped (a partial frame at close is a truncation). */
size_t		 frame_rx_pending(const struct frame_rx *);

/* Demultiplexing of one frame payload (RFC 7983, protocol.md 2.2). */
enum frame_kind {
	FRAME_KIND_OTHER = 0,
	FRAME_KIND_STUN,
	FRAME_KIND_RTP,
	FRAME_KIND_RTCP,
};
#define FRAME_RTP_MIN	12	/* RFC 3550 fixed header */
#define FRAME_RTCP_MIN	8	/* RFC 3550 common header + SSRC */
enum frame_kind	 frame_classify(const uint8_t *payload, size_t len);
const char	*frame_kind_name(enum frame_kind);

#endif
