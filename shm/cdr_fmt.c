/*
 * CDR CSV formatting (architecture.md B6 "CSV", protocol.md decision D17, docs/cdr.md).
 *
 * Output is built through a bounded cursor that stops writing at the end of the
 * caller's buffer and remembers that it overflowed, so every put can be unconditional
 * and the one check sits at the end.
 */
#include "cdr_fmt.h"

#include <stdbool.h>
#include <string.h>

struct cdr_out {
	char	*co_buf;
	size_t	 co_len;
	size_t	 co_pos;
	bool	 co_over;
};

static const char *const cdr_reasons[CDR_R_MAX] = {
	[CDR_R_UNKNOWN]		= "unknown",
	[CDR_R_DELETED]		= "deleted",
	[CDR_R_ICE_TIMEOUT]	= "ice-timeout",
	[CDR_R_IDLE_TIMEOUT]	= "idle-timeout",
	[CDR_R_ICE_FAILED]	= "ice-failed",
	[CDR_R_PEER_CLOSED]	= "peer-closed",
	[CDR_R_WORKER_LOST]	= "worker-lost",
	[CDR_R_OVERFLOW]	= "overflow",
	[CDR_R_POLICY]		= "policy",
	[CDR_R_CONNECT_FAILED]	= "connect-failed",
	[CDR_R_PROTOCOL]	= "protocol-error",
	[CDR_R_SHUTDOWN]	= "shutdown",
	[CDR_R_INTERNAL]	= "internal-error",
};

static const char *const cdr_medias[CDR_MEDIA_MAX] = {
	[CDR_MEDIA_APPSHARING]	= "applicationsharing",
	[CDR_MEDIA_AUDIO]	= "audio",
	[CDR_MEDIA_VIDEO]	= "video",
};

static const char *const cdr_protos[CDR_PROTO_MAX] = {
	[CDR_PROTO_TCP_RTP_AVP]		= "TCP/RTP/AVP",
	[CDR_PROTO_TCP_RTP_SAVP]	= "TCP/RTP/SAVP",
	[CDR_PROTO_RTP_AVP]		= "RTP/AVP",
	[CDR_PROTO_RTP_SAVP]		= "RTP/SAVP",
};

/* NONE is an empty field: the leg never reached the point where it is known. */
static const char *const cdr_dialects[CDR_DIALECT_MAX] = {
	[CDR_DIALECT_NONE]	= "",
	[CDR_DIALECT_MS_ICE2]	= "ms-ice2",
	[CDR_DIALECT_RFC6544]	= "rfc6544",
	[CDR_DIALECT_RFC4145]	= "rfc4145",
};

static const char *const cdr_roles[CDR_ROLE_MAX] = {
	[CDR_ROLE_NONE]		= "",
	[CDR_ROLE_PASSIVE]	= "passive",
	[CDR_ROLE_ACTIVE]	= "active",
};

/* The header line; its order is the schema.  Append only (docs/cdr.md, versioning). */
static const char *const cdr_columns[CDR_NFIELDS] = {
	CDR_SCHEMA_TAG, "Boot ID", "Worker", "Epoch", "Gen", "Session ID", "Call-ID",
	"From Tag", "To Tag", "Start Time", "ICE Completed Time", "End Time",
	"Duration ms", "Termination Reason", "Closing Leg", "Flags", "Media Type",
	"Media Protocol", "Leg A Dialect", "Leg A TCP Role", "Leg B Dialect",
	"Leg B TCP Role", "Media Stream Data", "Media Stream Stats",
};

static const char *
cdr_table(const char *const *t, size_t n, unsigned v)
{
	return v < n ? t[v] : NULL;
}

const char *
cdr_reason_token(unsigned v)
{
	return cdr_table(cdr_reasons, CDR_R_MAX, v);
}

const char *
cdr_media_token(unsigned v)
{
	return cdr_table(cdr_medias, CDR_MEDIA_MAX, v);
}

