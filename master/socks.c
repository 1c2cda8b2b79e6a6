/*
 * Media sockets (socks.h).
 */
#include "socks.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

static int
socks_addr(const struct conf_ips *media, int af, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET && media->ci_has4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, media->ci_ip4, 4);
		*sl = sizeof(*sin);
		return 0;
	}
	if (af == AF_INET6 && media->ci_has6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, media->ci_ip6, 16);
		*sl = sizeof(*sin6);
		return 0;
	}
	errno = EAFNOSUPPORT;
	return -1;
}

static int
socks_new(int af, const struct sockaddr_storage *ss, socklen_t sl)
{
	int fd, one = 1, saved;

	if ((fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* A port leaving quarantine may still have TIME_WAIT connections. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	/* Each family gets its own socket: an IPv6 one must not also take IPv4. */
	if (af == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	/* A wildcard or not-yet-configured media address must not stop the relay. */
	(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, sl) == -1)
		goto fail;
	return fd;
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
socks_family(const struct conf_ips *media)
{
	return media->ci_has4 ? AF_INET : AF_INET6;
}

int
socks_listen(const struct conf_ips *media, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int af = socks_family(media), fd, saved;

	if (socks_addr(media, af, port, &ss, &sl) == -1)
		return -1;
	if ((fd = socks_new(af, &ss, sl)) == -1)
		return -1;
	if (listen(fd, SOCKS_BACKLOG) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
socks_connect_sock(const struct conf_ips *media, int af)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (socks_addr(media, af, 0, &ss, &sl) == -1)
		return -1;
	return socks_new(af, &ss, sl);
}
