/*
 * Configuration file of appshare-master (docs/configuration.md is the user's view).
 *
 * Pure: the master reads the file and hands the bytes to conf_parse(); nothing here
 * opens files, logs or exits.  struct as_conf is plain data with fixed-size strings
 * (maxima below) and arrays, so it can be copied by assignment, sent to a child as one
 * message and needs no conf_free().
 *
 * A successful conf_parse() has also passed conf_check_semantics(): the result is a
 * configuration the master can use as it is, apart from resolving cf_workers == 0
 * ("auto": one worker per CPU) and checking the directories really exist.
 */
#ifndef APPSHARE_CONF_H
#define APPSHARE_CONF_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

/* Longest line, without its line ending.  Longer lines are an error, not truncated. */
#define CONF_LINE_MAX		4096
/* Buffer sizes including the NUL. */
#define CONF_PATH_MAX		256
#define CONF_USER_MAX		33	/* 32 characters, the usual useradd limit */
#define CONF_MSG_MAX		192
#define CONF_KEYNAME_MAX	32

#define CONF_WORKERS_MAX	256
#define CONF_SESSIONS_MAX	1000000U

/* Every key, in the order of docs/configuration.md and of conf_print(). */
enum conf_key {
	CONF_K_CONTROL_UDP = 0,
	CONF_K_CONTROL_TCP,
	CONF_K_CONTROL_ALLOW,
	CONF_K_MEDIA_ADDRESS,
	CONF_K_ADVERTISED_ADDRESS,
	CONF_K_PORT_MIN,
	CONF_K_PORT_MAX,
	CONF_K_PORT_QUARANTINE,
	CONF_K_WORKERS,
	CONF_K_MAX_SESSIONS,
	CONF_K_USER,
	CONF_K_CDR_DIR,
	CONF_K_CDR_ROTATE_SIZE,
	CONF_K_CDR_ROTATE_AGE,
	CONF_K_CAPTURE_DIR,
	CONF_K_CAPTURE_ALL,
	CONF_K_CAPTURE_MAX_SIZE,
	CONF_K_SOURCE_ADDRESS_FILTERING,
	CONF_K_INITIATE_TCP,
	CONF_K_OTHER_MEDIA,
	CONF_K_ICE_TIMEOUT,
	CONF_K_IDLE_TIMEOUT,
	CONF_K_LOG_LEVEL,
	CONF_K_METRICS_ADDRESS,
	CONF_K_SANDBOX,
	CONF_K_DEBUG_HOOKS,
	CONF_K_MAX
};

/* An IP address with a port (control listeners); ca_family AF_UNSPEC = "none". */
struct conf_addr {
	sa_family_t	ca_family;	/* AF_UNSPEC, AF_INET or AF_INET6 */
	uint16_t	ca_port;	/* host order */
	uint8_t		ca_ip[16];	/* network order; IPv4 in the first 4 bytes */
};

/* At most one IPv4 and one IPv6 address (media-address, advertised-address). */
struct conf_ips {
	bool		ci_has4;
	bool		ci_has6;
	uint8_t		ci_ip4[4];	/* network order */
	uint8_t		ci_ip6[16];
};

/* Values equal to enum sbx_mode (policy/sandbox.h); the master asserts it. */
enum conf_sandbox {
	CONF_SANDBOX_ON = 0,
	CONF_SANDBOX_TRAP,
	CONF_SANDBOX_OFF
};

/* The m-lines other than m=applicationsharing in offers and answers. */
enum conf_other_media {
	CONF_OTHER_PASS = 0,		/* untouched */
	CONF_OTHER_REFUSE		/* port 0 (RFC 3264 8.2) */
};

enum conf_log_level {
	CONF_LOG_ERROR = 0,
	CONF_LOG_WARNING,
	CONF_LOG_INFO,
	CONF_LOG_DEBUG
};

