/*
 * appshare-ctl: send one ng command to appshare-master's control port and print the
 * reply (docs/control.md for the protocol, docs/tools.md for this program).
 *
 * UDP by default, like Kamailio: a lost datagram is sent again with the same cookie,
 * so that the master's cookie cache answers it without running the command twice.
 */
#include <sys/socket.h>
#include <sys/random.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bencode.h"
#include "ctl_json.h"

#define CTL_DEFAULT_HOST	"127.0.0.1"
#define CTL_DEFAULT_PORT	"2226"
#define CTL_TRIES		3
#define CTL_MAX_MSG		(CTLJ_MAX_COOKIE + 2 + CTLJ_MAX_BODY)
#define CTL_MAX_REPLY		(1024 * 1024)

/* Exit codes: documented in the usage text and docs/tools.md. */
#define CTL_EXIT_OK		0
#define CTL_EXIT_REPLY		1	/* the server answered with an error */
#define CTL_EXIT_USAGE		2	/* bad arguments, files, transport */

struct ctl_opts {
	const char	*co_server;
	bool		 co_tcp;
	bool		 co_bencode;
	double		 co_wait;	/* seconds per try */
	const char	*co_out;
	bool		 co_quiet;
	bool		 co_verbose;
	bool		 co_json;	/* sessions, stats, terminate: the reply as JSON */
};

/* Commands of this program that map to an ng command and print a summary. */
enum ctl_view {
	CTL_VIEW_NONE = 0,
	CTL_VIEW_SESSIONS,
	CTL_VIEW_STATS,
	CTL_VIEW_TERMINATE
};

static void __attribute__((noreturn))
ctl_usage(int code)
{
	FILE *f = code == 0 ? stdout : stderr;

	fprintf(f,
"usage: appshare-ctl [-tbqv] [--json] [-s HOST:PORT] [-w SECONDS] [-o FILE] COMMAND ...\n"
"\n"
"Send one ng command to appshare-master's control port and print the reply.\n"
"\n"
"commands:\n"
"  ping\n"
"  offer CALL-ID FROM-TAG SDP-FILE [KEY=VALUE ...]\n"
"  answer CALL-ID FROM-TAG TO-TAG SDP-FILE [KEY=VALUE ...]\n"
"  delete CALL-ID [FROM-TAG] [KEY=VALUE ...]\n"
"  query CALL-ID [KEY=VALUE ...]\n"
"  list [KEY=VALUE ...]\n"
"  statistics [KEY=VALUE ...]\n"
"  raw JSON-OBJECT             send this dictionary (with -b: as bencode)\n"
"  sessions                    live sessions, one block each (list details=yes)\n"
"  stats                       a summary of statistics\n"
"  terminate CALL-ID           end every stream of the call (delete, any tag)\n"
"\n"
"KEY=VALUE pairs go into the dictionary as strings (dialect=rfc6544,\n"
"initiate-tcp=yes, limit=10); a VALUE starting with [ or { is taken as JSON\n"
"(flags='[\"fast\"]').  SDP-FILE may be - for stdin.\n"
"\n"
"options:\n"
"  -s HOST:PORT  control port (default " CTL_DEFAULT_HOST ":" CTL_DEFAULT_PORT ")\n"
"  -t            TCP instead of UDP\n"
"  -b            bencode instead of JSON (what Kamailio sends)\n"
"  -w SECONDS    wait this long for a reply (default 2); UDP sends %d times\n"
"                with the same cookie before giving up\n"
"  -o FILE       write the reply's sdp to FILE (- for stdout, then the reply\n"
"                itself is not printed)\n"
"  -q            do not print the reply\n"
"  -v            show the messages sent and received\n"
"  --json        sessions, stats, terminate: print the reply as JSON\n"
"  -h            this text\n"
"\n"
"Exit status: 0 when the result is ok or pong, 1 when the server answered with\n"
"an error (or load limit), 2 on a usage, file or transport error.\n", CTL_TRIES);
	exit(code);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "appshare-ctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(appshare-ctl -h for help)\n");
	exit(CTL_EXIT_USAGE);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