const char *
cdr_proto_token(unsigned v)
{
	return cdr_table(cdr_protos, CDR_PROTO_MAX, v);
}

const char *
cdr_dialect_token(unsigned v)
{
	return cdr_table(cdr_dialects, CDR_DIALECT_MAX, v);
}

const char *
cdr_role_token(unsigned v)
{
	return cdr_table(cdr_roles, CDR_ROLE_MAX, v);
}

const char *
cdr_transport_token(unsigned media, unsigned proto)
{
	if (media >= CDR_MEDIA_MAX)
		return NULL;
	switch (proto) {
	case CDR_PROTO_TCP_RTP_AVP:
		return media == CDR_MEDIA_APPSHARING ? "TCP/LYNC/APPSHARE" : "RTP/TCP";
	case CDR_PROTO_TCP_RTP_SAVP:
		return media == CDR_MEDIA_APPSHARING ? "TCP/LYNC/APPSHARE" : "SRTP/TCP";
	case CDR_PROTO_RTP_AVP:
		return "RTP/UDP";
	case CDR_PROTO_RTP_SAVP:
		return "SRTP/UDP";
	default:
		return NULL;
	}
}

/* ---- bounded output ------------------------------------------------------------------ */

static void
cdr_putc(struct cdr_out *o, char c)
{
	if (o->co_pos < o->co_len)
		o->co_buf[o->co_pos] = c;
	else
		o->co_over = true;
	o->co_pos++;
}

static void
cdr_puts(struct cdr_out *o, const char *s)
{
	while (*s != '\0')
		cdr_putc(o, *s++);
}

/* A token, or "unknown" for a value outside its table (hostile or newer writer). */
static void
cdr_put_token(struct cdr_out *o, const char *tok)
{
	cdr_puts(o, tok != NULL ? tok : "unknown");
}

static void
cdr_put_u64(struct cdr_out *o, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		cdr_putc(o, tmp[--n]);
}

/* Zero-padded to at least width digits. */
static void
cdr_put_u64w(struct cdr_out *o, uint64_t v, int width)
{
	uint64_t p = 1;
	int digits = 1;

	while (digits < width) {
		p *= 10;
		digits++;
	}
	while (p > v && p > 1) {
		cdr_putc(o, '0');
		p /= 10;
	}
	cdr_put_u64(o, v);
}

static const char cdr_hex[] = "0123456789abcdef";
static const char cdr_HEX[] = "0123456789ABCDEF";

static void
cdr_put_hex64(struct cdr_out *o, uint64_t v)
{
	int i;

	for (i = 60; i >= 0; i -= 4)
		cdr_putc(o, cdr_hex[(v >> i) & 0xf]);
}

/*
 * A fixed-size text field as a quoted CSV field.  Quotes are doubled (RFC 4180).
 * Control bytes, DEL and bytes >= 0x80 become %XX: a record must stay one physical line
 * for line-based tools, and the file stays pure ASCII.  '%' itself is not escaped so
 * that every valid SIP identifier (always printable ASCII) appears byte for byte and can
 * be matched against signalling logs; the price is that "%41" in hostile input and an
 * escaped 'A' look alike, which only matters for input that was not valid SIP anyway.
 */
static void
cdr_put_text(struct cdr_out *o, const char *s, size_t cap)
{
	size_t i;
	unsigned char c;

	cdr_putc(o, '"');
	for (i = 0; i < cap && s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (c == '"') {
			cdr_putc(o, '"');
			cdr_putc(o, '"');
		} else if (c < 0x20 || c >= 0x7f) {
			cdr_putc(o, '%');
			cdr_putc(o, cdr_HEX[c >> 4]);
			cdr_putc(o, cdr_HEX[c & 0xf]);
		} else
			cdr_putc(o, (char)c);
	}
	cdr_putc(o, '"');
}

/* ---- time ------------------------------------------------------------------------------ */

