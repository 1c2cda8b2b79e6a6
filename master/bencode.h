/*
 * Bencode <-> jansson trees, for the ng control protocol (docs/control.md).
 *
 * Pure: no I/O, no clock, no logging.  The decoder builds a json_t tree so that
 * the rest of the control code handles one representation whatever the wire
 * encoding was; the encoder turns a reply tree back into bencode bytes.
 */
#ifndef APPSHARE_BENCODE_H
#define APPSHARE_BENCODE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum benc_rc {
	BENC_OK = 0,
	BENC_E_AGAIN = -1,	/* incomplete: a longer input may still be valid */
	BENC_E_SYNTAX = -2,	/* malformed, whatever follows */
	BENC_E_DEPTH = -3,	/* nesting deeper than the limit */
	BENC_E_TOOBIG = -4,	/* value, string or item count over the limit */
	BENC_E_RANGE = -5,	/* integer outside int64 */
	BENC_E_UTF8 = -6,	/* string is not valid UTF-8 */
	BENC_E_KEY = -7,	/* dictionary key is not a string, or holds a NUL */
	BENC_E_DUPKEY = -8,	/* the same key twice in one dictionary */
	BENC_E_TYPE = -9,	/* encoder: real, true, false or null has no bencode form */
	BENC_E_SPACE = -10,	/* encoder: output buffer too small */
	BENC_E_NOMEM = -11,
	BENC_E_INVAL = -12	/* bad arguments */
};

/* Defaults used when benc_decode() gets a NULL limits pointer. */
#define BENC_DEF_MAX_DEPTH	32
#define BENC_DEF_MAX_SIZE	(1024 * 1024)
#define BENC_DEF_MAX_ITEMS	4096
/* Hard ceiling on depth whatever the caller asks: both coders recurse. */
#define BENC_MAX_DEPTH		128

struct benc_limits {
	size_t	bl_max_depth;	/* lists/dicts inside each other; top level is 1 */
	size_t	bl_max_size;	/* bytes of the whole value, strings included */
	size_t	bl_max_items;	/* values in the whole tree */
};

/*
 * Decode one bencode value from the start of buf.  On BENC_OK, *out is a new
 * reference and *consumed the number of bytes of the value (bytes after it are
 * left alone: on a stream they are the next message).  BENC_E_AGAIN means every
 * byte so far is a valid prefix; any other code means no continuation helps.
 * A declared string length over the size limit fails at once with
 * BENC_E_TOOBIG, without waiting for the bytes.
 *
 * Byte strings become json strings: they must be valid UTF-8 (jansson can hold
 * nothing else); embedded NULs are kept, except in dictionary keys.
 */
int	benc_decode(const uint8_t *buf, size_t len, const struct benc_limits *lim,
	    json_t **out, size_t *consumed);

/*
 * Encode v as bencode.  Dictionary keys are emitted sorted by their raw bytes
 * (canonical form).  Writes at most cap bytes into out (out may be NULL when
 * cap is 0); *needed gets the full size even on BENC_E_SPACE, so a caller can
 * size a buffer with a first call.
 */
int	benc_encode(const json_t *v, uint8_t *out, size_t cap, size_t *needed);

/* Same, into a malloc'd buffer of exactly *len bytes (free() it). */
int	benc_encode_alloc(const json_t *v, uint8_t **out, size_t *len);

const char	*benc_strerror(int rc);

#endif