ctl_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "appshare-ctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(CTL_EXIT_USAGE);
}

static uint64_t
ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the request ----------------------------------------------------------- */

static char *
ctl_read_sdp(const char *path)
{
	FILE *f;
	char *buf;
	size_t n;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL)
		ctl_die("%s: %s", path, strerror(errno));
	if ((buf = malloc(CTLJ_MAX_BODY + 1)) == NULL)
		ctl_die("out of memory");
	n = fread(buf, 1, CTLJ_MAX_BODY + 1, f);
	if (ferror(f))
		ctl_die("%s: %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	if (n > CTLJ_MAX_BODY)
		ctl_die("%s: larger than %d bytes", path, CTLJ_MAX_BODY);
	if (n == 0)
		ctl_die("%s: empty", path);
	buf[n] = '\0';
	if (strlen(buf) != n)
		ctl_die("%s: contains a NUL byte", path);
	return buf;
}

static void
ctl_set_str(json_t *req, const char *key, const char *val)
{
	json_t *v = json_string(val);

	if (v == NULL)
		ctl_die("%s: not valid UTF-8", key);
	json_object_set_new(req, key, v);
}

static void
ctl_add_pair(json_t *req, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char key[256];
	json_error_t err;
	json_t *v;

	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(key))
		ctl_usage_error("\"%s\" is not KEY=VALUE", arg);
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	if (eq[1] == '[' || eq[1] == '{') {
		if ((v = json_loads(eq + 1, JSON_REJECT_DUPLICATES, &err)) == NULL)
			ctl_usage_error("%s: bad JSON value: %s", key, err.text);
		json_object_set_new(req, key, v);
	} else
		ctl_set_str(req, key, eq + 1);
}

static void
ctl_want(int argc, int need, const char *cmd, const char *args)
{
	if (argc < need)
		ctl_usage_error("%s needs %s", cmd, args);
}

/* The request dictionary for COMMAND ARGS (argv[0] is the command). */
static json_t *
ctl_build(int argc, char **argv, enum ctl_view *view)
{
	const char *cmd = argv[0];
	json_t *req, *ordered;
	char *sdp;
	int i, first;

	if ((req = json_object()) == NULL)
		ctl_die("out of memory");
	*view = CTL_VIEW_NONE;
	if (strcmp(cmd, "sessions") == 0) {
		*view = CTL_VIEW_SESSIONS;
		cmd = "list";
		ctl_set_str(req, "details", "yes");
		json_object_set_new(req, "limit", json_integer(1000000));
		first = 1;
	} else if (strcmp(cmd, "stats") == 0) {
		*view = CTL_VIEW_STATS;
		cmd = "statistics";
		first = 1;
	} else if (strcmp(cmd, "terminate") == 0) {
		ctl_want(argc, 2, cmd, "CALL-ID");
		if (argc > 2)
			ctl_usage_error("terminate takes only CALL-ID");
		*view = CTL_VIEW_TERMINATE;
		cmd = "delete";
		ctl_set_str(req, "call-id", argv[1]);
		/* No from-tag: every stream of the call; fatal: an unknown call is an error. */
		json_object_set_new(req, "flags", json_pack("[s]", "fatal"));
		first = 2;
	} else if (strcmp(cmd, "ping") == 0 || strcmp(cmd, "list") == 0 ||
	    strcmp(cmd, "statistics") == 0) {
		first = 1;
	} else if (strcmp(cmd, "offer") == 0) {
		ctl_want(argc, 4, cmd, "CALL-ID FROM-TAG SDP-FILE");
		ctl_set_str(req, "call-id", argv[1]);
		ctl_set_str(req, "from-tag", argv[2]);
		sdp = ctl_read_sdp(argv[3]);
		ctl_set_str(req, "sdp", sdp);
		free(sdp);
		first = 4;
	} else if (strcmp(cmd, "answer") == 0) {
		ctl_want(argc, 5, cmd, "CALL-ID FROM-TAG TO-TAG SDP-FILE");
		ctl_set_str(req, "call-id", argv[1]);
		ctl_set_str(req, "from-tag", argv[2]);
		ctl_set_str(req, "to-tag", argv[3]);
		sdp = ctl_read_sdp(argv[4]);
		ctl_set_str(req, "sdp", sdp);
		free(sdp);
		first = 5;
	} else if (strcmp(cmd, "delete") == 0) {
		ctl_want(argc, 2, cmd, "CALL-ID");
		ctl_set_str(req, "call-id", argv[1]);
		first = 2;
		if (argc > 2 && strchr(argv[2], '=') == NULL) {
			ctl_set_str(req, "from-tag", argv[2]);
			first = 3;
		}
	} else if (strcmp(cmd, "query") == 0) {
		ctl_want(argc, 2, cmd, "CALL-ID");
		ctl_set_str(req, "call-id", argv[1]);
		first = 2;
	} else
		ctl_usage_error("unknown command \"%s\"", cmd);
	/* command first: easier to read in -v output and in the master's log */
	if ((ordered = json_object()) == NULL)
		ctl_die("out of memory");
	ctl_set_str(ordered, "command", cmd);
	json_object_update(ordered, req);
	json_decref(req);
	for (i = first; i < argc; i++)
		ctl_add_pair(ordered, argv[i]);
	return ordered;
}

