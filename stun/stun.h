/*
 * STUN codec (RFC 5389/8489) with Microsoft's MS-ICE2 dialect (protocol.md 2.3-2.5).
 *
 * Pure: no I/O, no clock, no allocation, no logging.  Messages here are bare STUN
 * (20-byte header + attributes); the RFC 4571 length prefix belongs to frame.h.
 */
#ifndef APPSHARE_STUN_H
#define APPSHARE_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HDR_LEN		20
#define STUN_MAGIC		0x2112A442u
#define STUN_TID_LEN		12
#define STUN_MAX_ATTRS		32
/* A STUN message on an RFC 4571 connection can be at most 65535 bytes. */
#define STUN_MAX_MSG		65535
#define STUN_FP_XOR		0x5354554Eu
#define STUN_MI_LEN		20
#define STUN_MS_IMPL_VERSION	2u

/* Methods and classes; the wire type interleaves them (RFC 5389 6). */
#define STUN_METHOD_BINDING	0x001
enum stun_class {
	STUN_CLASS_REQUEST = 0,
	STUN_CLASS_INDICATION = 1,
	STUN_CLASS_SUCCESS = 2,
	STUN_CLASS_ERROR = 3,
};
uint16_t	stun_type(uint16_t method, enum stun_class);

/* Attribute types: RFC 5389/8445 and MS-ICE2/MS-TURN (libnice stunmessage.h codes). */
enum stun_attr_type {
	STUN_A_MAPPED_ADDRESS		= 0x0001,
	STUN_A_USERNAME			= 0x0006,
	STUN_A_MESSAGE_INTEGRITY	= 0x0008,
	STUN_A_ERROR_CODE		= 0x0009,
	STUN_A_UNKNOWN_ATTRIBUTES	= 0x000A,
	STUN_A_REALM			= 0x0014,
	STUN_A_NONCE			= 0x0015,
	STUN_A_XOR_MAPPED_ADDRESS	= 0x0020,
	STUN_A_PRIORITY			= 0x0024,
	STUN_A_USE_CANDIDATE		= 0x0025,
	STUN_A_MS_VERSION		= 0x8008,
	STUN_A_SOFTWARE			= 0x8022,
	STUN_A_ALTERNATE_SERVER		= 0x8023,
	STUN_A_FINGERPRINT		= 0x8028,
	STUN_A_ICE_CONTROLLED		= 0x8029,
	STUN_A_ICE_CONTROLLING		= 0x802A,
	STUN_A_MS_SEQUENCE_NUMBER	= 0x8050,
	STUN_A_CANDIDATE_IDENTIFIER	= 0x8054,
	STUN_A_IMPLEMENTATION_VERSION	= 0x8070,
};

/* Error codes carried in ERROR-CODE. */
#define STUN_ERR_BAD_REQUEST	400
#define STUN_ERR_UNAUTHORIZED	401
#define STUN_ERR_UNKNOWN_ATTR	420
#define STUN_ERR_ROLE_CONFLICT	487
#define STUN_ERR_SERVER_ERROR	500

/* Return codes: 0 or a negative value; stun_strerror() names each one. */
enum stun_rc {
	STUN_OK			= 0,
	STUN_E_SHORT		= -1,	/* fewer than 20 bytes, or length field past the buffer */
	STUN_E_NOTSTUN		= -2,	/* top bits or magic cookie wrong */
	STUN_E_LEN		= -3,	/* length field not a multiple of 4 or not = buffer */
	STUN_E_ATTR		= -4,	/* attribute runs past the end, or malformed value */
	STUN_E_FINGERPRINT	= -5,	/* FINGERPRINT present and wrong, or not last */
	STUN_E_INTEGRITY	= -6,	/* MESSAGE-INTEGRITY does not verify under any allowed rule */
	STUN_E_SPACE		= -7,	/* output buffer too small */
	STUN_E_NOATTR		= -8,	/* a required attribute is absent */
	STUN_E_TOOMANY		= -9,	/* more than STUN_MAX_ATTRS attributes */
	STUN_E_ARG		= -10,	/* caller error (bad family, oversized value, ...) */
};
const char	*stun_strerror(int rc);

/* MESSAGE-INTEGRITY rules (decision D7): accept either on receive, choose per peer on send. */
enum stun_mi_rule {
	STUN_MI_NONE	= 0,
	STUN_MI_RFC5389	= 1 << 0,	/* length up to MI; HMAC input not padded */
	STUN_MI_MSICE2	= 1 << 1,	/* length = final length; input zero-padded to 64 bytes */
};
#define STUN_MI_ANY	(STUN_MI_RFC5389 | STUN_MI_MSICE2)

/* FINGERPRINT flavours: the standard CRC-32 and old Lync's table with one wrong entry. */
enum stun_fp {
	STUN_FP_NONE	= 0,
	STUN_FP_STD	= 1,
	STUN_FP_LEGACY	= 2,
};

/* One attribute as found on the wire; val points into the decoded buffer. */
struct stun_attr {
	uint16_t	 type;
	uint16_t	 len;		/* value length as in the header (MS: counts NUL padding) */
	const uint8_t	*val;
	size_t		 off;		/* offset of the attribute header in the message */
};

