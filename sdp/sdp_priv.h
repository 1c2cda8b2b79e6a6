/*
 * Helpers shared by the files of as_sdp; not part of the public API.
 */
#ifndef APPSHARE_SDP_PRIV_H
#define APPSHARE_SDP_PRIV_H

#include "sdp.h"

/* Tokens separated by runs of SP or HTAB (RFC 4566 says one SP; be liberal). */
struct sdp_tok {
	const char	*t_p;
	const char	*t_end;
};

void	sdp_tok_init(struct sdp_tok *, const char *p, size_t len);
int	sdp_tok_next(struct sdp_tok *, struct sdp_str *out);
/* The rest of the input after leading blanks, possibly empty. */
struct sdp_str	sdp_tok_rest(struct sdp_tok *);

/* Decimal digits only, no sign, value <= max. */
int	sdp_num(struct sdp_str, uint32_t max, uint32_t *out);
/*
 * IPv4 or IPv6 literal into *a; a syntactically plausible host name gives
 * a_family 0 and success; anything else fails.
 */
int	sdp_addr_parse(struct sdp_str, struct sdp_addr *a, int allow_name);

#endif