/* "COOKIE SP BODY" into a malloc'd buffer. */
static uint8_t *
ctl_message(const char *cookie, const json_t *req, const char *raw, bool bencode,
    size_t *len)
{
	json_error_t err;
	json_t *parsed = NULL;
	uint8_t *body = NULL, *msg;
	char *text = NULL;
	size_t blen, cl = strlen(cookie);
	int rc;

	if (raw != NULL && !bencode) {
		blen = strlen(raw);
		body = (uint8_t *)strdup(raw);
	} else {
		if (raw != NULL) {
			parsed = json_loads(raw, JSON_REJECT_DUPLICATES, &err);
			if (parsed == NULL || !json_is_object(parsed))
				ctl_usage_error("raw: %s", parsed == NULL ? err.text :
				    "not a JSON object");
			req = parsed;
		}
		if (bencode) {
			if ((rc = benc_encode_alloc(req, &body, &blen)) != BENC_OK)
				ctl_usage_error("cannot encode as bencode: %s (true, false, "
				    "null and reals have no bencode form)",
				    benc_strerror(rc));
		} else {
			if ((text = json_dumps(req, JSON_COMPACT)) == NULL)
				ctl_die("out of memory");
			blen = strlen(text);
			body = (uint8_t *)text;
		}
		json_decref(parsed);
	}
	if (body == NULL)
		ctl_die("out of memory");
	if (blen > CTLJ_MAX_BODY)
		ctl_usage_error("request is %zu bytes, the limit is %d", blen, CTLJ_MAX_BODY);
	if ((msg = malloc(cl + 1 + blen)) == NULL)
		ctl_die("out of memory");
	memcpy(msg, cookie, cl);
	msg[cl] = ' ';
	memcpy(msg + cl + 1, body, blen);
	free(body);
	*len = cl + 1 + blen;
	return msg;
}

/* ---- transport ------------------------------------------------------------- */

static struct addrinfo *
ctl_resolve(const char *server, bool tcp)
{
	struct addrinfo hints, *res;
	char host[256];
	const char *port = CTL_DEFAULT_PORT, *end;
	size_t hl;
	int rc;

	if (server[0] == '[') {
		if ((end = strchr(server, ']')) == NULL || (end[1] != '\0' && end[1] != ':'))
			ctl_usage_error("-s: \"%s\" is not [V6]:PORT", server);
		hl = (size_t)(end - server - 1);
		if (end[1] == ':')
			port = end + 2;
		server++;
	} else if ((end = strrchr(server, ':')) != NULL && strchr(server, ':') == end) {
		hl = (size_t)(end - server);
		port = end + 1;
	} else
		hl = strlen(server);
	if (hl >= sizeof(host))
		ctl_usage_error("-s: host name too long");
	memcpy(host, server, hl);
	host[hl] = '\0';
	if (hl == 0)
		snprintf(host, sizeof(host), "%s", CTL_DEFAULT_HOST);
	if (*port == '\0')
		ctl_usage_error("-s: empty port");
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		ctl_die("%s: %s", server, gai_strerror(rc));
	return res;
}

