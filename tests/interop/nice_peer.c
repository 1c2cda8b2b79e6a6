/*
 * nice_peer: a test endpoint built on libnice (Debian's libnice 0.1.21), so that the
 * relay is tested against an ICE-TCP implementation it did not write itself.  In
 * NICE_COMPATIBILITY_OC2007R2 mode libnice is the MS-ICE2 stack pidgin-sipe uses with
 * real Lync/SfB; in NICE_COMPATIBILITY_RFC5245 mode it is a standard ICE-TCP agent.
 * The tests that drive it are tests/interop/nice_*.sh (lib_nice.sh says what they
 * check).
 *
 *   nice_peer offer|answer -o SDP-OUT -i REMOTE-SDP [-c oc2007r2|rfc5245] [-b ADDR]
 *       [-T both|active|passive] [-r controlling|controlled] [-n FRAMES] [-e FRAMES]
 *       [-s SIZE] [-t SECONDS] [-S ms|rfc] [-v]
 *
 * -c is libnice's compatibility mode (default oc2007r2); -S the candidate spelling of
 * our SDP (default: ms for oc2007r2, rfc for rfc5245); -T which of libnice's TCP
 * candidates we announce (libnice gathers both); the rest as appshare-peer.  Exit 0
 * only when ICE completed and every frame was sent and every expected frame arrived
 * intact and in order; 1 otherwise, 2 on a usage error.  One summary line on stdout.
 *
 * It follows appshare-peer's offer/answer file protocol (docs/tools.md), so the same
 * orchestration drives it: the offerer writes its SDP at once and polls for the
 * answer; the answerer polls for the offer and then writes its answer.  It sends and
 * verifies appshare-peer's test frames (tools/peer_data.c), so it can also face an
 * appshare-peer through the relay.
 *
 * ICE runs over TCP only (ice-udp off, no UPnP, one local address added by hand), one
 * stream, one component: Lync duplicates TCP candidates for component 2 but carries
 * RTP and RTCP on one connection, and so does the relay.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>
#include <nice/agent.h>

#include "frame.h"
#include "peer.h"

#define NP_POLL_MS	100	/* remote SDP file poll, as appshare-peer */
#define NP_RETRY_MS	2	/* send retry after libnice's queue was busy */
#define NP_LINGER_S	5	/* wait for the other side's end marker */
#define NP_SDP_MAX	65536

enum np_tcp {
	NP_TCP_BOTH = 0,
	NP_TCP_ACTIVE,
	NP_TCP_PASSIVE,
};

struct np {
	/* options */
	bool		 np_offer;
	const char	*np_sdp_out;
	const char	*np_remote;
	NiceCompatibility np_compat;
	bool		 np_ms;		/* write TCP-PASS/TCP-ACT (MS-ICE2 spelling) */
	const char	*np_bind;
	enum np_tcp	 np_tcp;
	int		 np_role;	/* -1 default, 0 controlled, 1 controlling */
	uint32_t	 np_frames;
	uint32_t	 np_expect;
	size_t		 np_size;
	unsigned	 np_timeout;
	int		 np_verbose;

	/* state */
	GMainLoop	*np_loop;
	NiceAgent	*np_agent;
	guint		 np_stream;
	bool		 np_gathered;
	bool		 np_sdp_written;
	bool		 np_have_remote;
	struct stat	 np_stale;	/* remote file present at start (offerer) */
	bool		 np_stale_set;
	bool		 np_ready;
	bool		 np_sending;
	uint32_t	 np_sent;
	uint64_t	 np_sent_octets;
	uint32_t	 np_recv;
	uint64_t	 np_recv_octets;
	uint32_t	 np_stun_as_data;	/* STUN libnice handed to us (duplicates) */
	uint32_t	 np_bad;
	uint32_t	 np_first_bad;
	const char	*np_bad_why;
	bool		 np_bye_sent;
	bool		 np_bye_got;
	guint		 np_linger;	/* timer ending the run after the markers */
	guint		 np_linger_ms;
	uint32_t	 np_ssrc;
	uint8_t		*np_buf;
	char		 np_pair[160];
	const char	*np_fail;	/* set once: the run failed */
	char		 np_failbuf[256];
	int		 np_exit;
};

static struct np np;

