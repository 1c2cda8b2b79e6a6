/*
 * Configuration file parser: "key = value" lines -> struct as_conf.
 *
 * The grammar is deliberately line-based and small (docs/configuration.md): one
 * setting per line, '#' comments, optional double quotes around a value, no escapes,
 * no includes, no macros.  Every error stops the parse and names its line, because an
 * operator who mistypes a key must not get a relay that silently runs on defaults.
 */
#include "conf.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>

#define CONF_MS_S	1000ULL
#define CONF_MS_M	(60 * CONF_MS_S)
#define CONF_MS_H	(60 * CONF_MS_M)
#define CONF_MS_D	(24 * CONF_MS_H)
#define CONF_KIB	1024ULL
#define CONF_MIB	(1024 * CONF_KIB)
#define CONF_GIB	(1024 * CONF_MIB)

/* Longest text of one value we bother to quote back in an error message. */
#define CONF_QUOTE_MAX	48

enum conf_type {
	CONF_T_ADDRPORT,	/* IP:PORT, [IPv6]:PORT or none */
	CONF_T_CIDRS,		/* list of CIDRs */
	CONF_T_IPS,		/* one IPv4 and/or one IPv6 */
	CONF_T_PORT,
	CONF_T_DURATION,
	CONF_T_SIZE,
	CONF_T_WORKERS,
	CONF_T_COUNT,
	CONF_T_USER,
	CONF_T_PATH,		/* absolute path or none */
	CONF_T_BOOL,
	CONF_T_LOGLEVEL,
	CONF_T_SANDBOX,
	CONF_T_OTHERMEDIA	/* pass or refuse */
};

struct conf_keydef {
	const char	*kd_name;
	enum conf_type	 kd_type;
	size_t		 kd_off;	/* of the field in struct as_conf */
	bool		 kd_none;	/* "none" is accepted (CONF_T_IPS) */
	bool		 kd_zero;	/* 0 is accepted besides [min, max] */
	uint64_t	 kd_min;
	uint64_t	 kd_max;
};

#define KD(k, n, t, f, none, zero, lo, hi) \
	[k] = { n, t, offsetof(struct as_conf, f), none, zero, lo, hi }

/* Indexed by enum conf_key; the order is the order of conf_print() and the docs. */
static const struct conf_keydef conf_keys[CONF_K_MAX] = {
	KD(CONF_K_CONTROL_UDP, "control-udp", CONF_T_ADDRPORT, cf_control_udp,
	    true, false, 0, 0),
	KD(CONF_K_CONTROL_TCP, "control-tcp", CONF_T_ADDRPORT, cf_control_tcp,
	    true, false, 0, 0),
	KD(CONF_K_CONTROL_ALLOW, "control-allow", CONF_T_CIDRS, cf_control_allow,
	    false, false, 0, 0),
	KD(CONF_K_MEDIA_ADDRESS, "media-address", CONF_T_IPS, cf_media,
	    false, false, 0, 0),
	KD(CONF_K_ADVERTISED_ADDRESS, "advertised-address", CONF_T_IPS, cf_advertised,
	    true, false, 0, 0),
	KD(CONF_K_PORT_MIN, "port-min", CONF_T_PORT, cf_port_min,
	    false, false, 1, 65535),
	KD(CONF_K_PORT_MAX, "port-max", CONF_T_PORT, cf_port_max,
	    false, false, 1, 65535),
	KD(CONF_K_PORT_QUARANTINE, "port-quarantine", CONF_T_DURATION,
	    cf_port_quarantine_ms, false, true, CONF_MS_S, CONF_MS_H),
	KD(CONF_K_WORKERS, "workers", CONF_T_WORKERS, cf_workers,
	    false, false, 1, CONF_WORKERS_MAX),
	KD(CONF_K_MAX_SESSIONS, "max-sessions", CONF_T_COUNT, cf_max_sessions,
	    false, false, 1, CONF_SESSIONS_MAX),
	KD(CONF_K_USER, "user", CONF_T_USER, cf_user,
	    false, false, 0, 0),
	KD(CONF_K_CDR_DIR, "cdr-dir", CONF_T_PATH, cf_cdr_dir,
	    true, false, 0, 0),
	KD(CONF_K_CDR_ROTATE_SIZE, "cdr-rotate-size", CONF_T_SIZE, cf_cdr_rotate_size,
	    false, true, 64 * CONF_KIB, 1024 * CONF_GIB),
	KD(CONF_K_CDR_ROTATE_AGE, "cdr-rotate-age", CONF_T_DURATION,
	    cf_cdr_rotate_age_ms, false, true, CONF_MS_M, 30 * CONF_MS_D),
	KD(CONF_K_CAPTURE_DIR, "capture-dir", CONF_T_PATH, cf_capture_dir,
	    true, false, 0, 0),
	KD(CONF_K_CAPTURE_ALL, "capture-all", CONF_T_BOOL, cf_capture_all,
	    false, false, 0, 0),
	KD(CONF_K_CAPTURE_MAX_SIZE, "capture-max-size", CONF_T_SIZE, cf_capture_max_size,
	    false, true, CONF_KIB, 1024 * CONF_GIB),
	KD(CONF_K_SOURCE_ADDRESS_FILTERING, "source-address-filtering", CONF_T_BOOL,
	    cf_source_filtering, false, false, 0, 0),
	KD(CONF_K_INITIATE_TCP, "initiate-tcp", CONF_T_BOOL, cf_initiate_tcp,
	    false, false, 0, 0),
	KD(CONF_K_OTHER_MEDIA, "other-media", CONF_T_OTHERMEDIA, cf_other_media,
	    false, false, 0, 0),
	KD(CONF_K_ICE_TIMEOUT, "ice-timeout", CONF_T_DURATION, cf_ice_timeout_ms,
	    false, false, CONF_MS_S, CONF_MS_H),
	KD(CONF_K_IDLE_TIMEOUT, "idle-timeout", CONF_T_DURATION, cf_idle_timeout_ms,
	    false, false, CONF_MS_S, CONF_MS_D),
	KD(CONF_K_LOG_LEVEL, "log-level", CONF_T_LOGLEVEL, cf_log_level,
	    false, false, 0, 0),
	KD(CONF_K_METRICS_ADDRESS, "metrics-address", CONF_T_ADDRPORT, cf_metrics,
	    true, false, 0, 0),
	KD(CONF_K_SANDBOX, "sandbox", CONF_T_SANDBOX, cf_sandbox,
	    false, false, 0, 0),
	KD(CONF_K_DEBUG_HOOKS, "debug-hooks", CONF_T_BOOL, cf_debug_hooks,
	    false, false, 0, 0),
};

static const char *const conf_sandboxes[] = {
	[CONF_SANDBOX_ON] = "on",
	[CONF_SANDBOX_TRAP] = "trap",
	[CONF_SANDBOX_OFF] = "off",
};

static const char *const conf_other_medias[] = {
	[CONF_OTHER_PASS] = "pass",
	[CONF_OTHER_REFUSE] = "refuse",
};