/* Flags set by stun_decode(). */
#define STUN_F_FINGERPRINT	0x01	/* FINGERPRINT present and verified */
#define STUN_F_FP_LEGACY	0x02	/* ... with the legacy (old Lync) CRC table */
#define STUN_F_UNALIGNED	0x04	/* attributes packed without RFC padding (MS legacy) */
#define STUN_F_MS_IMPL		0x08	/* IMPLEMENTATION-VERSION present */

/* A decoded message: a view into the caller's buffer, valid while the buffer is. */
struct stun_msg {
	const uint8_t	*raw;		/* the whole message, header included */
	size_t		 len;		/* 20 + length field */
	uint16_t	 type;		/* wire type */
	uint16_t	 method;
	enum stun_class	 cls;
	uint8_t		 tid[STUN_TID_LEN];
	uint32_t	 flags;		/* STUN_F_* */
	int		 mi_idx;	/* index of MESSAGE-INTEGRITY in attrs, or -1 */
	int		 fp_idx;	/* index of FINGERPRINT in attrs, or -1 */
	size_t		 nattrs;
	struct stun_attr attrs[STUN_MAX_ATTRS];
};

/*
 * Decode and check structure.  Verifies FINGERPRINT when present (standard CRC; the
 * legacy CRC only when IMPLEMENTATION-VERSION is absent), which must be the last
 * attribute.  Attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored
 * (RFC 5389 15.4).  Does not check MESSAGE-INTEGRITY: that needs the key.
 */
int	stun_decode(const uint8_t *buf, size_t len, struct stun_msg *out);

/* Cheap test for "looks like STUN" (RFC 7983 + magic cookie), no full decode. */
bool	stun_is_stun(const uint8_t *buf, size_t len);

const struct stun_attr *stun_attr_find(const struct stun_msg *, uint16_t type);

/*
 * Check MESSAGE-INTEGRITY with key under the rules allowed by `rules` (STUN_MI_*).
 * On success *matched (if not NULL) says which rule verified.  STUN_E_NOATTR when the
 * message has no MESSAGE-INTEGRITY, STUN_E_INTEGRITY when no allowed rule verifies.
 */
int	stun_check_integrity(const struct stun_msg *, const uint8_t *key, size_t keylen,
	    unsigned rules, enum stun_mi_rule *matched);

/* Typed attribute readers: STUN_E_ATTR when the value has the wrong size or shape. */
int	stun_attr_u32(const struct stun_attr *, uint32_t *);
int	stun_attr_u64(const struct stun_attr *, uint64_t *);
int	stun_attr_xor_addr(const struct stun_msg *, const struct stun_attr *,
	    struct sockaddr_storage *);
int	stun_attr_error_code(const struct stun_attr *, int *code,
	    const uint8_t **reason, size_t *reasonlen);
/* USERNAME value with trailing NUL padding (MS-ICE2) stripped. */
int	stun_attr_username(const struct stun_attr *, const uint8_t **user, size_t *len);

/*
 * Builder: writes into a caller buffer, never allocates.  Errors are sticky: the first
 * failure is remembered in b->err and returned by stun_build_finish().
 */
struct stun_builder {
	uint8_t		*buf;
	size_t		 cap;
	size_t		 len;
	int		 err;
};

void	stun_build_init(struct stun_builder *, uint8_t *buf, size_t cap, uint16_t type,
	    const uint8_t tid[STUN_TID_LEN]);
/* Appends with RFC padding (zero bytes, not counted in the length). */
void	stun_build_attr(struct stun_builder *, uint16_t type, const void *val, size_t len);
/*
 * As stun_build_attr() with a chosen padding byte.  RFC 5389 lets the sender pick any
 * value; RFC 5769 and libnice pad text with 0x20, and reproducing their bytes (which the
 * HMAC and CRC cover) needs the same choice.
 */
void	stun_build_attr_padbyte(struct stun_builder *, uint16_t type, const void *val,
	    size_t len, uint8_t pad);
void	stun_build_u32(struct stun_builder *, uint16_t type, uint32_t);
void	stun_build_u64(struct stun_builder *, uint16_t type, uint64_t);
void	stun_build_flag(struct stun_builder *, uint16_t type);	/* empty value */
void	stun_build_xor_addr(struct stun_builder *, uint16_t type,
	    const struct sockaddr_storage *);
void	stun_build_error_code(struct stun_builder *, int code, const char *reason);
/*
 * MS-ICE2 style (ms_pad true): value NUL-padded to a multiple of 4 with the padding
 * counted in the length (USERNAME, CANDIDATE-IDENTIFIER).  Otherwise RFC padding.
 */
void	stun_build_padded(struct stun_builder *, uint16_t type, const void *val, size_t len,
	    bool ms_pad);

/*
 * Append MESSAGE-INTEGRITY (rule STUN_MI_RFC5389 or STUN_MI_MSICE2; STUN_MI_NONE for
 * none) and FINGERPRINT (STUN_FP_*), fix the header length, and return the total
 * message length in *written.  For the MS rule the HMAC covers the header with the
 * final length, as libnice and Lync do (protocol.md 2.5).
 */
int	stun_build_finish(struct stun_builder *, const uint8_t *key, size_t keylen,
	    enum stun_mi_rule, enum stun_fp, size_t *written);

/* CRC-32 (IEEE 802.3) over buf; legacy selects old Lync's table (entry 0x5A wrong). */
uint32_t	crc32_stun(const uint8_t *buf, size_t len, bool legacy);

#endif
