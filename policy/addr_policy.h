/*
 * Source-address policy for incoming TCP connections of an application-sharing leg
 * (protocol.md 5.1 "sourceAddressFiltering", 2.8, decision D11).
 *
 * The rule, exactly as stated for Ribbon and by our user: with filtering on, an incoming
 * TCP connection is accepted only if its source IP equals an address found in the
 * candidate lines (host, srflx, prflx, relay, raddr, x-candidate-ipv6) of the ICE SDP
 * received from that peer; while no SDP from that peer has been received, filtering is
 * skipped and the connection is accepted.
 *
 * Choices made here (and why):
 *  - IP only.  TCP source ports are ephemeral, so the port never takes part.
 *  - IPv4 is stored as IPv4; an IPv4-mapped IPv6 address (::ffff:a.b.c.d), whether it
 *    comes from a dual-stack listener's sockaddr or from SDP text, is normalised to
 *    IPv4, so both spellings of the same host compare equal.  Nothing else is
 *    translated: IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96) stay IPv6.
 *  - Exact equality, no wildcards: an unspecified candidate address (0.0.0.0, ::) is
 *    stored like any other and only matches a source with that very address, which a
 *    TCP peer never has.
 *  - Text zone ids ("fe80::1%eth0") are refused with POL_E_ZONE: the SDP address grammar
 *    has no zone, so one appearing is malformed input, and a link-local address is
 *    meaningless to a relay on public addresses.  The scope id of a sockaddr_in6 is
 *    ignored for the same reason (a candidate cannot carry one to compare with).
 *  - Candidates whose address does not parse (FQDN, mDNS ".local" names) cannot be
 *    matched: the relay never resolves names.  The caller skips them (a parse error is
 *    returned); if that leaves the set empty the verdict says POL_R_NO_CANDIDATES.
 *
 * Pure: no I/O, no clock, no allocation, no logging.  All state is caller-owned.
 */
#ifndef APPSHARE_ADDR_POLICY_H
#define APPSHARE_ADDR_POLICY_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Longest address text pol_addr_parse() accepts: the longest IPv6 text with an embedded
 * IPv4 part is 45 characters, plus two brackets; the rest is slack, not a promise.
 */
#define POL_ADDR_MAXTEXT	64
/* Room for pol_addr_format() output and its NUL (INET6_ADDRSTRLEN). */
#define POL_ADDR_STRLEN		46

/*
 * Distinct addresses one peer's SDP may contribute.  A Lync/SfB appsharing m-line
 * with host, srflx and relay candidates, IPv4 and IPv6, components 1 and 2, is about 20
 * candidate lines but only a handful of distinct IPs (duplicates are folded).  Past the
 * limit pol_peer_add() fails with POL_E_FULL: never silent truncation, which would
 * wrongly deny a peer connecting from a dropped address.
 */
#define POL_PEER_MAX		64

/* Return codes: 0 or negative; pol_strerror() names each. cidr.h continues at -32. */
enum pol_rc {
	POL_OK		= 0,
	POL_E_EMPTY	= -1,	/* zero-length address text */
	POL_E_TOOLONG	= -2,	/* longer than POL_ADDR_MAXTEXT */
	POL_E_NUL	= -3,	/* a NUL byte inside the text */
	POL_E_SYNTAX	= -4,	/* neither a dotted quad nor an IPv6 address */
	POL_E_LEADZERO	= -5,	/* IPv4 octet with a leading zero ("1.2.3.04") */
	POL_E_RANGE	= -6,	/* IPv4 octet above 255 */
	POL_E_ZONE	= -7,	/* IPv6 zone id ("%eth0"): refused, see above */
	POL_E_BRACKET	= -8,	/* unbalanced brackets, or brackets around IPv4 */
	POL_E_FAMILY	= -9,	/* sockaddr family neither AF_INET nor AF_INET6 */
	POL_E_FULL	= -10,	/* POL_PEER_MAX distinct addresses already held */
	POL_E_SPACE	= -11,	/* output buffer too small */
	POL_E_ARG	= -12,	/* NULL pointer or bad argument */
};
const char	*pol_strerror(int rc);

/*
 * An IP address: family and 16 bytes in network order.  IPv4 uses the first 4 bytes
 * and the remaining 12 are zero, so two normalised addresses are equal iff their
 * families and bytes are.
 */
struct pol_addr {
	sa_family_t	pa_family;	/* AF_INET or AF_INET6 */
	uint8_t		pa_bytes[16];
};

/*
 * Parse len bytes of s (not NUL-terminated; a NUL inside is an error) as an IPv4 dotted
 * quad (exactly four decimal octets, no leading zeros since some parsers read them as
 * octal) or an IPv6 address, optionally in brackets ("[::1]").  No surrounding
 * whitespace.  IPv4-mapped IPv6 is normalised to IPv4.
 */