static const char *const conf_levels[] = {
	[CONF_LOG_ERROR] = "error",
	[CONF_LOG_WARNING] = "warning",
	[CONF_LOG_INFO] = "info",
	[CONF_LOG_DEBUG] = "debug",
};

/* Where the value being parsed sits, so that every helper can name it in errors. */
struct conf_ctx {
	struct conf_err	*cx_err;
	unsigned	 cx_line;
	unsigned	 cx_col;	/* of the value */
	enum conf_key	 cx_key;
	const char	*cx_val;	/* the value, without quotes */
	size_t		 cx_len;
};

/*
 * A small snprintf: the purity rule keeps <stdio.h> out of this file, and the
 * messages need only %s, %.*s, %c, %d, %u, %llu and %02x.  The format attribute makes
 * the compiler check every call against those types; an unsupported conversion prints
 * '?' instead of reading an argument.
 */
struct conf_sink {
	char	*sk_buf;
	size_t	 sk_len;
	size_t	 sk_pos;	/* bytes the full text needs so far */
};

static void
conf_putc(struct conf_sink *sk, char c)
{
	if (sk->sk_pos + 1 < sk->sk_len)
		sk->sk_buf[sk->sk_pos] = c;
	sk->sk_pos++;
}

static void
conf_terminate(struct conf_sink *sk)
{
	if (sk->sk_len > 0)
		sk->sk_buf[sk->sk_pos < sk->sk_len ? sk->sk_pos : sk->sk_len - 1] = '\0';
}

static void
conf_putnum(struct conf_sink *sk, unsigned long long v, unsigned base, bool neg,
    size_t width, char pad)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	if (neg)
		tmp[n++] = '-';
	while (width > n) {
		conf_putc(sk, pad);
		width--;
	}
	while (n > 0)
		conf_putc(sk, tmp[--n]);
}

static void
conf_vput(struct conf_sink *sk, const char *fmt, va_list ap)
{
	for (; *fmt != '\0'; fmt++) {
		size_t width = 0, prec = SIZE_MAX;
		char pad = ' ';
		int lng = 0;

		if (*fmt != '%') {
			conf_putc(sk, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (size_t)(*fmt++ - '0');
		if (fmt[0] == '.' && fmt[1] == '*') {
			int p = va_arg(ap, int);

			prec = p < 0 ? SIZE_MAX : (size_t)p;
			fmt += 2;
		}
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case '%':
			conf_putc(sk, '%');
			break;
		case 'c':
			conf_putc(sk, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			size_t i;

			for (i = 0; i < prec && str[i] != '\0'; i++)
				conf_putc(sk, str[i]);
			break;
		}
		case 'd': {
			long long d = lng >= 2 ? va_arg(ap, long long) : va_arg(ap, int);
			unsigned long long mag = d < 0 ? 0ULL - (unsigned long long)d :
			    (unsigned long long)d;

			conf_putnum(sk, mag, 10, d < 0, width, pad);
			break;
		}
		case 'u':
		case 'x':
			conf_putnum(sk, lng >= 2 ? va_arg(ap, unsigned long long) :
			    va_arg(ap, unsigned), *fmt == 'u' ? 10 : 16, false, width, pad);
			break;
		case '\0':
			return;
		default:
			conf_putc(sk, '?');
			break;
		}
	}
}

static size_t	conf_fmt(char *, size_t, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));

static size_t
conf_fmt(char *buf, size_t len, const char *fmt, ...)
{
	struct conf_sink sk = { buf, len, 0 };
	va_list ap;

	va_start(ap, fmt);
	conf_vput(&sk, fmt, ap);
	va_end(ap);
	conf_terminate(&sk);
	return sk.sk_pos;
}

static int	conf_fail(struct conf_err *, unsigned, unsigned, const char *,
		    const char *, ...) __attribute__((__format__(__printf__, 5, 6)));

static int
conf_fail(struct conf_err *err, unsigned line, unsigned col, const char *key,
    const char *fmt, ...)
{
	struct conf_sink sk = { err->ce_msg, sizeof(err->ce_msg), 0 };
	va_list ap;

	err->ce_line = line;
	err->ce_col = col;
	conf_fmt(err->ce_key, sizeof(err->ce_key), "%s", key != NULL ? key : "");
	va_start(ap, fmt);
	conf_vput(&sk, fmt, ap);
	va_end(ap);
	conf_terminate(&sk);
	return -1;
}

/* "key: \"value\" why"; long values are cut, the line number finds the rest. */
static int
conf_bad(const struct conf_ctx *cx, const char *why)
{
	const char *name = conf_keys[cx->cx_key].kd_name;
	int n = cx->cx_len > CONF_QUOTE_MAX ? CONF_QUOTE_MAX : (int)cx->cx_len;

	return conf_fail(cx->cx_err, cx->cx_line, cx->cx_col, name,
	    "%s: \"%.*s%s\" %s", name, n, cx->cx_val,
	    cx->cx_len > CONF_QUOTE_MAX ? "..." : "", why);
}

static bool
conf_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* ASCII-only case folding: the C locale is not ours to rely on. */
static bool
conf_word(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (word[i] == '\0' || word[i] != c)
			return false;
	}
	return word[i] == '\0';
}

/* Leading decimal digits of s; -1 if there are none or the value overflows. */
static int
conf_digits(const char *s, size_t n, size_t *used, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (i == 0)
		return -1;
	*used = i;
	*out = v;
	return 0;
}

/* Copies the text to a NUL-terminated buffer for inet_pton; false if too long. */
static bool
conf_ip_parse(const char *s, size_t n, int family, uint8_t *out)
{
	char tmp[INET6_ADDRSTRLEN + 1];

	if (n == 0 || n >= sizeof(tmp) || memchr(s, '%', n) != NULL)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(family, tmp, out) == 1;
}

/* IPv4 or IPv6 text -> family; 0 if neither. */
static int
conf_ip_any(const char *s, size_t n, uint8_t out[16])
{
	memset(out, 0, 16);
	if (memchr(s, ':', n) != NULL)
		return conf_ip_parse(s, n, AF_INET6, out) ? AF_INET6 : 0;
	return conf_ip_parse(s, n, AF_INET, out) ? AF_INET : 0;
}

static bool
conf_ip_unspec(int family, const uint8_t *ip)
{
	static const uint8_t zero[16];

	return memcmp(ip, zero, family == AF_INET ? 4 : 16) == 0;
}

static bool
conf_ip_multicast(int family, const uint8_t *ip)
{
	if (family == AF_INET)
		return (ip[0] & 0xf0) == 0xe0 || memcmp(ip, "\xff\xff\xff\xff", 4) == 0;
	return ip[0] == 0xff;
}

static bool
conf_ip_v4mapped(const uint8_t *ip)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(ip, pfx, sizeof(pfx)) == 0;
}

