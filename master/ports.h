/*
 * TCP port allocator for the media range [port-min, port-max].
 *
 * Each port is free, in use, or quarantined.  A released port is quarantined for a
 * fixed time before it can be handed out again, so that a late connection meant for
 * an ended session (a peer retrying an old offer, a SYN still in flight) cannot reach
 * the next session that gets the port.
 *
 * Pure: time (now_ms, monotonic milliseconds) and randomness (a u32) are arguments.
 * Memory: ports_init() makes one allocation sized by the range (about 10 bytes per
 * port: two bitmaps plus the quarantine queue; 650 KB for 1024..65535), released by
 * ports_free().  No allocation happens after ports_init().
 */
#ifndef APPSHARE_PORTS_H
#define APPSHARE_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ports_rc {
	PORTS_OK		= 0,
	PORTS_E_EXHAUSTED	= -1,	/* no free port: "Ran out of ports" */
	PORTS_E_RANGE		= -2,	/* port outside the range, or a bad range */
	PORTS_E_INUSE		= -3,	/* reserve: the port is already in use */
	PORTS_E_QUARANTINED	= -4,	/* reserve: the port is in quarantine */
	PORTS_E_NOTUSED		= -5,	/* release: the port is not in use */
	PORTS_E_NOMEM		= -6,	/* ports_init: allocation failed */
};

struct ports_stats {
	uint32_t	ps_total;
	uint32_t	ps_free;
	uint32_t	ps_in_use;
	uint32_t	ps_quarantined;
};

/* Caller-owned; the fields are private to ports.c. */
struct ports {
	uint16_t	 pt_min;
	uint16_t	 pt_max;
	uint32_t	 pt_n;		/* ports in the range */
	uint32_t	 pt_words;	/* 64-bit words per bitmap */
	uint64_t	 pt_quarantine_ms;
	uint32_t	 pt_in_use;
	uint32_t	 pt_quarantined;
	uint64_t	*pt_busy;	/* bit set: in use or quarantined */
	uint64_t	*pt_quar;	/* bit set: quarantined */
	/*
	 * Quarantine queue, oldest first.  The quarantine time is the same for every
	 * port, so release order is expiry order and a ring suffices; a port is in it
	 * at most once, so pt_n entries are enough.
	 */
	uint64_t	*pt_q_until;
	uint16_t	*pt_q_port;
	uint32_t	 pt_q_head;
	uint32_t	 pt_q_len;
	void		*pt_mem;
};

/* "Ran out of ports", ... ; "unknown error" for other values. */
const char	*ports_strerror(int rc);

/*
 * Set up the range [min, max] (1 <= min <= max) with every port free.
 * PORTS_E_RANGE for a bad range, PORTS_E_NOMEM if the allocation fails.
 */
int	ports_init(struct ports *, uint16_t min, uint16_t max, uint64_t quarantine_ms);
void	ports_free(struct ports *);

/*
 * Take a free port, chosen uniformly among the free ports by rnd (the caller passes
 * a fresh random value).  Quarantines that ended by now_ms are lifted first.
 * PORTS_E_EXHAUSTED when no port is free.  O(range / 64).
 */
int	ports_alloc(struct ports *, uint64_t now_ms, uint32_t rnd, uint16_t *port);

/*
 * Take this very port (a repeated offer that must keep its port).  PORTS_E_RANGE,
 * PORTS_E_INUSE or PORTS_E_QUARANTINED when it cannot.
 */
int	ports_reserve(struct ports *, uint64_t now_ms, uint16_t port);

/*
 * Give a port back: it stays quarantined until now_ms + quarantine (free at once
 * with a zero quarantine).  PORTS_E_NOTUSED if it was not in use: a double release
 * is the caller's bug and must not shorten a quarantine.
 */
int	ports_release(struct ports *, uint64_t now_ms, uint16_t port);

/* Lift the quarantines that ended by now_ms (alloc and reserve do it themselves). */
void	ports_expire(struct ports *, uint64_t now_ms);

/* Counts after ports_expire(now_ms). */
void	ports_stats(struct ports *, uint64_t now_ms, struct ports_stats *);

/* Is the port in use (not free, not quarantined)? false outside the range. */
bool	ports_in_use(const struct ports *, uint16_t port);

/* When the oldest quarantine ends; false if none is running. */
bool	ports_next_expiry(const struct ports *, uint64_t *until_ms);

#endif
