/*
 * appshare-peer: an application-sharing endpoint for tests, the README walkthrough and
 * benchmarks.  It writes an SDP the way a Lync client (MS-ICE2), an ICE-TCP device
 * (RFC 6544) or a plain TCP device (RFC 4145) would, reads the other side's SDP from a
 * file, runs ICE over TCP with the project's own agent (stun/ice.h), then sends and
 * verifies RTP-like test frames (tools/peer_data.c).  docs/tools.md is the user view.
 *
 * One process, one leg, a poll() loop: the sans-I/O agent tells us what to do and we
 * do it, as the worker does.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "ice.h"
#include "peer.h"
#include "stun.h"

#define PEER_RX_CAP		(FRAME_HDR_LEN + FRAME_MAX)
#define PEER_TX_CAP		(512 * 1024)
/* Data frames are queued only below this, so STUN always finds room behind them. */
#define PEER_TX_HIGH		(64 * 1024)
#define PEER_POLL_MS		100	/* remote SDP file */
/* Done and flushed: how long to wait for the other side's end marker or close. */
#define PEER_LINGER_MS		5000
#define PEER_MAX_SDP		65536

enum peer_phase {
	PH_WAIT = 0,	/* no transport yet (remote SDP, ICE checks, TCP connect) */
	PH_UP,		/* ICE selected / TCP connected: data flows */
	PH_DONE,	/* all sent and received, end marker sent: lingering */
	PH_END,
	PH_MAX
};

struct pconn {
	int		 pc_fd;		/* -1: slot free */
	unsigned	 pc_gen;	/* bumped on every close: stale pointers notice */
	bool		 pc_connecting;
	bool		 pc_failed;	/* connect failed at once: reported next turn */
	struct sockaddr_storage pc_peer;
	struct frame_rx	 pc_rx;
	uint8_t		*pc_rxbuf;
	uint8_t		*pc_tx;
	size_t		 pc_txoff;
	size_t		 pc_txlen;
};

struct peer_opts {
	bool			 po_offer;
	enum peer_dialect	 po_dialect;
	int			 po_role;	/* -1: from offer/answer */
	enum peer_setup		 po_tcp;	/* NONE: default */
	struct sockaddr_storage	 po_bind;
	const char		*po_sdp_out;
	const char		*po_remote;
	unsigned long		 po_frames;
	unsigned long		 po_expect;
	size_t			 po_size;
	bool			 po_dup;
	bool			 po_aggressive;
	bool			 po_quiet;
	int			 po_verbose;
	unsigned		 po_timeout;
	unsigned		 po_interval_ms;	/* 0: as fast as the socket takes */
	const char		*po_ufrag;
	const char		*po_pwd;
	bool			 po_sdp_first;	/* answer: write our SDP before the offer */
	unsigned		 po_hold;	/* s to keep the connection after the end */
};

struct peer {
	struct peer_opts	 pe_o;
	enum peer_phase		 pe_phase;
	bool			 pe_ice;
	enum peer_setup		 pe_setup;	/* ours after negotiation (RFC 4145) */
	bool			 pe_accepting;
	int			 pe_lfd;
	struct sockaddr_storage	 pe_laddr;
	struct ice_agent	*pe_ag;
	struct ice_out		*pe_out;
	struct pconn		 pe_conn[ICE_MAX_CONNS];
	int			 pe_sel;
	char			 pe_ufrag[8];
	char			 pe_pwd[32];
	uint32_t		 pe_ssrc;
	/* remote SDP */
	bool			 pe_have_remote;
	uint64_t		 pe_next_poll;
	bool			 pe_stale_known;
	struct stat		 pe_stale;
	struct peer_remote	 pe_remote;
	/* results */
	uint64_t		 pe_start;
	uint64_t		 pe_deadline;
	uint64_t		 pe_linger_end;	/* 0 until our end marker is flushed */
	bool			 pe_peer_bye;	/* the other side's end marker came */
	bool			 pe_holding;	/* --hold: both markers seen, waiting */
	bool			 pe_ok;
	bool			 pe_was_up;	/* transport came up at some point */
	char			 pe_why[256];
	unsigned long		 pe_tx_frames;
	uint64_t		 pe_tx_octets;
	uint64_t		 pe_tx_next;	/* --interval: when the next frame is due */
	unsigned long		 pe_rx_frames;
	uint64_t		 pe_rx_octets;
	uint32_t		 pe_rx_next;
	unsigned long		 pe_rx_bad;
	char			 pe_rx_err[128];
	unsigned long		 pe_stun_in;
	unsigned long		 pe_stun_out;
	unsigned long		 pe_stun_ignored;	/* RFC 4145: not ours to answer */
	uint8_t			 pe_frame[FRAME_HDR_LEN + PEER_DATA_MAX];
};

static void	peer_apply(struct peer *, uint64_t);

static void __attribute__((noreturn))
peer_usage(int code)
{
	FILE *f = code == 0 ? stdout : stderr;

	fprintf(f,
"usage: appshare-peer offer|answer --sdp-out FILE --remote-sdp FILE [options]\n"
"\n"
"An application-sharing endpoint (Lync client or third-party device) for tests.\n"
"offer:  write our SDP to --sdp-out, then wait for the answer in --remote-sdp.\n"
"answer: wait for the offer in --remote-sdp, then write our SDP to --sdp-out.\n"
"FILE may be - (stdout / stdin).  Then ICE over TCP (or plain TCP), send --frames\n"
"test frames and verify --expect frames from the other side.\n"
"\n"
"options:\n"
"  -d, --dialect D        ms-ice2 (default), rfc6544 or rfc4145\n"
"  -r, --role R           controlling or controlled (default: offer controls)\n"
"  -T, --tcp M            active, passive or both (ICE default both; RFC 4145:\n"
"                         offer both = actpass, answer follows the offer)\n"
"  -b, --bind ADDR[:PORT] local address for listening and connecting\n"
"                         (default 127.0.0.1, port chosen by the kernel)\n"
"  -o, --sdp-out FILE     where to write our SDP\n"
"  -i, --remote-sdp FILE  the other side's SDP (polled until it appears)\n"
"  -n, --frames N         data frames to send after ICE (default 0)\n"
"  -s, --size BYTES       size of each frame, RTP header included (default 1200)\n"
"  -e, --expect N         frames to receive and verify (default 0)\n"
"  -D, --duplicate-checks send every STUN request twice, as libnice does\n"
"  -A, --aggressive       aggressive nomination when controlling\n"
"  -t, --timeout SECONDS  give up after this long (default 30)\n"
"      --interval MS      send one frame every MS milliseconds (default: as fast\n"
"                         as the connection takes them)\n"
"      --ufrag U, --pwd P fixed ICE credentials (default random)\n"
"      --sdp-first        answer: write our SDP at once, before the offer\n"
"                         (RFC 4145 needs --tcp active or passive)\n"
"      --hold SECONDS     after both end markers, keep the connection open\n"
"                         until the other side closes it or SECONDS pass\n"
"  -q, --quiet            only the summary line\n"
"  -v, --verbose          more detail (twice: every STUN message)\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 if ICE (or TCP) came up, every frame was sent and every expected\n"
"frame was verified; 1 otherwise; 2 on a usage error.\n");
	exit(code);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
peer_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "appshare-peer: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(appshare-peer -h for help)\n");
	exit(2);
}