static int
conf_get_addrport(const struct conf_ctx *cx, struct conf_addr *out)
{
	const char *s = cx->cx_val, *ip, *colon;
	size_t n = cx->cx_len, iplen, used;
	uint64_t port;
	int family;

	if (conf_word(s, n, "none")) {
		memset(out, 0, sizeof(*out));
		out->ca_family = AF_UNSPEC;
		return 0;
	}
	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL || rb + 1 >= s + n || rb[1] != ':')
			return conf_bad(cx, "is not [IPv6]:PORT");
		ip = s + 1;
		iplen = (size_t)(rb - ip);
		colon = rb + 1;
		family = AF_INET6;
	} else {
		colon = memchr(s, ':', n);
		if (colon == NULL)
			return conf_bad(cx, "is not IP:PORT (a port is required)");
		if (memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) != NULL)
			return conf_bad(cx,
			    "is not IP:PORT (write IPv6 in brackets: [::1]:2226)");
		ip = s;
		iplen = (size_t)(colon - s);
		family = AF_INET;
	}
	memset(out, 0, sizeof(*out));
	if (!conf_ip_parse(ip, iplen, family, out->ca_ip))
		return conf_bad(cx, family == AF_INET ?
		    "is not IP:PORT (bad IPv4 address)" :
		    "is not [IPv6]:PORT (bad IPv6 address)");
	if (conf_ip_multicast(family, out->ca_ip))
		return conf_bad(cx, "is a multicast or broadcast address");
	n -= (size_t)(colon + 1 - s);
	if (conf_digits(colon + 1, n, &used, &port) == -1 || used != n ||
	    port < 1 || port > 65535)
		return conf_bad(cx, "has a bad port (1..65535)");
	out->ca_family = (sa_family_t)family;
	out->ca_port = (uint16_t)port;
	return 0;
}

static bool
conf_is_sep(char c)
{
	return c == ',' || conf_is_space(c);
}

/*
 * Next element of a list separated by commas and/or blanks.  Returns false at the
 * end; an empty element between two commas is reported through *empty.
 */
static bool
conf_next_elem(const char *s, size_t n, size_t *pos, const char **e, size_t *elen,
    bool *empty)
{
	size_t i = *pos, commas = 0;

	while (i < n && conf_is_sep(s[i]))
		commas += s[i++] == ',';
	/* A comma before the first element or two in a row leave an element empty. */
	*empty = commas > 1 || (commas == 1 && *pos == 0) || (commas > 0 && i == n);
	if (i == n)
		return false;
	*e = s + i;
	while (i < n && !conf_is_sep(s[i]))
		i++;
	*elen = (size_t)(s + i - *e);
	*pos = i;
	return true;
}

static int
conf_get_ips(const struct conf_ctx *cx, struct conf_ips *out)
{
	const char *name = conf_keys[cx->cx_key].kd_name, *e;
	size_t pos = 0, elen;
	bool empty;
	struct conf_ips ips;

	memset(&ips, 0, sizeof(ips));
	if (conf_keys[cx->cx_key].kd_none && conf_word(cx->cx_val, cx->cx_len, "none")) {
		*out = ips;
		return 0;
	}
	while (conf_next_elem(cx->cx_val, cx->cx_len, &pos, &e, &elen, &empty)) {
		uint8_t ip[16];
		int family;

		if (empty)
			return conf_bad(cx, "has an empty list element");
		if ((family = conf_ip_any(e, elen, ip)) == 0)
			return conf_fail(cx->cx_err, cx->cx_line,
			    cx->cx_col + (unsigned)(e - cx->cx_val), name,
			    "%s: \"%.*s\" is not an IPv4 or IPv6 address", name,
			    elen > CONF_QUOTE_MAX ? CONF_QUOTE_MAX : (int)elen, e);
		if (conf_ip_multicast(family, ip))
			return conf_fail(cx->cx_err, cx->cx_line,
			    cx->cx_col + (unsigned)(e - cx->cx_val), name,
			    "%s: \"%.*s\" is a multicast or broadcast address", name,
			    (int)elen, e);
		if (family == AF_INET6 && conf_ip_v4mapped(ip))
			return conf_fail(cx->cx_err, cx->cx_line,
			    cx->cx_col + (unsigned)(e - cx->cx_val), name,
			    "%s: \"%.*s\" is IPv4-mapped: write the IPv4 address", name,
			    (int)elen, e);
		if ((family == AF_INET && ips.ci_has4) ||
		    (family == AF_INET6 && ips.ci_has6))
			return conf_bad(cx, "has two addresses of one family "
			    "(at most one IPv4 and one IPv6)");
		if (family == AF_INET) {
			ips.ci_has4 = true;
			memcpy(ips.ci_ip4, ip, 4);
		} else {
			ips.ci_has6 = true;
			memcpy(ips.ci_ip6, ip, 16);
		}
	}
	if (empty)
		return conf_bad(cx, "has an empty list element");
	if (!ips.ci_has4 && !ips.ci_has6)
		return conf_bad(cx, "has no address");
	*out = ips;
	return 0;
}

/* The rules' syntax and meaning are cidr.h's; this adds the line and the item. */
static int
conf_get_cidrs(const struct conf_ctx *cx, struct cidr_list *out)
{
	const char *name = conf_keys[cx->cx_key].kd_name, *e;
	struct cidr_list l;
	size_t off = 0, elen;
	int rc;

	cidr_list_init(&l, CIDR_DENY);
	if ((rc = cidr_list_parse(&l, cx->cx_val, cx->cx_len, &off)) != CIDR_OK) {
		if (off > cx->cx_len)
			off = cx->cx_len;
		e = cx->cx_val + off;
		for (elen = 0; off + elen < cx->cx_len && !conf_is_sep(e[elen]); elen++)
			;
		if (elen == 0)
			return conf_fail(cx->cx_err, cx->cx_line, cx->cx_col + (unsigned)off,
			    name, "%s: %s (an empty list item)", name, cidr_strerror(rc));
		return conf_fail(cx->cx_err, cx->cx_line, cx->cx_col + (unsigned)off, name,
		    "%s: \"%.*s\": %s", name,
		    elen > CONF_QUOTE_MAX ? CONF_QUOTE_MAX : (int)elen, e,
		    cidr_strerror(rc));
	}
	*out = l;
	return 0;
}

/* "[min..max]" in the key's unit, for range errors. */
static void
conf_fmt_duration(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		uint64_t	 u_ms;
		const char	*u_name;
	} units[] = {
		{ CONF_MS_D, "d" }, { CONF_MS_H, "h" }, { CONF_MS_M, "m" },
		{ CONF_MS_S, "s" },
	};
	size_t i;

	if (ms == 0) {
		conf_fmt(buf, len, "0");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms % units[i].u_ms == 0) {
			conf_fmt(buf, len, "%llu%s",
			    (unsigned long long)(ms / units[i].u_ms), units[i].u_name);
			return;
		}
	conf_fmt(buf, len, "%llums", (unsigned long long)ms);
}

