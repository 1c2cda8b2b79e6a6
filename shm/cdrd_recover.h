/*
 * Crash recovery of the CDR writer, the pure part: which records does the end of a CSV
 * file already hold?
 *
 * cdrd acknowledges a record (moves the ring tail) only after the line is written and
 * fdatasync()ed, so after a crash between the two the restarted cdrd finds the record
 * both in the ring and in the file.  It reads the last bytes of the file, asks
 * cdrd_recover() for the identities (boot id, worker, epoch, gen) of the complete
 * lines there, and skips ring records with one of those identities.  A batch is never
 * larger than the window it reads back (cdrd.c), so every written-but-unacknowledged
 * record is inside it.
 *
 * Pure: bytes in, identities out; no I/O.  Any bytes are accepted (a file may be cut,
 * hand-edited or written by another version); only lines that look exactly like the
 * first five fields of cdr_format()'s STOP line give an identity.
 */
#ifndef APPSHARE_CDRD_RECOVER_H
#define APPSHARE_CDRD_RECOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm_layout.h"

/* What makes a record unique across the life of an installation (docs/cdr.md 2-5). */
struct cdrd_ident {
	uint64_t	ci_boot_id;
	uint64_t	ci_gen;
	uint32_t	ci_worker;
	uint32_t	ci_epoch;
};

/* What cdrd_recover() found in a file tail. */
struct cdrd_tail {
	size_t		ct_partial;	/* bytes after the last '\n': an interrupted write */
	bool		ct_partial_cut;	/* that partial line starts before the buffer */
	bool		ct_header;	/* at_start and the file starts with our header line */
	bool		ct_foreign;	/* at_start and the first line is not our header */
	size_t		ct_lines;	/* complete lines (a first line cut by the window excluded) */
	size_t		ct_records;	/* STOP lines whose identity was read */
	size_t		ct_malformed;	/* complete lines that are neither header nor record */
	size_t		ct_nids;	/* identities stored: the last min(ct_records, max) */
};

/*
 * Parse buf[0..len), the last len bytes of a file; at_start says the buffer starts at
 * offset 0 (else the bytes before the first '\n' are the end of a line that began
 * before the window and are ignored).  Lines end in "\n" or "\r\n".  Stores the
 * identities of the last max records into ids[] in file order.  Returns ct_nids.
 */
size_t	cdrd_recover(const char *buf, size_t len, bool at_start, struct cdrd_ident *ids,
	    size_t max, struct cdrd_tail *out);

/*
 * One line without its line end: true and *id filled if it starts with
 * "STOP,<hex64>,<u32>,<u32>,<hex64>," as cdr_format() writes it.
 */
bool	cdrd_ident_parse(const char *line, size_t len, struct cdrd_ident *id);

/* The identity cdr_format() prints for a record. */
void	cdrd_ident_of(const struct cdr_rec *, struct cdrd_ident *);

bool	cdrd_ident_eq(const struct cdrd_ident *, const struct cdrd_ident *);

/* Linear search: the sets are a few hundred entries, searched once per record. */
bool	cdrd_ident_find(const struct cdrd_ident *ids, size_t n, const struct cdrd_ident *);

#endif
