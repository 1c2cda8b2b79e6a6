/*
 * The control port of the master (docs/control.md): UDP (one datagram = one message)
 * and TCP (messages back to back), the allow list, the cookie cache, size limits.
 * Commands go to a handler that returns the reply tree.
 */
#ifndef APPSHARE_CTL_H
#define APPSHARE_CTL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "ctl_json.h"
#include "metrics_fmt.h"

#define CTL_COOKIE_GEN_MS	30000	/* cache generation: replies live 30-60 s */
#define CTL_TCP_MAX_CLIENTS	64
#define CTL_TCP_MAX_BUFFERED	(CTLJ_MAX_BODY + CTLJ_MAX_COOKIE + 64)
#define CTL_TCP_MAX_REPLY	(4 * 1024 * 1024)
#define CTL_TCP_IDLE_S		300
#define CTL_UDP_MAX		65535

struct event_base;
struct ctl;

/*
 * Run one decoded request; return a new reply tree (NULL: out of memory).  rc is
 * ctlj_decode()'s result: the handler may take a command the codec does not know
 * (the test hooks).
 */
typedef json_t	*(*ctl_handler)(struct ctl_req *, int rc, const char *peer, void *arg);

struct ctl_stats {
	uint64_t	cs_requests;
	uint64_t	cs_cached;	/* answered from the cookie cache */
	uint64_t	cs_refused;	/* source not in control-allow */
	uint64_t	cs_errors;	/* error replies */
	uint64_t	cs_dropped;	/* no cookie, oversized, unframeable */
	uint64_t	cs_tcp_clients;
	/* Time from decode to encoded reply of requests not answered from the cache. */
	uint64_t	cs_lat[MET_NBUCKETS + 1];	/* per bucket of met_bucket_us */
	uint64_t	cs_lat_sum_us;
};

/* Create and bind the listeners (before privileges are dropped).  NULL + err. */
struct ctl	*ctl_new(struct event_base *, const struct as_conf *, ctl_handler,
		    void *arg, char *err, size_t errlen);
/* Start serving (after the drop). */
int		 ctl_start(struct ctl *);
/* New allow list (SIGHUP). */
void		 ctl_set_allow(struct ctl *, const struct cidr_list *);
void		 ctl_get_stats(const struct ctl *, struct ctl_stats *);
void		 ctl_free(struct ctl *);

#endif