static void
conf_fmt_size(uint64_t b, char *buf, size_t len)
{
	if (b != 0 && b % CONF_GIB == 0)
		conf_fmt(buf, len, "%lluG", (unsigned long long)(b / CONF_GIB));
	else if (b != 0 && b % CONF_MIB == 0)
		conf_fmt(buf, len, "%lluM", (unsigned long long)(b / CONF_MIB));
	else if (b != 0 && b % CONF_KIB == 0)
		conf_fmt(buf, len, "%lluK", (unsigned long long)(b / CONF_KIB));
	else
		conf_fmt(buf, len, "%llu", (unsigned long long)b);
}

/* Range check shared by numbers, durations and sizes. */
static int
conf_range(const struct conf_ctx *cx, uint64_t v, void (*fmt)(uint64_t, char *, size_t))
{
	const struct conf_keydef *kd = &conf_keys[cx->cx_key];
	char lo[32], hi[32], why[96];

	if ((v == 0 && kd->kd_zero) || (v >= kd->kd_min && v <= kd->kd_max))
		return 0;
	if (fmt != NULL) {
		fmt(kd->kd_min, lo, sizeof(lo));
		fmt(kd->kd_max, hi, sizeof(hi));
	} else {
		conf_fmt(lo, sizeof(lo), "%llu", (unsigned long long)kd->kd_min);
		conf_fmt(hi, sizeof(hi), "%llu", (unsigned long long)kd->kd_max);
	}
	conf_fmt(why, sizeof(why), "is out of range (%s%s..%s)",
	    kd->kd_zero ? "0 or " : "", lo, hi);
	return conf_bad(cx, why);
}

static int
conf_get_number(const struct conf_ctx *cx, uint64_t *out)
{
	size_t used;

	if (conf_digits(cx->cx_val, cx->cx_len, &used, out) == -1 ||
	    used != cx->cx_len)
		return conf_bad(cx, "is not a number");
	return conf_range(cx, *out, NULL);
}

static int
conf_get_duration(const struct conf_ctx *cx, uint64_t *out)
{
	static const struct {
		const char	*u_name;
		uint64_t	 u_ms;
	} units[] = {
		{ "", CONF_MS_S }, { "ms", 1 }, { "s", CONF_MS_S }, { "m", CONF_MS_M },
		{ "h", CONF_MS_H }, { "d", CONF_MS_D },
	};
	const char *u;
	size_t used, ulen, i;
	uint64_t v;

	if (conf_digits(cx->cx_val, cx->cx_len, &used, &v) == -1)
		return conf_bad(cx, "is not a duration (a number with ms, s, m, h or d)");
	u = cx->cx_val + used;
	ulen = cx->cx_len - used;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].u_name) == ulen &&
		    memcmp(units[i].u_name, u, ulen) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return conf_bad(cx, "is not a duration (a number with ms, s, m, h or d)");
	if (v > UINT64_MAX / units[i].u_ms)
		return conf_range(cx, UINT64_MAX, conf_fmt_duration);
	*out = v * units[i].u_ms;
	return conf_range(cx, *out, conf_fmt_duration);
}

static int
conf_get_size(const struct conf_ctx *cx, uint64_t *out)
{
	size_t used;
	uint64_t v, mult = 1;

	if (conf_digits(cx->cx_val, cx->cx_len, &used, &v) == -1)
		return conf_bad(cx, "is not a size (a number with K, M or G)");
	if (used + 1 == cx->cx_len) {
		switch (cx->cx_val[used]) {
		case 'k':
		case 'K':
			mult = CONF_KIB;
			break;
		case 'M':
			mult = CONF_MIB;
			break;
		case 'G':
			mult = CONF_GIB;
			break;
		default:
			return conf_bad(cx, "is not a size (a number with K, M or G)");
		}
	} else if (used != cx->cx_len)
		return conf_bad(cx, "is not a size (a number with K, M or G)");
	if (v > UINT64_MAX / mult)
		return conf_range(cx, UINT64_MAX, conf_fmt_size);
	*out = v * mult;
	return conf_range(cx, *out, conf_fmt_size);
}

static int
conf_get_bool(const struct conf_ctx *cx, bool *out)
{
	const char *s = cx->cx_val;
	size_t n = cx->cx_len;

	if (conf_word(s, n, "yes") || conf_word(s, n, "on") || conf_word(s, n, "true"))
		*out = true;
	else if (conf_word(s, n, "no") || conf_word(s, n, "off") ||
	    conf_word(s, n, "false"))
		*out = false;
	else
		return conf_bad(cx, "is not a boolean (yes/no, on/off, true/false)");
	return 0;
}

/*
 * The portable user-name set (POSIX 3.437 plus what useradd accepts): a name that
 * cannot be confused with an option or a uid.
 */
static int
conf_get_user(const struct conf_ctx *cx, char *out)
{
	const char *s = cx->cx_val;
	size_t n = cx->cx_len, i;
	bool digits = true;

	if (n >= CONF_USER_MAX)
		return conf_bad(cx, "is too long for a user name (at most 32 characters)");
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' ||
		    (i > 0 && (c == '-' || c == '.'))))
			return conf_bad(cx, "is not a user name "
			    "(letters, digits, '_', then also '-' and '.')");
		if (c < '0' || c > '9')
			digits = false;
	}
	if (digits)
		return conf_bad(cx, "is not a user name (a name, not a number)");
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int
conf_get_path(const struct conf_ctx *cx, char *out)
{
	const char *s = cx->cx_val;
	size_t n = cx->cx_len, i;

	if (conf_word(s, n, "none")) {
		out[0] = '\0';
		return 0;
	}
	if (s[0] != '/')
		return conf_bad(cx, "is not an absolute path (or none)");
	if (n >= CONF_PATH_MAX)
		return conf_bad(cx, "is too long (at most 255 bytes)");
	/* The printed form quotes paths, and a quote has no escape. */
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"')
			return conf_bad(cx, "contains a tab or a quote");
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int
conf_get_loglevel(const struct conf_ctx *cx, enum conf_log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(conf_levels) / sizeof(conf_levels[0]); i++)
		if (conf_word(cx->cx_val, cx->cx_len, conf_levels[i])) {
			*out = (enum conf_log_level)i;
			return 0;
		}
	return conf_bad(cx, "is not a log level (error, warning, info, debug)");
}

static int
conf_get_sandbox(const struct conf_ctx *cx, enum conf_sandbox *out)
{
	size_t i;

	for (i = 0; i < sizeof(conf_sandboxes) / sizeof(conf_sandboxes[0]); i++)
		if (conf_word(cx->cx_val, cx->cx_len, conf_sandboxes[i])) {
			*out = (enum conf_sandbox)i;
			return 0;
		}
	return conf_bad(cx, "is not a sandbox mode (on, trap, off)");
}

