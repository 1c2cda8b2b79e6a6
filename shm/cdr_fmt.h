/*
 * CDR formatter: struct cdr_rec -> one CSV line (RFC 4180), and the header line that
 * carries the schema version.  docs/cdr.md documents every field; keep the two in step.
 *
 * Pure: no stdio, no clock; timestamps are converted from epoch milliseconds here.
 */
#ifndef APPSHARE_CDR_FMT_H
#define APPSHARE_CDR_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "shm_layout.h"

/*
 * The first column's name is CDR_SCHEMA_TAG, so a reader detects the schema (and its
 * version) from the first bytes of a file: "appshare-cdr-<version>,".  Version bumps
 * when a field's meaning changes; new fields are only appended.
 */
#define CDR_SCHEMA_VERSION	1
#define CDR_SCHEMA_TAG		"appshare-cdr-1"
#define CDR_NFIELDS		24

/* Field numbers (1-based, as in docs/cdr.md) of the two Ribbon-style fields. */
#define CDR_FIELD_STREAM_DATA	23
#define CDR_FIELD_STREAM_STATS	24

/* Enough for any record, hostile text included (test_cdr_fmt checks the worst case). */
#define CDR_LINE_MAX		4096
/* "YYYY-MM-DDTHH:MM:SS.mmmZ" for years 0..9999, plus NUL. */
#define CDR_TIME_LEN		25

enum cdr_rc {
	CDR_OK		= 0,
	CDR_E_SPACE	= -1,	/* buffer too small; nothing past len was written */
};

/*
 * One STOP line ending in "\r\n", NUL-terminated: *written is the line length without
 * the NUL, so len must be at least *written + 1.  Accepts any bytes in *r: unknown enum
 * values print as "unknown", text is quoted and control/non-ASCII bytes escaped.
 */
int	cdr_format(const struct cdr_rec *r, char *buf, size_t len, size_t *written);

/* The header line, same conventions. */
int	cdr_header(char *buf, size_t len, size_t *written);

/* UTC "YYYY-MM-DDTHH:MM:SS.mmmZ" from milliseconds since 1970, same conventions. */
int	cdr_time_format(uint64_t ms, char *buf, size_t len, size_t *written);

/* Proleptic Gregorian date of a day number (days since 1970-01-01). */
void	cdr_civil_from_days(uint64_t days, uint64_t *year, unsigned *month, unsigned *day);

/* Tokens; NULL for values outside the enumerations. */
const char	*cdr_reason_token(unsigned);
const char	*cdr_media_token(unsigned);
const char	*cdr_proto_token(unsigned);
const char	*cdr_dialect_token(unsigned);
const char	*cdr_role_token(unsigned);
/* "TCP/LYNC/APPSHARE" for application sharing over TCP/RTP/(S)AVP, else RTP/UDP, ... */
const char	*cdr_transport_token(unsigned media, unsigned proto);

#endif