static void np_log(int, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
np_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > np.np_verbose)
		return;
	fputs("nice_peer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
np_usage(void)
{
	fprintf(stderr,
	    "usage: nice_peer offer|answer -o SDP-OUT -i REMOTE-SDP [-c oc2007r2|rfc5245]\n"
	    "\t[-b ADDR] [-T both|active|passive] [-r controlling|controlled]\n"
	    "\t[-n FRAMES] [-e FRAMES] [-s SIZE] [-t SECONDS] [-S ms|rfc] [-v]\n");
	exit(2);
}

/* Ends the run: the summary line is printed once, by np_finish(). */
static void
np_stop(const char *fail)
{
	if (fail != NULL && np.np_fail == NULL) {
		snprintf(np.np_failbuf, sizeof(np.np_failbuf), "%s", fail);
		np.np_fail = np.np_failbuf;
	}
	g_main_loop_quit(np.np_loop);
}

static bool
np_done(void)
{
	return np.np_sent == np.np_frames && np.np_recv == np.np_expect;
}

static gboolean
np_linger_cb(gpointer arg)
{
	if (!np.np_bye_got)
		np_log(1, "no end marker from the other side within %d s; closing",
		    NP_LINGER_S);
	np.np_linger = 0;
	np_stop(NULL);
	return G_SOURCE_REMOVE;
}

/*
 * Once our end marker is out: close soon after the other side's marker (the short
 * wait lets libnice flush what it still queues), or after NP_LINGER_S without one.
 */
static void
np_linger_arm(void)
{
	guint ms = np.np_bye_got ? 200 : NP_LINGER_S * 1000;

	if (!np.np_bye_sent || (np.np_linger != 0 && np.np_linger_ms <= ms))
		return;
	if (np.np_linger != 0)
		g_source_remove(np.np_linger);
	np.np_linger = g_timeout_add(ms, np_linger_cb, NULL);
	np.np_linger_ms = ms;
}

static gboolean np_send_cb(gpointer);

/*
 * Sends test frames until libnice's queue for the connection is busy, then retries
 * shortly.  A non-reliable agent drops a frame instead of queueing it behind another
 * (socket/tcp-bsd.c) and says so with -1 / EWOULDBLOCK; a partly written frame is
 * always completed, so retrying the same frame keeps the stream intact.
 */
static void
np_pump(void)
{
	gint n;

	while (np.np_sent < np.np_frames) {
		peer_data_build(np.np_buf, np.np_size, np.np_sent, np.np_ssrc);
		n = nice_agent_send(np.np_agent, np.np_stream, 1, (guint)np.np_size,
		    (const gchar *)np.np_buf);
		if (n < 0) {
			g_timeout_add(NP_RETRY_MS, np_send_cb, NULL);
			return;
		}
		np.np_sent++;
		np.np_sent_octets += np.np_size;
	}
	if (np_done() && !np.np_bye_sent) {
		peer_data_bye(np.np_buf, np.np_ssrc);
		n = nice_agent_send(np.np_agent, np.np_stream, 1, PEER_DATA_BYE_LEN,
		    (const gchar *)np.np_buf);
		if (n < 0) {
			g_timeout_add(NP_RETRY_MS, np_send_cb, NULL);
			return;
		}
		np.np_bye_sent = true;
		np_log(1, "sent every frame and got every expected one; end marker sent");
	}
	np_linger_arm();
}

static gboolean
np_send_cb(gpointer arg)
{
	np_pump();
	return G_SOURCE_REMOVE;
}

static void
np_recv_cb(NiceAgent *agent, guint stream, guint component, guint len, gchar *buf,
    gpointer arg)
{
	const uint8_t *p = (const uint8_t *)buf;
	const char *why;

	if (frame_classify(p, len) == FRAME_KIND_STUN) {
		/*
		 * In OC2007R2 mode libnice sends each check twice with one transaction
		 * id; when only one copy is answered it hands the other to the
		 * application.  Harmless: count it.
		 */
		np.np_stun_as_data++;
		return;
	}
	if (peer_data_is_bye(p, len)) {
		np_log(1, "end marker received");
		np.np_bye_got = true;
		np_linger_arm();
		return;
	}
	if (np.np_recv >= np.np_expect) {
		if (np.np_bad++ == 0) {
			np.np_first_bad = np.np_recv;
			np.np_bad_why = "more frames than expected";
		}
		return;
	}
	if (peer_data_verify(p, len, np.np_recv, &why) == -1) {
		if (np.np_bad++ == 0) {
			np.np_first_bad = np.np_recv;
			np.np_bad_why = why;
		}
		np_stop("verification failed");
		return;
	}
	np.np_recv++;
	np.np_recv_octets += len;
	if (np_done() && !np.np_bye_sent)
		np_pump();
}

/* --- SDP --- */

/*
 * libnice writes RFC 6544 spelling in both modes; appshare tells MS-ICE2 from RFC 6544
 * by the spelling (docs/control.md), as a Lync peer would expect, so in MS mode the
 * candidate becomes TCP-PASS / TCP-ACT.  A TCP-ACT candidate gets the passive port,
 * as Lync and pidgin-sipe write it: some Lync builds refuse port 0 or 9.
 */
static void
np_cand_line(GString *out, NiceCandidate *c, guint16 pass_port)
{
	gchar *line, **tok;
	guint i, n;
	bool v6, active;

	line = nice_agent_generate_local_candidate_sdp(np.np_agent, c);
	active = c->transport == NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE;
	v6 = nice_address_ip_version(&c->addr) == 6;
	if (!np.np_ms) {
		g_string_append_printf(out, "%s\r\n", line);
		g_free(line);
		return;
	}
	/* a=candidate:F C TCP PRIO ADDR PORT typ T [raddr A rport P] tcptype X */
	tok = g_strsplit(line + strlen("a=candidate:"), " ", 0);
	n = g_strv_length(tok);
	g_string_append(out, v6 ? "a=x-candidate-ipv6:" : "a=candidate:");
	for (i = 0; i < n; i++) {
		if (strcmp(tok[i], "tcptype") == 0 && i + 1 < n) {
			i++;
			continue;
		}
		if (i > 0)
			g_string_append_c(out, ' ');
		if (i == 2)
			g_string_append(out, active ? "TCP-ACT" : "TCP-PASS");
		else if (i == 5 && active && pass_port != 0)
			g_string_append_printf(out, "%u", pass_port);
		else
			g_string_append(out, tok[i]);
	}
	g_string_append(out, "\r\n");
	g_strfreev(tok);
	g_free(line);
}

static bool
np_cand_wanted(const NiceCandidate *c)
{
	if (c->transport == NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE)
		return np.np_tcp != NP_TCP_PASSIVE;
	if (c->transport == NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE)
		return np.np_tcp != NP_TCP_ACTIVE;
	return false;
}

static int
np_write_sdp(void)
{
	GSList *cands, *l;
	NiceCandidate *c;
	GString *sdp;
	gchar *ufrag = NULL, *pwd = NULL, ip[NICE_ADDRESS_STRING_LEN];
	guint16 pass_port = 0;
	char tmp[4096];
	const char *setup;
	FILE *f;
	bool v6 = false;

	cands = nice_agent_get_local_candidates(np.np_agent, np.np_stream, 1);
	for (l = cands; l != NULL; l = l->next) {
		c = l->data;
		if (c->transport == NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE) {
			pass_port = (guint16)nice_address_get_port(&c->addr);
			v6 = nice_address_ip_version(&c->addr) == 6;
			nice_address_to_string(&c->addr, ip);
		}
	}
	if (pass_port == 0) {
		np_stop("libnice gathered no passive TCP candidate");
		g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
		return -1;
	}
	nice_agent_get_local_credentials(np.np_agent, np.np_stream, &ufrag, &pwd);
	setup = np.np_tcp == NP_TCP_ACTIVE ? "active" :
	    np.np_tcp == NP_TCP_PASSIVE ? "passive" : "actpass";

	sdp = g_string_new(NULL);
	g_string_append_printf(sdp, "v=0\r\no=- %u 1 IN IP%c %s\r\ns=nice_peer\r\n",
	    (unsigned)getpid(), v6 ? '6' : '4', ip);
	g_string_append_printf(sdp, "c=IN IP%c %s\r\nt=0 0\r\n", v6 ? '6' : '4', ip);
	g_string_append_printf(sdp, "m=applicationsharing %u TCP/RTP/AVP 127\r\n",
	    np.np_tcp == NP_TCP_ACTIVE ? 9u : pass_port);
	g_string_append_printf(sdp, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", ufrag, pwd);
	for (l = cands; l != NULL; l = l->next)
		if (np_cand_wanted(l->data))
			np_cand_line(sdp, l->data, pass_port);
	g_string_append(sdp, "a=rtpmap:127 x-data/90000\r\n");
	g_string_append_printf(sdp, "a=connection:new\r\na=setup:%s\r\n", setup);
	g_string_append(sdp, "a=x-applicationsharing-session-id:1\r\n");
	g_string_append_printf(sdp, "a=x-applicationsharing-role:%s\r\n",
	    np.np_offer ? "sharer" : "viewer");
	g_string_append(sdp, "a=x-applicationsharing-media-type:rdp\r\n");
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	g_free(ufrag);
	g_free(pwd);

	/* Under a temporary name first: the other side polls for the file. */
	if (strcmp(np.np_sdp_out, "-") == 0) {
		fputs(sdp->str, stdout);
		fflush(stdout);
	} else {
		snprintf(tmp, sizeof(tmp), "%s.tmp%u", np.np_sdp_out, (unsigned)getpid());
		if ((f = fopen(tmp, "w")) == NULL || fputs(sdp->str, f) == EOF ||
		    fclose(f) == EOF || rename(tmp, np.np_sdp_out) == -1) {
			g_string_free(sdp, TRUE);
			np_stop("cannot write the SDP file");
			return -1;
		}
	}
	np_log(2, "our SDP:\n%s", sdp->str);
	g_string_free(sdp, TRUE);
	np.np_sdp_written = true;
	return 0;
}

/*
 * The relay's SDP: ufrag, pwd and the component-1 candidates of the (single)
 * application-sharing section, in either spelling; a=x-candidate-ipv6 (MS-ICE2 IPv6)
 * has the a=candidate grammar.  libnice's own SDP parser wants LF lines and one
 * stream per m-line, so the lines are picked out here and fed to its candidate parser.
 */
static int
np_read_remote(const char *text)
{
	gchar **lines, *ln, *ufrag = NULL, *pwd = NULL, *cl;
	GSList *cands = NULL;
	NiceCandidate *c;
	size_t len;
	guint i;
	int n = 0, rc = -1;

	lines = g_strsplit(text, "\n", 0);
	for (i = 0; lines[i] != NULL; i++) {
		ln = lines[i];
		len = strlen(ln);
		if (len > 0 && ln[len - 1] == '\r')
			ln[len - 1] = '\0';
		if (g_str_has_prefix(ln, "a=ice-ufrag:")) {
			g_free(ufrag);
			ufrag = g_strdup(ln + strlen("a=ice-ufrag:"));
		} else if (g_str_has_prefix(ln, "a=ice-pwd:")) {
			g_free(pwd);
			pwd = g_strdup(ln + strlen("a=ice-pwd:"));
		} else if (g_str_has_prefix(ln, "a=candidate:") ||
		    g_str_has_prefix(ln, "a=x-candidate-ipv6:")) {
			cl = g_strconcat("a=candidate:", strchr(ln, ':') + 1, NULL);
			c = nice_agent_parse_remote_candidate_sdp(np.np_agent,
			    np.np_stream, cl);
			if (c == NULL)
				np_log(0, "libnice does not parse '%s'; ignored", ln);
			else if (c->component_id != 1 ||
			    c->transport == NICE_CANDIDATE_TRANSPORT_UDP)
				nice_candidate_free(c);
			else {
				cands = g_slist_append(cands, c);
				n++;
			}
			g_free(cl);
		}
	}
	if (ufrag == NULL || pwd == NULL) {
		np_stop("remote SDP has no a=ice-ufrag / a=ice-pwd");
		goto out;
	}
	if (n == 0) {
		np_stop("remote SDP has no TCP candidate for component 1");
		goto out;
	}
	if (!nice_agent_set_remote_credentials(np.np_agent, np.np_stream, ufrag, pwd)) {
		np_stop("nice_agent_set_remote_credentials failed");
		goto out;
	}
	if (nice_agent_set_remote_candidates(np.np_agent, np.np_stream, 1, cands) < 1) {
		np_stop("libnice took none of the remote candidates");
		goto out;
	}
	np_log(1, "remote: ufrag %s, %d candidates", ufrag, n);
	rc = 0;
out:
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	g_free(ufrag);
	g_free(pwd);
	g_strfreev(lines);
	return rc;
}

static gboolean
np_poll_cb(gpointer arg)
{
	struct stat st;
	gchar *text = NULL;
	gsize len;

	if (np.np_have_remote)
		return G_SOURCE_REMOVE;
	if (strcmp(np.np_remote, "-") == 0) {
		GString *s = g_string_new(NULL);
		char line[4096];

		while (fgets(line, sizeof(line), stdin) != NULL)
			g_string_append(s, line);
		text = g_string_free(s, FALSE);
	} else {
		if (stat(np.np_remote, &st) == -1 || st.st_size == 0)
			return G_SOURCE_CONTINUE;
		/* An answer left over from an earlier run does not answer this offer. */
		if (np.np_stale_set && st.st_ino == np.np_stale.st_ino &&
		    st.st_mtim.tv_sec == np.np_stale.st_mtim.tv_sec &&
		    st.st_mtim.tv_nsec == np.np_stale.st_mtim.tv_nsec)
			return G_SOURCE_CONTINUE;
		if (!g_file_get_contents(np.np_remote, &text, &len, NULL))
			return G_SOURCE_CONTINUE;
	}
	np.np_have_remote = true;
	np_log(2, "remote SDP:\n%s", text);
	if (np_read_remote(text) == 0 && !np.np_offer && np.np_gathered &&
	    !np.np_sdp_written)
		np_write_sdp();
	g_free(text);
	return G_SOURCE_REMOVE;
}

/* --- agent signals --- */

static void
np_gathered_cb(NiceAgent *agent, guint stream, gpointer arg)
{
	np.np_gathered = true;
	np_log(1, "gathering done");
	if (np.np_offer) {
		if (np_write_sdp() == 0)
			g_timeout_add(NP_POLL_MS, np_poll_cb, NULL);
	} else if (np.np_have_remote && !np.np_sdp_written)
		np_write_sdp();
}

static void
np_state_cb(NiceAgent *agent, guint stream, guint component, guint state, gpointer arg)
{
	np_log(1, "component state %s", nice_component_state_to_string(state));
	if (state == NICE_COMPONENT_STATE_READY && !np.np_ready) {
		np.np_ready = true;
		np_pump();
	} else if (state == NICE_COMPONENT_STATE_FAILED) {
		/*
		 * libnice reports a closed connection as FAILED: after every frame that
		 * is how the relay passes on the other side's close.
		 */
		if (np.np_ready && np_done())
			np_stop(NULL);
		else
			np_stop(np.np_ready ? "connection lost" : "ICE failed");
	}
}

static void
np_pair_cb(NiceAgent *agent, guint stream, guint component, NiceCandidate *lc,
    NiceCandidate *rc, gpointer arg)
{
	gchar la[NICE_ADDRESS_STRING_LEN], ra[NICE_ADDRESS_STRING_LEN];

	nice_address_to_string(&lc->addr, la);
	nice_address_to_string(&rc->addr, ra);
	snprintf(np.np_pair, sizeof(np.np_pair), "%s:%u (%s) -> %s:%u (%s)", la,
	    nice_address_get_port(&lc->addr),
	    lc->transport == NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE ? "active" : "passive",
	    ra, nice_address_get_port(&rc->addr),
	    rc->transport == NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE ? "active" : "passive");
	np_log(1, "selected pair %s", np.np_pair);
}

static gboolean
np_timeout_cb(gpointer arg)
{
	snprintf(np.np_failbuf, sizeof(np.np_failbuf), "timeout after %u s: %s",
	    np.np_timeout, !np.np_ready ? "ICE did not complete" :
	    np.np_sent < np.np_frames ? "frames still to send" :
	    np.np_recv < np.np_expect ? "frames still expected" : "no end marker");
	if (np.np_fail == NULL)
		np.np_fail = np.np_failbuf;
	/* Sent and received everything: only the end marker is late; that is fine. */
	if (np.np_ready && np_done())
		np.np_fail = NULL;
	g_main_loop_quit(np.np_loop);
	return G_SOURCE_REMOVE;
}

/* --- main --- */

/* After the agent is gone, so that the summary is the last line even with NICE_DEBUG. */
static void
np_finish(gboolean controlling)
{
	const char *mode = np.np_compat == NICE_COMPATIBILITY_OC2007R2 ? "oc2007r2" :
	    "rfc5245";

	if (np.np_fail == NULL && (!np.np_ready || !np_done() || np.np_bad > 0))
		np.np_fail = "incomplete";
	printf("nice_peer: ICE %s (%s, %s, %s), sent %" PRIu32 " frames %" PRIu64
	    " octets, received %" PRIu32 " frames %" PRIu64 " octets, %" PRIu32
	    " STUN frames handed over as data, ",
	    np.np_ready ? "completed" : "not completed", mode,
	    controlling ? "controlling" : "controlled",
	    np.np_pair[0] != '\0' ? np.np_pair : "no pair",
	    np.np_sent, np.np_sent_octets, np.np_recv, np.np_recv_octets,
	    np.np_stun_as_data);
	if (np.np_bad > 0)
		printf("verification FAILED: %" PRIu32 " bad, first frame %" PRIu32
		    ": %s\n", np.np_bad, np.np_first_bad, np.np_bad_why);
	else if (np.np_fail != NULL)
		printf("FAILED: %s\n", np.np_fail);
	else
		printf("verified OK\n");
	fflush(stdout);
	np.np_exit = np.np_fail == NULL && np.np_bad == 0 ? 0 : 1;
}

static unsigned long
np_num(const char *s, unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "nice_peer: bad number '%s' (%lu..%lu)\n", s, min, max);
		exit(2);
	}
	return v;
}