struct as_conf {
	struct conf_addr	cf_control_udp;		/* AF_UNSPEC: no UDP control port */
	struct conf_addr	cf_control_tcp;		/* AF_UNSPEC: no TCP control port */
	/* Who may send commands: first match wins, no match is denied. */
	struct cidr_list	cf_control_allow;
	struct conf_ips		cf_media;		/* at least one family */
	struct conf_ips		cf_advertised;		/* none: advertise cf_media */
	uint16_t		cf_port_min;
	uint16_t		cf_port_max;
	uint64_t		cf_port_quarantine_ms;
	unsigned		cf_workers;		/* 0 = auto: one per CPU */
	uint32_t		cf_max_sessions;
	char			cf_user[CONF_USER_MAX];
	char			cf_cdr_dir[CONF_PATH_MAX];	/* "": no CDR files */
	uint64_t		cf_cdr_rotate_size;	/* bytes; 0 = never by size */
	uint64_t		cf_cdr_rotate_age_ms;	/* 0 = never by age */
	char			cf_capture_dir[CONF_PATH_MAX];	/* "": no capture */
	bool			cf_capture_all;		/* tap every new session */
	uint64_t		cf_capture_max_size;	/* bytes per file; 0 = no limit */
	bool			cf_source_filtering;
	bool			cf_initiate_tcp;
	enum conf_other_media	cf_other_media;		/* a per-call key overrides it */
	uint64_t		cf_ice_timeout_ms;
	uint64_t		cf_idle_timeout_ms;
	enum conf_log_level	cf_log_level;
	struct conf_addr	cf_metrics;		/* AF_UNSPEC: no metrics listener */
	enum conf_sandbox	cf_sandbox;
	bool			cf_debug_hooks;		/* test-only control commands */
	/*
	 * Line where each key was set, 0 if it kept its default.  Not part of the
	 * configuration (conf_equal() ignores it): semantic errors use it to name lines.
	 */
	unsigned		cf_line[CONF_K_MAX];
};

/*
 * Where and why parsing failed.  ce_line is 1-based; 0 means the error is not tied to
 * a line (a cross-key check failing on defaults).  ce_col is the 1-based byte column of
 * the offending token, 0 if none.  ce_key names the key concerned, "" if none (a line
 * that is not "key = value").  ce_msg already names the key where one is known.
 */
struct conf_err {
	unsigned	ce_line;
	unsigned	ce_col;
	char		ce_key[CONF_KEYNAME_MAX];
	char		ce_msg[CONF_MSG_MAX];
};

/* The built-in defaults: loopback control and media, see docs/configuration.md. */
void	conf_defaults(struct as_conf *);

/*
 * Parse len bytes of configuration text over the defaults into *out.  Returns 0, or
 * -1 with *err describing the first error (then *out holds defaults plus the lines
 * before the error and must not be used).  text need not be NUL-terminated; a NUL byte
 * in it is an error.  err may be NULL.
 */
int	conf_parse(const char *text, size_t len, struct as_conf *out,
	    struct conf_err *err);

/* Cross-key checks (port range, addresses, rotation); 0 or -1 with *err. */
int	conf_check_semantics(const struct as_conf *, struct conf_err *err);

/*
 * The effective configuration as a configuration file (every key, defaults included)
 * into buf.  Returns the length the full text needs, excluding the NUL, like snprintf:
 * the output is complete when the result is < len.  For any configuration that
 * conf_parse() returned, conf_parse() of the text gives one conf_equal() to it.  Without
 * cdr-dir the rotation keys are printed as comments (they would be refused).
 */
size_t	conf_print(const struct as_conf *, char *buf, size_t len);

/* "FILE:LINE: message" (or "FILE: message" without a line) into buf, like snprintf. */
size_t	conf_err_format(const struct conf_err *, const char *file, char *buf,
	    size_t len);

/* Equality of the configuration values; cf_line is ignored. */
bool	conf_equal(const struct as_conf *, const struct as_conf *);

/* The key's name ("port-min"), or NULL out of range. */
const char	*conf_key_name(enum conf_key);

/* "on", "trap", "off"; NULL out of range. */
const char	*conf_sandbox_name(enum conf_sandbox);

/* "pass", "refuse"; NULL out of range. */
const char	*conf_other_media_name(enum conf_other_media);

/* "error", "warning", "info", "debug"; NULL out of range. */
const char	*conf_log_level_name(enum conf_log_level);

/* Socket address of a control listener; -1 for AF_UNSPEC. */
int	conf_addr_to_sockaddr(const struct conf_addr *, struct sockaddr_storage *,
	    socklen_t *);

#endif
