/*
 * appshare-peer helpers: the SDP this endpoint writes and reads (peer_sdp.c) and the
 * test frames it sends and verifies (peer_data.c).  docs/tools.md is the user view.
 */
#ifndef APPSHARE_PEER_H
#define APPSHARE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ice.h"

enum peer_dialect {
	PEER_MSICE2 = 0,	/* Lync/SfB: TCP-PASS/TCP-ACT, components 1 and 2 */
	PEER_RFC6544,		/* TCP ... tcptype, component 1 */
	PEER_RFC4145,		/* plain TCP: a=setup/a=connection, no ICE */
	PEER_DIALECT_MAX
};

/* a=setup values (RFC 4145), also what --tcp asks for. */
enum peer_setup {
	PEER_SETUP_NONE = 0,
	PEER_SETUP_ACTIVE,
	PEER_SETUP_PASSIVE,
	PEER_SETUP_ACTPASS,	/* --tcp both */
	PEER_SETUP_MAX
};

/* What goes into our SDP. */
struct peer_local {
	enum peer_dialect	 pl_dialect;
	bool			 pl_offer;	/* offer or answer: sharer or viewer */
	struct sockaddr_storage	 pl_addr;	/* our address and listening port */
	enum peer_setup		 pl_setup;	/* which candidates / a=setup */
	const char		*pl_ufrag;	/* ICE dialects only */
	const char		*pl_pwd;
};

/* What we take from the remote SDP. */
struct peer_remote {
	struct ice_creds	 pr_creds;
	bool			 pr_have_creds;
	struct ice_cand		 pr_cand[ICE_MAX_REMOTE];
	size_t			 pr_ncand;
	size_t			 pr_nskipped;	/* UDP, FQDN, beyond ICE_MAX_REMOTE */
	struct sockaddr_storage	 pr_addr;	/* c= and m= port (RFC 4145) */
	bool			 pr_have_addr;
	enum peer_setup		 pr_setup;
};

const char	*peer_dialect_name(enum peer_dialect);
const char	*peer_setup_name(enum peer_setup);
/* Priorities we announce and put into PRIORITY for the active / passive direction. */
uint32_t	 peer_sdp_prio(enum peer_dialect, bool active, unsigned component, bool ipv6);

/* Write our SDP (CRLF lines) into out; returns its length, or -1 if it does not fit. */
int		 peer_sdp_write(const struct peer_local *, uint64_t session_id, char *out,
		    size_t cap);
/* Parse the remote SDP; -1 with a reason in err on failure. */
int		 peer_sdp_read(const char *text, size_t len, struct peer_remote *,
		    char *err, size_t errlen);

/*
 * Test frames: an RTP packet (V=2, PT 127, M=0, seq = index mod 2^16, SSRC given) whose
 * payload is the 32-bit frame index, the 32-bit packet length, a pattern derived from
 * the index, and a CRC-32 of everything before it.  size counts the whole RTP packet
 * (the RFC 4571 frame payload).
 */
#define PEER_DATA_MIN		(12 + 4 + 4 + 4)
#define PEER_DATA_MAX		65535
void		 peer_data_build(uint8_t *buf, size_t size, uint32_t index, uint32_t ssrc);
/* 0 when buf is frame `index`; -1 with *why set otherwise. */
int		 peer_data_verify(const uint8_t *buf, size_t len, uint32_t index,
		    const char **why);

/*
 * End marker, sent once we have sent every frame and received every expected one: a
 * 20-byte RTP packet with index 0xffffffff and "BYE\0".  A peer closes only after the
 * other side's marker (or its close), so no relay sees a close while frames are still
 * on their way to the other side.
 */
#define PEER_DATA_BYE_LEN	20
void		 peer_data_bye(uint8_t *buf, uint32_t ssrc);
bool		 peer_data_is_bye(const uint8_t *buf, size_t len);

#endif