static int
conf_get_other_media(const struct conf_ctx *cx, enum conf_other_media *out)
{
	size_t i;

	for (i = 0; i < sizeof(conf_other_medias) / sizeof(conf_other_medias[0]); i++)
		if (conf_word(cx->cx_val, cx->cx_len, conf_other_medias[i])) {
			*out = (enum conf_other_media)i;
			return 0;
		}
	return conf_bad(cx, "is not pass or refuse");
}

static int
conf_set(const struct conf_ctx *cx, struct as_conf *cf)
{
	const struct conf_keydef *kd = &conf_keys[cx->cx_key];
	void *field = (char *)cf + kd->kd_off;
	uint64_t v;

	switch (kd->kd_type) {
	case CONF_T_ADDRPORT:
		return conf_get_addrport(cx, field);
	case CONF_T_CIDRS:
		return conf_get_cidrs(cx, field);
	case CONF_T_IPS:
		return conf_get_ips(cx, field);
	case CONF_T_PORT:
		if (conf_get_number(cx, &v) == -1)
			return -1;
		*(uint16_t *)field = (uint16_t)v;
		return 0;
	case CONF_T_DURATION:
		return conf_get_duration(cx, field);
	case CONF_T_SIZE:
		return conf_get_size(cx, field);
	case CONF_T_WORKERS:
		if (conf_word(cx->cx_val, cx->cx_len, "auto")) {
			*(unsigned *)field = 0;
			return 0;
		}
		if (conf_get_number(cx, &v) == -1)
			return -1;
		*(unsigned *)field = (unsigned)v;
		return 0;
	case CONF_T_COUNT:
		if (conf_get_number(cx, &v) == -1)
			return -1;
		*(uint32_t *)field = (uint32_t)v;
		return 0;
	case CONF_T_USER:
		return conf_get_user(cx, field);
	case CONF_T_PATH:
		return conf_get_path(cx, field);
	case CONF_T_BOOL:
		return conf_get_bool(cx, field);
	case CONF_T_LOGLEVEL:
		return conf_get_loglevel(cx, field);
	case CONF_T_SANDBOX:
		return conf_get_sandbox(cx, field);
	case CONF_T_OTHERMEDIA:
		return conf_get_other_media(cx, field);
	}
	return conf_bad(cx, "has an unknown type");	/* unreachable: table is static */
}

static int
conf_lookup(const char *s, size_t n)
{
	int k;

	for (k = 0; k < CONF_K_MAX; k++)
		if (strlen(conf_keys[k].kd_name) == n &&
		    memcmp(conf_keys[k].kd_name, s, n) == 0)
			return k;
	return -1;
}

/*
 * Bytes a line may hold: printable ASCII and tabs; anything in a comment except NUL.
 * Sets *content to the length of the part before the comment; 0 or -1.
 */
static int
conf_scan_line(const char *s, size_t n, unsigned line, struct conf_err *err,
    size_t *content)
{
	bool quoted = false;
	size_t i, end = n, qopen = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0')
			return conf_fail(err, line, (unsigned)i + 1, NULL, "NUL byte");
		if (end < n)
			continue;	/* inside the comment */
		if (c == '#' && !quoted) {
			end = i;
			continue;
		}
		if (c == '"') {
			quoted = !quoted;
			qopen = i;
		} else if (c >= 0x80)
			return conf_fail(err, line, (unsigned)i + 1, NULL,
			    "non-ASCII byte 0x%02x (allowed in comments only)", c);
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			return conf_fail(err, line, (unsigned)i + 1, NULL,
			    "control character 0x%02x", c);
	}
	if (quoted)
		return conf_fail(err, line, (unsigned)qopen + 1, NULL, "unterminated quote");
	*content = end;
	return 0;
}

static int
conf_line(const char *s, size_t n, unsigned line, struct as_conf *cf,
    struct conf_err *err)
{
	struct conf_ctx cx;
	const char *key, *v;
	size_t i = 0, klen, vlen;
	int k;

	if (conf_scan_line(s, n, line, err, &n) == -1)
		return -1;
	while (n > 0 && conf_is_space(s[n - 1]))
		n--;
	while (i < n && conf_is_space(s[i]))
		i++;
	if (i == n)
		return 0;
	key = s + i;
	while (i < n && !conf_is_space(s[i]) && s[i] != '=')
		i++;
	klen = (size_t)(s + i - key);
	while (i < n && conf_is_space(s[i]))
		i++;
	if (klen == 0)
		return conf_fail(err, line, (unsigned)i + 1, NULL, "missing key before '='");
	if (i == n || s[i] != '=')
		return conf_fail(err, line, (unsigned)(i == n ? key - s : (long)i) + 1,
		    NULL, "expected \"key = value\"");
	if ((k = conf_lookup(key, klen)) < 0)
		return conf_fail(err, line, (unsigned)(key - s) + 1, NULL,
		    "unknown key \"%.*s\"", klen > CONF_QUOTE_MAX ? CONF_QUOTE_MAX :
		    (int)klen, key);
	if (cf->cf_line[k] != 0)
		return conf_fail(err, line, (unsigned)(key - s) + 1, conf_keys[k].kd_name,
		    "duplicate key \"%s\" (first set on line %u)", conf_keys[k].kd_name,
		    cf->cf_line[k]);
	i++;
	while (i < n && conf_is_space(s[i]))
		i++;
	v = s + i;
	vlen = n - i;
	if (vlen > 0 && v[0] == '"') {
		const char *q = memchr(v + 1, '"', vlen - 1);

		/* conf_scan_line() saw the quotes balanced, so q is there. */
		if (q == NULL || q + 1 != v + vlen)
			return conf_fail(err, line, (unsigned)(i + 1), conf_keys[k].kd_name,
			    "%s: characters after the quoted value", conf_keys[k].kd_name);
		v++;
		vlen -= 2;
		i++;
	} else if (memchr(v, '"', vlen) != NULL)
		return conf_fail(err, line, (unsigned)(i + 1), conf_keys[k].kd_name,
		    "%s: a quote inside an unquoted value", conf_keys[k].kd_name);
	if (vlen == 0)
		return conf_fail(err, line, (unsigned)(i + 1), conf_keys[k].kd_name,
		    "%s: missing value", conf_keys[k].kd_name);
	cx.cx_err = err;
	cx.cx_line = line;
	cx.cx_col = (unsigned)i + 1;
	cx.cx_key = (enum conf_key)k;
	cx.cx_val = v;
	cx.cx_len = vlen;
	if (conf_set(&cx, cf) == -1)
		return -1;
	cf->cf_line[k] = line;
	return 0;
}