static void __attribute__((format(printf, 3, 4)))
peer_log(const struct peer *pe, int level, const char *fmt, ...)
{
	va_list ap;

	if (pe->pe_o.po_quiet || level > pe->pe_o.po_verbose)
		return;
	fprintf(stderr, "appshare-peer: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* The first failure is the one reported; later ones are consequences. */
static void __attribute__((format(printf, 2, 3)))
peer_fail(struct peer *pe, const char *fmt, ...)
{
	va_list ap;

	if (pe->pe_phase == PH_END && !pe->pe_ok)
		return;
	va_start(ap, fmt);
	vsnprintf(pe->pe_why, sizeof(pe->pe_why), fmt, ap);
	va_end(ap);
	pe->pe_ok = false;
	pe->pe_phase = PH_END;
}

static uint64_t
peer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
peer_rand(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	(void)ctx;
	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "appshare-peer: getrandom: %s\n", strerror(errno));
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

/* ice-chars (RFC 8839): ALPHA / DIGIT / "+" / "/". */
static void
peer_rand_token(char *out, size_t len)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t r[64];
	size_t i;

	peer_rand(NULL, r, len);
	for (i = 0; i < len; i++)
		out[i] = set[r[i] % 64];
	out[len] = '\0';
}

static const char *
peer_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else
		snprintf(buf, len, "?");
	return buf;
}

static socklen_t
peer_salen(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

/* ADDR, ADDR:PORT, [V6]:PORT or a bare V6 address. */
static int
peer_parse_addr(const char *arg, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL, *end;
	unsigned long p = 0;
	char *ep;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (arg[0] == '[') {
		if ((end = strchr(arg, ']')) == NULL)
			return -1;
		hl = (size_t)(end - arg - 1);
		memmove(host, arg + 1, hl < sizeof(host) ? hl : 0);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -1;
	} else if ((end = strrchr(arg, ':')) != NULL && strchr(arg, ':') == end) {
		hl = (size_t)(end - arg);
		memmove(host, arg, hl < sizeof(host) ? hl : 0);
		port = end + 1;
	} else {
		hl = strlen(arg);
		memmove(host, arg, hl < sizeof(host) ? hl : 0);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	host[hl] = '\0';
	if (port != NULL) {
		errno = 0;
		p = strtoul(port, &ep, 10);
		if (*port == '\0' || *ep != '\0' || errno != 0 || p > 65535)
			return -1;
	}
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)p);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)p);
		return 0;
	}
	return -1;
}

static unsigned long
peer_parse_num(const char *opt, const char *arg, unsigned long min, unsigned long max)
{
	unsigned long v;
	char *ep;

	errno = 0;
	v = strtoul(arg, &ep, 10);
	if (*arg == '\0' || *arg == '-' || *ep != '\0' || errno != 0 || v < min || v > max)
		peer_usage_error("%s: \"%s\" is not a number from %lu to %lu", opt, arg, min,
		    max);
	return v;
}

