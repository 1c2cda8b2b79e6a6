/*
 * Prometheus metrics of the master over HTTP (docs/operations.md "Metrics"): GET
 * /metrics on metrics-address, for clients in control-allow.  The numbers come from
 * the registry, the control port and the workers' shared-memory totals; the text from
 * metrics_fmt.c.
 */
#ifndef APPSHARE_METRICS_H
#define APPSHARE_METRICS_H

#include <stddef.h>

struct master;
struct metrics;

/* Bind the listener (before privileges are dropped); NULL + err.  addr: not none. */
struct metrics	*metrics_new(struct master *, char *err, size_t errlen);
/* Serve (after the drop).  -1 on failure. */
int		 metrics_start(struct metrics *);
void		 metrics_free(struct metrics *);

/* The exposition text of the current numbers into a new buffer (free()); NULL: memory. */
char		*metrics_text(struct master *, size_t *len);

#endif