static void
np_options(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sdp-out",	required_argument, NULL, 'o' },
		{ "remote-sdp",	required_argument, NULL, 'i' },
		{ "compat",	required_argument, NULL, 'c' },
		{ "spelling",	required_argument, NULL, 'S' },
		{ "bind",	required_argument, NULL, 'b' },
		{ "tcp",	required_argument, NULL, 'T' },
		{ "role",	required_argument, NULL, 'r' },
		{ "frames",	required_argument, NULL, 'n' },
		{ "expect",	required_argument, NULL, 'e' },
		{ "size",	required_argument, NULL, 's' },
		{ "timeout",	required_argument, NULL, 't' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	const char *spelling = NULL;
	int ch;

	if (argc < 2)
		np_usage();
	if (strcmp(argv[1], "offer") == 0)
		np.np_offer = true;
	else if (strcmp(argv[1], "answer") != 0)
		np_usage();
	np.np_compat = NICE_COMPATIBILITY_OC2007R2;
	np.np_bind = "127.0.0.1";
	np.np_role = -1;
	np.np_size = 1200;
	np.np_timeout = 30;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "o:i:c:S:b:T:r:n:e:s:t:v", lo, NULL)) != -1) {
		switch (ch) {
		case 'o':
			np.np_sdp_out = optarg;
			break;
		case 'i':
			np.np_remote = optarg;
			break;
		case 'c':
			if (g_ascii_strcasecmp(optarg, "oc2007r2") == 0)
				np.np_compat = NICE_COMPATIBILITY_OC2007R2;
			else if (g_ascii_strcasecmp(optarg, "rfc5245") == 0)
				np.np_compat = NICE_COMPATIBILITY_RFC5245;
			else
				np_usage();
			break;
		case 'S':
			spelling = optarg;
			break;
		case 'b':
			np.np_bind = optarg;
			break;
		case 'T':
			if (strcmp(optarg, "both") == 0)
				np.np_tcp = NP_TCP_BOTH;
			else if (strcmp(optarg, "active") == 0)
				np.np_tcp = NP_TCP_ACTIVE;
			else if (strcmp(optarg, "passive") == 0)
				np.np_tcp = NP_TCP_PASSIVE;
			else
				np_usage();
			break;
		case 'r':
			if (strcmp(optarg, "controlling") == 0)
				np.np_role = 1;
			else if (strcmp(optarg, "controlled") == 0)
				np.np_role = 0;
			else
				np_usage();
			break;
		case 'n':
			np.np_frames = (uint32_t)np_num(optarg, 0, 10000000);
			break;
		case 'e':
			np.np_expect = (uint32_t)np_num(optarg, 0, 10000000);
			break;
		case 's':
			/* libnice splits a message above 0xF800 bytes into two frames */
			np.np_size = np_num(optarg, PEER_DATA_MIN, 0xF800);
			break;
		case 't':
			np.np_timeout = (unsigned)np_num(optarg, 1, 3600);
			break;
		case 'v':
			np.np_verbose++;
			break;
		default:
			np_usage();
		}
	}
	if (optind != argc || np.np_sdp_out == NULL || np.np_remote == NULL)
		np_usage();
	if (spelling == NULL)
		np.np_ms = np.np_compat == NICE_COMPATIBILITY_OC2007R2;
	else if (strcmp(spelling, "ms") == 0)
		np.np_ms = true;
	else if (strcmp(spelling, "rfc") == 0)
		np.np_ms = false;
	else
		np_usage();
}