static void
peer_parse_args(struct peer_opts *o, int argc, char **argv)
{
	enum { OPT_UFRAG = 256, OPT_PWD, OPT_INTERVAL, OPT_SDP_FIRST, OPT_HOLD };
	static const struct option longopts[] = {
		{ "dialect", required_argument, NULL, 'd' },
		{ "role", required_argument, NULL, 'r' },
		{ "tcp", required_argument, NULL, 'T' },
		{ "bind", required_argument, NULL, 'b' },
		{ "sdp-out", required_argument, NULL, 'o' },
		{ "remote-sdp", required_argument, NULL, 'i' },
		{ "frames", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "expect", required_argument, NULL, 'e' },
		{ "duplicate-checks", no_argument, NULL, 'D' },
		{ "aggressive", no_argument, NULL, 'A' },
		{ "timeout", required_argument, NULL, 't' },
		{ "ufrag", required_argument, NULL, OPT_UFRAG },
		{ "pwd", required_argument, NULL, OPT_PWD },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "sdp-first", no_argument, NULL, OPT_SDP_FIRST },
		{ "hold", required_argument, NULL, OPT_HOLD },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->po_role = -1;
	o->po_size = 1200;
	o->po_timeout = 30;
	peer_parse_addr("127.0.0.1", &o->po_bind);
	while ((ch = getopt_long(argc, argv, "d:r:T:b:o:i:n:s:e:DAt:qvh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (strcasecmp(optarg, "ms-ice2") == 0)
				o->po_dialect = PEER_MSICE2;
			else if (strcasecmp(optarg, "rfc6544") == 0)
				o->po_dialect = PEER_RFC6544;
			else if (strcasecmp(optarg, "rfc4145") == 0)
				o->po_dialect = PEER_RFC4145;
			else
				peer_usage_error("--dialect: \"%s\" (use ms-ice2, rfc6544 or "
				    "rfc4145)", optarg);
			break;
		case 'r':
			if (strcasecmp(optarg, "controlling") == 0)
				o->po_role = ICE_CONTROLLING;
			else if (strcasecmp(optarg, "controlled") == 0)
				o->po_role = ICE_CONTROLLED;
			else
				peer_usage_error("--role: \"%s\" (use controlling or "
				    "controlled)", optarg);
			break;
		case 'T':
			if (strcasecmp(optarg, "active") == 0)
				o->po_tcp = PEER_SETUP_ACTIVE;
			else if (strcasecmp(optarg, "passive") == 0)
				o->po_tcp = PEER_SETUP_PASSIVE;
			else if (strcasecmp(optarg, "both") == 0 ||
			    strcasecmp(optarg, "actpass") == 0)
				o->po_tcp = PEER_SETUP_ACTPASS;
			else
				peer_usage_error("--tcp: \"%s\" (use active, passive or "
				    "both)", optarg);
			break;
		case 'b':
			if (peer_parse_addr(optarg, &o->po_bind) != 0)
				peer_usage_error("--bind: \"%s\" is not ADDR, ADDR:PORT or "
				    "[V6]:PORT", optarg);
			break;
		case 'o':
			o->po_sdp_out = optarg;
			break;
		case 'i':
			o->po_remote = optarg;
			break;
		case 'n':
			o->po_frames = peer_parse_num("--frames", optarg, 0, UINT32_MAX);
			break;
		case 's':
			o->po_size = peer_parse_num("--size", optarg, PEER_DATA_MIN,
			    PEER_DATA_MAX);
			break;
		case 'e':
			o->po_expect = peer_parse_num("--expect", optarg, 0, UINT32_MAX);
			break;
		case 'D':
			o->po_dup = true;
			break;
		case 'A':
			o->po_aggressive = true;
			break;
		case 't':
			o->po_timeout = (unsigned)peer_parse_num("--timeout", optarg, 1,
			    86400);
			break;
		case OPT_UFRAG:
			o->po_ufrag = optarg;
			break;
		case OPT_PWD:
			o->po_pwd = optarg;
			break;
		case OPT_INTERVAL:
			o->po_interval_ms = (unsigned)peer_parse_num("--interval", optarg, 0,
			    60000);
			break;
		case OPT_SDP_FIRST:
			o->po_sdp_first = true;
			break;
		case OPT_HOLD:
			o->po_hold = (unsigned)peer_parse_num("--hold", optarg, 0, 86400);
			break;
		case 'q':
			o->po_quiet = true;
			break;
		case 'v':
			o->po_verbose++;
			break;
		case 'h':
			peer_usage(0);
		default:
			peer_usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		peer_usage_error("offer or answer expected");
	if (strcmp(argv[0], "offer") == 0)
		o->po_offer = true;
	else if (strcmp(argv[0], "answer") != 0)
		peer_usage_error("unknown mode \"%s\" (use offer or answer)", argv[0]);
	if (argc > 1)
		peer_usage_error("unexpected argument \"%s\"", argv[1]);
	if (o->po_sdp_out == NULL || o->po_remote == NULL)
		peer_usage_error("--sdp-out and --remote-sdp are required");
	if (strcmp(o->po_sdp_out, "-") == 0 && strcmp(o->po_remote, "-") == 0 &&
	    !o->po_offer)
		peer_usage_error("answer with both files on the terminal: give one a name");
	if ((o->po_ufrag != NULL && (strlen(o->po_ufrag) < 4 || strlen(o->po_ufrag) > 32)) ||
	    (o->po_pwd != NULL && (strlen(o->po_pwd) < 22 || strlen(o->po_pwd) > 64)))
		peer_usage_error("--ufrag needs 4-32 characters and --pwd 22-64");
	if (o->po_sdp_first && o->po_offer)
		peer_usage_error("--sdp-first is for answer (an offerer writes first anyway)");
	/* Without the offer, an RFC 4145 answerer cannot mirror its a=setup. */
	if (o->po_sdp_first && o->po_dialect == PEER_RFC4145 &&
	    o->po_tcp != PEER_SETUP_ACTIVE && o->po_tcp != PEER_SETUP_PASSIVE)
		peer_usage_error("--sdp-first with --dialect rfc4145 needs --tcp active or "
		    "passive");
	if (o->po_role < 0)
		o->po_role = o->po_offer ? ICE_CONTROLLING : ICE_CONTROLLED;
}

/* ---- connections ----------------------------------------------------------- */

static void
peer_conn_close(struct peer *pe, int c)
{
	struct pconn *pc = &pe->pe_conn[c];

	if (pc->pc_fd >= 0)
		close(pc->pc_fd);
	pc->pc_fd = -1;
	pc->pc_gen++;
	pc->pc_connecting = false;
	pc->pc_failed = false;
	pc->pc_txoff = pc->pc_txlen = 0;
	frame_rx_init(&pc->pc_rx, pc->pc_rxbuf, PEER_RX_CAP, FRAME_MAX);
	if (c == pe->pe_sel)
		pe->pe_sel = -1;
}

static void
peer_conn_open(struct peer *pe, int c, int fd, const struct sockaddr_storage *peer,
    bool connecting)
{
	struct pconn *pc = &pe->pe_conn[c];
	int one = 1;

	peer_conn_close(pe, c);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pc->pc_fd = fd;
	pc->pc_peer = *peer;
	pc->pc_connecting = connecting;
}

/* Queue one RFC 4571 frame; false only when the bound is hit (the peer stopped reading). */
static bool
peer_queue(struct peer *pe, int c, const uint8_t *data, size_t len)
{
	struct pconn *pc = &pe->pe_conn[c];
	uint8_t *dst;

	if (pc->pc_fd < 0)
		return false;
	if (pc->pc_txoff + pc->pc_txlen + FRAME_HDR_LEN + len > PEER_TX_CAP) {
		memmove(pc->pc_tx, pc->pc_tx + pc->pc_txoff, pc->pc_txlen);
		pc->pc_txoff = 0;
	}
	if (pc->pc_txlen + FRAME_HDR_LEN + len > PEER_TX_CAP)
		return false;
	dst = pc->pc_tx + pc->pc_txoff + pc->pc_txlen;
	if (frame_write_prefix(dst, len) != FRAME_OK)
		return false;
	memcpy(dst + FRAME_HDR_LEN, data, len);
	pc->pc_txlen += FRAME_HDR_LEN + len;
	return true;
}

static void
peer_connect(struct peer *pe, int c, const struct sockaddr_storage *to)
{
	struct sockaddr_storage src = pe->pe_o.po_bind;
	char a[64];
	int fd;

	if (to->ss_family == AF_INET)
		((struct sockaddr_in *)&src)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&src)->sin6_port = 0;
	peer_log(pe, 1, "conn %d: connecting to %s", c, peer_addr_str(to, a, sizeof(a)));
	fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && to->ss_family == src.ss_family &&
	    bind(fd, (struct sockaddr *)&src, peer_salen(&src)) == 0 &&
	    (connect(fd, (const struct sockaddr *)to, peer_salen(to)) == 0 ||
	    errno == EINPROGRESS)) {
		peer_conn_open(pe, c, fd, to, true);
		return;
	}
	peer_log(pe, 0, "conn %d: connect to %s: %s", c, a,
	    to->ss_family != src.ss_family ? "address family differs from --bind" :
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	peer_conn_close(pe, c);
	/* Report it from the loop, not from inside the action list being applied. */
	pe->pe_conn[c].pc_failed = true;
}

/* A connection went away (EOF, reset, failed connect). */
static void
peer_conn_lost(struct peer *pe, int c, uint64_t now, const char *why)
{
	char a[64];

	peer_addr_str(&pe->pe_conn[c].pc_peer, a, sizeof(a));
	if (c == pe->pe_sel || !pe->pe_ice) {
		if (pe->pe_phase == PH_DONE) {
			peer_log(pe, pe->pe_holding ? 0 : 1, "conn %d: closed by the other "
			    "side: finished", c);
			peer_conn_close(pe, c);
			pe->pe_phase = PH_END;
			pe->pe_ok = true;
			return;
		}
		peer_conn_close(pe, c);
		peer_fail(pe, "connection to %s %s", a, why);
		return;
	}
	peer_log(pe, 1, "conn %d (%s): %s", c, a, why);
	peer_conn_close(pe, c);
	if (ice_on_closed(pe->pe_ag, now, c, pe->pe_out) == ICE_OK)
		peer_apply(pe, now);
}

/* ---- ICE ------------------------------------------------------------------- */

static bool
peer_is_request(const uint8_t *m, size_t len)
{
	return len >= 2 && (((unsigned)m[0] << 8 | m[1]) & 0x0110) == 0;
}

static void
peer_trace_stun(const struct peer *pe, const char *dir, int c, const uint8_t *m,
    size_t len)
{
	static const char *const cls[] = { "request", "indication", "success", "error" };
	struct stun_msg sm;

	if (pe->pe_o.po_verbose < 2 || pe->pe_o.po_quiet)
		return;
	if (stun_decode(m, len, &sm) != STUN_OK) {
		peer_log(pe, 2, "conn %d: %s undecodable STUN (%zu bytes)", c, dir, len);
		return;
	}
	peer_log(pe, 2, "conn %d: %s binding %s%s (%zu bytes)", c, dir, cls[sm.cls & 3],
	    stun_attr_find(&sm, STUN_A_USE_CANDIDATE) != NULL ? " USE-CANDIDATE" : "",
	    len);
}

static void
peer_apply(struct peer *pe, uint64_t now)
{
	struct ice_out *out = pe->pe_out;
	/* Applying may call the agent again (which reuses pe_out): work on a copy. */
	struct ice_out *copy = malloc(sizeof(*copy));
	const struct ice_action *a;
	char s[64];
	size_t i;

	if (copy == NULL) {
		peer_fail(pe, "out of memory");
		return;
	}
	memcpy(copy, out, sizeof(*copy));
	for (i = 0; i < copy->io_n; i++) {
		a = &copy->io_act[i];
		/* Actions point into the ice_out's buffer: rebase them onto the copy. */
		switch (a->ac_type) {
		case ICE_ACT_SEND: {
			const uint8_t *d = copy->io_buf + (a->ac_data - out->io_buf);

			peer_trace_stun(pe, "sent", a->ac_conn, d, a->ac_len);
			if (!peer_queue(pe, a->ac_conn, d, a->ac_len))
				peer_log(pe, 0, "conn %d: cannot queue STUN (closed or "
				    "output full)", a->ac_conn);
			pe->pe_stun_out++;
			if (pe->pe_o.po_dup && peer_is_request(d, a->ac_len) &&
			    peer_queue(pe, a->ac_conn, d, a->ac_len))
				pe->pe_stun_out++;
			break;
		}
		case ICE_ACT_CONNECT:
			peer_connect(pe, a->ac_conn, &a->ac_addr);
			break;
		case ICE_ACT_CLOSE:
			peer_log(pe, 1, "conn %d: closed by ICE: %s", a->ac_conn,
			    ice_reason_str(a->ac_reason));
			peer_conn_close(pe, a->ac_conn);
			break;
		case ICE_ACT_SELECTED:
			pe->pe_sel = a->ac_conn;
			if (pe->pe_phase == PH_WAIT)
				pe->pe_phase = PH_UP;
			pe->pe_was_up = true;
			peer_log(pe, 0, "ICE completed: conn %d (%s), %s", a->ac_conn,
			    peer_addr_str(&pe->pe_conn[a->ac_conn].pc_peer, s, sizeof(s)),
			    ice_role(pe->pe_ag) == ICE_CONTROLLING ? "controlling" :
			    "controlled");
			break;
		case ICE_ACT_FAILED:
			peer_fail(pe, "ICE failed: %s", ice_reason_str(a->ac_reason));
			break;
		default:
			break;
		}
	}
	free(copy);
}

static int
peer_ice_init(struct peer *pe, uint64_t now)
{
	struct ice_params p;
	bool v6 = pe->pe_o.po_bind.ss_family == AF_INET6;
	enum peer_dialect d = pe->pe_o.po_dialect;
	int rc;

	ice_params_default(&p);
	p.ip_role = (enum ice_role)pe->pe_o.po_role;
	p.ip_dialect = d == PEER_MSICE2 ? ICE_DIALECT_MSICE2 : ICE_DIALECT_RFC;
	p.ip_nomination = pe->pe_o.po_aggressive ? ICE_NOM_AGGRESSIVE : ICE_NOM_REGULAR;
	peer_rand(NULL, &p.ip_tiebreaker, sizeof(p.ip_tiebreaker));
	snprintf(p.ip_local.cr_ufrag, sizeof(p.ip_local.cr_ufrag), "%s", pe->pe_ufrag);
	snprintf(p.ip_local.cr_pwd, sizeof(p.ip_local.cr_pwd), "%s", pe->pe_pwd);
	p.ip_passive = pe->pe_setup != PEER_SETUP_ACTIVE;
	p.ip_active = pe->pe_setup != PEER_SETUP_PASSIVE;
	p.ip_cand_passive.lc_priority = peer_sdp_prio(d, false, 1, v6);
	snprintf(p.ip_cand_passive.lc_foundation, sizeof(p.ip_cand_passive.lc_foundation),
	    "1");
	p.ip_cand_active.lc_priority = peer_sdp_prio(d, true, 1, v6);
	snprintf(p.ip_cand_active.lc_foundation, sizeof(p.ip_cand_active.lc_foundation), "2");
	p.ip_complete_ms = pe->pe_o.po_timeout * 1000u;
	p.ip_rand = peer_rand;
	if ((rc = ice_init(pe->pe_ag, &p, now)) != ICE_OK) {
		fprintf(stderr, "appshare-peer: ICE: %s\n", ice_strerror(rc));
		return -1;
	}
	return 0;
}

/* ---- SDP files ------------------------------------------------------------- */

static int
peer_write_file(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (strcmp(path, "-") == 0) {
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
			return -1;
		return 0;
	}
	/* Atomic, so that a peer polling for the file never reads half of it. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	if (fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
peer_write_sdp(struct peer *pe)
{
	struct peer_local pl;
	char *text;
	uint64_t sid;
	int n;

	memset(&pl, 0, sizeof(pl));
	pl.pl_dialect = pe->pe_o.po_dialect;
	pl.pl_offer = pe->pe_o.po_offer;
	pl.pl_addr = pe->pe_laddr;
	pl.pl_setup = pe->pe_setup;
	pl.pl_ufrag = pe->pe_ufrag;
	pl.pl_pwd = pe->pe_pwd;
	peer_rand(NULL, &sid, sizeof(sid));
	if ((text = malloc(PEER_MAX_SDP)) == NULL)
		return -1;
	n = peer_sdp_write(&pl, sid >> 12, text, PEER_MAX_SDP);
	if (n < 0 || peer_write_file(pe->pe_o.po_sdp_out, text, (size_t)n) != 0) {
		fprintf(stderr, "appshare-peer: %s: %s\n", pe->pe_o.po_sdp_out,
		    n < 0 ? "SDP too long" : strerror(errno));
		free(text);
		return -1;
	}
	free(text);
	peer_log(pe, 0, "wrote our SDP (%s, %s, %s) to %s", peer_dialect_name(pl.pl_dialect),
	    pe->pe_o.po_offer ? "offer" : "answer", peer_setup_name(pl.pl_setup),
	    pe->pe_o.po_sdp_out);
	return 0;
}

static char *
peer_read_all(int fd, size_t *len)
{
	char *buf;
	size_t n = 0;
	ssize_t r;

	if ((buf = malloc(PEER_MAX_SDP + 1)) == NULL)
		return NULL;
	while (n < PEER_MAX_SDP) {
		r = read(fd, buf + n, PEER_MAX_SDP - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Our side of an RFC 4145 connection once both SDPs are known (RFC 4145 4.1). */
static enum peer_setup
peer_4145_role(const struct peer *pe)
{
	enum peer_setup r = pe->pe_remote.pr_setup;

	if (pe->pe_setup != PEER_SETUP_ACTPASS)
		return pe->pe_setup;
	/* We offered actpass: the answer decides; no a=setup means passive. */
	return r == PEER_SETUP_ACTIVE ? PEER_SETUP_PASSIVE : PEER_SETUP_ACTIVE;
}

static void
peer_remote_loaded(struct peer *pe, uint64_t now)
{
	struct peer_remote *pr = &pe->pe_remote;
	char a[64];
	size_t i, npass = 0;

	if (!pe->pe_o.po_offer && !pe->pe_o.po_sdp_first) {
		/* The answer mirrors the offer's a=setup (RFC 4145 4.1). */
		if (!pe->pe_ice && (pe->pe_o.po_tcp == PEER_SETUP_NONE ||
		    pe->pe_o.po_tcp == PEER_SETUP_ACTPASS))
			pe->pe_setup = pr->pr_setup == PEER_SETUP_ACTIVE ? PEER_SETUP_PASSIVE :
			    pr->pr_setup == PEER_SETUP_PASSIVE ||
			    pr->pr_setup == PEER_SETUP_ACTPASS ? PEER_SETUP_ACTIVE :
			    PEER_SETUP_PASSIVE;
		if (peer_write_sdp(pe) != 0) {
			peer_fail(pe, "cannot write our SDP");
			return;
		}
	}
	if (!pe->pe_ice) {
		/* The other side connected before its SDP reached us: nothing to decide. */
		if (pe->pe_conn[0].pc_fd >= 0)
			return;
		pe->pe_setup = peer_4145_role(pe);
		pe->pe_accepting = pe->pe_setup == PEER_SETUP_PASSIVE;
		peer_log(pe, 0, "remote SDP: %s, a=setup:%s; we are %s",
		    pr->pr_have_addr ? peer_addr_str(&pr->pr_addr, a, sizeof(a)) : "no c=",
		    peer_setup_name(pr->pr_setup), peer_setup_name(pe->pe_setup));
		if (pe->pe_setup != PEER_SETUP_ACTIVE || pe->pe_conn[0].pc_fd >= 0)
			return;
		if (!pr->pr_have_addr || pr->pr_setup == PEER_SETUP_ACTIVE ||
		    ((struct sockaddr_in *)&pr->pr_addr)->sin_port == htons(9)) {
			peer_fail(pe, "remote SDP has no address to connect to (c=, m= port, "
			    "a=setup:%s)", peer_setup_name(pr->pr_setup));
			return;
		}
		peer_connect(pe, 0, &pr->pr_addr);
		return;
	}
	if (!pr->pr_have_creds) {
		peer_fail(pe, "remote SDP has no a=ice-ufrag/a=ice-pwd (plain TCP? use "
		    "--dialect rfc4145)");
		return;
	}
	for (i = 0; i < pr->pr_ncand; i++) {
		if (pr->pr_cand[i].ca_tcptype == ICE_TCP_PASSIVE &&
		    pr->pr_cand[i].ca_component == 1)
			npass++;
		peer_log(pe, 1, "remote candidate %s comp %u %s prio %" PRIu32,
		    pr->pr_cand[i].ca_foundation, pr->pr_cand[i].ca_component,
		    peer_addr_str(&pr->pr_cand[i].ca_addr, a, sizeof(a)),
		    pr->pr_cand[i].ca_priority);
	}
	peer_log(pe, 0, "remote SDP: ufrag %s, %zu TCP candidates (%zu passive)",
	    pr->pr_creds.cr_ufrag, pr->pr_ncand, npass);
	if (npass == 0 && pe->pe_setup == PEER_SETUP_ACTIVE)
		peer_log(pe, 0, "warning: we only connect and the other side lists no "
		    "passive candidate");
	if (ice_set_remote(pe->pe_ag, now, &pr->pr_creds, pr->pr_cand, pr->pr_ncand,
	    pe->pe_out) != ICE_OK) {
		peer_fail(pe, "ICE refused the remote credentials");
		return;
	}
	peer_apply(pe, now);
}

static void
peer_try_remote(struct peer *pe, uint64_t now)
{
	const char *path = pe->pe_o.po_remote;
	struct stat st;
	char *text, err[256];
	size_t len;
	int fd;

	pe->pe_next_poll = now + PEER_POLL_MS;
	if (strcmp(path, "-") == 0) {
		peer_log(pe, 0, "reading the remote SDP from stdin (end with ^D)");
		fd = STDIN_FILENO;
	} else {
		if (stat(path, &st) != 0) {
			if (errno != ENOENT)
				peer_fail(pe, "%s: %s", path, strerror(errno));
			return;
		}
		/* An answer left over from an earlier run is not the answer to this offer. */
		if (pe->pe_stale_known && st.st_ino == pe->pe_stale.st_ino &&
		    st.st_mtim.tv_sec == pe->pe_stale.st_mtim.tv_sec &&
		    st.st_mtim.tv_nsec == pe->pe_stale.st_mtim.tv_nsec &&
		    st.st_size == pe->pe_stale.st_size)
			return;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			peer_fail(pe, "%s: %s", path, strerror(errno));
			return;
		}
	}
	text = peer_read_all(fd, &len);
	if (fd != STDIN_FILENO)
		close(fd);
	if (text == NULL) {
		peer_fail(pe, "%s: %s", path, strerror(errno));
		return;
	}
	if (peer_sdp_read(text, len, &pe->pe_remote, err, sizeof(err)) != 0) {
		free(text);
		peer_fail(pe, "%s: %s", path, err);
		return;
	}
	free(text);
	pe->pe_have_remote = true;
	peer_log(pe, 1, "read the remote SDP from %s", path);
	peer_remote_loaded(pe, now);
}

/* ---- data ------------------------------------------------------------------ */

static void
peer_fill(struct peer *pe, uint64_t now)
{
	struct pconn *pc;
	size_t size = pe->pe_o.po_size;

	if (pe->pe_phase != PH_UP || pe->pe_sel < 0)
		return;
	pc = &pe->pe_conn[pe->pe_sel];
	while (pe->pe_tx_frames < pe->pe_o.po_frames && pc->pc_txlen < PEER_TX_HIGH) {
		/* Paced sending keeps a session alive long enough to watch it (tests). */
		if (pe->pe_o.po_interval_ms > 0) {
			if (now < pe->pe_tx_next)
				break;
			pe->pe_tx_next = now + pe->pe_o.po_interval_ms;
		}
		peer_data_build(pe->pe_frame, size, (uint32_t)pe->pe_tx_frames, pe->pe_ssrc);
		if (!peer_queue(pe, pe->pe_sel, pe->pe_frame, size))
			break;
		pe->pe_tx_frames++;
		pe->pe_tx_octets += size;
		if (pe->pe_ice)
			ice_on_sent(pe->pe_ag, now, pe->pe_sel);
	}
}

static void
peer_on_data(struct peer *pe, int c, const uint8_t *p, size_t len)
{
	const char *why;

	if (pe->pe_ice)
		ice_on_received(pe->pe_ag, peer_now(), c);
	if (peer_data_is_bye(p, len)) {
		peer_log(pe, 1, "conn %d: end marker from the other side", c);
		pe->pe_peer_bye = true;
		return;
	}
	if (pe->pe_ice && pe->pe_sel >= 0 && c != pe->pe_sel)
		peer_log(pe, 0, "conn %d: data frame on a connection that is not the "
		    "selected one (%d)", c, pe->pe_sel);
	if (pe->pe_rx_frames + pe->pe_rx_bad >= pe->pe_o.po_expect) {
		why = "more frames than --expect";
	} else if (peer_data_verify(p, len, pe->pe_rx_next, &why) == 0) {
		pe->pe_rx_next++;
		pe->pe_rx_frames++;
		pe->pe_rx_octets += len;
		return;
	} else if (len >= PEER_DATA_MIN && pe->pe_rx_next != UINT32_MAX)
		/* Resynchronise on the sender's index so one loss is one error. */
		pe->pe_rx_next = ((uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 |
		    (uint32_t)p[14] << 8 | p[15]) + 1;
	if (pe->pe_rx_bad++ == 0)
		snprintf(pe->pe_rx_err, sizeof(pe->pe_rx_err), "frame %lu (%zu bytes): %s",
		    pe->pe_rx_frames + pe->pe_rx_bad - 1, len, why);
	peer_log(pe, 1, "conn %d: bad frame (%zu bytes): %s", c, len, why);
}

static void
peer_on_frame(struct peer *pe, int c, const uint8_t *p, size_t len, uint64_t now)
{
	int rc;

	if (stun_is_stun(p, len)) {
		pe->pe_stun_in++;
		peer_trace_stun(pe, "received", c, p, len);
		if (!pe->pe_ice) {
			pe->pe_stun_ignored++;
			return;
		}
		rc = ice_on_stun(pe->pe_ag, now, c, p, len, pe->pe_out);
		if (rc == ICE_E_DROPPED)
			peer_log(pe, 1, "conn %d: STUN dropped: %s", c,
			    ice_drop_str(ice_last_drop(pe->pe_ag)));
		peer_apply(pe, now);
		return;
	}
	peer_on_data(pe, c, p, len);
}

static void
peer_check_done(struct peer *pe, uint64_t now)
{
	struct pconn *pc;

	if ((pe->pe_phase != PH_UP && pe->pe_phase != PH_DONE) || pe->pe_sel < 0)
		return;
	pc = &pe->pe_conn[pe->pe_sel];
	if (pe->pe_phase == PH_DONE) {
		if (pc->pc_txlen > 0)
			return;
		if (pe->pe_peer_bye && pe->pe_o.po_hold > 0) {
			/* Let the other side (a relay being told to hang up) close first. */
			if (!pe->pe_holding) {
				pe->pe_holding = true;
				pe->pe_linger_end = now + pe->pe_o.po_hold * 1000ull;
				peer_log(pe, 0, "exchange complete: holding the connection "
				    "for up to %u s", pe->pe_o.po_hold);
			}
		} else if (pe->pe_peer_bye) {
			pe->pe_phase = PH_END;
			pe->pe_ok = true;
		} else if (pe->pe_linger_end == 0)
			pe->pe_linger_end = now + PEER_LINGER_MS;
		return;
	}
	if (pe->pe_tx_frames < pe->pe_o.po_frames ||
	    pe->pe_rx_frames + pe->pe_rx_bad < pe->pe_o.po_expect)
		return;
	/* Everything is sent and received: say so, and wait for the other side to. */
	peer_log(pe, 1, "all frames sent and received: sending the end marker");
	peer_data_bye(pe->pe_frame, pe->pe_ssrc);
	(void)peer_queue(pe, pe->pe_sel, pe->pe_frame, PEER_DATA_BYE_LEN);
	pe->pe_phase = PH_DONE;
}

/* ---- I/O ------------------------------------------------------------------- */

static void
peer_on_accept(struct peer *pe, uint64_t now)
{
	struct sockaddr_storage from, local;
	socklen_t fl = sizeof(from), ll = sizeof(local);
	char a[64];
	int fd, c;

	fd = accept4(pe->pe_lfd, (struct sockaddr *)&from, &fl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	peer_addr_str(&from, a, sizeof(a));
	if (!pe->pe_accepting || pe->pe_phase >= PH_DONE) {
		peer_log(pe, 1, "refused a connection from %s", a);
		close(fd);
		return;
	}
	(void)getsockname(fd, (struct sockaddr *)&local, &ll);
	if (!pe->pe_ice) {
		if (pe->pe_conn[0].pc_fd >= 0) {
			peer_log(pe, 0, "refused a second connection from %s", a);
			close(fd);
			return;
		}
		peer_conn_open(pe, 0, fd, &from, false);
		pe->pe_setup = PEER_SETUP_PASSIVE;
		pe->pe_sel = 0;
		pe->pe_phase = PH_UP;
		pe->pe_was_up = true;
		peer_log(pe, 0, "TCP connected: accepted from %s", a);
		return;
	}
	c = ice_on_accept(pe->pe_ag, now, &from, &local, pe->pe_out);
	if (c < 0 || c >= ICE_MAX_CONNS || pe->pe_conn[c].pc_fd >= 0) {
		peer_log(pe, 0, "refused a connection from %s: %s", a,
		    c < 0 ? ice_strerror(c) : "slot busy");
		close(fd);
		return;
	}
	peer_conn_open(pe, c, fd, &from, false);
	peer_log(pe, 1, "conn %d: accepted from %s", c, a);
	peer_apply(pe, now);
}

static void
peer_on_writable(struct peer *pe, int c, uint64_t now)
{
	struct pconn *pc = &pe->pe_conn[c];
	struct sockaddr_storage local;
	socklen_t sl = sizeof(local);
	int err = 0;
	char a[64];
	ssize_t n;

	if (pc->pc_connecting) {
		socklen_t el = sizeof(err);

		if (getsockopt(pc->pc_fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
			err = errno;
		if (err != 0) {
			peer_log(pe, 0, "conn %d: connect to %s: %s", c,
			    peer_addr_str(&pc->pc_peer, a, sizeof(a)), strerror(err));
			if (!pe->pe_ice) {
				peer_conn_close(pe, c);
				peer_fail(pe, "connect to %s: %s", a, strerror(err));
				return;
			}
			peer_conn_lost(pe, c, now, "connect failed");
			return;
		}
		pc->pc_connecting = false;
		(void)getsockname(pc->pc_fd, (struct sockaddr *)&local, &sl);
		if (!pe->pe_ice) {
			pe->pe_setup = PEER_SETUP_ACTIVE;
			pe->pe_sel = c;
			pe->pe_phase = PH_UP;
			pe->pe_was_up = true;
			peer_log(pe, 0, "TCP connected to %s",
			    peer_addr_str(&pc->pc_peer, a, sizeof(a)));
			return;
		}
		peer_log(pe, 1, "conn %d: connected", c);
		if (ice_on_connected(pe->pe_ag, now, c, &local, pe->pe_out) == ICE_OK)
			peer_apply(pe, now);
		return;
	}
	while (pc->pc_txlen > 0) {
		n = send(pc->pc_fd, pc->pc_tx + pc->pc_txoff, pc->pc_txlen, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (pe->pe_phase == PH_DONE) {
				pc->pc_txlen = 0;
				return;
			}
			peer_conn_lost(pe, c, now, strerror(errno));
			return;
		}
		pc->pc_txoff += (size_t)n;
		pc->pc_txlen -= (size_t)n;
	}
	pc->pc_txoff = 0;
}

static void
peer_on_readable(struct peer *pe, int c, uint64_t now)
{
	struct pconn *pc = &pe->pe_conn[c];
	const uint8_t *p;
	unsigned gen = pc->pc_gen;
	uint8_t *space;
	size_t avail, len;
	ssize_t n;
	int rc;

	space = frame_rx_space(&pc->pc_rx, &avail);
	if (space == NULL || avail == 0) {
		peer_conn_lost(pe, c, now, "sent a frame too big to reassemble");
		return;
	}
	n = recv(pc->pc_fd, space, avail, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		peer_conn_lost(pe, c, now, strerror(errno));
		return;
	}
	if (n == 0) {
		if (frame_rx_pending(&pc->pc_rx) > 0)
			peer_log(pe, 0, "conn %d: %zu bytes of a partial frame at close", c,
			    frame_rx_pending(&pc->pc_rx));
		peer_conn_lost(pe, c, now, "closed by the other side");
		return;
	}
	frame_rx_commit(&pc->pc_rx, (size_t)n);
	/* A frame may make ICE close or reuse this slot: stop when it did. */
	while (pc->pc_gen == gen && pe->pe_phase != PH_END &&
	    (rc = frame_rx_pop(&pc->pc_rx, &p, &len)) == FRAME_OK)
		peer_on_frame(pe, c, p, len, now);
}

/* Connects that failed inside an action list are reported to ICE here. */
static void
peer_pending(struct peer *pe, uint64_t now)
{
	int c;

	for (c = 0; c < ICE_MAX_CONNS && pe->pe_phase != PH_END; c++) {
		if (!pe->pe_conn[c].pc_failed)
			continue;
		pe->pe_conn[c].pc_failed = false;
		if (!pe->pe_ice) {
			peer_fail(pe, "cannot connect to the other side");
			return;
		}
		if (ice_on_closed(pe->pe_ag, now, c, pe->pe_out) == ICE_OK)
			peer_apply(pe, now);
	}
}

static uint64_t
peer_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static const char *
peer_missing(const struct peer *pe)
{
	static char buf[160];

	if (!pe->pe_have_remote)
		snprintf(buf, sizeof(buf), "no remote SDP in %s", pe->pe_o.po_remote);
	else if (pe->pe_phase == PH_WAIT)
		snprintf(buf, sizeof(buf), "%s", pe->pe_ice ? "ICE did not complete" :
		    "no TCP connection");
	else
		snprintf(buf, sizeof(buf), "sent %lu of %lu frames, received %lu of %lu",
		    pe->pe_tx_frames, pe->pe_o.po_frames, pe->pe_rx_frames + pe->pe_rx_bad,
		    pe->pe_o.po_expect);
	return buf;
}

static void
peer_loop(struct peer *pe)
{
	struct pollfd pfd[ICE_MAX_CONNS + 1];
	int map[ICE_MAX_CONNS + 1];
	uint64_t now, until;
	nfds_t n, i;
	int c, ms;

	while (pe->pe_phase != PH_END) {
		now = peer_now();
		if (now >= pe->pe_deadline) {
			if (pe->pe_phase == PH_DONE)
				break;
			peer_fail(pe, "timeout after %u s: %s", pe->pe_o.po_timeout,
			    peer_missing(pe));
			break;
		}
		if (pe->pe_phase == PH_DONE && pe->pe_linger_end != 0 &&
		    now >= pe->pe_linger_end) {
			if (pe->pe_holding)
				peer_log(pe, 0, "held the connection for %u s: closing",
				    pe->pe_o.po_hold);
			else
				peer_log(pe, 0, "no end marker from the other side within "
				    "%d s", PEER_LINGER_MS / 1000);
			break;
		}
		if (!pe->pe_have_remote && now >= pe->pe_next_poll)
			peer_try_remote(pe, now);
		peer_pending(pe, now);
		if (pe->pe_ice && pe->pe_phase != PH_END &&
		    ice_next_deadline(pe->pe_ag) <= now &&
		    ice_on_tick(pe->pe_ag, now, pe->pe_out) == ICE_OK)
			peer_apply(pe, now);
		peer_fill(pe, now);
		peer_check_done(pe, now);
		if (pe->pe_phase == PH_END)
			break;

		n = 0;
		if (pe->pe_accepting && pe->pe_phase < PH_DONE) {
			pfd[n].fd = pe->pe_lfd;
			pfd[n].events = POLLIN;
			map[n++] = -1;
		}
		for (c = 0; c < ICE_MAX_CONNS; c++) {
			if (pe->pe_conn[c].pc_fd < 0)
				continue;
			pfd[n].fd = pe->pe_conn[c].pc_fd;
			pfd[n].events = pe->pe_conn[c].pc_connecting ? POLLOUT :
			    POLLIN | (pe->pe_conn[c].pc_txlen > 0 ? POLLOUT : 0);
			map[n++] = c;
		}
		until = pe->pe_deadline;
		if (!pe->pe_have_remote)
			until = peer_min(until, pe->pe_next_poll);
		if (pe->pe_ice)
			until = peer_min(until, ice_next_deadline(pe->pe_ag));
		if (pe->pe_phase == PH_DONE && pe->pe_linger_end != 0)
			until = peer_min(until, pe->pe_linger_end);
		if (pe->pe_phase == PH_UP && pe->pe_o.po_interval_ms > 0 &&
		    pe->pe_tx_frames < pe->pe_o.po_frames)
			until = peer_min(until, pe->pe_tx_next);
		ms = until <= now ? 0 : until - now > 1000 ? 1000 : (int)(until - now);
		if (poll(pfd, n, ms) < 0) {
			if (errno == EINTR)
				continue;
			peer_fail(pe, "poll: %s", strerror(errno));
			break;
		}
		now = peer_now();
		for (i = 0; i < n && pe->pe_phase != PH_END; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (map[i] < 0) {
				peer_on_accept(pe, now);
				continue;
			}
			c = map[i];
			/* The slot may have been closed or reused by an earlier event. */
			if (pe->pe_conn[c].pc_fd != pfd[i].fd)
				continue;
			if (pfd[i].revents & (POLLOUT | POLLERR | POLLHUP) &&
			    (pe->pe_conn[c].pc_connecting || pe->pe_conn[c].pc_txlen > 0))
				peer_on_writable(pe, c, now);
			if (pe->pe_conn[c].pc_fd == pfd[i].fd && !pe->pe_conn[c].pc_connecting &&
			    pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
				peer_on_readable(pe, c, now);
		}
	}
	if (pe->pe_phase == PH_DONE || (pe->pe_phase == PH_END && pe->pe_ok))
		pe->pe_ok = true;
}

/* ---- main ------------------------------------------------------------------ */

static int
peer_listen(struct peer *pe)
{
	socklen_t sl = sizeof(pe->pe_laddr);
	char a[64];
	int one = 1;

	pe->pe_lfd = socket(pe->pe_o.po_bind.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pe->pe_lfd < 0) {
		fprintf(stderr, "appshare-peer: socket: %s\n", strerror(errno));
		return -1;
	}
	(void)setsockopt(pe->pe_lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(pe->pe_lfd, (struct sockaddr *)&pe->pe_o.po_bind,
	    peer_salen(&pe->pe_o.po_bind)) != 0 || listen(pe->pe_lfd, 16) != 0 ||
	    getsockname(pe->pe_lfd, (struct sockaddr *)&pe->pe_laddr, &sl) != 0) {
		fprintf(stderr, "appshare-peer: --bind %s: %s\n",
		    peer_addr_str(&pe->pe_o.po_bind, a, sizeof(a)), strerror(errno));
		return -1;
	}
	peer_log(pe, 1, "listening on %s", peer_addr_str(&pe->pe_laddr, a, sizeof(a)));
	return 0;
}

static int
peer_init(struct peer *pe, uint64_t now)
{
	struct peer_opts *o = &pe->pe_o;
	struct stat st;
	int c;

	pe->pe_lfd = -1;
	pe->pe_sel = -1;
	pe->pe_start = now;
	pe->pe_deadline = now + (uint64_t)o->po_timeout * 1000;
	pe->pe_ice = o->po_dialect != PEER_RFC4145;
	for (c = 0; c < ICE_MAX_CONNS; c++) {
		pe->pe_conn[c].pc_fd = -1;
		pe->pe_conn[c].pc_rxbuf = malloc(PEER_RX_CAP);
		pe->pe_conn[c].pc_tx = malloc(PEER_TX_CAP);
		if (pe->pe_conn[c].pc_rxbuf == NULL || pe->pe_conn[c].pc_tx == NULL)
			return -1;
		frame_rx_init(&pe->pe_conn[c].pc_rx, pe->pe_conn[c].pc_rxbuf, PEER_RX_CAP,
		    FRAME_MAX);
	}
	/* Default TCP behaviour: a Lync client does both; RFC 4145 see peer_4145_role(). */
	pe->pe_setup = o->po_tcp;
	if (pe->pe_setup == PEER_SETUP_NONE)
		pe->pe_setup = PEER_SETUP_ACTPASS;
	/* RFC 4145 answerer: known once the offer is read; listen meanwhile. */
	pe->pe_accepting = pe->pe_setup != PEER_SETUP_ACTIVE;
	if (!pe->pe_ice && !o->po_offer && pe->pe_setup == PEER_SETUP_ACTPASS)
		pe->pe_accepting = false;
	peer_rand_token(pe->pe_ufrag, 4);
	peer_rand_token(pe->pe_pwd, 24);
	if (o->po_ufrag != NULL)
		snprintf(pe->pe_ufrag, sizeof(pe->pe_ufrag), "%s", o->po_ufrag);
	if (o->po_pwd != NULL)
		snprintf(pe->pe_pwd, sizeof(pe->pe_pwd), "%s", o->po_pwd);
	peer_rand(NULL, &pe->pe_ssrc, sizeof(pe->pe_ssrc));
	/*
	 * Always bind our port: it is the passive candidate, the m= port, and for a
	 * connect-only Lync endpoint the real port its TCP-ACT lines must carry.
	 */
	if (peer_listen(pe) != 0)
		return -1;
	if (pe->pe_ice) {
		if ((pe->pe_ag = calloc(1, sizeof(*pe->pe_ag))) == NULL ||
		    (pe->pe_out = calloc(1, sizeof(*pe->pe_out))) == NULL)
			return -1;
		if (peer_ice_init(pe, now) != 0)
			return -1;
	}
	if (o->po_offer) {
		if (strcmp(o->po_remote, "-") != 0 && stat(o->po_remote, &st) == 0) {
			pe->pe_stale = st;
			pe->pe_stale_known = true;
			peer_log(pe, 0, "ignoring the existing %s until it changes",
			    o->po_remote);
		}
		if (peer_write_sdp(pe) != 0)
			return -1;
	}
	/*
	 * A SIP test whose callee answers at once needs our SDP before the offer
	 * exists (tests/kamailio).  Nothing in an ICE answer depends on the offer.
	 */
	if (!o->po_offer && o->po_sdp_first && peer_write_sdp(pe) != 0)
		return -1;
	return 0;
}

static void
peer_summary(const struct peer *pe)
{
	char head[160], verdict[300];
	const struct ice_stats *st;

	if (pe->pe_ice) {
		if (pe->pe_ag != NULL && ice_state(pe->pe_ag) == ICE_ST_COMPLETED)
			snprintf(head, sizeof(head), "ICE completed (%s, %s, conn %d)",
			    peer_dialect_name(pe->pe_o.po_dialect),
			    ice_role(pe->pe_ag) == ICE_CONTROLLING ? "controlling" :
			    "controlled", ice_selected_conn(pe->pe_ag));
		else if (pe->pe_ag != NULL && ice_state(pe->pe_ag) == ICE_ST_FAILED)
			snprintf(head, sizeof(head), "ICE failed (%s, %s)",
			    peer_dialect_name(pe->pe_o.po_dialect),
			    ice_reason_str(ice_failure(pe->pe_ag)));
		else
			snprintf(head, sizeof(head), "ICE not completed (%s)",
			    peer_dialect_name(pe->pe_o.po_dialect));
	} else
		snprintf(head, sizeof(head), "TCP %s (rfc4145, %s)",
		    pe->pe_was_up ? "connected" : "not connected",
		    peer_setup_name(pe->pe_setup));
	if (!pe->pe_ok)
		snprintf(verdict, sizeof(verdict), "FAILED: %s", pe->pe_why);
	else if (pe->pe_rx_bad > 0)
		snprintf(verdict, sizeof(verdict), "verification FAILED: %lu bad, first %s",
		    pe->pe_rx_bad, pe->pe_rx_err);
	else
		snprintf(verdict, sizeof(verdict), "verified OK");
	printf("appshare-peer: %s, sent %lu frames %" PRIu64 " octets, received %lu frames "
	    "%" PRIu64 " octets, %s\n", head, pe->pe_tx_frames, pe->pe_tx_octets,
	    pe->pe_rx_frames, pe->pe_rx_octets, verdict);
	fflush(stdout);
	if (pe->pe_ice && pe->pe_ag != NULL) {
		st = ice_stats(pe->pe_ag);
		peer_log(pe, 1, "STUN: requests %" PRIu64 " in / %" PRIu64 " out, responses %"
		    PRIu64 " in / %" PRIu64 " out, errors %" PRIu64 " in / %" PRIu64 " out, "
		    "duplicates %" PRIu64 ", role switches %" PRIu64, st->st_req_in,
		    st->st_req_out, st->st_resp_in, st->st_resp_out, st->st_err_in,
		    st->st_err_out, st->st_dup_in, st->st_role_switch);
	} else if (pe->pe_stun_ignored > 0)
		peer_log(pe, 0, "ignored %lu STUN frames (no ICE in rfc4145)",
		    pe->pe_stun_ignored);
}

int
main(int argc, char **argv)
{
	struct peer *pe;
	int c, ok;

	signal(SIGPIPE, SIG_IGN);
	if ((pe = calloc(1, sizeof(*pe))) == NULL) {
		fprintf(stderr, "appshare-peer: out of memory\n");
		return 1;
	}
	peer_parse_args(&pe->pe_o, argc, argv);
	if (peer_init(pe, peer_now()) != 0)
		return 1;
	peer_loop(pe);
	peer_summary(pe);
	ok = pe->pe_ok && pe->pe_rx_bad == 0;
	for (c = 0; c < ICE_MAX_CONNS; c++) {
		if (pe->pe_conn[c].pc_fd >= 0)
			close(pe->pe_conn[c].pc_fd);
		free(pe->pe_conn[c].pc_rxbuf);
		free(pe->pe_conn[c].pc_tx);
	}
	if (pe->pe_lfd >= 0)
		close(pe->pe_lfd);
	free(pe->pe_ag);
	free(pe->pe_out);
	free(pe);
	return ok ? 0 : 1;
}