/*
 * Days since 1970-01-01 to a proleptic Gregorian date.  The count is shifted to start on
 * 0000-03-01 so that the leap day is the last day of the (March-based) year, and split
 * into 400-year eras of 146097 days, within which the year, then the day of the year,
 * then the month follow from integer division alone.  Unsigned because the input is
 * milliseconds since 1970 as a uint64_t: no date before the epoch can occur.
 */
void
cdr_civil_from_days(uint64_t days, uint64_t *year, unsigned *month, unsigned *day)
{
	uint64_t z, era, doe, yoe, doy, mp, y;
	unsigned m;

	z = days + 719468;	/* days from 0000-03-01 to 1970-01-01 */
	era = z / 146097;
	doe = z - era * 146097;					/* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;	/* [0, 399] */
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		/* [0, 365] */
	mp = (5 * doy + 2) / 153;				/* March = 0 */
	*day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*month = m;
	*year = y + (m <= 2 ? 1 : 0);
}

static void
cdr_put_time(struct cdr_out *o, uint64_t ms)
{
	uint64_t secs, days, rem, year;
	unsigned month, day;

	secs = ms / 1000;
	days = secs / 86400;
	rem = secs % 86400;
	cdr_civil_from_days(days, &year, &month, &day);
	cdr_put_u64w(o, year, 4);
	cdr_putc(o, '-');
	cdr_put_u64w(o, month, 2);
	cdr_putc(o, '-');
	cdr_put_u64w(o, day, 2);
	cdr_putc(o, 'T');
	cdr_put_u64w(o, rem / 3600, 2);
	cdr_putc(o, ':');
	cdr_put_u64w(o, rem / 60 % 60, 2);
	cdr_putc(o, ':');
	cdr_put_u64w(o, rem % 60, 2);
	cdr_putc(o, '.');
	cdr_put_u64w(o, ms % 1000, 3);
	cdr_putc(o, 'Z');
}

/* 0 means "never / unknown": an empty field rather than 1970-01-01. */
static void
cdr_put_time_opt(struct cdr_out *o, uint64_t ms)
{
	if (ms != 0)
		cdr_put_time(o, ms);
}

/* ---- addresses --------------------------------------------------------------------- */

static void
cdr_put_v4(struct cdr_out *o, const uint8_t *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			cdr_putc(o, '.');
		cdr_put_u64(o, a[i]);
	}
}

/* RFC 5952 text: lowercase, no leading zeros, the longest run (>= 2) of zero groups as
 * "::" (the first on a tie), IPv4-mapped addresses in mixed notation. */
