/*
 * The pcap tap (architecture.md decision 4, docs/operations.md "Capturing a session")
 * [io]: a session's bytes, both legs, both directions, into a pcap file the master
 * opened, wrapped in synthesised IPv4/IPv6 + TCP headers (tap_pkt.h).
 */
#ifndef APPSHARE_WORKER_TAP_H
#define APPSHARE_WORKER_TAP_H

#include <stddef.h>
#include <stdint.h>

#include "tap_pkt.h"

struct sess;
struct conn;
struct ipc_tap_fd;
struct tap;

/* Start tapping s into fd (ownership taken; closed if s is already tapped). */
void	tap_start(struct sess *, int fd, const struct ipc_tap_fd *);
/* Flush and close s's capture, if any. */
void	tap_stop(struct sess *, const char *why);
/* len bytes read from (TAPP_PEER) or written to (TAPP_RELAY) connection c. */
void	tap_data(struct conn *, enum tapp_side, const uint8_t *, size_t);

#endif