static bool
ctl_cookie_matches(const uint8_t *buf, size_t len, const char *cookie)
{
	size_t cl = strlen(cookie);

	return len > cl && memcmp(buf, cookie, cl) == 0 && buf[cl] == ' ';
}

static void
ctl_trace(const struct ctl_opts *o, const char *dir, const uint8_t *m, size_t len)
{
	if (o->co_verbose)
		fprintf(stderr, "appshare-ctl: %s %zu bytes: %.*s\n", dir, len,
		    len > 2000 ? 2000 : (int)len, (const char *)m);
}

/* UDP: CTL_TRIES sends with the same cookie; returns the reply length. */
static size_t
ctl_udp(const struct ctl_opts *o, const struct addrinfo *ai, const char *cookie,
    const uint8_t *msg, size_t len, uint8_t *reply, size_t cap)
{
	struct pollfd pfd;
	uint64_t until, now;
	const char *last = "no reply";
	ssize_t n;
	int fd, try, ms;

	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		ctl_die("%s: %s", o->co_server, strerror(errno));
	for (try = 1; try <= CTL_TRIES; try++) {
		ctl_trace(o, try == 1 ? "sent" : "resent", msg, len);
		if (send(fd, msg, len, 0) < 0) {
			if (errno == EMSGSIZE)
				ctl_die("request of %zu bytes does not fit a datagram: use -t",
				    len);
			last = strerror(errno);
		}
		until = ctl_now_ms() + (uint64_t)(o->co_wait * 1000);
		while ((now = ctl_now_ms()) < until) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			ms = (int)(until - now);
			if (poll(&pfd, 1, ms) <= 0)
				continue;
			n = recv(fd, reply, cap, 0);
			if (n < 0) {
				/* ICMP port unreachable: maybe not started yet, try again. */
				last = strerror(errno);
				if (errno == ECONNREFUSED)
					break;
				continue;
			}
			ctl_trace(o, "received", reply, (size_t)n);
			if (ctl_cookie_matches(reply, (size_t)n, cookie)) {
				close(fd);
				return (size_t)n;
			}
			if (o->co_verbose)
				fprintf(stderr, "appshare-ctl: ignored a reply with another "
				    "cookie\n");
		}
		/* A refused port answers at once: still wait before the next try. */
		if ((now = ctl_now_ms()) < until)
			poll(NULL, 0, (int)(until - now));
	}
	close(fd);
	ctl_die("%s: %s after %d tries of %.1f s", o->co_server, last, CTL_TRIES, o->co_wait);
}

static size_t
ctl_tcp(const struct ctl_opts *o, const struct addrinfo *ai, const char *cookie,
    const uint8_t *msg, size_t len, uint8_t *reply, size_t cap)
{
	struct pollfd pfd;
	uint64_t until, now;
	size_t got = 0, off = 0, start, mlen;
	ssize_t n;
	int fd, rc, err = 0;
	socklen_t el = sizeof(err);

	until = ctl_now_ms() + (uint64_t)(o->co_wait * 1000 * CTL_TRIES);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		ctl_die("socket: %s", strerror(errno));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS)
		ctl_die("%s: %s", o->co_server, strerror(errno));
	pfd.fd = fd;
	pfd.events = POLLOUT;
	now = ctl_now_ms();
	if (poll(&pfd, 1, now < until ? (int)(until - now) : 0) != 1)
		ctl_die("%s: connect timed out", o->co_server);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)
		ctl_die("%s: %s", o->co_server, strerror(err != 0 ? err : errno));
	ctl_trace(o, "sent", msg, len);
	for (;;) {
		if (off < len) {
			n = send(fd, msg + off, len - off, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				ctl_die("%s: %s", o->co_server, strerror(errno));
			if (n > 0)
				off += (size_t)n;
		}
		/* Replies to other cookies cannot happen on our own connection, but skip them. */
		while ((rc = ctlj_frame(reply, got, &start, &mlen)) == CTLJ_OK) {
			if (ctl_cookie_matches(reply + start, mlen, cookie)) {
				memmove(reply, reply + start, mlen);
				ctl_trace(o, "received", reply, mlen);
				close(fd);
				return mlen;
			}
			memmove(reply, reply + start + mlen, got - start - mlen);
			got -= start + mlen;
		}
		if (rc != CTLJ_E_AGAIN)
			ctl_die("%s: malformed reply (%s)", o->co_server, ctlj_strerror(rc));
		if (got == cap)
			ctl_die("%s: reply larger than %zu bytes", o->co_server, cap);
		now = ctl_now_ms();
		if (now >= until)
			ctl_die("%s: no reply within %.1f s", o->co_server,
			    o->co_wait * CTL_TRIES);
		pfd.events = POLLIN | (off < len ? POLLOUT : 0);
		if (poll(&pfd, 1, (int)(until - now)) <= 0)
			continue;
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, reply + got, cap - got, 0);
		if (n == 0)
			ctl_die("%s: connection closed before the reply", o->co_server);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			ctl_die("%s: %s", o->co_server, strerror(errno));
		if (n > 0)
			got += (size_t)n;
	}
}