static void
cdr_put_v6(struct cdr_out *o, const uint8_t *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned g[8];
	int i, best = -1, bestlen = 0, run = 0, ngroups = 8;

	for (i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	if (memcmp(a, mapped, sizeof(mapped)) == 0)
		ngroups = 6;
	for (i = 0; i < ngroups; i++) {
		run = g[i] == 0 ? run + 1 : 0;
		if (run > bestlen) {
			bestlen = run;
			best = i - run + 1;
		}
	}
	if (bestlen < 2)
		best = -1;
	for (i = 0; i < ngroups; i++) {
		if (i == best) {
			cdr_puts(o, "::");
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			cdr_putc(o, ':');
		if (g[i] >= 0x1000)
			cdr_putc(o, cdr_hex[g[i] >> 12]);
		if (g[i] >= 0x100)
			cdr_putc(o, cdr_hex[(g[i] >> 8) & 0xf]);
		if (g[i] >= 0x10)
			cdr_putc(o, cdr_hex[(g[i] >> 4) & 0xf]);
		cdr_putc(o, cdr_hex[g[i] & 0xf]);
	}
	if (ngroups == 6) {
		if (best + bestlen != 6)
			cdr_putc(o, ':');
		cdr_put_v4(o, a + 12);
	}
}

/*
 * "<addr>:<port>", IPv6 in brackets so that a ':'-separated sub-field stays parseable;
 * an endpoint that never existed (or an unknown family) is ":" - empty address, empty
 * port - which keeps the number of ':' sub-fields fixed.
 */
static void
cdr_put_ep(struct cdr_out *o, const struct shm_addr *a)
{
	switch (a->sa_family) {
	case SHM_AF_INET:
		cdr_put_v4(o, a->sa_addr);
		break;
	case SHM_AF_INET6:
		cdr_putc(o, '[');
		cdr_put_v6(o, a->sa_addr);
		cdr_putc(o, ']');
		break;
	default:
		cdr_putc(o, ':');
		return;
	}
	cdr_putc(o, ':');
	cdr_put_u64(o, a->sa_port);
}

/* ---- fields ----------------------------------------------------------------------------- */

static void
cdr_put_flags(struct cdr_out *o, uint32_t flags)
{
	bool first = true;

	if (flags & CDR_F_PARTIAL) {
		cdr_puts(o, "partial");
		first = false;
	}
	if (flags & CDR_F_TRUNCATED) {
		if (!first)
			cdr_putc(o, '|');
		cdr_puts(o, "truncated");
	}
}

/* D17: "<idx>:<media>:<transport>:<local>:<remote>" per leg, idx 1 = leg A, 2 = leg B,
 * joined by ';'. */
static void
cdr_put_stream_data(struct cdr_out *o, const struct cdr_rec *r)
{
	int l;

	cdr_putc(o, '"');
	for (l = 0; l < SHM_NLEGS; l++) {
		if (l > 0)
			cdr_putc(o, ';');
		cdr_put_u64(o, (uint64_t)l + 1);
		cdr_putc(o, ':');
		cdr_put_token(o, cdr_media_token(r->cr_media));
		cdr_putc(o, ':');
		cdr_put_token(o, cdr_transport_token(r->cr_media, r->cr_proto));
		cdr_putc(o, ':');
		cdr_put_ep(o, &r->cr_leg[l].cl_local);
		cdr_putc(o, ':');
		cdr_put_ep(o, &r->cr_leg[l].cl_remote);
	}
	cdr_putc(o, '"');
}

/* D17: "<frames_in>,<frames_out>,<octets_in>,<octets_out>,<stun_in>,<stun_out>" per
 * leg in the order of Media Stream Data, joined by ';'. */
static void
cdr_put_stream_stats(struct cdr_out *o, const struct cdr_rec *r)
{
	const struct cdr_leg *cl;
	int l;

	cdr_putc(o, '"');
	for (l = 0; l < SHM_NLEGS; l++) {
		cl = &r->cr_leg[l];
		if (l > 0)
			cdr_putc(o, ';');
		cdr_put_u64(o, cl->cl_frames[SHM_DIR_IN]);
		cdr_putc(o, ',');
		cdr_put_u64(o, cl->cl_frames[SHM_DIR_OUT]);
		cdr_putc(o, ',');
		cdr_put_u64(o, cl->cl_octets[SHM_DIR_IN]);
		cdr_putc(o, ',');
		cdr_put_u64(o, cl->cl_octets[SHM_DIR_OUT]);
		cdr_putc(o, ',');
		cdr_put_u64(o, cl->cl_stun[SHM_DIR_IN]);
		cdr_putc(o, ',');
		cdr_put_u64(o, cl->cl_stun[SHM_DIR_OUT]);
	}
	cdr_putc(o, '"');
}

/* CRLF, then a NUL that must also fit; on overflow leave an empty string if we can. */
static int
cdr_finish(struct cdr_out *o, size_t *written)
{
	cdr_putc(o, '\r');
	cdr_putc(o, '\n');
	if (o->co_over || o->co_pos >= o->co_len) {
		if (o->co_len > 0)
			o->co_buf[0] = '\0';
		return CDR_E_SPACE;
	}
	o->co_buf[o->co_pos] = '\0';
	if (written != NULL)
		*written = o->co_pos;
	return CDR_OK;
}

int
cdr_format(const struct cdr_rec *r, char *buf, size_t len, size_t *written)
{
	struct cdr_out o = { buf, len, 0, false };
	int l;

	cdr_puts(&o, "STOP,");
	cdr_put_hex64(&o, r->cr_boot_id);
	cdr_putc(&o, ',');
	cdr_put_u64(&o, r->cr_worker);
	cdr_putc(&o, ',');
	cdr_put_u64(&o, r->cr_epoch);
	cdr_putc(&o, ',');
	cdr_put_hex64(&o, r->cr_gen);
	cdr_putc(&o, ',');
	cdr_put_text(&o, r->cr_sessid, sizeof(r->cr_sessid));
	cdr_putc(&o, ',');
	cdr_put_text(&o, r->cr_callid, sizeof(r->cr_callid));
	cdr_putc(&o, ',');
	cdr_put_text(&o, r->cr_from_tag, sizeof(r->cr_from_tag));
	cdr_putc(&o, ',');
	cdr_put_text(&o, r->cr_to_tag, sizeof(r->cr_to_tag));
	cdr_putc(&o, ',');
	cdr_put_time_opt(&o, r->cr_t_start_ms);
	cdr_putc(&o, ',');
	cdr_put_time_opt(&o, r->cr_t_ice_ms);
	cdr_putc(&o, ',');
	cdr_put_time_opt(&o, r->cr_t_end_ms);
	cdr_putc(&o, ',');
	if (r->cr_t_start_ms != 0 && r->cr_t_end_ms >= r->cr_t_start_ms)
		cdr_put_u64(&o, r->cr_t_end_ms - r->cr_t_start_ms);
	cdr_putc(&o, ',');
	cdr_put_token(&o, cdr_reason_token(r->cr_reason));
	cdr_putc(&o, ',');
	if (r->cr_closed_by == CDR_CLOSED_A)
		cdr_putc(&o, 'A');
	else if (r->cr_closed_by == CDR_CLOSED_B)
		cdr_putc(&o, 'B');
	else if (r->cr_closed_by != CDR_CLOSED_NONE)
		cdr_puts(&o, "unknown");
	cdr_putc(&o, ',');
	cdr_put_flags(&o, r->cr_flags);
	cdr_putc(&o, ',');
	cdr_put_token(&o, cdr_media_token(r->cr_media));
	cdr_putc(&o, ',');
	cdr_put_token(&o, cdr_proto_token(r->cr_proto));
	for (l = 0; l < SHM_NLEGS; l++) {
		cdr_putc(&o, ',');
		cdr_put_token(&o, cdr_dialect_token(r->cr_leg[l].cl_dialect));
		cdr_putc(&o, ',');
		cdr_put_token(&o, cdr_role_token(r->cr_leg[l].cl_role));
	}
	cdr_putc(&o, ',');
	cdr_put_stream_data(&o, r);
	cdr_putc(&o, ',');
	cdr_put_stream_stats(&o, r);
	return cdr_finish(&o, written);
}

int
cdr_header(char *buf, size_t len, size_t *written)
{
	struct cdr_out o = { buf, len, 0, false };
	int i;

	for (i = 0; i < CDR_NFIELDS; i++) {
		if (i > 0)
			cdr_putc(&o, ',');
		cdr_puts(&o, cdr_columns[i]);
	}
	return cdr_finish(&o, written);
}

int
cdr_time_format(uint64_t ms, char *buf, size_t len, size_t *written)
{
	struct cdr_out o = { buf, len, 0, false };

	cdr_put_time(&o, ms);
	if (o.co_over || o.co_pos >= o.co_len) {
		if (o.co_len > 0)
			o.co_buf[0] = '\0';
		return CDR_E_SPACE;
	}
	o.co_buf[o.co_pos] = '\0';
	if (written != NULL)
		*written = o.co_pos;
	return CDR_OK;
}