void
conf_defaults(struct as_conf *cf)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };

	memset(cf, 0, sizeof(*cf));
	cf->cf_control_udp.ca_family = AF_INET;
	cf->cf_control_udp.ca_port = 2226;
	memcpy(cf->cf_control_udp.ca_ip, lo4, sizeof(lo4));
	cf->cf_control_tcp = cf->cf_control_udp;
	/* Loopback only: the control port has no authentication of its own. */
	cidr_list_init(&cf->cf_control_allow, CIDR_DENY);
	(void)cidr_list_parse(&cf->cf_control_allow, "127.0.0.0/8, ::1",
	    sizeof("127.0.0.0/8, ::1") - 1, NULL);
	cf->cf_media.ci_has4 = true;
	memcpy(cf->cf_media.ci_ip4, lo4, sizeof(lo4));
	cf->cf_port_min = 20000;
	cf->cf_port_max = 29999;
	cf->cf_port_quarantine_ms = 60 * CONF_MS_S;
	cf->cf_workers = 0;
	cf->cf_max_sessions = 1000;
	conf_fmt(cf->cf_user, sizeof(cf->cf_user), "appshare");
	cf->cf_cdr_rotate_size = 64 * CONF_MIB;
	cf->cf_cdr_rotate_age_ms = CONF_MS_H;
	cf->cf_capture_all = false;
	cf->cf_capture_max_size = 64 * CONF_MIB;
	cf->cf_source_filtering = true;
	cf->cf_initiate_tcp = false;
	cf->cf_other_media = CONF_OTHER_PASS;
	cf->cf_ice_timeout_ms = 120 * CONF_MS_S;
	cf->cf_idle_timeout_ms = 30 * CONF_MS_S;
	cf->cf_log_level = CONF_LOG_INFO;
	cf->cf_sandbox = CONF_SANDBOX_ON;
	cf->cf_debug_hooks = false;
}

int
conf_parse(const char *text, size_t len, struct as_conf *out, struct conf_err *err)
{
	struct conf_err scratch;
	size_t pos = 0;
	unsigned line = 0;

	if (err == NULL)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	conf_defaults(out);
	/* Editors on Windows write a UTF-8 byte order mark; it carries no meaning. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;

		pos += n + (nl != NULL);
		if (line == UINT32_MAX - 1)
			return conf_fail(err, line, 0, NULL, "too many lines");
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > CONF_LINE_MAX)
			return conf_fail(err, line, CONF_LINE_MAX + 1, NULL,
			    "line too long (more than %d bytes)", CONF_LINE_MAX);
		if (conf_line(s, n, line, out, err) == -1)
			return -1;
	}
	return conf_check_semantics(out, err);
}

static bool	conf_addr_equal(const struct conf_addr *, const struct conf_addr *);

/* The line to blame for a cross-key error: the later of the keys that were set. */
static unsigned
conf_blame(const struct as_conf *cf, enum conf_key a, enum conf_key b)
{
	return cf->cf_line[a] > cf->cf_line[b] ? cf->cf_line[a] : cf->cf_line[b];
}

static int
conf_check_family(const struct as_conf *cf, struct conf_err *err, bool v6)
{
	const char *fam = v6 ? "IPv6" : "IPv4";
	bool media = v6 ? cf->cf_media.ci_has6 : cf->cf_media.ci_has4;
	bool adv = v6 ? cf->cf_advertised.ci_has6 : cf->cf_advertised.ci_has4;
	unsigned line = conf_blame(cf, CONF_K_MEDIA_ADDRESS, CONF_K_ADVERTISED_ADDRESS);

	if (adv && !media)
		return conf_fail(err, line, 0, "advertised-address",
		    "advertised-address has an %s address but media-address has none", fam);
	if (media && !adv && conf_ip_unspec(v6 ? AF_INET6 : AF_INET,
	    v6 ? cf->cf_media.ci_ip6 : cf->cf_media.ci_ip4))
		return conf_fail(err, line, 0, "advertised-address",
		    "media-address has the %s wildcard: advertised-address needs an %s "
		    "address", fam, fam);
	if (adv && conf_ip_unspec(v6 ? AF_INET6 : AF_INET,
	    v6 ? cf->cf_advertised.ci_ip6 : cf->cf_advertised.ci_ip4))
		return conf_fail(err, cf->cf_line[CONF_K_ADVERTISED_ADDRESS], 0,
		    "advertised-address", "advertised-address: the %s wildcard cannot be "
		    "advertised", fam);
	return 0;
}

int
conf_check_semantics(const struct as_conf *cf, struct conf_err *err)
{
	struct conf_err scratch;
	const struct conf_addr *ctl[2] = { &cf->cf_control_udp, &cf->cf_control_tcp };
	const enum conf_key ctlk[2] = { CONF_K_CONTROL_UDP, CONF_K_CONTROL_TCP };
	unsigned line;
	int i;

	if (err == NULL)
		err = &scratch;
	line = conf_blame(cf, CONF_K_PORT_MIN, CONF_K_PORT_MAX);
	if (cf->cf_port_min < 1 || cf->cf_port_max < cf->cf_port_min)
		return conf_fail(err, line, 0, "port-max",
		    "port-max %u is below port-min %u", cf->cf_port_max, cf->cf_port_min);
	/* Every session has two legs, each listening on (or bound to) its own port. */
	if (cf->cf_port_max == cf->cf_port_min)
		return conf_fail(err, line, 0, "port-max",
		    "port range %u-%u has one port; a session needs at least 2",
		    cf->cf_port_min, cf->cf_port_max);
	for (i = 0; i < 2; i++) {
		if (ctl[i]->ca_family == AF_UNSPEC)
			continue;
		if (ctl[i]->ca_port >= cf->cf_port_min && ctl[i]->ca_port <= cf->cf_port_max)
			return conf_fail(err, conf_blame(cf, ctlk[i], CONF_K_PORT_MIN) > line ?
			    conf_blame(cf, ctlk[i], CONF_K_PORT_MIN) : line, 0,
			    conf_keys[ctlk[i]].kd_name,
			    "%s port %u lies inside the media port range %u-%u",
			    conf_keys[ctlk[i]].kd_name, ctl[i]->ca_port, cf->cf_port_min,
			    cf->cf_port_max);
	}
	if (cf->cf_metrics.ca_family != AF_UNSPEC && cf->cf_metrics.ca_port >= cf->cf_port_min &&
	    cf->cf_metrics.ca_port <= cf->cf_port_max)
		return conf_fail(err, cf->cf_line[CONF_K_METRICS_ADDRESS] > line ?
		    cf->cf_line[CONF_K_METRICS_ADDRESS] : line, 0, "metrics-address",
		    "metrics-address port %u lies inside the media port range %u-%u",
		    cf->cf_metrics.ca_port, cf->cf_port_min, cf->cf_port_max);
	if (cf->cf_metrics.ca_family != AF_UNSPEC &&
	    conf_addr_equal(&cf->cf_metrics, &cf->cf_control_tcp))
		return conf_fail(err, conf_blame(cf, CONF_K_METRICS_ADDRESS,
		    CONF_K_CONTROL_TCP), 0, "metrics-address",
		    "metrics-address is the control-tcp address");
	if (ctl[0]->ca_family == AF_UNSPEC && ctl[1]->ca_family == AF_UNSPEC)
		return conf_fail(err, conf_blame(cf, CONF_K_CONTROL_UDP, CONF_K_CONTROL_TCP),
		    0, "control-tcp", "control-udp and control-tcp are both none: "
		    "nothing would accept commands");
	if (cf->cf_control_allow.cl_n == 0)
		return conf_fail(err, cf->cf_line[CONF_K_CONTROL_ALLOW], 0, "control-allow",
		    "control-allow is empty");
	if (!cf->cf_media.ci_has4 && !cf->cf_media.ci_has6)
		return conf_fail(err, cf->cf_line[CONF_K_MEDIA_ADDRESS], 0, "media-address",
		    "media-address has no address");
	if (conf_check_family(cf, err, false) == -1 ||
	    conf_check_family(cf, err, true) == -1)
		return -1;
	if (cf->cf_workers > CONF_WORKERS_MAX)
		return conf_fail(err, cf->cf_line[CONF_K_WORKERS], 0, "workers",
		    "workers %u is above %d", cf->cf_workers, CONF_WORKERS_MAX);
	if (cf->cf_max_sessions < 1 || cf->cf_max_sessions > CONF_SESSIONS_MAX)
		return conf_fail(err, cf->cf_line[CONF_K_MAX_SESSIONS], 0, "max-sessions",
		    "max-sessions %u is out of range (1..%u)", cf->cf_max_sessions,
		    CONF_SESSIONS_MAX);
	/* Rotation settings without CDR files are a mistake, not a no-op to ignore. */
	if (cf->cf_cdr_dir[0] == '\0') {
		if (cf->cf_line[CONF_K_CDR_ROTATE_SIZE] != 0)
			return conf_fail(err, cf->cf_line[CONF_K_CDR_ROTATE_SIZE], 0,
			    "cdr-rotate-size", "cdr-rotate-size is set but cdr-dir is none");
		if (cf->cf_line[CONF_K_CDR_ROTATE_AGE] != 0)
			return conf_fail(err, cf->cf_line[CONF_K_CDR_ROTATE_AGE], 0,
			    "cdr-rotate-age", "cdr-rotate-age is set but cdr-dir is none");
	}
	if (cf->cf_cdr_dir[0] != '\0' && cf->cf_cdr_dir[0] != '/')
		return conf_fail(err, cf->cf_line[CONF_K_CDR_DIR], 0, "cdr-dir",
		    "cdr-dir is not an absolute path");
	if (cf->cf_capture_dir[0] != '\0' && cf->cf_capture_dir[0] != '/')
		return conf_fail(err, cf->cf_line[CONF_K_CAPTURE_DIR], 0, "capture-dir",
		    "capture-dir is not an absolute path");
	if (cf->cf_cdr_dir[0] != '\0' && strcmp(cf->cf_cdr_dir, cf->cf_capture_dir) == 0)
		return conf_fail(err, conf_blame(cf, CONF_K_CDR_DIR, CONF_K_CAPTURE_DIR), 0,
		    "capture-dir", "capture-dir and cdr-dir are the same directory");
	if (cf->cf_ice_timeout_ms == 0 || cf->cf_idle_timeout_ms == 0)
		return conf_fail(err, conf_blame(cf, CONF_K_ICE_TIMEOUT,
		    CONF_K_IDLE_TIMEOUT), 0, "ice-timeout", "timeouts cannot be 0");
	if ((unsigned)cf->cf_log_level > CONF_LOG_DEBUG)
		return conf_fail(err, cf->cf_line[CONF_K_LOG_LEVEL], 0, "log-level",
		    "log-level is out of range");
	if ((unsigned)cf->cf_sandbox > CONF_SANDBOX_OFF)
		return conf_fail(err, cf->cf_line[CONF_K_SANDBOX], 0, "sandbox",
		    "sandbox is out of range");
	if ((unsigned)cf->cf_other_media > CONF_OTHER_REFUSE)
		return conf_fail(err, cf->cf_line[CONF_K_OTHER_MEDIA], 0, "other-media",
		    "other-media is out of range");
	return 0;
}

static void	conf_out(struct conf_sink *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));

