/*
 * cdrd_recover() on arbitrary file tails: a CDR file may be cut by a crash, damaged, or
 * edited by hand, and cdrd reads its end back on every start.  Checks: no read outside
 * the buffer (ASan), the counts are consistent, the identities found are exactly what
 * cdrd_ident_parse() says of the complete lines, and removing the partial line (what
 * cdrd does) changes nothing else.
 *
 * Input: first byte bit 0 = at_start, bits 1.. = max identities kept; the rest is the
 * tail.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdrd_recover.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAXIDS	128

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cdrd_ident ids[FUZZ_MAXIDS], ids2[FUZZ_MAXIDS];
	struct cdrd_tail t, t2;
	const char *buf;
	size_t len, max, n, n2;
	bool at_start;
	char *copy;

	if (size < 1)
		return 0;
	at_start = (data[0] & 1) != 0;
	max = (size_t)(data[0] >> 1) % (FUZZ_MAXIDS + 1);
	len = size - 1;
	/* An exact-size heap copy, so that ASan sees any read past the end. */
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, len);
	buf = copy;
	n = cdrd_recover(buf, len, at_start, ids, max, &t);
	if (n != t.ct_nids || n > max || t.ct_partial > len ||
	    t.ct_records > t.ct_lines || t.ct_malformed > t.ct_lines ||
	    n != (t.ct_records < max ? t.ct_records : max) ||
	    (t.ct_header && t.ct_foreign) || ((t.ct_header || t.ct_foreign) && !at_start))
		abort();
	if (t.ct_partial < len && buf[len - t.ct_partial - 1] != '\n')
		abort();
	if (t.ct_partial_cut && (at_start || t.ct_partial != len))
		abort();
	/* What cdrd does with a cut last line: the rest reads the same. */
	if (t.ct_partial > 0 && !t.ct_partial_cut) {
		n2 = cdrd_recover(buf, len - t.ct_partial, at_start, ids2, max, &t2);
		if (n2 != n || t2.ct_partial != 0 || t2.ct_lines != t.ct_lines ||
		    memcmp(ids, ids2, n * sizeof(ids[0])) != 0)
			abort();
	}
	/* Every identity found is found again by lookup. */
	for (n2 = 0; n2 < n; n2++)
		if (!cdrd_ident_find(ids, n, &ids[n2]))
			abort();
	free(copy);
	return 0;
}