/* ---- the reply ------------------------------------------------------------- */

static json_t *
ctl_decode_reply(const uint8_t *buf, size_t len)
{
	const uint8_t *cookie, *body;
	size_t cl, bl, used;
	json_error_t err;
	json_t *v = NULL;

	if (ctlj_split(buf, len, &cookie, &cl, &body, &bl) != CTLJ_OK || bl == 0)
		return NULL;
	if (body[0] == '{')
		v = json_loadb((const char *)body, bl, JSON_DISABLE_EOF_CHECK, &err);
	else if (body[0] == 'd' && benc_decode(body, bl, NULL, &v, &used) != BENC_OK)
		v = NULL;
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static int
ctl_write_out(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	FILE *f;

	if (strcmp(path, "-") == 0)
		return fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -1;
	/* Atomic: appshare-peer polls for this file and must not read half of it. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	if (fwrite(text, 1, len, f) != len || fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- human-readable views ---------------------------------------------------- */

static long long
ctl_int(const json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

static const char *
ctl_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL && *s != '\0' ? s : "-";
}

static void
ctl_endpoint(const json_t *ep, char *buf, size_t len)
{
	const char *a = json_string_value(json_object_get(ep, "address"));

	if (a == NULL)
		snprintf(buf, len, "-");
	else if (strchr(a, ':') != NULL)
		snprintf(buf, len, "[%s]:%lld", a, ctl_int(ep, "port"));
	else
		snprintf(buf, len, "%s:%lld", a, ctl_int(ep, "port"));
}

static void
ctl_print_sessions(const json_t *rep)
{
	const json_t *list = json_object_get(rep, "sessions"), *s, *lg;
	char loc[64], rem[64];
	size_t i, j;

	if (!json_is_array(list)) {
		printf("the relay sent no session details (an older appshare-master?)\n");
		return;
	}
	if (json_array_size(list) == 0)
		printf("no sessions\n");
	for (i = 0; i < json_array_size(list); i++) {
		const json_t *legs;

		s = json_array_get(list, i);
		printf("%s stream %lld: %s, %lld s, worker %lld, from-tag %s, to-tag %s\n",
		    ctl_str(s, "call-id"), ctl_int(s, "stream"), ctl_str(s, "state"),
		    ctl_int(s, "age"), ctl_int(s, "worker"), ctl_str(s, "from-tag"),
		    ctl_str(s, "to-tag"));
		legs = json_object_get(s, "legs");
		for (j = 0; j < json_array_size(legs); j++) {
			lg = json_array_get(legs, j);
			ctl_endpoint(json_object_get(lg, "local"), loc, sizeof(loc));
			ctl_endpoint(json_object_get(lg, "remote"), rem, sizeof(rem));
			printf("  %s %-7s %-7s local %s remote %s frames in %lld out %lld "
			    "bytes in %lld out %lld\n", ctl_str(lg, "leg"),
			    ctl_str(lg, "dialect"), ctl_str(lg, "tcp"), loc, rem,
			    ctl_int(lg, "frames in"), ctl_int(lg, "frames out"),
			    ctl_int(lg, "bytes in"), ctl_int(lg, "bytes out"));
		}
	}
}

static void
ctl_print_stats(const json_t *rep)
{
	const json_t *st = json_object_get(rep, "statistics");
	const json_t *cur = json_object_get(st, "currentstatistics");
	const json_t *tot = json_object_get(st, "totalstatistics");
	const json_t *cs = json_object_get(st, "controlstatistics");
	const json_t *rl = json_object_get(st, "relay");
	const json_t *ports = json_object_get(st, "ports");
	const json_t *cdr = json_object_get(st, "cdr");
	const json_t *workers = json_object_get(st, "workers"), *w;
	size_t i;

	printf("uptime: %lld s\n", ctl_int(tot, "uptime"));
	printf("sessions: %lld live in %lld calls, %lld created, %lld lost with a worker, "
	    "%lld offers over max-sessions\n", ctl_int(cur, "sessionsown"),
	    ctl_int(cur, "calls"), ctl_int(tot, "managedsessions"),
	    ctl_int(tot, "workerlostsessions"), ctl_int(tot, "loadlimit"));
	if (rl != NULL) {
		printf("connections: %lld accepted, %lld refused by the source filter\n",
		    ctl_int(rl, "accepted"), ctl_int(rl, "policy denied"));
		printf("ICE: %lld failures, %lld bad STUN messages\n",
		    ctl_int(rl, "ICE failed"), ctl_int(rl, "STUN bad"));
		printf("relayed: frames %lld in, %lld out; bytes %lld in, %lld out\n",
		    ctl_int(rl, "frames in"), ctl_int(rl, "frames out"),
		    ctl_int(rl, "bytes in"), ctl_int(rl, "bytes out"));
		printf("CDR: %lld waiting for ring space, writer restarts %lld, file %lld\n",
		    ctl_int(rl, "CDR backlog"), ctl_int(cdr, "restarts"),
		    ctl_int(cdr, "file sequence"));
	}
	printf("control: %lld requests (ping %lld, offer %lld, answer %lld, delete %lld, "
	    "query %lld, list %lld, statistics %lld), %lld errors, %lld cached, "
	    "%lld refused, %lld dropped\n", ctl_int(cs, "requests"), ctl_int(cs, "ping"),
	    ctl_int(cs, "offer"), ctl_int(cs, "answer"), ctl_int(cs, "delete"),
	    ctl_int(cs, "query"), ctl_int(cs, "list"), ctl_int(cs, "statistics"),
	    ctl_int(cs, "errors"), ctl_int(cs, "cached"), ctl_int(cs, "refused"),
	    ctl_int(cs, "dropped"));
	printf("ports: %lld in use, %lld free, %lld quarantined, %lld in all\n",
	    ctl_int(ports, "in use"), ctl_int(ports, "free"), ctl_int(ports, "quarantined"),
	    ctl_int(ports, "total"));
	for (i = 0; i < json_array_size(workers); i++) {
		w = json_array_get(workers, i);
		printf("worker %lld: pid %lld, %s, %lld restarts, %lld sessions\n",
		    ctl_int(w, "index"), ctl_int(w, "pid"), ctl_str(w, "state"),
		    ctl_int(w, "restarts"), ctl_int(w, "sessions"));
	}
}

static void
ctl_view_print(enum ctl_view view, const json_t *rep, const char *arg)
{
	switch (view) {
	case CTL_VIEW_SESSIONS:
		ctl_print_sessions(rep);
		break;
	case CTL_VIEW_STATS:
		ctl_print_stats(rep);
		break;
	case CTL_VIEW_TERMINATE:
		printf("%s: terminated\n", arg);
		break;
	default:
		break;
	}
}

int
main(int argc, char **argv)
{
	struct ctl_opts o = { CTL_DEFAULT_HOST ":" CTL_DEFAULT_PORT, false, false, 2.0, NULL,
	    false, false, false };
	struct addrinfo *ai;
	const char *raw = NULL, *result, *reason;
	uint8_t *msg, *reply, rnd[4];
	char cookie[64], *text, *end;
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	enum ctl_view view = CTL_VIEW_NONE;
	json_t *req = NULL, *rep, *sdp;
	size_t len, rlen;
	int ch, code;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "s:tbw:o:qvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'J':
			o.co_json = true;
			break;
		case 's':
			o.co_server = optarg;
			break;
		case 't':
			o.co_tcp = true;
			break;
		case 'b':
			o.co_bencode = true;
			break;
		case 'w':
			errno = 0;
			o.co_wait = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    !isfinite(o.co_wait) || o.co_wait < 0.01 || o.co_wait > 3600)
				ctl_usage_error("-w: \"%s\" is not a number of seconds "
				    "(0.01 to 3600)", optarg);
			break;
		case 'o':
			o.co_out = optarg;
			break;
		case 'q':
			o.co_quiet = true;
			break;
		case 'v':
			o.co_verbose = true;
			break;
		case 'h':
			ctl_usage(0);
		default:
			ctl_usage(CTL_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		ctl_usage_error("no command");
	if (strcmp(argv[0], "raw") == 0) {
		if (argc != 2)
			ctl_usage_error("raw needs exactly one JSON object");
		raw = argv[1];
	} else
		req = ctl_build(argc, argv, &view);

	/* Kamailio's shape (<n>_<pid>_<m>) with randomness, so two runs never collide. */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	snprintf(cookie, sizeof(cookie), "%02x%02x%02x%02x_%ld_1", rnd[0], rnd[1], rnd[2],
	    rnd[3], (long)getpid());
	msg = ctl_message(cookie, req, raw, o.co_bencode, &len);
	json_decref(req);

	ai = ctl_resolve(o.co_server, o.co_tcp);
	if ((reply = malloc(CTL_MAX_REPLY + 1)) == NULL)
		ctl_die("out of memory");
	rlen = o.co_tcp ? ctl_tcp(&o, ai, cookie, msg, len, reply, CTL_MAX_REPLY) :
	    ctl_udp(&o, ai, cookie, msg, len, reply, CTL_MAX_REPLY);
	freeaddrinfo(ai);
	free(msg);

	if ((rep = ctl_decode_reply(reply, rlen)) == NULL)
		ctl_die("%s: malformed reply: %.*s", o.co_server, rlen > 200 ? 200 : (int)rlen,
		    (const char *)reply);
	free(reply);
	result = json_string_value(json_object_get(rep, "result"));
	if (view != CTL_VIEW_NONE && !o.co_json && !o.co_quiet && result != NULL &&
	    strcmp(result, "ok") == 0) {
		ctl_view_print(view, rep, argv[argc > 1 ? 1 : 0]);
		fflush(stdout);
	} else if (!o.co_quiet && (o.co_out == NULL || strcmp(o.co_out, "-") != 0)) {
		if ((text = json_dumps(rep, JSON_INDENT(2))) == NULL)
			ctl_die("out of memory");
		printf("%s\n", text);
		free(text);
		fflush(stdout);
	}
	code = result != NULL && (strcmp(result, "ok") == 0 || strcmp(result, "pong") == 0) ?
	    CTL_EXIT_OK : CTL_EXIT_REPLY;
	if (code != CTL_EXIT_OK) {
		reason = json_string_value(json_object_get(rep, "error-reason"));
		if (reason == NULL)
			reason = json_string_value(json_object_get(rep, "message"));
		fprintf(stderr, "appshare-ctl: %s%s%s\n", result != NULL ? result :
		    "reply without result", reason != NULL ? ": " : "",
		    reason != NULL ? reason : "");
	} else if (o.co_out != NULL) {
		sdp = json_object_get(rep, "sdp");
		if (!json_is_string(sdp)) {
			fprintf(stderr, "appshare-ctl: -o %s: the reply has no sdp\n", o.co_out);
			code = CTL_EXIT_REPLY;
		} else if (ctl_write_out(o.co_out, json_string_value(sdp)) != 0) {
			fprintf(stderr, "appshare-ctl: %s: %s\n", o.co_out, strerror(errno));
			code = CTL_EXIT_USAGE;
		}
	}
	json_decref(rep);
	return code;
}