static void
conf_out(struct conf_sink *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vput(o, fmt, ap);
	va_end(ap);
}

static void
conf_out_ip(struct conf_sink *o, int family, const uint8_t *ip)
{
	char txt[INET6_ADDRSTRLEN];

	if (inet_ntop(family, ip, txt, sizeof(txt)) == NULL)
		conf_fmt(txt, sizeof(txt), "?");
	conf_out(o, "%s", txt);
}

static void
conf_out_value(struct conf_sink *o, const struct as_conf *cf, enum conf_key k)
{
	const struct conf_keydef *kd = &conf_keys[k];
	const void *field = (const char *)cf + kd->kd_off;
	char tmp[32];

	switch (kd->kd_type) {
	case CONF_T_ADDRPORT: {
		const struct conf_addr *a = field;

		if (a->ca_family == AF_INET6) {
			conf_out(o, "[");
			conf_out_ip(o, AF_INET6, a->ca_ip);
			conf_out(o, "]:%u", a->ca_port);
		} else if (a->ca_family == AF_INET) {
			conf_out_ip(o, AF_INET, a->ca_ip);
			conf_out(o, ":%u", a->ca_port);
		} else
			conf_out(o, "none");
		break;
	}
	case CONF_T_CIDRS: {
		const struct cidr_list *l = field;
		char txt[CIDR_STRLEN];
		size_t i;

		for (i = 0; i < l->cl_n; i++) {
			if (cidr_format(&l->cl_rules[i].cr_net, txt, sizeof(txt)) != CIDR_OK)
				conf_fmt(txt, sizeof(txt), "?");
			conf_out(o, "%s%s%s", i > 0 ? ", " : "",
			    l->cl_rules[i].cr_action == CIDR_DENY ? "!" : "", txt);
		}
		break;
	}
	case CONF_T_IPS: {
		const struct conf_ips *ips = field;

		if (ips->ci_has4)
			conf_out_ip(o, AF_INET, ips->ci_ip4);
		if (ips->ci_has4 && ips->ci_has6)
			conf_out(o, ", ");
		if (ips->ci_has6)
			conf_out_ip(o, AF_INET6, ips->ci_ip6);
		if (!ips->ci_has4 && !ips->ci_has6)
			conf_out(o, "none");
		break;
	}
	case CONF_T_PORT:
		conf_out(o, "%u", *(const uint16_t *)field);
		break;
	case CONF_T_DURATION:
		conf_fmt_duration(*(const uint64_t *)field, tmp, sizeof(tmp));
		conf_out(o, "%s", tmp);
		break;
	case CONF_T_SIZE:
		conf_fmt_size(*(const uint64_t *)field, tmp, sizeof(tmp));
		conf_out(o, "%s", tmp);
		break;
	case CONF_T_WORKERS:
		if (*(const unsigned *)field == 0)
			conf_out(o, "auto");
		else
			conf_out(o, "%u", *(const unsigned *)field);
		break;
	case CONF_T_COUNT:
		conf_out(o, "%u", *(const uint32_t *)field);
		break;
	case CONF_T_USER:
		conf_out(o, "%s", (const char *)field);
		break;
	case CONF_T_PATH:
		if (((const char *)field)[0] == '\0')
			conf_out(o, "none");
		else
			conf_out(o, "\"%s\"", (const char *)field);
		break;
	case CONF_T_BOOL:
		conf_out(o, "%s", *(const bool *)field ? "yes" : "no");
		break;
	case CONF_T_LOGLEVEL: {
		const char *name = conf_log_level_name(*(const enum conf_log_level *)field);

		conf_out(o, "%s", name != NULL ? name : "?");
		break;
	}
	case CONF_T_SANDBOX: {
		const char *name = conf_sandbox_name(*(const enum conf_sandbox *)field);

		conf_out(o, "%s", name != NULL ? name : "?");
		break;
	}
	case CONF_T_OTHERMEDIA: {
		const char *name = conf_other_media_name(
		    *(const enum conf_other_media *)field);

		conf_out(o, "%s", name != NULL ? name : "?");
		break;
	}
	}
}

