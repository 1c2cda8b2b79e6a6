/*
 * Media sockets the master creates on behalf of its workers (conventions.md 3): the
 * listening socket of a passive leg, and the unconnected socket of an active one.
 * Workers never call socket() or bind().
 */
#ifndef APPSHARE_SOCKS_H
#define APPSHARE_SOCKS_H

#include <stdint.h>

#include "conf.h"

#define SOCKS_BACKLOG	16

/*
 * The family a leg's listener uses: IPv4 when there is an IPv4 media address, else
 * IPv6.  A worker leg has one listener, so a dual-stack relay advertises (and listens
 * on) its IPv4 address only.
 */
int	socks_family(const struct conf_ips *media);

/*
 * A non-blocking, close-on-exec TCP listener on the media address of socks_family()
 * and port.  Returns the descriptor, or -1 with errno (EADDRINUSE when the port is
 * taken by someone else).
 */
int	socks_listen(const struct conf_ips *media, uint16_t port);

/*
 * A non-blocking TCP socket of family af (AF_INET, AF_INET6), bound to the media
 * address of that family with port 0, for the worker to connect().  -1 with errno
 * (EAFNOSUPPORT without a media address of that family).
 */
int	socks_connect_sock(const struct conf_ips *media, int af);

#endif