int	pol_addr_parse(const char *s, size_t len, struct pol_addr *out);
/* The same, keeping ::ffff:a.b.c.d as AF_INET6 (cidr.c needs the spelling for /104). */
int	pol_addr_parse_raw(const char *s, size_t len, struct pol_addr *out);
/* Turn an IPv4-mapped AF_INET6 address into AF_INET; anything else is unchanged. */
void	pol_addr_normalise(struct pol_addr *);
/* Canonical text (inet_ntop) into buf; POL_E_SPACE if len < what is needed. */
int	pol_addr_format(const struct pol_addr *, char *buf, size_t len);
/* From an accepted connection's address: AF_INET or AF_INET6, mapped -> IPv4. */
int	pol_addr_from_sockaddr(const struct sockaddr_storage *, struct pol_addr *out);
/* To a sockaddr (tests, logs); port in host order. */
int	pol_addr_to_sockaddr(const struct pol_addr *, uint16_t port,
	    struct sockaddr_storage *out);
/* Equality after normalisation of both sides. */
bool	pol_addr_equal(const struct pol_addr *, const struct pol_addr *);

enum pol_verdict {
	POL_DENY	= 0,
	POL_ACCEPT	= 1,
};

/*
 * Why.  Stable: the tokens from pol_reason_str() go into logs and counters.  Values
 * are never renumbered; new reasons go before POL_R_MAX.
 */
enum pol_reason {
	POL_R_FILTER_OFF	= 0,	/* accept: filtering disabled for this leg */
	POL_R_NO_SDP_YET	= 1,	/* accept: no SDP from the peer yet (Ribbon semantics) */
	POL_R_MATCH		= 2,	/* accept: source IP is a candidate address */
	POL_R_NO_MATCH		= 3,	/* deny: source IP is not among the candidate addresses */
	POL_R_NO_CANDIDATES	= 4,	/* deny: the peer's SDP gave no candidate address */
	POL_R_BAD_FAMILY	= 5,	/* deny: source is neither IPv4 nor IPv6 */
	POL_R_MAX
};
/* Short token ("no-match"); "invalid" for a value out of range. */
const char	*pol_reason_str(enum pol_reason);
/* One sentence for humans. */
const char	*pol_reason_text(enum pol_reason);
/* "accept" or "deny". */
const char	*pol_verdict_str(enum pol_verdict);

/*
 * The policy state of one leg: the filtering switch and what the peer's SDP told us.
 * Caller-owned, plain data (about 1.2 KiB): copy it by assignment.
 */
struct pol_leg {
	bool		pl_filter;	/* source-address filtering on (the default) */
	bool		pl_sdp;		/* an SDP from the peer has been received */
	size_t		pl_naddr;	/* distinct addresses in pl_addr */
	struct pol_addr	pl_addr[POL_PEER_MAX];
};

/* Filtering on, no SDP received, empty set. */
void	pol_leg_init(struct pol_leg *);
void	pol_leg_set_filter(struct pol_leg *, bool on);

/*
 * Add one candidate address (connection address or raddr) of the peer's SDP.
 * Duplicates are folded and return POL_OK.  POL_E_FULL when the set is full: the caller
 * must then not call pol_peer_sdp_received() with the partial set (it would deny
 * addresses it never saw); rejecting the offer is the expected reaction, since no real
 * Lync/SfB SDP comes near the limit.
 */
int	pol_peer_add(struct pol_leg *, const struct pol_addr *);
/* pol_addr_parse() + pol_peer_add(), for the byte spans the SDP parser returns. */
int	pol_peer_add_text(struct pol_leg *, const char *s, size_t len);

/*
 * Mark the peer's SDP as received.  Even an SDP with no candidate at all counts: then
 * nothing matches and every connection is denied with POL_R_NO_CANDIDATES, so that the
 * operator sees why.  To replace the set on a new offer, fill a scratch pol_leg and
 * assign it, so that a failure half-way leaves the old state in place.
 */
void	pol_peer_sdp_received(struct pol_leg *);
/* Back to "no SDP received", empty set; the filter switch is kept. */
void	pol_peer_clear(struct pol_leg *);

/*
 * The verdict for a connection from src, with the reason in *why (why may be NULL).
 * Order: unusable source (not AF_INET/AF_INET6: denied even with filtering off, since a
 * TCP listener cannot produce it and failing closed is the safe reading of a bug) ->
 * filtering off -> no SDP yet -> empty set -> match.
 *
 * The optional re-check of decision D11 (once the SDP arrives, close connections that
 * were accepted before it and do not match; off by default) is this same function
 * applied to each open connection's source after pol_peer_sdp_received(): close those
 * that get POL_DENY.
 */
enum pol_verdict	pol_check(const struct pol_leg *, const struct sockaddr_storage *src,
			    enum pol_reason *why);
/* The same for an address already converted (mapped forms are normalised). */
enum pol_verdict	pol_check_addr(const struct pol_leg *, const struct pol_addr *src,
			    enum pol_reason *why);

#endif