size_t
conf_print(const struct as_conf *cf, char *buf, size_t len)
{
	struct conf_sink o = { buf, len, 0 };
	int k;

	conf_out(&o, "# appshare effective configuration\n");
	for (k = 0; k < CONF_K_MAX; k++) {
		/*
		 * Rotation keys are refused without cdr-dir, so printing them then would
		 * not parse; their values are the defaults anyway.
		 */
		if (cf->cf_cdr_dir[0] == '\0' && (k == CONF_K_CDR_ROTATE_SIZE ||
		    k == CONF_K_CDR_ROTATE_AGE))
			conf_out(&o, "# (no cdr-dir) ");
		conf_out(&o, "%s = ", conf_keys[k].kd_name);
		conf_out_value(&o, cf, (enum conf_key)k);
		conf_out(&o, "\n");
	}
	conf_terminate(&o);
	return o.sk_pos;
}

size_t
conf_err_format(const struct conf_err *err, const char *file, char *buf, size_t len)
{
	if (err->ce_line > 0)
		return conf_fmt(buf, len, "%s:%u: %s", file, err->ce_line, err->ce_msg);
	return conf_fmt(buf, len, "%s: %s", file, err->ce_msg);
}

static bool
conf_addr_equal(const struct conf_addr *a, const struct conf_addr *b)
{
	if (a->ca_family != b->ca_family)
		return false;
	if (a->ca_family == AF_UNSPEC)
		return true;
	return a->ca_port == b->ca_port &&
	    memcmp(a->ca_ip, b->ca_ip, a->ca_family == AF_INET ? 4 : 16) == 0;
}

static bool
conf_ips_equal(const struct conf_ips *a, const struct conf_ips *b)
{
	return a->ci_has4 == b->ci_has4 && a->ci_has6 == b->ci_has6 &&
	    (!a->ci_has4 || memcmp(a->ci_ip4, b->ci_ip4, 4) == 0) &&
	    (!a->ci_has6 || memcmp(a->ci_ip6, b->ci_ip6, 16) == 0);
}

static bool
conf_cidrs_equal(const struct cidr_list *a, const struct cidr_list *b)
{
	size_t i;

	if (a->cl_n != b->cl_n || a->cl_default != b->cl_default)
		return false;
	for (i = 0; i < a->cl_n; i++)
		if (a->cl_rules[i].cr_action != b->cl_rules[i].cr_action ||
		    !cidr_equal(&a->cl_rules[i].cr_net, &b->cl_rules[i].cr_net))
			return false;
	return true;
}

bool
conf_equal(const struct as_conf *a, const struct as_conf *b)
{
	return conf_addr_equal(&a->cf_control_udp, &b->cf_control_udp) &&
	    conf_addr_equal(&a->cf_control_tcp, &b->cf_control_tcp) &&
	    conf_cidrs_equal(&a->cf_control_allow, &b->cf_control_allow) &&
	    conf_ips_equal(&a->cf_media, &b->cf_media) &&
	    conf_ips_equal(&a->cf_advertised, &b->cf_advertised) &&
	    a->cf_port_min == b->cf_port_min &&
	    a->cf_port_max == b->cf_port_max &&
	    a->cf_port_quarantine_ms == b->cf_port_quarantine_ms &&
	    a->cf_workers == b->cf_workers &&
	    a->cf_max_sessions == b->cf_max_sessions &&
	    strcmp(a->cf_user, b->cf_user) == 0 &&
	    strcmp(a->cf_cdr_dir, b->cf_cdr_dir) == 0 &&
	    a->cf_cdr_rotate_size == b->cf_cdr_rotate_size &&
	    a->cf_cdr_rotate_age_ms == b->cf_cdr_rotate_age_ms &&
	    strcmp(a->cf_capture_dir, b->cf_capture_dir) == 0 &&
	    a->cf_capture_all == b->cf_capture_all &&
	    a->cf_capture_max_size == b->cf_capture_max_size &&
	    a->cf_source_filtering == b->cf_source_filtering &&
	    a->cf_initiate_tcp == b->cf_initiate_tcp &&
	    a->cf_other_media == b->cf_other_media &&
	    a->cf_ice_timeout_ms == b->cf_ice_timeout_ms &&
	    a->cf_idle_timeout_ms == b->cf_idle_timeout_ms &&
	    a->cf_log_level == b->cf_log_level &&
	    conf_addr_equal(&a->cf_metrics, &b->cf_metrics) &&
	    a->cf_sandbox == b->cf_sandbox &&
	    a->cf_debug_hooks == b->cf_debug_hooks;
}

const char *
conf_key_name(enum conf_key k)
{
	if ((unsigned)k >= CONF_K_MAX)
		return NULL;
	return conf_keys[k].kd_name;
}

const char *
conf_sandbox_name(enum conf_sandbox m)
{
	if ((unsigned)m >= sizeof(conf_sandboxes) / sizeof(conf_sandboxes[0]))
		return NULL;
	return conf_sandboxes[m];
}

const char *
conf_other_media_name(enum conf_other_media o)
{
	if ((unsigned)o >= sizeof(conf_other_medias) / sizeof(conf_other_medias[0]))
		return NULL;
	return conf_other_medias[o];
}

const char *
conf_log_level_name(enum conf_log_level l)
{
	if ((unsigned)l >= sizeof(conf_levels) / sizeof(conf_levels[0]))
		return NULL;
	return conf_levels[l];
}

int
conf_addr_to_sockaddr(const struct conf_addr *a, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	memset(ss, 0, sizeof(*ss));
	if (a->ca_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->ca_port);
		memcpy(&sin->sin_addr, a->ca_ip, 4);
		*sslen = sizeof(*sin);
		return 0;
	}
	if (a->ca_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->ca_port);
		memcpy(&sin6->sin6_addr, a->ca_ip, 16);
		*sslen = sizeof(*sin6);
		return 0;
	}
	return -1;
}