int
main(int argc, char **argv)
{
	NiceAddress addr;
	gboolean controlling;

	np_options(argc, argv);
	setvbuf(stderr, NULL, _IOLBF, 0);
	np.np_ssrc = g_random_int();
	if ((np.np_buf = malloc(np.np_size > PEER_DATA_BYE_LEN ? np.np_size :
	    PEER_DATA_BYE_LEN)) == NULL) {
		fprintf(stderr, "nice_peer: out of memory\n");
		return 1;
	}
	if (np.np_offer && strcmp(np.np_remote, "-") != 0 &&
	    stat(np.np_remote, &np.np_stale) == 0)
		np.np_stale_set = true;

	np.np_loop = g_main_loop_new(NULL, FALSE);
	np.np_agent = nice_agent_new(g_main_loop_get_context(np.np_loop), np.np_compat);
	controlling = np.np_role == -1 ? np.np_offer : np.np_role == 1;
	g_object_set(np.np_agent, "ice-udp", FALSE, "ice-tcp", TRUE, "upnp", FALSE,
	    "controlling-mode", controlling, NULL);
	nice_address_init(&addr);
	if (!nice_address_set_from_string(&addr, np.np_bind)) {
		fprintf(stderr, "nice_peer: bad address '%s' (no port: libnice picks it)\n",
		    np.np_bind);
		return 2;
	}
	nice_agent_add_local_address(np.np_agent, &addr);
	g_signal_connect(np.np_agent, "candidate-gathering-done",
	    G_CALLBACK(np_gathered_cb), NULL);
	g_signal_connect(np.np_agent, "component-state-changed",
	    G_CALLBACK(np_state_cb), NULL);
	g_signal_connect(np.np_agent, "new-selected-pair-full",
	    G_CALLBACK(np_pair_cb), NULL);
	np.np_stream = nice_agent_add_stream(np.np_agent, 1);
	if (np.np_stream == 0) {
		fprintf(stderr, "nice_peer: nice_agent_add_stream failed\n");
		return 1;
	}
	/* Without a receive callback the passive side never accepts (real-peers.md). */
	nice_agent_attach_recv(np.np_agent, np.np_stream, 1,
	    g_main_loop_get_context(np.np_loop), np_recv_cb, NULL);
	if (!np.np_offer)
		g_timeout_add(NP_POLL_MS, np_poll_cb, NULL);
	if (!nice_agent_gather_candidates(np.np_agent, np.np_stream)) {
		fprintf(stderr, "nice_peer: gathering failed on %s\n", np.np_bind);
		return 1;
	}
	g_timeout_add_seconds(np.np_timeout, np_timeout_cb, NULL);
	g_main_loop_run(np.np_loop);

	/* libnice may switch roles on a conflict: report the final one. */
	g_object_get(np.np_agent, "controlling-mode", &controlling, NULL);
	nice_agent_attach_recv(np.np_agent, np.np_stream, 1, NULL, NULL, NULL);
	nice_agent_remove_stream(np.np_agent, np.np_stream);
	g_object_unref(np.np_agent);
	g_main_loop_unref(np.np_loop);
	free(np.np_buf);
	np_finish(controlling);
	return np.np_exit;
}
