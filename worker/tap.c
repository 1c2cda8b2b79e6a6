/*
 * The pcap tap (tap.h) [io].
 *
 * libpcap writes the file: pcap_open_dead(DLT_RAW) gives a handle without a device,
 * pcap_dump_fopen() a dumper on a stdio stream over the descriptor the master sent
 * (the worker opens no files).  DLT_RAW lets IPv4 and IPv6 packets share one file.
 * stdio needs write, fstat and lseek, which the worker's filter has
 * (policy/sandbox_tables.c, "stdio").
 *
 * Each TCP connection of the session is one flow (tap_pkt.h), keyed by leg and
 * connection slot and renewed when the slot's connection changes (cn_serial).  The
 * first bytes of a flow are preceded by a synthesised three-way handshake, opened by
 * whichever side connected, so that the analyser sees a whole connection even when
 * recording starts in the middle of a session.  Segments are ACK|PSH and acknowledge
 * everything the other side sent.
 *
 * Size bound: file header plus records stay at or under tf_max_size; the record that
 * would pass it is not written, the capture stops (logged once) and the file is
 * closed.  The master's start/stop commands and the end of the session close it too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "leg.h"
#include "log.h"
#include "sess.h"
#include "tap.h"

#define TAP_FILE_HDR	24	/* pcap file header */
#define TAP_REC_HDR	16	/* pcap record header */

struct tap {
	pcap_t			*tp_pcap;
	pcap_dumper_t		*tp_dump;
	uint64_t		 tp_max;	/* 0 = no limit */
	uint64_t		 tp_size;	/* bytes written so far */
	uint64_t		 tp_packets;
	char			 tp_name[IPC_NAME_MAX];
	uint32_t		 tp_serial[SHM_NLEGS][WK_NCONN];
	bool			 tp_valid[SHM_NLEGS][WK_NCONN];
	struct tapp_flow	 tp_flow[SHM_NLEGS][WK_NCONN];
	uint8_t			 tp_pkt[TAPP_PKT_MAX];
};

void
tap_start(struct sess *s, int fd, const struct ipc_tap_fd *tf)
{
	struct tap *t;
	FILE *fp;

	if (s->s_tap != NULL) {
		log_info("session %s: already recording into %s", s->s_callid,
		    s->s_tap->tp_name);
		close(fd);
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		log_warn("session %s: tap", s->s_callid);
		close(fd);
		return;
	}
	snprintf(t->tp_name, sizeof(t->tp_name), "%s", tf->tf_name);
	t->tp_max = tf->tf_max_size;
	if ((t->tp_pcap = pcap_open_dead(DLT_RAW, 65535)) == NULL) {
		log_warnx("session %s: pcap_open_dead failed", s->s_callid);
		goto fail;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		log_warn("session %s: capture %s", s->s_callid, t->tp_name);
		goto fail;
	}
	fd = -1;
	if ((t->tp_dump = pcap_dump_fopen(t->tp_pcap, fp)) == NULL) {
		log_warnx("session %s: capture %s: %s", s->s_callid, t->tp_name,
		    pcap_geterr(t->tp_pcap));
		fclose(fp);
		goto fail;
	}
	t->tp_size = TAP_FILE_HDR;
	s->s_tap = t;
	log_info("session %s: recording into %s", s->s_callid, t->tp_name);
	return;
fail:
	if (fd != -1)
		close(fd);
	if (t->tp_pcap != NULL)
		pcap_close(t->tp_pcap);
	free(t);
}

void
tap_stop(struct sess *s, const char *why)
{
	struct tap *t = s->s_tap;

	if (t == NULL)
		return;
	s->s_tap = NULL;
	if (pcap_dump_flush(t->tp_dump) == -1)
		log_warnx("session %s: capture %s: write failed", s->s_callid, t->tp_name);
	pcap_dump_close(t->tp_dump);
	pcap_close(t->tp_pcap);
	log_info("session %s: recording stopped (%s): %s, %llu packets, %llu bytes",
	    s->s_callid, why, t->tp_name, (unsigned long long)t->tp_packets,
	    (unsigned long long)t->tp_size);
	free(t);
}

/* One packet into the file; false when the capture had to stop. */
static bool
tap_write(struct sess *s, const uint8_t *pkt, size_t len)
{
	struct tap *t = s->s_tap;
	struct pcap_pkthdr ph;
	struct timespec ts;

	if (t->tp_max != 0 && t->tp_size + TAP_REC_HDR + len > t->tp_max) {
		log_warnx("session %s: capture %s reached capture-max-size (%llu bytes): "
		    "recording stopped", s->s_callid, t->tp_name,
		    (unsigned long long)t->tp_max);
		tap_stop(s, "size limit");
		return false;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	memset(&ph, 0, sizeof(ph));
	ph.ts.tv_sec = ts.tv_sec;
	ph.ts.tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
	ph.caplen = ph.len = (bpf_u_int32)len;
	pcap_dump((u_char *)t->tp_dump, &ph, pkt);
	t->tp_size += TAP_REC_HDR + len;
	t->tp_packets++;
	return true;
}

/* The flow's addresses from the connection's; -1 if it has none we can show. */
static int
tap_addr(const struct sockaddr_storage *ss, int *fam, uint8_t addr[16], uint16_t *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		*fam = TAPP_V4;
		memcpy(addr, &sin->sin_addr, 4);
		*port = ntohs(sin->sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			*fam = TAPP_V4;
			memcpy(addr, &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			*fam = TAPP_V6;
			memcpy(addr, &sin6->sin6_addr, 16);
		}
		*port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}

static struct tapp_flow *
tap_flow(struct sess *s, struct conn *c)
{
	struct tap *t = s->s_tap;
	int li = c->cn_leg->lg_idx, ci = c->cn_id, fp, fr;
	struct tapp_flow *f = &t->tp_flow[li][ci];
	uint8_t pa[16], ra[16], hs[3][TAPP_HDR_MAX];
	uint16_t pp, rp;
	size_t hl[3];
	int i;

	if (t->tp_valid[li][ci] && t->tp_serial[li][ci] == c->cn_serial)
		return f;
	if (tap_addr(&c->cn_peer, &fp, pa, &pp) == -1 ||
	    tap_addr(&c->cn_local, &fr, ra, &rp) == -1 || fp != fr)
		return NULL;
	/* Fixed ISNs: the analyser shows relative numbers anyway. */
	if (tapp_flow_init(f, fp, pa, pp, ra, rp, 1000, 5000) != TAPP_OK ||
	    tapp_handshake(f, c->cn_active ? TAPP_RELAY : TAPP_PEER, hs, hl) != TAPP_OK)
		return NULL;
	t->tp_valid[li][ci] = true;
	t->tp_serial[li][ci] = c->cn_serial;
	for (i = 0; i < 3; i++)
		if (!tap_write(s, hs[i], hl[i]))
			return NULL;
	return f;
}

void
tap_data(struct conn *c, enum tapp_side from, const uint8_t *p, size_t len)
{
	struct sess *s = c->cn_leg->lg_sess;
	struct tapp_flow *f;
	size_t n, plen;

	if (s->s_tap == NULL || len == 0 || (f = tap_flow(s, c)) == NULL)
		return;
	while (len > 0) {
		n = tapp_segment(len);
		if (tapp_packet(f, from, TAPP_ACK | TAPP_PSH, p, n, s->s_tap->tp_pkt,
		    sizeof(s->s_tap->tp_pkt), &plen) != TAPP_OK)
			return;
		if (!tap_write(s, s->s_tap->tp_pkt, plen))
			return;
		p += n;
		len -= n;
	}
}
